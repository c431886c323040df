/**
 * The waiter's public types: the calls it needs, its options, what it reports and returns.
 * Apart from the engine (`wait.ts`) and the policies (`ensure.ts`) so the schemas can name them.
 */
import type {
  ConnectionState,
  CustomKeyStoreEntry,
  DescribeCustomKeyStoresInput,
  DescribeCustomKeyStoresPage,
} from '../operations/operations.js';
import type { CallOptions } from '../request/send.js';

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
  /** Its connection state; undefined when KMS sent an entry without one (the model allows it). */
  state: ConnectionState | undefined;
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
  /** The state of the last Describe; undefined when KMS sent an entry without one. */
  state: ConnectionState | undefined;
  /** The entry of the last Describe. */
  entry: CustomKeyStoreEntry;
  /** Milliseconds the call took. */
  elapsedMs: number;
}
