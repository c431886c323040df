/**
 * The README's live XKS example runs as written: the code block after
 * `<!-- test:xks-live-software-proxy -->`, with the package's import specifiers pointed at the
 * sources, in a fresh folder; it prints what the README says it prints.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kms-cks-live-xks-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function example(): { source: string; prints: string } {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match =
    /<!-- test:xks-live-software-proxy -->\n```js\n([\s\S]*?)\n```\n\nprints\n\n```\n([\s\S]*?)\n```/.exec(
      readme,
    );
  if (!match) throw new Error('README has no live XKS example followed by what it prints');
  return { source: match[1]!, prints: match[2]! };
}

describe('README: live XKS against the software proxy', () => {
  it('the example runs as written and prints what the README says', async () => {
    const { source, prints } = example();
    const runnable = source
      .replace(
        "'kms-custom-key-store/emulator'",
        JSON.stringify(pathToFileURL(join(root, 'src/emulator/index.ts')).href),
      )
      .replace(
        "'kms-custom-key-store'",
        JSON.stringify(pathToFileURL(join(root, 'src/index.ts')).href),
      );
    expect(runnable).not.toMatch(/'kms-custom-key-store/);
    const loader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    writeFileSync(join(dir, 'live-xks.mts'), runnable);
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', loader, 'live-xks.mts'],
      {
        cwd: dir,
        // Nothing from the machine's AWS settings; no metadata service.
        env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true' },
        timeout: 90_000,
      },
    );
    expect(stderr).toBe('');
    expect(stdout.trimEnd()).toBe(prints);
  }, 120_000);
});
