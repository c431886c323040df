/**
 * The idempotent kill switch and its counterpart, built on the wait engine (`wait.ts`): Describe,
 * then Disconnect or Connect only when needed, and treat a concurrent caller's success as ours.
 */
import { CustomKeyStoreInvalidStateException, KmsWaiterError } from '../errors.js';
import type { CustomKeyStoreEntry } from '../operations/operations.js';
import type {
  CustomKeyStoreApi,
  EnsureConnectedOptions,
  EnsureDisconnectedOptions,
  EnsureStateResult,
} from './types.js';
import { inSession, isStateIn, type Session, validate } from './wait.js';

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
    if (isStateIn(connectedOrOnItsWay, entry.connectionState)) return { sent: false, entry };
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
      if (isStateIn(connectedOrOnItsWay, entry.connectionState)) return connecting(entry);
    }
    if (entry.connectionState === 'DISCONNECTING' || state === 'FAILED') {
      // DISCONNECTED may last only a moment when another caller is connecting the store too:
      // CONNECTING or CONNECTED mean it got there first.
      entry = await session.waitFor(['DISCONNECTED'], false, entry, connectedOrOnItsWay);
      session.expected = ['CONNECTED'];
      if (isStateIn(connectedOrOnItsWay, entry.connectionState)) return connecting(entry);
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
