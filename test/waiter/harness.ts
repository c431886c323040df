/**
 * The emulator and a client pointed at it, for the describe, waiter and CLI tests. Transitions
 * are short (but not instant) so that waits go through CONNECTING / DISCONNECTING.
 */
import {
  defaultKeyStoreIds,
  defaultKeyStores,
  emulatorCredentials,
  type KeyStoreSeed,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { KmsClient } from '../../src/index.js';

/** How long CONNECTING and DISCONNECTING last in these tests. */
export const transitionMs = 150;

/** Fast polling for tests (the library default is 2 s). */
export const fastPoll = { pollIntervalMs: 20, maxPollIntervalMs: 50 } as const;

/** Extra stores on top of the emulator's defaults. */
export const extraStores: KeyStoreSeed[] = [
  {
    id: 'cks-failed00000000001',
    name: 'broken-xks',
    type: 'EXTERNAL_KEY_STORE',
    connectionState: 'FAILED',
    connectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
  },
  {
    id: 'cks-stuck0000000000001',
    name: 'stuck-disconnecting',
    type: 'EXTERNAL_KEY_STORE',
    connectionState: 'DISCONNECTING',
  },
  {
    id: 'cks-idle00000000000001',
    name: 'idle-xks',
    type: 'EXTERNAL_KEY_STORE',
    connectionState: 'DISCONNECTED',
  },
  {
    id: 'cks-hsmdown0000000001',
    name: 'hsm-not-active',
    type: 'AWS_CLOUDHSM',
    connectionState: 'DISCONNECTED',
    connectException: 'CloudHsmClusterNotActiveException',
  },
  {
    id: 'cks-hsmbad00000000001',
    name: 'hsm-bad-config',
    type: 'AWS_CLOUDHSM',
    connectionState: 'DISCONNECTED',
    connectException: 'CloudHsmClusterInvalidConfigurationException',
  },
];

export interface Harness {
  emulator: KmsEmulator;
  client: KmsClient;
  close(): Promise<void>;
}

/**
 * Starts an emulator (default stores plus `extra`) and a client for it. A test that must see a
 * transient state from another process (which may start slowly on a loaded machine) asks for
 * longer transitions.
 */
export async function startHarness(
  extra: KeyStoreSeed[] = extraStores,
  options: { transitionMs?: number } = {},
): Promise<Harness> {
  const emulator = await startKmsEmulator({
    transitionMs: options.transitionMs ?? transitionMs,
    keyStores: [...defaultKeyStores(), ...extra],
  });
  const client = new KmsClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulatorCredentials,
  });
  // Load what the client loads on first use (the zod schemas of Describe and of the waiter's
  // options) now, so that a test's first wait is not slower than a 150 ms transition.
  await client.waitForConnectionState(defaultKeyStoreIds.cloudHsm, 'CONNECTED', fastPoll);
  emulator.clearRequests();
  return {
    emulator,
    client,
    async close() {
      await client.close();
      await emulator.close();
    },
  };
}

/** The requests the emulator got for one operation. */
export function requestsFor(emulator: KmsEmulator, operation: string) {
  return emulator.requests.filter((request) => request.operation === operation);
}
