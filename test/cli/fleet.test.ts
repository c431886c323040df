/**
 * `kms-cks disconnect --all` / `connect --all` in-process against two accounts (profiles prod and
 * dr from temp shared files, each its own loopback emulator), prod in two regions.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/program.js';
import { defaultKeyStoreIds } from '../../src/emulator/index.js';
import type { FleetRecord } from '../../src/index.js';
import { useProcessEnv } from '../config/helpers.js';
import { actionsOn, type Fleet, startFleet } from '../helpers/fleet.js';
import { type CliRun, capture } from './run.js';

let fleet: Fleet;
let restoreEnv: () => void;

beforeEach(async () => {
  fleet = await startFleet();
  restoreEnv = useProcessEnv(fleet.env);
});

afterEach(async () => {
  restoreEnv();
  await fleet.close();
});

const both = ['--region', 'us-east-1,eu-west-1'];
const fast = ['--poll-interval', '20ms'];

/** Runs kms-cks in-process with the fleet's environment (no credentials passed in). */
async function cli(
  args: string[],
  options: {
    isTTY?: boolean;
    stdoutIsTTY?: boolean;
    prompt?: (question: string) => Promise<string>;
    signal?: AbortSignal;
  } = {},
): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, {
    stdout,
    stderr,
    isTTY: options.isTTY ?? false,
    stdoutIsTTY: options.stdoutIsTTY,
    prompt: options.prompt,
    signal: options.signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function disconnects(): string[] {
  return [
    ...actionsOn(fleet.prod, 'DisconnectCustomKeyStore'),
    ...actionsOn(fleet.dr, 'DisconnectCustomKeyStore'),
  ];
}

describe('kms-cks disconnect --all', () => {
  it('--dry-run lists what would be disconnected, sends no Disconnect, exits 0', async () => {
    const run = await cli([
      'disconnect',
      '--all',
      '--type',
      'xks',
      '--profile',
      'prod',
      ...both,
      '--dry-run',
    ]);
    expect(run.code).toBe(0);
    expect(disconnects()).toEqual([]);
    const rows = run.stdout.split('\n').filter((line) => line.includes('would-disconnect'));
    expect(rows).toHaveLength(4);
    expect(run.stdout).toMatch(/^PROFILE\s+REGION\s+ID\s+NAME\s+STATE\s+RESULT$/m);
    expect(run.stdout).toMatch(
      /Dry run: 4 stores would be disconnected \(4 EXTERNAL_KEY_STORE\) in 2 regions, 2 already disconnected; nothing sent\./,
    );
    // A dry run needs no confirmation, even without a terminal.
    expect(run.stderr).not.toMatch(/--yes/);
  });

  it('--yes --wait --json: disconnects exactly the selected stores, reports the failing region, exits 1', async () => {
    const run = await cli([
      'disconnect',
      '--all',
      '--type',
      'EXTERNAL_KEY_STORE',
      '--profile',
      'prod,dr',
      ...both,
      '--yes',
      '--wait',
      ...fast,
      '--json',
    ]);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout) as FleetRecord;
    expect(Object.keys(record)).toEqual(
      expect.arrayContaining(['startedAt', 'finishedAt', 'dryRun', 'targets', 'failures']),
    );
    expect(record.dryRun).toBe(false);
    expect(record.failures).toEqual([
      {
        profile: 'dr',
        region: 'eu-west-1',
        error: { name: 'InvalidSignatureException', message: expect.any(String) },
      },
    ]);
    // Every XKS store of prod (both regions) and of dr (us-east-1) that was CONNECTED; nothing else.
    expect(disconnects()).toHaveLength(6);
    for (const region of fleet.prod.regions) {
      for (const store of fleet.prod.inRegion(region).keyStores.values()) {
        expect(store.connectionState).toBe(
          store.type === 'AWS_CLOUDHSM' ? 'CONNECTED' : 'DISCONNECTED',
        );
      }
    }
    expect(fleet.dr.keyStores.get('cks-dr0000000000000c')?.connectionState).toBe('CONNECTED');
    const target = record.targets.find(
      (entry) =>
        entry.profile === 'prod' &&
        entry.region === 'eu-west-1' &&
        entry.customKeyStoreName === 'orders-xks',
    );
    expect(target).toEqual({
      profile: 'prod',
      region: 'eu-west-1',
      customKeyStoreId: expect.stringMatching(/^cks-/),
      customKeyStoreName: 'orders-xks',
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      stateBefore: 'CONNECTED',
      action: 'disconnected',
      requestId: expect.any(String),
      stateAfter: 'DISCONNECTED',
    });
    const legacy = record.targets.find(
      (entry) => entry.customKeyStoreId === defaultKeyStoreIds.failingExternal,
    );
    expect(legacy).toMatchObject({ action: 'already', stateBefore: 'DISCONNECTED' });
    expect(legacy?.requestId).toBeUndefined();
    // Plain lines on stderr (not a terminal), one per store done and one for the failure.
    expect(run.stderr).toMatch(/^dr eu-west-1: could not list: InvalidSignatureException/m);
    expect(run.stderr.match(/: disconnected, now DISCONNECTED \(request /g)).toHaveLength(6);
    expect(run.stderr).not.toContain('\u001b[');
  });

  it('exits 0 when every selected store is disconnected; a second run finds them all already done', async () => {
    const args = ['disconnect', '--all', '--type', 'xks', '--profile', 'prod', ...both, '--yes'];
    const first = await cli([...args, '--wait', ...fast]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/4 disconnected, 2 already, 0 failed \(6 stores in 2 regions\)\./);
    const second = await cli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/0 disconnected, 6 already, 0 failed/);
    expect(disconnects()).toHaveLength(4);
  });

  it('refuses without a terminal unless --yes: exit 2, saying to add --yes, nothing sent', async () => {
    const run = await cli(['disconnect', '--all', '--type', 'all', '--profile', 'prod', ...both]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^kms-cks: refusing to disconnect --all without confirmation: not a terminal\. Add --yes/,
    );
    expect(fleet.prod.requests).toHaveLength(0);
  });

  it('asks once on a terminal; y goes on, anything else sends nothing (exit 1)', async () => {
    const questions: string[] = [];
    const args = ['disconnect', '--all', '--type', 'xks', '--profile', 'prod', ...both];
    const declined = await cli(args, {
      isTTY: true,
      prompt: async (question) => {
        questions.push(question);
        return 'n';
      },
    });
    expect(questions).toEqual(['Disconnect 4 stores (4 EXTERNAL_KEY_STORE) in 2 regions? [y/N] ']);
    expect(declined.code).toBe(1);
    expect(declined.stdout).toMatch(/Not confirmed: nothing sent\./);
    expect(disconnects()).toEqual([]);

    const accepted = await cli(args, { isTTY: true, prompt: async () => 'y' });
    expect(accepted.code).toBe(0);
    expect(disconnects()).toHaveLength(4);
    // The live table: drawn with the header, redrawn in place, ending with every result.
    expect(accepted.stderr).toMatch(/PROFILE\s+REGION\s+ID\s+NAME\s+STATE\s+RESULT/);
    const lastDrawing = accepted.stderr.split(/PROFILE\s+REGION/).at(-1)!;
    expect(lastDrawing.match(/ disconnected$/gm)).toHaveLength(4);
    expect(lastDrawing.match(/ already$/gm)).toHaveLength(2);
  });

  it('a profile without credentials is reported in CLI terms; the others go on', async () => {
    const run = await cli([
      'disconnect',
      '--all',
      '--type',
      'xks',
      '--profile',
      'nokeys,prod',
      '--region',
      'us-east-1',
      '--yes',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout) as FleetRecord;
    expect(record.failures).toHaveLength(1);
    expect(record.failures[0]).toMatchObject({
      profile: 'nokeys',
      region: 'us-east-1',
      error: { name: 'KmsConfigError', code: 'NoCredentials' },
    });
    expect(record.failures[0]?.error.message).toMatch(/or pass --profile <name>/);
    expect(record.failures[0]?.error.message).not.toMatch(/KmsClient/);
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toHaveLength(2);
  });

  it('selects by --name glob and the cloudhsm alias; connect --all restores service', async () => {
    const hsm = await cli([
      'disconnect',
      '--all',
      '--type',
      'cloudhsm',
      '--profile',
      'prod',
      '--region',
      'eu-west-1',
      '--yes',
      '--json',
    ]);
    expect(hsm.code).toBe(0);
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toEqual([
      `eu-west-1 ${[...fleet.prod.inRegion('eu-west-1').keyStores.values()].find((s) => s.type === 'AWS_CLOUDHSM')!.id}`,
    ]);
    const named = await cli([
      'disconnect',
      '--all',
      '--type',
      'all',
      '--name',
      'orders-*',
      '--profile',
      'prod',
      ...both,
      '--yes',
      '--wait',
      ...fast,
    ]);
    expect(named.code).toBe(0);
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toHaveLength(3);
    const restored = await cli([
      'connect',
      '--all',
      '--type',
      'all',
      '--name',
      'orders-*',
      '--profile',
      'prod',
      ...both,
      '--yes',
      '--wait',
      ...fast,
      '--json',
    ]);
    expect(restored.code).toBe(0);
    const record = JSON.parse(restored.stdout) as FleetRecord;
    expect(record.targets.map((target) => [target.action, target.stateAfter])).toEqual([
      ['connected', 'CONNECTED'],
      ['connected', 'CONNECTED'],
    ]);
  });

  it('exits 3 when --wait runs out of time, reporting the Disconnect as accepted with its last state', async () => {
    const slow = await startFleet(60_000);
    const restore = useProcessEnv(slow.env);
    try {
      const run = await cli([
        'disconnect',
        '--all',
        '--type',
        'xks',
        '--name',
        'orders-xks',
        '--profile',
        'prod',
        '--region',
        'us-east-1',
        '--yes',
        '--wait',
        '--timeout',
        '300ms',
        ...fast,
      ]);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(
        /orders-xks: disconnected \(request [\w-]+\): accepted; last seen DISCONNECTING; the wait timed out/,
      );
      expect(run.stdout).toMatch(
        /^prod\s+us-east-1\s+cks-\S+\s+orders-xks\s+DISCONNECTING\s+disconnected; wait timed out$/m,
      );
      expect(run.stdout).toMatch(
        /1 disconnected, 0 already, 0 failed \(1 store in 1 region\); the wait timed out for 1 store whose request KMS accepted\./,
      );
      expect(run.stdout).not.toMatch(/failed: KmsWaiterError/);
      const json = await cli([
        'disconnect',
        '--all',
        '--type',
        'xks',
        '--name',
        'orders-xks',
        '--profile',
        'prod',
        '--region',
        'us-east-1',
        '--yes',
        '--wait',
        '--timeout',
        '300ms',
        ...fast,
        '--json',
      ]);
      // Nothing left to send: the rerun does not wait for a store it did not act on.
      expect(json.code).toBe(0);
      const [target] = (JSON.parse(json.stdout) as FleetRecord).targets;
      // The store was DISCONNECTING when listed: nothing to send, and nothing claimed.
      expect(target).toMatchObject({ action: 'already', stateBefore: 'DISCONNECTING' });
    } finally {
      restore();
      await slow.close();
    }
  });

  it.each([
    [
      ['--type', 'hsm'],
      /--type must be EXTERNAL_KEY_STORE \(xks\), AWS_CLOUDHSM \(cloudhsm\) or all/,
    ],
    [['--concurrency', '0'], /--concurrency must be a whole number from 1 to 100/],
    [['--region', 'us-east-1,'], /--region has an empty item/],
    [['cks-1'], /give an <id> or --all, not both/],
  ])('exits 2 for %j, sending nothing', async (extra, message) => {
    const run = await cli([
      'disconnect',
      '--all',
      '--type',
      'xks',
      '--profile',
      'prod',
      '--yes',
      ...extra,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(fleet.prod.requests).toHaveLength(0);
  });

  it('the selection flags need --all; a list of regions needs --all', async () => {
    const typed = await cli(['disconnect', 'cks-1', '--type', 'xks']);
    expect(typed.code).toBe(2);
    expect(typed.stderr).toMatch(/--type goes with --all/);
    const reset = await cli(['connect', '--all', '--type', 'xks', '--reset-failed', '--yes']);
    expect(reset.code).toBe(2);
    expect(reset.stderr).toMatch(/--reset-failed is for one store, not --all/);
    const listed = await cli(['disconnect', 'cks-1', '--region', 'us-east-1,eu-west-1']);
    expect(listed.code).toBe(2);
    expect(listed.stderr).toMatch(
      /--region takes one value here; a comma-separated list is for --all/,
    );
  });
});

describe('the --all record says exactly what happened', () => {
  it('an empty selection exits 1 and names the stores that were close (case, type)', async () => {
    const run = await cli([
      'disconnect',
      '--all',
      '--type',
      'all',
      '--name',
      'Orders-*',
      '--profile',
      'prod',
      '--region',
      'us-east-1',
      '--yes',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^Close to the selection but not in it:\n {2}prod us-east-1 cks-0123456789abcdef0 orders-xks \(EXTERNAL_KEY_STORE\): name differs in case$/m,
    );
    expect(run.stdout).toMatch(
      /No custom key stores selected by --name 'Orders-\*': nothing was disconnected \(--name is case-sensitive\)\.\n$/,
    );
    expect(disconnects()).toEqual([]);
    const typed = await cli([
      'disconnect',
      '--all',
      '--type',
      'cloudhsm',
      '--name',
      'orders-*',
      '--profile',
      'prod',
      '--region',
      'us-east-1',
      '--dry-run',
      '--json',
    ]);
    expect(typed.code).toBe(1);
    const record = JSON.parse(typed.stdout) as FleetRecord;
    expect(record.targets).toEqual([]);
    expect(record.nearMatches).toEqual([
      expect.objectContaining({
        customKeyStoreName: 'orders-xks',
        reason: 'type is EXTERNAL_KEY_STORE',
      }),
    ]);
    const typo = await cli([
      'disconnect',
      '--all',
      '--type',
      'xks',
      '--name',
      'order-xks',
      '--profile',
      'prod',
      '--region',
      'us-east-1',
      '--dry-run',
      '--json',
    ]);
    expect(typo.code).toBe(1);
    expect((JSON.parse(typo.stdout) as FleetRecord).nearMatches).toEqual([
      expect.objectContaining({ customKeyStoreName: 'orders-xks', reason: 'similar name' }),
    ]);
  });

  it('--all without --type is refused before any request (exit 2); --type all covers both and counts them', async () => {
    const refused = await cli(['disconnect', '--all', '--profile', 'prod', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^kms-cks: --all needs --type: xks \(EXTERNAL_KEY_STORE\), cloudhsm \(AWS_CLOUDHSM\), or all for both\. A CloudHSM key store disconnected by accident/,
    );
    expect(fleet.prod.requests).toHaveLength(0);
    const questions: string[] = [];
    const dry = await cli(
      ['disconnect', '--all', '--type', 'all', '--profile', 'prod', ...both, '--dry-run'],
      {},
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /Dry run: 6 stores would be disconnected \(4 EXTERNAL_KEY_STORE, 2 AWS_CLOUDHSM\) in 2 regions/,
    );
    await cli(['disconnect', '--all', '--type', 'all', '--profile', 'prod', ...both], {
      isTTY: true,
      prompt: async (question) => {
        questions.push(question);
        return 'n';
      },
    });
    expect(questions).toEqual([
      'Disconnect 6 stores (4 EXTERNAL_KEY_STORE, 2 AWS_CLOUDHSM) in 2 regions? [y/N] ',
    ]);
  });

  it('connect --all: a store that went FAILED shows FAILED and its connectionErrorCode, in the table and the JSON', async () => {
    const args = [
      'connect',
      '--all',
      '--type',
      'xks',
      '--name',
      'legacy-xks',
      '--profile',
      'prod',
      '--region',
      'us-east-1',
      '--yes',
      '--wait',
      ...fast,
    ];
    const run = await cli(args);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^prod\s+us-east-1\s+cks-5a5a5a5a5a5a5a5a5\s+legacy-xks\s+FAILED \(XKS_PROXY_TIMED_OUT\)\s+failed: KmsWaiterError$/m,
    );
    fleet.prod.setConnectionState(defaultKeyStoreIds.failingExternal, 'DISCONNECTED');
    const json = await cli([...args, '--json']);
    const [target] = (JSON.parse(json.stdout) as FleetRecord).targets;
    expect(target).toMatchObject({
      action: 'failed',
      stateBefore: 'DISCONNECTED',
      stateAfter: 'FAILED',
      connectionErrorCode: 'XKS_PROXY_TIMED_OUT',
      requestId: expect.any(String),
    });
  });

  it('Ctrl-C with Disconnects in flight: recorded as sent with outcome unknown, and said on stderr', async () => {
    // Every Disconnect of prod us-east-1 is held by the emulator, as by a slow network.
    fleet.prod.injectFaults([
      { kind: 'delay', delayMs: 30_000, operation: 'DisconnectCustomKeyStore' },
      { kind: 'delay', delayMs: 30_000, operation: 'DisconnectCustomKeyStore' },
    ]);
    const controller = new AbortController();
    const running = cli(
      [
        'disconnect',
        '--all',
        '--type',
        'xks',
        '--profile',
        'prod',
        '--region',
        'us-east-1',
        '--yes',
        '--json',
      ],
      { signal: controller.signal },
    );
    await vi.waitFor(() => expect(fleet.prod.pendingFaults).toHaveLength(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new Error('SIGINT'));
    const run = await running;
    expect(run.code).toBe(130);
    const record = JSON.parse(run.stdout) as FleetRecord;
    expect(record.interrupted).toBe(true);
    const unknown = record.targets.filter((target) => target.action === 'unknown');
    expect(unknown).toHaveLength(2);
    expect(record.targets.filter((target) => target.action === 'skipped')).toHaveLength(0);
    expect(run.stderr).toMatch(
      /^Interrupted: 0 Disconnect requests accepted, 2 in flight \(outcome unknown\), 0 not sent\.$/m,
    );
    expect(
      run.stderr.match(/^ {2}in flight when interrupted, outcome unknown: prod us-east-1 cks-/gm),
    ).toHaveLength(2);
  });

  it('results go to stdout when stderr is a terminal and stdout is not (| tee)', async () => {
    const run = await cli(
      ['disconnect', '--all', '--type', 'xks', '--profile', 'prod', ...both, '--yes'],
      { isTTY: true, stdoutIsTTY: false },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^PROFILE\s+REGION\s+ID\s+NAME\s+STATE\s+RESULT$/m);
    expect(run.stdout.match(/ disconnected$/gm)).toHaveLength(4);
    expect(run.stdout).toMatch(/4 disconnected, 2 already, 0 failed/);
    // Both on one terminal: the live table is not printed twice.
    const again = await cli(
      ['disconnect', '--all', '--type', 'xks', '--profile', 'prod', ...both, '--yes'],
      { isTTY: true, stdoutIsTTY: true },
    );
    expect(again.stdout).not.toMatch(/PROFILE/);
  });

  it('a repeated --region is covered once; no region at all exits 2 as for one store', async () => {
    const run = await cli([
      'disconnect',
      '--all',
      '--type',
      'xks',
      '--profile',
      'prod',
      '--region',
      'us-east-1,us-east-1',
      '--dry-run',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as FleetRecord).targets).toHaveLength(3);
    const noRegion = await cli([
      'disconnect',
      '--all',
      '--type',
      'xks',
      '--profile',
      'prod',
      '--yes',
    ]);
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toMatch(/No region: pass --region <region>/);
    const one = await cli(['disconnect', 'cks-1', '--profile', 'prod']);
    expect(one.code).toBe(2);
  });
});
