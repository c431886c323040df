/**
 * The fleet kill switch: disconnect (or connect again) every custom key store selected by type and
 * name, in every profile × region, in parallel, and return an audit record of what happened.
 * Built on the idempotent {@link ensureDisconnected} / {@link ensureConnected}, so running it twice,
 * or after an interrupted run, is safe. A profile or region that cannot be listed is reported in
 * `failures` and does not stop the others.
 */
import { KmsClient, paginateStores } from './client.js';
import { fleetDefaults, maxTimerMs } from './config/defaults.js';
import type { KmsClientConfig } from './config/options.js';
import { editDistance } from './edit-distance.js';
import { type KmsConfigErrorCode, KmsValidationError, KmsWaiterError } from './errors.js';
import type { ConnectionState, CustomKeyStoreEntry } from './operations/operations.js';
import type { CallOptions } from './request/send.js';
import { ensureConnected, ensureDisconnected, isAccessDenied } from './waiter/ensure.js';
import type { CustomKeyStoreApi, EnsureStateResult } from './waiter/types.js';

/** What {@link applyToFleet} does to each selected store. */
export type FleetAction = 'disconnect' | 'connect';

/**
 * What happened to one store: `disconnected` / `connected` (KMS accepted the request; even when
 * a wait after it timed out, see `waitError`), `already` (it was at the goal or on its way),
 * `would-disconnect` / `would-connect` (dry run), `failed` (see `error`), `unknown` (the request
 * was sent, and the run was interrupted before KMS answered: its outcome is unknown), `skipped`
 * (no request sent: the run was interrupted or the confirmation declined).
 */
export type FleetTargetAction =
  | 'disconnected'
  | 'connected'
  | 'already'
  | 'would-disconnect'
  | 'would-connect'
  | 'failed'
  | 'unknown'
  | 'skipped';

/** An error in the audit record: plain data, no stack, no secrets. */
export interface FleetError {
  /** The error's name, e.g. `AccessDeniedException`, `KmsConfigError`, `KmsWaiterError`. */
  name: string;
  /** Its message. */
  message: string;
  /** For a {@link KmsWaiterError}: `timeout` (the wait ran out of time) or `failed`. */
  reason?: 'timeout' | 'failed';
  /** The error's `code` when it has one: a {@link KmsConfigErrorCode}, or `ECONNREFUSED` and the like. */
  code?: string;
}

/** One selected store in the audit record. */
export interface FleetTarget {
  /** The profile it was reached with; absent when none was named (the default chain). */
  profile?: string;
  /** Its region. */
  region: string;
  /** Its ID. */
  customKeyStoreId: string;
  /** Its name. */
  customKeyStoreName?: string;
  /** `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`. */
  customKeyStoreType?: string;
  /** Its connection state when listed; absent when KMS listed it without one (it is acted on). */
  stateBefore?: ConnectionState;
  /** What was done. */
  action: FleetTargetAction;
  /** `x-amzn-requestid` of the Disconnect / Connect KMS accepted. */
  requestId?: string;
  /**
   * Its last state seen: at the end of the wait (with `wait`), when the wait timed out, or when
   * the store went FAILED.
   */
  stateAfter?: ConnectionState;
  /** Its `ConnectionErrorCode` when `stateAfter` is FAILED. */
  connectionErrorCode?: string;
  /** Why it failed (only when `action` is `failed`). */
  error?: FleetError;
  /**
   * KMS accepted the request, and the wait after it ended without reaching the goal: a `timeout`
   * (`stateAfter` is the last state seen), or another error of the Describe calls.
   */
  waitError?: FleetError;
  /** Why its state after the request is not known (Describe denied): no wait was possible. */
  stateUnknown?: string;
}

/** A listed store that the selection left out but that looks like what was meant. */
export interface FleetNearMatch {
  /** The profile it was listed with; absent when none was named. */
  profile?: string;
  /** Its region. */
  region: string;
  /** Its ID. */
  customKeyStoreId: string;
  /** Its name. */
  customKeyStoreName?: string;
  /** Its type. */
  customKeyStoreType?: string;
  /** Why it is close: `name differs in case`, `type is AWS_CLOUDHSM`, `similar name`. */
  reason: string;
}

