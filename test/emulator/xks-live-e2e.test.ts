/**
 * Live XKS end to end against the REAL software proxy (`startXksProxy`), not the stand-in: the
 * emulator in live mode trusts the proxy's own CA and reaches `https://xks.example.com` on
 * loopback through `connectTo`; our client drives it. Create → connect → disconnect → rotate the
 * credential with the maintenance run → connect; Create/Update refused with KMS's exceptions (and
 * nothing changed); each ConnectionErrorCode from a software-proxy fault; recovery of a FAILED
 * store; the periodic KmsHealthCheck.
 *
 * Timing: every call that must succeed has a roomy budget (`timeoutMs: 5000`); only the timeout
 * case relies on KMS's 250 ms. Waits are bounded polls on state.
 */
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  emulatorCredentials,
  type KeyStoreSeed,
  type KmsEmulator,
  startKmsEmulator,
  startXksProxy,
  type XksLiveOptions,
  type XksProxy,
  type XksProxyFaults,
  xksProxyCredentials,
} from '../../src/emulator/index.js';
import {
  KmsClient,
  maintenanceReportOf,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyInvalidConfigurationException,
  XksProxyInvalidResponseException,
  XksProxyUriUnreachableException,
} from '../../src/index.js';
import { until } from './helpers.js';

const xksHost = 'xks.example.com';
const endpoint = `https://${xksHost}`;
/** A generous budget for calls that must succeed on a loaded machine. */
const roomy = 5_000;

let proxy: XksProxy;
let emu: KmsEmulator | undefined;
let client: KmsClient | undefined;

beforeAll(async () => {
  proxy = await startXksProxy({ hostname: xksHost });
}, 60_000);

afterAll(async () => {
  await proxy.close();
});

afterEach(async () => {
  await client?.close();
  await emu?.close();
  client = undefined;
  emu = undefined;
  proxy.setFaults();
});

// The proxy's default credentials (two at once, as during a rotation).
const first = () => xksProxyCredentials[0]!;
const second = () => xksProxyCredentials[1]!;
/** A credential the proxy does not know the secret of (its access key ID is known). */
const wrongSecret = () => ({
  accessKeyId: first().accessKeyId,
  rawSecretAccessKey: 'd3Jvbmctc2VjcmV0LWZvci10aGUtc29mdHdhcmUtcHJveHk=',
});

async function startLive(
  xks: Partial<XksLiveOptions> = {},
  keyStores: KeyStoreSeed[] = [],
): Promise<KmsEmulator> {
  emu = await startKmsEmulator({
    transitionMs: 20,
    keyStores,
    xks: {
      mode: 'live',
      ca: proxy.ca!,
      connectTo: { [`${xksHost}:443`]: `127.0.0.1:${proxy.port}` },
      timeoutMs: roomy,
      healthCheckIntervalMs: 0,
      ...xks,
    },
  });
  client = new KmsClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: emulatorCredentials,
    maxAttempts: 1,
  });
  return emu;
}

function createInput(
  extra: {
    name?: string;
    uriPath?: string;
    credential?: { accessKeyId: string; rawSecretAccessKey: string };
  } = {},
) {
  return {
    customKeyStoreType: 'EXTERNAL_KEY_STORE' as const,
    customKeyStoreName: extra.name ?? 'orders-live-xks',
    xksProxyUriEndpoint: endpoint,
    xksProxyUriPath: extra.uriPath ?? proxy.uriPath,
    xksProxyConnectivity: 'PUBLIC_ENDPOINT' as const,
    xksProxyAuthenticationCredential: { ...(extra.credential ?? first()) },
  };
}

const seededId = 'cks-e2e00000000000001';

/** A DISCONNECTED live store seeded with the proxy's first credential (or another). */
function seeded(extra: Partial<KeyStoreSeed> = {}): KeyStoreSeed {
  return {
    id: seededId,
    name: 'seeded-live-xks',
    type: 'EXTERNAL_KEY_STORE',
    connectionState: 'DISCONNECTED',
    xksProxyConfiguration: {
      connectivity: 'PUBLIC_ENDPOINT',
      accessKeyId: first().accessKeyId,
      uriEndpoint: endpoint,
      uriPath: proxy.uriPath,
    },
    xksProxyAuthenticationCredential: { ...first() },
    ...extra,
  };
}

