/**
 * The emulated custom key stores and their connection state machine, as KMS documents it:
 * disconnect goes through DISCONNECTING, connect through CONNECTING, each after `transitionMs`.
 * Transition timers are unref'd (they never keep the process alive) and cleared by `dispose()`.
 */
import { randomBytes } from 'node:crypto';
import { characterCount } from './characters.js';
import { type CloudHsmClusterSeed, ClusterDirectory, defaultCloudHsmClusters } from './clusters.js';
import { EmulatorError, frameworkErrors } from './errors.js';
import { exampleTrustAnchor } from './trust-anchor.js';
import {
  checkXksCredential,
  probeXksProxy,
  type XksHealthRecord,
  type XksOutboundRequestRecord,
  type XksProxyCaller,
} from './xks-live.js';

export { exampleTrustAnchor } from './trust-anchor.js';

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
  /** When set, connecting ends in `FAILED` with this `ConnectionErrorCode` instead of `CONNECTED`. */
  connectFailure?: ConnectionErrorCode;
  /** When set, ConnectCustomKeyStore is rejected with this error (CloudHSM stores). */
  connectException?:
    | 'CloudHsmClusterNotActiveException'
    | 'CloudHsmClusterInvalidConfigurationException';
  /** Extra fields merged into the Describe entry as they are, to test forward compatibility. */
  extraFields?: Record<string, unknown>;
  /**
   * External key stores: the proxy authentication credential KMS signs its requests to the proxy
   * with. Default: `xksProxyConfiguration.accessKeyId` and a made-up secret. Its access key ID is
   * the one Describe shows; the secret is never shown (not even by `util.inspect` of the store).
   * In live XKS mode only a store with a credential given here (or by Create / Update) talks to its
   * proxy: a made-up one could sign nothing a real proxy accepts, so such a store stays simulated.
   */
  xksProxyAuthenticationCredential?: EmulatedXksProxyCredential;
  /** CloudHSM key stores: the `kmsuser` password; never shown. Default: a made-up one. */
  keyStorePassword?: string;
  /** How many KMS keys the store holds; DeleteCustomKeyStore refuses while it is not 0. Default 0. */
  kmsKeyCount?: number;
}

/** The proxy authentication credential of an external key store. */
export interface EmulatedXksProxyCredential {
  /** 20–30 characters of A–Z and 2–7. */
  readonly accessKeyId: string;
  /** 43–64 characters of A–Z, a–z, 0–9, `/`, `+`, `=`. */
  readonly rawSecretAccessKey: string;
}

/** One state a store went through, with when (emulator clock). */
export interface StateChange {
  /** The state entered. */
  state: string;
  /** When it was entered. */
  at: Date;
}

/**
 * A key store as the emulator holds it now. The objects are live: they change as the state and
 * UpdateCustomKeyStore do. `xksProxyAuthenticationCredential.rawSecretAccessKey` is readable (and
 * kept by a spread) but `[redacted]` in `util.inspect` and `JSON.stringify`; `keyStorePassword` is
 * readable but not enumerable, so both leave it out.
 */
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

type Writable<T> = { -readonly [K in keyof T]: T[K] };

interface MutableKeyStore
  extends Writable<
    Omit<EmulatedKeyStore, 'connectionState' | 'history' | 'creationDate' | 'xksHealth'>
  > {
  connectionState: string;
  connectionErrorCode?: string;
  creationDate: Date;
  history: StateChange[];
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
  xksProxyAuthenticationCredential: EmulatedXksProxyCredential;
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
  /** The region served (given to the XKS proxy probe). */
  region?: string;
  /** The CloudHSM clusters of the region; default {@link defaultCloudHsmClusters}. */
  clusters?: readonly CloudHsmClusterSeed[];
  /** Most custom key stores in the region (LimitExceededException past it); default 10. */
  keyStoreQuota?: number;
  /**
   * Decides whether Create and Update can reach an XKS proxy in simulated mode; default: every
   * proxy is healthy. In live mode (`xks`), `PUBLIC_ENDPOINT` stores are probed for real instead.
   */
  xksProxyProbe?: XksProxyProbe;
  /** Live XKS: the caller of proxies. Absent = simulated (timers only, no network). */
  xks?: XksProxyCaller;
}

