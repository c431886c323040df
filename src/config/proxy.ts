/**
 * Proxy settings from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (lower-case names first, as curl
 * and undici read them), the dispatcher that honours them (undici's `EnvHttpProxyAgent`), and
 * whether a URL goes through the proxy, with undici's exact `NO_PROXY` rules.
 */
import { createRequire } from 'node:module';
import type { EnvHttpProxyAgent } from 'undici';
import { KmsConfigError } from '../errors.js';

/** Proxy settings read from the environment. Empty string means "none". */
export interface ProxySettings {
  /** Proxy for http: URLs. */
  readonly httpProxy: string;
  /** Proxy for https: URLs (HTTPS_PROXY, else HTTP_PROXY, as undici does). */
  readonly httpsProxy: string;
  /** Hosts (and host:port) that bypass the proxy; `*` bypasses all. */
  readonly noProxy: string;
}

function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): string {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return '';
}

function checkProxyUrl(value: string, name: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KmsConfigError(`${name} is not a URL (expected e.g. http://proxy.example:3128)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KmsConfigError(`${name} must be an http: or https: URL, not ${url.protocol}`);
  }
}

/**
 * Reads the proxy variables; undefined when neither proxy is set. Throws {@link KmsConfigError}
 * for a proxy that is not an http(s) URL (without echoing it: it may hold a password).
 */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const httpProxy = firstSet(env, ['http_proxy', 'HTTP_PROXY']);
  const httpsProxy = firstSet(env, ['https_proxy', 'HTTPS_PROXY']) || httpProxy;
  if (!httpProxy && !httpsProxy) return undefined;
  if (httpProxy) checkProxyUrl(httpProxy, 'HTTP_PROXY');
  if (httpsProxy && httpsProxy !== httpProxy) checkProxyUrl(httpsProxy, 'HTTPS_PROXY');
  return { httpProxy, httpsProxy, noProxy: firstSet(env, ['no_proxy', 'NO_PROXY']) };
}

const defaultPorts: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * The proxy a request to `url` goes through, or undefined when none applies or `NO_PROXY`
 * exempts the host. Same rules as undici's `EnvHttpProxyAgent`.
 */
export function proxyFor(url: URL, settings: ProxySettings | undefined): string | undefined {
  if (!settings) return undefined;
  const proxy = url.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
  if (!proxy) return undefined;
  const hostname = url.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || defaultPorts[url.protocol] || 0;
  const noProxy = settings.noProxy;
  if (noProxy === '*') return undefined;
  for (const entry of noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const entryHost = (parsed?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    const entryPort = parsed?.[2] ? Number.parseInt(parsed[2], 10) : 0;
    if (entryPort && entryPort !== port) continue;
    if (hostname === entryHost || hostname.endsWith(`.${entryHost}`)) return undefined;
  }
  return proxy;
}

/** The proxy's origin, without user name or password: safe to show. */
export function redactProxy(proxy: string): string {
  try {
    return new URL(proxy).origin;
  } catch {
    return '[invalid proxy URL]';
  }
}

/**
 * An `EnvHttpProxyAgent` for these settings (passed explicitly, so the agent does not read
 * `process.env` again) with the client's connection limits. The connect timeout also covers the
 * connection to the proxy and the TLS handshake through the tunnel.
 *
 * @param settings - from {@link proxySettingsFromEnv}.
 * @param options - sockets per origin, connect timeout, keep-alive.
 */
export function createProxyDispatcher(
  settings: ProxySettings,
  options: { connections: number; connectTimeoutMs: number; keepAliveTimeout: number },
): EnvHttpProxyAgent {
  const timeout = options.connectTimeoutMs;
  const undici = loadUndici();
  return new undici.EnvHttpProxyAgent({
    httpProxy: settings.httpProxy,
    httpsProxy: settings.httpsProxy,
    noProxy: settings.noProxy,
    connections: options.connections,
    connect: { timeout },
    keepAliveTimeout: options.keepAliveTimeout,
    proxyTls: { timeout },
    requestTls: { timeout },
  });
}

/**
 * undici's full index, loaded only when a proxy is configured. The client imports the Agent alone
 * to start fast, but the proxy agent needs the API methods (`connect` for the CONNECT tunnel) that
 * only the index attaches to every dispatcher; without them every proxied request fails.
 */
function loadUndici(): typeof import('undici') {
  // __filename in the CommonJS build, import.meta.url in the ES module build.
  const require = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  return require('undici') as typeof import('undici');
}
