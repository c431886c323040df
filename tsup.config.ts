import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { buildSync, build as esbuild, type Plugin } from 'esbuild';
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

/** The package's library entries (its `exports`): output name → source. */
const libraryEntries: Record<string, string> = {
  index: 'src/index.ts',
  'emulator/index': 'src/emulator/index.ts',
  'xks/index': 'src/xks/index.ts',
};

const common: Options = {
  entry: libraryEntries,
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

/**
 * Built-in modules (`node:fs`, `fs`, …) through `process.getBuiltinModule` rather than `import`
 * statements, in the ES module build (issue 25):
 * - An `import` of a built-in gives Node's ES module wrapper of it, which reads every export,
 *   and so runs the lazy getters behind them: `node:util` loads parseArgs and MIMEType (and on
 *   Node 24 worker_threads), `node:fs` its streams, `node:net` BlockList and SocketAddress.
 * - An `import` statement is hoisted to the top of the file, so a module initialised on first
 *   use (a credential source) would load `node:child_process` or `node:fs/promises` (6 ms on
 *   Node 20, which loads readline with it) at start-up. Through a CommonJS stand-in whose
 *   exports are getters, each built-in is fetched when first used.
 * `process.getBuiltinModule` is in Node 20.16+, Bun and Deno (`engines` asks for 20.20+).
 */
const builtinNames = new Set(builtinModules.filter((name) => !name.startsWith('_')));
/**
 * The names the sources import from each built-in (`import { a, b as c } from 'node:x'`), so that
 * a stand-in defines those only; a built-in also imported whole (`* as`, default) gets them all.
 */
const builtinImports = (() => {
  const named = new Map<string, Set<string>>();
  const whole = new Set<string>();
  for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const source = readFileSync(join('src', file), 'utf8');
    for (const [, names = '', path = ''] of source.matchAll(
      /^import\s+\{([^}]*)\}\s+from\s+'(node:[^']+)'/gm,
    )) {
      const set = named.get(path) ?? new Set<string>();
      for (const entry of names.split(',')) {
        const trimmed = entry.trim();
        const name = trimmed.split(/\s+as\s+/)[0];
        if (name && !trimmed.startsWith('type ')) set.add(name);
      }
      named.set(path, set);
    }
    // Any other mention of a built-in (default or namespace import, export-from, import()):
    // all its names, to be safe. Not what never reaches a stand-in: types (`import type`,
    // `import('node:fs').Stats`, `typeof import(…)`) and `process.getBuiltinModule('node:…')`.
    // (Every name of node:fs, for a type in role-cache.ts, cost 1.9 M instructions at import.)
    const runtime = source
      .replace(/^import\s+type\s[^;]*;/gm, '')
      .replace(/typeof\s+import\('node:[a-z_/]+'\)|import\('node:[a-z_/]+'\)(?=\.[A-Z])/g, '')
      .replace(/getBuiltinModule\??\.?\('node:[a-z_/]+'\)/g, '');
    const mentions = new Map<string, number>();
    for (const [, path = ''] of runtime.matchAll(/'(node:[a-z_/]+)'/g)) {
      mentions.set(path, (mentions.get(path) ?? 0) + 1);
    }
    const namedCount = new Map<string, number>();
    for (const [, , path = ''] of source.matchAll(
      /^import\s+\{([^}]*)\}\s+from\s+'(node:[^']+)'/gm,
    )) {
      namedCount.set(path, (namedCount.get(path) ?? 0) + 1);
    }
    for (const [path, count] of mentions) {
      if (count > (namedCount.get(path) ?? 0)) whole.add(path);
    }
  }
  return new Map(
    [...named].filter(([path]) => !whole.has(path)).map(([path, set]) => [path, [...set]]),
  );
})();

