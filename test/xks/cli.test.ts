/**
 * `kms-cks xks check` as an operator runs it: exit 0 against the software proxy, 1 when a check
 * fails (with the KMS code on the line), 2 for usage; lines, a table on a terminal, one JSON
 * document; the secret from a file read safely, KMS_CKS_XKS_SECRET or stdin, and never printed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';
import { startXksProxy, type XksProxy } from '../../src/emulator/index.js';
import { capture, cliEnv, finished } from '../cli/run.js';

let proxy: XksProxy;
let dir: string;
let secretFile: string;
let caFile: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  proxy = await startXksProxy({ hostname: 'xks.example.com', region: 'eu-west-1' });
  dir = mkdtempSync(join(tmpdir(), 'kms-cks-xks-cli-'));
  secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${proxy.credentials[0]!.rawSecretAccessKey}\n`, { mode: 0o600 });
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, proxy.ca!);
});
afterAll(async () => {
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  proxy.setFaults();
});

function args(extra: string[] = [], withSecret = true): string[] {
  return [
    'xks',
    'check',
    '--endpoint',
    'https://xks.example.com',
    '--path',
    proxy.uriPath,
    '--region',
    proxy.region,
    '--access-key-id',
    proxy.credentials[0]!.accessKeyId,
    ...(withSecret ? ['--secret-file', secretFile] : []),
    '--connect-to',
    `xks.example.com:443:127.0.0.1:${proxy.port}`,
    '--ca',
    caFile,
    '--key-id',
    'xks-key-1',
    // Generous on a loaded test machine; the README test runs the default 250 ms.
    '--budget',
    '5s',
    ...extra,
  ];
}

async function run(
  argv: string[],
  io: { stdoutIsTTY?: boolean; readStdin?: (max: number) => Promise<string> } = {},
) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout, stderr, isTTY: false, ...io });
  const secrets = proxy.credentials.map((credential) => credential.rawSecretAccessKey);
  for (const secret of secrets) {
    expect(stdout.text).not.toContain(secret);
    expect(stderr.text).not.toContain(secret);
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('kms-cks xks check', () => {
  it('exits 0 against the software proxy, one plain line per check', async () => {
    const result = await run(args());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `XKS proxy https://xks.example.com${proxy.uriPath} (eu-west-1, access key ${proxy.credentials[0]!.accessKeyId})`,
    );
    expect(lines.filter((line) => /^(PASS|WARN) /.test(line)).length).toBeGreaterThan(25);
    expect(lines.some((line) => line.startsWith('FAIL '))).toBe(false);
    expect(result.stdout).toMatch(
      /^PASS auth\.skew-past: .*seen HTTP 401 AuthenticationFailedException$/m,
    );
    expect(lines.at(-1)).toMatch(/ 0 failed, .*KMS should connect$/);
  });

  it('exits 1 when a check fails, naming what KMS would report', async () => {
    proxy.setFaults({ ekmUnavailable: true });
    const result = await run(args());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL health\.ekm-active: .*seen UNAVAILABLE; KMS: XKS_PROXY_NOT_REACHABLE;/m,
    );
  });

  it('--json prints one JSON document; a terminal gets a table', async () => {
    const json = await run(args(['--json']));
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: true, region: 'eu-west-1', keyIds: ['xks-key-1'] });
    expect(report.checks.length).toBeGreaterThan(25);
    const table = await run(args(), { stdoutIsTTY: true });
    expect(table.stdout.split('\n')[1]).toMatch(/^STATUS +CHECK +SEEN +KMS WOULD SAY$/);
  });

  it('takes the secret from KMS_CKS_XKS_SECRET, or from stdin', async () => {
    const saved = process.env.KMS_CKS_XKS_SECRET;
    process.env.KMS_CKS_XKS_SECRET = proxy.credentials[0]!.rawSecretAccessKey;
    cleanups.push(() => {
      if (saved === undefined) delete process.env.KMS_CKS_XKS_SECRET;
      else process.env.KMS_CKS_XKS_SECRET = saved;
    });
    expect((await run(args([], false))).code).toBe(0);
    delete process.env.KMS_CKS_XKS_SECRET;
    const piped = await run(args([], false), {
      readStdin: async () => `${proxy.credentials[0]!.rawSecretAccessKey}\n`,
    });
    expect(piped.code).toBe(0);
    const none = await run(args([], false));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /no secret: give --secret-file FILE, set KMS_CKS_XKS_SECRET, or pipe it on stdin/,
    );
  });

  it('a wrong secret fails health.signed with INVALID_CREDENTIALS, and is not printed', async () => {
    const wrong = join(dir, 'wrong-secret');
    writeFileSync(wrong, 'V3JvbmdXcm9uZ1dyb25nV3JvbmdXcm9uZ1dyb25nV3Jvbmc=\n', { mode: 0o600 });
    const result = await run([...args(), '--secret-file', wrong]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL health\.signed: .*KMS: INVALID_CREDENTIALS; XksProxyIncorrectAuthenticationCredentialException/m,
    );
    expect(result.stdout).not.toContain('V3JvbmdXcm9uZ1dyb25nV3JvbmdXcm9uZ1dyb25nV3Jvbmc=');
  });

  it('a second credential from the KMS console configuration file', async () => {
    const file = join(dir, 'second.json');
    writeFileSync(
      file,
      JSON.stringify({
        XksProxyUriPath: proxy.uriPath,
        XksProxyAuthenticationCredential: {
          AccessKeyId: proxy.credentials[1]!.accessKeyId,
          RawSecretAccessKey: proxy.credentials[1]!.rawSecretAccessKey,
        },
      }),
      { mode: 0o600 },
    );
    const result = await run(args(['--second-credential-file', file]));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PASS auth\.second-credential: /m);
  });

  it('exit 2 for usage: missing options, bad --connect-to, unknown action', async () => {
    for (const [argv, message] of [
      [
        ['xks', 'check', '--endpoint', 'https://xks.example.com'],
        /missing --path, --region, --access-key-id/,
      ],
      [
        args(['--connect-to', 'xks.example.com:443']),
        /--connect-to 'xks.example.com:443' is not HOST:PORT:ADDRESS:PORT/,
      ],
      [['xks', 'frobnicate'], /unknown xks action 'frobnicate'/],
      [args(['--path', '/not/the/xks/path']), /uriPath must be/],
      [args(['--key-id', 'bad/id']), /keyIds\.1: 'bad\/id' is not an external key ID/],
    ] as const) {
      const result = await run([...argv]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('refuses secret files that are not safe to read: FIFO, group-writable, another user, huge', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writable = join(dir, 'writable');
    writeFileSync(writable, 'x'.repeat(44));
    chmodSync(writable, 0o666);
    const others = join(dir, 'others');
    writeFileSync(others, 'x'.repeat(44), { mode: 0o600 });
    const huge = join(dir, 'huge');
    writeFileSync(huge, 'x'.repeat(10_000), { mode: 0o600 });
    const cases: [string, RegExp][] = [
      [fifo, /is not a regular file/],
      [writable, /writable by group or others/],
      [huge, /larger than 4096 bytes/],
      [join(dir, 'missing'), /cannot open .* \(ENOENT\)/],
    ];
    if (process.getuid?.() === 0) {
      chownSync(others, 12345, 12345);
      cases.push([others, /belongs to another user/]);
    }
    for (const [file, message] of cases) {
      const result = await run([...args(), '--secret-file', file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('as a real process, with the secret piped on stdin', async () => {
    const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args(['--json'], false)],
      {
        cwd: repoRoot,
        env: cliEnv(undefined),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.stdin.end(`${proxy.credentials[0]!.rawSecretAccessKey}\n`);
    const result = await finished(child);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).ok).toBe(true);
    expect(result.stdout).not.toContain(proxy.credentials[0]!.rawSecretAccessKey);
  });
});
