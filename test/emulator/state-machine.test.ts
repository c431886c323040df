/**
 * The key store state machine and DescribeCustomKeyStores, observed over HTTP: the states each
 * operation passes through, the errors KMS documents, paging, and the entries' fields.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KeyStoreSeed,
  type KmsEmulator,
  type KmsEmulatorOptions,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import {
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KmsClient,
} from '../../src/index.js';
import { describeRaw, send, until } from './helpers.js';

let emu: KmsEmulator;
let client: KmsClient;

/** Transitions long enough to observe CONNECTING/DISCONNECTING on a loaded machine. */
const observable = 1000;

async function start(options: KmsEmulatorOptions = {}): Promise<void> {
  emu = await startKmsEmulator({ transitionMs: observable, ...options });
  client = new KmsClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: emulatorCredentials,
  });
}

afterEach(async () => {
  await client?.close();
  await emu?.close();
});

const stateOf = (id: string) => emu.keyStores.get(id)?.connectionState;

async function describedState(id: string): Promise<unknown> {
  const page = await describeRaw(emu, { CustomKeyStoreId: id });
  return page.CustomKeyStores[0]?.ConnectionState;
}

function store(
  id: string,
  connectionState: string,
  extra: Partial<KeyStoreSeed> = {},
): KeyStoreSeed {
  return { id, name: `store-${id}`, type: 'EXTERNAL_KEY_STORE', connectionState, ...extra };
}

describe('disconnect', () => {
  it('goes CONNECTED → DISCONNECTING → DISCONNECTED, as Describe reports', async () => {
    await start();
    const id = defaultKeyStoreIds.externalPublic;
    expect(await describedState(id)).toBe('CONNECTED');
    await client.disconnectCustomKeyStore(id);
    expect(await describedState(id)).toBe('DISCONNECTING');
    await until(() => stateOf(id) === 'DISCONNECTED');
    expect(await describedState(id)).toBe('DISCONNECTED');
    expect(emu.keyStores.get(id)?.history.map((change) => change.state)).toEqual([
      'CONNECTED',
      'DISCONNECTING',
      'DISCONNECTED',
    ]);
  });

  it('is an error twice: the second call, while DISCONNECTING, is rejected', async () => {
    await start({ transitionMs: 10_000 });
    const id = defaultKeyStoreIds.externalPublic;
    await client.disconnectCustomKeyStore(id);
    const again = await client.disconnectCustomKeyStore(id).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(CustomKeyStoreInvalidStateException);
    expect((again as Error).message).toContain('DISCONNECTING');
    expect(emu.requests.map((entry) => [entry.status, entry.errorType])).toEqual([
      [200, undefined],
      [400, 'CustomKeyStoreInvalidStateException'],
    ]);
  });

  it('is an error from DISCONNECTED', async () => {
    await start({ keyStores: [store('cks-a', 'DISCONNECTED')] });
    const error = await client.disconnectCustomKeyStore('cks-a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CustomKeyStoreInvalidStateException);
    expect((error as Error).message).toContain('DISCONNECTED');
    expect(stateOf('cks-a')).toBe('DISCONNECTED');
  });

  it.each(['CONNECTING', 'FAILED'])('works from %s', async (state) => {
    await start({ keyStores: [store('cks-a', state)], transitionMs: 20 });
    await client.disconnectCustomKeyStore('cks-a');
    await until(() => stateOf('cks-a') === 'DISCONNECTED');
    expect(emu.keyStores.get('cks-a')?.history.map((change) => change.state)).toEqual([
      state,
      'DISCONNECTING',
      'DISCONNECTED',
    ]);
    expect(emu.keyStores.get('cks-a')?.connectionErrorCode).toBeUndefined();
  });

  it('cancels a connection in progress', async () => {
    await start({ keyStores: [store('cks-a', 'DISCONNECTED')] });
    await client.connectCustomKeyStore('cks-a');
    expect(stateOf('cks-a')).toBe('CONNECTING');
    await client.disconnectCustomKeyStore('cks-a');
    await until(() => stateOf('cks-a') === 'DISCONNECTED');
    // The connect timer must not bring it back to CONNECTED later.
    await new Promise((resolve) => setTimeout(resolve, observable + 200));
    expect(stateOf('cks-a')).toBe('DISCONNECTED');
  });

  it('answers an unknown ID with CustomKeyStoreNotFoundException', async () => {
    await start();
    const error = await client
      .disconnectCustomKeyStore('cks-doesnotexist00')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CustomKeyStoreNotFoundException);
    expect((error as Error).message).toContain('cks-doesnotexist00');
  });
});