/**
 * A profile × region whose stores could not be listed (no credentials, AccessDenied, unreachable),
 * or were listed only in part: a page said `Truncated` without a `NextMarker` (the stores listed
 * before it are still acted on), or a selected store was listed without an ID (it cannot be acted
 * on). The error is then a `KmsResponseError`.
 */
export interface FleetFailure {
  /** The profile; absent when none was named. */
  profile?: string;
  /** The region; absent when none was named and none could be resolved. */
  region?: string;
  /** Why. */
  error: FleetError;
  /**
   * True when the stores of this profile × region were listed, but not all of them could be: a
   * page said `Truncated` without a `NextMarker`, or a selected store came without an ID. The
   * stores listed are in `targets` and are acted on.
   */
  partial?: true;
  /** The IAM action the identity lacked, when the listing was denied: `kms:DescribeCustomKeyStores`. */
  missingPermission?: string;
}

/** The audit record {@link applyToFleet} returns. Plain data: `JSON.stringify` it as it is. */
export interface FleetRecord {
  /** `disconnect` or `connect`. */
  operation: FleetAction;
  /** When the run started, ISO 8601. */
  startedAt: string;
  /** When it ended, ISO 8601. */
  finishedAt: string;
  /** Whether it was a dry run (nothing but Describe sent). */
  dryRun: boolean;
  /** The selection: type and name glob, as given. */
  selection: { type?: string; name?: string };
  /** Every selected store, in profile, region, listing order. */
  targets: FleetTarget[];
  /** Profile × region pairs that could not be listed. */
  failures: FleetFailure[];
  /** True when `confirm` declined: nothing but Describe was sent. */
  declined?: boolean;
  /**
   * True when the signal aborted the run: stores not reached are `skipped`, stores whose request
   * was in flight `unknown`, stores whose request KMS accepted `disconnected` / `connected`.
   */
  interrupted?: boolean;
  /**
   * When nothing was selected: listed stores that were close (the name in another case, the
   * other type, a similar name), at most 20.
   */
  nearMatches?: FleetNearMatch[];
}

/** A progress event of {@link applyToFleet}, for live displays. */
export type FleetProgress =
  /** A profile × region was listed: its selected stores. */
  | { type: 'listed'; profile?: string; region: string; targets: readonly FleetTarget[] }
  /** A profile × region could not be listed. */
  | { type: 'failure'; failure: FleetFailure }
  /** A Describe of a store while it is acted on or waited for: its current state. */
  | { type: 'state'; target: FleetTarget; state: ConnectionState | undefined }
  /** A store is done (its `action` is final). */
  | { type: 'done'; target: FleetTarget };

/** What `confirm` is asked about: the stores that would be acted on. */
export interface FleetPlan {
  /** The operation. */
  operation: FleetAction;
  /** The stores that need a request (not those already at the goal). */
  targets: readonly FleetTarget[];
  /** How many distinct regions they are in. */
  regions: number;
  /** How many of them are of each type (`EXTERNAL_KEY_STORE`, `AWS_CLOUDHSM`). */
  byType: Readonly<Record<string, number>>;
}

/** Options of {@link applyToFleet}. Only `action` is required. */
export interface FleetOptions {
  /** `disconnect` (the kill switch) or `connect` (to restore service). */
  action: FleetAction;
  /** Shared-config profiles to run with; default: none named (the client's default chain). */
  profiles?: readonly string[];
  /** Regions to run in, in each profile; default: the region each client resolves. */
  regions?: readonly string[];
  /** Only stores of this type. */
  type?: 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
  /** Only stores whose name matches this glob (`*` any run of characters, `?` one; case-sensitive). */
  name?: string;
  /** Most calls in flight at once (listings and stores alike); default 8. */
  concurrency?: number;
  /** Wait until each store is DISCONNECTED (or CONNECTED); default false. */
  wait?: boolean;
  /** Deadline of the whole run after listing, in ms (each store gets what is left); default 30 minutes. */
  timeoutMs?: number;
  /** First delay between two Describe calls of a wait, in ms; default 2 000. */
  pollIntervalMs?: number;
  /** List and select, send no Disconnect / Connect; default false. */
  dryRun?: boolean;
  /** Called once after listing, before any request, when there is something to do (not on a dry run). Return false to send nothing. */
  confirm?: (plan: FleetPlan) => boolean | Promise<boolean>;
  /** Called for each listing, state seen and store done. An exception thrown here is ignored. */
  onProgress?: (event: FleetProgress) => void;
  /**
   * Rewrites the message of an error before it goes into the record (the CLI names its flags
   * instead of the library's options); `undefined` keeps the error's own message.
   */
  describeError?: (error: unknown) => string | undefined;
  /** Stops the run: calls in flight are aborted, stores not done are `skipped`, the record says `interrupted`. */
  signal?: AbortSignal;
  /**
   * Settings of every client (endpoint, credentials, timeouts, …); each client adds its profile
   * and region on top. Credentials given here apply to every profile.
   */
  clientConfig?: KmsClientConfig;
}

