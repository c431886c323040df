/**
 * Live XKS: the emulator calls an external key store's proxy as KMS does. `GetHealthStatus`
 * (`POST {uriPath}/health`) signed with the store's proxy credential (SigV4, service
 * `kms-xks-proxy`, the emulated region) over node:https, within KMS's 250 ms budget; the answer
 * becomes a `ConnectionErrorCode` (Connect) or a KMS exception (Create/Update). Everything here is
 * the emulator's own code: it imports nothing from the client, so it stays an independent check of
 * the client's XKS code and of a proxy.
 */
import { randomUUID } from 'node:crypto';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  rootCertificates,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { inspect } from 'node:util';
import { EmulatorError } from './errors.js';
import { signRequest } from './sigv4.js';
import type { ConnectionErrorCode } from './store.js';

/** How the emulator treats external key stores' proxies. */
export type XksEmulationOptions = XksSimulatedOptions | XksLiveOptions;

/** Today's timers: Connect of an external key store succeeds (or fails as seeded) after `transitionMs`; no network. */
export interface XksSimulatedOptions {
  /** The default. */
  mode: 'simulated';
}

/**
 * Live XKS: Connect of an external key store with `PUBLIC_ENDPOINT` connectivity and a proxy
 * credential sends `GetHealthStatus` to its proxy, and the answer decides the result.
 */
export interface XksLiveOptions {
  /** Turns live XKS on. */
  mode: 'live';
  /**
   * Extra CA certificates to trust (PEM), besides Node's public roots: a private CA, or the one
   * a software proxy made for itself. KMS itself trusts only its list of public CAs.
   */
  ca?: string | readonly string[];
  /**
   * Sends a `host:port` to another address, like curl's `--connect-to`:
   * `{ 'xks.example.com:443': '127.0.0.1:8443' }`. TLS still sends the original host name as SNI
   * and checks the certificate against it; `Host` and the signature keep it too.
   */
  connectTo?: Readonly<Record<string, string>>;
  /** Interval of the periodic `KmsHealthCheck` of each CONNECTED live store, in ms; default 60000; 0 turns it off. */
  healthCheckIntervalMs?: number;
  /** How long a proxy has to answer, in ms: KMS gives it 250 (the default). */
  timeoutMs?: number;
}

/** The `kmsOperation` values KMS sends with `GetHealthStatus`. */
export type XksHealthKmsOperation =
  | 'CreateCustomKeyStore'
  | 'UpdateCustomKeyStore'
  | 'ConnectCustomKeyStore'
  | 'KmsHealthCheck';

/** The exceptions Create and Update of an external key store throw when the proxy does not answer well. */
export type XksProbeException =
  | 'XksProxyIncorrectAuthenticationCredentialException'
  | 'XksProxyUriUnreachableException'
  | 'XksProxyInvalidResponseException'
  | 'XksProxyInvalidConfigurationException';

/** An external key store's proxy credential (`XksProxyAuthenticationCredential`, camelCase). */
export interface XksProxyAuthenticationCredential {
  /** 20–30 characters of A–Z and 2–7. */
  accessKeyId: string;
  /** The SigV4 secret shared with the proxy (43–64 characters of A–Z, a–z, 0–9, `/`, `+`, `=`). */
  rawSecretAccessKey: string;
}

/** Where and how to send one `GetHealthStatus`. */
export interface XksProxyTarget {
  /** The store it is for (absent for a Create, before the store exists). */
  customKeyStoreId?: string;
  /** `https://host[:port]` */
  uriEndpoint: string;
  /** e.g. `/example/kms/xks/v1`; the call goes to `{uriPath}/health`. */
  uriPath: string;
  /** The credential to sign with. */
  credential: XksProxyAuthenticationCredential;
  /** The region of the signature's scope: the emulated region. */
  region: string;
}

/** One external key manager of a `GetHealthStatus` answer. */
export interface XksEkmDetails {
  /** The ekm's identifier in its cluster. */
  id: string;
  /** Its model (product, version). */
  model: string;
  /** `ACTIVE`, `DEGRADED` or `UNAVAILABLE`. */
  healthStatus: string;
}

/** A `GetHealthStatus` answer KMS can read. */
export interface XksHealthReport {
  /** How many proxies serve the endpoint (an integer > 0). */
  xksProxyFleetSize: number;
  /** The proxy's vendor. */
  xksProxyVendor: string;
  /** The proxy's model and version. */
  xksProxyModel: string;
  /** The external key manager's vendor. */
  ekmVendor: string;
  /** One entry per external key manager, 1 to 10. */
  ekmFleetDetails: XksEkmDetails[];
}

