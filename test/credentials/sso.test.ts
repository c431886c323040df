/**
 * IAM Identity Center (SSO) profiles end to end: the token cache in a temporary HOME, loopback
 * fakes of the SSO portal (GetRoleCredentials) and SSO-OIDC (CreateToken) that check what they
 * receive, to a KMS call on the emulator signed with the role credentials.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KmsClient } from '../../src/client.js';
import {
  defaultKeyStoreIds,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import type { KmsClientConfig } from '../../src/index.js';
import { runCli } from '../cli/run.js';
import { type TempHome, tempHome } from '../config/helpers.js';
import { startTestProxy } from '../config/proxy-server.js';
import { type Handler, type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { configError, disconnect, ServiceTest } from './service-test.js';

const role = {
  accessKeyId: 'ASIASSOROLEEXAMPLE01',
  secretAccessKey: 'sso-role-secret-key',
  sessionToken: 'sso-role-session-token',
};
const startUrl = 'https://my-org.awsapps.com/start';

let home: TempHome;
let emulator: KmsEmulator;
let sso: LoopbackServer;
const service = new ServiceTest();

/** Portal and OIDC in one fake: the portal wants `valid-token` unless told otherwise. */
function ssoHandler(options: { acceptToken?: string; oidc?: Handler } = {}): Handler {
  return (request, response, index) => {
    if (request.url === '/token' && request.method === 'POST') {
      if (options.oidc) return options.oidc(request, response, index);
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(
        JSON.stringify({
          accessToken: 'refreshed-token',
          expiresIn: 3600,
          refreshToken: 'next-refresh-token',
          tokenType: 'Bearer',
        }),
      );
    }
    if (request.url.startsWith('/federation/credentials?') && request.method === 'GET') {
      if (request.headers['x-amz-sso_bearer_token'] !== (options.acceptToken ?? 'valid-token')) {
        response.writeHead(401, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'UnauthorizedException:http://internal.amazon.com/',
        });
        return void response.end(JSON.stringify({ message: 'Session token not found or invalid' }));
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(
        JSON.stringify({
          roleCredentials: { ...role, expiration: Date.now() + 3600_000 },
        }),
      );
    }
    response.writeHead(404);
    response.end();
  };
}

beforeEach(async () => {
  home = await tempHome();
  emulator = await startKmsEmulator({ credentials: [role], transitionMs: 50 });
  sso = await startLoopbackServer(ssoHandler());
});
afterEach(async () => {
  await service.cleanup();
  await sso.close();
  await emulator.close();
  await home.remove();
});

function serviceEnv(extra: NodeJS.ProcessEnv = {}): void {
  service.useServiceEnv(home, emulator, {
    AWS_ENDPOINT_URL_SSO: sso.url,
    AWS_ENDPOINT_URL_SSO_OIDC: sso.url,
    ...extra,
  });
}

const newClient = (config?: KmsClientConfig): KmsClient => service.newClient(config);

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

const sessionConfig = `[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = KmsOperator\n\n[sso-session corp]\nsso_start_url = ${startUrl}\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n`;

async function writeToken(key: string, fields: Record<string, unknown>): Promise<string> {
  return home.write(`.aws/sso/cache/${sha1(key)}.json`, JSON.stringify(fields));
}

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

