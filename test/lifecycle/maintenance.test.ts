/**
 * The maintenance run against the emulator: from CONNECTED, DISCONNECTED and FAILED; a property
 * that needs no disconnect updated in place; a failing update rolled back; a forbidden disconnect
 * refused before any change is sent. What was sent is read from the emulator's request log.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultCloudHsmClusterIds,
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  type KmsEmulatorOptions,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import {
  type CallOptions,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KmsClient,
  KmsValidationError,
  KmsWaiterError,
  type MaintenanceReport,
  maintainCustomKeyStore,
  maintenanceReportOf,
  XksProxyUriUnreachableException,
} from '../../src/index.js';

const newKeyId = 'ROTATED234567ROTATED';
const newSecret = 'bmV3LXNlY3JldC1hY2Nlc3Mta2V5LWZvci10ZXN0cy0wMDAwMDA=';
const credential = { accessKeyId: newKeyId, rawSecretAccessKey: newSecret };
const fast = { pollIntervalMs: 10, maxPollIntervalMs: 20, timeoutMs: 10_000 };

let emulator: KmsEmulator;
let client: KmsClient;

async function start(options: KmsEmulatorOptions = {}): Promise<void> {
  await emulator?.close();
  await client?.close();
  emulator = await startKmsEmulator({ transitionMs: 40, ...options });
  client = new KmsClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulatorCredentials,
    maxAttempts: 1,
  });
}

beforeEach(() => start());

afterEach(async () => {
  await client.close();
  await emulator.close();
});

/** The operations sent, Describe calls left out. */
const mutations = () =>
  emulator.requests
    .map((request) => request.operation)
    .filter((operation) => operation !== 'DescribeCustomKeyStores');

