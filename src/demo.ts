/**
 * `npm run demo`: the whole product with no AWS account. Starts the embedded KMS emulator,
 * points the real client at it, disconnects an external key store while printing each state it
 * passes through, shows the typed errors for an unknown ID and for disconnecting twice, and
 * goes on with the fleet kill switch across two regions served by the one emulator: a dry run of
 * `kms-cks disconnect --all`, then the real run; and ends with maintenance: the store connected
 * again, its XKS proxy credential rotated in place (no disconnect), then its proxy moved to a new
 * endpoint with `kms-cks update` (disconnect, update, reconnect). Last, the XKS story live with
 * nothing external: the software XKS proxy on loopback, a second emulator in live XKS mode trusting
 * it, an external key store created against the proxy and connected for real (each step a signed
 * `GetHealthStatus` the proxy answers), its credential rotated by the maintenance run to the
 * proxy's second credential, a wrong secret refused as KMS refuses it, and the kill switch pulled.
 */
import { main as kmsCks } from './cli/program.js';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
  startXksProxy,
  type XksProxy,
} from './emulator/index.js';
import {
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KmsClient,
  type KmsError,
  XksProxyIncorrectAuthenticationCredentialException,
} from './index.js';

/** How often the demo asks for the state while the store disconnects. */
const pollEveryMs = 100;
/** Gives up on a store that never settles (it would be an emulator bug). */
const pollLimitMs = 30_000;

const say = (line = '') => process.stdout.write(`${line}\n`);

/** The demo's client of an emulator: its endpoint, region and credentials, one attempt per call. */
function demoClient(emulator: KmsEmulator): KmsClient {
  return new KmsClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulatorCredentials,
    maxAttempts: 1,
  });
}

async function main(): Promise<void> {
  const emulator = await startKmsEmulator({
    regions: ['us-east-1', 'eu-west-1'],
    transitionMs: 1500,
  });
  const client = demoClient(emulator);
  try {
    await run(client, emulator);
  } finally {
    await client.close();
    await emulator.close();
  }
  await liveXks();
}

async function run(client: KmsClient, emulator: KmsEmulator): Promise<void> {
  say(
    `KMS emulator listening on ${emulator.url} (region ${emulator.region}); no AWS account involved.`,
  );
  say();
  await printStores(client);

  const id = defaultKeyStoreIds.externalPublic;
  const { customKeyStores } = await client.describeCustomKeyStores({ customKeyStoreId: id });
  const name = customKeyStores[0]?.customKeyStoreName ?? id;
  say();
  say(`1. Disconnect ${name} (${id}) and follow its state`);
  const started = Date.now();
  let last = customKeyStores[0]?.connectionState ?? 'UNKNOWN';
  say(`   ${elapsed(started)}  ${last}`);
  const { $metadata } = await client.disconnectCustomKeyStore(id);
  say(`   ${elapsed(started)}  DisconnectCustomKeyStore accepted (request ${$metadata.requestId})`);
  while (last !== 'DISCONNECTED') {
    if (Date.now() - started > pollLimitMs) {
      throw new Error(
        `${id} did not reach DISCONNECTED within ${pollLimitMs / 1000} s (last ${last})`,
      );
    }
    const page = await client.describeCustomKeyStores({ customKeyStoreId: id });
    const state = page.customKeyStores[0]?.connectionState ?? 'UNKNOWN';
    if (state !== last) {
      say(`   ${elapsed(started)}  ${state}`);
      last = state;
    }
    if (state !== 'DISCONNECTED') await sleep(pollEveryMs);
  }

  say();
  say('2. Disconnect a store that does not exist');
  await expectError(
    () => client.disconnectCustomKeyStore('cks-00000000000000000'),
    CustomKeyStoreNotFoundException,
  );

  say();
  say(`3. Disconnect ${name} again (disconnecting twice is an error, not a no-op)`);
  await expectError(() => client.disconnectCustomKeyStore(id), CustomKeyStoreInvalidStateException);

  say();
  await printStores(client);

  const fleet = ['disconnect', '--all', '--type', 'xks', '--region', emulator.regions.join(',')];
  say();
  say(`4. The fleet kill switch, first as a dry run: kms-cks ${fleet.join(' ')} --dry-run`);
  await cli(emulator, [...fleet, '--dry-run']);
  say();
  say(`5. And for real, waiting for DISCONNECTED: kms-cks ${fleet.join(' ')} --yes --wait`);
  const code = await cli(emulator, [...fleet, '--yes', '--wait', '--poll-interval', '200ms']);
  if (code !== 0) throw new Error(`kms-cks disconnect --all exited ${code}`);

  say();
  say(`6. Rotate the XKS proxy credential of ${name} while it serves traffic`);
  await client.ensureConnected(id, { wait: true, pollIntervalMs: 200 });
  const before = await client.describeCustomKeyStores({ customKeyStoreId: id });
  const rotation = await client.maintainCustomKeyStore(
    {
      customKeyStoreId: id,
      xksProxyAuthenticationCredential: {
        accessKeyId: 'ROTATED234567ROTATED',
        rawSecretAccessKey: demoProxySecret,
      },
    },
    { pollIntervalMs: 200 },
  );
  say(
    `   ${rotation.stateBefore} → ${rotation.steps.map((step) => step.action).join(' → ')} → ${rotation.stateAfter}: the credential is changed in place, no disconnect`,
  );
  const rotated =
    rotation.entryAfter?.xksProxyConfiguration?.accessKeyId !==
    before.customKeyStores[0]?.xksProxyConfiguration?.accessKeyId;
  const printed = JSON.stringify(rotation.entryAfter?.xksProxyConfiguration);
  say(
    `   Describe shows the new access key ID: ${rotated ? 'yes' : 'NO'}; printed, it is ${printed?.includes('"accessKeyId":"[redacted]"') ? '[redacted]' : 'SHOWN'}, and the secret is never returned`,
  );
  if (!rotated) throw new Error('the rotated access key ID is not shown by Describe');

  const move = [
    'update',
    id,
    '--xks-proxy-uri-endpoint',
    'https://xks-proxy-2.orders.example.com',
    '--yes',
    '--wait',
    '--poll-interval',
    '200ms',
    '--region',
    emulator.region,
  ];
  say();
  say(`7. Move its proxy to a new endpoint (needs DISCONNECTED): kms-cks ${move.join(' ')}`);
  const moved = await cli(emulator, move);
  if (moved !== 0) throw new Error(`kms-cks update exited ${moved}`);
  say();
  say(
    `Done: ${name} went CONNECTED → DISCONNECTING → DISCONNECTED, every external key store of ${emulator.regions.join(' and ')} was disconnected, then ${name} was connected again, its proxy credential rotated and its proxy moved, against the embedded emulator.`,
  );
}

