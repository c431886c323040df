/**
 * Regions read from shared config go into host names (`sts.{region}.amazonaws.com`,
 * `portal.sso.{region}…`, `oidc.{region}…`): a value like `@127.0.0.1:PORT/x?` would move the
 * host to another server, with the SSO refresh token and client secret or a signed AssumeRole.
 * Each is validated as the KMS region is: a KmsConfigError naming the profile, nothing sent.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KmsEmulator, startKmsEmulator } from '../../src/emulator/index.js';
import { type TempHome, tempHome } from '../config/helpers.js';
import { configError, ServiceTest } from './service-test.js';

let home: TempHome;
let emulator: KmsEmulator;
/** Where an injected region would send the request: counts connections, answers nothing. */
let elsewhere: Server;
let connections = 0;
const sockets = new Set<Socket>();
const service = new ServiceTest();
const startUrl = 'https://my-org.awsapps.com/start';

beforeEach(async () => {
  home = await tempHome();
  emulator = await startKmsEmulator({ transitionMs: 50 });
  connections = 0;
  elsewhere = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
});
afterEach(async () => {
  await service.cleanup();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => elsewhere.close(resolve));
  await emulator.close();
  await home.remove();
});

const injected = () => `@127.0.0.1:${(elsewhere.address() as { port: number }).port}/x?`;
const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

describe('regions from shared config are validated before they reach a host name', () => {
  it('sso_region of an sso-session (refresh token and client secret would go there)', async () => {
    await home.write(
      '.aws/config',
      `[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = KmsOperator\n\n[sso-session corp]\nsso_start_url = ${startUrl}\nsso_region = ${injected()}\n`,
    );
    await home.write(
      `.aws/sso/cache/${createHash('sha1').update('corp').digest('hex')}.json`,
      JSON.stringify({
        accessToken: 'expired-token',
        expiresAt: minutes(-1),
        refreshToken: 'refresh-token-value',
        clientId: 'client-id',
        clientSecret: 'client-secret-value',
        registrationExpiresAt: minutes(600),
      }),
    );
    service.useServiceEnv(home, emulator, { AWS_PROFILE: 'dev' });
    const error = await configError(service.newClient({ maxAttempts: 1 }));
    expect(error.sources.at(-1)?.source).toBe('sso:dev');
    expect(error.sources.at(-1)?.reason).toMatch(
      /^sso_region ".*" of profile dev is not a region name/,
    );
    expect(error.message).not.toMatch(/refresh-token-value|client-secret-value/);
    expect(connections).toBe(0);
  });

  it('sso_region of a legacy SSO profile (the access token would go there)', async () => {
    await home.write(
      '.aws/config',
      `[profile dev]\nsso_start_url = ${startUrl}\nsso_region = ${injected()}\nsso_account_id = 111122223333\nsso_role_name = KmsOperator\n`,
    );
    await home.write(
      `.aws/sso/cache/${createHash('sha1').update(startUrl).digest('hex')}.json`,
      JSON.stringify({ accessToken: 'valid-token', expiresAt: minutes(60) }),
    );
    service.useServiceEnv(home, emulator, { AWS_PROFILE: 'dev' });
    const error = await configError(service.newClient({ maxAttempts: 1 }));
    expect(error.sources.at(-1)?.reason).toMatch(
      /^sso_region ".*" of profile dev is not a region name/,
    );
    expect(connections).toBe(0);
  });

  it("a role profile's region (a signed AssumeRole would go there)", async () => {
    await home.write(
      '.aws/config',
      `[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\nregion = ${injected()}\n\n[profile base]\naws_access_key_id = AKIDREGIONINJECT\naws_secret_access_key = region-inject-secret\n`,
    );
    service.useServiceEnv(home, emulator, { AWS_PROFILE: 'ops' });
    const error = await configError(service.newClient({ maxAttempts: 1 }));
    expect(error.sources.at(-1)?.source).toMatch(/ops/);
    expect(error.sources.at(-1)?.reason).toMatch(/the STS region ".*" is not a region name/);
    expect(error.message).not.toContain('region-inject-secret');
    expect(connections).toBe(0);
  });
});
