/**
 * The maintenance run: apply an UpdateCustomKeyStore whatever state the store is in. Describe;
 * when a changed property needs DISCONNECTED and the store is not, disconnect (idempotently) and
 * wait; update; when the store was CONNECTED (or CONNECTING) before, connect and wait for
 * CONNECTED. Every step is recorded with its request ID and time in a {@link MaintenanceReport}.
 * An update that fails after the run disconnected the store is rolled back: the store is connected
 * again as it was, and the update's own typed error is thrown with the report attached.
 */
import {
  CustomKeyStoreInvalidStateException,
  KmsError,
  KmsResponseError,
  KmsTimeoutError,
  KmsValidationError,
  type ResponseMetadata,
  type ValidationIssue,
} from '../errors.js';
import {
  type ConnectionState,
  type CustomKeyStoreEntry,
  cloudHsmFields,
  externalKeyStoreFields,
  type UpdatableProperty,
  type UpdateCustomKeyStoreInput,
  updateCustomKeyStore,
  updateFields,
} from '../operations/operations.js';
import { type CallOptions, unreadableInputError } from '../request/send.js';
import { isAccessDenied } from '../waiter/ensure.js';
import type { CustomKeyStoreApi, WaitOptions } from '../waiter/types.js';
import { inSession, type Session, validate } from '../waiter/wait.js';

/** The calls a maintenance run needs; {@link KmsClient} has them. */
export interface MaintenanceApi extends CustomKeyStoreApi {
  /** UpdateCustomKeyStore. */
  updateCustomKeyStore(
    input: UpdateCustomKeyStoreInput,
    options?: CallOptions,
  ): Promise<{ $metadata: ResponseMetadata }>;
}

/** Options of {@link maintainCustomKeyStore}. The deadline (`timeoutMs`) covers the whole run. */
export interface MaintenanceOptions extends WaitOptions {
  /**
   * Whether the run may disconnect the store when a property needs DISCONNECTED (default true).
   * With `false` the run refuses, with a {@link KmsValidationError} naming those properties,
   * before it sends anything but a Describe.
   */
  allowDisconnect?: boolean;
  /**
   * Whether a store that was CONNECTED (or CONNECTING) before, and that the run disconnected, is
   * connected again and waited for (default true). With `false` it is left DISCONNECTED.
   */
  reconnect?: boolean;
  /**
   * Whether to wait for CONNECTED after connecting the store again (default true). With `false`
   * the run returns once KMS accepted the Connect (`stateAfter` CONNECTING).
   */
  waitForConnected?: boolean;
  /**
   * Asked once, after the first Describe and before anything else is sent, when the run would
   * disconnect the store. Resolving false ends the run with outcome `declined` and nothing sent;
   * throwing ends it with that error.
   */
  confirmDisconnect?: (plan: MaintenancePlan) => boolean | Promise<boolean>;
}

/** What {@link MaintenanceOptions.confirmDisconnect} is asked about. */
export interface MaintenancePlan {
  /** The store. */
  customKeyStoreId: string;
  /** Its name. */
  customKeyStoreName: string | undefined;
  /** Its state now. */
  state: ConnectionState;
  /** The properties that need the store DISCONNECTED. */
  properties: UpdatableProperty[];
  /** Whether the run will connect it again afterwards. */
  reconnect: boolean;
}

/** What a step of the run did. */
export type MaintenanceAction = 'describe' | 'disconnect' | 'wait' | 'update' | 'connect';