describe('connect', () => {
  it('goes DISCONNECTED → CONNECTING → CONNECTED', async () => {
    await start({ keyStores: [store('cks-a', 'DISCONNECTED')] });
    await client.connectCustomKeyStore('cks-a');
    expect(await describedState('cks-a')).toBe('CONNECTING');
    await until(() => stateOf('cks-a') === 'CONNECTED');
    expect(await describedState('cks-a')).toBe('CONNECTED');
  });

  it('ends in FAILED with the seeded ConnectionErrorCode', async () => {
    await start({ transitionMs: 20 });
    const id = defaultKeyStoreIds.failingExternal;
    await client.connectCustomKeyStore(id);
    await until(() => stateOf(id) === 'FAILED');
    const [entry] = (await describeRaw(emu, { CustomKeyStoreId: id })).CustomKeyStores;
    expect(entry).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_TIMED_OUT',
    });
    // A FAILED store must be disconnected before it is connected again.
    await expect(client.connectCustomKeyStore(id)).rejects.toBeInstanceOf(
      CustomKeyStoreInvalidStateException,
    );
    await client.disconnectCustomKeyStore(id);
    await until(() => stateOf(id) === 'DISCONNECTED');
    const [after] = (await describeRaw(emu, { CustomKeyStoreId: id })).CustomKeyStores;
    expect(after).not.toHaveProperty('ConnectionErrorCode');
  });

  it('is an error from DISCONNECTING', async () => {
    await start({ keyStores: [store('cks-a', 'DISCONNECTING')] });
    await expect(client.connectCustomKeyStore('cks-a')).rejects.toBeInstanceOf(
      CustomKeyStoreInvalidStateException,
    );
  });

  it.each(['CONNECTED', 'CONNECTING'])('succeeds without a change from %s', async (state) => {
    await start({ keyStores: [store('cks-a', state)] });
    await client.connectCustomKeyStore('cks-a');
    expect(stateOf('cks-a')).toBe(state);
    expect(emu.keyStores.get('cks-a')?.history).toHaveLength(1);
  });

  it('rejects a CloudHSM store whose cluster is not active', async () => {
    await start({
      keyStores: [
        {
          id: 'cks-hsm',
          name: 'hsm',
          type: 'AWS_CLOUDHSM',
          connectionState: 'DISCONNECTED',
          connectException: 'CloudHsmClusterNotActiveException',
        },
      ],
    });
    const error = await client.connectCustomKeyStore('cks-hsm').catch((e: unknown) => e);
    expect((error as Error).name).toBe('CloudHsmClusterNotActiveException');
    expect(stateOf('cks-hsm')).toBe('DISCONNECTED');
  });
});

