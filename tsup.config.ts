import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

/**
 * zod's `zod/v4/locales/*` subpath maps to the very file named, so `en.js` (ESM) would load in
 * CommonJS only through Node's require(esm), and esbuild's interop would take the namespace for
 * the default export. The CommonJS build requires the CommonJS twin instead. (tsup's own
 * externals plugin runs first, so the path is also listed in `noExternal` to reach this one.)
 */
const zodLocales = /^zod\/v4\/locales\/[\w-]+\.js$/;
const requireZodLocaleTwins: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'require-zod-locale-twins',
  setup(build) {
    build.onResolve({ filter: zodLocales }, (args) => ({
      path: args.path.replace(/\.js$/, '.cjs'),
      external: true,
    }));
  },
};

/**
 * Parts of undici the CLI never runs, replaced in its bundle by stand-ins that fail if ever
 * reached, so that each run neither loads nor parses them:
 * - the HTTP/2 client, which undici's client requires at module top, and which requires
 *   `node:http2` (milliseconds of every run on Node 20). Our connector offers only `http/1.1` by
 *   ALPN, so undici never takes that branch.
 * - fetch's body helpers (with WebIDL, FormData and the rest of fetch), which the HTTP/1.1 client
 *   requires for a FormData body only. Our bodies are strings.
 * The build fails if undici stops requiring a file exactly once the way this expects, rather
 * than silently bundling something else.
 */
const undiciStandIns = [
  {
    request: './client-h2.js',
    file: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/,
    contents: `module.exports = function connectH2() {
  throw new Error('kms-cks speaks HTTP/1.1 only: the server chose HTTP/2 (ALPN h2)');
};`,
  },
  {
    request: '../web/fetch/body.js',
    file: /[\\/]undici[\\/]lib[\\/]web[\\/]fetch[\\/]body\.js$/,
    contents: `exports.extractBody = function extractBody() {
  throw new Error('kms-cks sends no FormData bodies');
};`,
  },
];
const undiciWithoutUnusedParts: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'undici-without-unused-parts',
  setup(build) {
    const replaced = undiciStandIns.map(() => 0);
    undiciStandIns.forEach((standIn, index) => {
      const exact = new RegExp(`^${standIn.request.replace(/[.]/g, '\\.')}$`);
      build.onResolve({ filter: exact }, (args) => {
        if (!standIn.file.test(join(args.resolveDir, args.path))) return undefined;
        replaced[index] = (replaced[index] ?? 0) + 1;
        return { path: String(index), namespace: 'kms-cks-stand-in' };
      });
    });
    build.onLoad({ filter: /.*/, namespace: 'kms-cks-stand-in' }, (args) => ({
      loader: 'js',
      contents: undiciStandIns[Number(args.path)]?.contents,
    }));
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      undiciStandIns.forEach((standIn, index) => {
        if (replaced[index] !== 1) {
          throw new Error(
            `undici-without-unused-parts: expected 1 require of ${standIn.request} in undici, saw ${replaced[index]}`,
          );
        }
      });
    });
  },
};

const common: Options = {
  entry: {
    index: 'src/index.ts',
    'emulator/index': 'src/emulator/index.ts',
  },
  dts: true,
  // The library entries ship their source maps, sources included (src/ is not shipped): a user
  // stepping into the client, or running with --enable-source-maps, sees our TypeScript.
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  // esbuild tree-shakes already; tsup's extra Rollup pass would hoist the imports of modules
  // loaded on first use (the zod schemas) to the top of the CommonJS build.
  treeshake: false,
};

export default defineConfig([
  {
    ...common,
    format: 'esm',
    // Modules loaded on first use (the zod schemas) go to chunks of their own: in one file, their
    // imports of zod would be hoisted to the top and load at start-up.
    splitting: true,
    // tsup's clean removes everything in dist but the patterns negated here: the CLI bundle is
    // another build's, running alongside.
    clean: ['!cli/**'],
  },
  {
    ...common,
    format: 'cjs',
    // CommonJS keeps them in the file, run on first use: chunks would need import() in CommonJS,
    // which Jest and other CommonJS hosts do not all support.
    splitting: false,
    noExternal: [zodLocales],
    esbuildPlugins: [requireZodLocaleTwins],
    clean: ['!cli/**'],
  },
  {
    // The `kms-cks` executable: one CommonJS file for the command's path — the CLI, the library,
    // and undici's Pool with its HTTP/1.1 client — so that each run reads, resolves and compiles
    // one file instead of some forty (start-up is most of a CLI run; issue 14). What runs only
    // for some commands (zod schemas, other credential sources, the emulator) is in the same
    // file but initialised on first use. The library entries above keep undici external.
    ...common,
    // bin.cjs (the `kms-cks` executable: start-up settings, then the bundle) and cli.cjs (the
    // bundle).
    entry: { bin: 'src/cli/bin.ts', cli: 'src/cli/main.ts' },
    outDir: 'dist/cli',
    format: 'cjs',
    dts: false,
    // No source map: it would be 1 MB (two thirds of the package unpacked), mostly undici's
    // sources, for an executable that prints error messages, not stacks, and keeps its names.
    sourcemap: false,
    splitting: false,
    noExternal: [zodLocales, /^undici\/lib\//],
    // Reading and parsing are per byte: without comments and indentation the file is half the
    // size. Names are kept (stack traces, error names).
    esbuildOptions(options) {
      options.minifyWhitespace = true;
      options.minifySyntax = true;
      options.legalComments = 'eof';
      options.charset = 'ascii';
      // import() of what stays outside (readline, the optional smithy signer) as require():
      // the bundle runs as a script compiled by bin.ts on Node 20, where import() is not wired.
      options.supported = { ...options.supported, 'dynamic-import': false };
    },
    esbuildPlugins: [requireZodLocaleTwins, undiciWithoutUnusedParts],
    clean: true,
  },
]);