const stateOf = (id: string) => emu!.keyStores.get(id)!.connectionState;

/** Connect, wait (bounded) until CONNECTING ends; the state and code Describe reports. */
async function connectAndSettle(id: string): Promise<{ state: string; code?: string }> {
  await client!.connectCustomKeyStore(id);
  await until(() => stateOf(id) !== 'CONNECTING', 20_000);
  const [entry] = (await client!.describeCustomKeyStores({ customKeyStoreId: id })).customKeyStores;
  return {
    state: entry!.connectionState ?? '',
    ...(entry!.connectionErrorCode !== undefined && { code: entry!.connectionErrorCode }),
  };
}

/** The proxy's record of the request with this kmsRequestId. */
const proxyRecord = (kmsRequestId: string) =>
  proxy.requests.find((record) => record.kmsRequestId === kmsRequestId);

/** What a caller can see of the emulator's stores (Describe plus the credential's key ID). */
async function visibleState(): Promise<unknown> {
  const { customKeyStores } = await client!.describeCustomKeyStores();
  return {
    customKeyStores,
    credentials: [...emu!.keyStores.values()].map((store) => [
      store.id,
      store.xksProxyAuthenticationCredential?.accessKeyId,
    ]),
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

describe('the lifecycle against the software proxy', () => {
  it('create → connect → disconnect → rotate the credential with the maintenance run → connect, each step probing the proxy with the right credential', async () => {
    await startLive();
    const created = await client!.createCustomKeyStore(createInput());
    const id = created.customKeyStoreId;
    expect(id).toMatch(/^cks-[0-9a-f]{17}$/);

    // Create sent GetHealthStatus (CreateCustomKeyStore) signed with the store's credential.
    const createRequestId = created.$metadata.requestId!;
    expect(emu!.xksProxyRequests).toHaveLength(1);
    expect(emu!.xksProxyRequests[0]).toMatchObject({
      kmsOperation: 'CreateCustomKeyStore',
      kmsRequestId: createRequestId,
      healthy: true,
      status: 200,
      url: `${endpoint}${proxy.uriPath}/health`,
      connectedTo: `127.0.0.1:${proxy.port}`,
    });
    expect(emu!.xksProxyRequests[0]!.headers.authorization).toContain(
      `Credential=${first().accessKeyId}/`,
    );
    expect(emu!.xksProxyRequests[0]!.headers.authorization).toContain(
      `/${emu!.region}/kms-xks-proxy/aws4_request`,
    );
    expect(proxyRecord(createRequestId)).toMatchObject({
      operation: 'GetHealthStatus',
      kmsOperation: 'CreateCustomKeyStore',
      accessKeyId: first().accessKeyId,
      status: 200,
    });
    expect(stateOf(id)).toBe('DISCONNECTED');

    // Connect: GetHealthStatus (ConnectCustomKeyStore) with the Connect call's request ID.
    const connect = await client!.connectCustomKeyStore(id);
    await until(() => stateOf(id) !== 'CONNECTING', 20_000);
    expect(stateOf(id)).toBe('CONNECTED');
    expect(proxyRecord(connect.$metadata.requestId!)).toMatchObject({
      kmsOperation: 'ConnectCustomKeyStore',
      accessKeyId: first().accessKeyId,
      status: 200,
    });

    await client!.disconnectCustomKeyStore(id);
    await until(() => stateOf(id) === 'DISCONNECTED', 20_000);

    // The maintenance run rotates the credential to the proxy's second one (in place).
    const report = await client!.maintainCustomKeyStore(
      { customKeyStoreId: id, xksProxyAuthenticationCredential: { ...second() } },
      { pollIntervalMs: 20, timeoutMs: 20_000 },
    );
    expect(report).toMatchObject({ stateBefore: 'DISCONNECTED', stateAfter: 'DISCONNECTED' });
    const update = report.steps.find((step) => step.action === 'update');
    expect(update?.requestId).toBeDefined();
    const updateProbe = emu!.xksProxyRequests.find(
      (entry) => entry.kmsOperation === 'UpdateCustomKeyStore',
    );
    expect(updateProbe).toMatchObject({ kmsRequestId: update!.requestId, healthy: true });
    expect(updateProbe!.headers.authorization).toContain(`Credential=${second().accessKeyId}/`);
    expect(proxyRecord(update!.requestId!)).toMatchObject({
      kmsOperation: 'UpdateCustomKeyStore',
      accessKeyId: second().accessKeyId,
      status: 200,
    });
    expect(report.entryAfter?.xksProxyConfiguration?.accessKeyId).toBe(second().accessKeyId);

    // Connect again: signed with the new credential.
    const reconnect = await client!.connectCustomKeyStore(id);
    await until(() => stateOf(id) !== 'CONNECTING', 20_000);
    expect(stateOf(id)).toBe('CONNECTED');
    expect(proxyRecord(reconnect.$metadata.requestId!)).toMatchObject({
      kmsOperation: 'ConnectCustomKeyStore',
      accessKeyId: second().accessKeyId,
      status: 200,
    });
    expect(emu!.xksProxyRequests.map((entry) => entry.kmsOperation)).toEqual([
      'CreateCustomKeyStore',
      'ConnectCustomKeyStore',
      'UpdateCustomKeyStore',
      'ConnectCustomKeyStore',
    ]);
    // No secret in anything the emulator recorded.
    const recorded = JSON.stringify(emu!.xksProxyRequests);
    for (const credential of proxy.credentials) {
      expect(recorded).not.toContain(credential.rawSecretAccessKey);
    }
  });
});

describe('Create and Update refused with KMS’s exception, nothing changed', () => {
  /**
   * A Create refused, then (with the store added as a seed at the same endpoint and path) an
   * Update refused; the visible state is the same after each as before it.
   */
  async function refuseCreateThenUpdate(
    create: Parameters<typeof createInput>[0],
    update: Record<string, unknown>,
    expected: abstract new (...args: never[]) => Error,
  ): Promise<void> {
    const empty = await visibleState();
    const refused = await client!
      .createCustomKeyStore(createInput(create))
      .catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(expected);
    expect(await visibleState()).toEqual(empty);
    emu!.addKeyStore(seeded());
    const before = await visibleState();
    const updated = await client!
      .updateCustomKeyStore({ customKeyStoreId: seededId, ...update })
      .catch((caught: unknown) => caught);
    expect(updated).toBeInstanceOf(expected);
    expect(await visibleState()).toEqual(before);
    for (const error of [refused, updated]) {
      expect(String((error as Error).message)).not.toContain(wrongSecret().rawSecretAccessKey);
      expect(JSON.stringify(error)).not.toContain(wrongSecret().rawSecretAccessKey);
    }
  }

  it('a wrong secret → XksProxyIncorrectAuthenticationCredentialException (Create and Update)', async () => {
    await startLive();
    await refuseCreateThenUpdate(
      { credential: wrongSecret() },
      { xksProxyAuthenticationCredential: wrongSecret() },
      XksProxyIncorrectAuthenticationCredentialException,
    );
    expect(emu!.xksProxyRequests.map((entry) => [entry.kmsOperation, entry.status])).toEqual([
      ['CreateCustomKeyStore', 401],
      ['UpdateCustomKeyStore', 401],
    ]);
    // The store still connects with its old credential.
    expect(await connectAndSettle(seededId)).toEqual({ state: 'CONNECTED' });
    expect(proxy.requests.at(-1)).toMatchObject({ accessKeyId: first().accessKeyId, status: 200 });
  });

  it('unreachable (a closed port) → XksProxyUriUnreachableException', async () => {
    await startLive({ connectTo: { [`${xksHost}:443`]: `127.0.0.1:${await closedPort()}` } });
    await refuseCreateThenUpdate(
      {},
      { xksProxyAuthenticationCredential: { ...second() } },
      XksProxyUriUnreachableException,
    );
    expect(emu!.xksProxyRequests.map((entry) => entry.connectionErrorCode)).toEqual([
      'XKS_PROXY_NOT_REACHABLE',
      'XKS_PROXY_NOT_REACHABLE',
    ]);
  });

  it('every ekm UNAVAILABLE → XksProxyUriUnreachableException', async () => {
    await startLive();
    proxy.setFaults({ ekmUnavailable: true });
    await refuseCreateThenUpdate(
      {},
      { xksProxyAuthenticationCredential: { ...second() } },
      XksProxyUriUnreachableException,
    );
    expect(emu!.xksProxyRequests.map((entry) => [entry.status, entry.reason])).toEqual([
      [200, 'every external key manager is UNAVAILABLE (1)'],
      [200, 'every external key manager is UNAVAILABLE (1)'],
    ]);
  });

  for (const malformed of ['not-json', 'zero-fleet', 'missing-fields'] as const) {
    it(`a malformed answer (${malformed}) → XksProxyInvalidResponseException`, async () => {
      await startLive();
      proxy.setFaults({ malformed });
      await refuseCreateThenUpdate(
        {},
        { xksProxyAuthenticationCredential: { ...second() } },
        XksProxyInvalidResponseException,
      );
    });
  }

  it('a path the proxy does not serve → XksProxyInvalidConfigurationException', async () => {
    await startLive();
    await refuseCreateThenUpdate(
      { uriPath: '/elsewhere/kms/xks/v1' },
      { xksProxyUriPath: '/elsewhere/kms/xks/v1' },
      XksProxyInvalidConfigurationException,
    );
    expect(proxy.requests.at(-1)).toMatchObject({
      path: '/elsewhere/kms/xks/v1/health',
      status: 404,
      errorName: 'InvalidUriPathException',
    });
  });
});

describe('each ConnectionErrorCode from a software-proxy fault', () => {
  const cases: [string, XksProxyFaults | undefined, Partial<KeyStoreSeed> | undefined, string][] = [
    [
      '401 (a wrong secret)',
      undefined,
      { xksProxyAuthenticationCredential: wrongSecret() },
      'INVALID_CREDENTIALS',
    ],
    [
      '401 (error fault)',
      { error: { errorName: 'AuthenticationFailedException' } },
      undefined,
      'INVALID_CREDENTIALS',
    ],
    [
      '403',
      { error: { errorName: 'AccessDeniedException' } },
      undefined,
      'XKS_PROXY_ACCESS_DENIED',
    ],
    ['404 (a path not served)', undefined, undefined, 'XKS_PROXY_INVALID_CONFIGURATION'],
    [
      'a malformed answer (not JSON)',
      { malformed: 'not-json' },
      undefined,
      'XKS_PROXY_INVALID_RESPONSE',
    ],
    [
      'a malformed answer (fleet size 0)',
      { malformed: 'zero-fleet' },
      undefined,
      'XKS_PROXY_INVALID_RESPONSE',
    ],
    ['every ekm UNAVAILABLE', { ekmUnavailable: true }, undefined, 'XKS_PROXY_NOT_REACHABLE'],
    [
      'an expired certificate',
      { certificate: 'expired' },
      undefined,
      'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    ],
    [
      'a certificate for another host',
      { certificate: 'wrong-host' },
      undefined,
      'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    ],
  ];

  for (const [what, faults, seed, code] of cases) {
    it(`${what} → FAILED with ${code}`, async () => {
      const extra: Partial<KeyStoreSeed> = { ...seed };
      if (what.startsWith('404')) {
        extra.xksProxyConfiguration = {
          connectivity: 'PUBLIC_ENDPOINT',
          accessKeyId: first().accessKeyId,
          uriEndpoint: endpoint,
          uriPath: '/elsewhere/kms/xks/v1',
        };
      }
      await startLive({}, [seeded(extra)]);
      proxy.setFaults(faults);
      expect(await connectAndSettle(seededId)).toEqual({ state: 'FAILED', code });
      expect(emu!.xksProxyRequests.at(-1)).toMatchObject({
        kmsOperation: 'ConnectCustomKeyStore',
        healthy: false,
        connectionErrorCode: code,
      });
    });
  }

  it('a closed port → FAILED with XKS_PROXY_NOT_REACHABLE', async () => {
    const closed = `127.0.0.1:${await closedPort()}`;
    await startLive({ connectTo: { [`${xksHost}:443`]: closed } }, [seeded()]);
    expect(await connectAndSettle(seededId)).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_NOT_REACHABLE',
    });
  });

  it('an answer later than KMS’s 250 ms → FAILED with XKS_PROXY_TIMED_OUT', async () => {
    // KMS's own budget (the default): the one case that relies on 250 ms.
    await startLive({ timeoutMs: undefined }, [seeded()]);
    expect(emu!.xksMode).toBe('live');
    proxy.setFaults({ latencyMs: 1_500 });
    expect(await connectAndSettle(seededId)).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_TIMED_OUT',
    });
  });
});

