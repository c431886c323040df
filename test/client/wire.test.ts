import { readFileSync } from 'node:fs';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KmsClient, VERSION } from '../../src/index.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { expectedSignature, parseAuthorization } from '../helpers/sigv4.js';

const credentials = {
  accessKeyId: 'AKIDWIRETEST',
  secretAccessKey: 'wire-test-secret-key',
};

let server: LoopbackServer;
let client: KmsClient;

beforeEach(async () => {
  server = await startLoopbackServer();
  client = new KmsClient({ region: 'eu-west-1', endpoint: server.url, credentials });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

describe('DisconnectCustomKeyStore on the wire', () => {
  it('POSTs the JSON 1.1 request with the exact body and headers', async () => {
    const result = await client.disconnectCustomKeyStore('cks-1234567890abcdef0');

    expect(result).toEqual({
      $metadata: { httpStatusCode: 200, requestId: 'req-ok', attempts: 1, totalRetryDelay: 0 },
    });
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/');
    expect(request.body).toBe('{"CustomKeyStoreId":"cks-1234567890abcdef0"}');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request.headers['x-amz-target']).toBe('TrentService.DisconnectCustomKeyStore');
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
    expect(request.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(request.headers['user-agent']).toMatch(
      new RegExp(`^kms-custom-key-store/${VERSION.replace(/\./g, '\\.')} node/v\\d+`),
    );
    expect(request.headers['x-amz-security-token']).toBeUndefined();
  });

  it('accepts { customKeyStoreId } as input', async () => {
    await client.disconnectCustomKeyStore({ customKeyStoreId: 'cks-object-form' });
    expect(server.requests[0]!.body).toBe('{"CustomKeyStoreId":"cks-object-form"}');
  });

  it('signs with SigV4 for kms in the region, and the signature verifies independently', async () => {
    const before = Date.now();
    await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
    const request = server.requests[0]!;
    const auth = parseAuthorization(request.headers.authorization);

    expect(auth.accessKeyId).toBe('AKIDWIRETEST');
    expect(auth.region).toBe('eu-west-1');
    expect(auth.service).toBe('kms');
    expect(auth.signedHeaders).toEqual(
      expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-target']),
    );
    const amzDate = String(request.headers['x-amz-date']);
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    expect(amzDate.slice(0, 8)).toBe(auth.date);
    const signedAt = Date.parse(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    expect(Math.abs(signedAt - before)).toBeLessThan(60_000);
    expect(auth.signature).toBe(expectedSignature(request, credentials.secretAccessKey));
    // A different secret gives a different signature: the check above can fail.
    expect(auth.signature).not.toBe(expectedSignature(request, 'another-secret'));
  });

  it('signer: "smithy" signs with @smithy/signature-v4, the same bytes, verified independently', async () => {
    const smithy = new KmsClient({
      region: 'eu-west-1',
      endpoint: server.url,
      credentials: async () => ({ ...credentials, sessionToken: 'smithy-session' }),
      signer: 'smithy',
    });
    // The wire bytes are the same either way, so watch smithy's signer to see it did the work.
    const smithySign = vi.spyOn(SignatureV4.prototype, 'sign');
    await smithy.disconnectCustomKeyStore('cks-1234567890abcdef0');
    await smithy.close();
    expect(smithySign).toHaveBeenCalledTimes(1);
    smithySign.mockRestore();
    const request = server.requests[0]!;
    expect(request.headers['x-amz-security-token']).toBe('smithy-session');
    expect(parseAuthorization(request.headers.authorization).signature).toBe(
      expectedSignature(request, credentials.secretAccessKey),
    );
  });

  it.each([
    ['/some/prefix', '/some/prefix'],
    ['/some/prefix/', '/some/prefix/'],
    ['/a%20b/c(1)/', '/a%20b/c(1)/'],
    ['//double//slash', '//double//slash'],
  ])(
    'an endpoint with the path %s: sends to and signs that path, whichever signer',
    async (path, sent) => {
      for (const signer of ['node', 'smithy'] as const) {
        const prefixed = new KmsClient({
          region: 'eu-west-1',
          endpoint: `${server.url}${path}`,
          credentials: { ...credentials, sessionToken: 'path-session' },
          signer,
        });
        await prefixed.disconnectCustomKeyStore('cks-1234567890abcdef0');
        await prefixed.close();
      }
      expect(server.requests).toHaveLength(2);
      for (const request of server.requests) {
        expect(request.url).toBe(sent);
        expect(parseAuthorization(request.headers.authorization).signature).toBe(
          expectedSignature(request, credentials.secretAccessKey),
        );
      }
    },
  );

  it('refuses an unknown signer', () => {
    expect(() => new KmsClient({ credentials, signer: 'openssl' as unknown as 'node' })).toThrow(
      /signer must be "node" or "smithy"/,
    );
  });

  it('sends and signs X-Amz-Security-Token with session credentials', async () => {
    const session = new KmsClient({
      region: 'us-west-2',
      endpoint: server.url,
      credentials: async () => ({ ...credentials, sessionToken: 'session/token+value==' }),
    });
    await session.disconnectCustomKeyStore('cks-1');
    await session.close();
    const request = server.requests[0]!;
    expect(request.headers['x-amz-security-token']).toBe('session/token+value==');
    const auth = parseAuthorization(request.headers.authorization);
    expect(auth.signedHeaders).toContain('x-amz-security-token');
    expect(auth.region).toBe('us-west-2');
    expect(auth.signature).toBe(expectedSignature(request, credentials.secretAccessKey));
  });

  it('puts quotes, backslashes and unicode in the JSON body escaped, never in a header or the URL', async () => {
    const id = 'a"b\\c\u00e9\u{1F511}\n<x>';
    await client.disconnectCustomKeyStore(id);
    const request = server.requests[0]!;
    expect(request.body).toBe(JSON.stringify({ CustomKeyStoreId: id }));
    expect(JSON.parse(request.body)).toEqual({ CustomKeyStoreId: id });
    expect(request.url).toBe('/');
    for (const value of Object.values(request.headers)) {
      expect(String(value)).not.toContain('\u00e9');
      expect(String(value)).not.toContain('a"b');
    }
    expect(parseAuthorization(request.headers.authorization).signature).toBe(
      expectedSignature(request, credentials.secretAccessKey),
    );
  });

  it('reuses keep-alive connections for sequential calls', async () => {
    for (let i = 0; i < 10; i++) await client.disconnectCustomKeyStore(`cks-${i}`);
    expect(server.requests).toHaveLength(10);
    // undici's pool may open a second socket while the first is being released; never more.
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('ConnectCustomKeyStore is the same request with its own target', async () => {
    await client.connectCustomKeyStore('cks-connect');
    expect(server.requests[0]!.headers['x-amz-target']).toBe('TrentService.ConnectCustomKeyStore');
    expect(server.requests[0]!.body).toBe('{"CustomKeyStoreId":"cks-connect"}');
  });
});

describe('configuration from the environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('takes region, endpoint and credentials from AWS_* variables', async () => {
    process.env.AWS_REGION = 'ap-southeast-2';
    process.env.AWS_ENDPOINT_URL_KMS = server.url;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    process.env.AWS_SESSION_TOKEN = 'env-token';
    const fromEnv = new KmsClient();
    await fromEnv.disconnectCustomKeyStore('cks-env');
    await fromEnv.close();
    const request = server.requests[0]!;
    const auth = parseAuthorization(request.headers.authorization);
    expect(auth.region).toBe('ap-southeast-2');
    expect(auth.accessKeyId).toBe('AKIDFROMENV');
    expect(request.headers['x-amz-security-token']).toBe('env-token');
    expect(auth.signature).toBe(expectedSignature(request, 'env-secret'));
  });

  it('falls back to AWS_DEFAULT_REGION and AWS_ENDPOINT_URL', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_ENDPOINT_URL_KMS;
    process.env.AWS_DEFAULT_REGION = 'ca-central-1';
    process.env.AWS_ENDPOINT_URL = server.url;
    const fromEnv = new KmsClient({ credentials });
    await fromEnv.disconnectCustomKeyStore('cks-env');
    await fromEnv.close();
    expect(parseAuthorization(server.requests[0]!.headers.authorization).region).toBe(
      'ca-central-1',
    );
  });
});

describe('package metadata', () => {
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
