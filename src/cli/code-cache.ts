/**
 * Runs a CommonJS file through a V8 code cache: what Node 22's `module.enableCompileCache()` does,
 * for Node 20, which does not have it. Compiling the CLI bundle (half a megabyte) is a good part
 * of a short `kms-cks` run there; with the cache, V8 reads back the code an earlier run compiled,
 * including the functions that run needed.
 *
 * Where: the folder `NODE_COMPILE_CACHE` names (the variable Node 22 reads), else the system
 * temporary folder, in a folder of this user's own (`kms-cks-compile-cache-<uid>`, created with
 * mode 0700). Code read from there runs, so a folder that is a symbolic link, belongs to another
 * user or is writable by others is not used. `NODE_DISABLE_COMPILE_CACHE=1` turns it off, as on
 * Node 22. Only where there are user IDs (not on Windows).
 *
 * One cache file per installed file (named for its path), Node version and architecture, so an
 * upgrade in place replaces its cache instead of adding one. The file starts with a SHA-256
 * digest of the rest, then the identity of the source it was made from (device, inode, size and
 * change time: V8 checks only the source's length, and an edit in place changes the change time,
 * which no tool can set back), then V8's data. V8 does not verify its own checksum: a cache with a
 * few bytes flipped (a bad disk, a torn write) would be taken and crash every run, so a cache
 * whose digest or identity does not match is never given to V8; it is rewritten at exit.
 * Anything that goes wrong (no folder, a full disk, a cache V8 rejects) falls back to an ordinary
 * compile: the cache can make a run faster, never fail it. Saving removes what it leaves behind:
 * its partial file if the write fails, caches of older formats, of other Node versions for the
 * same file, and of any install unused for {@link staleAfterMs}.
 */
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** What became of the cache for one run. */
export type CodeCacheUse =
  /** A cache was there and V8 took it. */
  | 'used'
  /** No cache yet, a damaged one, or V8 rejected it (other flags, other V8): `save()` writes one. */
  | 'missed'
  /** No usable folder, or turned off: compiled as usual, nothing to save. */
  | 'off';

/** The outcome of {@link runWithCodeCache}. */
export interface CodeCacheRun {
  /** The cache file, when there is a usable folder. */
  readonly cacheFile: string | undefined;
  /** What became of the cache. */
  readonly use: CodeCacheUse;
  /**
   * Writes the code compiled so far (call it when the work is done, so the cache holds the
   * functions this run compiled too), atomically. Does nothing unless `use` is `'missed'`.
   * @returns whether a cache file was written.
   */
  save(): boolean;
}

/** A cache file no bigger than this is read (the CLI bundle's is about 0.4 MB). */
const maxCacheBytes = 64 * 1024 * 1024;
/** Cache files of this bundle name neither read nor written for this long are removed. */
const staleAfterMs = 30 * 24 * 60 * 60 * 1000;
const digestBytes = 32;

function sha256(...parts: (string | Buffer)[]): Buffer {
  // Loaded here: Node 22+ runs the launcher without this module's cache, and needs no crypto.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/**
 * Compiles and runs `file` as a CommonJS module (its `require` resolves from its own folder),
 * with a code cache where one can be kept.
 * @param env - read for `NODE_COMPILE_CACHE` and `NODE_DISABLE_COMPILE_CACHE`.
 */
export function runWithCodeCache(file: string, env: NodeJS.ProcessEnv): CodeCacheRun {
  const fd = openSync(file, 'r');
  let source: string;
  let info: { dev: number; ino: number; size: number; ctimeMs: number };
  try {
    source = readFileSync(fd, 'utf8');
    info = fstatSync(fd);
  } finally {
    closeSync(fd);
  }
  const folder = compileCacheFolder(env);
  const cacheFile = folder === undefined ? undefined : join(folder, cacheName(file));
  const identity = `${file}\0${[info.dev, info.ino, info.size, Math.round(info.ctimeMs * 1000)].join('-')}\n`;
  const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile, identity);
  // The CommonJS wrapper, as Node's loader adds it; a shebang line would be a syntax error.
  const body = source.startsWith('#!') ? `//${source}` : source;
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${body}\n})`,
    { filename: file, cachedData },
  );
  const use: CodeCacheUse =
    cacheFile === undefined
      ? 'off'
      : cachedData !== undefined && !script.cachedDataRejected
        ? 'used'
        : 'missed';
  const module = { exports: {}, filename: file, id: file };
  const run = script.runInThisContext() as (this: unknown, ...args: unknown[]) => void;
  // As Node's loader calls it: `this` is module.exports.
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return {
    cacheFile,
    use,
    save() {
      if (use !== 'missed' || cacheFile === undefined) return false;
      const partial = `${cacheFile}.${process.pid}.tmp`;
      try {
        const rest = Buffer.concat([Buffer.from(identity), script.createCachedData()]);
        writeFileSync(partial, Buffer.concat([sha256(rest), rest]), { mode: 0o600 });
        renameSync(partial, cacheFile);
      } catch {
        // A full disk leaves a partial file: never keep it.
        try {
          unlinkSync(partial);
        } catch {}
        return false;
      }
      removeOldCaches(cacheFile, file);
      return true;
    },
  };
}

/** `<file name>-<Node version>-<arch>-<hash of the file's path>.v8` */
function cacheName(file: string): string {
  const where = sha256(file).toString('hex').slice(0, 16);
  return `${basename(file)}-${process.version}-${process.arch}-${where}.v8`;
}

