/**
 * `kms-custom-key-store/emulator`: a KMS emulator for the custom key store operations that runs
 * in-process on loopback. It speaks the real JSON 1.1 contract, verifies SigV4 like KMS, runs the
 * connection state machine, and injects faults on demand. It imports nothing from the client, so
 * testing the client against it is an independent check.
 *
 * @example
 * ```ts
 * import { startKmsEmulator, emulatorCredentials } from 'kms-custom-key-store/emulator';
 *
 * const emu = await startKmsEmulator();
 * const client = new KmsClient({ endpoint: emu.url, region: emu.region, credentials: emulatorCredentials });
 * await client.disconnectCustomKeyStore('cks-0123456789abcdef0');
 * await client.close();
 * await emu.close();
 * ```
 *
 * Several regions on one port, each with its own key stores, chosen by the region a request is
 * signed for: `startKmsEmulator({ regions: ['us-east-1', 'eu-west-1'] })`.
 *
 * Live XKS: `startKmsEmulator({ xks: { mode: 'live', ca, connectTo } })` connects external key
 * stores through their real XKS proxy (GetHealthStatus, signed by the emulator's own SigV4 code),
 * as KMS does; the default `mode: 'simulated'` sends nothing.
 * @packageDocumentation
 */
import { type CloudHsmClusterSeed, defaultCloudHsmClusters } from './clusters.js';
import {
  defaultEmulatorCredentials,
  defaultKeyStores,
  type EmulatorCredentials,
  emulatorRegion,
} from './defaults.js';
import { FaultQueue, type FaultSpec, type PendingFault } from './faults.js';
import { redactForLog } from './redact.js';
import { EmulatorServer, type RecordedRequest, RequestLog } from './server.js';
import { SigV4Verifier } from './sigv4.js';
import {
  type EmulatedConnectionState,
  type EmulatedKeyStore,
  KeyStoreRegistry,
  type KeyStoreSeed,
  type XksProbeSettings,
  type XksProxyProbe,
} from './store.js';
import {
  type XksEmulationOptions,
  type XksOutboundRequestRecord,
  XksProxyCaller,
  xksLiveSettings,
} from './xks-live.js';

export {
  type CloudHsmClusterSeed,
  defaultCloudHsmClusterIds,
  defaultCloudHsmClusters,
} from './clusters.js';
export {
  breakGlassCredentials,
  defaultKeyStoreIds,
  defaultKeyStores,
  type EmulatorCredentials,
  emulatorCredentials,
  emulatorRegion,
} from './defaults.js';
export type { FaultKind, FaultSpec, PendingFault } from './faults.js';
export type { RecordedRequest } from './server.js';
export type {
  ConnectionErrorCode,
  CustomKeyStoreType,
  EmulatedConnectionState,
  EmulatedKeyStore,
  EmulatedXksProxyConfiguration,
  EmulatedXksProxyCredential,
  KeyStoreSeed,
  StateChange,
  XksProbeSettings,
  XksProxyProbe,
  XksProxyProbeError,
  XksProxyProbeResult,
  XksProxyProbeTarget,
} from './store.js';
export { simulatedXksProxyProbe } from './store.js';
export type {
  XksEkmDetails,
  XksEmulationOptions,
  XksHealthKmsOperation,
  XksHealthOutcome,
  XksHealthRecord,
  XksHealthReport,
  XksLiveOptions,
  XksOutboundRequestRecord,
  XksProbeException,
  XksProxyAuthenticationCredential,
  XksSimulatedOptions,
} from './xks-live.js';

/**
 * The connection state of an emulated key store: `CONNECTED`, `CONNECTING`, `FAILED`,
 * `DISCONNECTED` or `DISCONNECTING`, the five states KMS documents (the emulator runs no other).
 * The same type as {@link EmulatedConnectionState}, kept under its first name.
 *
 * @deprecated Use {@link EmulatedConnectionState}: the emulator's state type, named apart from
 * the client's `ConnectionState` (which also admits states a later KMS may add).
 */
export type ConnectionState = import('./store.js').EmulatedConnectionState;
/**
 * The XKS proxy settings of an emulated external key store, in camelCase (`connectivity`,
 * `accessKeyId`, `uriEndpoint`, `uriPath`, `vpcEndpointServiceName`, `vpcEndpointServiceOwner`),
 * as a seed gives them and Describe returns them. The same type as
 * {@link EmulatedXksProxyConfiguration}, kept under its first name.
 *
 * @deprecated Use {@link EmulatedXksProxyConfiguration}: the emulator's seed shape, named apart
 * from the client's `XksProxyConfiguration`.
 */
