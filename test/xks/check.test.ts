/**
 * checkXksProxy against the software proxy: every check passes on a healthy proxy, and each
 * injected fault makes the matching check fail with the connection error code (or exception)
 * KMS would report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXksProxy, type XksProxy, type XksProxyFaults } from '../../src/emulator/index.js';
import { checkXksProxy, type XksCheckOptions, type XksCheckReport } from '../../src/xks/index.js';

let proxy: XksProxy;
beforeAll(async () => {
  proxy = await startXksProxy({ hostname: 'xks.example.com', region: 'eu-west-1' });
});
afterAll(() => proxy.close());

function options(extra: Partial<XksCheckOptions> = {}): XksCheckOptions {
  return {
    uriEndpoint: 'https://xks.example.com',
    uriPath: proxy.uriPath,
    region: proxy.region,
    credentials: proxy.credentials[0]!,
    secondCredentials: proxy.credentials[1]!,
    keyIds: ['xks-key-1'],
    ca: proxy.ca!,
    connectTo: { 'xks.example.com:443': `127.0.0.1:${proxy.port}` },
    latencySamples: 3,
    probeTimeoutMs: 1500,
    // Generous on a loaded test machine; the test of latency faults uses KMS's 250 ms.
    budgetMs: 5000,
    ...extra,
  };
}

async function withFaults(
  faults: XksProxyFaults,
  extra: Partial<XksCheckOptions> = {},
): Promise<XksCheckReport> {
  proxy.setFaults(faults);
  try {
    return await checkXksProxy(options(extra));
  } finally {
    proxy.setFaults();
  }
}

function check(report: XksCheckReport, id: string) {
  const found = report.checks.find((entry) => entry.id === id);
  if (!found)
    throw new Error(`no check ${id} in ${report.checks.map((entry) => entry.id).join(', ')}`);
  return found;
}

describe('checkXksProxy against the software proxy', () => {
  it('passes every check of a healthy proxy, with nothing skipped', async () => {
    // A generous budget: on a loaded test machine a cold TLS handshake can pass 250 ms; the
    // latency checks against KMS's own 250 ms are the fault tests below.
    const report = await checkXksProxy(options({ latencySamples: 10, budgetMs: 5000 }));
    expect(report.checks.filter((entry) => entry.status !== 'pass')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.summary.fail).toBe(0);
    const ids = report.checks.map((entry) => entry.id);
    for (const id of [
      'tls.version',
      'tls.host',
      'tls.dates',
      'tls.chain',
      'health.signed',
      'health.fleet-size',
      'health.ekm-active',
      'latency',
      'auth.second-credential',
      'auth.unsigned',
      'auth.wrong-secret',
      'auth.wrong-service',
      'auth.wrong-region',
      'auth.skew-past',
      'auth.skew-future',
      'http.get-405',
      'http.unknown-path-404',
      'http.error-bodies',
      'http.content-type',
      'health.unknown-kms-operation',
      'key.unknown-404',
      'key.metadata[xks-key-1]',
      'key.round-trip[xks-key-1]',
      'key.round-trip-aad[xks-key-1]',
      'key.limits[xks-key-1]',
      'key.cdiv[xks-key-1]',
      'key.encrypt-sizes[xks-key-1]',
      'key.unknown-kms-operation[xks-key-1]',
      'key.tamper-ciphertext[xks-key-1]',
      'key.tamper-tag[xks-key-1]',
      'key.tamper-iv[xks-key-1]',
      'key.tamper-aad[xks-key-1]',
    ]) {
      expect(ids).toContain(id);
    }
    expect(JSON.stringify(report)).not.toContain(proxy.credentials[0]!.rawSecretAccessKey);
    expect(JSON.stringify(report)).not.toContain(proxy.credentials[1]!.rawSecretAccessKey);
  });

  it.each([
    [
      'an expired certificate',
      { certificate: 'expired' },
      'tls.dates',
      'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    ],
    [
      'a certificate for another host',
      { certificate: 'wrong-host' },
      'tls.host',
      'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    ],
    [
      'every key manager UNAVAILABLE',
      { ekmUnavailable: true },
      'health.ekm-active',
      'XKS_PROXY_NOT_REACHABLE',
    ],
    [
      'a malformed health answer',
      { malformed: 'not-json' },
      'health.signed',
      'XKS_PROXY_INVALID_RESPONSE',
    ],
    [
      'a fleet size of 0',
      { malformed: 'zero-fleet' },
      'health.signed',
      'XKS_PROXY_INVALID_RESPONSE',
    ],
    [
      'a fleet size of 0, the field itself',
      { malformed: 'zero-fleet' },
      'health.fleet-size',
      'XKS_PROXY_INVALID_RESPONSE',
    ],
    [
      '401 on signed requests',
      { error: { errorName: 'AuthenticationFailedException' } },
      'health.signed',
      'INVALID_CREDENTIALS',
    ],
    [
      '403 on signed requests',
      { error: { errorName: 'AccessDeniedException' } },
      'health.signed',
      'XKS_PROXY_ACCESS_DENIED',
    ],
    [
      '404 InvalidUriPathException',
      { error: { errorName: 'InvalidUriPathException' } },
      'health.signed',
      'XKS_PROXY_INVALID_CONFIGURATION',
    ],
    [
      '429 ThrottlingException',
      { error: { errorName: 'ThrottlingException' } },
      'health.signed',
      'XKS_PROXY_NOT_REACHABLE',
    ],
    [
      '500 InternalException',
      { error: { errorName: 'InternalException' } },
      'health.signed',
      'XKS_PROXY_INVALID_RESPONSE',
    ],
    [
      'an error status without a spec body',
      { error: { errorName: 'Oops', status: 502 } },
      'health.signed',
      'XKS_PROXY_INVALID_RESPONSE',
    ],
  ] as const)('%s: %s fails with %s', async (_title, faults, id, code) => {
    const report = await withFaults(faults as XksProxyFaults);
    expect(report.ok).toBe(false);
    const failed = check(report, id);
    expect(failed.status).toBe('fail');
    expect(failed.kms?.split(';')[0]).toBe(code);
  });

  it('latency over 250 ms: health.signed and latency fail with XKS_PROXY_TIMED_OUT', async () => {
    const report = await withFaults(
      { latencyMs: 300 },
      { keyIds: [], latencySamples: 2, budgetMs: 250 },
    );
    for (const id of ['health.signed', 'latency']) {
      expect(check(report, id)).toMatchObject({ status: 'fail' });
      expect(check(report, id).kms).toMatch(/^XKS_PROXY_TIMED_OUT;/);
    }
  });

  it('a proxy that does not check signatures fails every refusal check', async () => {
    const report = await withFaults({ skipAuthentication: true });
    for (const id of [
      'auth.unsigned',
      'auth.wrong-secret',
      'auth.wrong-service',
      'auth.wrong-region',
      'auth.skew-past',
      'auth.skew-future',
    ]) {
      expect(check(report, id)).toMatchObject({
        status: 'fail',
        expected: 'HTTP 401 AuthenticationFailedException',
        seen: expect.stringMatching(/^HTTP 200/),
      });
    }
  });

  it('a wrong CDIV fails key.cdiv; a 12-byte tag fails key.encrypt-sizes (KMSInvalidStateException)', async () => {
    const cdiv = await withFaults({ malformed: 'bad-cdiv' });
    expect(check(cdiv, 'key.cdiv[xks-key-1]')).toMatchObject({
      status: 'fail',
      kms: expect.stringMatching(/^KMSInvalidStateException/),
    });
    const tag = await withFaults({ malformed: 'short-tag' });
    expect(check(tag, 'key.encrypt-sizes[xks-key-1]')).toMatchObject({
      status: 'fail',
      seen: expect.stringContaining('tag 12'),
      kms: expect.stringMatching(/^KMSInvalidStateException/),
    });
  });

  it('a CA not given: tls.chain fails; a closed port: XKS_PROXY_NOT_REACHABLE', async () => {
    const { ca: _ca, ...withoutCa } = options();
    const untrusted = await checkXksProxy(withoutCa);
    expect(check(untrusted, 'tls.chain')).toMatchObject({
      status: 'fail',
      kms: expect.stringMatching(/^XKS_PROXY_INVALID_TLS_CONFIGURATION/),
    });
    expect(check(untrusted, 'tls.chain').note).toMatch(/KMS trusts its own list of public CAs/);
    const closed = await startXksProxy();
    const port = closed.port;
    await closed.close();
    const unreachable = await checkXksProxy(
      options({ connectTo: { 'xks.example.com:443': `127.0.0.1:${port}` } }),
    );
    expect(check(unreachable, 'tls.version')).toMatchObject({
      status: 'fail',
      kms: expect.stringMatching(/^XKS_PROXY_NOT_REACHABLE/),
    });
    expect(check(unreachable, 'proxy.reachable').status).toBe('fail');
  });

  it('a port that accepts but never answers the TLS handshake: XKS_PROXY_TIMED_OUT', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const report = await checkXksProxy(
        options({ connectTo: { 'xks.example.com:443': `127.0.0.1:${port}` }, probeTimeoutMs: 300 }),
      );
      expect(check(report, 'tls.version')).toMatchObject({
        status: 'fail',
        seen: expect.stringContaining('TLS handshake did not complete within 300 ms'),
        kms: expect.stringMatching(/^XKS_PROXY_TIMED_OUT;/),
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a proxy that echoes the secrets gets them redacted in the report', async () => {
    const { startLoopbackServer } = await import('../helpers/loopback.js');
    const second = {
      accessKeyId: 'ROTATEDROTATEDROTATED2',
      rawSecretAccessKey: 'c2Vjb25kIHNlY3JldCBvZiB0aGUgZWNobyB0ZXN0IQ==',
    };
    const first = proxy.credentials[0]!;
    const echo = await startLoopbackServer((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`${first.rawSecretAccessKey} ${second.rawSecretAccessKey}`);
    });
    try {
      const report = await checkXksProxy(
        options({
          uriEndpoint: `http://127.0.0.1:${echo.port}`,
          connectTo: {},
          secondCredentials: second,
        }),
      );
      expect(report.ok).toBe(false);
      const text = JSON.stringify(report);
      expect(text).not.toContain(first.rawSecretAccessKey);
      expect(text).not.toContain(second.rawSecretAccessKey);
      expect(text).toContain('[redacted]');
    } finally {
      await echo.close();
    }
  });

  it('a disabled key fails key.metadata (CreateKey would fail); a second credential the proxy lacks fails rotation', async () => {
    const report = await checkXksProxy(
      options({
        keyIds: ['xks-key-disabled'],
        secondCredentials: {
          accessKeyId: 'ROTATEDROTATEDROTATED2',
          rawSecretAccessKey: 'r'.repeat(44),
        },
      }),
    );
    expect(check(report, 'key.metadata[xks-key-disabled]')).toMatchObject({
      status: 'fail',
      seen: 'AES_256, [ENCRYPT, DECRYPT], DISABLED',
      kms: 'XksKeyInvalidConfigurationException (CreateKey)',
    });
    expect(check(report, 'key.round-trip[xks-key-disabled]').status).toBe('fail');
    expect(check(report, 'auth.second-credential')).toMatchObject({
      status: 'fail',
      seen: 'HTTP 401 AuthenticationFailedException',
    });
  });
});
