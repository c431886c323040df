/**
 * `close()` while a call waits for credentials ends that work at once: a `credential_process`
 * that sleeps is killed, an STS AssumeRole, SSO GetRoleCredentials or container credentials
 * request that gets no answer is aborted, and the call rejects saying the client is closed, instead of close() waiting out
 * their own limits (about 30 s each).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultKeyStoreIds } from '../../src/emulator/index.js';
import { KmsClient, KmsError } from '../../src/index.js';
import {
  type TempHome,
  tempHome,
  useProcessEnv,
  writeHungCredentialProcess,
} from '../config/helpers.js';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';

let home: TempHome;
let silent: LoopbackServer;
let restoreEnv: (() => void) | undefined;

beforeEach(async () => {
  home = await tempHome();
  // Accepts every request and never answers.
  silent = await startLoopbackServer(() => {});
});
afterEach(async () => {
  restoreEnv?.();
  restoreEnv = undefined;
  await silent.close();
  await home.remove();
});

function useEnv(extra: NodeJS.ProcessEnv): void {
  restoreEnv = useProcessEnv({
    HOME: home.dir,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'eu-west-1',
    // Never reached: the call is still waiting for credentials when the client closes.
    AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9',
    ...extra,
  });
}

/** Starts a call, closes the client 500 ms later; what the call and close() did. */
async function closeDuringCall(): Promise<{ error: unknown; closeMs: number }> {
  const client = new KmsClient({ maxAttempts: 1 });
  const call = client
    .disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic)
    .catch((thrown: unknown) => thrown);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = performance.now();
  await client.close();
  const closeMs = performance.now() - started;
  return { error: await call, closeMs };
}

function expectEndedByClose(result: { error: unknown; closeMs: number }, withinMs = 5_000): void {
  expect(result.error).toBeInstanceOf(KmsError);
  expect((result.error as Error).message).toMatch(/closed/);
  // Their own limits are seconds to tens of seconds; close() ends them at once.
  expect(result.closeMs).toBeLessThan(withinMs);
}

/** Alive and not a zombie (a killed grandchild waits for init to reap it). */
const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

describe('close() during credential work', () => {
  it('kills a credential_process that sleeps', async () => {
    const { configFile, pidFile } = writeHungCredentialProcess(home.dir);
    useEnv({ AWS_CONFIG_FILE: configFile, AWS_PROFILE: 'hung' });
    const result = await closeDuringCall();
    expectEndedByClose(result);
    expect(existsSync(pidFile)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 50 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isRunning(pid)).toBe(false);
  });

  it('aborts an STS AssumeRole that gets no answer', async () => {
    await home.write(
      '.aws/config',
      '[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\n\n[profile base]\naws_access_key_id = AKIDCLOSESTS\naws_secret_access_key = close-sts-secret\n',
    );
    useEnv({ AWS_PROFILE: 'ops', AWS_ENDPOINT_URL_STS: silent.url });
    const result = await closeDuringCall();
    expectEndedByClose(result);
    expect(silent.requests.length + silent.connections).toBeGreaterThan(0);
  });

  it('aborts a container credentials request that gets no answer (3 attempts of 1 s otherwise)', async () => {
    useEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${silent.url}/creds` });
    const result = await closeDuringCall();
    expectEndedByClose(result, 1_500);
    expect(silent.connections).toBeGreaterThan(0);
  });

  it('aborts an SSO GetRoleCredentials that gets no answer', async () => {
    await home.write(
      '.aws/config',
      '[profile dev]\nsso_start_url = https://my-org.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = KmsOperator\n',
    );
    const { createHash } = await import('node:crypto');
    const key = createHash('sha1').update('https://my-org.awsapps.com/start').digest('hex');
    await home.write(
      `.aws/sso/cache/${key}.json`,
      JSON.stringify({
        accessToken: 'valid-token',
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      }),
    );
    useEnv({ AWS_PROFILE: 'dev', AWS_ENDPOINT_URL_SSO: silent.url });
    const result = await closeDuringCall();
    expectEndedByClose(result);
    expect(silent.connections).toBeGreaterThan(0);
  });
});
