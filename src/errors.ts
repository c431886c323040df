/**
 * Every error this library throws. Each class says when it is thrown and what it carries.
 * All of them are `instanceof KmsError`; an aborted call rejects with the signal's reason instead.
 */
/** What is known about the HTTP exchange(s) behind a result or an error. */
export interface ResponseMetadata {
  /** HTTP status of the last response, when one was received. */
  httpStatusCode?: number;
  /** `x-amzn-requestid` of the last response, when one was received. */
  requestId?: string;
  /** How many HTTP attempts were made (1 when the first one settled the call). */
  attempts: number;
  /** Milliseconds spent waiting between attempts (backoff), summed. */
  totalRetryDelay: number;
}

/**
 * Where a branded instance lists the brands of its class and its ancestors. `Symbol.for`, so the
 * ESM and the CommonJS build (or two copies of the package) see the same key.
 */
const brandsKey = Symbol.for('kms-custom-key-store.errorBrands');
/** Where a class keeps its own brand (a stable name, safe from minifiers). */
const brandKey = Symbol.for('kms-custom-key-store.errorBrand');

/** The brands of a class and its ancestors, most derived first. */
function brandsOf(errorClass: unknown): readonly string[] {
  const brands: string[] = [];
  for (let current = errorClass; typeof current === 'function'; ) {
    const brand: unknown = Object.getOwnPropertyDescriptor(current, brandKey)?.value;
    if (typeof brand === 'string') brands.push(brand);
    current = Object.getPrototypeOf(current);
  }
  return brands;
}

/**
 * Base class of every error the library throws.
 *
 * `instanceof` works across the ESM and the CommonJS build, and across two copies of the package:
 * an error from one is an instance of the same class of the other (each class carries a brand
 * under a `Symbol.for` key, checked by `Symbol.hasInstance`, as smithy's `ServiceException` does).
 */
export class KmsError extends Error {
  /**
   * What is known about the exchange; attempts is 0 when the call failed before
   * any request was sent (bad input, missing configuration).
   */
  $metadata: ResponseMetadata;

  /** @param message - human readable, never contains secrets. */
  constructor(message: string, options?: { cause?: unknown; $metadata?: ResponseMetadata }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.$metadata = options?.$metadata ?? { attempts: 0, totalRetryDelay: 0 };
    // Not enumerable: JSON.stringify and util.inspect leave it out.
    Object.defineProperty(this, brandsKey, { value: brandsOf(new.target) });
  }
}

/** Who KMS blames for an error: the caller (4xx) or the service (5xx). */
export type Fault = 'client' | 'server';

/** Options of {@link KmsServiceException} and its subclasses. */
export interface ServiceExceptionOptions {
  /** The KMS error code, e.g. `CustomKeyStoreNotFoundException`. */
  name: string;
  /** The message KMS sent, or a description of the response when it sent none. */
  message: string;
  /** `client` for 4xx, `server` for 5xx. */
  $fault: Fault;
  /** Metadata of the response. */
  $metadata: ResponseMetadata;
  /** Set when the error is one that the retry policy retries. */
  $retryable?: { throttling: boolean };
  /** The start of the body when it was not a KMS JSON error (an HTML page from a proxy, say). */
  bodyExcerpt?: string;
}

/**
 * Thrown when KMS (or something in front of it) answered with an error status.
 * `name` is the KMS error code; codes without a class of their own (AccessDeniedException,
 * ThrottlingException, …) are thrown as this class with that `name`.
 */
export class KmsServiceException extends KmsError {
  /** `client` for 4xx, `server` for 5xx. */
  readonly $fault: Fault;
  /** Set when the retry policy treats this error as retryable (`throttling` for throttling codes). */
  readonly $retryable: { throttling: boolean } | undefined;
  /** Start of a non-JSON body (at most 200 characters), to tell a proxy page from KMS. */
  readonly bodyExcerpt: string | undefined;

  /** @param options - see {@link ServiceExceptionOptions}. */
  constructor(options: ServiceExceptionOptions) {
    super(options.message, { $metadata: options.$metadata });
    this.name = options.name;
    this.$fault = options.$fault;
    this.$retryable = options.$retryable;
    this.bodyExcerpt = options.bodyExcerpt;
  }
}