const builtinsOnFirstUse: Plugin = {
  name: 'builtins-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtinNames.has(name)) return undefined;
      return { path: `node:${name}`, namespace: 'builtin-on-first-use' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin-on-first-use' }, (args) => {
      // A plain object of getters, one per name imported (else every name as the building Node
      // has them; the library runs on 20.20+): esbuild's interop reads each property's
      // descriptor, which on the built-in itself runs util's lazy getters on Node 24.
      const names =
        builtinImports.get(args.path) ??
        Object.getOwnPropertyNames(process.getBuiltinModule(args.path)).filter((name) =>
          /^[A-Za-z_$][\w$]*$/.test(name),
        );
      return {
        loader: 'js',
        contents: `let loaded;
const load = () => (loaded ??= process.getBuiltinModule(${JSON.stringify(args.path)}));
for (const name of ${JSON.stringify(names)}) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });
}`,
      };
    });
  },
};

/** Whether an import path names another package (not a built-in, not a relative file). */
const isPackage = (path: string) =>
  !path.startsWith('.') && !path.startsWith('/') && !builtinNames.has(path.replace(/^node:/, ''));

/**
 * The library's modules loaded on first use (`import('./x.js')`) whose own imports load another
 * package at start-up (zod, for the schema modules): in one file, that import statement would be
 * hoisted to the top and load the package with the entry. These stay files of their own, beside
 * each entry that uses them; every other module is part of its entry's file.
 * Found with esbuild's metafile, so that a new module of either kind needs no list kept here.
 */
function modulesWithPackageImports(entries: Record<string, string>) {
  const { metafile } = buildSync({
    entryPoints: Object.values(entries),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    outdir: 'lazy-scan',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = metafile.outputs;
  const staticImports = (file: string, seen = new Set<string>()): string[] => {
    if (seen.has(file)) return [];
    seen.add(file);
    return (outputs[file]?.imports ?? []).flatMap((imported) => {
      if (imported.kind !== 'import-statement') return [];
      return imported.external ? [imported.path] : staticImports(imported.path, seen);
    });
  };
  /** Per entry: the lazily imported modules (source paths) that import a package statically. */
  const perEntry: Record<string, string[]> = {};
  for (const [name, source] of Object.entries(entries)) {
    const found = new Set<string>();
    const visit = (file: string, seen: Set<string>) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const imported of outputs[file]?.imports ?? []) {
        if (imported.external) continue;
        const target = outputs[imported.path];
        if (
          imported.kind === 'dynamic-import' &&
          target?.entryPoint &&
          staticImports(imported.path).some(isPackage)
        ) {
          found.add(target.entryPoint);
        }
        visit(imported.path, seen);
      }
    };
    const entryOutput = Object.keys(outputs).find(
      (file) => outputs[file]?.entryPoint === source.replace(/^\.\//, ''),
    );
    if (entryOutput) visit(entryOutput, new Set());
    perEntry[name] = [...found];
  }
  return perEntry;
}

/** `src/operations/schemas.ts` → `operations-schemas`: the name of its file. */
const lazyName = (source: string) =>
  relative('src', source)
    .replace(/\.[cm]?ts$/, '')
    .replace(/[\\/]/g, '-');

const lazyModules = modulesWithPackageImports(libraryEntries);
/** The ES module build's entries: the library's, beside each its lazy modules, and the on-demand file. */
const esmEntries: Record<string, string> = {
  ...libraryEntries,
  'on-demand': 'src/on-demand/modules.ts',
};
for (const [name, sources] of Object.entries(lazyModules)) {
  const dir = dirname(name);
  for (const source of sources) {
    esmEntries[join(dir, lazyName(source))] = source;
  }
}
const lazySources = new Set(
  Object.values(lazyModules)
    .flat()
    .map((source) => resolve(source)),
);

/**
 * In the ES module build, `import('./schemas.js')` of a lazy module becomes an import of its
 * file beside the entry (`./operations-schemas.js`; lazy modules that import each other are
 * beside each other too), left to Node (or the application's bundler) to load on first use.
 */
const lazyModuleFiles: Plugin = {
  name: 'lazy-module-files',
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const source = sourceOf(args.resolveDir, args.path);
      if (!lazySources.has(source)) return undefined;
      return { path: `./${lazyName(relative(process.cwd(), source))}.js`, external: true };
    });
  },
};

