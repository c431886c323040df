/**
 * "The same service code runs unchanged": a KmsClient built with no options at all finds its
 * region, endpoint and credentials from each of the four sources, and goes through a proxy, with
 * only the environment and the shared files changing. The emulator checks every signature.
 */
import { fromIni } from '@aws-sdk/credential-providers';
// The Agent alone: nothing in this file loads undici's index, so the proxy tests also prove
// the client's own CONNECT tunnel needs nothing more than what the client imports.
import Agent from 'undici/lib/dispatcher/agent.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmsClient, type ResolvedClientConfig } from '../../src/client.js';
import {
  defaultKeyStoreIds,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { KmsConfigError } from '../../src/errors.js';
import { signedWith } from '../credentials/service-test.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { credentialsDocument, type TempHome, tempHome, useProcessEnv } from './helpers.js';
import { startTestProxy, type TestProxy } from './proxy-server.js';

const keys = {
  env: { accessKeyId: 'AKIAENVEXAMPLE000001', secretAccessKey: 'env-secret-key' },
  profile: { accessKeyId: 'AKIAPROFILEEXAMPLE01', secretAccessKey: 'profile-secret-key' },
  process: {
    accessKeyId: 'ASIAPROCESSEXAMPLE01',
    secretAccessKey: 'process-secret-key',
    sessionToken: 'process-session-token',
  },
  container: {
    accessKeyId: 'ASIACONTAINEREXAMPL1',
    secretAccessKey: 'container-secret-key',
    sessionToken: 'container-session-token',
  },
  imds: {
    accessKeyId: 'ASIAINSTANCEEXAMPLE1',
    secretAccessKey: 'instance-secret-key',
    sessionToken: 'instance-session-token',
  },
  assumed: {
    accessKeyId: 'ASIAASSUMEDEXAMPLE01',
    secretAccessKey: 'assumed-secret-key',
    sessionToken: 'assumed-session-token',
  },
} as const;

let home: TempHome;
let emulator: KmsEmulator;
let restoreEnv: (() => void) | undefined;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  home = await tempHome();
  emulator = await startKmsEmulator({ credentials: Object.values(keys), transitionMs: 50 });
});
afterEach(async () => {
  restoreEnv?.();
  restoreEnv = undefined;
  await Promise.all(closers.splice(0).map((close) => close()));
  await emulator.close();
  await home.remove();
});

/** The environment of a service: the temp HOME, no IMDS, region and endpoint of the emulator. */
function serviceEnv(extra: NodeJS.ProcessEnv = {}): void {
  restoreEnv = useProcessEnv({
    HOME: home.dir,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: emulator.region,
    AWS_ENDPOINT_URL_KMS: emulator.url,
    ...extra,
  });
}

/** The service: no configuration in code. */
async function serviceCode(): Promise<ResolvedClientConfig> {
  const client = new KmsClient();
  try {
    await client.disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
    return await client.resolveConfig();
  } finally {
    await client.close();
  }
}

async function metadataServer(handler: Parameters<typeof startLoopbackServer>[0]) {
  const server: LoopbackServer = await startLoopbackServer(handler);
  closers.push(() => server.close());
  return server;
}

