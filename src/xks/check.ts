/**
 * `checkXksProxy`: what a proxy operator wants to know before KMS tries — will KMS connect, and
 * does the proxy keep the specification where KMS relies on it. Each check says what was
 * expected, what was seen, and, for a failure, what KMS would report (a `ConnectionErrorCode`,
 * or the exception of CreateCustomKeyStore/UpdateCustomKeyStore, CreateKey or a cryptographic
 * call). Status codes and error names are compared exactly.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { KmsValidationError } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { decodeBase64, encodeBase64, verifyCiphertextDataIntegrityValue } from './cdiv.js';
import {
  kmsXksTimeoutMs,
  XksClient,
  type XksClientCertificate,
  type XksProxyAuthenticationCredential,
  type XksRawRequest,
  type XksRawResponse,
} from './client.js';
import {
  isXksErrorName,
  kmsConnectionErrorCode,
  kmsCreateUpdateException,
  XksInvalidResponseError,
  XksNetworkError,
} from './errors.js';
import { externalKeyIdPattern } from './operations.js';

/** The outcome of one check. */
export type XksCheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** One check. */
export interface XksCheck {
  /** Stable ID, e.g. `auth.wrong-secret` or `key.round-trip[xks-key-1]`. */
  id: string;
  /** What is checked, one line. */
  title: string;
  status: XksCheckStatus;
  /** What a proxy KMS works with does. */
  expected: string;
  /** What this proxy did. */
  seen: string;
  /**
   * For a failure: what KMS would report — a `ConnectionErrorCode` on connect, and/or the
   * exception of the KMS API that would fail. Undefined when KMS would not notice.
   */
  kms?: string;
  /** More context. */
  note?: string;
}

/** Options of {@link checkXksProxy}. */
export interface XksCheckOptions {
  /** `https://host[:port]`. */
  uriEndpoint: string;
  /** `[/prefix]/kms/xks/v1`. */
  uriPath: string;
  /** The key store's region. */
  region: string;
  /** The credential KMS will sign with. */
  credentials: XksProxyAuthenticationCredential;
  /** A second credential the proxy should accept at the same time (rotation). */
  secondCredentials?: XksProxyAuthenticationCredential;
  /** External keys to test encrypt/decrypt with. */
  keyIds?: readonly string[];
  /** Extra CA certificates (PEM) to trust. */
  ca?: string | readonly string[];
  /** Client certificate for mTLS. */
  clientCertificate?: XksClientCertificate;
  /** `{ 'xks.example.com:443': '127.0.0.1:8443' }`. */
  connectTo?: Readonly<Record<string, string>>;
  /** GetHealthStatus calls for the latency check; default 10. */
  latencySamples?: number;
  /** The budget of a call, in ms; default 250 (KMS's). */
  budgetMs?: number;
  /** Limit of each probe that is not about latency, in ms; default 2000. */
  probeTimeoutMs?: number;
  /** Aborts the run. */
  signal?: AbortSignal;
}

/** The result of {@link checkXksProxy}. */
export interface XksCheckReport {
  uriEndpoint: string;
  uriPath: string;
  region: string;
  accessKeyId: string;
  keyIds: string[];
  checks: XksCheck[];
  /** How many checks ended each way. */
  summary: Record<XksCheckStatus, number>;
  /** True when no check failed. */
  ok: boolean;
}

const printableAscii = /^[\x20-\x7e]*$/;

