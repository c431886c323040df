/**
 * Errors the emulator answers with, in KMS's JSON 1.1 shape: `{"__type": …, "message": …}`,
 * status 400 for client faults and 500 for server faults.
 */

/** An error response: the `__type` on the wire, its message and HTTP status. */
export class EmulatorError extends Error {
  /**
   * @param type - the `__type` sent on the wire; service-framework errors carry their namespace
   *   (`com.amazon.coral.service#SerializationException`), as real KMS sends them.
   * @param message - the `message` field.
   * @param status - HTTP status, 400 unless the error is a server fault.
   */
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'EmulatorError';
  }

  /** The error code without its namespace, as a client reports it. */
  get code(): string {
    return shortErrorType(this.type);
  }
}

/** `com.amazon.coral.service#SerializationException` → `SerializationException`. */
export function shortErrorType(type: string): string {
  return type.slice(type.lastIndexOf('#') + 1);
}

/** Namespaced types of the errors the service framework (not KMS itself) returns. */
export const frameworkErrors = {
  serialization: 'com.amazon.coral.service#SerializationException',
  unknownOperation: 'com.amazon.coral.service#UnknownOperationException',
  validation: 'com.amazon.coral.validate#ValidationException',
} as const;

/** A ValidationException listing every violated constraint, worded as KMS words it. */
export function validationError(violations: readonly string[]): EmulatorError {
  const count = violations.length;
  return new EmulatorError(
    frameworkErrors.validation,
    `${count} validation error${count === 1 ? '' : 's'} detected: ${violations.join('; ')}`,
  );
}
