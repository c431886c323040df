/**
 * The README's XKS rehearsal runs as written: the code block after `<!-- test:xks-rehearsal -->`,
 * with the package's import specifiers pointed at the sources and `kms-cks` on PATH as the
 * source CLI, in a fresh folder.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv } from '../cli/run.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kms-cks-xks-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rehearsal(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = /<!-- test:xks-rehearsal -->\n```js\n([\s\S]*?)\n```/.exec(readme);
  if (!match) throw new Error('README has no xks rehearsal block');
  return match[1]!;
}

describe('README: XKS proxy operators', () => {
  it('the rehearsal block runs as written: the library and kms-cks pass, then the fault shows its code', async () => {
    const source = rehearsal()
      .replace(
        "'kms-custom-key-store/emulator'",
        JSON.stringify(pathToFileURL(join(root, 'src/emulator/index.ts')).href),
      )
      .replace(
        "'kms-custom-key-store/xks'",
        JSON.stringify(pathToFileURL(join(root, 'src/xks/index.ts')).href),
      );
    expect(source).not.toMatch(/kms-custom-key-store\//);
    const loader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    writeFileSync(join(dir, 'rehearse.mts'), source);
    const bin = join(dir, 'bin');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'kms-cks'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import ${JSON.stringify(loader)} ${JSON.stringify(join(root, 'src/cli/main.ts'))} "$@"\n`,
    );
    chmodSync(join(bin, 'kms-cks'), 0o755);
    const env = cliEnv(undefined);
    env.PATH = `${bin}:${env.PATH ?? ''}`;
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', loader, 'rehearse.mts'],
      { cwd: dir, env, timeout: 60_000 },
    );
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^library: \d+ passed, 0 failed$/);
    expect(lines[1]).toMatch(/ 0 failed, .*: KMS should connect$/);
    expect(lines[2]).toBe(
      'XKS_PROXY_NOT_REACHABLE; XksProxyUriUnreachableException (Create/Update)',
    );
  });
});
