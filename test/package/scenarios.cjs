/**
 * One list of scenarios over every public function and class, run by the package test through
 * `import` and through `require()` of the installed package (and by the runtime matrix's smoke
 * test on Bun and Deno). Plain JavaScript that any runtime loads as CommonJS; it takes the two
 * entry points as arguments so that the module system under test is the caller's.
 *
 * Each scenario returns a JSON value; the caller compares the record with the expected one.
 */
'use strict';

/**
 * @param {typeof import('../../src/index.js')} lib - `kms-custom-key-store`
 * @param {typeof import('../../src/emulator/index.js')} emulatorLib - `kms-custom-key-store/emulator`
 * @returns {Promise<Record<string, unknown>>}
 */
async function runScenarios(lib, emulatorLib) {
  const { defaultKeyStoreIds: ids, emulatorCredentials } = emulatorLib;
  const emulator = await emulatorLib.startKmsEmulator({ transitionMs: 50 });
  // Waits poll every 50 ms: the emulator's transitions take 50 ms.
  const fast = { pollIntervalMs: 50, maxPollIntervalMs: 50, timeoutMs: 10_000 };
  const client = new lib.KmsClient({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: emulatorCredentials,
    maxAttempts: 2,
  });
  const record = {};
  /** Runs one scenario; a thrown error is recorded by name, not rethrown. */
  const scenario = async (name, body) => {
    try {
      record[name] = await body();
    } catch (error) {
      record[name] = { threw: error?.name, message: String(error?.message) };
    }
  };
  /** The name of the class of `lib` the error is an instance of, checked with `instanceof`. */
  const errorClass = (error) =>
    [
      'KmsValidationError',
      'KmsConfigError',
      'CustomKeyStoreNotFoundException',
      'CustomKeyStoreInvalidStateException',
      'KmsWaiterError',
      'KmsServiceException',
      'KmsError',
    ].find((name) => error instanceof lib[name]) || `not a KmsError: ${error}`;
  const rejection = async (promise) => {
    try {
      await promise;
      return 'resolved';
    } catch (error) {
      return errorClass(error);
    }
  };

  try {
    await scenario('version', () => typeof lib.VERSION === 'string' && lib.VERSION.length > 0);
    await scenario('describe', async () => {
      const page = await client.describeCustomKeyStores();
      return {
        count: page.customKeyStores.length,
        requestId: typeof page.$metadata.requestId,
        creationDate: page.customKeyStores[0].creationDate instanceof Date,
      };
    });
    // The portable signer loads its packages by name at run time (so that app bundles leave
    // them out): installed beside the package, every runtime finds them, and the emulator checks
    // the signature independently.
    await scenario('signer smithy', async () => {
      const smithy = new lib.KmsClient({
        region: emulator.region,
        endpoint: emulator.url,
        credentials: emulatorCredentials,
        signer: 'smithy',
      });
      try {
        const page = await smithy.describeCustomKeyStores({ limit: 1 });
        return page.customKeyStores.length;
      } finally {
        await smithy.close();
      }
    });
    // The fleet run is in the on-demand file (dist/on-demand.js, or .cjs through require()).
    await scenario('fleet dry run (on demand)', async () => {
      const record = await lib.applyToFleet({
        action: 'disconnect',
        dryRun: true,
        regions: [emulator.region],
        clientConfig: { endpoint: emulator.url, credentials: emulatorCredentials },
      });
      return [record.operation, record.dryRun, record.targets.length > 0, record.failures.length];
    });
    await scenario('paginate', async () => {
      const names = [];
      for await (const store of client.paginateCustomKeyStores({ limit: 1 })) {
        names.push(store.customKeyStoreName);
      }
      return names.sort();
    });
    await scenario('disconnect', async () => {
      const { $metadata } = await client.disconnectCustomKeyStore(ids.externalPublic);
      return { attempts: $metadata.attempts, status: $metadata.httpStatusCode };
    });
    await scenario('waitForConnectionState', async () => {
      const entry = await client.waitForConnectionState(ids.externalPublic, 'DISCONNECTED', fast);
      return entry.connectionState;
    });
    await scenario('waitForConnectionState (function)', async () => {
      const entry = await lib.waitForConnectionState(
        client,
        ids.externalPublic,
        'DISCONNECTED',
        fast,
      );
      return entry.connectionState;
    });
    await scenario('connect', async () => {
      const { $metadata } = await client.connectCustomKeyStore({
        customKeyStoreId: ids.externalPublic,
      });
      return $metadata.httpStatusCode;
    });
    await scenario('ensureConnected', async () => {
      const result = await client.ensureConnected(ids.externalPublic, { wait: true, ...fast });
      return result.state;
    });
    await scenario('ensureDisconnected (function)', async () => {
      const result = await lib.ensureDisconnected(client, ids.externalVpc, { wait: true, ...fast });
      return [result.action, result.state];
    });
    await scenario('ensureDisconnected again', async () => {
      const result = await client.ensureDisconnected(ids.externalVpc);
      return result.action;
    });
    await scenario('ensureConnected (function)', async () => {
      const result = await lib.ensureConnected(client, ids.externalVpc, { wait: true, ...fast });
      return result.state;
    });
    await scenario('not found', () => rejection(client.disconnectCustomKeyStore('cks-missing')));
    await scenario('invalid state', () =>
      rejection(
        client
          .connectCustomKeyStore(ids.failingExternal)
          .then(() => client.waitForConnectionState(ids.failingExternal, 'CONNECTED', fast)),
      ),
    );
    await scenario('validation: empty ID', () => rejection(client.disconnectCustomKeyStore('')));
    await scenario('validation: describe limit', () =>
      rejection(client.describeCustomKeyStores({ limit: 0 })),
    );
    await scenario('validation: unknown field', () =>
      rejection(client.describeCustomKeyStores({ customKeyStoreID: 'cks-1' })),
    );
    await scenario('validation: wait options', () =>
      rejection(client.waitForConnectionState(ids.externalPublic, 'CONNECTED', { timeoutMs: -1 })),
    );
    await scenario('validation: paginate', async () => {
      try {
        for await (const _ of client.paginateCustomKeyStores({ limit: 1001 })) break;
        return 'resolved';
      } catch (error) {
        return errorClass(error);
      }
    });
    await scenario('validation issues', async () => {
      try {
        await client.disconnectCustomKeyStore({ customKeyStoreId: 'x'.repeat(65) });
        return 'resolved';
      } catch (error) {
        return error.issues.map((issue) => issue.path.join('.'));
      }
    });
    await scenario('config error', () => {
      try {
        new lib.KmsClient({ region: 'not a region' });
        return 'constructed';
      } catch (error) {
        return errorClass(error);
      }
    });
    await scenario('resolveConfig', async () => {
      const resolved = await client.resolveConfig();
      return {
        region: resolved.region,
        endpoint: resolved.endpoint === new URL(emulator.url).href,
        credentialSource: resolved.credentialSource,
        maxAttempts: resolved.maxAttempts,
      };
    });
    await scenario('resolveEndpoint', () => [
      lib.resolveEndpoint({ region: 'eu-west-1' }),
      lib.resolveEndpoint({ region: 'cn-north-1', useFipsEndpoint: false }),
      lib.resolveEndpoint({ region: 'us-gov-west-1', useFipsEndpoint: true }),
    ]);
    await scenario('connectionStates', () => [...lib.connectionStates].sort());
    await scenario('waiterDefaults', () => typeof lib.waiterDefaults.timeoutMs);
    await scenario('secrets stay out of JSON', () =>
      JSON.stringify(client).includes(emulatorCredentials.secretAccessKey),
    );
    await scenario('emulator request log', () =>
      emulator.requests.some((entry) => entry.operation === 'DisconnectCustomKeyStore'),
    );
    await scenario('closed client', async () => {
      const closed = new lib.KmsClient({
        region: emulator.region,
        endpoint: emulator.url,
        credentials: emulatorCredentials,
      });
      await closed.close();
      return rejection(closed.describeCustomKeyStores());
    });
  } finally {
    await client.close();
    await emulator.close();
  }
  return record;
}

