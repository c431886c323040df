/**
 * `kms-cks create`, `update` and `delete` against the emulator: exit codes, confirmation (on a
 * terminal, `--yes` without one), secrets only from a file, the environment or a hidden prompt,
 * hostile secret files refused, and no secret in any output.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  defaultCloudHsmClusterIds,
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  type KmsEmulatorOptions,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { exampleTrustAnchor } from '../../src/emulator/trust-anchor.js';
import { type CliRun, runCli } from '../cli/run.js';

const keyId = 'CLIKEY234567CLIKEY23';
const secret = 'Y2xpLXNlY3JldC1hY2Nlc3Mta2V5LWZvci10ZXN0cy1vbmx5LTAwMA==';
const password = 'cli-kmsuser-pw';
const secrets = [keyId, secret, password];

let emulator: KmsEmulator;
let folder: string;
let secretFile: string;
let passwordFile: string;

async function start(options: KmsEmulatorOptions = {}): Promise<void> {
  await emulator?.close();
  emulator = await startKmsEmulator({ transitionMs: 30, ...options });
}

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'kms-cks-secrets-'));
  secretFile = join(folder, 'xks-secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  passwordFile = join(folder, 'password');
  writeFileSync(passwordFile, password, { mode: 0o600 });
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

beforeEach(() => start());

afterEach(() => emulator.close());

/** Runs kms-cks and checks that no secret reached any output. */
async function cli(args: string[], options: Parameters<typeof runCli>[2] = {}): Promise<CliRun> {
  const run = await runCli(emulator, [...args, '--poll-interval', '10'].filter(Boolean), options);
  for (const value of secrets) {
    expect(run.stdout, `stdout of ${args.join(' ')}`).not.toContain(value);
    expect(run.stderr, `stderr of ${args.join(' ')}`).not.toContain(value);
  }
  expect(JSON.stringify(emulator.requests)).not.toContain(secret);
  expect(JSON.stringify(emulator.requests)).not.toContain(password);
  return run;
}

/** create/delete take no --poll-interval: the helper adds it only where it belongs. */
async function cliNoPoll(
  args: string[],
  options: Parameters<typeof runCli>[2] = {},
): Promise<CliRun> {
  const run = await runCli(emulator, args, options);
  for (const value of secrets) {
    expect(run.stdout).not.toContain(value);
    expect(run.stderr).not.toContain(value);
  }
  expect(JSON.stringify(emulator.requests)).not.toContain(secret);
  return run;
}

const mutations = () =>
  emulator.requests
    .map((request) => request.operation)
    .filter((operation) => operation !== 'DescribeCustomKeyStores');

const createXks = [
  'create',
  '--custom-key-store-name',
  'cli-xks',
  '--custom-key-store-type',
  'EXTERNAL_KEY_STORE',
  '--xks-proxy-uri-endpoint',
  'https://cli.xks.example.com',
  '--xks-proxy-uri-path',
  '/kms/xks/v1',
  '--xks-proxy-connectivity',
  'PUBLIC_ENDPOINT',
  '--xks-proxy-access-key-id',
  keyId,
];

