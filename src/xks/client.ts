/**
 * The XKS proxy client: a call reads top to bottom in {@link XksClient.call} — validate, build the
 * body, sign (SigV4, service `kms-xks-proxy`, the key store's region, `host;x-amz-date` as KMS
 * signs), send over our connector and an undici Pool within the call's limit (250 ms, as KMS),
 * then parse the answer or throw the typed error. No retries: KMS does not retry either, and a
 * checker wants to see each answer.
 */
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { isLoopbackHost } from '../config/loopback.js';
import { KmsConfigError, KmsError, KmsValidationError } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { type Connector, createConnector } from '../request/connector.js';
import { loadPool } from '../request/pool.js';
import { createRequestSigner, type RequestSigner } from '../request/sign.js';
import { exchange, type HttpResponse } from '../request/transport.js';
import {
  createXksProxyError,
  isXksErrorName,
  XksInvalidResponseError,
  XksNetworkError,
  type XksOperationName,
  XksTimeoutError,
} from './errors.js';
import {
  decrypt,
  encrypt,
  externalKeyIdPattern,
  getHealthStatus,
  getKeyMetadata,
  type XksDecryptInput,
  type XksDecryptOutput,
  type XksEncryptInput,
  type XksEncryptOutput,
  type XksHealthStatus,
  type XksHealthStatusInput,
  type XksKeyMetadata,
  type XksKeyMetadataInput,
  type XksOperation,
} from './operations.js';

/** The credential KMS signs XKS requests with (`XksProxyAuthenticationCredential`). */
export interface XksProxyAuthenticationCredential {
  /** 20 to 30 characters of A-Z and 2-7 (KMS's rule). */
  accessKeyId: string;
  /** 43 to 64 characters of A-Z, a-z, 0-9, `+`, `/`, `=` (KMS's rule). Never printed. */
  rawSecretAccessKey: string;
}

/** A client certificate for proxies that ask for one (mTLS). */
export interface XksClientCertificate {
  /** PEM certificate (chain). */
  cert: string;
  /** PEM private key. */
  key: string;
  /** Passphrase of the key, if it is encrypted. */
  passphrase?: string;
}

/** Settings of {@link XksClient}. */
export interface XksClientConfig {
  /** `https://host[:port]` (`XksProxyUriEndpoint`); `http:` only for a loopback host. */
  uriEndpoint: string;
  /** `[/prefix]/kms/xks/v1` (`XksProxyUriPath`). */
  uriPath: string;
  /** The key store's region: the SigV4 scope's region. */
  region: string;
  /** The proxy authentication credential. */
  credentials: XksProxyAuthenticationCredential;
  /** Limit of each call, connecting included, in ms; default 250 (KMS's). */
  timeoutMs?: number;
  /** PEM CA certificate(s) to trust besides Node's list, e.g. a private CA of the proxy. */
  ca?: string | readonly string[];
  /** Client certificate and key for mTLS. */
  clientCertificate?: XksClientCertificate;
  /**
   * Send connections for `host:port` to another `address:port`, as curl's `--connect-to`
   * (`{ 'xks.example.com:443': '127.0.0.1:8443' }`). TLS still verifies the certificate against,
   * and sends SNI for, the endpoint's host name.
   */
  connectTo?: Readonly<Record<string, string>>;
  /** Most connections at once; default 4. */
  maxSockets?: number;
}