/** What every scenario gives, on every runtime and through either module system. */
const expectedScenarios = {
  version: true,
  describe: { count: 4, requestId: 'string', creationDate: true },
  'signer smithy': 1,
  'fleet dry run (on demand)': ['disconnect', true, true, 0],
  paginate: ['analytics-xks', 'legacy-xks', 'orders-xks', 'payments-hsm'],
  disconnect: { attempts: 1, status: 200 },
  waitForConnectionState: 'DISCONNECTED',
  'waitForConnectionState (function)': 'DISCONNECTED',
  connect: 200,
  ensureConnected: 'CONNECTED',
  'ensureDisconnected (function)': ['disconnected', 'DISCONNECTED'],
  'ensureDisconnected again': 'none',
  'ensureConnected (function)': 'CONNECTED',
  'not found': 'CustomKeyStoreNotFoundException',
  'invalid state': 'KmsWaiterError',
  'validation: empty ID': 'KmsValidationError',
  'validation: describe limit': 'KmsValidationError',
  'validation: unknown field': 'KmsValidationError',
  'validation: wait options': 'KmsValidationError',
  'validation: paginate': 'KmsValidationError',
  'validation issues': ['customKeyStoreId'],
  'config error': 'KmsConfigError',
  resolveConfig: {
    region: 'us-east-1',
    endpoint: true,
    credentialSource: 'static',
    maxAttempts: 2,
  },
  resolveEndpoint: [
    'https://kms.eu-west-1.amazonaws.com',
    'https://kms.cn-north-1.amazonaws.com.cn',
    'https://kms-fips.us-gov-west-1.amazonaws.com',
  ],
  connectionStates: ['CONNECTED', 'CONNECTING', 'DISCONNECTED', 'DISCONNECTING', 'FAILED'],
  waiterDefaults: 'number',
  'secrets stay out of JSON': false,
  'emulator request log': true,
  'closed client': 'KmsError',
};

module.exports = { runScenarios, expectedScenarios };
