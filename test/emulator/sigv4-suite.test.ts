/**
 * The official AWS SigV4 test suite (31 cases) against the emulator's independent verifier: each
 * step (canonical request, string to sign, Authorization header) and the whole verification of
 * the signed request (`.sreq`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  canonicalRequest,
  computeSignature,
  credentialScope,
  deriveSigningKey,
  type HeaderPairs,
  SigV4Verifier,
  sha256Hex,
  stringToSign,
} from '../../src/emulator/sigv4.js';
import { sigv4SuiteCases } from '../helpers/sigv4-suite.js';

const accessKeyId = 'AKIDEXAMPLE';
const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const amzDate = '20150830T123600Z';
const scope = credentialScope('20150830', 'us-east-1', 'service');
const suiteNow = Date.UTC(2015, 7, 30, 12, 36, 0);

interface SuiteRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: string;
}

/**
 * Parses a `.req`/`.sreq` file: the target is everything between the first and the last space
 * of line 1; a line starting with whitespace continues the previous header (as another value);
 * a blank line starts the body.
 */
function parseRequest(text: string): SuiteRequest {
  const lines = text.split('\n');
  const first = lines[0]!;
  const method = first.slice(0, first.indexOf(' '));
  const target = first.slice(first.indexOf(' ') + 1, first.lastIndexOf(' '));
  const headers: [string, string][] = [];
  let index = 1;
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    if (line === '') break;
    if (/^\s/.test(line)) {
      headers.push([headers.at(-1)![0], line.trim()]);
      continue;
    }
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  const body = index < lines.length ? lines.slice(index + 1).join('\n') : '';
  return { method, target, headers, body };
}

function signedHeaderNames(headers: HeaderPairs): string[] {
  return [...new Set(headers.map(([name]) => name.toLowerCase()))].sort();
}

const read = (path: string) => readFileSync(path, 'utf8');
const cases = sigv4SuiteCases();

describe('official SigV4 test suite', () => {
  it('has all 31 cases, nested directories included', () => {
    expect(cases).toHaveLength(31);
    expect(cases.map((entry) => entry.name)).toContain('normalize-path/get-slash-dot-slash');
    expect(cases.map((entry) => entry.name)).toContain('post-sts-token/post-sts-header-after');
  });

  describe.each(cases)('$name', ({ base }) => {
    const request = parseRequest(read(`${base}.req`));
    const signedHeaders = signedHeaderNames(request.headers);
    const canonical = canonicalRequest({
      method: request.method,
      target: request.target,
      headers: request.headers,
      signedHeaders,
      payloadHash: sha256Hex(request.body),
    });
    const toSign = stringToSign(amzDate, scope, canonical);

    it('builds the canonical request (.creq)', () => {
      expect(canonical).toBe(read(`${base}.creq`));
    });

    it('builds the string to sign (.sts)', () => {
      expect(toSign).toBe(read(`${base}.sts`));
    });

    it('computes the Authorization header (.authz)', () => {
      const key = deriveSigningKey(secretAccessKey, '20150830', 'us-east-1', 'service');
      const header = authorizationHeader(
        accessKeyId,
        scope,
        signedHeaders,
        computeSignature(key, toSign),
      );
      expect(header).toBe(read(`${base}.authz`));
    });

    it('accepts the signed request (.sreq) and rejects it with another secret', () => {
      const signed = parseRequest(read(`${base}.sreq`));
      const token = signed.headers.find(([name]) => name.toLowerCase() === 'x-amz-security-token');
      const verifier = (secret: string) =>
        new SigV4Verifier({
          region: 'us-east-1',
          service: 'service',
          credentials: [{ accessKeyId, secretAccessKey: secret, sessionToken: token?.[1] }],
        });
      const ok = verifier(secretAccessKey).verify(signed, suiteNow);
      expect(ok).toEqual({ accessKeyId, region: 'us-east-1', requestDate: new Date(suiteNow) });
      const wrong = verifier(`${secretAccessKey}x`).verify(signed, suiteNow);
      expect(wrong).toMatchObject({ type: 'InvalidSignatureException' });
    });
  });
});
