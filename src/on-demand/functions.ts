/**
 * The library's functions whose code is loaded on first use (`modules.ts`): the fleet kill switch,
 * the maintenance run, the waiter and the ensure calls. Each loads its module and runs it; what
 * each does is documented here, where users find it.
 */
import type { FleetOptions, FleetRecord } from '../fleet.js';
import type {
  MaintenanceApi,
  MaintenanceOptions,
  MaintenanceReport,
} from '../maintenance/maintain.js';
import type {
  CustomKeyStoreEntry,
  KnownConnectionState,
  UpdateCustomKeyStoreInput,
} from '../operations/operations.js';
import type {
  CustomKeyStoreApi,
  EnsureConnectedOptions,
  EnsureDisconnectedOptions,
  EnsureStateResult,
  WaitOptions,
} from '../waiter/types.js';
import { onDemand } from './load.js';

/**
 * Disconnects (or connects) every selected custom key store in every profile × region, and
 * returns the audit record. For each pair: lists the stores (all pages), keeps those of `type`
 * whose name matches `name`, then runs the idempotent ensure call on each, at most `concurrency`
 * calls at a time. A pair that cannot be listed goes to `failures`; a store whose call fails is
 * `failed` with its error; neither stops the rest. It does not throw for those: read the record.
 *
 * @example
 * ```ts
 * const record = await applyToFleet({
 *   action: 'disconnect',
 *   profiles: ['prod', 'prod-eu'],
 *   regions: ['us-east-1', 'eu-west-1'],
 *   type: 'EXTERNAL_KEY_STORE',
 *   wait: true,
 * });
 * if (record.failures.length || record.targets.some((t) => t.action === 'failed')) page();
 * ```
 * @throws {@link KmsValidationError} before any request when an option is invalid.
 */
export async function applyToFleet(options: FleetOptions): Promise<FleetRecord> {
  return (await onDemand('fleet')).applyToFleet(options);
}

/**
 * Applies an update to a custom key store whatever its state, disconnecting only when a changed
 * property needs it, and reconnecting afterwards a store that was connected.
 *
 * IAM: `kms:DescribeCustomKeyStores` and `kms:UpdateCustomKeyStore`; also
 * `kms:DisconnectCustomKeyStore` and `kms:ConnectCustomKeyStore` when a property needs the store
 * DISCONNECTED and it is not. Least privilege:
 * - Describe denied (`AccessDeniedException`): the run cannot tell the state, so it never
 *   disconnects (it could not wait for DISCONNECTED either). It sends the Update alone, every
 *   property as given, and lets KMS judge: properties that need no disconnect are applied in any
 *   state; one that needs DISCONNECTED is accepted only when the store is DISCONNECTED, and
 *   otherwise KMS refuses the whole Update with {@link CustomKeyStoreInvalidStateException}
 *   (nothing changed; disconnect the store first, e.g. with {@link ensureDisconnected}, and run
 *   again once it is DISCONNECTED). The report says `stateUnknown`.
 * - A later step denied (Disconnect, Connect, or the Connect of a rollback): the
 *   `AccessDeniedException` is thrown (the update's own error for a failed update) with the report
 *   attached; `accepted` lists exactly the requests KMS accepted before, the denied step has
 *   `missingPermission`, and `outcome` is never `rolled-back` unless the rollback's Connect was
 *   accepted and the store reached CONNECTED.
 *
 * @example
 * ```ts
 * const report = await client.maintainCustomKeyStore({
 *   customKeyStoreId: 'cks-0123456789abcdef0',
 *   xksProxyAuthenticationCredential: { accessKeyId, rawSecretAccessKey },
 * });
 * console.log(report.stateBefore, report.steps.map((step) => step.action), report.stateAfter);
 * ```
 * @param api - a {@link KmsClient}, or anything with its calls.
 * @param input - as {@link KmsClient.updateCustomKeyStore}.
 * @param options - `allowDisconnect`, `reconnect`, and the waiter's deadline, polling, signal, `onPoll`.
 * @returns the report of the run.
 * @throws {@link KmsValidationError} before anything is sent for invalid input, and after the first
 *   Describe only for fields of the other store type or a needed disconnect with
 *   `allowDisconnect: false` (the report attached).
 * @throws the update's own typed error (e.g. {@link XksProxyIncorrectAuthenticationCredentialException})
 *   after the store was put back as it was, with the report attached; the errors of the other
 *   steps ({@link KmsWaiterError} for a store that does not reach CONNECTED, with
 *   `acceptedRequestId` naming the accepted Disconnect / Connect; AccessDeniedException for a
 *   denied step; …) likewise.
 */
export async function maintainCustomKeyStore(
  api: MaintenanceApi,
  input: UpdateCustomKeyStoreInput,
  options?: MaintenanceOptions,
): Promise<MaintenanceReport> {
  return (await onDemand('maintenance')).maintainCustomKeyStore(api, input, options);
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
  return (await onDemand('wait')).waitForConnectionState(api, customKeyStoreId, states, options);
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
  return (await onDemand('ensure')).ensureDisconnected(api, customKeyStoreId, options);
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
  return (await onDemand('ensure')).ensureConnected(api, customKeyStoreId, options);
}
