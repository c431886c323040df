/**
 * IAM Identity Center (SSO) profiles: the token that `aws sso login` cached in
 * `~/.aws/sso/cache/`, exchanged for role credentials through the portal's `GetRoleCredentials`.
 * `sso_session` profiles refresh the token through SSO-OIDC `CreateToken` when it is within
 * 5 minutes of expiry (one refresh at a time, at most one attempt per 30 s per session) and write
 * it back to the cache file atomically; legacy `sso_start_url` profiles cannot refresh. Loaded
 * only when the chosen profile is one. No token or secret ever appears in an error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configDefaults } from '../config/defaults.js';
import { isValidRegion } from '../config/endpoint.js';
import {
  findServicesSection,
  homeDirectory,
  type IniSection,
  type SharedFiles,
} from '../config/shared-files.js';
import { fileProblem, maxTokenCacheBytes, readSmallFile } from '../config/small-file.js';
import { CredentialSourceError, type Credentials } from './credentials.js';
import {
  callCredentialService,
  type ServiceCallSettings,
  serviceEndpoint,
} from './service-call.js';

/** What an SSO profile needs. */
export interface SsoContext {
  files: SharedFiles;
  /** How the portal and SSO-OIDC are reached (env and signal included). */
  settings: ServiceCallSettings;
  now: () => number;
}

/** The cached token, as the AWS CLI writes it (fields it does not know are kept on write-back). */
interface TokenFile {
  accessToken?: unknown;
  expiresAt?: unknown;
  refreshToken?: unknown;
  clientId?: unknown;
  clientSecret?: unknown;
  registrationExpiresAt?: unknown;
  [other: string]: unknown;
}

/** Least time between two refresh attempts of one session's token. */
const refreshAttemptIntervalMs = 30_000;
/** Refreshes under way, by cache file: one at a time. */
const refreshing = new Map<string, Promise<string>>();
/** When each cache file's token refresh was last attempted. */
const lastAttempt = new Map<string, number>();

/**
 * The role credentials of an SSO profile. Throws {@link CredentialSourceError}.
 *
 * @param name - the profile.
 * @param settings - its settings (`sso_session` or `sso_start_url`, `sso_account_id`, `sso_role_name`).
 * @param context - files, how to reach SSO, the clock.
 */
export async function ssoProfileCredentials(
  name: string,
  settings: IniSection,
  context: SsoContext,
): Promise<Credentials> {
  const login = `run aws sso login --profile ${name}`;
  const accountId = settings.sso_account_id;
  const roleName = settings.sso_role_name;
  if (!accountId || !roleName) {
    throw new CredentialSourceError(
      `profile ${name} needs both sso_account_id and sso_role_name to get role credentials`,
    );
  }
  const sessionName = settings.sso_session;
  let startUrl: string | undefined;
  let region: string | undefined;
  let cacheKey: string;
  if (sessionName) {
    const session = context.files.config.get(`sso-session ${sessionName}`);
    if (!session) {
      throw new CredentialSourceError(
        `profile ${name} names sso_session ${sessionName}, but ${context.files.configPath} has no [sso-session ${sessionName}] section`,
      );
    }
    startUrl = session.sso_start_url;
    region = session.sso_region;
    for (const [key, value] of [
      ['sso_start_url', startUrl],
      ['sso_region', region],
    ] as const) {
      if (!value) {
        throw new CredentialSourceError(`[sso-session ${sessionName}] has no ${key}`);
      }
      if (settings[key] && settings[key] !== value) {
        throw new CredentialSourceError(
          `profile ${name} sets ${key} = ${settings[key]}, but its sso_session ${sessionName} sets ${value}; remove one or make them agree`,
        );
      }
    }
    cacheKey = sessionName;
  } else {
    startUrl = settings.sso_start_url;
    region = settings.sso_region;
    if (!startUrl || !region) {
      throw new CredentialSourceError(
        `profile ${name} needs sso_session, or sso_start_url and sso_region`,
      );
    }
    cacheKey = startUrl;
  }
  const ssoRegion = region as string;
  // It goes into the portal's and SSO-OIDC's host names, with the token and the client secret.
  if (!isValidRegion(ssoRegion)) {
    throw new CredentialSourceError(
      `sso_region ${JSON.stringify(ssoRegion.slice(0, 64))} of profile ${name} is not a region name (lower-case letters, digits and hyphens, e.g. "eu-west-1")`,
    );
  }
  const services = settings.services
    ? findServicesSection(context.files, settings.services)
    : undefined;
  const cachePath = join(
    homeDirectory(context.settings.env),
    '.aws',
    'sso',
    'cache',
    `${createHash('sha1').update(cacheKey).digest('hex')}.json`,
  );
  const token = await bearerToken(cachePath, {
    profile: name,
    login,
    refreshable: sessionName !== undefined,
    region: ssoRegion,
    services,
    context,
  });
  return roleCredentials(token, { accountId, roleName, region: ssoRegion, services, context });
}

