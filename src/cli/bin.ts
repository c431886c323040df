#!/usr/bin/env node
/**
 * The installed `kms-cks` executable (`dist/cli/bin.cjs`): sets up Node the way a short-lived
 * command wants, then runs the CLI bundle (`dist/cli/cli.cjs`, built from `main.ts`). Start-up is
 * most of a `kms-cks` run, and these settings are for this process alone, never the library's.
 *
 * - Node 22+: `module.enableCompileCache(folder)`, before the bundle loads, so that later runs
 *   skip compiling it. Never Node's default folder (`<tmpdir>/node-compile-cache`), which any
 *   local user can create first and fill with code that the next run would execute: the folder
 *   is checked as Node 20's is (`compileCacheFolder`), else no cache.
 * - Node 20: `--liftoff-only`, because Node 20 tiers undici's llhttp WebAssembly up in the
 *   background and exit waits for that compilation (about 200 ms after the work is done; baseline
 *   code is plenty for parsing a few responses; Node 22+ no longer waits). Then the bundle runs
 *   through our own code cache (`code-cache.ts`), Node 20 having no compile cache. The flag is set
 *   first: V8 rejects a cache made under other flags.
 */
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileCacheFolder, runWithCodeCache } from './code-cache.js';

// Next to this file's real path: under --preserve-symlinks-main, __dirname would be the folder
// of the link npm made (node_modules/.bin).
const bundle = join(dirname(realpathSync(__filename)), 'cli.cjs');
const major = Number(process.versions.node.split('.')[0]);
if (major >= 22) {
  // Builtins are fetched only where they are used: loading one for nothing costs time too.
  const module = process.getBuiltinModule?.('node:module') as
    | { enableCompileCache?: (folder?: string) => unknown }
    | undefined;
  if (module?.enableCompileCache) {
    // Without user IDs (Windows) the temporary folder is the user's own: Node's default is safe.
    if (typeof process.getuid !== 'function') module.enableCompileCache();
    // NODE_COMPILE_CACHE set: Node enabled its cache there at start-up, as the user chose.
    else if (!process.env.NODE_COMPILE_CACHE) {
      const folder = compileCacheFolder(process.env);
      if (folder !== undefined) module.enableCompileCache(folder);
    }
  }
  require(bundle);
} else {
  process.getBuiltinModule('node:v8').setFlagsFromString('--liftoff-only');
  const run = runWithCodeCache(bundle, process.env);
  // At exit, so that the cache also holds the functions this run compiled.
  if (run.use === 'missed') process.once('exit', () => run.save());
}
