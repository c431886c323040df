import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KMSInternalException,
  KmsClient,
  KmsError,
  KmsResponseError,
  KmsServiceException,
} from '../../src/index.js';
import { kmsError, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

let server: LoopbackServer;
let client: KmsClient;

beforeEach(async () => {
  server = await startLoopbackServer();
  client = new KmsClient({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDERR', secretAccessKey: 'err-secret' },
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

async function failure(): Promise<KmsServiceException> {
  const error = await client.disconnectCustomKeyStore('cks-1').then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KmsError);
  expect(error).toBeInstanceOf(KmsServiceException);
  return error as KmsServiceException;
}

describe('modeled errors', () => {
  it('CustomKeyStoreNotFoundException from __type, with message and request ID', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, {
        __type: 'CustomKeyStoreNotFoundException',
        message: 'Custom key store cks-1 not found',
      }),
    );
    const error = await failure();
    expect(error).toBeInstanceOf(CustomKeyStoreNotFoundException);
    expect(error.name).toBe('CustomKeyStoreNotFoundException');
    expect(error.message).toBe('Custom key store cks-1 not found');
    expect(error.$fault).toBe('client');
    expect(error.$retryable).toBeUndefined();
    expect(error.$metadata).toEqual({
      httpStatusCode: 400,
      requestId: 'req-err',
      attempts: 1,
      totalRetryDelay: 0,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('CustomKeyStoreInvalidStateException is a client fault and is not retried', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, { __type: 'CustomKeyStoreInvalidStateException', message: 'bad state' }),
    );
    const error = await failure();
    expect(error).toBeInstanceOf(CustomKeyStoreInvalidStateException);
    expect(error.$fault).toBe('client');
    expect(server.requests).toHaveLength(1);
  });

  it('KMSInternalException is a server fault, retried up to maxAttempts, then thrown', async () => {
    server.handle((_req, res) =>
      kmsError(res, 500, {
        __type:
          'com.amazonaws.kms#KMSInternalException:http://internal.amazon.com/coral/com.amazonaws.kms/',
        message: 'internal',
      }),
    );
    const error = await failure();
    expect(error).toBeInstanceOf(KMSInternalException);
    expect(error.name).toBe('KMSInternalException');
    expect(error.$fault).toBe('server');
    expect(error.$retryable).toEqual({ throttling: false });
    expect(error.$metadata.attempts).toBe(3);
    // Two retries of a server fault, each after a full-jitter delay below 100 and 200 ms.
    expect(error.$metadata.totalRetryDelay).toBeLessThan(300);
    expect(server.requests).toHaveLength(3);
  });
});

describe('where the error code comes from', () => {
  it('X-Amzn-Errortype wins over the body, cleaned of its namespace and URL', async () => {
    server.handle((_req, res) =>
      kmsError(
        res,
        400,
        { __type: 'SomethingElse', code: 'AlsoNot', message: 'from header' },
        {
          'x-amzn-errortype':
            'CustomKeyStoreNotFoundException:http://internal.amazon.com/coral/com.amazonaws.kms/',
        },
      ),
    );
    const error = await failure();
    expect(error).toBeInstanceOf(CustomKeyStoreNotFoundException);
    expect(error.message).toBe('from header');
  });

  it('two X-Amzn-Errortype headers: the first one is the code, as smithy takes it', async () => {
    server.handle((_req, res) => {
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': [
          'CustomKeyStoreNotFoundException',
          'AccessDeniedException:http://internal.amazon.com/coral/com.amazonaws.kms/',
        ],
      });
      res.end('{"message":"two types"}');
    });
    const error = await failure();
    expect(error).toBeInstanceOf(CustomKeyStoreNotFoundException);
    expect(error.name).toBe('CustomKeyStoreNotFoundException');
  });

  it('body `code` wins over `__type`', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, { code: 'CustomKeyStoreInvalidStateException', __type: 'Other' }),
    );
    expect(await failure()).toBeInstanceOf(CustomKeyStoreInvalidStateException);
  });

  it('`__type` with a namespace keeps what is after the last #', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, {
        __type: 'aws.protocoltests.restjson#com.amazonaws.kms#AccessDeniedException',
      }),
    );
    const error = await failure();
    expect(error.name).toBe('AccessDeniedException');
    expect(error.constructor).toBe(KmsServiceException);
  });

  it('a nested __type is not the error code', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, {
        __type: 'CustomKeyStoreNotFoundException',
        detail: { __type: 'CustomKeyStoreInvalidStateException' },
      }),
    );
    expect(await failure()).toBeInstanceOf(CustomKeyStoreNotFoundException);
  });

  it('uses `Message` when `message` is absent, and a description when both are', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, { __type: 'AccessDeniedException', Message: 'capital M' }),
    );
    expect((await failure()).message).toBe('capital M');
    server.handle((_req, res) => kmsError(res, 400, { __type: 'AccessDeniedException' }));
    const error = await failure();
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe('AccessDeniedException (HTTP 400)');
  });

  it('an unmodeled code is a KmsServiceException named after it', async () => {
    server.handle((_req, res) =>
      kmsError(res, 400, { __type: 'UnrecognizedClientException', message: 'bad token' }),
    );
    const error = await failure();
    expect(error.constructor).toBe(KmsServiceException);
    expect(error.name).toBe('UnrecognizedClientException');
    expect(server.requests).toHaveLength(1);
  });
});

