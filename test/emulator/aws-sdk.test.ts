/**
 * The emulator as an official client sees it: the AWS SDK for JavaScript v3 (a devDependency)
 * with `emulatorCredentials` as they are exported, KMS's 5-minute clock window, lengths counted
 * in characters as the model counts them, and the path an endpoint with a path is sent to.
 */
import {
  ConnectCustomKeyStoreCommand,
  CustomKeyStoreNotFoundException,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  type KMSClientConfig,
  KMSServiceException,
} from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { KmsClient } from '../../src/index.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

const minute = 60_000;
// One character (code point) each, two UTF-16 units.
const emoji = '\u{1F511}';

let emu: KmsEmulator;
const sdkClients: KMSClient[] = [];

/** An AWS SDK v3 KMS client for the emulator, with `emulatorCredentials` as exported. */
function sdk(config: KMSClientConfig = {}): KMSClient {
  const client = new KMSClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: emulatorCredentials,
    maxAttempts: 1,
    ...config,
  });
  sdkClients.push(client);
  return client;
}

/** The error a promise rejects with. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as KMSServiceException,
  );

beforeAll(async () => {
  emu = await startKmsEmulator({ transitionMs: 50 });
});
afterAll(async () => {
  for (const client of sdkClients) client.destroy();
  await emu.close();
});
afterEach(() => emu.clearRequests());

describe('emulatorCredentials with the AWS SDK v3', () => {
  it('are accepted as exported: a real SDK call is signed with them and succeeds', async () => {
    const output = await sdk().send(new DescribeCustomKeyStoresCommand({}));
    expect(output.CustomKeyStores?.map((store) => store.CustomKeyStoreId).sort()).toEqual(
      [...emu.keyStores.keys()].sort(),
    );
    expect(emu.requests.at(-1)).toMatchObject({
      accessKeyId: emulatorCredentials.accessKeyId,
      status: 200,
    });
    // A Disconnect too, through the SDK's own signer.
    await sdk().send(
      new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: defaultKeyStoreIds.cloudHsm }),
    );
    expect(emu.keyStores.get(defaultKeyStoreIds.cloudHsm)?.connectionState).toMatch(/^DISCONNECT/);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await sdk().send(
      new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: defaultKeyStoreIds.cloudHsm }),
    );
  });

  it('stay safe to share: the key pair cannot be changed, and the emulator does not depend on the object', async () => {
    const shared = emulatorCredentials as { accessKeyId: string; secretAccessKey: string };
    const secret = shared.secretAccessKey;
    expect(() => {
      shared.secretAccessKey = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      shared.accessKeyId = 'changed';
    }).toThrow(TypeError);
    expect(emulatorCredentials.secretAccessKey).toBe(secret);
    // Our client and the SDK, one after the other, with the same object.
    const ours = new KmsClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: emulatorCredentials,
    });
    await ours.describeCustomKeyStores();
    await ours.close();
    await sdk().send(new DescribeCustomKeyStoresCommand({}));
    expect(emu.requests.map((request) => request.status)).toEqual([200, 200]);
    // A fresh emulator accepts the example key pair, whatever was added to the shared object.
    const other = await startKmsEmulator();
    try {
      const client = sdk({ endpoint: other.url });
      await client.send(new DescribeCustomKeyStoresCommand({}));
      expect(other.requests.at(-1)?.status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe("KMS's 5-minute clock window, as the SDK meets it", () => {
  it('refuses a request signed 6 minutes behind with KMS\'s "Signature expired … - 5 min."', async () => {
    const error = await failure(
      sdk({ systemClockOffset: -6 * minute }).send(new DescribeCustomKeyStoresCommand({})),
    );
    expect(error).toBeInstanceOf(KMSServiceException);
    expect(error?.name).toBe('InvalidSignatureException');
    expect(error?.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
  });

  it('refuses a request signed 6 minutes ahead with "Signature not yet current … + 5 min."', async () => {
    const error = await failure(
      sdk({ systemClockOffset: 6 * minute }).send(new DescribeCustomKeyStoresCommand({})),
    );
    expect(error?.name).toBe('InvalidSignatureException');
    expect(error?.message).toMatch(/^Signature not yet current: .* \+ 5 min\.\)$/);
  });

  it('accepts requests signed 4 minutes behind and ahead', async () => {
    await sdk({ systemClockOffset: -4 * minute }).send(new DescribeCustomKeyStoresCommand({}));
    await sdk({ systemClockOffset: 4 * minute }).send(new DescribeCustomKeyStoresCommand({}));
    expect(emu.requests.map((request) => request.status)).toEqual([200, 200]);
  });
});

describe('lengths in characters, as the KMS model counts them', () => {
  it('takes an ID of 64 emoji (128 UTF-16 units) as valid and refuses 65', async () => {
    const at64 = await failure(
      sdk().send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: emoji.repeat(64) })),
    );
    expect(at64).toBeInstanceOf(CustomKeyStoreNotFoundException);
    const at33 = await failure(
      sdk().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: emoji.repeat(33) })),
    );
    expect(at33).toBeInstanceOf(CustomKeyStoreNotFoundException);
    const at65 = await failure(
      sdk().send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: emoji.repeat(65) })),
    );
    expect(at65?.name).toBe('ValidationException');
    expect(at65?.message).toMatch(
      /at 'customKeyStoreId' failed to satisfy constraint: Member must have length less than or equal to 64$/,
    );
  });

  it('counts a Describe name (1–256) and ID in characters too', async () => {
    const at256 = await failure(
      sdk().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: emoji.repeat(256) })),
    );
    expect(at256).toBeInstanceOf(CustomKeyStoreNotFoundException);
    const at257 = await failure(
      sdk().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: emoji.repeat(257) })),
    );
    expect(at257?.name).toBe('ValidationException');
    expect(at257?.message).toMatch(/Member must have length less than or equal to 256$/);
  });

  it('echoes a long value in a validation message without splitting a character', async () => {
    const at300 = await failure(
      sdk().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: emoji.repeat(300) })),
    );
    expect(at300?.message).toContain(`Value '${emoji.repeat(256)}...' at 'customKeyStoreName'`);
  });

  it('seeds and serves a store whose ID is 64 emoji; our client sends it and the SDK acts on it', async () => {
    const id = emoji.repeat(64);
    emu.addKeyStore({
      id,
      name: emoji.repeat(256),
      type: 'AWS_CLOUDHSM',
      connectionState: 'CONNECTED',
    });
    const ours = new KmsClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: emulatorCredentials,
    });
    try {
      const page = await ours.describeCustomKeyStores({ customKeyStoreId: id });
      expect(page.customKeyStores.map((store) => store.customKeyStoreId)).toEqual([id]);
    } finally {
      await ours.close();
    }
    await sdk().send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    expect(emu.keyStores.get(id)?.connectionState).toMatch(/^DISCONNECT/);
    expect(() =>
      emu.addKeyStore({ id: emoji.repeat(65), name: 'too-long', type: 'AWS_CLOUDHSM' }),
    ).toThrow(/1–64 characters/);
  });
});

describe('an endpoint with a path, on the wire', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end('{"CustomKeyStores":[]}');
    });
  });
  afterAll(() => server.close());

  it('ours sends exactly the path given (as botocore and the AWS CLI do); the JS SDK v3 adds a slash', async () => {
    const ours = new KmsClient({
      endpoint: `${server.url}/some/prefix`,
      region: 'us-east-1',
      credentials: emulatorCredentials,
    });
    const oursSlash = new KmsClient({
      endpoint: `${server.url}/some/prefix/`,
      region: 'us-east-1',
      credentials: emulatorCredentials,
    });
    try {
      await ours.describeCustomKeyStores();
      await oursSlash.describeCustomKeyStores();
    } finally {
      await ours.close();
      await oursSlash.close();
    }
    await sdk({ endpoint: `${server.url}/some/prefix`, region: 'us-east-1' }).send(
      new DescribeCustomKeyStoresCommand({}),
    );
    expect(server.requests.map((request) => request.url)).toEqual([
      '/some/prefix',
      '/some/prefix/',
      '/some/prefix/',
    ]);
  });

  it('the emulator verifies the signature over either path', async () => {
    const ours = new KmsClient({
      endpoint: `${emu.url}/some/prefix`,
      region: emu.region,
      credentials: emulatorCredentials,
    });
    try {
      await ours.describeCustomKeyStores();
    } finally {
      await ours.close();
    }
    await sdk({ endpoint: `${emu.url}/some/prefix` }).send(new DescribeCustomKeyStoresCommand({}));
    expect(emu.requests.map((request) => [request.path, request.status])).toEqual([
      ['/some/prefix', 200],
      ['/some/prefix/', 200],
    ]);
  });
});