/**
 * The on-demand modules (`src/on-demand/modules.ts`: the credential chain past the environment's
 * keys, the fleet and maintenance runs) are one file of their own beside the main entry in
 * each build, `dist/on-demand.js` and `dist/on-demand.cjs`, read and parsed only when one is
 * first used (issue 25: importing the entry is mostly parsing it, per byte). The file must not
 * carry copies of the modules it shares with the entry (errors, configuration, requests): an
 * error class would then be two classes, and state two states. So in that file each such module
 * is replaced by bindings that the entry fills, when it loads the file, with its own modules
 * (`bind.ts`, replaced here): one program, two files. Found from esbuild's metafile, so that
 * moving a module needs no list.
 */
const onDemandBarrel = resolve('src/on-demand/modules.ts');
const onDemandLoad = resolve('src/on-demand/load.ts');

/** `./x.js` imported from `dir` → the source it names, if it is one of ours. */
function sourceOf(dir: string, path: string): string {
  const candidate = resolve(dir, path);
  return candidate.endsWith('.js') ? candidate.replace(/\.js$/, '.ts') : candidate;
}

const onDemandLayout = await (async () => {
  const scan = async (entry: string, setup: Plugin['setup']) =>
    (
      await esbuild({
        entryPoints: [entry],
        bundle: true,
        format: 'esm',
        platform: 'node',
        packages: 'external',
        outdir: 'on-demand-scan',
        write: false,
        metafile: true,
        logLevel: 'silent',
        plugins: [{ name: 'scan', setup }],
      })
    ).metafile;
  // Dynamic imports that the build turns into files of their own (the zod schema modules).
  const lazyImport = (args: { kind: string; resolveDir: string; path: string }) =>
    args.kind === 'dynamic-import' && lazySources.has(sourceOf(args.resolveDir, args.path));
  // 1. The main entry's modules, as its file holds them: without the on-demand barrel.
  const main = await scan(resolve(libraryEntries.index ?? ''), (build) => {
    build.onResolve({ filter: /^\./ }, (args) => {
      const target = sourceOf(args.resolveDir, args.path);
      if (target === onDemandBarrel || lazyImport(args)) return { path: args.path, external: true };
      return undefined;
    });
  });
  const mainModules = new Set(Object.keys(main.inputs).map((path) => resolve(path)));
  // 2. The barrel's own modules, and which of the entry's modules they import.
  const bound = new Set<string>();
  const own = await scan(onDemandBarrel, (build) => {
    build.onResolve({ filter: /^\./ }, (args) => {
      const target = sourceOf(args.resolveDir, args.path);
      if (lazyImport(args)) return { path: args.path, external: true };
      if (!mainModules.has(target)) return undefined;
      bound.add(target);
      return { path: args.path, external: true };
    });
  });
  const ownModules = new Set(Object.keys(own.inputs).map((path) => resolve(path)));
  // 3. The names each bound module exports (re-exports included, types not).
  const boundModules = [...bound].sort();
  const { metafile } = buildSync({
    entryPoints: boundModules,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    outdir: 'on-demand-scan',
    outbase: '.',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const exportsOf = new Map(
    Object.values(metafile.outputs)
      .filter((output) => output.entryPoint)
      .map((output) => [resolve(output.entryPoint ?? ''), output.exports]),
  );
  for (const path of boundModules) {
    // A binding is a copy taken when the file is bound: a module whose exports change later
    // (`export let`) would be seen unchanged.
    if (/^export\s+(let|var)\s/m.test(readFileSync(path, 'utf8'))) {
      throw new Error(
        `on-demand-file: ${relative('.', path)} exports a variable; bindings would not follow it`,
      );
    }
  }
  const modules = boundModules.map((path, index) => ({
    path,
    index,
    names: exportsOf.get(path) ?? [],
  }));
  // Both files must come from the same build: a mismatch fails loudly, never binds wrong.
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const layout = JSON.stringify([version, modules.map((m) => [relative('.', m.path), m.names])]);
  const layoutId = createHash('sha256').update(layout).digest('hex').slice(0, 16);
  return { ownModules, modules, layoutId };
})();

/**
 * The on-demand file of one build: `on-demand.js` beside `index.js` (ES modules) or
 * `on-demand.cjs` beside `index.cjs` (CommonJS, loaded by `require()`). Both builds bind to the
 * same layout.
 */
const onDemandFile = (extension: '.js' | '.cjs'): Plugin => ({
  name: 'on-demand-file',
  setup(build) {
    const { ownModules, modules, layoutId } = onDemandLayout;
    const boundIndex = new Map(modules.map((m) => [m.path, m]));
    const variable = (index: number, name: string) => `m${index}_${name}`;
    const mismatch = `dist/on-demand${extension} is not of the same build as dist/index${extension}`;
    // The entry imports the barrel's file, beside it.
    build.onResolve({ filter: /^\.\/modules\.js$/ }, (args) => {
      if (args.kind !== 'dynamic-import' || resolve(args.importer) !== onDemandLoad)
        return undefined;
      return { path: `./on-demand${extension}`, external: true };
    });
    // The entry's bind.ts: hands the file its modules, in the order both files agree on.
    build.onLoad({ filter: /[\\/]on-demand[\\/]bind\.ts$/ }, () => ({
      loader: 'js',
      resolveDir: process.cwd(),
      // Named imports, and the objects made only when binding: a namespace import would build
      // an object of getters per module at start-up.
      contents: `${modules
        .map(
          (m) =>
            `import { ${m.names.map((name) => `${name} as ${variable(m.index, name)}`).join(', ')} } from ${JSON.stringify(m.path)};`,
        )
        .join('\n')}
export function bindOnDemand(loaded) {
  loaded.__bindOnDemand(${JSON.stringify(layoutId)}, [
${modules.map((m) => `    { ${m.names.map((name) => `${name}: ${variable(m.index, name)}`).join(', ')} },`).join('\n')}
  ]);
  return loaded;
}`,
    }));
    // In the barrel's file, an import of one of the entry's modules is an import of its bindings.
    build.onResolve({ filter: /^\./ }, (args) => {
      if (!ownModules.has(resolve(args.importer))) return undefined;
      const source = sourceOf(args.resolveDir, args.path);
      // The CommonJS build keeps the lazy modules (zod schemas) inside its files: the on-demand
      // file would get copies of them, and of what they import.
      if (extension === '.cjs' && lazySources.has(source)) {
        throw new Error(
          `on-demand-file: ${relative('.', args.importer)} imports ${args.path}, a lazy module the CommonJS on-demand file would copy`,
        );
      }
      const target = boundIndex.get(source);
      if (!target || args.kind === 'dynamic-import') return undefined;
      return { path: String(target.index), namespace: 'on-demand-binding' };
    });
    build.onLoad({ filter: /.*/, namespace: 'on-demand-binding' }, (args) => {
      const target = modules[Number(args.path)];
      if (!target) return undefined;
      const names = target.names.map((name) => `${variable(target.index, name)} as ${name}`);
      return {
        loader: 'js',
        contents: `export { ${names.join(', ')} } from 'on-demand-bindings';`,
      };
    });
    build.onResolve({ filter: /^on-demand-bindings$/ }, () => ({
      path: 'all',
      namespace: 'on-demand-bindings',
    }));
    build.onLoad({ filter: /.*/, namespace: 'on-demand-bindings' }, () => {
      const all = modules.flatMap((m) => m.names.map((name) => ({ m, name })));
      return {
        loader: 'js',
        contents: `export let ${all.map(({ m, name }) => variable(m.index, name)).join(', ')};
export function bindOnDemand(layoutId, kit) {
  if (layoutId !== ${JSON.stringify(layoutId)} || kit.length !== ${modules.length}) {
    throw new Error('kms-custom-key-store: ${mismatch}; reinstall the package');
  }
${all.map(({ m, name }) => `  ${variable(m.index, name)} = kit[${m.index}].${name};`).join('\n')}
}`,
      };
    });
    // The barrel, as the file's entry, also exports the binding.
    build.onLoad({ filter: /[\\/]on-demand[\\/]modules\.ts$/ }, (args) => ({
      loader: 'ts',
      contents: `${readFileSync(args.path, 'utf8')}
export { bindOnDemand as __bindOnDemand } from 'on-demand-bindings';`,
    }));
  },
});

/**
 * Library files are pure ASCII (issue 25): V8 parses a file with one non-ASCII character as
 * two-byte text, which cost 4.5 M instructions (12% of the import) for the 245 KB entry.
 * esbuild's `charset: 'ascii'` escapes strings, regular expressions and names; what is left is
 * in the doc comments esbuild keeps on class members, which are spelled in ASCII here, one
 * character for one so that the source maps stay exact.
 */
const asciiSpelling: Record<string, string> = {
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '.',
  '\u00d7': 'x',
  '\u2192': '>',
  '\u2190': '<',
  '\u2264': '<',
  '\u2265': '>',
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u00a0': ' ',
  '\u2248': '~',
  '\u2260': '!',
};
const asciiComments: NonNullable<Options['plugins']>[number] = {
  name: 'ascii-comments',
  renderChunk(code) {
    // Code units, not code points: one ASCII character for each keeps every column in place.
    const ascii = code.replace(/[\u0080-\uffff]/g, (unit) => asciiSpelling[unit] ?? '?');
    return ascii === code ? undefined : { code: ascii };
  },
};

export default defineConfig([
  {
    ...common,
    entry: esmEntries,
    dts: { entry: libraryEntries },
    format: 'esm',
    // One file per entry (issue 25): each file costs Node's ES module loader a resolution, a
    // read and a compile, and split chunks were a dozen files before the first call. Modules
    // loaded on first use are initialised on first use inside the file, as in the CommonJS
    // build; only those that import a package (the zod schemas) stay files of their own.
    splitting: false,
    // Keep `node:` so that built-ins reach the plugin below (tsup's would take them first).
    removeNodeProtocol: false,
    esbuildPlugins: [builtinsOnFirstUse, lazyModuleFiles, onDemandFile('.js')],
    esbuildOptions(options) {
      options.charset = 'ascii';
    },
    plugins: [asciiComments],
    // tsup's clean removes everything in dist but the patterns negated here: the CLI bundle is
    // another build's, running alongside.
    clean: ['!cli/**'],
  },
  {
    ...common,
    // The on-demand file too, as in the ES module build (dist/on-demand.cjs, by require()).
    entry: { ...libraryEntries, 'on-demand': 'src/on-demand/modules.ts' },
    dts: { entry: libraryEntries },
    format: 'cjs',
    // CommonJS keeps them in the file, run on first use: chunks would need import() in CommonJS,
    // which Jest and other CommonJS hosts do not all support.
    splitting: false,
    noExternal: [zodLocales],
    esbuildPlugins: [requireZodLocaleTwins, onDemandFile('.cjs')],
    esbuildOptions(options) {
      options.charset = 'ascii';
      // import() of a package (undici's Pool, the portable signer) as require(): in a CommonJS
      // program the first import() starts Node's ES module loader and loads undici through it,
      // 22 M instructions (about 6 ms) of every cold start (issue 25); and not every CommonJS
      // host (Jest) supports import().
      options.supported = { ...options.supported, 'dynamic-import': false };
    },
    plugins: [asciiComments],
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
