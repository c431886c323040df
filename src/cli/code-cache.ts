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
 * V8 checks a cache against the source's length only, so each cache file is named for Node's
 * version and the file's identity: device, inode, size and change time (an edit in place changes
 * the change time, which no tool can set back). Anything that goes wrong (no folder, a full disk,
 * a cache V8 rejects, a half-written file) falls back to an ordinary compile: the cache can make a
 * run faster, never fail it.
 */
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
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
  /** No cache yet, or V8 rejected it (other flags, other V8): `save()` writes one. */
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

/**
 * Compiles and runs `file` as a CommonJS module (its `require` resolves from its own folder),
 * with a code cache where one can be kept.
 * @param env - read for `NODE_COMPILE_CACHE` and `NODE_DISABLE_COMPILE_CACHE`.
 */
export function runWithCodeCache(file: string, env: NodeJS.ProcessEnv): CodeCacheRun {
  const fd = openSync(file, 'r');
  let source: string;
  let cacheFile: string | undefined;
  try {
    source = readFileSync(fd, 'utf8');
    cacheFile = cacheFileFor(file, fstatSync(fd), env);
  } finally {
    closeSync(fd);
  }
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
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
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, cacheFile);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** The cache file for this file and this Node, or undefined when no safe folder is at hand. */
function cacheFileFor(
  file: string,
  info: { dev: number; ino: number; size: number; ctimeMs: number },
  env: NodeJS.ProcessEnv,
): string | undefined {
  const folder = compileCacheFolder(env);
  if (folder === undefined) return undefined;
  const identity = [info.dev, info.ino, info.size, Math.round(info.ctimeMs * 1000)].join('-');
  const name = `${basename(file)}-${process.version}-${process.arch}-${identity}.v8`;
  return join(folder, name);
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