/** The fleet run; documented, and loaded on first use, by `applyToFleet` of `on-demand/functions.ts`. */
export async function applyToFleet(options: FleetOptions): Promise<FleetRecord> {
  validate(options);
  const startedAt = new Date().toISOString();
  const dryRun = options.dryRun === true;
  const limit = createLimit(options.concurrency ?? fleetDefaults.concurrency);
  const report = (event: FleetProgress) => {
    try {
      options.onProgress?.(event);
    } catch {
      // A display must not break the kill switch.
    }
  };
  const signal = options.signal;
  const matchesName = options.name === undefined ? () => true : globMatcher(options.name);
  const profiles: (string | undefined)[] = options.profiles?.length
    ? [...options.profiles]
    : [undefined];
  const regions: (string | undefined)[] = options.regions?.length
    ? [...options.regions]
    : [undefined];
  const record: FleetRecord = {
    operation: options.action,
    startedAt,
    finishedAt: startedAt,
    dryRun,
    selection: {
      ...(options.type !== undefined && { type: options.type }),
      ...(options.name !== undefined && { name: options.name }),
    },
    targets: [],
    failures: [],
  };
  const clients: KmsClient[] = [];
  const nearMatches: FleetNearMatch[] = [];
  const isNear = nearMatcher(options.type, options.name);
  try {
    // 1. List every profile × region (in parallel), keeping the selected stores.
    const pairs = profiles.flatMap((profile) => regions.map((region) => ({ profile, region })));
    const listed = await Promise.all(
      pairs.map(({ profile, region }) =>
        limit(async () => {
          let client: KmsClient;
          try {
            client = new KmsClient({
              ...options.clientConfig,
              ...(profile !== undefined && { profile }),
              ...(region !== undefined && { region }),
            });
          } catch (error) {
            return { failure: failureOf(profile, region, errorOf(error, options)) };
          }
          clients.push(client);
          // The region the client resolved, once known: a failure names it, not "default region".
          let resolvedRegion = region;
          try {
            signal?.throwIfAborted();
            resolvedRegion ??= (await client.resolveConfig()).region;
            const targets: FleetTarget[] = [];
            const gaps: FleetFailure[] = [];
            const gap = (message: string) =>
              gaps.push({
                ...failureOf(profile, resolvedRegion, { name: 'KmsResponseError', message }),
                partial: true,
              });
            const stores = paginateStores(client, {}, { signal }, (page) =>
              gap(
                `DescribeCustomKeyStores page ${page} said Truncated but sent no NextMarker: the stores after it were not listed`,
              ),
            );
            for await (const entry of stores) {
              if (
                (options.type !== undefined && entry.customKeyStoreType !== options.type) ||
                !matchesName(entry.customKeyStoreName ?? '')
              ) {
                const reason = entry.customKeyStoreId ? isNear(entry) : undefined;
                if (reason !== undefined && nearMatches.length < 20) {
                  nearMatches.push({
                    ...(profile !== undefined && { profile }),
                    region: resolvedRegion,
                    customKeyStoreId: entry.customKeyStoreId!,
                    ...(entry.customKeyStoreName !== undefined && {
                      customKeyStoreName: entry.customKeyStoreName,
                    }),
                    ...(entry.customKeyStoreType !== undefined && {
                      customKeyStoreType: entry.customKeyStoreType,
                    }),
                    reason,
                  });
                }
                continue;
              }
              const id = entry.customKeyStoreId;
              if (!id) {
                gap(
                  `DescribeCustomKeyStores listed a store without CustomKeyStoreId (name ${JSON.stringify(entry.customKeyStoreName ?? null)}, state ${entry.connectionState ?? 'unknown'}): it cannot be acted on`,
                );
                continue;
              }
              targets.push(targetOf(profile, resolvedRegion, entry, id, options.action));
            }
            report({
              type: 'listed',
              ...(profile !== undefined && { profile }),
              region: resolvedRegion,
              targets,
            });
            return { client, targets, gaps };
          } catch (error) {
            if (signal?.aborted) return { interrupted: true };
            const failure = failureOf(profile, resolvedRegion, errorOf(error, options));
            if (isAccessDenied(error)) {
              // --all lists before it acts: an identity that may only Disconnect cannot list.
              failure.missingPermission = 'kms:DescribeCustomKeyStores';
              failure.error.message = `listing the stores needs kms:DescribeCustomKeyStores, which this identity lacks: ${failure.error.message}`;
            }
            return { failure };
          }
        }),
      ),
    );
    const work: { client: KmsClient; target: FleetTarget }[] = [];
    for (const result of listed) {
      if ('failure' in result && result.failure) {
        record.failures.push(result.failure);
        report({ type: 'failure', failure: result.failure });
      }
      if ('gaps' in result && result.gaps) {
        for (const gap of result.gaps) {
          record.failures.push(gap);
          report({ type: 'failure', failure: gap });
        }
      }
      if ('targets' in result && result.targets) {
        record.targets.push(...result.targets);
        for (const target of result.targets) {
          if (target.action === 'skipped') work.push({ client: result.client, target });
        }
      }
    }
    if (record.targets.length === 0 && nearMatches.length > 0) record.nearMatches = nearMatches;
    if (signal?.aborted) {
      record.interrupted = true;
      return record;
    }
    // 2. Dry run: say what would be done.
    if (dryRun) {
      for (const { target } of work) {
        target.action = options.action === 'disconnect' ? 'would-disconnect' : 'would-connect';
      }
      return record;
    }
    // 3. Ask once, then act.
    if (work.length > 0 && options.confirm) {
      const plan: FleetPlan = {
        operation: options.action,
        targets: work.map(({ target }) => target),
        regions: new Set(work.map(({ target }) => target.region)).size,
        byType: countByType(work.map(({ target }) => target)),
      };
      const confirmed = await options.confirm(plan);
      if (signal?.aborted) {
        record.interrupted = true;
        return record;
      }
      if (!confirmed) {
        record.declined = true;
        return record;
      }
    }
    const deadline = performance.now() + (options.timeoutMs ?? fleetDefaults.timeoutMs);
    await Promise.all(
      work.map(({ client, target }) =>
        limit(async () => {
          if (signal?.aborted) return;
          await act(client, target, options, deadline, report);
          if (target.action !== 'skipped') report({ type: 'done', target });
        }),
      ),
    );
    if (signal?.aborted) record.interrupted = true;
    return record;
  } finally {
    record.finishedAt = new Date().toISOString();
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** Runs the ensure call of one store and writes the outcome into `target`. */
async function act(
  client: KmsClient,
  target: FleetTarget,
  options: FleetOptions,
  deadline: number,
  report: (event: FleetProgress) => void,
): Promise<void> {
  let requestId: string | undefined;
  /** The Disconnect / Connect: sent and not answered yet, accepted, or answered with an error. */
  const sent: { request: 'none' | 'in-flight' | 'accepted' | 'refused' } = { request: 'none' };
  const track =
    (
      send: (
        id: string,
        callOptions?: CallOptions,
      ) => Promise<{ $metadata: { requestId?: string } }>,
    ) =>
    async (id: string, callOptions?: CallOptions) => {
      sent.request = 'in-flight';
      try {
        const output = await send(id, callOptions);
        sent.request = 'accepted';
        requestId = output.$metadata.requestId;
        return output;
      } catch (error) {
        // Aborted before an answer: it was sent, its outcome is unknown.
        if (!callOptions?.signal?.aborted) sent.request = 'refused';
        throw error;
      }
    };
  // The client's calls, keeping the request ID of the Disconnect / Connect KMS accepted.
  const api: CustomKeyStoreApi = {
    describeCustomKeyStores: (input, callOptions) =>
      client.describeCustomKeyStores(input, callOptions),
    disconnectCustomKeyStore: track((id, callOptions) =>
      client.disconnectCustomKeyStore(id, callOptions),
    ),
    connectCustomKeyStore: track((id, callOptions) =>
      client.connectCustomKeyStore(id, callOptions),
    ),
  };
  const wait = options.wait === true;
  const done = options.action === 'disconnect' ? 'disconnected' : 'connected';
  let lastSeen: ConnectionState | undefined;
  const ensureOptions = {
    wait,
    timeoutMs: Math.max(1, Math.round(deadline - performance.now())),
    pollIntervalMs: options.pollIntervalMs,
    signal: options.signal,
    onPoll: (poll: { state: ConnectionState | undefined }) => {
      lastSeen = poll.state;
      report({ type: 'state', target, state: poll.state });
    },
  };
  let result: EnsureStateResult;
  try {
    result =
      options.action === 'disconnect'
        ? await ensureDisconnected(api, target.customKeyStoreId, ensureOptions)
        : await ensureConnected(api, target.customKeyStoreId, ensureOptions);
  } catch (error) {
    if (requestId !== undefined) target.requestId = requestId;
    if (options.signal?.aborted) {
      // Interrupted: a request accepted just before stands; one in flight may have landed.
      if (sent.request === 'accepted') target.action = done;
      else if (sent.request === 'in-flight') target.action = 'unknown';
      if (lastSeen !== undefined && sent.request === 'accepted') target.stateAfter = lastSeen;
      return;
    }
    const waiterError = error instanceof KmsWaiterError ? error : undefined;
    const last = waiterError?.lastState ?? lastSeen;
    if (last !== undefined) target.stateAfter = last;
    if (last === 'FAILED' && waiterError?.connectionErrorCode !== undefined) {
      target.connectionErrorCode = waiterError.connectionErrorCode;
    }
    if (sent.request === 'accepted' && waiterError?.reason !== 'failed') {
      // KMS accepted it; only the wait after it went wrong. Accepted is accepted.
      target.action = done;
      target.waitError = errorOf(error, options);
      return;
    }
    target.action = 'failed';
    target.error = errorOf(error, options);
    return;
  }
  target.action =
    result.action === 'disconnected' || result.action === 'connected' ? result.action : 'already';
  if (requestId !== undefined) target.requestId = requestId;
  if (result.stateUnknown !== undefined) target.stateUnknown = result.stateUnknown;
  else if (wait) target.stateAfter = result.state;
}

/** How many of `targets` are of each type. */
function countByType(targets: readonly FleetTarget[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const target of targets) {
    const type = target.customKeyStoreType ?? 'unknown type';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/**
 * Why a store the selection left out is close to it: the name matches in another case, the name
 * matches but the type differs, or the name is one or two edits from the glob's letters.
 */
function nearMatcher(
  type: FleetOptions['type'],
  name: string | undefined,
): (entry: CustomKeyStoreEntry) => string | undefined {
  const matchesName = name === undefined ? () => true : globMatcher(name);
  const matchesFolded = name === undefined ? () => true : globMatcher(name, true);
  const literal = name?.replace(/[*?]/g, '').toLowerCase();
  return (entry) => {
    const storeName = entry.customKeyStoreName ?? '';
    const typeOk = type === undefined || entry.customKeyStoreType === type;
    if (!typeOk && matchesName(storeName))
      return `type is ${entry.customKeyStoreType ?? 'unknown'}`;
    if (!typeOk) return undefined;
    if (matchesFolded(storeName)) return 'name differs in case';
    if (literal && literal.length >= 3) {
      const part = storeName.toLowerCase().slice(0, literal.length + 2);
      if (editDistance(literal, storeName.toLowerCase()) <= 2 || editDistance(literal, part) <= 2) {
        return 'similar name';
      }
    }
    return undefined;
  };
}

/**
 * A selected store as listed; `already` when it is at the goal or on its way. A store listed
 * without a state is acted on: the ensure call describes it again and decides.
 */
function targetOf(
  profile: string | undefined,
  region: string,
  entry: CustomKeyStoreEntry,
  customKeyStoreId: string,
  action: FleetAction,
): FleetTarget {
  const there =
    action === 'disconnect'
      ? entry.connectionState === 'DISCONNECTED' || entry.connectionState === 'DISCONNECTING'
      : entry.connectionState === 'CONNECTED' || entry.connectionState === 'CONNECTING';
  return {
    ...(profile !== undefined && { profile }),
    region,
    customKeyStoreId,
    ...(entry.customKeyStoreName !== undefined && { customKeyStoreName: entry.customKeyStoreName }),
    ...(entry.customKeyStoreType !== undefined && { customKeyStoreType: entry.customKeyStoreType }),
    ...(entry.connectionState !== undefined && { stateBefore: entry.connectionState }),
    // `skipped` until acted on: a store not reached (interrupted, declined) stays so.
    action: there ? 'already' : 'skipped',
  };
}

function failureOf(
  profile: string | undefined,
  region: string | undefined,
  error: FleetError,
): FleetFailure {
  return {
    ...(profile !== undefined && { profile }),
    ...(region !== undefined && { region }),
    error,
  };
}

/** The name and message of an error (and a waiter's reason, a code): what the record keeps. */
function errorOf(error: unknown, options: FleetOptions): FleetError {
  let described: string | undefined;
  try {
    described = options.describeError?.(error);
  } catch {
    // The error's own message then.
  }
  if (error instanceof KmsWaiterError) {
    return { name: error.name, message: described ?? error.message, reason: error.reason };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: described ?? error.message,
      ...(typeof code === 'string' && { code }),
    };
  }
  return { name: 'Error', message: described ?? String(error) };
}

/**
 * `*` any run of characters, `?` one character (UTF-16 code unit), everything else literal and
 * case-sensitive (in any case with `ignoreCase`); the whole name must match. Matched without backtracking over earlier stars
 * (only the last `*` seen is ever resumed), so the work is at most name length × glob length
 * whatever the glob: a regular expression built from `*-*-*-*-*-*` against a long run of `-`
 * backtracks exponentially and blocks the event loop (store names are chosen by whoever may
 * create a key store).
 */
export function globMatcher(glob: string, ignoreCase = false): (name: string) => boolean {
  const pattern = ignoreCase ? glob.toLowerCase() : glob;
  return (input) => {
    const name = ignoreCase ? input.toLowerCase() : input;
    let at = 0;
    let from = 0;
    // Where the glob resumes after its last `*`, and the name position that star took up to.
    let afterStar = -1;
    let starTook = 0;
    while (from < name.length) {
      const char = pattern[at];
      if (char === '*') {
        afterStar = ++at;
        starTook = from;
      } else if (char !== undefined && (char === '?' || char === name[from])) {
        at++;
        from++;
      } else if (afterStar !== -1) {
        at = afterStar;
        from = ++starTook;
      } else {
        return false;
      }
    }
    while (pattern[at] === '*') at++;
    return at === pattern.length;
  };
}

/** Runs at most `max` tasks at once, in the order given. */
function createLimit(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    if (running >= max) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

function issue(path: string, message: string): KmsValidationError {
  return new KmsValidationError('applyToFleet', [{ code: 'custom', path: [path], message }]);
}

/** Checks the options before any client exists. */
function validate(options: FleetOptions): void {
  if (options === null || typeof options !== 'object') {
    throw issue('options', 'options must be an object');
  }
  if (options.action !== 'disconnect' && options.action !== 'connect') {
    throw issue(
      'action',
      `action must be "disconnect" or "connect", got ${String(options.action)}`,
    );
  }
  if (
    options.type !== undefined &&
    options.type !== 'AWS_CLOUDHSM' &&
    options.type !== 'EXTERNAL_KEY_STORE'
  ) {
    throw issue(
      'type',
      `type must be AWS_CLOUDHSM or EXTERNAL_KEY_STORE, got ${String(options.type)}`,
    );
  }
  for (const key of ['profiles', 'regions'] as const) {
    const list = options[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === '')) {
      throw issue(key, `${key} must be an array of non-empty strings`);
    }
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw issue('name', 'name must be a non-empty glob');
  }
  const concurrency = options.concurrency;
  if (
    concurrency !== undefined &&
    (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100)
  ) {
    throw issue('concurrency', `concurrency must be an integer from 1 to 100, got ${concurrency}`);
  }
  for (const key of ['timeoutMs', 'pollIntervalMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0 && value <= maxTimerMs)) {
      throw issue(key, `${key} must be a positive number of milliseconds`);
    }
  }
}
