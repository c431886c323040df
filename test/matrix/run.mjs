#!/usr/bin/env node
/**
 * The runtime matrix: `npm run test:matrix [-- leg …]`.
 *
 * - `node20`, `node22`, `node24`: the whole vitest suite on that Node (node20 is the machine's
 *   own when it is a 20; otherwise the pinned one).
 * - `bun`, `deno`: a smoke test of the packed, installed package: the scenario list of
 *   `test/package/scenarios.cjs` through `import` and through `require()`, each against the
 *   emulator started by the runtime itself, and the `kms-cks` CLI describing a Node-run emulator.
 *
 * The runtimes come from the npm registry as packages that contain the binary, at the exact
 * versions pinned in runtimes.mjs, unpacked into `.cache/runtimes/` (git-ignored) and reused. Each leg's
 * time is printed; the last line is `N passed, N failed` over every leg's tests and checks.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPackedPackage } from '../package/install.mjs';
import { runtimeBinary, runtimes } from './runtimes.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const allLegs = Object.keys(runtimes);

/** Each leg gets at most this long; a hung leg fails instead of stalling CI. */
const legTimeoutMs = 20 * 60 * 1000;

/** Runs a command, streaming its output; resolves with its exit code and what it printed. */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (stream, sink) =>
      stream.on('data', (chunk) => {
        output += chunk;
        if (!options.quiet) sink.write(chunk);
      });
    collect(child.stdout, process.stdout);
    collect(child.stderr, process.stderr);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? legTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** A Node leg: the whole vitest suite on that Node. */
async function nodeLeg(name) {
  const node = runtimeBinary(name);
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`\n=== ${name}: Node ${version}, the whole suite`);
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const { code, output } = await run(node, [vitest, 'run', '--config', 'test/vitest.config.ts'], {
    // The suite's child processes (the CLI, the package's consumers) run on the same Node.
    env: { PATH: `${dirname(node)}:${process.env.PATH}`, NO_COLOR: '1' },
  });
  const summary = output
    .split('\n')
    .filter((line) => /^\s*Tests\s+\d/.test(line))
    .pop();
  const passed = Number(/(\d+) passed/.exec(summary ?? '')?.[1] ?? 0);
  let failed = Number(/(\d+) failed/.exec(summary ?? '')?.[1] ?? 0);
  if (code !== 0 && failed === 0) failed = 1;
  return { passed, failed, detail: `${passed} tests passed, ${failed} failed` };
}

/** Packs and installs the package once, for the smoke legs. */
let consumer;
function installedConsumer() {
  if (consumer) return consumer;
  const project = installPackedPackage('kms-cks-matrix-');
  execFileSync('cp', [join(root, 'test', 'package', 'scenarios.cjs'), project]);
  writeFileSync(
    join(project, 'smoke-esm.mjs'),
    `import * as lib from 'kms-custom-key-store';
import * as emulatorLib from 'kms-custom-key-store/emulator';
import { runScenarios } from './scenarios.cjs';
console.log(JSON.stringify(await runScenarios(lib, emulatorLib)));
`,
  );
  writeFileSync(
    join(project, 'smoke-cjs.cjs'),
    `const { runScenarios } = require('./scenarios.cjs');
runScenarios(require('kms-custom-key-store'), require('kms-custom-key-store/emulator')).then(
  (record) => console.log(JSON.stringify(record)),
);
`,
  );
  consumer = project;
  return project;
}

/** A smoke leg (Bun, Deno): import, require, a call against the emulator, the CLI. */
async function smokeLeg(name) {
  const binary = runtimeBinary(name);
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0];
  console.log(`\n=== ${name}: ${version}, smoke test of the installed package`);
  const project = installedConsumer();
  const runScript = name === 'deno' ? (file) => ['run', '--allow-all', file] : (file) => [file];
  const { expectedScenarios } = createRequire(import.meta.url)('../package/scenarios.cjs');
  const checks = [];
  const check = (label, ok, detail = '') => {
    checks.push(ok);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${label}${detail ? `: ${detail}` : ''}`);
  };
  const quietEnv = { AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1' };

  for (const [label, file] of [
    ['import (ESM): every scenario', 'smoke-esm.mjs'],
    ['require (CommonJS): every scenario', 'smoke-cjs.cjs'],
  ]) {
    const { code, output } = await run(binary, runScript(file), {
      cwd: project,
      env: quietEnv,
      quiet: true,
      timeoutMs: 120_000,
    });
    let record;
    try {
      record = JSON.parse(output.trim().split('\n').pop());
    } catch {
      record = undefined;
    }
    const differing = record
      ? Object.keys({ ...expectedScenarios, ...record }).filter(
          (key) => JSON.stringify(record[key]) !== JSON.stringify(expectedScenarios[key]),
        )
      : ['(no record)'];
    check(
      label,
      code === 0 && differing.length === 0,
      differing.length
        ? `differs in ${differing.map((key) => `${key}=${JSON.stringify(record?.[key])}`).join(', ')}${record ? '' : `\n${output}`}`
        : '',
    );
  }

  // The CLI, run by this runtime, against an emulator run by Node.
  const { startKmsEmulator, emulatorCredentials } = await import(
    join(project, 'node_modules', 'kms-custom-key-store', 'dist', 'emulator', 'index.js')
  );
  const emulator = await startKmsEmulator();
  try {
    // The executable the package declares, as npm links it.
    const installed = join(project, 'node_modules', 'kms-custom-key-store');
    const { bin } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    const cli = join(installed, bin['kms-cks']);
    const { code, output } = await run(
      binary,
      [
        ...runScript(cli),
        'describe',
        '--json',
        '--endpoint',
        emulator.url,
        '--region',
        emulator.region,
      ],
      {
        cwd: project,
        env: {
          ...quietEnv,
          HOME: project,
          AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
        },
        quiet: true,
        timeoutMs: 60_000,
      },
    );
    let count = -1;
    try {
      count = JSON.parse(output).customKeyStores.length;
    } catch {}
    check(
      'kms-cks describe --json',
      code === 0 && count === emulator.keyStores.size,
      code === 0 ? '' : output,
    );
  } finally {
    await emulator.close();
  }
  const passed = checks.filter(Boolean).length;
  return {
    passed,
    failed: checks.length - passed,
    detail: `${passed} of ${checks.length} checks passed`,
  };
}

const legs = process.argv.slice(2).length ? process.argv.slice(2) : allLegs;
for (const leg of legs) {
  if (!allLegs.includes(leg)) {
    console.error(`Unknown leg ${leg}; legs: ${allLegs.join(', ')}`);
    process.exit(2);
  }
}

const results = [];
try {
  for (const leg of legs) {
    const started = performance.now();
    let result;
    try {
      result = leg.startsWith('node') ? await nodeLeg(leg) : await smokeLeg(leg);
    } catch (error) {
      console.error(error);
      result = { passed: 0, failed: 1, detail: `could not run: ${error.message}` };
    }
    results.push({ leg, ...result, seconds: (performance.now() - started) / 1000 });
  }
} finally {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
}

console.log('\nRuntime matrix:');
for (const { leg, failed, detail, seconds } of results) {
  console.log(
    `  ${failed ? 'FAIL' : 'ok  '} ${leg.padEnd(7)} ${seconds.toFixed(0).padStart(4)} s  ${detail}`,
  );
}
const passed = results.reduce((sum, result) => sum + result.passed, 0);
const failed = results.reduce((sum, result) => sum + result.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
