/**
 * The code cache `kms-cks` keeps for itself on Node 20 (`src/cli/code-cache.ts`), on small
 * CommonJS files in a temporary folder: the cache is written, used, never stale, and never
 * taken from a folder another user could have written. Each run is a fresh process, as each
 * `kms-cks` run is: within one process V8 would reuse its own compilation of the same source and
 * never look at the cache file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repoRoot = new URL('../..', import.meta.url).pathname;

/** What one process reports: the cache's use, the save, and what the file under test recorded. */
interface ChildRun {
  use: string;
  cacheFile?: string;
  saved: boolean;
  seen?: unknown[];
  error?: string;
}

const child = `
const { runWithCodeCache } = await import('./src/cli/code-cache.ts');
const report = {};
try {
  const run = runWithCodeCache(process.env.CODE_CACHE_FILE, process.env);
  Object.assign(report, { use: run.use, cacheFile: run.cacheFile });
  if (process.env.CODE_CACHE_BREAK_FOLDER) {
    const { rmSync, writeFileSync } = await import('node:fs');
    rmSync(process.env.CODE_CACHE_BREAK_FOLDER, { recursive: true });
    writeFileSync(process.env.CODE_CACHE_BREAK_FOLDER, 'now a file');
  }
  report.saved = run.save();
} catch (error) {
  report.error = String(error);
}
report.seen = globalThis.codeCacheTest;
console.log(JSON.stringify(report));
`;

let dir: string;
let cacheRoot: string;
const folder = () => join(cacheRoot, `kms-cks-compile-cache-${process.getuid?.()}`);

/** Runs `file` through the code cache in a fresh Node process. */
async function run(
  file: string,
  env: Record<string, string> = {},
  fileSizeLimitKiB?: number,
): Promise<ChildRun> {
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', child];
  // `ulimit -f` caps the size of any file the process writes (EFBIG past it).
  const command =
    fileSizeLimitKiB === undefined
      ? node
      : ['/bin/sh', '-c', `ulimit -f ${fileSizeLimitKiB} && exec "$@"`, 'sh', ...node];
  const { stdout } = await promisify(execFile)(command[0] as string, command.slice(1), {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      NODE_COMPILE_CACHE: cacheRoot,
      CODE_CACHE_FILE: file,
      ...env,
    },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as ChildRun;
}

/** A CommonJS file that records `value` (and what its wrapper gave it) when it runs. */
function writeModule(name: string, value: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `#!/usr/bin/env node
"use strict";
const helper = require('./helper.cjs');
(globalThis.codeCacheTest ??= []).push({ value: ${JSON.stringify(value)}, helper, file: __filename, dir: __dirname, thisIsExports: this === module.exports });
module.exports = { done: true };
`,
  );
  return file;
}