describe('recovery and health', () => {
  it('ensureConnected({ resetFailed: true }) recovers a FAILED store once the proxy’s fault is cleared', async () => {
    await startLive({}, [seeded()]);
    proxy.setFaults({ error: { errorName: 'AccessDeniedException' } });
    expect(await connectAndSettle(seededId)).toEqual({
      state: 'FAILED',
      code: 'XKS_PROXY_ACCESS_DENIED',
    });
    // Without resetFailed a FAILED store is not touched.
    await expect(
      client!.ensureConnected(seededId, { wait: true, pollIntervalMs: 20, timeoutMs: 20_000 }),
    ).rejects.toThrow();
    proxy.setFaults();
    const result = await client!.ensureConnected(seededId, {
      resetFailed: true,
      wait: true,
      pollIntervalMs: 20,
      timeoutMs: 20_000,
    });
    expect(result.state).toBe('CONNECTED');
    expect(emu!.xksProxyRequests.map((entry) => [entry.kmsOperation, entry.healthy])).toEqual([
      ['ConnectCustomKeyStore', false],
      ['ConnectCustomKeyStore', true],
    ]);
  });

  it('the periodic KmsHealthCheck shows a proxy turning unhealthy in xksHealth and the request log; the store stays CONNECTED', async () => {
    await startLive({ healthCheckIntervalMs: 50 }, [seeded()]);
    expect(await connectAndSettle(seededId)).toEqual({ state: 'CONNECTED' });
    const checks = () =>
      emu!.xksProxyRequests.filter((entry) => entry.kmsOperation === 'KmsHealthCheck');
    await until(() => checks().some((entry) => entry.healthy), 20_000);
    expect(emu!.keyStores.get(seededId)!.xksHealth).toMatchObject({ healthy: true });

    proxy.setFaults({ ekmUnavailable: true });
    await until(() => emu!.keyStores.get(seededId)!.xksHealth?.healthy === false, 20_000);
    expect(emu!.keyStores.get(seededId)!.xksHealth).toMatchObject({
      kmsOperation: 'KmsHealthCheck',
      connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
    });
    const unhealthy = checks().find((entry) => !entry.healthy)!;
    expect(proxyRecord(unhealthy.kmsRequestId)).toMatchObject({
      operation: 'GetHealthStatus',
      kmsOperation: 'KmsHealthCheck',
      status: 200,
    });
    expect(stateOf(seededId)).toBe('CONNECTED');

    proxy.setFaults();
    await until(() => emu!.keyStores.get(seededId)!.xksHealth?.healthy === true, 20_000);
  });
});

