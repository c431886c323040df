import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/resolve.js';
import { KmsConfigError } from '../../src/errors.js';
import { credentialsDocument, isolatedEnv, type TempHome, tempHome } from '../config/helpers.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const minute = 60_000;
let home: TempHome;
let endpoint: LoopbackServer;
let clock: number;
let failing: boolean;

beforeEach(async () => {
  home = await tempHome();
  clock = Date.parse('2030-01-01T00:00:00Z');
  failing = false;
  endpoint = await startLoopbackServer((_request, response) => {
    if (failing) {
      response.writeHead(503);
      response.end();
      return;
    }
    // Credentials valid for 15 minutes of the fake clock; the key says which fetch this was.
    response.end(
      credentialsDocument(`AKID${endpoint.requests.length}`, {
        expiration: new Date(clock + 15 * minute),
      }),
    );
  });
});
afterEach(async () => {
  await endpoint.close();
  await home.remove();
});

function resolve() {
  return loadConfig(
    { region: 'eu-west-1' },
    isolatedEnv(home.dir, { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/creds` }),
    { now: () => clock, containerRetries: 0 },
  );
}

describe('credential cache and refresh', () => {
  it('reuses credentials until 5 minutes before they expire, then refreshes', async () => {
    const config = await resolve();
    expect((await config.credentials()).accessKeyId).toBe('AKID1');
    clock += 9 * minute; // 6 minutes left
    expect((await config.credentials()).accessKeyId).toBe('AKID1');
    expect(endpoint.requests).toHaveLength(1);
    clock += 1 * minute; // exactly 5 minutes left
    expect((await config.credentials()).accessKeyId).toBe('AKID2');
    expect(await config.credentialSource()).toBe('container');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('shares one refresh between concurrent callers', async () => {
    const config = await resolve();
    const keys = await Promise.all(
      Array.from({ length: 20 }, async () => (await config.credentials()).accessKeyId),
    );
    expect(new Set(keys)).toEqual(new Set(['AKID1']));
    clock += 11 * minute;
    const refreshed = await Promise.all(
      Array.from({ length: 20 }, async () => (await config.credentials()).accessKeyId),
    );
    expect(new Set(refreshed)).toEqual(new Set(['AKID2']));
    expect(endpoint.requests).toHaveLength(2);
  });

  it('surfaces a failed refresh as KmsConfigError with every step, then recovers', async () => {
    const config = await resolve();
    await config.credentials();
    failing = true;
    clock += 11 * minute;
    const error = await config.credentials().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as KmsConfigError).sources).toEqual([
      { source: 'env', reason: 'AWS_ACCESS_KEY_ID is not set' },
      {
        source: 'profile:default',
        reason: `no profile default in ${home.dir}/.aws/config or ${home.dir}/.aws/credentials`,
      },
      { source: 'container', reason: `${endpoint.url}/creds answered HTTP 503` },
    ]);
    expect((error as Error).message).toMatch(
      /^Cannot get credentials from container: .* answered HTTP 503 \(tried before it: env: AWS_ACCESS_KEY_ID is not set; profile:default: no profile default in /,
    );
    // Stale credentials are not handed out after a failed refresh, and the next call retries.
    failing = false;
    expect((await config.credentials()).accessKeyId).toBe('AKID3');
  });

  it('never refreshes credentials without an expiration', async () => {
    await home.write(
      '.aws/credentials',
      '[default]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = s\n',
    );
    const config = await resolve();
    expect((await config.credentials()).accessKeyId).toBe('AKIDSTATIC');
    clock += 1000 * minute;
    await home.remove();
    expect((await config.credentials()).accessKeyId).toBe('AKIDSTATIC');
    expect(await config.credentialSource()).toBe('profile:default');
  });

  it('wraps a failing provider in KmsConfigError and checks what it returns', async () => {
    let calls = 0;
    const config = await loadConfig(
      {
        region: 'eu-west-1',
        credentials: async () => {
          calls++;
          if (calls === 1) throw new Error('SSO token expired');
          return { accessKeyId: '', secretAccessKey: 'x' };
        },
      },
      isolatedEnv(home.dir),
    );
    const first = await config.credentials().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(KmsConfigError);
    expect((first as KmsConfigError).message).toBe(
      'Cannot get credentials from provider: the credentials provider failed: SSO token expired',
    );
    expect((first as KmsConfigError).sources).toEqual([
      { source: 'provider', reason: 'the credentials provider failed: SSO token expired' },
    ]);
    await expect(config.credentials()).rejects.toThrow(
      'Credentials from the credentials provider must be an object with non-empty accessKeyId and secretAccessKey strings',
    );
  });
});
