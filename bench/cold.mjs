#!/usr/bin/env node
/**
 * Cold start: a fresh `node` per run, from process start to the first response (import,
 * construct, first call), for the package as installed (ESM from node_modules: `installed`; a
 * CommonJS app's require(): `required`, for the apps with a .cjs twin) and for a one-file app
 * bundled as a Lambda user ships it. Used by `npm run bench`, and on its own:
 *
 *   node bench/cold.mjs [--rounds 11] [--node 20,22,24 | /path/to/node] [--apps floor,ours]
 *                       [--kinds installed,required,bundled] [--no-build]
 *
 * The floor is the stack's own: undici's Pool imported by its deep path (as the client loads it)
 * and one unsigned request with the same headers and body. Every variant runs once per round, in
 * an order rotated each round, so that load on the machine hits each alike; the ratio to the
 * floor is that of the medians. `--node 22` and `24` use the pinned binaries of the runtime
 * matrix (fetched from the npm registry into .cache/runtimes/ on first use).
 *
 * The children get a minimal environment: no AWS configuration (the config and credentials files
 * point nowhere), no proxies, no NODE_OPTIONS and no NODE_EXTRA_CA_CERTS (loading a CA bundle
 * adds tens of ms to every start, bare or not, and hides the differences).
 */
import { execFile, execFileSync, fork } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the package is installed beside the cold-start apps. */
export const results = join(root, 'bench/results');
export const apps = join(results, 'apps');
export const installed = join(apps, 'node_modules/kms-custom-key-store');
/**
 * Every cold-start app, in bench/cold/: `node` is a process that does nothing; `signed-floor` is
 * the floor plus what no signed client can skip (a package with an `exports` map, node:crypto,
 * a SigV4 signature), the package in bench/cold/signed-floor/.
 */
export const coldApps = ['node', 'floor', 'signed-floor', 'ours', 'aws-sdk', 'aws-lite'];
export const coldKinds = ['installed', 'required', 'bundled'];
/** The apps with a CommonJS twin (bench/cold/<app>.cjs), which the `required` kind runs. */
export const requiredApps = ['floor', 'ours'];
const log = (message) => process.stderr.write(`${message}\n`);

/** The environment of every child: no AWS configuration, files or proxies of the machine. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(AWS_|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$|HTTPS?_PROXY$|NO_PROXY$)/i.test(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: join(results, 'no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(results, 'no-such-aws-credentials'),
    ...extra,
  };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const rotate = (list, by) => list.map((_, index) => list[(index + by) % list.length]);

/**
 * Builds the package from `source` (tsup, the config of `npm run build`) into the install folder,
 * copies the cold-start apps beside it and bundles each with esbuild. Returns the bundle sizes.
 */
export function buildColdApps(source = root) {
  log('building the package (tsup, the config of `npm run build`) …');
  rmSync(apps, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(installed, 'dist')],
    { cwd: source, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (const file of ['package.json', 'README.md', 'LICENSE']) {
    try {
      copyFileSync(join(source, file), join(installed, file));
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
  // A package of its own, so that `kms-custom-key-store` resolves to the copy in node_modules
  // (inside the repository it would resolve to the repository itself); the peers resolve from
  // the repository's node_modules further up.
  writeFileSync(join(apps, 'package.json'), '{ "name": "kms-bench-apps", "private": true }\n');
  cpSync(join(root, 'bench/cold/signed-floor'), join(apps, 'node_modules/signed-floor'), {
    recursive: true,
  });
  const bundleSizes = {};
  for (const app of requiredApps) {
    copyFileSync(join(root, 'bench/cold', `${app}.cjs`), join(apps, `${app}.cjs`));
  }
  for (const app of coldApps) {
    copyFileSync(join(root, 'bench/cold', `${app}.mjs`), join(apps, `${app}.mjs`));
    if (app === 'node') continue;
    // As a Lambda user ships it: one file, dependencies included, minified.
    const outfile = join(apps, `${app}.bundle.cjs`);
    execFileSync(
      join(root, 'node_modules/.bin/esbuild'),
      [
        join(apps, `${app}.mjs`),
        '--bundle',
        '--platform=node',
        '--format=cjs',
        '--target=node20',
        '--minify',
        '--log-level=error',
        `--outfile=${outfile}`,
      ],
      { cwd: apps, stdio: 'inherit' },
    );
    bundleSizes[app] = statSync(outfile).size;
  }
  return bundleSizes;
}

/** Starts the loopback responder (bench/responder.mjs) in a process of its own. */
export function startResponder() {
  const child = fork(join(root, 'bench/responder.mjs'), [], { env: childEnv(), stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', ({ port }) => resolve({ child, endpoint: `http://127.0.0.1:${port}` }));
  });
}

/** One fresh process: `{ start, imported, responded }` in ms since the process started. */
function runApp(node, file, endpoint) {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [file],
      { cwd: apps, env: childEnv({ BENCH_ENDPOINT: endpoint }), timeout: 30_000 },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout.trim().split('\n').pop()));
      },
    );
  });
}

