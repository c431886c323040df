/**
 * The idempotent kill switch and its counterpart, built on the wait engine (`wait.ts`).
 * ensureDisconnected sends the mutation first and reads afterwards, so that a break-glass role
 * allowed only `kms:DisconnectCustomKeyStore` can pull it; ensureConnected describes first (a
 * FAILED store must not be connected blindly) and falls back to Connect alone when Describe is
 * denied. Both treat a concurrent caller's success as theirs.
 */
import {
  CustomKeyStoreInvalidStateException,
  KmsServiceException,
  KmsWaiterError,
} from '../errors.js';
import type { CustomKeyStoreEntry } from '../operations/operations.js';
import type {
  CustomKeyStoreApi,
  EnsureConnectedOptions,
  EnsureDisconnectedOptions,
  EnsureStateResult,
} from './types.js';
import { inSession, isStateIn, type Session, validate } from './wait.js';

/** True for KMS's AccessDeniedException: the caller's policy does not allow the action. */
export function isAccessDenied(error: unknown): error is KmsServiceException {
  return error instanceof KmsServiceException && error.name === 'AccessDeniedException';
}

/** Why a Describe gave no state, in a result's `stateUnknown`. */
function unknownBecause(error: unknown): string {
  if (isAccessDenied(error)) return 'DescribeCustomKeyStores denied (AccessDeniedException)';
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return `DescribeCustomKeyStores failed: ${name}: ${message}`;
}

/**
 * Describes the store; when that is denied (or, with `tolerant`, fails in any way but the
 * caller's abort or the deadline), resolves with why instead.
 */
async function describeIfAllowed(
  session: Session,
  tolerant: boolean,
): Promise<CustomKeyStoreEntry | { unknown: string }> {
  try {
    return await session.describe();
  } catch (error) {
    if (session.callerAborted) throw error;
    if (isAccessDenied(error)) return { unknown: unknownBecause(error) };
    if (!tolerant || error instanceof KmsWaiterError) throw error;
    return { unknown: unknownBecause(error) };
  }
}

/**
 * Disconnects the store: the idempotent kill switch. It sends DisconnectCustomKeyStore first,
 * without reading the state, so that a role allowed only `kms:DisconnectCustomKeyStore` can use
 * it. Accepted → `disconnected` (and, with `wait`, polls until DISCONNECTED). Refused with
 * CustomKeyStoreInvalidStateException, which KMS answers for a store already DISCONNECTED or
 * DISCONNECTING (the goal, or on its way to it, e.g. a concurrent caller's or a crashed run's
 * request landed first) → `none`, or `waited` with `wait` while it is DISCONNECTING.
 * The state is then read with DescribeCustomKeyStores; when that is denied the result says so in
 * `stateUnknown` (and, with `wait`, that it could not wait) instead of failing: the Disconnect
 * still counts. So two concurrent calls both succeed, and running it again is safe.
 *
 * @param api - a {@link KmsClient}, or anything with its three calls.
 * @param customKeyStoreId - the store.
 * @param options - `wait` for DISCONNECTED, deadline (covers every step), signal, progress callback.
 * @returns what was done, the last state seen (or why it is unknown), the request ID.
 * @throws {@link KmsWaiterError} `timeout` when waiting and `timeoutMs` passes first; after an
 *   accepted Disconnect its `acceptedRequestId` names that request (it stands: record it).
 * @throws {@link CustomKeyStoreNotFoundException}, AccessDeniedException of Disconnect and other
 *   errors of the calls, as they are.
 */
export async function ensureDisconnected(
  api: CustomKeyStoreApi,
  customKeyStoreId: string,
  options?: EnsureDisconnectedOptions,
): Promise<EnsureStateResult> {
  const resolved = await validate('ensureDisconnected', customKeyStoreId, options);
  const wait = resolved.wait === true;
  return inSession(api, customKeyStoreId, resolved, ['DISCONNECTED'], async (session) => {
    let requestId: string | undefined;
    try {
      const output = await session.step((signal) =>
        api.disconnectCustomKeyStore(customKeyStoreId, { signal }),
      );
      requestId = session.noteAccepted('DisconnectCustomKeyStore', output);
    } catch (error) {
      if (!(error instanceof CustomKeyStoreInvalidStateException)) throw error;
      requestId = error.$metadata.requestId;
      const seen = await describeIfAllowed(session, true);
      if ('unknown' in seen)
        return session.result('none', undefined, { requestId, ...unknownOf(seen) });
      // KMS refuses Disconnect only for DISCONNECTED or DISCONNECTING; anything else is a race.
      if (!isStateIn(disconnectedOrOnItsWay, seen.connectionState)) throw error;
      if (!wait || seen.connectionState === 'DISCONNECTED') {
        return session.result('none', seen, { requestId });
      }
      const reached = await session.waitFor(['DISCONNECTED'], false, seen);
      return session.result('waited', reached, { requestId });
    }
    // Accepted. A FAILED store may still read FAILED for a moment after Disconnect, so FAILED
    // does not end this wait.
    const seen = await describeIfAllowed(session, !wait);
    if ('unknown' in seen) {
      return session.result('disconnected', undefined, { requestId, ...unknownOf(seen) });
    }
    const after = wait ? await session.waitFor(['DISCONNECTED'], false, seen) : seen;
    return session.result('disconnected', after, { requestId });
  });
}

