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
});
