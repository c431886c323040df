/**
 * HTTPS through a proxy's CONNECT tunnel checks the endpoint's identity, never the proxy's: an IP
 * endpoint against the certificate's IP addresses (and no SNI), a host name against its DNS names
 * (with SNI). Real TLS on loopback with a CA made at test time; the client runs in a child
 * process that trusts that CA through `NODE_EXTRA_CA_CERTS` (read only at start-up).
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProxy, type TestProxy } from '../config/proxy-server.js';
import { createTestCa, type TestCa } from '../helpers/openssl-ca.js';

const repoRoot = new URL('../..', import.meta.url).pathname;

interface TlsServer {
  port: number;
  /** SNI of each TLS connection (false: none sent). */
  serverNames: (string | false)[];
  server: Server;
}

let ca: TestCa;
let proxy: TestProxy;
const servers: TlsServer[] = [];

async function startTlsServer(host: string, pair: { key: string; cert: string }) {
  const serverNames: (string | false)[] = [];
  const server = createServer(pair, (_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': 'req-tls',
    });
    res.end('{"CustomKeyStores":[],"Truncated":false}');
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    serverNames.push((socket as TLSSocket & { servername: string | false }).servername);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const started = { port: (server.address() as AddressInfo).port, serverNames, server };
  servers.push(started);
  return started;
}

const script = `
const { KmsClient } = await import('./src/index.ts');
const client = new KmsClient({ region: 'eu-west-1', endpoint: process.env.TEST_ENDPOINT, maxAttempts: 1,
  credentials: { accessKeyId: 'AKIDTLS', secretAccessKey: 'tls-secret' } });
try {
  await client.describeCustomKeyStores();
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, name: error.name, message: error.message, cause: String(error.cause?.code ?? error.cause?.message ?? '') }));
} finally {
  await client.close();
}`;

async function describeThrough(
  endpoint: string,
  proxyUrl: string | undefined,
): Promise<{ ok: boolean; message?: string; cause?: string }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: '/nonexistent/kms-cks-test',
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_EXTRA_CA_CERTS: ca.caFile,
    TEST_ENDPOINT: endpoint,
  };
  if (proxyUrl) env.HTTPS_PROXY = proxyUrl;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: repoRoot, env, timeout: 30_000 },
  );
  return JSON.parse(stdout);
}

let ipServer: TlsServer;
let wrongForIp: TlsServer;
let nameServer: TlsServer;
let proxyByName: string;

beforeAll(async () => {
  ca = createTestCa();
  ipServer = await startTlsServer('127.0.0.2', ca.issue('ip', ['IP:127.0.0.2']));
  wrongForIp = await startTlsServer('127.0.0.2', ca.issue('localhost', ['DNS:localhost']));
  nameServer = await startTlsServer('127.0.0.1', ca.issue('localhost-name', ['DNS:localhost']));
  proxy = await startTestProxy();
  // The proxy by name: the identity that must not be checked in place of the endpoint's.
  proxyByName = proxy.url.replace('127.0.0.1', 'localhost');
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  for (const { server } of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  ca?.remove();
});

describe('TLS through a proxy tunnel verifies the endpoint, not the proxy', () => {
  it('an IP endpoint is accepted with a certificate for its IP address, without SNI', async () => {
    const result = await describeThrough(`https://127.0.0.2:${ipServer.port}`, proxyByName);
    expect(result).toEqual({ ok: true });
    expect(proxy.tunnels).toContain(`127.0.0.2:${ipServer.port}`);
    expect(ipServer.serverNames).toEqual([false]);
    // Same as without a proxy.
    expect(await describeThrough(`https://127.0.0.2:${ipServer.port}`, undefined)).toEqual({
      ok: true,
    });
  });

  it("an IP endpoint is refused with a certificate valid only for the proxy's name", async () => {
    const result = await describeThrough(`https://127.0.0.2:${wrongForIp.port}`, proxyByName);
    expect(result.ok).toBe(false);
    expect(`${result.message} ${result.cause}`).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i);
    expect(proxy.tunnels).toContain(`127.0.0.2:${wrongForIp.port}`);
  });

  it('a host name endpoint is checked against its name and sends it as SNI', async () => {
    const result = await describeThrough(`https://localhost:${nameServer.port}`, proxyByName);
    expect(result).toEqual({ ok: true });
    expect(proxy.tunnels).toContain(`localhost:${nameServer.port}`);
    expect(nameServer.serverNames).toEqual(['localhost']);
  });
});