interface TokenOptions {
  profile: string;
  login: string;
  refreshable: boolean;
  region: string;
  services: IniSection | undefined;
  context: SsoContext;
}

/** The access token of the cache file, refreshed first when it is within 5 minutes of expiry. */
async function bearerToken(cachePath: string, options: TokenOptions): Promise<string> {
  const { now } = options.context;
  const cached = await readTokenFile(cachePath, options);
  const accessToken = cached.accessToken;
  const expiresAt = new Date(typeof cached.expiresAt === 'string' ? cached.expiresAt : '');
  if (typeof accessToken !== 'string' || accessToken === '' || Number.isNaN(expiresAt.getTime())) {
    throw new CredentialSourceError(
      `the SSO token cache ${cachePath} has no accessToken or expiresAt; ${options.login}`,
    );
  }
  const left = expiresAt.getTime() - now();
  if (left > configDefaults.refreshWindowMs) return accessToken;
  if (options.refreshable && canRefresh(cached, now())) {
    let pending = refreshing.get(cachePath);
    if (
      !pending &&
      now() - (lastAttempt.get(cachePath) ?? Number.NEGATIVE_INFINITY) >= refreshAttemptIntervalMs
    ) {
      lastAttempt.set(cachePath, now());
      pending = refreshToken(cachePath, cached, options).finally(() =>
        refreshing.delete(cachePath),
      );
      refreshing.set(cachePath, pending);
    }
    if (pending) {
      try {
        return await pending;
      } catch (error) {
        if (!(error instanceof CredentialSourceError)) throw error;
        if (left <= 0) {
          throw new CredentialSourceError(
            `the SSO token of profile ${options.profile} expired and its refresh failed (${error.message}); ${options.login}`,
          );
        }
        // Not expired yet: use it, the next refresh may work.
        return accessToken;
      }
    }
  }
  if (left > 0) return accessToken;
  throw new CredentialSourceError(
    `the SSO token of profile ${options.profile} expired at ${expiresAt.toISOString()}${options.refreshable ? ' and cannot be refreshed' : ''}; ${options.login}`,
  );
}

function canRefresh(cached: TokenFile, now: number): boolean {
  const registrationExpires = new Date(
    typeof cached.registrationExpiresAt === 'string' ? cached.registrationExpiresAt : '',
  ).getTime();
  return (
    typeof cached.refreshToken === 'string' &&
    typeof cached.clientId === 'string' &&
    typeof cached.clientSecret === 'string' &&
    !(registrationExpires <= now)
  );
}

async function readTokenFile(cachePath: string, options: TokenOptions): Promise<TokenFile> {
  let text: string;
  try {
    text = await readSmallFile(cachePath, { maxBytes: maxTokenCacheBytes });
  } catch (error) {
    throw new CredentialSourceError(
      `cannot read the SSO token cache ${cachePath} (${fileProblem(error)}); ${options.login}`,
    );
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as TokenFile;
    }
  } catch {
    // reported below
  }
  throw new CredentialSourceError(
    `the SSO token cache ${cachePath} is not a JSON object; ${options.login}`,
  );
}

/** The longest-lived SSO token accepted from CreateToken (sessions last at most 90 days). */
const maxTokenLifetimeSeconds = 366 * 24 * 60 * 60;

