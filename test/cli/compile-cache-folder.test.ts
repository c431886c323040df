/**
 * Where the `kms-cks` launcher (`src/cli/bin.ts`) lets Node 22+ keep its compile cache. Code read
 * from that folder runs, so it must never be Node's default `<tmpdir>/node-compile-cache`, which
 * any local user can create first, nor a folder of ours that another user made or can write.
 * The launcher is built as it ships (one CommonJS file beside a `cli.cjs`) and run as a fresh
 * process; the other local user is played by root with `chown` to a spare uid.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repoRoot = new URL('../..', import.meta.url).pathname;
const otherUser = 12345;
const major = Number(process.versions.node.split('.')[0]);
const isRoot = process.getuid?.() === 0;

let dir: string;
let temp: string;
let bin: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kms-cks-compile-folder-'));
  temp = join(dir, 'tmp');
  mkdirSync(temp, { mode: 0o1777 });
  chmodSync(temp, 0o1777);
  mkdirSync(join(dir, 'bin'));
  bin = join(dir, 'bin', 'bin.cjs');
  await build({
    entryPoints: [join(repoRoot, 'src/cli/bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: bin,
    logLevel: 'silent',
  });
  writeFileSync(
    join(dir, 'bin', 'cli.cjs'),
    `'use strict';\nfunction answer() { return 'ran'; }\nconsole.log(answer());\n`,
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function runBin(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [bin], {
    env: { PATH: process.env.PATH, TMPDIR: temp },
    timeout: 30_000,
  });
  return stdout.trim();
}

const filesIn = (folder: string) =>
  readdirSync(folder, { recursive: true }).filter((name) =>
    statSync(join(folder, String(name))).isFile(),
  );

describe.runIf(major >= 22 && isRoot)(
  'Node 22+ compile cache folder (needs Node 22+ for module.enableCompileCache, and root to play another user)',
  () => {
    it("never uses <tmpdir>/node-compile-cache that another user created first; keeps the cache in the user's own 0700 folder", async () => {
      const planted = join(temp, 'node-compile-cache');
      mkdirSync(planted, { mode: 0o777 });
      chmodSync(planted, 0o777);
      chownSync(planted, otherUser, otherUser);

      expect(await runBin()).toBe('ran');
      expect(await runBin()).toBe('ran');
      expect(filesIn(planted)).toEqual([]);
      const own = join(temp, `kms-cks-compile-cache-${process.getuid?.()}`);
      expect(statSync(own).mode & 0o777).toBe(0o700);
      expect(filesIn(own).length).toBeGreaterThan(0);
    });

    it('uses no cache at all when its own folder belongs to another user or is writable by others', async () => {
      const own = join(temp, `kms-cks-compile-cache-${process.getuid?.()}`);
      mkdirSync(own, { mode: 0o755 });
      chownSync(own, otherUser, otherUser);
      expect(await runBin()).toBe('ran');
      expect(filesIn(own)).toEqual([]);

      chownSync(own, 0, 0);
      chmodSync(own, 0o777);
      expect(await runBin()).toBe('ran');
      expect(filesIn(own)).toEqual([]);
      expect(readdirSync(temp).sort()).toEqual([`kms-cks-compile-cache-${process.getuid?.()}`]);
    });
  },
);
