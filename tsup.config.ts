import { defineConfig, type Options } from 'tsup';

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
    clean: ['**/*.cjs', '**/*.cjs.map', '**/*.d.cts'],
  },
]);
