/**
 * Waiting for a connection state, and the idempotent kill switch built on it. KMS returns from
 * Disconnect and Connect at once; the store gets to DISCONNECTED or CONNECTED minutes later, and
 * only polling DescribeCustomKeyStores tells when. These functions work over any object with the
 * three calls (a {@link KmsClient} in practice), and KmsClient exposes them as methods.
 */
import type { z } from 'zod';
import {
  CustomKeyStoreInvalidStateException,
  KmsResponseError,
  KmsValidationError,
  KmsWaiterError,
} from './errors.js';
import type {
  ConnectionState,
  CustomKeyStoreEntry,
  DescribeCustomKeyStoresInput,
  DescribeCustomKeyStoresPage,
  KnownConnectionState,
} from './operations.js';
import { type CallOptions, unreadableInputError } from './request/send.js';
import { sleep } from './sleep.js';
import type { Validation } from './zod-check.js';

/** The calls the waiter needs; {@link KmsClient} has them. */
export interface CustomKeyStoreApi {
  /** DescribeCustomKeyStores. */
  describeCustomKeyStores(
    input?: DescribeCustomKeyStoresInput,
    options?: CallOptions,
  ): Promise<DescribeCustomKeyStoresPage>;
  /** DisconnectCustomKeyStore. */
  disconnectCustomKeyStore(customKeyStoreId: string, options?: CallOptions): Promise<unknown>;
  /** ConnectCustomKeyStore. */
  connectCustomKeyStore(customKeyStoreId: string, options?: CallOptions): Promise<unknown>;
}

/** What a waiter reports after each Describe (for progress displays). */
export interface WaiterPoll {
  /** The store polled. */
  customKeyStoreId: string;
  /** Its connection state. */
  state: ConnectionState;
  /** Its `ConnectionErrorCode`, when FAILED. */
  connectionErrorCode: string | undefined;
  /** The whole entry. */
  entry: CustomKeyStoreEntry;
  /** Milliseconds since the call started. */
  elapsedMs: number;
  /** Describe calls completed so far, this one included. */
  polls: number;
}

/** Options of {@link waitForConnectionState}. */
export interface WaitOptions {
  /** Give up after this many ms with a `timeout` {@link KmsWaiterError}; default 30 minutes. */
  timeoutMs?: number;
  /** First delay between two polls, in ms; default 2 000. Each next delay is 1.5 times longer. */
  pollIntervalMs?: number;
  /** Longest delay between two polls, in ms; default 30 000. */
  maxPollIntervalMs?: number;
  /** Aborts the wait at once (also during a delay); the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each Describe with the state seen. An exception thrown here ends the call. */
  onPoll?: (poll: WaiterPoll) => void;
}

/** Options of {@link ensureDisconnected}. */
export interface EnsureDisconnectedOptions extends WaitOptions {
  /** Wait until the store is DISCONNECTED (default false: return once KMS accepted the request). */
  wait?: boolean;
}

/** Options of {@link ensureConnected}. */
export interface EnsureConnectedOptions extends WaitOptions {
  /** Wait until the store is CONNECTED (default false: return once KMS accepted the request). */
  wait?: boolean;
  /**
   * A FAILED store must be disconnected before it can connect again. With `true`, ensureConnected
   * disconnects it, waits for DISCONNECTED, then connects; by default it throws a `failed`
   * {@link KmsWaiterError} instead, so that a broken store is not retried blindly.
   */
  resetFailed?: boolean;
}

/**
 * What an ensure call did: `none` (the store was already there or on its way and not waited for),
 * `waited` (it was on its way and the call waited), `disconnected` / `connected` (the call sent
 * the request).
 */
export type EnsureAction = 'none' | 'waited' | 'disconnected' | 'connected';

/** Result of {@link ensureDisconnected} and {@link ensureConnected}. */
export interface EnsureStateResult {
  /** The store. */
  customKeyStoreId: string;
  /** What the call did. */
  action: EnsureAction;
  /** The state of the last Describe. */
  state: ConnectionState;
  /** The entry of the last Describe. */
  entry: CustomKeyStoreEntry;
  /** Milliseconds the call took. */
  elapsedMs: number;
}

/** Defaults of the waiter. */
export const waiterDefaults = {
  timeoutMs: 30 * 60 * 1000,
  pollIntervalMs: 2_000,
  maxPollIntervalMs: 30_000,
  backoffFactor: 1.5,
} as const;

/** The zod schemas, loaded on first use (see `zod-check.ts`). */
const schemas = () => import('./waiter-schemas.js');

