/**
 * What kms-cks tells an operator: configuration errors in terms of flags and variables, the
 * network flags, a notice while an endpoint does not answer, exit codes as documented, the
 * emulator's --region, --version anywhere, and "did you mean" for typos.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';
import { startKmsEmulator } from '../../src/emulator/index.js';
import { VERSION } from '../../src/version.js';
import { tempHome, useProcessEnv } from '../config/helpers.js';
import { startTestProxy } from '../config/proxy-server.js';
import { capture, runCli } from './run.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** process.env without the machine's AWS settings, with IMDS off and no shared files. */
function isolate(extra: Record<string, string> = {}): void {
  cleanups.push(
    useProcessEnv({
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/kms-cks-test/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/kms-cks-test/credentials',
      ...extra,
    }),
  );
}

describe('configuration errors name the flag or variable', () => {
  it('no region: --region and AWS_REGION, not the library option', async () => {
    isolate();
    const run = await runCli(undefined, ['describe']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^KmsConfigError: No region: pass --region <region>/);
    expect(run.stderr).toMatch(/AWS_REGION/);
    expect(run.stderr).not.toMatch(/KmsClient|\{ region \}/);
  });

  it('an invalid --region is named as the flag', async () => {
    isolate();
    const run = await runCli(undefined, ['describe', '--region', 'EU West']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^KmsConfigError: --region: invalid region "EU West"/);
  });

  it('plain http to a host that is not loopback: --allow-insecure-endpoint, which then works', async () => {
    const proxy = await startTestProxy();
    cleanups.push(() => proxy.close());
    isolate({ HTTP_PROXY: proxy.url });
    const endpoint = 'http://kms.example.test:8080';
    const refused = await runCli(undefined, [
      'describe',
      '--region',
      'eu-west-1',
      '--endpoint',
      endpoint,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `KmsConfigError: Refusing plain http endpoint ${endpoint} (from --endpoint): use https, a loopback host, or pass --allow-insecure-endpoint.\n`,
    );
    expect([...proxy.tunnels, ...proxy.forwarded]).toEqual([]);
    // With the flag the request goes out (to the loopback test proxy, which refuses non-loopback targets).
    const allowed = await runCli(undefined, [
      'describe',
      '--region',
      'eu-west-1',
      '--endpoint',
      endpoint,
      '--allow-insecure-endpoint',
      '--max-attempts',
      '1',
    ]);
    expect([...proxy.tunnels, ...proxy.forwarded]).toEqual(['kms.example.test:8080']);
    expect(allowed.stderr).not.toMatch(/KmsConfigError/);
  });

  it('a missing profile: --profile', async () => {
    const home = await tempHome();
    cleanups.push(() => home.remove());
    const config = await home.write('.aws/config', '[profile other]\nregion = eu-west-1\n');
    isolate({ AWS_CONFIG_FILE: config });
    const run = await runCli(undefined, ['describe', '--profile', 'prdo', '--region', 'eu-west-1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^KmsConfigError: Profile "prdo" \(from --profile\) is not in the shared config/,
    );
    expect(run.stderr).not.toMatch(/config\.profile/);
  });

  it('no credentials: the variables and --profile, not `Pass { credentials }`', async () => {
    isolate();
    const emulator = await startKmsEmulator();
    cleanups.push(() => emulator.close());
    const run = await runCli(emulator, ['describe'], { clientConfig: { credentials: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^KmsConfigError: No credentials found \(env: /);
    expect(run.stderr).toMatch(
      /Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile <name>/,
    );
    expect(run.stderr).not.toMatch(/KmsClient/);
  });
});

/** A loopback server that accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as import('node:net').AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, accepted: () => accepted };
}

describe('an endpoint that never answers', () => {
  it.each([false, true])(
    'says what it waits for after 2 s (host, attempt n of m), isTTY %s; --request-timeout and --max-attempts apply',
    async (isTTY) => {
      isolate();
      const silent = await silentServer();
      const host = silent.url.slice('http://'.length);
      const started = performance.now();
      const run = await runCli(
        undefined,
        [
          'describe',
          '--region',
          'eu-west-1',
          '--endpoint',
          silent.url,
          '--request-timeout',
          '2600ms',
          '--max-attempts',
          '2',
        ],
        { isTTY },
      );
      const elapsed = performance.now() - started;
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        `kms-cks: waiting for an answer from ${host} (attempt 1 of 2, 2s so far;`,
      );
      expect(run.stderr).toContain(`waiting for an answer from ${host} (attempt 2 of 2,`);
      expect(run.stderr).toMatch(/TimeoutError: Request attempt did not complete within 2600 ms/);
      expect(silent.accepted()).toBeGreaterThanOrEqual(1);
      // Two attempts of 2.6 s, not the default 3 × 10 s.
      expect(elapsed).toBeLessThan(20_000);
    },
    30_000,
  );

  it('says nothing when the answer comes within 2 s', async () => {
    const emulator = await startKmsEmulator();
    cleanups.push(() => emulator.close());
    const run = await runCli(emulator, ['describe', '--connect-timeout', '1s']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('rejects bad values of the network flags, naming them', async () => {
    for (const [flag, value] of [
      ['--request-timeout', 'soon'],
      ['--connect-timeout', '0'],
      ['--max-attempts', '101'],
    ] as const) {
      const run = await runCli(undefined, ['describe', flag, value]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^kms-cks: ${flag}`));
    }
  });
});

describe('exit codes as the README says', () => {
  it('a refused endpoint exits 1 with KmsNetworkError', async () => {
    isolate();
    const closed = await silentServer();
    // Close it: the port now refuses.
    await cleanups.pop()!();
    const run = await runCli(undefined, [
      'describe',
      '--region',
      'eu-west-1',
      '--endpoint',
      closed.url,
      '--max-attempts',
      '1',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^KmsNetworkError: /);
  });
});

describe('kms-cks emulator --region', () => {
  /** Runs `kms-cks emulator …` in-process until its banner is out, then stops it. */
  async function banner(args: string[]): Promise<string> {
    const controller = new AbortController();
    const stdout = capture();
    const write = stdout.write.bind(stdout);
    stdout.write = (text: string) => {
      const written = write(text);
      if (text.includes('Press Ctrl-C')) controller.abort();
      return written;
    };
    const code = await main(['emulator', '--port', '0', ...args], {
      stdout,
      stderr: capture(),
      isTTY: false,
      signal: controller.signal,
    });
    expect(code).toBe(0);
    return stdout.text;
  }

  it('serves the region given', async () => {
    const text = await banner(['--region', 'eu-west-1']);
    expect(text).toMatch(/\(region eu-west-1\)/);
    expect(text).toMatch(/export AWS_REGION=eu-west-1$/m);
  });

  it('serves several regions, each with its own stores', async () => {
    const text = await banner(['--region', 'us-east-1,eu-west-1']);
    expect(text).toMatch(/\(regions us-east-1, eu-west-1\)/);
    expect(text).toMatch(/^us-east-1:$/m);
    expect(text).toMatch(/^eu-west-1:$/m);
    expect(text).toMatch(/export AWS_REGION=us-east-1$/m);
  });

  it('rejects a bad region list with exit 2', async () => {
    const run = await runCli(undefined, ['emulator', '--region', 'us-east-1,EU']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--region: 'EU' is not a region name/);
  });
});

describe('--version and typos', () => {
  it.each([
    ['--version'],
    ['-V'],
    ['describe', '--version'],
    ['disconnect', 'cks-1', '-V'],
    ['-V', 'wait'],
  ])('%j prints the version and exits 0', async (...args) => {
    const run = await runCli(undefined, args);
    expect(run).toEqual({ code: 0, stdout: `kms-cks ${VERSION}\n`, stderr: '' });
  });

  it('--help lists --version', async () => {
    expect((await runCli(undefined, ['--help'])).stdout).toMatch(
      /-V, --version\s+print the version/,
    );
    expect((await runCli(undefined, ['describe', '--help'])).stdout).toMatch(/-V, --version/);
  });

  it.each([
    [['disconect', 'cks-1'], "kms-cks: unknown command 'disconect' (did you mean disconnect?)"],
    [['descibe'], "kms-cks: unknown command 'descibe' (did you mean describe?)"],
    [['help', 'wiat'], "kms-cks: unknown command 'wiat' (did you mean wait?)"],
    [['disconnect', 'cks-1', '--wiat'], "kms-cks: unknown option '--wiat' (did you mean --wait?)"],
    [['describe', '--regoin', 'x'], "kms-cks: unknown option '--regoin' (did you mean --region?)"],
    [['describe', '--dry-run'], "kms-cks: unknown option '--dry-run'\n"],
    [['frobnicate'], "kms-cks: unknown command 'frobnicate'\n"],
  ])('%j suggests the closest', async (args, message) => {
    const run = await runCli(undefined, args);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(message)).toBe(true);
  });
});