/** The made-up host name the software proxy stands for; `connectTo` sends it to loopback. */
const xksHost = 'xks.example.com';

/**
 * The XKS story live: the software proxy, an emulator in live XKS mode, an external key store
 * created, connected, rotated and disconnected through the proxy.
 */
async function liveXks(): Promise<void> {
  const proxy = await startXksProxy({ hostname: xksHost });
  try {
    const emulator = await startKmsEmulator({
      transitionMs: 500,
      keyStores: [],
      xks: {
        mode: 'live',
        // The proxy made its own certificate for xks.example.com: trust its CA, and send the
        // name to the loopback port it listens on (TLS still checks the name).
        ca: proxy.ca!,
        connectTo: { [`${xksHost}:443`]: `127.0.0.1:${proxy.port}` },
        // KMS gives a proxy 250 ms; a roomy budget keeps the demo steady on a busy machine.
        timeoutMs: 2_000,
      },
    });
    const client = demoClient(emulator);
    try {
      await runLiveXks(client, emulator, proxy);
    } finally {
      await client.close();
      await emulator.close();
    }
  } finally {
    await proxy.close();
  }
}

async function runLiveXks(
  client: KmsClient,
  emulator: KmsEmulator,
  proxy: XksProxy,
): Promise<void> {
  const [first, second] = proxy.credentials;
  if (!first || !second) throw new Error('the software proxy has fewer than two credentials');
  /** What the proxy saw of the request with this kmsRequestId. */
  const seen = (kmsRequestId: string | undefined): string => {
    const record = proxy.requests.find((entry) => entry.kmsRequestId === kmsRequestId);
    if (!record) return 'the proxy got NO request';
    const which =
      record.accessKeyId === first.accessKeyId
        ? 'its first credential'
        : record.accessKeyId === second.accessKeyId
          ? 'its second credential'
          : 'a credential it does not accept';
    return `the proxy answered GetHealthStatus (kmsOperation ${record.kmsOperation}) signed with ${which}: ${record.status}${record.errorName ? ` ${record.errorName}` : ''}`;
  };

  say();
  say(
    `8. Live XKS, nothing external: the software XKS proxy serves https://${xksHost}${proxy.uriPath} on 127.0.0.1:${proxy.port},`,
  );
  say(`   and a second emulator (${emulator.url}) runs in live XKS mode, trusting the proxy's CA`);
  const created = await client.createCustomKeyStore({
    customKeyStoreType: 'EXTERNAL_KEY_STORE',
    customKeyStoreName: 'payments-xks-live',
    xksProxyUriEndpoint: `https://${xksHost}`,
    xksProxyUriPath: proxy.uriPath,
    xksProxyConnectivity: 'PUBLIC_ENDPOINT',
    xksProxyAuthenticationCredential: { ...first },
  });
  const id = created.customKeyStoreId;
  say(`   CreateCustomKeyStore → ${id}: ${seen(created.$metadata.requestId)}`);

  const connected = await client.connectCustomKeyStore(id);
  const states = await follow(client, id, ['CONNECTED', 'FAILED']);
  say(`   ConnectCustomKeyStore → ${states.join(' → ')}: ${seen(connected.$metadata.requestId)}`);
  if (states.at(-1) !== 'CONNECTED') throw new Error(`${id} did not connect through the proxy`);

  say();
  say("9. Rotate its proxy credential to the proxy's second one with the maintenance run");
  const rotation = await client.maintainCustomKeyStore(
    { customKeyStoreId: id, xksProxyAuthenticationCredential: { ...second } },
    { pollIntervalMs: 100 },
  );
  const update = rotation.steps.find((step) => step.action === 'update');
  say(
    `   ${rotation.stateBefore} → ${rotation.steps.map((step) => step.action).join(' → ')} → ${rotation.stateAfter}: ${seen(update?.requestId)}`,
  );
  say('   A wrong secret is refused before anything changes, as KMS refuses it:');
  await expectError(
    () =>
      client.updateCustomKeyStore({
        customKeyStoreId: id,
        xksProxyAuthenticationCredential: {
          accessKeyId: second.accessKeyId,
          rawSecretAccessKey: demoProxySecret,
        },
      }),
    XksProxyIncorrectAuthenticationCredentialException,
  );

  const killSwitch = [
    'disconnect',
    id,
    '--wait',
    '--poll-interval',
    '100ms',
    '--region',
    emulator.region,
  ];
  say();
  say(`10. Pull the kill switch: kms-cks ${killSwitch.join(' ')}`);
  const code = await cli(emulator, killSwitch);
  if (code !== 0) throw new Error(`kms-cks disconnect exited ${code}`);
  say();
  say(
    `Live XKS done: ${id} was created, connected and rotated through the software XKS proxy (${proxy.requests.length} signed requests on loopback), then disconnected.`,
  );
}

