/**
 * The ciphertext data integrity value (CDIV) of an encrypt answer: the standard Base64 of
 * SHA-256 over `additionalAuthenticatedData || ciphertextMetadata || initializationVector ||
 * ciphertext || authenticationTag` (decoded bytes; absent fields are empty, no lengths), as in
 * Appendix C of the XKS Proxy API specification.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The fields the CDIV covers, as bytes. */
export interface CdivFields {
  /** The AAD of the encrypt request, if it had one. */
  additionalAuthenticatedData?: Uint8Array | undefined;
  /** The `ciphertextMetadata` of the answer, if it had one. */
  ciphertextMetadata?: Uint8Array | undefined;
  initializationVector: Uint8Array;
  ciphertext: Uint8Array;
  authenticationTag: Uint8Array;
}

/** Computes the CDIV (SHA_256), standard Base64. */
export function ciphertextDataIntegrityValue(fields: CdivFields): string {
  const hash = createHash('sha256');
  if (fields.additionalAuthenticatedData) hash.update(fields.additionalAuthenticatedData);
  if (fields.ciphertextMetadata) hash.update(fields.ciphertextMetadata);
  hash.update(fields.initializationVector);
  hash.update(fields.ciphertext);
  hash.update(fields.authenticationTag);
  return hash.digest('base64');
}

/** Whether `value` (Base64, as the proxy sent it) is the CDIV of `fields`. */
export function verifyCiphertextDataIntegrityValue(fields: CdivFields, value: string): boolean {
  const expected = Buffer.from(ciphertextDataIntegrityValue(fields), 'base64');
  const given = decodeBase64(value);
  return (
    given !== undefined && given.length === expected.length && timingSafeEqual(given, expected)
  );
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard Base64 (RFC 4648 section 4, padded), or undefined for anything else: the
 * URL-safe alphabet, missing padding, whitespace. Node's decoder would accept all of them.
 */
export function decodeBase64(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !base64Pattern.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

/** Standard Base64 of bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
