/**
 * One call to an AWS service that hands out credentials (STS now; SSO later), through the request
 * path's transport (`request/transport.ts`) over a pool of its own that connects like the client's
 * (same connector: `HTTPS_PROXY` / `NO_PROXY`, connect limit), with the client's request timeout,
 * signal and attempts. Retries network errors, timeouts, 5xx and throttling with jittered backoff.
 * Errors say what happened, never a header or a body (they can carry tokens).
 */
import type { Dispatcher } from 'undici';
import { configDefaults } from '../config/defaults.js';
import { isLoopbackHost } from '../config/loopback.js';
import type { Logger } from '../config/options.js';
import type { ProxySettings } from '../config/proxy.js';
import type { IniSection } from '../config/shared-files.js';
import { type ClockCorrection, correctClockSkew, signingTime } from '../request/clock.js';
import { createConnector } from '../request/connector.js';
import { loadPool } from '../request/pool.js';
import { exchange, type HttpResponse } from '../request/transport.js';
import { sleep } from '../sleep.js';
import { CredentialSourceError } from './credentials.js';

/** How credential services are reached: what the client resolved for its own calls. */
export interface ServiceCallSettings {
  /** The environment (endpoint overrides). */
  env: NodeJS.ProcessEnv;
  /** The client's region: the STS region when the profile sets none. */
  region?: string;
  /** The client's FIPS setting (`sts-fips`). */
  useFipsEndpoint?: boolean;
  /** The proxy of `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`, as for KMS calls. */
  proxy?: ProxySettings;
  /** The caller's dispatcher, if any: used as for KMS calls. */
  dispatcher?: Dispatcher;
  /** Limit of one attempt, in ms. */
  requestTimeoutMs?: number;
  /** Limit to establish a connection, in ms. */
  connectTimeoutMs?: number;
  /** Attempts, the first included. */
  maxAttempts?: number;
  /** Ends the call (the client closing). */
  signal?: AbortSignal;
  /**
   * The client's clock correction: signed calls sign with it, and a refused signature with the
   * server's clock 5 minutes or more away corrects it (for the client's KMS calls too).
   */
  clock?: ClockCorrection;
  /** The client's logger: told when the clock is corrected. */
  logger?: Logger;
}

/** Largest response read from a credential service. */
const maxBodyBytes = 256 * 1024;

/** Service ids as the SDK spells them in `AWS_ENDPOINT_URL_<ID>` and in `[services]` sections. */
export type CredentialServiceId = 'sts' | 'sso' | 'sso_oidc';

/**
 * The endpoint of a credential service: `AWS_ENDPOINT_URL_<ID>`, `AWS_ENDPOINT_URL`, the profile's
 * `services` section (`<id> =` then `endpoint_url = …`), else `fallback`. Unless
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true. Plain http only to loopback.
 */
export function serviceEndpoint(
  id: CredentialServiceId,
  env: NodeJS.ProcessEnv,
  services: IniSection | undefined,
  fallback: string,
): URL {
  const ignore = /^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.trim() ?? '');
  const variable = `AWS_ENDPOINT_URL_${id.toUpperCase()}`;
  const candidates: [string, string | undefined][] = ignore
    ? []
    : [
        [variable, env[variable]],
        ['AWS_ENDPOINT_URL', env.AWS_ENDPOINT_URL],
        [`${id} endpoint_url of the services section`, services?.[`${id}.endpoint_url`]],
      ];
  const [source, value] = candidates.find(([, candidate]) => candidate) ?? ['default', fallback];
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    throw new CredentialSourceError(`${source} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new CredentialSourceError(
      `${source} must be an https: URL (plain http only to a loopback address)`,
    );
  }
  return url;
}

/** The regional STS endpoint, as the SDK builds it. */
export function stsDefaultEndpoint(region: string, useFipsEndpoint: boolean): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${useFipsEndpoint ? 'sts-fips' : 'sts'}.${region}.${suffix}`;
}

