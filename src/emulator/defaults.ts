/**
 * What the emulator starts with when nothing else is given: AWS's documented example key pair
 * and four key stores covering both types and a store whose connection attempts fail.
 */
import { createHash } from 'node:crypto';
import type { KeyStoreSeed } from './store.js';

/** Credentials the emulator accepts. */
export interface EmulatorCredentials {
  /** The access key ID requests are signed with. */
  accessKeyId: string;
  /** The secret the emulator verifies signatures with. */
  secretAccessKey: string;
  /** When set, requests must carry this token in `X-Amz-Security-Token`. */
  sessionToken?: string;
  /** When set, requests signed after this instant get ExpiredTokenException. */
  expiration?: Date;
}

/** AWS's published example key pair, which opens nothing anywhere else. */
const exampleKeyPair = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;

/**
 * The key pair the emulator accepts when started without `credentials`, kept apart from
 * {@link emulatorCredentials}: nothing done to that shared object can change what an emulator
 * accepts.
 */
export function defaultEmulatorCredentials(): EmulatorCredentials {
  return { ...exampleKeyPair };
}

/**
 * The key pair the emulator accepts by default: AWS's published example credentials, which
 * open nothing anywhere else. Pass them to any client pointed at the emulator: ours, the AWS SDK
 * v3 (which records where credentials came from by adding a `$source` property to the object it
 * is given, so a frozen object made it throw `TypeError` before sending), the AWS CLI's
 * environment.
 *
 * A plain, extensible object whose two keys are read-only: a client may add properties to it,
 * nobody can change the key pair, and the emulator does not read this object at all (it keeps its
 * own copy), so sharing it between clients, tests and emulators is safe.
 */
export const emulatorCredentials: Readonly<EmulatorCredentials> = Object.defineProperties(
  {},
  {
    accessKeyId: { value: exampleKeyPair.accessKeyId, enumerable: true },
    secretAccessKey: { value: exampleKeyPair.secretAccessKey, enumerable: true },
  },
) as Readonly<EmulatorCredentials>;

/** The region the emulator serves by default. */
export const emulatorRegion = 'us-east-1';

/** IDs of the default key stores, to refer to them in tests and examples. */
export const defaultKeyStoreIds = {
  /** `payments-hsm`: a CloudHSM key store, CONNECTED. */
  cloudHsm: 'cks-1a2b3c4d5e6f70819',
  /** `orders-xks`: an external key store with a public endpoint, CONNECTED. */
  externalPublic: 'cks-0123456789abcdef0',
  /** `analytics-xks`: an external key store behind a VPC endpoint service, CONNECTED. */
  externalVpc: 'cks-9f8e7d6c5b4a39281',
  /** `legacy-xks`: an external key store, DISCONNECTED; connecting ends in FAILED (XKS_PROXY_TIMED_OUT). */
  failingExternal: 'cks-5a5a5a5a5a5a5a5a5',
} as const;

/**
 * A fresh copy of the default key stores (one CloudHSM, two external, one failing to connect).
 * In {@link emulatorRegion} their IDs are {@link defaultKeyStoreIds}; in another region the same
 * four stores get IDs of their own (derived from the region, stable from run to run), so that a
 * store ID names one store across a multi-region emulator, as in KMS.
 *
 * @param region - the region they are for; default {@link emulatorRegion}.
 */
export function defaultKeyStores(region: string = emulatorRegion): KeyStoreSeed[] {
  const seeds = usEast1KeyStores();
  if (region === emulatorRegion) return seeds;
  return seeds.map((seed) => ({
    ...seed,
    id: `cks-${createHash('sha256').update(`${region}/${seed.id}`).digest('hex').slice(0, 17)}`,
    xksProxyConfiguration: seed.xksProxyConfiguration && {
      ...seed.xksProxyConfiguration,
      ...(seed.xksProxyConfiguration.vpcEndpointServiceName && {
        vpcEndpointServiceName: seed.xksProxyConfiguration.vpcEndpointServiceName.replace(
          emulatorRegion,
          region,
        ),
      }),
    },
  }));
}

function usEast1KeyStores(): KeyStoreSeed[] {
  return [
    {
      id: defaultKeyStoreIds.cloudHsm,
      name: 'payments-hsm',
      type: 'AWS_CLOUDHSM',
      connectionState: 'CONNECTED',
      creationDate: new Date('2023-11-02T08:41:17.204Z'),
      cloudHsmClusterId: 'cluster-234abcdefgh',
    },
    {
      id: defaultKeyStoreIds.externalPublic,
      name: 'orders-xks',
      type: 'EXTERNAL_KEY_STORE',
      connectionState: 'CONNECTED',
      creationDate: new Date('2024-03-12T09:14:07.512Z'),
      xksProxyConfiguration: {
        connectivity: 'PUBLIC_ENDPOINT',
        accessKeyId: 'ABCDE23456FGHIJ76543',
        uriEndpoint: 'https://xks-proxy.orders.example.com',
        uriPath: '/kms/xks/v1',
      },
    },
    {
      id: defaultKeyStoreIds.externalVpc,
      name: 'analytics-xks',
      type: 'EXTERNAL_KEY_STORE',
      connectionState: 'CONNECTED',
      creationDate: new Date('2024-06-30T17:02:55.031Z'),
      xksProxyConfiguration: {
        connectivity: 'VPC_ENDPOINT_SERVICE',
        accessKeyId: 'KLMNO23456PQRST76543',
        uriEndpoint: 'https://myproxy-private.xks.example.com',
        uriPath: '/analytics/kms/xks/v1',
        vpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abcdef1234567890',
        vpcEndpointServiceOwner: '111122223333',
      },
    },
    {
      id: defaultKeyStoreIds.failingExternal,
      name: 'legacy-xks',
      type: 'EXTERNAL_KEY_STORE',
      connectionState: 'DISCONNECTED',
      creationDate: new Date('2022-09-05T12:00:00Z'),
      connectFailure: 'XKS_PROXY_TIMED_OUT',
      xksProxyConfiguration: {
        connectivity: 'PUBLIC_ENDPOINT',
        accessKeyId: 'UVWXY34567ZABCD23456',
        uriEndpoint: 'https://xks-proxy.legacy.example.com',
        uriPath: '/kms/xks/v1',
      },
    },
  ];
}
