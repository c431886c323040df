/**
 * The package as a user installs it: build, `npm pack`, install the tarball into a fresh project,
 * then `import` and `require` it and disconnect a store on a loopback server.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsError, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { installPackedPackage } from './install.mjs';
import { expectedScenarios } from './scenarios.cjs';

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
async function runNode(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  nodeOptions: string[] = [],
): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeOptions, script], {
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
  project = installPackedPackage('kms-cks-pkg-');
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

/**
 * Node's `require(esm)` is off for the CommonJS consumer where the runtime can turn it off: the
 * CommonJS build must not depend on it (Node 20.19+, 22.12+ turn it on by default).
 */
const noRequireEsm = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')
  ? ['--no-experimental-require-module']
  : [];

/**
 * Runs `body` with the installed on-demand file (`on-demand.js` or `on-demand.cjs`) made to look
 * as if from another build (its layout ID changed), then puts the file back.
 */
async function withOnDemandFileOfAnotherBuild<T>(name: string, body: () => Promise<T>): Promise<T> {
  const file = join(project, 'node_modules', 'kms-custom-key-store', 'dist', name);
  const original = readFileSync(file, 'utf8');
  const layoutId = /if \(layoutId !== "([0-9a-f]+)"/.exec(original)?.[1];
  expect(layoutId).toMatch(/^[0-9a-f]{16}$/);
  try {
    writeFileSync(file, original.replaceAll(layoutId!, '0123456789abcdef'));
    return await body();
  } finally {
    writeFileSync(file, original);
  }
}

/** Every error class, and how to make one, for the cross-build `instanceof` check. */
const errorClassNames = [
  'KmsError',
  'KmsServiceException',
  'CustomKeyStoreInvalidStateException',
  'CustomKeyStoreNotFoundException',
  'KMSInternalException',
  'CloudHsmClusterNotActiveException',
  'CloudHsmClusterInvalidConfigurationException',
  'InvalidMarkerException',
  'CloudHsmClusterInUseException',
  'CloudHsmClusterNotFoundException',
  'CloudHsmClusterNotRelatedException',
  'IncorrectTrustAnchorException',
  'CustomKeyStoreNameInUseException',
  'CustomKeyStoreHasCMKsException',
  'LimitExceededException',
  'XksProxyUriInUseException',
  'XksProxyUriEndpointInUseException',
  'XksProxyUriUnreachableException',
  'XksProxyIncorrectAuthenticationCredentialException',
  'XksProxyVpcEndpointServiceInUseException',
  'XksProxyVpcEndpointServiceNotFoundException',
  'XksProxyVpcEndpointServiceInvalidConfigurationException',
  'XksProxyInvalidResponseException',
  'XksProxyInvalidConfigurationException',
  'KmsValidationError',
  'KmsConfigError',
  'KmsTimeoutError',
  'KmsNetworkError',
  'KmsResponseError',
  'KmsWaiterError',
];

describe('the installed package', () => {
  beforeAll(() => {
    copyFileSync(join(root, 'test', 'package', 'scenarios.cjs'), join(project, 'scenarios.cjs'));
    writeFileSync(
      join(project, 'scenarios-esm.mjs'),
      `import * as lib from 'kms-custom-key-store';
import * as emulatorLib from 'kms-custom-key-store/emulator';
import { runScenarios } from './scenarios.cjs';
console.log(JSON.stringify(await runScenarios(lib, emulatorLib)));`,
    );
    writeFileSync(
      join(project, 'scenarios-cjs.cjs'),
      `const { runScenarios } = require('./scenarios.cjs');
runScenarios(require('kms-custom-key-store'), require('kms-custom-key-store/emulator')).then(
  (record) => console.log(JSON.stringify(record)),
);`,
    );
    // Every file the process loads, recorded by a module hook (ES modules, and CommonJS loaded
    // through import), and the built-ins from process.moduleLoadList, after each step.
    writeFileSync(
      join(project, 'record-hooks.mjs'),
      `let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`,
    );
    writeFileSync(
      join(project, 'record.mjs'),
      `import { register } from 'node:module';
const { port1, port2 } = new MessageChannel();
globalThis.loadedUrls = [];
port1.on('message', (url) => globalThis.loadedUrls.push(url));
port1.unref();
register(new URL('./record-hooks.mjs', import.meta.url), { data: { port: port2 }, transferList: [port2] });`,
    );
  });

  it('runs every scenario through import (ESM)', async () => {
    const out = JSON.parse(await runNode('scenarios-esm.mjs', project, {}));
    expect(out).toEqual(expectedScenarios);
  });

  it('runs every scenario through require (CommonJS), without require(esm)', async () => {
    const out = JSON.parse(await runNode('scenarios-cjs.cjs', project, {}, noRequireEsm));
    expect(out).toEqual(expectedScenarios);
  });

  it('calls a loopback server through import and require, with credentials from the environment', async () => {
    const script = (load: string) => `${load}
(async () => {
  const client = new KmsClient({ endpoint: process.env.KMS_URL });
  const { $metadata } = await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
  let caught = 'none';
  try { await client.disconnectCustomKeyStore('missing'); }
  catch (e) { caught = e instanceof CustomKeyStoreNotFoundException && e instanceof KmsError ? e.name : 'wrong'; }
  await client.close();
  console.log(JSON.stringify({ requestId: $metadata.requestId, caught }));
})();`;
    writeFileSync(
      join(project, 'env-esm.mjs'),
      script(
        `import { KmsClient, CustomKeyStoreNotFoundException, KmsError } from 'kms-custom-key-store';`,
      ),
    );
    writeFileSync(
      join(project, 'env-cjs.cjs'),
      script(
        `const { KmsClient, CustomKeyStoreNotFoundException, KmsError } = require('kms-custom-key-store');`,
      ),
    );
    for (const file of ['env-esm.mjs', 'env-cjs.cjs']) {
      const out = JSON.parse(await runNode(file, project, env(), noRequireEsm));
      expect(out).toEqual({ requestId: 'req-pkg', caught: 'CustomKeyStoreNotFoundException' });
    }
  });

  it('CommonJS build: the first call loads undici by require(), never through the ES module loader', async () => {
    // An import() in a CommonJS program starts Node's ES module loader and loads undici through
    // it: 22 M instructions (about 6 ms) of a cold start (issue 25).
    writeFileSync(
      join(project, 'cjs-loader.cjs'),
      `const esm = () => process.moduleLoadList.filter((m) => /esm\\/|cjs-module-lexer/.test(m));
const { KmsClient } = require('kms-custom-key-store');
const before = esm();
const client = new KmsClient({ endpoint: process.env.KMS_URL });
client.disconnectCustomKeyStore('cks-1234567890abcdef0').then(({ $metadata }) => {
  const added = esm().filter((m) => !before.includes(m));
  console.log(JSON.stringify({ requestId: $metadata.requestId, added }));
  return client.close();
});`,
    );
    const out = JSON.parse(await runNode('cjs-loader.cjs', project, env(), noRequireEsm));
    expect(out).toEqual({ requestId: 'req-pkg', added: [] });
  });

  it('an app bundled with esbuild, as a Lambda user ships it (ES module or CommonJS), gets the ES module build without the portable signer; signer "smithy" in it needs those packages where it runs, and says so before any request', async () => {
    writeFileSync(
      join(project, 'bundle-app.mjs'),
      `import { KmsClient } from 'kms-custom-key-store';
const client = new KmsClient({ endpoint: process.env.KMS_URL, signer: process.env.SIGNER });
client.disconnectCustomKeyStore('cks-1234567890abcdef0').then(
  ({ $metadata }) => console.log(JSON.stringify({ requestId: $metadata.requestId })),
  (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })),
).finally(() => client.close());`,
    );
    const { buildSync } = await import('esbuild');
    /** Bundles an app of the project as a Lambda user does; returns the files it took in. */
    const bundle = (entry: string, outfile: string) =>
      Object.keys(
        buildSync({
          entryPoints: [join(project, entry)],
          absWorkingDir: project,
          bundle: true,
          platform: 'node',
          format: 'cjs',
          target: 'node20',
          minify: true,
          metafile: true,
          logLevel: 'silent',
          outfile: join(project, outfile),
        }).metafile.inputs,
      );
    const inputs = bundle('bundle-app.mjs', 'bundle-app.cjs');
    // The bundle has the package and undici, and nothing of the signer it never uses by default.
    expect(inputs.some((path) => path.includes('node_modules/kms-custom-key-store/'))).toBe(true);
    expect(inputs.filter((path) => /@smithy\/|@aws-crypto\//.test(path))).toEqual([]);

    // Shipped alone, as in a Lambda zip: no node_modules anywhere above it.
    const alone = mkdtempSync(join(tmpdir(), 'kms-cks-bundle-'));
    try {
      copyFileSync(join(project, 'bundle-app.cjs'), join(alone, 'app.cjs'));
      const before = server.requests.length;
      const byDefault = JSON.parse(await runNode('app.cjs', alone, { ...env(), SIGNER: 'node' }));
      expect(byDefault).toEqual({ requestId: 'req-pkg' });
      expect(server.requests.length).toBe(before + 1);
      const smithy = JSON.parse(await runNode('app.cjs', alone, { ...env(), SIGNER: 'smithy' }));
      expect(smithy).toMatchObject({ name: 'KmsConfigError', code: 'SignerUnavailable' });
      expect(smithy.message).toMatch(/@smithy\/signature-v4 .*install both where the app runs/);
      expect(server.requests.length).toBe(before + 1);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
    // A CommonJS app bundled the same way gets the ES module build too (the `module` condition,
    // which bundlers honour and Node ignores): its zod is the tree-shaken one (the CommonJS build's
    // require('zod/mini') pulled 535 KB of zod into the bundle, 950 KB in all) and no
    // dist/index.cjs beside a dist/index.js in one bundle.
    writeFileSync(
      join(project, 'bundle-app-cjs.cjs'),
      `const { KmsClient } = require('kms-custom-key-store');
const client = new KmsClient({ endpoint: process.env.KMS_URL });
client.disconnectCustomKeyStore('cks-1234567890abcdef0').then(
  ({ $metadata }) => console.log(JSON.stringify({ requestId: $metadata.requestId })),
  (e) => console.log(JSON.stringify({ name: e.name, message: e.message })),
).finally(() => client.close());`,
    );
    const cjsInputs = bundle('bundle-app-cjs.cjs', 'bundle-app-cjs.bundle.cjs');
    expect(cjsInputs).toContain('node_modules/kms-custom-key-store/dist/index.js');
    expect(cjsInputs.filter((path) => /kms-custom-key-store\/dist\/.*\.cjs$/.test(path))).toEqual(
      [],
    );
    expect(cjsInputs.filter((path) => /@smithy\/|@aws-crypto\/|zod\/.*\.cjs$/.test(path))).toEqual(
      [],
    );
    const aloneCjs = mkdtempSync(join(tmpdir(), 'kms-cks-bundle-'));
    try {
      copyFileSync(join(project, 'bundle-app-cjs.bundle.cjs'), join(aloneCjs, 'app.cjs'));
      expect(JSON.parse(await runNode('app.cjs', aloneCjs, env()))).toEqual({
        requestId: 'req-pkg',
      });
    } finally {
      rmSync(aloneCjs, { recursive: true, force: true });
    }

    // Beside the installed packages the same bundle signs with them.
    const before = server.requests.length;
    const installed = JSON.parse(
      await runNode('bundle-app.cjs', project, { ...env(), SIGNER: 'smithy' }),
    );
    expect(installed).toEqual({ requestId: 'req-pkg' });
    expect(server.requests.length).toBe(before + 1);
    expect(server.requests.at(-1)?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDPKG\/\d{8}\/eu-west-1\/kms\/aws4_request, /,
    );
  });

  it('start-up of the ESM build: one file of the package, no zod and no built-in a Disconnect does not use; zod on the first validation that needs it', async () => {
    writeFileSync(
      join(project, 'startup-esm.mjs'),
      // (node:module and worker_threads are the recording hook's own.)
      `const builtins = ['child_process', 'fs/promises', 'readline', 'http', 'https', 'tls'];
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const snapshot = async () => {
  await settle();
  const ours = globalThis.loadedUrls.filter((url) => url.includes('/kms-custom-key-store/'));
  return {
    files: ours.map((url) => url.slice(url.indexOf('/kms-custom-key-store/') + 22)),
    zod: globalThis.loadedUrls.some((url) => url.includes('/zod/')),
    builtins: builtins.filter((name) => process.moduleLoadList.includes('NativeModule ' + name)),
    // undici by require(), not through the ES module loader (which the hook sees): on Node 20
    // and 22 that loader's first CommonJS file starts a WebAssembly lexer, ~3 ms (issue 25).
    undiciThroughLoader: globalThis.loadedUrls.some((url) => url.includes('/undici/')),
    lexer: process.moduleLoadList.some((name) => name.includes('cjs-module-lexer')),
  };
};
const { KmsClient, KmsValidationError } = await import('kms-custom-key-store');
const report = { afterImport: await snapshot() };
const client = new KmsClient({ endpoint: process.env.KMS_URL });
await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
report.afterDisconnect = await snapshot();
const invalid = await client.disconnectCustomKeyStore('x'.repeat(65)).catch((error) => error);
report.validation = invalid instanceof KmsValidationError ? invalid.issues[0].code : String(invalid);
report.afterValidation = await snapshot();
await client.close();
console.log(JSON.stringify(report));`,
    );
    const out = JSON.parse(
      await runNode('startup-esm.mjs', project, env(), ['--import', './record.mjs']),
    );
    expect(out.afterImport).toEqual({
      files: ['dist/index.js'],
      zod: false,
      builtins: [],
      undiciThroughLoader: false,
      lexer: false,
    });
    expect(out.afterDisconnect.files).toEqual(['dist/index.js']);
    expect(out.afterDisconnect.undiciThroughLoader).toBe(false);
    expect(out.afterDisconnect.lexer).toBe(false);
    expect(out.afterDisconnect.zod).toBe(false);
    expect(out.afterDisconnect.builtins).not.toContain('child_process');
    expect(out.afterDisconnect.builtins).not.toContain('fs/promises');
    expect(out.validation).toBe('too_big');
    expect(out.afterValidation.zod).toBe(true);
    expect(out.afterValidation.files).toContain('dist/operations-schemas.js');
  });

  it('ESM build: dist/on-demand.js loads only for what needs it (never for the kill switch), bound to the entry own classes; a file of another build is refused', async () => {
    // The on-demand file holds the credential chain past the environment's keys, the fleet run
    // and the maintenance run; in it, the
    // entry's modules are bindings to the entry's own (issue 25). A copy would still pass
    // `instanceof` (error brands) but not `constructor ===`, and the credential chain would not
    // recognise its sources' failures.
    writeFileSync(
      join(project, 'aws-config-on-demand'),
      `[profile broken]\ncredential_process = ${JSON.stringify(process.execPath)} -e "process.exit(3)"\n`,
    );
    writeFileSync(
      join(project, 'on-demand-esm.mjs'),
      `const lib = await import('kms-custom-key-store');
const files = () => globalThis.loadedUrls
  .filter((url) => url.includes('/kms-custom-key-store/'))
  .map((url) => url.slice(url.indexOf('/kms-custom-key-store/') + 22));
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const report = {};
const client = new lib.KmsClient({ endpoint: process.env.KMS_URL });
await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
await settle();
report.afterDisconnect = files();
report.ensure = (await client.ensureDisconnected('cks-1234567890abcdef0')).action;
await settle();
report.afterEnsure = files();
report.zodAfterEnsure = globalThis.loadedUrls.some((url) => url.includes('/zod/'));
const invalid = await client.waitForConnectionState('cks-1234567890abcdef0', 'ONLINE').catch((error) => error);
report.waiterError = [invalid.constructor === lib.KmsValidationError, invalid.issues?.[0]?.path];
const missing = await client.ensureConnected('cks-missing000000000').catch((error) => error);
report.notFound = missing.constructor === lib.CustomKeyStoreNotFoundException;
const fleetInvalid = await lib.applyToFleet({ action: 'explode' }).catch((error) => error);
const maintainInvalid = await client.maintainCustomKeyStore({ customKeyStoreId: 'cks-1234567890abcdef0' }).catch((error) => error);
report.onDemandErrors = [fleetInvalid.constructor === lib.KmsValidationError, maintainInvalid.constructor === lib.KmsValidationError];
const record = await lib.applyToFleet({ action: 'disconnect', dryRun: true, regions: ['eu-west-1'], clientConfig: { endpoint: process.env.KMS_URL } });
report.fleet = [record.operation, record.dryRun, record.targets.length, record.failures.length];
await settle();
report.afterFleet = files();
const broken = new lib.KmsClient({ endpoint: process.env.KMS_URL, profile: 'broken' });
const failed = await broken.disconnectCustomKeyStore('cks-1234567890abcdef0').catch((error) => error);
report.process = [failed.constructor === lib.KmsConfigError, failed.sources?.map((s) => s.source), /exited with code 3/.test(failed.message)];
await Promise.all([client.close(), broken.close()]);
console.log(JSON.stringify(report));`,
    );
    const out = JSON.parse(
      await runNode(
        'on-demand-esm.mjs',
        project,
        { ...env(), AWS_CONFIG_FILE: join(project, 'aws-config-on-demand') },
        ['--import', './record.mjs'],
      ),
    );
    expect(out.afterDisconnect).toEqual(['dist/index.js']);
    expect(out.ensure).toBe('disconnected');
    // The kill switch's first ensureDisconnected waits for no other file, zod included.
    expect(out.afterEnsure).toEqual(['dist/index.js']);
    expect(out.zodAfterEnsure).toBe(false);
    expect(out.waiterError).toEqual([true, ['states', 0]]);
    expect(out.notFound).toBe(true);
    expect(out.onDemandErrors).toEqual([true, true]);
    expect(out.fleet).toEqual(['disconnect', true, 0, 0]);
    expect(out.afterFleet).toContain('dist/on-demand.js');
    expect(out.process).toEqual([true, ['env', 'process'], true]);

    // A dist/on-demand.js of another build (a broken install) is refused, never bound wrong.
    const refusal = await withOnDemandFileOfAnotherBuild('on-demand.js', async () => {
      writeFileSync(
        join(project, 'on-demand-mismatch.mjs'),
        `const lib = await import('kms-custom-key-store');
const error = await lib.applyToFleet({ action: 'disconnect', dryRun: true, regions: ['eu-west-1'], clientConfig: { endpoint: process.env.KMS_URL } }).catch((error) => error);
console.log(JSON.stringify(String(error?.message)));`,
      );
      return JSON.parse(await runNode('on-demand-mismatch.mjs', project, env()));
    });
    expect(refusal).toMatch(/not of the same build as dist\/index\.js/);
  });

  it('CommonJS build: dist/on-demand.cjs loads only for what needs it (never for the kill switch), bound to the entry own classes; a file of another build is refused', async () => {
    // As the ES module build's dist/on-demand.js, loaded by require(): dist/index.cjs was 261 KB
    // with everything in it, 15 M instructions more to compile at every start (issue 25).
    writeFileSync(
      join(project, 'aws-config-on-demand-cjs'),
      `[profile broken]\ncredential_process = ${JSON.stringify(process.execPath)} -e "process.exit(3)"\n`,
    );
    writeFileSync(
      join(project, 'on-demand-cjs.cjs'),
      `const lib = require('kms-custom-key-store');
const files = () => Object.keys(require.cache)
  .filter((path) => path.includes('/kms-custom-key-store/'))
  .map((path) => path.slice(path.indexOf('/kms-custom-key-store/') + 22));
(async () => {
  const report = {};
  const client = new lib.KmsClient({ endpoint: process.env.KMS_URL });
  await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
  report.afterDisconnect = files();
  report.ensure = (await client.ensureDisconnected('cks-1234567890abcdef0')).action;
  report.afterEnsure = files();
  const fleetInvalid = await lib.applyToFleet({ action: 'explode' }).catch((error) => error);
  const maintainInvalid = await client.maintainCustomKeyStore({ customKeyStoreId: 'cks-1234567890abcdef0' }).catch((error) => error);
  report.onDemandErrors = [fleetInvalid.constructor === lib.KmsValidationError, maintainInvalid.constructor === lib.KmsValidationError];
  const record = await lib.applyToFleet({ action: 'disconnect', dryRun: true, regions: ['eu-west-1'], clientConfig: { endpoint: process.env.KMS_URL } });
  report.fleet = [record.operation, record.dryRun, record.targets.length, record.failures.length];
  report.afterFleet = files();
  const broken = new lib.KmsClient({ endpoint: process.env.KMS_URL, profile: 'broken' });
  const failed = await broken.disconnectCustomKeyStore('cks-1234567890abcdef0').catch((error) => error);
  report.process = [failed.constructor === lib.KmsConfigError, failed.sources?.map((s) => s.source), /exited with code 3/.test(failed.message)];
  await Promise.all([client.close(), broken.close()]);
  console.log(JSON.stringify(report));
})();`,
    );
    const out = JSON.parse(
      await runNode(
        'on-demand-cjs.cjs',
        project,
        { ...env(), AWS_CONFIG_FILE: join(project, 'aws-config-on-demand-cjs') },
        noRequireEsm,
      ),
    );
    expect(out.afterDisconnect).toEqual(['dist/index.cjs']);
    expect(out.ensure).toBe('disconnected');
    expect(out.afterEnsure).toEqual(['dist/index.cjs']);
    expect(out.onDemandErrors).toEqual([true, true]);
    expect(out.fleet).toEqual(['disconnect', true, 0, 0]);
    expect(out.afterFleet).toEqual(['dist/index.cjs', 'dist/on-demand.cjs']);
    expect(out.process).toEqual([true, ['env', 'process'], true]);

    const refusal = await withOnDemandFileOfAnotherBuild('on-demand.cjs', async () => {
      writeFileSync(
        join(project, 'on-demand-mismatch.cjs'),
        `const lib = require('kms-custom-key-store');
lib.applyToFleet({ action: 'disconnect', dryRun: true, regions: ['eu-west-1'], clientConfig: { endpoint: process.env.KMS_URL } })
  .then(() => 'resolved', (error) => String(error?.message))
  .then((message) => console.log(JSON.stringify(message)));`,
      );
      return JSON.parse(await runNode('on-demand-mismatch.cjs', project, env(), noRequireEsm));
    });
    expect(refusal).toMatch(/not of the same build as dist\/index\.cjs/);
  });

  it('recognises errors across the ESM and CommonJS builds loaded in one process', async () => {
    writeFileSync(
      join(project, 'cross-build.mjs'),
      `import { createRequire } from 'node:module';
import * as esm from 'kms-custom-key-store';
const cjs = createRequire(import.meta.url)('kms-custom-key-store');
const names = ${JSON.stringify(errorClassNames)};
const options = { message: 'm', $fault: 'client', $metadata: { attempts: 1, totalRetryDelay: 0 } };
const make = (lib, name) => {
  switch (name) {
    case 'KmsError': case 'KmsConfigError': return new lib[name]('m');
    case 'KmsServiceException': return new lib[name]({ ...options, name: 'ThrottlingException' });
    case 'KmsValidationError': return new lib[name]('DisconnectCustomKeyStore', []);
    case 'KmsTimeoutError': return new lib[name]({ phase: 'call', timeoutMs: 1 });
    case 'KmsNetworkError': case 'KmsResponseError': return new lib[name]({ message: 'm' });
    case 'KmsWaiterError': return new lib[name]({ message: 'm', customKeyStoreId: 'cks-1', reason: 'timeout', expectedStates: [], elapsedMs: 0, polls: 0 });
    default: return new lib[name](options);
  }
};
const result = {};
for (const [from, to, label] of [[esm, cjs, 'esm->cjs'], [cjs, esm, 'cjs->esm']]) {
  if (from.KmsError === to.KmsError) throw new Error('one build loaded twice');
  for (const made of names) {
    // Which of the other build's classes this error is an instance of.
    result[label + ' ' + made] = names.filter((name) => make(from, made) instanceof to[name]);
  }
}
// A real call's error, thrown by the CommonJS client, caught with the ESM classes.
const client = new cjs.KmsClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
try { await client.disconnectCustomKeyStore(''); } catch (e) { result.thrown = [e instanceof esm.KmsValidationError, e instanceof esm.KmsError, e instanceof esm.KmsConfigError]; }
await client.close();
result.plain = [new Error('x') instanceof esm.KmsError, {} instanceof cjs.KmsError, null instanceof esm.KmsError];
console.log(JSON.stringify(result));`,
    );
    const out = JSON.parse(await runNode('cross-build.mjs', project, {}));
    const serviceSubclasses = errorClassNames.slice(
      2,
      errorClassNames.indexOf('KmsValidationError'),
    );
    for (const label of ['esm->cjs', 'cjs->esm']) {
      for (const made of errorClassNames) {
        const expected =
          made === 'KmsError'
            ? ['KmsError']
            : made === 'KmsServiceException'
              ? ['KmsError', 'KmsServiceException']
              : serviceSubclasses.includes(made)
                ? ['KmsError', 'KmsServiceException', made]
                : ['KmsError', made];
        expect(out[`${label} ${made}`], `${label} ${made}`).toEqual(expected);
      }
    }
    expect(out.thrown).toEqual([true, true, false]);
    expect(out.plain).toEqual([false, false, false]);
  });

  it('ships types that resolve under moduleResolution node16 and bundler', () => {
    const source = `import { KmsClient, type ResponseMetadata } from 'kms-custom-key-store';
import { startKmsEmulator } from 'kms-custom-key-store/emulator';
import { XksClient, type XksHealthStatus } from 'kms-custom-key-store/xks';
const client = new KmsClient({ region: 'eu-west-1' });
const xks = new XksClient({ uriEndpoint: 'https://xks.example.com', uriPath: '/kms/xks/v1', region: 'eu-west-1', credentials: { accessKeyId: 'A', rawSecretAccessKey: 'B' } });
const health: Promise<XksHealthStatus> = xks.getHealthStatus();
void health;
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

  it('every entry resolves to its types in every mode attw checks: node10, node16 (CJS and ESM), bundler', () => {
    // attw --pack exits non-zero on any problem; the JSON says what it checked.
    const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const report = JSON.parse(run('node', [attw, '--pack', root, '--format', 'json'], root));
    expect(report.analysis.problems).toEqual([]);
    expect(report.problems).toEqual({});
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const entries = Object.keys(manifest.exports);
    const checked = report.analysis.entrypoints as Record<
      string,
      { resolutions: Record<string, { resolution?: { fileName: string } }> }
    >;
    expect(Object.keys(checked).sort()).toEqual([...entries].sort());
    for (const entry of entries.filter((name) => name !== './package.json')) {
      const { resolutions } = checked[entry]!;
      expect(Object.keys(resolutions).sort(), entry).toEqual([
        'bundler',
        'node10',
        'node16-cjs',
        'node16-esm',
      ]);
      for (const [mode, { resolution }] of Object.entries(resolutions)) {
        expect(resolution?.fileName, `${entry} under ${mode}`).toMatch(/\.d\.c?ts$/);
      }
    }
  }, 180_000);

  it('the types compile for a consumer under moduleResolution node10 (CommonJS), every entry', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const entries = Object.keys(manifest.exports).filter((name) => name !== './package.json');
    const source = [
      ...entries.map(
        (entry, index) =>
          `import * as entry${index} from 'kms-custom-key-store${entry.slice(1)}';\nvoid entry${index};`,
      ),
      `import { KmsClient } from 'kms-custom-key-store';`,
      `import { emulatorCredentials } from 'kms-custom-key-store/emulator';`,
      `const client = new KmsClient({ region: 'eu-west-1', credentials: emulatorCredentials });`,
      `// @ts-expect-error the id must be a string or { customKeyStoreId }`,
      `void client.disconnectCustomKeyStore(42);`,
      '',
    ].join('\n');
    writeFileSync(join(project, 'check-node10.ts'), source);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    run(
      'node',
      [
        tsc,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--module',
        'commonjs',
        '--moduleResolution',
        'node10',
        '--target',
        'es2022',
        '--types',
        'node',
        '--typeRoots',
        join(root, 'node_modules', '@types'),
        'check-node10.ts',
      ],
      project,
    );
  }, 180_000);

  it('kms-custom-key-store/xks checks the software proxy through import and require', async () => {
    const script = (load: string) => `${load}
(async () => {
  const proxy = await startXksProxy({ hostname: 'xks.example.com' });
  try {
    const report = await checkXksProxy({
      uriEndpoint: 'https://xks.example.com',
      uriPath: proxy.uriPath,
      region: proxy.region,
      credentials: proxy.credentials[0],
      keyIds: ['xks-key-1'],
      ca: proxy.ca,
      connectTo: { ['xks.example.com:443']: '127.0.0.1:' + proxy.port },
      budgetMs: 5000,
      latencySamples: 2,
    });
    const client = new XksClient({ uriEndpoint: proxy.url, uriPath: proxy.uriPath, region: proxy.region,
      credentials: proxy.credentials[1], ca: proxy.ca, connectTo: proxy.connectTo, timeoutMs: 5000 });
    let caught = 'none';
    try { await client.getKeyMetadata('no-such-key'); }
    catch (e) { caught = e instanceof XksKeyNotFoundException && e instanceof KmsError ? e.name + ' ' + e.status : 'wrong'; }
    await client.close();
    const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
    console.log(JSON.stringify({ failed, caught }));
  } finally {
    await proxy.close();
  }
})();`;
    writeFileSync(
      join(project, 'xks-esm.mjs'),
      script(`import { checkXksProxy, XksClient, XksKeyNotFoundException } from 'kms-custom-key-store/xks';
import { KmsError } from 'kms-custom-key-store';
import { startXksProxy } from 'kms-custom-key-store/emulator';`),
    );
    writeFileSync(
      join(project, 'xks-cjs.cjs'),
      script(`const { checkXksProxy, XksClient, XksKeyNotFoundException } = require('kms-custom-key-store/xks');
const { KmsError } = require('kms-custom-key-store');
const { startXksProxy } = require('kms-custom-key-store/emulator');`),
    );
    const expected = { failed: [], caught: 'KeyNotFoundException 404' };
    expect(JSON.parse(await runNode('xks-esm.mjs', project, {}))).toEqual(expected);
    expect(JSON.parse(await runNode('xks-cjs.cjs', project, {}, noRequireEsm))).toEqual(expected);
  });

  it('the installed kms-cks runs xks check against the software proxy', async () => {
    const bin = join(project, 'node_modules', '.bin', 'kms-cks');
    const { startXksProxy } = await import('../../src/emulator/index.js');
    const proxy = await startXksProxy({ hostname: 'xks.example.com' });
    const caFile = join(project, 'xks-ca.pem');
    writeFileSync(caFile, proxy.ca!);
    try {
      const { stdout } = await promisify(execFile)(
        bin,
        [
          'xks',
          'check',
          '--json',
          '--endpoint',
          'https://xks.example.com',
          '--path',
          proxy.uriPath,
          '--region',
          proxy.region,
          '--access-key-id',
          proxy.credentials[0]!.accessKeyId,
          '--connect-to',
          `xks.example.com:443:127.0.0.1:${proxy.port}`,
          '--ca',
          caFile,
          '--key-id',
          'xks-key-1',
        ],
        {
          cwd: project,
          env: {
            PATH: process.env.PATH,
            HOME: project,
            KMS_CKS_XKS_SECRET: proxy.credentials[0]!.rawSecretAccessKey,
          },
        },
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(stdout) as { checks: { id: string; status: string }[] };
      // The 250 ms budget of a timed check may be missed on a loaded machine; nothing else fails.
      const failed = report.checks
        .filter((check) => check.status === 'fail')
        .map((check) => check.id);
      expect(failed.filter((id) => id !== 'health.signed' && id !== 'latency')).toEqual([]);
      expect(report.checks.length).toBeGreaterThan(25);
    } finally {
      await proxy.close();
    }
  });

  it('installs the kms-cks command, which runs and describes the emulator stores', async () => {
    const bin = join(project, 'node_modules', '.bin', 'kms-cks');
    const { stdout: version } = await promisify(execFile)(bin, ['--version'], { cwd: project });
    expect(version.trim()).toMatch(/^kms-cks \d+\.\d+\.\d+$/);
    // Through npm's link itself, with Node keeping the link's path as the main module's.
    const { stdout: linked } = await promisify(execFile)(
      process.execPath,
      ['--preserve-symlinks-main', bin, '--version'],
      { cwd: project },
    );
    expect(linked).toBe(version);
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

  it('the kms-cks command loads neither HTTP/2 nor TLS for a plain-http endpoint, and keeps a compile cache that later runs use', async () => {
    const bin = join(project, 'node_modules', '.bin', 'kms-cks');
    const cacheFolder = mkdtempSync(join(tmpdir(), 'kms-cks-pkg-cache-'));
    const report = join(cacheFolder, 'modules.json');
    const hook = join(cacheFolder, 'modules.cjs');
    writeFileSync(
      hook,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));`,
    );
    const { startKmsEmulator, emulatorCredentials } = await import('../../src/emulator/index.js');
    const emulator = await startKmsEmulator();
    const describeStores = async (nodeOptions: string) => {
      const { stdout } = await promisify(execFile)(bin, ['describe', '--json'], {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          HOME: project,
          NODE_OPTIONS: nodeOptions,
          NODE_COMPILE_CACHE: join(cacheFolder, 'cache'),
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_ENDPOINT_URL_KMS: emulator.url,
          AWS_REGION: emulator.region,
          AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
        },
      });
      return (JSON.parse(stdout) as { customKeyStores: unknown[] }).customKeyStores.length;
    };
    try {
      expect(await describeStores(`--require ${hook}`)).toBe(emulator.keyStores.size);
      const loaded = JSON.parse(readFileSync(report, 'utf8')) as string[];
      expect(loaded).toContain('NativeModule net');
      expect(loaded).not.toContain('NativeModule http2');
      expect(loaded).not.toContain('NativeModule tls');
      // Written at the first run's exit (by Node 22+ itself, by bin.cjs on Node 20).
      const cached = readdirSync(join(cacheFolder, 'cache'), { recursive: true });
      expect(cached.length).toBeGreaterThan(0);
      expect(await describeStores('')).toBe(emulator.keyStores.size);
    } finally {
      await emulator.close();
      rmSync(cacheFolder, { recursive: true, force: true });
    }
  });

  it('the installed kms-cks runs what its bundle loads on demand: zod for a validation error, the emulator command, a credential_process profile', async () => {
    const bin = join(project, 'node_modules', '.bin', 'kms-cks');
    const { emulatorCredentials } = await import('../../src/emulator/index.js');
    const emulator = spawn(bin, ['emulator', '--port', '0', '--region', 'eu-west-1'], {
      cwd: project,
      env: { PATH: process.env.PATH, HOME: project },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        emulator.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
          const found = /listening on (http:\/\/\S+)/.exec(text);
          if (found?.[1]) resolve(found[1]);
        });
        emulator.on('exit', (code) => reject(new Error(`emulator exited ${code}: ${text}`)));
      });
      const helper = join(project, 'credentials.cjs');
      writeFileSync(
        helper,
        `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: ${JSON.stringify(emulatorCredentials.accessKeyId)}, SecretAccessKey: ${JSON.stringify(emulatorCredentials.secretAccessKey)} }));`,
      );
      writeFileSync(
        join(project, 'config'),
        `[profile ops]\nregion = eu-west-1\ncredential_process = ${process.execPath} ${helper}\n`,
      );
      const env = {
        PATH: process.env.PATH,
        HOME: project,
        AWS_CONFIG_FILE: join(project, 'config'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_KMS: url,
      };
      const runBin = (args: string[]) =>
        promisify(execFile)(bin, args, { cwd: project, env }).then(
          ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );

      const described = await runBin(['--profile', 'ops', 'describe', '--json']);
      expect(described.code).toBe(0);
      expect(
        (JSON.parse(described.stdout) as { customKeyStores: unknown[] }).customKeyStores.length,
      ).toBeGreaterThan(0);
      const invalid = await runBin(['--profile', 'ops', 'disconnect', 'x'.repeat(70)]);
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toContain(
        'KmsValidationError: Invalid input: <id>: Too big: expected string to have <=64 characters',
      );
    } finally {
      emulator.kill('SIGTERM');
      const code = await new Promise((resolve) => emulator.once('exit', resolve));
      expect(code).toBe(0);
    }
  });

  it('ships source maps, with their sources, for the library entries and none for the kms-cks bundle', () => {
    const installedRoot = join(project, 'node_modules', 'kms-custom-key-store');
    const files = run('npm', ['pack', '--dry-run', '--json'], root);
    const listed: string[] = JSON.parse(files)[0].files.map((f: { path: string }) => f.path);
    expect(listed.filter((path) => path.startsWith('dist/cli/'))).toEqual([
      'dist/cli/bin.cjs',
      'dist/cli/cli.cjs',
    ]);
    expect(readFileSync(join(installedRoot, 'dist/cli/cli.cjs'), 'utf8')).not.toMatch(
      /sourceMappingURL/,
    );
    const code = listed.filter(
      (path) => /\.c?js$/.test(path) && !path.startsWith('dist/cli/') && path.startsWith('dist/'),
    );
    expect(code).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/emulator/index.js']),
    );
    for (const path of code) {
      const text = readFileSync(join(installedRoot, path), 'utf8');
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
      expect(url, path).toBe(`${path.split('/').pop()}.map`);
      const mapPath = join(path, '..', url!);
      expect(listed, path).toContain(mapPath);
      // src/ is not shipped: a map is of use only with the sources in it.
      const map = JSON.parse(readFileSync(join(installedRoot, mapPath), 'utf8'));
      expect(map.sourcesContent?.length, mapPath).toBe(map.sources.length);
      expect(map.sourcesContent.every((content: unknown) => typeof content === 'string')).toBe(
        true,
      );
    }
  });

  it('ships library files in pure ASCII, which V8 parses as one-byte text', () => {
    // One non-ASCII character (a dash in a kept doc comment) makes V8 decode and scan the whole
    // file as two-byte text: 12% more instructions to import the main entry (issue 25).
    const installedRoot = join(project, 'node_modules', 'kms-custom-key-store');
    const files = readdirSync(join(installedRoot, 'dist'), { recursive: true, encoding: 'utf8' })
      .filter((path) => /\.c?js$/.test(path))
      .map((path) => `dist/${path}`);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.cjs']));
    for (const path of files) {
      const text = readFileSync(join(installedRoot, path), 'utf8');
      const at = text.search(/[\u0080-\uffff]/);
      expect(at === -1 ? '' : text.slice(Math.max(0, at - 40), at + 40), path).toBe('');
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
