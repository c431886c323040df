/**
 * The hand-written checks of the client's configuration, in one module: the options given to
 * `new KmsClient()` (checked at once, without I/O) and the parsers of settings read from the
 * environment and the shared files. Config is not checked with zod: zod loads on first use, and
 * a constructor must throw at once. test/config/resolve.test.ts and test/client/validation.test.ts
 * pin each rule.
 */
import { assertCredentials } from '../credentials/credentials.js';
import { KmsConfigError } from '../errors.js';
import { assertValidRegion } from './endpoint.js';
import { isLoopbackHost } from './loopback.js';
import type { KmsClientConfig } from './options.js';

/** Parses and checks an endpoint: https, or http on loopback unless insecure is allowed. */
export function parseEndpoint(value: string | URL, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new KmsConfigError(
      `Invalid endpoint: ${JSON.stringify(String(value).slice(0, 200))} is not a URL`,
      { code: 'InvalidEndpoint' },
    );
  }
  const invalid = { code: 'InvalidEndpoint' } as const;
  if (url.username || url.password) {
    throw new KmsConfigError(
      'Invalid endpoint: it must not contain a user name or password',
      invalid,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KmsConfigError(
      `Invalid endpoint: protocol ${url.protocol} is not http: or https:`,
      invalid,
    );
  }
  if (url.protocol === 'http:' && !allowInsecure && !isLoopbackHost(url.hostname)) {
    throw new KmsConfigError(
      `Refusing plain http endpoint ${url.origin}: use https, a loopback host, or set allowInsecureEndpoint: true`,
      { code: 'InsecureEndpoint', value: url.origin },
    );
  }
  if (url.search || url.hash) {
    throw new KmsConfigError(
      'Invalid endpoint: it must not have a query string or fragment',
      invalid,
    );
  }
  return url;
}

/** Checks what can be checked without I/O; throws {@link KmsConfigError}. */
export function validateConfig(config: KmsClientConfig): void {
  if (config.region !== undefined) {
    // A number, null or an array would pass the syntax check as a string and fail later.
    if (typeof config.region !== 'string') {
      throw new KmsConfigError(`region must be a string, got ${describeType(config.region)}`, {
        code: 'InvalidRegion',
        setting: 'config.region',
      });
    }
    try {
      assertValidRegion(config.region);
    } catch (error) {
      throw withSetting(error, 'config.region');
    }
  }
  if (config.signer !== undefined && config.signer !== 'node' && config.signer !== 'smithy') {
    throw new KmsConfigError(
      `signer must be "node" or "smithy", got ${JSON.stringify(config.signer)}`,
    );
  }
  if (config.endpoint !== undefined) {
    try {
      parseEndpoint(config.endpoint, config.allowInsecureEndpoint === true);
    } catch (error) {
      throw withSetting(error, 'config.endpoint');
    }
  }
  for (const key of ['maxAttempts', 'maxSockets'] as const) {
    const value = config[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 100)) {
      throw new KmsConfigError(`${key} must be an integer from 1 to 100, got ${String(value)}`);
    }
  }
  for (const key of [
    'requestTimeoutMs',
    'connectTimeoutMs',
    'credentialProcessTimeoutMs',
  ] as const) {
    const value = config[key];
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new KmsConfigError(`${key} must be a positive number of milliseconds`);
    }
  }
  if (
    config.profile !== undefined &&
    (typeof config.profile !== 'string' || config.profile === '')
  ) {
    throw new KmsConfigError('profile must be a non-empty string');
  }
  if (config.mfaCodeProvider !== undefined && typeof config.mfaCodeProvider !== 'function') {
    throw new KmsConfigError(
      `mfaCodeProvider must be a function (serial) => Promise<string>, got ${describeType(config.mfaCodeProvider)}`,
      { setting: 'config.mfaCodeProvider' },
    );
  }
  if (config.sharedRoleCache !== undefined && typeof config.sharedRoleCache !== 'boolean') {
    throw new KmsConfigError(
      `sharedRoleCache must be true or false, got ${describeType(config.sharedRoleCache)}`,
      { setting: 'config.sharedRoleCache' },
    );
  }
  const credentials = config.credentials;
  if (credentials !== undefined && typeof credentials !== 'function') {
    assertCredentials(credentials, 'config.credentials');
  }
}

/** What a value is, for a message: `null`, `an array`, `a number`, … (never the value itself). */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** The same config error, saying which setting the value came from. */
export function withSetting(error: unknown, setting: string, message?: string): unknown {
  if (!(error instanceof KmsConfigError)) return error;
  return new KmsConfigError(message ?? error.message, {
    cause: error.cause,
    sources: error.sources,
    code: error.code,
    value: error.value,
    setting,
  });
}

/** `true` / `false` (any case); empty or absent is undefined; anything else is an error. */
export function parseBoolean(value: string | undefined, name: string): boolean | undefined {
  const text = value?.trim().toLowerCase();
  if (text === undefined || text === '') return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new KmsConfigError(`${name} must be "true" or "false", got ${JSON.stringify(value)}`);
}

/**
 * The one parser of integer settings from the environment and the profile: decimal digits only
 * (`Number()` would also take `1e2`, `0x10`, `0b11`, `5.0`), within `min`..`max`; empty or absent
 * is undefined.
 */
export function parseIntegerSetting(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  const number = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= min && number <= max)) {
    throw new KmsConfigError(
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}