/** One step of a maintenance run. */
export interface MaintenanceStep {
  /** What was done. */
  action: MaintenanceAction;
  /**
   * `ok` (KMS accepted it); `already` (a Disconnect that another caller's request had made
   * needless); `failed` (refused or denied: `error` says why, and nothing of this step took
   * effect); `unknown` (a Disconnect, Update or Connect sent and not answered before the run was
   * interrupted or timed out: it may have been accepted).
   */
  outcome: 'ok' | 'already' | 'failed' | 'unknown';
  /** The `x-amzn-requestid` of the call (of the last Describe for a wait), when one answered. */
  requestId?: string;
  /** When the step started (ISO 8601). */
  startedAt: string;
  /** How long it took, in ms. */
  durationMs: number;
  /** For `describe` and `wait`: the state seen last. */
  state?: ConnectionState;
  /** For `wait`: the state waited for. */
  target?: ConnectionState;
  /** For `wait`: Describe calls made. */
  polls?: number;
  /** For a failed step: the error's name (`CustomKeyStoreInvalidStateException`, `KmsWaiterError`, …). */
  error?: string;
  /**
   * For a step KMS denied (`AccessDeniedException`): the IAM action the identity lacks, e.g.
   * `kms:ConnectCustomKeyStore`.
   */
  missingPermission?: string;
  /** True for the steps that put the store back after a failed update. */
  rollback?: boolean;
}

/**
 * What a maintenance run did. Returned when it succeeds; attached as `maintenanceReport` to the
 * error it throws otherwise (see {@link maintenanceReportOf}).
 */
export interface MaintenanceReport {
  /** The store. */
  customKeyStoreId: string;
  /** Its type, as Describe gave it. */
  customKeyStoreType: string | undefined;
  /** The connection state before the run (undefined when the first Describe failed or was denied). */
  stateBefore: ConnectionState | undefined;
  /**
   * Why the state is not known, when the identity may not Describe:
   * `DescribeCustomKeyStores denied (AccessDeniedException)`. The run then sent the Update alone
   * (see {@link maintainCustomKeyStore}); `stateBefore` and `stateAfter` are undefined.
   */
  stateUnknown?: string;
  /** The properties sent in UpdateCustomKeyStore (secrets by name only). */
  updatedProperties: UpdatableProperty[];
  /** Properties asked for that already had that value: not sent. */
  unchangedProperties: UpdatableProperty[];
  /** The properties that need the store DISCONNECTED. */
  propertiesNeedingDisconnect: UpdatableProperty[];
  /** Whether the run disconnected the store (or found its Disconnect already done by another caller). */
  disconnected: boolean;
  /** Whether the run connected the store again (after the update, or in a rollback). */
  reconnected: boolean;
  /**
   * `updated`; `unchanged` (nothing to send); `declined` (`confirmDisconnect` said no: nothing
   * sent); `rolled-back` (the update failed and the store was put back as it was); `failed`
   * (something failed and the store is not known to be as before).
   */
  outcome: 'updated' | 'unchanged' | 'declined' | 'rolled-back' | 'failed';
  /** Every step, in order. */
  steps: MaintenanceStep[];
  /**
   * The Disconnect, Update and Connect requests KMS accepted in this run, in order, with their
   * request IDs: they stand, whatever failed after them. Empty: the run changed nothing (a
   * Disconnect another caller had made is `already` in `steps`, not here).
   */
  accepted: AcceptedRequest[];
  /** The connection state after the run, from its last Describe (undefined when none answered). */
  stateAfter: ConnectionState | undefined;
  /** The store as the last Describe showed it (new settings included; never a secret). */
  entryAfter: CustomKeyStoreEntry | undefined;
  /** How long the run took, in ms. */
  elapsedMs: number;
}

/** A request of a maintenance run that KMS accepted. */
export interface AcceptedRequest {
  /** The operation. */
  operation: 'DisconnectCustomKeyStore' | 'UpdateCustomKeyStore' | 'ConnectCustomKeyStore';
  /** Its `x-amzn-requestid`. */
  requestId: string | undefined;
  /** True for a Connect that put the store back after a failed update. */
  rollback?: boolean;
}

/** Properties of an external key store that need DISCONNECTED, as KMS documents. */
const xksNeedsDisconnected: readonly UpdatableProperty[] = [
  'xksProxyUriEndpoint',
  'xksProxyConnectivity',
  'xksProxyVpcEndpointServiceName',
  'xksProxyVpcEndpointServiceOwner',
];
/** Properties of a CloudHSM key store that need DISCONNECTED. */
const cloudHsmNeedsDisconnected: readonly UpdatableProperty[] = [
  'keyStorePassword',
  'cloudHsmClusterId',
];