describe('a store seeded without a credential stays simulated in live mode', () => {
  it('Update of its proxy path sends nothing (its made-up secret would sign nothing real); a credential given with it makes it live', async () => {
    await startLive({}, [seeded({ xksProxyAuthenticationCredential: undefined })]);
    const sentBefore = proxy.requests.length;
    await client!.updateCustomKeyStore({
      customKeyStoreId: seededId,
      xksProxyUriPath: '/moved/kms/xks/v1',
    });
    expect(emu!.xksProxyRequests).toEqual([]);
    expect(proxy.requests.length).toBe(sentBefore);
    expect(emu!.keyStores.get(seededId)!.xksProxyConfiguration?.uriPath).toBe('/moved/kms/xks/v1');
    // Still simulated: Connect sends nothing and ends CONNECTED.
    expect(await connectAndSettle(seededId)).toEqual({ state: 'CONNECTED' });
    expect(emu!.xksProxyRequests).toEqual([]);
    await client!.disconnectCustomKeyStore(seededId);
    await until(() => stateOf(seededId) === 'DISCONNECTED', 20_000);

    // A real credential (and a served path) given by Update: probed, and live from then on.
    await client!.updateCustomKeyStore({
      customKeyStoreId: seededId,
      xksProxyUriPath: proxy.uriPath,
      xksProxyAuthenticationCredential: { ...second() },
    });
    expect(emu!.xksProxyRequests.map((entry) => [entry.kmsOperation, entry.healthy])).toEqual([
      ['UpdateCustomKeyStore', true],
    ]);
    expect(await connectAndSettle(seededId)).toEqual({ state: 'CONNECTED' });
    expect(emu!.xksProxyRequests.at(-1)).toMatchObject({
      kmsOperation: 'ConnectCustomKeyStore',
      healthy: true,
    });
  });
});

