/**
 * Authentication over real HTTP: what the emulator accepts and the error KMS returns for each
 * way a request can be badly signed. Requests are signed with @smithy/signature-v4 or by the real
 * KmsClient, never with the verifier's own code.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultKeyStoreIds,
  emulatorCredentials,
  type KmsEmulator,
  startKmsEmulator,
} from '../../src/emulator/index.js';
import { formatAmzDate } from '../../src/emulator/sigv4.js';
import { KmsClient, KmsServiceException } from '../../src/index.js';
import { send } from './helpers.js';

const minute = 60_000;

describe('SigV4 authentication', () => {
  let emu: KmsEmulator;
  beforeAll(async () => {
    emu = await startKmsEmulator({ transitionMs: 50 });
  });
  afterAll(() => emu.close());
  afterEach(() => emu.clearRequests());

  it('accepts a correctly signed request', async () => {
    const response = await send(emu);
    expect(response.status).toBe(200);
    expect(emu.requests.at(-1)).toMatchObject({
      accessKeyId: emulatorCredentials.accessKeyId,
      status: 200,
    });
  });

  it('answers an unsigned request with MissingAuthenticationTokenException, a Date and a request ID', async () => {
    const response = await send(emu, { unsigned: true });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
    expect(response.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Date.parse(response.headers.date!) - Date.now())).toBeLessThan(minute);
    expect(response.headers['content-type']).toBe('application/x-amz-json-1.1');
  });

  it.each([
    [
      'an unsupported algorithm',
      (value: string) => value.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'),
      "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'",
    ],
    [
      'no Signature field',
      (value: string) => value.replace(/, Signature=[0-9a-f]+/, ''),
      "Authorization header requires 'Signature' parameter.",
    ],
    [
      'a field without "="',
      (value: string) => value.replace('SignedHeaders=', 'SignedHeaders '),
      'not a valid key=value pair (missing equal-sign) in Authorization header',
    ],
    [
      'a malformed credential',
      (value: string) =>
        value.replace(/Credential=[^,]+/, 'Credential=AKIAIOSFODNN7EXAMPLE/20150830'),
      'is malformed; expecting',
    ],
    [
      'host not signed',
      (value: string) =>
        value.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=content-type;x-amz-date'),
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ],
    [
      'x-amz-date not signed',
      (value: string) => value.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=host;x-amz-target'),
      "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    ],
  ])('answers %s with IncompleteSignatureException', async (_label, rewrite, message) => {
    const response = await send(emu, { rewriteAuthorization: rewrite });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toBe('IncompleteSignatureException');
    expect(response.json?.message).toContain(message);
    expect(response.headers.date).toBeDefined();
  });

  it('requires X-Amz-Date', async () => {
    const response = await send(emu, { removeHeaders: ['x-amz-date'] });
    expect(response.json).toMatchObject({
      __type: 'IncompleteSignatureException',
      message: expect.stringContaining(
        "requires existence of either a 'X-Amz-Date' or a 'Date' header",
      ),
    });
  });

  it('requires X-Amz-Date in ISO-8601 basic format', async () => {
    const response = await send(emu, { unsignedHeaders: { 'x-amz-date': '2024-01-01T00:00:00Z' } });
    expect(response.json).toEqual({
      __type: 'IncompleteSignatureException',
      message:
        "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    });
  });

  it('keeps secrets out of util.inspect and JSON of the emulator', async () => {
    const { inspect } = await import('node:util');
    const secret = 'a-secret-that-must-not-leak-0000000000001';
    const other = await startKmsEmulator({
      credentials: [
        {
          accessKeyId: 'AKIAOTHER00000000001',
          secretAccessKey: secret,
          sessionToken: 'tok-secret-1',
        },
      ],
    });
    try {
      await send(other, {
        credentials: {
          accessKeyId: 'AKIAOTHER00000000001',
          secretAccessKey: secret,
          sessionToken: 'tok-secret-1',
        },
      });
      expect(other.requests.map((entry) => entry.status)).toEqual([200]);
      for (const text of [inspect(other, { depth: 10 }), JSON.stringify(other)]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain('tok-secret-1');
      }
    } finally {
      await other.close();
    }
  });

  it('answers an unknown access key with UnrecognizedClientException', async () => {
    const response = await send(emu, {
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
    });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('answers a wrong secret with InvalidSignatureException showing the canonical request', async () => {
    const response = await send(emu, {
      credentials: { ...emulatorCredentials, secretAccessKey: 'not-the-secret' },
    });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toBe('InvalidSignatureException');
    expect(response.json?.message).toMatch(
      /^The request signature we calculated does not match the signature you provided\./,
    );
    expect(response.json?.message).toContain(
      'The Canonical String for this request should have been',
    );
    expect(response.body).not.toContain('not-the-secret');
    expect(response.body).not.toContain(emulatorCredentials.secretAccessKey);
  });

  it('rejects a body changed after signing', async () => {
    const body = JSON.stringify({ CustomKeyStoreId: defaultKeyStoreIds.externalPublic });
    const response = await send(emu, {
      operation: 'DisconnectCustomKeyStore',
      body,
      tamperBody: JSON.stringify({ CustomKeyStoreId: defaultKeyStoreIds.cloudHsm }),
    });
    expect(response.json?.__type).toBe('InvalidSignatureException');
    expect(emu.keyStores.get(defaultKeyStoreIds.cloudHsm)?.connectionState).toBe('CONNECTED');
  });

  it('rejects a signed header changed after signing', async () => {
    const response = await send(emu, {
      operation: 'DescribeCustomKeyStores',
      unsignedHeaders: { 'x-amz-target': 'TrentService.DisconnectCustomKeyStore' },
    });
    expect(response.json?.__type).toBe('InvalidSignatureException');
  });

  it('rejects a credential scoped to another region, naming it', async () => {
    const response = await send(emu, { region: 'eu-west-1' });
    expect(response.json).toEqual({
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    });
  });

  it('rejects a credential scoped to another service', async () => {
    const response = await send(emu, { service: 'sqs' });
    expect(response.json).toEqual({
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'kms'. ",
    });
  });

  it('rejects a scope date that is not the X-Amz-Date day', async () => {
    const response = await send(emu, {
      rewriteAuthorization: (value) => value.replace(/\/(\d{8})\//, '/20010101/'),
    });
    expect(response.json?.__type).toBe('InvalidSignatureException');
    expect(response.json?.message).toContain('Date in Credential scope does not match YYYYMMDD');
  });

  it('answers a request signed 6 minutes ago with "Signature expired" in KMS wording (5 min.)', async () => {
    const signed = new Date(Date.now() - 6 * minute);
    const response = await send(emu, { signingDate: signed });
    expect(response.status).toBe(400);
    expect(response.json?.__type).toBe('InvalidSignatureException');
    const serverNow = Date.parse(response.headers.date!);
    const message = String(response.json?.message);
    const match =
      /^Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 5 min\.\)$/.exec(
        message,
      );
    expect(match, message).not.toBeNull();
    expect(match![1]).toBe(formatAmzDate(Math.floor(signed.getTime() / 1000) * 1000));
    // The server time in the message is the one in the Date header (to the second).
    expect(Math.abs(Date.parse(isoOf(match![3]!)) - serverNow)).toBeLessThanOrEqual(1000);
    expect(Date.parse(isoOf(match![3]!)) - Date.parse(isoOf(match![2]!))).toBe(5 * minute);
  });

  it('answers a request signed 6 minutes ahead with "Signature not yet current" (5 min.)', async () => {
    const response = await send(emu, { signingDate: new Date(Date.now() + 6 * minute) });
    expect(response.json?.__type).toBe('InvalidSignatureException');
    expect(response.json?.message).toMatch(
      /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/,
    );
  });

  it('accepts requests signed 4 minutes ago and 4 minutes ahead, inside KMS window', async () => {
    for (const offset of [-4 * minute, 4 * minute]) {
      const response = await send(emu, { signingDate: new Date(Date.now() + offset) });
      expect(response.status, String(offset)).toBe(200);
    }
  });
});

describe('clock offset', () => {
  let emu: KmsEmulator;
  afterEach(() => emu.close());

  it('judges signatures by, and sends in Date, the emulator clock', async () => {
    emu = await startKmsEmulator({ clockOffsetMs: 30 * minute });
    const response = await send(emu);
    expect(response.json?.message).toMatch(/^Signature expired: /);
    const serverDate = Date.parse(response.headers.date!);
    expect(Math.abs(serverDate - (Date.now() + 30 * minute))).toBeLessThan(minute);

    emu.setClockOffset(0);
    expect((await send(emu)).status).toBe(200);
  });

  it('lets the real client correct its clock from the Date header and succeed', async () => {
    emu = await startKmsEmulator({ clockOffsetMs: -40 * minute, transitionMs: 50 });
    const client = new KmsClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: emulatorCredentials,
    });
    try {
      const result = await client.disconnectCustomKeyStore(defaultKeyStoreIds.externalPublic);
      expect(result.$metadata.attempts).toBe(2);
      expect(emu.requests.map((entry) => entry.status)).toEqual([400, 200]);
      expect(emu.requests[0]?.errorType).toBe('InvalidSignatureException');
    } finally {
      await client.close();
    }
  });
});

describe('session tokens and expiry', () => {
  const temporary = {
    accessKeyId: 'ASIATEMPORARY0000001',
    secretAccessKey: 'temporary-secret-key-for-tests-0000000001',
    sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDExample',
  };
  let emu: KmsEmulator;
  beforeAll(async () => {
    emu = await startKmsEmulator({
      credentials: [
        emulatorCredentials,
        temporary,
        {
          accessKeyId: 'ASIAEXPIRED000000001',
          secretAccessKey: 'expired-secret',
          sessionToken: 'expired-token',
          expiration: new Date(Date.now() - minute),
        },
      ],
    });
  });
  afterAll(() => emu.close());

  it('accepts the right token, signed or added after signing', async () => {
    expect((await send(emu, { credentials: temporary })).status).toBe(200);
    const { sessionToken, ...keys } = temporary;
    const after = await send(emu, {
      credentials: keys,
      unsignedHeaders: { 'x-amz-security-token': sessionToken },
    });
    expect(after.status).toBe(200);
  });

  it('redacts the token in the request log', async () => {
    await send(emu, { credentials: temporary });
    const logged = emu.requests.at(-1)!;
    expect(logged.headers['x-amz-security-token']).toBe('[redacted]');
    expect(JSON.stringify(emu.requests)).not.toContain(temporary.sessionToken);
  });

  it('answers a missing or wrong token with UnrecognizedClientException', async () => {
    const { sessionToken: _, ...keys } = temporary;
    const missing = await send(emu, { credentials: keys });
    expect(missing.json?.__type).toBe('UnrecognizedClientException');
    const wrong = await send(emu, { credentials: { ...temporary, sessionToken: 'other' } });
    expect(wrong.json).toEqual({
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('answers expired credentials with ExpiredTokenException', async () => {
    const response = await send(emu, {
      credentials: {
        accessKeyId: 'ASIAEXPIRED000000001',
        secretAccessKey: 'expired-secret',
        sessionToken: 'expired-token',
      },
    });
    expect(response.json?.__type).toBe('ExpiredTokenException');
  });
});

describe('the real KmsClient against the emulator', () => {
  let emu: KmsEmulator;
  beforeAll(async () => {
    emu = await startKmsEmulator({ transitionMs: 50 });
  });
  afterAll(() => emu.close());

  it('is accepted: disconnectCustomKeyStore works end to end', async () => {
    const client = new KmsClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: emulatorCredentials,
    });
    try {
      const result = await client.disconnectCustomKeyStore(defaultKeyStoreIds.cloudHsm);
      expect(result.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
      expect(result.$metadata.requestId).toBe(emu.requests.at(-1)?.requestId);
      expect(emu.requests.at(-1)).toMatchObject({
        operation: 'DisconnectCustomKeyStore',
        input: { CustomKeyStoreId: defaultKeyStoreIds.cloudHsm },
        status: 200,
      });
      expect(emu.keyStores.get(defaultKeyStoreIds.cloudHsm)?.connectionState).toBe('DISCONNECTING');
    } finally {
      await client.close();
    }
  });

  it('with a wrong secret gets a typed InvalidSignatureException and changes nothing', async () => {
    const client = new KmsClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: { ...emulatorCredentials, secretAccessKey: 'wrong-secret' },
    });
    try {
      const error = await client
        .disconnectCustomKeyStore(defaultKeyStoreIds.externalVpc)
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(KmsServiceException);
      expect((error as KmsServiceException).name).toBe('InvalidSignatureException');
      expect(emu.keyStores.get(defaultKeyStoreIds.externalVpc)?.connectionState).toBe('CONNECTED');
    } finally {
      await client.close();
    }
  });

  it('with the wrong region gets the region named in the error', async () => {
    const client = new KmsClient({
      endpoint: emu.url,
      region: 'eu-central-1',
      credentials: emulatorCredentials,
    });
    try {
      await expect(client.disconnectCustomKeyStore(defaultKeyStoreIds.externalVpc)).rejects.toThrow(
        "Credential should be scoped to a valid region, not 'eu-central-1'.",
      );
    } finally {
      await client.close();
    }
  });
});

function isoOf(amzDate: string): string {
  return `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`;
}
