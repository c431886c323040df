/**
 * Tracing through `node:diagnostics_channel`, for APM tools (OpenTelemetry, Datadog, Sentry) to
 * subscribe to with no code in the application:
 * - the TracingChannel `kms-custom-key-store:call` around every public call;
 * - the channel `kms-custom-key-store:attempt`, one message per HTTP attempt once it settled.
 *
 * Nothing is built while nobody subscribes. Messages are plain objects made here from the
 * operation name, the resolved region and endpoint origin, the input's store ID, the result or
 * typed error, and response metadata: never the request, its headers, credentials or signature.
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { ResponseMetadata } from '../errors.js';

/**
 * Name of the TracingChannel around each public call. Its events are published on
 * `tracing:kms-custom-key-store:call:start` (`:end`, `:asyncStart`, `:asyncEnd`, `:error`), each
 * with the call's {@link KmsCallTraceContext}.
 */
export const callChannelName = 'kms-custom-key-store:call';

/** Name of the channel with one {@link KmsAttemptTraceMessage} per HTTP attempt. */
export const attemptChannelName = 'kms-custom-key-store:attempt';

/**
 * The context object of the `kms-custom-key-store:call` TracingChannel: one per call, the same
 * object in every event of that call (subscribers may keep their own state on it).
 */
export interface KmsCallTraceContext {
  /** The KMS operation, e.g. `DisconnectCustomKeyStore`. */
  readonly operation: string;
  /**
   * The region of the resolved configuration. Undefined only when the configuration could not
   * be resolved; the call then fails with that `KmsConfigError`.
   */
  readonly region: string | undefined;
  /** The endpoint's origin (`https://kms.eu-west-1.amazonaws.com`): no path, no user info. Undefined as `region`. */
  readonly endpoint: string | undefined;
  /** The store ID of the input, when it has one (Disconnect, Connect, a Describe by ID). */
  readonly customKeyStoreId?: string;
  /** Set before `asyncStart` when the call resolves: its output, with `$metadata`. */
  result?: { readonly $metadata: ResponseMetadata };
  /**
   * Set before `error` when the call rejects: the typed error (a `KmsError` with its `$metadata`),
   * or the signal's reason for an aborted call.
   */
  error?: unknown;
}

/** The message of the `kms-custom-key-store:attempt` channel, published once an HTTP attempt settled. */
export interface KmsAttemptTraceMessage {
  /** The KMS operation, e.g. `DisconnectCustomKeyStore`. */
  readonly operation: string;
  /** Which attempt of the call this was, from 1. */
  readonly attempt: number;
  /** The HTTP status, when a response was received. */
  readonly httpStatusCode?: number;
  /**
   * When the attempt failed: the KMS error code (`ThrottlingException`), or the error's name
   * (`TimeoutError`, `KmsNetworkError`, `KmsResponseError`, `AbortError`).
   */
  readonly errorName?: string;
  /** The response's `x-amzn-requestid`, when a response was received. */
  readonly requestId?: string;
  /** From sending the signed request to the attempt's end (response read, or failure), in ms. */
  readonly durationMs: number;
  /** The backoff before the next attempt, when the call is retried after this one. */
  readonly retryDelayMs?: number;
}

const callChannel = tracingChannel<unknown, KmsCallTraceContext>(callChannelName);
const attemptChannel = channel(attemptChannelName);

/**
 * Whether anyone listens to any event of the call channel. Asked of each event's channel rather
 * than of the TracingChannel, whose own `hasSubscribers` is not in every runtime.
 */
export function isCallTraced(): boolean {
  const { start, end, asyncStart, asyncEnd, error } = callChannel;
  return (
    start.hasSubscribers ||
    end.hasSubscribers ||
    asyncStart.hasSubscribers ||
    asyncEnd.hasSubscribers ||
    error.hasSubscribers
  );
}

/** Where a call goes, from the resolved configuration. */
export interface CallTarget {
  /** The region requests are signed for. */
  region: string;
  /** The endpoint; only its origin is published. */
  endpoint: URL;
}

/** Runs `call` inside the call TracingChannel (`start` … `asyncEnd`, or `error`). */
export function traceCall<Output extends { $metadata: ResponseMetadata }>(
  operation: string,
  input: unknown,
  target: CallTarget | undefined,
  call: () => Promise<Output>,
): Promise<Output> {
  const id = (input as { customKeyStoreId?: unknown } | null | undefined)?.customKeyStoreId;
  const context: KmsCallTraceContext = {
    operation,
    region: target?.region,
    endpoint: target?.endpoint.origin,
    ...(typeof id === 'string' ? { customKeyStoreId: id } : {}),
  };
  return callChannel.tracePromise(call, context);
}

/** The start time of an HTTP attempt, taken only when someone listens to the attempt channel. */
export function attemptStartTime(): number | undefined {
  return attemptChannel.hasSubscribers ? performance.now() : undefined;
}

/** Publishes an attempt that got a 2xx response and produced the call's result. */
export function publishAttemptSuccess(
  operation: string,
  startedAt: number | undefined,
  $metadata: ResponseMetadata,
): void {
  if (startedAt === undefined || !attemptChannel.hasSubscribers) return;
  publish(operation, $metadata.attempts, startedAt, $metadata, undefined, undefined);
}

/**
 * Publishes a failed attempt: `error` is the typed error (its `$metadata` has the status and
 * request ID when a response came), or the abort reason.
 */
export function publishAttemptFailure(
  operation: string,
  attempt: number,
  startedAt: number | undefined,
  error: unknown,
  retryDelayMs: number | undefined,
): void {
  if (startedAt === undefined || !attemptChannel.hasSubscribers) return;
  const $metadata = (error as { $metadata?: ResponseMetadata } | null | undefined)?.$metadata;
  const name = (error as { name?: unknown } | null | undefined)?.name;
  publish(
    operation,
    attempt,
    startedAt,
    $metadata,
    typeof name === 'string' ? name : 'Error',
    retryDelayMs,
  );
}

function publish(
  operation: string,
  attempt: number,
  startedAt: number,
  $metadata: ResponseMetadata | undefined,
  errorName: string | undefined,
  retryDelayMs: number | undefined,
): void {
  const message: { -readonly [K in keyof KmsAttemptTraceMessage]: KmsAttemptTraceMessage[K] } = {
    operation,
    attempt,
    durationMs: performance.now() - startedAt,
  };
  if ($metadata?.httpStatusCode !== undefined) message.httpStatusCode = $metadata.httpStatusCode;
  if (errorName !== undefined) message.errorName = errorName;
  if ($metadata?.requestId !== undefined) message.requestId = $metadata.requestId;
  if (retryDelayMs !== undefined) message.retryDelayMs = retryDelayMs;
  attemptChannel.publish(message);
}
