/**
 * Turns an HTTP response into a result or a typed error, as the AWS JSON 1.1 protocol defines:
 * the error code comes from `X-Amzn-Errortype`, then body `code`, then body `__type`.
 * Every string taken from the response into an error goes through `redactSecrets` with the
 * credentials of the attempt: a server may echo the canonical request, session token included.
 */
import {
  createServiceException,
  KmsResponseError,
  type KmsServiceException,
  type ResponseMetadata,
} from '../errors.js';
import { redactSecrets, type SecretValues } from '../redact.js';
import type { HttpResponse } from './transport.js';

/** Longest excerpt of an unexpected body kept on an error. */
const excerptLength = 200;

/** Error codes that mean "slow down"; retried with the throttling backoff. */
const throttlingCodes: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** Error codes that are transient whatever their status. */
const transientCodes: ReadonlySet<string> = new Set([
  'KMSInternalException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
]);

/** HTTP statuses that are transient whatever the body says. */
const transientStatuses: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/** Metadata of a response, given the attempt counters. */
export function responseMetadata(
  response: HttpResponse,
  attempts: number,
  totalRetryDelay: number,
): ResponseMetadata {
  return {
    httpStatusCode: response.status,
    requestId: response.headers['x-amzn-requestid'] ?? response.headers['x-amz-request-id'],
    attempts,
    totalRetryDelay,
  };
}

/**
 * Keeps what is before the first `,` (repeated headers arrive joined with `, `; smithy takes the
 * first), then before the first `:` and after the last `#`.
 */
export function sanitizeErrorCode(raw: string): string {
  let code = raw;
  const comma = code.indexOf(',');
  if (comma >= 0) code = code.slice(0, comma);
  const colon = code.indexOf(':');
  if (colon >= 0) code = code.slice(0, colon);
  const hash = code.lastIndexOf('#');
  if (hash >= 0) code = code.slice(hash + 1);
  return code.trim();
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The start of a body for an error: whitespace collapsed, secrets redacted (before cutting, so
 * that no partial secret is left at the end), at most 200 characters.
 */
export function excerpt(text: string, secrets: SecretValues | undefined): string {
  const collapsed = redactSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  return collapsed.length > excerptLength ? `${collapsed.slice(0, excerptLength)}…` : collapsed;
}

/**
 * Builds the typed exception for an error response (status 300 or more).
 *
 * @param secrets - the credentials the request was signed with, redacted from what is kept.
 */
export function parseErrorResponse(
  response: HttpResponse,
  metadata: ResponseMetadata,
  secrets?: SecretValues,
): KmsServiceException {
  const body = parseJsonObject(response.body);
  const header = response.headers['x-amzn-errortype'];
  const rawCode =
    (header && header.trim() !== '' ? header : undefined) ??
    (typeof body?.code === 'string' ? body.code : undefined) ??
    (typeof body?.__type === 'string' ? body.__type : undefined);
  const code = rawCode ? redactSecrets(sanitizeErrorCode(rawCode), secrets) : '';
  const $fault = response.status >= 500 ? 'server' : 'client';
  const serverMessage =
    (typeof body?.message === 'string' ? body.message : undefined) ??
    (typeof body?.Message === 'string' ? body.Message : undefined);
  const message = serverMessage === undefined ? undefined : redactSecrets(serverMessage, secrets);
  const $metadata =
    metadata.requestId === undefined
      ? metadata
      : { ...metadata, requestId: redactSecrets(metadata.requestId, secrets) };
  const bodyExcerpt =
    body === undefined && response.body !== '' ? excerpt(response.body, secrets) : undefined;
  const name = code !== '' ? code : fallbackName(response.status);
  const described =
    message ??
    (code !== ''
      ? `${code} (HTTP ${response.status})`
      : `HTTP ${response.status} with ${describeBody(response, secrets)}` +
        ($metadata.requestId ? `, request ID ${$metadata.requestId}` : ''));
  const throttling = throttlingCodes.has(name) || response.status === 429;
  const transient = transientCodes.has(name) || transientStatuses.has(response.status);
  return createServiceException({
    name,
    message: described,
    $fault,
    $metadata,
    $retryable: throttling || transient ? { throttling } : undefined,
    bodyExcerpt,
  });
}

function fallbackName(status: number): string {
  if (status === 429) return 'TooManyRequestsException';
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'InternalFailure';
  return 'UnknownError';
}

function describeBody(response: HttpResponse, secrets: SecretValues | undefined): string {
  if (response.body.trim() === '') return 'an empty body';
  const type = redactSecrets(response.headers['content-type'] ?? 'unknown content type', secrets);
  return `an unexpected body (${type.split(';')[0]}): ${excerpt(response.body, secrets)}`;
}

/**
 * Parses a successful response body; an empty body is `{}`. Throws {@link KmsResponseError}.
 *
 * @param secrets - the credentials the request was signed with, redacted from the excerpt.
 */
export function parseSuccessBody(
  response: HttpResponse,
  $metadata: ResponseMetadata,
  secrets?: SecretValues,
): Record<string, unknown> {
  if (response.bodyTruncated) {
    throw new KmsResponseError({
      message: 'Response body is larger than the 1 MiB limit',
      bodyExcerpt: excerpt(response.body, secrets),
      $metadata,
    });
  }
  if (response.body.trim() === '') return {};
  const body = parseJsonObject(response.body);
  if (body === undefined) {
    throw new KmsResponseError({
      message: `Response body is not a JSON object (HTTP ${response.status})`,
      bodyExcerpt: excerpt(response.body, secrets),
      $metadata,
    });
  }
  return body;
}
