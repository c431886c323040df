/**
 * KmsClient: the public face. Each method is one line over the request path with an operation
 * declared in `operations/operations.ts`.
 */
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { configDefaults } from './config/defaults.js';
import type { KmsClientConfig } from './config/options.js';
import { proxyFor, redactProxy } from './config/proxy.js';
import { loadConfig, type ResolvedConfig } from './config/resolve.js';
import { validateConfig } from './config/validate.js';
import type { CredentialSource } from './credentials/credentials.js';
import { type KmsConfigError, KmsError, KmsResponseError } from './errors.js';
import type { MaintenanceOptions, MaintenanceReport } from './maintenance/maintain.js';
import { maintainCustomKeyStore } from './on-demand/functions.js';
import {
  type CreateCustomKeyStoreInput,
  type CreateCustomKeyStoreResult,
  type CustomKeyStoreEntry,
  type CustomKeyStoreIdInput,
  connectCustomKeyStore,
  createCustomKeyStore,
  type DescribeCustomKeyStoresInput,
  type DescribeCustomKeyStoresPage,
  deleteCustomKeyStore,
  describeCustomKeyStores,
  disconnectCustomKeyStore,
  type EmptyOutput,
  type KnownConnectionState,
  type Operation,
  type UpdateCustomKeyStoreInput,
  updateCustomKeyStore,
} from './operations/operations.js';
import { type Connector, createConnector } from './request/connector.js';
import { loadPool, type PoolClass } from './request/pool.js';
import { RetryPolicy } from './request/retry.js';
import {
  type CallOptions,
  type RequestContext,
  send,
  unreadableInputError,
  type WithMetadata,
} from './request/send.js';
import { createRequestSigner, type RequestSigner } from './request/sign.js';
import { isCallTraced, traceCall } from './request/trace.js';
import { VERSION } from './version.js';
import { ensureConnected, ensureDisconnected } from './waiter/ensure.js';
import type {
  EnsureConnectedOptions,
  EnsureDisconnectedOptions,
  EnsureStateResult,
  WaitOptions,
} from './waiter/types.js';
import { waitForConnectionState } from './waiter/wait.js';

/** Result of DisconnectCustomKeyStore: nothing but the metadata. */
export type DisconnectCustomKeyStoreOutput = WithMetadata<EmptyOutput>;
/** Result of ConnectCustomKeyStore: nothing but the metadata. */
export type ConnectCustomKeyStoreOutput = WithMetadata<EmptyOutput>;
/** Result of DescribeCustomKeyStores: one page of entries, and the metadata. */
export type DescribeCustomKeyStoresOutput = WithMetadata<DescribeCustomKeyStoresPage>;

/** Result of CreateCustomKeyStore: the new store's ID, and the metadata. */
export type CreateCustomKeyStoreOutput = WithMetadata<CreateCustomKeyStoreResult>;
/** Result of UpdateCustomKeyStore: nothing but the metadata. */
export type UpdateCustomKeyStoreOutput = WithMetadata<EmptyOutput>;
/** Result of DeleteCustomKeyStore: nothing but the metadata. */
export type DeleteCustomKeyStoreOutput = WithMetadata<EmptyOutput>;

/** The resolved configuration, without secrets, as {@link KmsClient.resolveConfig} returns it. */
export interface ResolvedClientConfig {
  /** The region requests are signed for. */
  region: string;
  /** The endpoint URL requests go to. */
  endpoint: string;
  /**
   * Which credential source won: `static`, `provider`, `env`, `profile:<name>`, `process`,
   * `assume-role:<name>`, `sso:<name>`, `web-identity`, `container` or `imds`.
   */
  credentialSource: CredentialSource;
  /** The shared-file profile in use (`config.profile`, `AWS_PROFILE`, else `default`). */
  profile: string;
  /** Attempts per call. */
  maxAttempts: number;
  /**
   * Whether requests to the endpoint go through the proxy of `HTTPS_PROXY` / `HTTP_PROXY`
   * (`NO_PROXY` considered). Always false when you pass your own `dispatcher`.
   */
  usesProxy: boolean;
  /** The proxy's origin (no user name or password) when `usesProxy` is true. */
  proxy?: string;
}

