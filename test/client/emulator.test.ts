/**
 * The client against the emulator over loopback: the emulator verifies signatures with its own
 * SigV4 code, so a passing call here is an independent check of what the client signs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import {
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KmsClient,
  type KmsClientConfig,
  KmsServiceException,
} from '../../src/index.js';

let emulator: KmsEmulator;
const clients: KmsClient[] = [];

function client(config: KmsClientConfig = {}): KmsClient {
  const created = new KmsClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulatorCredentials,
    ...config,
  });
  clients.push(created);
  return created;
}

beforeEach(async () => {
  emulator = await startKmsEmulator({ transitionMs: 300 });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await emulator.close();
});

const id = defaultKeyStoreIds.externalPublic;

describe('client against the emulator', () => {
  it('disconnects a store: CONNECTED → DISCONNECTING → DISCONNECTED', async () => {
    const result = await client().disconnectCustomKeyStore(id);
    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(result.$metadata.requestId).toMatch(/\S/);
    expect(emulator.keyStores.get(id)!.connectionState).toBe('DISCONNECTING');
    await expect.poll(() => emulator.keyStores.get(id)!.connectionState).toBe('DISCONNECTED');
  });

  it('with signer: "smithy", the emulator accepts what @smithy/signature-v4 signs', async () => {
    const result = await client({ signer: 'smithy' }).disconnectCustomKeyStore(id);
    expect(result.$metadata.attempts).toBe(1);
    expect(emulator.keyStores.get(id)!.connectionState).not.toBe('CONNECTED');
  });

  it('an endpoint with a path: the emulator verifies the signature over that path', async () => {
    const prefixed = client({ endpoint: `${emulator.url}/some/prefix` });
    await prefixed.disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
    const [request] = emulator.requests;
    expect(request?.path).toBe('/some/prefix');
    expect(request?.status).toBe(200);
  });

  it('disconnecting twice is CustomKeyStoreInvalidStateException', async () => {
    const c = client();
    await c.disconnectCustomKeyStore(id);
    const error = await c.disconnectCustomKeyStore(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CustomKeyStoreInvalidStateException);
    expect((error as KmsServiceException).$metadata.attempts).toBe(1);
  });

  it('an unknown id is CustomKeyStoreNotFoundException', async () => {
    const error = await client()
      .disconnectCustomKeyStore('cks-00000000000000000')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CustomKeyStoreNotFoundException);
    expect((error as KmsServiceException).$metadata.httpStatusCode).toBe(400);
  });

  it('session credentials: the token is required and checked', async () => {
    await emulator.close();
    const session = {
      accessKeyId: 'ASIASESSIONEXAMPLE01',
      secretAccessKey: 'session-secret',
      sessionToken: 'tok-123',
    };
    emulator = await startKmsEmulator({ credentials: [session], transitionMs: 300 });
    await client({ credentials: session }).disconnectCustomKeyStore(id);
    const error = (await client({ credentials: { ...session, sessionToken: 'wrong' } })
      .disconnectCustomKeyStore(defaultKeyStoreIds.externalVpc)
      .catch((e: unknown) => e)) as KmsServiceException;
    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.$metadata.attempts).toBe(1);
  });

  it('a wrong secret is InvalidSignatureException, not retried', async () => {
    const error = (await client({
      credentials: { ...emulatorCredentials, secretAccessKey: 'wrong' },
    })
      .disconnectCustomKeyStore(id)
      .catch((e: unknown) => e)) as KmsServiceException;
    expect(error).toBeInstanceOf(KmsServiceException);
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.$metadata.attempts).toBe(1);
    expect(emulator.keyStores.get(id)!.connectionState).toBe('CONNECTED');
  });

  it('a wrong region is rejected by the emulator', async () => {
    const error = (await client({ region: 'eu-west-1' })
      .disconnectCustomKeyStore(id)
      .catch((e: unknown) => e)) as KmsServiceException;
    expect(error).toBeInstanceOf(KmsServiceException);
    expect(error.$fault).toBe('client');
  });

  it('corrects a 20-minute clock skew from the emulator Date header and succeeds', async () => {
    emulator.setClockOffset(20 * 60 * 1000);
    const warnings: string[] = [];
    const c = client({ logger: { warn: (message) => warnings.push(message) } });
    const result = await c.disconnectCustomKeyStore(id);
    expect(result.$metadata.attempts).toBe(2);
    expect(warnings.some((w) => /clock/.test(w))).toBe(true);
    // From then on the first attempt is signed with the corrected clock.
    const second = await c.connectCustomKeyStore(defaultKeyStoreIds.failingExternal);
    expect(second.$metadata.attempts).toBe(1);
  });

  it('gets through injected throttling and a 500 to a success', async () => {
    emulator.injectFaults([{ kind: 'throttle' }, { kind: 'internal' }]);
    const result = await client().disconnectCustomKeyStore(id);
    expect(result.$metadata.attempts).toBe(3);
    expect(emulator.pendingFaults).toHaveLength(0);
  });

  it('a dropped connection and a truncated body are retried', async () => {
    emulator.injectFaults([{ kind: 'drop' }, { kind: 'truncate' }]);
    const result = await client().disconnectCustomKeyStore(id);
    expect(result.$metadata.attempts).toBe(3);
  });

  it('a hang past the attempt timeout is retried', async () => {
    emulator.injectFaults({ kind: 'delay', delayMs: 5_000 });
    const result = await client({ requestTimeoutMs: 200 }).disconnectCustomKeyStore(id);
    expect(result.$metadata.attempts).toBe(2);
  });
});
