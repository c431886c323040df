/**
 * Container credentials: ECS task roles (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, served at
 * 169.254.170.2) and EKS Pod Identity / Greengrass / custom endpoints
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN` or
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`). Plain http only to the hosts the AWS SDK allows.
 */

import { configDefaults } from '../config/defaults.js';
import { isLoopbackHost } from '../config/loopback.js';
import { fileProblem, maxTokenFileBytes, readSmallFile } from '../config/small-file.js';
import { sleep } from '../sleep.js';
import { CredentialSourceError, type Credentials } from './credentials.js';
import { parseCredentialsDocument } from './document.js';
import { MetadataRequestError, metadataRequest } from './metadata-http.js';

/** The ECS credential endpoint host. */
export const ecsContainerHost = '169.254.170.2';
/** Hosts allowed over plain http besides loopback, as in the AWS SDK. */
const linkLocalHosts = new Set([ecsContainerHost, '169.254.170.23', '[fd00:ec2::23]']);

/** Options of {@link containerCredentials}. */
export interface ContainerOptions {
  /** Limit of one request, in ms; default 1 000. */
  timeoutMs?: number;
  /** Retries after a network error, timeout or 5xx; default 2. */
  retries?: number;
  /** Pause before a retry, in ms; default 100 (doubled each retry). */
  retryDelayMs?: number;
  /** The client's lifetime: close() ends a request or pause at once. */
  signal?: AbortSignal | undefined;
}

/**
 * The URL the container source calls, or a {@link CredentialSourceError}: not configured, not
 * a URL, or plain http to a host other than loopback, 169.254.170.2, 169.254.170.23, fd00:ec2::23.
 */
export function containerCredentialsUrl(env: NodeJS.ProcessEnv): URL {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (relative) {
    if (!relative.startsWith('/')) {
      throw new CredentialSourceError(
        'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with /',
      );
    }
    return new URL(`http://${ecsContainerHost}${relative}`);
  }
  if (!full) {
    throw new CredentialSourceError(
      'not configured (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set)',
      { notConfigured: true },
    );
  }
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new CredentialSourceError('AWS_CONTAINER_CREDENTIALS_FULL_URI is not a valid URL');
  }
  if (url.username || url.password) {
    throw new CredentialSourceError(
      'AWS_CONTAINER_CREDENTIALS_FULL_URI must not contain a user name or password',
    );
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol !== 'http:') {
    throw new CredentialSourceError(
      `AWS_CONTAINER_CREDENTIALS_FULL_URI must be http: or https:, not ${url.protocol}`,
    );
  }
  if (!linkLocalHosts.has(url.hostname) && !isLoopbackHost(url.hostname)) {
    throw new CredentialSourceError(
      `AWS_CONTAINER_CREDENTIALS_FULL_URI host ${url.hostname} is not allowed over plain http: use https, a loopback address (127.0.0.0/8, ::1, localhost), or the ECS/EKS hosts 169.254.170.2, 169.254.170.23, [fd00:ec2::23]`,
    );
  }
  return url;
}

/** The Authorization header value: the token file (read each time: EKS rotates it) wins. */
async function authorizationToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let token: string | undefined;
  const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (tokenFile) {
    try {
      token = (await readSmallFile(tokenFile, { maxBytes: maxTokenFileBytes })).trim();
    } catch (error) {
      throw new CredentialSourceError(
        `cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ${tokenFile} (${fileProblem(error)})`,
      );
    }
  } else {
    token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN || undefined;
  }
  // A header value is Latin-1 without control characters: a line break would inject a header,
  // and anything else would make the HTTP stack throw a raw TypeError.
  if (token !== undefined && /[^\x20-\x7e\xa0-\xff]/.test(token)) {
    throw new CredentialSourceError(
      'the authorization token contains a control character or a character outside Latin-1',
    );
  }
  return token;
}

/**
 * Fetches credentials from the container endpoint. Throws {@link CredentialSourceError}
 * (`notConfigured` when the variables are not set).
 *
 * @param env - the environment to read.
 * @param options - time limit and retries.
 */
export async function containerCredentials(
  env: NodeJS.ProcessEnv,
  options: ContainerOptions = {},
): Promise<Credentials> {
  const url = containerCredentialsUrl(env);
  const timeoutMs = options.timeoutMs ?? configDefaults.metadataTimeoutMs;
  const retries = options.retries ?? configDefaults.containerRetries;
  const where = `${url.origin}${url.pathname}`;
  for (let attempt = 0; ; attempt++) {
    const token = await authorizationToken(env);
    let failure: string;
    try {
      const response = await metadataRequest(url, {
        method: 'GET',
        headers: token === undefined ? {} : { authorization: token },
        timeoutMs,
        signal: options.signal,
      });
      if (response.status >= 200 && response.status < 300) {
        return parseCredentialsDocument(response.body, `${where} answered`);
      }
      failure = `${where} answered HTTP ${response.status}${errorCodeOf(response.body)}`;
      if (response.status < 500) throw new CredentialSourceError(failure);
    } catch (error) {
      if (!(error instanceof MetadataRequestError)) throw error;
      failure = `${where}: ${error.message}`;
      if (error.kind === 'too-large') throw new CredentialSourceError(failure);
    }
    if (attempt >= retries) {
      throw new CredentialSourceError(
        `${failure}${retries > 0 ? ` (after ${retries + 1} attempts)` : ''}`,
      );
    }
    await sleep((options.retryDelayMs ?? 100) * 2 ** attempt, options.signal);
  }
}

/** ` (Code)` from a JSON error body when it is a plain identifier; never the rest of the body. */
function errorCodeOf(body: string): string {
  try {
    const code = (JSON.parse(body) as { Code?: unknown }).Code;
    return typeof code === 'string' && /^\w{1,64}$/.test(code) ? ` (${code})` : '';
  } catch {
    return '';
  }
}
