/**
 * Files that credential sources read and that others may have put in place: a FIFO as the web
 * identity token, the SSO token cache or the container token is refused at once (a read would
 * hold a thread in open() and the process could never exit), and so is a device; token and cache
 * files larger than any real one are refused whole, before anything is sent.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { KmsConfigError } from '../../src/errors.js';
import { finished, spawnCli } from '../cli/run.js';
import { type TempHome, tempHome } from '../config/helpers.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { type FakeSts, startFakeSts } from '../helpers/sts.js';
import { ServiceTest } from './service-test.js';

const assumed = {
  accessKeyId: 'ASIAHOSTILEFILES0001',
  secretAccessKey: 'hostile-files-secret',
  sessionToken: 'hostile-files-session',
};
const roleArn = 'arn:aws:iam::123456789012:role/pod-role';
const startUrl = 'https://my-org.awsapps.com/start';

let home: TempHome;
let emulator: KmsEmulator;
let sts: FakeSts;
let portal: LoopbackServer;
const fifos: string[] = [];
const service = new ServiceTest();

beforeEach(async () => {
  home = await tempHome();
  emulator = await startKmsEmulator({ credentials: [assumed], transitionMs: 50 });
  sts = await startFakeSts(() => ({ credentials: assumed }));
  portal = await startLoopbackServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ roleCredentials: { ...assumed, expiration: Date.now() + 3.6e6 } }),
    );
  });
});
afterEach(async () => {
  // Releases a reader blocked in open() (the code before the fix), so this worker can exit.
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {}
  }
  await service.cleanup();
  await portal.close();
  await sts.close();
  await emulator.close();
  await home.remove();
});

function makeFifo(name: string): string {
  const path = join(home.dir, name);
  execFileSync('mkfifo', [path]);
  fifos.push(path);
  return path;
}

/** The call's error; a deadline so that a blocked read fails the test instead of hanging it. */
async function callError(): Promise<Error> {
  const client = service.newClient({ maxAttempts: 1 });
  const error = await client
    .disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic, { timeoutMs: 5_000 })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KmsConfigError);
  return error as Error;
}

function webIdentityEnv(tokenFile: string): void {
  service.useServiceEnv(home, emulator, {
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: roleArn,
    AWS_ENDPOINT_URL_STS: sts.url,
  });
}

async function ssoEnv(cacheText: string | undefined): Promise<string> {
  await home.write(
    '.aws/config',
    `[profile dev]\nsso_start_url = ${startUrl}\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = KmsOperator\n`,
  );
  const { createHash } = await import('node:crypto');
  const cacheFile = `.aws/sso/cache/${createHash('sha1').update(startUrl).digest('hex')}.json`;
  if (cacheText !== undefined) await home.write(cacheFile, cacheText);
  service.useServiceEnv(home, emulator, { AWS_PROFILE: 'dev', AWS_ENDPOINT_URL_SSO: portal.url });
  return join(home.dir, cacheFile);
}

describe('item 9: a FIFO or device is refused at once, never read', () => {
  it('a FIFO as the web identity token file', async () => {
    webIdentityEnv(makeFifo('token.fifo'));
    const error = await callError();
    expect(error.message).toMatch(
      /web identity token file .*token\.fifo \(a FIFO, not a regular file\)/,
    );
    expect(sts.calls).toHaveLength(0);
  });

  it('a FIFO as the SSO token cache', async () => {
    const cachePath = await ssoEnv(undefined);
    mkdirSync(dirname(cachePath), { recursive: true });
    execFileSync('mkfifo', [cachePath]);
    fifos.push(cachePath);
    const error = await callError();
    expect(error.message).toMatch(/SSO token cache .* \(a FIFO, not a regular file\)/);
    expect(portal.requests).toHaveLength(0);
  });

  it('a FIFO as the container authorization token file', async () => {
    service.useServiceEnv(home, emulator, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${portal.url}/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: makeFifo('container-token.fifo'),
    });
    const error = await callError();
    expect(error.message).toMatch(
      /AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE .* \(a FIFO, not a regular file\)/,
    );
    expect(portal.requests).toHaveLength(0);
  });

  it('a device (/dev/urandom) as the web identity token file', async () => {
    webIdentityEnv('/dev/urandom');
    const error = await callError();
    expect(error.message).toMatch(/\/dev\/urandom \(a device, not a regular file\)/);
    expect(sts.calls).toHaveLength(0);
  });

  it('kms-cks exits on its own (no thread left in open()) for a FIFO as the token file', async () => {
    const fifo = makeFifo('cli-token.fifo');
    const run = await finished(
      spawnCli(emulator, ['describe'], {
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_WEB_IDENTITY_TOKEN_FILE: fifo,
        AWS_ROLE_ARN: roleArn,
        AWS_ENDPOINT_URL_STS: sts.url,
      }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/a FIFO, not a regular file/);
  });
});

describe('item 10: token and cache files larger than any real one are refused whole', () => {
  it('a web identity token over 64 KiB is not sent to STS', async () => {
    webIdentityEnv(await home.write('big-token', `eyJ${'a'.repeat(100 * 1024)}`));
    const error = await callError();
    expect(error.message).toMatch(
      /web identity token file .*big-token \(larger than 65536 bytes\)/,
    );
    expect(sts.calls).toHaveLength(0);
  });

  it('an SSO token cache over 1 MiB is not read', async () => {
    await ssoEnv(
      JSON.stringify({
        accessToken: 'valid-token',
        expiresAt: new Date(Date.now() + 3.6e6).toISOString(),
        padding: 'x'.repeat(2 * 1024 * 1024),
      }),
    );
    const error = await callError();
    expect(error.message).toMatch(/SSO token cache .* \(larger than 1048576 bytes\)/);
    expect(portal.requests).toHaveLength(0);
  });

  it('a container token file over 64 KiB is not sent', async () => {
    service.useServiceEnv(home, emulator, {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${portal.url}/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: await home.write('ct', 'a'.repeat(70 * 1024)),
    });
    const error = await callError();
    expect(error.message).toMatch(/\(larger than 65536 bytes\)/);
    expect(portal.requests).toHaveLength(0);
  });
});