export type XksProxyConfiguration = import('./store.js').EmulatedXksProxyConfiguration;

/** Options of {@link startKmsEmulator}; every field is optional. */
export interface KmsEmulatorOptions {
  /** TCP port; default 0 (a free port, see `url`). */
  port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /**
   * The region requests must be signed for; default `us-east-1`. With `regions`, the primary one
   * (it must be among them): the region of `region`, `keyStores`, `addKeyStore`, ….
   */
  region?: string;
  /**
   * Serve several regions on one port, each with its own key stores; a request gets the stores of
   * the region in its SigV4 credential scope, and a region not listed is refused as KMS refuses a
   * wrong region. Default `[region]`. The first is the primary region unless `region` says.
   */
  regions?: readonly string[];
  /**
   * Accepted credentials; default `[emulatorCredentials, breakGlassCredentials]` (the second may
   * only Disconnect). An entry with `actions` may perform only those; others get
   * `AccessDeniedException`.
   */
  credentials?: readonly EmulatorCredentials[];
  /**
   * The key stores to start with: a list (every region gets its own copy), or a list per region
   * (`{ 'eu-west-1': [...] }`; a region left out starts empty). Default: {@link defaultKeyStores}
   * of each region.
   */
  keyStores?: readonly KeyStoreSeed[] | Readonly<Record<string, readonly KeyStoreSeed[]>>;
  /** How long CONNECTING and DISCONNECTING last, in ms; default 1500. */
  transitionMs?: number;
  /** Offset of the emulator clock from the local clock, in ms (to test clock skew); default 0. */
  clockOffsetMs?: number;
  /** Keep a log of requests (each with the region it was signed for) in `requests`; default true. */
  recordRequests?: boolean;
  /** How many requests the log keeps (the latest); default 1000. */
  maxRecordedRequests?: number;
  /**
   * How many bytes (bodies, headers and paths) the log keeps, all entries together; the oldest
   * entries are dropped first. Default 16 MiB. Bodies of requests that were not authenticated
   * are kept to their first 1 KiB whatever this bound.
   */
  maxRecordedBytes?: number;
  /** Largest request body accepted, in bytes; larger ones get 413; default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Longest a request's body may take to arrive, from its headers on, in ms; a body that trickles
   * in slower gets 408 and the connection is closed (Node's own limit is 300 s). Default 10 000.
   */
  bodyTimeoutMs?: number;
  /**
   * External key stores' proxies: `{ mode: 'simulated' }` (the default: timers, no network) or
   * `{ mode: 'live', ca?, connectTo?, healthCheckIntervalMs?, timeoutMs? }`: Connect of an
   * external key store with `PUBLIC_ENDPOINT` connectivity and an `xksProxyAuthenticationCredential`
   * sends `GetHealthStatus` to its proxy and the answer decides CONNECTED or FAILED (with KMS's
   * `ConnectionErrorCode`); while CONNECTED, a periodic `KmsHealthCheck` records its health.
   */
  xks?: XksEmulationOptions;
  /**
   * The CloudHSM clusters CreateCustomKeyStore and UpdateCustomKeyStore know: a list (every region
   * gets its own copy) or a list per region. Default {@link defaultCloudHsmClusters}. Clusters of
   * seeded CloudHSM stores are added when not listed. Two clusters are related (a store can move
   * between them) when their `sourceClusterId` lineages meet.
   */
  cloudHsmClusters?:
    | readonly CloudHsmClusterSeed[]
    | Readonly<Record<string, readonly CloudHsmClusterSeed[]>>;
  /** Most custom key stores per region; CreateCustomKeyStore past it gets LimitExceededException. Default 10. */
  keyStoreQuota?: number;
  /**
   * Decides whether CreateCustomKeyStore and UpdateCustomKeyStore of an external key store can use
   * the XKS proxy (KMS calls its GetHealthStatus first). Default {@link simulatedXksProxyProbe}:
   * every proxy is healthy. Return `{ error: 'XksProxyUriUnreachableException' }` (or another
   * XKS error) to answer with that error; a live mode probes a real proxy here.
   */
  xksProxyProbe?: XksProxyProbe;
}