function clip(text: string, max = 160): string {
  const flat = text.replace(/[^\x20-\x7e]/g, '?');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

function describeAnswer(response: XksRawResponse): string {
  let errorName: unknown;
  try {
    errorName = (JSON.parse(response.body) as { errorName?: unknown })?.errorName;
  } catch {
    errorName = undefined;
  }
  return typeof errorName === 'string'
    ? `HTTP ${response.status} ${clip(errorName, 60)}`
    : `HTTP ${response.status}${response.body ? ` ${clip(response.body, 60)}` : ' (no body)'}`;
}

function describeError(error: unknown): string {
  return clip(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const cryptoFailure = 'KMSInvalidStateException (Encrypt, Decrypt, GenerateDataKey, ReEncrypt)';

/**
 * Runs every check against a proxy and resolves with the report (it rejects only for unusable
 * options, as `KmsConfigError`, or when `signal` aborts).
 */
export async function checkXksProxy(options: XksCheckOptions): Promise<XksCheckReport> {
  const budgetMs = options.budgetMs ?? kmsXksTimeoutMs;
  const probeTimeoutMs = options.probeTimeoutMs ?? 2000;
  const client = new XksClient({
    uriEndpoint: options.uriEndpoint,
    uriPath: options.uriPath,
    region: options.region,
    credentials: options.credentials,
    timeoutMs: budgetMs,
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.clientCertificate && { clientCertificate: options.clientCertificate }),
    ...(options.connectTo && { connectTo: options.connectTo }),
  });
  const keyIds = [...(options.keyIds ?? [])];
  const badIds = keyIds.filter((id) => typeof id !== 'string' || !externalKeyIdPattern.test(id));
  if (badIds.length > 0) {
    await client.close();
    throw new KmsValidationError(
      'checkXksProxy',
      badIds.map((id) => ({
        path: ['keyIds', keyIds.indexOf(id)],
        code: 'invalid_format',
        message: `'${clip(String(id), 140)}' is not an external key ID (1 to 128 of A-Z, a-z, 0-9, -, . and _)`,
      })),
    );
  }
  const checks: XksCheck[] = [];
  // What a proxy sends back may echo a secret (the second credential's, or the wrong one the
  // checker made up): every `seen` is redacted of them.
  const secrets = [
    options.credentials.rawSecretAccessKey,
    options.secondCredentials?.rawSecretAccessKey,
  ];
  const add = (check: XksCheck) => {
    let seen = check.seen;
    for (const secret of secrets) seen = redactSecrets(seen, { secretAccessKey: secret });
    const redacted = { ...check, seen };
    checks.push(redacted);
    return redacted;
  };
  const signal = options.signal;
  const healthPath = `${client.uriPath}/health`;
  const healthBody = (kmsOperation = 'KmsHealthCheck') =>
    JSON.stringify({ requestMetadata: { kmsRequestId: randomUUID(), kmsOperation } });
  /** Every answer seen, for the error-body and content-type checks. */
  const answers: { label: string; response: XksRawResponse }[] = [];
  const probe = async (label: string, request: XksRawRequest): Promise<XksRawResponse> => {
    const response = await client.raw({ timeoutMs: probeTimeoutMs, ...request }, signal);
    answers.push({ label, response });
    return response;
  };

  try {
    // Configuration KMS checks on CreateCustomKeyStore.
    const { accessKeyId, rawSecretAccessKey } = options.credentials;
    const idOk = /^[A-Z2-7]{20,30}$/.test(accessKeyId);
    const secretOk = /^[A-Za-z0-9+/=]{43,64}$/.test(rawSecretAccessKey);
    add({
      id: 'config.credential',
      title: 'Credential has the form KMS accepts',
      status: idOk && secretOk ? 'pass' : 'fail',
      expected: 'access key ID of 20-30 A-Z and 2-7; secret of 43-64 A-Z, a-z, 0-9, +, /, =',
      seen: `access key ID ${idOk ? 'ok' : 'not of that form'}; secret ${secretOk ? 'ok' : `not of that form (${rawSecretAccessKey.length} characters)`}`,
      ...(!(idOk && secretOk) && {
        kms: 'ValidationException (CreateCustomKeyStore, UpdateCustomKeyStore)',
      }),
    });
    const host = new URL(client.uriEndpoint).hostname.replace(/^\[(.*)\]$/, '$1');
    add({
      id: 'config.endpoint-host',
      title: 'Endpoint names a host, not an IP address',
      status: isIP(host) ? 'warn' : 'pass',
      expected: 'a fully qualified domain name (the specification: not an IP address)',
      seen: host,
    });

    // TLS.
    const reachable = await tlsChecks(client, options, add);

    if (!reachable) {
      add({
        id: 'proxy.reachable',
        title: 'Proxy reachable',
        status: 'fail',
        expected: 'a TLS connection to the endpoint',
        seen: 'no connection (see the TLS checks)',
        kms: 'XKS_PROXY_NOT_REACHABLE or XKS_PROXY_INVALID_TLS_CONFIGURATION; XksProxyUriUnreachableException (Create/Update)',
        note: 'the other checks were skipped',
      });
      return report(options, client, keyIds, checks);
    }

    // Requests KMS never sends must be refused with 401 AuthenticationFailedException. First, so
    // that the connection and this process are warm when KMS's own call is timed.
    const sixMinutes = 6 * 60_000;
    const otherSecret = randomBytes(32).toString('base64');
    const refusals: { id: string; title: string; request: Pick<XksRawRequest, 'sign'> }[] = [
      { id: 'auth.unsigned', title: 'Unsigned request refused', request: { sign: false } },
      {
        id: 'auth.wrong-secret',
        title: 'Request signed with a wrong secret refused',
        request: { sign: { credentials: { accessKeyId, rawSecretAccessKey: otherSecret } } },
      },
      {
        id: 'auth.wrong-service',
        title: "Request signed for another service than 'kms-xks-proxy' refused",
        request: { sign: { service: 'kms' } },
      },
      {
        id: 'auth.wrong-region',
        title: 'Request signed for another region refused',
        request: { sign: { region: options.region === 'us-west-2' ? 'eu-west-3' : 'us-west-2' } },
      },
      {
        id: 'auth.skew-past',
        title: 'Request signed 6 minutes in the past refused',
        request: { sign: { date: new Date(Date.now() - sixMinutes) } },
      },
      {
        id: 'auth.skew-future',
        title: 'Request signed 6 minutes in the future refused',
        request: { sign: { date: new Date(Date.now() + sixMinutes) } },
      },
    ];
    for (const refusal of refusals) {
      await expectError(
        add,
        probe,
        refusal.id,
        refusal.title,
        { path: healthPath, body: healthBody(), ...refusal.request },
        401,
        'AuthenticationFailedException',
        undefined,
        'anyone who reaches the proxy could use its keys without the secret',
        signal,
      );
    }

    // Health, signed as KMS signs, within KMS's budget.
    try {
      const health = await client.getHealthStatus(
        { requestMetadata: { kmsOperation: 'ConnectCustomKeyStore' } },
        { signal },
      );
      add({
        id: 'health.signed',
        title: 'GetHealthStatus signed as KMS signs is answered with the specification fields',
        status: 'pass',
        expected: `HTTP 200 with xksProxyFleetSize, vendors, model and 1-10 ekmFleetDetails within ${budgetMs} ms`,
        seen: `HTTP 200 in ${health.$response.durationMs.toFixed(1)} ms: ${clip(`${health.xksProxyVendor} / ${health.xksProxyModel}`, 80)}`,
      });
      add({
        id: 'health.fleet-size',
        title: 'Proxy fleet size above 0',
        status: 'pass',
        expected: 'an integer > 0',
        seen: String(health.xksProxyFleetSize),
      });
      const statuses = health.ekmFleetDetails.map((entry) => entry.healthStatus);
      const active = statuses.includes('ACTIVE');
      const degraded = statuses.includes('DEGRADED');
      add({
        id: 'health.ekm-active',
        title: 'At least one external key manager ACTIVE',
        status: active ? 'pass' : degraded ? 'warn' : 'fail',
        expected: 'one or more ekmFleetDetails with healthStatus ACTIVE',
        seen: statuses.join(', '),
        ...(!active &&
          !degraded && {
            kms: 'XKS_PROXY_NOT_REACHABLE; XksProxyUriUnreachableException (Create/Update)',
          }),
        ...(!active && degraded && { note: 'DEGRADED key managers still serve traffic' }),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const code = kmsConnectionErrorCode(error);
      const exception = kmsCreateUpdateException(error);
      add({
        id: 'health.signed',
        title: 'GetHealthStatus signed as KMS signs is answered with the specification fields',
        status: 'fail',
        expected: `HTTP 200 with xksProxyFleetSize, vendors, model and 1-10 ekmFleetDetails within ${budgetMs} ms`,
        seen: describeError(error),
        kms: [code, exception && `${exception} (Create/Update)`].filter(Boolean).join('; '),
      });
      // A 200 KMS cannot use: say which of the health fields is wrong, from the raw answer.
      if (error instanceof XksInvalidResponseError && error.status === 200) {
        await fleetSizeFromRaw(probe, healthPath, healthBody(), add, signal);
      }
      if (error instanceof XksNetworkError) {
        return report(options, client, keyIds, checks);
      }
    }

    // Latency over repeated calls, as KMS would see them.
    const samples = Math.max(1, options.latencySamples ?? 10);
    const times: number[] = [];
    let latencyError: unknown;
    for (let index = 0; index < samples; index++) {
      try {
        const response = await client.raw(
          { path: healthPath, body: healthBody(), timeoutMs: Math.max(probeTimeoutMs, budgetMs) },
          signal,
        );
        times.push(response.durationMs);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        latencyError = error;
        break;
      }
    }
    if (times.length === 0) {
      add({
        id: 'latency',
        title: `GetHealthStatus latency within KMS's ${budgetMs} ms`,
        status: 'fail',
        expected: `median and worst under ${budgetMs} ms over ${samples} calls`,
        seen: describeError(latencyError),
        kms: 'XKS_PROXY_TIMED_OUT; XksProxyUriUnreachableException (Create/Update)',
      });
    } else {
      const middle = median(times);
      const worst = Math.max(...times);
      add({
        id: 'latency',
        title: `GetHealthStatus latency within KMS's ${budgetMs} ms`,
        status: middle >= budgetMs ? 'fail' : worst >= budgetMs ? 'warn' : 'pass',
        expected: `median and worst under ${budgetMs} ms over ${samples} calls`,
        seen: `median ${middle.toFixed(1)} ms, worst ${worst.toFixed(1)} ms over ${times.length} calls`,
        ...(middle >= budgetMs && {
          kms: 'XKS_PROXY_TIMED_OUT; XksProxyUriUnreachableException (Create/Update)',
        }),
        note: 'measured from here over a kept-alive connection; KMS adds its own network distance',
      });
    }

    // Rotation.
    if (options.secondCredentials) {
      try {
        const response = await probe('second credential', {
          path: healthPath,
          body: healthBody(),
          sign: { credentials: options.secondCredentials },
        });
        add({
          id: 'auth.second-credential',
          title: 'A second credential is accepted at the same time (rotation)',
          status: response.status === 200 ? 'pass' : 'fail',
          expected: 'HTTP 200',
          seen: describeAnswer(response),
          ...(response.status !== 200 && {
            kms: 'INVALID_CREDENTIALS after UpdateCustomKeyStore switches to it; XksProxyIncorrectAuthenticationCredentialException (Update)',
          }),
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        add({
          id: 'auth.second-credential',
          title: 'A second credential is accepted at the same time (rotation)',
          status: 'fail',
          expected: 'HTTP 200',
          seen: describeError(error),
        });
      }
    } else {
      add({
        id: 'auth.second-credential',
        title: 'A second credential is accepted at the same time (rotation)',
        status: 'skip',
        expected: 'HTTP 200',
        seen: 'no second credential given (--second-credential-file)',
      });
    }

    // Method and path.
    try {
      const response = await probe('GET', { method: 'GET', path: healthPath });
      add({
        id: 'http.get-405',
        title: 'GET on an API path refused with 405',
        status: response.status === 405 ? 'pass' : 'fail',
        expected: 'HTTP 405',
        seen: describeAnswer(response),
        ...(response.status !== 405 && { note: 'the specification: MUST reject GET with 405' }),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      add({
        id: 'http.get-405',
        title: 'GET on an API path refused with 405',
        status: 'fail',
        expected: 'HTTP 405',
        seen: describeError(error),
      });
    }
    await expectError(
      add,
      probe,
      'http.unknown-path-404',
      'Unknown URI path refused with 404 InvalidUriPathException',
      { path: `${client.uriPath}/kms-cks-no-such-api`, body: healthBody() },
      404,
      'InvalidUriPathException',
      undefined,
      'KMS would not learn of a wrong XksProxyUriPath (XKS_PROXY_INVALID_CONFIGURATION)',
      signal,
    );

    // A future kmsOperation.
    try {
      const response = await probe('unknown kmsOperation', {
        path: healthPath,
        body: healthBody('KmsCksFutureOperation'),
      });
      add({
        id: 'health.unknown-kms-operation',
        title: 'An unknown kmsOperation is accepted',
        status: response.status === 200 ? 'pass' : 'fail',
        expected: 'HTTP 200 (the specification: MUST NOT reject a kmsOperation it does not know)',
        seen: describeAnswer(response),
        ...(response.status !== 200 && {
          kms: 'calls of a new KMS API would fail: KMSInvalidStateException',
        }),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      add({
        id: 'health.unknown-kms-operation',
        title: 'An unknown kmsOperation is accepted',
        status: 'fail',
        expected: 'HTTP 200',
        seen: describeError(error),
      });
    }

    // Keys.
    await expectError(
      add,
      probe,
      'key.unknown-404',
      'Unknown external key refused with 404 KeyNotFoundException',
      {
        path: `${client.uriPath}/keys/kms-cks-no-such-key-${randomBytes(6).toString('hex')}/metadata`,
        body: JSON.stringify({
          requestMetadata: {
            awsPrincipalArn: 'arn:aws:iam::111122223333:role/kms-cks-check',
            kmsOperation: 'CreateKey',
            kmsRequestId: randomUUID(),
          },
        }),
      },
      404,
      'KeyNotFoundException',
      'XksKeyNotFoundException (CreateKey)',
      undefined,
      signal,
    );
    for (const keyId of keyIds) {
      await keyChecks(client, keyId, add, probe, probeTimeoutMs, signal);
    }
    if (keyIds.length === 0) {
      add({
        id: 'key.*',
        title: 'Encrypt and decrypt with an external key',
        status: 'skip',
        expected: 'round trips, sizes, limits, CDIV, tampering refused',
        seen: 'no external key ID given (--key-id)',
      });
    }

    // What every answer looked like.
    const errorAnswers = answers.filter(
      ({ response }) => response.status >= 400 && response.status !== 405,
    );
    const badErrors = errorAnswers.filter(({ response }) => !specErrorBody(response.body));
    add({
      id: 'http.error-bodies',
      title: 'Every error body has a specification errorName and a short printable errorMessage',
      status: errorAnswers.length === 0 ? 'skip' : badErrors.length === 0 ? 'pass' : 'fail',
      expected:
        'JSON {"errorName": <a name of the specification>, "errorMessage"?: <under 512 printable ASCII characters>}',
      seen:
        errorAnswers.length === 0
          ? 'no error answers seen'
          : badErrors.length === 0
            ? `${errorAnswers.length} error answers, all well formed`
            : `${badErrors.length} of ${errorAnswers.length} not: ${badErrors
                .slice(0, 3)
                .map(({ label, response }) => `${label}: ${describeAnswer(response)}`)
                .join('; ')}`,
      ...(badErrors.length > 0 && {
        kms: 'XKS_PROXY_INVALID_RESPONSE; XksProxyInvalidResponseException (Create/Update)',
      }),
    });
    const withBody = answers.filter(({ response }) => response.body.length > 0);
    const wrongType = withBody.filter(
      ({ response }) =>
        !/^application\/json(\s*;.*)?$/i.test(response.headers['content-type'] ?? ''),
    );
    add({
      id: 'http.content-type',
      title: 'Answers are sent as Content-Type: application/json',
      status: withBody.length === 0 ? 'skip' : wrongType.length === 0 ? 'pass' : 'fail',
      expected: 'Content-Type: application/json',
      seen:
        wrongType.length === 0
          ? `${withBody.length} answers with a body, all application/json`
          : `${wrongType.length} of ${withBody.length} not: ${wrongType
              .slice(0, 3)
              .map(
                ({ label, response }) =>
                  `${label}: ${clip(response.headers['content-type'] ?? '(none)', 40)}`,
              )
              .join('; ')}`,
      ...(wrongType.length > 0 && { note: 'the specification: MUST be application/json' }),
    });
    return report(options, client, keyIds, checks);
  } finally {
    await client.close();
  }
}

function specErrorBody(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const { errorName, errorMessage } = parsed as { errorName?: unknown; errorMessage?: unknown };
  if (!isXksErrorName(errorName)) return false;
  return (
    errorMessage === undefined ||
    (typeof errorMessage === 'string' &&
      errorMessage.length < 512 &&
      printableAscii.test(errorMessage))
  );
}

type Add = (check: XksCheck) => XksCheck;
type Probe = (label: string, request: XksRawRequest) => Promise<XksRawResponse>;

/** `health.fleet-size` from a raw health answer, when the parsed one could not be used. */
async function fleetSizeFromRaw(
  probe: Probe,
  path: string,
  body: string,
  add: Add,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    const response = await probe('health (raw)', { path, body });
    let size: unknown;
    try {
      size = (JSON.parse(response.body) as { xksProxyFleetSize?: unknown })?.xksProxyFleetSize;
    } catch {
      return;
    }
    const ok = typeof size === 'number' && Number.isInteger(size) && size > 0;
    add({
      id: 'health.fleet-size',
      title: 'Proxy fleet size above 0',
      status: ok ? 'pass' : 'fail',
      expected: 'an integer > 0',
      seen: size === undefined ? 'missing' : clip(JSON.stringify(size), 40),
      ...(!ok && {
        kms: 'XKS_PROXY_INVALID_RESPONSE; XksProxyInvalidResponseException (Create/Update)',
      }),
    });
  } catch {
    if (signal?.aborted) throw signal.reason;
  }
}

/** A check that a request is refused with exactly this status and errorName. */
async function expectError(
  add: Add,
  probe: Probe,
  id: string,
  title: string,
  request: XksRawRequest,
  status: number,
  errorName: string,
  kms: string | undefined,
  note: string | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const expected = `HTTP ${status} ${errorName}`;
  try {
    const response = await probe(id, request);
    let seenName: unknown;
    try {
      seenName = (JSON.parse(response.body) as { errorName?: unknown })?.errorName;
    } catch {
      seenName = undefined;
    }
    const ok = response.status === status && seenName === errorName;
    add({
      id,
      title,
      status: ok ? 'pass' : 'fail',
      expected,
      seen: describeAnswer(response),
      ...(!ok && kms !== undefined && { kms }),
      ...(!ok && note !== undefined && { note }),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    add({ id, title, status: 'fail', expected, seen: describeError(error), ...(kms && { kms }) });
  }
}

/** The checks of one external key. */
async function keyChecks(
  client: XksClient,
  keyId: string,
  add: Add,
  probe: Probe,
  probeTimeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const call = { timeoutMs: probeTimeoutMs, ...(signal && { signal }) };
  const tag = `[${keyId}]`;
  // Metadata usable by KMS.
  try {
    const metadata = await client.getKeyMetadata(keyId, {}, call);
    const problems = [
      metadata.keySpec !== 'AES_256' && `keySpec ${metadata.keySpec}`,
      !metadata.keyUsage.includes('ENCRYPT') && 'no ENCRYPT usage',
      !metadata.keyUsage.includes('DECRYPT') && 'no DECRYPT usage',
      metadata.keyStatus !== 'ENABLED' && `keyStatus ${metadata.keyStatus}`,
    ].filter(Boolean);
    add({
      id: `key.metadata${tag}`,
      title: `Key ${keyId}: metadata usable by KMS`,
      status: problems.length === 0 ? 'pass' : 'fail',
      expected: 'keySpec AES_256, keyUsage with ENCRYPT and DECRYPT, keyStatus ENABLED',
      seen: `${metadata.keySpec}, [${metadata.keyUsage.join(', ')}], ${metadata.keyStatus}`,
      ...(problems.length > 0 && { kms: 'XksKeyInvalidConfigurationException (CreateKey)' }),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const notFound = (error as { errorName?: unknown }).errorName === 'KeyNotFoundException';
    add({
      id: `key.metadata${tag}`,
      title: `Key ${keyId}: metadata usable by KMS`,
      status: 'fail',
      expected: 'HTTP 200 with keySpec AES_256, ENCRYPT and DECRYPT, ENABLED',
      seen: describeError(error),
      kms: notFound
        ? 'XksKeyNotFoundException (CreateKey)'
        : 'XksKeyInvalidConfigurationException or CustomKeyStoreInvalidStateException (CreateKey)',
    });
  }

  const roundTrip = async (
    id: string,
    title: string,
    plaintext: Buffer,
    aad: Buffer | undefined,
    extra: { cdiv?: boolean; kmsOperation?: string } = {},
  ) => {
    const expected = `HTTP 200 from encrypt and decrypt, the plaintext back${extra.cdiv ? ', a matching CDIV' : ''}`;
    try {
      const encrypted = await client.encrypt(
        keyId,
        {
          plaintext,
          ...(aad && { additionalAuthenticatedData: aad }),
          ...(extra.cdiv && { ciphertextDataIntegrityValueAlgorithm: 'SHA_256' as const }),
          ...(extra.kmsOperation && { requestMetadata: { kmsOperation: extra.kmsOperation } }),
        },
        call,
      );
      const decrypted = await client.decrypt(
        keyId,
        {
          ciphertext: encrypted.ciphertext,
          initializationVector: encrypted.initializationVector,
          authenticationTag: encrypted.authenticationTag,
          ...(encrypted.ciphertextMetadata && { ciphertextMetadata: encrypted.ciphertextMetadata }),
          ...(aad && { additionalAuthenticatedData: aad }),
        },
        call,
      );
      const same = Buffer.from(decrypted.plaintext).equals(plaintext);
      add({
        id: `${id}${tag}`,
        title: `Key ${keyId}: ${title}`,
        status: same ? 'pass' : 'fail',
        expected,
        seen: same
          ? `round trip of ${plaintext.length} bytes${aad ? ` with ${aad.length} bytes of AAD` : ''}${extra.cdiv ? ', CDIV verified' : ''}`
          : 'decrypt returned other bytes',
        ...(!same && { kms: cryptoFailure }),
      });
      return encrypted;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      add({
        id: `${id}${tag}`,
        title: `Key ${keyId}: ${title}`,
        status: 'fail',
        expected,
        seen: describeError(error),
        kms: cryptoFailure,
      });
      return undefined;
    }
  };

  await roundTrip(
    'key.round-trip',
    'encrypt/decrypt round trip without AAD',
    randomBytes(32),
    undefined,
  );
  const aad = Buffer.from('kms-cks check: additional authenticated data');
  const withAad = await roundTrip(
    'key.round-trip-aad',
    'encrypt/decrypt round trip with AAD',
    randomBytes(32),
    aad,
  );
  await roundTrip(
    'key.limits',
    'a 4,300-byte plaintext with 8,192 bytes of AAD',
    randomBytes(4300),
    randomBytes(8192),
  );
  await roundTrip('key.cdiv', 'CDIV returned and correct when asked for', randomBytes(32), aad, {
    cdiv: true,
  });
  await roundTrip(
    'key.unknown-kms-operation',
    'an unknown kmsOperation is accepted',
    randomBytes(16),
    undefined,
    {
      kmsOperation: 'KmsCksFutureOperation',
    },
  );

  // The encrypt answer's sizes, read raw so that a wrong size is reported as it is.
  const plaintext = randomBytes(48);
  try {
    const response = await probe(`encrypt ${keyId}`, {
      path: `${client.uriPath}/keys/${keyId}/encrypt`,
      body: JSON.stringify({
        requestMetadata: {
          awsPrincipalArn: 'arn:aws:iam::111122223333:role/kms-cks-check',
          kmsKeyArn: `arn:aws:kms:${client.region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
          kmsOperation: 'Encrypt',
          kmsRequestId: randomUUID(),
        },
        plaintext: encodeBase64(plaintext),
        encryptionAlgorithm: 'AES_GCM',
        ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
      }),
      timeoutMs: probeTimeoutMs,
    });
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(response.body) as Record<string, unknown>;
    } catch {
      body = {};
    }
    const ciphertext = decodeBase64(body.ciphertext);
    const iv = decodeBase64(body.initializationVector);
    const authTag = decodeBase64(body.authenticationTag);
    const metadata =
      body.ciphertextMetadata === undefined ? undefined : decodeBase64(body.ciphertextMetadata);
    const sizesOk =
      response.status === 200 &&
      ciphertext?.length === plaintext.length &&
      (iv?.length === 12 || iv?.length === 16) &&
      authTag?.length === 16 &&
      (body.ciphertextMetadata === undefined || (metadata !== undefined && metadata.length <= 20));
    const cdivOk =
      sizesOk &&
      typeof body.ciphertextDataIntegrityValue === 'string' &&
      verifyCiphertextDataIntegrityValue(
        {
          ciphertext: ciphertext!,
          initializationVector: iv!,
          authenticationTag: authTag!,
          ...(metadata && { ciphertextMetadata: metadata }),
        },
        body.ciphertextDataIntegrityValue,
      );
    add({
      id: `key.encrypt-sizes${tag}`,
      title: `Key ${keyId}: encrypt answer sizes`,
      status: sizesOk ? 'pass' : 'fail',
      expected: `standard Base64; ciphertext ${plaintext.length} bytes (as the plaintext), IV 12 or 16, tag 16, metadata at most 20`,
      seen:
        response.status === 200
          ? `ciphertext ${ciphertext?.length ?? 'unreadable'}, IV ${iv?.length ?? 'unreadable'}, tag ${authTag?.length ?? 'unreadable'}${metadata ? `, metadata ${metadata.length}` : ''}${cdivOk ? ', CDIV ok' : ''}`
          : describeAnswer(response),
      ...(!sizesOk && { kms: cryptoFailure }),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    add({
      id: `key.encrypt-sizes${tag}`,
      title: `Key ${keyId}: encrypt answer sizes`,
      status: 'fail',
      expected: 'HTTP 200 with the sizes of the specification',
      seen: describeError(error),
      kms: cryptoFailure,
    });
  }

  // Tampering must be refused with 400 InvalidCiphertextException.
  if (!withAad) {
    add({
      id: `key.tamper${tag}`,
      title: `Key ${keyId}: tampered ciphertext, tag, IV or AAD refused`,
      status: 'skip',
      expected: 'HTTP 400 InvalidCiphertextException for each',
      seen: 'no ciphertext to tamper with (the round trip with AAD failed)',
    });
    return;
  }
  const flip = (bytes: Uint8Array) => {
    const copy = Buffer.from(bytes);
    copy[0] = (copy[0] ?? 0) ^ 0x01;
    return copy;
  };
  const base = {
    ciphertext: withAad.ciphertext,
    initializationVector: withAad.initializationVector,
    authenticationTag: withAad.authenticationTag,
    additionalAuthenticatedData: aad,
  };
  for (const [part, changed] of [
    ['ciphertext', { ...base, ciphertext: flip(base.ciphertext) }],
    ['tag', { ...base, authenticationTag: flip(base.authenticationTag) }],
    ['iv', { ...base, initializationVector: flip(base.initializationVector) }],
    ['aad', { ...base, additionalAuthenticatedData: flip(aad) }],
  ] as const) {
    const body = {
      requestMetadata: {
        awsPrincipalArn: 'arn:aws:iam::111122223333:role/kms-cks-check',
        kmsKeyArn: `arn:aws:kms:${client.region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        kmsOperation: 'Decrypt',
        kmsRequestId: randomUUID(),
      },
      additionalAuthenticatedData: encodeBase64(changed.additionalAuthenticatedData),
      encryptionAlgorithm: 'AES_GCM',
      ciphertext: encodeBase64(changed.ciphertext),
      initializationVector: encodeBase64(changed.initializationVector),
      authenticationTag: encodeBase64(changed.authenticationTag),
    };
    await expectError(
      add,
      probe,
      `key.tamper-${part}${tag}`,
      `Key ${keyId}: tampered ${part === 'iv' ? 'IV' : part === 'aad' ? 'AAD' : part} refused with 400 InvalidCiphertextException`,
      {
        path: `${client.uriPath}/keys/${keyId}/decrypt`,
        body: JSON.stringify(body),
        timeoutMs: probeTimeoutMs,
      },
      400,
      'InvalidCiphertextException',
      'KMSInvalidStateException (Decrypt, ReEncrypt)',
      'a proxy that decrypts tampered data breaks the integrity KMS promises',
      signal,
    );
  }
}

/** TLS checks; resolves false when no connection could be made at all. */
async function tlsChecks(client: XksClient, options: XksCheckOptions, add: Add): Promise<boolean> {
  const endpoint = new URL(client.uriEndpoint);
  const tlsTitles = {
    version: 'TLS 1.2 or later',
    host: 'Certificate valid for the host name',
    dates: 'Certificate within its validity dates',
    chain: 'Certificate chain trusted',
  };
  const tlsCode =
    'XKS_PROXY_INVALID_TLS_CONFIGURATION; XksProxyUriUnreachableException (Create/Update)';
  if (endpoint.protocol !== 'https:') {
    for (const [key, title] of Object.entries(tlsTitles)) {
      add({
        id: `tls.${key}`,
        title,
        status: 'skip',
        expected: 'https',
        seen: 'plain http (loopback only; KMS always uses https)',
      });
    }
    return true;
  }
  const host = endpoint.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(endpoint.port) || 443;
  let dial = { host, port };
  for (const [from, to] of Object.entries(options.connectTo ?? {})) {
    const source = /^(\[.*\]|[^:]+):(\d+)$/.exec(from);
    const target = /^(\[.*\]|[^:]+):(\d+)$/.exec(to);
    if (
      source &&
      target &&
      source[1]!.replace(/^\[(.*)\]$/, '$1').toLowerCase() === host.toLowerCase() &&
      Number(source[2]) === port
    ) {
      dial = { host: target[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(target[2]) };
    }
  }
  const tls = await import('node:tls');
  const extraCa =
    options.ca === undefined ? [] : typeof options.ca === 'string' ? [options.ca] : [...options.ca];
  const result = await new Promise<
    | {
        socket: TLSSocket;
        protocol: string | null;
        cert: PeerCertificate;
        authorized: boolean;
        authorizationError: string | undefined;
      }
    | { error: Error }
  >((resolve) => {
    const socket = tls.connect({
      host: dial.host,
      port: dial.port,
      ...(isIP(host) ? {} : { servername: host }),
      ca: [...tls.rootCertificates, ...extraCa],
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      ...(options.clientCertificate && {
        cert: options.clientCertificate.cert,
        key: options.clientCertificate.key,
        ...(options.clientCertificate.passphrase !== undefined && {
          passphrase: options.clientCertificate.passphrase,
        }),
      }),
    });
    const limitMs = options.probeTimeoutMs ?? 2000;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({
        error: Object.assign(new Error(`TLS handshake did not complete within ${limitMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      });
    }, limitMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve({
        socket,
        protocol: socket.getProtocol(),
        cert: socket.getPeerCertificate(true),
        authorized: socket.authorized,
        authorizationError:
          socket.authorizationError === null ? undefined : String(socket.authorizationError),
      });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ error });
    });
  });
  if ('error' in result) {
    const code = (result.error as { code?: unknown }).code;
    const tcp = typeof code === 'string' && /^(ECONN|EHOST|ENET|ENOTFOUND|EAI_)/.test(code);
    // Connected, but no handshake in time: KMS would time out.
    const timedOut = code === 'ETIMEDOUT';
    for (const [key, title] of Object.entries(tlsTitles)) {
      add({
        id: `tls.${key}`,
        title,
        status: key === 'version' ? 'fail' : 'skip',
        expected: key === 'version' ? 'a TLS 1.2+ handshake' : 'a TLS connection',
        seen: key === 'version' ? describeError(result.error) : 'no TLS connection',
        ...(key === 'version' && {
          kms: timedOut
            ? 'XKS_PROXY_TIMED_OUT; XksProxyUriUnreachableException (Create/Update)'
            : tcp
              ? 'XKS_PROXY_NOT_REACHABLE; XksProxyUriUnreachableException (Create/Update)'
              : tlsCode,
        }),
      });
    }
    return false;
  }
  result.socket.destroy();
  const versionOk = result.protocol === 'TLSv1.2' || result.protocol === 'TLSv1.3';
  add({
    id: 'tls.version',
    title: tlsTitles.version,
    status: versionOk ? 'pass' : 'fail',
    expected: 'TLSv1.2 or TLSv1.3',
    seen: String(result.protocol),
    ...(!versionOk && { kms: tlsCode }),
  });
  const identity = tls.checkServerIdentity(host, result.cert);
  add({
    id: 'tls.host',
    title: tlsTitles.host,
    status: identity ? 'fail' : 'pass',
    expected: `a subject alternative name matching ${host}`,
    seen: clip(result.cert.subjectaltname ?? `CN=${String(result.cert.subject?.CN ?? '')}`, 120),
    ...(identity && { kms: tlsCode }),
  });
  const now = Date.now();
  const from = Date.parse(result.cert.valid_from);
  const to = Date.parse(result.cert.valid_to);
  const current = from <= now && now <= to;
  const soon = current && to - now < 30 * 86_400_000;
  add({
    id: 'tls.dates',
    title: tlsTitles.dates,
    status: !current ? 'fail' : soon ? 'warn' : 'pass',
    expected: 'valid now, and for more than 30 days',
    seen: `${result.cert.valid_from} to ${result.cert.valid_to}`,
    ...(!current && { kms: tlsCode }),
  });
  add({
    id: 'tls.chain',
    title: tlsTitles.chain,
    status: result.authorized ? 'pass' : 'fail',
    expected: `a chain to a trusted CA (Node's list${extraCa.length ? ' and the --ca given' : ''})`,
    seen: result.authorized
      ? 'trusted'
      : `not trusted: ${clip(result.authorizationError ?? 'unknown', 80)}`,
    ...(!result.authorized && { kms: tlsCode }),
    note: 'KMS trusts its own list of public CAs only: a private CA passed here passes this check but not KMS',
  });
  return true;
}

function report(
  options: XksCheckOptions,
  client: XksClient,
  keyIds: string[],
  checks: XksCheck[],
): XksCheckReport {
  const summary: Record<XksCheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const check of checks) summary[check.status]++;
  return {
    uriEndpoint: client.uriEndpoint,
    uriPath: client.uriPath,
    region: options.region,
    accessKeyId: client.accessKeyId,
    keyIds,
    checks,
    summary,
    ok: summary.fail === 0,
  };
}