/** The proxy settings Create or Update would give an external key store, for the probe. */
export interface XksProxyProbeTarget {
  /** `CreateCustomKeyStore` or `UpdateCustomKeyStore`. */
  readonly operation: 'CreateCustomKeyStore' | 'UpdateCustomKeyStore';
  /** The region of the request. */
  readonly region: string | undefined;
  /** The store being updated (undefined for Create). */
  readonly customKeyStoreId: string | undefined;
  /** The store's name after the call. */
  readonly customKeyStoreName: string;
  /** The settings after the call. */
  readonly xksProxyConfiguration: Readonly<EmulatedXksProxyConfiguration>;
  /** The credential after the call. */
  readonly xksProxyAuthenticationCredential: EmulatedXksProxyCredential;
}

/** Errors a probe can decide Create or Update with (the XKS errors of both operations). */
export type XksProxyProbeError =
  | 'XksProxyUriUnreachableException'
  | 'XksProxyIncorrectAuthenticationCredentialException'
  | 'XksProxyInvalidResponseException'
  | 'XksProxyInvalidConfigurationException'
  | 'XksProxyVpcEndpointServiceNotFoundException'
  | 'XksProxyVpcEndpointServiceInvalidConfigurationException';

/** What a probe found: nothing wrong (undefined), or the error KMS would answer with. */
export type XksProxyProbeResult = { error: XksProxyProbeError; message?: string } | undefined;

/**
 * The one place where a live XKS health check decides CreateCustomKeyStore and
 * UpdateCustomKeyStore of an external key store: KMS calls the proxy's GetHealthStatus with the
 * new settings before it accepts them. The default (simulated mode) finds every proxy healthy;
 * a live mode plugs a real probe in here.
 */
export type XksProxyProbe = (target: XksProxyProbeTarget) => Promise<XksProxyProbeResult>;

/** The default probe: simulated mode, every proxy is reachable and accepts its credential. */
export const simulatedXksProxyProbe: XksProxyProbe = async () => undefined;

/** Input of CreateCustomKeyStore, validated by `operations.ts` (camelCase of the wire). */
export interface CreateInput {
  customKeyStoreName: string;
  customKeyStoreType: CustomKeyStoreType;
  cloudHsmClusterId?: string;
  trustAnchorCertificate?: string;
  keyStorePassword?: string;
  xksProxyConfiguration?: EmulatedXksProxyConfiguration;
  xksProxyAuthenticationCredential?: EmulatedXksProxyCredential;
}

/** Input of UpdateCustomKeyStore, validated by `operations.ts`; absent fields are unchanged. */
export interface UpdateInput {
  customKeyStoreId: string;
  newCustomKeyStoreName?: string;
  keyStorePassword?: string;
  cloudHsmClusterId?: string;
  xksProxyUriEndpoint?: string;
  xksProxyUriPath?: string;
  xksProxyVpcEndpointServiceName?: string;
  xksProxyVpcEndpointServiceOwner?: string;
  xksProxyAuthenticationCredential?: EmulatedXksProxyCredential;
  xksProxyConnectivity?: 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE';
}

/** Update fields of external key stores that need the store DISCONNECTED, as KMS documents. */
const xksNeedsDisconnected = [
  'xksProxyUriEndpoint',
  'xksProxyConnectivity',
  'xksProxyVpcEndpointServiceName',
  'xksProxyVpcEndpointServiceOwner',
] as const;
/** Update fields of CloudHSM key stores that need the store DISCONNECTED. */
const cloudHsmNeedsDisconnected = ['keyStorePassword', 'cloudHsmClusterId'] as const;
const xksUpdateFields = [
  ...xksNeedsDisconnected,
  'xksProxyUriPath',
  'xksProxyAuthenticationCredential',
] as const;