/** Options of a modeled exception: its name is fixed by its class. */
export type ModeledExceptionOptions = Omit<ServiceExceptionOptions, 'name'>;

/**
 * The custom key store is in a state that does not allow the operation: disconnecting a store that
 * is DISCONNECTED or DISCONNECTING, connecting one that is DISCONNECTING or FAILED, updating a
 * property that needs DISCONNECTED (an XKS endpoint or connectivity, a CloudHSM password or
 * cluster) of a store that is not, or deleting a store that is not DISCONNECTED.
 */
export class CustomKeyStoreInvalidStateException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CustomKeyStoreInvalidStateException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CustomKeyStoreInvalidStateException' });
  }
}

/** No custom key store with that ID (or name) exists in this account and region. */
export class CustomKeyStoreNotFoundException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CustomKeyStoreNotFoundException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CustomKeyStoreNotFoundException' });
  }
}

/** KMS failed internally (HTTP 500). Retried by the client; thrown when attempts run out. */
export class KMSInternalException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'KMSInternalException';

  /** @param options - as sent by KMS; `$fault` is always `server`. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, $fault: 'server', name: 'KMSInternalException' });
  }
}

/** ConnectCustomKeyStore: the CloudHSM cluster of the store is not active. */
export class CloudHsmClusterNotActiveException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CloudHsmClusterNotActiveException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CloudHsmClusterNotActiveException' });
  }
}

/** ConnectCustomKeyStore: the CloudHSM cluster does not meet KMS's configuration requirements. */
export class CloudHsmClusterInvalidConfigurationException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CloudHsmClusterInvalidConfigurationException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CloudHsmClusterInvalidConfigurationException' });
  }
}

/** DescribeCustomKeyStores: the `marker` is not one KMS handed out. */
export class InvalidMarkerException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'InvalidMarkerException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'InvalidMarkerException' });
  }
}

/** CreateCustomKeyStore: the CloudHSM cluster is already associated with another custom key store (a cluster serves one store only). */
export class CloudHsmClusterInUseException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CloudHsmClusterInUseException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CloudHsmClusterInUseException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: no CloudHSM cluster with that ID in this account and region. */
export class CloudHsmClusterNotFoundException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CloudHsmClusterNotFoundException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CloudHsmClusterNotFoundException' });
  }
}

/** UpdateCustomKeyStore: the new CloudHSM cluster is not related to the store's cluster (it does not share its backup history). */
export class CloudHsmClusterNotRelatedException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CloudHsmClusterNotRelatedException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CloudHsmClusterNotRelatedException' });
  }
}

/** CreateCustomKeyStore: the trust anchor certificate is not the one of the CloudHSM cluster. */
export class IncorrectTrustAnchorException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'IncorrectTrustAnchorException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'IncorrectTrustAnchorException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: another custom key store in this account and region has that name. */
export class CustomKeyStoreNameInUseException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CustomKeyStoreNameInUseException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CustomKeyStoreNameInUseException' });
  }
}

/** DeleteCustomKeyStore: the store still holds KMS keys; schedule them for deletion and wait until they are deleted first. */
export class CustomKeyStoreHasCMKsException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'CustomKeyStoreHasCMKsException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'CustomKeyStoreHasCMKsException' });
  }
}

/** CreateCustomKeyStore: a quota was exceeded, e.g. the number of custom key stores per account and region. */
export class LimitExceededException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'LimitExceededException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'LimitExceededException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: another external key store in this region uses the same proxy URI endpoint and path. */
export class XksProxyUriInUseException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyUriInUseException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyUriInUseException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: another external key store with VPC endpoint service connectivity uses the same proxy URI endpoint. */
export class XksProxyUriEndpointInUseException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyUriEndpointInUseException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyUriEndpointInUseException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: KMS could not reach the XKS proxy (no answer to GetHealthStatus). */
export class XksProxyUriUnreachableException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyUriUnreachableException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyUriUnreachableException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: the XKS proxy refused the proxy authentication credential. */
export class XksProxyIncorrectAuthenticationCredentialException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyIncorrectAuthenticationCredentialException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyIncorrectAuthenticationCredentialException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: another external key store in this region uses that VPC endpoint service. */
export class XksProxyVpcEndpointServiceInUseException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyVpcEndpointServiceInUseException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyVpcEndpointServiceInUseException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: KMS could not find the VPC endpoint service. */
export class XksProxyVpcEndpointServiceNotFoundException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyVpcEndpointServiceNotFoundException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyVpcEndpointServiceNotFoundException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: the VPC endpoint service does not meet KMS's requirements (private DNS, allowed principal, acceptance, load balancer). */
export class XksProxyVpcEndpointServiceInvalidConfigurationException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyVpcEndpointServiceInvalidConfigurationException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyVpcEndpointServiceInvalidConfigurationException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: KMS could not interpret the XKS proxy's answer. */
export class XksProxyInvalidResponseException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyInvalidResponseException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyInvalidResponseException' });
  }
}

