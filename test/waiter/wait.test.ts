/**
 * waitForConnectionState against the emulator (through DISCONNECTING, FAILED, timeout, abort,
 * a hung Describe), and its backoff schedule and deadline under fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultKeyStoreIds } from '../../src/emulator/index.js';
import {
  type CustomKeyStoreApi,
  type CustomKeyStoreEntry,
  CustomKeyStoreNotFoundException,
  KmsValidationError,
  KmsWaiterError,
  type KnownConnectionState,
  type WaiterPoll,
  waitForConnectionState,
} from '../../src/index.js';
import { fastPoll, type Harness, requestsFor, startHarness } from './harness.js';

const xks = defaultKeyStoreIds.externalPublic;

describe('waitForConnectionState against the emulator', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness();
  });

  afterEach(async () => {
    await harness.close();
  });

  it('waits through DISCONNECTING and resolves with the DISCONNECTED entry', async () => {
    const { client, emulator } = harness;
    await client.disconnectCustomKeyStore(xks);
    // Hold DISCONNECTING until the second poll has seen it: the emulator's own 150 ms transition
    // could end before a loaded machine's first poll (it did: the first poll saw DISCONNECTED).
    emulator.setConnectionState(xks, 'DISCONNECTING');
    const polls: WaiterPoll[] = [];
    const entry = await client.waitForConnectionState(xks, 'DISCONNECTED', {
      ...fastPoll,
      onPoll: (poll) => {
        polls.push(poll);
        if (poll.polls === 2) emulator.setConnectionState(xks, 'DISCONNECTED');
      },
    });
    expect(entry.customKeyStoreId).toBe(xks);
    expect(entry.connectionState).toBe('DISCONNECTED');
    expect(entry.customKeyStoreName).toBe('orders-xks');
    const states = polls.map((poll) => poll.state);
    expect(states[0]).toBe('DISCONNECTING');
    expect(states.at(-1)).toBe('DISCONNECTED');
    expect(states).toEqual(['DISCONNECTING', 'DISCONNECTING', 'DISCONNECTED']);
    expect(polls.map((poll) => poll.polls)).toEqual(states.map((_, index) => index + 1));
    // Every poll is a Describe of that one store.
    const describes = requestsFor(emulator, 'DescribeCustomKeyStores');
    expect(describes).toHaveLength(polls.length);
    for (const request of describes) expect(request.input).toEqual({ CustomKeyStoreId: xks });
  });

  it('resolves after one Describe when the store is already there', async () => {
    const entry = await harness.client.waitForConnectionState(xks, 'CONNECTED', fastPoll);
    expect(entry.connectionState).toBe('CONNECTED');
    expect(requestsFor(harness.emulator, 'DescribeCustomKeyStores')).toHaveLength(1);
  });

  it('accepts several states; any of them ends the wait', async () => {
    await harness.client.connectCustomKeyStore(defaultKeyStoreIds.failingExternal);
    const entry = await harness.client.waitForConnectionState(
      defaultKeyStoreIds.failingExternal,
      ['CONNECTED', 'FAILED'],
      fastPoll,
    );
    expect(entry.connectionState).toBe('FAILED');
    expect(entry.connectionErrorCode).toBe('XKS_PROXY_TIMED_OUT');
  });

  it('rejects with a failed KmsWaiterError carrying the connection error code', async () => {
    await harness.client.connectCustomKeyStore(defaultKeyStoreIds.failingExternal);
    const error = await harness.client
      .waitForConnectionState(defaultKeyStoreIds.failingExternal, 'CONNECTED', fastPoll)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    const waiterError = error as KmsWaiterError;
    expect(waiterError.reason).toBe('failed');
    expect(waiterError.customKeyStoreId).toBe(defaultKeyStoreIds.failingExternal);
    expect(waiterError.lastState).toBe('FAILED');
    expect(waiterError.connectionErrorCode).toBe('XKS_PROXY_TIMED_OUT');
    expect(waiterError.expectedStates).toEqual(['CONNECTED']);
    expect(waiterError.polls).toBeGreaterThanOrEqual(2);
    expect(waiterError.message).toMatch(
      /FAILED \(XKS_PROXY_TIMED_OUT\) while waiting for CONNECTED/,
    );
  });

  it('rejects with a timeout KmsWaiterError carrying the last state seen', async () => {
    const error = await harness.client
      .waitForConnectionState(xks, 'DISCONNECTED', { ...fastPoll, timeoutMs: 200 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    const waiterError = error as KmsWaiterError;
    expect(waiterError.reason).toBe('timeout');
    expect(waiterError.lastState).toBe('CONNECTED');
    expect(waiterError.connectionErrorCode).toBeUndefined();
    expect(waiterError.expectedStates).toEqual(['DISCONNECTED']);
    expect(waiterError.elapsedMs).toBeGreaterThanOrEqual(195);
    expect(waiterError.polls).toBe(requestsFor(harness.emulator, 'DescribeCustomKeyStores').length);
    expect(waiterError.message).toMatch(
      /did not reach DISCONNECTED within 200 ms \(last state: CONNECTED\)/,
    );
  });

  it('times out at the deadline even while a Describe hangs', async () => {
    harness.emulator.injectFaults({
      kind: 'delay',
      delayMs: 10_000,
      operation: 'DescribeCustomKeyStores',
    });
    const error = await harness.client
      .waitForConnectionState(xks, 'DISCONNECTED', { ...fastPoll, timeoutMs: 300 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsWaiterError);
    expect((error as KmsWaiterError).reason).toBe('timeout');
    expect((error as KmsWaiterError).lastState).toBeUndefined();
    expect((error as KmsWaiterError).polls).toBe(0);
    expect((error as Error).message).toMatch(/last state: unknown/);
  });

  it('rejects with the signal reason when aborted during the wait, and polls no more', async () => {
    const controller = new AbortController();
    const reason = new Error('operator gave up');
    const pending = harness.client.waitForConnectionState(xks, 'DISCONNECTED', {
      ...fastPoll,
      signal: controller.signal,
      onPoll: (poll) => {
        if (poll.polls === 2) controller.abort(reason);
      },
    });
    await expect(pending).rejects.toBe(reason);
    const count = requestsFor(harness.emulator, 'DescribeCustomKeyStores').length;
    expect(count).toBe(2);
    // A wait that had not stopped would poll again within a few intervals.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(requestsFor(harness.emulator, 'DescribeCustomKeyStores')).toHaveLength(count);
  });

  it('rejects at once, with no request, when the signal is already aborted', async () => {
    const reason = new Error('already aborted');
    await expect(
      harness.client.waitForConnectionState(xks, 'CONNECTED', {
        signal: AbortSignal.abort(reason),
      }),
    ).rejects.toBe(reason);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('throws Describe errors as they are: an unknown store', async () => {
    await expect(
      harness.client.waitForConnectionState('cks-unknown', 'CONNECTED', fastPoll),
    ).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
  });

  it('rides over a throttled Describe (retried by the client)', async () => {
    harness.emulator.injectFaults({ kind: 'throttle', operation: 'DescribeCustomKeyStores' });
    const entry = await harness.client.waitForConnectionState(xks, 'CONNECTED', fastPoll);
    expect(entry.connectionState).toBe('CONNECTED');
    expect(requestsFor(harness.emulator, 'DescribeCustomKeyStores')).toHaveLength(2);
  });

  it.each([
    ['an empty ID', '', 'CONNECTED', {}],
    ['no state', xks, [], {}],
    ['a zero timeout', xks, 'CONNECTED', { timeoutMs: 0 }],
    ['a negative poll interval', xks, 'CONNECTED', { pollIntervalMs: -5 }],
    ['a timeout beyond what a timer can do', xks, 'CONNECTED', { timeoutMs: 2 ** 31 }],
    [
      'options with a throwing getter',
      xks,
      'CONNECTED',
      Object.defineProperty({}, 'timeoutMs', {
        enumerable: true,
        get() {
          throw new Error('getter exploded');
        },
      }),
    ],
    [
      'options behind a Proxy whose traps throw',
      xks,
      'CONNECTED',
      new Proxy(
        {},
        {
          get() {
            throw new Error('proxy trap');
          },
          ownKeys() {
            throw new Error('proxy trap');
          },
        },
      ),
    ],
    // Would wait for a state KMS never reports until the 30-minute deadline.
    ['a lower-case state', xks, 'connected', {}],
    ['an unknown state', xks, ['DISCONNECTED', 'ONLINE'], {}],
  ])(
    'rejects %s with KmsValidationError before any request',
    async (_label, id, states, options) => {
      await expect(
        harness.client.waitForConnectionState(id, states as KnownConnectionState[], options),
      ).rejects.toBeInstanceOf(KmsValidationError);
      expect(harness.emulator.requests).toHaveLength(0);
    },
  );
});

describe('waitForConnectionState schedule (fake timers, fake API)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A store that stays DISCONNECTING; records when each Describe happens. */
  function stuckApi(): CustomKeyStoreApi & { calls: number[] } {
    const calls: number[] = [];
    const entry: CustomKeyStoreEntry = {
      customKeyStoreId: 'cks-1',
      connectionState: 'DISCONNECTING',
    };
    return {
      calls,
      describeCustomKeyStores: async () => {
        calls.push(Date.now());
        return { customKeyStores: [entry], truncated: false };
      },
      disconnectCustomKeyStore: async () => ({}),
      connectCustomKeyStore: async () => ({}),
    };
  }

  it('backs off ×1.5 from pollIntervalMs up to maxPollIntervalMs, and stops at the deadline', async () => {
    vi.useFakeTimers({ now: 0 });
    const api = stuckApi();
    const pending = waitForConnectionState(api, 'cks-1', 'DISCONNECTED', {
      pollIntervalMs: 100,
      maxPollIntervalMs: 300,
      timeoutMs: 1_500,
    });
    const settled = pending.catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(5_000);
    const error = await settled;
    const gaps = api.calls.slice(1).map((at, index) => at - api.calls[index]!);
    // 100, 150, 225, then capped at 300: polls at 0, 100, 250, 475, 775, 1075, 1375.
    expect(gaps).toEqual([100, 150, 225, 300, 300, 300]);
    expect(error).toBeInstanceOf(KmsWaiterError);
    expect((error as KmsWaiterError).reason).toBe('timeout');
    expect((error as KmsWaiterError).elapsedMs).toBe(1_500);
    expect((error as KmsWaiterError).lastState).toBe('DISCONNECTING');
    expect((error as KmsWaiterError).polls).toBe(7);
  });

  it('uses a 2 s first interval and a 30 minute timeout by default', async () => {
    vi.useFakeTimers({ now: 0 });
    const api = stuckApi();
    const settled = waitForConnectionState(api, 'cks-1', 'DISCONNECTED').catch(
      (caught: unknown) => caught,
    );
    await vi.advanceTimersByTimeAsync(30 * 60 * 1000 - 1);
    expect(api.calls.slice(0, 3)).toEqual([0, 2_000, 5_000]);
    const gaps = api.calls.slice(1).map((at, index) => at - api.calls[index]!);
    expect(Math.max(...gaps)).toBe(30_000);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled).toBeInstanceOf(KmsWaiterError);
  });
});
