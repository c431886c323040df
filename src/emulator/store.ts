/**
 * The emulated custom key stores and their connection state machine, as KMS documents it:
 * disconnect goes through DISCONNECTING, connect through CONNECTING, each after `transitionMs`.
 * Transition timers are unref'd (they never keep the process alive) and cleared by `dispose()`.
 */
import { characterCount } from './characters.js';
import { EmulatorError } from './errors.js';
import {
  checkXksCredential,
  probeXksProxy,
  type StoredXksCredential,
  type XksHealthRecord,
  type XksOutboundRequestRecord,
  type XksProxyAuthenticationCredential,
  type XksProxyCaller,
} from './xks-live.js';

/** The connection states KMS reports. */
export type EmulatedConnectionState =
  | 'CONNECTED'
  | 'CONNECTING'
  | 'FAILED'
  | 'DISCONNECTED'
  | 'DISCONNECTING';

/** The two kinds of custom key store. */
export type CustomKeyStoreType = 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';

/** Why a connection attempt failed (`ConnectionErrorCode`); KMS adds values over time. */
export type ConnectionErrorCode =
  | 'INVALID_CREDENTIALS'
  | 'CLUSTER_NOT_FOUND'
  | 'NETWORK_ERRORS'
  | 'INTERNAL_ERROR'
  | 'INSUFFICIENT_CLOUDHSM_HSMS'
  | 'USER_LOCKED_OUT'
  | 'USER_NOT_FOUND'
  | 'USER_LOGGED_IN'
  | 'SUBNET_NOT_FOUND'
  | 'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET'
  | 'XKS_PROXY_ACCESS_DENIED'
  | 'XKS_PROXY_NOT_REACHABLE'
  | 'XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND'
  | 'XKS_PROXY_INVALID_RESPONSE'
  | 'XKS_PROXY_INVALID_CONFIGURATION'
  | 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION'
  | 'XKS_PROXY_TIMED_OUT'
  | 'XKS_PROXY_INVALID_TLS_CONFIGURATION'
  | (string & {});

/** The XKS proxy configuration of an external key store (camelCase of KMS's fields). */
export interface EmulatedXksProxyConfiguration {
  /** How KMS reaches the proxy: over the internet or through a VPC endpoint service. */
  connectivity: 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE';
  /** The proxy authentication access key ID (20–30 characters of A–Z and 2–7). */
  accessKeyId: string;
  /** `https://…` */
  uriEndpoint: string;
  /** e.g. `/kms/xks/v1` */
  uriPath: string;
  /** Only for `VPC_ENDPOINT_SERVICE` connectivity. */
  vpcEndpointServiceName?: string;
  /** The account that owns the VPC endpoint service, when it is not the caller's. */
  vpcEndpointServiceOwner?: string;
}

/**
 * A key store to seed the emulator with. Fields are camelCase; the emulator sends them in KMS's
 * PascalCase (`id` → `CustomKeyStoreId`, `name` → `CustomKeyStoreName`, …).
 */
