/**
 * Web identity end to end: a profile's web_identity_token_file and EKS IRSA's variables, through a
 * loopback fake of STS (AssumeRoleWithWebIdentity) to a KMS call that the emulator verifies with
 * the assumed credentials. Real files in a temporary HOME; nothing leaves loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KmsClient } from '../../src/client.js';
import {
  defaultKeyStoreIds,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { KmsConfigError } from '../../src/errors.js';
import type { KmsClientConfig } from '../../src/index.js';
import { runCli } from '../cli/run.js';
import { type TempHome, tempHome } from '../config/helpers.js';
import { startTestProxy } from '../config/proxy-server.js';
import { startLoopbackServer } from '../helpers/loopback.js';
import { type FakeSts, startFakeSts } from '../helpers/sts.js';
import { disconnect, ServiceTest, signedWith } from './service-test.js';

const assumed = {
  accessKeyId: 'ASIAWEBIDENTITY00001',
  secretAccessKey: 'web/identity+secret&key',
  sessionToken: 'FwoGZXIvYXdz+web<identity>token==',
};
const roleArn = 'arn:aws:iam::123456789012:role/pod-role';

let home: TempHome;
let emulator: KmsEmulator;
let sts: FakeSts;
const service = new ServiceTest();

beforeEach(async () => {
  home = await tempHome();
  emulator = await startKmsEmulator({ credentials: [assumed], transitionMs: 50 });
  sts = await startFakeSts(() => ({ credentials: assumed }));
});
afterEach(async () => {
  await service.cleanup();
  await sts.close();
  await emulator.close();
  await home.remove();
});

function serviceEnv(extra: NodeJS.ProcessEnv = {}): void {
  service.useServiceEnv(home, emulator, {
    ...extra,
  });
}

const newClient = (config?: KmsClientConfig): KmsClient => service.newClient(config);

describe('web_identity_token_file in a profile', () => {
  it('assumes the role through STS (unsigned form) and signs the KMS call with the result', async () => {
    const tokenFile = await home.write('token', 'eyJhbGciOi.profile-token.sig\n');
    await home.write(
      '.aws/config',
      `[profile pod]\nweb_identity_token_file = ${tokenFile}\nrole_arn = ${roleArn}\nrole_session_name = my session\nduration_seconds = 1800\nregion = eu-west-3\nservices = fakes\n\n[services fakes]\nsts =\n  endpoint_url = ${sts.url}\n`,
    );
    serviceEnv({ AWS_PROFILE: 'pod' });
    const client = newClient();
    await disconnect(client);

    expect(sts.calls).toHaveLength(1);
    const call = sts.calls[0];
    expect(call?.request.method).toBe('POST');
    expect(call?.request.url).toBe('/');
    expect(call?.request.headers['content-type']).toBe(
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    expect(call?.request.headers.authorization).toBeUndefined();
    expect(call?.form).toEqual({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: 'my session',
      WebIdentityToken: 'eyJhbGciOi.profile-token.sig',
      DurationSeconds: '1800',
    });
    // The emulator checked the signature with the decoded secret and the session token.
    expect(signedWith(emulator)).toEqual([assumed.accessKeyId]);
    expect((await client.resolveConfig()).credentialSource).toBe('web-identity');
  });

  it('names itself kms-custom-key-store-<ms> when no session name is set', async () => {
    const tokenFile = await home.write('token', 'profile-token');
    await home.write(
      '.aws/config',
      `[profile pod]\nweb_identity_token_file = ${tokenFile}\nrole_arn = ${roleArn}\n`,
    );
    serviceEnv({ AWS_PROFILE: 'pod', AWS_ENDPOINT_URL_STS: sts.url });
    const before = Date.now();
    await disconnect(newClient());
    const name = sts.calls[0]?.form.RoleSessionName ?? '';
    expect(name).toMatch(/^kms-custom-key-store-\d+$/);
    expect(Number(name.slice('kms-custom-key-store-'.length))).toBeGreaterThanOrEqual(before);
    expect(sts.calls[0]?.form.DurationSeconds).toBeUndefined();
  });

  it('stops with KmsConfigError naming the profile and STS code, never the token', async () => {
    const tokenFile = await home.write('token', 'the-secret-identity-token');
    await home.write(
      '.aws/config',
      `[profile pod]\nweb_identity_token_file = ${tokenFile}\nrole_arn = ${roleArn}\n`,
    );
    sts.answer(() => ({
      error: {
        status: 400,
        code: 'InvalidIdentityToken',
        message: 'Token the-secret-identity-token is not valid',
      },
    }));
    serviceEnv({ AWS_PROFILE: 'pod', AWS_ENDPOINT_URL_STS: sts.url });
    const error = await disconnect(newClient()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConfigError);
    const configError = error as KmsConfigError;
    expect(configError.code).toBe('CredentialsFailed');
    expect(configError.sources.at(-1)).toEqual({
      source: 'web-identity',
      reason:
        'profile pod: STS AssumeRoleWithWebIdentity failed: InvalidIdentityToken (HTTP 400): Token [redacted] is not valid',
    });
    expect(configError.message).not.toContain('the-secret-identity-token');
    expect(sts.calls).toHaveLength(1);
    expect(emulator.requests).toHaveLength(0);
  });

  it('retries STS after a 500 as KMS calls are retried', async () => {
    const tokenFile = await home.write('token', 'profile-token');
    await home.write(
      '.aws/config',
      `[profile pod]\nweb_identity_token_file = ${tokenFile}\nrole_arn = ${roleArn}\n`,
    );
    sts.answer((_call, index) =>
      index === 0 ? { error: { status: 500, code: 'InternalFailure' } } : { credentials: assumed },
    );
    serviceEnv({ AWS_PROFILE: 'pod', AWS_ENDPOINT_URL_STS: sts.url });
    await disconnect(newClient());
    expect(sts.calls).toHaveLength(2);
    expect(signedWith(emulator)).toEqual([assumed.accessKeyId]);
  });

  it('refuses web_identity_token_file without role_arn, and a token file it cannot read', async () => {
    await home.write('.aws/config', '[profile pod]\nweb_identity_token_file = /nonexistent/t\n');
    serviceEnv({ AWS_PROFILE: 'pod', AWS_ENDPOINT_URL_STS: sts.url });
    const noRole = (await disconnect(newClient()).catch((e: unknown) => e)) as KmsConfigError;
    expect(noRole.sources.at(-1)).toEqual({
      source: 'profile:pod',
      reason: 'web_identity_token_file is set but role_arn is not',
    });
    await home.write(
      '.aws/config',
      `[profile pod]\nweb_identity_token_file = ${home.dir}/missing-token\nrole_arn = ${roleArn}\n`,
    );
    const unreadable = (await disconnect(newClient()).catch((e: unknown) => e)) as KmsConfigError;
    expect(unreadable.sources.at(-1)?.reason).toBe(
      `profile pod: cannot read the web identity token file ${home.dir}/missing-token (ENOENT)`,
    );
    expect(sts.calls).toHaveLength(0);
  });
});

describe('EKS IRSA: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN', () => {
  it('re-reads the token file at every refresh, before the container source', async () => {
    const tokenFile = await home.write('irsa-token', 'token-one');
    // Credentials that expire inside the refresh window: every call refreshes them.
    sts.answer(() => ({ credentials: assumed, expiresInMs: 4 * 60_000 }));
    const container = await startLoopbackServer();
    service.onCleanup(() => container.close());
    serviceEnv({
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: roleArn,
      AWS_ROLE_SESSION_NAME: 'irsa-session',
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/creds`,
    });
    const client = newClient();
    await disconnect(client);
    await home.write('irsa-token', 'token-two');
    await client.describeCustomKeyStores({});
    expect(sts.calls.map((call) => call.form.WebIdentityToken)).toEqual(['token-one', 'token-two']);
    expect(sts.calls.map((call) => call.form.RoleSessionName)).toEqual([
      'irsa-session',
      'irsa-session',
    ]);
    expect(sts.calls[0]?.form.RoleArn).toBe(roleArn);
    expect(container.requests).toHaveLength(0);
    expect(signedWith(emulator)).toEqual([assumed.accessKeyId, assumed.accessKeyId]);
    expect((await client.resolveConfig()).credentialSource).toBe('web-identity');
  });

  it('reaches STS through HTTPS_PROXY / HTTP_PROXY like the KMS calls', async () => {
    const proxy = await startTestProxy();
    service.onCleanup(() => proxy.close());
    const tokenFile = await home.write('irsa-token', 'token-one');
    serviceEnv({
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: roleArn,
      AWS_ENDPOINT_URL_STS: sts.url,
      HTTP_PROXY: proxy.url,
    });
    await disconnect(newClient());
    expect(proxy.tunnels).toEqual([`127.0.0.1:${sts.server.port}`, `127.0.0.1:${emulator.port}`]);
    expect(signedWith(emulator)).toEqual([assumed.accessKeyId]);
  });

  it('refuses plain http to a host that is not loopback, before any request', async () => {
    const tokenFile = await home.write('irsa-token', 'token-one');
    serviceEnv({
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: roleArn,
      AWS_ENDPOINT_URL_STS: 'http://sts.example.test',
    });
    const error = (await disconnect(newClient()).catch((e: unknown) => e)) as KmsConfigError;
    expect(error).toBeInstanceOf(KmsConfigError);
    expect(error.sources.at(-1)).toEqual({
      source: 'web-identity',
      reason:
        'AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN: AWS_ENDPOINT_URL_STS must be an https: URL (plain http only to a loopback address)',
    });
  });
});

describe('kms-cks with a web identity profile', () => {
  it('kms-cks --profile pod describe', async () => {
    const tokenFile = await home.write('token', 'cli-token');
    await home.write(
      '.aws/config',
      `[profile pod]\nweb_identity_token_file = ${tokenFile}\nrole_arn = ${roleArn}\n`,
    );
    serviceEnv({ AWS_ENDPOINT_URL_STS: sts.url });
    const { code, stdout, stderr } = await runCli(emulator, ['describe', '--profile', 'pod'], {
      clientConfig: { credentials: undefined },
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(defaultKeyStoreIds.externalPublic);
    expect(sts.calls.map((call) => call.form.WebIdentityToken)).toEqual(['cli-token']);
    expect(signedWith(emulator)).toEqual([assumed.accessKeyId]);
  });
});
