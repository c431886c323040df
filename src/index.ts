/**
 * kms-custom-key-store: a typed client for the AWS KMS custom key store operations.
 * @packageDocumentation
 */
export {
  type ConnectCustomKeyStoreOutput,
  type DisconnectCustomKeyStoreOutput,
  KmsClient,
  type ResolvedClientConfig,
} from './client.js';
export type { CredentialProvider, Credentials } from './config/credentials.js';
export type { KmsClientConfig, Logger } from './config/resolve.js';
export { type EndpointParams, resolveEndpoint } from './endpoint.js';
export {
  CloudHsmClusterInvalidConfigurationException,
  CloudHsmClusterNotActiveException,
  type CredentialSourceFailure,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  type Fault,
  InvalidMarkerException,
  KMSInternalException,
  KmsConfigError,
  KmsError,
  KmsNetworkError,
  KmsResponseError,
  KmsServiceException,
  KmsTimeoutError,
  KmsValidationError,
  type ModeledExceptionOptions,
  type ResponseMetadata,
  type ServiceExceptionOptions,
  type TimeoutPhase,
  type ValidationIssue,
} from './errors.js';
export type { CustomKeyStoreIdInput, EmptyOutput } from './operations.js';
export type { CallOptions, WithMetadata } from './request/send.js';
export { VERSION } from './version.js';
