/**
 * An AWS Signature Version 4 verifier written with node:crypto only. It shares no code with the
 * client's signer (`@smithy/signature-v4`), so a signing bug in one cannot confirm itself in the
 * other. The pure functions (canonical request, string to sign, signing key, signature) are
 * exported so that the official test suite can check each step on its own.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The only algorithm SigV4 header authentication uses. */
export const sigV4Algorithm = 'AWS4-HMAC-SHA256';

/** SHA-256 of a string (UTF-8) or bytes, as lower-case hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Characters SigV4 leaves as they are; every other byte is percent-encoded. */
function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/** URI-encodes a string byte by byte (UTF-8) the way SigV4 does: upper-case hex, `~` kept. */
export function uriEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += isUnreserved(byte)
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The canonical URI of a path (without its query): dot segments resolved, empty segments dropped,
 * each segment URI-encoded. The path is encoded as received, so a percent-encoded path from the
 * wire is encoded a second time, as every service but S3 expects.
 */
export function canonicalUri(path: string): string {
  if (path === '' || path === '/') return '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailingSlash = path.endsWith('/') && segments.length > 0;
  return `/${segments.map(uriEncode).join('/')}${trailingSlash ? '/' : ''}`;
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape is signed as it was sent rather than rejected here.
    return value;
  }
}

/** The canonical query string: each name and value decoded, re-encoded, then sorted. */
export function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs: [string, string][] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = equals < 0 ? part : part.slice(0, equals);
    const value = equals < 0 ? '' : part.slice(equals + 1);
    pairs.push([uriEncode(decodeComponent(name)), uriEncode(decodeComponent(value))]);
  }
  pairs.sort(([nameA, valueA], [nameB, valueB]) =>
    nameA < nameB ? -1 : nameA > nameB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
  );
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** Trims a header value and collapses runs of spaces to one, as SigV4 requires. */
export function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** Header pairs as received: the same name may appear more than once. */
export type HeaderPairs = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * The canonical headers block for the signed header names (lower case, sorted): one
 * `name:value\n` line per header, repeated headers joined with `,` in the order received.
 */
export function canonicalHeaders(headers: HeaderPairs, signedHeaders: readonly string[]): string {
  const values = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const list = values.get(key);
    if (list) list.push(canonicalHeaderValue(value));
    else values.set(key, [canonicalHeaderValue(value)]);
  }
  let block = '';
  for (const name of signedHeaders) block += `${name}:${(values.get(name) ?? []).join(',')}\n`;
  return block;
}

/** What a canonical request is built from. */
export interface CanonicalRequestParts {
  /** HTTP method, upper case. */
  method: string;
  /** The request target as sent: path and, after `?`, the query. */
  target: string;
  /** Header pairs as received. */
  headers: HeaderPairs;
  /** Signed header names, lower case, in the order of the Authorization header. */
  signedHeaders: readonly string[];
  /** Hex SHA-256 of the body. */
  payloadHash: string;
}

/** Task 1 of SigV4: the canonical request. */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  const question = parts.target.indexOf('?');
  const path = question < 0 ? parts.target : parts.target.slice(0, question);
  const query = question < 0 ? '' : parts.target.slice(question + 1);
  return [
    parts.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    canonicalHeaders(parts.headers, parts.signedHeaders),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

/** The credential scope `YYYYMMDD/region/service/aws4_request`. */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

/** Task 2 of SigV4: the string to sign. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${sigV4Algorithm}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** Task 3 of SigV4: the signing key for a secret, date (YYYYMMDD), region and service. */
export function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  const dateKey = hmac(`AWS4${secretAccessKey}`, date);
  const regionKey = hmac(dateKey, region);
  const serviceKey = hmac(regionKey, service);
  return hmac(serviceKey, 'aws4_request');
}

/** The hex signature of a string to sign. */
export function computeSignature(signingKey: Uint8Array, toSign: string): string {
  return hmac(signingKey, toSign).toString('hex');
}

