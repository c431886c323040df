/**
 * Assume-role profiles end to end: role chains (source_profile), each credential_source, external
 * ID and MFA, cycles and STS errors, through a loopback fake of STS that verifies each AssumeRole
 * signature (service sts) with the emulator's SigV4 verifier, to a KMS call on the emulator signed
 * with the role's credentials. Real files in a temporary HOME; nothing leaves loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';
import { KmsClient } from '../../src/client.js';
import {
  defaultKeyStoreIds,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import type { KmsClientConfig } from '../../src/index.js';
import { capture } from '../cli/run.js';
import { credentialsDocument, type TempHome, tempHome } from '../config/helpers.js';
import { startTestProxy } from '../config/proxy-server.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { type FakeSts, startFakeSts } from '../helpers/sts.js';
import { configError, disconnect, ServiceTest, signedWith } from './service-test.js';

const keys = {
  base: { accessKeyId: 'AKIABASEEXAMPLE00001', secretAccessKey: 'base-secret-key' },
  env: { accessKeyId: 'AKIAENVEXAMPLE000001', secretAccessKey: 'env-secret-key' },
  roleA: {
    accessKeyId: 'ASIAROLEAEXAMPLE0001',
    secretAccessKey: 'role-a-secret+key',
    sessionToken: 'role-a-session/token==',
  },
  roleB: {
    accessKeyId: 'ASIAROLEBEXAMPLE0001',
    secretAccessKey: 'role-b-secret&key',
    sessionToken: 'role-b-session<token>',
  },
  instance: {
    accessKeyId: 'ASIAINSTANCEEXAMPLE1',
    secretAccessKey: 'instance-secret-key',
    sessionToken: 'instance-session-token',
  },
  container: {
    accessKeyId: 'ASIACONTAINEREXAMPL1',
    secretAccessKey: 'container-secret-key',
    sessionToken: 'container-session-token',
  },
} as const;
const roleA = 'arn:aws:iam::111122223333:role/role-a';
const roleB = 'arn:aws:iam::444455556666:role/kms-admin';

let home: TempHome;
let emulator: KmsEmulator;
let sts: FakeSts;
const service = new ServiceTest();

beforeEach(async () => {
  home = await tempHome();
  emulator = await startKmsEmulator({ credentials: [keys.roleA, keys.roleB], transitionMs: 50 });
  sts = await startFakeSts(
    (call) => ({ credentials: call.form.RoleArn === roleB ? keys.roleB : keys.roleA }),
    { signers: Object.values(keys) },
  );
});
afterEach(async () => {
  await service.cleanup();
  await sts.close();
  await emulator.close();
  await home.remove();
});

function serviceEnv(extra: NodeJS.ProcessEnv = {}): void {
  service.useServiceEnv(home, emulator, {
    AWS_ENDPOINT_URL_STS: sts.url,
    ...extra,
  });
}

const newClient = (config?: KmsClientConfig): KmsClient => service.newClient(config);

async function fake(handler: Parameters<typeof startLoopbackServer>[0]): Promise<LoopbackServer> {
  const server = await startLoopbackServer(handler);
  service.onCleanup(() => server.close());
  return server;
}

const baseProfile = `[profile base]\naws_access_key_id = ${keys.base.accessKeyId}\naws_secret_access_key = ${keys.base.secretAccessKey}\n`;

describe('role_arn with source_profile', () => {
  it('assumes a two-hop chain, each hop signed for sts with the previous credentials', async () => {
    await home.write(
      '.aws/config',
      `${baseProfile}\n[profile mid]\nrole_arn = ${roleA}\nsource_profile = base\n\n[profile admin]\nrole_arn = ${roleB}\nsource_profile = mid\nregion = eu-west-3\nexternal_id = ext-1234\nduration_seconds = 1800\nrole_session_name = operator\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    const before = Date.now();
    const client = newClient();
    await disconnect(client);

    expect(sts.calls.map((call) => call.signed)).toEqual([
      { accessKeyId: keys.base.accessKeyId, region: emulator.region },
      { accessKeyId: keys.roleA.accessKeyId, region: 'eu-west-3' },
    ]);
    const [first, second] = sts.calls;
    expect(first?.request.headers['x-amz-security-token']).toBeUndefined();
    expect(second?.request.headers['x-amz-security-token']).toBe(keys.roleA.sessionToken);
    expect(first?.form).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: roleA,
      RoleSessionName: expect.stringMatching(/^kms-custom-key-store-\d+$/),
      DurationSeconds: '3600',
    });
    expect(
      Number(first?.form.RoleSessionName?.slice('kms-custom-key-store-'.length)),
    ).toBeGreaterThanOrEqual(before);
    expect(second?.form).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: roleB,
      RoleSessionName: 'operator',
      ExternalId: 'ext-1234',
      DurationSeconds: '1800',
    });
    expect(signedWith(emulator)).toEqual([keys.roleB.accessKeyId]);
    expect((await client.resolveConfig()).credentialSource).toBe('assume-role:admin');
  });

  it('assumes a role from a web identity source profile (token exchange, then a signed AssumeRole)', async () => {
    const tokenFile = await home.write('token', 'oidc-token');
    await home.write(
      '.aws/config',
      `[profile pod]\nweb_identity_token_file = ${tokenFile}\nrole_arn = ${roleA}\n\n[profile admin]\nrole_arn = ${roleB}\nsource_profile = pod\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    await disconnect(newClient());
    expect(sts.calls.map((call) => [call.form.Action, call.form.RoleArn, call.signed])).toEqual([
      ['AssumeRoleWithWebIdentity', roleA, undefined],
      ['AssumeRole', roleB, { accessKeyId: keys.roleA.accessKeyId, region: emulator.region }],
    ]);
    expect(sts.calls[0]?.form.WebIdentityToken).toBe('oidc-token');
    expect(signedWith(emulator)).toEqual([keys.roleB.accessKeyId]);
  });

  it("reaches STS through the profile's services section", async () => {
    await home.write(
      '.aws/config',
      `${baseProfile}\n[profile admin]\nrole_arn = ${roleA}\nsource_profile = base\nservices = fakes\n\n[services fakes]\nsts =\n  endpoint_url = ${sts.url}\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin', AWS_ENDPOINT_URL_STS: '' });
    await disconnect(newClient());
    expect(sts.calls).toHaveLength(1);
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
  });

  it('reaches STS through HTTP_PROXY like the KMS calls', async () => {
    const proxy = await startTestProxy();
    service.onCleanup(() => proxy.close());
    await home.write(
      '.aws/config',
      `${baseProfile}\n[profile admin]\nrole_arn = ${roleA}\nsource_profile = base\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin', HTTP_PROXY: proxy.url });
    await disconnect(newClient());
    expect(proxy.tunnels).toEqual([`127.0.0.1:${sts.server.port}`, `127.0.0.1:${emulator.port}`]);
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
  });

  it('uses the static keys of a source profile that also has a role_arn (as the SDK)', async () => {
    await home.write(
      '.aws/config',
      `[profile admin]\nrole_arn = ${roleA}\nsource_profile = admin\naws_access_key_id = ${keys.base.accessKeyId}\naws_secret_access_key = ${keys.base.secretAccessKey}\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    await disconnect(newClient());
    expect(sts.calls.map((call) => call.signed)).toEqual([
      { accessKeyId: keys.base.accessKeyId, region: emulator.region },
    ]);
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
  });

  it('refuses a cycle, naming the profiles, before any request', async () => {
    await home.write(
      '.aws/config',
      `[profile a]\nrole_arn = ${roleA}\nsource_profile = b\n\n[profile b]\nrole_arn = ${roleB}\nsource_profile = c\n\n[profile c]\nrole_arn = ${roleB}\nsource_profile = a\n`,
    );
    serviceEnv({ AWS_PROFILE: 'a' });
    const error = await configError(newClient());
    expect(error.sources.at(-1)).toEqual({
      source: 'assume-role:a',
      reason: 'the role profiles form a cycle: a -> b -> c -> a',
    });
    expect(sts.calls).toHaveLength(0);
    expect(emulator.requests).toHaveLength(0);
  });

  it('names a missing source profile', async () => {
    await home.write(
      '.aws/config',
      `[profile admin]\nrole_arn = ${roleA}\nsource_profile = gone\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    const error = await configError(newClient());
    expect(error.sources.at(-1)?.reason).toBe(
      `source_profile gone of profile admin is not in ${home.dir}/.aws/config or ${home.dir}/.aws/credentials`,
    );
  });

  it('turns an STS error into a KmsConfigError naming the profile and the code, no secret', async () => {
    await home.write(
      '.aws/config',
      `${baseProfile}\n[profile admin]\nrole_arn = ${roleA}\nsource_profile = base\n`,
    );
    sts.answer(() => ({
      error: { status: 403, code: 'AccessDenied', message: 'not authorized to perform' },
    }));
    serviceEnv({ AWS_PROFILE: 'admin' });
    const error = await configError(newClient());
    expect(error.code).toBe('CredentialsFailed');
    expect(error.sources.at(-1)).toEqual({
      source: 'assume-role:admin',
      reason:
        'profile admin: STS AssumeRole failed: AccessDenied (HTTP 403): not authorized to perform',
    });
    expect(error.message).toContain('assume-role:admin');
    expect(error.message).not.toContain(keys.base.secretAccessKey);
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('role_arn with credential_source', () => {
  it('Environment: the keys of AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY', async () => {
    await home.write(
      '.aws/config',
      `[profile admin]\nrole_arn = ${roleA}\ncredential_source = Environment\n`,
    );
    serviceEnv({
      AWS_PROFILE: 'admin',
      AWS_ACCESS_KEY_ID: keys.env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.env.secretAccessKey,
    });
    await disconnect(newClient());
    expect(sts.calls.map((call) => call.signed)).toEqual([
      { accessKeyId: keys.env.accessKeyId, region: emulator.region },
    ]);
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
  });

  it('Ec2InstanceMetadata: the instance role from IMDSv2', async () => {
    const imds = await fake((request, response) => {
      if (request.method === 'PUT') return void response.end('imds-token');
      if (request.headers['x-aws-ec2-metadata-token'] !== 'imds-token') {
        response.writeHead(401);
        return void response.end();
      }
      if (request.url.endsWith('/security-credentials/')) return void response.end('node-role');
      response.end(
        credentialsDocument(keys.instance.accessKeyId, {
          secret: keys.instance.secretAccessKey,
          token: keys.instance.sessionToken,
        }),
      );
    });
    await home.write(
      '.aws/config',
      `[profile admin]\nrole_arn = ${roleA}\ncredential_source = Ec2InstanceMetadata\n`,
    );
    serviceEnv({
      AWS_PROFILE: 'admin',
      AWS_EC2_METADATA_DISABLED: 'false',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
    });
    await disconnect(newClient());
    expect(sts.calls.map((call) => call.signed)).toEqual([
      { accessKeyId: keys.instance.accessKeyId, region: emulator.region },
    ]);
    expect(sts.calls[0]?.request.headers['x-amz-security-token']).toBe(keys.instance.sessionToken);
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
  });

  it('EcsContainer: the container endpoint', async () => {
    const container = await fake((_request, response) => {
      response.end(
        credentialsDocument(keys.container.accessKeyId, {
          secret: keys.container.secretAccessKey,
          token: keys.container.sessionToken,
        }),
      );
    });
    await home.write(
      '.aws/config',
      `[profile admin]\nrole_arn = ${roleA}\ncredential_source = EcsContainer\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin', AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/c` });
    await disconnect(newClient());
    expect(container.requests).toHaveLength(1);
    expect(sts.calls.map((call) => call.signed)).toEqual([
      { accessKeyId: keys.container.accessKeyId, region: emulator.region },
    ]);
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
  });

  it('refuses an unknown credential_source and Environment without keys', async () => {
    await home.write(
      '.aws/config',
      `[profile admin]\nrole_arn = ${roleA}\ncredential_source = Ec2\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    expect((await configError(newClient())).sources.at(-1)).toEqual({
      source: 'assume-role:admin',
      reason:
        'credential_source = Ec2 of profile admin: must be Environment, Ec2InstanceMetadata or EcsContainer',
    });
    await home.write(
      '.aws/config',
      `[profile admin]\nrole_arn = ${roleA}\ncredential_source = Environment\n`,
    );
    expect((await configError(newClient())).sources.at(-1)?.reason).toBe(
      'credential_source = Environment of profile admin: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set',
    );
    expect(sts.calls).toHaveLength(0);
  });
});

describe('mfa_serial', () => {
  const serial = 'arn:aws:iam::111122223333:mfa/operator';
  beforeEach(async () => {
    await home.write(
      '.aws/config',
      `${baseProfile}\n[profile admin]\nrole_arn = ${roleA}\nsource_profile = base\nmfa_serial = ${serial}\n`,
    );
  });

  it('sends SerialNumber and the code from mfaCodeProvider', async () => {
    serviceEnv({ AWS_PROFILE: 'admin' });
    const asked: string[] = [];
    await disconnect(
      newClient({
        mfaCodeProvider: async (device) => {
          asked.push(device);
          return '123456';
        },
      }),
    );
    expect(asked).toEqual([serial]);
    expect(sts.calls[0]?.form).toMatchObject({ SerialNumber: serial, TokenCode: '123456' });
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
  });

  it('fails before STS without a provider, or with a code that is not six digits', async () => {
    serviceEnv({ AWS_PROFILE: 'admin' });
    expect((await configError(newClient())).sources.at(-1)?.reason).toContain(
      'profile admin sets mfa_serial, so it needs an MFA code, and no mfaCodeProvider was given',
    );
    expect(
      (await configError(newClient({ mfaCodeProvider: async () => 'abc' }))).sources.at(-1)?.reason,
    ).toBe(`profile admin: mfaCodeProvider must resolve to the 6-digit code of ${serial}`);
    expect(sts.calls).toHaveLength(0);
  });

  it('refuses an mfaCodeProvider that is not a function', () => {
    expect(
      () => new KmsClient({ mfaCodeProvider: '123456' as unknown as () => Promise<string> }),
    ).toThrow(/^mfaCodeProvider must be a function \(serial\) => Promise<string>, got a string$/);
  });

  it('kms-cks --profile admin describe asks for the code on the terminal', async () => {
    serviceEnv();
    const stdout = capture();
    const stderr = capture();
    const questions: string[] = [];
    const code = await main(
      ['describe', '--profile', 'admin', '--endpoint', emulator.url, '--region', emulator.region],
      {
        stdout,
        stderr,
        isTTY: true,
        prompt: async (question) => {
          questions.push(question);
          return '654321\n';
        },
      },
    );
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    expect(questions).toEqual([`MFA code for ${serial}: `]);
    expect(stdout.text).toContain(defaultKeyStoreIds.externalPublic);
    expect(sts.calls[0]?.form.TokenCode).toBe('654321');
    expect(emulator.requests.map((request) => request.accessKeyId)).toEqual([
      keys.roleA.accessKeyId,
    ]);
  });
});

describe('a local clock an hour behind AWS', () => {
  const hour = 3600_000;

  it('STS refuses the first AssumeRole for its time; the clock is corrected from its Date header, and the KMS call is signed right the first time', async () => {
    await sts.close();
    await emulator.close();
    sts = await startFakeSts(() => ({ credentials: keys.roleA }), {
      signers: Object.values(keys),
      clockOffsetMs: hour,
    });
    emulator = await startKmsEmulator({
      credentials: [keys.roleA],
      transitionMs: 50,
      clockOffsetMs: hour,
    });
    await home.write(
      '.aws/config',
      `${baseProfile}\n[profile admin]\nrole_arn = ${roleA}\nsource_profile = base\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    const warnings: string[] = [];
    const client = newClient({ logger: { warn: (message) => warnings.push(message) } });
    await disconnect(client);

    expect(sts.calls.map((call) => call.signed)).toEqual([
      { refused: 'InvalidSignatureException' },
      { accessKeyId: keys.base.accessKeyId, region: emulator.region },
    ]);
    // Corrected once, by STS: KMS took the first attempt.
    expect(signedWith(emulator)).toEqual([keys.roleA.accessKeyId]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^STS AssumeRole: local clock is -3[56]\d\d s off the server's; signing with a corrected clock$/,
      ),
    ]);
  });

  it('a signature STS refuses with its clock close to ours is not sent again', async () => {
    await home.write(
      '.aws/config',
      `[profile base]\naws_access_key_id = ${keys.base.accessKeyId}\naws_secret_access_key = not-the-secret\n\n[profile admin]\nrole_arn = ${roleA}\nsource_profile = base\n`,
    );
    serviceEnv({ AWS_PROFILE: 'admin' });
    const error = await configError(newClient());
    expect(error.sources.at(-1)?.reason).toBe(
      'profile admin: STS AssumeRole failed: SignatureDoesNotMatch (HTTP 403): denied',
    );
    expect(sts.calls).toHaveLength(1);
  });
});
