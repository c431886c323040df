/**
 * Live XKS mode: the emulator connects external key stores through a real HTTPS proxy on
 * loopback (a stand-in speaking the XKS Proxy API, verifying SigV4 with @smithy/signature-v4), and
 * every ConnectionErrorCode comes from a proxy fault. `https://xks.example.com` reaches loopback
 * through `connectTo`; TLS still checks the name.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  emulatorCredentials,
  type KeyStoreSeed,
  type KmsEmulator,
  type KmsEmulatorOptions,
  startKmsEmulator,
  type XksLiveOptions,
} from '../../src/emulator/index.js';
import { signRequest } from '../../src/emulator/sigv4.js';
import { classifyFailure } from '../../src/emulator/xks-live.js';
import { KmsClient } from '../../src/index.js';
import {
  type KeyPair,
  liveXksOptionsFor,
  makeCertificates,
  signatureMatches,
  standInCredential,
  startXksStandIn,
  type TestCertificates,
  type XksStandIn,
  xksHost,
} from '../helpers/xks-stand-in.js';
import { describeRaw, until } from './helpers.js';

let certs: TestCertificates;
let proxy: XksStandIn | undefined;
let emu: KmsEmulator | undefined;
let client: KmsClient | undefined;

const storeId = 'cks-live0000000000001';
const endpoint = `https://${xksHost}`;

beforeAll(async () => {
  certs = await makeCertificates();
}, 60_000);

afterEach(async () => {
  await client?.close();
  await emu?.close();
  await proxy?.close();
  client = undefined;
  emu = undefined;
  proxy = undefined;
});

afterAll(() => {
  certs = undefined as never;
});

/** The stand-in with the valid certificate, or another. */
async function startProxy(tls: KeyPair = certs.valid, uriPath?: string): Promise<XksStandIn> {
  proxy = await startXksStandIn({ tls, uriPath, ca: certs.ca });
  return proxy;
}

function liveStore(extra: Partial<KeyStoreSeed> = {}): KeyStoreSeed {
  return {
    id: storeId,
    name: 'live-xks',
    type: 'EXTERNAL_KEY_STORE',
    connectionState: 'DISCONNECTED',
    xksProxyConfiguration: {
      connectivity: 'PUBLIC_ENDPOINT',
      accessKeyId: standInCredential.accessKeyId,
      uriEndpoint: endpoint,
      uriPath: proxy?.uriPath ?? '/example/kms/xks/v1',
    },
    xksProxyAuthenticationCredential: standInCredential,
    ...extra,
  };
}

/** A generous budget for calls that must succeed on a loaded machine; the timeout test uses KMS's 250 ms. */
const roomy = 5_000;

async function startLive(
  xks: Partial<XksLiveOptions> = {},
  options: KmsEmulatorOptions = {},
): Promise<KmsEmulator> {
  emu = await startKmsEmulator({
    transitionMs: 20,
    keyStores: [liveStore()],
    // To run against the software proxy: start it instead of the stand-in; the rest is the same.
    xks: {
      ...liveXksOptionsFor({ port: proxy?.port ?? 1, ca: certs.ca }),
      timeoutMs: roomy,
      healthCheckIntervalMs: 0,
      ...xks,
    },
    ...options,
  });
  client = new KmsClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: emulatorCredentials,
  });
  return emu;
}

const stateOf = (id = storeId) => emu!.keyStores.get(id)!.connectionState;

/** Connect, then wait until CONNECTING ends; the state and code Describe reports. */
async function connectAndSettle(id = storeId): Promise<{ state: string; code?: string }> {
  await client!.connectCustomKeyStore(id);
  await until(() => stateOf(id) !== 'CONNECTING', 15_000);
  const [entry] = (await client!.describeCustomKeyStores({ customKeyStoreId: id })).customKeyStores;
  return {
    state: entry!.connectionState ?? '',
    ...(entry!.connectionErrorCode !== undefined && { code: entry!.connectionErrorCode }),
  };
}

