/**
 * The request signer against @smithy/signature-v4 with @aws-crypto/sha256-js, called directly:
 * the headers (names, values and order) must be byte for byte what smithy produces, whichever
 * hash signs; and against the POST cases of the official SigV4 test suite.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import type { Credentials } from '../../src/credentials/credentials.js';
import { createRequestSigner, type RequestToSign } from '../../src/request/sign.js';
import { readSuiteFile, sigv4SuiteCases } from '../helpers/sigv4-suite.js';

async function smithySign(
  region: string,
  service: string,
  request: RequestToSign,
  credentials: Credentials,
  signingDate: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service,
    region,
    credentials,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: request.hostname,
      port: request.port,
      path: request.path ?? '/',
      query: {},
      headers: { ...request.headers },
      body: request.body,
    },
    { signingDate },
  );
  return signed.headers;
}

/** A small deterministic PRNG, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const headerNames = [
  'host',
  'Host',
  'content-type',
  'Content-Type',
  'x-amz-target',
  'X-Amz-Target',
  'x-amz-meta-Note',
  'User-Agent',
  'X-Amzn-Trace-Id',
  'proxy-authorization',
  'Sec-Fetch-Mode',
  'Authorization',
  'X-Amz-Date',
  'date',
  'Connection',
  'x-amz-content-sha256',
  'X-Amz-Content-Sha256',
  'X-Amz-Security-Token',
  'x-amz-security-token',
];
/** Endpoint paths as `URL.pathname` gives them (already percent-encoded). */
const paths = [
  undefined,
  '/',
  '/some/prefix',
  '/some/prefix/',
  '//double//slash/',
  "/a%20b/c(1)/d!*'",
  '/%C3%BC/x%2Fy',
  '/kms/~user/-_.',
];
const valueParts = ['a', 'B c', ' ', '  ', '\t', '\r\n', 'é', '日本', '=', ';', ','];
const bodies = [
  '',
  '{}',
  '{"CustomKeyStoreId":"cks-1234567890abcdef0"}',
  '{"CustomKeyStoreName":"ünïcødé 🔑 store"}',
  '{"Marker":"\\u0000\\n"}',
  'x'.repeat(5000),
];