/** CreateCustomKeyStore / UpdateCustomKeyStore: the XKS proxy configuration is not valid (e.g. the path or the TLS setup). */
export class XksProxyInvalidConfigurationException extends KmsServiceException {
  /** The KMS error code, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'XksProxyInvalidConfigurationException';

  /** @param options - as sent by KMS. */
  constructor(options: ModeledExceptionOptions) {
    super({ ...options, name: 'XksProxyInvalidConfigurationException' });
  }
}

type ModeledExceptionClass = new (options: ModeledExceptionOptions) => KmsServiceException;

/** Error codes with a class of their own. */
const modeledExceptions: Readonly<Record<string, ModeledExceptionClass>> = {
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KMSInternalException,
  CloudHsmClusterNotActiveException,
  CloudHsmClusterInvalidConfigurationException,
  InvalidMarkerException,
  CloudHsmClusterInUseException,
  CloudHsmClusterNotFoundException,
  CloudHsmClusterNotRelatedException,
  IncorrectTrustAnchorException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreHasCMKsException,
  LimitExceededException,
  XksProxyUriInUseException,
  XksProxyUriEndpointInUseException,
  XksProxyUriUnreachableException,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyVpcEndpointServiceInUseException,
  XksProxyVpcEndpointServiceNotFoundException,
  XksProxyVpcEndpointServiceInvalidConfigurationException,
  XksProxyInvalidResponseException,
  XksProxyInvalidConfigurationException,
};

/**
 * Every KMS error code with a class of its own: the errors the KMS model lists for the six custom
 * key store operations (test/lifecycle/model.test.ts checks the list against the model).
 */
export const modeledErrorCodes: readonly string[] = Object.freeze(Object.keys(modeledExceptions));

/**
 * Every exception with a class of its own. Each has a literal `name`, so `switch (error.name)`
 * narrows a value of this type to one class (the AWS SDK's exceptions work the same way).
 */
export type ModeledServiceException =
  | CustomKeyStoreInvalidStateException
  | CustomKeyStoreNotFoundException
  | KMSInternalException
  | CloudHsmClusterNotActiveException
  | CloudHsmClusterInvalidConfigurationException
  | InvalidMarkerException
  | CloudHsmClusterInUseException
  | CloudHsmClusterNotFoundException
  | CloudHsmClusterNotRelatedException
  | CustomKeyStoreHasCMKsException
  | CustomKeyStoreNameInUseException
  | IncorrectTrustAnchorException
  | LimitExceededException
  | XksProxyIncorrectAuthenticationCredentialException
  | XksProxyInvalidConfigurationException
  | XksProxyInvalidResponseException
  | XksProxyUriEndpointInUseException
  | XksProxyUriInUseException
  | XksProxyUriUnreachableException
  | XksProxyVpcEndpointServiceInUseException
  | XksProxyVpcEndpointServiceInvalidConfigurationException
  | XksProxyVpcEndpointServiceNotFoundException;

/** Builds the exception for an error code: its own class when it has one, else the base class. */
export function createServiceException(options: ServiceExceptionOptions): KmsServiceException {
  const ModeledClass = Object.hasOwn(modeledExceptions, options.name)
    ? modeledExceptions[options.name]
    : undefined;
  return ModeledClass ? new ModeledClass(options) : new KmsServiceException(options);
}

/**
 * A problem with one input field. The library's own type, not zod's: a zod release cannot change it.
 */