/** Why the deadline controller aborted; never leaves this module. */
const deadlinePassed = Symbol('deadline passed');

type ResolvedOptions = z.infer<typeof import('./waiter-schemas.js').waiterCall>['options'] & {
  timeoutMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
};

async function validate(
  operation: string,
  customKeyStoreId: unknown,
  options: unknown,
  states?: unknown,
): Promise<ResolvedOptions> {
  const { check, waiterCall } = await schemas();
  let parsed: Validation<z.infer<typeof waiterCall>>;
  try {
    parsed = check(waiterCall, { customKeyStoreId, options: options ?? {}, states });
  } catch (error) {
    // A getter or a Proxy trap of the caller's arguments threw while they were read.
    throw unreadableInputError(operation, error);
  }
  if (!parsed.success) throw new KmsValidationError(operation, parsed.issues);
  const given = parsed.data.options;
  return {
    ...given,
    timeoutMs: given.timeoutMs ?? waiterDefaults.timeoutMs,
    pollIntervalMs: given.pollIntervalMs ?? waiterDefaults.pollIntervalMs,
    maxPollIntervalMs: given.maxPollIntervalMs ?? waiterDefaults.maxPollIntervalMs,
  };
}

/** One waiter call: its deadline, its counters, and the last entry seen. */
class Session {
  readonly #api: CustomKeyStoreApi;
  readonly #id: string;
  readonly #options: ResolvedOptions;
  readonly #started = performance.now();
  readonly #deadline = new AbortController();
  readonly #timer: NodeJS.Timeout;
  /** The caller's signal combined with the deadline. */
  readonly signal: AbortSignal;
  /** States that would end the current step; reported on a timeout. */
  expected: readonly string[];
  polls = 0;
  last: CustomKeyStoreEntry | undefined;
  /** When the Describe that gave `last` was sent (performance.now()). */
  lastDescribedAt = Number.NEGATIVE_INFINITY;

