/**
 * The three operations over the JSON 1.1 contract: parse the body as KMS's service framework does
 * (SerializationException for malformed JSON or a wrong JSON type), check the model's constraints
 * (ValidationException listing each violation), then run the operation on the key stores.
 */
import { characterCount, firstCharacters } from './characters.js';
import { EmulatorError, frameworkErrors, validationError } from './errors.js';
import type {
  CreateInput,
  CustomKeyStoreType,
  DescribeInput,
  EmulatedXksProxyCredential,
  KeyStoreRegistry,
  UpdateInput,
} from './store.js';

/** The operations the emulator serves, by `X-Amz-Target` operation name. */
export const operationNames = [
  'DisconnectCustomKeyStore',
  'ConnectCustomKeyStore',
  'DescribeCustomKeyStores',
  'CreateCustomKeyStore',
  'UpdateCustomKeyStore',
  'DeleteCustomKeyStore',
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

  /**
   * The model's length constraint, in characters (code points), as KMS counts them; the value of
   * a sensitive member is never echoed, as KMS does.
   */
  length(
    field: string,
    value: string | undefined,
    min: number,
    max: number,
    sensitive = false,
  ): void {
    if (value === undefined) return;
    const length = characterCount(value);
    const shown = sensitive ? 'Value' : `Value '${echo(value)}'`;
    if (length < min) {
      this.list.push(
        `${shown} at '${field}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
      );
    }
    if (length > max) {
      this.list.push(
        `${shown} at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    }
  }

  enumeration(field: string, value: string | undefined, values: readonly string[]): void {
    if (value !== undefined && !values.includes(value)) {
      this.list.push(
        `Value '${echo(value)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`,
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

  pattern(
    field: string,
    value: string | undefined,
    pattern: RegExp,
    source: string,
    sensitive = false,
  ): void {
    if (value !== undefined && !pattern.test(value)) {
      this.list.push(
        `${sensitive ? 'Value' : `Value '${echo(value)}'`} at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${source}`,
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

/** A member constraint of the model: length, and the pattern (whole match) if any. */
interface Constraint {
  min: number;
  max: number;
  pattern?: string;
  sensitive?: boolean;
}

/** The constraints of the KMS model for Create and Update members (the emulator's own copy). */
const constraints = {
  customKeyStoreName: { min: 1, max: 256 },
  newCustomKeyStoreName: { min: 1, max: 256 },
  cloudHsmClusterId: { min: 19, max: 24, pattern: 'cluster-[2-7a-zA-Z]{11,16}' },
  trustAnchorCertificate: { min: 1, max: 5000 },
  keyStorePassword: { min: 7, max: 32, sensitive: true },
  xksProxyUriEndpoint: { min: 10, max: 128, pattern: '^https://[a-zA-Z0-9.-]+$' },
  xksProxyUriPath: {
    min: 10,
    max: 128,
    pattern: '^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$',
  },
  xksProxyVpcEndpointServiceName: {
    min: 20,
    max: 64,
    pattern: '^(com|eu)\\.amazonaws\\.vpce\\.([a-z]+-){2,3}\\d+\\.vpce-svc-[0-9a-z]+$',
  },
  xksProxyVpcEndpointServiceOwner: { min: 12, max: 12, pattern: '[0-9]{12}' },
  'xksProxyAuthenticationCredential.accessKeyId': {
    min: 20,
    max: 30,
    pattern: '^[A-Z2-7]+$',
    sensitive: true,
  },
  'xksProxyAuthenticationCredential.rawSecretAccessKey': {
    min: 43,
    max: 64,
    pattern: '^[a-zA-Z0-9\\/+=]+$',
    sensitive: true,
  },
} satisfies Record<string, Constraint>;

function constrained(
  violations: Violations,
  field: keyof typeof constraints,
  value: string | undefined,
): void {
  const rule: Constraint = constraints[field];
  violations.length(field, value, rule.min, rule.max, rule.sensitive);
  if (rule.pattern !== undefined) {
    violations.pattern(
      field,
      value,
      new RegExp(`^(?:${rule.pattern})$`),
      rule.pattern,
      rule.sensitive,
    );
  }
}

/** The proxy credential structure, when given. */
function credentialMember(
  input: Record<string, unknown>,
  violations: Violations,
): EmulatedXksProxyCredential | undefined {
  const value = input.XksProxyAuthenticationCredential;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new EmulatorError(
      frameworkErrors.serialization,
      `${jsonToken(value)} can not be converted to a Structure`,
    );
  }
  const structure = value as Record<string, unknown>;
  const accessKeyId = stringMember(structure, 'AccessKeyId');
  const rawSecretAccessKey = stringMember(structure, 'RawSecretAccessKey');
  violations.required('xksProxyAuthenticationCredential.accessKeyId', accessKeyId);
  violations.required('xksProxyAuthenticationCredential.rawSecretAccessKey', rawSecretAccessKey);
  constrained(violations, 'xksProxyAuthenticationCredential.accessKeyId', accessKeyId);
  constrained(
    violations,
    'xksProxyAuthenticationCredential.rawSecretAccessKey',
    rawSecretAccessKey,
  );
  if (accessKeyId === undefined || rawSecretAccessKey === undefined) return undefined;
  return { accessKeyId, rawSecretAccessKey };
}

const storeTypes = ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
const connectivities = ['PUBLIC_ENDPOINT', 'VPC_ENDPOINT_SERVICE'] as const;

/** The members Create and Update share, parsed and checked against the model. */
function lifecycleMembers(input: Record<string, unknown>, violations: Violations) {
  const members = {
    keyStorePassword: stringMember(input, 'KeyStorePassword'),
    cloudHsmClusterId: stringMember(input, 'CloudHsmClusterId'),
    xksProxyUriEndpoint: stringMember(input, 'XksProxyUriEndpoint'),
    xksProxyUriPath: stringMember(input, 'XksProxyUriPath'),
    xksProxyVpcEndpointServiceName: stringMember(input, 'XksProxyVpcEndpointServiceName'),
    xksProxyVpcEndpointServiceOwner: stringMember(input, 'XksProxyVpcEndpointServiceOwner'),
    xksProxyConnectivity: stringMember(input, 'XksProxyConnectivity'),
    xksProxyAuthenticationCredential: credentialMember(input, violations),
  };
  for (const field of [
    'keyStorePassword',
    'cloudHsmClusterId',
    'xksProxyUriEndpoint',
    'xksProxyUriPath',
    'xksProxyVpcEndpointServiceName',
    'xksProxyVpcEndpointServiceOwner',
  ] as const) {
    constrained(violations, field, members[field]);
  }
  violations.enumeration('xksProxyConnectivity', members.xksProxyConnectivity, connectivities);
  return members;
}

/** Parses and validates the input of Create, with KMS's rules across fields. */
function createInput(input: Record<string, unknown>): CreateInput {
  const violations = new Violations();
  const name = stringMember(input, 'CustomKeyStoreName');
  const type = stringMember(input, 'CustomKeyStoreType') ?? 'AWS_CLOUDHSM';
  const trustAnchorCertificate = stringMember(input, 'TrustAnchorCertificate');
  violations.required('customKeyStoreName', name);
  constrained(violations, 'customKeyStoreName', name);
  violations.enumeration('customKeyStoreType', type, storeTypes);
  constrained(violations, 'trustAnchorCertificate', trustAnchorCertificate);
  const members = lifecycleMembers(input, violations);
  violations.throwIfAny();
  const given = (fields: Record<string, unknown>) =>
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([field]) => field);
  const hsm = {
    cloudHsmClusterId: members.cloudHsmClusterId,
    trustAnchorCertificate,
    keyStorePassword: members.keyStorePassword,
  };
  const xks = {
    xksProxyUriEndpoint: members.xksProxyUriEndpoint,
    xksProxyUriPath: members.xksProxyUriPath,
    xksProxyAuthenticationCredential: members.xksProxyAuthenticationCredential,
    xksProxyConnectivity: members.xksProxyConnectivity,
  };
  const vpc = {
    xksProxyVpcEndpointServiceName: members.xksProxyVpcEndpointServiceName,
    xksProxyVpcEndpointServiceOwner: members.xksProxyVpcEndpointServiceOwner,
  };
  const [own, other] = type === 'AWS_CLOUDHSM' ? [hsm, { ...xks, ...vpc }] : [xks, hsm];
  const missing = Object.keys(own).filter((field) => !given(own).includes(field));
  const foreign = given(other);
  if (missing.length > 0 || foreign.length > 0) {
    throw new EmulatorError(
      frameworkErrors.validation,
      [
        missing.length > 0
          ? `A custom key store of type ${type} requires ${missing.join(', ')}.`
          : '',
        foreign.length > 0
          ? `${foreign.join(', ')} cannot be specified for a custom key store of type ${type}.`
          : '',
      ]
        .filter(Boolean)
        .join(' '),
    );
  }
  if (type === 'AWS_CLOUDHSM') {
    return {
      customKeyStoreName: name!,
      customKeyStoreType: type as CustomKeyStoreType,
      cloudHsmClusterId: members.cloudHsmClusterId!,
      trustAnchorCertificate: trustAnchorCertificate!,
      keyStorePassword: members.keyStorePassword!,
    };
  }
  const connectivity = members.xksProxyConnectivity as (typeof connectivities)[number];
  checkVpcMembers(
    connectivity,
    vpc.xksProxyVpcEndpointServiceName,
    vpc.xksProxyVpcEndpointServiceOwner,
    true,
  );
  return {
    customKeyStoreName: name!,
    customKeyStoreType: 'EXTERNAL_KEY_STORE',
    xksProxyAuthenticationCredential: members.xksProxyAuthenticationCredential!,
    xksProxyConfiguration: {
      connectivity,
      accessKeyId: members.xksProxyAuthenticationCredential!.accessKeyId,
      uriEndpoint: members.xksProxyUriEndpoint!,
      uriPath: members.xksProxyUriPath!,
      ...(vpc.xksProxyVpcEndpointServiceName !== undefined && {
        vpcEndpointServiceName: vpc.xksProxyVpcEndpointServiceName,
      }),
      ...(vpc.xksProxyVpcEndpointServiceOwner !== undefined && {
        vpcEndpointServiceOwner: vpc.xksProxyVpcEndpointServiceOwner,
      }),
    },
  };
}

/** VPC connectivity needs a service name; public connectivity takes none. */
function checkVpcMembers(
  connectivity: string | undefined,
  serviceName: string | undefined,
  owner: string | undefined,
  creating: boolean,
): void {
  if (connectivity === 'PUBLIC_ENDPOINT' && (serviceName !== undefined || owner !== undefined)) {
    throw new EmulatorError(
      frameworkErrors.validation,
      'XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are only valid with XksProxyConnectivity VPC_ENDPOINT_SERVICE.',
    );
  }
  if (connectivity === 'VPC_ENDPOINT_SERVICE' && serviceName === undefined && creating) {
    throw new EmulatorError(
      frameworkErrors.validation,
      'XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.',
    );
  }
}

/** Parses and validates the input of Update; the rules that need the store are in the registry. */
function updateInput(input: Record<string, unknown>): UpdateInput {
  const violations = new Violations();
  const id = stringMember(input, 'CustomKeyStoreId');
  const newName = stringMember(input, 'NewCustomKeyStoreName');
  violations.required('customKeyStoreId', id);
  violations.length('customKeyStoreId', id, 1, 64);
  constrained(violations, 'newCustomKeyStoreName', newName);
  const members = lifecycleMembers(input, violations);
  violations.throwIfAny();
  checkVpcMembers(
    members.xksProxyConnectivity,
    members.xksProxyVpcEndpointServiceName,
    members.xksProxyVpcEndpointServiceOwner,
    false,
  );
  const parsed: UpdateInput = { customKeyStoreId: id! };
  if (newName !== undefined) parsed.newCustomKeyStoreName = newName;
  for (const [field, value] of Object.entries(members)) {
    if (value !== undefined) (parsed as unknown as Record<string, unknown>)[field] = value;
  }
  return parsed;
}

/**
 * Runs an operation on the key stores.
 * @param requestId - the call's `x-amzn-requestid`.
 * @returns the response body.
 * @throws EmulatorError for invalid input or a KMS error.
 */
export async function runOperation(
  operation: OperationName,
  input: Record<string, unknown>,
  stores: KeyStoreRegistry,
  requestId?: string,
): Promise<Record<string, unknown>> {
  switch (operation) {
    case 'CreateCustomKeyStore':
      return { CustomKeyStoreId: await stores.create(createInput(input), requestId) };
    case 'UpdateCustomKeyStore':
      await stores.update(updateInput(input), requestId);
      return {};
    case 'DeleteCustomKeyStore':
      stores.delete(idInput(input));
      return {};
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
