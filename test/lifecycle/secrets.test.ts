/**
 * The proxy credential and the CloudHSM password searched for in every output of the lifecycle
 * calls: results and errors (message, stack, `util.inspect`, `JSON.stringify`), the client's log
 * lines, both tracing channels (every event's context and every attempt message), the maintenance
 * report, and the emulator's request log, while a server echoes the secrets back in its errors.
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { attemptChannelName, callChannelName, KmsClient } from '../../src/index.js';

const accessKeyId = 'SECRETKEYIDSECRETKEY';
const rawSecretAccessKey = 'c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1wcmludGVkLTAwMDA=';
const keyStorePassword = 'pw-never-shown';
const secrets = [accessKeyId, rawSecretAccessKey, keyStorePassword];

let emulator: KmsEmulator;
let client: KmsClient;
const seen: string[] = [];
const show = (value: unknown) => {
  seen.push(inspect(value, { depth: 10, showHidden: false }));
  try {
    seen.push(JSON.stringify(value) ?? '');
  } catch {
    // A circular context: inspect covers it.
  }
};

const calls = tracingChannel(callChannelName);
const subscriber = {
  start: show,
  end: show,
  asyncStart: show,
  asyncEnd: show,
  error: show,
};
const attempts = channel(attemptChannelName);

beforeEach(async () => {
  seen.length = 0;
  calls.subscribe(subscriber);
  attempts.subscribe(show);
  emulator = await startKmsEmulator({
    transitionMs: 20,
    // A proxy check that echoes the credential back, as a careless server might.
    xksProxyProbe: async (target) =>
      target.customKeyStoreName === 'echo'
        ? {
            error: 'XksProxyIncorrectAuthenticationCredentialException',
            message: `credential ${target.xksProxyAuthenticationCredential.accessKeyId}:${target.xksProxyAuthenticationCredential.rawSecretAccessKey} refused`,
          }
        : undefined,
  });
  const log = (level: string) => (message: string, fields?: unknown) =>
    show({ level, message, fields });
  client = new KmsClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulatorCredentials,
    maxAttempts: 2,
    logger: { debug: log('debug'), warn: log('warn') },
  });
});

afterEach(async () => {
  calls.unsubscribe(subscriber);
  attempts.unsubscribe(show);
  await client.close();
  await emulator.close();
});

async function outcome(call: () => Promise<unknown>): Promise<void> {
  try {
    show(await call());
  } catch (error) {
    show(error);
    seen.push(String((error as Error).stack), String((error as Error).message));
  }
}

describe('secrets in every output', () => {
  it('create, update, maintain and their errors show no secret anywhere', async () => {
    const credential = { accessKeyId, rawSecretAccessKey };
    const xks = {
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      xksProxyUriEndpoint: 'https://secrets.example.com',
      xksProxyUriPath: '/kms/xks/v1',
      xksProxyConnectivity: 'PUBLIC_ENDPOINT',
      xksProxyAuthenticationCredential: credential,
    } as const;
    await outcome(() => client.createCustomKeyStore({ ...xks, customKeyStoreName: 'echo' }));
    await outcome(() => client.createCustomKeyStore({ ...xks, customKeyStoreName: 'fine' }));
    // Throttled once, then retried: a warn line with the operation, never the input.
    emulator.injectFaults({ kind: 'throttle', operation: 'UpdateCustomKeyStore' });
    await outcome(() =>
      client.updateCustomKeyStore({
        customKeyStoreId: defaultKeyStoreIds.externalPublic,
        xksProxyAuthenticationCredential: credential,
      }),
    );
    await outcome(() =>
      client.maintainCustomKeyStore(
        { customKeyStoreId: defaultKeyStoreIds.cloudHsm, keyStorePassword },
        { pollIntervalMs: 10 },
      ),
    );
    // Invalid input: refused before sending, the value at fault never quoted.
    await outcome(() =>
      client.updateCustomKeyStore({
        customKeyStoreId: defaultKeyStoreIds.cloudHsm,
        keyStorePassword: `${keyStorePassword}-but-far-too-long-for-the-model`,
      }),
    );
    await outcome(() =>
      client.describeCustomKeyStores({ customKeyStoreId: defaultKeyStoreIds.externalPublic }),
    );
    show(emulator.requests);

    const everything = seen.join('\n');
    // The checks can fail: each kind of output was produced.
    expect(everything).toContain('XksProxyIncorrectAuthenticationCredentialException');
    expect(everything).toContain('[redacted]');
    expect(everything).toContain('ThrottlingException');
    expect(everything).toContain('UpdateCustomKeyStore');
    expect(everything).toContain('"outcome":"updated"');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
