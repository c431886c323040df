/**
 * The errors of the XKS proxy client. An XKS proxy answers an error with an HTTP status and a JSON
 * body `{ errorName, errorMessage? }`; each `errorName` of the specification has its class here,
 * carrying the status and the message. Failures to reach the proxy or read its answer have their
 * own classes, and {@link kmsConnectionErrorCode} says what KMS would make of any of them.
 *
 * All are `instanceof KmsError` (the library's base class), across the ESM and CommonJS builds.
 */
import { KmsError } from '../errors.js';

/** The `errorName` values of the XKS Proxy API specification (v1.0.3), with their HTTP status. */
export const xksErrorStatus = {
  ValidationException: 400,
  InvalidStateException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  AuthenticationFailedException: 401,
  AccessDeniedException: 403,
  KeyNotFoundException: 404,
  InvalidUriPathException: 404,
  ThrottlingException: 429,
  UnsupportedOperationException: 501,
  DependencyTimeoutException: 503,
  InternalException: 500,
} as const;

/** An `errorName` of the specification. */
export type XksErrorName = keyof typeof xksErrorStatus;

/** The specification's `errorName` values, in its table's order. */
export const xksErrorNames = Object.keys(xksErrorStatus) as XksErrorName[];

/** Whether `name` is one of the specification's `errorName` values (exactly, case included). */
export function isXksErrorName(name: unknown): name is XksErrorName {
  return typeof name === 'string' && Object.hasOwn(xksErrorStatus, name);
}

/** The four XKS proxy APIs. */
export type XksOperationName = 'GetHealthStatus' | 'GetKeyMetadata' | 'Encrypt' | 'Decrypt';

/** Options of {@link XksProxyError} and its subclasses. */
export interface XksProxyErrorOptions {
  /** The HTTP status of the answer. */
  status: number;
  /** `errorMessage` of the body, when the proxy sent one (printable ASCII; server text). */
  errorMessage?: string | undefined;
  /** The API called. */
  operation: XksOperationName;
}

/**
 * The proxy answered with an error of the specification. `name` is the `errorName`
 * (`KeyNotFoundException`, …), `status` the HTTP status, `errorMessage` what the proxy said.
 */
export class XksProxyError extends KmsError {
  /** The `errorName` the proxy sent. */
  readonly errorName: XksErrorName;
  /** The HTTP status of the answer (it may differ from the one the specification gives the name). */
  readonly status: number;
  /** The `errorMessage` the proxy sent, if any. */
  readonly errorMessage: string | undefined;
  /** The API called. */
  readonly operation: XksOperationName;

  /**
   * @param errorName - the `errorName` of the body.
   * @param options - status, message and operation.
   */
  constructor(errorName: XksErrorName, options: XksProxyErrorOptions) {
    super(
      `${options.operation}: XKS proxy answered HTTP ${options.status} ${errorName}${options.errorMessage ? `: ${options.errorMessage}` : ''}`,
    );
    this.name = errorName;
    this.errorName = errorName;
    this.status = options.status;
    this.errorMessage = options.errorMessage;
    this.operation = options.operation;
  }
}

/** Options of the classes of one `errorName`. */
export type XksNamedErrorOptions = XksProxyErrorOptions;

/** 400 `ValidationException`: the proxy found an input parameter invalid. */
export class XksValidationException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('ValidationException', options);
  }
}
/** 400 `InvalidStateException`: the external key or key store is disabled, deactivated or blocked. */
export class XksInvalidStateException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('InvalidStateException', options);
  }
}
/** 400 `InvalidCiphertextException`: ciphertext, IV, AAD or tag corrupted, missing or invalid. */
export class XksInvalidCiphertextException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('InvalidCiphertextException', options);
  }
}
/** 400 `InvalidKeyUsageException`: the key does not support the operation. */
export class XksInvalidKeyUsageException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('InvalidKeyUsageException', options);
  }
}
/** 401 `AuthenticationFailedException`: the SigV4 signature was refused. */
export class XksAuthenticationFailedException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('AuthenticationFailedException', options);
  }
}
/** 403 `AccessDeniedException`: the proxy's own authorization refused the request metadata. */
export class XksAccessDeniedException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('AccessDeniedException', options);
  }
}
/** 404 `KeyNotFoundException`: no external key with that ID. */
export class XksKeyNotFoundException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('KeyNotFoundException', options);
  }
}
/** 404 `InvalidUriPathException`: the URI path is not one the proxy serves. */
export class XksInvalidUriPathException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('InvalidUriPathException', options);
  }
}
/** 429 `ThrottlingException`: the request rate is too high. */
export class XksThrottlingException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('ThrottlingException', options);
  }
}
/** 501 `UnsupportedOperationException`: not implemented, or a value above what this proxy supports. */
export class XksUnsupportedOperationException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('UnsupportedOperationException', options);
  }
}
/** 503 `DependencyTimeoutException`: the proxy timed out on its key manager. */
export class XksDependencyTimeoutException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('DependencyTimeoutException', options);
  }
}
/** 500 `InternalException`: a generic proxy or key manager failure. */
export class XksInternalException extends XksProxyError {
  /** @param options - as the proxy answered. */
  constructor(options: XksNamedErrorOptions) {
    super('InternalException', options);
  }
}