/**
 * Most pages {@link KmsClient.paginateCustomKeyStores} (and so `kms-cks describe`) follows: a
 * server handing out new markers forever must not keep the caller looping and allocating.
 * An account has far fewer custom key stores than 1,000 pages of them.
 */
const maxPages = 1000;

const userAgent = `kms-custom-key-store/${VERSION} node/${process.version} ${process.platform}/${process.arch}`;

/**
 * A client for the KMS custom key store operations.
 *
 * @example
 * ```ts
 * const client = new KmsClient({ region: 'eu-west-1' });
 * await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
 * await client.close();
 * ```
 */
export class KmsClient {
  readonly #config: KmsClientConfig;
  readonly #context: RequestContext;
  /**
   * One Pool for the endpoint whatever the per-call limits (the attempt's timer enforces its
   * connect limit). A Pool rather than an Agent: an Agent drops and replaces an origin's pool
   * when its connections all drop at once, and the old pool lives on while requests it still
   * holds drain, so the sockets could exceed maxSockets.
   */
  #agent: Dispatcher | undefined;
  /** undici's Pool class, loaded with the configuration (see `request/pool.ts`). */
  #Pool: PoolClass | undefined;
  #connector: Connector | undefined;
  /** The longest connect limit used so far: the connector's bound on any connection. */
  #connectLimitMs: number;
  readonly #callsInFlight = new Set<Promise<unknown>>();
  /** Aborted by close(): ends credential work left running in the background. */
  readonly #lifetime = new AbortController();
  #resolved: Promise<ResolvedConfig> | undefined;
  /** The configuration once resolved, for the synchronous toJSON(). */
  #settled: ResolvedConfig | undefined;
  #signer: Promise<RequestSigner> | undefined;
  #closed = false;