/** Per-call options. */
export interface XksCallOptions {
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Aborts the call; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** An output with how long the call took. */
export type XksResult<Output> = Output & {
  /** HTTP status and time of the exchange. */
  $response: { status: number; durationMs: number };
};

/** A raw exchange with the proxy, for checks that send what KMS never would. */
export interface XksRawRequest {
  /** Default `POST`. */
  method?: 'POST' | 'GET';
  /** The full path (`/example/kms/xks/v1/health`). */
  path: string;
  /** The body as sent. */
  body?: string;
  /**
   * How to sign: the client's credential and region (default), other values for negative tests,
   * or `false` to send it unsigned.
   */
  sign?:
    | false
    | {
        credentials?: XksProxyAuthenticationCredential;
        region?: string;
        service?: string;
        /** The signing time; default now. */
        date?: Date;
      };
  /** Extra headers, sent as given after signing. */
  headers?: Record<string, string>;
  /** Default the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** A raw answer. */
export interface XksRawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  durationMs: number;
}

const uriPathPattern = /^(?:\/[A-Za-z0-9/_-]+)?\/kms\/xks\/v\d{1,2}$/;
/** The service name of the XKS proxy API's SigV4 scope. */
export const xksSigningService = 'kms-xks-proxy';
/** KMS's limit for each XKS proxy call, in ms. */
export const kmsXksTimeoutMs = 250;
/** Largest answer read. */
const maxAnswerBytes = 256 * 1024;

function configError(message: string, setting: string): KmsConfigError {
  return new KmsConfigError(`XksClient: ${message}`, {
    code: 'InvalidEndpoint',
    setting: `config.${setting}`,
  });
}

function parseHostPort(text: string, setting: string): { host: string; port: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || !(port > 0 && port < 65_536)) {
    throw configError(`${setting}: '${text}' is not host:port`, setting);
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** A host:port key with the host lower case and IPv6 unbracketed. */
function hostPortKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

/**
 * A typed client for an XKS proxy, making the calls KMS makes. Errors: {@link XksProxyError}
 * subclasses for the specification's `errorName` answers, {@link XksInvalidResponseError},
 * {@link XksNetworkError}, {@link XksTimeoutError}; `KmsValidationError` for bad input (nothing
 * sent) and `KmsConfigError` for bad settings (thrown by the constructor).
 *
 * The secret is kept in a private field: it is in no error, `util.inspect` or `JSON.stringify`.
 */
export class XksClient {
  /** The endpoint origin. */
  readonly uriEndpoint: string;
  /** The URI path. */
  readonly uriPath: string;
  /** The region signed for. */
  readonly region: string;
  /** The access key ID (not secret). */
  readonly accessKeyId: string;
  /** The per-call limit, in ms. */
  readonly timeoutMs: number;
  readonly #endpoint: URL;
  readonly #credentials: XksProxyAuthenticationCredential;
  readonly #signers = new Map<string, RequestSigner>();
  readonly #tls: {
    ca?: readonly string[];
    cert?: string;
    key?: string;
    passphrase?: string;
  };
  readonly #connectTo: ReadonlyMap<string, { host: string; port: number }>;
  readonly #maxSockets: number;
  #pool: Dispatcher | undefined;
  #poolLoading: Promise<Dispatcher> | undefined;
  #connector: Connector | undefined;
  #closed = false;

  /** @throws KmsConfigError for an unusable endpoint, path, region, credential or connectTo. */
  constructor(config: XksClientConfig) {
    if (typeof config !== 'object' || config === null) {
      throw configError('config must be an object', 'config');
    }
    let endpoint: URL;
    try {
      endpoint = new URL(String(config.uriEndpoint));
    } catch {
      throw configError(`uriEndpoint '${String(config.uriEndpoint)}' is not a URL`, 'uriEndpoint');
    }
    if (
      (endpoint.pathname !== '/' && endpoint.pathname !== '') ||
      endpoint.search ||
      endpoint.hash ||
      endpoint.username ||
      endpoint.password
    ) {
      throw configError(
        'uriEndpoint is scheme, host and port only (the path goes in uriPath)',
        'uriEndpoint',
      );
    }
    if (
      endpoint.protocol !== 'https:' &&
      !(endpoint.protocol === 'http:' && isLoopbackHost(endpoint.hostname))
    ) {
      throw configError('uriEndpoint must be https (http only for a loopback host)', 'uriEndpoint');
    }
    if (
      typeof config.uriPath !== 'string' ||
      config.uriPath.length > 128 ||
      !uriPathPattern.test(config.uriPath)
    ) {
      throw configError(
        "uriPath must be '[/prefix]/kms/xks/v1': at most 128 of a-z, A-Z, 0-9, /, - and _",
        'uriPath',
      );
    }
    if (
      typeof config.region !== 'string' ||
      !/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(config.region)
    ) {
      throw new KmsConfigError('XksClient: region must be a region name such as eu-west-1', {
        code: 'InvalidRegion',
        setting: 'config.region',
      });
    }
    const credentials = config.credentials;
    if (
      typeof credentials !== 'object' ||
      credentials === null ||
      typeof credentials.accessKeyId !== 'string' ||
      typeof credentials.rawSecretAccessKey !== 'string' ||
      !/^[\x21-\x7e]+$/.test(credentials.accessKeyId) ||
      !/^[\x21-\x7e]+$/.test(credentials.rawSecretAccessKey)
    ) {
      throw new KmsConfigError(
        'XksClient: credentials must be { accessKeyId, rawSecretAccessKey }, printable and without spaces',
        { code: 'NoCredentials', setting: 'config.credentials' },
      );
    }
    const timeoutMs = config.timeoutMs ?? kmsXksTimeoutMs;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= 600_000)) {
      throw configError('timeoutMs must be a positive number of ms (at most 600000)', 'timeoutMs');
    }
    const connectTo = new Map<string, { host: string; port: number }>();
    for (const [from, to] of Object.entries(config.connectTo ?? {})) {
      const source = parseHostPort(from, 'connectTo');
      connectTo.set(hostPortKey(source.host, source.port), parseHostPort(String(to), 'connectTo'));
    }
    const maxSockets = config.maxSockets ?? 4;
    if (!(Number.isInteger(maxSockets) && maxSockets > 0)) {
      throw configError('maxSockets must be a positive integer', 'maxSockets');
    }
    this.#endpoint = endpoint;
    this.uriEndpoint = endpoint.origin;
    this.uriPath = config.uriPath;
    this.region = config.region;
    this.accessKeyId = credentials.accessKeyId;
    this.timeoutMs = timeoutMs;
    this.#credentials = {
      accessKeyId: credentials.accessKeyId,
      rawSecretAccessKey: credentials.rawSecretAccessKey,
    };
    const ca =
      config.ca === undefined
        ? undefined
        : typeof config.ca === 'string'
          ? [config.ca]
          : [...config.ca];
    this.#tls = {
      ...(ca && { ca }),
      ...(config.clientCertificate && {
        cert: config.clientCertificate.cert,
        key: config.clientCertificate.key,
        ...(config.clientCertificate.passphrase !== undefined && {
          passphrase: config.clientCertificate.passphrase,
        }),
      }),
    };
    this.#connectTo = connectTo;
    this.#maxSockets = maxSockets;
  }

  /** GetHealthStatus, as KMS calls it on Connect and every few minutes. */
  getHealthStatus(
    input: XksHealthStatusInput = {},
    options?: XksCallOptions,
  ): Promise<XksResult<XksHealthStatus>> {
    return this.call(getHealthStatus, undefined, input, options);
  }

  /** GetKeyMetadata of an external key (as KMS calls it for CreateKey). */
  getKeyMetadata(
    externalKeyId: string,
    input: XksKeyMetadataInput = {},
    options?: XksCallOptions,
  ): Promise<XksResult<XksKeyMetadata>> {
    return this.call(getKeyMetadata, externalKeyId, input, options);
  }

  /** Encrypt with an external key; a CDIV asked for is verified. */
  encrypt(
    externalKeyId: string,
    input: XksEncryptInput,
    options?: XksCallOptions,
  ): Promise<XksResult<XksEncryptOutput>> {
    return this.call(encrypt, externalKeyId, input, options);
  }

  /** Decrypt with an external key. */
  decrypt(
    externalKeyId: string,
    input: XksDecryptInput,
    options?: XksCallOptions,
  ): Promise<XksResult<XksDecryptOutput>> {
    return this.call(decrypt, externalKeyId, input, options);
  }

  /** The path of an operation: `{uriPath}/health` or `{uriPath}/keys/{id}/{suffix}`. */
  pathOf(operation: XksOperation<never, unknown>, externalKeyId?: string): string {
    return operation.keyed
      ? `${this.uriPath}/keys/${externalKeyId}${operation.suffix}`
      : `${this.uriPath}${operation.suffix}`;
  }

  /** Runs one declared operation. */
  async call<Input, Output>(
    operation: XksOperation<Input, Output>,
    externalKeyId: string | undefined,
    input: Input,
    options: XksCallOptions = {},
  ): Promise<XksResult<Output>> {
    // 1. Validate: nothing is sent for bad input.
    const issues =
      typeof input !== 'object' || input === null
        ? [{ path: [], code: 'invalid_type', message: 'must be an object' }]
        : operation.validate(input);
    if (
      operation.keyed &&
      (typeof externalKeyId !== 'string' || !externalKeyIdPattern.test(externalKeyId))
    ) {
      issues.unshift({
        path: ['externalKeyId'],
        code: 'invalid_format',
        message: 'must be 1 to 128 of A-Z, a-z, 0-9, -, . and _',
      });
    }
    if (issues.length > 0) throw new KmsValidationError(`XKS ${operation.name}`, issues);
    // 2. Build, 3. sign and send.
    const body = JSON.stringify(operation.body(input, { region: this.region }));
    const response = await this.#send(
      operation.name,
      {
        path: this.pathOf(operation as XksOperation<never, unknown>, externalKeyId),
        body,
        timeoutMs: options.timeoutMs,
      },
      options.signal,
    );
    // 4. Parse, or throw the typed error.
    const $response = { status: response.status, durationMs: response.durationMs };
    if (response.status === 200) {
      let json: unknown;
      try {
        json = JSON.parse(response.body);
      } catch (cause) {
        throw this.#invalid(operation.name, response, 'malformed', 'the answer is not JSON', cause);
      }
      const output = operation.parse(json, input);
      if (typeof output === 'object' && output !== null && 'malformed' in output) {
        const problem = output as { malformed: string; reason?: 'cdiv-mismatch' };
        throw this.#invalid(
          operation.name,
          response,
          problem.reason ?? 'malformed',
          problem.malformed,
        );
      }
      return Object.assign(output as object, { $response }) as XksResult<Output>;
    }
    throw this.errorOf(operation.name, response);
  }

  /**
   * Sends a request as given (signed as asked, or unsigned), for checks that need what KMS never
   * sends: a GET, another region or service, a wrong secret, a skewed clock.
   */
  async raw(request: XksRawRequest, signal?: AbortSignal): Promise<XksRawResponse> {
    return this.#send('GetHealthStatus', request, signal);
  }

  /**
   * The error a non-200 answer means: the class of its `errorName`, or
   * {@link XksInvalidResponseError} when the body is not a specification error.
   */
  errorOf(operation: XksOperationName, response: XksRawResponse): KmsError {
    const status = response.status;
    if (status >= 400) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.body);
      } catch {
        parsed = undefined;
      }
      const errorName = (parsed as { errorName?: unknown } | undefined)?.errorName;
      if (isXksErrorName(errorName)) {
        const message = (parsed as { errorMessage?: unknown }).errorMessage;
        return createXksProxyError(errorName, {
          status,
          operation,
          errorMessage:
            typeof message === 'string' ? this.#redact(message).slice(0, 1024) : undefined,
        });
      }
      return this.#invalid(
        operation,
        response,
        'unknown-error',
        `HTTP ${status} without a specification errorName`,
      );
    }
    return this.#invalid(operation, response, 'unexpected-status', `unexpected HTTP ${status}`);
  }

  /** Closes the connections; calls after this fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool ?? (await this.#poolLoading?.catch(() => undefined));
    this.#connector?.destroyPending(new Error('XksClient closed'));
    await pool?.destroy().catch(() => {});
  }

  /** What `JSON.stringify` shows: the settings, never the secret. */
  toJSON(): Record<string, unknown> {
    return {
      uriEndpoint: this.uriEndpoint,
      uriPath: this.uriPath,
      region: this.region,
      accessKeyId: this.accessKeyId,
      timeoutMs: this.timeoutMs,
    };
  }

  #redact(text: string): string {
    return redactSecrets(text, { secretAccessKey: this.#credentials.rawSecretAccessKey });
  }

  #invalid(
    operation: XksOperationName,
    response: XksRawResponse,
    reason: XksInvalidResponseError['reason'],
    message: string,
    cause?: unknown,
  ): XksInvalidResponseError {
    return new XksInvalidResponseError({
      message: `XKS proxy answer unusable (HTTP ${response.status}): ${message}`,
      reason,
      status: response.status,
      operation,
      bodyExcerpt: response.body ? this.#redact(response.body.slice(0, 200)) : undefined,
      cause,
    });
  }

  #signer(region: string, service: string): RequestSigner {
    const key = `${region}\n${service}`;
    let signer = this.#signers.get(key);
    if (!signer) {
      signer = createRequestSigner(region, { service });
      this.#signers.set(key, signer);
    }
    return signer;
  }

  async #dispatcher(): Promise<Dispatcher> {
    if (this.#pool) return this.#pool;
    this.#poolLoading ??= loadPool().then((Pool) => {
      const connectTo = this.#connectTo;
      const connector = createConnector(undefined, () => this.timeoutMs * 4, {
        ...this.#tls,
        connectTo:
          connectTo.size === 0 ? undefined : (host, port) => connectTo.get(hostPortKey(host, port)),
      });
      this.#connector = connector;
      this.#pool = new Pool(this.#endpoint.origin, {
        connections: this.#maxSockets,
        connect: connector.connect,
        keepAliveTimeout: 30_000,
      });
      return this.#pool;
    });
    return this.#poolLoading;
  }

  async #send(
    operation: XksOperationName,
    request: XksRawRequest,
    signal: AbortSignal | undefined,
  ): Promise<XksRawResponse> {
    if (this.#closed) throw new KmsError('XksClient is closed');
    signal?.throwIfAborted();
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const body = request.body ?? '';
    const endpoint = this.#endpoint;
    let headers: Record<string, string> = { host: endpoint.host };
    const sign = request.sign ?? {};
    if (sign !== false) {
      const credentials = sign.credentials ?? this.#credentials;
      headers = await this.#signer(
        sign.region ?? this.region,
        sign.service ?? xksSigningService,
      ).sign(
        {
          hostname: endpoint.hostname,
          port: endpoint.port ? Number(endpoint.port) : undefined,
          path: request.path,
          headers,
          body,
        },
        { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.rawSecretAccessKey },
        sign.date ?? new Date(),
      );
    }
    // Not signed, as KMS signs `host;x-amz-date` only.
    headers['content-type'] = 'application/json';
    Object.assign(headers, request.headers);
    const dispatcher = await this.#dispatcher();
    const started = performance.now();
    let response: HttpResponse;
    try {
      response = await exchange(
        dispatcher,
        {
          origin: endpoint.origin,
          path: request.path,
          method: request.method ?? 'POST',
          headers,
          ...(request.method === 'GET' ? {} : { body }),
        },
        {
          signal,
          timeoutMs,
          timeoutError: () => new XksTimeoutError({ timeoutMs, operation }),
          maxBodyBytes: maxAnswerBytes,
        },
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof XksTimeoutError) throw error;
      throw networkError(operation, error, endpoint.hostname);
    }
    const durationMs = performance.now() - started;
    const raw = {
      status: response.status,
      headers: response.headers,
      body: response.body,
      durationMs,
    };
    if (response.bodyTruncated) {
      throw this.#invalid(
        operation,
        raw,
        'too-large',
        `answer longer than ${maxAnswerBytes} bytes`,
      );
    }
    return raw;
  }
}

/** TLS error codes of Node and OpenSSL: a TLS failure rather than TCP. */
const tlsCodes =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_|EPROTO$|ERR_OSSL)/;

function networkError(
  operation: XksOperationName,
  error: unknown,
  hostname: string,
): XksNetworkError {
  const code = (error as { code?: unknown })?.code;
  const text = typeof code === 'string' ? code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const stage =
    text !== undefined && tlsCodes.test(text)
      ? 'tls'
      : text === 'UND_ERR_SOCKET' || text === 'UND_ERR_INFO' || text === 'HPE_INVALID_CONSTANT'
        ? 'http'
        : 'tcp';
  return new XksNetworkError({
    message: `cannot reach the XKS proxy at ${isIP(hostname) === 6 ? `[${hostname}]` : hostname} (${text ?? 'error'}): ${message}`,
    stage,
    code: text,
    operation,
    cause: error,
  });
}
