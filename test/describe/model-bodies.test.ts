/**
 * Describe bodies the KMS model allows (it requires no member of an entry), through the client
 * against a loopback fake: entries without an ID or a state, an empty state, `Truncated: true`
 * without a `NextMarker`. Each is read as it came, and every caller of a Describe entry (the
 * paginator, the waiter, the ensure calls, the fleet, `kms-cks describe` / `wait`) copes with it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyToFleet,
  KmsClient,
  KmsResponseError,
  type Logger,
  waitForConnectionState,
} from '../../src/index.js';
import { runCli } from '../cli/run.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const credentials = { accessKeyId: 'AKIDMODELBODIES', secretAccessKey: 'model-bodies-secret' };

let server: LoopbackServer;
let client: KmsClient;
let warnings: string[];

/** Answers every request with `body`, or `route(target, input)` when given a function. */
function answer(
  body: unknown | ((target: string, input: Record<string, unknown>) => unknown),
): void {
  server.handle((request, response) => {
    const target = String(request.headers['x-amz-target']).replace('TrentService.', '');
    const input = JSON.parse(request.body || '{}') as Record<string, unknown>;
    const value = typeof body === 'function' ? body(target, input) : body;
    response.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': 'req-model',
    });
    response.end(JSON.stringify(value));
  });
}

const logger: Logger = { warn: (message: string) => warnings.push(message) };

