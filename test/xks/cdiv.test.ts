/**
 * The CDIV against Appendix C's worked example (86 bytes: 33 of AAD, 13 of metadata, 12 of IV,
 * 12 of ciphertext, 16 of tag), and standard Base64 only.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ciphertextDataIntegrityValue,
  decodeBase64,
  verifyCiphertextDataIntegrityValue,
} from '../../src/xks/index.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const example = {
  additionalAuthenticatedData: hex(`70 72 6f 6a 65 63 74 3d 6e 69 6c 65 2c 64 65 70
    61 72 74 6d 65 6e 74 3d 6d 61 72 6b 65 74 69 6e 67`),
  ciphertextMetadata: hex('6b 65 79 5f 76 65 72 73 69 6f 6e 3d 31'),
  initializationVector: hex('1c ca e5 47 0f 39 70 02 54 77 90 31'),
  ciphertext: hex('82 1c 64 2b 5b 71 78 33 67 de af 18'),
  authenticationTag: hex('bc 1c 4d da 77 07 d6 81 24 47 c5 95 5e 99 b2 61'),
};

describe('ciphertext data integrity value', () => {
  it('is the worked example of Appendix C', () => {
    const value = ciphertextDataIntegrityValue(example);
    expect(value).toBe('qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=');
    expect(Buffer.from(value, 'base64').toString('hex')).toBe(
      'a8703f2260bd8791ec2d15ea0b23e65a0631eedcf2a13a65cc82db3f47cf5ec7',
    );
    // The example's fields are the Base64 values of the Encrypt example.
    expect(example.ciphertext.toString('base64')).toBe('ghxkK1txeDNn3q8Y');
    expect(example.initializationVector.toString('base64')).toBe('HMrlRw85cAJUd5Ax');
    expect(example.authenticationTag.toString('base64')).toBe('vBxN2ncH1oEkR8WVXpmyYQ==');
  });

  it('verifies the example and refuses any change or a missing part', () => {
    const value = 'qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=';
    expect(verifyCiphertextDataIntegrityValue(example, value)).toBe(true);
    const flipped = Buffer.from(example.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(verifyCiphertextDataIntegrityValue({ ...example, ciphertext: flipped }, value)).toBe(
      false,
    );
    expect(
      verifyCiphertextDataIntegrityValue({ ...example, ciphertextMetadata: undefined }, value),
    ).toBe(false);
    expect(verifyCiphertextDataIntegrityValue(example, value.replace(/=$/, ''))).toBe(false);
  });

  it('absent fields count as empty: no AAD and no metadata hash IV || ciphertext || tag', () => {
    const expected = createHash('sha256')
      .update(
        Buffer.concat([
          example.initializationVector,
          example.ciphertext,
          example.authenticationTag,
        ]),
      )
      .digest('base64');
    expect(
      ciphertextDataIntegrityValue({
        initializationVector: example.initializationVector,
        ciphertext: example.ciphertext,
        authenticationTag: example.authenticationTag,
      }),
    ).toBe(expected);
  });

  it('decodes standard Base64 only (RFC 4648 section 4, padded)', () => {
    expect(decodeBase64('SGVsbG8gV29ybGQh')?.toString()).toBe('Hello World!');
    expect(decodeBase64('vBxN2ncH1oEkR8WVXpmyYQ==')).toHaveLength(16);
    for (const bad of ['vBxN2ncH1oEkR8WVXpmyYQ', 'a-_b', 'SGVs bG8=', 'SGVsbG8', 42, undefined]) {
      expect(decodeBase64(bad)).toBeUndefined();
    }
  });
});
