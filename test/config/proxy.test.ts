/**
 * `NO_PROXY` as curl reads it (lib/noproxy.c): `*` alone, host names with their subdomains
 * (leading and trailing dots ignored), IPv4 and IPv6 addresses and CIDR ranges; plus the
 * `host:port` entries this client has always taken. Each pair is what curl decides.
 */
import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../src/config/proxy.js';

const proxy = 'http://127.0.0.1:3128';
const through = (noProxy: string, url: string) =>
  proxyFor(new URL(url), { httpProxy: proxy, httpsProxy: proxy, noProxy }) === undefined
    ? 'direct'
    : 'proxy';

const common = 'localhost,127.0.0.1,::1';

describe('NO_PROXY, as curl', () => {
  it.each([
    // `*` alone bypasses everything; inside a list it is an ordinary (unmatched) name.
    ['*', 'https://kms.eu-west-1.amazonaws.com', 'direct'],
    ['localhost,*', 'https://kms.eu-west-1.amazonaws.com', 'proxy'],
    // IPv6 literals, without brackets (as in the common list).
    [common, 'http://[::1]:8080/', 'direct'],
    [common, 'https://[::1]/', 'direct'],
    [common, 'http://127.0.0.1:4566/', 'direct'],
    [common, 'http://localhost:4566/', 'direct'],
    [common, 'http://127.0.0.2/', 'proxy'],
    ['::1', 'http://[::2]/', 'proxy'],
    ['::1', 'http://127.0.0.1/', 'proxy'],
    ['0:0:0:0:0:0:0:1', 'http://[::1]/', 'direct'],
    // CIDR ranges, IPv4 and IPv6.
    ['10.0.0.0/8', 'https://10.1.2.3', 'direct'],
    ['10.0.0.0/8', 'https://11.1.2.3', 'proxy'],
    ['192.168.0.0/16', 'https://192.168.255.1', 'direct'],
    ['192.168.1.0/24', 'https://192.168.2.1', 'proxy'],
    ['172.16.0.0/12', 'https://172.31.255.255', 'direct'],
    ['172.16.0.0/12', 'https://172.32.0.1', 'proxy'],
    ['127.0.0.1/32', 'http://127.0.0.1', 'direct'],
    ['127.0.0.0/0', 'http://127.0.0.2', 'proxy'],
    ['10.0.0.0/33', 'http://10.0.0.1', 'proxy'],
    ['fd00::/8', 'https://[fd12::1]', 'direct'],
    ['fd00::/8', 'https://[fe80::1]', 'proxy'],
    ['2001:db8::/32', 'https://[2001:db8:ffff::5]', 'direct'],
    ['2001:db8::/33', 'https://[2001:db8:ffff::5]', 'proxy'],
    ['::ffff:0:0/96', 'http://[::ffff:10.0.0.1]', 'direct'],
    ['10.0.0.0/8', 'https://10.example.com', 'proxy'],
    ['example.com', 'https://10.0.0.1', 'proxy'],
    // Trailing and leading dots, on either side; case.
    ['example.com.', 'https://example.com', 'direct'],
    ['example.com', 'https://example.com.', 'direct'],
    ['example.com.', 'https://www.example.com.', 'direct'],
    ['.example.com', 'https://example.com', 'direct'],
    ['.example.com', 'https://www.example.com', 'direct'],
    ['EXAMPLE.com', 'https://www.Example.COM', 'direct'],
    ['example.com', 'https://notexample.com', 'proxy'],
    ['www.example.com', 'https://example.com', 'proxy'],
    [' example.com , other.org ', 'https://a.other.org', 'direct'],
    ['', 'https://example.com', 'proxy'],
    // Kept from before (not in curl): host:port for that port only, `*.domain`.
    ['127.0.0.1:8080', 'http://127.0.0.1:8080', 'direct'],
    ['127.0.0.1:8080', 'http://127.0.0.1:9090', 'proxy'],
    ['[::1]:8080', 'http://[::1]:8080', 'direct'],
    ['example.com:443', 'https://kms.example.com', 'direct'],
    ['*.example.com', 'https://kms.example.com', 'direct'],
  ])('NO_PROXY=%j, %s -> %s', (noProxy, url, expected) => {
    expect(through(noProxy, url)).toBe(expected);
  });
});