export interface KeyStoreSeed {
  /** `CustomKeyStoreId`, 1–64 characters, e.g. `cks-1234567890abcdef0`. */
  id: string;
  /** `CustomKeyStoreName`, 1–256 characters, unique. */
  name: string;
  /** `CustomKeyStoreType`: `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`. */
  type: CustomKeyStoreType;
  /**
   * Initial state; default `CONNECTED`. Any string is sent as it is, so tests can check that a
   * client passes unknown states through; transient states stay until an operation moves them.
   */
  connectionState?: EmulatedConnectionState | (string & {});
  /** Sent when the state is `FAILED`; default `INTERNAL_ERROR` for a store seeded as FAILED. */
  connectionErrorCode?: ConnectionErrorCode;
  /** `CreationDate`; default 2024-01-15T10:00:00Z. */
  creationDate?: Date;
  /** CloudHSM stores: `cluster-` and 11–16 characters; a default is made up when absent. */
  cloudHsmClusterId?: string;
  /** CloudHSM stores: the PEM trust anchor; a default is made up when absent. */
  trustAnchorCertificate?: string;
  /** External key stores: the proxy configuration; a default is made up when absent. */
  xksProxyConfiguration?: EmulatedXksProxyConfiguration;
  /**
   * External key stores: the proxy credential the emulator signs its proxy requests with in live
   * XKS mode. Its `accessKeyId` is the configuration's (given in either or both, the same). The
   * secret is never sent by Describe, logged, or shown by `JSON.stringify` / `util.inspect`.
   */
  xksProxyAuthenticationCredential?: XksProxyAuthenticationCredential;
  /**
   * When set, connecting ends in `FAILED` with this `ConnectionErrorCode` instead of `CONNECTED`,
   * after `transitionMs`, in live XKS mode too (the seed decides; no proxy is called).
   */
  connectFailure?: ConnectionErrorCode;
  /** When set, ConnectCustomKeyStore is rejected with this error (CloudHSM stores). */
  connectException?:
    | 'CloudHsmClusterNotActiveException'
    | 'CloudHsmClusterInvalidConfigurationException';
  /** Extra fields merged into the Describe entry as they are, to test forward compatibility. */
  extraFields?: Record<string, unknown>;
}

/** One state a store went through, with when (emulator clock). */
export interface StateChange {
  /** The state entered. */
  state: string;
  /** When it was entered. */
  at: Date;
}

/** A key store as the emulator holds it now. The objects are live: they change as the state does. */
export interface EmulatedKeyStore extends Readonly<Omit<KeyStoreSeed, 'connectionState'>> {
  /** The current state. */
  readonly connectionState: string;
  /** Set while the state is `FAILED`. */
  readonly connectionErrorCode?: string;
  readonly creationDate: Date;
  /** The states it went through, the seeded one first (the last 100). */
  readonly history: readonly StateChange[];
  /**
   * Live XKS: the latest `GetHealthStatus` the emulator sent to this store's proxy (Connect or the
   * periodic `KmsHealthCheck`) and what it came to. A failed periodic check leaves the store
   * CONNECTED, as in KMS; this is where it shows.
   */
  readonly xksHealth?: XksHealthRecord;
}

interface MutableKeyStore
  extends Omit<EmulatedKeyStore, 'connectionState' | 'history' | 'xksHealth'> {
  connectionState: string;
  connectionErrorCode?: string;
  history: StateChange[];
  xksProxyAuthenticationCredential?: StoredXksCredential;
  xksHealth?: XksHealthRecord;
}

/** The new settings Create or Update would give a store, for {@link KeyStoreRegistry.probeXksProxy}. */
export interface XksProbeSettings {
  /** The store's ID (Update), absent for Create. */
  customKeyStoreId?: string;
  /** `PUBLIC_ENDPOINT` stores are probed; `VPC_ENDPOINT_SERVICE` ones stay simulated (no probe). */
  connectivity: 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE' | (string & {});
  /** `https://host[:port]` */
  uriEndpoint: string;
  /** e.g. `/kms/xks/v1` */
  uriPath: string;
  /** The credential to sign with. */
  xksProxyAuthenticationCredential: XksProxyAuthenticationCredential;
}

const defaultCreationDate = new Date('2024-01-15T10:00:00Z');
const historyLimit = 100;
const disconnectFrom = new Set(['CONNECTED', 'CONNECTING', 'FAILED']);
const connectRejectedFrom = new Set(['DISCONNECTING', 'FAILED']);

/** Options of {@link KeyStoreRegistry}. */
export interface RegistryOptions {
  /** How long CONNECTING and DISCONNECTING last, in ms. */
  transitionMs: number;
  /** The emulator clock. */
  now: () => number;
  /** The region these stores are in: live XKS requests are signed for it. Default `us-east-1`. */
  region?: string;
  /** Live XKS: the caller of proxies. Absent = simulated (timers only, no network). */
  xks?: XksProxyCaller;
}