/** A request to a credential service. */
export interface ServiceRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/**
 * Sends `request` (built again for each attempt: a signature carries the time) and returns the
 * first response that is not retryable. A signature refused for its time, with the server's clock
 * 5 minutes or more from ours, corrects the clock and is sent again at once (within the attempts).
 * Throws {@link CredentialSourceError} when every attempt failed on the network or timed out, or
 * the signal's reason when it aborted.
 *
 * @param build - makes the request for an attempt; a signed one signs for `time`.
 * @param settings - proxy, limits, attempts, signal.
 * @param what - names the call in errors (`STS AssumeRoleWithWebIdentity`).
 */
export async function callCredentialService(
  build: (time: Date) => ServiceRequest | Promise<ServiceRequest>,
  settings: ServiceCallSettings,
  what: string,
): Promise<HttpResponse> {
  const maxAttempts = settings.maxAttempts ?? configDefaults.maxAttempts;
  const timeoutMs = settings.requestTimeoutMs ?? configDefaults.requestTimeoutMs;
  const connectTimeoutMs = settings.connectTimeoutMs ?? configDefaults.connectTimeoutMs;
  const clock = settings.clock ?? { offsetMs: 0 };
  let dispatcher = settings.dispatcher;
  let ownPool: Dispatcher | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      settings.signal?.throwIfAborted();
      const request = await build(signingTime(clock, Date.now()));
      if (!dispatcher) {
        const Pool = await loadPool();
        const connector = createConnector(settings.proxy, () => connectTimeoutMs);
        ownPool = new Pool(request.url.origin, { connections: 1, connect: connector.connect });
        dispatcher = ownPool;
      }
      let failure: string;
      try {
        const response = await exchange(
          dispatcher,
          {
            origin: request.url.origin,
            path: `${request.url.pathname}${request.url.search}`,
            method: request.method,
            headers: request.headers,
            body: request.body,
          },
          {
            signal: settings.signal,
            timeoutMs,
            timeoutError: () => new CredentialSourceError(`no response within ${timeoutMs} ms`),
            maxBodyBytes,
          },
        );
        const skewMs = attempt < maxAttempts ? clockSkewOf(response, clock) : undefined;
        if (skewMs !== undefined) {
          settings.logger?.warn?.(
            `${what}: local clock is ${Math.round(skewMs / 1000)} s off the server's; signing with a corrected clock`,
          );
          continue;
        }
        if (!retryable(response) || attempt >= maxAttempts) return response;
        failure = `HTTP ${response.status}`;
      } catch (error) {
        if (settings.signal?.aborted && error === settings.signal.reason) throw error;
        const code = (error as { code?: unknown }).code;
        failure =
          error instanceof CredentialSourceError
            ? error.message
            : `connection failed${typeof code === 'string' ? ` (${code})` : ''}`;
        if (attempt >= maxAttempts) {
          throw new CredentialSourceError(
            `${what} to ${request.url.origin}: ${failure} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`,
            { network: true },
          );
        }
      }
      await sleep(Math.floor(Math.random() * 100 * 2 ** (attempt - 1)), settings.signal);
    }
  } finally {
    ownPool?.destroy().catch(() => {});
  }
}

/**
 * For a refused signature: corrects the clock when the server says the time was wrong.
 * @returns how far off the clock was (ms), or undefined when nothing was corrected.
 */
function clockSkewOf(response: HttpResponse, clock: ClockCorrection): number | undefined {
  if (response.status !== 400 && response.status !== 403) return undefined;
  // The Query protocol's <Error><Code>; the services with JSON errors here sign no request.
  const code = /<Code>\s*([\w.]{1,64})\s*<\/Code>/.exec(response.body)?.[1];
  return correctClockSkew(clock, code, response.headers.date, Date.now());
}

function retryable(response: HttpResponse): boolean {
  return (
    response.status >= 500 ||
    response.status === 429 ||
    /<Code>\s*(Throttling|ThrottlingException|RequestLimitExceeded|IDPCommunicationError)\s*</.test(
      response.body,
    )
  );
}
