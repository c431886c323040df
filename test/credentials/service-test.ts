/**
 * What every credential-source test (web identity, assume role, SSO) sets up the same way: the
 * process environment of a service that reaches KMS on the emulator with a temporary HOME, KMS
 * clients built by the chain alone, and what to close after each test.
 */
import { expect } from 'vitest';
import type { KmsEmulator } from '../../src/emulator/index.js';
import { defaultKeyStoreIds } from '../../src/emulator/index.js';
import { KmsClient, type KmsClientConfig, KmsConfigError } from '../../src/index.js';
import { type TempHome, useProcessEnv } from '../config/helpers.js';

/** Per-test state: the environment set and the things to close; `cleanup()` in `afterEach`. */
export class ServiceTest {
  #restoreEnv: (() => void) | undefined;
  readonly #closers: (() => Promise<void>)[] = [];

  /** No IMDS, the emulator's region and endpoint, HOME at `home`, then `extra`. */
  useServiceEnv(home: TempHome, emulator: KmsEmulator, extra: NodeJS.ProcessEnv): void {
    this.#restoreEnv = useProcessEnv({
      HOME: home.dir,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: emulator.region,
      AWS_ENDPOINT_URL_KMS: emulator.url,
      ...extra,
    });
  }

  /** A client whose credentials come from the chain; closed at cleanup. */
  newClient(config: KmsClientConfig = {}): KmsClient {
    const client = new KmsClient(config);
    this.onCleanup(() => client.close());
    return client;
  }

  /** Runs `close` at cleanup. */
  onCleanup(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  /** Restores the environment and closes everything registered. */
  async cleanup(): Promise<void> {
    this.#restoreEnv?.();
    this.#restoreEnv = undefined;
    await Promise.all(this.#closers.splice(0).map((close) => close()));
  }
}

/** The call every end-to-end case makes: disconnect the emulator's external store. */
export async function disconnect(client: KmsClient): Promise<void> {
  await client.disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
}

/** The {@link KmsConfigError} that {@link disconnect} fails with (the test fails otherwise). */
export async function configError(client: KmsClient): Promise<KmsConfigError> {
  const error = await disconnect(client).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KmsConfigError);
  return error as KmsConfigError;
}

/** Who signed each request the emulator got, in order. */
export function signedWith(emulator: KmsEmulator): (string | undefined)[] {
  return emulator.requests.map((request) => request.accessKeyId);
}
