/**
 * Assumed-role credentials shared with the AWS CLI in ~/.aws/cli/cache: botocore's file names,
 * its JSON, mode 0600, expiry honoured, and hostile files (symlinks, FIFOs, other owners,
 * group-writable, huge) ignored. A loopback fake of STS, the emulator for KMS, a temporary HOME.
 */
import { execFileSync } from 'node:child_process';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readdir,
  readFile,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';
import { roleCacheKey } from '../../src/credentials/role-cache.js';
import { type KmsEmulator, startKmsEmulator } from '../../src/emulator/index.js';
import type { KmsClientConfig } from '../../src/index.js';
import { capture } from '../cli/run.js';
import { type TempHome, tempHome, useProcessEnv } from '../config/helpers.js';
import { type FakeSts, startFakeSts } from '../helpers/sts.js';
import { configError, disconnect, ServiceTest, signedWith } from './service-test.js';

const base = { accessKeyId: 'AKIABASEEXAMPLE00001', secretAccessKey: 'base-secret-key' };
const role = {
  accessKeyId: 'ASIAROLEAEXAMPLE0001',
  secretAccessKey: 'role-a-secret+key',
  sessionToken: 'role-a-session/token==',
};
const cachedRole = {
  accessKeyId: 'ASIACACHEDEXAMPLE001',
  secretAccessKey: 'cached-role-secret',
  sessionToken: 'cached-role-token',
};
const roleArn = 'arn:aws:iam::111122223333:role/role-a';
const serial = 'arn:aws:iam::111122223333:mfa/alice';
// sha1('{"RoleArn": "arn:aws:iam::111122223333:role/role-a", "SerialNumber": "arn:aws:iam::111122223333:mfa/alice"}'),
// computed with Python's json.dumps(args, sort_keys=True) as botocore does.
const cacheKey = '3dda724c92fd285bc14b462f6e69d79a1ab10be4';

let home: TempHome;
let emulator: KmsEmulator;
let sts: FakeSts;
const service = new ServiceTest();

beforeEach(async () => {
  home = await tempHome();
  emulator = await startKmsEmulator({ credentials: [role, cachedRole], transitionMs: 50 });
  sts = await startFakeSts(() => ({ credentials: role }), { signers: [base] });
  await home.write(
    '.aws/config',
    `[profile base]\naws_access_key_id = ${base.accessKeyId}\naws_secret_access_key = ${base.secretAccessKey}\n\n[profile admin]\nrole_arn = ${roleArn}\nsource_profile = base\nmfa_serial = ${serial}\n\n[profile empty]\nregion = us-east-1\n`,
  );
  service.useServiceEnv(home, emulator, { AWS_ENDPOINT_URL_STS: sts.url, AWS_PROFILE: 'admin' });
});

afterEach(async () => {
  await service.cleanup();
  await sts.close();
  await emulator.close();
  await home.remove();
});

const cacheDir = () => join(home.dir, '.aws', 'cli', 'cache');
const cacheFile = () => join(cacheDir(), `${cacheKey}.json`);
const codes: string[] = [];
const withCache = (config: KmsClientConfig = {}): KmsClientConfig => ({
  sharedRoleCache: true,
  mfaCodeProvider: async () => {
    codes.push('asked');
    return '123456';
  },
  ...config,
});

/** A cache file as the AWS CLI writes it (botocore's `%Y-%m-%dT%H:%M:%S%Z` expiration). */
function awsCliDocument(expiresInMs: number): string {
  const expiration = new Date(Date.now() + expiresInMs).toISOString().replace(/\.\d{3}Z$/, 'UTC');
  return JSON.stringify({
    Credentials: {
      AccessKeyId: cachedRole.accessKeyId,
      SecretAccessKey: cachedRole.secretAccessKey,
      SessionToken: cachedRole.sessionToken,
      Expiration: expiration,
    },
    AssumedRoleUser: { AssumedRoleId: 'AROA:botocore-session-1', Arn: `${roleArn}/x` },
    ResponseMetadata: { RequestId: 'r', HTTPStatusCode: 200 },
  });
}

describe('the AWS CLI cache key', () => {
  it("is botocore's: SHA-1 of the sorted Python JSON of the role's AssumeRole arguments", () => {
    expect(roleCacheKey({ role_arn: roleArn, mfa_serial: serial, source_profile: 'base' })).toBe(
      cacheKey,
    );
    // Integers stay integers, non-ASCII is escaped as Python escapes it, a named session counts.
    expect(
      roleCacheKey({
        role_arn: 'arn:aws:iam::444455556666:role/kms-admin',
        duration_seconds: '1800',
        external_id: 'ext-1234',
        role_session_name: 'opérateur',
      }),
    ).toBe('596e9a1ad6f6d2749721d55d41cade618e2c850f');
    expect(roleCacheKey({ source_profile: 'base' })).toBeUndefined();
  });
});