describe('sso_session profiles', () => {
  it('gets role credentials with the cached token', async () => {
    await home.write('.aws/config', sessionConfig);
    await writeToken('corp', { accessToken: 'valid-token', expiresAt: minutes(60) });
    serviceEnv({ AWS_PROFILE: 'dev' });
    const client = newClient();
    await disconnect(client);
    expect(sso.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET /federation/credentials?role_name=KmsOperator&account_id=111122223333',
    ]);
    expect(emulator.requests.map((request) => request.accessKeyId)).toEqual([role.accessKeyId]);
    expect((await client.resolveConfig()).credentialSource).toBe('sso:dev');
  });

  it('refreshes a token within 5 minutes of expiry through CreateToken and writes it back', async () => {
    await home.write('.aws/config', sessionConfig);
    const cachePath = await writeToken('corp', {
      startUrl,
      region: 'eu-west-1',
      accessToken: 'old-token',
      expiresAt: minutes(2),
      refreshToken: 'refresh-me',
      clientId: 'client-id',
      clientSecret: 'client-secret',
      registrationExpiresAt: minutes(60 * 24),
    });
    sso.handle(ssoHandler({ acceptToken: 'refreshed-token' }));
    serviceEnv({ AWS_PROFILE: 'dev' });
    const before = Date.now();
    await disconnect(newClient());
    expect(sso.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /token',
      'GET /federation/credentials?role_name=KmsOperator&account_id=111122223333',
    ]);
    expect(JSON.parse(sso.requests[0]?.body ?? '')).toEqual({
      clientId: 'client-id',
      clientSecret: 'client-secret',
      grantType: 'refresh_token',
      refreshToken: 'refresh-me',
    });
    const written = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, string>;
    expect(written).toMatchObject({
      startUrl,
      accessToken: 'refreshed-token',
      refreshToken: 'next-refresh-token',
      clientId: 'client-id',
    });
    const expiresAt = new Date(written.expiresAt as string).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 1_000);
    expect(emulator.requests.map((request) => request.accessKeyId)).toEqual([role.accessKeyId]);
  });

  it('shares one refresh between concurrent clients', async () => {
    await home.write('.aws/config', sessionConfig);
    await writeToken('corp', {
      accessToken: 'old-token',
      expiresAt: minutes(1),
      refreshToken: 'refresh-me',
      clientId: 'client-id',
      clientSecret: 'client-secret',
    });
    sso.handle(ssoHandler({ acceptToken: 'refreshed-token' }));
    serviceEnv({ AWS_PROFILE: 'dev' });
    await Promise.all([disconnect(newClient()), newClient().describeCustomKeyStores({})]);
    expect(sso.requests.filter((request) => request.url === '/token')).toHaveLength(1);
    expect(emulator.requests.map((request) => request.accessKeyId)).toEqual([
      role.accessKeyId,
      role.accessKeyId,
    ]);
  });

  it.each([1e300, -5, 0])(
    'CreateToken answering expiresIn %s is a KmsConfigError naming the SSO profile, not a bare date error',
    async (expiresIn) => {
      await home.write('.aws/config', sessionConfig);
      await writeToken('corp', {
        accessToken: 'expired-token',
        expiresAt: minutes(-1),
        refreshToken: 'refresh-me',
        clientId: 'client-id',
        clientSecret: 'client-secret-value',
        registrationExpiresAt: minutes(600),
      });
      sso.handle(
        ssoHandler({
          oidc: (_request, response) => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(
              JSON.stringify({ accessToken: 'new-token', expiresIn, tokenType: 'Bearer' }),
            );
          },
        }),
      );
      serviceEnv({ AWS_PROFILE: 'dev' });
      const error = await configError(newClient());
      expect(error.sources.at(-1)?.source).toBe('sso:dev');
      expect(error.sources.at(-1)?.reason).toMatch(
        /profile dev .*SSO-OIDC CreateToken answered an expiresIn that is not from 1 to \d+ seconds/,
      );
      expect(error.message).not.toMatch(/Invalid time value|new-token|client-secret-value/);
    },
  );

  it('an expired token that cannot be refreshed: run aws sso login, and one attempt per 30 s', async () => {
    await home.write('.aws/config', sessionConfig);
    const cached = {
      accessToken: 'expired-token',
      expiresAt: minutes(-1),
      refreshToken: 'revoked',
      clientId: 'client-id',
      clientSecret: 'client-secret-value',
      registrationExpiresAt: minutes(600),
    };
    const cachePath = await writeToken('corp', cached);
    sso.handle(
      ssoHandler({
        oidc: (_request, response) => {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'invalid_grant', error_description: 'revoked' }));
        },
      }),
    );
    serviceEnv({ AWS_PROFILE: 'dev' });
    const error = await configError(newClient());
    expect(error.sources.at(-1)).toEqual({
      source: 'sso:dev',
      reason:
        'the SSO token of profile dev expired and its refresh failed (SSO-OIDC CreateToken failed: invalid_grant (HTTP 400)); run aws sso login --profile dev',
    });
    const again = await configError(newClient());
    expect(again.sources.at(-1)?.reason).toMatch(
      /^the SSO token of profile dev expired at .* and cannot be refreshed; run aws sso login --profile dev$/,
    );
    expect(sso.requests.map((request) => request.url)).toEqual(['/token']);
    for (const message of [error.message, again.message]) {
      expect(message).not.toContain('client-secret-value');
      expect(message).not.toContain('expired-token');
    }
    expect(JSON.parse(await readFile(cachePath, 'utf8'))).toEqual(cached);
    expect(emulator.requests).toHaveLength(0);
  });

  it('refuses a profile whose start URL or region disagrees with its session', async () => {
    await home.write(
      '.aws/config',
      sessionConfig.replace(
        'sso_role_name = KmsOperator\n',
        'sso_role_name = KmsOperator\nsso_region = us-west-2\n',
      ),
    );
    serviceEnv({ AWS_PROFILE: 'dev' });
    expect((await configError(newClient())).sources.at(-1)).toEqual({
      source: 'sso:dev',
      reason:
        'profile dev sets sso_region = us-west-2, but its sso_session corp sets eu-west-1; remove one or make them agree',
    });
    expect(sso.requests).toHaveLength(0);
  });

  it('names the portal error code, never the token', async () => {
    await home.write('.aws/config', sessionConfig);
    await writeToken('corp', { accessToken: 'stale-bearer-token', expiresAt: minutes(60) });
    serviceEnv({ AWS_PROFILE: 'dev' });
    const error = await configError(newClient());
    expect(error.sources.at(-1)).toEqual({
      source: 'sso:dev',
      reason: 'SSO GetRoleCredentials failed: UnauthorizedException (HTTP 401)',
    });
    expect(error.message).not.toContain('stale-bearer-token');
    expect(sso.requests[0]?.headers['x-amz-sso_bearer_token']).toBe('stale-bearer-token');
  });

  it('goes through HTTP_PROXY like the KMS calls', async () => {
    const proxy = await startTestProxy();
    service.onCleanup(() => proxy.close());
    await home.write('.aws/config', sessionConfig);
    await writeToken('corp', { accessToken: 'valid-token', expiresAt: minutes(60) });
    serviceEnv({ AWS_PROFILE: 'dev', HTTP_PROXY: proxy.url });
    await disconnect(newClient());
    expect(proxy.tunnels).toEqual([`127.0.0.1:${sso.port}`, `127.0.0.1:${emulator.port}`]);
  });

  it('kms-cks --profile dev describe', async () => {
    await home.write('.aws/config', sessionConfig);
    await writeToken('corp', { accessToken: 'valid-token', expiresAt: minutes(60) });
    serviceEnv();
    const { code, stdout, stderr } = await runCli(emulator, ['describe', '--profile', 'dev'], {
      clientConfig: { credentials: undefined },
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(defaultKeyStoreIds.externalPublic);
    expect(emulator.requests.map((request) => request.accessKeyId)).toEqual([role.accessKeyId]);
  });
});

