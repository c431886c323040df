/**
 * The whole request path, top to bottom:
 * validate → resolve config and credentials → build → sign → send → parse or throw → retry.
 * Each settled attempt is published on the attempt channel (`trace.ts`) when anyone listens.
 */
import type { Dispatcher } from 'undici';
import type { Logger } from '../config/options.js';
import type { ResolvedConfig } from '../config/resolve.js';
import {
  KmsError,
  KmsNetworkError,
  KmsResponseError,
  type KmsServiceException,
  KmsTimeoutError,
  KmsValidationError,
  type ResponseMetadata,
} from '../errors.js';
import type { Operation } from '../operations/operations.js';
import { redactSecrets, type SecretValues } from '../redact.js';
import { sleep, untilAborted } from '../sleep.js';
import { type ClockCorrection, correctClockSkew, signingTime } from './clock.js';
import { excerpt, parseErrorResponse, parseSuccessBody, responseMetadata } from './parse.js';
import { type FailureKind, parseRetryAfter, type RetryPolicy } from './retry.js';
import type { RequestSigner } from './sign.js';
import { attemptStartTime, publishAttemptFailure, publishAttemptSuccess } from './trace.js';
import { exchange, type HttpResponse } from './transport.js';

/** Per-call options. */
export interface CallOptions {
  /**
   * Aborts the whole call at once: credential resolution, the attempt in flight (connecting
   * included) and any wait between attempts. The call rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Deadline for the whole call, in ms: credential resolution, every attempt (proxy, TCP, TLS
   * included) and every wait. Rejects at once with `KmsTimeoutError` phase `call`.
   */
  timeoutMs?: number;
  /** Overrides the client's `requestTimeoutMs` (one whole attempt) for this call. */
  requestTimeoutMs?: number;
  /** Overrides the client's `connectTimeoutMs` (reaching the origin, each attempt) for this call. */
  connectTimeoutMs?: number;
}

/**
 * What the request path needs from the client; one per client. Settings come from the resolved
 * config, which the request path only reads.
 */
export interface RequestContext {
  /** Resolved configuration (memoized by the client). */
  config(): Promise<ResolvedConfig>;
  /** The signer for the resolved region (memoized by the client). */
  signer(): Promise<RequestSigner>;
  /** The dispatcher for the endpoint's origin, for an attempt that may take this long to connect. */
  dispatcher(origin: string, connectTimeoutMs: number): Dispatcher;
  /** The client-wide retry token bucket; attempts per call come from the resolved config. */
  retry: RetryPolicy;
  /** The client's clock correction (shared with its STS calls); corrected on clock-skew errors. */
  clock: ClockCorrection;
  userAgent: string;
  /** Source of time (tests may replace it). */
  now: () => number;
}

/** Result of an operation: its output and the metadata of the exchange. */
export type WithMetadata<Output> = Output & { $metadata: ResponseMetadata };

