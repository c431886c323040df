/**
 * The three operations over the JSON 1.1 contract: parse the body as KMS's service framework does
 * (SerializationException for malformed JSON or a wrong JSON type), check the model's constraints
 * (ValidationException listing each violation), then run the operation on the key stores.
 */
import { characterCount, firstCharacters } from './characters.js';
import { EmulatorError, frameworkErrors, validationError } from './errors.js';
import type { DescribeInput, KeyStoreRegistry } from './store.js';

/** The operations the emulator serves, by `X-Amz-Target` operation name. */
export const operationNames = [
  'DisconnectCustomKeyStore',
  'ConnectCustomKeyStore',
  'DescribeCustomKeyStores',
] as const;

/** One of {@link operationNames}. */
export type OperationName = (typeof operationNames)[number];

/** The `X-Amz-Target` prefix of KMS. */
export const targetPrefix = 'TrentService.';

/** The operation an `X-Amz-Target` names, when the emulator serves it. */
export function operationOf(target: string | undefined): OperationName | undefined {
  if (!target?.startsWith(targetPrefix)) return undefined;
  const name = target.slice(targetPrefix.length);
  return (operationNames as readonly string[]).includes(name) ? (name as OperationName) : undefined;
}

/** Parses the body into the input object. @throws EmulatorError (SerializationException). */
export function parseBody(body: string): Record<string, unknown> {
  // SDKs send `{}` for an empty input; an empty body is read the same way.
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new EmulatorError(
      frameworkErrors.serialization,
      `Malformed JSON request body: ${(error as Error).message}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EmulatorError(frameworkErrors.serialization, `${jsonToken(value)} at top level`);
  }
  return value as Record<string, unknown>;
}

/** How the service framework names a JSON value it did not expect. */
function jsonToken(value: unknown): string {
  if (Array.isArray(value)) return 'Start of list found where not expected.';
  if (value !== null && typeof value === 'object') {
    return 'Start of structure or map found where not expected.';
  }
  if (typeof value === 'number') return 'NUMBER_VALUE';
  if (typeof value === 'boolean') return value ? 'TRUE_VALUE' : 'FALSE_VALUE';
  if (typeof value === 'string') return 'STRING_VALUE';
  return 'NULL_VALUE';
}

function typeError(value: unknown, expected: 'a String' | 'an Integer'): EmulatorError {
  const token = jsonToken(value);
  return new EmulatorError(
    frameworkErrors.serialization,
    token.endsWith('.') ? token : `${token} can not be converted to ${expected}`,
  );
}

/** Reads an optional string member; null counts as absent, as in the service framework. */
function stringMember(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw typeError(value, 'a String');
  return value;
}

function integerMember(input: Record<string, unknown>, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(value, 'an Integer');
  return value;
}

/** Longest value echoed in a validation message. */
const echoLimit = 256;

function echo(value: string | number): string {
  const text = String(value);
  const shown = firstCharacters(text, echoLimit);
  return shown.length < text.length ? `${shown}...` : text;
}

/** Collects the constraint violations of one input. */
class Violations {
  readonly list: string[] = [];

  required(field: string, value: unknown): void {
    if (value === undefined) {
      this.list.push(
        `Value null at '${field}' failed to satisfy constraint: Member must not be null`,
      );
    }
  }

  /** The model's length constraint, in characters (code points), as KMS counts them. */
  length(field: string, value: string | undefined, min: number, max: number): void {
    if (value === undefined) return;
    const length = characterCount(value);
    if (length < min) {
      this.list.push(
        `Value '${echo(value)}' at '${field}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
      );
    }
    if (length > max) {
      this.list.push(
        `Value '${echo(value)}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    }
  }

  range(field: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined) return;
    if (value < min) {
      this.list.push(
        `Value '${value}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
      );
    }
    if (value > max) {
      this.list.push(
        `Value '${value}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
      );
    }
  }

  pattern(field: string, value: string | undefined, pattern: RegExp, source: string): void {
    if (value !== undefined && !pattern.test(value)) {
      this.list.push(
        `Value '${echo(value)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${source}`,
      );
    }
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw validationError(this.list);
  }
}

/** Parses and validates the input of Disconnect and Connect. */
function idInput(input: Record<string, unknown>): string {
  const id = stringMember(input, 'CustomKeyStoreId');
  const violations = new Violations();
  violations.required('customKeyStoreId', id);
  violations.length('customKeyStoreId', id, 1, 64);
  violations.throwIfAny();
  return id!;
}

/** Parses and validates the input of Describe. */
function describeInput(input: Record<string, unknown>): DescribeInput {
  const parsed: DescribeInput = {
    customKeyStoreId: stringMember(input, 'CustomKeyStoreId'),
    customKeyStoreName: stringMember(input, 'CustomKeyStoreName'),
    limit: integerMember(input, 'Limit'),
    marker: stringMember(input, 'Marker'),
  };
  const violations = new Violations();
  violations.length('customKeyStoreId', parsed.customKeyStoreId, 1, 64);
  violations.length('customKeyStoreName', parsed.customKeyStoreName, 1, 256);
  violations.range('limit', parsed.limit, 1, 1000);
  violations.length('marker', parsed.marker, 1, 1024);
  violations.pattern('marker', parsed.marker, /^[\u0020-\u00FF]*$/, '[\\u0020-\\u00FF]*');
  violations.throwIfAny();
  if (parsed.customKeyStoreId !== undefined && parsed.customKeyStoreName !== undefined) {
    throw new EmulatorError(
      frameworkErrors.validation,
      'Specify either the CustomKeyStoreId or the CustomKeyStoreName parameter, not both.',
    );
  }
  return parsed;
}

/**
 * Runs an operation on the key stores.
 * @param requestId - the call's `x-amzn-requestid`.
 * @returns the response body.
 * @throws EmulatorError for invalid input or a KMS error.
 */
export function runOperation(
  operation: OperationName,
  input: Record<string, unknown>,
  stores: KeyStoreRegistry,
  requestId?: string,
): Record<string, unknown> {
  switch (operation) {
    case 'DisconnectCustomKeyStore':
      stores.disconnect(idInput(input));
      return {};
    case 'ConnectCustomKeyStore':
      // Live XKS sends the call's request ID to the proxy as kmsRequestId, as KMS does.
      stores.connect(idInput(input), requestId);
      return {};
    case 'DescribeCustomKeyStores':
      return stores.describe(describeInput(input));
  }
}