describe('kms-cks create', () => {
  it('an external key store with the secret from a file: prints the new ID', async () => {
    const run = await cliNoPoll([...createXks, '--xks-proxy-secret-file', secretFile]);
    expect(run.code).toBe(0);
    const id = /^(cks-[0-9a-f]{17}): created, DISCONNECTED/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    const store = emulator.keyStores.get(id!)!;
    // The final line break of the file is not part of the secret.
    expect(store.xksProxyAuthenticationCredential?.rawSecretAccessKey).toBe(secret);
  });

  it('the secret from KMS_CKS_XKS_SECRET, --json', async () => {
    const run = await cliNoPoll([...createXks, '--json'], { env: { KMS_CKS_XKS_SECRET: secret } });
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as { customKeyStoreId: string; $metadata: object };
    expect(output.customKeyStoreId).toMatch(/^cks-/);
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200 });
  });

  it('the secret from a hidden prompt on a terminal', async () => {
    const questions: string[] = [];
    const run = await cliNoPoll(createXks, {
      isTTY: true,
      promptSecret: async (question) => {
        questions.push(question);
        return secret;
      },
    });
    expect(run.code).toBe(0);
    expect(questions).toEqual(['XKS proxy secret access key (not shown): ']);
  });

  it('no secret source and no terminal: exit 2, nothing sent', async () => {
    const run = await cliNoPoll(createXks);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--xks-proxy-secret-file FILE or set KMS_CKS_XKS_SECRET/);
    expect(emulator.requests).toHaveLength(0);
  });

  it('a CloudHSM key store: the trust anchor from file://, the password from a file', async () => {
    const anchorFile = join(folder, 'customerCA.crt');
    writeFileSync(anchorFile, exampleTrustAnchor);
    const run = await cliNoPoll([
      'create',
      '--custom-key-store-name',
      'cli-hsm',
      '--cloud-hsm-cluster-id',
      defaultCloudHsmClusterIds.spare,
      '--trust-anchor-certificate',
      `file://${anchorFile}`,
      '--key-store-password-file',
      passwordFile,
    ]);
    expect(run.code).toBe(0);
    const id = run.stdout.slice(0, 21);
    expect(emulator.keyStores.get(id)?.keyStorePassword).toBe(password);
  });

  it('a KMS error: exit 1 with its name', async () => {
    const run = await cliNoPoll(
      [...createXks.map((arg) => (arg === 'cli-xks' ? 'orders-xks' : arg))],
      { env: { KMS_CKS_XKS_SECRET: secret } },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^CustomKeyStoreNameInUseException: /);
  });

  it('invalid input (a model pattern): exit 2 naming the field, nothing sent', async () => {
    const run = await cliNoPoll(
      createXks.map((arg) => (arg === '/kms/xks/v1' ? '/not-a-path' : arg)),
      { env: { KMS_CKS_XKS_SECRET: secret } },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/xksProxyUriPath/);
    expect(emulator.requests).toHaveLength(0);
  });

  it('refuses hostile secret files, without reading or printing them, and sends nothing', async () => {
    const fifo = join(folder, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const big = join(folder, 'big');
    writeFileSync(big, 'A'.repeat(5000), { mode: 0o600 });
    const shared = join(folder, 'shared');
    writeFileSync(shared, secret);
    chmodSync(shared, 0o666);
    const theirs = join(folder, 'theirs');
    writeFileSync(theirs, secret, { mode: 0o600 });
    const runningAsRoot = process.getuid?.() === 0;
    if (runningAsRoot) chownSync(theirs, 12345, 12345);
    const cases: [string, RegExp][] = [
      [fifo, /not a regular file/],
      [folder, /not a regular file/],
      [big, /larger than 4096 bytes/],
      [shared, /writable by group or others/],
      [join(folder, 'missing'), /cannot open .*ENOENT/],
      ...(runningAsRoot ? [[theirs, /belongs to another user/] as [string, RegExp]] : []),
    ];
    for (const [file, message] of cases) {
      const run = await cliNoPoll([...createXks, '--xks-proxy-secret-file', file]);
      expect(run.code, file).toBe(2);
      expect(run.stderr, file).toMatch(message);
    }
    expect(emulator.requests).toHaveLength(0);
  });

  it('a secret typed as a stray argument is not echoed back', async () => {
    const run = await cliNoPoll(['update', defaultKeyStoreIds.externalPublic, secret]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unexpected argument number 2/);
  });
});