/** The file a kind of an app runs. */
const appFile = (app, kind) =>
  ({ installed: `${app}.mjs`, required: `${app}.cjs`, bundled: `${app}.bundle.cjs` })[kind];

/**
 * Cold start of each app and kind on one `node`, alternating: `{ [app]: { [kind]: figures } }`
 * with medians of the time to first response, of the import, of the first call and of the
 * process's CPU time (user + system) up to the first response, the raw samples, and `vsFloor`
 * and `cpuVsFloor` (the median over the floor's median, same kind).
 */
export async function measureCold({
  node = process.execPath,
  endpoint,
  rounds,
  appNames = coldApps,
  kinds = coldKinds,
  onRound,
}) {
  const variants = appNames.flatMap((app) =>
    app === 'node'
      ? [{ app, kind: 'installed', file: 'node.mjs' }]
      : kinds
          .filter((kind) => kind !== 'required' || requiredApps.includes(app))
          .map((kind) => ({ app, kind, file: appFile(app, kind) })),
  );
  const samples = Object.fromEntries(variants.map((v) => [v.file, []]));
  // One untimed run each: the file system cache is warm for every variant alike.
  for (const variant of variants) await runApp(node, variant.file, endpoint);
  for (let round = 0; round < rounds; round++) {
    onRound?.(round);
    for (const variant of rotate(variants, round)) {
      samples[variant.file].push(await runApp(node, variant.file, endpoint));
    }
  }
  const out = {};
  for (const { app, kind, file } of variants) {
    out[app] ??= {};
    out[app][kind] = {
      firstResponseMs: median(samples[file].map((s) => s.responded)),
      importMs: median(samples[file].map((s) => s.imported - s.start)),
      firstCallMs: median(samples[file].map((s) => s.responded - s.imported)),
      cpuMs: median(samples[file].map((s) => s.cpu)),
      samples: samples[file],
    };
  }
  for (const app of Object.keys(out)) {
    for (const [kind, figures] of Object.entries(out[app])) {
      const floor = out.floor?.[kind];
      if (!floor) continue;
      figures.vsFloor = figures.firstResponseMs / floor.firstResponseMs;
      figures.cpuVsFloor = figures.cpuMs / floor.cpuMs;
    }
  }
  return out;
}

/** `20`, `22`, `24` (the matrix's pinned Node of that line, or this one) or a path. */
export async function nodeBinary(spec) {
  if (!/^\d+$/.test(spec)) return resolve(spec);
  if (process.versions.node.split('.')[0] === spec) return process.execPath;
  const { runtimeBinary } = await import('../test/matrix/runtimes.mjs');
  return runtimeBinary(`node${spec}`);
}

