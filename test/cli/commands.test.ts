/**
 * kms-cks commands run in-process (`main(argv, io)`) against the emulator: output in table and
 * JSON form, the live progress line, and the exit codes.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/program.js';
import {
  breakGlassCredentials,
  defaultKeyStoreIds,
  emulatorCredentials,
} from '../../src/emulator/index.js';
import { startLoopbackServer } from '../helpers/loopback.js';
import { type Harness, requestsFor, startHarness } from '../waiter/harness.js';
import { capture, runCli } from './run.js';

const xks = defaultKeyStoreIds.externalPublic;
const fast = ['--poll-interval', '20ms'];
const noStackTrace = /^\s+at /m;

let harness: Harness;

beforeEach(async () => {
  harness = await startHarness();
});

afterEach(async () => {
  await harness.close();
});

const cli = (args: string[], options?: Parameters<typeof runCli>[2]) =>
  runCli(harness.emulator, args, options);

describe('kms-cks warnings', () => {
  it('says on stderr that it corrected a skewed clock and retried; the command still succeeds', async () => {
    harness.emulator.setClockOffset(20 * 60_000);
    const { code, stdout, stderr } = await cli(['describe', '--json']);
    expect(code).toBe(0);
    const { customKeyStores } = JSON.parse(stdout) as { customKeyStores: unknown[] };
    expect(customKeyStores).toHaveLength(harness.emulator.keyStores.size);
    expect(stderr.split('\n')).toEqual([
      expect.stringMatching(
        /^kms-cks: kms: local clock is -1[12]\d\d s off the server's; signing with a corrected clock$/,
      ),
      'kms-cks: kms DescribeCustomKeyStores: InvalidSignatureException on attempt 1/3, retrying in 0 ms',
      '',
    ]);
  });
});

describe('kms-cks describe', () => {
  it('prints every store as an aligned table', async () => {
    const { code, stdout, stderr } = await cli(['describe']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    // The table, then (a store being FAILED) what to check for it.
    const [table, hints] = stdout.split('\n\n');
    const lines = table!.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + harness.emulator.keyStores.size);
    expect(hints).toBe(
      [
        'What to check:',
        'cks-failed00000000001  XKS_PROXY_NOT_REACHABLE: KMS could not reach the proxy, or every external key manager behind it is UNAVAILABLE: check XksProxyUriEndpoint (DNS, port, firewall) and that the proxy and its key managers are up',
        'Once fixed: kms-cks connect cks-failed00000000001 --reset-failed --wait (disconnects, then connects again)',
        '',
      ].join('\n'),
    );
    const header = lines[0]!;
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'TYPE', 'STATE', 'ERROR', 'CREATED']);
    // Each column starts at the same offset on every line.
    const starts = ['NAME', 'TYPE', 'STATE', 'ERROR', 'CREATED'].map((title) =>
      header.indexOf(title),
    );
    for (const line of lines.slice(1)) {
      for (const start of starts) {
        expect(line[start - 1]).toBe(' ');
        expect(line[start]).not.toBe(' ');
      }
    }
    const orders = lines.find((line) => line.startsWith(xks))!;
    expect(orders.split(/\s{2,}/)).toEqual([
      xks,
      'orders-xks',
      'EXTERNAL_KEY_STORE',
      'CONNECTED',
      '-',
      '2024-03-12T09:14:07Z',
    ]);
    const broken = lines.find((line) => line.startsWith('cks-failed00000000001'))!;
    expect(broken.split(/\s{2,}/).slice(3, 5)).toEqual(['FAILED', 'XKS_PROXY_NOT_REACHABLE']);
  });

  it('prints {"customKeyStores": [...]} with --json', async () => {
    const { code, stdout } = await cli(['describe', '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { customKeyStores: Record<string, unknown>[] };
    expect(parsed.customKeyStores).toHaveLength(harness.emulator.keyStores.size);
    expect(parsed.customKeyStores.find((entry) => entry.customKeyStoreId === xks)).toMatchObject({
      customKeyStoreName: 'orders-xks',
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      connectionState: 'CONNECTED',
      creationDate: '2024-03-12T09:14:07.512Z',
      xksProxyConfiguration: { connectivity: 'PUBLIC_ENDPOINT' },
    });
  });

  it('shows one store by ID or by --name', async () => {
    const byId = await cli(['describe', xks]);
    expect(byId.code).toBe(0);
    expect(byId.stdout.trimEnd().split('\n')).toHaveLength(2);
    const byName = await cli(['describe', '--name', 'payments-hsm', '--json']);
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.stdout).customKeyStores).toMatchObject([
      { customKeyStoreId: defaultKeyStoreIds.cloudHsm, customKeyStoreType: 'AWS_CLOUDHSM' },
    ]);
    expect(requestsFor(harness.emulator, 'DescribeCustomKeyStores').map((r) => r.input)).toEqual([
      { CustomKeyStoreId: xks },
      { CustomKeyStoreName: 'payments-hsm' },
    ]);
  });

  it('exits 1 with the KMS error name and message for an unknown store', async () => {
    const { code, stdout, stderr } = await cli(['describe', 'cks-doesnotexist']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    // Where it looked, so that a wrong region, profile or endpoint shows at once.
    expect(stderr).toBe(
      `CustomKeyStoreNotFoundException: Custom key store cks-doesnotexist does not exist in this account and Region. (looked in region us-east-1, profile default, endpoint ${harness.emulator.url}/)\n`,
    );
  });

  it('not found, for an argument that is not an ID: suggests --name; --json gives one error document on stdout', async () => {
    const { code, stdout, stderr } = await cli(['disconnect', 'orders-xks', '--json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^CustomKeyStoreNotFoundException: .*\(looked in region us-east-1, profile default, endpoint http:\/\/127\.0\.0\.1:\d+\/\)\. 'orders-xks' does not look like a custom key store ID \(cks-…\): to find a store by its name, run kms-cks describe --name 'orders-xks'\n$/,
    );
    const document = JSON.parse(stdout);
    expect(document).toEqual({
      customKeyStoreId: 'orders-xks',
      requests: [
        {
          operation: 'DisconnectCustomKeyStore',
          outcome: 'refused',
          requestId: requestsFor(harness.emulator, 'DisconnectCustomKeyStore')[0]!.requestId,
        },
      ],
      error: {
        name: 'CustomKeyStoreNotFoundException',
        message: expect.stringContaining("kms-cks describe --name 'orders-xks'"),
        code: 'CustomKeyStoreNotFoundException',
        requestId: requestsFor(harness.emulator, 'DisconnectCustomKeyStore')[0]!.requestId,
      },
    });
  });

  it('--json: a usage error is one JSON document on stdout too', async () => {
    const { code, stdout, stderr } = await cli(['disconnect', '--json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^kms-cks: missing <id>/);
    expect(JSON.parse(stdout)).toEqual({
      error: { name: 'UsageError', message: 'missing <id> (or --all for every selected store)' },
    });
  });

  it('exits 2 for an ID and --name together, sending nothing', async () => {
    const { code, stderr } = await cli(['describe', xks, '--name', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^kms-cks: give an <id> or --name, not both\nUsage: kms-cks describe/);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('exits 2 with the usage for an input KMS would reject (a 65-character ID)', async () => {
    const { code, stderr } = await cli(['describe', 'c'.repeat(65)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^KmsValidationError: Invalid input for DescribeCustomKeyStores/);
    expect(stderr).toMatch(/Usage: kms-cks describe/);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('exits 3 when a call times out', async () => {
    harness.emulator.injectFaults({ kind: 'delay', delayMs: 5_000 });
    const { code, stderr } = await cli(['describe'], {
      clientConfig: { requestTimeoutMs: 200, maxAttempts: 1 },
    });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^TimeoutError: /);
  });
});

describe('kms-cks disconnect', () => {
  it('--wait shows each state on its own line when not a terminal, and exits 0', async () => {
    const { code, stdout, stderr } = await cli(['disconnect', xks, '--wait', ...fast]);
    expect(code).toBe(0);
    expect(stderr).not.toContain('\r');
    const states = stderr
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/\s{2,}/));
    expect(states.map((parts) => parts[0])).toEqual(states.map(() => xks));
    // Disconnect first, then the states: DISCONNECTING is the first one read.
    expect(states.map((parts) => parts[1])).toEqual(['DISCONNECTING', 'DISCONNECTED']);
    for (const parts of states) expect(parts[2]).toMatch(/^\d+ms$|^\d+\.\ds$/);
    const requestId = requestsFor(harness.emulator, 'DisconnectCustomKeyStore')[0]!.requestId;
    expect(stdout).toBe(
      `${xks}: disconnected, now DISCONNECTED after ${/after (\S+) /.exec(stdout)?.[1]} (request ${requestId})\n`,
    );
    expect(harness.emulator.keyStores.get(xks)!.connectionState).toBe('DISCONNECTED');
  });

  it('--wait on a terminal rewrites one live line and ends it with a newline', async () => {
    const { code, stderr } = await cli(['disconnect', xks, '--wait', ...fast], { isTTY: true });
    expect(code).toBe(0);
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd()).not.toContain('\n');
    const frames = stderr.trimEnd().split('\r\u001b[2K').filter(Boolean);
    expect(frames.some((frame) => frame.startsWith(`${xks}  DISCONNECTING  `))).toBe(true);
    expect(frames.at(-1)).toMatch(new RegExp(`^${xks}  DISCONNECTED  (\\d+ms|\\d+\\.\\ds)$`));
  });

  it('is idempotent: a second run is refused by KMS as already done, and exits 0', async () => {
    expect((await cli(['disconnect', xks, '--wait', ...fast])).code).toBe(0);
    const second = await cli(['disconnect', xks]);
    expect(second.code).toBe(0);
    const sent = requestsFor(harness.emulator, 'DisconnectCustomKeyStore');
    expect(sent.map((request) => request.status)).toEqual([200, 400]);
    expect(second.stdout).toBe(
      `${xks}: already DISCONNECTED, nothing to do: KMS refused the request as such (request ${sent[1]!.requestId})\n`,
    );
  });

  it('prints the result as JSON with --json, and no progress without --wait', async () => {
    const { code, stdout, stderr } = await cli(['disconnect', xks, '--json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toMatchObject({
      customKeyStoreId: xks,
      action: 'disconnected',
      state: 'DISCONNECTING',
      entry: { customKeyStoreId: xks, connectionState: 'DISCONNECTING' },
      requestId: requestsFor(harness.emulator, 'DisconnectCustomKeyStore')[0]!.requestId,
      elapsedMs: expect.any(Number),
    });
  });

  it('exits 3 with the last state when --timeout passes first', async () => {
    const { code, stderr } = await cli([
      'disconnect',
      'cks-stuck0000000000001',
      '--wait',
      '--timeout',
      '300ms',
      ...fast,
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /KmsWaiterError: Custom key store cks-stuck0000000000001 did not reach DISCONNECTED within 300 ms \(last state: DISCONNECTING\)\n$/,
    );
    expect(stderr).not.toMatch(noStackTrace);
  });

  it('exits 130 when interrupted while waiting', async () => {
    const controller = new AbortController();
    const running = cli(['disconnect', 'cks-stuck0000000000001', '--wait', ...fast], {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(harness.emulator.requests.length).toBeGreaterThanOrEqual(2));
    controller.abort(new Error('SIGINT'));
    const { code, stderr } = await running;
    expect(code).toBe(130);
    expect(stderr).toMatch(/Interrupted\.\n$/);
  });
});

describe('kms-cks connect', () => {
  it('--wait connects a DISCONNECTED store and exits 0', async () => {
    const { code, stdout, stderr } = await cli([
      'connect',
      'cks-idle00000000000001',
      '--wait',
      ...fast,
    ]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/CONNECTING/);
    expect(stdout).toMatch(/^cks-idle00000000000001: connected, now CONNECTED after /);
  });

  it('exits 1 for a FAILED store, naming its error code and --reset-failed', async () => {
    const { code, stderr } = await cli(['connect', 'cks-failed00000000001']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^KmsWaiterError: Custom key store cks-failed00000000001 is FAILED \(XKS_PROXY_NOT_REACHABLE\);.*--reset-failed/,
    );
    expect(stderr).toContain(
      '\nWhat to check (XKS_PROXY_NOT_REACHABLE): KMS could not reach the proxy, or every external key manager behind it is UNAVAILABLE',
    );
    expect(stderr).toMatch(
      /\nOnce fixed: kms-cks connect cks-failed00000000001 --reset-failed --wait .*\n$/,
    );
    expect(requestsFor(harness.emulator, 'ConnectCustomKeyStore')).toHaveLength(0);
  });

  it('--reset-failed --wait brings a FAILED store back to CONNECTED', async () => {
    const { code, stdout } = await cli([
      'connect',
      'cks-failed00000000001',
      '--reset-failed',
      '--wait',
      ...fast,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/now CONNECTED/);
  });

  it('exits 1 when connecting ends in FAILED', async () => {
    const { code, stderr } = await cli([
      'connect',
      defaultKeyStoreIds.failingExternal,
      '--wait',
      ...fast,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /KmsWaiterError: .*FAILED \(XKS_PROXY_TIMED_OUT\) while waiting for CONNECTED/,
    );
    expect(stderr).toContain(
      'What to check (XKS_PROXY_TIMED_OUT): the proxy did not answer within 250 ms',
    );
  });

  it('exits 1 with the modeled CloudHSM error', async () => {
    const { code, stderr } = await cli(['connect', 'cks-hsmdown0000000001']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^CloudHsmClusterNotActiveException: /);
  });
});

describe('kms-cks wait', () => {
  it('waits for one of several states, case-insensitively, and prints the entry with --json', async () => {
    await harness.client.disconnectCustomKeyStore(xks);
    const { code, stdout } = await cli(['wait', xks, 'disconnected,failed', '--json', ...fast]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      customKeyStoreId: xks,
      connectionState: 'DISCONNECTED',
    });
  });

  it('prints the state reached', async () => {
    const { code, stdout } = await cli(['wait', xks, 'CONNECTED', ...fast]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${xks}: CONNECTED\n`);
  });

  it('exits 3 on timeout', async () => {
    const { code, stderr } = await cli(['wait', xks, 'DISCONNECTED', '--timeout', '0.2s', ...fast]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/last state: CONNECTED\)\n$/);
  });
});

describe('kms-cks usage', () => {
  it.each([
    ['no command', [], /^kms-cks: no command given\nUsage: kms-cks <command>/],
    ['an unknown command', ['frobnicate'], /^kms-cks: unknown command 'frobnicate'/],
    [
      'an unknown option',
      ['describe', '--bogus'],
      /^kms-cks: unknown option '--bogus'\nUsage: kms-cks describe/,
    ],
    [
      'a missing ID',
      ['disconnect'],
      /^kms-cks: missing <id> \(or --all for every selected store\)\nUsage: kms-cks disconnect/,
    ],
    ['a missing state', ['wait', xks], /^kms-cks: missing <state>/],
    ['an extra argument', ['connect', xks, 'extra'], /^kms-cks: unexpected argument 'extra'/],
    [
      'a bad timeout',
      ['disconnect', xks, '--wait', '--timeout', '10 minutes'],
      /--timeout must be a positive duration/,
    ],
    [
      'a zero timeout',
      ['wait', xks, 'CONNECTED', '--timeout', '0'],
      /--timeout must be a positive duration/,
    ],
    ['an unknown state', ['wait', xks, 'ASLEEP'], /^kms-cks: unknown state 'ASLEEP'/],
    [
      'a value for a flag',
      ['disconnect', xks, '--wait=yes'],
      /^kms-cks: Option '--wait' does not take an argument/,
    ],
    ['a missing value', ['describe', '--name'], /^kms-cks: Option '--name/],
    ['a bad port', ['emulator', '--port', '70000'], /--port must be a number from 0 to 65535/],
  ])(
    'exits 2 for %s, with the usage and no stack trace, sending nothing',
    async (_label, args, pattern) => {
      const { code, stdout, stderr } = await cli(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(pattern);
      expect(stderr).toMatch(/Usage: kms-cks/);
      expect(stderr).not.toMatch(noStackTrace);
      expect(harness.emulator.requests).toHaveLength(0);
    },
  );

  it('exits 2 with KmsConfigError for an endpoint the client refuses, before any connection', async () => {
    const { code, stderr } = await runCli(undefined, [
      'describe',
      '--region',
      'eu-west-1',
      '--endpoint',
      'http://192.0.2.10:8080',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^KmsConfigError: Refusing plain http endpoint/);
  });

  it('describe stops with exit 1 after 1,000 pages of a server handing out new markers forever', async () => {
    let pages = 0;
    const server = await startLoopbackServer((_request, response) => {
      pages++;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ NextMarker: `m${pages}`, Truncated: true }));
    });
    try {
      const { code, stdout, stderr } = await runCli(undefined, [
        'describe',
        '--region',
        'eu-west-1',
        '--endpoint',
        server.url,
      ]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^KmsResponseError: .*after 1000 pages/);
      expect(pages).toBe(1000);
    } finally {
      await server.close();
    }
  });

  it('strips control characters from the error name and message a server sends', async () => {
    const server = await startLoopbackServer((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          __type: 'Evil\u001b[31mException',
          message: 'bad\u001b]0;owned\u0007 thing\r\u009b2Jfake line\nsecond line',
        }),
      );
    });
    try {
      const run = await runCli(undefined, [
        'describe',
        '--region',
        'eu-west-1',
        '--endpoint',
        server.url,
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'Evil?[31mException: bad?]0;owned? thing??2Jfake line\nsecond line\n',
      );
    } finally {
      await server.close();
    }
  });

  it('strips control characters from the state and error code in a waiter error, and escapes C1 in JSON', async () => {
    const entry = {
      CustomKeyStoreId: 'cks-1',
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS\u001b[2J\u0007\u009b',
    };
    const server = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ CustomKeyStores: [entry] }));
    });
    try {
      const target = ['--region', 'eu-west-1', '--endpoint', server.url];
      const waited = await runCli(undefined, ['wait', 'cks-1', 'CONNECTED', ...target]);
      expect(waited.code).toBe(1);
      expect(waited.stderr).toMatch(/XKS\?\[2J\?\?/);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point.
      expect(waited.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      const described = await runCli(undefined, ['describe', '--json', ...target]);
      expect(described.code).toBe(0);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point.
      expect(described.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(JSON.parse(described.stdout).customKeyStores[0].connectionErrorCode).toBe(
        entry.ConnectionErrorCode,
      );
    } finally {
      await server.close();
    }
  });

  it.each(['disconnect', 'connect', 'describe', 'wait', 'emulator'])(
    'prints the help of %s with --help and exits 0',
    async (command) => {
      const { code, stdout, stderr } = await cli([command, '--help']);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(new RegExp(`^Usage: kms-cks ${command}`));
      expect(stdout).toMatch(/--region/);
      expect(stdout).toMatch(/Exit codes: 0 done/);
      expect((await cli(['help', command])).stdout).toBe(stdout);
    },
  );

  it('prints the general help and the version', async () => {
    const help = await runCli(undefined, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['disconnect', 'connect', 'describe', 'wait', 'emulator']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
    }
    const version = await runCli(undefined, ['--version']);
    expect(version.stdout).toMatch(/^kms-cks \d+\.\d+\.\d+/);
  });
});

describe('kms-cks emulator', () => {
  it('prints its URL, stores and environment, serves requests, and closes on abort', async () => {
    const stdout = capture();
    const stderr = capture();
    const controller = new AbortController();
    const running = main(['emulator', '--port', '0'], {
      stdout,
      stderr,
      isTTY: false,
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(stdout.text).toContain('Press Ctrl-C to stop.'));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+) \(region us-east-1\)/.exec(
      stdout.text,
    )?.[1];
    expect(url).toBeDefined();
    expect(stdout.text).toContain(`export AWS_ENDPOINT_URL_KMS=${url}`);
    expect(stdout.text).toContain('export AWS_REGION=us-east-1');
    expect(stdout.text).toContain(`export AWS_ACCESS_KEY_ID=${emulatorCredentials.accessKeyId}`);
    expect(stdout.text).toContain(
      `export AWS_SECRET_ACCESS_KEY=${emulatorCredentials.secretAccessKey}`,
    );
    expect(stdout.text).toMatch(new RegExp(`^${xks}\\s+orders-xks\\s`, 'm'));
    // The Disconnect-only credential to rehearse with.
    expect(stdout.text).toContain(
      `  AWS_ACCESS_KEY_ID=${breakGlassCredentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${breakGlassCredentials.secretAccessKey} kms-cks disconnect <id>\n`,
    );

    const described = await runCli(undefined, [
      'describe',
      '--endpoint',
      url!,
      '--region',
      'us-east-1',
    ]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('payments-hsm');

    controller.abort();
    expect(await running).toBe(0);
    expect(stdout.text).toMatch(/Emulator stopped\.\n$/);
    expect(stderr.text).toBe('');
    const port = Number(new URL(url!).port);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