/** What one `GetHealthStatus` came to. */
export interface XksHealthOutcome {
  /** The proxy answered 200 with a readable report and at least one ekm not `UNAVAILABLE`. */
  healthy: boolean;
  /** For an unhealthy answer: the code Connect ends `FAILED` with. */
  connectionErrorCode?: ConnectionErrorCode;
  /** For an unhealthy answer: the exception Create or Update throws. */
  exception?: XksProbeException;
  /** What happened, in a sentence (no secret): `401 AuthenticationFailedException`, `certificate has expired`, …. */
  reason: string;
  /** The HTTP status, when a response came. */
  status?: number;
  /** The response's `errorName`, when it had one. */
  errorName?: string;
  /** The report, when a readable 200 came. */
  report?: XksHealthReport;
}

/** One request the emulator sent to a proxy, as sent (the secret is never part of it), with its outcome. */
export interface XksOutboundRequestRecord extends XksHealthOutcome {
  /** The `kmsRequestId` sent: the ConnectCustomKeyStore call's `x-amzn-requestid`, or a fresh UUID. */
  kmsRequestId: string;
  /** The `kmsOperation` sent. */
  kmsOperation: XksHealthKmsOperation;
  /** The store it was for, when there was one. */
  customKeyStoreId?: string;
  /** The region it was signed for. */
  region: string;
  /** Always `POST`. */
  method: string;
  /** The URL as KMS names it, e.g. `https://xks.example.com/kms/xks/v1/health`. */
  url: string;
  /** The path sent. */
  path: string;
  /** The address it was sent to, when `connectTo` redirected it (`127.0.0.1:8443`). */
  connectedTo?: string;
  /** The headers sent, names lower case: `host`, `x-amz-date`, `authorization`, `content-type`, `content-length`. */
  headers: Record<string, string>;
  /** The body sent (or that would have been). */
  body: string;
  /**
   * Whether the emulator went to the network for it. False when the settings ruled the call out
   * before any network (an `http://` endpoint, a URI path KMS would not accept); `headers` is
   * empty then.
   */
  sent: boolean;
  /** The response body (its first 4 KiB), when a response came. */
  responseBody?: string;
  /** When it was sent (emulator clock). */
  at: Date;
  /** How long it took, in ms. */
  durationMs: number;
}

/** The latest health of a live store, as the emulator holds it (`EmulatedKeyStore.xksHealth`). */
export interface XksHealthRecord extends XksHealthOutcome {
  /** When the call was sent (emulator clock). */
  at: Date;
  /** The call's `kmsOperation`. */
  kmsOperation: XksHealthKmsOperation;
  /** The call's `kmsRequestId`, to find it in `xksProxyRequests` and in the proxy's log. */
  kmsRequestId: string;
}

const defaultTimeoutMs = 250;
const defaultHealthCheckIntervalMs = 60_000;
const maxResponseBytes = 64 * 1024;
const recordedResponseBytes = 4 * 1024;
const healthStatuses = new Set(['ACTIVE', 'DEGRADED', 'UNAVAILABLE']);
/** `XksProxyUriPath` as KMS's model constrains it (10–128 characters). */
const uriPathPattern =
  /^(?=.{10,128}$)(?:\/[a-zA-Z0-9/_-]+\/kms\/xks\/v\d{1,2}|\/kms\/xks\/v\d{1,2})$/;

/** The KMS exception messages of the XKS specification's "KMS Considerations" table. */
const messages = {
  authentication:
    'The external key store proxy rejected the request because it could not authenticate AWS KMS. Verify the XKS proxy authentication credentials for your external key store and update if necessary.',
  uriPath:
    'The external key store proxy rejected the request because of an invalid URI path. Verify the URI path for your external key store and update if necessary.',
  accessDenied:
    'The external key store proxy denied access to the operation. Verify that the user and the external key are both authorized for this operation, and try the request again.',
  tcp: 'AWS KMS cannot communicate with the external key store proxy. This might be a transient network issue. If you see this error repeatedly, verify that your external key store proxy is active and is connected to the network, and that its endpoint URI is correct in your external keystore.',
  tls: 'AWS KMS cannot establish a TLS connection to the external key store proxy. Verify the TLS configuration, including its certificate.',
  timeout:
    'AWS KMS rejected the request because the external key store proxy did not respond in time. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator.',
  dependencyTimeout:
    'The external key store proxy did not respond to the request in the time allotted. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator.',
  throttled:
    'The external key store proxy rejected the request due to a very high request rate. Reduce the frequency of your calls using KMS keys in this external key store.',
  unavailable:
    'The external key store proxy reports that every external key manager instance is unavailable. Verify that the external key manager is available, then try again.',
  malformed:
    'AWS KMS cannot interpret the response from the external key store proxy. If you see this error repeatedly, report it to your external key store proxy administrator.',
} as const;

