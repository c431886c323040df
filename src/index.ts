/**
 * kms-custom-key-store: a typed client for the AWS KMS custom key store operations.
 * @packageDocumentation
 */
export {
  type ConnectCustomKeyStoreOutput,
  type DescribeCustomKeyStoresOutput,
  type DisconnectCustomKeyStoreOutput,
  KmsClient,
  type ResolvedClientConfig,
} from './client.js';
export { waiterDefaults } from './config/defaults.js';
export { type EndpointParams, resolveEndpoint } from './config/endpoint.js';
export type { KmsClientConfig, Logger } from './config/options.js';
export type {
  CredentialProvider,
  CredentialSource,
  Credentials,
} from './credentials/credentials.js';
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
  type KmsConfigErrorCode,
  type KmsConfigErrorOptions,
  KmsError,
  KmsNetworkError,
  KmsResponseError,
  KmsServiceException,
  KmsTimeoutError,
  KmsValidationError,
  KmsWaiterError,
  type KnownKmsError,
  type ModeledExceptionOptions,
  type ModeledServiceException,
  type ResponseMetadata,
  type ServiceExceptionOptions,
  type TimeoutPhase,
  type ValidationIssue,
  type WaiterFailureReason,
} from './errors.js';
export {
  applyToFleet,
  type FleetAction,
  type FleetError,
  type FleetFailure,
  type FleetNearMatch,
  type FleetOptions,
  type FleetPlan,
  type FleetProgress,
  type FleetRecord,
  type FleetTarget,
  type FleetTargetAction,
  fleetDefaults,
} from './fleet.js';
export {
  type ConnectionErrorCode,
  type ConnectionState,
  type CustomKeyStoreEntry,
  type CustomKeyStoreIdInput,
  type CustomKeyStoreType,
  connectionStates,
  type DescribeCustomKeyStoresInput,
  type DescribeCustomKeyStoresPage,
  type EmptyOutput,
  type KnownConnectionState,
  type WireFieldName,
  type XksProxyConfiguration,
} from './operations/operations.js';
export type { CallOptions, WithMetadata } from './request/send.js';
export {
  attemptChannelName,
  callChannelName,
  type KmsAttemptTraceMessage,
  type KmsCallTraceContext,
} from './request/trace.js';
export { VERSION } from './version.js';
export { ensureConnected, ensureDisconnected } from './waiter/ensure.js';
export type {
  CustomKeyStoreApi,
  EnsureAction,
  EnsureConnectedOptions,
  EnsureDisconnectedOptions,
  EnsureStateResult,
  WaiterPoll,
  WaitOptions,
} from './waiter/types.js';
export { waitForConnectionState } from './waiter/wait.js';