  constructor(
    api: CustomKeyStoreApi,
    id: string,
    options: ResolvedOptions,
    expected: readonly string[],
  ) {
    this.#api = api;
    this.#id = id;
    this.#options = options;
    this.expected = expected;
    this.#timer = setTimeout(() => this.#deadline.abort(deadlinePassed), options.timeoutMs);
    this.signal = options.signal
      ? AbortSignal.any([options.signal, this.#deadline.signal])
      : this.#deadline.signal;
  }

  elapsed(): number {
    return Math.round(performance.now() - this.#started);
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }

  /** Runs one step; an abort becomes the caller's reason, the deadline a `timeout` error. */
  async step<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.#options.signal?.throwIfAborted();
    if (this.#deadline.signal.aborted) throw this.#timeout();
    try {
      return await work(this.signal);
    } catch (error) {
      if (this.#options.signal?.aborted) throw this.#options.signal.reason;
      if (this.#deadline.signal.aborted) throw this.#timeout(error);
      throw error;
    }
  }

  /** Describes the store and reports the poll. */
  async describe(): Promise<CustomKeyStoreEntry> {
    const sentAt = performance.now();
    const output = await this.step((signal) =>
      this.#api.describeCustomKeyStores({ customKeyStoreId: this.#id }, { signal }),
    );
    const entry = output.customKeyStores.find((item) => item.customKeyStoreId === this.#id);
    if (!entry) {
      throw new KmsResponseError({
        message: `DescribeCustomKeyStores returned no entry for ${this.#id}`,
        $metadata: (output as { $metadata?: KmsResponseError['$metadata'] }).$metadata,
      });
    }
    this.polls++;
    this.last = entry;
    this.lastDescribedAt = sentAt;
    this.#options.onPoll?.({
      customKeyStoreId: this.#id,
      state: entry.connectionState,
      connectionErrorCode: entry.connectionErrorCode,
      entry,
      elapsedMs: this.elapsed(),
      polls: this.polls,
    });
    return entry;
  }

  /**
   * Polls until the state is one of `targets`, backing off ×1.5 up to the cap. FAILED ends the
   * wait with a `failed` error when `failOnFailed` (it is not a target). A state in `overtaken`
   * also ends it: a step on the way (DISCONNECTED before a Connect) that another caller has
   * already taken the store past, so it may never be seen.
   */
  async waitFor(
    targets: readonly string[],
    failOnFailed: boolean,
    from?: CustomKeyStoreEntry,
    overtaken: readonly string[] = [],
  ): Promise<CustomKeyStoreEntry> {
    this.expected = targets;
    let interval = Math.min(this.#options.pollIntervalMs, this.#options.maxPollIntervalMs);
    let entry = from ?? (await this.describe());
    for (;;) {
      const state = entry.connectionState;
      if (targets.includes(state) || overtaken.includes(state)) return entry;
      if (failOnFailed && entry.connectionState === 'FAILED') throw this.failed(entry);
      const delay = interval;
      await this.step((signal) => sleep(delay, signal));
      interval = Math.min(interval * waiterDefaults.backoffFactor, this.#options.maxPollIntervalMs);
      entry = await this.describe();
    }
  }

  failed(entry: CustomKeyStoreEntry, message?: string): KmsWaiterError {
    const code = entry.connectionErrorCode;
    return new KmsWaiterError({
      message:
        message ??
        `Custom key store ${this.#id} is FAILED${code ? ` (${code})` : ''} while waiting for ${this.expected.join(' or ')}`,
      customKeyStoreId: this.#id,
      reason: 'failed',
      expectedStates: this.expected,
      lastState: entry.connectionState,
      connectionErrorCode: code,
      elapsedMs: this.elapsed(),
      polls: this.polls,
    });
  }

  result(action: EnsureAction, entry: CustomKeyStoreEntry): EnsureStateResult {
    return {
      customKeyStoreId: this.#id,
      action,
      state: entry.connectionState,
      entry,
      elapsedMs: this.elapsed(),
    };
  }

  #timeout(cause?: unknown): KmsWaiterError {
    const last = this.last?.connectionState;
    return new KmsWaiterError({
      message: `Custom key store ${this.#id} did not reach ${this.expected.join(' or ')} within ${this.#options.timeoutMs} ms (last state: ${last ?? 'unknown'})`,
      customKeyStoreId: this.#id,
      reason: 'timeout',
      expectedStates: this.expected,
      lastState: last,
      connectionErrorCode: this.last?.connectionErrorCode,
      elapsedMs: this.elapsed(),
      polls: this.polls,
      // The aborted Describe is not the cause of a deadline; other errors are worth keeping.
      cause: cause === deadlinePassed ? undefined : cause,
    });
  }
}

/** Runs `body` in a session and always clears its deadline. */
async function inSession<T>(
  api: CustomKeyStoreApi,
  id: string,
  options: ResolvedOptions,
  expected: readonly string[],
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const session = new Session(api, id, options, expected);
  try {
    return await body(session);
  } finally {
    session.dispose();
  }
}

/**
 * Polls DescribeCustomKeyStores until the store is in one of `states`, and resolves with its entry.
 * The first poll is immediate; the delays then grow from `pollIntervalMs` by ×1.5 up to
 * `maxPollIntervalMs`. Throttling and transient Describe errors are retried by the client; other
 * Describe errors (CustomKeyStoreNotFoundException, AccessDeniedException, …) are thrown as they are.
 *
 * @param api - a {@link KmsClient}, or anything with its three calls.
 * @param customKeyStoreId - the store.
 * @param states - one state or several (as KMS spells them: `CONNECTED`, …); any of them ends
 *   the wait. Any other value is a {@link KmsValidationError} at once.
 * @param options - deadline, poll intervals, abort signal, progress callback.
 * @throws {@link KmsWaiterError} `timeout` when `timeoutMs` passes first (with the last state
 *   seen), or `failed` when the store is FAILED and FAILED is not among `states`.
 * @throws {@link KmsValidationError} before any request when an argument is invalid.
 */
export async function waitForConnectionState(
  api: CustomKeyStoreApi,
  customKeyStoreId: string,
  states: KnownConnectionState | readonly KnownConnectionState[],
  options?: WaitOptions,
): Promise<CustomKeyStoreEntry> {
  const targets: readonly string[] = typeof states === 'string' ? [states] : states;
  const resolved = await validate('waitForConnectionState', customKeyStoreId, options, targets);
  return inSession(api, customKeyStoreId, resolved, targets, (session) =>
    session.waitFor(targets, true),
  );
}

/**
 * Disconnects the store unless it is already disconnected or disconnecting: the idempotent kill
 * switch. DISCONNECTED → nothing is sent; DISCONNECTING → waits if asked; CONNECTED, CONNECTING or
 * FAILED → sends DisconnectCustomKeyStore (and waits if asked). When Disconnect fails with
 * CustomKeyStoreInvalidStateException because a concurrent caller, or an earlier attempt that
 * crashed half way, got there first, the store is described again and DISCONNECTING or
 * DISCONNECTED count as success. So two concurrent calls both succeed, and running it again
 * after a crash is safe.
 *
 * @param api - a {@link KmsClient}, or anything with its three calls.
 * @param customKeyStoreId - the store.
 * @param options - `wait` for DISCONNECTED, deadline (covers every step), signal, progress callback.
 * @returns what was done, and the last state seen.
 * @throws {@link KmsWaiterError} `timeout` when waiting and `timeoutMs` passes first.
 * @throws {@link CustomKeyStoreNotFoundException} and other errors of the calls, as they are.
 */
export async function ensureDisconnected(
  api: CustomKeyStoreApi,
  customKeyStoreId: string,
  options?: EnsureDisconnectedOptions,
): Promise<EnsureStateResult> {
  const resolved = await validate('ensureDisconnected', customKeyStoreId, options);
  const wait = resolved.wait === true;
  return inSession(api, customKeyStoreId, resolved, ['DISCONNECTED'], async (session) => {
    const entry = await session.describe();
    if (entry.connectionState === 'DISCONNECTED') return session.result('none', entry);
    if (entry.connectionState === 'DISCONNECTING') {
      return wait
        ? session.result('waited', await session.waitFor(['DISCONNECTED'], false, entry))
        : session.result('none', entry);
    }
    const sent = await disconnect(api, customKeyStoreId, session);
    if (sent === 'already') {
      const current = session.last!;
      if (!wait || current.connectionState === 'DISCONNECTED') {
        return session.result('none', current);
      }
      return session.result('waited', await session.waitFor(['DISCONNECTED'], false, current));
    }
    // A FAILED store may still read FAILED for a moment after Disconnect, so FAILED does not end this wait.
    const after = wait ? await session.waitFor(['DISCONNECTED'], false) : await session.describe();
    return session.result('disconnected', after);
  });
}

/** States that mean a Disconnect (someone's) has landed. */
const disconnectedOrOnItsWay: readonly string[] = ['DISCONNECTING', 'DISCONNECTED'];
/** States that mean a Connect (someone's) has landed. */
const connectedOrOnItsWay: readonly string[] = ['CONNECTING', 'CONNECTED'];

/**
 * Sends Disconnect; `already` when KMS refuses it with CustomKeyStoreInvalidStateException and a
 * fresh Describe shows one of `settled` (someone else's request landed first).
 */
async function disconnect(
  api: CustomKeyStoreApi,
  id: string,
  session: Session,
  settled: readonly string[] = disconnectedOrOnItsWay,
): Promise<'sent' | 'already'> {
  try {
    await session.step((signal) => api.disconnectCustomKeyStore(id, { signal }));
    return 'sent';
  } catch (error) {
    if (!(error instanceof CustomKeyStoreInvalidStateException)) throw error;
    const entry = await session.describe();
    if (settled.includes(entry.connectionState)) return 'already';
    throw error;
  }
}

/**
 * Per client and store: the Connect calls of this process, one at a time, and when the last one
 * settled. KMS accepts a Connect of a store already CONNECTING as a no-op, so concurrent callers
 * that all saw DISCONNECTED would each send one; this lets only the first send it.
 */
interface ConnectTurn {
  /** Settles when the caller whose turn it is is done. */
  tail: Promise<void>;
  /** performance.now() when the last Connect of this process on the store settled. */
  settledAt: number;
}

const connectTurns = new WeakMap<CustomKeyStoreApi, Map<string, ConnectTurn>>();

/**
 * Sends Connect for a store last seen DISCONNECTED (or in a state Connect will judge), unless a
 * Connect by another caller of this process got there first: it waits its turn, and when a
 * Connect settled after `session.last` was described, describes again; CONNECTING or CONNECTED
 * then means there is nothing to send.
 *
 * @returns whether Connect was sent, and the entry the decision was made on.
 */
async function connectOnce(
  api: CustomKeyStoreApi,
  id: string,
  session: Session,
): Promise<{ sent: boolean; entry: CustomKeyStoreEntry }> {
  let turns = connectTurns.get(api);
  if (!turns) {
    turns = new Map();
    connectTurns.set(api, turns);
  }
  let turn = turns.get(id);
  if (!turn) {
    turn = { tail: Promise.resolve(), settledAt: Number.NEGATIVE_INFINITY };
    turns.set(id, turn);
  }
  const previous = turn.tail;
  let done!: () => void;
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  // The next caller waits for the previous one too, even if this one gives up waiting (aborted).
  turn.tail = previous.then(() => mine);
  try {
    await session.step((signal) => settledOrAborted(previous, signal));
    let entry = session.last!;
    if (turn.settledAt >= session.lastDescribedAt) entry = await session.describe();
    if (connectedOrOnItsWay.includes(entry.connectionState)) return { sent: false, entry };
    try {
      await session.step((signal) => api.connectCustomKeyStore(id, { signal }));
    } finally {
      turn.settledAt = performance.now();
    }
    return { sent: true, entry };
  } finally {
    done();
  }
}

/** Resolves when `promise` settles (it never rejects), or rejects with the signal's reason. */
function settledOrAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * Connects the store unless it is already connected or connecting. CONNECTED → nothing is sent;
 * CONNECTING → waits if asked; DISCONNECTED → sends ConnectCustomKeyStore (and waits if asked);
 * DISCONNECTING → waits for DISCONNECTED, then connects; FAILED → throws a `failed`
 * {@link KmsWaiterError} unless `resetFailed` (then disconnects, waits for DISCONNECTED, connects).
 * A CustomKeyStoreInvalidStateException from Connect is checked against a fresh Describe:
 * CONNECTING or CONNECTED (a concurrent caller won) count as success. So do they while waiting
 * for DISCONNECTED on the way (another caller connected the store meanwhile), and callers sharing
 * `api` send one Connect between them: concurrent callers all succeed.
 *
 * @param api - a {@link KmsClient}, or anything with its three calls.
 * @param customKeyStoreId - the store.
 * @param options - `wait` for CONNECTED, `resetFailed`, deadline (covers every step), signal, progress callback.
 * @returns what was done, and the last state seen.
 * @throws {@link KmsWaiterError} `failed` when the store is or becomes FAILED (with its
 *   `connectionErrorCode`), `timeout` when `timeoutMs` passes first.
 * @throws {@link CloudHsmClusterNotActiveException}, {@link CustomKeyStoreNotFoundException} and
 *   other errors of the calls, as they are.
 */
export async function ensureConnected(
  api: CustomKeyStoreApi,
  customKeyStoreId: string,
  options?: EnsureConnectedOptions,
): Promise<EnsureStateResult> {
  const resolved = await validate('ensureConnected', customKeyStoreId, options);
  const wait = resolved.wait === true;
  return inSession(api, customKeyStoreId, resolved, ['CONNECTED'], async (session) => {
    const connecting = async (entry: CustomKeyStoreEntry): Promise<EnsureStateResult> =>
      wait && entry.connectionState !== 'CONNECTED'
        ? session.result('waited', await session.waitFor(['CONNECTED'], true, entry))
        : session.result('none', entry);

    let entry = await session.describe();
    const state = entry.connectionState;
    if (state === 'CONNECTED' || state === 'CONNECTING') return connecting(entry);
    if (state === 'FAILED') {
      if (resolved.resetFailed !== true) {
        throw session.failed(
          entry,
          `Custom key store ${customKeyStoreId} is FAILED${entry.connectionErrorCode ? ` (${entry.connectionErrorCode})` : ''}; a FAILED store must be disconnected before it can connect again (resetFailed: true, or --reset-failed in the CLI, does that)`,
        );
      }
      // Another caller may have reset it already, or even connected it again.
      await disconnect(api, customKeyStoreId, session, [
        ...disconnectedOrOnItsWay,
        ...connectedOrOnItsWay,
      ]);
      entry = session.last!;
      if (connectedOrOnItsWay.includes(entry.connectionState)) return connecting(entry);
    }
    if (entry.connectionState === 'DISCONNECTING' || state === 'FAILED') {
      // DISCONNECTED may last only a moment when another caller is connecting the store too:
      // CONNECTING or CONNECTED mean it got there first.
      entry = await session.waitFor(['DISCONNECTED'], false, entry, connectedOrOnItsWay);
      session.expected = ['CONNECTED'];
      if (connectedOrOnItsWay.includes(entry.connectionState)) return connecting(entry);
    }
    try {
      const attempt = await connectOnce(api, customKeyStoreId, session);
      if (!attempt.sent) return connecting(attempt.entry);
    } catch (error) {
      if (!(error instanceof CustomKeyStoreInvalidStateException)) throw error;
      const current = await session.describe();
      if (current.connectionState === 'CONNECTING' || current.connectionState === 'CONNECTED') {
        return connecting(current);
      }
      throw error;
    }
    const after = wait ? await session.waitFor(['CONNECTED'], true) : await session.describe();
    return session.result('connected', after);
  });
}
