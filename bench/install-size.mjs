/**
 * Install size of a package's production dependency tree, computed from package-lock.json and
 * the installed node_modules (no network, no install): the packages `npm install --omit=dev`
 * would put on disk, resolved as Node resolves them, and the bytes of their files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