/** Describe input, already validated. */
export interface DescribeInput {
  customKeyStoreId?: string;
  customKeyStoreName?: string;
  limit?: number;
  marker?: string;
}

/** The key stores and their state machine. */
export class KeyStoreRegistry {
  readonly #stores = new Map<string, MutableKeyStore>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Live XKS: the periodic KmsHealthCheck of each CONNECTED live store. */
  readonly #healthTimers = new Map<string, NodeJS.Timeout>();
  /** Live XKS: stores whose periodic check is in flight (never two at once). */
  readonly #checking = new Set<string>();
  /** Live XKS: the current connection attempt of each store; a stale answer is dropped. */
  readonly #attempts = new Map<string, number>();
  #attemptCounter = 0;
  readonly #options: RegistryOptions;

  /**
   * @param seeds - the initial stores.
   * @throws TypeError when a seed is invalid (duplicate ID or name, empty ID, unknown type).
   */
  constructor(seeds: readonly KeyStoreSeed[], options: RegistryOptions) {
    this.#options = options;
    for (const seed of seeds) this.add(seed);
  }

  /** The live view of the stores, by ID, in creation order. */
  get stores(): ReadonlyMap<string, EmulatedKeyStore> {
    return this.#stores;
  }

  /** Adds a store. @throws TypeError when the seed is invalid or its ID or name is taken. */
  add(seed: KeyStoreSeed): EmulatedKeyStore {
    checkSeed(seed);
    if (this.#stores.has(seed.id)) throw new TypeError(`Duplicate key store ID: ${seed.id}`);
    for (const store of this.#stores.values()) {
      if (store.name === seed.name) throw new TypeError(`Duplicate key store name: ${seed.name}`);
    }
    const credential = seedCredential(seed);
    const state = seed.connectionState ?? 'CONNECTED';
    const store: MutableKeyStore = {
      ...seed,
      ...typeDefaults(seed, credential),
      creationDate: seed.creationDate ?? defaultCreationDate,
      connectionState: state,
      connectionErrorCode:
        state === 'FAILED' ? (seed.connectionErrorCode ?? 'INTERNAL_ERROR') : undefined,
      history: [{ state, at: new Date(this.#options.now()) }],
      xksProxyAuthenticationCredential: credential,
    };
    // The seed's own object (secret and all) is not kept; no credential, no key.
    if (!credential) delete store.xksProxyAuthenticationCredential;
    this.#stores.set(seed.id, store);
    if (state === 'CONNECTED') this.#startHealthChecks(store);
    return store;
  }

  /**
   * Whether a store's connection is decided by its live proxy: live XKS mode, an external key
   * store with `PUBLIC_ENDPOINT` connectivity, a proxy credential to sign with, and no seeded
   * `connectFailure` (which keeps the simulated outcome).
   */
  isLive(store: EmulatedKeyStore): boolean {
    return (
      this.#options.xks !== undefined &&
      store.type === 'EXTERNAL_KEY_STORE' &&
      store.xksProxyConfiguration?.connectivity === 'PUBLIC_ENDPOINT' &&
      store.xksProxyAuthenticationCredential !== undefined &&
      store.connectFailure === undefined
    );
  }

  /**
   * The check Create and Update of an external key store run before they change anything: in live
   * XKS mode, for `PUBLIC_ENDPOINT` connectivity, `GetHealthStatus` to the proxy with the NEW
   * settings and `kmsOperation` `CreateCustomKeyStore` / `UpdateCustomKeyStore`. Resolves at once
   * (nothing sent) in simulated mode and for `VPC_ENDPOINT_SERVICE` connectivity.
   *
   * @param kmsRequestId - the Create/Update call's request ID (sent as `kmsRequestId`); default a fresh UUID.
   * @returns the request sent, or undefined when nothing was sent.
   * @throws EmulatorError with the KMS exception when the proxy does not answer well:
   *   `XksProxyIncorrectAuthenticationCredentialException`, `XksProxyUriUnreachableException`,
   *   `XksProxyInvalidResponseException`, `XksProxyInvalidConfigurationException`.
   */
  async probeXksProxy(
    settings: XksProbeSettings,
    kmsOperation: 'CreateCustomKeyStore' | 'UpdateCustomKeyStore',
    kmsRequestId?: string,
  ): Promise<XksOutboundRequestRecord | undefined> {
    const caller = this.#options.xks;
    if (!caller || settings.connectivity !== 'PUBLIC_ENDPOINT') return undefined;
    return probeXksProxy(
      caller,
      {
        ...(settings.customKeyStoreId !== undefined && {
          customKeyStoreId: settings.customKeyStoreId,
        }),
        uriEndpoint: settings.uriEndpoint,
        uriPath: settings.uriPath,
        credential: settings.xksProxyAuthenticationCredential,
        region: this.#region,
      },
      kmsOperation,
      kmsRequestId,
    );
  }

  /** DisconnectCustomKeyStore. */
  disconnect(id: string): void {
    const store = this.#get(id);
    if (!disconnectFrom.has(store.connectionState)) {
      throw new EmulatorError(
        'CustomKeyStoreInvalidStateException',
        `Custom key store ${id} is ${store.connectionState}. You can disconnect a custom key store only when its ConnectionState is CONNECTED, CONNECTING or FAILED.`,
      );
    }
    this.#enter(store, 'DISCONNECTING');
    this.#schedule(store, () => this.#enter(store, 'DISCONNECTED'));
  }

  /**
   * ConnectCustomKeyStore: a no-op when the store is CONNECTED or CONNECTING, as in KMS. A live
   * store (see {@link isLive}) is CONNECTING until both its proxy has answered `GetHealthStatus`
   * and `transitionMs` has passed, then CONNECTED or FAILED with the answer's code.
   *
   * @param requestId - the Connect call's request ID, sent to the proxy as `kmsRequestId`.
   */
  connect(id: string, requestId?: string): void {
    const store = this.#get(id);
    if (connectRejectedFrom.has(store.connectionState)) {
      throw new EmulatorError(
        'CustomKeyStoreInvalidStateException',
        store.connectionState === 'FAILED'
          ? `Custom key store ${id} is FAILED. Disconnect it before you connect it again.`
          : `Custom key store ${id} is DISCONNECTING. Wait until it is DISCONNECTED before you connect it.`,
      );
    }
    if (store.connectException) {
      throw new EmulatorError(
        store.connectException,
        store.connectException === 'CloudHsmClusterNotActiveException'
          ? `The CloudHSM cluster ${store.cloudHsmClusterId} associated with custom key store ${id} is not active.`
          : `The CloudHSM cluster ${store.cloudHsmClusterId} associated with custom key store ${id} does not meet the configuration requirements for a custom key store.`,
      );
    }
    if (store.connectionState !== 'DISCONNECTED') return;
    this.#enter(store, 'CONNECTING');
    if (this.isLive(store)) {
      this.#connectLive(store, requestId);
      return;
    }
    this.#schedule(store, () => {
      if (store.connectFailure) this.#enter(store, 'FAILED', store.connectFailure);
      else this.#enter(store, 'CONNECTED');
    });
  }

  /** DescribeCustomKeyStores: the response body (PascalCase). */
  describe(input: DescribeInput): Record<string, unknown> {
    if (input.customKeyStoreId !== undefined) {
      return { CustomKeyStores: [toEntry(this.#get(input.customKeyStoreId))], Truncated: false };
    }
    if (input.customKeyStoreName !== undefined) {
      const name = input.customKeyStoreName;
      const store = [...this.#stores.values()].find((entry) => entry.name === name);
      if (!store) {
        throw new EmulatorError(
          'CustomKeyStoreNotFoundException',
          `Custom key store with name ${name} does not exist in this account and Region.`,
        );
      }
      return { CustomKeyStores: [toEntry(store)], Truncated: false };
    }
    const all = [...this.#stores.values()];
    const start = input.marker === undefined ? 0 : decodeMarker(input.marker, all.length);
    const end = start + (input.limit ?? 1000);
    const page = all.slice(start, end).map(toEntry);
    return end < all.length
      ? { CustomKeyStores: page, NextMarker: encodeMarker(end), Truncated: true }
      : { CustomKeyStores: page, Truncated: false };
  }

  /** Puts a store in a state at once (for tests), cancelling any transition in progress. */
  setState(id: string, state: EmulatedConnectionState | (string & {}), errorCode?: string): void {
    const store = this.#stores.get(id);
    if (!store) throw new TypeError(`No emulated key store with ID ${id}`);
    this.#cancel(id);
    this.#enter(store, state, state === 'FAILED' ? (errorCode ?? 'INTERNAL_ERROR') : undefined);
  }

  /** Clears every pending transition and periodic health check; answers still on their way are dropped. */
  dispose(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const timer of this.#healthTimers.values()) clearInterval(timer);
    this.#healthTimers.clear();
    this.#attempts.clear();
  }

  get #region(): string {
    return this.#options.region ?? 'us-east-1';
  }

  #target(store: MutableKeyStore): Parameters<XksProxyCaller['getHealthStatus']>[0] {
    const config = store.xksProxyConfiguration!;
    return {
      customKeyStoreId: store.id,
      uriEndpoint: config.uriEndpoint,
      uriPath: config.uriPath,
      credential: store.xksProxyAuthenticationCredential!,
      region: this.#region,
    };
  }

  /** Sends GetHealthStatus (ConnectCustomKeyStore) and ends CONNECTING with its answer, not before `transitionMs`. */
  #connectLive(store: MutableKeyStore, requestId: string | undefined): void {
    const attempt = ++this.#attemptCounter;
    this.#attempts.set(store.id, attempt);
    let minimumPassed = false;
    let answer: XksOutboundRequestRecord | undefined;
    const settle = () => {
      if (!minimumPassed || !answer) return;
      if (this.#attempts.get(store.id) !== attempt) return;
      this.#attempts.delete(store.id);
      // Disconnect (or setConnectionState) in the meantime wins: the answer is only recorded.
      if (store.connectionState !== 'CONNECTING') return;
      if (answer.healthy) this.#enter(store, 'CONNECTED');
      else this.#enter(store, 'FAILED', answer.connectionErrorCode ?? 'XKS_PROXY_INVALID_RESPONSE');
    };
    this.#schedule(store, () => {
      minimumPassed = true;
      settle();
    });
    this.#options
      .xks!.getHealthStatus(this.#target(store), 'ConnectCustomKeyStore', requestId)
      .then(
        (record) => {
          if (this.#attempts.get(store.id) !== attempt) return;
          store.xksHealth = healthRecord(record);
          answer = record;
          settle();
        },
        () => {
          // A bug of the emulator, not an answer of the proxy: KMS's own INTERNAL_ERROR.
          if (this.#attempts.get(store.id) !== attempt) return;
          this.#cancel(store.id);
          if (store.connectionState === 'CONNECTING')
            this.#enter(store, 'FAILED', 'INTERNAL_ERROR');
        },
      );
  }

  /** Live stores: a KmsHealthCheck every interval while CONNECTED. */
  #startHealthChecks(store: MutableKeyStore): void {
    const interval = this.#options.xks?.settings.healthCheckIntervalMs ?? 0;
    if (interval === 0 || !this.isLive(store) || this.#healthTimers.has(store.id)) return;
    const timer = setInterval(() => {
      if (this.#checking.has(store.id)) return;
      this.#checking.add(store.id);
      this.#options
        .xks!.getHealthStatus(this.#target(store), 'KmsHealthCheck')
        .then(
          (record) => {
            // A check that ends after the store left CONNECTED (or the emulator closed) is dropped.
            if (this.#healthTimers.get(store.id) === timer) store.xksHealth = healthRecord(record);
          },
          () => {},
        )
        .finally(() => this.#checking.delete(store.id));
    }, interval);
    timer.unref();
    this.#healthTimers.set(store.id, timer);
  }

  #stopHealthChecks(id: string): void {
    const timer = this.#healthTimers.get(id);
    if (timer) clearInterval(timer);
    this.#healthTimers.delete(id);
  }

  #get(id: string): MutableKeyStore {
    const store = this.#stores.get(id);
    if (!store) {
      throw new EmulatorError(
        'CustomKeyStoreNotFoundException',
        `Custom key store ${id} does not exist in this account and Region.`,
      );
    }
    return store;
  }

  #enter(store: MutableKeyStore, state: string, errorCode?: string): void {
    if (state === 'CONNECTED') this.#startHealthChecks(store);
    else this.#stopHealthChecks(store.id);
    if (state !== 'CONNECTING') this.#attempts.delete(store.id);
    store.connectionState = state;
    store.connectionErrorCode = errorCode;
    store.history.push({ state, at: new Date(this.#options.now()) });
    if (store.history.length > historyLimit) store.history.shift();
  }

  #schedule(store: MutableKeyStore, done: () => void): void {
    this.#cancel(store.id);
    const timer = setTimeout(() => {
      this.#timers.delete(store.id);
      done();
    }, this.#options.transitionMs);
    timer.unref();
    this.#timers.set(store.id, timer);
  }

  #cancel(id: string): void {
    const timer = this.#timers.get(id);
    if (timer) clearTimeout(timer);
    this.#timers.delete(id);
  }
}

function isCharacterCountIn(value: string, min: number, max: number): boolean {
  const count = characterCount(value);
  return count >= min && count <= max;
}

function checkSeed(seed: KeyStoreSeed): void {
  // Lengths in characters (code points), as the model counts them.
  if (typeof seed.id !== 'string' || !isCharacterCountIn(seed.id, 1, 64)) {
    throw new TypeError(`A key store ID must be 1–64 characters, got ${JSON.stringify(seed.id)}`);
  }
  if (typeof seed.name !== 'string' || !isCharacterCountIn(seed.name, 1, 256)) {
    throw new TypeError(`Key store ${seed.id}: the name must be 1–256 characters`);
  }
  if (seed.type !== 'AWS_CLOUDHSM' && seed.type !== 'EXTERNAL_KEY_STORE') {
    throw new TypeError(
      `Key store ${seed.id}: type must be AWS_CLOUDHSM or EXTERNAL_KEY_STORE, got ${JSON.stringify(seed.type)}`,
    );
  }
}

/** A seed's proxy credential, checked. @throws TypeError naming what is wrong (never the secret). */
function seedCredential(seed: KeyStoreSeed): StoredXksCredential | undefined {
  if (seed.xksProxyAuthenticationCredential === undefined) return undefined;
  const where = `Key store ${seed.id}`;
  if (seed.type !== 'EXTERNAL_KEY_STORE') {
    throw new TypeError(
      `${where}: only an EXTERNAL_KEY_STORE has an xksProxyAuthenticationCredential`,
    );
  }
  const credential = checkXksCredential(seed.xksProxyAuthenticationCredential, where);
  const configured = seed.xksProxyConfiguration?.accessKeyId;
  if (configured !== undefined && configured !== credential.accessKeyId) {
    throw new TypeError(
      `${where}: xksProxyConfiguration.accessKeyId is not the credential's accessKeyId: give the same one (or only the credential)`,
    );
  }
  return credential;
}

/** A store's record of a health check. */
function healthRecord(record: XksOutboundRequestRecord): XksHealthRecord {
  const {
    healthy,
    connectionErrorCode,
    exception,
    reason,
    status,
    errorName,
    report,
    at,
    kmsOperation,
    kmsRequestId,
  } = record;
  return {
    at,
    kmsOperation,
    kmsRequestId,
    healthy,
    reason,
    ...(connectionErrorCode !== undefined && { connectionErrorCode }),
    ...(exception !== undefined && { exception }),
    ...(status !== undefined && { status }),
    ...(errorName !== undefined && { errorName }),
    ...(report !== undefined && { report }),
  };
}

/** Realistic fields for a store seeded without them. */
function typeDefaults(
  seed: KeyStoreSeed,
  credential: StoredXksCredential | undefined,
): Partial<MutableKeyStore> {
  if (seed.type === 'AWS_CLOUDHSM') {
    return {
      cloudHsmClusterId: seed.cloudHsmClusterId ?? 'cluster-234abcdefgh',
      trustAnchorCertificate: seed.trustAnchorCertificate ?? exampleTrustAnchor,
    };
  }
  return {
    xksProxyConfiguration: seed.xksProxyConfiguration ?? {
      connectivity: 'PUBLIC_ENDPOINT',
      accessKeyId: credential?.accessKeyId ?? 'ABCDE23456FGHIJ76543',
      uriEndpoint: 'https://xks-proxy.example.com',
      uriPath: '/kms/xks/v1',
    },
  };
}

/** A made-up PEM trust anchor (not a real certificate; KMS only echoes it). */
export const exampleTrustAnchor = [
  '-----BEGIN CERTIFICATE-----',
  'MIIDhjCCAm6gAwIBAgIJAJ2hO8ZQn0hYMA0GCSqGSIb3DQEBCwUAMFgxCzAJBgNV',
  'BAYTAlVTMQswCQYDVQQIDAJXQTEQMA4GA1UEBwwHU2VhdHRsZTEPMA0GA1UECgwG',
  'RXhhbXBsZTEZMBcGA1UEAwwQRXhhbXBsZSBIU00gQ0EgMTAeFw0yNDAxMTUxMDAw',
  'MDBaFw0zNDAxMTIxMDAwMDBaMFgxCzAJBgNVBAYTAlVTMQswCQYDVQQIDAJXQTEQ',
  '-----END CERTIFICATE-----',
].join('\n');

function toEntry(store: MutableKeyStore): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    CustomKeyStoreId: store.id,
    CustomKeyStoreName: store.name,
    CustomKeyStoreType: store.type,
    ConnectionState: store.connectionState,
    CreationDate: store.creationDate.getTime() / 1000,
  };
  if (store.connectionState === 'FAILED' && store.connectionErrorCode) {
    entry.ConnectionErrorCode = store.connectionErrorCode;
  }
  if (store.type === 'AWS_CLOUDHSM') {
    entry.CloudHsmClusterId = store.cloudHsmClusterId;
    entry.TrustAnchorCertificate = store.trustAnchorCertificate;
  }
  const xks = store.xksProxyConfiguration;
  if (store.type === 'EXTERNAL_KEY_STORE' && xks) {
    const config: Record<string, unknown> = {
      Connectivity: xks.connectivity,
      AccessKeyId: xks.accessKeyId,
      UriEndpoint: xks.uriEndpoint,
      UriPath: xks.uriPath,
    };
    if (xks.vpcEndpointServiceName !== undefined) {
      config.VpcEndpointServiceName = xks.vpcEndpointServiceName;
    }
    if (xks.vpcEndpointServiceOwner !== undefined) {
      config.VpcEndpointServiceOwner = xks.vpcEndpointServiceOwner;
    }
    entry.XksProxyConfiguration = config;
  }
  return store.extraFields ? { ...entry, ...store.extraFields } : entry;
}

const markerPrefix = 'cks-page:';

/** An opaque marker: the index of the next entry, base64-encoded. */
function encodeMarker(index: number): string {
  return Buffer.from(`${markerPrefix}${index}`, 'utf8').toString('base64');
}

function decodeMarker(marker: string, count: number): number {
  const text = Buffer.from(marker, 'base64').toString('utf8');
  const index = text.startsWith(markerPrefix)
    ? Number(text.slice(markerPrefix.length))
    : Number.NaN;
  if (
    !Number.isSafeInteger(index) ||
    index < 0 ||
    index > count ||
    encodeMarker(index) !== marker
  ) {
    throw new EmulatorError(
      'InvalidMarkerException',
      'The request was rejected because the marker that specifies where pagination should next begin is not valid.',
    );
  }
  return index;
}
