/**
 * Per-credential actions: a credential restricted to some actions (the break-glass credential may
 * only Disconnect) gets KMS's AccessDeniedException for every other call, before anything changes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  breakGlassCredentials,
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { send } from './helpers.js';

let emu: KmsEmulator;

beforeEach(async () => {
  emu = await startKmsEmulator({ transitionMs: 50 });
});

afterEach(async () => {
  await emu.close();
});

const store = defaultKeyStoreIds.externalPublic;

describe('credentials restricted to some actions', () => {
  it('the default break-glass credential may Disconnect and nothing else', async () => {
    const describe = await send(emu, {
      operation: 'DescribeCustomKeyStores',
      credentials: breakGlassCredentials,
    });
    expect(describe.status).toBe(400);
    expect(describe.json).toEqual({
      __type: 'AccessDeniedException',
      message: `User: arn:aws:sts::111122223333:assumed-role/kms-break-glass/operator is not authorized to perform: kms:DescribeCustomKeyStores on resource: arn:aws:kms:us-east-1:111122223333:* because no identity-based policy allows the kms:DescribeCustomKeyStores action`,
    });
    const connect = await send(emu, {
      operation: 'ConnectCustomKeyStore',
      body: JSON.stringify({ CustomKeyStoreId: store }),
      credentials: breakGlassCredentials,
    });
    expect(connect.json?.__type).toBe('AccessDeniedException');
    expect(emu.keyStores.get(store)?.connectionState).toBe('CONNECTED');

    const disconnect = await send(emu, {
      operation: 'DisconnectCustomKeyStore',
      body: JSON.stringify({ CustomKeyStoreId: store }),
      credentials: breakGlassCredentials,
    });
    expect(disconnect.status).toBe(200);
    expect(emu.keyStores.get(store)?.connectionState).toBe('DISCONNECTING');
    expect(emu.requests.map((request) => [request.operation, request.errorType])).toEqual([
      ['DescribeCustomKeyStores', 'AccessDeniedException'],
      ['ConnectCustomKeyStore', 'AccessDeniedException'],
      ['DisconnectCustomKeyStore', undefined],
    ]);
  });

  it('the full credential may do everything', async () => {
    const describe = await send(emu, {
      operation: 'DescribeCustomKeyStores',
      credentials: emulatorCredentials,
    });
    expect(describe.status).toBe(200);
  });

  it('actions take IAM names with or without kms:, and kms:* allows all', async () => {
    await emu.close();
    emu = await startKmsEmulator({
      credentials: [
        { ...emulatorCredentials, actions: ['DescribeCustomKeyStores'], principalArn: 'arn:x' },
        { accessKeyId: 'AKIDALL', secretAccessKey: 'all-secret', actions: ['kms:*'] },
      ],
    });
    const describe = await send(emu, { operation: 'DescribeCustomKeyStores' });
    expect(describe.status).toBe(200);
    const disconnect = await send(emu, {
      operation: 'DisconnectCustomKeyStore',
      body: JSON.stringify({ CustomKeyStoreId: store }),
    });
    expect(disconnect.json?.message).toMatch(
      /^User: arn:x is not authorized to perform: kms:DisconnectCustomKeyStore /,
    );
    const all = await send(emu, {
      operation: 'DisconnectCustomKeyStore',
      body: JSON.stringify({ CustomKeyStoreId: store }),
      credentials: { accessKeyId: 'AKIDALL', secretAccessKey: 'all-secret' },
    });
    expect(all.status).toBe(200);
  });

  it('refuses an action that is not an action name', async () => {
    await expect(
      startKmsEmulator({ credentials: [{ ...emulatorCredentials, actions: ['kms:Disconnect '] }] }),
    ).rejects.toThrow(/is not an action such as kms:DisconnectCustomKeyStore/);
  });
});
