/**
 * The load test of the resilience work: 10,000 calls at concurrency 64 against the emulator with
 * ~10% injected faults (throttling, 500, 503 HTML, dropped connection, truncated body, a hang past
 * the attempt timeout). It runs in a child process with --expose-gc so that heap figures are not
 * mixed with the test runner's. Figures are printed; what is asserted is accounting, not speed.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

interface LoadReport {
  totalCalls: number;
  settled: number;
  untyped: number;
  injected: number;
  outcomes: Record<string, number>;
  maxSockets: number;
  maxOpenSockets: number;
  heapAfterWarmupMB: number;
  heapAtEndMB: number;
  elapsedMs: number;
}

describe('load', () => {
  it('10,000 calls at concurrency 64 with 10% faults: none lost or hung, sockets bounded, heap flat', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', 'test/fixtures/load.ts'],
        { cwd: root, timeout: 240_000, maxBuffer: 1 << 20 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as LoadReport;
    console.log('load report', JSON.stringify(report));

    // Every call settled, and with a typed outcome.
    expect(report.settled).toBe(report.totalCalls);
    const accounted = Object.values(report.outcomes).reduce((a, b) => a + b, 0);
    expect(accounted).toBe(report.totalCalls);
    expect(report.untyped).toBe(0);
    expect(report.injected).toBeGreaterThan(report.totalCalls * 0.08);
    // Faults were retried into successes; what failed failed with a KMS or transport error.
    expect(report.outcomes.ok).toBeGreaterThan(report.totalCalls * 0.5);
    for (const name of Object.keys(report.outcomes)) {
      expect([
        'ok',
        'CustomKeyStoreInvalidStateException',
        'ThrottlingException',
        'KMSInternalException',
        'ServiceUnavailable',
        'KmsNetworkError',
        'TimeoutError',
      ]).toContain(name);
    }
    // The pool bounds the sockets.
    expect(report.maxOpenSockets).toBeLessThanOrEqual(report.maxSockets);
    // A leak of even 1 KiB per call would add ~9 MiB over the 9,000 calls after warm-up.
    expect(report.heapAtEndMB - report.heapAfterWarmupMB).toBeLessThan(4);
  }, 300_000);
});