describe('the same service code with each credential source', () => {
  it('environment variables', async () => {
    serviceEnv({
      AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
    });
    const config = await serviceCode();
    expect(config).toEqual({
      region: 'us-east-1',
      endpoint: `${emulator.url}/`,
      credentialSource: 'env',
      profile: 'default',
      maxAttempts: 3,
      usesProxy: false,
    });
    expect(signedWith(emulator)).toEqual([keys.env.accessKeyId]);
    expect(emulator.requests[0]?.status).toBe(200);
  });

  it('a shared-file profile chosen by AWS_PROFILE, with region and endpoint from the profile', async () => {
    await home.write(
      '.aws/config',
      `[profile ops]\nregion = us-east-1\nservices = emu\n\n[services emu]\nkms =\n  endpoint_url = ${emulator.url}\n`,
    );
    await home.write(
      '.aws/credentials',
      `[ops]\naws_access_key_id = ${keys.profile.accessKeyId}\naws_secret_access_key = ${keys.profile.secretAccessKey}\n`,
    );
    restoreEnv = useProcessEnv({
      HOME: home.dir,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PROFILE: 'ops',
    });
    const config = await serviceCode();
    expect(config).toMatchObject({ credentialSource: 'profile:ops', profile: 'ops' });
    expect(signedWith(emulator)).toEqual([keys.profile.accessKeyId]);
  });

  it('a credential_process of the default profile', async () => {
    const script = await home.write(
      'bin/creds.mjs',
      `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: '${keys.process.accessKeyId}', SecretAccessKey: '${keys.process.secretAccessKey}', SessionToken: '${keys.process.sessionToken}', Expiration: new Date(Date.now() + 3600e3).toISOString() }));`,
    );
    await home.write(
      '.aws/config',
      `[default]\ncredential_process = "${process.execPath}" "${script}"\n`,
    );
    serviceEnv({ PATH: process.env.PATH });
    const config = await serviceCode();
    expect(config.credentialSource).toBe('process');
    expect(signedWith(emulator)).toEqual([keys.process.accessKeyId]);
    expect(emulator.requests[0]?.headers['x-amz-security-token']).toBe('[redacted]');
  });

  it('the container endpoint (ECS / EKS Pod Identity)', async () => {
    const tokenFile = await home.write('pod-identity-token', 'pod-token');
    const container = await metadataServer((request, response) => {
      if (request.headers.authorization !== 'pod-token') {
        response.writeHead(401);
        response.end();
        return;
      }
      response.end(
        credentialsDocument(keys.container.accessKeyId, {
          secret: keys.container.secretAccessKey,
          token: keys.container.sessionToken,
        }),
      );
    });
    serviceEnv({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
    });
    const config = await serviceCode();
    expect(config.credentialSource).toBe('container');
    expect(signedWith(emulator)).toEqual([keys.container.accessKeyId]);
    expect(container.requests).toHaveLength(1);
  });

  it('EC2 instance metadata (IMDSv2)', async () => {
    const imds = await metadataServer((request, response) => {
      if (request.method === 'PUT') return void response.end('imds-token');
      if (request.headers['x-aws-ec2-metadata-token'] !== 'imds-token') {
        response.writeHead(401);
        return void response.end();
      }
      if (request.url?.endsWith('/security-credentials/')) return void response.end('web-role');
      response.end(
        credentialsDocument(keys.imds.accessKeyId, {
          secret: keys.imds.secretAccessKey,
          token: keys.imds.sessionToken,
        }),
      );
    });
    serviceEnv({
      AWS_EC2_METADATA_DISABLED: 'false',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
    });
    const config = await serviceCode();
    expect(config.credentialSource).toBe('imds');
    expect(signedWith(emulator)).toEqual([keys.imds.accessKeyId]);
    expect(imds.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/iam/security-credentials/',
      'GET /latest/meta-data/iam/security-credentials/web-role',
    ]);
  });

  it('fails before any request to KMS when no source has credentials', async () => {
    serviceEnv();
    const error = await serviceCode().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as KmsConfigError).sources.map((s) => s.source)).toEqual([
      'env',
      'profile:default',
      'container',
      'imds',
    ]);
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('a provider from @aws-sdk/credential-providers plugs in unchanged', () => {
  it('fromIni for a role_arn profile (with its own role assumer)', async () => {
    const configPath = await home.write(
      '.aws/config',
      `[profile base]\naws_access_key_id = ${keys.profile.accessKeyId}\naws_secret_access_key = ${keys.profile.secretAccessKey}\n\n[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/kms-admin\nsource_profile = base\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    // The role assumer stands in for STS (nothing leaves loopback).
    const assumed: { roleArn: string; sourceKey: string }[] = [];
    const client = new KmsClient({
      credentials: fromIni({
        profile: 'admin',
        configFilepath: configPath,
        filepath: `${home.dir}/.aws/credentials`,
        roleAssumer: async (source, params) => {
          assumed.push({ roleArn: params.RoleArn, sourceKey: source.accessKeyId });
          return { ...keys.assumed, expiration: new Date(Date.now() + 3600_000) };
        },
      }),
    });
    closers.push(() => client.close());
    await client.disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
    expect(assumed).toEqual([
      { roleArn: 'arn:aws:iam::111122223333:role/kms-admin', sourceKey: keys.profile.accessKeyId },
    ]);
    expect(signedWith(emulator)).toEqual([keys.assumed.accessKeyId]);
    expect((await client.resolveConfig()).credentialSource).toBe('provider');
  });
});

describe('through a proxy', () => {
  let proxy: TestProxy;
  beforeEach(async () => {
    proxy = await startTestProxy();
    closers.push(() => proxy.close());
  });

  it('sends through HTTP_PROXY (CONNECT tunnel) with the same service code', async () => {
    serviceEnv({
      AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
      HTTP_PROXY: proxy.url,
    });
    const config = await serviceCode();
    expect(config).toMatchObject({ usesProxy: true, proxy: proxy.url });
    expect(proxy.tunnels).toEqual([`127.0.0.1:${emulator.port}`]);
    expect(signedWith(emulator)).toEqual([keys.env.accessKeyId]);
  });

  it('sends proxy credentials from the URL but never shows them', async () => {
    const withAuth = proxy.url.replace('http://', 'http://alice:pr%40xy-pass@');
    serviceEnv({
      AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
      http_proxy: withAuth,
    });
    const config = await serviceCode();
    expect(config.proxy).toBe(proxy.url);
    expect(JSON.stringify(config)).not.toContain('pr%40xy-pass');
    expect(proxy.authorizations).toEqual([
      `Basic ${Buffer.from('alice:pr@xy-pass').toString('base64')}`,
    ]);
    expect(signedWith(emulator)).toEqual([keys.env.accessKeyId]);
  });

  it.each([
    ['only a user name', 'ops@', 'ops:'],
    ['only a password', ':only-pass@', ':only-pass'],
  ])(
    'sends Proxy-Authorization for a proxy URL with %s, as curl does',
    async (_, userInfo, sent) => {
      serviceEnv({
        AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
        HTTPS_PROXY: proxy.url.replace('http://', `http://${userInfo}`),
        HTTP_PROXY: proxy.url.replace('http://', `http://${userInfo}`),
      });
      await serviceCode();
      expect(proxy.authorizations).toEqual([`Basic ${Buffer.from(sent).toString('base64')}`]);
    },
  );

  it.each(['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY'])(
    'a bad percent escape in the proxy password of %s is a KmsConfigError naming the variable, never the password, before any request',
    async (variable) => {
      serviceEnv({
        AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
        [variable]: proxy.url.replace('http://', 'http://ops:50%off@'),
      });
      const error = await serviceCode().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(KmsConfigError);
      expect((error as Error).message).toContain(variable);
      expect((error as Error).message).toMatch(/% escape/);
      expect(
        JSON.stringify({ ...(error as object), message: (error as Error).message }),
      ).not.toMatch(/50%off|off@/);
      expect(proxy.tunnels).toEqual([]);
      expect(emulator.requests).toHaveLength(0);
    },
  );

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    serviceEnv({
      AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
      HTTP_PROXY: proxy.url,
      NO_PROXY: `example.com, 127.0.0.1:${emulator.port}`,
    });
    const config = await serviceCode();
    expect(config.usesProxy).toBe(false);
    expect(config.proxy).toBeUndefined();
    expect(proxy.tunnels).toEqual([]);
    expect(signedWith(emulator)).toEqual([keys.env.accessKeyId]);
  });

  it('ignores the proxy variables when a dispatcher is given', async () => {
    serviceEnv({
      AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
      HTTP_PROXY: proxy.url,
    });
    const dispatcher = new Agent();
    closers.push(() => dispatcher.close());
    const client = new KmsClient({ dispatcher });
    closers.push(() => client.close());
    await client.disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
    expect((await client.resolveConfig()).usesProxy).toBe(false);
    expect(proxy.tunnels).toEqual([]);
    expect(signedWith(emulator)).toEqual([keys.env.accessKeyId]);
  });

  it('does not send credential-source requests through the proxy', async () => {
    const container = await metadataServer((_request, response) => {
      response.end(
        credentialsDocument(keys.container.accessKeyId, {
          secret: keys.container.secretAccessKey,
          token: keys.container.sessionToken,
        }),
      );
    });
    serviceEnv({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/creds`,
      HTTP_PROXY: proxy.url,
    });
    const config = await serviceCode();
    expect(config).toMatchObject({ credentialSource: 'container', usesProxy: true });
    expect(container.requests).toHaveLength(1);
    expect(proxy.tunnels).toEqual([`127.0.0.1:${emulator.port}`]);
    expect(proxy.forwarded).toEqual([]);
  });

  it('refuses a proxy variable that is not a URL, without echoing it', async () => {
    serviceEnv({
      AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
      HTTPS_PROXY: 'user:secret-pass@proxy',
    });
    const error = await serviceCode().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as Error).message).toMatch(/^HTTPS_PROXY must be an http: or https: URL/);
    expect((error as Error).message).not.toContain('secret-pass');
    expect(emulator.requests).toHaveLength(0);
  });
});
