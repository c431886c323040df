/**
 * DescribeCustomKeyStores on the wire, against a purpose-built loopback server: the exact request
 * body, the camelCase mapping, pass-through of unknown fields and enum values, malformed responses
 * as typed errors, and input validation before anything is sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CustomKeyStoreEntry,
  InvalidMarkerException,
  KmsClient,
  KmsResponseError,
  KmsValidationError,
} from '../../src/index.js';
import { kmsError, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const credentials = { accessKeyId: 'AKIDDESCRIBE', secretAccessKey: 'describe-test-secret' };

let server: LoopbackServer;
let client: KmsClient;

function answer(body: unknown): void {
  server.handle((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': 'req-describe',
    });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const xksWire = {
  CustomKeyStoreId: 'cks-1111111111111111a',
  CustomKeyStoreName: 'xks-prod',
  CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
  ConnectionState: 'CONNECTED',
  CreationDate: 1_700_000_000.123,
  XksProxyConfiguration: {
    Connectivity: 'PUBLIC_ENDPOINT',
    AccessKeyId: 'XKSACCESSKEYID0000000',
    UriEndpoint: 'https://xks.example.com',
    UriPath: '/kms/xks/v1',
  },
};

beforeEach(async () => {
  server = await startLoopbackServer();
  client = new KmsClient({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials,
    maxAttempts: 1,
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

describe('describeCustomKeyStores request', () => {
  it('sends {} with no input, and the target header', async () => {
    answer({ CustomKeyStores: [], Truncated: false });
    const page = await client.describeCustomKeyStores();
    expect(page).toEqual({
      customKeyStores: [],
      truncated: false,
      $metadata: {
        httpStatusCode: 200,
        requestId: 'req-describe',
        attempts: 1,
        totalRetryDelay: 0,
      },
    });
    expect(server.requests[0]!.body).toBe('{}');
    expect(server.requests[0]!.headers['x-amz-target']).toBe(
      'TrentService.DescribeCustomKeyStores',
    );
  });

  it('puts every given field in PascalCase and nothing else', async () => {
    answer({ CustomKeyStores: [] });
    await client.describeCustomKeyStores({
      customKeyStoreName: 'xks-prod',
      limit: 5,
      marker: 'm1',
    });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      CustomKeyStoreName: 'xks-prod',
      Limit: 5,
      Marker: 'm1',
    });
    await client.describeCustomKeyStores({ customKeyStoreId: 'cks-1' });
    expect(server.requests[1]!.body).toBe('{"CustomKeyStoreId":"cks-1"}');
  });

  it.each([
    [
      'both an ID and a name',
      { customKeyStoreId: 'cks-1', customKeyStoreName: 'both' },
      'customKeyStoreName',
    ],
    ['an empty ID', { customKeyStoreId: '' }, 'customKeyStoreId'],
    ['a 65-character ID', { customKeyStoreId: 'x'.repeat(65) }, 'customKeyStoreId'],
    ['an empty name', { customKeyStoreName: '' }, 'customKeyStoreName'],
    ['a 257-character name', { customKeyStoreName: 'n'.repeat(257) }, 'customKeyStoreName'],
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit 1001', { limit: 1001 }, 'limit'],
    ['a fractional limit', { limit: 1.5 }, 'limit'],
    ['an empty marker', { marker: '' }, 'marker'],
    ['a 1025-character marker', { marker: 'm'.repeat(1025) }, 'marker'],
    ['a marker with a tab', { marker: 'tab\there' }, 'marker'],
    ['a marker beyond U+00FF', { marker: 'snow☃' }, 'marker'],
    ['an unknown field', { customKeyStoreID: 'typo' }, ''],
  ])('rejects %s before sending anything', async (_label, input, field) => {
    const error = await client
      .describeCustomKeyStores(input as Parameters<KmsClient['describeCustomKeyStores']>[0])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsValidationError);
    const issues = (error as KmsValidationError).issues;
    if (field) expect(issues.map((issue) => issue.path.join('.'))).toContain(field);
    expect((error as Error).message).toMatch(/^Invalid input for DescribeCustomKeyStores/);
    expect(server.requests).toHaveLength(0);
  });

  it('accepts the limits themselves: limit 1 and 1000, a 1024-character Latin-1 marker', async () => {
    answer({ CustomKeyStores: [] });
    await client.describeCustomKeyStores({ limit: 1 });
    await client.describeCustomKeyStores({ limit: 1000, marker: `ÿ ~${'a'.repeat(1021)}` });
    expect(server.requests).toHaveLength(2);
    expect(JSON.parse(server.requests[1]!.body).Marker).toHaveLength(1024);
  });
});

describe('describeCustomKeyStores response', () => {
  it('maps entries to camelCase with creationDate as a Date (fractional seconds kept)', async () => {
    const hsmWire = {
      CustomKeyStoreId: 'cks-2222222222222222b',
      CustomKeyStoreName: 'hsm',
      CustomKeyStoreType: 'AWS_CLOUDHSM',
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'USER_LOCKED_OUT',
      CreationDate: 1_600_000_000,
      CloudHsmClusterId: 'cluster-234abcdefABC',
      TrustAnchorCertificate: '-----BEGIN CERTIFICATE-----\nMII…',
    };
    answer({ CustomKeyStores: [xksWire, hsmWire], NextMarker: 'next-1', Truncated: true });
    const page = await client.describeCustomKeyStores();
    expect(page.truncated).toBe(true);
    expect(page.nextMarker).toBe('next-1');
    const [xks, hsm] = page.customKeyStores as [CustomKeyStoreEntry, CustomKeyStoreEntry];
    expect(xks).toEqual({
      customKeyStoreId: 'cks-1111111111111111a',
      customKeyStoreName: 'xks-prod',
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      connectionState: 'CONNECTED',
      creationDate: new Date(1_700_000_000_123),
      xksProxyConfiguration: {
        connectivity: 'PUBLIC_ENDPOINT',
        accessKeyId: 'XKSACCESSKEYID0000000',
        uriEndpoint: 'https://xks.example.com',
        uriPath: '/kms/xks/v1',
      },
    });
    expect(xks.creationDate).toBeInstanceOf(Date);
    expect(hsm).toEqual({
      customKeyStoreId: 'cks-2222222222222222b',
      customKeyStoreName: 'hsm',
      customKeyStoreType: 'AWS_CLOUDHSM',
      connectionState: 'FAILED',
      connectionErrorCode: 'USER_LOCKED_OUT',
      creationDate: new Date(1_600_000_000_000),
      cloudHsmClusterId: 'cluster-234abcdefABC',
      trustAnchorCertificate: '-----BEGIN CERTIFICATE-----\nMII…',
    });
  });

  it('passes unknown fields through under their wire names, and unknown enum values as strings', async () => {
    answer({
      CustomKeyStores: [
        {
          ...xksWire,
          ConnectionState: 'HIBERNATING',
          CustomKeyStoreType: 'QUANTUM_VAULT',
          ConnectionErrorCode: 'XKS_PROXY_ON_FIRE',
          NewShinyField: { Nested: [1, 2] },
          XksProxyConfiguration: {
            ...xksWire.XksProxyConfiguration,
            Connectivity: 'CARRIER_PIGEON',
            Region: 'mars-1',
          },
        },
      ],
      SomeNewTopLevelField: true,
    });
    const page = await client.describeCustomKeyStores();
    const entry = page.customKeyStores[0]!;
    expect(entry.connectionState).toBe('HIBERNATING');
    expect(entry.customKeyStoreType).toBe('QUANTUM_VAULT');
    expect(entry.connectionErrorCode).toBe('XKS_PROXY_ON_FIRE');
    expect(entry.NewShinyField).toEqual({ Nested: [1, 2] });
    expect(entry.xksProxyConfiguration?.connectivity).toBe('CARRIER_PIGEON');
    expect(entry.xksProxyConfiguration?.Region).toBe('mars-1');
    expect(page.truncated).toBe(false);
  });

  it('treats null and absent optional fields alike, and an empty body as no stores', async () => {
    answer({
      CustomKeyStores: [
        { CustomKeyStoreId: 'cks-3', ConnectionState: 'DISCONNECTED', CreationDate: null },
      ],
      NextMarker: null,
    });
    const page = await client.describeCustomKeyStores();
    expect(page.customKeyStores).toEqual([
      { customKeyStoreId: 'cks-3', connectionState: 'DISCONNECTED' },
    ]);
    expect(page).not.toHaveProperty('nextMarker');
    answer('');
    expect((await client.describeCustomKeyStores()).customKeyStores).toEqual([]);
  });

  it.each([
    ['CustomKeyStores is not a list', { CustomKeyStores: { a: 1 } }, /CustomKeyStores/],
    [
      'CreationDate is a string',
      { CustomKeyStores: [{ ...xksWire, CreationDate: '2024-01-01' }] },
      /CustomKeyStores\.0\.CreationDate/,
    ],
    [
      'CreationDate is past the range of a Date (1e300)',
      { CustomKeyStores: [{ ...xksWire, CreationDate: 1e300 }] },
      /CustomKeyStores\.0\.CreationDate/,
    ],
    [
      'CreationDate is before the range of a Date (-8.7e12 s)',
      { CustomKeyStores: [{ ...xksWire, CreationDate: -8.7e12 }] },
      /CustomKeyStores\.0\.CreationDate/,
    ],
    [
      'CustomKeyStoreId is a number',
      { CustomKeyStores: [{ ...xksWire, CustomKeyStoreId: 7 }] },
      /CustomKeyStoreId/,
    ],
    ['Truncated is a string', { CustomKeyStores: [], Truncated: 'yes' }, /Truncated/],
    ['the body is not JSON', 'not json at all', /not a JSON object/],
  ])('throws KmsResponseError when %s', async (_label, body, pattern) => {
    answer(body);
    const error = await client.describeCustomKeyStores().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsResponseError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as KmsResponseError).$metadata.requestId).toBe('req-describe');
  });

  it('throws InvalidMarkerException for a marker KMS rejects', async () => {
    server.handle((_request, response) =>
      kmsError(response, 400, { __type: 'InvalidMarkerException', message: 'bad marker' }),
    );
    const error = await client
      .describeCustomKeyStores({ marker: 'forged' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidMarkerException);
    expect((error as Error).message).toBe('bad marker');
  });
});

describe('paginateCustomKeyStores', () => {
  it('stops with KmsResponseError when KMS repeats a marker instead of looping forever', async () => {
    answer({ CustomKeyStores: [xksWire], NextMarker: 'same', Truncated: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const entry of client.paginateCustomKeyStores())
        seen.push(entry.customKeyStoreId!);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsResponseError);
    expect((error as Error).message).toMatch(/NextMarker "same" twice/);
    // First page (no marker), second page (marker "same") which repeats it: two requests.
    expect(server.requests.map((request) => JSON.parse(request.body).Marker)).toEqual([
      undefined,
      'same',
    ]);
    expect(seen).toHaveLength(2);
  });

  it('stops with KmsResponseError after 1,000 pages of a server that hands out new markers forever', async () => {
    server.handle((request, response) => {
      const marker = JSON.parse(request.body).Marker as string | undefined;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          CustomKeyStores: [],
          NextMarker: `m${Number(marker?.slice(1) ?? 0) + 1}`,
          Truncated: true,
        }),
      );
    });
    let entries = 0;
    const error = await (async () => {
      for await (const _entry of client.paginateCustomKeyStores()) entries++;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsResponseError);
    expect((error as Error).message).toMatch(/after 1000 pages/);
    expect(server.requests).toHaveLength(1000);
    expect(entries).toBe(0);
  });

  it('validates the input on the first iteration, before any request', async () => {
    const iterator = client.paginateCustomKeyStores({ limit: 0 });
    await expect(iterator.next()).rejects.toBeInstanceOf(KmsValidationError);
    expect(server.requests).toHaveLength(0);
  });
});