const actions = (report: MaintenanceReport) =>
  report.steps.map((step) => `${step.action}${step.rollback ? '(rollback)' : ''}:${step.outcome}`);

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('the maintenance run', () => {
  it('from CONNECTED, a credential rotation is done in place: no disconnect', async () => {
    const id = defaultKeyStoreIds.externalPublic;
    const report = await client.maintainCustomKeyStore(
      { customKeyStoreId: id, xksProxyAuthenticationCredential: credential },
      fast,
    );
    expect(mutations()).toEqual(['UpdateCustomKeyStore']);
    expect(report).toMatchObject({
      customKeyStoreId: id,
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      stateBefore: 'CONNECTED',
      stateAfter: 'CONNECTED',
      outcome: 'updated',
      disconnected: false,
      reconnected: false,
      updatedProperties: ['xksProxyAuthenticationCredential'],
      propertiesNeedingDisconnect: [],
    });
    expect(actions(report)).toEqual(['describe:ok', 'update:ok', 'describe:ok']);
    expect(report.entryAfter?.xksProxyConfiguration?.accessKeyId).toBe(newKeyId);
    // Each step names the request that did it, as the emulator logged it.
    const logged = emulator.requests.map((request) => request.requestId);
    for (const step of report.steps) {
      expect(logged).toContain(step.requestId);
      expect(Date.parse(step.startedAt)).not.toBeNaN();
    }
    expect(JSON.stringify(report)).not.toContain(newSecret);
    expect(JSON.stringify(report)).not.toContain(newKeyId);
  });

  it('from CONNECTED, an endpoint move disconnects, waits, updates, connects and waits', async () => {
    const id = defaultKeyStoreIds.externalPublic;
    const polls: string[] = [];
    const report = await client.maintainCustomKeyStore(
      {
        customKeyStoreId: id,
        xksProxyUriEndpoint: 'https://xks-moved.example.com',
        xksProxyAuthenticationCredential: credential,
        // Already the path: not sent.
        xksProxyUriPath: '/kms/xks/v1',
      },
      { ...fast, onPoll: (poll) => polls.push(poll.state ?? '') },
    );
    expect(mutations()).toEqual([
      'DisconnectCustomKeyStore',
      'UpdateCustomKeyStore',
      'ConnectCustomKeyStore',
    ]);
    expect(actions(report)).toEqual([
      'describe:ok',
      'disconnect:ok',
      'wait:ok',
      'update:ok',
      'connect:ok',
      'wait:ok',
    ]);
    expect(report).toMatchObject({
      stateBefore: 'CONNECTED',
      stateAfter: 'CONNECTED',
      disconnected: true,
      reconnected: true,
      outcome: 'updated',
      updatedProperties: ['xksProxyUriEndpoint', 'xksProxyAuthenticationCredential'],
      unchangedProperties: ['xksProxyUriPath'],
      propertiesNeedingDisconnect: ['xksProxyUriEndpoint'],
    });
    expect(report.steps[2]).toMatchObject({ target: 'DISCONNECTED', state: 'DISCONNECTED' });
    expect(report.steps[2]!.requestId).toBeDefined();
    expect(report.steps[5]).toMatchObject({ target: 'CONNECTED', state: 'CONNECTED' });
    const update = emulator.requests.find((r) => r.operation === 'UpdateCustomKeyStore')!;
    expect(update.input).not.toHaveProperty('XksProxyUriPath');
    expect(emulator.keyStores.get(id)!.xksProxyConfiguration?.uriEndpoint).toBe(
      'https://xks-moved.example.com',
    );
    expect(polls).toContain('DISCONNECTED');
  });

  it('from DISCONNECTED: updates without disconnecting or connecting', async () => {
    const id = defaultKeyStoreIds.failingExternal;
    const report = await client.maintainCustomKeyStore(
      { customKeyStoreId: id, xksProxyUriEndpoint: 'https://legacy-moved.example.com' },
      fast,
    );
    expect(mutations()).toEqual(['UpdateCustomKeyStore']);
    expect(report).toMatchObject({
      stateBefore: 'DISCONNECTED',
      stateAfter: 'DISCONNECTED',
      disconnected: false,
      reconnected: false,
      outcome: 'updated',
    });
  });

  it('from FAILED: disconnects, updates, and leaves the store DISCONNECTED (it was not CONNECTED)', async () => {
    const id = defaultKeyStoreIds.externalVpc;
    emulator.setConnectionState(id, 'FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const report = await client.maintainCustomKeyStore(
      { customKeyStoreId: id, xksProxyUriEndpoint: 'https://analytics-2.example.com' },
      fast,
    );
    expect(mutations()).toEqual(['DisconnectCustomKeyStore', 'UpdateCustomKeyStore']);
    expect(report).toMatchObject({
      stateBefore: 'FAILED',
      stateAfter: 'DISCONNECTED',
      disconnected: true,
      reconnected: false,
      outcome: 'updated',
    });
  });

  it('a CloudHSM password rotation from CONNECTED disconnects and reconnects', async () => {
    const id = defaultKeyStoreIds.cloudHsm;
    const report = await client.maintainCustomKeyStore(
      { customKeyStoreId: id, keyStorePassword: 'new-kmsuser-pw' },
      fast,
    );
    expect(mutations()).toEqual([
      'DisconnectCustomKeyStore',
      'UpdateCustomKeyStore',
      'ConnectCustomKeyStore',
    ]);
    expect(report.stateAfter).toBe('CONNECTED');
    expect(emulator.keyStores.get(id)!.keyStorePassword).toBe('new-kmsuser-pw');
    expect(JSON.stringify(report)).not.toContain('new-kmsuser-pw');
  });

  it('a failing update after a disconnect is rolled back: the store is connected again, and the typed error carries the report', async () => {
    await start({
      transitionMs: 40,
      xksProxyProbe: async (target) =>
        target.xksProxyConfiguration.uriEndpoint === 'https://unreachable.example.com'
          ? { error: 'XksProxyUriUnreachableException' }
          : undefined,
    });
    const id = defaultKeyStoreIds.externalPublic;
    const error = await failure(
      client.maintainCustomKeyStore(
        { customKeyStoreId: id, xksProxyUriEndpoint: 'https://unreachable.example.com' },
        fast,
      ),
    );
    expect(error).toBeInstanceOf(XksProxyUriUnreachableException);
    const report = maintenanceReportOf(error)!;
    expect(report).toMatchObject({
      stateBefore: 'CONNECTED',
      stateAfter: 'CONNECTED',
      outcome: 'rolled-back',
      disconnected: true,
      reconnected: true,
    });
    expect(actions(report)).toEqual([
      'describe:ok',
      'disconnect:ok',
      'wait:ok',
      'update:failed',
      'connect(rollback):ok',
      'wait(rollback):ok',
    ]);
    expect(report.steps[3]).toMatchObject({ error: 'XksProxyUriUnreachableException' });
    expect(report.steps[3]!.requestId).toBeDefined();
    expect(emulator.keyStores.get(id)!.connectionState).toBe('CONNECTED');
    expect(emulator.keyStores.get(id)!.xksProxyConfiguration?.uriEndpoint).toBe(
      'https://xks-proxy.orders.example.com',
    );
  });

  it('a store that fails to connect again after the update: KmsWaiterError with the report', async () => {
    const id = defaultKeyStoreIds.externalPublic;
    emulator.addKeyStore({
      id: 'cks-00000000000000abc',
      name: 'flaky',
      type: 'EXTERNAL_KEY_STORE',
      connectFailure: 'XKS_PROXY_TIMED_OUT',
      xksProxyConfiguration: {
        connectivity: 'PUBLIC_ENDPOINT',
        accessKeyId: 'FLAKY234567FLAKY2345',
        uriEndpoint: 'https://flaky.example.com',
        uriPath: '/kms/xks/v1',
      },
    });
    void id;
    const error = await failure(
      client.maintainCustomKeyStore(
        {
          customKeyStoreId: 'cks-00000000000000abc',
          xksProxyUriEndpoint: 'https://f2.example.com',
        },
        fast,
      ),
    );
    expect(error).toBeInstanceOf(KmsWaiterError);
    expect((error as KmsWaiterError).connectionErrorCode).toBe('XKS_PROXY_TIMED_OUT');
    // The Connect KMS accepted before the store went FAILED is named on the error itself.
    expect((error as KmsWaiterError).acceptedOperation).toBe('ConnectCustomKeyStore');
    expect((error as KmsWaiterError).acceptedRequestId).toBe(
      emulator.requests.find((request) => request.operation === 'ConnectCustomKeyStore')!.requestId,
    );
    const report = maintenanceReportOf(error)!;
    expect(report.outcome).toBe('updated');
    expect(report.stateAfter).toBe('FAILED');
    expect(actions(report).at(-1)).toBe('wait:failed');
  });

  it('allowDisconnect: false refuses before sending any change when a disconnect is needed', async () => {
    const id = defaultKeyStoreIds.cloudHsm;
    const error = await failure(
      client.maintainCustomKeyStore(
        { customKeyStoreId: id, cloudHsmClusterId: defaultCloudHsmClusterIds.paymentsRestored },
        { ...fast, allowDisconnect: false },
      ),
    );
    expect(error).toBeInstanceOf(KmsValidationError);
    expect((error as KmsValidationError).issues[0]!.path).toEqual(['cloudHsmClusterId']);
    expect(error.message).toMatch(/DISCONNECTED.*CONNECTED/);
    expect(mutations()).toEqual([]);
    expect(maintenanceReportOf(error)?.stateBefore).toBe('CONNECTED');
    // A property that needs no disconnect still goes through.
    await client.maintainCustomKeyStore(
      { customKeyStoreId: id, newCustomKeyStoreName: 'payments-hsm-2' },
      { ...fast, allowDisconnect: false },
    );
    expect(mutations()).toEqual(['UpdateCustomKeyStore']);
  });

  it('reconnect: false leaves a store it disconnected DISCONNECTED', async () => {
    const report = await client.maintainCustomKeyStore(
      { customKeyStoreId: defaultKeyStoreIds.cloudHsm, keyStorePassword: 'new-kmsuser-pw' },
      { ...fast, reconnect: false },
    );
    expect(report.stateAfter).toBe('DISCONNECTED');
    expect(mutations()).toEqual(['DisconnectCustomKeyStore', 'UpdateCustomKeyStore']);
  });

  it('refuses invalid input and fields of the other store type before any change', async () => {
    await expect(
      client.maintainCustomKeyStore({ customKeyStoreId: 'cks-1' }, fast),
    ).rejects.toBeInstanceOf(KmsValidationError);
    expect(emulator.requests).toHaveLength(0);
    const error = await failure(
      client.maintainCustomKeyStore(
        { customKeyStoreId: defaultKeyStoreIds.cloudHsm, xksProxyUriPath: '/kms/xks/v2' },
        fast,
      ),
    );
    expect(error).toBeInstanceOf(KmsValidationError);
    expect(mutations()).toEqual([]);
    await expect(
      client.maintainCustomKeyStore({ customKeyStoreId: 'cks-1', keyStorePassword: 'x' }, {
        allowDisconnect: 'no',
      } as never),
    ).rejects.toBeInstanceOf(KmsValidationError);
  });

  it('confirmDisconnect is asked once before a disconnect; false sends nothing', async () => {
    const plans: unknown[] = [];
    const input = {
      customKeyStoreId: defaultKeyStoreIds.cloudHsm,
      keyStorePassword: 'new-kmsuser-pw',
    };
    const declined = await client.maintainCustomKeyStore(input, {
      ...fast,
      confirmDisconnect: (plan) => {
        plans.push(plan);
        return false;
      },
    });
    expect(declined.outcome).toBe('declined');
    expect(plans).toEqual([
      {
        customKeyStoreId: defaultKeyStoreIds.cloudHsm,
        customKeyStoreName: 'payments-hsm',
        state: 'CONNECTED',
        properties: ['keyStorePassword'],
        reconnect: true,
      },
    ]);
    expect(mutations()).toEqual([]);
    // Not asked when no disconnect is needed.
    await client.maintainCustomKeyStore(
      { customKeyStoreId: defaultKeyStoreIds.cloudHsm, newCustomKeyStoreName: 'renamed' },
      { ...fast, confirmDisconnect: () => Promise.reject(new Error('must not be asked')) },
    );
    expect(mutations()).toEqual(['UpdateCustomKeyStore']);
  });

  it('waitForConnected: false returns once the Connect is accepted', async () => {
    const report = await client.maintainCustomKeyStore(
      { customKeyStoreId: defaultKeyStoreIds.cloudHsm, keyStorePassword: 'new-kmsuser-pw' },
      { ...fast, waitForConnected: false },
    );
    expect(actions(report)).toEqual([
      'describe:ok',
      'disconnect:ok',
      'wait:ok',
      'update:ok',
      'connect:ok',
      'describe:ok',
    ]);
    expect(report.stateAfter).toBe('CONNECTING');
  });

  it('nothing to change: no update is sent', async () => {
    const report = await client.maintainCustomKeyStore(
      { customKeyStoreId: defaultKeyStoreIds.externalPublic, xksProxyUriPath: '/kms/xks/v1' },
      fast,
    );
    expect(report.outcome).toBe('unchanged');
    expect(mutations()).toEqual([]);
  });

  it('an unknown store: the typed error, with the report', async () => {
    const error = await failure(
      client.maintainCustomKeyStore(
        { customKeyStoreId: 'cks-nope', newCustomKeyStoreName: 'x' },
        fast,
      ),
    );
    expect(error).toBeInstanceOf(CustomKeyStoreNotFoundException);
    expect(actions(maintenanceReportOf(error)!)).toEqual(['describe:failed']);
  });

  it('a disconnect another caller already made is taken as done', async () => {
    const id = defaultKeyStoreIds.externalPublic;
    // Another operator's Disconnect lands between our Describe and our Disconnect.
    const api = Object.assign(Object.create(client) as KmsClient, {
      disconnectCustomKeyStore: async (storeId: string, options?: CallOptions) => {
        await client.disconnectCustomKeyStore(storeId);
        return client.disconnectCustomKeyStore(storeId, options);
      },
      describeCustomKeyStores: client.describeCustomKeyStores.bind(client),
      connectCustomKeyStore: client.connectCustomKeyStore.bind(client),
      updateCustomKeyStore: client.updateCustomKeyStore.bind(client),
    });
    const report = await maintainCustomKeyStore(
      api,
      { customKeyStoreId: id, xksProxyUriEndpoint: 'https://m.example.com' },
      fast,
    );
    expect(actions(report)).toEqual([
      'describe:ok',
      'disconnect:already',
      'describe:ok',
      'wait:ok',
      'update:ok',
      'connect:ok',
      'wait:ok',
    ]);
    expect(report.stateAfter).toBe('CONNECTED');
    expect(report.steps[1]!.error).toBeUndefined();
  });
});