/** The message a probe exception carries for an outcome. */
function messageFor(outcome: XksHealthOutcome): string {
  switch (outcome.connectionErrorCode) {
    case 'INVALID_CREDENTIALS':
      return messages.authentication;
    case 'XKS_PROXY_ACCESS_DENIED':
      return messages.accessDenied;
    case 'XKS_PROXY_INVALID_CONFIGURATION':
      return messages.uriPath;
    case 'XKS_PROXY_INVALID_TLS_CONFIGURATION':
      return messages.tls;
    case 'XKS_PROXY_TIMED_OUT':
      return outcome.errorName === 'DependencyTimeoutException'
        ? messages.dependencyTimeout
        : messages.timeout;
    case 'XKS_PROXY_NOT_REACHABLE':
      if (outcome.status === 429) return messages.throttled;
      return outcome.report ? messages.unavailable : messages.tcp;
    default:
      return messages.malformed;
  }
}

/**
 * An external key store's proxy credential as the emulator keeps it: the secret is readable
 * (`rawSecretAccessKey`) but never part of `JSON.stringify`, `util.inspect`, spreads or logs.
 */
export class StoredXksCredential implements XksProxyAuthenticationCredential {
  /** The access key ID (not secret: Describe shows it). */
  readonly accessKeyId: string;
  readonly #secret: string;

  /** @param credential - the credential given (copied). */
  constructor(credential: XksProxyAuthenticationCredential) {
    this.accessKeyId = credential.accessKeyId;
    this.#secret = credential.rawSecretAccessKey;
  }

  /** The secret, for signing. */
  get rawSecretAccessKey(): string {
    return this.#secret;
  }

  /** What JSON shows: the access key ID only. */
  toJSON(): { accessKeyId: string; rawSecretAccessKey: '[redacted]' } {
    return { accessKeyId: this.accessKeyId, rawSecretAccessKey: '[redacted]' };
  }

  /** What `util.inspect` (console.log) shows. */
  [inspect.custom](): string {
    return `XksProxyAuthenticationCredential { accessKeyId: ${JSON.stringify(this.accessKeyId)}, rawSecretAccessKey: '[redacted]' }`;
  }
}

/**
 * Checks a proxy credential given to the emulator.
 * @throws TypeError naming the field (never echoing the secret).
 */
export function checkXksCredential(credential: unknown, where: string): StoredXksCredential {
  if (credential === null || typeof credential !== 'object') {
    throw new TypeError(
      `${where}: xksProxyAuthenticationCredential must be { accessKeyId, rawSecretAccessKey }`,
    );
  }
  const { accessKeyId, rawSecretAccessKey } = credential as Record<string, unknown>;
  if (typeof accessKeyId !== 'string' || !/^[A-Z2-7]{20,30}$/.test(accessKeyId)) {
    throw new TypeError(
      `${where}: xksProxyAuthenticationCredential.accessKeyId must be 20–30 characters of A–Z and 2–7`,
    );
  }
  if (
    typeof rawSecretAccessKey !== 'string' ||
    !/^[a-zA-Z0-9/+=]{43,64}$/.test(rawSecretAccessKey)
  ) {
    throw new TypeError(
      `${where}: xksProxyAuthenticationCredential.rawSecretAccessKey must be 43–64 characters of A–Z, a–z, 0–9, /, + and = (the value is not shown)`,
    );
  }
  return new StoredXksCredential({ accessKeyId, rawSecretAccessKey });
}

