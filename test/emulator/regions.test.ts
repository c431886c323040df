/**
 * A multi-region emulator: one port, a key store set per region, chosen by the region the request
 * is signed for (raw requests signed with @smithy/signature-v4, not the emulator's own code).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  defaultKeyStores,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { send } from './helpers.js';

let emu: KmsEmulator | undefined;

afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const ids = (response: { json?: Record<string, unknown> }) =>
  ((response.json?.CustomKeyStores ?? []) as { CustomKeyStoreId: string }[]).map(
    (store) => store.CustomKeyStoreId,
  );

describe('startKmsEmulator({ regions })', () => {
  it('serves each region its own default stores, picked by the signing region', async () => {
    emu = await startKmsEmulator({ regions: ['us-east-1', 'eu-west-1'] });
    expect(emu.region).toBe('us-east-1');
    expect(emu.regions).toEqual(['us-east-1', 'eu-west-1']);
    const east = await send(emu, { region: 'us-east-1' });
    const west = await send(emu, { region: 'eu-west-1' });
    expect(east.status).toBe(200);
    expect(west.status).toBe(200);
    expect(ids(east)).toContain(defaultKeyStoreIds.externalPublic);
    const westIds = ids(west);
    expect(westIds).toHaveLength(4);
    expect(westIds).toEqual([...emu.inRegion('eu-west-1').keyStores.keys()]);
    // Same four stores, IDs of their own: an ID names one store across regions.
    for (const id of westIds) expect(ids(east)).not.toContain(id);
    expect(defaultKeyStores('eu-west-1').map((seed) => seed.id)).toEqual(westIds);
    expect(emu.requests.map((request) => request.region)).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('a disconnect in one region leaves the other alone', async () => {
    emu = await startKmsEmulator({
      regions: ['us-east-1', 'eu-west-1'],
      keyStores: [{ id: 'cks-same', name: 'same', type: 'EXTERNAL_KEY_STORE' }],
    });
    const response = await send(emu, {
      region: 'eu-west-1',
      operation: 'DisconnectCustomKeyStore',
      body: JSON.stringify({ CustomKeyStoreId: 'cks-same' }),
    });
    expect(response.status).toBe(200);
    expect(emu.inRegion('eu-west-1').keyStores.get('cks-same')?.connectionState).toBe(
      'DISCONNECTING',
    );
    expect(emu.inRegion('us-east-1').keyStores.get('cks-same')?.connectionState).toBe('CONNECTED');
    expect(emu.keyStores.get('cks-same')?.connectionState).toBe('CONNECTED');
  });

  it('takes seeds per region; a region left out starts empty', async () => {
    emu = await startKmsEmulator({
      regions: ['eu-west-1', 'ap-south-1'],
      keyStores: { 'eu-west-1': [{ id: 'cks-w', name: 'w', type: 'AWS_CLOUDHSM' }] },
    });
    expect(ids(await send(emu, { region: 'eu-west-1' }))).toEqual(['cks-w']);
    expect(ids(await send(emu, { region: 'ap-south-1' }))).toEqual([]);
    emu.inRegion('ap-south-1').addKeyStore({ id: 'cks-a', name: 'a', type: 'AWS_CLOUDHSM' });
    expect(ids(await send(emu, { region: 'ap-south-1' }))).toEqual(['cks-a']);
  });

  it('refuses a region it does not serve, as KMS refuses a wrong scope', async () => {
    emu = await startKmsEmulator({ regions: ['us-east-1', 'eu-west-1'] });
    const response = await send(emu, { region: 'eu-central-1' });
    expect(response.json).toEqual({
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'eu-central-1'. ",
    });
    expect(() => emu!.inRegion('eu-central-1')).toThrow(/does not serve region "eu-central-1"/);
  });

  it('region picks the primary among regions', async () => {
    emu = await startKmsEmulator({ region: 'eu-west-1', regions: ['us-east-1', 'eu-west-1'] });
    expect(emu.region).toBe('eu-west-1');
    expect(emu.regions).toEqual(['eu-west-1', 'us-east-1']);
    expect([...emu.keyStores.keys()]).toEqual([...emu.inRegion('eu-west-1').keyStores.keys()]);
  });

  it('rejects bad region options before listening', async () => {
    await expect(startKmsEmulator({ regions: [] })).rejects.toThrow(TypeError);
    await expect(startKmsEmulator({ regions: ['us-east-1', 'us-east-1'] })).rejects.toThrow(
      /repeat/,
    );
    await expect(startKmsEmulator({ regions: ['US East'] })).rejects.toThrow(/Invalid region/);
    await expect(startKmsEmulator({ region: 'eu-west-1', regions: ['us-east-1'] })).rejects.toThrow(
      /must be one of regions/,
    );
    await expect(
      startKmsEmulator({ regions: ['us-east-1'], keyStores: { 'eu-west-2': [] } }),
    ).rejects.toThrow(/not served/);
  });

  it('keeps the single-region API: region alone, the defaults, a wrong region refused', async () => {
    emu = await startKmsEmulator({ region: 'eu-west-1' });
    expect(emu.regions).toEqual(['eu-west-1']);
    expect((await send(emu, { region: 'us-east-1' })).json?.__type).toBe(
      'InvalidSignatureException',
    );
    expect(ids(await send(emu))).toEqual([...emu.keyStores.keys()]);
  });
});
