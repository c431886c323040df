/**
 * Two "accounts" for fleet tests, each reached through a shared-config profile (keys in a temp
 * credentials file, endpoint_url in a temp config file, both on loopback):
 * - `prod`: an emulator serving us-east-1 and eu-west-1 with the default stores of each region;
 * - `dr`: an emulator serving us-east-1 only, so that dr × eu-west-1 fails (a failing region).
 * A third profile, `nokeys`, has an endpoint but no credentials.
 */
import { type KmsEmulator, startKmsEmulator } from '../../src/emulator/index.js';
import { type TempHome, tempHome } from '../config/helpers.js';

export const prodKeys = {
  accessKeyId: 'AKIAPRODEXAMPLE00001',
  secretAccessKey: 'prod-secret-of-the-fleet-test-0000000001',
};
export const drKeys = {
  accessKeyId: 'AKIADREXAMPLE0000002',
  secretAccessKey: 'dr-secret-of-the-fleet-test-00000000002',
};

export interface Fleet {
  prod: KmsEmulator;
  dr: KmsEmulator;
  home: TempHome;
  /** AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and IMDS off: the environment to run with. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Stores of the dr account: two external key stores and a CloudHSM one. */
export const drStores = [
  { id: 'cks-dr0000000000000a', name: 'dr-orders-xks', type: 'EXTERNAL_KEY_STORE' },
  { id: 'cks-dr0000000000000b', name: 'dr-legacy-xks', type: 'EXTERNAL_KEY_STORE' },
  { id: 'cks-dr0000000000000c', name: 'dr-hsm', type: 'AWS_CLOUDHSM' },
] as const;

/** Starts both emulators and writes the profiles. */
export async function startFleet(transitionMs = 150): Promise<Fleet> {
  const prod = await startKmsEmulator({
    regions: ['us-east-1', 'eu-west-1'],
    credentials: [prodKeys],
    transitionMs,
  });
  const dr = await startKmsEmulator({
    regions: ['us-east-1'],
    credentials: [drKeys],
    transitionMs,
    keyStores: drStores,
  });
  const home = await tempHome();
  const config = await home.write(
    '.aws/config',
    [
      '[profile prod]',
      `endpoint_url = ${prod.url}`,
      '[profile dr]',
      `endpoint_url = ${dr.url}`,
      '[profile nokeys]',
      `endpoint_url = ${prod.url}`,
      '',
    ].join('\n'),
  );
  const credentials = await home.write(
    '.aws/credentials',
    [
      '[prod]',
      `aws_access_key_id = ${prodKeys.accessKeyId}`,
      `aws_secret_access_key = ${prodKeys.secretAccessKey}`,
      '[dr]',
      `aws_access_key_id = ${drKeys.accessKeyId}`,
      `aws_secret_access_key = ${drKeys.secretAccessKey}`,
      '',
    ].join('\n'),
  );
  return {
    prod,
    dr,
    home,
    env: {
      HOME: home.dir,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async close() {
      await prod.close();
      await dr.close();
      await home.remove();
    },
  };
}

/** The Disconnect / Connect requests an emulator got, as `region id`. */
export function actionsOn(emulator: KmsEmulator, operation: string): string[] {
  return emulator.requests
    .filter((request) => request.operation === operation)
    .map((request) => `${request.region} ${String(request.input?.CustomKeyStoreId)}`)
    .sort();
}
