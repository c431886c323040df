/**
 * The software XKS proxy as a proxy operator (and i24's emulator) sees it: defaults, both
 * credentials of a rotation, the 5-minute window, every error of the specification with its
 * status, GET -> 405, unknown path -> 404, AES-256-GCM with AAD bound, and each fault.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startXksProxy,
  type XksProxy,
  type XksProxyOptions,
  xksProxyCredentials,
} from '../../src/emulator/index.js';
import {
  XksClient,
  type XksRawResponse,
  xksErrorNames,
  xksErrorStatus,
} from '../../src/xks/index.js';

const proxies: XksProxy[] = [];
const clients: XksClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

async function start(options: XksProxyOptions = {}): Promise<XksProxy> {
  const proxy = await startXksProxy(options);
  proxies.push(proxy);
  return proxy;
}

function clientFor(proxy: XksProxy, credential = 0, timeoutMs = 5000): XksClient {
  const client = new XksClient({
    uriEndpoint: proxy.url,
    uriPath: proxy.uriPath,
    region: proxy.region,
    credentials: proxy.credentials[credential]!,
    timeoutMs,
    ...(proxy.ca && { ca: proxy.ca }),
    connectTo: proxy.connectTo,
  });
  clients.push(client);
  return client;
}

const health = (kmsOperation = 'KmsHealthCheck') =>
  JSON.stringify({ requestMetadata: { kmsOperation, kmsRequestId: 'r-1' } });

function errorOf(response: XksRawResponse): {
  status: number;
  errorName: unknown;
  errorMessage: unknown;
} {
  const body = JSON.parse(response.body) as { errorName?: unknown; errorMessage?: unknown };
  return { status: response.status, errorName: body.errorName, errorMessage: body.errorMessage };
}

describe('startXksProxy()', () => {
  it('runs with every default: https on localhost, /example/kms/xks/v1, two credentials, its own CA', async () => {
    const proxy = await start();
    expect(proxy.url).toBe(`https://localhost:${proxy.port}`);
    expect(proxy.uriPath).toBe('/example/kms/xks/v1');
    expect(proxy.region).toBe('us-east-1');
    expect(proxy.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(proxy.credentials).toEqual(xksProxyCredentials);
    expect(proxy.keys.map((key) => [key.id, key.keyStatus])).toEqual([
      ['xks-key-1', 'ENABLED'],
      ['xks-key-disabled', 'DISABLED'],
    ]);
    const answer = await clientFor(proxy).getHealthStatus();
    expect(answer.ekmFleetDetails[0]!.healthStatus).toBe('ACTIVE');
    expect(proxy.requests.at(-1)).toMatchObject({
      operation: 'GetHealthStatus',
      status: 200,
      accessKeyId: xksProxyCredentials[0]!.accessKeyId,
      kmsOperation: 'KmsHealthCheck',
    });
  });

  it('accepts both credentials of a rotation at once', async () => {
    const proxy = await start();
    await clientFor(proxy, 0).getHealthStatus();
    await clientFor(proxy, 1).getHealthStatus();
    expect(proxy.requests.map((request) => request.accessKeyId)).toEqual(
      xksProxyCredentials.map((credential) => credential.accessKeyId),
    );
  });

  it('refuses, with 401 AuthenticationFailedException: unsigned, wrong secret, service, region, and more than 5 minutes of skew', async () => {
    const proxy = await start({ tls: false });
    const client = clientFor(proxy);
    const path = `${proxy.uriPath}/health`;
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    for (const sign of [
      false as const,
      { credentials: { ...proxy.credentials[0]!, rawSecretAccessKey: 'x'.repeat(44) } },
      {
        credentials: { accessKeyId: 'UNKNOWNUNKNOWNUNKNOWN2', rawSecretAccessKey: 'x'.repeat(44) },
      },
      { service: 'kms' },
      { region: 'eu-west-1' },
      { date: minutes(-6) },
      { date: minutes(6) },
    ]) {
      const response = await client.raw({ path, body: health(), sign });
      expect(errorOf(response)).toMatchObject({
        status: 401,
        errorName: 'AuthenticationFailedException',
      });
      expect(String(errorOf(response).errorMessage)).toMatch(/^[\x20-\x7e]{1,511}$/);
    }
    for (const date of [minutes(-4), minutes(4)]) {
      expect((await client.raw({ path, body: health(), sign: { date } })).status).toBe(200);
    }
  });

  it('GET -> 405 with Allow: POST; an unknown path -> 404 InvalidUriPathException; other prefix too', async () => {
    const proxy = await start({ tls: false, uriPathPrefix: '/tenant-a' });
    const client = clientFor(proxy);
    const get = await client.raw({ method: 'GET', path: `${proxy.uriPath}/health` });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    for (const path of [
      `${proxy.uriPath}/nothing`,
      '/tenant-b/kms/xks/v1/health',
      `${proxy.uriPath}/keys/xks-key-1/sign`,
      `${proxy.uriPath}/keys/xks-key-1`,
      `${proxy.uriPath}/keys/%E0%A4%A/metadata`,
    ]) {
      const response = await client.raw({ path, body: health() });
      expect(errorOf(response)).toMatchObject({
        status: 404,
        errorName: 'InvalidUriPathException',
      });
      expect(response.headers['content-type']).toBe('application/json');
    }
  });

  it('encrypts with AES-256-GCM, binds the AAD, gives a correct CDIV, refuses tampering', async () => {
    const proxy = await start();
    const client = clientFor(proxy);
    const aad = Buffer.from('context');
    const plaintext = Buffer.alloc(4300, 7);
    const encrypted = await client.encrypt('xks-key-1', {
      plaintext,
      additionalAuthenticatedData: Buffer.alloc(8192, 1),
      ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
    });
    expect(encrypted.ciphertext).toHaveLength(4300);
    expect(encrypted.ciphertextDataIntegrityValue).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const small = await client.encrypt('xks-key-1', {
      plaintext: Buffer.from('hi'),
      additionalAuthenticatedData: aad,
    });
    const parts = {
      ciphertext: small.ciphertext,
      initializationVector: small.initializationVector,
      authenticationTag: small.authenticationTag,
    };
    const back = await client.decrypt('xks-key-1', { ...parts, additionalAuthenticatedData: aad });
    expect(Buffer.from(back.plaintext).toString()).toBe('hi');
    // Without the AAD, with metadata added, with the AAD moved into metadata: all refused.
    for (const changed of [
      parts,
      { ...parts, additionalAuthenticatedData: aad, ciphertextMetadata: Buffer.from('v1') },
      { ...parts, ciphertextMetadata: aad },
    ]) {
      await expect(client.decrypt('xks-key-1', changed)).rejects.toMatchObject({
        errorName: 'InvalidCiphertextException',
        status: 400,
      });
    }
  });

  it('key errors: unknown 404, disabled 400 InvalidStateException, wrong usage InvalidKeyUsageException, bad body ValidationException, policy 403', async () => {
    const proxy = await start({
      tls: false,
      keys: [
        { id: 'enabled' },
        { id: 'disabled', keyStatus: 'DISABLED' },
        { id: 'encrypt-only', keyUsage: ['ENCRYPT'] },
        { id: 'forbidden' },
      ],
      authorize: (request) => request.externalKeyId !== 'forbidden',
    });
    const client = clientFor(proxy);
    const nothing = { plaintext: Buffer.from('x') };
    await expect(client.getKeyMetadata('missing')).rejects.toMatchObject({
      status: 404,
      name: 'KeyNotFoundException',
    });
    await expect(client.encrypt('disabled', nothing)).rejects.toMatchObject({
      status: 400,
      name: 'InvalidStateException',
    });
    expect((await client.getKeyMetadata('disabled')).keyStatus).toBe('DISABLED');
    const sealed = await client.encrypt('encrypt-only', nothing);
    await expect(client.decrypt('encrypt-only', sealed)).rejects.toMatchObject({
      status: 400,
      name: 'InvalidKeyUsageException',
    });
    await expect(client.getKeyMetadata('forbidden')).rejects.toMatchObject({
      status: 403,
      name: 'AccessDeniedException',
    });
    // Health is never subject to the policy.
    await client.getHealthStatus();
    for (const body of [
      'not json',
      JSON.stringify({ plaintext: 'eA==', encryptionAlgorithm: 'AES_GCM' }),
      JSON.stringify({
        requestMetadata: { kmsOperation: 'Encrypt', kmsRequestId: 'r' },
        plaintext: 'eA',
        encryptionAlgorithm: 'AES_GCM',
      }),
      JSON.stringify({
        requestMetadata: { kmsOperation: 'Encrypt', kmsRequestId: 'r' },
        plaintext: 'eA==',
        encryptionAlgorithm: 'AES_CBC',
      }),
      JSON.stringify({
        requestMetadata: { kmsOperation: 'Encrypt', kmsRequestId: 'r' },
        plaintext: 'eA==',
        encryptionAlgorithm: 'AES_GCM',
        ciphertextDataIntegrityValueAlgorithm: 'MD5',
      }),
    ]) {
      const response = await client.raw({ path: `${proxy.uriPath}/keys/enabled/encrypt`, body });
      expect(errorOf(response)).toMatchObject({ status: 400, errorName: 'ValidationException' });
    }
    // An unknown kmsOperation is accepted.
    const future = await client.encrypt('enabled', {
      ...nothing,
      requestMetadata: { kmsOperation: 'BulkEncrypt' },
    });
    expect(future.ciphertext).toHaveLength(1);
  });

  it('answers every error of the specification with its status (fault `error`)', async () => {
    const proxy = await start({ tls: false });
    const client = clientFor(proxy);
    for (const errorName of xksErrorNames) {
      proxy.setFaults({ error: { errorName } });
      const response = await client.raw({ path: `${proxy.uriPath}/health`, body: health() });
      expect(errorOf(response)).toMatchObject({ status: xksErrorStatus[errorName], errorName });
    }
    proxy.setFaults();
    expect((await client.raw({ path: `${proxy.uriPath}/health`, body: health() })).status).toBe(
      200,
    );
  });

  it('faults: latency, malformed bodies, ekm UNAVAILABLE, authentication off', async () => {
    const proxy = await start({ tls: false });
    proxy.setFaults({ latencyMs: 400 });
    await expect(clientFor(proxy, 0, 250).getHealthStatus()).rejects.toMatchObject({
      name: 'XksTimeoutError',
    });
    const client = clientFor(proxy);
    proxy.setFaults({ malformed: 'not-json' });
    await expect(client.getHealthStatus()).rejects.toMatchObject({ reason: 'malformed' });
    proxy.setFaults({ malformed: 'zero-fleet' });
    await expect(client.getHealthStatus()).rejects.toThrow(/xksProxyFleetSize/);
    proxy.setFaults({ malformed: 'bad-cdiv' });
    await expect(
      client.encrypt('xks-key-1', {
        plaintext: Buffer.from('x'),
        ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
      }),
    ).rejects.toMatchObject({ reason: 'cdiv-mismatch' });
    proxy.setFaults({ ekmUnavailable: true });
    expect((await client.getHealthStatus()).ekmFleetDetails.map((ekm) => ekm.healthStatus)).toEqual(
      ['UNAVAILABLE'],
    );
    await expect(
      client.encrypt('xks-key-1', { plaintext: Buffer.from('x') }),
    ).rejects.toMatchObject({
      status: 500,
      name: 'InternalException',
    });
    proxy.setFaults({ skipAuthentication: true });
    expect(
      (await client.raw({ path: `${proxy.uriPath}/health`, body: health(), sign: false })).status,
    ).toBe(200);
  });

  it('certificate faults: expired, then wrong host, then valid again, on the running proxy', async () => {
    const proxy = await start({ hostname: 'xks.example.com' });
    const codes: (string | undefined)[] = [];
    for (const certificate of ['expired', 'wrong-host', undefined] as const) {
      proxy.setFaults({ certificate });
      // A new client: a kept-alive connection would keep the old certificate.
      const client = clientFor(proxy);
      codes.push(
        await client.getHealthStatus().then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        ),
      );
    }
    expect(codes).toEqual(['CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ok']);
  });

  it('refuses bad options', async () => {
    await expect(startXksProxy({ uriPathPrefix: 'no-slash' })).rejects.toThrow(TypeError);
    await expect(startXksProxy({ keys: [{ id: 'a/b' }] })).rejects.toThrow(TypeError);
    await expect(startXksProxy({ credentials: [] })).rejects.toThrow(TypeError);
    await expect(startXksProxy({ tls: { cert: 'x' } })).rejects.toThrow(TypeError);
  });
});

describe('the emulator entry stays independent of the client', () => {
  it('no file under src/emulator (the software XKS proxy included) imports from outside it', () => {
    const root = new URL('../../src/emulator/', import.meta.url).pathname;
    const outside: string[] = [];
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    expect(files).toContain(join('xks-proxy', 'index.ts'));
    for (const file of files) {
      const source = readFileSync(join(root, file), 'utf8');
      for (const [, specifier] of source.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
        const target = resolve(dirname(join(root, file)), specifier!);
        if (relative(root, target).startsWith('..')) outside.push(`${file}: ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