beforeEach(async () => {
  warnings = [];
  server = await startLoopbackServer();
  client = new KmsClient({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials,
    maxAttempts: 1,
    logger,
  });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

const full = {
  CustomKeyStoreId: 'cks-full',
  CustomKeyStoreName: 'full',
  CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
  ConnectionState: 'CONNECTED',
};

describe('Describe bodies the KMS model allows, through the client', () => {
  // The seven bodies of the issue (four of which were refused before), and more of the kind.
  it.each([
    ['an entry without ConnectionState', { CustomKeyStores: [{ CustomKeyStoreId: 'cks-1' }] }],
    ['an entry without CustomKeyStoreId', { CustomKeyStores: [{ ConnectionState: 'CONNECTED' }] }],
    [
      'an empty ConnectionState',
      { CustomKeyStores: [{ CustomKeyStoreId: 'cks-1', ConnectionState: '' }] },
    ],
    ['Truncated: true without NextMarker', { CustomKeyStores: [full], Truncated: true }],
    [
      'Truncated: true with an empty NextMarker',
      { CustomKeyStores: [full], Truncated: true, NextMarker: '' },
    ],
    ['an empty entry', { CustomKeyStores: [{}] }],
    ['an empty body', {}],
    ['null members', { CustomKeyStores: [{ CustomKeyStoreId: null, ConnectionState: null }] }],
    ['an empty ID', { CustomKeyStores: [{ CustomKeyStoreId: '', ConnectionState: 'FAILED' }] }],
  ])('accepts %s', async (_label, body) => {
    answer(body);
    const page = await client.describeCustomKeyStores();
    expect(page.$metadata.requestId).toBe('req-model');
    const wire = (body as { CustomKeyStores?: Record<string, unknown>[] }).CustomKeyStores ?? [];
    expect(page.customKeyStores).toHaveLength(wire.length);
    expect(page.truncated).toBe((body as { Truncated?: boolean }).Truncated === true);
    expect(page).not.toHaveProperty('nextMarker');
  });

  it('returns the entries as they came: absent fields absent, an empty state kept', async () => {
    answer({
      CustomKeyStores: [
        { CustomKeyStoreId: 'cks-1' },
        { ConnectionState: 'CONNECTED', CustomKeyStoreName: 'no-id' },
        { CustomKeyStoreId: 'cks-3', ConnectionState: '' },
        { CustomKeyStoreId: null, ConnectionState: null },
      ],
      Truncated: true,
    });
    const page = await client.describeCustomKeyStores();
    expect(page.customKeyStores).toEqual([
      { customKeyStoreId: 'cks-1' },
      { connectionState: 'CONNECTED', customKeyStoreName: 'no-id' },
      { customKeyStoreId: 'cks-3', connectionState: '' },
      {},
    ]);
    expect(page.truncated).toBe(true);
    expect(page.nextMarker).toBeUndefined();
  });

  it('still refuses a member of the wrong type, without claiming "the KMS model"', async () => {
    answer({ CustomKeyStores: [{ CustomKeyStoreId: 7, ConnectionState: 'CONNECTED' }] });
    const wrongType = await client.describeCustomKeyStores().catch((caught: unknown) => caught);
    expect(wrongType).toBeInstanceOf(KmsResponseError);
    expect((wrongType as Error).message).toMatch(/CustomKeyStores\.0\.CustomKeyStoreId/);
    expect((wrongType as Error).message).not.toMatch(/model/i);
    // A timestamp the model allows but a Date cannot hold: the message says so.
    answer({ CustomKeyStores: [{ ...full, CreationDate: 1e300 }] });
    const tooLate = await client.describeCustomKeyStores().catch((caught: unknown) => caught);
    expect(tooLate).toBeInstanceOf(KmsResponseError);
    expect((tooLate as Error).message).toBe(
      'DescribeCustomKeyStores response cannot be used: CustomKeyStores.0.CreationDate: a timestamp after what a JavaScript Date can hold',
    );
  });
});

describe('paginateCustomKeyStores with a page that says Truncated without a NextMarker', () => {
  it('yields that page, ends after it (one request, no loop), and warns that the listing may be incomplete', async () => {
    answer((_target: string, input: Record<string, unknown>) =>
      input.Marker === undefined
        ? { CustomKeyStores: [full], Truncated: true, NextMarker: 'p2' }
        : { CustomKeyStores: [{ CustomKeyStoreId: 'cks-2' }, {}], Truncated: true },
    );
    const seen: unknown[] = [];
    for await (const entry of client.paginateCustomKeyStores()) seen.push(entry.customKeyStoreId);
    expect(seen).toEqual(['cks-full', 'cks-2', undefined]);
    expect(server.requests).toHaveLength(2);
    expect(warnings).toEqual([
      'DescribeCustomKeyStores page 2 said Truncated but sent no NextMarker: the listing ends there and may be incomplete',
    ]);
  });
});

describe('the waiter and the ensure calls with an entry without an ID or a state', () => {
  it('waitForConnectionState keeps polling through an entry without a state, and takes an entry without an ID as the store asked for', async () => {
    let polls = 0;
    answer(() => {
      polls++;
      return {
        CustomKeyStores: [
          polls < 3 ? { CustomKeyStoreId: 'cks-1' } : { ConnectionState: 'DISCONNECTED' },
        ],
      };
    });
    const states: unknown[] = [];
    const entry = await waitForConnectionState(client, 'cks-1', 'DISCONNECTED', {
      pollIntervalMs: 5,
      timeoutMs: 5000,
      onPoll: (poll) => states.push(poll.state),
    });
    expect(states).toEqual([undefined, undefined, 'DISCONNECTED']);
    expect(entry).toEqual({ connectionState: 'DISCONNECTED' });
  });

  it('takes the one entry of a Describe by ID as the store asked for when its ID is empty', async () => {
    answer({ CustomKeyStores: [{ CustomKeyStoreId: '', ConnectionState: 'CONNECTED' }] });
    const entry = await client.waitForConnectionState('cks-1', 'CONNECTED', { timeoutMs: 2000 });
    expect(entry).toEqual({ customKeyStoreId: '', connectionState: 'CONNECTED' });
  });

  it('still refuses an answer about another store', async () => {
    answer({ CustomKeyStores: [{ CustomKeyStoreId: 'cks-other', ConnectionState: 'CONNECTED' }] });
    const error = await client
      .waitForConnectionState('cks-1', 'CONNECTED', { timeoutMs: 2000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KmsResponseError);
    expect((error as Error).message).toBe('DescribeCustomKeyStores returned no entry for cks-1');
  });

  it('a timeout on an entry without a state says the last state is unknown', async () => {
    answer({ CustomKeyStores: [{ CustomKeyStoreId: 'cks-1' }] });
    const error = await client
      .waitForConnectionState('cks-1', 'CONNECTED', { pollIntervalMs: 5, timeoutMs: 60 })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('KmsWaiterError');
    expect((error as Error).message).toMatch(/last state: unknown/);
  });

  it('ensureDisconnected sends Disconnect for a store listed without a state', async () => {
    answer((target: string) =>
      target === 'DescribeCustomKeyStores'
        ? { CustomKeyStores: [{ CustomKeyStoreId: 'cks-1' }] }
        : {},
    );
    const result = await client.ensureDisconnected('cks-1');
    expect(result.action).toBe('disconnected');
    expect(result.state).toBeUndefined();
    expect(server.requests.map((request) => request.headers['x-amz-target'])).toEqual([
      'TrentService.DescribeCustomKeyStores',
      'TrentService.DisconnectCustomKeyStore',
      'TrentService.DescribeCustomKeyStores',
    ]);
  });
});

describe('the fleet with entries without an ID or a state, and a truncated page without a marker', () => {
  it('acts on the stores it can name, records what it could not list or act on, and ends', async () => {
    answer((target: string, input: Record<string, unknown>) => {
      if (target !== 'DescribeCustomKeyStores') return {};
      if (input.CustomKeyStoreId === 'cks-full') return { CustomKeyStores: [full] };
      if (input.CustomKeyStoreId === 'cks-nostate') {
        return { CustomKeyStores: [{ CustomKeyStoreId: 'cks-nostate' }] };
      }
      return {
        CustomKeyStores: [
          full,
          { CustomKeyStoreId: 'cks-nostate', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' },
          {
            CustomKeyStoreName: 'ghost',
            CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
            ConnectionState: 'CONNECTED',
          },
          {
            CustomKeyStoreId: '',
            CustomKeyStoreName: 'empty-id',
            CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
            ConnectionState: 'FAILED',
          },
        ],
        Truncated: true,
      };
    });
    const record = await applyToFleet({
      action: 'disconnect',
      type: 'EXTERNAL_KEY_STORE',
      regions: ['eu-west-1'],
      clientConfig: { endpoint: server.url, credentials, maxAttempts: 1 },
    });
    expect(record.targets.map((t) => [t.customKeyStoreId, t.stateBefore, t.action])).toEqual([
      ['cks-full', 'CONNECTED', 'disconnected'],
      ['cks-nostate', undefined, 'disconnected'],
    ]);
    expect(record.failures).toEqual([
      {
        region: 'eu-west-1',
        partial: true,
        error: {
          name: 'KmsResponseError',
          message:
            'DescribeCustomKeyStores listed a store without CustomKeyStoreId (name "ghost", state CONNECTED): it cannot be acted on',
        },
      },
      {
        region: 'eu-west-1',
        partial: true,
        error: {
          name: 'KmsResponseError',
          message:
            'DescribeCustomKeyStores listed a store without CustomKeyStoreId (name "empty-id", state FAILED): it cannot be acted on',
        },
      },
      {
        region: 'eu-west-1',
        partial: true,
        error: {
          name: 'KmsResponseError',
          message:
            'DescribeCustomKeyStores page 1 said Truncated but sent no NextMarker: the stores after it were not listed',
        },
      },
    ]);
    const listings = server.requests.filter(
      (request) =>
        request.headers['x-amz-target'] === 'TrentService.DescribeCustomKeyStores' &&
        request.body === '{}',
    );
    expect(listings).toHaveLength(1);
  });
});

describe('kms-cks with entries without an ID or a state', () => {
  it('disconnect --all acts on the stores it can name, says which listing was only in part, exits 1', async () => {
    answer((target: string, input: Record<string, unknown>) => {
      if (target !== 'DescribeCustomKeyStores') return {};
      if (input.CustomKeyStoreId !== undefined) {
        return { CustomKeyStores: [{ CustomKeyStoreId: input.CustomKeyStoreId }] };
      }
      return {
        CustomKeyStores: [
          { CustomKeyStoreId: 'cks-nostate', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' },
          { CustomKeyStoreName: 'ghost', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' },
        ],
        Truncated: true,
      };
    });
    const { code, stdout, stderr } = await runCli(undefined, [
      'disconnect',
      '--all',
      '--type',
      'xks',
      '--yes',
      '--endpoint',
      server.url,
      '--region',
      'eu-west-1',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^\(default profile\) eu-west-1: listed in part: KmsResponseError: DescribeCustomKeyStores listed a store without CustomKeyStoreId \(name "ghost", state unknown\)/m,
    );
    expect(stderr).toMatch(
      /^\(default profile\) eu-west-1: listed in part: KmsResponseError: DescribeCustomKeyStores page 1 said Truncated but sent no NextMarker/m,
    );
    expect(stderr).toMatch(/cks-nostate .*disconnected/);
    expect(stdout).toMatch(
      /1 disconnected, 0 already, 0 failed \(1 store in 1 region\); 2 listing problems \(listed in part\)\./,
    );
    expect(`${stdout}${stderr}`).not.toMatch(/could not be listed/);
  });

  it('describe prints "-" for a missing ID or state, warns of a page truncated without a marker, and exits 0', async () => {
    answer({
      CustomKeyStores: [
        { CustomKeyStoreName: 'no-id', ConnectionState: 'CONNECTED' },
        { CustomKeyStoreId: 'cks-2' },
      ],
      Truncated: true,
    });
    const { code, stdout, stderr } = await runCli(undefined, [
      'describe',
      '--endpoint',
      server.url,
      '--region',
      'eu-west-1',
    ]);
    expect(code).toBe(0);
    const rows = stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s{2,}/));
    expect(rows).toEqual([
      ['-', 'no-id', '-', 'CONNECTED', '-', '-'],
      ['cks-2', '-', '-', '-', '-', '-'],
    ]);
    expect(stderr).toBe(
      'kms-cks: DescribeCustomKeyStores page 1 said Truncated but sent no NextMarker: the listing ends there and may be incomplete\n',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('wait prints the ID asked for when the entry has none', async () => {
    answer({ CustomKeyStores: [{ ConnectionState: 'CONNECTED' }] });
    const { code, stdout } = await runCli(undefined, [
      'wait',
      'cks-1',
      'CONNECTED',
      '--endpoint',
      server.url,
      '--region',
      'eu-west-1',
    ]);
    expect(code).toBe(0);
    expect(stdout).toBe('cks-1: CONNECTED\n');
  });
});
