/**
 * When undici's Pool file is gone (an undici release moved it), the client falls back to the
 * public entry and still works: here the file's import fails as it would after such a move.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { KmsClient } from '../../src/index.js';
import { loadPool } from '../../src/request/pool.js';

vi.mock('undici/lib/dispatcher/pool.js', () => {
  throw new Error("Cannot find module 'undici/lib/dispatcher/pool.js'");
});

let emulator: KmsEmulator;
beforeAll(async () => {
  emulator = await startKmsEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe("undici's Pool file is gone", () => {
  it('the import of the file fails here, as after a move', async () => {
    await expect(import('undici/lib/dispatcher/pool.js')).rejects.toThrow();
  });

  it('loadPool falls back to the Pool of the public entry', async () => {
    const { createRequire } = await import('node:module');
    const publicPool = (createRequire(import.meta.url)('undici') as typeof import('undici')).Pool;
    expect(await loadPool()).toBe(publicPool);
  });

  it('a call completes', async () => {
    const client = new KmsClient({
      region: emulator.region,
      endpoint: emulator.url,
      credentials: emulatorCredentials,
    });
    try {
      const { $metadata } = await client.disconnectCustomKeyStore(
        defaultKeyStoreIds.externalPublic,
      );
      expect($metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
    } finally {
      await client.close();
    }
  });
});
