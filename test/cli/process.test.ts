/**
 * kms-cks as a real process (`node --import tsx src/cli/main.ts`), configured through the
 * environment like an operator would: exit codes, output streams, no stack traces, signals.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultKeyStoreIds } from '../../src/emulator/index.js';
import { writeHungCredentialProcess } from '../config/helpers.js';
import { type Harness, startHarness } from '../waiter/harness.js';
import { finished, spawnCli, waitForOutput } from './run.js';

const xks = defaultKeyStoreIds.externalPublic;
const noStackTrace = /^\s+at /m;

let harness: Harness;

beforeEach(async () => {
  harness = await startHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('kms-cks process', () => {
  it('disconnect --wait shows the state change and exits 0', async () => {
    // DISCONNECTING lasts 2 s here, so the CLI process sees it however slowly it starts.
    await harness.close();
    harness = await startHarness(undefined, { transitionMs: 2_000 });
    const run = await finished(
      spawnCli(harness.emulator, ['disconnect', xks, '--wait', '--poll-interval', '20ms']),
    );
    expect(run.stderr).not.toMatch(noStackTrace);
    expect(run.code).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    // Disconnect is sent first: the first state read is already DISCONNECTING.
    expect(lines.map((line) => line.split(/\s{2,}/)[1])).toEqual(['DISCONNECTING', 'DISCONNECTED']);
    expect(run.stdout).toMatch(new RegExp(`^${xks}: disconnected, now DISCONNECTED after `));
    expect(harness.emulator.keyStores.get(xks)!.connectionState).toBe('DISCONNECTED');
  });

  it('a closed stdout (describe | head -c0) ends quietly with exit 0, no EPIPE trace', async () => {
    const child = spawnCli(harness.emulator, ['describe']);
    // The reading end goes away before the CLI has started, as with `| head -c0`.
    child.stdout?.destroy();
    const run = await finished(child);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.signal).toBeNull();
  });

  it('exits 1 with "<Name>: <message>" on stderr for a KMS error', async () => {
    const run = await finished(spawnCli(harness.emulator, ['describe', 'cks-doesnotexist']));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^CustomKeyStoreNotFoundException: Custom key store cks-doesnotexist/,
    );
    expect(run.stderr).not.toMatch(noStackTrace);
  });

  it('exits 2 with a usage message, never a stack trace, for bad arguments', async () => {
    const run = await finished(spawnCli(harness.emulator, ['disconnect', '--timeout', 'soon']));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^kms-cks: /);
    expect(run.stderr).toMatch(/Usage: kms-cks disconnect/);
    expect(run.stderr).not.toMatch(noStackTrace);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('exits 2 with KmsConfigError when there is no region', async () => {
    const run = await finished(spawnCli(undefined, ['describe']));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^KmsConfigError: /);
    expect(run.stderr).not.toMatch(noStackTrace);
  });

  it('exits 2 with KmsConfigError naming HTTPS_PROXY, without the password, for a bad % escape in it', async () => {
    const run = await finished(
      spawnCli(harness.emulator, ['describe'], { HTTPS_PROXY: 'http://ops:50%off@127.0.0.1:9' }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^KmsConfigError: HTTPS_PROXY /);
    expect(run.stderr).not.toMatch(/50%off|URIError/);
    expect(run.stderr).not.toMatch(noStackTrace);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('exits 3 when the wait times out', async () => {
    // The store stays CONNECTED: the timeout only has to outlast a fresh process's first Describe
    // on a loaded machine (300 ms did not always), so that the last state is known.
    const run = await finished(
      spawnCli(harness.emulator, [
        'wait',
        xks,
        'DISCONNECTED',
        '--timeout',
        '2s',
        '--poll-interval',
        '20ms',
      ]),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/KmsWaiterError: .*last state: CONNECTED/);
  });

  it('exits 130 on SIGINT while waiting', async () => {
    const child = spawnCli(harness.emulator, [
      'wait',
      xks,
      'DISCONNECTED',
      '--poll-interval',
      '20ms',
    ]);
    const done = finished(child);
    await waitForOutput(child, 'CONNECTED');
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/Interrupted\.\n$/);
  });

  it('exits 130 at once on SIGINT while a credential_process hangs, and kills it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-cks-sigint-'));
    try {
      const { configFile, pidFile } = writeHungCredentialProcess(dir);
      const child = spawnCli(harness.emulator, ['disconnect', xks, '--profile', 'hung'], {
        AWS_CONFIG_FILE: configFile,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
      });
      const done = finished(child);
      // The credential process runs (its default limit is 30 s).
      await expect.poll(() => existsSync(pidFile), { timeout: 20_000 }).toBe(true);
      const interrupted = Date.now();
      child.kill('SIGINT');
      const run = await done;
      expect(Date.now() - interrupted).toBeLessThan(5_000);
      expect(run.code).toBe(130);
      expect(run.stderr).toMatch(/Interrupted\.\n$/);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await expect.poll(() => isGone(pid), { timeout: 5_000 }).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('emulator runs until SIGTERM, then closes and exits 0', async () => {
    const child = spawnCli(undefined, ['emulator', '--port', '0']);
    const done = finished(child);
    const banner = await waitForOutput(child, 'Press Ctrl-C to stop.');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    expect(url).toBeDefined();
    // The printed environment works as printed.
    const env = Object.fromEntries(
      [...banner.matchAll(/^ {2}export (\w+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]),
    );
    expect(Object.keys(env).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_ENDPOINT_URL_KMS',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    // The printed environment is all a new shell needs.
    const described = await finished(spawnCli(undefined, ['describe', '--json'], env));
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout).customKeyStores).toHaveLength(4);

    child.kill('SIGTERM');
    const run = await done;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Emulator stopped\.\n$/);
  });
});

/** True once `pid` has exited (a zombie not yet reaped counts as exited). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