const defaultKeyStoreQuota = 10;

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
  /** Stores whose proxy credential was made up for a seed without one: never live. */
  readonly #madeUpCredentials = new Set<string>();
  readonly #options: RegistryOptions;
  /** The CloudHSM clusters of the region. */
  readonly clusters: ClusterDirectory;

  /**
   * @param seeds - the initial stores.
   * @throws TypeError when a seed is invalid (duplicate ID or name, empty ID, unknown type).
   */
  constructor(seeds: readonly KeyStoreSeed[], options: RegistryOptions) {
    this.#options = options;
    this.clusters = new ClusterDirectory(options.clusters ?? defaultCloudHsmClusters());
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
    const state = seed.connectionState ?? 'CONNECTED';
    const { xksProxyAuthenticationCredential: given, keyStorePassword, ...visible } = seed;
    const credential = seedCredential(seed, given);
    const store: MutableKeyStore = {
      ...visible,
      ...typeDefaults(seed),
      creationDate: seed.creationDate ?? defaultCreationDate,
      connectionState: state,
      connectionErrorCode:
        state === 'FAILED' ? (seed.connectionErrorCode ?? 'INTERNAL_ERROR') : undefined,
      history: [{ state, at: new Date(this.#options.now()) }],
    };
    if (seed.type === 'EXTERNAL_KEY_STORE') {
      const xks = store.xksProxyConfiguration!;
      const accessKeyId = credential?.accessKeyId ?? xks.accessKeyId;
      store.xksProxyConfiguration = { ...xks, accessKeyId };
      setCredential(store, {
        accessKeyId,
        rawSecretAccessKey: credential?.rawSecretAccessKey ?? defaultProxySecret(accessKeyId),
      });
      if (!credential) this.#madeUpCredentials.add(seed.id);
    } else {
      setPassword(store, keyStorePassword ?? 'kmsuser-example-password');
      this.clusters.ensure(store.cloudHsmClusterId!, store.trustAnchorCertificate!);
    }
    this.#stores.set(seed.id, store);
    if (state === 'CONNECTED') this.#startHealthChecks(store);
    return store;
  }

  /**
   * Whether a store's connection is decided by its live proxy: live XKS mode, an external key
   * store with `PUBLIC_ENDPOINT` connectivity, a proxy credential given to sign with (not one
   * made up for a seed), and no seeded `connectFailure` (which keeps the simulated outcome).
   */
  isLive(store: EmulatedKeyStore): boolean {
    return (
      this.#options.xks !== undefined &&
      store.type === 'EXTERNAL_KEY_STORE' &&
      store.xksProxyConfiguration?.connectivity === 'PUBLIC_ENDPOINT' &&
      store.xksProxyAuthenticationCredential !== undefined &&
      !this.#madeUpCredentials.has(store.id) &&
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

  /** CreateCustomKeyStore: checks KMS's rules, asks the XKS probe, adds the store DISCONNECTED. */
  async create(input: CreateInput, requestId?: string): Promise<string> {
    const candidate = (): MutableKeyStore => ({
      id: '',
      name: input.customKeyStoreName,
      type: input.customKeyStoreType,
      cloudHsmClusterId: input.cloudHsmClusterId,
      trustAnchorCertificate: input.trustAnchorCertificate,
      xksProxyConfiguration: input.xksProxyConfiguration,
      creationDate: new Date(this.#options.now()),
      connectionState: 'DISCONNECTED',
      history: [],
    });
    this.#checkCreate(candidate(), input);
    if (input.customKeyStoreType === 'EXTERNAL_KEY_STORE') {
      await this.#probe(
        'CreateCustomKeyStore',
        undefined,
        input.customKeyStoreName,
        input.xksProxyConfiguration!,
        input.xksProxyAuthenticationCredential!,
        requestId,
      );
    }
    // The probe took time: another request may have taken the name, URI or cluster meanwhile.
    const store = candidate();
    this.#checkCreate(store, input);
    store.id = this.#newId();
    store.history = [{ state: 'DISCONNECTED', at: new Date(this.#options.now()) }];
    if (input.customKeyStoreType === 'EXTERNAL_KEY_STORE') {
      setCredential(store, input.xksProxyAuthenticationCredential!);
    } else {
      setPassword(store, input.keyStorePassword!);
    }
    this.#stores.set(store.id, store);
    return store.id;
  }

  /** UpdateCustomKeyStore: checks KMS's rules for the store's type and state, then applies. */
  async update(input: UpdateInput, requestId?: string): Promise<void> {
    const store = this.#get(input.customKeyStoreId);
    const next = this.#checkUpdate(store, input);
    if (
      store.type === 'EXTERNAL_KEY_STORE' &&
      xksUpdateFields.some((field) => input[field] !== undefined)
    ) {
      // A store still signing with a credential made up for its seed stays simulated: that
      // secret signs nothing a real proxy accepts. A credential given here makes it live.
      const live =
        !this.#madeUpCredentials.has(store.id) ||
        input.xksProxyAuthenticationCredential !== undefined;
      await this.#probe(
        'UpdateCustomKeyStore',
        store.id,
        next.name,
        next.xksProxyConfiguration!,
        next.credential!,
        requestId,
        live,
      );
    }
    // The probe took time: check again against what changed meanwhile (state, names, URIs).
    const current = this.#get(input.customKeyStoreId);
    const final = this.#checkUpdate(current, input);
    current.name = final.name;
    if (current.type === 'EXTERNAL_KEY_STORE') {
      current.xksProxyConfiguration = final.xksProxyConfiguration;
      setCredential(current, final.credential!);
      if (input.xksProxyAuthenticationCredential !== undefined) {
        this.#madeUpCredentials.delete(current.id);
      }
    } else {
      current.cloudHsmClusterId = final.cloudHsmClusterId;
      if (input.keyStorePassword !== undefined) setPassword(current, input.keyStorePassword);
    }
  }

  /** DeleteCustomKeyStore: only a DISCONNECTED store that holds no KMS keys. */
  delete(id: string): void {
    const store = this.#get(id);
    if (store.connectionState !== 'DISCONNECTED') {
      throw new EmulatorError(
        'CustomKeyStoreInvalidStateException',
        `Custom key store ${id} is ${store.connectionState}. You can delete a custom key store only when its ConnectionState is DISCONNECTED.`,
      );
    }
    const keys = store.kmsKeyCount ?? 0;
    if (keys > 0) {
      throw new EmulatorError(
        'CustomKeyStoreHasCMKsException',
        `Custom key store ${id} contains ${keys} KMS key${keys === 1 ? '' : 's'}. Schedule them for deletion and wait until they are deleted before you delete the custom key store.`,
      );
    }
    this.#cancel(id);
    this.#stopHealthChecks(id);
    this.#madeUpCredentials.delete(id);
    this.#stores.delete(id);
  }

  /** The name, uniqueness and cluster rules of Create. */
  #checkCreate(store: MutableKeyStore, input: CreateInput): void {
    this.#checkName(store.name, undefined);
    const quota = this.#options.keyStoreQuota ?? defaultKeyStoreQuota;
    if (this.#stores.size >= quota) {
      throw new EmulatorError(
        'LimitExceededException',
        `This account and Region already have ${this.#stores.size} custom key stores, the quota of ${quota}.`,
      );
    }
    if (store.type === 'EXTERNAL_KEY_STORE') {
      this.#checkXksUniqueness(store.xksProxyConfiguration!, undefined);
      return;
    }
    const clusterId = input.cloudHsmClusterId!;
    const cluster = this.#checkCluster(clusterId);
    for (const other of this.#stores.values()) {
      if (other.cloudHsmClusterId === clusterId) {
        throw new EmulatorError(
          'CloudHsmClusterInUseException',
          `CloudHSM cluster ${clusterId} is already associated with custom key store ${other.id}.`,
        );
      }
    }
    if (cluster.trustAnchorCertificate.trim() !== input.trustAnchorCertificate!.trim()) {
      throw new EmulatorError(
        'IncorrectTrustAnchorException',
        `The trust anchor certificate does not match the trust anchor certificate of CloudHSM cluster ${clusterId}.`,
      );
    }
  }

  /** The state, type, uniqueness and cluster rules of Update; returns the settings after it. */
  #checkUpdate(
    store: MutableKeyStore,
    input: UpdateInput,
  ): {
    name: string;
    xksProxyConfiguration?: EmulatedXksProxyConfiguration;
    credential?: EmulatedXksProxyCredential;
    cloudHsmClusterId?: string;
  } {
    const external = store.type === 'EXTERNAL_KEY_STORE';
    const own: readonly string[] = external ? xksUpdateFields : cloudHsmNeedsDisconnected;
    const foreign = [...xksUpdateFields, ...cloudHsmNeedsDisconnected].filter(
      (field) => !own.includes(field) && input[field] !== undefined,
    );
    if (foreign.length > 0) {
      throw new EmulatorError(
        frameworkErrors.validation,
        `${foreign.join(', ')} cannot be specified for a custom key store of type ${store.type}.`,
      );
    }
    const needsDisconnected = (external ? xksNeedsDisconnected : cloudHsmNeedsDisconnected).filter(
      (field) => input[field] !== undefined,
    );
    if (needsDisconnected.length > 0 && store.connectionState !== 'DISCONNECTED') {
      throw new EmulatorError(
        'CustomKeyStoreInvalidStateException',
        `Custom key store ${store.id} is ${store.connectionState}. To update ${needsDisconnected.join(', ')}, the custom key store must be DISCONNECTED.`,
      );
    }
    const name = input.newCustomKeyStoreName ?? store.name;
    if (input.newCustomKeyStoreName !== undefined) this.#checkName(name, store.id);
    if (!external) {
      const clusterId = input.cloudHsmClusterId ?? store.cloudHsmClusterId;
      if (
        input.cloudHsmClusterId !== undefined &&
        input.cloudHsmClusterId !== store.cloudHsmClusterId
      ) {
        this.#checkCluster(input.cloudHsmClusterId);
        if (!this.clusters.related(input.cloudHsmClusterId, store.cloudHsmClusterId!)) {
          throw new EmulatorError(
            'CloudHsmClusterNotRelatedException',
            `CloudHSM cluster ${input.cloudHsmClusterId} is not related to cluster ${store.cloudHsmClusterId} of custom key store ${store.id}: it must share its backup history.`,
          );
        }
      }
      return { name, cloudHsmClusterId: clusterId };
    }
    const current = store.xksProxyConfiguration!;
    const connectivity = input.xksProxyConnectivity ?? current.connectivity;
    const publicNow = connectivity === 'PUBLIC_ENDPOINT';
    if (
      publicNow &&
      (input.xksProxyVpcEndpointServiceName !== undefined ||
        input.xksProxyVpcEndpointServiceOwner !== undefined)
    ) {
      throw new EmulatorError(
        frameworkErrors.validation,
        'XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are only valid with XksProxyConnectivity VPC_ENDPOINT_SERVICE.',
      );
    }
    const credential =
      input.xksProxyAuthenticationCredential ?? store.xksProxyAuthenticationCredential!;
    const configuration: EmulatedXksProxyConfiguration = {
      connectivity,
      accessKeyId: credential.accessKeyId,
      uriEndpoint: input.xksProxyUriEndpoint ?? current.uriEndpoint,
      uriPath: input.xksProxyUriPath ?? current.uriPath,
    };
    if (!publicNow) {
      const serviceName =
        input.xksProxyVpcEndpointServiceName ??
        (current.connectivity === 'VPC_ENDPOINT_SERVICE'
          ? current.vpcEndpointServiceName
          : undefined);
      if (serviceName === undefined) {
        throw new EmulatorError(
          frameworkErrors.validation,
          'XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.',
        );
      }
      configuration.vpcEndpointServiceName = serviceName;
      const owner =
        input.xksProxyVpcEndpointServiceOwner ??
        (current.connectivity === 'VPC_ENDPOINT_SERVICE'
          ? current.vpcEndpointServiceOwner
          : undefined);
      if (owner !== undefined) configuration.vpcEndpointServiceOwner = owner;
    }
    this.#checkXksUniqueness(configuration, store.id);
    return { name, xksProxyConfiguration: configuration, credential };
  }

  #checkName(name: string, self: string | undefined): void {
    for (const other of this.#stores.values()) {
      if (other.id !== self && other.name === name) {
        throw new EmulatorError(
          'CustomKeyStoreNameInUseException',
          `A custom key store named ${name} already exists in this account and Region (${other.id}).`,
        );
      }
    }
  }

  /** Endpoint + path unique per region; for VPC connectivity, the endpoint and the service too. */
  #checkXksUniqueness(
    configuration: EmulatedXksProxyConfiguration,
    self: string | undefined,
  ): void {
    for (const other of this.#stores.values()) {
      const theirs = other.xksProxyConfiguration;
      if (other.id === self || other.type !== 'EXTERNAL_KEY_STORE' || !theirs) continue;
      if (
        theirs.uriEndpoint === configuration.uriEndpoint &&
        theirs.uriPath === configuration.uriPath
      ) {
        throw new EmulatorError(
          'XksProxyUriInUseException',
          `The XKS proxy URI ${configuration.uriEndpoint}${configuration.uriPath} is already associated with custom key store ${other.id} in this Region.`,
        );
      }
      if (
        configuration.connectivity !== 'VPC_ENDPOINT_SERVICE' ||
        theirs.connectivity !== 'VPC_ENDPOINT_SERVICE'
      )
        continue;
      if (theirs.uriEndpoint === configuration.uriEndpoint) {
        throw new EmulatorError(
          'XksProxyUriEndpointInUseException',
          `The XKS proxy URI endpoint ${configuration.uriEndpoint} is already associated with custom key store ${other.id}; external key stores with VPC endpoint service connectivity need a private DNS name each.`,
        );
      }
      if (theirs.vpcEndpointServiceName === configuration.vpcEndpointServiceName) {
        throw new EmulatorError(
          'XksProxyVpcEndpointServiceInUseException',
          `The VPC endpoint service ${configuration.vpcEndpointServiceName} is already associated with custom key store ${other.id} in this Region.`,
        );
      }
    }
  }

  /** The cluster, when it exists, is active and well configured. */
  #checkCluster(clusterId: string) {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) {
      throw new EmulatorError(
        'CloudHsmClusterNotFoundException',
        `CloudHSM cluster ${clusterId} does not exist in this account and Region.`,
      );
    }
    if (cluster.state !== 'ACTIVE') {
      throw new EmulatorError(
        'CloudHsmClusterNotActiveException',
        `CloudHSM cluster ${clusterId} is ${cluster.state}, not ACTIVE.`,
      );
    }
    if (cluster.invalidConfiguration) {
      throw new EmulatorError(
        'CloudHsmClusterInvalidConfigurationException',
        `CloudHSM cluster ${clusterId} does not meet the configuration requirements for a custom key store.`,
      );
    }
    return cluster;
  }

  /** Asks the XKS proxy probe (see {@link XksProxyProbe}); throws the error it decides on. `live` false keeps a live-mode emulator on the simulated probe (a seed's made-up credential). */
  async #probe(
    operation: XksProxyProbeTarget['operation'],
    customKeyStoreId: string | undefined,
    customKeyStoreName: string,
    xksProxyConfiguration: EmulatedXksProxyConfiguration,
    credential: EmulatedXksProxyCredential,
    requestId: string | undefined,
    live = true,
  ): Promise<void> {
    if (this.#options.xks && live) {
      // Live: the proxy itself decides (VPC endpoint service stores stay simulated: nothing sent).
      await this.probeXksProxy(
        {
          ...(customKeyStoreId !== undefined && { customKeyStoreId }),
          connectivity: xksProxyConfiguration.connectivity,
          uriEndpoint: xksProxyConfiguration.uriEndpoint,
          uriPath: xksProxyConfiguration.uriPath,
          xksProxyAuthenticationCredential: credential,
        },
        operation,
        requestId,
      );
      if (xksProxyConfiguration.connectivity === 'PUBLIC_ENDPOINT') return;
    }
    const probe = this.#options.xksProxyProbe ?? simulatedXksProxyProbe;
    const result = await probe({
      operation,
      region: this.#options.region,
      customKeyStoreId,
      customKeyStoreName,
      xksProxyConfiguration: { ...xksProxyConfiguration },
      xksProxyAuthenticationCredential: protectedCredential(credential),
    });
    if (result) {
      throw new EmulatorError(
        result.error,
        result.message ??
          `KMS could not use the XKS proxy at ${xksProxyConfiguration.uriEndpoint}${xksProxyConfiguration.uriPath} (${result.error}).`,
      );
    }
  }

  /** `cks-` and 17 hex digits, not yet used. */
  #newId(): string {
    for (;;) {
      const id = `cks-${randomBytes(9).toString('hex').slice(0, 17)}`;
      if (!this.#stores.has(id)) return id;
    }
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

/**
 * A seed's proxy credential, checked (the model's patterns; the access key ID the same as the
 * configuration's when both are given). @throws TypeError naming what is wrong (never the secret).
 */
function seedCredential(
  seed: KeyStoreSeed,
  given: EmulatedXksProxyCredential | undefined,
): EmulatedXksProxyCredential | undefined {
  if (given === undefined) return undefined;
  const where = `Key store ${seed.id}`;
  if (seed.type !== 'EXTERNAL_KEY_STORE') {
    throw new TypeError(
      `${where}: only an EXTERNAL_KEY_STORE has an xksProxyAuthenticationCredential`,
    );
  }
  const credential = checkXksCredential(given, where);
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
  const keys = seed.kmsKeyCount;
  if (keys !== undefined && !(Number.isSafeInteger(keys) && keys >= 0)) {
    throw new TypeError(`Key store ${seed.id}: kmsKeyCount must be a non-negative integer`);
  }
  const credential = seed.xksProxyAuthenticationCredential;
  if (
    credential !== undefined &&
    (typeof credential?.accessKeyId !== 'string' ||
      typeof credential.rawSecretAccessKey !== 'string')
  ) {
    throw new TypeError(
      `Key store ${seed.id}: xksProxyAuthenticationCredential needs accessKeyId and rawSecretAccessKey`,
    );
  }
  if (seed.type !== 'AWS_CLOUDHSM' && seed.type !== 'EXTERNAL_KEY_STORE') {
    throw new TypeError(
      `Key store ${seed.id}: type must be AWS_CLOUDHSM or EXTERNAL_KEY_STORE, got ${JSON.stringify(seed.type)}`,
    );
  }
}

/** Realistic fields for a store seeded without them. */
function typeDefaults(seed: KeyStoreSeed): Partial<MutableKeyStore> {
  if (seed.type === 'AWS_CLOUDHSM') {
    return {
      cloudHsmClusterId: seed.cloudHsmClusterId ?? 'cluster-234abcdefgh',
      trustAnchorCertificate: seed.trustAnchorCertificate ?? exampleTrustAnchor,
    };
  }
  return {
    xksProxyConfiguration: seed.xksProxyConfiguration ?? {
      connectivity: 'PUBLIC_ENDPOINT',
      accessKeyId: 'ABCDE23456FGHIJ76543',
      uriEndpoint: 'https://xks-proxy.example.com',
      uriPath: '/kms/xks/v1',
    },
  };
}

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

/** Where `util.inspect` looks for an object's own view. */
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * A frozen copy of a credential: both fields are plain (spreading it keeps the secret, for a
 * probe that signs with it), but `util.inspect` and `JSON.stringify` show the secret as
 * `[redacted]`.
 */
function protectedCredential(credential: EmulatedXksProxyCredential): EmulatedXksProxyCredential {
  const copy = {
    accessKeyId: credential.accessKeyId,
    rawSecretAccessKey: credential.rawSecretAccessKey,
  };
  const view = () => ({ accessKeyId: copy.accessKeyId, rawSecretAccessKey: '[redacted]' });
  Object.defineProperty(copy, 'toJSON', { value: view });
  Object.defineProperty(copy, inspectCustom, {
    value: (
      _depth: number,
      options: object,
      inspect: (value: unknown, options: object) => string,
    ) => inspect(view(), options),
  });
  return Object.freeze(copy);
}

/** Sets the proxy credential of a store, and the access key ID Describe shows. */
function setCredential(store: MutableKeyStore, credential: EmulatedXksProxyCredential): void {
  store.xksProxyAuthenticationCredential = protectedCredential(credential);
  if (store.xksProxyConfiguration) {
    store.xksProxyConfiguration = {
      ...store.xksProxyConfiguration,
      accessKeyId: credential.accessKeyId,
    };
  }
}

/** Sets the `kmsuser` password of a store, readable but not enumerable. */
function setPassword(store: MutableKeyStore, password: string): void {
  Object.defineProperty(store, 'keyStorePassword', {
    value: password,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** A made-up proxy secret for a seed without one: stable, 43+ characters of the model's alphabet. */
function defaultProxySecret(accessKeyId: string): string {
  return `${accessKeyId}EmulatorProxySecretExample0000000000000000`.slice(0, 48);
}
