/**
 * undici's Pool class, loaded on the first call.
 *
 * From its own file: `import { Pool } from 'undici'` loads all of undici (fetch, WebSocket,
 * caches, interceptors …), several times the start-up cost of the Pool alone. undici has no
 * exports map, so the file can be imported, but its place is not a public API and has moved in a
 * minor release before: if it is gone, the public entry serves instead (slower to load, same
 * class). `test/request/pool.test.ts` fails loudly when the file moves, so that the path is
 * updated rather than the fallback silently taken.
 */
import type { Pool } from 'undici';

/** The Pool class. */
export type PoolClass = typeof Pool;

let loading: Promise<PoolClass> | undefined;

/** Loads the Pool class once; later calls get the same promise. */
export function loadPool(): Promise<PoolClass> {
  loading ??= Promise.resolve()
    .then((): Promise<unknown> | unknown => {
      const require = requireBesideInstalledFile();
      return require ? require(poolFile) : import('undici/lib/dispatcher/pool.js');
    })
    .then(
      (module) => {
        // import() sees the CommonJS module.exports as the default export; require() returns it.
        const Pool = (module as { default?: unknown }).default ?? module;
        return typeof Pool === 'function' ? (Pool as PoolClass) : poolFromPublicEntry();
      },
      () => poolFromPublicEntry(),
    );
  return loading;
}

const poolFile = 'undici/lib/dispatcher/pool.js';

/**
 * `require` beside this file when it runs as one of our installed ES module files, else nothing.
 * undici is CommonJS: `import()` loads it through Node's ES module loader, which on Node 20 and
 * 22 first starts its WebAssembly lexer of CommonJS exports, 10 to 13 M instructions (about 3 ms)
 * of a cold start (issue 25); `require()` loads the same file into the same module cache, so the
 * class is the one `import('undici')` gives too. Inside an app bundle this code is in the app's
 * file, and the bundler has put undici in the bundle for the `import()` above: a `require()`
 * there would find another undici, or none. The CommonJS build turns that `import()` into its
 * own `require()` (Jest's, under Jest), so this is for the ES module build only.
 */
function requireBesideInstalledFile(): NodeJS.Require | undefined {
  if (typeof __filename === 'string') return undefined;
  return /\/kms-custom-key-store\/dist\//.test(import.meta.url)
    ? requireFrom(import.meta.url)
    : undefined;
}

/** A `require()` resolving from `location`; node:module is loaded only when one is needed. */
function requireFrom(location: string): NodeJS.Require {
  return process.getBuiltinModule('node:module').createRequire(location);
}

/**
 * The public entry, required rather than imported so that a bundler, which resolves the file
 * above at build time, does not also pull in all of undici for a fallback it never takes.
 */
function poolFromPublicEntry(): PoolClass {
  // __filename in the CommonJS build, import.meta.url in the ES module build.
  const require = requireFrom(typeof __filename === 'string' ? __filename : import.meta.url);
  return (require('undici') as typeof import('undici')).Pool;
}
