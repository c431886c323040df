/**
 * Start-up: importing the package loads no Node module that a Disconnect with static credentials
 * does not use. node:http and node:https serve only the container and instance-metadata
 * credential sources, node:child_process only `credential_process`; each loads when its source
 * runs. Checked in a fresh process from `process.moduleLoadList`, on the sources bundled with
 * code splitting (each module loaded on use in a file of its own), so that what fails here is an
 * import in the sources. The published ES module build (one file per entry) is checked by
 * package.test.ts on the installed package.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';

const root = new URL('../..', import.meta.url).pathname;
const watched = [
  'NativeModule http',
  'NativeModule https',
  'NativeModule child_process',
  'NativeModule tls',
];

let dir: string;
let emulator: KmsEmulator;

/** The child: imports the package, then disconnects a store; reports the watched modules loaded after each step. */
const consumer = `
const watched = ${JSON.stringify(watched)};
const loaded = () => watched.filter((name) => process.moduleLoadList.includes(name));
const report = {};
const { KmsClient } = await import('./out/index.js');
report.afterImport = loaded();
const [endpoint, region, id, accessKeyId, secretAccessKey] = process.argv.slice(2);
const client = new KmsClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
const result = await client.disconnectCustomKeyStore(id);
report.status = result.$metadata.httpStatusCode;
await client.close();
report.afterDisconnect = loaded();
console.log(JSON.stringify(report));
`;

beforeAll(async () => {
  // Inside the project, so that the bundle's bare imports (undici, zod, …) resolve from its
  // node_modules, as they would in an application.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules', '.cache', 'kms-cks-startup-'));
  await build({
    entryPoints: { index: join(root, 'src/index.ts') },
    outdir: join(dir, 'out'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  writeFileSync(join(dir, 'out', 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'consumer.mjs'), consumer);
  emulator = await startKmsEmulator({ transitionMs: 300 });
});

afterAll(async () => {
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('start-up', () => {
  it('importing loads neither http, https, tls nor child_process; a Disconnect with static credentials loads no child_process', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(dir, 'consumer.mjs'),
        emulator.url,
        emulator.region,
        defaultKeyStoreIds.externalPublic,
        emulatorCredentials.accessKeyId,
        emulatorCredentials.secretAccessKey,
      ],
      {
        cwd: root,
        env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
        timeout: 60_000,
      },
    );
    const report = JSON.parse(stdout) as {
      afterImport: string[];
      afterDisconnect: string[];
      status: number;
    };
    expect(report.afterImport).toEqual([]);
    expect(report.status).toBe(200);
    expect(report.afterDisconnect).not.toContain('NativeModule child_process');
  });
});
