/**
 * TLS of the XKS client and the software proxy with certificates made by openssl at test time
 * (nothing committed): a private CA given as `ca`, `connectTo` sending `xks.example.com:443` to
 * loopback while the certificate is still checked against (and SNI sent for) xks.example.com,
 * and mTLS with a client certificate named as KMS names its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startXksProxy, type XksProxy } from '../../src/emulator/index.js';
import {
  checkXksProxy,
  kmsConnectionErrorCode,
  XksClient,
  XksNetworkError,
} from '../../src/xks/index.js';

let dir: string;
const pem: Record<string, string> = {};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A P-256 key and a certificate for `cn` signed by the CA `ca`, with the given extensions. */
function issue(name: string, cn: string, ca: string, extensions: string): void {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  );
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
  pem[`${name}.pem`] = readFileSync(join(dir, `${name}.pem`), 'utf8');
  pem[`${name}.key`] = readFileSync(join(dir, `${name}.key`), 'utf8');
}

function authority(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  );
  pem[`${name}.pem`] = readFileSync(join(dir, `${name}.pem`), 'utf8');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kms-cks-xks-tls-'));
  authority('server-ca');
  issue(
    'server',
    'xks.example.com',
    'server-ca',
    'subjectAltName=DNS:xks.example.com\nextendedKeyUsage=serverAuth\n',
  );
  authority('client-ca');
  issue('client', 'cks.kms.eu-west-1.amazonaws.com', 'client-ca', 'extendedKeyUsage=clientAuth\n');
  issue('stranger', 'someone.example.com', 'client-ca', 'extendedKeyUsage=clientAuth\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const proxies: XksProxy[] = [];
const clients: XksClient[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const proxy of proxies.splice(0)) await proxy.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function proxyWith(tls: Parameters<typeof startXksProxy>[0] = {}): Promise<XksProxy> {
  const proxy = await startXksProxy({
    hostname: 'xks.example.com',
    region: 'eu-west-1',
    tls: { cert: pem['server.pem']!, key: pem['server.key']! },
    ...tls,
  });
  proxies.push(proxy);
  return proxy;
}

function clientTo(
  proxy: XksProxy,
  options: Partial<ConstructorParameters<typeof XksClient>[0]> = {},
): XksClient {
  const client = new XksClient({
    uriEndpoint: 'https://xks.example.com',
    uriPath: proxy.uriPath,
    region: proxy.region,
    credentials: proxy.credentials[0]!,
    timeoutMs: 5000,
    ca: pem['server-ca.pem']!,
    connectTo: { 'xks.example.com:443': `127.0.0.1:${proxy.port}` },
    ...options,
  });
  clients.push(client);
  return client;
}

describe('XKS client TLS', () => {
  it('reaches xks.example.com on loopback through connectTo, trusting the CA given', async () => {
    const proxy = await proxyWith();
    expect(proxy.ca).toBeUndefined();
    const health = await clientTo(proxy).getHealthStatus();
    expect(health.xksProxyFleetSize).toBe(1);
  });

  it('sends SNI for the original host name and the Host header it signs', async () => {
    const seen: { servername?: string; host?: string } = {};
    const server = createServer(
      {
        cert: pem['server.pem'],
        key: pem['server.key'],
        SNICallback: (servername, callback) => {
          seen.servername = servername;
          callback(null, undefined);
        },
      },
      (request, response) => {
        seen.host = request.headers.host;
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end('{"errorName":"InvalidUriPathException"}');
      },
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = new XksClient({
      uriEndpoint: 'https://xks.example.com',
      uriPath: '/kms/xks/v1',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'ABCDEFGHIJKLMNOPQRST', rawSecretAccessKey: 's'.repeat(43) },
      ca: pem['server-ca.pem']!,
      connectTo: { 'xks.example.com:443': `127.0.0.1:${port}` },
      timeoutMs: 5000,
    });
    clients.push(client);
    await expect(client.getHealthStatus()).rejects.toMatchObject({
      name: 'InvalidUriPathException',
      status: 404,
    });
    expect(seen).toEqual({ servername: 'xks.example.com', host: 'xks.example.com' });
  });

  it('without the CA: a TLS failure, XKS_PROXY_INVALID_TLS_CONFIGURATION', async () => {
    const proxy = await proxyWith();
    const error = await clientTo(proxy, { ca: undefined })
      .getHealthStatus()
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(XksNetworkError);
    expect((error as XksNetworkError).stage).toBe('tls');
    expect(kmsConnectionErrorCode(error)).toBe('XKS_PROXY_INVALID_TLS_CONFIGURATION');
  });

  it('connectTo does not change the name checked: another host name on the same address fails', async () => {
    const proxy = await proxyWith();
    const client = clientTo(proxy, {
      uriEndpoint: 'https://other.example.com',
      connectTo: { 'other.example.com:443': `127.0.0.1:${proxy.port}` },
    });
    await expect(client.getHealthStatus()).rejects.toMatchObject({
      name: 'XksNetworkError',
      stage: 'tls',
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('mTLS: refused without a client certificate or with another name, served with the right one', async () => {
    const proxy = await proxyWith({
      tls: {
        cert: pem['server.pem']!,
        key: pem['server.key']!,
        clientCa: pem['client-ca.pem']!,
        clientCommonName: 'cks.kms.eu-west-1.amazonaws.com',
      },
    });
    await expect(clientTo(proxy).getHealthStatus()).rejects.toBeInstanceOf(XksNetworkError);
    await expect(
      clientTo(proxy, {
        clientCertificate: { cert: pem['stranger.pem']!, key: pem['stranger.key']! },
      }).getHealthStatus(),
    ).rejects.toBeInstanceOf(XksNetworkError);
    const health = await clientTo(proxy, {
      clientCertificate: { cert: pem['client.pem']!, key: pem['client.key']! },
    }).getHealthStatus();
    expect(health.ekmFleetDetails).toHaveLength(1);
  });

  it('the checker passes every check against the proxy with the openssl certificate', async () => {
    const proxy = await proxyWith();
    const report = await checkXksProxy({
      uriEndpoint: 'https://xks.example.com',
      uriPath: proxy.uriPath,
      region: proxy.region,
      credentials: proxy.credentials[0]!,
      secondCredentials: proxy.credentials[1]!,
      keyIds: ['xks-key-1'],
      ca: pem['server-ca.pem']!,
      connectTo: { 'xks.example.com:443': `127.0.0.1:${proxy.port}` },
      latencySamples: 3,
    });
    expect(report.checks.filter((check) => check.status !== 'pass')).toEqual([
      // openssl's certificate is valid for 2 days only: the checker warns about it.
      expect.objectContaining({ id: 'tls.dates', status: 'warn' }),
    ]);
  });
});