const namedClasses: Readonly<
  Record<XksErrorName, new (options: XksNamedErrorOptions) => XksProxyError>
> = {
  ValidationException: XksValidationException,
  InvalidStateException: XksInvalidStateException,
  InvalidCiphertextException: XksInvalidCiphertextException,
  InvalidKeyUsageException: XksInvalidKeyUsageException,
  AuthenticationFailedException: XksAuthenticationFailedException,
  AccessDeniedException: XksAccessDeniedException,
  KeyNotFoundException: XksKeyNotFoundException,
  InvalidUriPathException: XksInvalidUriPathException,
  ThrottlingException: XksThrottlingException,
  UnsupportedOperationException: XksUnsupportedOperationException,
  DependencyTimeoutException: XksDependencyTimeoutException,
  InternalException: XksInternalException,
};

/** The error of the class of `errorName`. */
export function createXksProxyError(
  errorName: XksErrorName,
  options: XksNamedErrorOptions,
): XksProxyError {
  return new namedClasses[errorName](options);
}

/** Why an answer could not be used. */
export type XksInvalidResponseReason =
  /** An error status whose body is not JSON with a specification `errorName`. */
  | 'unknown-error'
  /** A success whose body is not JSON, or lacks fields, or has values of the wrong kind or size. */
  | 'malformed'
  /** The encrypt answer's `ciphertextDataIntegrityValue` is missing or does not match. */
  | 'cdiv-mismatch'
  /** A status the API never answers (3xx, 1xx, 2xx other than 200). */
  | 'unexpected-status'
  /** The body was larger than the client reads. */
  | 'too-large';

/**
 * The proxy answered, but not as the specification says: KMS calls this an invalid response
 * (`XKS_PROXY_INVALID_RESPONSE`). `status` and the start of the body say what came.
 */
export class XksInvalidResponseError extends KmsError {
  /** Why the answer could not be used. */
  readonly reason: XksInvalidResponseReason;
  /** The HTTP status. */
  readonly status: number;
  /** The start of the body (at most 200 characters, secrets redacted). */
  readonly bodyExcerpt: string | undefined;
  /** The API called. */
  readonly operation: XksOperationName;

  /** @param options - what is wrong, and what came. */
  constructor(options: {
    message: string;
    reason: XksInvalidResponseReason;
    status: number;
    operation: XksOperationName;
    bodyExcerpt?: string | undefined;
    cause?: unknown;
  }) {
    super(`${options.operation}: ${options.message}`, { cause: options.cause });
    this.reason = options.reason;
    this.status = options.status;
    this.bodyExcerpt = options.bodyExcerpt;
    this.operation = options.operation;
  }
}

/** Where a connection failed: TCP (refused, unreachable, DNS), TLS (handshake, certificate), or HTTP. */
export type XksNetworkStage = 'tcp' | 'tls' | 'http';

/** The proxy could not be reached, or the connection broke before an answer was read. */
export class XksNetworkError extends KmsError {
  /** Where it failed. */
  readonly stage: XksNetworkStage;
  /** The system or TLS error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, …), when there is one. */
  readonly code: string | undefined;
  /** The API called. */
  readonly operation: XksOperationName;

  /** @param options - what failed and where. */
  constructor(options: {
    message: string;
    stage: XksNetworkStage;
    code?: string | undefined;
    operation: XksOperationName;
    cause?: unknown;
  }) {
    super(`${options.operation}: ${options.message}`, { cause: options.cause });
    this.stage = options.stage;
    this.code = options.code;
    this.operation = options.operation;
  }
}