describe('the request signer', () => {
  const base: RequestToSign = {
    hostname: 'kms.eu-west-1.amazonaws.com',
    headers: {
      host: 'kms.eu-west-1.amazonaws.com',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.DisconnectCustomKeyStore',
    },
    body: '{"CustomKeyStoreId":"cks-1234567890abcdef0"}',
  };
  const credentials: Credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  };
  const session: Credentials = { ...credentials, sessionToken: 'session/token+with=chars' };

  for (const hash of ['node', 'portable'] as const) {
    it(`signs a KMS request exactly as smithy does (${hash} hash), session token or not`, async () => {
      const signer = createRequestSigner('eu-west-1', { hash });
      const date = new Date('2026-11-28T10:20:30.456Z');
      for (const creds of [credentials, session]) {
        const ours = await signer.sign(base, creds, date);
        const theirs = await smithySign('eu-west-1', 'kms', base, creds, date);
        expect(ours).toEqual(theirs);
        // Same order too: it is the order on the wire.
        expect(Object.keys(ours)).toEqual(Object.keys(theirs));
      }
      const withToken = await signer.sign(base, session, date);
      expect(withToken['x-amz-security-token']).toBe(session.sessionToken);
      expect(withToken.authorization).toContain(
        'SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,',
      );
    });
  }

  it('matches smithy on 300 random requests: odd headers and whitespace, paths, bodies, dates, keys', async () => {
    const next = random(20261128);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const signers = {
      node: new Map<string, ReturnType<typeof createRequestSigner>>(),
      portable: new Map<string, ReturnType<typeof createRequestSigner>>(),
    };
    // Few credentials objects, signed with on many days: the per-day key cache must follow.
    const pool: Credentials[] = [
      credentials,
      session,
      { accessKeyId: 'AKID2', secretAccessKey: 'ü-secret' },
    ];
    for (let i = 0; i < 300; i++) {
      const region = pick(['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1']);
      const headers: Record<string, string> = {};
      const count = 1 + Math.floor(next() * 6);
      for (let h = 0; h < count; h++) {
        let value = '';
        const parts = Math.floor(next() * 5);
        for (let p = 0; p < parts; p++) value += pick(valueParts);
        headers[pick(headerNames)] = value;
      }
      const request: RequestToSign = {
        hostname: 'example.com',
        port: next() < 0.5 ? 8443 : undefined,
        path: pick(paths),
        headers,
        body: pick(bodies),
      };
      // Any time from 2001 to 2038, often close to midnight.
      const day = Math.floor(next() * 13_500) * 86_400_000 + 978_307_200_000;
      const date = new Date(
        day +
          (next() < 0.5
            ? 86_400_000 - 1 - Math.floor(next() * 2000)
            : Math.floor(next() * 86_400_000)),
      );
      const creds = pick(pool);
      const theirs = await smithySign(region, 'kms', request, creds, date);
      for (const hash of ['node', 'portable'] as const) {
        let signer = signers[hash].get(region);
        if (!signer) {
          signer = createRequestSigner(region, { hash });
          signers[hash].set(region, signer);
        }
        const ours = await signer.sign(request, creds, date);
        expect(ours, `case ${i} (${hash})`).toEqual(theirs);
        expect(Object.keys(ours), `case ${i} (${hash})`).toEqual(Object.keys(theirs));
      }
    }
  });

  it('signs with the day of each call: the cached signing key changes at midnight UTC', async () => {
    const signer = createRequestSigner('us-east-1');
    const before = new Date('2026-11-28T23:59:59.999Z');
    const after = new Date('2026-11-29T00:00:00.000Z');
    for (const date of [before, after, before]) {
      const ours = await signer.sign(base, credentials, date);
      expect(ours).toEqual(await smithySign('us-east-1', 'kms', base, credentials, date));
    }
  });

  it('refuses credentials without an access key ID or secret, as smithy does', async () => {
    const signer = createRequestSigner('us-east-1');
    const broken = { accessKeyId: 'AKID' } as unknown as Credentials;
    await expect(signer.sign(base, broken, new Date())).rejects.toThrow(
      'Resolved credential object is not valid',
    );
  });

  it('does not add the request ID or anything else: only date, token and authorization', async () => {
    const signed = await createRequestSigner('us-east-1').sign(base, session, new Date());
    expect(Object.keys(signed)).toEqual([
      'host',
      'content-type',
      'x-amz-target',
      'x-amz-date',
      'x-amz-security-token',
      'authorization',
    ]);
  });
});

// The official suite (vendored): every case that is a POST to `/` (the only request KMS gets).
describe('the SigV4 test suite', () => {
  const read = readSuiteFile;
  const suiteCases = sigv4SuiteCases();
  const postCases = suiteCases.filter((dir) => {
    const req = read(dir, '.req');
    const line = req.slice(0, req.indexOf('\n'));
    // POST /, no query; the token case signs the token (the "after" case adds it unsigned).
    return line === 'POST / HTTP/1.1' && !dir.name.includes('post-sts-header-after');
  });

  it('has the POST cases', () => {
    expect(postCases.length).toBeGreaterThanOrEqual(6);
  });

  for (const hash of ['node', 'portable'] as const) {
    it(`gives every POST case's Authorization header (${hash} hash)`, async () => {
      for (const dir of postCases) {
        const req = read(dir, '.req');
        const blank = req.indexOf('\n\n');
        const head = (blank < 0 ? req : req.slice(0, blank)).split('\n').slice(1);
        const body = blank < 0 ? '' : req.slice(blank + 2);
        const headers: Record<string, string> = {};
        for (const line of head) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon)] = line.slice(colon + 1);
        }
        const token = headers['X-Amz-Security-Token'];
        const signed = await createRequestSigner('us-east-1', { hash, service: 'service' }).sign(
          { hostname: 'example.amazonaws.com', headers, body },
          {
            accessKeyId: 'AKIDEXAMPLE',
            secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
            ...(token && { sessionToken: token }),
          },
          new Date('2015-08-30T12:36:00Z'),
        );
        expect(signed.authorization, dir.name).toBe(read(dir, '.authz'));
      }
    });
  }
});