describe('kms-cks update (the maintenance run)', () => {
  it('a credential rotation on a CONNECTED store: in place, no confirmation needed', async () => {
    const run = await cli([
      'update',
      defaultKeyStoreIds.externalPublic,
      '--xks-proxy-access-key-id',
      keyId,
      '--xks-proxy-secret-file',
      secretFile,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /xksProxyAuthenticationCredential: updated in place, no disconnect; CONNECTED -> CONNECTED/,
    );
    expect(mutations()).toEqual(['UpdateCustomKeyStore']);
    expect(
      emulator.keyStores.get(defaultKeyStoreIds.externalPublic)!.xksProxyAuthenticationCredential
        ?.rawSecretAccessKey,
    ).toBe(secret);
  });

  it('a change that needs a disconnect: refused without a terminal and without --yes (Describe only)', async () => {
    const args = [
      'update',
      defaultKeyStoreIds.externalPublic,
      '--xks-proxy-uri-endpoint',
      'https://moved.example.com',
    ];
    const refused = await cli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to disconnect .* without confirmation.*--yes/);
    expect(mutations()).toEqual([]);

    const done = await cli([...args, '--yes', '--wait', '--json']);
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout) as {
      stateBefore: string;
      stateAfter: string;
      steps: { action: string; requestId?: string }[];
    };
    expect(report.stateBefore).toBe('CONNECTED');
    expect(report.stateAfter).toBe('CONNECTED');
    expect(report.steps.map((step) => step.action)).toEqual([
      'describe',
      'disconnect',
      'wait',
      'update',
      'connect',
      'wait',
    ]);
    expect(report.steps.every((step) => typeof step.requestId === 'string')).toBe(true);
  });

  it('asks once on a terminal: no sends nothing (exit 1), yes goes on', async () => {
    const args = ['update', defaultKeyStoreIds.cloudHsm, '--key-store-password-file', passwordFile];
    const questions: string[] = [];
    const declined = await cli(args, {
      isTTY: true,
      prompt: async (question) => {
        questions.push(question);
        return 'n';
      },
    });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toMatch(/Not confirmed: nothing sent/);
    expect(questions).toEqual([
      `Disconnect ${defaultKeyStoreIds.cloudHsm} (CONNECTED) to update keyStorePassword, then connect it again? [y/N] `,
    ]);
    expect(mutations()).toEqual([]);
    const accepted = await cli([...args, '--wait'], { isTTY: true, prompt: async () => 'y' });
    expect(accepted.code).toBe(0);
    expect(mutations()).toEqual([
      'DisconnectCustomKeyStore',
      'UpdateCustomKeyStore',
      'ConnectCustomKeyStore',
    ]);
    expect(emulator.keyStores.get(defaultKeyStoreIds.cloudHsm)!.connectionState).toBe('CONNECTED');
  });

  it('--no-reconnect leaves it DISCONNECTED; without --wait the Connect is not waited for', async () => {
    const noReconnect = await cli(
      [
        'update',
        defaultKeyStoreIds.cloudHsm,
        '--change-key-store-password',
        '--no-reconnect',
        '--yes',
      ],
      { env: { KMS_CKS_KEY_STORE_PASSWORD: password } },
    );
    expect(noReconnect.code).toBe(0);
    expect(noReconnect.stdout).toMatch(/CONNECTED -> DISCONNECTED/);
    expect(mutations()).toEqual(['DisconnectCustomKeyStore', 'UpdateCustomKeyStore']);
  });

  it('--no-disconnect refuses when a disconnect is needed: exit 2, nothing changed', async () => {
    const run = await cli([
      'update',
      defaultKeyStoreIds.externalVpc,
      '--xks-proxy-uri-endpoint',
      'https://moved.example.com',
      '--no-disconnect',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/xksProxyUriEndpoint: needs the store DISCONNECTED/);
    expect(mutations()).toEqual([]);
  });

  it('a failing update is rolled back: exit 1, the steps on stdout (the record), the typed error last on stderr', async () => {
    await start({
      xksProxyProbe: async () => ({ error: 'XksProxyIncorrectAuthenticationCredentialException' }),
    });
    const run = await cli(
      [
        'update',
        defaultKeyStoreIds.externalPublic,
        '--xks-proxy-uri-endpoint',
        'https://moved.example.com',
        '--xks-proxy-access-key-id',
        keyId,
        '--yes',
        '--wait',
      ],
      { env: { KMS_CKS_XKS_SECRET: secret } },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed; the store was connected again; CONNECTED -> CONNECTED/);
    expect(run.stdout).toMatch(/rollback connect/);
    expect(run.stdout).toMatch(
      /KMS accepted: DisconnectCustomKeyStore \(request [\w-]+\), ConnectCustomKeyStore \(rollback\) \(request [\w-]+\): these stand\./,
    );
    expect(run.stderr).toMatch(/^XksProxyIncorrectAuthenticationCredentialException: .*\n$/m);
    expect(mutations()).toEqual([
      'DisconnectCustomKeyStore',
      'UpdateCustomKeyStore',
      'ConnectCustomKeyStore',
    ]);
  });

  it('usage mistakes: exit 2 before anything is sent', async () => {
    for (const args of [
      ['update', defaultKeyStoreIds.externalPublic],
      ['update', defaultKeyStoreIds.externalPublic, '--xks-proxy-secret-file', secretFile],
      [
        'update',
        defaultKeyStoreIds.externalPublic,
        '--wait',
        '--no-reconnect',
        '--xks-proxy-uri-path',
        '/x/kms/xks/v1',
      ],
    ]) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
    }
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('kms-cks delete', () => {
  it('needs --yes without a terminal; deletes a DISCONNECTED store', async () => {
    const id = defaultKeyStoreIds.failingExternal;
    const refused = await cliNoPoll(['delete', id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to delete .* Add --yes/);
    expect(emulator.requests).toHaveLength(0);
    const done = await cliNoPoll(['delete', id, '--yes', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ customKeyStoreId: id, deleted: true });
    expect(emulator.keyStores.has(id)).toBe(false);
  });

  it('prints the request ID of the accepted Delete', async () => {
    const id = defaultKeyStoreIds.failingExternal;
    const run = await cliNoPoll(['delete', id, '--yes']);
    expect(run.code).toBe(0);
    const deleted = emulator.requests.find((r) => r.operation === 'DeleteCustomKeyStore')!;
    expect(run.stdout).toBe(`${id}: deleted (request ${deleted.requestId})\n`);
  });

  it('Ctrl-C while the Delete is in flight: stderr says it was sent and its outcome is unknown (exit 130)', async () => {
    const id = defaultKeyStoreIds.failingExternal;
    emulator.injectFaults({ kind: 'delay', operation: 'DeleteCustomKeyStore', delayMs: 2_000 });
    const controller = new AbortController();
    const running = cliNoPoll(['delete', id, '--yes', '--json'], { signal: controller.signal });
    // The delay is taken off the queue when the Delete arrives: it is then in flight.
    await vi.waitFor(() => expect(emulator.pendingFaults).toHaveLength(0), { timeout: 5_000 });
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(
      `DeleteCustomKeyStore of ${id} was sent and in flight when interrupted: its outcome is unknown.`,
    );
    expect(JSON.parse(run.stdout)).toEqual({
      interrupted: true,
      customKeyStoreId: id,
      requests: [{ operation: 'DeleteCustomKeyStore', outcome: 'unknown' }],
    });
  });

  it('asks on a terminal; a CONNECTED store is refused by KMS (exit 1)', async () => {
    const id = defaultKeyStoreIds.externalPublic;
    const declined = await cliNoPoll(['delete', id], { isTTY: true, prompt: async () => '' });
    expect(declined.code).toBe(1);
    expect(emulator.requests).toHaveLength(0);
    const refused = await cliNoPoll(['delete', id], { isTTY: true, prompt: async () => 'yes' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^CustomKeyStoreInvalidStateException: /);
  });
});

describe('kms-cks update and delete under least privilege', () => {
  const limitedKeys = { accessKeyId: 'AKIDLIMITEDCLI000001', secretAccessKey: 'limited-secret' };

  /** An emulator that also accepts a credential allowed only `actions`; runs kms-cks with it. */
  async function allow(actions: string[]): Promise<void> {
    await start({ credentials: [{ ...emulatorCredentials }, { ...limitedKeys, actions }] });
  }
  const asLimited = { clientConfig: { credentials: limitedKeys } };
  const requestIdOf = (operation: string) =>
    emulator.requests.find((request) => request.operation === operation && !request.errorType)
      ?.requestId;

  it('Describe denied: a credential rotation is sent alone and says the state is unknown (exit 0)', async () => {
    await allow([
      'kms:UpdateCustomKeyStore',
      'kms:DisconnectCustomKeyStore',
      'kms:ConnectCustomKeyStore',
    ]);
    const run = await cli(
      [
        'update',
        defaultKeyStoreIds.externalPublic,
        '--xks-proxy-access-key-id',
        keyId,
        '--xks-proxy-secret-file',
        secretFile,
      ],
      asLimited,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /: xksProxyAuthenticationCredential: updated \(sent alone: state unknown\); unknown -> unknown/,
    );
    expect(run.stdout).toMatch(
      /describe .*failed .*AccessDeniedException {2}\(this identity lacks kms:DescribeCustomKeyStores\)/,
    );
    expect(run.stdout).toContain(`request ${requestIdOf('UpdateCustomKeyStore')}`);
    expect(run.stdout).toMatch(
      /state unknown: DescribeCustomKeyStores denied \(AccessDeniedException\): the Update was sent alone, without a disconnect/,
    );
    expect(mutations()).toEqual(['UpdateCustomKeyStore']);
  });

  it('Update only: a change that needs DISCONNECTED on a CONNECTED store is refused by KMS; says nothing changed and what to do (exit 1)', async () => {
    await allow(['kms:UpdateCustomKeyStore']);
    const args = [
      'update',
      defaultKeyStoreIds.externalPublic,
      '--xks-proxy-uri-endpoint',
      'https://moved.example.com',
    ];
    const run = await cli(args, asLimited);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /update of xksProxyUriEndpoint did not complete: nothing was changed/,
    );
    expect(run.stdout).toMatch(/KMS accepted no Disconnect, Update or Connect of this run\./);
    expect(run.stdout).toMatch(
      /KMS refused the Update: xksProxyUriEndpoint needs the store DISCONNECTED, and it is not\. Without kms:DescribeCustomKeyStores the run does not disconnect it .*'kms-cks disconnect cks-0123456789abcdef0'/,
    );
    expect(run.stderr).toMatch(/^CustomKeyStoreInvalidStateException: /m);
    expect(mutations()).toEqual(['UpdateCustomKeyStore']);
    expect(emulator.keyStores.get(defaultKeyStoreIds.externalPublic)!.connectionState).toBe(
      'CONNECTED',
    );
  });

  it('Connect denied after a disconnect and an update: the accepted requests with their IDs, the state left, exit 1; --json is one document', async () => {
    await allow([
      'kms:DescribeCustomKeyStores',
      'kms:UpdateCustomKeyStore',
      'kms:DisconnectCustomKeyStore',
    ]);
    const args = [
      'update',
      defaultKeyStoreIds.externalPublic,
      '--xks-proxy-uri-endpoint',
      'https://moved.example.com',
      '--yes',
      '--wait',
    ];
    const run = await cli(args, asLimited);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `KMS accepted: DisconnectCustomKeyStore (request ${requestIdOf('DisconnectCustomKeyStore')}), UpdateCustomKeyStore (request ${requestIdOf('UpdateCustomKeyStore')}): these stand.`,
    );
    expect(run.stdout).toMatch(
      /The store is left DISCONNECTED with the update applied: the run's Connect was denied \(this identity lacks kms:ConnectCustomKeyStore\)\. Connect it with 'kms-cks connect cks-0123456789abcdef0 --wait'/,
    );
    expect(run.stdout).not.toMatch(/connected again|rolled/);
    expect(run.stderr).toMatch(/^AccessDeniedException: .*kms:ConnectCustomKeyStore/m);

    await allow([
      'kms:DescribeCustomKeyStores',
      'kms:UpdateCustomKeyStore',
      'kms:DisconnectCustomKeyStore',
    ]);
    const json = await cli([...args, '--json'], asLimited);
    expect(json.code).toBe(1);
    const record = JSON.parse(json.stdout);
    expect(record).toMatchObject({
      customKeyStoreId: defaultKeyStoreIds.externalPublic,
      error: { name: 'AccessDeniedException', missingPermission: 'kms:ConnectCustomKeyStore' },
      maintenanceReport: {
        outcome: 'updated',
        reconnected: false,
        stateAfter: 'DISCONNECTED',
        accepted: [
          {
            operation: 'DisconnectCustomKeyStore',
            requestId: requestIdOf('DisconnectCustomKeyStore'),
          },
          { operation: 'UpdateCustomKeyStore', requestId: requestIdOf('UpdateCustomKeyStore') },
        ],
      },
    });
  });

  it('delete denied: not deleted, the request ID and the missing permission; --json one document', async () => {
    await allow(['kms:DescribeCustomKeyStores']);
    const id = defaultKeyStoreIds.failingExternal;
    const run = await cliNoPoll(['delete', id, '--yes'], asLimited);
    expect(run.code).toBe(1);
    const denied = emulator.requests.find((r) => r.operation === 'DeleteCustomKeyStore')!;
    expect(run.stdout).toBe(
      `${id}: not deleted: DeleteCustomKeyStore refused (request ${denied.requestId}): this identity lacks kms:DeleteCustomKeyStore\n`,
    );
    expect(run.stderr).toMatch(/^AccessDeniedException: /);
    const json = await cliNoPoll(['delete', id, '--yes', '--json'], asLimited);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      customKeyStoreId: id,
      requests: [
        { operation: 'DeleteCustomKeyStore', outcome: 'refused', requestId: expect.any(String) },
      ],
      error: { name: 'AccessDeniedException', missingPermission: 'kms:DeleteCustomKeyStore' },
    });
    expect(emulator.keyStores.has(id)).toBe(true);
  });
});

describe('kms-cks update interrupted', () => {
  it('Ctrl-C after KMS accepted the Disconnect: the record on stdout, the accepted request on stderr, exit 130', async () => {
    await start({ transitionMs: 60_000 });
    const id = defaultKeyStoreIds.externalPublic;
    const controller = new AbortController();
    const running = cli(
      ['update', id, '--xks-proxy-uri-endpoint', 'https://moved.example.com', '--yes'],
      { signal: controller.signal },
    );
    await vi.waitFor(
      () =>
        expect(
          emulator.requests.filter((r) => r.operation === 'DescribeCustomKeyStores').length,
        ).toBeGreaterThanOrEqual(2),
      { timeout: 5_000 },
    );
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    const requestId = emulator.requests.find(
      (r) => r.operation === 'DisconnectCustomKeyStore',
    )!.requestId;
    expect(run.stdout).toContain(
      `KMS accepted: DisconnectCustomKeyStore (request ${requestId}): these stand.`,
    );
    expect(run.stderr).toContain(
      `KMS had accepted DisconnectCustomKeyStore of ${id} (request ${requestId}) before the interruption: it stands.`,
    );
    expect(mutations()).toEqual(['DisconnectCustomKeyStore']);
  });

  it('--json: Ctrl-C gives one document with the run report and what KMS accepted', async () => {
    await start({ transitionMs: 60_000 });
    const id = defaultKeyStoreIds.cloudHsm;
    const controller = new AbortController();
    const running = cli(['update', id, '--change-key-store-password', '--yes', '--json'], {
      signal: controller.signal,
      env: { KMS_CKS_KEY_STORE_PASSWORD: password },
    });
    await vi.waitFor(
      () =>
        expect(
          emulator.requests.filter((r) => r.operation === 'DescribeCustomKeyStores').length,
        ).toBeGreaterThanOrEqual(2),
      { timeout: 5_000 },
    );
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({
      interrupted: true,
      customKeyStoreId: id,
      maintenanceReport: {
        accepted: [
          {
            operation: 'DisconnectCustomKeyStore',
            requestId: emulator.requests.find((r) => r.operation === 'DisconnectCustomKeyStore')!
              .requestId,
          },
        ],
      },
    });
  });
});
