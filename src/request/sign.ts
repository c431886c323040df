/**
 * SigV4 signing of KMS requests (`POST` with a JSON body, to `/` or the endpoint's path), byte for
 * byte what
 * `@smithy/signature-v4` produces.
 *
 * On Node the hashes come straight from node:crypto, and the signing key is derived once per
 * credentials and day: signing was most of the client's own time per call with
 * `@smithy/signature-v4` and the pure-JS `@aws-crypto/sha256-js` (six hashes a call, some
 * awaited twice), and importing them cost more than a whole call. Where node:crypto is missing,
 * or when asked for (`hash: 'portable'`), `@smithy/signature-v4` with `@aws-crypto/sha256-js`
 * signs; both are loaded on first use only, by names an app's bundler does not follow.
 */
import type { Credentials } from '../credentials/credentials.js';
import { KmsConfigError } from '../errors.js';

/** What is signed: the method is always `POST`, with no query string. */
export interface RequestToSign {
  hostname: string;
  port?: number;
  /**
   * The request path as sent (percent-encoded, as `URL.pathname` gives it): `/`, or the path of
   * an endpoint such as `https://host/some/prefix`. Default `/`.
   */
  path?: string;
  headers: Record<string, string>;
  body: string;
}

/** Signs KMS requests for one region. */
export interface RequestSigner {
  /**
   * Returns the headers with `authorization`, `x-amz-date` and, for session credentials,
   * `x-amz-security-token` added.
   */
  sign(
    request: RequestToSign,
    credentials: Credentials,
    signingDate: Date,
  ): Promise<Record<string, string>>;
}

/**
 * Which SHA-256 signs: `node` (node:crypto, the default where it exists) or `portable`
 * (`@aws-crypto/sha256-js` through `@smithy/signature-v4`, for runtimes without node:crypto).
 */
export type SigningHash = 'node' | 'portable';

/** Options of {@link createRequestSigner}. */
export interface RequestSignerOptions {
  /** Default: `node` where node:crypto exists, else `portable`. */
  hash?: SigningHash;
  /** The signing name; `kms` unless a test signs for another service. */
  service?: string;
}

type NodeCrypto = typeof import('node:crypto');

/** Creates the signer for a region. */
export function createRequestSigner(
  region: string,
  options: RequestSignerOptions = {},
): RequestSigner {
  const service = options.service ?? 'kms';
  const crypto = options.hash === 'portable' ? undefined : loadNodeCrypto();
  if (crypto) return nodeSigner(region, service, crypto);
  if (options.hash === 'node') throw new Error('node:crypto is not available in this runtime');
  return portableSigner(region, service);
}

function loadNodeCrypto(): NodeCrypto | undefined {
  try {
    return globalThis.process?.getBuiltinModule?.('node:crypto');
  } catch {
    return undefined;
  }
}

// What @smithy/signature-v4 leaves out of the signature, and removes before signing.
const unsignableHeaders = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
const generatedHeaders = new Set(['authorization', 'x-amz-date', 'date']);
const emptyBodyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** A header value that the canonical form would change (line breaks, tabs, runs of spaces). */
const needsTrimming = /[\r\n\t]| {2}|^ | $/;

function assertResolved(credentials: Credentials): void {
  if (
    typeof credentials !== 'object' ||
    credentials === null ||
    typeof credentials.accessKeyId !== 'string' ||
    typeof credentials.secretAccessKey !== 'string'
  ) {
    throw new Error('Resolved credential object is not valid');
  }
}

/**
 * The canonical URI of a path, as smithy computes it with `uriEscapePath`: empty and dot segments
 * dropped, then the (already percent-encoded) path URI-encoded once more, `/` kept, as SigV4
 * wants for every service but S3.
 */
export function canonicalPath(path: string): string {
  if (path === '/' || path === '') return '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return encodeURIComponent(normalized)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

const twoDigits = (value: number) => (value < 10 ? `0${value}` : String(value));

/**
 * `20150830T123600Z`, as smithy formats it. From the UTC fields rather than `toISOString()`,
 * whose first call in a process costs about 0.2 ms (a tenth of a whole call's signing, paid by
 * every cold start); years outside 1000–9999 and invalid dates take the old path.
 */
function amzDate(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) {
    return date
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
  }
  return `${year}${twoDigits(date.getUTCMonth() + 1)}${twoDigits(date.getUTCDate())}T${twoDigits(date.getUTCHours())}${twoDigits(date.getUTCMinutes())}${twoDigits(date.getUTCSeconds())}Z`;
}