/** The value Describe shows for a property, to leave out what would not change. */
function currentValue(entry: CustomKeyStoreEntry, property: UpdatableProperty): unknown {
  const xks = entry.xksProxyConfiguration;
  switch (property) {
    case 'newCustomKeyStoreName':
      return entry.customKeyStoreName;
    case 'cloudHsmClusterId':
      return entry.cloudHsmClusterId;
    case 'xksProxyUriEndpoint':
      return xks?.uriEndpoint;
    case 'xksProxyUriPath':
      return xks?.uriPath;
    case 'xksProxyConnectivity':
      return xks?.connectivity;
    case 'xksProxyVpcEndpointServiceName':
      return xks?.vpcEndpointServiceName;
    case 'xksProxyVpcEndpointServiceOwner':
      return xks?.vpcEndpointServiceOwner;
    default:
      // A password or a credential: its current value is never shown, so it always changes.
      return undefined;
  }
}

const connectedBefore = new Set(['CONNECTED', 'CONNECTING']);

/** The maintenance run; documented, and loaded on first use, by `maintainCustomKeyStore` of `on-demand/functions.ts`. */
export async function maintainCustomKeyStore(
  api: MaintenanceApi,
  input: UpdateCustomKeyStoreInput,
  options: MaintenanceOptions = {},
): Promise<MaintenanceReport> {
  const operation = 'maintainCustomKeyStore';
  let given: UpdateCustomKeyStoreInput;
  let allowDisconnect: unknown;
  let reconnect: unknown;
  let waitForConnected: unknown;
  let confirmDisconnect: unknown;
  try {
    given = { ...input };
    if (given.xksProxyAuthenticationCredential !== undefined) {
      given.xksProxyAuthenticationCredential = { ...given.xksProxyAuthenticationCredential };
    }
    ({ allowDisconnect, reconnect, waitForConnected, confirmDisconnect } = options ?? {});
  } catch (error) {
    throw unreadableInputError(operation, error);
  }
  // The whole input is checked before anything is sent, Describe included.
  const parsed = await updateCustomKeyStore.validateInput(given);
  if (!parsed.success) throw new KmsValidationError(operation, parsed.issues);
  for (const [name, value] of [
    ['allowDisconnect', allowDisconnect],
    ['reconnect', reconnect],
    ['waitForConnected', waitForConnected],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') {
      throw new KmsValidationError(operation, [
        { code: 'invalid_type', path: [name], message: 'must be a boolean' },
      ]);
    }
  }
  if (confirmDisconnect !== undefined && typeof confirmDisconnect !== 'function') {
    throw new KmsValidationError(operation, [
      { code: 'invalid_type', path: ['confirmDisconnect'], message: 'must be a function' },
    ]);
  }
  const confirm = confirmDisconnect as MaintenanceOptions['confirmDisconnect'];
  const wanted = parsed.data;
  const id = wanted.customKeyStoreId;
  const resolved = await validate(operation, id, options);
  const started = performance.now();
  const report: MaintenanceReport = {
    customKeyStoreId: id,
    customKeyStoreType: undefined,
    stateBefore: undefined,
    updatedProperties: [],
    unchangedProperties: [],
    propertiesNeedingDisconnect: [],
    disconnected: false,
    reconnected: false,
    outcome: 'failed',
    steps: [],
    accepted: [],
    stateAfter: undefined,
    entryAfter: undefined,
    elapsedMs: 0,
  };
  const finish = () => {
    report.elapsedMs = Math.round(performance.now() - started);
    report.accepted = report.steps.flatMap((step) =>
      step.outcome === 'ok' && step.action in acceptedOperation
        ? [
            {
              operation: acceptedOperation[step.action as keyof typeof acceptedOperation],
              requestId: step.requestId,
              ...(step.rollback && { rollback: true }),
            },
          ]
        : [],
    );
    return report;
  };

  // The waits poll through this, so that a wait step can name the request ID of its last poll.
  let lastPoll: string | undefined;
  const polled: CustomKeyStoreApi = {
    describeCustomKeyStores: async (describeInput, callOptions) => {
      const page = await api.describeCustomKeyStores(describeInput, callOptions);
      lastPoll = (page as { $metadata?: ResponseMetadata }).$metadata?.requestId;
      return page;
    },
    disconnectCustomKeyStore: (storeId, callOptions) =>
      api.disconnectCustomKeyStore(storeId, callOptions),
    connectCustomKeyStore: (storeId, callOptions) =>
      api.connectCustomKeyStore(storeId, callOptions),
  };
  return inSession(polled, id, resolved, [], async (session) => {
    const run = new Steps(session, report, () => lastPoll);
    try {
      let before: CustomKeyStoreEntry;
      try {
        before = await run.describe(api, id);
      } catch (error) {
        if (!isAccessDenied(error) || session.callerAborted) throw error;
        // Least privilege: without Describe, the Update alone, and KMS judges the state.
        report.stateUnknown = 'DescribeCustomKeyStores denied (AccessDeniedException)';
        const update = { ...wanted } as UpdateCustomKeyStoreInput;
        report.updatedProperties = updateFields.filter(
          (property) => wanted[property] !== undefined,
        );
        report.propertiesNeedingDisconnect = report.updatedProperties.filter(
          (property) =>
            xksNeedsDisconnected.includes(property) || cloudHsmNeedsDisconnected.includes(property),
        );
        await run.call('update', (signal) => api.updateCustomKeyStore(update, { signal }));
        report.outcome = 'updated';
        return finish();
      }
      const stateBefore = before.connectionState;
      if (stateBefore === undefined) {
        // The model allows an entry without it; without it there is no deciding what is safe.
        throw new KmsResponseError({
          message: `DescribeCustomKeyStores returned no ConnectionState for ${id}: the maintenance run cannot tell whether the store must be disconnected`,
        });
      }
      report.stateBefore = stateBefore;
      report.customKeyStoreType = before.customKeyStoreType;

      // What would change, and which of it needs DISCONNECTED, for this type of store.
      const type = before.customKeyStoreType;
      const foreignFields =
        type === 'AWS_CLOUDHSM'
          ? externalKeyStoreFields
          : type === 'EXTERNAL_KEY_STORE'
            ? cloudHsmFields
            : [];
      const foreign = foreignFields.filter(
        (field) => (wanted as unknown as Record<string, unknown>)[field] !== undefined,
      );
      if (foreign.length > 0) {
        throw new KmsValidationError(
          operation,
          foreign.map((field) => issue(field, `is not a property of a ${type} key store`)),
        );
      }
      const update: UpdateCustomKeyStoreInput = { customKeyStoreId: id };
      for (const property of updateFields) {
        const value = wanted[property];
        if (value === undefined) continue;
        if (value === currentValue(before, property)) report.unchangedProperties.push(property);
        else {
          (update as unknown as Record<string, unknown>)[property] = value;
          report.updatedProperties.push(property);
        }
      }
      const needing =
        type === 'AWS_CLOUDHSM'
          ? cloudHsmNeedsDisconnected
          : type === 'EXTERNAL_KEY_STORE'
            ? xksNeedsDisconnected
            : [...xksNeedsDisconnected, ...cloudHsmNeedsDisconnected];
      report.propertiesNeedingDisconnect = report.updatedProperties.filter((property) =>
        needing.includes(property),
      );
      if (report.updatedProperties.length === 0) {
        report.outcome = 'unchanged';
        report.stateAfter = stateBefore;
        report.entryAfter = before;
        return finish();
      }
      const mustDisconnect =
        report.propertiesNeedingDisconnect.length > 0 && stateBefore !== 'DISCONNECTED';
      if (mustDisconnect && allowDisconnect === false) {
        report.stateAfter = stateBefore;
        report.entryAfter = before;
        throw new KmsValidationError(
          operation,
          report.propertiesNeedingDisconnect.map((property) =>
            issue(
              property,
              `needs the store DISCONNECTED; it is ${stateBefore} and allowDisconnect is false`,
            ),
          ),
        );
      }
      const wasConnected = connectedBefore.has(stateBefore);
      if (mustDisconnect && confirm) {
        const confirmed = await session.step(async () =>
          confirm({
            customKeyStoreId: id,
            customKeyStoreName: before.customKeyStoreName,
            state: stateBefore,
            properties: [...report.propertiesNeedingDisconnect],
            reconnect: wasConnected && reconnect !== false,
          }),
        );
        if (!confirmed) {
          report.outcome = 'declined';
          return finish();
        }
      }
      if (mustDisconnect) {
        if (stateBefore !== 'DISCONNECTING') await run.disconnect(api, id);
        report.disconnected = true;
        await run.waitFor(['DISCONNECTED'], false);
      }
      const putBack = report.disconnected && wasConnected && reconnect !== false;

      try {
        await run.call('update', (signal) => api.updateCustomKeyStore(update, { signal }));
      } catch (updateError) {
        if (putBack) {
          try {
            await run.call('connect', (signal) => api.connectCustomKeyStore(id, { signal }), true);
            report.reconnected = true;
            if (waitForConnected !== false) await run.waitFor(['CONNECTED'], true, true);
            else await run.describe(api, id, true);
            report.outcome = 'rolled-back';
          } catch {
            // The rollback's failure is in the report; the update's error is the one to throw.
          }
        }
        throw updateError;
      }
      report.outcome = 'updated';
      if (putBack) {
        await run.call('connect', (signal) => api.connectCustomKeyStore(id, { signal }));
        report.reconnected = true;
        if (waitForConnected !== false) await run.waitFor(['CONNECTED'], true);
        else await run.describe(api, id);
      } else {
        await run.describe(api, id);
      }
      return finish();
    } catch (error) {
      if (report.stateAfter === undefined && session.last !== undefined) {
        report.stateAfter = session.last.connectionState;
        report.entryAfter = session.last;
      }
      if (error instanceof KmsError || error instanceof Error) {
        Object.defineProperty(error, 'maintenanceReport', {
          value: finish(),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      throw error;
    }
  });
}

/** The operations whose acceptance a report lists in `accepted`. */
const acceptedOperation = {
  disconnect: 'DisconnectCustomKeyStore',
  update: 'UpdateCustomKeyStore',
  connect: 'ConnectCustomKeyStore',
} as const;

/** The KMS operation behind each step. */
const iamOperation: Record<MaintenanceAction, string> = {
  ...acceptedOperation,
  describe: 'DescribeCustomKeyStores',
  wait: 'DescribeCustomKeyStores',
};

/** The IAM action an AccessDeniedException names (`… not authorized to perform: kms:X …`). */
function deniedAction(message: string): string | undefined {
  return /not authorized to perform: (kms:[A-Za-z]+)/.exec(message)?.[1];
}

function issue(field: string, message: string): ValidationIssue {
  return { code: 'custom', path: [field], message };
}

/** Records each step of a run in its report. */
class Steps {
  readonly #session: Session;
  readonly #report: MaintenanceReport;
  readonly #lastPoll: () => string | undefined;

  constructor(session: Session, report: MaintenanceReport, lastPoll: () => string | undefined) {
    this.#session = session;
    this.#report = report;
    this.#lastPoll = lastPoll;
  }

  /** Runs one call within the run's deadline and records it. */
  async call<T>(
    action: MaintenanceAction,
    work: (signal: AbortSignal) => Promise<T>,
    rollback = false,
    extra: (result: T) => Partial<MaintenanceStep> = () => ({}),
  ): Promise<T> {
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const step = (fields: Partial<MaintenanceStep>): MaintenanceStep => ({
      action,
      outcome: 'ok',
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      ...(rollback && { rollback: true }),
      ...fields,
    });
    try {
      const result = await this.#session.step(work);
      if (action === 'disconnect' || action === 'connect') {
        this.#session.noteAccepted(acceptedOperation[action], result);
      }
      const requestId = (result as { $metadata?: ResponseMetadata } | undefined)?.$metadata
        ?.requestId;
      this.#report.steps.push(
        step({ ...(requestId !== undefined && { requestId }), ...extra(result) }),
      );
      return result;
    } catch (error) {
      const requestId = (error as { $metadata?: ResponseMetadata } | undefined)?.$metadata
        ?.requestId;
      // A change sent and not answered (Ctrl-C, the run's deadline, the request timeout) may
      // have been accepted: unknown, not failed.
      const unanswered =
        action !== 'describe' &&
        (this.#session.signal.aborted ||
          (error instanceof KmsTimeoutError && error.phase !== 'connect'));
      const missingPermission = isAccessDenied(error)
        ? (deniedAction(error.message) ?? `kms:${iamOperation[action]}`)
        : undefined;
      this.#report.steps.push(
        step({
          outcome: unanswered ? 'unknown' : 'failed',
          error: error instanceof Error ? error.name : 'Error',
          ...(requestId !== undefined && { requestId }),
          ...(missingPermission !== undefined && { missingPermission }),
        }),
      );
      throw error;
    }
  }

  /** Describes the store (one recorded step); `session.last` follows it. */
  async describe(api: MaintenanceApi, id: string, rollback = false): Promise<CustomKeyStoreEntry> {
    let entry: CustomKeyStoreEntry | undefined;
    await this.call(
      'describe',
      async (signal) => {
        const page = await api.describeCustomKeyStores({ customKeyStoreId: id }, { signal });
        entry = page.customKeyStores.find((item) => item.customKeyStoreId === id);
        if (!entry) {
          throw new KmsError(`DescribeCustomKeyStores returned no entry for ${id}`, {
            $metadata: (page as { $metadata?: ResponseMetadata }).$metadata,
          });
        }
        return page;
      },
      rollback,
      () => ({ state: entry!.connectionState }),
    );
    this.#session.last = entry;
    this.#report.stateAfter = entry!.connectionState;
    this.#report.entryAfter = entry;
    return entry!;
  }

  /** Disconnect, idempotently: a refusal because the store is already on its way down is fine. */
  async disconnect(api: MaintenanceApi, id: string): Promise<void> {
    try {
      await this.call('disconnect', (signal) => api.disconnectCustomKeyStore(id, { signal }));
    } catch (error) {
      if (!(error instanceof CustomKeyStoreInvalidStateException)) throw error;
      const entry = await this.describe(api, id);
      if (entry.connectionState !== 'DISCONNECTING' && entry.connectionState !== 'DISCONNECTED') {
        throw error;
      }
      this.#report.steps.find((step) => step.action === 'disconnect')!.outcome = 'already';
      delete this.#report.steps.find((step) => step.action === 'disconnect')!.error;
    }
  }

  /** Polls until the state is reached (FAILED ends it when `failOnFailed`); one recorded step. */
  async waitFor(
    targets: readonly string[],
    failOnFailed: boolean,
    rollback = false,
  ): Promise<CustomKeyStoreEntry> {
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const polls = this.#session.polls;
    const record = (fields: Partial<MaintenanceStep>) => {
      const last = this.#session.last;
      const requestId = this.#session.polls > polls ? this.#lastPoll() : undefined;
      this.#report.steps.push({
        action: 'wait',
        ...(requestId !== undefined && { requestId }),
        outcome: 'ok',
        startedAt,
        durationMs: Math.round(performance.now() - t0),
        target: targets[0],
        polls: this.#session.polls - polls,
        ...(last !== undefined && { state: last.connectionState }),
        ...(rollback && { rollback: true }),
        ...fields,
      });
      if (last !== undefined) {
        this.#report.stateAfter = last.connectionState;
        this.#report.entryAfter = last;
      }
    };
    try {
      const entry = await this.#session.waitFor(targets, failOnFailed);
      record({});
      return entry;
    } catch (error) {
      record({ outcome: 'failed', error: error instanceof Error ? error.name : 'Error' });
      throw error;
    }
  }
}