/** SSO-OIDC CreateToken with the refresh token; writes the new token back atomically. */
async function refreshToken(
  cachePath: string,
  cached: TokenFile,
  options: TokenOptions,
): Promise<string> {
  const { settings, now } = options.context;
  const base = serviceEndpoint(
    'sso_oidc',
    settings.env,
    options.services,
    `https://oidc.${options.region}.amazonaws.com`,
  );
  const url = new URL(`${base.pathname.replace(/\/$/, '')}/token`, base);
  const body = JSON.stringify({
    clientId: cached.clientId,
    clientSecret: cached.clientSecret,
    grantType: 'refresh_token',
    refreshToken: cached.refreshToken,
  });
  const what = 'SSO-OIDC CreateToken';
  const response = await callCredentialService(
    () => ({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    settings,
    what,
  );
  if (response.status < 200 || response.status >= 300) {
    throw new CredentialSourceError(
      `${what} failed: ${jsonErrorCode(response.headers, response.body)} (HTTP ${response.status})`,
    );
  }
  const answer = parseJsonObject(response.body);
  const accessToken = answer?.accessToken;
  const expiresIn = answer?.expiresIn;
  if (typeof accessToken !== 'string' || accessToken === '' || typeof expiresIn !== 'number') {
    throw new CredentialSourceError(`${what} answered without accessToken and expiresIn`);
  }
  // A number a date cannot hold would fail in toISOString() with a bare RangeError.
  if (!Number.isFinite(expiresIn) || expiresIn <= 0 || expiresIn > maxTokenLifetimeSeconds) {
    throw new CredentialSourceError(
      `${what} answered an expiresIn that is not from 1 to ${maxTokenLifetimeSeconds} seconds`,
    );
  }
  const updated: TokenFile = {
    ...cached,
    accessToken,
    expiresAt: new Date(now() + expiresIn * 1000).toISOString(),
    ...(typeof answer?.refreshToken === 'string' ? { refreshToken: answer.refreshToken } : {}),
  };
  // Atomically: another process (the AWS CLI) may read the file at any time.
  const temporary = `${cachePath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify(updated), { mode: 0o600 });
    await rename(temporary, cachePath);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    const code = (error as { code?: unknown }).code;
    throw new CredentialSourceError(
      `cannot write the refreshed SSO token to ${cachePath} (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  return accessToken;
}

/** GetRoleCredentials on the SSO portal. */
async function roleCredentials(
  token: string,
  options: {
    accountId: string;
    roleName: string;
    region: string;
    services: IniSection | undefined;
    context: SsoContext;
  },
): Promise<Credentials> {
  const { settings } = options.context;
  const base = serviceEndpoint(
    'sso',
    settings.env,
    options.services,
    `https://portal.sso.${options.region}.amazonaws.com`,
  );
  const url = new URL(`${base.pathname.replace(/\/$/, '')}/federation/credentials`, base);
  url.search = new URLSearchParams({
    role_name: options.roleName,
    account_id: options.accountId,
  }).toString();
  if (/[^\x20-\x7e]/.test(token)) {
    throw new CredentialSourceError('the cached SSO access token contains invalid characters');
  }
  const what = 'SSO GetRoleCredentials';
  const response = await callCredentialService(
    () => ({ url, method: 'GET', headers: { 'x-amz-sso_bearer_token': token } }),
    settings,
    what,
  );
  if (response.status < 200 || response.status >= 300) {
    throw new CredentialSourceError(
      `${what} failed: ${jsonErrorCode(response.headers, response.body)} (HTTP ${response.status})`,
    );
  }
  const role = parseJsonObject(response.body)?.roleCredentials;
  const fields = (typeof role === 'object' && role !== null ? role : {}) as Record<string, unknown>;
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = fields;
  if (
    typeof accessKeyId !== 'string' ||
    accessKeyId === '' ||
    typeof secretAccessKey !== 'string' ||
    secretAccessKey === '' ||
    typeof sessionToken !== 'string' ||
    typeof expiration !== 'number'
  ) {
    throw new CredentialSourceError(
      `${what} answered without roleCredentials (accessKeyId, secretAccessKey, sessionToken, expiration)`,
    );
  }
  if (!Number.isFinite(new Date(expiration).getTime())) {
    throw new CredentialSourceError(`${what} answered an expiration that is not a date`);
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration) };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The error code of a REST-JSON answer (`x-amzn-errortype`, `__type`, `error`); never the message. */
function jsonErrorCode(headers: Record<string, string>, body: string): string {
  const parsed = parseJsonObject(body);
  const candidates = [headers['x-amzn-errortype'], parsed?.__type, parsed?.error];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const code = candidate.split(':')[0]?.split('#').pop() ?? '';
    if (/^[\w.]{1,64}$/.test(code)) return code;
  }
  return 'an error without a code';
}