/** V8's data from a cache file whose digest and identity match, else undefined. */
function readCache(cacheFile: string, identity: string): Buffer | undefined {
  let data: Buffer;
  try {
    // Our own 0700 folder holds only what we wrote; the size check is for a damaged disk.
    if (statSync(cacheFile).size > maxCacheBytes) return undefined;
    data = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const rest = data.subarray(digestBytes);
  if (data.length <= digestBytes || !sha256(rest).equals(data.subarray(0, digestBytes))) {
    return undefined;
  }
  const expected = Buffer.from(identity);
  if (!rest.subarray(0, expected.length).equals(expected)) return undefined;
  return rest.subarray(expected.length);
}

/**
 * After a save: removes this file's caches for other Node versions, caches named the older way
 * (one per bundle identity), partial files of processes that are gone, and any cache of this
 * bundle name unused for {@link staleAfterMs} (an install that was removed). Best effort.
 */
function removeOldCaches(cacheFile: string, file: string): void {
  const folder = dirname(cacheFile);
  const current = basename(cacheFile);
  const prefix = `${basename(file)}-`;
  const samePath = current.slice(current.lastIndexOf('-'));
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === current || !name.startsWith(prefix)) continue;
    const path = join(folder, name);
    try {
      const partialOf = /\.(\d+)\.tmp$/.exec(name);
      if (partialOf) {
        if (!isRunning(Number(partialOf[1]))) unlinkSync(path);
        continue;
      }
      if (!name.endsWith('.v8')) continue;
      const info = lstatSync(path);
      const unused = Date.now() - Math.max(info.atimeMs, info.mtimeMs) > staleAfterMs;
      const olderFormat = /-\d+-\d+-\d+-\d+\.v8$/.test(name);
      if (name.endsWith(samePath) || olderFormat || unused) unlinkSync(path);
    } catch {}
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The folder `kms-cks` keeps compiled code in, for Node 20's cache here and Node 22+'s own
 * (`module.enableCompileCache(folder)`): `kms-cks-compile-cache-<uid>` under `NODE_COMPILE_CACHE`
 * or the system temporary folder, created with mode 0700. Code read from there runs, so the folder
 * must be a real folder (not a symbolic link), this user's own, and writable by no one else;
 * otherwise, or when `NODE_DISABLE_COMPILE_CACHE=1` or there are no user IDs (Windows), undefined:
 * no cache.
 * @param env - read for `NODE_COMPILE_CACHE` and `NODE_DISABLE_COMPILE_CACHE`.
 */
export function compileCacheFolder(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE === '1' || typeof process.getuid !== 'function') {
    return undefined;
  }
  const uid = process.getuid();
  const folder = join(env.NODE_COMPILE_CACHE || tmpdir(), `kms-cks-compile-cache-${uid}`);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const own = lstatSync(folder);
    if (!own.isDirectory() || own.uid !== uid || (own.mode & 0o022) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return folder;
}