/** A port on loopback nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('connect through a live proxy', () => {
  it('goes CONNECTING → CONNECTED through connectTo, with one signed GetHealthStatus as the spec says', async () => {
    await startProxy();
    await startLive();
    expect(await connectAndSettle()).toEqual({ state: 'CONNECTED' });
    expect(emu!.keyStores.get(storeId)!.history.map((change) => change.state)).toEqual([
      'DISCONNECTED',
      'CONNECTING',
      'CONNECTED',
    ]);

    const connectCall = emu!.requests.find((entry) => entry.operation === 'ConnectCustomKeyStore')!;
    expect(emu!.xksProxyRequests).toHaveLength(1);
    const sent = emu!.xksProxyRequests[0]!;
    expect(sent).toMatchObject({
      kmsOperation: 'ConnectCustomKeyStore',
      kmsRequestId: connectCall.requestId,
      customKeyStoreId: storeId,
      region: 'us-east-1',
      method: 'POST',
      url: `https://${xksHost}/example/kms/xks/v1/health`,
      path: '/example/kms/xks/v1/health',
      connectedTo: `127.0.0.1:${proxy!.port}`,
      sent: true,
      status: 200,
      healthy: true,
    });
    expect(JSON.parse(sent.body)).toEqual({
      requestMetadata: {
        kmsRequestId: connectCall.requestId,
        kmsOperation: 'ConnectCustomKeyStore',
      },
    });
    expect(sent.headers).toMatchObject({ host: xksHost, 'content-type': 'application/json' });
    expect(sent.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${standInCredential.accessKeyId}/\\d{8}/us-east-1/kms-xks-proxy/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$`,
      ),
    );
    // Checked independently: @smithy/signature-v4 signs the recorded request to the same header.
    expect(
      await signatureMatches(
        { method: 'POST', path: sent.path, headers: sent.headers, body: sent.body },
        [standInCredential],
        'us-east-1',
      ),
    ).toBe(true);

    // What the proxy received is what the record says.
    expect(proxy!.requests).toHaveLength(1);
    const received = proxy!.requests[0]!;
    expect(received).toMatchObject({
      method: 'POST',
      path: sent.path,
      body: sent.body,
      authenticated: true,
    });
    expect(received.headers.host).toBe(xksHost);
    expect(received.headers.authorization).toBe(sent.headers.authorization);

    expect(emu!.keyStores.get(storeId)!.xksHealth).toMatchObject({
      kmsOperation: 'ConnectCustomKeyStore',
      kmsRequestId: connectCall.requestId,
      healthy: true,
      report: {
        xksProxyFleetSize: 1,
        ekmFleetDetails: [{ healthStatus: 'ACTIVE' }, { healthStatus: 'ACTIVE' }],
      },
    });
  });

  it.each([
    ['every ekm DEGRADED', ['DEGRADED', 'DEGRADED']],
    ['one ekm UNAVAILABLE, one ACTIVE', ['UNAVAILABLE', 'ACTIVE']],
  ])('%s is still CONNECTED (DEGRADED "can still serve traffic")', async (_name, statuses) => {
    await startProxy();
    proxy!.fault = {
      kind: 'status',
      status: 200,
      body: JSON.stringify({
        xksProxyFleetSize: 2,
        xksProxyVendor: 'v',
        xksProxyModel: 'm',
        ekmVendor: 'e',
        ekmFleetDetails: statuses.map((healthStatus, index) => ({
          id: `ekm-${index}`,
          model: 'm',
          healthStatus,
        })),
      }),
    };
    await startLive();
    expect(await connectAndSettle()).toEqual({ state: 'CONNECTED' });
  });

  it('never shows the proxy secret: Describe, the records, the store state, inspect and JSON', async () => {
    await startProxy();
    await startLive();
    await connectAndSettle();
    const secret = standInCredential.rawSecretAccessKey;
    const page = await describeRaw(emu!, { CustomKeyStoreId: storeId });
    expect(JSON.stringify(page)).not.toContain(secret);
    expect(page.CustomKeyStores[0]!.XksProxyConfiguration).toEqual({
      Connectivity: 'PUBLIC_ENDPOINT',
      AccessKeyId: standInCredential.accessKeyId,
      UriEndpoint: endpoint,
      UriPath: '/example/kms/xks/v1',
    });
    expect(page.CustomKeyStores[0]).not.toHaveProperty('XksProxyAuthenticationCredential');
    const store = emu!.keyStores.get(storeId)!;
    for (const text of [
      JSON.stringify(emu!.xksProxyRequests),
      inspect(emu!.xksProxyRequests, { depth: 10 }),
      JSON.stringify(store),
      inspect(store, { depth: 10 }),
      inspect(emu!.keyStores, { depth: 10 }),
      JSON.stringify({ ...store }),
      JSON.stringify(emu!.requests),
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(inspect(store.xksProxyAuthenticationCredential)).toContain('[redacted]');
    // The emulator can still sign with it.
    expect(store.xksProxyAuthenticationCredential!.rawSecretAccessKey).toBe(secret);
  });

  it('the seeded credential is checked (its secret never in the error), and matches the configuration', async () => {
    const bad = async (seed: Partial<KeyStoreSeed>) =>
      startKmsEmulator({ keyStores: [liveStore(seed)] }).then(
        async (started) => {
          await started.close();
          return undefined;
        },
        (error: unknown) => error as Error,
      );
    const shortSecret = await bad({
      xksProxyAuthenticationCredential: {
        accessKeyId: standInCredential.accessKeyId,
        rawSecretAccessKey: 'tooShortButSecret',
      },
    });
    expect(shortSecret).toBeInstanceOf(TypeError);
    expect(shortSecret!.message).toContain('rawSecretAccessKey must be 43–64 characters');
    expect(shortSecret!.message).not.toContain('tooShortButSecret');
    const mismatch = await bad({
      xksProxyAuthenticationCredential: {
        ...standInCredential,
        accessKeyId: 'BBBBBBBBBBBBBBBBBBBB',
      },
    });
    expect(mismatch).toBeInstanceOf(TypeError);
    expect(mismatch!.message).toContain('is not the credential');
    expect(mismatch!.message).not.toContain(standInCredential.rawSecretAccessKey);
    const cloudHsm = await bad({ type: 'AWS_CLOUDHSM', xksProxyConfiguration: undefined });
    expect(cloudHsm!.message).toContain('only an EXTERNAL_KEY_STORE');
  });
});

describe('each ConnectionErrorCode from a proxy fault', () => {
  it('401 (wrong secret) → INVALID_CREDENTIALS', async () => {
    await startProxy();
    await startLive(
      {},
      {
        keyStores: [
          liveStore({
            xksProxyAuthenticationCredential: {
              accessKeyId: standInCredential.accessKeyId,
              rawSecretAccessKey:
                'V3JvbmctYnV0LXdlbGwtZm9ybWVkLXNlY3JldC1mb3ItdGVzdHMwMTIzNDU2Nzg5',
            },
          }),
        ],
      },
    );
    expect(await connectAndSettle()).toEqual({ state: 'FAILED', code: 'INVALID_CREDENTIALS' });
    expect(proxy!.requests[0]).toMatchObject({ authenticated: false, status: 401 });
    expect(emu!.xksProxyRequests[0]).toMatchObject({
      status: 401,
      errorName: 'AuthenticationFailedException',
      connectionErrorCode: 'INVALID_CREDENTIALS',
    });
  });

  it('403 → XKS_PROXY_ACCESS_DENIED', async () => {
    await startProxy();
    proxy!.fault = { kind: 'status', status: 403, body: '{"errorName":"AccessDeniedException"}' };
    await startLive();
    expect(await connectAndSettle()).toEqual({ state: 'FAILED', code: 'XKS_PROXY_ACCESS_DENIED' });
  });

  it('404 (a path the proxy does not serve) → XKS_PROXY_INVALID_CONFIGURATION', async () => {
    await startProxy(certs.valid, '/served/kms/xks/v1');
    await startLive(
      {},
      {
        keyStores: [
          liveStore({
            xksProxyConfiguration: {
              connectivity: 'PUBLIC_ENDPOINT',
              accessKeyId: standInCredential.accessKeyId,
              uriEndpoint: endpoint,
              uriPath: '/not-served/kms/xks/v1',
            },
          }),
        ],
      },
    );
    expect(await connectAndSettle()).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_INVALID_CONFIGURATION',
    });
    expect(proxy!.requests[0]!.path).toBe('/not-served/kms/xks/v1/health');
  });

  it.each([
    ['not JSON', { kind: 'status', status: 200, body: 'OK', contentType: 'text/plain' }],
    ['JSON without the spec fields', { kind: 'status', status: 200, body: '{"status":"ok"}' }],
    [
      'fleet size 0',
      {
        kind: 'status',
        status: 200,
        body: JSON.stringify({
          xksProxyFleetSize: 0,
          xksProxyVendor: 'a',
          xksProxyModel: 'b',
          ekmVendor: 'c',
          ekmFleetDetails: [{ id: '1', model: 'm', healthStatus: 'ACTIVE' }],
        }),
      },
    ],
    [
      'a 500 without a JSON body',
      { kind: 'status', status: 500, body: '<html>oops</html>', contentType: 'text/html' },
    ],
    ['a dropped connection after TLS', { kind: 'drop' }],
  ] as const)('unreadable answer (%s) → XKS_PROXY_INVALID_RESPONSE', async (_name, fault) => {
    await startProxy();
    proxy!.fault = fault as XksStandIn['fault'];
    await startLive();
    expect(await connectAndSettle()).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_INVALID_RESPONSE',
    });
  });

  it('every ekm UNAVAILABLE → XKS_PROXY_NOT_REACHABLE', async () => {
    await startProxy();
    proxy!.fault = { kind: 'unavailable' };
    await startLive();
    expect(await connectAndSettle()).toEqual({ state: 'FAILED', code: 'XKS_PROXY_NOT_REACHABLE' });
    expect(emu!.keyStores.get(storeId)!.xksHealth).toMatchObject({
      healthy: false,
      status: 200,
      connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
      report: {
        ekmFleetDetails: [{ healthStatus: 'UNAVAILABLE' }, { healthStatus: 'UNAVAILABLE' }],
      },
    });
  });

  it('connection refused → XKS_PROXY_NOT_REACHABLE', async () => {
    const port = await closedPort();
    await startLive({ connectTo: { [`${xksHost}:443`]: `127.0.0.1:${port}` } });
    expect(await connectAndSettle()).toEqual({ state: 'FAILED', code: 'XKS_PROXY_NOT_REACHABLE' });
    expect(emu!.xksProxyRequests[0]!.reason).toContain('ECONNREFUSED');
  });

  it('an unresolvable host → XKS_PROXY_NOT_REACHABLE (classified without a DNS query: the network rule)', () => {
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND xks.example.com'), {
      code: 'ENOTFOUND',
    });
    expect(classifyFailure('connecting', error, false)).toMatchObject({
      connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
      exception: 'XksProxyUriUnreachableException',
    });
  });

  it('no answer within KMS’s 250 ms (the default budget) → XKS_PROXY_TIMED_OUT', async () => {
    await startProxy();
    proxy!.fault = { kind: 'delay', ms: 1_500 };
    await startLive({ timeoutMs: undefined });
    expect(await connectAndSettle()).toEqual({ state: 'FAILED', code: 'XKS_PROXY_TIMED_OUT' });
    const sent = emu!.xksProxyRequests[0]!;
    expect(sent.status).toBeUndefined();
    expect(sent.reason).toContain('no answer within the time allowed');
  });

  it.each([
    ['an expired certificate', () => certs.expired, 'CERT_HAS_EXPIRED'],
    ['a certificate for another host', () => certs.wrongHost, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    [
      'a certificate from a CA not trusted',
      () => certs.untrusted,
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ],
  ])('%s → XKS_PROXY_INVALID_TLS_CONFIGURATION', async (_name, tls, errorCode) => {
    await startProxy(tls());
    await startLive();
    expect(await connectAndSettle()).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    });
    expect(emu!.xksProxyRequests[0]!.reason).toContain(errorCode);
    expect(proxy!.requests).toHaveLength(0);
  });

  it('a port that accepts TCP but never answers the TLS handshake → XKS_PROXY_TIMED_OUT', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      await startLive({
        timeoutMs: undefined,
        connectTo: { [`${xksHost}:443`]: `127.0.0.1:${port}` },
      });
      expect(await connectAndSettle()).toEqual({ state: 'FAILED', code: 'XKS_PROXY_TIMED_OUT' });
      expect(emu!.xksProxyRequests[0]!.reason).toContain('during the TLS handshake');
    } finally {
      silent.close();
      await emu?.close();
    }
  });

  it('plain HTTP where TLS is expected → XKS_PROXY_INVALID_TLS_CONFIGURATION', async () => {
    const plain = createHttpServer((_request, response) => response.end('hello'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { port } = plain.address() as { port: number };
    try {
      await startLive({ connectTo: { [`${xksHost}:443`]: `127.0.0.1:${port}` } });
      expect(await connectAndSettle()).toEqual({
        state: 'FAILED',
        code: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
      });
    } finally {
      plain.closeAllConnections();
      plain.close();
    }
  });

  it('a proxy that speaks only TLS 1.1 or older → XKS_PROXY_INVALID_TLS_CONFIGURATION', async () => {
    proxy = await startXksStandIn({
      tls: certs.valid,
      tlsOptions: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    await startLive();
    expect(await connectAndSettle()).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    });
    expect(emu!.xksProxyRequests[0]!.reason).toContain('TLS handshake failed');
    expect(proxy.requests).toHaveLength(0);
  });

  it('the proxy’s own CA is not trusted unless given as `ca` → XKS_PROXY_INVALID_TLS_CONFIGURATION', async () => {
    await startProxy();
    await startLive({ ca: undefined });
    expect(await connectAndSettle()).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    });
  });

  it('without connectTo the name is not sent to loopback (an http:// endpoint is refused before any network)', async () => {
    await startLive(
      {},
      {
        keyStores: [
          liveStore({
            xksProxyConfiguration: {
              connectivity: 'PUBLIC_ENDPOINT',
              accessKeyId: standInCredential.accessKeyId,
              uriEndpoint: 'http://127.0.0.1:1',
              uriPath: '/kms/xks/v1',
            },
          }),
        ],
      },
    );
    expect(await connectAndSettle()).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    });
    expect(emu!.xksProxyRequests[0]).toMatchObject({ sent: false, headers: {} });
  });

  it('a URI path KMS would not accept (a space, a query) is XKS_PROXY_INVALID_CONFIGURATION, nothing sent, nothing thrown', async () => {
    await startProxy();
    await startLive(
      {},
      {
        keyStores: [
          liveStore({
            xksProxyConfiguration: {
              connectivity: 'PUBLIC_ENDPOINT',
              accessKeyId: standInCredential.accessKeyId,
              uriEndpoint: endpoint,
              uriPath: '/bad path?x=1/kms/xks/v1',
            },
          }),
        ],
      },
    );
    expect(await connectAndSettle()).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_INVALID_CONFIGURATION',
    });
    expect(emu!.xksProxyRequests[0]).toMatchObject({ sent: false, headers: {} });
    expect(proxy!.requests).toEqual([]);
  });
});

describe('recovery and the state machine', () => {
  it('ensureConnected({ resetFailed: true }) recovers a FAILED store once the proxy is fixed', async () => {
    await startProxy();
    proxy!.fault = { kind: 'unavailable' };
    await startLive();
    expect(await connectAndSettle()).toEqual({ state: 'FAILED', code: 'XKS_PROXY_NOT_REACHABLE' });
    proxy!.fault = undefined;
    const result = await client!.ensureConnected(storeId, {
      resetFailed: true,
      wait: true,
      pollIntervalMs: 20,
      timeoutMs: 15_000,
    });
    expect(result.state).toBe('CONNECTED');
    expect(emu!.keyStores.get(storeId)!.history.map((change) => change.state)).toEqual([
      'DISCONNECTED',
      'CONNECTING',
      'FAILED',
      'DISCONNECTING',
      'DISCONNECTED',
      'CONNECTING',
      'CONNECTED',
    ]);
    expect(emu!.xksProxyRequests.map((entry) => [entry.kmsOperation, entry.healthy])).toEqual([
      ['ConnectCustomKeyStore', false],
      ['ConnectCustomKeyStore', true],
    ]);
  });

  it('a Disconnect while the proxy is still answering wins: the late answer does not connect the store', async () => {
    await startProxy();
    proxy!.fault = { kind: 'delay', ms: 400 };
    await startLive();
    await client!.connectCustomKeyStore(storeId);
    expect(stateOf()).toBe('CONNECTING');
    await client!.disconnectCustomKeyStore(storeId);
    await until(() => stateOf() === 'DISCONNECTED');
    await until(() => emu!.xksProxyRequests.length === 1);
    expect(emu!.xksProxyRequests[0]!.healthy).toBe(true);
    expect(stateOf()).toBe('DISCONNECTED');
  });

  it('periodic KmsHealthCheck while CONNECTED: a proxy turning unhealthy shows in the log and the state, the store stays CONNECTED; checks stop on disconnect', async () => {
    await startProxy();
    await startLive({ healthCheckIntervalMs: 50 });
    await connectAndSettle();
    const checks = () =>
      emu!.xksProxyRequests.filter((entry) => entry.kmsOperation === 'KmsHealthCheck');
    await until(() => checks().length >= 2);
    expect(checks()[0]).toMatchObject({ healthy: true, customKeyStoreId: storeId, status: 200 });
    expect(JSON.parse(checks()[0]!.body).requestMetadata.kmsOperation).toBe('KmsHealthCheck');
    expect(checks()[0]!.kmsRequestId).toMatch(/^[0-9a-f-]{36}$/);

    proxy!.fault = { kind: 'unavailable' };
    await until(() => emu!.keyStores.get(storeId)!.xksHealth?.healthy === false);
    expect(emu!.keyStores.get(storeId)!.xksHealth).toMatchObject({
      kmsOperation: 'KmsHealthCheck',
      connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
    });
    expect(checks().at(-1)).toMatchObject({
      healthy: false,
      connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
    });
    expect(stateOf()).toBe('CONNECTED');

    await client!.disconnectCustomKeyStore(storeId);
    await until(() => stateOf() === 'DISCONNECTED');
    const count = checks().length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(checks().length).toBe(count);
  });

  it('stores seeded CONNECTED in live mode are checked periodically from the start', async () => {
    await startProxy();
    await startLive(
      { healthCheckIntervalMs: 50 },
      { keyStores: [liveStore({ connectionState: 'CONNECTED' })] },
    );
    await until(() => emu!.xksProxyRequests.length >= 1);
    expect(emu!.xksProxyRequests[0]!.kmsOperation).toBe('KmsHealthCheck');
  });

  it('VPC_ENDPOINT_SERVICE stores, stores without a credential and seeded connectFailure stay simulated in live mode', async () => {
    await startProxy();
    await startLive(
      {},
      {
        keyStores: [
          liveStore({
            id: 'cks-vpc',
            name: 'vpc',
            xksProxyConfiguration: {
              connectivity: 'VPC_ENDPOINT_SERVICE',
              accessKeyId: standInCredential.accessKeyId,
              uriEndpoint: endpoint,
              uriPath: '/example/kms/xks/v1',
              vpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abcdef1234567890',
            },
          }),
          liveStore({
            id: 'cks-nocred',
            name: 'nocred',
            xksProxyAuthenticationCredential: undefined,
          }),
          liveStore({
            id: 'cks-seeded-failure',
            name: 'seeded',
            connectFailure: 'XKS_PROXY_TIMED_OUT',
          }),
        ],
      },
    );
    expect(await connectAndSettle('cks-vpc')).toEqual({ state: 'CONNECTED' });
    expect(await connectAndSettle('cks-nocred')).toEqual({ state: 'CONNECTED' });
    expect(await connectAndSettle('cks-seeded-failure')).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_TIMED_OUT',
    });
    expect(emu!.xksProxyRequests).toEqual([]);
    expect(proxy!.requests).toEqual([]);
  });

  it('simulated mode (the default) sends nothing, even for a store with a credential', async () => {
    await startProxy();
    emu = await startKmsEmulator({ transitionMs: 20, keyStores: [liveStore()] });
    client = new KmsClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: emulatorCredentials,
    });
    expect(emu.xksMode).toBe('simulated');
    expect(await connectAndSettle()).toEqual({ state: 'CONNECTED' });
    expect(emu.xksProxyRequests).toEqual([]);
    expect(proxy!.requests).toEqual([]);
    expect(
      await emu.probeXksProxy(
        {
          connectivity: 'PUBLIC_ENDPOINT',
          uriEndpoint: endpoint,
          uriPath: '/example/kms/xks/v1',
          xksProxyAuthenticationCredential: standInCredential,
        },
        'CreateCustomKeyStore',
      ),
    ).toBeUndefined();
  });

  it('signs for the region of the store: a store in eu-west-1 signs for eu-west-1', async () => {
    proxy = await startXksStandIn({ tls: certs.valid, region: 'eu-west-1' });
    await startLive(
      {},
      { regions: ['us-east-1', 'eu-west-1'], keyStores: { 'eu-west-1': [liveStore()] } },
    );
    await emu!.inRegion('eu-west-1').keyStores.get(storeId);
    const eu = new KmsClient({
      endpoint: emu!.url,
      region: 'eu-west-1',
      credentials: emulatorCredentials,
    });
    try {
      await eu.connectCustomKeyStore(storeId);
      await until(
        () => emu!.inRegion('eu-west-1').keyStores.get(storeId)!.connectionState !== 'CONNECTING',
      );
      expect(emu!.inRegion('eu-west-1').keyStores.get(storeId)!.connectionState).toBe('CONNECTED');
      expect(emu!.xksProxyRequests[0]!.headers.authorization).toContain(
        '/eu-west-1/kms-xks-proxy/aws4_request',
      );
    } finally {
      await eu.close();
    }
  });
});

describe('the probe Create and Update run (emulator-side, before i22 wires it)', () => {
  const settings = (extra: Record<string, unknown> = {}) => ({
    connectivity: 'PUBLIC_ENDPOINT' as const,
    uriEndpoint: endpoint,
    uriPath: '/example/kms/xks/v1',
    xksProxyAuthenticationCredential: standInCredential,
    ...extra,
  });

  it('a healthy proxy: resolves with the request sent, kmsOperation CreateCustomKeyStore / UpdateCustomKeyStore, signed with the new settings', async () => {
    await startProxy();
    await startLive({}, { keyStores: [] });
    const created = await emu!.probeXksProxy(settings(), 'CreateCustomKeyStore');
    expect(created).toMatchObject({ healthy: true, kmsOperation: 'CreateCustomKeyStore' });
    expect(created).not.toHaveProperty('customKeyStoreId');
    const rotated = {
      accessKeyId: 'NEWKEY234567ABCDEFGH',
      rawSecretAccessKey: 'TmV3LXNlY3JldC1hZnRlci1yb3RhdGlvbi0wMTIzNDU2Nzg5YWJjZGVm',
    };
    proxy!.credentials.push(rotated);
    const updated = await emu!.probeXksProxy(
      settings({ customKeyStoreId: storeId, xksProxyAuthenticationCredential: rotated }),
      'UpdateCustomKeyStore',
    );
    expect(updated).toMatchObject({
      healthy: true,
      kmsOperation: 'UpdateCustomKeyStore',
      customKeyStoreId: storeId,
    });
    expect(updated!.headers.authorization).toContain(`Credential=${rotated.accessKeyId}/`);
    expect(
      proxy!.requests.map((request) => JSON.parse(request.body).requestMetadata.kmsOperation),
    ).toEqual(['CreateCustomKeyStore', 'UpdateCustomKeyStore']);
    expect(JSON.stringify(emu!.xksProxyRequests)).not.toContain(rotated.rawSecretAccessKey);
  });

  it.each([
    [
      'a wrong secret (401)',
      {
        xksProxyAuthenticationCredential: {
          accessKeyId: standInCredential.accessKeyId,
          rawSecretAccessKey: 'V3JvbmctYnV0LXdlbGwtZm9ybWVkLXNlY3JldC1mb3ItdGVzdHMwMTIzNDU2Nzg5',
        },
      },
      undefined,
      'XksProxyIncorrectAuthenticationCredentialException',
    ],
    [
      'a path not served (404)',
      { uriPath: '/nope/kms/xks/v1' },
      undefined,
      'XksProxyInvalidConfigurationException',
    ],
    ['every ekm UNAVAILABLE', {}, { kind: 'unavailable' }, 'XksProxyUriUnreachableException'],
    [
      'an unreadable answer',
      {},
      { kind: 'status', status: 200, body: '[]' },
      'XksProxyInvalidResponseException',
    ],
    [
      'a 403',
      {},
      { kind: 'status', status: 403, body: '' },
      'XksProxyInvalidConfigurationException',
    ],
  ] as const)('%s → %s', async (_name, extra, fault, exception) => {
    await startProxy();
    proxy!.fault = fault as XksStandIn['fault'];
    await startLive({}, { keyStores: [] });
    const error = await emu!
      .probeXksProxy(settings(extra), 'UpdateCustomKeyStore')
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'EmulatorError', type: exception, status: 400 });
    expect((error as Error).message).not.toContain(standInCredential.rawSecretAccessKey);
    expect(emu!.xksProxyRequests.at(-1)).toMatchObject({
      kmsOperation: 'UpdateCustomKeyStore',
      exception,
    });
  });

  it('unreachable (refused) and TLS failures → XksProxyUriUnreachableException', async () => {
    const port = await closedPort();
    await startLive({ connectTo: { [`${xksHost}:443`]: `127.0.0.1:${port}` } }, { keyStores: [] });
    await expect(emu!.probeXksProxy(settings(), 'CreateCustomKeyStore')).rejects.toMatchObject({
      type: 'XksProxyUriUnreachableException',
      message: expect.stringContaining('cannot communicate with the external key store proxy'),
    });
    await emu!.close();
    await startProxy(certs.expired);
    await startLive({}, { keyStores: [] });
    await expect(emu!.probeXksProxy(settings(), 'CreateCustomKeyStore')).rejects.toMatchObject({
      type: 'XksProxyUriUnreachableException',
      message: expect.stringContaining('cannot establish a TLS connection'),
    });
  });

  it('VPC_ENDPOINT_SERVICE connectivity: nothing sent', async () => {
    await startProxy();
    await startLive({}, { keyStores: [] });
    expect(
      await emu!.probeXksProxy(
        settings({ connectivity: 'VPC_ENDPOINT_SERVICE' }),
        'CreateCustomKeyStore',
      ),
    ).toBeUndefined();
    expect(proxy!.requests).toEqual([]);
  });
});

describe('options and signing', () => {
  it('rejects bad xks options with a TypeError before listening', async () => {
    const attempt = (xks: unknown) =>
      startKmsEmulator({ xks: xks as XksLiveOptions }).then((started) => started.close());
    await expect(attempt({ mode: 'wired' })).rejects.toThrow(
      /xks\.mode must be 'simulated' or 'live'/,
    );
    await expect(attempt({ mode: 'live', ca: 'not a pem' })).rejects.toThrow(/xks\.ca must be PEM/);
    await expect(
      attempt({ mode: 'live', connectTo: { 'xks.example.com': '127.0.0.1:1' } }),
    ).rejects.toThrow(/connectTo entries are 'host:port'/);
    await expect(attempt({ mode: 'live', timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(attempt({ mode: 'live', healthCheckIntervalMs: -1 })).rejects.toThrow(
      /healthCheckIntervalMs/,
    );
  });

  it("the emulator's signer agrees with @smithy/signature-v4 byte for byte", async () => {
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const body =
      '{"requestMetadata":{"kmsRequestId":"4112f4d6-db54-4af4-ae30-c55a22a8dfae","kmsOperation":"CreateCustomKeyStore"}}';
    const headers = signRequest({
      method: 'POST',
      path: '/keystores/4a0d79d6-1d1b-49fd-9dbe-799cb9c0fb3f/kms/xks/v1/health',
      host: 'xks.example.com:8443',
      body,
      accessKeyId: standInCredential.accessKeyId,
      secretAccessKey: standInCredential.rawSecretAccessKey,
      region: 'eu-west-1',
      service: 'kms-xks-proxy',
      now,
    });
    expect(headers['x-amz-date']).toBe('20260102T030405Z');
    expect(
      await signatureMatches(
        {
          method: 'POST',
          path: '/keystores/4a0d79d6-1d1b-49fd-9dbe-799cb9c0fb3f/kms/xks/v1/health',
          headers,
          body,
        },
        [standInCredential],
        'eu-west-1',
      ),
    ).toBe(true);
    expect(
      await signatureMatches(
        {
          method: 'POST',
          path: '/keystores/4a0d79d6-1d1b-49fd-9dbe-799cb9c0fb3f/kms/xks/v1/health',
          headers,
          body: `${body} `,
        },
        [standInCredential],
        'eu-west-1',
      ),
    ).toBe(false);
  });
});
