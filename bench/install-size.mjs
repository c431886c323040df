/**
 * Install size of a package's production dependency tree, computed from package-lock.json and
 * the installed node_modules (no network, no install): the packages `npm install --omit=dev`
 * would put on disk, resolved as Node resolves them, and the bytes of their files.
 *
 * Run on its own (`node bench/install-size.mjs [--json] [--no-build]`), it builds the package,
 * measures the tarball (`npm pack --dry-run --json`: packed, unpacked, source maps) and compares
 * what installing it costs with installing `@aws-sdk/client-kms` (and `@aws-lite/client`, and
 * undici alone, the floor), each with its production dependencies.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bytes of the files under `dir`, nested node_modules excluded (they are counted on their own). */
export function directoryBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Where Node finds `name` from the package at lock key `from` (`''` is the root). */
function resolveKey(packages, from, name) {
  let dir = from;
  for (;;) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (dir === '') return undefined;
    const index = dir.lastIndexOf('node_modules/');
    dir = index <= 0 ? '' : dir.slice(0, index - 1);
  }
}

/** Production dependencies of a lock entry: dependencies, optional ones, required peers. */
function runtimeDependencies(entry) {
  const names = new Set([
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
  ]);
  for (const name of Object.keys(entry.peerDependencies ?? {})) {
    if (!entry.peerDependenciesMeta?.[name]?.optional) names.add(name);
  }
  return names;
}

/**
 * The dependency tree of `dependencies` (names, resolved from the repository root), or of the
 * installed package `name` and its dependencies.
 *
 * @param {string} root repository root (holds package-lock.json and node_modules)
 * @param {{ name?: string, dependencies?: string[] }} start
 * @returns {{ packages: number, bytes: number }}
 */
export function dependencyTreeSize(root, start) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const { packages } = lock;
  const seen = new Set();
  const queue = [];
  const visit = (from, name) => {
    const key = resolveKey(packages, from, name);
    if (key === undefined) {
      // An optional dependency for another platform is in no tree; anything else is an error.
      if (packages[from]?.optionalDependencies?.[name] !== undefined) return;
      throw new Error(`${name} (needed by ${from || 'the root'}) is not in package-lock.json`);
    }
    if (seen.has(key)) return;
    seen.add(key);
    queue.push(key);
  };
  if (start.name) visit('', start.name);
  for (const name of start.dependencies ?? []) visit('', name);
  let bytes = 0;
  let count = 0;
  while (queue.length > 0) {
    const key = queue.shift();
    const entry = packages[key];
    const dir = join(root, key);
    try {
      bytes += directoryBytes(dir);
      count++;
    } catch (error) {
      // Optional packages that did not install on this platform are not on disk.
      if (error.code !== 'ENOENT' || !entry.optional) throw error;
      continue;
    }
    for (const name of runtimeDependencies(entry)) visit(key, name);
  }
  return { packages: count, bytes };
}

/**
 * The tarball `npm pack` would publish, from the current build in `dist/`.
 *
 * @param {string} root repository root
 * @returns {{ packedBytes: number, unpackedBytes: number, files: number,
 *   sourceMaps: { files: number, bytes: number } }}
 */
export function packedPackage(root) {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [pack] = JSON.parse(out);
  const maps = pack.files.filter((file) => file.path.endsWith('.map'));
  return {
    packedBytes: pack.size,
    unpackedBytes: pack.unpackedSize,
    files: pack.entryCount,
    sourceMaps: { files: maps.length, bytes: maps.reduce((sum, file) => sum + file.size, 0) },
  };
}

/**
 * Install sizes: this package (its tarball unpacked, plus its production dependencies) against
 * `@aws-sdk/client-kms`, `@aws-lite/client` and undici alone, each with its dependencies.
 *
 * @param {string} root repository root, built (`dist/`) and installed (`node_modules/`)
 */
export function installComparison(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const own = packedPackage(root);
  const dependencies = dependencyTreeSize(root, {
    dependencies: Object.keys(pkg.dependencies ?? {}),
  });
  return {
    package: own,
    install: {
      'kms-custom-key-store': {
        packages: dependencies.packages + 1,
        bytes: dependencies.bytes + own.unpackedBytes,
      },
      '@aws-sdk/client-kms': dependencyTreeSize(root, { name: '@aws-sdk/client-kms' }),
      '@aws-lite/client': dependencyTreeSize(root, { name: '@aws-lite/client' }),
      'undici (floor)': dependencyTreeSize(root, { name: 'undici' }),
    },
  };
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const mb = (bytes) => `${(bytes / 1000 / 1000).toFixed(2)} MB`;

/** The comparison as Markdown. */
export function formatComparison({ package: own, install }) {
  const sdk = install['@aws-sdk/client-kms'].bytes;
  return [
    `kms-custom-key-store tarball: ${kb(own.packedBytes)} packed, ${mb(own.unpackedBytes)} unpacked, ${own.files} files (${own.sourceMaps.files} source maps, ${mb(own.sourceMaps.bytes)})`,
    '',
    '| package | packages installed | install size | × @aws-sdk/client-kms |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(install).map(
      ([name, size]) =>
        `| ${name} | ${size.packages} | ${mb(size.bytes)} | ${(size.bytes / sdk).toFixed(2)}× |`,
    ),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!process.argv.includes('--no-build')) {
    execFileSync('npm', ['run', 'build', '--silent'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
  const comparison = installComparison(root);
  process.stdout.write(
    process.argv.includes('--json')
      ? `${JSON.stringify(comparison, null, 2)}\n`
      : formatComparison(comparison),
  );
}
