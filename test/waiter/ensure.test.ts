/**
 * ensureDisconnected (the idempotent kill switch) and ensureConnected against the emulator:
 * every starting state, concurrent callers, a rerun after a crash half way, and FAILED stores.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  breakGlassCredentials,
  defaultKeyStoreIds,
  defaultKeyStores,
  emulatorCredentials,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import {
  CloudHsmClusterNotActiveException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KmsClient,
  KmsWaiterError,
  type WaiterPoll,
} from '../../src/index.js';
import { extraStores, fastPoll, type Harness, requestsFor, startHarness } from './harness.js';

const xks = defaultKeyStoreIds.externalPublic;
const failedStore = 'cks-failed00000000001';
const stuckStore = 'cks-stuck0000000000001';
const idleStore = 'cks-idle00000000000001';

let harness: Harness;

beforeEach(async () => {
  harness = await startHarness();
});

afterEach(async () => {
  await harness.close();
});

const disconnects = () => requestsFor(harness.emulator, 'DisconnectCustomKeyStore');
const connects = () => requestsFor(harness.emulator, 'ConnectCustomKeyStore');

describe('ensureDisconnected', () => {
  it('disconnects a CONNECTED store and, with wait, resolves once it is DISCONNECTED', async () => {
    const polls: WaiterPoll[] = [];
    const result = await harness.client.ensureDisconnected(xks, {
      ...fastPoll,
      wait: true,
      onPoll: (poll) => polls.push(poll),
    });
    expect(result).toMatchObject({
      customKeyStoreId: xks,
      action: 'disconnected',
      state: 'DISCONNECTED',
    });
    expect(result.entry?.connectionState).toBe('DISCONNECTED');
    expect(result.requestId).toBe(disconnects()[0]!.requestId);
    // Disconnect went first: the first state read is already DISCONNECTING.
    expect(polls[0]!.state).toBe('DISCONNECTING');
    expect(polls.at(-1)!.state).toBe('DISCONNECTED');
    expect(harness.emulator.requests[0]!.operation).toBe('DisconnectCustomKeyStore');
    expect(disconnects()).toHaveLength(1);
    expect(harness.emulator.keyStores.get(xks)!.connectionState).toBe('DISCONNECTED');
  });

  it('without wait, returns once KMS accepted the request, reporting DISCONNECTING', async () => {
    const result = await harness.client.ensureDisconnected(xks);
    expect(result.action).toBe('disconnected');
    expect(result.state).toBe('DISCONNECTING');
    expect(disconnects()).toHaveLength(1);
  });

  it('a DISCONNECTED store: Disconnect first, refused as InvalidState, then read: none, DISCONNECTED', async () => {
    const result = await harness.client.ensureDisconnected(idleStore, { wait: true });
    expect(result).toMatchObject({ action: 'none', state: 'DISCONNECTED' });
    expect(harness.emulator.requests.map((r) => [r.operation, r.errorType])).toEqual([
      ['DisconnectCustomKeyStore', 'CustomKeyStoreInvalidStateException'],
      ['DescribeCustomKeyStores', undefined],
    ]);
  });

  it('a DISCONNECTING store: refused Disconnect, none, and does not wait unless asked', async () => {
    const result = await harness.client.ensureDisconnected(stuckStore);
    expect(result).toMatchObject({ action: 'none', state: 'DISCONNECTING' });
    expect(disconnects().map((r) => r.status)).toEqual([400]);
  });

  it('is safe to rerun after a crash half way: the first run’s disconnect landed, the rerun waits', async () => {
    // A run that sent Disconnect and died before it could wait.
    await harness.client.disconnectCustomKeyStore(xks);
    const rerun = await harness.client.ensureDisconnected(xks, { ...fastPoll, wait: true });
    expect(rerun).toMatchObject({ action: 'waited', state: 'DISCONNECTED' });
    // And once more, now that it is done.
    const again = await harness.client.ensureDisconnected(xks, { ...fastPoll, wait: true });
    expect(again).toMatchObject({ action: 'none', state: 'DISCONNECTED' });
    // Each rerun sent Disconnect first; KMS accepted only the first run's.
    expect(disconnects().map((r) => r.status)).toEqual([200, 400, 400]);
  });

  it('is idempotent when two callers run it at the same time: both succeed, one Disconnect lands', async () => {
    const [first, second] = await Promise.all([
      harness.client.ensureDisconnected(xks, { ...fastPoll, wait: true }),
      harness.client.ensureDisconnected(xks, { ...fastPoll, wait: true }),
    ]);
    expect(first.state).toBe('DISCONNECTED');
    expect(second.state).toBe('DISCONNECTED');
    expect([first.action, second.action]).toContain('disconnected');
    const accepted = disconnects().filter((request) => request.status === 200);
    expect(accepted).toHaveLength(1);
    expect(harness.emulator.keyStores.get(xks)!.connectionState).toBe('DISCONNECTED');
  });

  it('treats CustomKeyStoreInvalidStateException from a lost race as success, after checking', async () => {
    // Hold the first Disconnect to arrive for a second, so that both callers have seen CONNECTED
    // and the other caller's Disconnect lands first; the held one then gets InvalidState.
    harness.emulator.injectFaults({
      kind: 'delay',
      delayMs: 1_000,
      operation: 'DisconnectCustomKeyStore',
    });
    const results = await Promise.all([
      harness.client.ensureDisconnected(xks, fastPoll),
      harness.client.ensureDisconnected(xks, fastPoll),
    ]);
    const sent = disconnects();
    expect(sent).toHaveLength(2);
    expect(sent.map((request) => request.status ?? 0).sort()).toEqual([200, 400]);
    expect(sent.find((request) => request.status === 400)!.errorType).toBe(
      'CustomKeyStoreInvalidStateException',
    );
    expect(results.map((result) => result.action).sort()).toEqual(['disconnected', 'none']);
    for (const result of results) {
      expect(['DISCONNECTING', 'DISCONNECTED']).toContain(result.state);
    }
  });

  it('10 callers from FAILED all succeed: one Disconnect accepted', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.client.ensureDisconnected(failedStore, {
          ...fastPoll,
          wait: true,
          timeoutMs: 5_000,
        }),
      ),
    );
    for (const result of results) expect(result.state).toBe('DISCONNECTED');
    expect(results.filter((result) => result.action === 'disconnected')).toHaveLength(1);
    expect(disconnects().filter((request) => request.status === 200)).toHaveLength(1);
  });

  it('10 callers from DISCONNECTING all succeed; KMS accepts none of their Disconnects', async () => {
    await harness.client.disconnectCustomKeyStore(xks);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.client.ensureDisconnected(xks, { ...fastPoll, wait: true, timeoutMs: 5_000 }),
      ),
    );
    // Each refused Disconnect is followed by a read: DISCONNECTING (then waited for) or, on a
    // slow machine, already DISCONNECTED.
    for (const result of results) {
      expect(result.state).toBe('DISCONNECTED');
      expect(['waited', 'none']).toContain(result.action);
    }
    expect(disconnects().filter((request) => request.status === 400)).toHaveLength(10);
    expect(disconnects().filter((request) => request.status === 200)).toHaveLength(1);
  });

  it('disconnects a FAILED store', async () => {
    const result = await harness.client.ensureDisconnected(failedStore, {
      ...fastPoll,
      wait: true,
    });
    expect(result).toMatchObject({ action: 'disconnected', state: 'DISCONNECTED' });
  });

  it('throws a timeout KmsWaiterError when the store does not get there in time', async () => {
    const error = await harness.client
      .ensureDisconnected(stuckStore, { ...fastPoll, wait: true, timeoutMs: 200 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    expect((error as KmsWaiterError).reason).toBe('timeout');
    expect((error as KmsWaiterError).lastState).toBe('DISCONNECTING');
    expect((error as KmsWaiterError).expectedStates).toEqual(['DISCONNECTED']);
  });

  it('throws the Disconnect error for an unknown store, and reads nothing', async () => {
    await expect(harness.client.ensureDisconnected('cks-unknown')).rejects.toBeInstanceOf(
      CustomKeyStoreNotFoundException,
    );
    expect(harness.emulator.requests.map((r) => r.operation)).toEqual(['DisconnectCustomKeyStore']);
  });

  it('stops with the signal reason when aborted while waiting', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const pending = harness.client.ensureDisconnected(stuckStore, {
      ...fastPoll,
      wait: true,
      signal: controller.signal,
      onPoll: (poll) => {
        if (poll.polls === 2) controller.abort(reason);
      },
    });
    await expect(pending).rejects.toBe(reason);
  });
});

describe('least privilege: a credential that may only Disconnect', () => {
  let breakGlass: KmsClient;

  beforeEach(() => {
    breakGlass = new KmsClient({
      endpoint: harness.emulator.url,
      region: harness.emulator.region,
      credentials: breakGlassCredentials,
    });
  });

  afterEach(async () => {
    await breakGlass.close();
  });

  it('ensureDisconnected sends Disconnect first: accepted, state unknown because Describe is denied', async () => {
    const result = await breakGlass.ensureDisconnected(xks);
    expect(result).toMatchObject({
      customKeyStoreId: xks,
      action: 'disconnected',
      state: undefined,
      entry: undefined,
      stateUnknown: 'DescribeCustomKeyStores denied (AccessDeniedException)',
      requestId: disconnects()[0]!.requestId,
    });
    expect(harness.emulator.keyStores.get(xks)!.connectionState).toBe('DISCONNECTING');
    expect(harness.emulator.requests.map((r) => [r.operation, r.errorType])).toEqual([
      ['DisconnectCustomKeyStore', undefined],
      ['DescribeCustomKeyStores', 'AccessDeniedException'],
    ]);
  });

  it('with wait and Describe denied: the disconnect counts, and the result says it could not wait', async () => {
    const result = await breakGlass.ensureDisconnected(xks, { ...fastPoll, wait: true });
    expect(result.action).toBe('disconnected');
    expect(result.stateUnknown).toMatch(/AccessDeniedException/);
    expect(result.state).toBeUndefined();
  });

  it('an already DISCONNECTED store: refused Disconnect is the goal; none, state unknown', async () => {
    const result = await breakGlass.ensureDisconnected(idleStore, { wait: true });
    expect(result).toMatchObject({
      action: 'none',
      state: undefined,
      stateUnknown: 'DescribeCustomKeyStores denied (AccessDeniedException)',
    });
    expect(disconnects()[0]!.errorType).toBe('CustomKeyStoreInvalidStateException');
  });

  it('ensureConnected with Describe denied sends Connect alone; refused or denied Connect is thrown as it is', async () => {
    const limited = await startKmsEmulator({
      transitionMs: 150,
      keyStores: [...defaultKeyStores(), ...extraStores],
      credentials: [{ ...emulatorCredentials, actions: ['kms:ConnectCustomKeyStore'] }],
    });
    const connector = new KmsClient({
      endpoint: limited.url,
      region: limited.region,
      credentials: emulatorCredentials,
    });
    try {
      const result = await connector.ensureConnected(idleStore, { wait: true });
      expect(result).toMatchObject({
        action: 'connected',
        state: undefined,
        stateUnknown: 'DescribeCustomKeyStores denied (AccessDeniedException)',
        requestId: expect.any(String),
      });
      expect(limited.keyStores.get(idleStore)!.connectionState).toBe('CONNECTING');
      // A FAILED store: KMS refuses the Connect, and its error is thrown.
      await expect(connector.ensureConnected(failedStore)).rejects.toBeInstanceOf(
        CustomKeyStoreInvalidStateException,
      );
    } finally {
      await connector.close();
      await limited.close();
    }
    // The break-glass role may not Connect at all.
    const denied = await breakGlass.ensureConnected(idleStore).catch((error: unknown) => error);
    expect((denied as Error).name).toBe('AccessDeniedException');
  });
});

describe('ensureConnected', () => {
  it('connects a DISCONNECTED store and, with wait, resolves once it is CONNECTED', async () => {
    const result = await harness.client.ensureConnected(idleStore, { ...fastPoll, wait: true });
    expect(result).toMatchObject({ action: 'connected', state: 'CONNECTED' });
    expect(connects()).toHaveLength(1);
  });

  it('sends nothing for a CONNECTED store', async () => {
    const result = await harness.client.ensureConnected(xks, { wait: true });
    expect(result).toMatchObject({ action: 'none', state: 'CONNECTED' });
    expect(connects()).toHaveLength(0);
  });

  it('waits for a CONNECTING store when asked, without sending Connect', async () => {
    await harness.client.connectCustomKeyStore(idleStore);
    const result = await harness.client.ensureConnected(idleStore, { ...fastPoll, wait: true });
    expect(result).toMatchObject({ action: 'waited', state: 'CONNECTED' });
    expect(connects()).toHaveLength(1);
  });

  it('waits for a DISCONNECTING store to be DISCONNECTED, then connects it', async () => {
    await harness.client.disconnectCustomKeyStore(xks);
    const result = await harness.client.ensureConnected(xks, { ...fastPoll, wait: true });
    expect(result).toMatchObject({ action: 'connected', state: 'CONNECTED' });
    const operations = harness.emulator.requests
      .map((request) => request.operation)
      .filter((operation) => operation !== 'DescribeCustomKeyStores');
    expect(operations).toEqual(['DisconnectCustomKeyStore', 'ConnectCustomKeyStore']);
    const connect = connects()[0]!;
    expect(connect.status).toBe(200);
  });

  it('refuses a FAILED store without resetFailed, with its error code, sending nothing', async () => {
    const error = await harness.client
      .ensureConnected(failedStore, { wait: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    const waiterError = error as KmsWaiterError;
    expect(waiterError.reason).toBe('failed');
    expect(waiterError.lastState).toBe('FAILED');
    expect(waiterError.connectionErrorCode).toBe('XKS_PROXY_NOT_REACHABLE');
    expect(waiterError.message).toMatch(/resetFailed/);
    expect(connects()).toHaveLength(0);
    expect(disconnects()).toHaveLength(0);
  });

  it('with resetFailed, disconnects a FAILED store, waits, then connects it', async () => {
    const result = await harness.client.ensureConnected(failedStore, {
      ...fastPoll,
      wait: true,
      resetFailed: true,
    });
    expect(result).toMatchObject({ action: 'connected', state: 'CONNECTED' });
    expect(disconnects()).toHaveLength(1);
    expect(connects()).toHaveLength(1);
    const history = harness.emulator.keyStores
      .get(failedStore)!
      .history.map((change) => change.state);
    expect(history).toEqual(['FAILED', 'DISCONNECTING', 'DISCONNECTED', 'CONNECTING', 'CONNECTED']);
  });

  it('throws a failed KmsWaiterError when connecting ends in FAILED', async () => {
    const error = await harness.client
      .ensureConnected(defaultKeyStoreIds.failingExternal, { ...fastPoll, wait: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    expect((error as KmsWaiterError).reason).toBe('failed');
    expect((error as KmsWaiterError).connectionErrorCode).toBe('XKS_PROXY_TIMED_OUT');
  });

  it('throws the modeled Connect error of a CloudHSM store as its class', async () => {
    await expect(
      harness.client.ensureConnected('cks-hsmdown0000000001', { wait: true }),
    ).rejects.toBeInstanceOf(CloudHsmClusterNotActiveException);
  });

  it('10 callers with resetFailed from FAILED all succeed: one Disconnect and one Connect accepted', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.client.ensureConnected(failedStore, {
          ...fastPoll,
          wait: true,
          resetFailed: true,
          timeoutMs: 5_000,
        }),
      ),
    );
    for (const result of results) expect(result.state).toBe('CONNECTED');
    expect(results.filter((result) => result.action === 'connected')).toHaveLength(1);
    expect(disconnects().filter((request) => request.status === 200)).toHaveLength(1);
    expect(connects().filter((request) => request.status === 200)).toHaveLength(1);
    const history = harness.emulator.keyStores
      .get(failedStore)!
      .history.map((change) => change.state);
    expect(history).toEqual(['FAILED', 'DISCONNECTING', 'DISCONNECTED', 'CONNECTING', 'CONNECTED']);
  });

  it('10 callers from DISCONNECTING all succeed: one Connect accepted', async () => {
    await harness.client.disconnectCustomKeyStore(xks);
    expect(harness.emulator.keyStores.get(xks)!.connectionState).toBe('DISCONNECTING');
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.client.ensureConnected(xks, { ...fastPoll, wait: true, timeoutMs: 5_000 }),
      ),
    );
    for (const result of results) expect(result.state).toBe('CONNECTED');
    expect(results.filter((result) => result.action === 'connected')).toHaveLength(1);
    expect(disconnects().filter((request) => request.status === 200)).toHaveLength(1);
    expect(connects().filter((request) => request.status === 200)).toHaveLength(1);
  });

  it('10 callers from DISCONNECTED all succeed: one Connect accepted', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.client.ensureConnected(idleStore, { ...fastPoll, wait: true, timeoutMs: 5_000 }),
      ),
    );
    for (const result of results) expect(result.state).toBe('CONNECTED');
    expect(results.filter((result) => result.action === 'connected')).toHaveLength(1);
    expect(connects().filter((request) => request.status === 200)).toHaveLength(1);
  });

  it('is safe when two callers run it at the same time', async () => {
    const results = await Promise.all([
      harness.client.ensureConnected(idleStore, { ...fastPoll, wait: true }),
      harness.client.ensureConnected(idleStore, { ...fastPoll, wait: true }),
    ]);
    for (const result of results) expect(result.state).toBe('CONNECTED');
    expect(harness.emulator.keyStores.get(idleStore)!.connectionState).toBe('CONNECTED');
  });
});

describe('a waiter error after KMS accepted the request names that request', () => {
  it('ensureDisconnected: a wait that times out after an accepted Disconnect carries its request ID', async () => {
    await harness.close();
    harness = await startHarness(extraStores, { transitionMs: 60_000 });
    const error = await harness.client
      .ensureDisconnected(xks, { ...fastPoll, wait: true, timeoutMs: 400 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    const waiterError = error as KmsWaiterError;
    expect(waiterError.reason).toBe('timeout');
    expect(waiterError.lastState).toBe('DISCONNECTING');
    expect(disconnects()).toHaveLength(1);
    expect(waiterError.acceptedRequestId).toBe(disconnects()[0]!.requestId);
    expect(waiterError.acceptedOperation).toBe('DisconnectCustomKeyStore');
  });

  it('ensureConnected: a store that goes FAILED after an accepted Connect carries its request ID', async () => {
    const error = await harness.client
      .ensureConnected(defaultKeyStoreIds.failingExternal, { ...fastPoll, wait: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    const waiterError = error as KmsWaiterError;
    expect(waiterError.reason).toBe('failed');
    expect(connects()).toHaveLength(1);
    expect(connects()[0]!.errorType).toBeUndefined();
    expect(waiterError.acceptedRequestId).toBe(connects()[0]!.requestId);
    expect(waiterError.acceptedOperation).toBe('ConnectCustomKeyStore');
  });

  it('ensureConnected with resetFailed: a wait for DISCONNECTED that times out names the accepted Disconnect', async () => {
    await harness.close();
    harness = await startHarness(extraStores, { transitionMs: 60_000 });
    const error = await harness.client
      .ensureConnected(failedStore, { ...fastPoll, wait: true, resetFailed: true, timeoutMs: 400 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    expect((error as KmsWaiterError).acceptedRequestId).toBe(disconnects()[0]!.requestId);
    expect((error as KmsWaiterError).acceptedOperation).toBe('DisconnectCustomKeyStore');
    expect(connects()).toHaveLength(0);
  });

  it('no request accepted (a Disconnect refused as already done): no accepted request ID', async () => {
    const error = await harness.client
      .ensureDisconnected(stuckStore, { ...fastPoll, wait: true, timeoutMs: 200 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    expect(disconnects()[0]!.errorType).toBe('CustomKeyStoreInvalidStateException');
    expect((error as KmsWaiterError).acceptedRequestId).toBeUndefined();
    expect((error as KmsWaiterError).acceptedOperation).toBeUndefined();
  });
});