/** The key stores of one region of an emulator, and how to change them. */
export interface KmsEmulatorRegion {
  /** The region. */
  readonly region: string;
  /** Its key stores by ID, live: entries change as the state machine runs. */
  readonly keyStores: ReadonlyMap<string, EmulatedKeyStore>;
  /** Adds a key store to this region. @throws TypeError when the seed is invalid or its ID or name is taken. */
  addKeyStore(seed: KeyStoreSeed): EmulatedKeyStore;
  /** Adds a CloudHSM cluster to this region. @throws TypeError for a malformed or taken cluster ID. */
  addCloudHsmCluster(seed: CloudHsmClusterSeed): void;
  /** Puts a store of this region in a state at once, cancelling any transition in progress. @throws TypeError for an unknown ID. */
  setConnectionState(
    id: string,
    state: EmulatedConnectionState | (string & {}),
    errorCode?: string,
  ): void;
  /**
   * What Create and Update of an external key store check before they change anything: in live
   * XKS mode and for `PUBLIC_ENDPOINT` connectivity, `GetHealthStatus` to the proxy with these
   * (new) settings, signed for this region; nothing is sent otherwise.
   *
   * @returns the request sent (also in `xksProxyRequests`), or undefined when nothing was sent.
   * @throws an error whose `name` is `EmulatorError` and `type` the KMS exception
   *   (`XksProxyIncorrectAuthenticationCredentialException`, `XksProxyUriUnreachableException`,
   *   `XksProxyInvalidResponseException`, `XksProxyInvalidConfigurationException`).
   */
  probeXksProxy(
    settings: XksProbeSettings,
    kmsOperation: 'CreateCustomKeyStore' | 'UpdateCustomKeyStore',
  ): Promise<XksOutboundRequestRecord | undefined>;
}

/**
 * A running emulator. As a {@link KmsEmulatorRegion} it is its primary region: `region`,
 * `keyStores`, `addKeyStore` and `setConnectionState` act on that one; `inRegion` reaches the others.
 */
