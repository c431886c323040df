/**
 * A `dispatcher` of the user's own: undici 7 (the package's dependency) and undici 8 (which a
 * user may have installed; it needs Node 22.19+, so those cases run on the matrix's Node 22 and
 * 24 legs). Each completes a call: an Agent against the emulator, which verifies the signature,
 * and a MockAgent that records what was sent. undici 8 only calls the current handler API
 * (`onRequestStart` … `onResponseEnd`), so these fail if the transport uses the legacy hooks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { CustomKeyStoreNotFoundException, KmsClient } from '../../src/index.js';

type Undici = typeof import('undici');

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
/** undici 8's own `engines`: Node 22.19 or later. */
const undici8Runs = major > 22 || (major === 22 && minor >= 19);

// A fresh emulator per test: each one disconnects the same store.
let emulator: KmsEmulator;
beforeEach(async () => {
  emulator = await startKmsEmulator();
});
afterEach(async () => {
  await emulator.close();
});

const undiciVersions: { label: string; runs: boolean; load: () => Promise<Undici> }[] = [
  { label: 'undici 7', runs: true, load: () => import('undici') },
  {
    label: 'undici 8',
    runs: undici8Runs,
    load: () => import('undici8') as Promise<unknown> as Promise<Undici>,
  },
];

describe.each(undiciVersions)('a user-supplied dispatcher from $label', ({ label, runs, load }) => {
  it.runIf(runs)('an Agent completes calls against the emulator', async () => {
    const undici = await load();
    expect(undici.Agent).toBeTypeOf('function');
    const agent = new undici.Agent();
    const client = new KmsClient({
      region: emulator.region,
      endpoint: emulator.url,
      credentials: emulatorCredentials,
      dispatcher: agent,
    });
    try {
      const page = await client.describeCustomKeyStores();
      expect(page.customKeyStores).toHaveLength(emulator.keyStores.size);
      const { $metadata } = await client.disconnectCustomKeyStore(
        defaultKeyStoreIds.externalPublic,
      );
      expect($metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
      await expect(client.disconnectCustomKeyStore('cks-missing')).rejects.toBeInstanceOf(
        CustomKeyStoreNotFoundException,
      );
      // The user's dispatcher stays open after close(): it is theirs.
      await client.close();
      expect(agent.closed).toBe(false);
    } finally {
      await agent.close();
    }
  });

  it.runIf(runs)('a MockAgent receives the signed request and its reply is parsed', async () => {
    const undici = await load();
    const mockAgent = new undici.MockAgent();
    mockAgent.disableNetConnect();
    const seen: { path: string; headers: Record<string, string>; body: string }[] = [];
    mockAgent
      .get('https://kms.eu-west-1.amazonaws.com')
      .intercept({ path: '/', method: 'POST' })
      .reply(
        200,
        (options) => {
          seen.push({
            path: options.path,
            headers: Object.fromEntries(
              Object.entries(options.headers as Record<string, string>).map(([k, v]) => [
                k.toLowerCase(),
                v,
              ]),
            ),
            body: String(options.body),
          });
          return '{}';
        },
        { headers: { 'x-amzn-requestid': `req-${label}` } },
      );
    const client = new KmsClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDMOCK', secretAccessKey: 'mock-secret' },
      dispatcher: mockAgent,
    });
    try {
      const { $metadata } = await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
      expect($metadata.requestId).toBe(`req-${label}`);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.body).toBe('{"CustomKeyStoreId":"cks-1234567890abcdef0"}');
      expect(seen[0]!.headers['x-amz-target']).toBe('TrentService.DisconnectCustomKeyStore');
      expect(seen[0]!.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDMOCK\/\d{8}\/eu-west-1\/kms\/aws4_request, /,
      );
      mockAgent.assertNoPendingInterceptors();
    } finally {
      await client.close();
      await mockAgent.close();
    }
  });
});
