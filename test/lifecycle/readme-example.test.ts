/**
 * The README's maintenance example (test/lifecycle/maintenance-example.ts) runs as written against
 * the emulator, and the README quotes it as it is.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('README: Maintenance: rotate a proxy credential or a CloudHSM password', () => {
  it('the README quotes the example as it is', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('../../README.md', import.meta.url), 'utf8'),
      readFile(new URL('./maintenance-example.ts', import.meta.url), 'utf8'),
    ]);
    const quoted = example
      .replace("from '../../src/index.js'", "from 'kms-custom-key-store'")
      .replace("from '../../src/emulator/index.js'", "from 'kms-custom-key-store/emulator'");
    expect(quoted).not.toBe(example);
    const section = readme.slice(
      readme.indexOf('## Maintenance: rotate a proxy credential or a CloudHSM password'),
    );
    expect(section).toContain(`\`\`\`ts\n${quoted}\`\`\``);
  });

  it('runs as written: the rotation in place, the password run through DISCONNECTED and back', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'test/lifecycle/maintenance-example.ts'],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('CONNECTED describe update describe CONNECTED');
    expect(lines.slice(1, -1).map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      'describe ok',
      'disconnect ok',
      'wait ok',
      'update ok',
      'connect ok',
      'wait ok',
    ]);
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/ request [0-9a-f-]{36}$/);
    expect(lines.at(-1)).toBe('CONNECTED -> CONNECTED');
    expect(result.stdout).not.toContain('bmV3LXByb3h5');
    expect(result.stdout).not.toContain('example-kmsuser-password-2');
  });
});
