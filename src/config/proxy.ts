/**
 * Proxy settings from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (lower-case names first, as curl
 * and undici read them), and whether a URL goes through the proxy, with curl's `NO_PROXY` rules.
 * The tunnel itself is opened by `request/connector.ts`.
 */
import { isIP } from 'node:net';
import { KmsConfigError } from '../errors.js';

/** Proxy settings read from the environment. Empty string means "none". */
export interface ProxySettings {
  /** Proxy for http: URLs. */
  readonly httpProxy: string;
  /** Proxy for https: URLs (HTTPS_PROXY, else HTTP_PROXY, as undici does). */
  readonly httpsProxy: string;
  /** Hosts, domains, IP addresses and CIDR ranges (and host:port) that bypass the proxy; `*` all. */
  readonly noProxy: string;
}

function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): [string, string] {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return [value, name];
  }
  return ['', names[names.length - 1] ?? ''];
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
  if (proxyCredentials(url) === null) {
    throw new KmsConfigError(
      `${name} has a user name or password with an invalid % escape (write a literal % as %25)`,
    );
  }
}

/**
 * The `user:password` a proxy URL carries, percent-decoded, for `Proxy-Authorization: Basic`:
 * undefined when it has neither, `user:` or `:password` when it has one (as curl sends them);
 * null when an escape is invalid.
 */
export function proxyCredentials(url: URL): string | undefined | null {
  if (!url.username && !url.password) return undefined;
  try {
    return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    return null;
  }
}

/**
 * Reads the proxy variables; undefined when neither proxy is set. Throws {@link KmsConfigError}
 * naming the variable for a proxy that is not an http(s) URL or whose user name or password has
 * a bad `%` escape (without echoing it: it may hold a password).
 */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const [httpProxy, httpName] = firstSet(env, ['http_proxy', 'HTTP_PROXY']);
  const [httpsOwn, httpsName] = firstSet(env, ['https_proxy', 'HTTPS_PROXY']);
  const httpsProxy = httpsOwn || httpProxy;
  if (!httpProxy && !httpsProxy) return undefined;
  if (httpProxy) checkProxyUrl(httpProxy, httpName);
  if (httpsOwn && httpsOwn !== httpProxy) checkProxyUrl(httpsOwn, httpsName);
  return { httpProxy, httpsProxy, noProxy: firstSet(env, ['no_proxy', 'NO_PROXY'])[0] };
}

const defaultPorts: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * The proxy a request to `url` goes through, or undefined when none applies or `NO_PROXY`
 * exempts the host. `NO_PROXY` as curl reads it: `*` alone bypasses every host; otherwise a list
 * (commas or blanks) of host names, each matching itself and its subdomains (a leading dot and a
 * trailing dot ignored, on either side, case-insensitive), IPv4 and IPv6 addresses (`::1`,
 * without brackets) matching that address, and CIDR ranges (`10.0.0.0/8`, `fd00::/8`) matching
 * the addresses inside. An IP address matches IP entries only, a name name entries only. Beyond
 * curl: `host:port` (`[v6]:port`) bypasses for that port only, and `*.example.com` means
 * `example.com`.
 */
export function proxyFor(url: URL, settings: ProxySettings | undefined): string | undefined {
  if (!settings) return undefined;
  const proxy = url.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
  if (!proxy) return undefined;
  return bypassesProxy(url, settings.noProxy) ? undefined : proxy;
}

function bypassesProxy(url: URL, noProxy: string): boolean {
  if (noProxy === '*') return true;
  const port = Number.parseInt(url.port, 10) || defaultPorts[url.protocol] || 0;
  const bracketed = /^\[(.*)\]$/.exec(url.hostname)?.[1];
  const family = bracketed !== undefined ? 6 : isIP(url.hostname) === 4 ? 4 : 0;
  const address = family === 0 ? undefined : ipBytes(bracketed ?? url.hostname, family);
  const name = url.hostname.toLowerCase().replace(/\.$/, '');
  for (const entry of noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const withPort = /^\[(.+)\]:(\d+)$/.exec(entry) ?? /^([^:]+):(\d+)$/.exec(entry);
    if (withPort && Number.parseInt(withPort[2] as string, 10) !== port) continue;
    const host = (withPort?.[1] ?? entry).replace(/^\[(.*)\]$/, '$1');
    if (family !== 0) {
      const [network, bits] = host.split('/', 2) as [string, string | undefined];
      const range = ipBytes(network, family);
      // As curl reads it (atoi): no number or 0 means the whole address.
      const prefix = Number.parseInt(bits ?? '', 10) || 0;
      if (address && range && inRange(address, range, prefix)) return true;
    } else {
      const domain = host
        .toLowerCase()
        .replace(/\.$/, '')
        .replace(/^\*?\./, '');
      if (domain && (name === domain || name.endsWith(`.${domain}`))) return true;
    }
  }
  return false;
}

/** The bytes of an IPv4 (4) or IPv6 (16) address, or undefined when `text` is not one. */
function ipBytes(text: string, family: 4 | 6): number[] | undefined {
  if (isIP(text) !== family) return undefined;
  if (family === 4) return text.split('.').map(Number);
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const hex = text.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)]
      .map((group) => group.toString(16))
      .join(':'),
  );
  const [head = '', tail] = hex.split('::') as [string, string | undefined];
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** Whether the first `prefix` bits of `address` and `network` are the same (0: exact match, as curl). */
function inRange(address: number[], network: number[], prefix: number): boolean {
  const bits = prefix === 0 ? address.length * 8 : prefix;
  if (bits < 0 || bits > address.length * 8) return false;
  for (let bit = 0; bit < bits; bit += 8) {
    const take = Math.min(8, bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    const index = bit / 8;
    if (((address[index] ?? 0) & mask) !== ((network[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** The proxy's origin, without user name or password: safe to show. */
export function redactProxy(proxy: string): string {
  try {
    return new URL(proxy).origin;
  } catch {
    return '[invalid proxy URL]';
  }
}
