/**
 * Client configuration: what users pass, what the environment adds, and the resolved result the
 * request path uses. Resolution is apart from the request path and happens once per client.
 */
import type { Dispatcher } from 'undici';
import { assertValidRegion, resolveEndpoint, signingRegionOf } from '../endpoint.js';
import { KmsConfigError } from '../errors.js';
import {
  assertCredentials,
  CredentialCache,
  type CredentialProvider,
  type Credentials,
  credentialsFromEnv,
} from './credentials.js';

/** Where log lines go; `console` fits. Lines never contain secrets. */
export interface Logger {
  /** Each request and response. */
  debug?(message: string, details?: Record<string, unknown>): void;
  /** Retries and clock-skew corrections. */
  warn?(message: string, details?: Record<string, unknown>): void;
}

/** Options of `new KmsClient(config)`. Every field is optional. */
export interface KmsClientConfig {
  /** AWS region; else `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  region?: string;
  /**
   * Credentials, or an async function returning them (any `@aws-sdk/credential-providers`
   * provider fits); else the environment variables.
   */
  credentials?: Credentials | CredentialProvider;
  /** Endpoint URL; else `AWS_ENDPOINT_URL_KMS`, else `AWS_ENDPOINT_URL`, else the region's. */
  endpoint?: string | URL;
  /** Allow an `http:` endpoint on a host that is not loopback. Default false. */
  allowInsecureEndpoint?: boolean;
  /** Use the FIPS endpoint of the region. */
  useFipsEndpoint?: boolean;
  /** Use the dual-stack endpoint of the region. */
  useDualstackEndpoint?: boolean;
  /** Attempts per call, first included; default 3. */
  maxAttempts?: number;
  /** Limit for one whole attempt (connect, send, read), in ms; default 10 000. */
  requestTimeoutMs?: number;
  /** Limit for establishing a connection, in ms; default 3 000. */
  connectTimeoutMs?: number;
  /** Most sockets the client keeps open to KMS; default 50. */
  maxSockets?: number;
  /** An undici Dispatcher to send requests through (a proxy agent, a MockAgent, …). */
  dispatcher?: Dispatcher;
  /** Where to log; nothing is logged by default. */
  logger?: Logger;
}

/** Defaults of the tunables. */
export const defaults = {
  maxAttempts: 3,
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 3_000,
  maxSockets: 50,
} as const;

/** Configuration as the request path uses it. */
export interface ResolvedConfig {
  region: string;
  /** The region in the credential scope. */
  signingRegion: string;
  endpoint: URL;
  /** Which source provided credentials. */
  credentialSource: string;
  /** Current credentials (cached, refreshed before expiry). */
  credentials: () => Promise<Credentials>;
}

const loopbackHosts = new Set(['localhost', '[::1]', '::1']);

function isLoopback(hostname: string): boolean {
  return loopbackHosts.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Parses and checks an endpoint: https, or http on loopback unless insecure is allowed. */
export function parseEndpoint(value: string | URL, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new KmsConfigError(
      `Invalid endpoint: ${JSON.stringify(String(value).slice(0, 200))} is not a URL`,
    );
  }
  if (url.username || url.password) {
    throw new KmsConfigError('Invalid endpoint: it must not contain a user name or password');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KmsConfigError(`Invalid endpoint: protocol ${url.protocol} is not http: or https:`);
  }
  if (url.protocol === 'http:' && !allowInsecure && !isLoopback(url.hostname)) {
    throw new KmsConfigError(
      `Refusing plain http endpoint ${url.origin}: use https, a loopback host, or set allowInsecureEndpoint: true`,
    );
  }
  if (url.search || url.hash) {
    throw new KmsConfigError('Invalid endpoint: it must not have a query string or fragment');
  }
  return url;
}

/** Checks what can be checked without I/O; throws {@link KmsConfigError}. */
export function validateConfig(config: KmsClientConfig): void {
  if (config.region !== undefined) assertValidRegion(config.region);
  if (config.endpoint !== undefined) {
    parseEndpoint(config.endpoint, config.allowInsecureEndpoint === true);
  }
  for (const key of ['maxAttempts', 'maxSockets'] as const) {
    const value = config[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 100)) {
      throw new KmsConfigError(`${key} must be an integer from 1 to 100, got ${String(value)}`);
    }
  }
  for (const key of ['requestTimeoutMs', 'connectTimeoutMs'] as const) {
    const value = config[key];
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new KmsConfigError(`${key} must be a positive number of milliseconds`);
    }
  }
  const credentials = config.credentials;
  if (credentials !== undefined && typeof credentials !== 'function') {
    assertCredentials(credentials, 'config.credentials');
  }
}

/** Resolves region, endpoint and credentials from the config and the environment. */
export function resolveConfig(config: KmsClientConfig, env: NodeJS.ProcessEnv): ResolvedConfig {
  const region =
    config.region ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined);
  if (region === undefined) {
    throw new KmsConfigError(
      'No region: pass { region } to KmsClient or set AWS_REGION (or AWS_DEFAULT_REGION)',
    );
  }
  assertValidRegion(region);
  const configuredEndpoint =
    config.endpoint ??
    (env.AWS_ENDPOINT_URL_KMS || undefined) ??
    (env.AWS_ENDPOINT_URL || undefined);
  const endpoint =
    configuredEndpoint !== undefined
      ? parseEndpoint(configuredEndpoint, config.allowInsecureEndpoint === true)
      : new URL(
          resolveEndpoint({
            region,
            useFipsEndpoint: config.useFipsEndpoint,
            useDualstackEndpoint: config.useDualstackEndpoint,
          }),
        );
  const { provider, source } = resolveCredentialSource(config, env);
  const cache = new CredentialCache(async () => {
    const credentials = await provider();
    assertCredentials(credentials, source);
    return credentials;
  });
  return {
    region,
    signingRegion: signingRegionOf(region),
    endpoint,
    credentialSource: source,
    credentials: () => cache.get(),
  };
}

function resolveCredentialSource(
  config: KmsClientConfig,
  env: NodeJS.ProcessEnv,
): { provider: CredentialProvider; source: string } {
  const given = config.credentials;
  if (typeof given === 'function') return { provider: given, source: 'provider' };
  if (given !== undefined) return { provider: async () => given, source: 'static' };
  const fromEnv = credentialsFromEnv(env);
  if (fromEnv) return { provider: async () => fromEnv, source: 'env' };
  throw new KmsConfigError(
    'No credentials: pass { credentials } to KmsClient or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  );
}
