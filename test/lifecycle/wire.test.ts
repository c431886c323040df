/**
 * CreateCustomKeyStore, UpdateCustomKeyStore and DeleteCustomKeyStore on the wire, against a
 * loopback fake: the exact body and target, validation before anything is sent (issues name the
 * field), each modeled error typed, and the input's secrets kept out of what is thrown.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudHsmClusterNotRelatedException,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreNameInUseException,
  KmsClient,
  KmsResponseError,
  KmsServiceException,
  KmsValidationError,
  XksProxyIncorrectAuthenticationCredentialException,
} from '../../src/index.js';
import { kmsError, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const proxyKeyId = 'BETA2345BETA2345BETA';
const proxySecret = 'c2VjcmV0LXByb3h5LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=';
const password = 'kmsuser-pw-9';
const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

let server: LoopbackServer;
let client: KmsClient;

beforeEach(async () => {
  server = await startLoopbackServer();
  client = new KmsClient({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDLIFECYCLE', secretAccessKey: 'lifecycle-secret' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

const externalInput = {
  customKeyStoreType: 'EXTERNAL_KEY_STORE',
  customKeyStoreName: 'orders-xks-2',
  xksProxyUriEndpoint: 'https://xks.example.com',
  xksProxyUriPath: '/orders/kms/xks/v1',
  xksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
  xksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0',
  xksProxyVpcEndpointServiceOwner: '111122223333',
  xksProxyAuthenticationCredential: { accessKeyId: proxyKeyId, rawSecretAccessKey: proxySecret },
} as const;

function answer(body: unknown): void {
  server.handle((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': 'req-life',
    });
    response.end(JSON.stringify(body));
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('CreateCustomKeyStore on the wire', () => {
  it('an external key store: the exact body, target, and the new ID', async () => {
    answer({ CustomKeyStoreId: 'cks-0123456789abcdef1' });
    const result = await client.createCustomKeyStore(externalInput);
    expect(result).toEqual({
      customKeyStoreId: 'cks-0123456789abcdef1',
      $metadata: { httpStatusCode: 200, requestId: 'req-life', attempts: 1, totalRetryDelay: 0 },
    });
    const request = server.requests[0]!;
    expect(request.headers['x-amz-target']).toBe('TrentService.CreateCustomKeyStore');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request.body).toBe(
      JSON.stringify({
        CustomKeyStoreName: 'orders-xks-2',
        CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
        XksProxyUriEndpoint: 'https://xks.example.com',
        XksProxyUriPath: '/orders/kms/xks/v1',
        XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0',
        XksProxyVpcEndpointServiceOwner: '111122223333',
        XksProxyAuthenticationCredential: {
          AccessKeyId: proxyKeyId,
          RawSecretAccessKey: proxySecret,
        },
        XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
      }),
    );
  });

  it('a CloudHSM key store (the default type): the exact body', async () => {
    answer({ CustomKeyStoreId: 'cks-abcdef0123456789a' });
    await client.createCustomKeyStore({
      customKeyStoreName: 'payments-hsm-2',
      cloudHsmClusterId: 'cluster-234abcdefgh',
      trustAnchorCertificate: pem,
      keyStorePassword: password,
    });
    expect(server.requests[0]!.body).toBe(
      JSON.stringify({
        CustomKeyStoreName: 'payments-hsm-2',
        CloudHsmClusterId: 'cluster-234abcdefgh',
        TrustAnchorCertificate: pem,
        KeyStorePassword: password,
      }),
    );
  });

  it('a response without a valid CustomKeyStoreId is a KmsResponseError', async () => {
    answer({});
    const error = await rejection(client.createCustomKeyStore(externalInput));
    expect(error).toBeInstanceOf(KmsResponseError);
    expect(error.message).toMatch(/CustomKeyStoreId/);
  });

  it.each([
    [
      'a CloudHSM store without its password',
      {
        customKeyStoreName: 'x',
        cloudHsmClusterId: 'cluster-234abcdefgh',
        trustAnchorCertificate: pem,
      },
      ['keyStorePassword'],
    ],
    [
      'an XKS field on a CloudHSM store',
      {
        customKeyStoreName: 'x',
        cloudHsmClusterId: 'cluster-234abcdefgh',
        trustAnchorCertificate: pem,
        keyStorePassword: password,
        xksProxyUriPath: '/kms/xks/v1',
      },
      ['xksProxyUriPath'],
    ],
    [
      'VPC connectivity without a service name',
      { ...externalInput, xksProxyVpcEndpointServiceName: undefined },
      ['xksProxyVpcEndpointServiceName'],
    ],
    [
      'public connectivity with a service name',
      { ...externalInput, xksProxyConnectivity: 'PUBLIC_ENDPOINT' },
      ['xksProxyVpcEndpointServiceName', 'xksProxyVpcEndpointServiceOwner'],
    ],
    [
      'half a credential',
      { ...externalInput, xksProxyAuthenticationCredential: { accessKeyId: proxyKeyId } },
      ['xksProxyAuthenticationCredential.rawSecretAccessKey'],
    ],
    [
      'an endpoint with a path (the model pattern)',
      { ...externalInput, xksProxyUriEndpoint: 'https://xks.example.com/kms' },
      ['xksProxyUriEndpoint'],
    ],
    [
      'a path that does not end in /kms/xks/vN',
      { ...externalInput, xksProxyUriPath: '/orders/xks/v1' },
      ['xksProxyUriPath'],
    ],
    [
      'an unknown connectivity',
      { ...externalInput, xksProxyConnectivity: 'PRIVATE' },
      ['xksProxyConnectivity'],
    ],
    ['an unknown type', { ...externalInput, customKeyStoreType: 'HSM' }, ['customKeyStoreType']],
    [
      'a cluster ID with an extra prefix (the pattern matches the whole value)',
      {
        customKeyStoreName: 'x',
        cloudHsmClusterId: 'xcluster-234abcdefgh',
        trustAnchorCertificate: pem,
        keyStorePassword: password,
      },
      ['cloudHsmClusterId'],
    ],
    [
      'a short secret (43 characters at least)',
      {
        ...externalInput,
        xksProxyAuthenticationCredential: { accessKeyId: proxyKeyId, rawSecretAccessKey: 'abc' },
      },
      ['xksProxyAuthenticationCredential.rawSecretAccessKey'],
    ],
  ])('refuses %s before sending anything, naming the field', async (_case, input, paths) => {
    const error = await rejection(client.createCustomKeyStore(input as never));
    expect(error).toBeInstanceOf(KmsValidationError);
    const issues = (error as KmsValidationError).issues;
    expect(issues.map((issue) => issue.path.join('.'))).toEqual(expect.arrayContaining(paths));
    expect(server.requests).toHaveLength(0);
    // Never the secret itself, even when it is the value at fault.
    expect(`${error.message} ${inspect(error)} ${JSON.stringify(error)}`).not.toContain("abc'");
    for (const secret of [proxySecret, password]) {
      expect(`${error.message}${inspect(error)}${JSON.stringify(error)}`).not.toContain(secret);
    }
  });
});

describe('UpdateCustomKeyStore on the wire', () => {
  it('sends the ID and only the given properties, in the model order', async () => {
    const result = await client.updateCustomKeyStore({
      customKeyStoreId: 'cks-0123456789abcdef0',
      xksProxyAuthenticationCredential: {
        accessKeyId: proxyKeyId,
        rawSecretAccessKey: proxySecret,
      },
      newCustomKeyStoreName: 'orders-xks-renamed',
      xksProxyUriPath: '/v2/kms/xks/v1',
    });
    expect(result.$metadata.requestId).toBe('req-ok');
    const request = server.requests[0]!;
    expect(request.headers['x-amz-target']).toBe('TrentService.UpdateCustomKeyStore');
    expect(request.body).toBe(
      JSON.stringify({
        CustomKeyStoreId: 'cks-0123456789abcdef0',
        NewCustomKeyStoreName: 'orders-xks-renamed',
        XksProxyUriPath: '/v2/kms/xks/v1',
        XksProxyAuthenticationCredential: {
          AccessKeyId: proxyKeyId,
          RawSecretAccessKey: proxySecret,
        },
      }),
    );
  });

  it('a CloudHSM password change', async () => {
    await client.updateCustomKeyStore({
      customKeyStoreId: 'cks-1a2b3c4d5e6f70819',
      keyStorePassword: password,
    });
    expect(server.requests[0]!.body).toBe(
      `{"CustomKeyStoreId":"cks-1a2b3c4d5e6f70819","KeyStorePassword":"${password}"}`,
    );
  });

  it.each([
    ['nothing to change', { customKeyStoreId: 'cks-1' }, ''],
    [
      'CloudHSM and XKS fields together',
      { customKeyStoreId: 'cks-1', keyStorePassword: password, xksProxyUriPath: '/kms/xks/v1' },
      'xksProxyUriPath',
    ],
    [
      'VPC connectivity without a service name',
      { customKeyStoreId: 'cks-1', xksProxyConnectivity: 'VPC_ENDPOINT_SERVICE' },
      'xksProxyVpcEndpointServiceName',
    ],
    [
      'a short password',
      { customKeyStoreId: 'cks-1', keyStorePassword: 'short' },
      'keyStorePassword',
    ],
    ['an unknown field', { customKeyStoreId: 'cks-1', customKeyStoreName: 'x' }, ''],
    ['a missing ID', { newCustomKeyStoreName: 'x' }, 'customKeyStoreId'],
  ])('refuses %s before sending anything', async (_case, input, path) => {
    const error = await rejection(client.updateCustomKeyStore(input as never));
    expect(error).toBeInstanceOf(KmsValidationError);
    expect((error as KmsValidationError).issues.map((issue) => issue.path.join('.'))).toContain(
      path,
    );
    expect(error.message).not.toContain('short');
    expect(server.requests).toHaveLength(0);
  });
});

describe('DeleteCustomKeyStore on the wire', () => {
  it('sends the ID, as a string or { customKeyStoreId }', async () => {
    await client.deleteCustomKeyStore('cks-0123456789abcdef0');
    await client.deleteCustomKeyStore({ customKeyStoreId: 'cks-0123456789abcdef1' });
    expect(server.requests.map((request) => request.headers['x-amz-target'])).toEqual([
      'TrentService.DeleteCustomKeyStore',
      'TrentService.DeleteCustomKeyStore',
    ]);
    expect(server.requests.map((request) => request.body)).toEqual([
      '{"CustomKeyStoreId":"cks-0123456789abcdef0"}',
      '{"CustomKeyStoreId":"cks-0123456789abcdef1"}',
    ]);
  });

  it('refuses an empty ID before sending anything', async () => {
    await expect(client.deleteCustomKeyStore('')).rejects.toBeInstanceOf(KmsValidationError);
    expect(server.requests).toHaveLength(0);
  });

  it('CustomKeyStoreHasCMKsException is typed and not retried', async () => {
    server.handle((_request, response) =>
      kmsError(response, 400, { __type: 'CustomKeyStoreHasCMKsException', message: 'has keys' }),
    );
    const error = await rejection(client.deleteCustomKeyStore('cks-1'));
    expect(error).toBeInstanceOf(CustomKeyStoreHasCMKsException);
    expect(error).toBeInstanceOf(KmsServiceException);
    expect(error.name).toBe('CustomKeyStoreHasCMKsException');
  });
});

describe('secrets a server echoes back', () => {
  it('are redacted from the message, the name, the request ID and the excerpt of an error', async () => {
    server.handle((_request, response) =>
      kmsError(
        response,
        400,
        {
          __type: 'XksProxyIncorrectAuthenticationCredentialException',
          message: `Proxy refused credential ${proxyKeyId}:${proxySecret} (escaped ${proxySecret.replace(/\//g, '\\/')})`,
        },
        { 'x-amzn-requestid': `req-${proxyKeyId}` },
      ),
    );
    const error = await rejection(
      client.updateCustomKeyStore({
        customKeyStoreId: 'cks-1',
        xksProxyAuthenticationCredential: {
          accessKeyId: proxyKeyId,
          rawSecretAccessKey: proxySecret,
        },
      }),
    );
    expect(error).toBeInstanceOf(XksProxyIncorrectAuthenticationCredentialException);
    const everything = `${error.message} ${inspect(error, { depth: 10 })} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(proxyKeyId);
    expect(everything).not.toContain(proxySecret);
    expect(error.message).toContain('[redacted]');
  });

  it('a CloudHSM password in a message or a non-JSON body is redacted, however short', async () => {
    server.handle((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html', 'x-amzn-requestid': 'r' });
      response.end(`<html>bad gateway for KeyStorePassword=${password}</html>`);
    });
    const error = await rejection(
      client.updateCustomKeyStore({ customKeyStoreId: 'cks-1', keyStorePassword: password }),
    );
    expect(error).toBeInstanceOf(KmsServiceException);
    expect(`${error.message} ${inspect(error)} ${JSON.stringify(error)}`).not.toContain(password);
  });

  it('modeled errors of Create and Update are typed', async () => {
    for (const [code, errorClass] of [
      ['CustomKeyStoreNameInUseException', CustomKeyStoreNameInUseException],
      ['CloudHsmClusterNotRelatedException', CloudHsmClusterNotRelatedException],
    ] as const) {
      server.handle((_request, response) => kmsError(response, 400, { __type: code }));
      const error = await rejection(
        client.updateCustomKeyStore({ customKeyStoreId: 'cks-1', newCustomKeyStoreName: 'n' }),
      );
      expect(error).toBeInstanceOf(errorClass);
    }
  });
});