/**
 * No answer within the call's limit (250 ms by default, as KMS waits): `XKS_PROXY_TIMED_OUT`.
 * Its `name` is `XksTimeoutError`.
 */
export class XksTimeoutError extends KmsError {
  /** The limit, in milliseconds. */
  readonly timeoutMs: number;
  /** The API called. */
  readonly operation: XksOperationName;

  /** @param options - the limit and the API. */
  constructor(options: { timeoutMs: number; operation: XksOperationName; cause?: unknown }) {
    super(`${options.operation}: no answer from the XKS proxy within ${options.timeoutMs} ms`, {
      cause: options.cause,
    });
    this.timeoutMs = options.timeoutMs;
    this.operation = options.operation;
  }
}

/**
 * The `ConnectionErrorCode` KMS gives a custom key store whose proxy fails this way on
 * `ConnectCustomKeyStore` (GetHealthStatus), or undefined for an error that is not the proxy's.
 * Mapping from the specification's table of KMS exceptions and KMS's `ConnectionErrorCode`
 * documentation: 401 → `INVALID_CREDENTIALS`; 403 → `XKS_PROXY_ACCESS_DENIED`; 404 URI path →
 * `XKS_PROXY_INVALID_CONFIGURATION`; throttling, dependency timeout and a refused or failed TCP
 * connection → `XKS_PROXY_NOT_REACHABLE`; TLS → `XKS_PROXY_INVALID_TLS_CONFIGURATION`; no answer in
 * time → `XKS_PROXY_TIMED_OUT`; anything else the proxy answers → `XKS_PROXY_INVALID_RESPONSE`.
 */
export function kmsConnectionErrorCode(error: unknown): string | undefined {
  if (error instanceof XksTimeoutError) return 'XKS_PROXY_TIMED_OUT';
  if (error instanceof XksNetworkError) {
    return error.stage === 'tls'
      ? 'XKS_PROXY_INVALID_TLS_CONFIGURATION'
      : 'XKS_PROXY_NOT_REACHABLE';
  }
  if (error instanceof XksInvalidResponseError) return 'XKS_PROXY_INVALID_RESPONSE';
  if (error instanceof XksProxyError) {
    switch (error.errorName) {
      case 'AuthenticationFailedException':
        return 'INVALID_CREDENTIALS';
      case 'AccessDeniedException':
        return 'XKS_PROXY_ACCESS_DENIED';
      case 'InvalidUriPathException':
        return 'XKS_PROXY_INVALID_CONFIGURATION';
      case 'ThrottlingException':
      case 'DependencyTimeoutException':
        return 'XKS_PROXY_NOT_REACHABLE';
      default:
        return 'XKS_PROXY_INVALID_RESPONSE';
    }
  }
  return undefined;
}

/**
 * The exception `CreateCustomKeyStore` / `UpdateCustomKeyStore` would throw for the same failure
 * (the specification's table), or undefined.
 */
export function kmsCreateUpdateException(error: unknown): string | undefined {
  const code = kmsConnectionErrorCode(error);
  switch (code) {
    case 'INVALID_CREDENTIALS':
      return 'XksProxyIncorrectAuthenticationCredentialException';
    case 'XKS_PROXY_INVALID_CONFIGURATION':
      return 'XksProxyInvalidConfigurationException';
    case 'XKS_PROXY_INVALID_RESPONSE':
    case 'XKS_PROXY_ACCESS_DENIED':
      return 'XksProxyInvalidResponseException';
    case undefined:
      return undefined;
    default:
      return 'XksProxyUriUnreachableException';
  }
}

/** Gives each class its brand, as the library's own errors have (see `KmsError`). */
const brandKey = Symbol.for('kms-custom-key-store.errorBrand');
for (const [brand, errorClass] of Object.entries({
  XksProxyError,
  XksValidationException,
  XksInvalidStateException,
  XksInvalidCiphertextException,
  XksInvalidKeyUsageException,
  XksAuthenticationFailedException,
  XksAccessDeniedException,
  XksKeyNotFoundException,
  XksInvalidUriPathException,
  XksThrottlingException,
  XksUnsupportedOperationException,
  XksDependencyTimeoutException,
  XksInternalException,
  XksInvalidResponseError,
  XksNetworkError,
  XksTimeoutError,
})) {
  Object.defineProperty(errorClass, brandKey, { value: brand });
}
