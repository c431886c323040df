/**
 * SigV4 signing with `@smithy/signature-v4`: one signer per client, which caches the signing key
 * for the day, and a signing date that includes the corrected clock offset.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from '../config/credentials.js';

/** Signs KMS requests for one region. */
export interface RequestSigner {
  /**
   * Returns the headers with `authorization`, `x-amz-date` and, for session credentials,
   * `x-amz-security-token` added.
   */
  sign(
    request: { hostname: string; port?: number; headers: Record<string, string>; body: string },
    credentials: Credentials,
    signingDate: Date,
  ): Promise<Record<string, string>>;
}

/** Creates the signer for a region (`kms` is the signing name). */
export function createRequestSigner(region: string): RequestSigner {
  const signers = new WeakMap<Credentials, SignatureV4>();
  return {
    async sign(request, credentials, signingDate) {
      // A signer per credentials object keeps smithy's per-day signing-key cache useful and
      // correct across credential refreshes.
      let signer = signers.get(credentials);
      if (!signer) {
        signer = new SignatureV4({
          service: 'kms',
          region,
          credentials,
          sha256: Sha256,
          uriEscapePath: true,
          applyChecksum: false,
        });
        signers.set(credentials, signer);
      }
      const signed = await signer.sign(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: request.hostname,
          port: request.port,
          path: '/',
          query: {},
          headers: request.headers,
          body: request.body,
        },
        { signingDate },
      );
      return signed.headers;
    },
  };
}
