import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCredentialChain } from '../../src/credentials/chain.js';
import { KmsConfigError } from '../../src/errors.js';
import { credentialsDocument, isolatedEnv, type TempHome, tempHome } from '../config/helpers.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

let home: TempHome;
const servers: LoopbackServer[] = [];
beforeEach(async () => {
  home = await tempHome();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await home.remove();
});

async function credentialServer(accessKeyId: string): Promise<LoopbackServer> {
  const server = await startLoopbackServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(credentialsDocument(accessKeyId));
  });
  servers.push(server);
  return server;
}

async function chainError(env: NodeJS.ProcessEnv, profile?: string): Promise<KmsConfigError> {
  const error = await defaultCredentialChain({ env, profile, metadataTimeoutMs: 2_000 })().catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KmsConfigError);
  return error as KmsConfigError;
}

describe('default credential chain', () => {
  it('takes environment keys first', async () => {
    await home.write(
      '.aws/credentials',
      '[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n',
    );
    const env = isolatedEnv(home.dir, {
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_SESSION_TOKEN: 'env-token',
    });
    const won = await defaultCredentialChain({ env })();
    expect(won.source).toBe('env');
    expect(won.credentials).toEqual({
      accessKeyId: 'AKIDENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
    });
  });

  it('takes the default profile next, with its session token', async () => {
    await home.write(
      '.aws/credentials',
      '[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p-secret\naws_session_token = p-token\n',
    );
    const server = await credentialServer('AKIDCONTAINER');
    const env = isolatedEnv(home.dir, {
      AWS_ACCESS_KEY_ID: 'AKIDONLY',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${server.url}/creds`,
    });
    const won = await defaultCredentialChain({ env })();
    expect(won).toEqual({
      source: 'profile:default',
      credentials: {
        accessKeyId: 'AKIDPROFILE',
        secretAccessKey: 'p-secret',
        sessionToken: 'p-token',
      },
    });
    expect(server.requests).toHaveLength(0);
  });

  it('lets a profile chosen by AWS_PROFILE or config.profile win over environment keys, and warns', async () => {
    await home.write(
      '.aws/config',
      '[profile dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = d\n',
    );
    const warnings: string[] = [];
    const env = isolatedEnv(home.dir, {
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_PROFILE: 'dev',
    });
    const byEnv = await defaultCredentialChain({ env, warn: (m) => warnings.push(m) })();
    expect(byEnv.source).toBe('profile:dev');
    expect(byEnv.credentials.accessKeyId).toBe('AKIDDEV');
    expect(warnings).toEqual([
      'Both AWS_PROFILE (dev) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set; using the profile',
    ]);
    expect(warnings.join()).not.toContain('env-secret');
    const byConfig = await defaultCredentialChain({
      env: { ...env, AWS_PROFILE: 'other' },
      profile: 'dev',
    })();
    expect(byConfig.source).toBe('profile:dev');
  });

  it('goes on to the container endpoint, then IMDS, when nothing earlier is set up', async () => {
    await home.write('.aws/config', '[default]\nregion = eu-west-1\n');
    const container = await credentialServer('AKIDCONTAINER');
    const env = isolatedEnv(home.dir, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/v1/credentials`,
    });
    const won = await defaultCredentialChain({ env })();
    expect(won.source).toBe('container');
    expect(won.credentials.accessKeyId).toBe('AKIDCONTAINER');
    expect(container.requests.map((r) => r.url)).toEqual(['/v1/credentials']);
  });

  it('fails on a named profile that does not exist instead of falling through', async () => {
    const container = await credentialServer('AKIDCONTAINER');
    const env = isolatedEnv(home.dir, {
      AWS_PROFILE: 'ghost',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/creds`,
    });
    const error = await chainError(env);
    expect(error.message).toMatch(
      /^Cannot get credentials from profile:ghost: no profile ghost in .*config or .*credentials \(chosen by AWS_PROFILE\)/,
    );
    expect(error.sources.map((s) => s.source)).toEqual(['env', 'profile:ghost']);
    expect(container.requests).toHaveLength(0);
  });

  it('lists every source and its reason when none has credentials', async () => {
    const env = isolatedEnv(home.dir, { AWS_ACCESS_KEY_ID: 'AKIDHALF' });
    const error = await chainError(env);
    expect(error.sources).toEqual([
      { source: 'env', reason: 'AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not' },
      {
        source: 'profile:default',
        reason: `no profile default in ${home.dir}/.aws/config or ${home.dir}/.aws/credentials`,
      },
      {
        source: 'container',
        reason:
          'not configured (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set)',
      },
      { source: 'imds', reason: 'disabled by AWS_EC2_METADATA_DISABLED' },
    ]);
    expect(error.message).toBe(
      `No credentials found: env: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; profile:default: no profile default in ${home.dir}/.aws/config or ${home.dir}/.aws/credentials; container: not configured (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set); imds: disabled by AWS_EC2_METADATA_DISABLED. Pass { credentials } to KmsClient or set up one of these sources.`,
    );
  });

  it('says when the profile exists but holds no credentials', async () => {
    await home.write('.aws/config', '[default]\nregion = eu-west-1\n');
    const error = await chainError(isolatedEnv(home.dir));
    expect(error.sources[1]).toEqual({
      source: 'profile:default',
      reason:
        'the profile has no credentials (no aws_access_key_id/aws_secret_access_key or credential_process)',
    });
  });

  it('stops at a malformed shared file, naming it, without reaching later sources', async () => {
    const path = await home.write(
      '.aws/credentials',
      '[default\naws_secret_access_key = TOPSECRET\n',
    );
    const container = await credentialServer('AKIDCONTAINER');
    const env = isolatedEnv(home.dir, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/creds`,
    });
    const error = await chainError(env);
    expect(error.message).toContain(
      `Cannot get credentials from profile:default: Malformed shared AWS file ${path}, line 1`,
    );
    expect(error.message).not.toContain('TOPSECRET');
    expect(container.requests).toHaveLength(0);
  });

  it('stops at a profile with only half a key pair', async () => {
    await home.write('.aws/credentials', '[default]\naws_access_key_id = AKIDHALF\n');
    const error = await chainError(isolatedEnv(home.dir));
    expect(error.sources.at(-1)).toEqual({
      source: 'profile:default',
      reason: 'aws_access_key_id is set but aws_secret_access_key is missing',
    });
  });

  it('stops at a profile with sso_account_id but neither sso_session nor sso_start_url', async () => {
    await home.write('.aws/config', '[profile work]\nsso_account_id = 1\nsso_role_name = Admin\n');
    const error = await chainError(isolatedEnv(home.dir), 'work');
    expect(error.sources.at(-1)).toEqual({
      source: 'profile:work',
      reason: 'the profile sets sso_account_id but neither sso_session nor sso_start_url',
    });
  });

  it('uses the static keys of a profile whose role_arn has no source (as the SDK)', async () => {
    await home.write(
      '.aws/config',
      '[profile work]\nrole_arn = arn:aws:iam::123456789012:role/r\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = static-secret\n',
    );
    const won = await defaultCredentialChain({ env: isolatedEnv(home.dir), profile: 'work' })();
    expect(won).toEqual({
      source: 'profile:work',
      credentials: { accessKeyId: 'AKIDSTATIC', secretAccessKey: 'static-secret' },
    });
  });

  it('stops at EKS web identity variables it cannot use instead of falling through to the node role', async () => {
    const imds = await credentialServer('AKIDNODE');
    const env = isolatedEnv(home.dir, {
      AWS_WEB_IDENTITY_TOKEN_FILE: `${home.dir}/no-such-token`,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/pod',
      AWS_EC2_METADATA_DISABLED: 'false',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
    });
    const error = await chainError(env);
    expect(error.sources.at(-1)).toEqual({
      source: 'web-identity',
      reason: `AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN: cannot read the web identity token file ${home.dir}/no-such-token (ENOENT)`,
    });
    expect(imds.requests).toHaveLength(0);
  });

  it('refuses credentials that have already expired', async () => {
    const server = await startLoopbackServer((_request, response) => {
      response.end(credentialsDocument('AKIDOLD', { expiration: new Date(Date.now() - 60_000) }));
    });
    servers.push(server);
    const env = isolatedEnv(home.dir, { AWS_CONTAINER_CREDENTIALS_FULL_URI: server.url });
    const error = await chainError(env);
    expect(error.message).toMatch(
      /^Cannot get credentials from container: returned credentials that expired at /,
    );
  });
});