function unknownOf(seen: { unknown: string }): { stateUnknown: string } {
  return { stateUnknown: seen.unknown };
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
    const output = await session.step((signal) => api.disconnectCustomKeyStore(id, { signal }));
    session.noteAccepted('DisconnectCustomKeyStore', output);
    return 'sent';
  } catch (error) {
    if (!(error instanceof CustomKeyStoreInvalidStateException)) throw error;
    const entry = await session.describe();
    if (isStateIn(settled, entry.connectionState)) return 'already';
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
): Promise<{ sent: boolean; entry: CustomKeyStoreEntry; requestId?: string }> {
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
    if (isStateIn(connectedOrOnItsWay, entry.connectionState)) return { sent: false, entry };
    let output: unknown;
    try {
      output = await session.step((signal) => api.connectCustomKeyStore(id, { signal }));
    } finally {
      turn.settledAt = performance.now();
    }
    return { sent: true, entry, requestId: session.noteAccepted('ConnectCustomKeyStore', output) };
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
 * `api` send one Connect between them: concurrent callers all succeed. When Describe is denied
 * (a role allowed only to connect), it sends Connect alone: accepted → `connected` with
 * `stateUnknown` (it cannot wait); refused → KMS's error as it is.
 *
 * @param api - a {@link KmsClient}, or anything with its three calls.
 * @param customKeyStoreId - the store.
 * @param options - `wait` for CONNECTED, `resetFailed`, deadline (covers every step), signal, progress callback.
 * @returns what was done, and the last state seen.
 * @throws {@link KmsWaiterError} `failed` when the store is or becomes FAILED (with its
 *   `connectionErrorCode`), `timeout` when `timeoutMs` passes first; after an accepted Connect
 *   (or, with `resetFailed`, Disconnect) `acceptedRequestId` and `acceptedOperation` name it.
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

    const first = await describeIfAllowed(session, false);
    if ('unknown' in first) {
      // Least privilege: Connect alone. KMS refuses it for FAILED and DISCONNECTING stores.
      const output = await session.step((signal) =>
        api.connectCustomKeyStore(customKeyStoreId, { signal }),
      );
      return session.result('connected', undefined, {
        requestId: session.noteAccepted('ConnectCustomKeyStore', output),
        ...unknownOf(first),
      });
    }
    let entry = first;
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
      if (isStateIn(connectedOrOnItsWay, entry.connectionState)) return connecting(entry);
    }
    if (entry.connectionState === 'DISCONNECTING' || state === 'FAILED') {
      // DISCONNECTED may last only a moment when another caller is connecting the store too:
      // CONNECTING or CONNECTED mean it got there first.
      entry = await session.waitFor(['DISCONNECTED'], false, entry, connectedOrOnItsWay);
      session.expected = ['CONNECTED'];
      if (isStateIn(connectedOrOnItsWay, entry.connectionState)) return connecting(entry);
    }
    let requestId: string | undefined;
    try {
      const attempt = await connectOnce(api, customKeyStoreId, session);
      if (!attempt.sent) return connecting(attempt.entry);
      requestId = attempt.requestId;
    } catch (error) {
      if (!(error instanceof CustomKeyStoreInvalidStateException)) throw error;
      const current = await session.describe();
      if (current.connectionState === 'CONNECTING' || current.connectionState === 'CONNECTED') {
        return connecting(current);
      }
      throw error;
    }
    const seen = await describeIfAllowed(session, !wait);
    if ('unknown' in seen) {
      return session.result('connected', undefined, { requestId, ...unknownOf(seen) });
    }
    const after = wait ? await session.waitFor(['CONNECTED'], true, seen) : seen;
    return session.result('connected', after, { requestId });
  });
}
