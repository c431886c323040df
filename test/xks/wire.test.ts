/**
 * The XKS client on the wire, against a loopback server that records each request and answers
 * with the specification's own examples (XKS Proxy API v1.0.3): paths, method, headers, the SigV4
 * scope and signed headers (recomputed independently), bodies field for field, the CDIV of the
 * worked example, every errorName as its class, and the failures KMS would see.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmsConfigError, KmsValidationError } from '../../src/errors.js';
import {
  kmsConnectionErrorCode,
  XksClient,
  XksInvalidCiphertextException,
  XksInvalidResponseError,
  XksKeyNotFoundException,
  XksNetworkError,
  XksProxyError,
  XksTimeoutError,
  xksErrorNames,
  xksErrorStatus,
} from '../../src/xks/index.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { expectedSignature, parseAuthorization } from '../helpers/sigv4.js';

// The credential of the specification's configuration file example.
const credentials = {
  accessKeyId: 'AKIAI2SFODNN7EXAMPLE',
  rawSecretAccessKey: 'FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE',
};
const uriPath = '/keystores/4a0d79d6-1d1b-49fd-9dbe-799cb9c0fb3f/kms/xks/v1';

// The specification's examples.
const specEncryptResponse = {
  authenticationTag: 'vBxN2ncH1oEkR8WVXpmyYQ==',
  ciphertext: 'ghxkK1txeDNn3q8Y',
  ciphertextDataIntegrityValue: 'qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=',
  ciphertextMetadata: 'a2V5X3ZlcnNpb249MQ==',
  initializationVector: 'HMrlRw85cAJUd5Ax',
};
const specHealthResponse = {
  xksProxyFleetSize: 2,
  xksProxyVendor: 'Acme Corp',
  xksProxyModel: 'Acme XKS Proxy 1.0',
  ekmVendor: 'Thales Group',
  ekmFleetDetails: [
    { id: 'hsm-id-1', model: 'Luna 5.0', healthStatus: 'DEGRADED' },
    { id: 'hsm-id-2', model: 'Luna 5.1', healthStatus: 'ACTIVE' },
  ],
};
const aliceMetadata = {
  awsPrincipalArn: 'arn:aws:iam::123456789012:user/Alice',
  kmsKeyArn: 'arn:aws:kms:us-east-2:123456789012:/key/1234abcd-12ab-34cd-56ef-1234567890ab',
  kmsViaService: 'ebs',
};
const aad = Buffer.from('project=nile,department=marketing');

let server: LoopbackServer;
let client: XksClient;

function answer(status: number, body: unknown): void {
  server.handle((_request, response) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(text);
  });
}

beforeEach(async () => {
  server = await startLoopbackServer();
  client = new XksClient({
    uriEndpoint: server.url,
    uriPath,
    region: 'us-east-2',
    credentials,
    // Generous on a loaded machine; the 250 ms default has its own test.
    timeoutMs: 5000,
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

function expectSignedAsKms(index = 0): void {
  const request = server.requests[index]!;
  expect(request.method).toBe('POST');
  expect(request.headers['content-type']).toBe('application/json');
  const auth = parseAuthorization(request.headers.authorization);
  expect(auth.accessKeyId).toBe(credentials.accessKeyId);
  expect(auth.region).toBe('us-east-2');
  expect(auth.service).toBe('kms-xks-proxy');
  expect(auth.date).toBe(String(request.headers['x-amz-date']).slice(0, 8));
  // Appendix A: SignedHeaders=host;x-amz-date, as KMS signs over HTTP/1.1.
  expect(auth.signedHeaders).toEqual(['host', 'x-amz-date']);
  expect(request.headers.host).toBe(new URL(server.url).host);
  expect(auth.signature).toBe(expectedSignature(request, credentials.rawSecretAccessKey));
}

describe('XKS requests on the wire, against the specification examples', () => {
  it('GetHealthStatus: POST {uriPath}/health with the requestMetadata, parsed answer', async () => {
    answer(200, specHealthResponse);
    const health = await client.getHealthStatus({
      requestMetadata: {
        kmsRequestId: '4112f4d6-db54-4af4-ae30-c55a22a8dfae',
        kmsOperation: 'CreateCustomKeyStore',
      },
    });
    expect(server.requests[0]!.url).toBe(`${uriPath}/health`);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      requestMetadata: {
        kmsRequestId: '4112f4d6-db54-4af4-ae30-c55a22a8dfae',
        kmsOperation: 'CreateCustomKeyStore',
      },
    });
    expectSignedAsKms();
    const { $response, ...output } = health;
    expect(output).toEqual(specHealthResponse);
    expect($response.status).toBe(200);
  });

  it('GetHealthStatus by default: KmsHealthCheck and a fresh request ID each call', async () => {
    answer(200, specHealthResponse);
    await client.getHealthStatus();
    await client.getHealthStatus();
    const [first, second] = server.requests.map((request) => JSON.parse(request.body));
    expect(first.requestMetadata.kmsOperation).toBe('KmsHealthCheck');
    expect(first.requestMetadata.kmsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.requestMetadata.kmsRequestId).not.toBe(first.requestMetadata.kmsRequestId);
  });

  it('GetKeyMetadata: POST {uriPath}/keys/{id}/metadata', async () => {
    answer(200, { keySpec: 'AES_256', keyUsage: ['ENCRYPT', 'DECRYPT'], keyStatus: 'ENABLED' });
    const metadata = await client.getKeyMetadata('b42c7fbf-de61-441c-ae24-123456789012', {
      requestMetadata: {
        awsPrincipalArn: 'arn:aws:iam::123456789012:user/Alice',
        kmsOperation: 'CreateKey',
        kmsRequestId: '4112f4d6-db54-4af4-ae30-c55a22a8dfae',
      },
    });
    expect(server.requests[0]!.url).toBe(
      `${uriPath}/keys/b42c7fbf-de61-441c-ae24-123456789012/metadata`,
    );
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      requestMetadata: {
        awsPrincipalArn: 'arn:aws:iam::123456789012:user/Alice',
        kmsOperation: 'CreateKey',
        kmsRequestId: '4112f4d6-db54-4af4-ae30-c55a22a8dfae',
      },
    });
    expectSignedAsKms();
    expect(metadata.keyUsage).toEqual(['ENCRYPT', 'DECRYPT']);
  });

  it('Encrypt: the example body (standard Base64), and the example answer with its CDIV verified', async () => {
    answer(200, specEncryptResponse);
    const encrypted = await client.encrypt('1234abcd', {
      plaintext: Buffer.from('Hello World!'),
      additionalAuthenticatedData: aad,
      ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
      requestMetadata: {
        ...aliceMetadata,
        kmsOperation: 'Encrypt',
        kmsRequestId: '4112f4d6-db54-4af4-ae30-c55a22a8dfae',
      },
    });
    expect(server.requests[0]!.url).toBe(`${uriPath}/keys/1234abcd/encrypt`);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      requestMetadata: {
        ...aliceMetadata,
        kmsOperation: 'Encrypt',
        kmsRequestId: '4112f4d6-db54-4af4-ae30-c55a22a8dfae',
      },
      additionalAuthenticatedData: 'cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n',
      plaintext: 'SGVsbG8gV29ybGQh',
      encryptionAlgorithm: 'AES_GCM',
      ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
    });
    expectSignedAsKms();
    expect(Buffer.from(encrypted.ciphertext).toString('base64')).toBe('ghxkK1txeDNn3q8Y');
    expect(Buffer.from(encrypted.ciphertextMetadata!).toString()).toBe('key_version=1');
    expect(encrypted.initializationVector).toHaveLength(12);
    expect(encrypted.authenticationTag).toHaveLength(16);
    expect(encrypted.ciphertextDataIntegrityValue).toBe(
      specEncryptResponse.ciphertextDataIntegrityValue,
    );
  });

  it('Encrypt: a CDIV that does not match (here: no AAD given, so another hash) is refused', async () => {
    answer(200, specEncryptResponse);
    const error = await client
      .encrypt('1234abcd', {
        plaintext: Buffer.from('Hello World!'),
        ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
      })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(XksInvalidResponseError);
    expect((error as XksInvalidResponseError).reason).toBe('cdiv-mismatch');
    expect(kmsConnectionErrorCode(error)).toBe('XKS_PROXY_INVALID_RESPONSE');
  });

  it('Encrypt: a CDIV asked for and missing is refused; not asked for, none is needed', async () => {
    const { ciphertextDataIntegrityValue: _cdiv, ...withoutCdiv } = specEncryptResponse;
    answer(200, withoutCdiv);
    await expect(
      client.encrypt('k', {
        plaintext: Buffer.from('Hello World!'),
        ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
      }),
    ).rejects.toMatchObject({ reason: 'cdiv-mismatch' });
    const plain = await client.encrypt('k', { plaintext: Buffer.from('Hello World!') });
    expect(plain.ciphertextDataIntegrityValue).toBeUndefined();
    expect(JSON.parse(server.requests[1]!.body)).not.toHaveProperty(
      'ciphertextDataIntegrityValueAlgorithm',
    );
  });

  it('Encrypt: answers KMS would reject (sizes, URL-safe Base64) are XksInvalidResponseError', async () => {
    for (const spoiled of [
      { ...specEncryptResponse, authenticationTag: Buffer.alloc(12).toString('base64') },
      { ...specEncryptResponse, initializationVector: Buffer.alloc(8).toString('base64') },
      { ...specEncryptResponse, ciphertext: Buffer.alloc(5).toString('base64') },
      { ...specEncryptResponse, ciphertextMetadata: Buffer.alloc(21).toString('base64') },
      { ...specEncryptResponse, authenticationTag: 'vBxN2ncH1oEkR8WVXpmyYQ' },
      {
        ...specEncryptResponse,
        ciphertext: Buffer.from('Hello World!\xfb\xff').toString('base64url'),
      },
    ]) {
      answer(200, spoiled);
      await expect(
        client.encrypt('k', { plaintext: Buffer.from('Hello World!') }),
      ).rejects.toMatchObject({
        name: 'XksInvalidResponseError',
        reason: 'malformed',
        status: 200,
      });
    }
  });

  it('Decrypt: the example body and answer', async () => {
    answer(200, { plaintext: 'SGVsbG8gV29ybGQh' });
    const decrypted = await client.decrypt('1234abcd', {
      additionalAuthenticatedData: aad,
      ciphertext: Buffer.from('ghxkK1txeDNn3q8Y', 'base64'),
      ciphertextMetadata: Buffer.from('a2V5X3ZlcnNpb249MQ==', 'base64'),
      initializationVector: Buffer.from('HMrlRw85cAJUd5Ax', 'base64'),
      authenticationTag: Buffer.from('vBxN2ncH1oEkR8WVXpmyYQ==', 'base64'),
      requestMetadata: {
        ...aliceMetadata,
        kmsOperation: 'Decrypt',
        kmsRequestId: '5112f4d6-db54-4af4-ae30-c55a22a8dfae',
      },
    });
    expect(server.requests[0]!.url).toBe(`${uriPath}/keys/1234abcd/decrypt`);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      requestMetadata: {
        ...aliceMetadata,
        kmsOperation: 'Decrypt',
        kmsRequestId: '5112f4d6-db54-4af4-ae30-c55a22a8dfae',
      },
      additionalAuthenticatedData: 'cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n',
      encryptionAlgorithm: 'AES_GCM',
      ciphertext: 'ghxkK1txeDNn3q8Y',
      ciphertextMetadata: 'a2V5X3ZlcnNpb249MQ==',
      initializationVector: 'HMrlRw85cAJUd5Ax',
      authenticationTag: 'vBxN2ncH1oEkR8WVXpmyYQ==',
    });
    expectSignedAsKms();
    expect(Buffer.from(decrypted.plaintext).toString()).toBe('Hello World!');
  });
});

describe('XKS errors', () => {
  it('every errorName of the specification is its own class, with status and errorMessage', async () => {
    for (const errorName of xksErrorNames) {
      const status = xksErrorStatus[errorName];
      answer(status, { errorName, errorMessage: `about ${errorName}` });
      const error = await client.getKeyMetadata('k').catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(XksProxyError);
      expect(error).toMatchObject({
        name: errorName,
        errorName,
        status,
        errorMessage: `about ${errorName}`,
      });
      expect((error as Error).constructor.name).toBe(`Xks${errorName}`);
    }
  });

  it('the spec example error is XksInvalidCiphertextException; KeyNotFound is XksKeyNotFoundException', async () => {
    answer(400, {
      errorName: 'InvalidCiphertextException',
      errorMessage:
        'The request was rejected because the specified ciphertext, or additional authenticated data is corrupted, missing, or otherwise invalid.',
    });
    await expect(
      client.decrypt('k', {
        ciphertext: Buffer.alloc(4),
        initializationVector: Buffer.alloc(12),
        authenticationTag: Buffer.alloc(16),
      }),
    ).rejects.toBeInstanceOf(XksInvalidCiphertextException);
    answer(404, { errorName: 'KeyNotFoundException' });
    const error = await client.getKeyMetadata('k').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(XksKeyNotFoundException);
    expect((error as XksKeyNotFoundException).errorMessage).toBeUndefined();
  });

  it('names are compared exactly: a wrong case or an unknown name is an invalid response', async () => {
    for (const body of [
      { errorName: 'keynotfoundexception' },
      { errorName: 'KeyNotFound' },
      { message: 'not found' },
      '<html>Not Found</html>',
      '',
    ]) {
      answer(404, body);
      const error = await client.getKeyMetadata('k').catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(XksInvalidResponseError);
      expect((error as XksInvalidResponseError).reason).toBe('unknown-error');
      expect((error as XksInvalidResponseError).status).toBe(404);
      expect(kmsConnectionErrorCode(error)).toBe('XKS_PROXY_INVALID_RESPONSE');
    }
  });

  it('a 200 that is not JSON, or lacks fields, is XksInvalidResponseError', async () => {
    answer(200, '<html>ok</html>');
    await expect(client.getHealthStatus()).rejects.toMatchObject({ reason: 'malformed' });
    answer(200, { ...specHealthResponse, xksProxyFleetSize: 0 });
    await expect(client.getHealthStatus()).rejects.toThrow(/xksProxyFleetSize/);
    answer(200, { ...specHealthResponse, ekmFleetDetails: [] });
    await expect(client.getHealthStatus()).rejects.toThrow(/ekmFleetDetails/);
  });

  it('no answer within 250 ms (the default, as KMS) is XksTimeoutError: XKS_PROXY_TIMED_OUT', async () => {
    server.handle(() => {});
    const kmsLike = new XksClient({
      uriEndpoint: server.url,
      uriPath,
      region: 'us-east-2',
      credentials,
    });
    const started = performance.now();
    const error = await kmsLike.getHealthStatus().catch((thrown: unknown) => thrown);
    await kmsLike.close();
    expect(error).toBeInstanceOf(XksTimeoutError);
    expect((error as XksTimeoutError).timeoutMs).toBe(250);
    expect(kmsConnectionErrorCode(error)).toBe('XKS_PROXY_TIMED_OUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('a refused connection is XksNetworkError stage tcp: XKS_PROXY_NOT_REACHABLE', async () => {
    const port = server.port;
    await server.close();
    const closed = new XksClient({
      uriEndpoint: `http://127.0.0.1:${port}`,
      uriPath: '/kms/xks/v1',
      region: 'us-east-2',
      credentials,
    });
    const error = await closed.getHealthStatus().catch((thrown: unknown) => thrown);
    await closed.close();
    server = await startLoopbackServer();
    expect(error).toBeInstanceOf(XksNetworkError);
    expect(error).toMatchObject({ stage: 'tcp', code: 'ECONNREFUSED' });
    expect(kmsConnectionErrorCode(error)).toBe('XKS_PROXY_NOT_REACHABLE');
  });
});

describe('bad input and settings', () => {
  it('a bad external key ID or input is refused before anything is sent', async () => {
    for (const id of ['', 'a/b', 'key id', 'x'.repeat(129), '../health']) {
      await expect(client.getKeyMetadata(id)).rejects.toBeInstanceOf(KmsValidationError);
    }
    await expect(
      client.encrypt('k', { plaintext: 'text' as unknown as Uint8Array }),
    ).rejects.toBeInstanceOf(KmsValidationError);
    await expect(
      client.decrypt('k', {
        ciphertext: Buffer.alloc(1),
        initializationVector: Buffer.alloc(12),
        authenticationTag: Buffer.alloc(16),
        ciphertextMetadata: Buffer.alloc(21),
      }),
    ).rejects.toBeInstanceOf(KmsValidationError);
    expect(server.requests).toHaveLength(0);
  });

  it('settings KMS would refuse are KmsConfigError', () => {
    const base = {
      uriEndpoint: 'https://xks.example.com',
      uriPath,
      region: 'eu-west-1',
      credentials,
    };
    for (const bad of [
      { uriEndpoint: 'http://xks.example.com' },
      { uriEndpoint: 'https://xks.example.com/path' },
      { uriEndpoint: 'not a url' },
      { uriPath: '/example/kms/xks' },
      { uriPath: '/exa mple/kms/xks/v1' },
      { region: 'EU' },
      { connectTo: { 'xks.example.com': '127.0.0.1:1' } },
      { timeoutMs: 0 },
    ]) {
      expect(() => new XksClient({ ...base, ...bad })).toThrow(KmsConfigError);
    }
  });

  it('the secret is in no JSON, inspect output or error, even when the proxy echoes it', async () => {
    answer(401, {
      errorName: 'AuthenticationFailedException',
      errorMessage: `bad secret ${credentials.rawSecretAccessKey}`,
    });
    const error = await client.getHealthStatus().catch((thrown: unknown) => thrown);
    const texts = [
      JSON.stringify(client),
      inspect(client, { depth: 5, showHidden: true }),
      String((error as Error).message),
      JSON.stringify(error),
      inspect(error, { depth: 5 }),
    ];
    for (const text of texts) expect(text).not.toContain(credentials.rawSecretAccessKey);
    expect((error as XksProxyError).errorMessage).toContain('[redacted]');
  });
});