describe('bodies that are not KMS JSON', () => {
  it('an empty 400 body still gives a typed error with status and request ID', async () => {
    server.handle((_req, res) => {
      res.writeHead(400, { 'x-amzn-requestid': 'req-empty' });
      res.end();
    });
    const error = await failure();
    expect(error.name).toBe('UnknownError');
    expect(error.message).toBe('HTTP 400 with an empty body, request ID req-empty');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.requestId).toBe('req-empty');
  });

  it('an HTML page from a proxy carries an excerpt, and a 502 is retried', async () => {
    server.handle((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1>\n<p>upstream went away</p></body></html>');
    });
    const error = await failure();
    expect(error.$fault).toBe('server');
    expect(error.$metadata.httpStatusCode).toBe(502);
    expect(error.$metadata.attempts).toBe(3);
    expect(error.bodyExcerpt).toContain('502 Bad Gateway');
    expect(error.message).toContain('HTTP 502');
    expect(error.message).toContain('text/html');
  });

  it('a non-JSON text body on 400 gives a typed error with an excerpt', async () => {
    server.handle((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('not json at all');
    });
    const error = await failure();
    expect(error.bodyExcerpt).toBe('not json at all');
    expect(server.requests).toHaveLength(1);
  });

  it('reads at most 1 MiB of a 5 MiB error body', async () => {
    const page = `<html>${'x'.repeat(5 * 1024 * 1024)}</html>`;
    server.handle((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end(page);
    });
    const error = await failure();
    expect(error.name).toBe('UnknownError');
    expect(error.bodyExcerpt!.length).toBeLessThanOrEqual(201);
    expect(error.message.length).toBeLessThan(400);
  });

  it('a 2xx body that is not JSON is a KmsResponseError', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'x-amzn-requestid': 'req-html' });
      res.end('<html>captive portal</html>');
    });
    const error = await client.disconnectCustomKeyStore('cks-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsResponseError);
    expect((error as KmsResponseError).bodyExcerpt).toBe('<html>captive portal</html>');
    expect((error as KmsResponseError).$metadata.requestId).toBe('req-html');
  });

  it('a 2xx body over 1 MiB is cut off with a KmsResponseError', async () => {
    server.handle((_req, res) => {
      res.writeHead(200);
      res.end(`{"pad":"${'y'.repeat(2 * 1024 * 1024)}"}`);
    });
    const error = await client.disconnectCustomKeyStore('cks-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsResponseError);
    expect((error as Error).message).toMatch(/1 MiB/);
  });

  it('an empty 200 body is a success', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'x-amzn-requestid': 'req-empty-ok' });
      res.end();
    });
    const result = await client.disconnectCustomKeyStore('cks-1');
    expect(result.$metadata.requestId).toBe('req-empty-ok');
  });
});
