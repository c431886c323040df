/**
 * `kms-custom-key-store/xks`: a typed client for the XKS Proxy API (v1.0.3) — the four calls KMS
 * makes to an external key store proxy, signed and sent as KMS sends them — and
 * {@link checkXksProxy}, which tells a proxy operator whether KMS will connect.
 *
 * @example
 * ```ts
 * import { XksClient } from 'kms-custom-key-store/xks';
 *
 * const xks = new XksClient({
 *   uriEndpoint: 'https://xks.example.com',
 *   uriPath: '/example/kms/xks/v1',
 *   region: 'eu-west-1',
 *   credentials: { accessKeyId, rawSecretAccessKey },
 * });
 * const health = await xks.getHealthStatus();
 * await xks.close();
 * ```
 * @packageDocumentation
 */
export {
  type CdivFields,
  ciphertextDataIntegrityValue,
  decodeBase64,
  encodeBase64,
  verifyCiphertextDataIntegrityValue,
} from './cdiv.js';
export {
  checkXksProxy,
  type XksCheck,
  type XksCheckOptions,
  type XksCheckReport,
  type XksCheckStatus,
} from './check.js';
export {
  kmsXksTimeoutMs,
  type XksCallOptions,
  XksClient,
  type XksClientCertificate,
  type XksClientConfig,
  type XksProxyAuthenticationCredential,
  type XksRawRequest,
  type XksRawResponse,
  type XksResult,
  xksSigningService,
} from './client.js';
export {
  createXksProxyError,
  isXksErrorName,
  kmsConnectionErrorCode,
  kmsCreateUpdateException,
  XksAccessDeniedException,
  XksAuthenticationFailedException,
  XksDependencyTimeoutException,
  type XksErrorName,
  XksInternalException,
  XksInvalidCiphertextException,
  XksInvalidKeyUsageException,
  XksInvalidResponseError,
  type XksInvalidResponseReason,
  XksInvalidStateException,
  XksInvalidUriPathException,
  XksKeyNotFoundException,
  type XksNamedErrorOptions,
  XksNetworkError,
  type XksNetworkStage,
  type XksOperationName,
  XksProxyError,
  type XksProxyErrorOptions,
  XksThrottlingException,
  XksTimeoutError,
  XksUnsupportedOperationException,
  XksValidationException,
  xksErrorNames,
  xksErrorStatus,
} from './errors.js';
export {
  decrypt,
  type EkmHealthStatus,
  encrypt,
  externalKeyIdPattern,
  getHealthStatus,
  getKeyMetadata,
  type XksDecryptInput,
  type XksDecryptOutput,
  type XksEncryptInput,
  type XksEncryptOutput,
  type XksHealthStatus,
  type XksHealthStatusInput,
  type XksKeyMetadata,
  type XksKeyMetadataInput,
  type XksOperation,
  type XksOperationContext,
  type XksRequestMetadata,
  type XksRequestMetadataInput,
} from './operations.js';