/** Collapses whitespace in a header value as the canonical form wants it. */
function canonicalValue(value: string): string {
  return needsTrimming.test(value)
    ? value
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, '')
    : value;
}

/**
 * What signing a given set of request headers needs, worked out once: KMS requests of an
 * operation carry the same headers every time, so only the date and the token vary.
 */
interface HeaderPlan {
  /** The request headers (names and values, in order) this plan is for. */
  readonly names: readonly string[];
  readonly values: readonly string[];
  readonly withToken: boolean;
  /** Request headers that go into the signed request (generated ones are replaced). */
  readonly copied: readonly string[];
  /** A precomputed payload hash given as `x-amz-content-sha256`. */
  readonly payloadHash: string | undefined;
  /**
   * The canonical headers around the date and token values: `parts[0]` date `parts[1]`, or
   * `parts[0]` date `parts[1]` token `parts[2]`.
   */
  readonly parts: readonly string[];
  readonly signedHeaders: string;
}

/** Marks the header values that change on every call (the date, the token). */
const perCall: unique symbol = Symbol('per call');

function planMatches(plan: HeaderPlan, headers: Record<string, string>, withToken: boolean) {
  if (plan.withToken !== withToken) return false;
  let index = 0;
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    if (plan.names[index] !== name || plan.values[index] !== headers[name]) return false;
    index++;
  }
  return index === plan.names.length;
}

/** Works out a plan exactly as smithy signs: the same copy, lookups, sort and overrides. */
function makePlan(requestHeaders: Record<string, string>, withToken: boolean): HeaderPlan {
  const names: string[] = [];
  const values: string[] = [];
  const copied: string[] = [];
  // Name → value of the headers being signed, `perCall` for the values given on each call.
  const headers: Record<string, string | typeof perCall> = {};
  let payloadHash: string | undefined;
  for (const name in requestHeaders) {
    if (!Object.hasOwn(requestHeaders, name)) continue;
    const value = requestHeaders[name] as string;
    names.push(name);
    values.push(value);
    const lower = name.toLowerCase();
    if (generatedHeaders.has(lower)) continue;
    copied.push(name);
    headers[name] = value;
    // A precomputed payload hash is used as is; the first one counts, as in smithy.
    if (lower === 'x-amz-content-sha256') payloadHash ??= value;
  }
  headers['x-amz-date'] = perCall;
  if (withToken) headers['x-amz-security-token'] = perCall;

  // Canonical headers: lower-case names, sorted, values with whitespace collapsed; of names
  // that lower-case alike, the last in sort order wins (the generated ones, which are lower case).
  const canonical = new Map<string, string | typeof perCall>();
  for (const name of Object.keys(headers).sort()) {
    const value = headers[name];
    if (value == null) continue;
    const lower = name.toLowerCase();
    if (unsignableHeaders.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) {
      continue;
    }
    canonical.set(lower, value === perCall ? perCall : canonicalValue(value));
  }
  const sorted = [...canonical.keys()].sort();
  const parts: string[] = [];
  let current = '';
  sorted.forEach((name, index) => {
    const value = canonical.get(name);
    current += `${index === 0 ? '' : '\n'}${name}:`;
    if (value === perCall || value === undefined) {
      parts.push(current);
      current = '';
    } else {
      current += value;
    }
  });
  parts.push(current);
  return { names, values, withToken, copied, payloadHash, parts, signedHeaders: sorted.join(';') };
}

