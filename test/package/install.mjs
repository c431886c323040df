/**
 * The package as a user gets it: build, `npm pack`, and install the tarball into a fresh project
 * (a temporary folder). Shared by the package test and the runtime matrix's smoke legs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * @param {string} prefix - name prefix of the temporary project folder
 * @returns {string} the project folder, with `kms-cks` installed in its node_modules
 */
export function installPackedPackage(prefix) {
  const npm = (args, cwd) =>
    execFileSync('npm', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
  npm(['run', 'build', '--silent'], root);
  const project = mkdtempSync(join(tmpdir(), prefix));
  const tarball = npm(['pack', '--silent', '--pack-destination', project], root)
    .trim()
    .split('\n')
    .pop();
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  npm(
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--ignore-scripts',
      join(project, tarball),
    ],
    project,
  );
  return project;
}
