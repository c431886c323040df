/**
 * Fault injection: what each fault puts on the wire, the order faults are consumed in, the
 * operation filter, and how the real client fares through them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import {
  KmsClient,
  type KmsClientConfig,
  KmsServiceException,
  KmsTimeoutError,
} from '../../src/index.js';
import { send } from './helpers.js';

let emu: KmsEmulator;
const clients: KmsClient[] = [];

function clientFor(config: KmsClientConfig = {}): KmsClient {
  const client = new KmsClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: emulatorCredentials,
    ...config,
  });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  emu = await startKmsEmulator({ transitionMs: 10_000 });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await emu.close();
});

describe('what each fault sends', () => {
  it('throttle: 400 ThrottlingException', async () => {
    emu.injectFaults({ kind: 'throttle' });
    const response = await send(emu);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    expect(response.headers['x-amzn-requestid']).toBeDefined();
    expect((await send(emu)).status).toBe(200);
  });

  it('internal: 500 KMSInternalException', async () => {
    emu.injectFaults({ kind: 'internal' });
    const response = await send(emu);
    expect(response.status).toBe(500);
    expect(response.json?.__type).toBe('KMSInternalException');
  });

  it('html503: a 503 HTML page', async () => {
    emu.injectFaults({ kind: 'html503' });
    const response = await send(emu);
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('text/html');
    expect(response.body).toContain('<h1>503 Service Temporarily Unavailable</h1>');
    expect(response.json).toBeUndefined();
  });

  it('error: any __type, status and message', async () => {
    emu.injectFaults([
      { kind: 'error', errorType: 'AccessDeniedException', message: 'User is not authorized' },
      { kind: 'error', errorType: 'com.amazonaws.kms#LimitExceededException', status: 400 },
    ]);
    const first = await send(emu);
    expect(first.json).toEqual({
      __type: 'AccessDeniedException',
      message: 'User is not authorized',
    });
    const second = await send(emu);
    // No message at all, as KMS has been seen to send.
    expect(second.json).toEqual({ __type: 'com.amazonaws.kms#LimitExceededException' });
    expect(emu.requests.map((entry) => entry.errorType)).toEqual([
      'AccessDeniedException',
      'LimitExceededException',
    ]);
  });

  it('drop: the connection closes without a response', async () => {
    emu.injectFaults({ kind: 'drop' });
    await expect(send(emu)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.requests.at(-1)?.fault).toBe('drop');
    expect(emu.requests.at(-1)?.status).toBeUndefined();
    expect((await send(emu)).status).toBe(200);
  });

  it('truncate: headers promise more body than arrives', async () => {
    emu.injectFaults({ kind: 'truncate' });
    await expect(send(emu)).rejects.toThrow(/aborted|ECONNRESET|socket hang up/);
    expect((await send(emu)).status).toBe(200);
  });

  it('delay: holds the request, then processes it', async () => {
    emu.injectFaults({ kind: 'delay', delayMs: 50 });
    const response = await send(emu, {
      operation: 'DisconnectCustomKeyStore',
      body: JSON.stringify({ CustomKeyStoreId: defaultKeyStoreIds.externalPublic }),
    });
    expect(response.status).toBe(200);
    expect(emu.requests.at(-1)).toMatchObject({ fault: 'delay', status: 200 });
    expect(emu.keyStores.get(defaultKeyStoreIds.externalPublic)?.connectionState).toBe(
      'DISCONNECTING',
    );
  });
});

describe('the fault queue', () => {
  it('applies faults in order and only as many times as asked', async () => {
    emu.injectFaults([{ kind: 'internal' }, { kind: 'throttle', count: 2 }]);
    expect(emu.pendingFaults.map((fault) => [fault.kind, fault.remaining])).toEqual([
      ['internal', 1],
      ['throttle', 2],
    ]);
    const statuses: (string | undefined)[] = [];
    for (let index = 0; index < 4; index++) {
      statuses.push((await send(emu)).json?.__type as string | undefined);
    }
    expect(statuses).toEqual([
      'KMSInternalException',
      'ThrottlingException',
      'ThrottlingException',
      undefined,
    ]);
    expect(emu.pendingFaults).toHaveLength(0);
  });

  it('limits a fault to one operation; other calls pass it by', async () => {
    emu.injectFaults({ kind: 'throttle', operation: 'ConnectCustomKeyStore' });
    expect((await send(emu, { operation: 'DescribeCustomKeyStores' })).status).toBe(200);
    expect(emu.pendingFaults).toHaveLength(1);
    const connect = await send(emu, {
      operation: 'ConnectCustomKeyStore',
      body: JSON.stringify({ CustomKeyStoreId: defaultKeyStoreIds.failingExternal }),
    });
    expect(connect.json?.__type).toBe('ThrottlingException');
    expect(emu.keyStores.get(defaultKeyStoreIds.failingExternal)?.connectionState).toBe(
      'DISCONNECTED',
    );
    expect(emu.pendingFaults).toHaveLength(0);
  });

  it('keeps an Infinity fault until clearFaults()', async () => {
    emu.injectFaults({ kind: 'internal', count: Number.POSITIVE_INFINITY });
    for (let index = 0; index < 3; index++) expect((await send(emu)).status).toBe(500);
    emu.clearFaults();
    expect((await send(emu)).status).toBe(200);
  });

  it.each([
    [{ kind: 'explode' }, /Unknown fault kind/],
    [{ kind: 'throttle', count: 0 }, /positive integer/],
    [{ kind: 'delay' }, /delayMs/],
    [{ kind: 'error' }, /errorType/],
    [{ kind: 'error', errorType: 'X', status: 200 }, /≥ 400/],
  ])('rejects %j with a TypeError and queues nothing', (spec, message) => {
    expect(() => emu.injectFaults([{ kind: 'throttle' }, spec as never])).toThrow(message);
    expect(emu.pendingFaults).toHaveLength(0);
  });
});

describe('the real client through faults', () => {
  it('retries two throttles and succeeds on the third attempt', async () => {
    emu.injectFaults({ kind: 'throttle', count: 2, operation: 'DisconnectCustomKeyStore' });
    const result = await clientFor().disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
    expect(result.$metadata.attempts).toBe(3);
    expect(emu.requests.map((entry) => entry.status)).toEqual([400, 400, 200]);
  });

  it('retries a dropped connection', async () => {
    emu.injectFaults({ kind: 'drop' });
    const result = await clientFor().disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
    expect(result.$metadata.attempts).toBe(2);
  });

  it('gets a typed 500 after KMSInternalException on every attempt', async () => {
    emu.injectFaults({ kind: 'internal', count: 3 });
    const error = await clientFor()
      .disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(KmsServiceException);
    expect(error).toMatchObject({ name: 'KMSInternalException', $metadata: { attempts: 3 } });
  });

  it('times out on a hanging request, which is then not processed, and close() does not wait for it', async () => {
    emu.injectFaults({ kind: 'delay', delayMs: 120_000 });
    const client = clientFor({ requestTimeoutMs: 200, maxAttempts: 1 });
    const error = await client
      .disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(KmsTimeoutError);
    // The client gave up and closed the connection: the held request is dropped unprocessed.
    await client.close();
    expect(emu.keyStores.get(defaultKeyStoreIds.externalPublic)?.connectionState).toBe('CONNECTED');
  });

  it('close() releases a request still held by a delay fault', async () => {
    emu.injectFaults({ kind: 'delay', delayMs: 120_000 });
    const pending = send(emu).catch((thrown: unknown) => thrown);
    // Wait until the emulator holds the request, then close under it.
    while (emu.pendingFaults.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await emu.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
