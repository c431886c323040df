#!/usr/bin/env node
/**
 * What a cold-start app loads, in stable measures rather than times: the files (ESM and
 * CommonJS) with their bytes, and Node's built-in modules (`process.moduleLoadList`), after the
 * first response. Run after `node bench/cold.mjs` (which installs the package and the apps):
 *
 *   node bench/import-graph.mjs [--node 24] [--apps floor,ours] [--files]
 *
 * Prints per app the number of files and their bytes by package, the built-ins it loads, and
 * for each app but the floor what it loads beyond the floor. Files are recorded by a module hook
 * preloaded with `--import`: `module.registerHooks` where it exists (Node 22.15+), else
 * `module.register` (Node 20; its hooks see ES modules and CommonJS loaded through import) plus
 * `require.cache` for CommonJS loaded by require.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { apps, childEnv, nodeBinary, startResponder } from './cold.mjs';

const preload = `
import module from 'node:module';
import { writeFileSync } from 'node:fs';
const urls = new Set();
if (module.registerHooks) {
  module.registerHooks({ load(url, context, next) { urls.add(url); return next(url, context); } });
} else {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => urls.add(url));
  port1.unref();
  module.register(
    'data:text/javascript,' + encodeURIComponent(
      'let port; export function initialize(data) { port = data.port; }' +
      'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }',
    ),
    { data: { port: port2 }, transferList: [port2] },
  );
}
const require = module.createRequire(process.cwd() + '/');
process.on('exit', () => {
  for (const file of Object.keys(require.cache)) urls.add('file://' + file);
  writeFileSync(process.env.BENCH_GRAPH_OUT, JSON.stringify({
    files: [...urls].filter((url) => url.startsWith('file:')),
  }));
});
`;

/** The built-ins, recorded by a run with nothing preloaded but this exit handler. */
const builtinsPreload = `process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_GRAPH_OUT, JSON.stringify(process.moduleLoadList)));`;

/** The package a file belongs to: `kms-custom-key-store/<file>` for ours, else the package name. */
function origin(path) {
  const ours = /node_modules\/kms-custom-key-store\/(.*)$/.exec(path);
  if (ours) return `kms-custom-key-store`;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match ? match[1] : '(app)';
}

/** Loads `app` (installed) once with the recording hook; returns its files and built-ins. */
export function importGraph(node, app, endpoint) {
  const out = join(apps, `${app}.graph.json`);
  const run = (preloadArgs) => {
    execFileSync(node, [...preloadArgs, `${app}.mjs`], {
      cwd: apps,
      env: childEnv({ BENCH_ENDPOINT: endpoint, BENCH_GRAPH_OUT: out }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return JSON.parse(readFileSync(out, 'utf8'));
  };
  const { files } = run(['--import', `data:text/javascript,${encodeURIComponent(preload)}`]);
  const preloadFile = join(apps, 'record-builtins.cjs');
  writeFileSync(preloadFile, builtinsPreload);
  const builtins = run(['--require', preloadFile]);
  const paths = [...new Set(files.map((url) => fileURLToPath(url)))].filter(
    (path) => !path.endsWith(`${app}.mjs`) && !path.endsWith('record-builtins.cjs'),
  );
  return {
    files: paths.map((path) => ({ path, origin: origin(path), bytes: statSync(path).size })),
    builtins: builtins
      .filter((name) => name.startsWith('NativeModule '))
      .map((name) => name.slice(13)),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      node: { type: 'string', default: process.versions.node.split('.')[0] },
      apps: { type: 'string', default: 'floor,ours' },
      files: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const node = await nodeBinary(values.node);
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const responder = await startResponder();
  const graphs = {};
  try {
    for (const app of values.apps.split(','))
      graphs[app] = importGraph(node, app, responder.endpoint);
  } finally {
    responder.child.kill();
  }
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(`Node ${version}`);
  for (const [app, graph] of Object.entries(graphs)) {
    const byOrigin = new Map();
    for (const file of graph.files) {
      const entry = byOrigin.get(file.origin) ?? { count: 0, bytes: 0 };
      entry.count++;
      entry.bytes += file.bytes;
      byOrigin.set(file.origin, entry);
    }
    const total = graph.files.reduce((sum, file) => sum + file.bytes, 0);
    console.log(
      `\n${app}: ${graph.files.length} files, ${kb(total)}; ${graph.builtins.length} built-in modules`,
    );
    for (const [name, { count, bytes }] of byOrigin)
      console.log(`  ${name}: ${count} files, ${kb(bytes)}`);
    if (values.files)
      for (const file of graph.files)
        console.log(`    ${kb(file.bytes).padStart(9)}  ${file.path}`);
    if (app !== 'floor' && graphs.floor) {
      const floorBuiltins = new Set(graphs.floor.builtins);
      const floorFiles = new Set(graphs.floor.files.map((file) => file.path));
      const extraBuiltins = graph.builtins.filter((name) => !floorBuiltins.has(name));
      const extraFiles = graph.files.filter((file) => !floorFiles.has(file.path));
      const missing = graphs.floor.builtins.filter((name) => !graph.builtins.includes(name));
      console.log(
        `  beyond the floor: ${extraFiles.length} files (${kb(extraFiles.reduce((s, f) => s + f.bytes, 0))}), built-ins: ${extraBuiltins.join(' ') || 'none'}`,
      );
      if (missing.length)
        console.log(`  the floor's built-ins it does not load: ${missing.join(' ')}`);
    }
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(graphs, null, 2)}\n`);
}

await main();
