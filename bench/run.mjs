/**
 * `npm run bench`: kms-custom-key-store against @aws-sdk/client-kms, @aws-lite/client and a bare
 * undici request (the floor), in one run on one machine. Prints a table of medians and ratios,
 * checks the goals of the performance issue, and writes the figures to bench/results/.
 *
 * What runs where: a loopback KMS responder in its own process (its CPU is not the client's);
 * each client in its own worker process, driven round by round in rotating order so that load
 * changes on the machine hit every client alike; every cold start in a fresh `node` process.
 *
 * Environment: BENCH_ROUNDS (per-call rounds, default 7), BENCH_COLD_ROUNDS (default 15),
 * BENCH_MEMORY_CALLS (default 100000), BENCH_QUICK=1 (a short run to try the script),
 * BENCH_SOURCE (build the package from a copy of the repository elsewhere, to compare a change).
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clients } from './clients.mjs';
import {
  buildColdApps,
  childEnv,
  coldGoals,
  coldShares,
  coldTable,
  installed,
  measureCold,
  median,
  results,
} from './cold.mjs';
import { dependencyTreeSize, directoryBytes } from './install-size.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = process.env.BENCH_SOURCE ? resolve(process.env.BENCH_SOURCE) : root;
const packageEntry = join(installed, 'dist/index.js');
const quick = process.env.BENCH_QUICK === '1';
const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 7)),
  sequentialCalls: quick ? 300 : 2_000,
  concurrentCalls: quick ? 1_000 : 6_000,
  concurrency: 32,
  warmupCalls: quick ? 500 : 3_000,
  coldRounds: Number(process.env.BENCH_COLD_ROUNDS ?? (quick ? 3 : 15)),
  memoryCalls: Number(process.env.BENCH_MEMORY_CALLS ?? (quick ? 10_000 : 100_000)),
  memoryWarmup: quick ? 2_000 : 10_000,
};
const clientNames = ['ours', 'aws-sdk', 'aws-lite', 'floor'];

const log = (message) => process.stderr.write(`${message}\n`);
const rotate = (list, by) => list.map((_, index) => list[(index + by) % list.length]);

// ---------------------------------------------------------------------------------------------
// 1. Build the package as users get it, and install it next to one-file apps.

function build() {
  return { bundleSizes: buildColdApps(source) };
}

// ---------------------------------------------------------------------------------------------
// 2. The responder, and a worker per client.

function startResponder() {
  const child = fork(join(root, 'bench/responder.mjs'), [], { env: childEnv(), stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', ({ port }) => resolve({ child, endpoint: `http://127.0.0.1:${port}` }));
  });
}

function startWorker(name, endpoint, execArgv = []) {
  const child = fork(join(root, 'bench/worker.mjs'), [name, endpoint, packageEntry], {
    env: childEnv(),
    execArgv,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  // The AWS SDK warns about Node 20 on stderr; keep stderr for errors only.
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const pending = [];
  let ready;
  const readyPromise = new Promise((resolve, reject) => {
    ready = { resolve, reject };
  });
  child.on('message', (message) => {
    if (message.type === 'ready') ready.resolve();
    else if (message.type === 'error') pending.shift()?.reject(new Error(message.message));
    else pending.shift()?.resolve(message);
  });
  child.on('exit', (code) => {
    const error = new Error(`worker ${name} exited with ${code}: ${stderr.slice(-2000)}`);
    ready.reject(error);
    for (const waiter of pending.splice(0)) waiter.reject(error);
  });
  return {
    ready: readyPromise,
    request(message) {
      return new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        child.send(message);
      });
    },
    stop() {
      child.send({ type: 'exit' });
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Per-call time, sequential and at concurrency 32.

async function perCall(endpoint) {
  const workers = Object.fromEntries(
    clientNames.map((name) => [name, startWorker(name, endpoint)]),
  );
  await Promise.all(Object.values(workers).map((worker) => worker.ready));
  log(`per call: warm-up (${settings.warmupCalls} calls each) …`);
  for (const name of clientNames) {
    await workers[name].request({ type: 'run', calls: settings.warmupCalls, concurrency: 1 });
    await workers[name].request({ type: 'run', calls: settings.warmupCalls, concurrency: 32 });
  }
  const samples = Object.fromEntries(
    clientNames.map((name) => [name, { seq: [], c32: [], seqCpu: [], c32Cpu: [] }]),
  );
  for (let round = 0; round < settings.rounds; round++) {
    log(`per call: round ${round + 1}/${settings.rounds}`);
    for (const name of rotate(clientNames, round)) {
      const seq = await workers[name].request({
        type: 'run',
        calls: settings.sequentialCalls,
        concurrency: 1,
      });
      samples[name].seq.push(seq.nsPerCall / 1000);
      samples[name].seqCpu.push(seq.cpuUsPerCall);
    }
    for (const name of rotate(clientNames, round)) {
      const c32 = await workers[name].request({
        type: 'run',
        calls: settings.concurrentCalls,
        concurrency: settings.concurrency,
      });
      samples[name].c32.push(c32.nsPerCall / 1000);
      samples[name].c32Cpu.push(c32.cpuUsPerCall);
    }
  }
  await Promise.all(Object.values(workers).map((worker) => worker.stop()));
  return Object.fromEntries(
    clientNames.map((name) => [
      name,
      {
        seqUs: median(samples[name].seq),
        c32Us: median(samples[name].c32),
        seqCpuUs: median(samples[name].seqCpu),
        c32CpuUs: median(samples[name].c32Cpu),
        samples: samples[name],
      },
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// 4. Memory over many calls, each client in a fresh process.

async function memory(endpoint) {
  const out = {};
  for (const name of clientNames) {
    log(`memory: ${name}, ${settings.memoryCalls} calls …`);
    const worker = startWorker(name, endpoint, ['--expose-gc']);
    await worker.ready;
    const { type: _type, ...result } = await worker.request({
      type: 'memory',
      calls: settings.memoryCalls,
      concurrency: settings.concurrency,
      warmup: settings.memoryWarmup,
    });
    await worker.stop();
    out[name] = result;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. Cold start: a fresh `node` per run, installed (ESM from node_modules) and bundled.

function coldStart(endpoint) {
  return measureCold({
    endpoint,
    rounds: settings.coldRounds,
    onRound: (round) => log(`cold start: round ${round + 1}/${settings.coldRounds}`),
  });
}

// ---------------------------------------------------------------------------------------------
// 6. Signing alone: node:crypto against the portable path (smithy + sha256-js).

function signing() {
  log('signing: node:crypto against the portable path …');
  const module = join(results, 'internal/sign.mjs');
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      join(source, 'src/request/sign.ts'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--packages=external',
      '--log-level=error',
      `--outfile=${module}`,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  const out = execFileSync(
    process.execPath,
    [join(root, 'bench/sign.mjs'), module, quick ? '2' : '5'],
    {
      cwd: root,
      env: childEnv(),
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').pop());
}

// ---------------------------------------------------------------------------------------------
// 7. Install size.

function installSizes() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const ours = dependencyTreeSize(root, { dependencies: Object.keys(pkg.dependencies ?? {}) });
  // The package itself, as the build above lays it out (dist, README, LICENSE, package.json).
  const own = directoryBytes(installed);
  return {
    ours: { packages: ours.packages + 1, bytes: ours.bytes + own, ownBytes: own },
    'aws-sdk': dependencyTreeSize(root, { name: '@aws-sdk/client-kms' }),
    'aws-lite': dependencyTreeSize(root, { name: '@aws-lite/client' }),
    floor: dependencyTreeSize(root, { name: 'undici' }),
  };
}

// ---------------------------------------------------------------------------------------------
// 8. Report.

const fmt = (value, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes) => `${fmt(bytes / 1024 / 1024, 1)} MB`;
const ratio = (value, base) => `${fmt(value / base, 2)}×`;

function report(data) {
  const { perCall: calls, cold, memory: mem, install, bundleSizes } = data;
  const lines = [];
  const row = (cells) => lines.push(`| ${cells.join(' | ')} |`);
  const label = (name) => clients[name].label;
  lines.push(
    `Machine: ${data.machine.cpu} (${data.machine.cores} cores, ${fmt(data.machine.memoryGb)} GB), Node ${data.machine.node}, ${data.date}, load average at start ${data.machine.loadAverage}, commit ${data.commit}.`,
    '',
    `Loopback TCP round trip of 200 bytes on this machine: ${fmt(data.loopback.crossProcessUs, 1)} µs between two processes (client and responder), ${fmt(data.loopback.sameProcessUs, 1)} µs within one.`,
    '',
    `Per call (median of ${settings.rounds} rounds of ${fmt(settings.sequentialCalls)} sequential / ${fmt(settings.concurrentCalls)} concurrent calls, after ${fmt(settings.warmupCalls)} warm-up calls):`,
    '',
  );
  row([
    'client',
    'sequential µs/call',
    '× floor',
    'concurrency 32 µs/call',
    '× floor',
    'client CPU µs/call (seq / c32)',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:']);
  for (const name of clientNames) {
    const c = calls[name];
    row([
      label(name),
      fmt(c.seqUs, 1),
      ratio(c.seqUs, calls.floor.seqUs),
      fmt(c.c32Us, 1),
      ratio(c.c32Us, calls.floor.c32Us),
      `${fmt(c.seqCpuUs, 1)} / ${fmt(c.c32CpuUs, 1)}`,
    ]);
  }
  lines.push(
    '',
    `Cold start (median of ${settings.coldRounds} fresh \`node\` processes, alternating: time from process start to the first response, in brackets import / first call; the process's CPU time to then; × the floor, a bare request on undici's Pool):`,
    '',
  );
  lines.push(coldTable(cold, bundleSizes));
  const shares = coldShares(cold);
  if (shares.length > 0) lines.push('', ...shares.map((line) => `- ${line}`));
  lines.push(
    '',
    `Memory (${fmt(settings.memoryCalls)} calls at concurrency ${settings.concurrency} after ${fmt(settings.memoryWarmup)} warm-up calls, fresh process each; heap after a full GC):`,
    '',
  );
  row(['client', 'peak RSS', 'RSS after warm-up → end', 'heap after warm-up → end']);
  row(['---', '---:', '---:', '---:']);
  for (const name of clientNames) {
    const m = mem[name];
    row([
      label(name),
      mb(m.peakRss),
      `${mb(m.rssAfterWarmup)} → ${mb(m.rssAtEnd)}`,
      `${mb(m.heapAfterWarmup)} → ${mb(m.heapAtEnd)}`,
    ]);
  }
  lines.push(
    '',
    'Signing alone (the request of one DisconnectCustomKeyStore call; median µs per signature):',
    '',
  );
  row(['signer', 'µs', '× node:crypto']);
  row(['---', '---:', '---:']);
  const fastest = data.signing['node:crypto (default)'];
  for (const [name, us] of Object.entries(data.signing)) {
    row([name, fmt(us, 1), ratio(us, fastest)]);
  }
  lines.push('', 'Install size (production dependency tree, from package-lock.json):', '');
  row(['client', 'packages', 'size']);
  row(['---', '---:', '---:']);
  for (const name of clientNames) {
    row([label(name), String(install[name].packages), mb(install[name].bytes)]);
  }
  return lines.join('\n');
}

function goals(data) {
  const { perCall: calls, cold, memory: mem } = data;
  const checks = [];
  const check = (text, value, limit, pass) => checks.push({ text, value, limit, pass });
  for (const mode of ['seqUs', 'c32Us']) {
    const what = mode === 'seqUs' ? 'sequential' : 'concurrency 32';
    const ours = calls.ours[mode];
    check(
      `per call ${what}: ≤ 1.25× floor`,
      ours / calls.floor[mode],
      1.25,
      ours / calls.floor[mode] <= 1.25,
    );
    check(
      `per call ${what}: ≥ 3× faster than aws-sdk`,
      calls['aws-sdk'][mode] / ours,
      3,
      calls['aws-sdk'][mode] / ours >= 3,
    );
    check(
      `per call ${what}: ≥ 1.5× faster than aws-lite`,
      calls['aws-lite'][mode] / ours,
      1.5,
      calls['aws-lite'][mode] / ours >= 1.5,
    );
  }
  // The same ratios on the client's CPU time per call: what the client costs, without the
  // machine's wake-up latency between client and responder, which every client waits alike.
  for (const mode of ['seqCpuUs', 'c32CpuUs']) {
    const what = mode === 'seqCpuUs' ? 'sequential' : 'concurrency 32';
    const ours = calls.ours[mode];
    const vsFloor = ours / calls.floor[mode];
    const vsSdk = calls['aws-sdk'][mode] / ours;
    const vsLite = calls['aws-lite'][mode] / ours;
    check(`client CPU per call ${what}: ≤ 1.25× floor`, vsFloor, 1.25, vsFloor <= 1.25);
    check(`client CPU per call ${what}: ≥ 3× less than aws-sdk`, vsSdk, 3, vsSdk >= 3);
    check(`client CPU per call ${what}: ≥ 1.5× less than aws-lite`, vsLite, 1.5, vsLite >= 1.5);
  }
  // Cold start against the floor of the stack (issue 25; the earlier goals against aws-sdk and
  // aws-lite sat below undici's own import cost).
  for (const goal of coldGoals(cold)) checks.push(goal);
  // Flat: the heap after a full GC at the end is within 1 MB of the heap after warm-up.
  const growth = mem.ours.heapAtEnd - mem.ours.heapAfterWarmup;
  check(
    'memory flat: heap growth after warm-up (MB, after GC)',
    growth / 1024 / 1024,
    1,
    growth <= 1024 * 1024,
  );
  return checks;
}

// ---------------------------------------------------------------------------------------------

function gitDescribe() {
  try {
    const run = (...args) => execFileSync('git', args, { cwd: source, encoding: 'utf8' }).trim();
    if (source !== root)
      return `${run('rev-parse', '--short', 'HEAD')}, package built from ${source}`;
    return `${run('rev-parse', '--short', 'HEAD')}${run('status', '--porcelain', '--', 'src') ? ' + uncommitted changes in src' : ''}`;
  } catch {
    return 'unknown';
  }
}

const started = Date.now();
const data = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGb: totalmem() / 1024 ** 3,
    node: process.version,
    loadAverage: loadavg()
      .map((value) => value.toFixed(2))
      .join(' '),
  },
  settings,
  commit: gitDescribe(),
};
Object.assign(data, build());
data.loopback = JSON.parse(
  execFileSync(process.execPath, [join(root, 'bench/pingpong.mjs')], { encoding: 'utf8' }),
);
const responder = await startResponder();
try {
  data.perCall = await perCall(responder.endpoint);
  data.cold = await coldStart(responder.endpoint);
  data.memory = await memory(responder.endpoint);
} finally {
  responder.child.kill();
}
data.signing = signing();
data.install = installSizes();
data.goals = goals(data);
data.seconds = (Date.now() - started) / 1000;

const table = report(data);
const goalLines = data.goals.map(
  (goal) =>
    `${goal.pass ? 'PASS' : 'MISS'}  ${goal.text}: ${fmt(goal.value, 2)} (goal ${goal.limit})`,
);
process.stdout.write(
  `\n${table}\n\nGoals:\n${goalLines.join('\n')}\n\nTook ${fmt(data.seconds)} s.\n`,
);
mkdirSync(results, { recursive: true });
const stamp = data.date.replace(/[:.]/g, '-');
writeFileSync(join(results, `bench-${stamp}.json`), `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(join(results, 'latest.json'), `${JSON.stringify(data, null, 2)}\n`);
writeFileSync(
  join(results, 'latest.md'),
  `${table}\n\nGoals:\n\n${goalLines.map((l) => `- ${l}`).join('\n')}\n`,
);
log(`results: ${join(results, `bench-${stamp}.json`)}`);