describe('the maintenance run under least privilege', () => {
  const limitedKeys = { accessKeyId: 'AKIDLIMITEDMAINTAIN1', secretAccessKey: 'limited-secret' };
  let limited: KmsClient;

  /** An emulator that also accepts a credential allowed only `actions`, and a client using it. */
  async function allow(actions: string[], options: KmsEmulatorOptions = {}): Promise<void> {
    await start({
      ...options,
      credentials: [{ ...emulatorCredentials }, { ...limitedKeys, actions }],
    });
    limited = new KmsClient({
      endpoint: emulator.url,
      region: emulator.region,
      credentials: limitedKeys,
      maxAttempts: 1,
    });
  }

  afterEach(async () => {
    await limited?.close();
  });

  const logged = () =>
    emulator.requests.map((request) => [request.operation, request.errorType ?? 'ok']);
  const requestIdOf = (operation: string) =>
    emulator.requests.find((request) => request.operation === operation && !request.errorType)
      ?.requestId;

  it('Describe denied (Update+Disconnect+Connect): a credential rotation is the Update alone, and the report says the state is unknown', async () => {
    await allow([
      'kms:UpdateCustomKeyStore',
      'kms:DisconnectCustomKeyStore',
      'kms:ConnectCustomKeyStore',
    ]);
    const id = defaultKeyStoreIds.externalPublic;
    const report = await limited.maintainCustomKeyStore(
      { customKeyStoreId: id, xksProxyAuthenticationCredential: credential },
      fast,
    );
    expect(logged()).toEqual([
      ['DescribeCustomKeyStores', 'AccessDeniedException'],
      ['UpdateCustomKeyStore', 'ok'],
    ]);
    expect(report).toMatchObject({
      outcome: 'updated',
      stateBefore: undefined,
      stateAfter: undefined,
      stateUnknown: 'DescribeCustomKeyStores denied (AccessDeniedException)',
      disconnected: false,
      reconnected: false,
      updatedProperties: ['xksProxyAuthenticationCredential'],
      accepted: [
        { operation: 'UpdateCustomKeyStore', requestId: requestIdOf('UpdateCustomKeyStore') },
      ],
    });
    expect(actions(report)).toEqual(['describe:failed', 'update:ok']);
    expect(report.steps[0]).toMatchObject({
      error: 'AccessDeniedException',
      missingPermission: 'kms:DescribeCustomKeyStores',
    });
    expect(emulator.keyStores.get(id)!.xksProxyAuthenticationCredential?.accessKeyId).toBe(
      newKeyId,
    );
    expect(emulator.keyStores.get(id)!.connectionState).toBe('CONNECTED');
  });

  it('Describe denied (Update only): a change that needs DISCONNECTED on a CONNECTED store is refused by KMS, nothing else sent, nothing changed', async () => {
    await allow(['kms:UpdateCustomKeyStore']);
    const id = defaultKeyStoreIds.externalPublic;
    const error = await failure(
      limited.maintainCustomKeyStore(
        { customKeyStoreId: id, xksProxyUriEndpoint: 'https://moved.example.com' },
        fast,
      ),
    );
    expect(error).toBeInstanceOf(CustomKeyStoreInvalidStateException);
    expect(logged()).toEqual([
      ['DescribeCustomKeyStores', 'AccessDeniedException'],
      ['UpdateCustomKeyStore', 'CustomKeyStoreInvalidStateException'],
    ]);
    const report = maintenanceReportOf(error)!;
    expect(report).toMatchObject({
      outcome: 'failed',
      stateUnknown: 'DescribeCustomKeyStores denied (AccessDeniedException)',
      propertiesNeedingDisconnect: ['xksProxyUriEndpoint'],
      accepted: [],
      disconnected: false,
    });
    expect(actions(report)).toEqual(['describe:failed', 'update:failed']);
    expect(emulator.keyStores.get(id)!.connectionState).toBe('CONNECTED');
    expect(emulator.keyStores.get(id)!.xksProxyConfiguration?.uriEndpoint).toBe(
      'https://xks-proxy.orders.example.com',
    );
  });

  it('Describe denied (Update only): the same change on a DISCONNECTED store is accepted', async () => {
    await allow(['kms:UpdateCustomKeyStore']);
    const id = defaultKeyStoreIds.failingExternal;
    const report = await limited.maintainCustomKeyStore(
      { customKeyStoreId: id, xksProxyUriEndpoint: 'https://legacy-moved.example.com' },
      fast,
    );
    expect(report.outcome).toBe('updated');
    expect(report.accepted.map((request) => request.operation)).toEqual(['UpdateCustomKeyStore']);
    expect(emulator.keyStores.get(id)!.xksProxyConfiguration?.uriEndpoint).toBe(
      'https://legacy-moved.example.com',
    );
  });

  it('Describe+Update only: a change that needs a disconnect stops at the denied Disconnect; nothing changed', async () => {
    await allow(['kms:DescribeCustomKeyStores', 'kms:UpdateCustomKeyStore']);
    const id = defaultKeyStoreIds.cloudHsm;
    const error = await failure(
      limited.maintainCustomKeyStore(
        { customKeyStoreId: id, keyStorePassword: 'rotated-kmsuser-pw' },
        fast,
      ),
    );
    expect(error.name).toBe('AccessDeniedException');
    const report = maintenanceReportOf(error)!;
    expect(actions(report)).toEqual(['describe:ok', 'disconnect:failed']);
    expect(report.steps[1]).toMatchObject({ missingPermission: 'kms:DisconnectCustomKeyStore' });
    expect(report).toMatchObject({ accepted: [], stateBefore: 'CONNECTED', outcome: 'failed' });
    expect(mutations()).toEqual(['DisconnectCustomKeyStore']);
    expect(emulator.keyStores.get(id)!.connectionState).toBe('CONNECTED');
    expect(emulator.keyStores.get(id)!.keyStorePassword).not.toBe('rotated-kmsuser-pw');
  });

  it('Connect denied after a disconnect and an update: AccessDeniedException with the report of what KMS accepted; the store is left DISCONNECTED', async () => {
    await allow([
      'kms:DescribeCustomKeyStores',
      'kms:UpdateCustomKeyStore',
      'kms:DisconnectCustomKeyStore',
    ]);
    const id = defaultKeyStoreIds.externalPublic;
    const error = await failure(
      limited.maintainCustomKeyStore(
        { customKeyStoreId: id, xksProxyUriEndpoint: 'https://moved.example.com' },
        fast,
      ),
    );
    expect(error.name).toBe('AccessDeniedException');
    const report = maintenanceReportOf(error)!;
    expect(actions(report)).toEqual([
      'describe:ok',
      'disconnect:ok',
      'wait:ok',
      'update:ok',
      'connect:failed',
    ]);
    expect(report.accepted).toEqual([
      {
        operation: 'DisconnectCustomKeyStore',
        requestId: requestIdOf('DisconnectCustomKeyStore'),
      },
      { operation: 'UpdateCustomKeyStore', requestId: requestIdOf('UpdateCustomKeyStore') },
    ]);
    expect(report.accepted.every((request) => typeof request.requestId === 'string')).toBe(true);
    expect(report.steps[4]).toMatchObject({
      error: 'AccessDeniedException',
      missingPermission: 'kms:ConnectCustomKeyStore',
    });
    expect(report).toMatchObject({
      outcome: 'updated',
      disconnected: true,
      reconnected: false,
      stateAfter: 'DISCONNECTED',
    });
    expect(emulator.keyStores.get(id)!.connectionState).toBe('DISCONNECTED');
    expect(emulator.keyStores.get(id)!.xksProxyConfiguration?.uriEndpoint).toBe(
      'https://moved.example.com',
    );
  });

  it('a failed update whose rollback Connect is denied: the update error, outcome failed, no rollback claimed', async () => {
    await allow(
      ['kms:DescribeCustomKeyStores', 'kms:UpdateCustomKeyStore', 'kms:DisconnectCustomKeyStore'],
      {
        xksProxyProbe: async (target) =>
          target.xksProxyConfiguration.uriEndpoint === 'https://unreachable.example.com'
            ? { error: 'XksProxyUriUnreachableException' }
            : undefined,
      },
    );
    const id = defaultKeyStoreIds.externalPublic;
    const error = await failure(
      limited.maintainCustomKeyStore(
        { customKeyStoreId: id, xksProxyUriEndpoint: 'https://unreachable.example.com' },
        fast,
      ),
    );
    expect(error).toBeInstanceOf(XksProxyUriUnreachableException);
    const report = maintenanceReportOf(error)!;
    expect(actions(report)).toEqual([
      'describe:ok',
      'disconnect:ok',
      'wait:ok',
      'update:failed',
      'connect(rollback):failed',
    ]);
    expect(report.steps[4]).toMatchObject({ missingPermission: 'kms:ConnectCustomKeyStore' });
    expect(report).toMatchObject({ outcome: 'failed', reconnected: false });
    expect(report.accepted.map((request) => request.operation)).toEqual([
      'DisconnectCustomKeyStore',
    ]);
    expect(emulator.keyStores.get(id)!.connectionState).toBe('DISCONNECTED');
  });
});

describe('a change sent and not answered', () => {
  it('an Update still in flight when the deadline passes is unknown, not failed, and not listed as accepted', async () => {
    emulator.injectFaults({ kind: 'delay', operation: 'UpdateCustomKeyStore', delayMs: 3_000 });
    const error = await failure(
      client.maintainCustomKeyStore(
        { customKeyStoreId: defaultKeyStoreIds.externalPublic, newCustomKeyStoreName: 'late' },
        { ...fast, timeoutMs: 300 },
      ),
    );
    expect(error).toBeInstanceOf(KmsWaiterError);
    const report = maintenanceReportOf(error)!;
    expect(actions(report)).toEqual(['describe:ok', 'update:unknown']);
    expect(report.accepted).toEqual([]);
  });
});