/** The Authorization header value. */
export function authorizationHeader(
  accessKeyId: string,
  scope: string,
  signedHeaders: readonly string[],
  signature: string,
): string {
  return `${sigV4Algorithm} Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
}

/** The parts of an Authorization header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

/** A failed authentication, as KMS reports it. */
export interface AuthFailure {
  /** The KMS error code. */
  type:
    | 'MissingAuthenticationTokenException'
    | 'IncompleteSignatureException'
    | 'InvalidSignatureException'
    | 'UnrecognizedClientException'
    | 'ExpiredTokenException';
  message: string;
}

/** Parses an Authorization header, or says what KMS would say about it. */
export function parseAuthorization(header: string): ParsedAuthorization | AuthFailure {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== sigV4Algorithm) {
    return {
      type: 'IncompleteSignatureException',
      message: `Unsupported AWS 'algorithm': '${algorithm}'. Authorization=${header}`,
    };
  }
  const fields = new Map<string, string>();
  for (const raw of header.slice(space + 1).split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const equals = item.indexOf('=');
    if (equals < 0) {
      return {
        type: 'IncompleteSignatureException',
        message: `'${item}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`,
      };
    }
    fields.set(item.slice(0, equals), item.slice(equals + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders']
    .filter((name) => !fields.get(name))
    .map((name) => `Authorization header requires '${name}' parameter.`);
  if (missing.length > 0) {
    return {
      type: 'IncompleteSignatureException',
      message: `${missing.join(' ')} Authorization=${header}`,
    };
  }
  const credential = fields.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((part) => part === '')) {
    return {
      type: 'IncompleteSignatureException',
      message: `Credential '${fields.get('Credential')}' is malformed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
    };
  }
  const [accessKeyId, date, region, service, terminator] = credential as [
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    accessKeyId,
    date,
    region,
    service,
    terminator,
    signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!,
  };
}

/** Credentials the verifier accepts. */
export interface VerifierCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it in `X-Amz-Security-Token`. */
  sessionToken?: string;
  /** When set, requests after this instant get ExpiredTokenException. */
  expiration?: Date;
}

/** A request as the server received it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  /** Header pairs as received (node's `rawHeaders`, paired). */
  headers: HeaderPairs;
  /** The body bytes. */
  body: string | Uint8Array;
}

/** Options of {@link SigV4Verifier}. */
export interface VerifierOptions {
  /** The region the credential scope must name, or the regions it may name (a multi-region emulator). */
  region: string | readonly string[];
  /** The service the credential scope must name (`kms`). */
  service: string;
  credentials: readonly VerifierCredentials[];
  /**
   * Largest difference between the request date and the server clock; default 5 minutes, KMS's
   * window (`Signature expired: … (… - 5 min.)`).
   */
  maxSkewMs?: number;
}

/** A successful verification. */
export interface Verified {
  accessKeyId: string;
  /** The region of the credential scope: the emulator serves that region's key stores. */
  region: string;
  /** The request date from `X-Amz-Date`. */
  requestDate: Date;
}

/** KMS refuses a request signed more than 5 minutes before or after its clock. */
const fiveMinutes = 5 * 60 * 1000;
const amzDatePattern = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Formats an instant as SigV4's basic ISO-8601 `YYYYMMDDTHHMMSSZ`. */
export function formatAmzDate(time: number): string {
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Parses `YYYYMMDDTHHMMSSZ`; undefined when it is not that. */
export function parseAmzDate(value: string): Date | undefined {
  const match = amzDatePattern.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const time = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const date = new Date(time);
  // Reject 20150230 and the like rather than letting Date roll them over.
  return formatAmzDate(time) === value ? date : undefined;
}

/**
 * Verifies SigV4 header authentication the way KMS does, in this order: the Authorization header
 * and its fields, the signed `host` and `x-amz-date`, the credential scope, the access key and
 * session token, the signature, then KMS's 5-minute clock window. Signing keys are cached per
 * access key, date, region and service.
 */
export class SigV4Verifier {
  readonly #options: Required<VerifierOptions>;
  readonly #regions: ReadonlySet<string>;
  readonly #credentials: Map<string, VerifierCredentials>;
  readonly #signingKeys = new Map<string, Buffer>();

  /** @param options - region, service and the accepted credentials. */
  constructor(options: VerifierOptions) {
    this.#options = { maxSkewMs: fiveMinutes, ...options };
    this.#regions = new Set(typeof options.region === 'string' ? [options.region] : options.region);
    this.#credentials = new Map(options.credentials.map((entry) => [entry.accessKeyId, entry]));
  }

  /**
   * Verifies one request against the server clock `now` (ms since the epoch).
   * @returns the access key on success, else the error KMS would return.
   */
  verify(request: ReceivedRequest, now: number): Verified | AuthFailure {
    const header = headerValue(request.headers, 'authorization')?.trim();
    if (header === undefined || header === '') {
      return {
        type: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
      };
    }
    const auth = parseAuthorization(header);
    if ('type' in auth) return auth;

    const amzDate = headerValue(request.headers, 'x-amz-date');
    if (amzDate === undefined) {
      return {
        type: 'IncompleteSignatureException',
        message: `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${header}`,
      };
    }
    const requestDate = parseAmzDate(amzDate.trim());
    if (!requestDate) {
      return {
        type: 'IncompleteSignatureException',
        message: `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      };
    }
    if (!auth.signedHeaders.includes('host')) {
      return {
        type: 'IncompleteSignatureException',
        message: `'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`,
      };
    }
    if (!auth.signedHeaders.includes('x-amz-date')) {
      return {
        type: 'IncompleteSignatureException',
        message: `'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.`,
      };
    }
    const failure = this.#checkScope(auth, amzDate.trim());
    if (failure) return failure;

    const credentials = this.#credentials.get(auth.accessKeyId);
    if (!credentials) {
      return {
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    }
    if (credentials.sessionToken !== undefined) {
      const token = headerValue(request.headers, 'x-amz-security-token');
      if (token === undefined || !constantTimeEqual(token, credentials.sessionToken)) {
        return {
          type: 'UnrecognizedClientException',
          message: 'The security token included in the request is invalid.',
        };
      }
    }

    const canonical = canonicalRequest({
      method: request.method,
      target: request.target,
      headers: request.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: sha256Hex(request.body),
    });
    const scope = credentialScope(auth.date, auth.region, auth.service);
    const toSign = stringToSign(amzDate.trim(), scope, canonical);
    const key = this.#signingKey(credentials, auth.date, auth.region, auth.service);
    if (!constantTimeEqual(computeSignature(key, toSign), auth.signature)) {
      return {
        type: 'InvalidSignatureException',
        message: `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${toSign}'\n`,
      };
    }

    const skew = requestDate.getTime() - now;
    if (Math.abs(skew) > this.#options.maxSkewMs) {
      const window = Math.round(this.#options.maxSkewMs / 60_000);
      return {
        type: 'InvalidSignatureException',
        message:
          skew < 0
            ? `Signature expired: ${amzDate.trim()} is now earlier than ${formatAmzDate(now - this.#options.maxSkewMs)} (${formatAmzDate(now)} - ${window} min.)`
            : `Signature not yet current: ${amzDate.trim()} is still later than ${formatAmzDate(now + this.#options.maxSkewMs)} (${formatAmzDate(now)} + ${window} min.)`,
      };
    }
    if (credentials.expiration !== undefined && now >= credentials.expiration.getTime()) {
      return {
        type: 'ExpiredTokenException',
        message: 'The security token included in the request is expired',
      };
    }
    return { accessKeyId: credentials.accessKeyId, region: auth.region, requestDate };
  }

  #checkScope(auth: ParsedAuthorization, amzDate: string): AuthFailure | undefined {
    if (auth.date !== amzDate.slice(0, 8)) {
      return {
        type: 'InvalidSignatureException',
        message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      };
    }
    if (!this.#regions.has(auth.region)) {
      return {
        type: 'InvalidSignatureException',
        message: `Credential should be scoped to a valid region, not '${auth.region}'. `,
      };
    }
    if (auth.service !== this.#options.service) {
      return {
        type: 'InvalidSignatureException',
        message: `Credential should be scoped to correct service: '${this.#options.service}'. `,
      };
    }
    if (auth.terminator !== 'aws4_request') {
      return {
        type: 'InvalidSignatureException',
        message: `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'. `,
      };
    }
    return undefined;
  }

  #signingKey(
    credentials: VerifierCredentials,
    date: string,
    region: string,
    service: string,
  ): Buffer {
    const cacheKey = `${credentials.accessKeyId}\n${date}\n${region}\n${service}`;
    let key = this.#signingKeys.get(cacheKey);
    if (!key) {
      // Old dates are of no further use; a small bound keeps the cache from growing.
      if (this.#signingKeys.size >= 64) this.#signingKeys.clear();
      key = deriveSigningKey(credentials.secretAccessKey, date, region, service);
      this.#signingKeys.set(cacheKey, key);
    }
    return key;
  }
}

/** All values of a header, joined by `,`; undefined when absent. */
export function headerValue(headers: HeaderPairs, name: string): string | undefined {
  let found: string | undefined;
  for (const [key, value] of headers) {
    if (key.length === name.length && key.toLowerCase() === name) {
      found = found === undefined ? value : `${found},${value}`;
    }
  }
  return found;
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