describe('DescribeCustomKeyStores', () => {
  it('lists the default stores with realistic fields for both types', async () => {
    await start();
    const page = await describeRaw(emu);
    expect(page.Truncated).toBe(false);
    expect(page).not.toHaveProperty('NextMarker');
    expect(page.CustomKeyStores).toHaveLength(4);
    const hsm = page.CustomKeyStores.find((entry) => entry.CustomKeyStoreType === 'AWS_CLOUDHSM');
    expect(hsm).toMatchObject({
      CustomKeyStoreId: defaultKeyStoreIds.cloudHsm,
      CustomKeyStoreName: 'payments-hsm',
      ConnectionState: 'CONNECTED',
      CloudHsmClusterId: expect.stringMatching(/^cluster-[2-7a-zA-Z]{11,16}$/),
      TrustAnchorCertificate: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
    });
    expect(hsm).not.toHaveProperty('XksProxyConfiguration');
    const vpc = page.CustomKeyStores.find((entry) => entry.CustomKeyStoreName === 'analytics-xks');
    expect(vpc?.XksProxyConfiguration).toEqual({
      Connectivity: 'VPC_ENDPOINT_SERVICE',
      AccessKeyId: expect.stringMatching(/^[A-Z2-7]{20,30}$/),
      UriEndpoint: expect.stringMatching(/^https:\/\/[a-zA-Z0-9.-]+$/),
      UriPath: expect.stringMatching(/\/kms\/xks\/v\d{1,2}$/),
      VpcEndpointServiceName: expect.stringMatching(/^com\.amazonaws\.vpce\./),
      VpcEndpointServiceOwner: '111122223333',
    });
    expect(vpc).not.toHaveProperty('CloudHsmClusterId');
    for (const entry of page.CustomKeyStores) {
      expect(typeof entry.CreationDate).toBe('number');
      // Epoch seconds (not milliseconds), fractional part allowed.
      expect(entry.CreationDate).toBeGreaterThan(1.5e9);
      expect(entry.CreationDate).toBeLessThan(2.5e9);
    }
    expect(
      page.CustomKeyStores.find((entry) => entry.CustomKeyStoreName === 'orders-xks')?.CreationDate,
    ).toBe(Date.parse('2024-03-12T09:14:07.512Z') / 1000);
  });

  it('pages with Limit and Marker; NextMarker only when truncated', async () => {
    const seeds = Array.from({ length: 7 }, (_, index) => store(`cks-${index}`, 'CONNECTED'));
    await start({ keyStores: seeds });
    const seen: unknown[] = [];
    let marker: string | undefined;
    const truncatedFlags: boolean[] = [];
    do {
      const page = await describeRaw(emu, { Limit: 3, ...(marker ? { Marker: marker } : {}) });
      seen.push(...page.CustomKeyStores.map((entry) => entry.CustomKeyStoreId));
      truncatedFlags.push(page.Truncated);
      expect('NextMarker' in page).toBe(page.Truncated);
      marker = page.NextMarker;
    } while (marker);
    expect(seen).toEqual(seeds.map((seed) => seed.id));
    expect(truncatedFlags).toEqual([true, true, false]);
  });

  it('looks up by ID and by name; an unknown one is CustomKeyStoreNotFoundException', async () => {
    await start();
    const byName = await describeRaw(emu, { CustomKeyStoreName: 'legacy-xks' });
    expect(byName.CustomKeyStores.map((entry) => entry.CustomKeyStoreId)).toEqual([
      defaultKeyStoreIds.failingExternal,
    ]);
    for (const input of [{ CustomKeyStoreId: 'cks-nope' }, { CustomKeyStoreName: 'nope' }]) {
      const response = await send(emu, { body: JSON.stringify(input) });
      expect(response.status).toBe(400);
      expect(response.json?.__type).toBe('CustomKeyStoreNotFoundException');
    }
  });

  it('rejects ID and name together', async () => {
    await start();
    const response = await send(emu, {
      body: JSON.stringify({
        CustomKeyStoreId: defaultKeyStoreIds.cloudHsm,
        CustomKeyStoreName: 'x',
      }),
    });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toBe('com.amazon.coral.validate#ValidationException');
  });

  it.each([
    ['a marker it did not issue', { Marker: 'bm90LWEtbWFya2Vy' }],
    ['a marker past the end', { Marker: Buffer.from('cks-page:99').toString('base64') }],
  ])('answers %s with InvalidMarkerException', async (_label, input) => {
    await start();
    const response = await send(emu, { body: JSON.stringify(input) });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toBe('InvalidMarkerException');
  });

  it.each([
    [
      { Limit: 0 },
      "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      { Limit: 1001 },
      "Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    ],
    [
      { CustomKeyStoreName: '' },
      "Value '' at 'customKeyStoreName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      { Marker: 'é\u0100' },
      "at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*",
    ],
  ])('validates %j', async (input, message) => {
    await start();
    const response = await send(emu, { body: JSON.stringify(input) });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toBe('com.amazon.coral.validate#ValidationException');
    expect(response.json?.message).toContain(`1 validation error detected: `);
    expect(response.json?.message).toContain(message);
  });

  it('passes seeded extra fields and unknown states through as they are', async () => {
    await start({
      keyStores: [
        store('cks-new', 'QUANTUM_ENTANGLED', { extraFields: { FutureField: { Nested: 1 } } }),
      ],
    });
    const [entry] = (await describeRaw(emu)).CustomKeyStores;
    expect(entry).toMatchObject({
      ConnectionState: 'QUANTUM_ENTANGLED',
      FutureField: { Nested: 1 },
    });
  });
});

describe('seeds, live view and timers', () => {
  it('rejects invalid seeds with a TypeError', async () => {
    await expect(
      startKmsEmulator({ keyStores: [store('cks-a', 'CONNECTED'), store('cks-a', 'CONNECTED')] }),
    ).rejects.toThrow(TypeError);
    await expect(
      startKmsEmulator({ keyStores: [{ id: '', name: 'x', type: 'EXTERNAL_KEY_STORE' }] }),
    ).rejects.toThrow(/1–64/);
  });

  it('setConnectionState and addKeyStore change what Describe returns', async () => {
    await start({ keyStores: [] });
    emu.addKeyStore(store('cks-added', 'DISCONNECTED'));
    emu.setConnectionState('cks-added', 'FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const [entry] = (await describeRaw(emu)).CustomKeyStores;
    expect(entry).toMatchObject({
      CustomKeyStoreId: 'cks-added',
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
    });
    expect(() => emu.setConnectionState('cks-nope', 'CONNECTED')).toThrow(TypeError);
  });

  it('clears pending transitions on close()', async () => {
    await start();
    const id = defaultKeyStoreIds.externalPublic;
    await client.disconnectCustomKeyStore(id);
    await emu.close();
    await new Promise((resolve) => setTimeout(resolve, observable + 200));
    expect(stateOf(id)).toBe('DISCONNECTING');
  });
});
