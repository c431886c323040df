/**
 * describeCustomKeyStores, paginateCustomKeyStores and connectCustomKeyStore against the emulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  defaultKeyStores,
  type KeyStoreSeed,
} from '../../src/emulator/index.js';
import {
  CloudHsmClusterInvalidConfigurationException,
  CloudHsmClusterNotActiveException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  InvalidMarkerException,
} from '../../src/index.js';
import { type Harness, requestsFor, startHarness } from '../waiter/harness.js';

const manyStores: KeyStoreSeed[] = Array.from({ length: 7 }, (_, index) => ({
  id: `cks-page${String(index).padStart(13, '0')}`,
  name: `paged-${index}`,
  type: 'EXTERNAL_KEY_STORE' as const,
  connectionState: 'DISCONNECTED',
  creationDate: new Date(Date.UTC(2024, 0, index + 1, 12, 0, 0, 250)),
  extraFields: { FutureField: `value-${index}` },
}));

/** Every store of the emulator, in its order: its four defaults, then the seven above. */
const allIds = [...defaultKeyStores(), ...manyStores].map((seed) => seed.id);

let harness: Harness;

beforeEach(async () => {
  harness = await startHarness(manyStores);
});

afterEach(async () => {
  await harness.close();
});

describe('describeCustomKeyStores against the emulator', () => {
  it('pages by hand with limit and nextMarker', async () => {
    const { client } = harness;
    const first = await client.describeCustomKeyStores({ limit: 5 });
    expect(first.customKeyStores).toHaveLength(5);
    expect(first.truncated).toBe(true);
    expect(first.nextMarker).toEqual(expect.any(String));
    const second = await client.describeCustomKeyStores({ limit: 5, marker: first.nextMarker });
    expect(second.customKeyStores.map((entry) => entry.customKeyStoreId)).toEqual(
      allIds.slice(5, 10),
    );
    const third = await client.describeCustomKeyStores({ limit: 5, marker: second.nextMarker });
    expect(third.truncated).toBe(false);
    expect(third).not.toHaveProperty('nextMarker');
    expect(third.customKeyStores.map((entry) => entry.customKeyStoreId)).toEqual(allIds.slice(10));
  });

  it('maps an entry to camelCase with a Date, and keeps fields it does not model', async () => {
    const { customKeyStores } = await harness.client.describeCustomKeyStores({
      customKeyStoreName: 'paged-2',
    });
    expect(customKeyStores).toHaveLength(1);
    const entry = customKeyStores[0]!;
    expect(entry.customKeyStoreId).toBe('cks-page0000000000002');
    expect(entry.connectionState).toBe('DISCONNECTED');
    expect(entry.creationDate).toEqual(new Date(Date.UTC(2024, 0, 3, 12, 0, 0, 250)));
    expect(entry.FutureField).toBe('value-2');
    expect(entry.xksProxyConfiguration?.uriPath).toEqual(expect.any(String));
  });

  it('throws CustomKeyStoreNotFoundException for an unknown ID or name', async () => {
    await expect(
      harness.client.describeCustomKeyStores({ customKeyStoreId: 'cks-nope' }),
    ).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
    await expect(
      harness.client.describeCustomKeyStores({ customKeyStoreName: 'nope' }),
    ).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
  });

  it('throws InvalidMarkerException for a marker the emulator did not hand out', async () => {
    await expect(
      harness.client.describeCustomKeyStores({ marker: 'not-a-marker' }),
    ).rejects.toBeInstanceOf(InvalidMarkerException);
  });
});

describe('paginateCustomKeyStores against the emulator', () => {
  it('yields every store across several pages, in order, following NextMarker', async () => {
    const ids: string[] = [];
    for await (const entry of harness.client.paginateCustomKeyStores({ limit: 3 })) {
      ids.push(entry.customKeyStoreId!);
    }
    expect(ids).toEqual(allIds);
    // 11 stores, 3 per page: 4 requests, each after the first with the previous NextMarker.
    const describes = requestsFor(harness.emulator, 'DescribeCustomKeyStores');
    expect(describes).toHaveLength(4);
    expect(describes[0]!.input).toEqual({ Limit: 3 });
    const markers = describes.slice(1).map((request) => request.input?.Marker);
    expect(markers.every((marker) => typeof marker === 'string')).toBe(true);
    expect(new Set(markers).size).toBe(3);
  });

  it('stops requesting pages when the caller breaks out', async () => {
    for await (const entry of harness.client.paginateCustomKeyStores({ limit: 2 })) {
      if (entry.customKeyStoreId === allIds[2]) break;
    }
    expect(requestsFor(harness.emulator, 'DescribeCustomKeyStores')).toHaveLength(2);
  });

  it('stops with the abort reason when the signal aborts between pages', async () => {
    const controller = new AbortController();
    const reason = new Error('stop paging');
    const seen: string[] = [];
    const error = await (async () => {
      for await (const entry of harness.client.paginateCustomKeyStores(
        { limit: 2 },
        { signal: controller.signal },
      )) {
        seen.push(entry.customKeyStoreId!);
        controller.abort(reason);
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBe(reason);
    expect(seen).toHaveLength(2);
    expect(requestsFor(harness.emulator, 'DescribeCustomKeyStores')).toHaveLength(1);
  });
});

describe('connectCustomKeyStore against the emulator', () => {
  it('starts connecting a DISCONNECTED store', async () => {
    await harness.client.connectCustomKeyStore(manyStores[0]!.id);
    const { customKeyStores } = await harness.client.describeCustomKeyStores({
      customKeyStoreId: manyStores[0]!.id,
    });
    expect(['CONNECTING', 'CONNECTED']).toContain(customKeyStores[0]!.connectionState);
  });

  it('throws CustomKeyStoreInvalidStateException while the store is DISCONNECTING', async () => {
    await harness.client.disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
    await expect(
      harness.client.connectCustomKeyStore(defaultKeyStoreIds.externalPublic),
    ).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  });
});

describe('connectCustomKeyStore CloudHSM errors', () => {
  beforeEach(async () => {
    await harness.close();
    harness = await startHarness();
  });

  it('throws CloudHsmClusterNotActiveException as its class', async () => {
    const error = await harness.client
      .connectCustomKeyStore('cks-hsmdown0000000001')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CloudHsmClusterNotActiveException);
    expect((error as Error).name).toBe('CloudHsmClusterNotActiveException');
    expect((error as CloudHsmClusterNotActiveException).$fault).toBe('client');
  });

  it('throws CloudHsmClusterInvalidConfigurationException as its class', async () => {
    await expect(
      harness.client.connectCustomKeyStore('cks-hsmbad00000000001'),
    ).rejects.toBeInstanceOf(CloudHsmClusterInvalidConfigurationException);
  });
});