/** Largest response body read. */
export const maxBodyBytes = 1024 * 1024;
const retriedNetworkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** Runs one operation with retries; resolves with its output or rejects with a typed error. */
export async function send<Input, Output>(
  context: RequestContext,
  operation: Operation<Input, Output>,
  rawInput: unknown,
  options: CallOptions = {},
): Promise<WithMetadata<Output>> {
  // 1. Validate: bad input never reaches the network. The common input passes a quick check;
  // anything else gets the zod schema (loaded on first use) and its issues.
  let input: Input;
  try {
    input = operation.quickInput?.(rawInput) ?? (await validate(operation, rawInput));
  } catch (error) {
    // A getter or a Proxy trap of the caller's input threw while it was read.
    if (error instanceof KmsValidationError) throw error;
    throw unreadableInputError(operation.name, error);
  }
  const body = JSON.stringify(operation.toRequestBody(input));
  const inputSecrets = operation.sensitiveValues?.(input);
  const progress = { attempts: 0, totalRetryDelay: 0 };
  const call = callSignal(options, progress);
  try {
    return await attemptUntilSettled(
      context,
      operation,
      body,
      options,
      call.signal,
      progress,
      inputSecrets,
    );
  } catch (error) {
    // Every call ends in a KmsError or the abort reason; anything else is a bug somewhere below
    // (a credential provider, the signer) and is wrapped so callers need one catch.
    if (error instanceof KmsError || (call.signal?.aborted && error === call.signal.reason)) {
      throw error;
    }
    throw new KmsError(
      `${operation.name} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, $metadata: { ...progress } },
    );
  } finally {
    call.dispose();
  }
}

async function attemptUntilSettled<Input, Output>(
  context: RequestContext,
  operation: Operation<Input, Output>,
  body: string,
  options: CallOptions,
  signal: AbortSignal | undefined,
  progress: { attempts: number; totalRetryDelay: number },
  inputSecrets: readonly string[] | undefined,
): Promise<WithMetadata<Output>> {
  signal?.throwIfAborted();

  // 2. Resolve config (once per client) and the signer for its region. A stuck source (a slow
  // provider, a hung credential_process, a stalled metadata endpoint) ends in the background;
  // the call ends when its signal says.
  const config = await untilAborted(context.config(), signal);
  const signer = await untilAborted(context.signer(), signal);
  const requestTimeoutMs = options.requestTimeoutMs ?? config.requestTimeoutMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? config.connectTimeoutMs;
  const { endpoint } = config;
  // The endpoint's path as given (`https://host/some/prefix`), sent and signed as the SDK does.
  const path = endpoint.pathname || '/';
  const dispatcher = context.dispatcher(endpoint.origin, connectTimeoutMs);

  let retryCost = 0;
  // A request an attempt gave up on while undici still held it (see onOrphaned).
  let orphan: Promise<void> | undefined;
  const onOrphaned = (released: Promise<void>) => {
    orphan = released;
  };
  for (;;) {
    const attempts = ++progress.attempts;
    const { totalRetryDelay } = progress;
    // 3. Build and sign: credentials may have been refreshed, and the clock corrected.
    const credentials = await untilAborted(config.credentials(), signal);
    signal?.throwIfAborted();
    // What a server's answer is cleaned of: the signing secrets, and the input's own secrets.
    const secrets: SecretValues =
      inputSecrets === undefined ? credentials : { ...credentials, inputSecrets };
    const headers = await signer.sign(
      {
        hostname: endpoint.hostname,
        port: endpoint.port ? Number(endpoint.port) : undefined,
        path,
        headers: {
          host: endpoint.host,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `TrentService.${operation.name}`,
        },
        body,
      },
      credentials,
      signingTime(context.clock, context.now()),
    );
    headers['user-agent'] = context.userAgent;

    // 4. Send, within the attempt's time limits (the transport's timer, no AbortController:
    // one per attempt cost more than signing): connected within connectTimeoutMs, done within
    // requestTimeoutMs.
    const attemptStartedAt = attemptStartTime();
    let failure: { error: KmsError; kind: FailureKind; retryAfterMs?: number };
    config.logger?.debug?.(
      `kms ${operation.name} attempt ${attempts}/${config.maxAttempts} -> ${endpoint.host}`,
      { attempt: attempts, maxAttempts: config.maxAttempts, host: endpoint.host },
    );
    try {
      const response = await exchange(
        dispatcher,
        { origin: endpoint.origin, path, headers, body },
        {
          signal,
          timeoutMs: requestTimeoutMs,
          timeoutError: attemptTimeout,
          connectTimeoutMs,
          connectTimeoutError: attemptConnectTimeout,
          maxBodyBytes,
          onOrphaned,
        },
      );
      const $metadata = responseMetadata(response, attempts, totalRetryDelay);
      config.logger?.debug?.(`kms ${operation.name} -> HTTP ${response.status}`, {
        requestId: $metadata.requestId,
        attempt: attempts,
      });
      // 5. Parse, or build the typed error.
      if (response.status >= 200 && response.status < 300) {
        const output = await parseOutput(operation, response, $metadata, secrets);
        context.retry.recordSuccess(retryCost);
        publishAttemptSuccess(operation.name, attemptStartedAt, $metadata);
        return Object.assign(output as object, { $metadata }) as WithMetadata<Output>;
      }
      const error = parseErrorResponse(response, $metadata, secrets);
      failure = {
        error,
        kind: classifyServiceError(error, response, context, config.logger),
        retryAfterMs: parseRetryAfter(response.headers['retry-after'], context.now()),
      };
    } catch (thrown) {
      if (signal?.aborted) {
        publishAttemptFailure(operation.name, attempts, attemptStartedAt, signal.reason, undefined);
        throw signal.reason;
      }
      failure = classifyThrown(thrown, requestTimeoutMs, connectTimeoutMs, {
        attempts,
        totalRetryDelay,
      });
    }

    // 6. Retry, or throw with the exact attempt count.
    const decision = context.retry.decide(
      failure.kind,
      attempts,
      config.maxAttempts,
      failure.retryAfterMs,
    );
    const retryDelayMs = decision.retry ? decision.delayMs : undefined;
    publishAttemptFailure(operation.name, attempts, attemptStartedAt, failure.error, retryDelayMs);
    if (!decision.retry) {
      failure.error.$metadata = { ...failure.error.$metadata, attempts, totalRetryDelay };
      throw failure.error;
    }
    retryCost += decision.cost;
    config.logger?.warn?.(
      `kms ${operation.name}: ${failure.error.name} on attempt ${attempts}/${config.maxAttempts}, retrying in ${decision.delayMs} ms`,
      { requestId: failure.error.$metadata.requestId },
    );
    // The next attempt waits until undici lets go of the last one (else under load each retry
    // adds a request to undici's queue, and each costs a connection when undici aborts it),
    // but no longer than a connect limit: a connection stuck opening is given up on later.
    if (orphan) {
      await untilAborted(releasedWithin(orphan, connectTimeoutMs), signal);
      orphan = undefined;
    }
    if (decision.delayMs > 0) await sleep(decision.delayMs, signal);
    progress.totalRetryDelay += decision.delayMs;
  }
}

/**
 * The error for an input that throws when read (a getter, a `Proxy` trap): a
 * {@link KmsValidationError} with one issue at the input's root, the thrown error as its cause.
 */
export function unreadableInputError(operationName: string, cause: unknown): KmsValidationError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new KmsValidationError(
    operationName,
    [{ code: 'custom', path: [], message: `cannot be read (${reason.slice(0, 200)})` }],
    { cause },
  );
}

async function validate<Input, Output>(
  operation: Operation<Input, Output>,
  rawInput: unknown,
): Promise<Input> {
  const parsed = await operation.validateInput(rawInput);
  if (!parsed.success) throw new KmsValidationError(operation.name, parsed.issues);
  return parsed.data;
}

async function parseOutput<Input, Output>(
  operation: Operation<Input, Output>,
  response: HttpResponse,
  $metadata: ResponseMetadata,
  secrets: SecretValues,
): Promise<Output> {
  const body = parseSuccessBody(response, $metadata, secrets);
  try {
    return await operation.parseOutput(body);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new KmsResponseError({
      message: `${operation.name} response cannot be used: ${redactSecrets(reason, secrets)}`,
      bodyExcerpt: excerpt(response.body, secrets),
      cause,
      $metadata,
    });
  }
}

/** Decides how a KMS error is retried; corrects the clock on a skewed signature error. */
function classifyServiceError(
  error: KmsServiceException,
  response: HttpResponse,
  context: RequestContext,
  logger: Logger | undefined,
): FailureKind {
  const skewMs = correctClockSkew(context.clock, error.name, response.headers.date, context.now());
  if (skewMs !== undefined) {
    logger?.warn?.(
      `kms: local clock is ${Math.round(skewMs / 1000)} s off the server's; signing with a corrected clock`,
    );
    return 'clock-skew';
  }
  if (!error.$retryable) return 'fatal';
  return error.$retryable.throttling ? 'throttling' : 'transient';
}

/** Maps what the transport threw (a timeout, a network error) to a typed error. */
function classifyThrown(
  thrown: unknown,
  requestTimeoutMs: number,
  connectTimeoutMs: number,
  counters: { attempts: number; totalRetryDelay: number },
): { error: KmsError; kind: FailureKind } {
  const $metadata: ResponseMetadata = { ...counters };
  if (thrown instanceof KmsError) return { error: thrown, kind: 'fatal' };
  if (thrown instanceof AttemptTimeout) {
    return {
      error: new KmsTimeoutError({ phase: 'request', timeoutMs: requestTimeoutMs, $metadata }),
      kind: 'transient-network',
    };
  }
  const code = errorCode(thrown);
  if (thrown instanceof AttemptConnectTimeout || code === 'UND_ERR_CONNECT_TIMEOUT') {
    // The limit the caller set (undici's own error may report 0 or its internal value).
    return {
      error: new KmsTimeoutError({
        phase: 'connect',
        timeoutMs: connectTimeoutMs,
        ...(thrown instanceof AttemptConnectTimeout ? {} : { cause: thrown }),
        $metadata,
      }),
      kind: 'transient-network',
    };
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return {
    error: new KmsNetworkError({
      message: `Network error${code ? ` (${code})` : ''}: ${message}`,
      code,
      cause: thrown,
      $metadata,
    }),
    kind: code !== undefined && retriedNetworkCodes.has(code) ? 'transient-network' : 'fatal',
  };
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') {
      // undici wraps system errors; prefer the system code underneath a generic socket error.
      const inner = errorCode((current as { cause?: unknown }).cause);
      return code === 'UND_ERR_SOCKET' && inner ? inner : code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Resolves when `released` does, or after `ms`, whichever comes first. */
function releasedWithin(released: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    released.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Marks an attempt ended by its own timer (as opposed to the caller's signal). */
class AttemptTimeout extends Error {}

const attemptTimeout = () => new AttemptTimeout();

/** Marks an attempt that got no connection within its connect limit. */
class AttemptConnectTimeout extends Error {}

const attemptConnectTimeout = () => new AttemptConnectTimeout();

/** The caller's signal, combined with the call deadline when one is set. */
function callSignal(
  options: CallOptions,
  progress: { attempts: number; totalRetryDelay: number },
): { signal: AbortSignal | undefined; dispose: () => void } {
  const { timeoutMs, signal } = options;
  if (timeoutMs === undefined) return { signal, dispose: () => {} };
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(new KmsTimeoutError({ phase: 'call', timeoutMs, $metadata: { ...progress } })),
    timeoutMs,
  );
  return {
    signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
    dispose: () => clearTimeout(timer),
  };
}