export interface ValidationIssue {
  /** Where in the input: property names and array indexes (`['customKeyStoreId']`); empty for the input itself. */
  readonly path: readonly (string | number)[];
  /** What is wrong, in English unless zod is configured otherwise (`z.config()`). */
  readonly message: string;
  /**
   * The kind of problem: `invalid_type`, `too_small`, `too_big`, `invalid_format`,
   * `invalid_value`, `unrecognized_keys` or `custom` (an unreadable input, a rule across fields).
   */
  readonly code: string;
}

/**
 * Thrown before any request is sent when the input of a call is not valid
 * (a missing, empty or over-long ID, an unknown field, a bad limit, …), or cannot be read
 * (a getter or a `Proxy` trap that throws; its error is the `cause`).
 */
export class KmsValidationError extends KmsError {
  /** Always `KmsValidationError`, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'KmsValidationError';

  /** Each problem found, with its path in the input. */
  readonly issues: readonly ValidationIssue[];

  /**
   * @param operation - the operation whose input was rejected.
   * @param issues - the problems found.
   * @param options - the cause, when reading the input threw (a getter, a `Proxy` trap).
   */
  constructor(
    operation: string,
    issues: readonly ValidationIssue[],
    options?: { cause?: unknown },
  ) {
    const summary = issues
      .map((issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`)
      .join('; ');
    super(
      `Invalid input for ${operation}: ${summary}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'KmsValidationError';
    this.issues = issues;
  }
}

/** One credential source that was tried and why it gave nothing. */
export interface CredentialSourceFailure {
  /** The source: `env`, `profile:<name>`, `process`, `container`, `imds`, `provider`, … */
  source: string;
  /** Why it failed, without secrets. */
  reason: string;
}

/**
 * What a {@link KmsConfigError} is about, for programs that explain it in their own terms (the
 * CLI names its flags): `NoRegion`, `InvalidRegion`, `InsecureEndpoint` (plain http to a host that
 * is not loopback), `InvalidEndpoint`, `ProfileNotFound`, `NoCredentials` (every source tried
 * gave nothing), `CredentialsFailed` (a source failed), `SignerUnavailable` (the portable signer's
 * packages cannot be loaded where the app runs, e.g. from an app bundle).
 */
export type KmsConfigErrorCode =
  | 'NoRegion'
  | 'InvalidRegion'
  | 'InsecureEndpoint'
  | 'InvalidEndpoint'
  | 'ProfileNotFound'
  | 'NoCredentials'
  | 'CredentialsFailed'
  | 'SignerUnavailable';

/** Options of {@link KmsConfigError}. */
export interface KmsConfigErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** For the credential chain: each source's failure. */
  sources?: readonly CredentialSourceFailure[];
  /** What it is about. */
  code?: KmsConfigErrorCode;
  /** Where the value at fault came from: `config.region`, `AWS_REGION`, `config.profile`, … */
  setting?: string;
  /** The value at fault when it is not secret: a region, an endpoint origin, a profile name. */
  value?: string;
}

/**
 * Thrown when the client cannot be configured: no region, no credentials, an unsafe endpoint or
 * region, a broken profile, a credential source that failed. Thrown before any request to KMS.
 * `code`, `setting` and `value` say the same as the message, for programs.
 */
export class KmsConfigError extends KmsError {
  /** Always `KmsConfigError`, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'KmsConfigError';

  /** For credential failures: every source tried, in order, and why each gave nothing. */
  readonly sources: readonly CredentialSourceFailure[];
  /** What it is about, when it is one of the {@link KmsConfigErrorCode} cases. */
  readonly code: KmsConfigErrorCode | undefined;
  /** Where the value at fault came from (`config.region`, `AWS_REGION`, `config.profile`, …), when known. */
  readonly setting: string | undefined;
  /** The value at fault (a region, an endpoint origin, a profile name), when known; never a secret. */
  readonly value: string | undefined;

