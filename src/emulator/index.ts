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
 * @packageDocumentation
 */
import {
  defaultKeyStores,
  type EmulatorCredentials,
  emulatorCredentials,
  emulatorRegion,
} from './defaults.js';
import { FaultQueue, type FaultSpec, type PendingFault } from './faults.js';
import { EmulatorServer, type RecordedRequest, RequestLog } from './server.js';
import { SigV4Verifier } from './sigv4.js';
import {
  type ConnectionState,
  type EmulatedKeyStore,
  KeyStoreRegistry,
  type KeyStoreSeed,
} from './store.js';

export {
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
  ConnectionState,
  CustomKeyStoreType,
  EmulatedKeyStore,
  KeyStoreSeed,
  StateChange,
  XksProxyConfiguration,
} from './store.js';

/** Options of {@link startKmsEmulator}; every field is optional. */
export interface KmsEmulatorOptions {
  /** TCP port; default 0 (a free port, see `url`). */
  port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** The region requests must be signed for; default `us-east-1`. */
  region?: string;
  /** Accepted credentials; default `[emulatorCredentials]`. */
  credentials?: readonly EmulatorCredentials[];
  /** The key stores to start with; default {@link defaultKeyStores}. */
  keyStores?: readonly KeyStoreSeed[];
  /** How long CONNECTING and DISCONNECTING last, in ms; default 1500. */
  transitionMs?: number;
  /** Offset of the emulator clock from the local clock, in ms (to test clock skew); default 0. */
  clockOffsetMs?: number;
  /** Keep a log of requests in `requests`; default true. */
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
}

/** A running emulator. */
export interface KmsEmulator {
  /** Base URL, e.g. `http://127.0.0.1:49152`; use it as the client's endpoint. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** The region requests must be signed for. */
  readonly region: string;
  /** The key stores by ID, live: entries change as the state machine runs. */
  readonly keyStores: ReadonlyMap<string, EmulatedKeyStore>;
  /** The latest requests (within `maxRecordedRequests` and `maxRecordedBytes`), oldest first; empty when recording is off. */
  readonly requests: readonly RecordedRequest[];
  /** Faults still waiting to be applied, in order. */
  readonly pendingFaults: readonly PendingFault[];
  /**
   * Queues faults for the next calls (optionally of one operation), applied in order.
   * @throws TypeError for an invalid spec (nothing is queued then).
   */
  injectFaults(faults: FaultSpec | readonly FaultSpec[]): void;
  /** Drops every pending fault. */
  clearFaults(): void;
  /** Empties the request log. */
  clearRequests(): void;
  /** Adds a key store. @throws TypeError when the seed is invalid or its ID or name is taken. */
  addKeyStore(seed: KeyStoreSeed): EmulatedKeyStore;
  /** Puts a store in a state at once, cancelling any transition in progress. @throws TypeError for an unknown ID. */
  setConnectionState(id: string, state: ConnectionState | (string & {}), errorCode?: string): void;
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
  const region = options.region ?? emulatorRegion;
  const transitionMs = nonNegative('transitionMs', options.transitionMs, 1500);
  const maxRecorded = nonNegative('maxRecordedRequests', options.maxRecordedRequests, 1000);
  const maxRecordedBytes = nonNegative(
    'maxRecordedBytes',
    options.maxRecordedBytes,
    16 * 1024 * 1024,
  );
  const maxBodyBytes = nonNegative('maxBodyBytes', options.maxBodyBytes, 1024 * 1024);
  const port = nonNegative('port', options.port, 0);
  if (port > 65535) throw new TypeError(`port must be 0–65535, got ${port}`);
  if (!/^[a-z0-9-]+$/.test(region))
    throw new TypeError(`Invalid region: ${JSON.stringify(region)}`);
  const credentials = options.credentials ?? [emulatorCredentials];
  if (credentials.length === 0) throw new TypeError('credentials must not be empty');
  for (const entry of credentials) {
    if (!entry.accessKeyId || !entry.secretAccessKey) {
      throw new TypeError('Each credentials entry needs accessKeyId and secretAccessKey');
    }
  }
  let clockOffsetMs = finite('clockOffsetMs', options.clockOffsetMs, 0);
  const now = () => Date.now() + clockOffsetMs;

  const stores = new KeyStoreRegistry(options.keyStores ?? defaultKeyStores(), {
    transitionMs,
    now,
  });
  const faults = new FaultQueue();
  const log = new RequestLog(maxRecorded, maxRecordedBytes);
  const record =
    options.recordRequests === false || maxRecorded === 0
      ? undefined
      : (entry: RecordedRequest) => log.add(entry);
  const server = new EmulatorServer({
    verifier: new SigV4Verifier({ region, service: 'kms', credentials }),
    stores,
    faults,
    now,
    maxBodyBytes,
    record,
  });
  const boundPort = await server.listen(port, host);

  const close = async () => {
    stores.dispose();
    faults.clear();
    await server.close();
  };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    host,
    region,
    keyStores: stores.stores,
    requests: log.entries,
    get pendingFaults() {
      return faults.pending;
    },
    injectFaults: (specs) => faults.push(Array.isArray(specs) ? specs : [specs as FaultSpec]),
    clearFaults: () => faults.clear(),
    clearRequests: () => log.clear(),
    addKeyStore: (seed) => stores.add(seed),
    setConnectionState: (id, state, errorCode) => stores.setState(id, state, errorCode),
    setClockOffset: (offsetMs) => {
      clockOffsetMs = finite('offsetMs', offsetMs, 0);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
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