/** Polls Describe until the store reaches one of `targets`; the states it went through. */
async function follow(
  client: KmsClient,
  id: string,
  targets: readonly string[],
): Promise<string[]> {
  const started = Date.now();
  const states: string[] = [];
  for (;;) {
    const page = await client.describeCustomKeyStores({ customKeyStoreId: id });
    const state = page.customKeyStores[0]?.connectionState ?? 'UNKNOWN';
    if (states.at(-1) !== state) states.push(state);
    if (targets.includes(state)) return states;
    if (Date.now() - started > pollLimitMs) {
      throw new Error(`${id} did not reach ${targets.join(' or ')} within ${pollLimitMs / 1000} s`);
    }
    await sleep(pollEveryMs);
  }
}

/** A made-up XKS proxy secret for the rotation (43–64 characters of the model's alphabet). */
const demoProxySecret = 'ZGVtby1wcm94eS1zZWNyZXQtYWNjZXNzLWtleS0wMDAwMDA=';

/** Runs kms-cks in-process against the emulator, its output indented under the step. */
function cli(emulator: KmsEmulator, args: string[]): Promise<number> {
  const indented = {
    write: (text: string) => process.stdout.write(text.replace(/^(?=.)/gm, '   ')),
  };
  return kmsCks(args, {
    stdout: indented,
    stderr: indented,
    isTTY: false,
    clientConfig: { endpoint: emulator.url, credentials: emulatorCredentials, maxAttempts: 1 },
  });
}

async function printStores(client: KmsClient): Promise<void> {
  const rows = [['ID', 'NAME', 'TYPE', 'STATE']];
  for await (const store of client.paginateCustomKeyStores()) {
    const state = store.connectionErrorCode
      ? `${store.connectionState ?? '-'} (${store.connectionErrorCode})`
      : (store.connectionState ?? '-');
    rows.push([
      store.customKeyStoreId ?? '-',
      store.customKeyStoreName ?? '',
      store.customKeyStoreType ?? '',
      state,
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  say('Custom key stores:');
  for (const row of rows) {
    say(
      `   ${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd()}`,
    );
  }
}

/** Runs a call that must fail with `expected`, and prints the typed error it got. */
async function expectError(
  call: () => Promise<unknown>,
  expected: abstract new (...args: never[]) => KmsError,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof expected)) throw error;
    say(`   threw ${error.name}: ${error.message}`);
    say(`   HTTP ${error.$metadata.httpStatusCode}, request ${error.$metadata.requestId}`);
    return;
  }
  throw new Error(`Expected ${expected.name}, but the call succeeded`);
}

function elapsed(since: number): string {
  return `+${String(Date.now() - since).padStart(5)} ms`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    // A readable line, not a stack trace.
    const message =
      error instanceof Error ? `${error.name}: ${error.message}` : `Demo failed: ${String(error)}`;
    process.stderr.write(`demo failed: ${message}\n`);
    process.exitCode = 1;
  },
);