export interface KmsEmulator extends KmsEmulatorRegion {
  /** Base URL, e.g. `http://127.0.0.1:49152`; use it as the client's endpoint. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** Every region served, the primary one first. */
  readonly regions: readonly string[];
  /**
   * The key stores and controls of one region served.
   * @throws TypeError for a region the emulator does not serve.
   */
  inRegion(region: string): KmsEmulatorRegion;
  /** The latest requests (within `maxRecordedRequests` and `maxRecordedBytes`), oldest first; empty when recording is off. */
  readonly requests: readonly RecordedRequest[];
  /**
   * Live XKS: the latest requests the emulator sent to proxies (within `maxRecordedRequests`),
   * oldest first, each with its outcome; the proxy secret is in none. Empty in simulated mode.
   */
  readonly xksProxyRequests: readonly XksOutboundRequestRecord[];
  /** `live` or `simulated`: how external key stores' proxies are treated. */
  readonly xksMode: 'live' | 'simulated';
  /** Faults still waiting to be applied, in order. */
  readonly pendingFaults: readonly PendingFault[];
  /**
   * Queues faults for the next calls (optionally of one operation), applied in order.
   * @throws TypeError for an invalid spec (nothing is queued then).
   */
  injectFaults(faults: FaultSpec | readonly FaultSpec[]): void;
  /** Drops every pending fault. */
  clearFaults(): void;
  /** Empties the request log (and the log of requests sent to proxies). */
  clearRequests(): void;
  /** Sets the offset of the emulator clock from the local clock, in ms. */
  setClockOffset(offsetMs: number): void;
  /** Stops the server, destroys open connections (held requests included) and clears timers. Idempotent. */
  close(): Promise<void>;
  /** `await using emu = await startKmsEmulator()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a KMS emulator listening on loopback.
 *
 * @param options - see {@link KmsEmulatorOptions}.
 * @returns the running emulator; call `close()` when done.
 * @throws TypeError for invalid options or key store seeds; the listen error when the port is taken.
 */
export async function startKmsEmulator(options: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const regions = servedRegions(options.region, options.regions);
  const region = regions[0]!;
  const transitionMs = nonNegative('transitionMs', options.transitionMs, 1500);
  const maxRecorded = nonNegative('maxRecordedRequests', options.maxRecordedRequests, 1000);
  const maxRecordedBytes = nonNegative(
    'maxRecordedBytes',
    options.maxRecordedBytes,
    16 * 1024 * 1024,
  );
  const maxBodyBytes = nonNegative('maxBodyBytes', options.maxBodyBytes, 1024 * 1024);
  const bodyTimeoutMs = nonNegative('bodyTimeoutMs', options.bodyTimeoutMs, 10_000);
  if (bodyTimeoutMs < 1) throw new TypeError('bodyTimeoutMs must be at least 1');
  const port = nonNegative('port', options.port, 0);
  const keyStoreQuota = nonNegative('keyStoreQuota', options.keyStoreQuota, 10);
  if (options.xksProxyProbe !== undefined && typeof options.xksProxyProbe !== 'function') {
    throw new TypeError('xksProxyProbe must be a function');
  }
  if (port > 65535) throw new TypeError(`port must be 0–65535, got ${port}`);
  const credentials = options.credentials ?? defaultEmulatorCredentials();
  if (credentials.length === 0) throw new TypeError('credentials must not be empty');
  const permissions = new Map<string, { actions?: ReadonlySet<string>; principalArn: string }>();
  for (const entry of credentials) {
    if (!entry.accessKeyId || !entry.secretAccessKey) {
      throw new TypeError('Each credentials entry needs accessKeyId and secretAccessKey');
    }
    permissions.set(entry.accessKeyId, {
      actions: entry.actions === undefined ? undefined : allowedActions(entry.actions),
      principalArn: entry.principalArn ?? 'arn:aws:iam::111122223333:user/emulator',
    });
  }
  let clockOffsetMs = finite('clockOffsetMs', options.clockOffsetMs, 0);
  const now = () => Date.now() + clockOffsetMs;
  const xksSettings = xksLiveSettings(options.xks);
  const recording = options.recordRequests !== false && maxRecorded > 0;
  const xksRequests: XksOutboundRequestRecord[] = [];
  const xks =
    xksSettings &&
    new XksProxyCaller(xksSettings, {
      now,
      record: recording
        ? (entry) => {
            xksRequests.push(entry);
            if (xksRequests.length > maxRecorded) xksRequests.shift();
          }
        : undefined,
    });

  if (options.keyStores !== undefined && !Array.isArray(options.keyStores)) {
    for (const name of Object.keys(options.keyStores)) {
      if (!regions.includes(name)) {
        throw new TypeError(`keyStores names region ${JSON.stringify(name)}, which is not served`);
      }
    }
  }
  const registries = new Map<string, KeyStoreRegistry>();
  try {
    for (const name of regions) {
      registries.set(
        name,
        new KeyStoreRegistry(seedsFor(name, options.keyStores), {
          transitionMs,
          now,
          region: name,
          xks,
          clusters: clustersFor(name, options.cloudHsmClusters),
          keyStoreQuota,
          xksProxyProbe: options.xksProxyProbe,
        }),
      );
    }
  } catch (error) {
    for (const registry of registries.values()) registry.dispose();
    xks?.close();
    throw error;
  }
  const stores = registries.get(region)!;
  const regionView = (name: string): KmsEmulatorRegion => {
    const registry = registries.get(name);
    if (!registry) {
      throw new TypeError(
        `The emulator does not serve region ${JSON.stringify(name)}: it serves ${regions.join(', ')}`,
      );
    }
    return {
      region: name,
      keyStores: registry.stores,
      addKeyStore: (seed) => registry.add(seed),
      addCloudHsmCluster: (seed) => registry.clusters.add(seed),
      setConnectionState: (id, state, errorCode) => registry.setState(id, state, errorCode),
      probeXksProxy: (settings, kmsOperation) => registry.probeXksProxy(settings, kmsOperation),
    };
  };
  const faults = new FaultQueue();
  const log = new RequestLog(maxRecorded, maxRecordedBytes);
  const record = recording
    ? (entry: RecordedRequest) => {
        // Only the record is cleaned: Create and Update used the secrets as sent.
        Object.assign(entry, redactForLog(entry.body, entry.input));
        if (entry.input === undefined) delete entry.input;
        log.add(entry);
      }
    : undefined;
  const server = new EmulatorServer({
    verifier: new SigV4Verifier({ region: regions, service: 'kms', credentials }),
    stores: registries,
    faults,
    now,
    maxBodyBytes,
    bodyTimeoutMs,
    record,
    authorize: (accessKeyId, operation, signedRegion) => {
      const granted = permissions.get(accessKeyId);
      if (!granted?.actions || granted.actions.has('*') || granted.actions.has(operation)) {
        return undefined;
      }
      return `User: ${granted.principalArn} is not authorized to perform: kms:${operation} on resource: arn:aws:kms:${signedRegion}:111122223333:* because no identity-based policy allows the kms:${operation} action`;
    },
  });
  let boundPort: number;
  try {
    boundPort = await server.listen(port, host);
  } catch (error) {
    for (const registry of registries.values()) registry.dispose();
    xks?.close();
    throw error;
  }

  const close = async () => {
    for (const registry of registries.values()) registry.dispose();
    xks?.close();
    faults.clear();
    await server.close();
  };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    host,
    region,
    regions,
    inRegion: regionView,
    keyStores: stores.stores,
    requests: log.entries,
    xksProxyRequests: xksRequests,
    xksMode: xks ? 'live' : 'simulated',
    get pendingFaults() {
      return faults.pending;
    },
    injectFaults: (specs) => faults.push(Array.isArray(specs) ? specs : [specs as FaultSpec]),
    clearFaults: () => faults.clear(),
    clearRequests: () => {
      log.clear();
      xksRequests.length = 0;
    },
    addKeyStore: (seed) => stores.add(seed),
    addCloudHsmCluster: (seed) => stores.clusters.add(seed),
    setConnectionState: (id, state, errorCode) => stores.setState(id, state, errorCode),
    probeXksProxy: (settings, kmsOperation) => stores.probeXksProxy(settings, kmsOperation),
    setClockOffset: (offsetMs) => {
      clockOffsetMs = finite('offsetMs', offsetMs, 0);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The operation names a credential's `actions` allow (`kms:` dropped; `*` for all). */
function allowedActions(actions: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(actions)) throw new TypeError('credentials actions must be an array');
  const names = new Set<string>();
  for (const action of actions) {
    const name = typeof action === 'string' ? action.replace(/^kms:/i, '') : '';
    if (!/^(\*|[A-Z][A-Za-z]+)$/.test(name)) {
      throw new TypeError(
        `credentials actions: ${JSON.stringify(action)} is not an action such as kms:DisconnectCustomKeyStore`,
      );
    }
    names.add(name);
  }
  return names;
}

/** The clusters of one region: the list given (a copy per region), the region's own list, or the defaults. */
function clustersFor(
  region: string,
  clusters: KmsEmulatorOptions['cloudHsmClusters'],
): readonly CloudHsmClusterSeed[] {
  if (clusters === undefined) return defaultCloudHsmClusters();
  if (Array.isArray(clusters)) return clusters as readonly CloudHsmClusterSeed[];
  const perRegion = clusters as Readonly<Record<string, readonly CloudHsmClusterSeed[]>>;
  return Object.hasOwn(perRegion, region) ? perRegion[region]! : [];
}

/** The regions served, the primary first. @throws TypeError for an invalid or repeated region. */
function servedRegions(
  region: string | undefined,
  regions: readonly string[] | undefined,
): string[] {
  if (regions !== undefined && (!Array.isArray(regions) || regions.length === 0)) {
    throw new TypeError('regions must be a non-empty array of region names');
  }
  const list = [...(regions ?? [region ?? emulatorRegion])];
  for (const name of list) {
    if (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name)) {
      throw new TypeError(`Invalid region: ${JSON.stringify(name)}`);
    }
  }
  if (new Set(list).size !== list.length) {
    throw new TypeError(`regions must not repeat a region: ${list.join(', ')}`);
  }
  if (region !== undefined && regions !== undefined) {
    if (!list.includes(region)) {
      throw new TypeError(
        `region ${JSON.stringify(region)} must be one of regions (${list.join(', ')})`,
      );
    }
    list.splice(list.indexOf(region), 1);
    list.unshift(region);
  }
  return list;
}

/** The seeds of one region: the list given (a copy per region), the region's own list, or the defaults. */
function seedsFor(
  region: string,
  keyStores: KmsEmulatorOptions['keyStores'],
): readonly KeyStoreSeed[] {
  if (keyStores === undefined) return defaultKeyStores(region);
  if (Array.isArray(keyStores)) return keyStores as readonly KeyStoreSeed[];
  const perRegion = keyStores as Readonly<Record<string, readonly KeyStoreSeed[]>>;
  return Object.hasOwn(perRegion, region) ? perRegion[region]! : [];
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

function finite(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value)) throw new TypeError(`${name} must be a finite number, got ${value}`);
  return value;
}

export {
  type CertificateAuthority,
  createCertificateAuthority,
  type IssueOptions,
  type PemPair,
} from './xks-proxy/certificate.js';
export {
  defaultXksProxyKeys,
  startXksProxy,
  type XksProxy,
  type XksProxyCredential,
  type XksProxyFaults,
  type XksProxyKey,
  type XksProxyKeySeed,
  type XksProxyOptions,
  type XksProxyRequestRecord,
  type XksProxyTlsOptions,
  xksProxyCredentials,
} from './xks-proxy/index.js';