/** Live XKS settings, checked and with their defaults. */
export interface XksLiveSettings {
  /** Extra trusted CAs (PEM). */
  ca: readonly string[];
  /** `host:port` → `address:port`. */
  connectTo: ReadonlyMap<string, { host: string; port: number }>;
  /** Periodic KmsHealthCheck interval; 0 = off. */
  healthCheckIntervalMs: number;
  /** The proxy's budget per call. */
  timeoutMs: number;
}

/**
 * Checks the `xks` option of the emulator.
 * @returns the live settings, or undefined for simulated mode.
 * @throws TypeError for an invalid option.
 */
export function xksLiveSettings(
  options: XksEmulationOptions | undefined,
): XksLiveSettings | undefined {
  if (options === undefined || options.mode === 'simulated') return undefined;
  if (options.mode !== 'live') {
    throw new TypeError(
      `xks.mode must be 'simulated' or 'live', got ${JSON.stringify((options as { mode?: unknown }).mode)}`,
    );
  }
  const ca =
    options.ca === undefined ? [] : typeof options.ca === 'string' ? [options.ca] : [...options.ca];
  for (const pem of ca) {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new TypeError(
        'xks.ca must be PEM text (-----BEGIN CERTIFICATE----- …), or a list of them',
      );
    }
  }
  const connectTo = new Map<string, { host: string; port: number }>();
  for (const [from, to] of Object.entries(options.connectTo ?? {})) {
    const source = splitHostPort(from);
    const destination = typeof to === 'string' ? splitHostPort(to) : undefined;
    if (!source || !destination) {
      throw new TypeError(
        `xks.connectTo entries are 'host:port': 'address:port', got ${JSON.stringify(from)}: ${JSON.stringify(to)}`,
      );
    }
    connectTo.set(`${source.host.toLowerCase()}:${source.port}`, destination);
  }
  const interval = options.healthCheckIntervalMs ?? defaultHealthCheckIntervalMs;
  if (!Number.isInteger(interval) || interval < 0 || interval > 2_147_483_647) {
    throw new TypeError(
      `xks.healthCheckIntervalMs must be a non-negative integer of ms, got ${interval}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647) {
    throw new TypeError(`xks.timeoutMs must be a positive integer of ms, got ${timeoutMs}`);
  }
  return { ca, connectTo, healthCheckIntervalMs: interval, timeoutMs };
}

/** `host:port` or `[v6]:port`; undefined when it is not that. */
export function splitHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/** Whether an error came from the certificate checks or the TLS handshake. */
function tlsErrorText(error: NodeJS.ErrnoException): string {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

/** What part of the exchange a call had reached when it ended. */
export type Phase = 'connecting' | 'handshake' | 'request' | 'response';

/** The outcome of an exchange that ended with an error in `phase`. */
export function classifyFailure(
  phase: Phase,
  error: NodeJS.ErrnoException | undefined,
  timedOut: boolean,
): XksHealthOutcome {
  const detail = error ? tlsErrorText(error) : 'no answer';
  if (timedOut) {
    // KMS: a TCP connection it cannot establish is "unreachable"; a proxy that does not answer in
    // time once connected is "timed out".
    return phase === 'connecting'
      ? {
          healthy: false,
          connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
          exception: 'XksProxyUriUnreachableException',
          reason: 'no TCP connection within the time allowed',
        }
      : {
          healthy: false,
          connectionErrorCode: 'XKS_PROXY_TIMED_OUT',
          exception: 'XksProxyUriUnreachableException',
          reason: `no answer within the time allowed (${phase === 'handshake' ? 'during the TLS handshake' : 'after the request was sent'})`,
        };
  }
  switch (phase) {
    case 'connecting':
      return {
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
        exception: 'XksProxyUriUnreachableException',
        reason: `cannot connect: ${detail}`,
      };
    case 'handshake':
      return {
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
        exception: 'XksProxyUriUnreachableException',
        reason: `TLS handshake failed: ${detail}`,
      };
    default:
      return {
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_INVALID_RESPONSE',
        exception: 'XksProxyInvalidResponseException',
        reason: `the connection ended without a complete response: ${detail}`,
      };
  }
}

/**
 * The outcome of a complete HTTP response to `GetHealthStatus`: a 200 with a readable report and
 * at least one ekm not `UNAVAILABLE` is healthy; see the README for the table of the others.
 */
export function classifyResponse(status: number, body: string): XksHealthOutcome {
  const json = parseJsonObject(body);
  const errorName = typeof json?.errorName === 'string' ? json.errorName.slice(0, 128) : undefined;
  const base = { status, ...(errorName !== undefined && { errorName }) };
  const said = `${status}${errorName ? ` ${errorName}` : ''}`;
  if (status === 200) {
    const problem = json ? reportProblem(json) : 'the body is not a JSON object';
    if (problem) {
      return {
        ...base,
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_INVALID_RESPONSE',
        exception: 'XksProxyInvalidResponseException',
        reason: `200 with a health report KMS cannot read: ${problem}`,
      };
    }
    const report = json as unknown as XksHealthReport;
    if (report.ekmFleetDetails.every((ekm) => ekm.healthStatus === 'UNAVAILABLE')) {
      return {
        ...base,
        report,
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
        exception: 'XksProxyUriUnreachableException',
        reason: `every external key manager is UNAVAILABLE (${report.ekmFleetDetails.length})`,
      };
    }
    return { ...base, report, healthy: true, reason: '200 healthy' };
  }
  switch (status) {
    case 401:
      return {
        ...base,
        healthy: false,
        connectionErrorCode: 'INVALID_CREDENTIALS',
        exception: 'XksProxyIncorrectAuthenticationCredentialException',
        reason: `${said}: the proxy did not accept the signature`,
      };
    case 403:
      return {
        ...base,
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_ACCESS_DENIED',
        exception: 'XksProxyInvalidConfigurationException',
        reason: `${said}: the proxy denied access`,
      };
    case 404:
      return {
        ...base,
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_INVALID_CONFIGURATION',
        exception: 'XksProxyInvalidConfigurationException',
        reason: `${said}: the proxy does not serve this URI path`,
      };
    case 429:
      return {
        ...base,
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
        exception: 'XksProxyUriUnreachableException',
        reason: `${said}: the proxy throttled the request`,
      };
    default:
      if (status === 503 && errorName === 'DependencyTimeoutException') {
        return {
          ...base,
          healthy: false,
          connectionErrorCode: 'XKS_PROXY_TIMED_OUT',
          exception: 'XksProxyUriUnreachableException',
          reason: `${said}: the proxy timed out on its external key manager`,
        };
      }
      return {
        ...base,
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_INVALID_RESPONSE',
        exception: 'XksProxyInvalidResponseException',
        reason: `${said}: not a health report`,
      };
  }
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What makes a 200 body unreadable as a health report (the spec's required fields); undefined when it is fine. */
function reportProblem(json: Record<string, unknown>): string | undefined {
  const size = json.xksProxyFleetSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    return 'xksProxyFleetSize must be an integer greater than zero';
  }
  for (const field of ['xksProxyVendor', 'xksProxyModel', 'ekmVendor']) {
    if (typeof json[field] !== 'string') return `${field} must be a string`;
  }
  const fleet = json.ekmFleetDetails;
  if (!Array.isArray(fleet) || fleet.length < 1 || fleet.length > 10) {
    return 'ekmFleetDetails must hold 1 to 10 entries';
  }
  for (const [index, ekm] of fleet.entries()) {
    if (ekm === null || typeof ekm !== 'object')
      return `ekmFleetDetails[${index}] must be an object`;
    const entry = ekm as Record<string, unknown>;
    if (typeof entry.id !== 'string' || typeof entry.model !== 'string') {
      return `ekmFleetDetails[${index}] needs id and model strings`;
    }
    if (typeof entry.healthStatus !== 'string' || !healthStatuses.has(entry.healthStatus)) {
      return `ekmFleetDetails[${index}].healthStatus must be ACTIVE, DEGRADED or UNAVAILABLE`;
    }
  }
  return undefined;
}

/** What {@link XksProxyCaller} needs from the emulator. */
export interface XksCallerContext {
  /** The emulator clock (ms since the epoch): signing dates and records follow it. */
  now: () => number;
  /** Called with each request sent, when recording is on. */
  record?: (entry: XksOutboundRequestRecord) => void;
}

/**
 * Sends `GetHealthStatus` to proxies: one fresh TLS connection per call (TLS 1.2 or later, the
 * certificate checked against the endpoint's host name with Node's roots plus `ca`), the whole
 * exchange within `timeoutMs`. `close()` destroys calls in flight.
 */
export class XksProxyCaller {
  readonly #settings: XksLiveSettings;
  readonly #context: XksCallerContext;
  readonly #secureContext: SecureContext;
  readonly #inFlight = new Set<() => void>();
  #closed = false;

  /** @param settings - checked live settings; @param context - clock and recorder. */
  constructor(settings: XksLiveSettings, context: XksCallerContext) {
    this.#settings = settings;
    this.#context = context;
    // Built once: a context holding the ~150 public roots costs milliseconds to make.
    this.#secureContext = createSecureContext({
      ca: [...rootCertificates, ...settings.ca],
      minVersion: 'TLSv1.2',
    });
  }

  /** The settings in force. */
  get settings(): XksLiveSettings {
    return this.#settings;
  }

  /**
   * Sends one `GetHealthStatus`.
   * @param kmsRequestId - default a fresh UUID.
   * @returns its outcome, also recorded (without the secret) when recording is on.
   */
  async getHealthStatus(
    target: XksProxyTarget,
    kmsOperation: XksHealthKmsOperation,
    kmsRequestId: string = randomUUID(),
  ): Promise<XksOutboundRequestRecord> {
    const body = JSON.stringify({ requestMetadata: { kmsRequestId, kmsOperation } });
    const at = this.#context.now();
    const started = performance.now();
    let url: URL | undefined;
    try {
      url = new URL(target.uriEndpoint);
    } catch {
      url = undefined;
    }
    const path = `${target.uriPath}/health`;
    const record: XksOutboundRequestRecord = {
      kmsRequestId,
      kmsOperation,
      ...(target.customKeyStoreId !== undefined && { customKeyStoreId: target.customKeyStoreId }),
      region: target.region,
      method: 'POST',
      url: `${url ? url.origin : target.uriEndpoint}${path}`,
      path,
      headers: {},
      body,
      sent: false,
      at: new Date(at),
      durationMs: 0,
      healthy: false,
      reason: '',
    };
    let outcome: XksHealthOutcome & { responseBody?: string };
    if (url?.protocol !== 'https:' || url.hostname === '') {
      outcome =
        url?.protocol === 'http:'
          ? {
              healthy: false,
              connectionErrorCode: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
              exception: 'XksProxyUriUnreachableException',
              reason: 'the endpoint is http://: KMS only talks to a proxy over https',
            }
          : {
              healthy: false,
              connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
              exception: 'XksProxyUriUnreachableException',
              reason: `the endpoint ${JSON.stringify(target.uriEndpoint.slice(0, 256))} is not an https:// URL`,
            };
    } else if (!uriPathPattern.test(target.uriPath)) {
      outcome = {
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_INVALID_CONFIGURATION',
        exception: 'XksProxyInvalidConfigurationException',
        reason: `the URI path ${JSON.stringify(target.uriPath.slice(0, 256))} is not one KMS accepts (10–128 characters, [/prefix]/kms/xks/v1)`,
      };
    } else if (this.#closed) {
      outcome = {
        healthy: false,
        connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
        exception: 'XksProxyUriUnreachableException',
        reason: 'the emulator is closing',
      };
    } else {
      const port = url.port === '' ? 443 : Number(url.port);
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      const redirect = this.#settings.connectTo.get(`${hostname.toLowerCase()}:${port}`);
      if (redirect)
        record.connectedTo = `${redirect.host.includes(':') ? `[${redirect.host}]` : redirect.host}:${redirect.port}`;
      const signed = signRequest({
        method: 'POST',
        path,
        host: url.host,
        body,
        accessKeyId: target.credential.accessKeyId,
        secretAccessKey: target.credential.rawSecretAccessKey,
        region: target.region,
        service: 'kms-xks-proxy',
        now: at,
      });
      record.headers = {
        ...signed,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      };
      record.sent = true;
      outcome = await this.#exchange({
        connectHost: redirect?.host ?? hostname,
        connectPort: redirect?.port ?? port,
        servername: hostname,
        path,
        headers: record.headers,
        body,
      });
    }
    const { responseBody, ...result } = outcome;
    Object.assign(record, result);
    if (responseBody !== undefined) record.responseBody = responseBody;
    record.durationMs = Math.round((performance.now() - started) * 10) / 10;
    if (!this.#closed) this.#context.record?.(record);
    return record;
  }

  /** Destroys calls in flight; later calls fail at once. */
  close(): void {
    this.#closed = true;
    for (const abort of this.#inFlight) abort();
    this.#inFlight.clear();
  }

  #exchange(request: {
    connectHost: string;
    connectPort: number;
    servername: string;
    path: string;
    headers: Record<string, string>;
    body: string;
  }): Promise<XksHealthOutcome & { responseBody?: string }> {
    return new Promise((resolve) => {
      let phase: Phase = 'connecting';
      let settled = false;
      let timedOut = false;
      const finish = (outcome: XksHealthOutcome & { responseBody?: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#inFlight.delete(abort);
        outgoing.destroy();
        resolve(outcome);
      };
      const isIp = /^[\d.]+$|:/.test(request.servername);
      const options: RequestOptions & ConnectionOptions = {
        host: request.connectHost,
        port: request.connectPort,
        method: 'POST',
        path: request.path,
        headers: request.headers,
        agent: false,
        secureContext: this.#secureContext,
        // SNI must be a name (an IP endpoint sends none); either way the certificate is checked
        // against the endpoint's host, not the address connectTo sent the call to.
        ...(isIp ? {} : { servername: request.servername }),
        checkServerIdentity: (_host, certificate) =>
          checkServerIdentity(request.servername, certificate),
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      };
      let outgoing: ReturnType<typeof httpsRequest>;
      try {
        outgoing = httpsRequest(options);
      } catch (error) {
        // Node refuses some options before any network (an unusable host, say); no timer yet.
        resolve(classifyFailure('connecting', error as NodeJS.ErrnoException, false));
        return;
      }
      const abort = () => {
        finish(classifyFailure(phase, new Error('the emulator closed'), false));
      };
      this.#inFlight.add(abort);
      const timer = setTimeout(() => {
        // Timers run before I/O callbacks: on a busy event loop a connection (or an answer) that
        // came in time may not have been seen yet. One turn lets it be, so that a slow emulator
        // does not blame the proxy for the wrong thing.
        setImmediate(() => {
          if (settled) return;
          timedOut = true;
          finish(classifyFailure(phase, undefined, true));
        });
      }, this.#settings.timeoutMs);
      timer.unref();
      outgoing.on('socket', (socket: Socket) => {
        const tlsSocket = socket as TLSSocket;
        // A reused socket is never given (agent: false), so these fire for this call only.
        socket.once('connect', () => {
          if (phase === 'connecting') phase = 'handshake';
        });
        tlsSocket.once('secureConnect', () => {
          phase = 'request';
        });
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (timedOut || settled) return;
        finish(classifyFailure(phase, error, false));
      });
      outgoing.on('response', (response) => {
        phase = 'response';
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            finish({
              healthy: false,
              status: response.statusCode,
              connectionErrorCode: 'XKS_PROXY_INVALID_RESPONSE',
              exception: 'XksProxyInvalidResponseException',
              reason: `the response is larger than ${maxResponseBytes} bytes`,
            });
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error: NodeJS.ErrnoException) => {
          if (!timedOut) finish(classifyFailure('response', error, false));
        });
        response.on('aborted', () => {
          if (!timedOut) finish(classifyFailure('response', undefined, false));
        });
        response.on('end', () => {
          if (!response.complete) {
            finish(classifyFailure('response', undefined, false));
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          finish({
            ...classifyResponse(response.statusCode ?? 0, text),
            responseBody:
              text.length > recordedResponseBytes ? text.slice(0, recordedResponseBytes) : text,
          });
        });
      });
      outgoing.end(request.body);
    });
  }
}

/**
 * The probe Create and Update of an external key store run in live mode: `GetHealthStatus` with
 * `kmsOperation` `CreateCustomKeyStore` / `UpdateCustomKeyStore`, signed with the NEW settings.
 *
 * @returns the request sent and its outcome, when the proxy answered well.
 * @throws EmulatorError with KMS's exception (`XksProxyIncorrectAuthenticationCredentialException`,
 *   `XksProxyUriUnreachableException`, `XksProxyInvalidResponseException`,
 *   `XksProxyInvalidConfigurationException`) and its documented message when it did not.
 */
export async function probeXksProxy(
  caller: XksProxyCaller,
  target: XksProxyTarget,
  kmsOperation: 'CreateCustomKeyStore' | 'UpdateCustomKeyStore',
  kmsRequestId?: string,
): Promise<XksOutboundRequestRecord> {
  const record = await caller.getHealthStatus(target, kmsOperation, kmsRequestId);
  if (!record.healthy) {
    throw new EmulatorError(
      record.exception ?? 'XksProxyInvalidResponseException',
      messageFor(record),
    );
  }
  return record;
}
