#!/usr/bin/env node
// Start-up of the built CLI: wall time of `kms-cks describe` against a loopback emulator, next to a
// bare `node -e 0`, median of N runs each (default 7, after one warm-up run of each).
//
//   npm run build && node bench/cli-startup.mjs [--runs 7] [--node /path/to/node]
//
// The emulator runs in a child process; the runs are child processes of the node given (default:
// this one). Goal (issue 14): describe ≤ 2.5 × bare node.
//
// The compile cache (Node's own on 22+, bin.cjs's on Node 20) lives in a folder of this bench,
// filled by the warm-up run, as it is for a user after the first run. The "first run" row is
// describe with the cache turned off (NODE_DISABLE_COMPILE_CACHE=1): what the very first run
// after an install or upgrade costs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, node: { type: 'string' } },
});
const runs = Number(values.runs);
const node = values.node ?? process.execPath;
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = `${root}dist/cli/bin.cjs`;
if (!existsSync(cli)) {
  console.error('dist/cli/bin.cjs is missing: run `npm run build` first');
  process.exit(2);
}
const { emulatorCredentials } = await import(
  new URL('../dist/emulator/index.js', import.meta.url).href
);
// spawnSync blocks this process's event loop, so the emulator runs in a child of its own.
const { spawn } = await import('node:child_process');
const server = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const { startKmsEmulator } = await import(${JSON.stringify(new URL('../dist/emulator/index.js', import.meta.url).href)});
     const emu = await startKmsEmulator();
     process.stdout.write(emu.url + '\\n');
     process.on('SIGTERM', async () => { await emu.close(); process.exit(0); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve, reject) => {
  let text = '';
  server.stdout.setEncoding('utf8').on('data', (chunk) => {
    text += chunk;
    if (text.includes('\n')) resolve(text.trim());
  });
  server.on('exit', () => reject(new Error('emulator exited')));
});

const env = {
  PATH: process.env.PATH,
  HOME: '/nonexistent/kms-cks-bench',
  AWS_CONFIG_FILE: '/nonexistent/kms-cks-bench/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/kms-cks-bench/credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL_KMS: url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
};

const cacheFolder = mkdtempSync(join(tmpdir(), 'kms-cks-bench-cache-'));
env.NODE_COMPILE_CACHE = cacheFolder;
const uncached = { ...env, NODE_DISABLE_COMPILE_CACHE: '1' };

function time(args, runEnv = env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(node, args, { env: runEnv, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return ms;
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

try {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  time(['-e', '0']);
  time([cli, 'describe']);
  const bare = [];
  const describe = [];
  const firstRun = [];
  // Interleaved, so that a burst of load on the machine hits all alike.
  for (let run = 0; run < runs; run++) {
    bare.push(time(['-e', '0']));
    describe.push(time([cli, 'describe']));
    firstRun.push(time([cli, 'describe'], uncached));
  }
  const ratio = median(describe) / median(bare);
  const fmt = (list) => list.map((ms) => ms.toFixed(0)).join(' ');
  console.log(`node ${version}, median of ${runs}`);
  console.log(`  node -e 0          ${median(bare).toFixed(0)} ms   (${fmt(bare)})`);
  console.log(`  kms-cks describe   ${median(describe).toFixed(0)} ms   (${fmt(describe)})`);
  console.log(`  ratio              ${ratio.toFixed(2)}× (goal ≤ 2.5×)`);
  console.log(
    `  first run          ${median(firstRun).toFixed(0)} ms   (${fmt(firstRun)}; no compile cache, ${(median(firstRun) / median(bare)).toFixed(2)}×)`,
  );
} finally {
  server.kill('SIGTERM');
  rmSync(cacheFolder, { recursive: true, force: true });
}
