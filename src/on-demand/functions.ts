/**
 * The library's functions whose code is loaded on first use (`modules.ts`): the fleet run and the
 * maintenance run. Each loads its module and runs it; what each does is documented here, where
 * users find it. (The waiter and the ensure calls, the kill switch, stay in the main entry.)
 */
import type { FleetOptions, FleetRecord } from '../fleet.js';
import type {
  MaintenanceApi,
  MaintenanceOptions,
  MaintenanceReport,
} from '../maintenance/maintain.js';
import type { UpdateCustomKeyStoreInput } from '../operations/operations.js';
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