describe('sharedRoleCache', () => {
  it('one MFA code serves: the first client writes the AWS CLI file (0600), the next one reads it without STS', async () => {
    codes.length = 0;
    await disconnect(service.newClient(withCache()));
    expect(sts.calls).toHaveLength(1);
    expect(codes).toEqual(['asked']);
    const stat = await lstat(cacheFile());
    expect(stat.mode & 0o777).toBe(0o600);
    const document = JSON.parse(await readFile(cacheFile(), 'utf8'));
    expect(document).toEqual({
      Credentials: {
        AccessKeyId: role.accessKeyId,
        SecretAccessKey: role.secretAccessKey,
        SessionToken: role.sessionToken,
        Expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dUTC$/),
      },
    });
    // No temporary file left behind.
    expect(await readdir(cacheDir())).toEqual([`${cacheKey}.json`]);

    emulator.setConnectionState('cks-0123456789abcdef0', 'CONNECTED');
    await disconnect(service.newClient(withCache({ mfaCodeProvider: undefined })));
    expect(sts.calls).toHaveLength(1);
    expect(signedWith(emulator)).toEqual([role.accessKeyId, role.accessKeyId]);
  });

  it('uses a file the AWS CLI wrote; ignores one within 15 minutes of expiring and writes a fresh one', async () => {
    await home.write(`.aws/cli/cache/${cacheKey}.json`, awsCliDocument(3600_000), 0o600);
    await disconnect(service.newClient(withCache({ mfaCodeProvider: undefined })));
    expect(sts.calls).toHaveLength(0);
    expect(signedWith(emulator)).toEqual([cachedRole.accessKeyId]);

    await home.write(`.aws/cli/cache/${cacheKey}.json`, awsCliDocument(10 * 60_000), 0o600);
    emulator.setConnectionState('cks-0123456789abcdef0', 'CONNECTED');
    await disconnect(service.newClient(withCache()));
    expect(sts.calls).toHaveLength(1);
    expect(JSON.parse(await readFile(cacheFile(), 'utf8')).Credentials.AccessKeyId).toBe(
      role.accessKeyId,
    );
  });

  it('refuses a sharedRoleCache that is not a boolean, before any request', () => {
    expect(() => service.newClient({ sharedRoleCache: 'yes' as unknown as boolean })).toThrow(
      /^sharedRoleCache must be true or false, got a string$/,
    );
  });

  it('is off unless asked (the library default): nothing read, nothing written', async () => {
    await home.write(`.aws/cli/cache/${cacheKey}.json`, awsCliDocument(3600_000), 0o600);
    await disconnect(service.newClient({ mfaCodeProvider: async () => '123456' }));
    expect(sts.calls).toHaveLength(1);
    expect(signedWith(emulator)).toEqual([role.accessKeyId]);
    expect(JSON.parse(await readFile(cacheFile(), 'utf8')).Credentials.AccessKeyId).toBe(
      cachedRole.accessKeyId,
    );
  });

  it.each([
    [
      'a group-writable file',
      async () => {
        await home.write(`.aws/cli/cache/${cacheKey}.json`, awsCliDocument(3600_000));
        await chmod(cacheFile(), 0o620);
      },
    ],
    [
      "another user's file",
      async () => {
        await home.write(`.aws/cli/cache/${cacheKey}.json`, awsCliDocument(3600_000), 0o600);
        await chown(cacheFile(), 12345, 12345);
      },
    ],
    [
      'a symlink to a file of ours',
      async () => {
        const elsewhere = await home.write('planted.json', awsCliDocument(3600_000), 0o600);
        await mkdir(cacheDir(), { recursive: true });
        await symlink(elsewhere, cacheFile());
      },
    ],
    [
      'a FIFO (must not hang)',
      async () => {
        await mkdir(cacheDir(), { recursive: true });
        execFileSync('mkfifo', ['-m', '600', cacheFile()]);
      },
    ],
    [
      'a huge file',
      async () => {
        await home.write(
          `.aws/cli/cache/${cacheKey}.json`,
          `${awsCliDocument(3600_000)}${' '.repeat(100_000)}`,
          0o600,
        );
      },
    ],
    [
      'a file that is not JSON',
      async () => {
        await home.write(`.aws/cli/cache/${cacheKey}.json`, '{"Credentials": ', 0o600);
      },
    ],
  ])('ignores %s and asks STS', async (_what, plant) => {
    await plant();
    await disconnect(service.newClient(withCache()));
    expect(sts.calls).toHaveLength(1);
    expect(signedWith(emulator)).toEqual([role.accessKeyId]);
  });

  it('neither reads nor writes through a cache folder that is a symlink or writable by others', async () => {
    const elsewhere = join(home.dir, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(join(elsewhere, `${cacheKey}.json`), awsCliDocument(3600_000), { mode: 0o600 });
    await mkdir(join(home.dir, '.aws', 'cli'), { recursive: true });
    await symlink(elsewhere, cacheDir());
    await disconnect(service.newClient(withCache()));
    expect(sts.calls).toHaveLength(1);
    // Not overwritten through the link.
    expect(
      JSON.parse(await readFile(join(elsewhere, `${cacheKey}.json`), 'utf8')).Credentials
        .AccessKeyId,
    ).toBe(cachedRole.accessKeyId);
  });

  it('a folder writable by others is not used', async () => {
    await home.write(`.aws/cli/cache/${cacheKey}.json`, awsCliDocument(3600_000), 0o600);
    await chmod(cacheDir(), 0o777);
    await disconnect(service.newClient(withCache()));
    expect(sts.calls).toHaveLength(1);
  });
});

