/**
 * kms-custom-key-store: a typed client for the AWS KMS custom key store operations.
 * @packageDocumentation
 */
export {
  type ConnectCustomKeyStoreOutput,
  type CreateCustomKeyStoreOutput,
  type DeleteCustomKeyStoreOutput,
  type DescribeCustomKeyStoresOutput,
  type DisconnectCustomKeyStoreOutput,
  KmsClient,
  type ResolvedClientConfig,
  type UpdateCustomKeyStoreOutput,
} from './client.js';
export { fleetDefaults, waiterDefaults } from './config/defaults.js';
export { type EndpointParams, resolveEndpoint } from './config/endpoint.js';
export type { KmsClientConfig, Logger } from './config/options.js';
export type {
  CredentialProvider,
  CredentialSource,
  Credentials,
} from './credentials/credentials.js';
export {
  CloudHsmClusterInUseException,
  CloudHsmClusterInvalidConfigurationException,
  CloudHsmClusterNotActiveException,
  CloudHsmClusterNotFoundException,
  CloudHsmClusterNotRelatedException,
  type CredentialSourceFailure,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreNotFoundException,
  type Fault,
  IncorrectTrustAnchorException,
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
  LimitExceededException,
  type ModeledExceptionOptions,
  type ModeledServiceException,
  modeledErrorCodes,
  type ResponseMetadata,
  type ServiceExceptionOptions,
  type TimeoutPhase,
  type ValidationIssue,
  type WaiterFailureReason,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyInvalidConfigurationException,
  XksProxyInvalidResponseException,
  XksProxyUriEndpointInUseException,
  XksProxyUriInUseException,
  XksProxyUriUnreachableException,
  XksProxyVpcEndpointServiceInUseException,
  XksProxyVpcEndpointServiceInvalidConfigurationException,
  XksProxyVpcEndpointServiceNotFoundException,
} from './errors.js';
export type {
  FleetAction,
  FleetError,
  FleetFailure,
  FleetNearMatch,
  FleetOptions,
  FleetPlan,
  FleetProgress,
  FleetRecord,
  FleetTarget,
  FleetTargetAction,
} from './fleet.js';
export type {
  AcceptedRequest,
  MaintenanceAction,
  MaintenanceApi,
  MaintenanceOptions,
  MaintenancePlan,
  MaintenanceReport,
  MaintenanceStep,
} from './maintenance/maintain.js';
export { maintenanceReportOf } from './maintenance/report.js';
export { applyToFleet, maintainCustomKeyStore } from './on-demand/functions.js';
export {
  type ConnectionErrorCode,
  type ConnectionState,
  type CreateCloudHsmKeyStoreInput,
  type CreateCustomKeyStoreInput,
  type CreateCustomKeyStoreResult,
  type CreateExternalKeyStoreInput,
  type CustomKeyStoreEntry,
  type CustomKeyStoreIdInput,
  type CustomKeyStoreType,
  connectionStates,
  type DescribeCustomKeyStoresInput,
  type DescribeCustomKeyStoresPage,
  type EmptyOutput,
  type KnownConnectionState,
  type UpdatableProperty,
  type UpdateCustomKeyStoreInput,
  type WireFieldName,
  type XksProxyAuthenticationCredential,
  type XksProxyConfiguration,
  type XksProxyConnectivityType,
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