  /**
   * @param message - what is wrong and how to fix it.
   * @param options - the cause, each credential source's failure, and the code, setting and value.
   */
  constructor(message: string, options?: KmsConfigErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KmsConfigError';
    this.sources = options?.sources ?? [];
    this.code = options?.code;
    this.setting = options?.setting;
    this.value = options?.value;
  }
}

/** Which limit a {@link KmsTimeoutError} hit. */
export type TimeoutPhase = 'connect' | 'request' | 'call';

/**
 * Thrown when the last attempt of a call timed out: the connection was not established within
 * `connectTimeoutMs`, or the attempt did not complete within `requestTimeoutMs`; or when the
 * whole call passed its `timeoutMs` deadline (phase `call`, never retried).
 * Its `name` is `TimeoutError`.
 */
export class KmsTimeoutError extends KmsError {
  /** Always `TimeoutError`, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'TimeoutError';

  /** `connect` or `request`. */
  readonly phase: TimeoutPhase;
  /** The limit that was hit, in milliseconds. */
  readonly timeoutMs: number;

  /** @param options - the phase, the limit and the metadata of the call. */
  constructor(options: {
    phase: TimeoutPhase;
    timeoutMs: number;
    $metadata?: ResponseMetadata;
    cause?: unknown;
  }) {
    super(
      options.phase === 'connect'
        ? `Could not connect within ${options.timeoutMs} ms`
        : options.phase === 'request'
          ? `Request attempt did not complete within ${options.timeoutMs} ms`
          : `Call did not complete within its ${options.timeoutMs} ms deadline`,
      { cause: options.cause, $metadata: options.$metadata },
    );
    this.name = 'TimeoutError';
    this.phase = options.phase;
    this.timeoutMs = options.timeoutMs;
  }
}

/**
 * Thrown when the request could not be sent or its response not read (connection refused or
 * reset, DNS failure, socket closed mid-body, TLS failure) and no attempt is left.
 */
export class KmsNetworkError extends KmsError {
  /** Always `KmsNetworkError`, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'KmsNetworkError';

  /** The system error code (`ECONNRESET`, `ECONNREFUSED`, `UND_ERR_SOCKET`, …), when there is one. */
  readonly code: string | undefined;

  /** @param options - the message, the code and the underlying error. */
  constructor(options: {
    message: string;
    code?: string;
    cause?: unknown;
    $metadata?: ResponseMetadata;
  }) {
    super(options.message, { cause: options.cause, $metadata: options.$metadata });
    this.name = 'KmsNetworkError';
    this.code = options.code;
  }
}

/**
 * Thrown when a successful (2xx) response cannot be used: its body is not JSON, does not have the
 * shape the operation promises, or is larger than the 1 MiB limit.
 */
export class KmsResponseError extends KmsError {
  /** Always `KmsResponseError`, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'KmsResponseError';

  /** Start of the body (at most 200 characters), for diagnosis. */
  readonly bodyExcerpt: string | undefined;

  /** @param options - what is wrong and the metadata of the response. */
  constructor(options: {
    message: string;
    bodyExcerpt?: string;
    cause?: unknown;
    $metadata?: ResponseMetadata;
  }) {
    super(options.message, { cause: options.cause, $metadata: options.$metadata });
    this.name = 'KmsResponseError';
    this.bodyExcerpt = options.bodyExcerpt;
  }
}

/** Why a {@link KmsWaiterError} was thrown. */
export type WaiterFailureReason = 'timeout' | 'failed';

/**
 * Thrown by `waitForConnectionState`, `ensureDisconnected` and `ensureConnected` when the store
 * does not reach the state asked for:
 * - `reason: 'timeout'`: the deadline (`timeoutMs`) passed first; `lastState` is the last state
 *   seen (undefined when no Describe completed).
 * - `reason: 'failed'`: the store is (or landed in) FAILED while something else was expected, or
 *   `ensureConnected` found it FAILED without `resetFailed`; `connectionErrorCode` says why.
 *
 * Errors of the Describe, Connect and Disconnect calls themselves (not found, access denied, …)
 * are thrown as they are, and an abort rejects with the signal's reason. When KMS had accepted a
 * Disconnect or Connect of the call before the wait failed, `acceptedRequestId` names it.
 */
export class KmsWaiterError extends KmsError {
  /** Always `KmsWaiterError`, as a literal type: `switch (error.name)` narrows to this class. */
  declare readonly name: 'KmsWaiterError';

