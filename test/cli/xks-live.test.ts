/**
 * kms-cks and live XKS: `kms-cks emulator --xks-live [--xks-ca] [--xks-connect-to]`, and the
 * connection error code of a store that failed against a real (stand-in) proxy, with what to
 * check for it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionErrorHint, failureHints } from '../../src/cli/hints.js';
import { main } from '../../src/cli/program.js';
import { type KmsEmulator, startKmsEmulator } from '../../src/emulator/index.js';
import {
  makeCertificates,
  standInCredential,
  startXksStandIn,
  type TestCertificates,
  type XksStandIn,
  xksHost,
} from '../helpers/xks-stand-in.js';
import { capture, runCli } from './run.js';

let certs: TestCertificates;
let dir: string;
let proxy: XksStandIn | undefined;
let emu: KmsEmulator | undefined;

beforeAll(async () => {
  certs = await makeCertificates();
  dir = await mkdtemp(join(tmpdir(), 'kms-cks-xks-cli-'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await emu?.close();
  await proxy?.close();
  emu = undefined;
  proxy = undefined;
});

const id = 'cks-live0000000000001';

async function liveEmulator(tls = certs.valid): Promise<KmsEmulator> {
  proxy = await startXksStandIn({ tls });
  emu = await startKmsEmulator({
    transitionMs: 20,
    keyStores: [
      {
        id,
        name: 'live-xks',
        type: 'EXTERNAL_KEY_STORE',
        connectionState: 'DISCONNECTED',
        xksProxyConfiguration: {
          connectivity: 'PUBLIC_ENDPOINT',
          accessKeyId: standInCredential.accessKeyId,
          uriEndpoint: `https://${xksHost}`,
          uriPath: proxy.uriPath,
        },
        xksProxyAuthenticationCredential: standInCredential,
      },
    ],
    xks: {
      mode: 'live',
      ca: certs.ca,
      connectTo: { [`${xksHost}:443`]: `127.0.0.1:${proxy.port}` },
      timeoutMs: 5_000,
      healthCheckIntervalMs: 0,
    },
  });
  return emu;
}

const fast = ['--poll-interval', '20ms', '--timeout', '20s'];

describe('kms-cks against a live-XKS emulator', () => {
  it('connect --wait ending FAILED prints the code and what to check; describe shows both; --reset-failed recovers', async () => {
    await liveEmulator(certs.expired);
    const connect = await runCli(emu, ['connect', id, '--wait', ...fast]);
    expect(connect.code).toBe(1);
    expect(connect.stderr).toContain('FAILED (XKS_PROXY_INVALID_TLS_CONFIGURATION)');
    expect(connect.stderr).toContain(
      "What to check (XKS_PROXY_INVALID_TLS_CONFIGURATION): check the proxy's TLS: TLS 1.2 or 1.3, a certificate not expired, issued for the endpoint's host name, chained to a public CA KMS trusts",
    );
    expect(connect.stderr).toContain(`Once fixed: kms-cks connect ${id} --reset-failed --wait`);

    const described = await runCli(emu, ['describe']);
    expect(described.code).toBe(0);
    const [table, hints] = described.stdout.split('\n\n');
    expect(
      table!
        .split('\n')[1]!
        .split(/\s{2,}/)
        .slice(3, 5),
    ).toEqual(['FAILED', 'XKS_PROXY_INVALID_TLS_CONFIGURATION']);
    expect(hints).toContain(`${id}  XKS_PROXY_INVALID_TLS_CONFIGURATION: check the proxy's TLS`);
    expect(described.stdout).not.toContain(standInCredential.rawSecretAccessKey);

    // The proxy gets a good certificate: --reset-failed disconnects, then connects it again.
    proxy!.setCertificate(certs.valid);
    const again = await runCli(emu, ['connect', id, '--reset-failed', '--wait', ...fast]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/now CONNECTED/);
    expect(emu!.xksProxyRequests.map((entry) => entry.connectionErrorCode ?? 'healthy')).toEqual([
      'XKS_PROXY_INVALID_TLS_CONFIGURATION',
      'healthy',
    ]);
    expect((await runCli(emu, ['describe'])).stdout).not.toContain('What to check');
  });

  it('INVALID_CREDENTIALS of an external key store: the hint speaks of the proxy credential', async () => {
    const seeded = await startKmsEmulator({
      keyStores: [
        {
          id,
          name: 'x',
          type: 'EXTERNAL_KEY_STORE',
          connectionState: 'FAILED',
          connectionErrorCode: 'INVALID_CREDENTIALS',
        },
        {
          id: 'cks-hsm00000000000001',
          name: 'h',
          type: 'AWS_CLOUDHSM',
          connectionState: 'FAILED',
          connectionErrorCode: 'USER_LOCKED_OUT',
        },
      ],
    });
    emu = seeded;
    const described = await runCli(seeded, ['describe']);
    expect(described.stdout).toContain(
      `${id}  INVALID_CREDENTIALS: the proxy refused KMS's signature: check that the store's proxy credential`,
    );
    expect(described.stdout).toContain(
      'cks-hsm00000000000001  USER_LOCKED_OUT: the kmsuser account is locked out',
    );
    expect(described.stdout).toContain('Once fixed: kms-cks connect <id> --reset-failed --wait');
    const json = await runCli(seeded, ['describe', '--json']);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
  });
});

describe('connectionErrorHint', () => {
  it("has a hint for every ConnectionErrorCode of KMS's model, and none for a code it does not know", () => {
    const model = JSON.parse(
      readFileSync(
        new URL(
          '../../../shared/reference/kms-custom-key-store-lifecycle.botocore.json',
          import.meta.url,
        ),
        'utf8',
      ),
    ) as { shapes: { ConnectionErrorCodeType: { enum: string[] } } };
    const codes = model.shapes.ConnectionErrorCodeType.enum;
    expect(codes.length).toBeGreaterThanOrEqual(18);
    for (const code of codes) {
      expect(connectionErrorHint(code), code).toMatch(/\w/);
      expect(connectionErrorHint(code, 'EXTERNAL_KEY_STORE'), code).toMatch(/\w/);
    }
    expect(connectionErrorHint('SOME_FUTURE_CODE')).toBeUndefined();
    expect(connectionErrorHint('INVALID_CREDENTIALS', 'AWS_CLOUDHSM')).toContain('kmsuser');
    expect(connectionErrorHint('INVALID_CREDENTIALS')).toMatch(
      /external key store: .*CloudHSM key store: /,
    );
  });

  it('an unknown code still gets a line under the table, with a control character in it made harmless', () => {
    const text = failureHints([
      {
        customKeyStoreId: 'cks-1',
        connectionState: 'FAILED',
        connectionErrorCode: 'NEW_CODE\u001b[2J',
      },
    ]);
    expect(text).toContain(
      'cks-1  NEW_CODE?[2J: see "How to fix a connection failure" in the KMS Developer Guide',
    );
    expect(text).not.toContain('\u001b');
    expect(failureHints([{ customKeyStoreId: 'cks-1', connectionState: 'CONNECTED' }])).toBe('');
  });
});

describe('kms-cks emulator --xks-live', () => {
  /** Runs `kms-cks emulator …` in-process until its banner is out, then stops it. */
  async function runEmulatorCommand(
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = capture();
    const stderr = capture();
    const controller = new AbortController();
    const running = main(['emulator', ...args], {
      stdout,
      stderr,
      isTTY: false,
      signal: controller.signal,
    });
    const deadline = Date.now() + 10_000;
    while (!stdout.text.includes('Press Ctrl-C') && Date.now() < deadline) {
      if (stderr.text !== '') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();
    const code = await running;
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('starts live with a CA file and connect-to routes, and says so', async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, certs.ca);
    const run = await runEmulatorCommand([
      '--xks-live',
      '--xks-ca',
      caFile,
      '--xks-connect-to',
      'xks.example.com:443:127.0.0.1:8443,other.example.com:443:[::1]:9443',
      '--xks-health-interval',
      '30s',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Live XKS: connecting an external key store');
    expect(run.stdout).toContain('extra CA: yes (--xks-ca)');
    expect(run.stdout).toContain(
      'connect-to: xks.example.com:443 -> 127.0.0.1:8443, other.example.com:443 -> [::1]:9443',
    );
    expect(run.stdout).toContain('KmsHealthCheck: every 30s while CONNECTED');
  });

  it('--xks-health-interval 0 (or 0s) turns the periodic check off', async () => {
    for (const zero of ['0', '0s']) {
      const run = await runEmulatorCommand(['--xks-live', '--xks-health-interval', zero]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('KmsHealthCheck: off');
      expect(run.stdout).toContain('extra CA: none (public CAs only)');
    }
  });

  it('without --xks-live nothing about XKS is printed (simulated)', async () => {
    const run = await runEmulatorCommand([]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('Live XKS');
  });

  it.each([
    [['--xks-ca', '/nonexistent/ca.pem'], '--xks-ca goes with --xks-live'],
    [['--xks-connect-to', 'a:1:b:2'], '--xks-connect-to goes with --xks-live'],
    [
      ['--xks-live', '--xks-connect-to', 'xks.example.com:443'],
      '--xks-connect-to takes HOST:PORT:ADDR:PORT',
    ],
    [
      ['--xks-live', '--xks-connect-to', 'xks.example.com:443:127.0.0.1:70000'],
      '--xks-connect-to takes HOST:PORT:ADDR:PORT',
    ],
    [['--xks-live', '--xks-ca', '/nonexistent/ca.pem'], 'cannot open it (ENOENT)'],
    [
      ['--xks-live', '--xks-health-interval', 'soon'],
      '--xks-health-interval must be a positive duration',
    ],
  ])('%j → exit 2: %s', async (args, message) => {
    const run = await runEmulatorCommand(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('--xks-ca that is a FIFO or a folder is refused at once, without blocking', async () => {
    const fifo = join(dir, 'ca.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const onFifo = await runEmulatorCommand(['--xks-live', '--xks-ca', fifo]);
    expect(onFifo.code).toBe(2);
    expect(onFifo.stderr).toContain('not a regular file');
    const onFolder = await runEmulatorCommand(['--xks-live', '--xks-ca', dir]);
    expect(onFolder.code).toBe(2);
    expect(onFolder.stderr).toContain('not a regular file');
  });

  it('--xks-ca without a certificate in it is refused', async () => {
    const text = join(dir, 'not-a-cert.txt');
    await writeFile(text, 'hello\n');
    const run = await runEmulatorCommand(['--xks-live', '--xks-ca', text]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no PEM certificate');
  });

  it('--xks-ca larger than 1 MiB is refused', async () => {
    const big = join(dir, 'big.pem');
    await writeFile(big, `${certs.ca}${'x'.repeat(1024 * 1024)}`);
    const run = await runEmulatorCommand(['--xks-live', '--xks-ca', big]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('larger than 1048576 bytes');
  });
});