const labels = {
  node: '`node` doing nothing',
  floor: 'undici Pool request (floor)',
  'signed-floor': 'floor + SigV4 in a package (signed floor)',
  ours: 'kms-custom-key-store',
  'aws-sdk': '@aws-sdk/client-kms',
  'aws-lite': '@aws-lite/client',
};
const fmt = (value, digits = 1) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The cold-start table: one row per app, one column per kind, each with its ratio to the floor. */
export function coldTable(cold, bundleSizes = {}) {
  const kinds = coldKinds.filter((kind) => Object.values(cold).some((entry) => entry[kind]));
  const lines = [];
  const row = (cells) => lines.push(`| ${cells.join(' | ')} |`);
  row([
    'client',
    ...kinds.flatMap((kind) => [
      `${kind} ms (import / first call)`,
      '× floor',
      `${kind} CPU ms`,
      '× floor',
    ]),
    ...(kinds.includes('bundled') ? ['bundle size'] : []),
  ]);
  row([
    '---',
    ...kinds.flatMap(() => ['---:', '---:', '---:', '---:']),
    ...(kinds.includes('bundled') ? ['---:'] : []),
  ]);
  for (const [app, entry] of Object.entries(cold)) {
    const cells = kinds.flatMap((kind) => {
      const variant = entry[kind];
      if (!variant) return ['–', '–', '–', '–'];
      const times = (value) => (app === 'node' || value === undefined ? '–' : `${fmt(value, 2)}×`);
      return [
        `${fmt(variant.firstResponseMs)} (${fmt(variant.importMs)} / ${fmt(variant.firstCallMs)})`,
        times(variant.vsFloor),
        fmt(variant.cpuMs),
        times(variant.cpuVsFloor),
      ];
    });
    row([
      labels[app] ?? app,
      ...cells,
      ...(kinds.includes('bundled')
        ? [bundleSizes[app] ? `${fmt(bundleSizes[app] / 1024, 0)} KB` : '–']
        : []),
    ]);
  }
  return lines.join('\n');
}

/** Goal of issue 25: ours within 1.1× the floor, installed (import and require) and bundled. */
export function coldGoals(cold) {
  return coldKinds
    .filter((kind) => cold.ours?.[kind] && cold.floor?.[kind])
    .map((kind) => {
      const value = cold.ours[kind].vsFloor;
      return { text: `cold start ${kind}: ≤ 1.1× floor`, value, limit: 1.1, pass: value <= 1.1 };
    });
}

/**
 * How the gap to the floor splits, per kind: the signed floor's share (what any signed client
 * installed as a package pays) and ours over the signed floor (what our code adds). Lines of text.
 */
export function coldShares(cold) {
  return coldKinds
    .filter((kind) => cold.ours?.[kind] && cold.floor?.[kind] && cold['signed-floor']?.[kind])
    .map((kind) => {
      const signed = cold['signed-floor'][kind];
      const ours = cold.ours[kind].firstResponseMs / signed.firstResponseMs;
      return `${kind}: signed floor ${fmt(signed.vsFloor, 2)}× the floor; ours ${fmt(ours, 2)}× the signed floor`;
    });
}

const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '11' },
      node: { type: 'string', default: process.versions.node.split('.')[0] },
      apps: { type: 'string', default: coldApps.join(',') },
      kinds: { type: 'string', default: coldKinds.join(',') },
      build: { type: 'boolean', default: true },
      json: { type: 'string' },
    },
    allowNegative: true,
  });
  const appNames = values.apps.split(',');
  const kinds = values.kinds.split(',');
  const bundleSizes = values.build ? buildColdApps() : {};
  const responder = await startResponder();
  const runs = [];
  try {
    for (const spec of values.node.split(',')) {
      const node = await nodeBinary(spec);
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      const loadBefore = loadAverage();
      log(`cold start on Node ${version}, ${values.rounds} rounds …`);
      const cold = await measureCold({
        node,
        endpoint: responder.endpoint,
        rounds: Number(values.rounds),
        appNames,
        kinds,
      });
      const loadAfter = loadAverage();
      runs.push({ version, loadBefore, loadAfter, cold });
      const goals = coldGoals(cold)
        .map((g) => `${g.pass ? 'PASS' : 'MISS'}  ${g.text}: ${fmt(g.value, 2)}`)
        .join('\n');
      const shares = coldShares(cold).join('\n');
      process.stdout.write(
        `\nNode ${version}, median of ${values.rounds} fresh processes each, load average ${loadBefore} → ${loadAfter}:\n\n${coldTable(cold, bundleSizes)}\n\n${goals}\n${shares ? `${shares}\n` : ''}`,
      );
    }
  } finally {
    responder.child.kill();
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(runs, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
