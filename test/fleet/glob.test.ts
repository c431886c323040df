/**
 * `--name` globs (`globMatcher`, used by applyToFleet and `kms-cks … --all --name`): the same
 * meaning as before (`*` any run, `?` one character, the rest literal and case-sensitive, the
 * whole name), now without backtracking: anyone allowed to create a key store picks its name, and
 * a glob of stars against a long run of `-` blocked the event loop (no Ctrl-C, no audit record).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { globMatcher } from '../../src/fleet.js';
import { applyToFleet } from '../../src/index.js';
import { useProcessEnv } from '../config/helpers.js';
import { actionsOn, type Fleet, startFleet } from '../helpers/fleet.js';

const repoRoot = new URL('../..', import.meta.url).pathname;
const dashes = '-'.repeat(256);

describe('globMatcher keeps its meaning', () => {
  it.each([
    ['orders-*', 'orders-xks', true],
    ['orders-*', 'orders-', true],
    ['orders-*', 'my-orders-xks', false],
    ['*orders*', 'dr-orders-xks', true],
    ['*', '', true],
    ['*', 'anything at all', true],
    ['?', 'a', true],
    ['?', '', false],
    ['?', 'ab', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['Orders', 'orders', false],
    ['a.c', 'abc', false],
    ['a.c', 'a.c', true],
    ['(x)+[y]{2}^$|\\', '(x)+[y]{2}^$|\\', true],
    ['*a*b', 'xaxxb', true],
    ['*a*b', 'xaxxbc', false],
    ['**a**', 'a', true],
    ['*-?', '--', true],
    ['a*', 'a\nb', true],
    ['ab*cd*ef', 'abXcdYcdZef', true],
    ['ab*cd*ef', 'abXcdYcdZeg', false],
    ['*ab', 'aab', true],
    ['payments-hsm', 'payments-hsm', true],
    ['payments-hsm', 'payments-hsm2', false],
  ])('%j against %j -> %s', (glob, name, expected) => {
    expect(globMatcher(glob)(name)).toBe(expected);
  });
});

describe('globs that made a regular expression backtrack', () => {
  it('stars against 256 dashes end (in a child process, so a hang cannot block this one)', async () => {
    const script = `
      const { globMatcher } = await import('./src/fleet.ts');
      const name = '-'.repeat(256);
      const results = [5, 6, 10, 40].flatMap((stars) => [
        globMatcher('*-'.repeat(stars) + 'x')(name),
        globMatcher('*-'.repeat(stars))(name),
        globMatcher('*?'.repeat(stars) + '*x*')(name),
      ]);
      console.log(JSON.stringify(results));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repoRoot, timeout: 25_000, killSignal: 'SIGKILL' },
    );
    expect(JSON.parse(stdout)).toEqual(Array(4).fill([false, true, false]).flat());
  }, 30_000);

  describe('applyToFleet', () => {
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

    it('selects against a store named with 256 dashes and a 6-star glob, and writes its record', async () => {
      fleet.prod.inRegion('us-east-1').addKeyStore({
        id: 'cks-dashes0000000001',
        name: dashes,
        type: 'EXTERNAL_KEY_STORE',
      });
      fleet.prod.inRegion('us-east-1').addKeyStore({
        id: 'cks-dashes0000000002',
        name: `${dashes.slice(1)}x`,
        type: 'EXTERNAL_KEY_STORE',
      });
      const record = await applyToFleet({
        action: 'disconnect',
        profiles: ['prod'],
        regions: ['us-east-1'],
        type: 'EXTERNAL_KEY_STORE',
        name: '*-*-*-*-*-*-x',
        dryRun: true,
      });
      expect(record.targets.map((target) => target.customKeyStoreId)).toEqual([
        'cks-dashes0000000002',
      ]);
      const hit = await applyToFleet({
        action: 'disconnect',
        profiles: ['prod'],
        regions: ['us-east-1'],
        type: 'EXTERNAL_KEY_STORE',
        name: '-*-*-*-*-*-*-',
        dryRun: true,
      });
      expect(hit.targets.map((target) => target.customKeyStoreId)).toEqual([
        'cks-dashes0000000001',
      ]);
      expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toEqual([]);
    });
  });
});
