import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCredentialChain } from '../../src/credentials/chain.js';
import { KmsConfigError } from '../../src/errors.js';
import { isolatedEnv, type TempHome, tempHome } from '../config/helpers.js';

let home: TempHome;
beforeEach(async () => {
  home = await tempHome();
});
afterEach(async () => {
  await home.remove();
});

/** Writes a node script and a profile whose credential_process runs it (through the shell). */
async function profileRunning(script: string, args = ''): Promise<string> {
  const path = await home.write('bin/creds.mjs', script);
  await home.write(
    '.aws/config',
    `[profile proc]\nregion = eu-west-1\ncredential_process = "${process.execPath}" "${path}" ${args}\n`,
  );
  return path;
}

type RunOptions = {
  processTimeoutMs?: number;
  now?: () => number;
  debug?: (message: string) => void;
  signal?: AbortSignal;
};

function run(options: RunOptions = {}) {
  return defaultCredentialChain({
    env: isolatedEnv(home.dir, { MARKER: 'from-env' }),
    profile: 'proc',
    ...options,
  })();
}

async function failure(options: RunOptions = {}): Promise<KmsConfigError> {
  const error = await run(options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KmsConfigError);
  return error as KmsConfigError;
}

describe('credential_process', () => {
  it('runs the command through the shell and uses its Version 1 output, Expiration included', async () => {
    const expiration = new Date(Date.now() + 3600_000);
    await profileRunning(
      `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: 'AKIDPROC', SecretAccessKey: 'proc-secret', SessionToken: process.env.MARKER + '-' + process.argv[2], Expiration: ${JSON.stringify(expiration.toISOString())} }));`,
      'arg1 | cat',
    );
    const won = await run();
    expect(won).toEqual({
      source: 'process',
      credentials: {
        accessKeyId: 'AKIDPROC',
        secretAccessKey: 'proc-secret',
        // The command sees the environment, and the shell ran the pipe.
        sessionToken: 'from-env-arg1',
        expiration,
      },
    });
  });

  it('reports a non-zero exit by its code, never stdout or stderr; a redacted excerpt goes to debug', async () => {
    await profileRunning(
      "process.stdout.write('{\"SecretAccessKey\":\"LEAKED-SECRET\"'); console.error('warming up'); console.error('aws_secret_access_key=LEAKED-STDERR-SECRET token: FQoGZXIvYXdzEJr//////////wEaDFAKESESSIONTOKENVALUE'); console.error('Error: SSO session expired, run aws sso login'); process.exit(3);",
    );
    const debug: string[] = [];
    const error = await failure({ debug: (message) => debug.push(message) });
    expect(error.message).toBe(
      'Cannot get credentials from process: credential_process of profile proc exited with code 3 (its stderr is in the debug log) (tried before it: env: skipped: profile proc was chosen by config.profile)',
    );
    expect(error.sources.at(-1)?.source).toBe('process');
    expect(debug).toHaveLength(1);
    expect(debug[0]).toContain('Error: SSO session expired, run aws sso login');
    for (const text of [debug[0], error.message, JSON.stringify(error.sources)]) {
      expect(text).not.toContain('LEAKED');
      expect(text).not.toContain('FQoGZXIvYXdzEJr');
    }
  });

  it('takes the result at exit although a background child holds stdout open, then kills that child', async () => {
    const pidFile = `${home.dir}/background.pid`;
    await profileRunning(
      `const { spawn } = await import('node:child_process'); const { writeFileSync } = await import('node:fs');
       const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
       writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
       process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: 'AKIDBG', SecretAccessKey: 'bg-secret' }));
       process.exit(0);`,
    );
    const started = Date.now();
    const result = await run({ processTimeoutMs: 20_000 });
    expect(result.credentials).toMatchObject({
      accessKeyId: 'AKIDBG',
      secretAccessKey: 'bg-secret',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
  });

  it('is killed with what it started when the signal (the client closing) aborts', async () => {
    const pidFile = `${home.dir}/child.pid`;
    await profileRunning(
      `const { writeFileSync } = await import('node:fs');
       writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
       setInterval(() => {}, 1000);`,
    );
    const controller = new AbortController();
    const pending = failure({ processTimeoutMs: 20_000, signal: controller.signal });
    await expect.poll(() => existsSync(pidFile), { timeout: 10_000 }).toBe(true);
    controller.abort();
    const error = await pending;
    expect(error.message).toContain(
      'credential_process of profile proc was stopped: the client is closed',
    );
    const pid = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
  });

  it('says output that is not JSON is not JSON, without echoing it', async () => {
    await profileRunning("process.stdout.write('AKIDPROC:LEAKED-SECRET');");
    const error = await failure();
    expect(error.message).toContain('credential_process of profile proc did not print valid JSON');
    expect(error.message).not.toContain('LEAKED-SECRET');
    expect(JSON.stringify(error.sources)).not.toContain('LEAKED-SECRET');
  });

  const badDocuments: readonly [string, unknown, string][] = [
    [
      'a wrong Version',
      { Version: 2, AccessKeyId: 'A', SecretAccessKey: 'LEAKED-SECRET' },
      'printed JSON with Version 2; only Version 1 is supported',
    ],
    [
      'no secret',
      { Version: 1, AccessKeyId: 'A' },
      'printed JSON without non-empty AccessKeyId and SecretAccessKey strings',
    ],
    [
      'a bad Expiration',
      { Version: 1, AccessKeyId: 'A', SecretAccessKey: 'LEAKED-SECRET', Expiration: 'soon' },
      'printed an Expiration that is not an ISO 8601 date',
    ],
    ['an array', [1], 'did not print a JSON object'],
  ];
  for (const [name, document, message] of badDocuments) {
    it(`rejects output with ${name}`, async () => {
      await profileRunning(`process.stdout.write(${JSON.stringify(JSON.stringify(document))});`);
      const error = await failure();
      expect(error.message).toContain(`credential_process of profile proc ${message}`);
      expect(error.message).not.toContain('LEAKED-SECRET');
    });
  }

  it('rejects credentials that already expired', async () => {
    await profileRunning(
      "process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: 'A', SecretAccessKey: 'S', Expiration: '2020-01-01T00:00:00Z' }));",
    );
    const error = await failure();
    expect(error.message).toContain(
      'credential_process of profile proc returned credentials that expired at 2020-01-01T00:00:00.000Z',
    );
  });

  it('times out a command that hangs, and kills it with what it started', async () => {
    const pidFile = `${home.dir}/child.pid`;
    await profileRunning(
      `const { spawn } = await import('node:child_process'); const { writeFileSync } = await import('node:fs');
       const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
       writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
       setInterval(() => {}, 1000);`,
    );
    // Generous: node must start and write the pid file before the limit on a loaded machine.
    const error = await failure({ processTimeoutMs: 3_000 });
    expect(error.message).toContain(
      'credential_process of profile proc did not finish within 3000 ms',
    );
    // The grandchild (same process group) is gone too.
    const pid = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => isAlive(pid), { timeout: 5_000 }).toBe(false);
  });

  it('reports a command that cannot be found', async () => {
    await home.write(
      '.aws/config',
      '[profile proc]\ncredential_process = /nonexistent/bin/creds --flag\n',
    );
    const error = await failure();
    expect(error.message).toMatch(/credential_process of profile proc exited with code 127/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed process whose new parent has not reaped it yet is a zombie: dead all the same.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
