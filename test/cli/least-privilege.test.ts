/**
 * kms-cks with a break-glass credential that may only Disconnect (the emulator's
 * `breakGlassCredentials`): the kill switch fires first time, says what it knows and what it does
 * not; the single-store record (request IDs, --json, interruptions, timeouts) is exact.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  breakGlassCredentials,
  defaultKeyStoreIds,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { finished, runCli, spawnCli } from './run.js';

const xks = defaultKeyStoreIds.externalPublic;
const idle = defaultKeyStoreIds.failingExternal; // DISCONNECTED
const fast = ['--poll-interval', '20ms'];
let emulator: KmsEmulator;

beforeEach(async () => {
  emulator = await startKmsEmulator({ regions: ['us-east-1', 'eu-west-1'], transitionMs: 150 });
});

afterEach(async () => {
  await emulator.close();
});

const asBreakGlass = { clientConfig: { credentials: breakGlassCredentials } };
const operations = () => emulator.requests.map((request) => [request.operation, request.errorType]);
const disconnects = () =>
  emulator.requests.filter((request) => request.operation === 'DisconnectCustomKeyStore');

describe('kms-cks disconnect <id> with a Disconnect-only credential', () => {
  it('sends Disconnect first, exits 0, and says the state is unknown because Describe is denied', async () => {
    const run = await runCli(emulator, ['disconnect', xks], asBreakGlass);
    expect(run.code).toBe(0);
    const requestId = disconnects()[0]!.requestId;
    expect(run.stdout).toBe(
      `${xks}: disconnect accepted (request ${requestId}); state unknown: DescribeCustomKeyStores denied (AccessDeniedException)\n`,
    );
    expect(operations()).toEqual([
      ['DisconnectCustomKeyStore', undefined],
      ['DescribeCustomKeyStores', 'AccessDeniedException'],
    ]);
    expect(emulator.keyStores.get(xks)!.connectionState).toBe('DISCONNECTING');
  });

  it('--wait: says it cannot wait and why; the disconnect still counts (exit 0); --json carries it', async () => {
    const run = await runCli(emulator, ['disconnect', xks, '--wait', ...fast], asBreakGlass);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /: disconnect accepted \(request [\w-]+\); state unknown: DescribeCustomKeyStores denied \(AccessDeniedException\); cannot wait for DISCONNECTED without kms:DescribeCustomKeyStores \(the disconnect still counts/,
    );
    const json = await runCli(
      emulator,
      ['disconnect', defaultKeyStoreIds.externalVpc, '--wait', '--json', ...fast],
      asBreakGlass,
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      customKeyStoreId: defaultKeyStoreIds.externalVpc,
      action: 'disconnected',
      requestId: disconnects()[1]!.requestId,
      stateUnknown: 'DescribeCustomKeyStores denied (AccessDeniedException)',
      elapsedMs: expect.any(Number),
    });
  });

  it('a store already DISCONNECTED: KMS refuses the Disconnect as such; exit 0, state unknown', async () => {
    const run = await runCli(emulator, ['disconnect', idle], asBreakGlass);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^${idle}: already DISCONNECTED or DISCONNECTING: KMS refused the Disconnect as such \\(request [\\w-]+\\); state unknown: DescribeCustomKeyStores denied`,
      ),
    );
  });

  it('--all lists first: a region whose listing is denied is a failure naming kms:DescribeCustomKeyStores', async () => {
    const run = await runCli(
      emulator,
      ['disconnect', '--all', '--type', 'xks', '--yes', '--json'],
      asBreakGlass,
    );
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record.failures).toEqual([
      {
        region: 'us-east-1',
        missingPermission: 'kms:DescribeCustomKeyStores',
        error: {
          name: 'AccessDeniedException',
          message: expect.stringMatching(
            /^listing the stores needs kms:DescribeCustomKeyStores, which this identity lacks: User: .* is not authorized to perform: kms:DescribeCustomKeyStores/,
          ),
        },
      },
    ]);
    expect(disconnects()).toHaveLength(0);
  });

  it('--all with the region from AWS_REGION (not --region): the denied listing names that region', async () => {
    const run = await finished(
      spawnCli(emulator, ['disconnect', '--all', '--type', 'xks', '--yes', '--json'], {
        AWS_ACCESS_KEY_ID: breakGlassCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: breakGlassCredentials.secretAccessKey,
      }),
    );
    expect(run.code).toBe(1);
    const [failure] = JSON.parse(run.stdout).failures;
    expect(failure).toMatchObject({
      region: emulator.region,
      missingPermission: 'kms:DescribeCustomKeyStores',
    });
    expect(disconnects()).toHaveLength(0);
  });
});

describe('the single-store record', () => {
  it('a wait that times out after KMS accepted: stdout says accepted + last state + timed out; exit 3', async () => {
    await emulator.close();
    emulator = await startKmsEmulator({ transitionMs: 60_000 });
    const run = await runCli(emulator, [
      'disconnect',
      xks,
      '--wait',
      '--timeout',
      '300ms',
      ...fast,
    ]);
    expect(run.code).toBe(3);
    const requestId = disconnects()[0]!.requestId;
    expect(run.stdout).toBe(
      `${xks}: disconnect accepted (request ${requestId}); last seen DISCONNECTING; the wait timed out after ${/after (\S+)\n/.exec(run.stdout)?.[1]}\n`,
    );
    expect(run.stderr).toMatch(/^KmsWaiterError: .*did not reach DISCONNECTED within 300 ms/m);
    const json = await runCli(emulator, [
      'disconnect',
      defaultKeyStoreIds.externalVpc,
      '--wait',
      '--timeout',
      '300ms',
      '--json',
      ...fast,
    ]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({
      customKeyStoreId: defaultKeyStoreIds.externalVpc,
      action: 'disconnected',
      requestId: disconnects()[1]!.requestId,
      state: 'DISCONNECTING',
      waitTimedOut: true,
      error: { name: 'KmsWaiterError', code: 'timeout' },
    });
  });

  it('Ctrl-C after KMS accepted: stderr names the accepted request, exit 130', async () => {
    await emulator.close();
    emulator = await startKmsEmulator({ transitionMs: 60_000 });
    const controller = new AbortController();
    const running = runCli(emulator, ['disconnect', xks, '--wait', ...fast], {
      signal: controller.signal,
    });
    await vi.waitFor(() =>
      expect(
        emulator.requests.filter((r) => r.operation === 'DescribeCustomKeyStores').length,
      ).toBeGreaterThanOrEqual(1),
    );
    controller.abort(new Error('SIGINT'));
    const run = await running;
    expect(run.code).toBe(130);
    expect(
      run.stderr.endsWith(
        `\nInterrupted.\nKMS had accepted DisconnectCustomKeyStore of ${xks} (request ${disconnects()[0]!.requestId}) before the interruption: it stands. Check with 'kms-cks describe ${xks}'.\n`,
      ),
    ).toBe(true);
  });

  it('Ctrl-C while the Disconnect is in flight: sent, outcome unknown; --json says so too', async () => {
    emulator.injectFaults({
      kind: 'delay',
      delayMs: 30_000,
      operation: 'DisconnectCustomKeyStore',
    });
    const controller = new AbortController();
    const running = runCli(emulator, ['disconnect', xks, '--json'], { signal: controller.signal });
    // The request reached the emulator and is held there.
    await vi.waitFor(() => expect(emulator.pendingFaults).toHaveLength(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new Error('SIGINT'));
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stderr).toBe(
      `Interrupted.\nDisconnectCustomKeyStore of ${xks} was sent and in flight when interrupted: its outcome is unknown. Check with 'kms-cks describe ${xks}' (running the command again is safe).\n`,
    );
    expect(JSON.parse(run.stdout)).toEqual({
      interrupted: true,
      customKeyStoreId: xks,
      requests: [{ operation: 'DisconnectCustomKeyStore', outcome: 'unknown' }],
    });
  });
});

describe('messages in the operator terms', () => {
  it('a bad <id> names the argument, not ensureDisconnected or customKeyStoreId; --json too', async () => {
    const long = `cks-${'a'.repeat(70)}`;
    const run = await runCli(emulator, ['disconnect', long, '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^KmsValidationError: Invalid input: <id>: /);
    expect(run.stderr).not.toMatch(/ensureDisconnected|customKeyStoreId/);
    expect(JSON.parse(run.stdout).error).toMatchObject({
      name: 'KmsValidationError',
      message: expect.stringMatching(/^Invalid input: <id>: /),
    });
    expect(emulator.requests).toHaveLength(0);
  });
});
