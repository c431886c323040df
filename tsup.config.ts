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

const common: Options = {
  entry: {
    index: 'src/index.ts',
    'emulator/index': 'src/emulator/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  dts: true,
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
    clean: ['**/*.js', '**/*.js.map', '**/*.d.ts'],
  },
  {
    ...common,
    format: 'cjs',
    // CommonJS keeps them in the file, run on first use: chunks would need import() in CommonJS,
    // which Jest and other CommonJS hosts do not all support.
    splitting: false,
    noExternal: [zodLocales],
    esbuildPlugins: [requireZodLocaleTwins],
    clean: ['**/*.cjs', '**/*.cjs.map', '**/*.d.cts'],
  },
]);