describe('the maintenance run against the software proxy', () => {
  it('from CONNECTED, an endpoint move disconnects, probes the NEW endpoint with UpdateCustomKeyStore, connects live again', async () => {
    // The store starts at another proxy's name (seeded CONNECTED: nothing sent to it).
    await startLive({}, [
      seeded({
        connectionState: 'CONNECTED',
        xksProxyConfiguration: {
          connectivity: 'PUBLIC_ENDPOINT',
          accessKeyId: first().accessKeyId,
          uriEndpoint: 'https://old-xks.example.com',
          uriPath: proxy.uriPath,
        },
      }),
    ]);
    const report = await client!.maintainCustomKeyStore(
      { customKeyStoreId: seededId, xksProxyUriEndpoint: endpoint },
      { pollIntervalMs: 20, timeoutMs: 20_000 },
    );
    expect(report).toMatchObject({
      stateBefore: 'CONNECTED',
      stateAfter: 'CONNECTED',
      outcome: 'updated',
      disconnected: true,
    });
    expect(emu!.xksProxyRequests.map((entry) => [entry.kmsOperation, entry.url])).toEqual([
      ['UpdateCustomKeyStore', `${endpoint}${proxy.uriPath}/health`],
      ['ConnectCustomKeyStore', `${endpoint}${proxy.uriPath}/health`],
    ]);
    const update = report.steps.find((step) => step.action === 'update');
    expect(proxyRecord(update!.requestId!)).toMatchObject({
      kmsOperation: 'UpdateCustomKeyStore',
      status: 200,
    });
  });

  it('from CONNECTED, a move to an endpoint that cannot be reached is refused and rolled back: CONNECTED again, live, with the old settings', async () => {
    const unreachable = 'https://unreachable-xks.example.com';
    await startLive(
      {
        connectTo: {
          [`${xksHost}:443`]: `127.0.0.1:${proxy.port}`,
          'unreachable-xks.example.com:443': `127.0.0.1:${await closedPort()}`,
        },
      },
      [seeded({ connectionState: 'CONNECTED' })],
    );
    const error = await client!
      .maintainCustomKeyStore(
        { customKeyStoreId: seededId, xksProxyUriEndpoint: unreachable },
        { pollIntervalMs: 20, timeoutMs: 20_000 },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(XksProxyUriUnreachableException);
    expect(maintenanceReportOf(error)).toMatchObject({
      outcome: 'rolled-back',
      stateBefore: 'CONNECTED',
      stateAfter: 'CONNECTED',
    });
    expect(emu!.keyStores.get(seededId)!.xksProxyConfiguration?.uriEndpoint).toBe(endpoint);
    expect(
      emu!.xksProxyRequests.map((entry) => [
        entry.kmsOperation,
        entry.connectionErrorCode ?? 'healthy',
      ]),
    ).toEqual([
      ['UpdateCustomKeyStore', 'XKS_PROXY_NOT_REACHABLE'],
      ['ConnectCustomKeyStore', 'healthy'],
    ]);
  });
});
