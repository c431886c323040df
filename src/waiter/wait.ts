/**
 * The wait engine: polling for a connection state within one deadline. KMS returns from
 * Disconnect and Connect at once; the store gets to DISCONNECTED or CONNECTED minutes later, and
 * only polling DescribeCustomKeyStores tells when. These functions work over any object with the
 * three calls (a {@link KmsClient} in practice), and KmsClient exposes them as methods.
 */
import type { z } from 'zod';
import { maxTimerMs, waiterDefaults } from '../config/defaults.js';
import { KmsResponseError, KmsValidationError, KmsWaiterError } from '../errors.js';
import {
  type CustomKeyStoreEntry,
  connectionStates,
  isLength,
  type KnownConnectionState,
} from '../operations/operations.js';
import { unreadableInputError } from '../request/send.js';
import { sleep } from '../sleep.js';
import type { CustomKeyStoreApi, EnsureAction, EnsureStateResult, WaitOptions } from './types.js';

/** The zod schemas, loaded on first use (see `zod-check.ts`). */
const schemas = () => import('./schemas.js');

/** Why the deadline controller aborted; never leaves this module. */
const deadlinePassed = Symbol('deadline passed');

type ResolvedOptions = z.infer<typeof import('./schemas.js').waiterCall>['options'] & {
  timeoutMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
};

const optionKinds: Readonly<Record<string, (value: unknown) => boolean>> = {
  timeoutMs: isMilliseconds,
  pollIntervalMs: isMilliseconds,
  maxPollIntervalMs: isMilliseconds,
  signal: (value) => value instanceof AbortSignal,
  onPoll: (value) => typeof value === 'function',
  wait: (value) => typeof value === 'boolean',
  resetFailed: (value) => typeof value === 'boolean',
};

function isMilliseconds(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= maxTimerMs;
}

/**
 * The common waiter call checked without zod, which takes tens of ms to load in a fresh process:
 * the first `ensureDisconnected` of a kill switch must not wait for it. Takes only what the
 * schema (`schemas.ts`) surely accepts, and gives what it would give; `undefined` leaves anything
 * else (an unknown option, a wrong type, a Proxy) to the schema and its issues.
 */
function quickOptions(
  customKeyStoreId: unknown,
  options: unknown,
  states: unknown,
): z.infer<typeof import('./schemas.js').waiterCall>['options'] | undefined {
  if (!isLength(customKeyStoreId, 1, 64)) return undefined;
  if (states !== undefined) {
    if (!Array.isArray(states) || states.length === 0) return undefined;
    if (!states.every((state) => (connectionStates as readonly unknown[]).includes(state))) {
      return undefined;
    }
  }
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Object.getPrototypeOf(options) !== Object.prototype) {
    return undefined;
  }
  // Read as the schema reads: each known option by name (other keys are dropped by both).
  const given: Record<string, unknown> = {};
  for (const [key, isValid] of Object.entries(optionKinds)) {
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (!isValid(value)) return undefined;
    given[key] = value;
  }
  return given;
}

export async function validate(
  operation: string,
  customKeyStoreId: unknown,
  options: unknown,
  states?: unknown,
): Promise<ResolvedOptions> {
  // A getter or a Proxy trap of the caller's arguments that throws while they are read.
  const unreadable = (error: unknown) => unreadableInputError(operation, error);
  let given: z.infer<typeof import('./schemas.js').waiterCall>['options'] | undefined;
  try {
    given = quickOptions(customKeyStoreId, options, states);
  } catch (error) {
    throw unreadable(error);
  }
  if (!given) {
    const { check, waiterCall } = await schemas();
    let parsed: ReturnType<typeof check<z.infer<typeof waiterCall>>>;
    try {
      parsed = check(waiterCall, { customKeyStoreId, options: options ?? {}, states });
    } catch (error) {
      throw unreadable(error);
    }
    if (!parsed.success) throw new KmsValidationError(operation, parsed.issues);
    given = parsed.data.options;
  }
  return {
    ...given,
    timeoutMs: given.timeoutMs ?? waiterDefaults.timeoutMs,
    pollIntervalMs: given.pollIntervalMs ?? waiterDefaults.pollIntervalMs,
    maxPollIntervalMs: given.maxPollIntervalMs ?? waiterDefaults.maxPollIntervalMs,
  };
}

/** One waiter call: its deadline, its counters, and the last entry seen. */
export class Session {
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
  /** The last Disconnect / Connect KMS accepted in this call: a waiter error after it names it. */
  accepted:
    | { operation: 'DisconnectCustomKeyStore' | 'ConnectCustomKeyStore'; requestId: string }
    | undefined;

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
    const entries = output.customKeyStores;
    // Described by ID, KMS returns that store alone: an entry without an ID (the model allows
    // it; an empty one says as little) is then the store asked for.
    const entry =
      entries.find((item) => item.customKeyStoreId === this.#id) ??
      (entries.length === 1 && !entries[0]!.customKeyStoreId ? entries[0] : undefined);
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
      if (isStateIn(targets, state) || isStateIn(overtaken, state)) return entry;
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
      ...this.#acceptedFields(),
    });
  }

  /** Notes a Disconnect / Connect KMS accepted (its output's request ID), for later errors. */
  noteAccepted(
    operation: 'DisconnectCustomKeyStore' | 'ConnectCustomKeyStore',
    output: unknown,
  ): string | undefined {
    const id = (output as { $metadata?: { requestId?: unknown } } | null | undefined)?.$metadata
      ?.requestId;
    const requestId = typeof id === 'string' ? id : undefined;
    if (requestId !== undefined) this.accepted = { operation, requestId };
    return requestId;
  }

  #acceptedFields() {
    return this.accepted === undefined
      ? {}
      : { acceptedRequestId: this.accepted.requestId, acceptedOperation: this.accepted.operation };
  }

  /**
   * The result of an ensure call. `entry` undefined: the state could not be read, and
   * `stateUnknown` says why; `requestId` is that of the Disconnect / Connect KMS answered.
   */
  result(
    action: EnsureAction,
    entry: CustomKeyStoreEntry | undefined,
    more: { requestId?: string; stateUnknown?: string } = {},
  ): EnsureStateResult {
    return {
      customKeyStoreId: this.#id,
      action,
      state: entry?.connectionState,
      entry,
      ...(more.requestId !== undefined && { requestId: more.requestId }),
      ...(more.stateUnknown !== undefined && { stateUnknown: more.stateUnknown }),
      elapsedMs: this.elapsed(),
    };
  }

  /** Whether the caller's own signal aborted (not the deadline). */
  get callerAborted(): boolean {
    return this.#options.signal?.aborted === true;
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
      ...this.#acceptedFields(),
    });
  }
}

/** Runs `body` in a session and always clears its deadline. */
export async function inSession<T>(
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
 * Whether a state is one of `states`. An entry without a state (the KMS model allows it) is in
 * none: the waiter keeps polling, and the ensure calls act as for any other state.
 */
export function isStateIn(states: readonly string[], state: string | undefined): boolean {
  return state !== undefined && states.includes(state);
}