  /**
   * @param config - see {@link KmsClientConfig}; everything is optional.
   * @throws {@link KmsConfigError} when a given value is invalid (region syntax, endpoint, limits).
   */
  constructor(config: KmsClientConfig = {}) {
    validateConfig(config);
    this.#config = { ...config };
    this.#connectLimitMs = config.connectTimeoutMs ?? configDefaults.connectTimeoutMs;
    this.#context = {
      config: () => this.#configuration(),
      signer: () => {
        this.#signer ??= this.#configuration().then((resolved) =>
          createRequestSigner(resolved.signingRegion, {
            hash: resolved.signer === 'smithy' ? 'portable' : undefined,
          }),
        );
        return this.#signer;
      },
      dispatcher: (origin, connectTimeoutMs) => this.#dispatcher(origin, connectTimeoutMs),
      // The bucket is client-wide; attempts per call come from the resolved config.
      retry: new RetryPolicy(),
      clock: { offsetMs: 0 },
      userAgent,
      now: Date.now,
    };
  }

  /**
   * Disconnects a custom key store. Returns as soon as KMS accepts the request; the store passes
   * through DISCONNECTING to DISCONNECTED in the background.
   *
   * @param input - the store ID, or `{ customKeyStoreId }`.
   * @param options - abort signal and time limits for this call.
   * @throws {@link CustomKeyStoreInvalidStateException} when the store is already DISCONNECTED or DISCONNECTING.
   * @throws {@link CustomKeyStoreNotFoundException} when no store has that ID.
   * @throws {@link KmsValidationError} before sending anything when the ID is not 1–64 characters.
   */
  disconnectCustomKeyStore(
    input: string | CustomKeyStoreIdInput,
    options?: CallOptions,
  ): Promise<DisconnectCustomKeyStoreOutput> {
    return this.#send(disconnectCustomKeyStore, idInput(input), options);
  }

  /**
   * Starts connecting a custom key store. Returns at once; the store passes through CONNECTING to
   * CONNECTED (or FAILED) in the background.
   *
   * @param input - the store ID, or `{ customKeyStoreId }`.
   * @param options - abort signal and time limits for this call.
   * @throws {@link CustomKeyStoreInvalidStateException} when the store is DISCONNECTING or FAILED.
   * @throws {@link CloudHsmClusterNotActiveException} / {@link CloudHsmClusterInvalidConfigurationException} for CloudHSM stores.
   */
  connectCustomKeyStore(
    input: string | CustomKeyStoreIdInput,
    options?: CallOptions,
  ): Promise<ConnectCustomKeyStoreOutput> {
    return this.#send(connectCustomKeyStore, idInput(input), options);
  }

  /**
   * Creates a custom key store: a CloudHSM one (`customKeyStoreType` absent or `AWS_CLOUDHSM`) or
   * an external one (`EXTERNAL_KEY_STORE`). The new store is DISCONNECTED; connect it next.
   * The proxy credential and the `kmsuser` password never appear in an error, a log line or a trace.
   *
   * @example
   * ```ts
   * const { customKeyStoreId } = await client.createCustomKeyStore({
   *   customKeyStoreType: 'EXTERNAL_KEY_STORE',
   *   customKeyStoreName: 'orders-xks-2',
   *   xksProxyUriEndpoint: 'https://xks.example.com',
   *   xksProxyUriPath: '/kms/xks/v1',
   *   xksProxyConnectivity: 'PUBLIC_ENDPOINT',
   *   xksProxyAuthenticationCredential: { accessKeyId, rawSecretAccessKey },
   * });
   * ```
   * @param input - see {@link CreateCustomKeyStoreInput}.
   * @param options - abort signal and time limits for this call.
   * @throws {@link KmsValidationError} before sending anything when a field breaks the model
   *   (length, pattern, enum) or a rule across fields (a missing field of the type, a field of the
   *   other type, VPC connectivity without a service name); each issue names its field.
   * @throws {@link CustomKeyStoreNameInUseException}, {@link CloudHsmClusterInUseException},
   *   {@link XksProxyUriInUseException}, {@link LimitExceededException} and the other modeled
   *   errors of CreateCustomKeyStore, each a class of its own.
   */
  createCustomKeyStore(
    input: CreateCustomKeyStoreInput,
    options?: CallOptions,
  ): Promise<CreateCustomKeyStoreOutput> {
    return this.#send(createCustomKeyStore, input, options);
  }

  /**
   * Changes the properties of a custom key store, as they are sent: no disconnect, no connect.
   * Properties that need DISCONNECTED fail with {@link CustomKeyStoreInvalidStateException} on a
   * connected store; {@link KmsClient.maintainCustomKeyStore} disconnects only when needed,
   * updates and reconnects.
   *
   * @param input - the store ID and the properties to change (see {@link UpdateCustomKeyStoreInput}).
   * @param options - abort signal and time limits for this call.
   * @throws {@link KmsValidationError} before sending anything (no property to change, CloudHSM and
   *   XKS fields together, a field breaking the model).
   * @throws {@link CustomKeyStoreInvalidStateException}, {@link CloudHsmClusterNotRelatedException},
   *   {@link XksProxyIncorrectAuthenticationCredentialException} and the other modeled errors of
   *   UpdateCustomKeyStore, each a class of its own.
   */
  updateCustomKeyStore(
    input: UpdateCustomKeyStoreInput,
    options?: CallOptions,
  ): Promise<UpdateCustomKeyStoreOutput> {
    return this.#send(updateCustomKeyStore, input, options);
  }

  /**
   * The maintenance run: applies an update whatever state the store is in. Disconnects (and waits)
   * only when a changed property needs DISCONNECTED, updates, then connects again a store that was
   * CONNECTED and waits for CONNECTED. A failed update after a disconnect is rolled back (the store
   * is connected again) and its typed error thrown with the report attached
   * (`maintenanceReportOf(error)`). See {@link maintainCustomKeyStore}.
   *
   * @param input - as {@link KmsClient.updateCustomKeyStore}.
   * @param options - `allowDisconnect: false` refuses when a disconnect would be needed;
   *   `reconnect: false` leaves the store DISCONNECTED; deadline, polling, signal, `onPoll`.
   * @returns the report: `stateBefore`, each step with its request ID and time, `stateAfter`.
   */
  maintainCustomKeyStore(
    input: UpdateCustomKeyStoreInput,
    options?: MaintenanceOptions,
  ): Promise<MaintenanceReport> {
    return maintainCustomKeyStore(this, input, options);
  }

  /**
   * Deletes a custom key store. KMS only deletes a DISCONNECTED store that holds no KMS keys.
   *
   * @param input - the store ID, or `{ customKeyStoreId }`.
   * @param options - abort signal and time limits for this call.
   * @throws {@link CustomKeyStoreHasCMKsException} while the store holds KMS keys.
   * @throws {@link CustomKeyStoreInvalidStateException} when the store is not DISCONNECTED.
   * @throws {@link CustomKeyStoreNotFoundException} when no store has that ID.
   */
  deleteCustomKeyStore(
    input: string | CustomKeyStoreIdInput,
    options?: CallOptions,
  ): Promise<DeleteCustomKeyStoreOutput> {
    return this.#send(deleteCustomKeyStore, idInput(input), options);
  }

  /**
   * Lists custom key stores, one page per call: all of them (follow `nextMarker`, or use
   * {@link KmsClient.paginateCustomKeyStores}), or the one with a given ID or name.
   *
   * @param input - `customKeyStoreId` or `customKeyStoreName` (not both), `limit`, `marker`.
   * @param options - abort signal and time limits for this call.
   * @throws {@link CustomKeyStoreNotFoundException} when no store has that ID or name.
   * @throws {@link InvalidMarkerException} when `marker` is not one KMS handed out.
   * @throws {@link KmsValidationError} before sending anything when the input is invalid.
   * @throws {@link KmsResponseError} when the response cannot be used: a member of the wrong
   *   type, or a date a JavaScript `Date` cannot hold.
   */
  describeCustomKeyStores(
    input: DescribeCustomKeyStoresInput = {},
    options?: CallOptions,
  ): Promise<DescribeCustomKeyStoresOutput> {
    return this.#send(describeCustomKeyStores, input, options);
  }

  /**
   * Every custom key store, following `NextMarker` from page to page. `limit` sets the page size;
   * `marker` starts from a page handed out before. The options apply to each page's call.
   *
   * A page that says `Truncated: true` without a `NextMarker` (the KMS model allows it) cannot be
   * followed: its entries are yielded, the iteration ends there, and the client's logger is told
   * (`warn`) that the listing may be incomplete. Entries are yielded as KMS sent them, including
   * one without an ID or a state.
   *
   * @example
   * ```ts
   * for await (const store of client.paginateCustomKeyStores()) console.log(store.connectionState);
   * ```
   * @throws as {@link KmsClient.describeCustomKeyStores}, and {@link KmsResponseError} when KMS
   *   hands out the same marker twice, or still has more after 1,000 pages (either
   *   would loop forever).
   */
  paginateCustomKeyStores(
    input: DescribeCustomKeyStoresInput = {},
    options?: CallOptions,
  ): AsyncGenerator<CustomKeyStoreEntry, void, undefined> {
    return paginateStores(this, input, options, (page) =>
      this.#config.logger?.warn?.(
        `DescribeCustomKeyStores page ${page} said Truncated but sent no NextMarker: the listing ends there and may be incomplete`,
      ),
    );
  }

  /**
   * Polls DescribeCustomKeyStores until the store is in one of `states`; resolves with its entry.
   * See {@link waitForConnectionState}.
   *
   * @throws {@link KmsWaiterError} on timeout (`lastState`) or when the store is FAILED (`connectionErrorCode`).
   * @throws {@link KmsValidationError} at once for a state KMS does not report (`'connected'`, `'ONLINE'`).
   */
  waitForConnectionState(
    customKeyStoreId: string,
    states: KnownConnectionState | readonly KnownConnectionState[],
    options?: WaitOptions,
  ): Promise<CustomKeyStoreEntry> {
    return waitForConnectionState(this, customKeyStoreId, states, options);
  }

  /**
   * The idempotent kill switch: sends Disconnect first (a role allowed only
   * `kms:DisconnectCustomKeyStore` can pull it), counts KMS's refusal of an already DISCONNECTED or
   * DISCONNECTING store as done, and with `{ wait: true }` waits for DISCONNECTED when Describe is
   * allowed. Safe to run concurrently and again after a crash. See {@link ensureDisconnected}.
   */
  ensureDisconnected(
    customKeyStoreId: string,
    options?: EnsureDisconnectedOptions,
  ): Promise<EnsureStateResult> {
    return ensureDisconnected(this, customKeyStoreId, options);
  }

  /**
   * Connects the store unless it is already CONNECTED or CONNECTING, and with `{ wait: true }`
   * waits for CONNECTED. A FAILED store throws unless `resetFailed`. See {@link ensureConnected}.
   */
  ensureConnected(
    customKeyStoreId: string,
    options?: EnsureConnectedOptions,
  ): Promise<EnsureStateResult> {
    return ensureConnected(this, customKeyStoreId, options);
  }

  /** The configuration the client uses (region, endpoint, credential source), without secrets. */
  async resolveConfig(): Promise<ResolvedClientConfig> {
    const resolved = await this.#configuration();
    const proxy = proxyFor(resolved.endpoint, resolved.proxy);
    return {
      region: resolved.region,
      endpoint: resolved.endpoint.href,
      credentialSource: await resolved.credentialSource(),
      profile: resolved.profile,
      maxAttempts: resolved.maxAttempts,
      usesProxy: proxy !== undefined,
      ...(proxy === undefined ? {} : { proxy: redactProxy(proxy) }),
    };
  }

  /**
   * Closes the client: later calls reject with a {@link KmsError}. Ends credential work at once
   * (kills a running `credential_process`, aborts STS, SSO, container and IMDS requests), so a
   * call still waiting for credentials rejects saying the client is closed; waits for the calls
   * whose request is on its way to KMS (each ends within its own deadlines), then destroys the
   * connections this client opened, a connection still being opened included. A dispatcher
   * passed in config is left open.
   */
  async close(): Promise<void> {
    this.#closed = true;
    // First: a call waiting on credentials would otherwise hold close() for their own limits.
    this.#lifetime.abort(new KmsError('KmsClient is closed'));
    await Promise.allSettled([...this.#callsInFlight]);
    const agent = this.#agent;
    this.#agent = undefined;
    this.#connector?.destroyPending(new KmsError('KmsClient is closed'));
    await agent?.destroy();
  }

  /** `await using client = new KmsClient(…)` closes the client at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `JSON.stringify(client)` shows: no credentials. */
  toJSON(): Record<string, unknown> {
    return {
      region: this.#config.region,
      endpoint: this.#config.endpoint === undefined ? undefined : String(this.#config.endpoint),
      maxAttempts:
        this.#settled?.maxAttempts ?? this.#config.maxAttempts ?? configDefaults.maxAttempts,
      credentials: this.#config.credentials === undefined ? undefined : '[redacted]',
    };
  }

  /** What `util.inspect(client)` and `console.log(client)` show: no credentials. */
  [inspect.custom](): string {
    return `KmsClient ${inspect(this.toJSON())}`;
  }

  #send<Input, Output>(
    operation: Operation<Input, Output>,
    input: unknown,
    options: CallOptions | undefined,
  ): Promise<WithMetadata<Output>> {
    return isCallTraced()
      ? this.#tracedSend(operation, input, options)
      : this.#sendNow(operation, input, options);
  }

  #sendNow<Input, Output>(
    operation: Operation<Input, Output>,
    input: unknown,
    options: CallOptions | undefined,
  ): Promise<WithMetadata<Output>> {
    if (this.#closed) return Promise.reject(new KmsError('KmsClient is closed'));
    const call = send(this.#context, operation, input, options);
    this.#callsInFlight.add(call);
    const settled = () => this.#callsInFlight.delete(call);
    call.then(settled, settled);
    return call;
  }

  /**
   * The call inside the `kms-custom-key-store:call` TracingChannel. The configuration is resolved
   * first (memoized: once per client) so that `start` carries the region and endpoint; when it
   * cannot be resolved they are undefined and the call fails with that error, as it would untraced.
   */
  async #tracedSend<Input, Output>(
    operation: Operation<Input, Output>,
    input: unknown,
    options: CallOptions | undefined,
  ): Promise<WithMetadata<Output>> {
    const target = await this.#configuration().catch(() => undefined);
    return traceCall(operation.name, input, target, () => this.#sendNow(operation, input, options));
  }

  #configuration(): Promise<ResolvedConfig> {
    if (!this.#resolved) {
      // undici's Pool is loaded (tens of ms compiling on this thread) while the configuration
      // waits on the shared files, not after; a caller's dispatcher needs none. Its failure is
      // reported where it is awaited, and is not one when the configuration fails first.
      const pool = this.#config.dispatcher || this.#Pool ? undefined : loadPool();
      pool?.catch(() => {});
      const pending = Promise.resolve()
        .then(() =>
          loadConfig(this.#config, process.env, {
            signal: this.#lifetime.signal,
            clock: this.#context.clock,
          }),
        )
        .then(async (resolved) => {
          if (!resolved.dispatcher) this.#Pool ??= await (pool ?? loadPool());
          this.#settled = resolved;
          return resolved;
        });
      this.#resolved = pending;
      // A failure is not cached: fixing the environment and calling again works.
      pending.catch(() => {
        if (this.#resolved === pending) this.#resolved = undefined;
      });
    }
    return this.#resolved;
  }

  #dispatcher(origin: string, connectTimeoutMs: number): Dispatcher {
    const resolved = this.#settled;
    if (!resolved) throw new KmsError('KmsClient: dispatcher requested before configuration');
    if (resolved.dispatcher) return resolved.dispatcher;
    if (connectTimeoutMs > this.#connectLimitMs) this.#connectLimitMs = connectTimeoutMs;
    if (!this.#agent) {
      // Loaded with the configuration, which every call awaits before it asks for a dispatcher.
      const Pool = this.#Pool;
      if (!Pool) throw new KmsError('KmsClient: dispatcher requested before configuration');
      const connector = createConnector(resolved.proxy, () => this.#connectLimitMs);
      this.#connector = connector;
      this.#agent = new Pool(origin, {
        connections: resolved.maxSockets,
        connect: connector.connect,
        keepAliveTimeout: resolved.keepAliveTimeoutMs,
      });
    }
    return this.#agent;
  }
}

