/**
 * The package as a user installs it: build, `npm pack`, install the tarball into a fresh project,
 * then `import` and `require` it and disconnect a store on a loopback server.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsError, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const root = new URL('../..', import.meta.url).pathname;
let project: string;
let server: LoopbackServer;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
}

/** Runs a consumer script without blocking this process, which serves its requests. */
async function runNode(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [script], {
    cwd,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return stdout;
}

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    if (req.body.includes('missing')) {
      kmsError(res, 400, { __type: 'CustomKeyStoreNotFoundException', message: 'not found' });
    } else {
      res.writeHead(200, { 'x-amzn-requestid': 'req-pkg' });
      res.end('{}');
    }
  });
  project = mkdtempSync(join(tmpdir(), 'kms-cks-pkg-'));
  run('npm', ['run', 'build', '--silent'], root);
  const tarball = run('npm', ['pack', '--silent', '--pack-destination', project], root)
    .trim()
    .split('\n')
    .pop()!;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run(
    'npm',
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
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

const env = () => ({
  KMS_URL: server.url,
  AWS_ACCESS_KEY_ID: 'AKIDPKG',
  AWS_SECRET_ACCESS_KEY: 'pkg-secret',
  AWS_REGION: 'eu-west-1',
});

describe('the installed package', () => {
  it('works with import (ESM)', async () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `import { KmsClient, CustomKeyStoreNotFoundException, KmsError } from 'kms-custom-key-store';
const client = new KmsClient({ endpoint: process.env.KMS_URL });
const { $metadata } = await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
let caught = 'none';
try { await client.disconnectCustomKeyStore('missing'); }
catch (e) { caught = e instanceof CustomKeyStoreNotFoundException && e instanceof KmsError ? e.name : 'wrong'; }
await client.close();
console.log(JSON.stringify({ requestId: $metadata.requestId, caught }));`,
    );
    const out = JSON.parse(await runNode('esm.mjs', project, env()));
    expect(out).toEqual({ requestId: 'req-pkg', caught: 'CustomKeyStoreNotFoundException' });
  });

  it('works with require (CommonJS)', async () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const { KmsClient, CustomKeyStoreNotFoundException } = require('kms-custom-key-store');
(async () => {
  const client = new KmsClient({ endpoint: process.env.KMS_URL });
  const { $metadata } = await client.disconnectCustomKeyStore({ customKeyStoreId: 'cks-1' });
  let caught = 'none';
  try { await client.disconnectCustomKeyStore('missing'); }
  catch (e) { caught = e instanceof CustomKeyStoreNotFoundException ? e.name : 'wrong'; }
  await client.close();
  console.log(JSON.stringify({ requestId: $metadata.requestId, caught }));
})();`,
    );
    const out = JSON.parse(await runNode('cjs.cjs', project, env()));
    expect(out).toEqual({ requestId: 'req-pkg', caught: 'CustomKeyStoreNotFoundException' });
  });

  it('ships types that resolve under moduleResolution node16 and bundler', () => {
    const source = `import { KmsClient, type ResponseMetadata } from 'kms-custom-key-store';
import { startKmsEmulator } from 'kms-custom-key-store/emulator';
const client = new KmsClient({ region: 'eu-west-1' });
const metadata: Promise<ResponseMetadata> = client.disconnectCustomKeyStore('cks-1').then((r) => r.$metadata);
void metadata; void startKmsEmulator;
// @ts-expect-error the id must be a string or { customKeyStoreId }
void client.disconnectCustomKeyStore(42);
`;
    writeFileSync(join(project, 'check.mts'), source);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, resolution] of [
      ['node16', 'node16'],
      ['esnext', 'bundler'],
    ]) {
      run(
        'node',
        [
          tsc,
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          'false',
          '--module',
          module!,
          '--moduleResolution',
          resolution!,
          '--target',
          'es2022',
          '--types',
          'node',
          '--typeRoots',
          join(root, 'node_modules', '@types'),
          'check.mts',
        ],
        project,
      );
    }
  }, 180_000);

  it('installs the kms-cks command, which runs and describes the emulator stores', async () => {
    const bin = join(project, 'node_modules', '.bin', 'kms-cks');
    const { stdout: version } = await promisify(execFile)(bin, ['--version'], { cwd: project });
    expect(version.trim()).toMatch(/^kms-cks \d+\.\d+\.\d+$/);
    const { startKmsEmulator, emulatorCredentials } = await import('../../src/emulator/index.js');
    const emulator = await startKmsEmulator();
    try {
      const { stdout } = await promisify(execFile)(
        bin,
        ['describe', '--json', '--endpoint', emulator.url, '--region', emulator.region],
        {
          cwd: project,
          env: {
            PATH: process.env.PATH,
            HOME: project,
            AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
          },
        },
      );
      const { customKeyStores } = JSON.parse(stdout) as { customKeyStores: unknown[] };
      expect(customKeyStores.length).toBe(emulator.keyStores.size);
    } finally {
      await emulator.close();
    }
  });

  it('is publint clean and ships no tests or sources', () => {
    const output = run(
      'node',
      [join(root, 'node_modules', 'publint', 'src', 'cli.js'), '--strict', root],
      root,
    );
    expect(output).not.toMatch(/error|warning/i);
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules', 'kms-custom-key-store', 'package.json'), 'utf8'),
    );
    expect(manifest.name).toBe('kms-custom-key-store');
    const files = run('npm', ['pack', '--dry-run', '--json'], root);
    const listed: string[] = JSON.parse(files)[0].files.map((f: { path: string }) => f.path);
    expect(listed.some((path) => path.startsWith('test/') || path.startsWith('src/'))).toBe(false);
    expect(listed).toContain('dist/index.js');
    expect(listed).toContain('dist/index.cjs');
    expect(listed).toContain('dist/index.d.ts');
  });
});