describe('legacy sso_start_url profiles and login_session', () => {
  it('reads the token cached under the sha1 of the start URL, without refreshing', async () => {
    await home.write(
      '.aws/config',
      `[profile old]\nsso_start_url = ${startUrl}\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = KmsOperator\n`,
    );
    await writeToken(startUrl, { accessToken: 'valid-token', expiresAt: minutes(3) });
    serviceEnv({ AWS_PROFILE: 'old' });
    await disconnect(newClient());
    expect(sso.requests.map((request) => request.method)).toEqual(['GET']);
    expect(emulator.requests.map((request) => request.accessKeyId)).toEqual([role.accessKeyId]);
  });

  it('tells an expired legacy token to run aws sso login', async () => {
    await home.write(
      '.aws/config',
      `[profile old]\nsso_start_url = ${startUrl}\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n`,
    );
    await writeToken(startUrl, { accessToken: 'old', expiresAt: minutes(-5) });
    serviceEnv({ AWS_PROFILE: 'old' });
    const error = await configError(newClient());
    expect(error.sources.at(-1)?.reason).toMatch(
      /^the SSO token of profile old expired at .*; run aws sso login --profile old$/,
    );
    expect(sso.requests).toHaveLength(0);
  });

  it('refuses login_session with the credential_process workaround', async () => {
    await home.write('.aws/config', '[profile console]\nlogin_session = arn:aws:iam::1:user/u\n');
    serviceEnv({ AWS_PROFILE: 'console' });
    const error = await configError(newClient());
    expect(error.sources.at(-1)?.source).toBe('profile:console');
    expect(error.message).toContain('login_session');
    expect(error.message).toContain(
      'credential_process = aws configure export-credentials --profile console --format process',
    );
  });
});