function idInput(input: string | CustomKeyStoreIdInput): unknown {
  return typeof input === 'string' ? { customKeyStoreId: input } : input;
}

/**
 * The paginator behind {@link KmsClient.paginateCustomKeyStores}. `onIncomplete` is called with
 * the page number when a page says `Truncated` without a `NextMarker`, where the iteration ends:
 * the fleet records it, the client method warns.
 */
export async function* paginateStores(
  client: Pick<KmsClient, 'describeCustomKeyStores'>,
  input: DescribeCustomKeyStoresInput,
  options: CallOptions | undefined,
  onIncomplete: (page: number) => void,
): AsyncGenerator<CustomKeyStoreEntry, void, undefined> {
  let first: DescribeCustomKeyStoresInput;
  try {
    // Read the caller's input once; a getter or Proxy trap that throws is bad input.
    first = { ...input };
  } catch (error) {
    throw unreadableInputError(describeCustomKeyStores.name, error);
  }
  const seen = new Set<string>();
  let marker = first.marker;
  for (let pages = 1; ; pages++) {
    const page = await client.describeCustomKeyStores({ ...first, marker }, options);
    yield* page.customKeyStores;
    if (!page.truncated) return;
    if (page.nextMarker === undefined) {
      onIncomplete(pages);
      return;
    }
    if (pages >= maxPages) {
      throw new KmsResponseError({
        message: `DescribeCustomKeyStores still returned a NextMarker after ${maxPages} pages; stopped there (an account and region has far fewer custom key stores)`,
        $metadata: page.$metadata,
      });
    }
    if (seen.has(page.nextMarker)) {
      throw new KmsResponseError({
        message: `DescribeCustomKeyStores returned NextMarker ${JSON.stringify(page.nextMarker.slice(0, 100))} twice`,
        $metadata: page.$metadata,
      });
    }
    seen.add(page.nextMarker);
    marker = page.nextMarker;
  }
}
