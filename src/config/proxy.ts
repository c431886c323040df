/**
 * Proxy settings from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (lower-case names first, as curl
 * and undici read them), and whether a URL goes through the proxy, with undici's exact
 * `NO_PROXY` rules. The tunnel itself is opened by `request/connector.ts`.
 */
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
