import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('process lifecycle', () => {
  it('after close() nothing keeps the process alive and no rejection is unhandled', async () => {
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'test/fixtures/exits-after-close.ts'],
        { cwd: root, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    expect(stderr).not.toContain('UNHANDLED');
    expect(code).toBe(0);
    const outcomes = JSON.parse(stdout.trim().split('\n').pop()!);
    // Every third request gets a KMSInternalException, retried into a success.
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'TimeoutError', 'AbortError']);
  });

  it('a credential_process that leaves a background child holding stdout: the call succeeds, then the process exits', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runFixture(
      'test/fixtures/exits-after-background-credential-process.ts',
    );
    expect(stderr).toBe('');
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toBe('ok');
    expect(code).toBe(0);
    // The background child sleeps 60 s and the process limit is 10 s: neither was waited for.
    expect(Date.now() - started).toBeLessThan(9_000);
  });
});

/** Runs a fixture with Node (30 s at most); its exit code and output. */
function runFixture(
  path: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', path],
      { cwd: root, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}