function nodeSigner(region: string, service: string, crypto: NodeCrypto): RequestSigner {
  const { createHash, createHmac, createSecretKey } = crypto;
  // One-shot hashing (Node 20.12+) is twice as fast as a Hash object on inputs this small.
  const sha256Hex =
    typeof crypto.hash === 'function'
      ? (data: string) => crypto.hash('sha256', data, 'hex')
      : (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
  // The signing key of each credentials object, for the day it was derived for.
  const keys = new WeakMap<
    Credentials,
    { day: string; secret: string; key: ReturnType<typeof createSecretKey> }
  >();
  const plans: HeaderPlan[] = [];
  // Calls within the same second share the formatted date.
  let lastSecond = Number.NaN;
  let lastDate = '';

  const signingKey = (credentials: Credentials, day: string) => {
    const cached = keys.get(credentials);
    if (cached && cached.day === day && cached.secret === credentials.secretAccessKey) {
      return cached.key;
    }
    let key = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(day).digest();
    for (const part of [region, service, 'aws4_request']) {
      key = createHmac('sha256', key).update(part, 'utf8').digest();
    }
    const entry = { day, secret: credentials.secretAccessKey, key: createSecretKey(key) };
    keys.set(credentials, entry);
    return entry.key;
  };

  const planFor = (headers: Record<string, string>, withToken: boolean): HeaderPlan => {
    for (const plan of plans) if (planMatches(plan, headers, withToken)) return plan;
    const plan = makePlan(headers, withToken);
    // A few operations, one endpoint: a handful of plans. Keep the newest.
    if (plans.unshift(plan) > 8) plans.pop();
    return plan;
  };

  return {
    async sign(request, credentials, signingDate) {
      assertResolved(credentials);
      const second = Math.floor(signingDate.getTime() / 1000);
      if (second !== lastSecond) {
        lastDate = amzDate(signingDate);
        lastSecond = second;
      }
      const longDate = lastDate;
      const token = credentials.sessionToken;
      const plan = planFor(request.headers, Boolean(token));

      const headers: Record<string, string> = {};
      for (const name of plan.copied) headers[name] = request.headers[name] as string;
      headers['x-amz-date'] = longDate;
      if (token) headers['x-amz-security-token'] = token;
      const payloadHash =
        plan.payloadHash ?? (request.body == null ? emptyBodyHash : sha256Hex(request.body));
      const { parts } = plan;
      const canonicalHeaders = token
        ? `${parts[0]}${longDate}${parts[1]}${canonicalValue(token)}${parts[2]}`
        : `${parts[0]}${longDate}${parts[1]}`;
      const path =
        request.path === undefined || request.path === '/' ? '/' : canonicalPath(request.path);
      const canonicalRequest = `POST\n${path}\n\n${canonicalHeaders}\n\n${plan.signedHeaders}\n${payloadHash}`;

      const day = longDate.slice(0, 8);
      const scope = `${day}/${region}/${service}/aws4_request`;
      const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
      const signature = createHmac('sha256', signingKey(credentials, day))
        .update(stringToSign, 'utf8')
        .digest('hex');
      headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${plan.signedHeaders}, Signature=${signature}`;
      return headers;
    },
  };
}

type SignatureV4 = import('@smithy/signature-v4').SignatureV4;
type PortableModules = [
  typeof import('@smithy/signature-v4'),
  typeof import('@aws-crypto/sha256-js'),
];

/**
 * The portable signer's packages, imported by names held in variables: a bundler follows only a
 * literal `import('…')`, and these two (with `@smithy/core`, 160 KB minified) would otherwise sit
 * in every app bundle, parsed at every cold start (9 ms on Node 20), for a signer the default
 * never uses. Where they are installed (as our dependencies, beside the package) they load as
 * before; a bundle that wants them needs them installed where it runs.
 */
const portablePackages = ['@smithy/signature-v4', '@aws-crypto/sha256-js'] as const;

async function loadPortableModules(): Promise<PortableModules> {
  const [signatureV4, sha256] = portablePackages;
  try {
    // The comments keep Vite and webpack from warning that they cannot follow these imports.
    return (await Promise.all([
      import(/* @vite-ignore */ /* webpackIgnore: true */ signatureV4),
      import(/* @vite-ignore */ /* webpackIgnore: true */ sha256),
    ])) as PortableModules;
  } catch (error) {
    throw new KmsConfigError(
      `The portable signer (${signatureV4} with ${sha256}; signer: "smithy", or the runtime has no node:crypto) could not be loaded: install both where the app runs (an app bundle leaves them out, they load by name at run time), or use the default signer`,
      { code: 'SignerUnavailable', value: 'smithy', cause: error },
    );
  }
}

function portableSigner(region: string, service: string): RequestSigner {
  let modules: Promise<PortableModules> | undefined;
  // A signer per credentials object keeps smithy's per-day signing-key cache useful and correct
  // across credential refreshes.
  const signers = new WeakMap<Credentials, SignatureV4>();
  return {
    async sign(request, credentials, signingDate) {
      modules ??= loadPortableModules();
      const [{ SignatureV4 }, { Sha256 }] = await modules;
      let signer = signers.get(credentials);
      if (!signer) {
        signer = new SignatureV4({
          service,
          region,
          credentials,
          sha256: Sha256,
          uriEscapePath: true,
          applyChecksum: false,
        });
        signers.set(credentials, signer);
      }
      const signed = await signer.sign(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: request.hostname,
          port: request.port,
          path: request.path ?? '/',
          query: {},
          headers: request.headers,
          body: request.body,
        },
        { signingDate },
      );
      return signed.headers;
    },
  };
}