  /** The store waited on. */
  readonly customKeyStoreId: string;
  /** `timeout` or `failed`. */
  readonly reason: WaiterFailureReason;
  /** The state(s) that would have ended the wait successfully. */
  readonly expectedStates: readonly string[];
  /** The last connection state seen, if any Describe completed. */
  readonly lastState: string | undefined;
  /** The store's `ConnectionErrorCode` when it was FAILED (e.g. `XKS_PROXY_NOT_REACHABLE`). */
  readonly connectionErrorCode: string | undefined;
  /** Milliseconds from the start of the wait to this error. */
  readonly elapsedMs: number;
  /** How many Describe calls completed. */
  readonly polls: number;
  /**
   * The `x-amzn-requestid` of the Disconnect or Connect that KMS accepted in this call before the
   * wait failed (`ensureDisconnected`, `ensureConnected`, the maintenance run): that request
   * stands, whatever became of the wait. Undefined when the call had no request accepted (a plain
   * `waitForConnectionState`, a Disconnect refused as already done, a FAILED store refused).
   */
  readonly acceptedRequestId: string | undefined;
  /** The operation of {@link KmsWaiterError.acceptedRequestId}: the last one KMS accepted in the call. */
  readonly acceptedOperation: 'DisconnectCustomKeyStore' | 'ConnectCustomKeyStore' | undefined;

  /** @param options - what was waited for, what was seen, the accepted request, and a message. */
  constructor(options: {
    message: string;
    customKeyStoreId: string;
    reason: WaiterFailureReason;
    expectedStates: readonly string[];
    lastState?: string;
    connectionErrorCode?: string;
    elapsedMs: number;
    polls: number;
    cause?: unknown;
    acceptedRequestId?: string;
    acceptedOperation?: 'DisconnectCustomKeyStore' | 'ConnectCustomKeyStore';
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KmsWaiterError';
    this.customKeyStoreId = options.customKeyStoreId;
    this.reason = options.reason;
    this.expectedStates = [...options.expectedStates];
    this.lastState = options.lastState;
    this.connectionErrorCode = options.connectionErrorCode;
    this.elapsedMs = options.elapsedMs;
    this.polls = options.polls;
    this.acceptedRequestId = options.acceptedRequestId;
    this.acceptedOperation =
      options.acceptedRequestId === undefined ? undefined : options.acceptedOperation;
  }
}

/**
 * `instanceof` for every class: its own prototype chain first, else a brand of the class among
 * the instance's brands (an error from the other build). Subclasses inherit it.
 */
Object.defineProperty(KmsError, Symbol.hasInstance, {
  value: function hasInstance(this: unknown, value: unknown): boolean {
    if (typeof this !== 'function') return false;
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || !Object.hasOwn(this, brandKey)) return false;
    const brands = (value as { [brandsKey]?: unknown })[brandsKey];
    return Array.isArray(brands) && brands.includes((this as { [brandKey]?: unknown })[brandKey]);
  },
});

/** Gives each class its brand (see {@link KmsError}). */
for (const [brand, errorClass] of Object.entries({
  KmsError,
  KmsServiceException,
  ...modeledExceptions,
  KmsValidationError,
  KmsConfigError,
  KmsTimeoutError,
  KmsNetworkError,
  KmsResponseError,
  KmsWaiterError,
})) {
  Object.defineProperty(errorClass, brandKey, { value: brand });
}

/**
 * Every error class of the library with a literal `name`: the modeled KMS exceptions and the
 * library's own errors (not the base {@link KmsServiceException}, whose `name` is any KMS error
 * code). `switch (error.name)` narrows a value of this type to one class:
 *
 * @example
 * ```ts
 * function explain(error: KnownKmsError): string {
 *   switch (error.name) {
 *     case 'CustomKeyStoreNotFoundException': return 'no such store';
 *     case 'KmsWaiterError': return `waiter ${error.reason}`;  // error is a KmsWaiterError here
 *     default: return error.message;
 *   }
 * }
 * ```
 */
export type KnownKmsError =
  | ModeledServiceException
  | KmsValidationError
  | KmsConfigError
  | KmsTimeoutError
  | KmsNetworkError
  | KmsResponseError
  | KmsWaiterError;
