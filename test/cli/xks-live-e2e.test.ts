/**
 * kms-cks end to end against the REAL software XKS proxy: `kms-cks emulator --xks-live --xks-ca
 * FILE --xks-connect-to xks.example.com:443:127.0.0.1:PORT` (in-process, as a user runs it), then
 * `kms-cks create` of an external key store pointing at the proxy (secret from
 * KMS_CKS_XKS_SECRET), `kms-cks connect <id> --wait` → CONNECTED; then a proxy fault → FAILED with
 * the code and what to check on stderr; `kms-cks update` with a wrong secret refused with KMS's
 * exception.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionErrorHint } from '../../src/cli/hints.js';
import { main } from '../../src/cli/program.js';
import { startXksProxy, type XksProxy } from '../../src/emulator/index.js';
import { capture, runCli } from './run.js';

const xksHost = 'xks.example.com';
let proxy: XksProxy;
let dir: string;

beforeAll(async () => {
  proxy = await startXksProxy({ hostname: xksHost });
  dir = await mkdtemp(join(tmpdir(), 'kms-cks-xks-e2e-'));
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Starts `kms-cks emulator …` in-process; resolves once its banner is out. */
async function startEmulatorCommand(args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const controller = new AbortController();
  const running = main(['emulator', ...args], {
    stdout,
    stderr,
    isTTY: false,
    signal: controller.signal,
  });
  const deadline = Date.now() + 20_000;
  while (!stdout.text.includes('Press Ctrl-C')) {
    if (stderr.text !== '' || Date.now() > deadline) {
      controller.abort();
      await running;
      throw new Error(`kms-cks emulator did not start: ${stderr.text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const url = /KMS emulator listening on (http:\/\/\S+) /.exec(stdout.text)?.[1];
  if (!url) throw new Error(`no URL in the banner: ${stdout.text}`);
  return {
    url,
    stdout,
    stderr,
    async stop(): Promise<number> {
      controller.abort();
      return running;
    },
  };
}

describe('kms-cks emulator --xks-live against the software XKS proxy', () => {
  it('create → connect --wait → CONNECTED; a proxy fault → FAILED with the code and what to check; a wrong secret refused', async () => {
    const caFile = join(dir, 'proxy-ca.pem');
    await writeFile(caFile, proxy.ca!);
    const emulator = await startEmulatorCommand([
      '--xks-live',
      '--xks-ca',
      caFile,
      '--xks-connect-to',
      `${xksHost}:443:127.0.0.1:${proxy.port}`,
      '--xks-health-interval',
      '0',
      // A roomy budget for a loaded machine (KMS's is 250 ms, the default).
      '--xks-timeout',
      '5s',
    ]);
    try {
      expect(emulator.stdout.text).toContain("proxy budget: 5000ms per call (KMS's is 250ms)");
      const target = ['--endpoint', emulator.url, '--region', 'us-east-1'];
      const [credential, second] = proxy.credentials;
      const fast = ['--poll-interval', '20ms', '--timeout', '20s'];

      const created = await runCli(
        undefined,
        [
          'create',
          '--custom-key-store-name',
          'cli-live-xks',
          '--custom-key-store-type',
          'EXTERNAL_KEY_STORE',
          '--xks-proxy-uri-endpoint',
          `https://${xksHost}`,
          '--xks-proxy-uri-path',
          proxy.uriPath,
          '--xks-proxy-connectivity',
          'PUBLIC_ENDPOINT',
          '--xks-proxy-access-key-id',
          credential!.accessKeyId,
          ...target,
        ],
        { env: { KMS_CKS_XKS_SECRET: credential!.rawSecretAccessKey } },
      );
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const id = /^(cks-[0-9a-f]{17})/.exec(created.stdout)?.[1];
      expect(id).toBeDefined();
      // The proxy got Create's GetHealthStatus, signed with the credential given.
      expect(proxy.requests.at(-1)).toMatchObject({
        operation: 'GetHealthStatus',
        kmsOperation: 'CreateCustomKeyStore',
        accessKeyId: credential!.accessKeyId,
        status: 200,
      });

      const connected = await runCli(undefined, ['connect', id!, '--wait', ...fast, ...target]);
      // Progress goes to stderr; no error among it.
      expect(connected.stderr).toMatch(/CONNECTED/);
      expect(connected.stderr).not.toMatch(/error|FAILED/i);
      expect(connected.code).toBe(0);
      expect(connected.stdout).toMatch(/now CONNECTED/);
      expect(proxy.requests.at(-1)).toMatchObject({
        kmsOperation: 'ConnectCustomKeyStore',
        status: 200,
      });

      // A wrong secret: Update is refused with KMS's exception, exit 1, the secret never printed.
      const wrongSecret = 'd3Jvbmctc2VjcmV0LWZvci10aGUtc29mdHdhcmUtcHJveHk=';
      const refused = await runCli(
        undefined,
        ['update', id!, '--xks-proxy-access-key-id', second!.accessKeyId, '--yes', ...target],
        { env: { KMS_CKS_XKS_SECRET: wrongSecret } },
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('XksProxyIncorrectAuthenticationCredentialException');
      expect(refused.stdout + refused.stderr).not.toContain(wrongSecret);

      // The proxy starts denying KMS: disconnect, connect again → FAILED with the code and the hint.
      const disconnected = await runCli(undefined, [
        'disconnect',
        id!,
        '--wait',
        ...fast,
        ...target,
      ]);
      expect(disconnected.code).toBe(0);
      proxy.setFaults({ error: { errorName: 'AccessDeniedException' } });
      const failed = await runCli(undefined, ['connect', id!, '--wait', ...fast, ...target]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('FAILED (XKS_PROXY_ACCESS_DENIED)');
      expect(failed.stderr).toContain(
        `What to check (XKS_PROXY_ACCESS_DENIED): ${connectionErrorHint('XKS_PROXY_ACCESS_DENIED', 'EXTERNAL_KEY_STORE')}`,
      );
      expect(failed.stderr).toContain(`Once fixed: kms-cks connect ${id} --reset-failed --wait`);
      expect(proxy.requests.at(-1)).toMatchObject({
        kmsOperation: 'ConnectCustomKeyStore',
        status: 403,
        errorName: 'AccessDeniedException',
      });

      // Fixed: --reset-failed brings it back.
      proxy.setFaults();
      const again = await runCli(undefined, [
        'connect',
        id!,
        '--reset-failed',
        '--wait',
        ...fast,
        ...target,
      ]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/now CONNECTED/);
      // Still the first credential: the refused Update changed nothing.
      expect(proxy.requests.at(-1)).toMatchObject({
        kmsOperation: 'ConnectCustomKeyStore',
        accessKeyId: credential!.accessKeyId,
        status: 200,
      });

      for (const output of [created, connected, refused, failed, again]) {
        for (const known of proxy.credentials) {
          expect(output.stdout + output.stderr).not.toContain(known.rawSecretAccessKey);
        }
      }
    } finally {
      proxy.setFaults();
      expect(await emulator.stop()).toBe(0);
    }
    expect(emulator.stderr.text).toBe('');
    // The CLI's emulator keeps KMS-like 1.5 s transitions: five of them, with room for a loaded machine.
  }, 90_000);

  it('--xks-timeout goes with --xks-live, and takes a duration up to 60s', async () => {
    const without = await runCli(undefined, ['emulator', '--xks-timeout', '5s']);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('--xks-timeout goes with --xks-live');
    const tooLong = await runCli(undefined, ['emulator', '--xks-live', '--xks-timeout', '2m']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('--xks-timeout must be between 1ms and 60s');
  });
});