describe('signing in under pressure (kms-cks)', () => {
  async function cli(args: string[], options: { prompt?: (q: string) => Promise<string> } = {}) {
    const stdout = capture();
    const stderr = capture();
    const code = await main([...args, '--endpoint', emulator.url, '--region', emulator.region], {
      stdout,
      stderr,
      isTTY: options.prompt !== undefined,
      prompt: options.prompt,
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('kms-cks caches the role as the AWS CLI does: the second command asks no code', async () => {
    const asked: string[] = [];
    const prompt = async (question: string) => {
      asked.push(question);
      return '123456';
    };
    expect((await cli(['describe'], { prompt })).code).toBe(0);
    expect((await cli(['describe'], { prompt })).code).toBe(0);
    expect(asked).toEqual([`MFA code for ${serial}: `]);
    expect(sts.calls).toHaveLength(1);
    expect((await lstat(cacheFile())).mode & 0o777).toBe(0o600);
  });

  it("without a terminal, the MFA error names the CLI's way out, not mfaCodeProvider (exit 2)", async () => {
    const run = await cli(['describe']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /kms-cks asks for one only on a terminal \(stdin and stderr\)\. Run it on a terminal, or sign in with the AWS CLI first: 'aws sts get-caller-identity --profile admin' asks for the code and caches the role's credentials in ~\/\.aws\/cli\/cache/,
    );
    expect(run.stderr).not.toMatch(/mfaCodeProvider|KmsClient/);
    expect(sts.calls).toHaveLength(0);
  });

  it("shows STS's own AccessDenied message, redacted", async () => {
    sts.answer(() => ({
      error: {
        status: 403,
        code: 'AccessDenied',
        message: `User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: ${roleArn} (key ${base.secretAccessKey})`,
      },
    }));
    const run = await cli(['describe'], { prompt: async () => '123456' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `STS AssumeRole failed: AccessDenied (HTTP 403): User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: ${roleArn} (key [redacted])`,
    );
    expect(run.stderr).not.toContain(base.secretAccessKey);
  });

  it('STS unreachable is a network failure: exit 1, not 2', async () => {
    await sts.close();
    const run = await cli(['describe', '--max-attempts', '1'], { prompt: async () => '123456' });
    expect(run.stderr).toMatch(/STS AssumeRole to http:\/\/127\.0\.0\.1:\d+: connection failed/);
    expect(run.code).toBe(1);
  });

  it('a mistyped profile gets "did you mean"', async () => {
    const run = await cli(['describe', '--profile', 'admn']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Did you mean --profile admin\?/);
  });

  it('keys in the environment that a profile overrides: says so, not "Set AWS_ACCESS_KEY_ID"', async () => {
    const restore = useProcessEnv({
      ...process.env,
      AWS_PROFILE: 'empty',
      AWS_ACCESS_KEY_ID: base.accessKeyId,
      AWS_SECRET_ACCESS_KEY: base.secretAccessKey,
    });
    service.onCleanup(async () => restore());
    const run = await cli(['describe']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set but not used: a profile chosen by AWS_PROFILE wins over them\. To use the keys, unset AWS_PROFILE/,
    );
    expect(run.stderr).not.toMatch(/Set AWS_ACCESS_KEY_ID/);
    await expect(configError(service.newClient())).resolves.toBeDefined();
  });
});
