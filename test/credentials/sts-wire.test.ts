/**
 * STS's Query protocol as both AWS SDKs speak it: error codes read from either error form
 * (`<ErrorResponse><Error>` as AWS answers, `<ErrorResponse><Errors><Error>` as moto and some
 * STS-compatible services do), and form values percent-encoded as botocore and the AWS SDK encode
 * them (`!'()*` too, which encodeURIComponent leaves).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KmsEmulator, startKmsEmulator } from '../../src/emulator/index.js';
import { type TempHome, tempHome } from '../config/helpers.js';
import { type FakeSts, startFakeSts } from '../helpers/sts.js';
import { configError, disconnect, ServiceTest } from './service-test.js';

const assumed = {
  accessKeyId: 'ASIASTSWIRE000000001',
  secretAccessKey: 'sts-wire-secret',
  sessionToken: 'sts-wire-session',
};

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

async function webIdentityEnv(token: string): Promise<void> {
  service.useServiceEnv(home, emulator, {
    AWS_WEB_IDENTITY_TOKEN_FILE: await home.write('token', token),
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/pod-role',
    AWS_ROLE_SESSION_NAME: 'wire',
    AWS_ENDPOINT_URL_STS: sts.url,
  });
}

describe('STS error forms', () => {
  it.each([
    ['InvalidClientTokenId', 403],
    ['SignatureDoesNotMatch', 403],
    ['AccessDenied', 403],
    ['InvalidIdentityToken', 400],
  ])('reads %s from <ErrorResponse><Errors><Error><Code>', async (code, status) => {
    sts.answer(() => ({ error: { status, code }, errorsList: true }));
    await webIdentityEnv('eyJ.token.sig');
    const error = await configError(service.newClient({ maxAttempts: 1 }));
    expect(error.sources.at(-1)?.reason).toMatch(
      new RegExp(`STS AssumeRoleWithWebIdentity failed: ${code} \\(HTTP ${status}\\)`),
    );
  });

  it('still reads the AWS form, <ErrorResponse><Error><Code>', async () => {
    sts.answer(() => ({ error: { status: 403, code: 'AccessDenied' } }));
    await webIdentityEnv('eyJ.token.sig');
    const error = await configError(service.newClient({ maxAttempts: 1 }));
    expect(error.sources.at(-1)?.reason).toMatch(/failed: AccessDenied \(HTTP 403\)/);
  });
});

describe('STS form encoding', () => {
  it("percent-encodes !'()* as botocore and the AWS SDK do, and the value arrives intact", async () => {
    const token = "eyJ!it's(a)*token~-_.";
    await webIdentityEnv(token);
    await disconnect(service.newClient());
    const body = sts.calls[0]?.request.body ?? '';
    expect(body).toContain('WebIdentityToken=eyJ%21it%27s%28a%29%2Atoken~-_.');
    expect(body).not.toMatch(/[!'()*]/);
    expect(sts.calls[0]?.form.WebIdentityToken).toBe(token);
  });
});