/** A module whose code cache is tens of kilobytes. */
function writeBigModule(name: string): string {
  const file = writeModule(name, 'big');
  const functions = Array.from(
    { length: 400 },
    (_, i) =>
      `function f${i}(a) { return [a, ${i}, 'text ${i}'].map((x) => String(x) + a).join(); }`,
  );
  writeFileSync(
    file,
    `${functions.join('\n')}\nglobalThis.big = [${functions.map((_, i) => `f${i}(${i})`).join(', ')}];\n(globalThis.codeCacheTest ??= []).push({ value: 'big' });\n`,
  );
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kms-cks-code-cache-'));
  cacheRoot = join(dir, 'cache');
  writeFileSync(join(dir, 'helper.cjs'), 'module.exports = "helper";\n');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(typeof process.getuid === 'function')('code cache', () => {
  it('runs the file as CommonJS, writes a cache on save, and the next run uses it', async () => {
    const file = writeModule('bundle.cjs', 'first');
    const first = await run(file);
    expect(first).toMatchObject({ use: 'missed', saved: true });
    expect(first.seen).toEqual([
      { value: 'first', helper: 'helper', file, dir, thisIsExports: true },
    ]);
    expect(first.cacheFile && existsSync(first.cacheFile)).toBe(true);
    expect(statSync(folder()).mode & 0o777).toBe(0o700);
    expect(statSync(first.cacheFile as string).mode & 0o777).toBe(0o600);

    const second = await run(file);
    expect(second).toMatchObject({ use: 'used', saved: false, cacheFile: first.cacheFile });
    expect(second.seen).toEqual(first.seen);
    expect(readdirSync(folder())).toHaveLength(1);
  });

  it('never runs stale code: an edit of the same length, with the old times put back, gets its own cache', async () => {
    const file = writeModule('bundle.cjs', 'aaaa');
    const before = statSync(file);
    expect((await run(file)).saved).toBe(true);
    writeModule('bundle.cjs', 'bbbb');
    utimesSync(file, before.atime, before.mtime);
    expect(statSync(file).size).toBe(before.size);

    const edited = await run(file);
    expect(edited).toMatchObject({ use: 'missed', saved: true });
    expect(edited.seen).toEqual([expect.objectContaining({ value: 'bbbb' })]);
  });

  it('a corrupt or empty cache file is rejected: the file still runs, and save replaces it', async () => {
    const file = writeModule('bundle.cjs', 'value');
    const cacheFile = (await run(file)).cacheFile as string;
    for (const garbage of [Buffer.alloc(0), Buffer.from('not a V8 code cache'.repeat(100))]) {
      writeFileSync(cacheFile, garbage);
      const rejected = await run(file);
      expect(rejected).toMatchObject({ use: 'missed', saved: true });
      expect(rejected.seen).toEqual([expect.objectContaining({ value: 'value' })]);
      expect((await run(file)).use).toBe('used');
    }
  });

  it('a cache with 4 bytes flipped is never given to V8: the file runs, the cache is rewritten and used again', async () => {
    const file = writeBigModule('bundle.cjs');
    const cacheFile = (await run(file)).cacheFile as string;
    expect((await run(file)).use).toBe('used');
    const good = readFileSync(cacheFile);
    // Several places in V8's data, each a fresh process (V8 itself takes such a cache, or crashes).
    for (const at of [0.5, 0.7, 0.9]) {
      const bad = Buffer.from(good);
      const offset = Math.floor(bad.length * at);
      for (let i = offset; i < offset + 4; i++) bad[i] = (bad[i] ?? 0) ^ 0xff;
      writeFileSync(cacheFile, bad);
      const damaged = await run(file);
      expect(damaged).toMatchObject({ use: 'missed', saved: true });
      expect(damaged.seen).toEqual([expect.objectContaining({ value: 'big' })]);
      expect((await run(file)).use).toBe('used');
    }
  });

  it('an upgrade in place replaces its cache: one file after several upgrades', async () => {
    for (const version of ['v1', 'v2', 'v3', 'v4', 'v5']) {
      // As npm installs: a new file (new inode) at the same path.
      const staged = writeModule('staged.cjs', version);
      const file = join(dir, 'bundle.cjs');
      renameSync(staged, file);
      const upgraded = await run(file);
      expect(upgraded).toMatchObject({ use: 'missed', saved: true });
      expect(upgraded.seen).toEqual([expect.objectContaining({ value: version })]);
    }
    expect(readdirSync(folder())).toHaveLength(1);
  });

  it("saving removes this file's caches for other Node versions, caches named the older way, caches unused for 30 days and partial files of gone processes", async () => {
    const file = writeModule('bundle.cjs', 'value');
    mkdirSync(folder(), { recursive: true, mode: 0o700 });
    const where = createHash('sha256').update(file).digest('hex').slice(0, 16);
    const leftovers = [
      `bundle.cjs-v20.0.0-${process.arch}-${where}.v8`,
      `bundle.cjs-${process.version}-${process.arch}-2049-123456-789-1700000000000000.v8`,
      `bundle.cjs-${process.version}-${process.arch}-${where}.v8.999999999.tmp`,
    ];
    const kept = [
      // Another install of the same bundle (another path), in use: left alone.
      `bundle.cjs-${process.version}-${process.arch}-0123456789abcdef.v8`,
      // Not ours.
      'other.cjs-v20.0.0-x64-0123456789abcdef.v8',
    ];
    for (const name of [...leftovers, ...kept]) writeFileSync(join(folder(), name), 'old');
    // An install unused for 40 days (removed since, or never run again).
    const stale = `bundle.cjs-${process.version}-${process.arch}-fedcba9876543210.v8`;
    writeFileSync(join(folder(), stale), 'old');
    const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
    utimesSync(join(folder(), stale), longAgo, longAgo);
    const saved = await run(file);
    expect(saved.saved).toBe(true);
    expect(readdirSync(folder()).sort()).toEqual(
      [...kept, basename(saved.cacheFile as string)].sort(),
    );
  });

  it('a full disk leaves no partial file behind, run after run', async () => {
    const file = writeBigModule('bundle.cjs');
    for (let i = 0; i < 3; i++) {
      // A file size limit (4 KiB) makes the write fail part-way, as a full disk does.
      const full = await run(file, {}, 4);
      expect(full).toMatchObject({ use: 'missed', saved: false });
      expect(full.error).toBeUndefined();
    }
    expect(readdirSync(folder())).toEqual([]);
    expect((await run(file)).saved).toBe(true);
    expect(readdirSync(folder())).toHaveLength(1);
  });

  it('does not use a folder that others can write to, or that is a symbolic link', async () => {
    const file = writeModule('bundle.cjs', 'value');
    mkdirSync(folder(), { recursive: true });
    chmodSync(folder(), 0o777);
    const open = await run(file);
    expect(open).toMatchObject({ use: 'off', saved: false });
    expect(open.cacheFile).toBeUndefined();
    expect(open.seen).toHaveLength(1);
    expect(readdirSync(folder())).toEqual([]);

    rmSync(folder(), { recursive: true });
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, folder());
    expect(await run(file)).toMatchObject({ use: 'off', saved: false });
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns it off; a folder that cannot be made leaves it off', async () => {
    const file = writeModule('bundle.cjs', 'value');
    const disabled = await run(file, { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(disabled).toMatchObject({ use: 'off', saved: false });
    expect(disabled.seen).toHaveLength(1);
    expect(existsSync(cacheRoot)).toBe(false);

    writeFileSync(join(dir, 'a-file'), '');
    const blocked = await run(file, { NODE_COMPILE_CACHE: join(dir, 'a-file') });
    expect(blocked).toMatchObject({ use: 'off', saved: false });
    expect(blocked.seen).toHaveLength(1);
  });

  it('save is quiet when the cache cannot be written', async () => {
    const file = writeModule('bundle.cjs', 'value');
    const broken = await run(file, { CODE_CACHE_BREAK_FOLDER: folder() });
    expect(broken).toMatchObject({ use: 'missed', saved: false });
    expect(broken.error).toBeUndefined();
  });

  it('an error the file throws reaches the caller', async () => {
    const file = join(dir, 'throws.cjs');
    writeFileSync(file, 'throw new RangeError("from the bundle");\n');
    expect((await run(file)).error).toBe('RangeError: from the bundle');
    expect((await run(join(dir, 'missing.cjs'))).error).toMatch(/ENOENT/);
  });
});
