/**
 * Create, Update and Delete against the emulator: every rule KMS documents, each error typed on the
 * client side, Describe showing the new settings and never a secret, and the request log free of
 * the secrets that went through it.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultCloudHsmClusterIds,
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  type KmsEmulatorOptions,
  startKmsEmulator,
  type XksProxyProbeTarget,
} from '../../src/emulator/index.js';
import { exampleTrustAnchor } from '../../src/emulator/trust-anchor.js';
import {
  CloudHsmClusterInUseException,
  CloudHsmClusterInvalidConfigurationException,
  CloudHsmClusterNotActiveException,
  CloudHsmClusterNotFoundException,
  CloudHsmClusterNotRelatedException,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreNotFoundException,
  IncorrectTrustAnchorException,
  KmsClient,
  type KmsServiceException,
  LimitExceededException,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyInvalidConfigurationException,
  XksProxyInvalidResponseException,
  XksProxyUriEndpointInUseException,
  XksProxyUriInUseException,
  XksProxyUriUnreachableException,
  XksProxyVpcEndpointServiceInUseException,
  XksProxyVpcEndpointServiceInvalidConfigurationException,
  XksProxyVpcEndpointServiceNotFoundException,
} from '../../src/index.js';
import { send } from '../emulator/helpers.js';

const newKeyId = 'ROTATED234567ROTATED';
const newSecret = 'bmV3LXNlY3JldC1hY2Nlc3Mta2V5LWZvci10ZXN0cy0wMDAwMDA=';
const password = 'hsm-password-42';

let emulator: KmsEmulator;
let client: KmsClient;

async function start(options: KmsEmulatorOptions = {}): Promise<void> {
  await emulator?.close();
  await client?.close();
  emulator = await startKmsEmulator({ transitionMs: 30, ...options });
  client = new KmsClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulatorCredentials,
    maxAttempts: 1,
  });
}

beforeEach(() => start());

afterEach(async () => {
  await client.close();
  await emulator.close();
});

const external = (name: string, overrides: Record<string, unknown> = {}) =>
  ({
    customKeyStoreType: 'EXTERNAL_KEY_STORE',
    customKeyStoreName: name,
    xksProxyUriEndpoint: 'https://xks-new.example.com',
    xksProxyUriPath: '/kms/xks/v1',
    xksProxyConnectivity: 'PUBLIC_ENDPOINT',
    xksProxyAuthenticationCredential: { accessKeyId: newKeyId, rawSecretAccessKey: newSecret },
    ...overrides,
  }) as never;

const cloudHsm = (name: string, clusterId: string, overrides: Record<string, unknown> = {}) =>
  ({
    customKeyStoreName: name,
    cloudHsmClusterId: clusterId,
    trustAnchorCertificate: exampleTrustAnchor,
    keyStorePassword: password,
    ...overrides,
  }) as never;

async function rejection(promise: Promise<unknown>): Promise<KmsServiceException> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as KmsServiceException,
  );
}

async function describeOne(id: string) {
  return (await client.describeCustomKeyStores({ customKeyStoreId: id })).customKeyStores[0]!;
}

describe('CreateCustomKeyStore in the emulator', () => {
  it('an external key store: a fresh cks- + 17 hex ID, DISCONNECTED, Describe shows its settings', async () => {
    const { customKeyStoreId } = await client.createCustomKeyStore(external('new-xks'));
    expect(customKeyStoreId).toMatch(/^cks-[0-9a-f]{17}$/);
    const entry = await describeOne(customKeyStoreId);
    expect(entry).toMatchObject({
      customKeyStoreName: 'new-xks',
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      connectionState: 'DISCONNECTED',
      xksProxyConfiguration: {
        connectivity: 'PUBLIC_ENDPOINT',
        uriEndpoint: 'https://xks-new.example.com',
        uriPath: '/kms/xks/v1',
      },
    });
    // Readable, to check a rotation, but never printed.
    expect(entry.xksProxyConfiguration?.accessKeyId).toBe(newKeyId);
    for (const text of [JSON.stringify(entry), inspect(entry, { depth: 10 })]) {
      expect(text).not.toContain(newKeyId);
      expect(text).not.toContain(newSecret);
      expect(text).toContain('[redacted]');
    }
    // The store holds the credential (as KMS does, to sign its requests to the proxy).
    const stored = emulator.keyStores.get(customKeyStoreId)!;
    expect(stored.xksProxyAuthenticationCredential).toMatchObject({ accessKeyId: newKeyId });
    expect(stored.xksProxyAuthenticationCredential?.rawSecretAccessKey).toBe(newSecret);
    expect(inspect(stored, { depth: 10 })).not.toContain(newSecret);
    expect(JSON.stringify(stored)).not.toContain(newSecret);
    // A second store gets another ID.
    const second = await client.createCustomKeyStore(
      external('new-xks-2', { xksProxyUriPath: '/two/kms/xks/v1' }),
    );
    expect(second.customKeyStoreId).not.toBe(customKeyStoreId);
  });

  it('a CloudHSM key store on a free active cluster, whose password is never shown', async () => {
    const { customKeyStoreId } = await client.createCustomKeyStore(
      cloudHsm('new-hsm', defaultCloudHsmClusterIds.spare),
    );
    const entry = await describeOne(customKeyStoreId);
    expect(entry).toMatchObject({
      customKeyStoreType: 'AWS_CLOUDHSM',
      connectionState: 'DISCONNECTED',
      cloudHsmClusterId: defaultCloudHsmClusterIds.spare,
      trustAnchorCertificate: exampleTrustAnchor,
    });
    const stored = emulator.keyStores.get(customKeyStoreId)!;
    expect(stored.keyStorePassword).toBe(password);
    expect(`${inspect(stored)}${JSON.stringify(stored)}${JSON.stringify(entry)}`).not.toContain(
      password,
    );
  });

  it('names are unique per region', async () => {
    const error = await rejection(client.createCustomKeyStore(external('orders-xks')));
    expect(error).toBeInstanceOf(CustomKeyStoreNameInUseException);
  });

  it('endpoint + path are unique per region; the same endpoint with another path is fine', async () => {
    await expect(
      client.createCustomKeyStore(
        external('dup-uri', { xksProxyUriEndpoint: 'https://xks-proxy.orders.example.com' }),
      ),
    ).rejects.toBeInstanceOf(XksProxyUriInUseException);
    await client.createCustomKeyStore(
      external('same-endpoint', {
        xksProxyUriEndpoint: 'https://xks-proxy.orders.example.com',
        xksProxyUriPath: '/other/kms/xks/v1',
      }),
    );
  });

  it('with VPC connectivity the endpoint and the VPC endpoint service are unique', async () => {
    const vpc = {
      xksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
      xksProxyUriEndpoint: 'https://myproxy-private.xks.example.com',
      xksProxyUriPath: '/new/kms/xks/v1',
      xksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0fedcba9876543210',
    };
    await expect(client.createCustomKeyStore(external('vpc-1', vpc))).rejects.toBeInstanceOf(
      XksProxyUriEndpointInUseException,
    );
    await expect(
      client.createCustomKeyStore(
        external('vpc-2', {
          ...vpc,
          xksProxyUriEndpoint: 'https://other-private.xks.example.com',
          xksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abcdef1234567890',
        }),
      ),
    ).rejects.toBeInstanceOf(XksProxyVpcEndpointServiceInUseException);
    const created = await client.createCustomKeyStore(
      external('vpc-3', { ...vpc, xksProxyUriEndpoint: 'https://other-private.xks.example.com' }),
    );
    expect((await describeOne(created.customKeyStoreId)).xksProxyConfiguration).toMatchObject({
      connectivity: 'VPC_ENDPOINT_SERVICE',
      vpcEndpointServiceName: vpc.xksProxyVpcEndpointServiceName,
    });
  });

  it('CloudHSM: a cluster serves one store; unknown, inactive, misconfigured clusters and a wrong trust anchor fail', async () => {
    await start({
      cloudHsmClusters: [
        { clusterId: defaultCloudHsmClusterIds.payments },
        { clusterId: 'cluster-badconfigabc', invalidConfiguration: true },
        { clusterId: 'cluster-inactiveabcd', state: 'UNINITIALIZED' },
        { clusterId: 'cluster-otheranchorx', trustAnchorCertificate: 'another PEM' },
      ],
    });
    const cases: [string, Record<string, unknown>, new (...args: never[]) => unknown][] = [
      [defaultCloudHsmClusterIds.payments, {}, CloudHsmClusterInUseException],
      ['cluster-nosuchcluster', {}, CloudHsmClusterNotFoundException],
      ['cluster-inactiveabcd', {}, CloudHsmClusterNotActiveException],
      ['cluster-badconfigabc', {}, CloudHsmClusterInvalidConfigurationException],
      ['cluster-otheranchorx', {}, IncorrectTrustAnchorException],
    ];
    for (const [clusterId, overrides, errorClass] of cases) {
      const error = await rejection(
        client.createCustomKeyStore(cloudHsm(`hsm-${clusterId}`, clusterId, overrides)),
      );
      expect(error, clusterId).toBeInstanceOf(errorClass);
    }
    expect(emulator.keyStores.size).toBe(4);
  });

  it('the per-region quota: LimitExceededException past it', async () => {
    await start({ keyStoreQuota: 5 });
    await client.createCustomKeyStore(external('fifth'));
    const error = await rejection(
      client.createCustomKeyStore(external('sixth', { xksProxyUriPath: '/six/kms/xks/v1' })),
    );
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(emulator.keyStores.size).toBe(5);
  });

  it('the XKS probe decides: each of its errors is typed, and nothing is created', async () => {
    const errors = [
      ['XksProxyUriUnreachableException', XksProxyUriUnreachableException],
      [
        'XksProxyIncorrectAuthenticationCredentialException',
        XksProxyIncorrectAuthenticationCredentialException,
      ],
      ['XksProxyInvalidResponseException', XksProxyInvalidResponseException],
      ['XksProxyInvalidConfigurationException', XksProxyInvalidConfigurationException],
      ['XksProxyVpcEndpointServiceNotFoundException', XksProxyVpcEndpointServiceNotFoundException],
      [
        'XksProxyVpcEndpointServiceInvalidConfigurationException',
        XksProxyVpcEndpointServiceInvalidConfigurationException,
      ],
    ] as const;
    const seen: XksProxyProbeTarget[] = [];
    let next = 0;
    await start({
      xksProxyProbe: async (target) => {
        seen.push(target);
        return { error: errors[next]![0] };
      },
    });
    for (const [, errorClass] of errors) {
      const error = await rejection(client.createCustomKeyStore(external('probed')));
      expect(error).toBeInstanceOf(errorClass);
      expect(error.message).not.toContain(newSecret);
      next++;
    }
    expect(emulator.keyStores.size).toBe(4);
    expect(seen[0]).toMatchObject({
      operation: 'CreateCustomKeyStore',
      region: 'us-east-1',
      customKeyStoreName: 'probed',
      xksProxyConfiguration: { uriEndpoint: 'https://xks-new.example.com', uriPath: '/kms/xks/v1' },
      xksProxyAuthenticationCredential: { accessKeyId: newKeyId },
    });
    expect(seen[0]!.xksProxyAuthenticationCredential.rawSecretAccessKey).toBe(newSecret);
  });
});

describe('UpdateCustomKeyStore in the emulator', () => {
  it('an external key store: name, credential and path in any state, shown by Describe', async () => {
    const id = defaultKeyStoreIds.externalPublic;
    expect((await describeOne(id)).connectionState).toBe('CONNECTED');
    await client.updateCustomKeyStore({
      customKeyStoreId: id,
      newCustomKeyStoreName: 'orders-xks-renamed',
      xksProxyUriPath: '/v2/kms/xks/v1',
      xksProxyAuthenticationCredential: { accessKeyId: newKeyId, rawSecretAccessKey: newSecret },
    });
    const entry = await describeOne(id);
    expect(entry).toMatchObject({
      customKeyStoreName: 'orders-xks-renamed',
      connectionState: 'CONNECTED',
      xksProxyConfiguration: { uriPath: '/v2/kms/xks/v1', accessKeyId: newKeyId },
    });
    expect(emulator.keyStores.get(id)!.xksProxyAuthenticationCredential?.rawSecretAccessKey).toBe(
      newSecret,
    );
  });

  it('connectivity, endpoint and VPC service only when DISCONNECTED', async () => {
    const id = defaultKeyStoreIds.externalVpc;
    for (const change of [
      { xksProxyUriEndpoint: 'https://moved.example.com' },
      { xksProxyConnectivity: 'PUBLIC_ENDPOINT' },
      { xksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef9' },
    ]) {
      const error = await rejection(
        client.updateCustomKeyStore({ customKeyStoreId: id, ...change } as never),
      );
      expect(error, JSON.stringify(change)).toBeInstanceOf(CustomKeyStoreInvalidStateException);
    }
    emulator.setConnectionState(id, 'DISCONNECTED');
    await client.updateCustomKeyStore({
      customKeyStoreId: id,
      xksProxyConnectivity: 'PUBLIC_ENDPOINT',
      xksProxyUriEndpoint: 'https://analytics-public.example.com',
    });
    const configuration = (await describeOne(id)).xksProxyConfiguration!;
    expect(configuration).toMatchObject({
      connectivity: 'PUBLIC_ENDPOINT',
      uriEndpoint: 'https://analytics-public.example.com',
    });
    expect(configuration.vpcEndpointServiceName).toBeUndefined();
    expect(configuration.vpcEndpointServiceOwner).toBeUndefined();
  });

  it('uniqueness holds on update too (name, URI)', async () => {
    await expect(
      client.updateCustomKeyStore({
        customKeyStoreId: defaultKeyStoreIds.externalPublic,
        newCustomKeyStoreName: 'payments-hsm',
      }),
    ).rejects.toBeInstanceOf(CustomKeyStoreNameInUseException);
    emulator.setConnectionState(defaultKeyStoreIds.failingExternal, 'DISCONNECTED');
    await expect(
      client.updateCustomKeyStore({
        customKeyStoreId: defaultKeyStoreIds.failingExternal,
        xksProxyUriEndpoint: 'https://xks-proxy.orders.example.com',
      }),
    ).rejects.toBeInstanceOf(XksProxyUriInUseException);
  });

  it('CloudHSM: name in any state; password and cluster only when DISCONNECTED; the cluster must be related', async () => {
    const id = defaultKeyStoreIds.cloudHsm;
    await client.updateCustomKeyStore({ customKeyStoreId: id, newCustomKeyStoreName: 'pay-hsm' });
    for (const change of [
      { keyStorePassword: password },
      { cloudHsmClusterId: defaultCloudHsmClusterIds.paymentsRestored },
    ]) {
      await expect(
        client.updateCustomKeyStore({ customKeyStoreId: id, ...change }),
      ).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
    }
    emulator.setConnectionState(id, 'DISCONNECTED');
    await expect(
      client.updateCustomKeyStore({
        customKeyStoreId: id,
        cloudHsmClusterId: defaultCloudHsmClusterIds.spare,
      }),
    ).rejects.toBeInstanceOf(CloudHsmClusterNotRelatedException);
    await expect(
      client.updateCustomKeyStore({
        customKeyStoreId: id,
        cloudHsmClusterId: 'cluster-doesnotexist',
      }),
    ).rejects.toBeInstanceOf(CloudHsmClusterNotFoundException);
    await client.updateCustomKeyStore({
      customKeyStoreId: id,
      cloudHsmClusterId: defaultCloudHsmClusterIds.paymentsRestored,
      keyStorePassword: password,
    });
    expect(await describeOne(id)).toMatchObject({
      customKeyStoreName: 'pay-hsm',
      cloudHsmClusterId: defaultCloudHsmClusterIds.paymentsRestored,
    });
    expect(emulator.keyStores.get(id)!.keyStorePassword).toBe(password);
  });

  it('fields of the other store type are refused; an unknown store is not found', async () => {
    const error = await rejection(
      client.updateCustomKeyStore({
        customKeyStoreId: defaultKeyStoreIds.cloudHsm,
        xksProxyUriPath: '/kms/xks/v2',
      }),
    );
    expect(error.name).toBe('ValidationException');
    await expect(
      client.updateCustomKeyStore({ customKeyStoreId: 'cks-nope', newCustomKeyStoreName: 'x' }),
    ).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
  });

  it('the XKS probe sees the new credential, and its refusal leaves the store as it was', async () => {
    await start({
      xksProxyProbe: async (target) =>
        target.xksProxyAuthenticationCredential.accessKeyId === newKeyId
          ? { error: 'XksProxyIncorrectAuthenticationCredentialException' }
          : undefined,
    });
    const id = defaultKeyStoreIds.externalPublic;
    await expect(
      client.updateCustomKeyStore({
        customKeyStoreId: id,
        xksProxyAuthenticationCredential: { accessKeyId: newKeyId, rawSecretAccessKey: newSecret },
      }),
    ).rejects.toBeInstanceOf(XksProxyIncorrectAuthenticationCredentialException);
    expect((await describeOne(id)).xksProxyConfiguration?.accessKeyId).toBe('ABCDE23456FGHIJ76543');
  });
});

describe('DeleteCustomKeyStore in the emulator', () => {
  it('only when DISCONNECTED and holding no KMS keys', async () => {
    await start({
      keyStores: [
        {
          id: 'cks-00000000000000001',
          name: 'with-keys',
          type: 'AWS_CLOUDHSM',
          connectionState: 'DISCONNECTED',
          kmsKeyCount: 3,
        },
        { id: 'cks-00000000000000002', name: 'connected', type: 'EXTERNAL_KEY_STORE' },
        {
          id: 'cks-00000000000000003',
          name: 'empty',
          type: 'EXTERNAL_KEY_STORE',
          connectionState: 'DISCONNECTED',
        },
      ],
    });
    await expect(client.deleteCustomKeyStore('cks-00000000000000001')).rejects.toBeInstanceOf(
      CustomKeyStoreHasCMKsException,
    );
    await expect(client.deleteCustomKeyStore('cks-00000000000000002')).rejects.toBeInstanceOf(
      CustomKeyStoreInvalidStateException,
    );
    await client.deleteCustomKeyStore('cks-00000000000000003');
    expect(emulator.keyStores.has('cks-00000000000000003')).toBe(false);
    await expect(client.deleteCustomKeyStore('cks-00000000000000003')).rejects.toBeInstanceOf(
      CustomKeyStoreNotFoundException,
    );
    // The name is free again.
    await client.createCustomKeyStore(external('empty'));
  });

  it('a deleted CloudHSM store frees its cluster', async () => {
    const { customKeyStoreId } = await client.createCustomKeyStore(
      cloudHsm('temp-hsm', defaultCloudHsmClusterIds.spare),
    );
    await client.deleteCustomKeyStore(customKeyStoreId);
    await client.createCustomKeyStore(cloudHsm('temp-hsm-2', defaultCloudHsmClusterIds.spare));
  });
});

describe('the request log', () => {
  it('never holds a proxy credential or a CloudHSM password, in the body or the input', async () => {
    await client.createCustomKeyStore(external('logged'));
    await client.createCustomKeyStore(cloudHsm('logged-hsm', defaultCloudHsmClusterIds.spare));
    await client
      .createCustomKeyStore(
        // Refused by validation in the emulator: still logged, still without its secret.
        cloudHsm('x', defaultCloudHsmClusterIds.spare, { keyStorePassword: `${password}!` }),
      )
      .catch(() => {});
    const logged = JSON.stringify(emulator.requests);
    const creates = emulator.requests.filter((entry) => entry.operation === 'CreateCustomKeyStore');
    expect(creates.length).toBeGreaterThanOrEqual(3);
    for (const secret of [newKeyId, newSecret, password]) {
      expect(logged).not.toContain(secret);
      expect(inspect(emulator.requests, { depth: 10 })).not.toContain(secret);
    }
    expect(creates[0]!.input).toMatchObject({
      CustomKeyStoreName: 'logged',
      XksProxyAuthenticationCredential: {
        AccessKeyId: '[redacted]',
        RawSecretAccessKey: '[redacted]',
      },
    });
    expect(creates[0]!.body).toContain('"RawSecretAccessKey":"[redacted]"');
  });

  it('an emulator ValidationException never echoes a sensitive value', async () => {
    const shortSecret = 'tooShortSecret/value';
    const response = await send(emulator, {
      operation: 'UpdateCustomKeyStore',
      body: JSON.stringify({
        CustomKeyStoreId: defaultKeyStoreIds.externalPublic,
        KeyStorePassword: 'abc',
        XksProxyAuthenticationCredential: {
          AccessKeyId: 'lower-case-id',
          RawSecretAccessKey: shortSecret,
        },
      }),
    });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toMatch(/ValidationException$/);
    expect(response.body).toContain('xksProxyAuthenticationCredential.rawSecretAccessKey');
    expect(response.body).toContain('keyStorePassword');
    for (const secret of [shortSecret, 'lower-case-id', "'abc'"]) {
      expect(response.body).not.toContain(secret);
      expect(JSON.stringify(emulator.requests)).not.toContain(secret);
    }
  });
});
