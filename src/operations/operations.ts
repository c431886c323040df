/**
 * KMS operations as data: the target name, the input schema, how the input goes on the wire, how
 * the output is parsed. The request path (`request/send.ts`) runs any of them.
 */
import type { ValidationIssue } from '../errors.js';
import type { Validation } from '../zod-check.js';
import {
  markerLength,
  markerPattern,
  maxDateSeconds,
  pageLimit,
  storeIdLength,
  storeNameLength,
} from './limits.js';

/**
 * A string of `min` to `max` UTF-16 units. zod counts code points, which is never more: a string
 * this accepts, zod accepts; a longer one (emoji) goes to zod for its decision.
 */
export const isLength = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max;

/** One KMS operation. */
export interface Operation<Input, Output> {
  /** The operation name; the `X-Amz-Target` header is `TrentService.<name>`. */
  readonly name: string;
  /**
   * Recognizes the common, valid input without zod and returns it as `input` would parse it;
   * `undefined` leaves the decision to `input`. Loading zod costs more than a whole call, and
   * most calls pass nothing but a store ID.
   */
  readonly quickInput?: (raw: unknown) => Input | undefined;
  /** Validates the caller's (camelCase) input with its zod schema (built on first use). */
  readonly validateInput: (raw: unknown) => Promise<Validation<Input>>;
  /** The JSON body KMS expects (PascalCase). */
  readonly toRequestBody: (input: Input) => Record<string, unknown>;
  /** Builds the result from the response body; fails when the body does not fit the model. */
  readonly parseOutput: (body: Record<string, unknown>) => Output | Promise<Output>;
  /**
   * The values of the input that the model marks `sensitive` (a proxy credential, a CloudHSM
   * password): the request path redacts them from anything a server sends back into an error.
   */
  readonly sensitiveValues?: (input: Input) => readonly string[];
}

/** Input of operations that act on one custom key store. */
export interface CustomKeyStoreIdInput {
  /** The custom key store ID, e.g. `cks-1234567890abcdef0`. */
  customKeyStoreId: string;
}

/**
 * `{ customKeyStoreId }` with an ID of 1 to 64 characters and nothing else, as the schema
 * (a strict object) accepts it; anything else goes to the schema for its exact issues.
 */
function quickIdInput(raw: unknown): CustomKeyStoreIdInput | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const prototype = Object.getPrototypeOf(raw);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const keys = Object.keys(raw);
  if (keys.length !== 1 || keys[0] !== 'customKeyStoreId') return undefined;
  const id = (raw as { customKeyStoreId: unknown }).customKeyStoreId;
  return isLength(id, storeIdLength.min, storeIdLength.max) ? { customKeyStoreId: id } : undefined;
}

/** Disconnect and Connect return an empty object; only the metadata is of use. */
export type EmptyOutput = {};

const emptyOutput = (): EmptyOutput => ({});

/** What Disconnect and Connect share: one store ID in, an empty object out. */
const storeIdCall: Omit<Operation<CustomKeyStoreIdInput, EmptyOutput>, 'name'> = {
  quickInput: quickIdInput,
  validateInput: async (raw) => {
    const { check, customKeyStoreIdInput } = await schemas();
    return check(customKeyStoreIdInput, raw);
  },
  toRequestBody: (input) => ({ CustomKeyStoreId: input.customKeyStoreId }),
  parseOutput: emptyOutput,
};

/** DisconnectCustomKeyStore: disconnects a CloudHSM or external key store. */
export const disconnectCustomKeyStore: Operation<CustomKeyStoreIdInput, EmptyOutput> = {
  name: 'DisconnectCustomKeyStore',
  ...storeIdCall,
};

/** ConnectCustomKeyStore: starts connecting a store; it returns before the store is connected. */
export const connectCustomKeyStore: Operation<CustomKeyStoreIdInput, EmptyOutput> = {
  name: 'ConnectCustomKeyStore',
  ...storeIdCall,
};

/** The connection states KMS documents for a custom key store. */
export const connectionStates = [
  'CONNECTED',
  'CONNECTING',
  'FAILED',
  'DISCONNECTED',
  'DISCONNECTING',
] as const;

/** A connection state KMS documents. */
export type KnownConnectionState = (typeof connectionStates)[number];

/**
 * The connection state of a store. KMS adds enum values over time, so any other string passes
 * through unchanged instead of failing the parse.
 */
export type ConnectionState = KnownConnectionState | (string & {});

/** `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`, or a type added to KMS after this version. */
export type CustomKeyStoreType = 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE' | (string & {});

/**
 * Why the last connection attempt failed (`INVALID_CREDENTIALS`, `NETWORK_ERRORS`,
 * `XKS_PROXY_NOT_REACHABLE`, …); any value KMS sends passes through.
 */
export type ConnectionErrorCode = string;

/**
 * Names of fields this version does not model, as KMS sent them (PascalCase, e.g. `NewField`).
 * Unmodeled fields are kept under their wire names with their raw JSON values: nothing is guessed
 * about their type, and a later version that models a field adds its camelCase name without
 * removing the raw one's meaning.
 */
export type WireFieldName = `${Uppercase<string>}${string}`;

/** The XKS proxy settings of an external key store (only for `EXTERNAL_KEY_STORE`). */
export interface XksProxyConfiguration {
  /** `PUBLIC_ENDPOINT` or `VPC_ENDPOINT_SERVICE` (other values pass through). */
  connectivity?: 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE' | (string & {});
  /**
   * The access key ID part of the proxy authentication credential (the secret is never returned).
   * Sensitive in the KMS model: readable here, but `[redacted]` in `JSON.stringify` and `util.inspect`.
   */
  accessKeyId?: string;
  /** The proxy's URI endpoint, e.g. `https://xks.example.com`. */
  uriEndpoint?: string;
  /** The path of the proxy API, e.g. `/kms/xks/v1`. */
  uriPath?: string;
  /** The VPC endpoint service name, for `VPC_ENDPOINT_SERVICE` connectivity. */
  vpcEndpointServiceName?: string;
  /** The account that owns the VPC endpoint service. */
  vpcEndpointServiceOwner?: string;
  /** Unmodeled fields, under their wire names. */
  readonly [wireName: WireFieldName]: unknown;
}

/**
 * One custom key store as DescribeCustomKeyStores returns it, in camelCase. The KMS model makes
 * every member optional, so each is typed so: KMS always sends the ID and the state today, but an
 * entry without them is returned as it came rather than failing the whole listing.
 */
export interface CustomKeyStoreEntry {
  /** The store ID, e.g. `cks-1234567890abcdef0`. Absent only if KMS left it out. */
  customKeyStoreId?: string;
  /** The friendly name. */
  customKeyStoreName?: string;
  /** `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`. */
  customKeyStoreType?: CustomKeyStoreType;
  /**
   * CONNECTED, CONNECTING, FAILED, DISCONNECTED or DISCONNECTING (or a state added later, or an
   * empty string, passed through). Absent only if KMS left it out.
   */
  connectionState?: ConnectionState;
  /** Why the store is FAILED; present only in that state. */
  connectionErrorCode?: ConnectionErrorCode;
  /** When the store was created. */
  creationDate?: Date;
  /** The CloudHSM cluster (only for `AWS_CLOUDHSM`). */
  cloudHsmClusterId?: string;
  /** The cluster's trust anchor certificate, PEM (only for `AWS_CLOUDHSM`). */
  trustAnchorCertificate?: string;
  /** The XKS proxy settings (only for `EXTERNAL_KEY_STORE`). */
  xksProxyConfiguration?: XksProxyConfiguration;
  /** Unmodeled fields, under their wire names. */
  readonly [wireName: WireFieldName]: unknown;
}

/** Input of DescribeCustomKeyStores; every field is optional. */
export interface DescribeCustomKeyStoresInput {
  /** Only this store (1–64 characters). Not together with `customKeyStoreName`. */
  customKeyStoreId?: string;
  /** Only the store with this friendly name (1–256 characters). Not together with `customKeyStoreId`. */
  customKeyStoreName?: string;
  /** At most this many entries per page, 1–1000; KMS may return fewer. */
  limit?: number;
  /** The `nextMarker` of the previous page (1–1024 characters in U+0020–U+00FF). */
  marker?: string;
}

/** One page of DescribeCustomKeyStores, as parsed (the client adds `$metadata`). */
export interface DescribeCustomKeyStoresPage {
  /** The stores on this page. */
  customKeyStores: CustomKeyStoreEntry[];
  /**
   * Pass as `marker` to get the next page. KMS sends it when `truncated` is true; a page that
   * says `truncated` without one cannot be followed (the paginator ends there).
   */
  nextMarker?: string;
  /** Whether KMS says more pages follow. */
  truncated: boolean;
}

/** The zod schemas, loaded on first use (see `zod-check.ts`). */
const schemas = () => import('./schemas.js');

/** Wire name → camelCase name and value conversion, for the fields this version models. */
type FieldMap = Readonly<Record<string, readonly [string, (value: unknown) => unknown]>>;

const asIs = (value: unknown): unknown => value;
const epochSecondsToDate = (value: unknown): unknown =>
  new Date(Math.round((value as number) * 1000));

const xksFields: FieldMap = {
  Connectivity: ['connectivity', asIs],
  AccessKeyId: ['accessKeyId', asIs],
  UriEndpoint: ['uriEndpoint', asIs],
  UriPath: ['uriPath', asIs],
  VpcEndpointServiceName: ['vpcEndpointServiceName', asIs],
  VpcEndpointServiceOwner: ['vpcEndpointServiceOwner', asIs],
};

const entryFields: FieldMap = {
  CustomKeyStoreId: ['customKeyStoreId', asIs],
  CustomKeyStoreName: ['customKeyStoreName', asIs],
  CustomKeyStoreType: ['customKeyStoreType', asIs],
  ConnectionState: ['connectionState', asIs],
  ConnectionErrorCode: ['connectionErrorCode', asIs],
  CreationDate: ['creationDate', epochSecondsToDate],
  CloudHsmClusterId: ['cloudHsmClusterId', asIs],
  TrustAnchorCertificate: ['trustAnchorCertificate', asIs],
  XksProxyConfiguration: [
    'xksProxyConfiguration',
    (value) => withSecretAccessKeyId(renameFields(value, xksFields)),
  ],
};

/** Where `util.inspect` looks for an object's own view (the `inspect.custom` symbol). */
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * The model marks the proxy credential's access key ID sensitive: the property stays readable
 * (`entry.xksProxyConfiguration.accessKeyId`, to check a rotation), but `JSON.stringify` and
 * `util.inspect` of the entry (logs, `kms-cks describe --json`) show `[redacted]`.
 */
function withSecretAccessKeyId(configuration: Record<string, unknown>): Record<string, unknown> {
  if (configuration.accessKeyId === undefined) return configuration;
  const view = () => ({ ...configuration, accessKeyId: '[redacted]' });
  Object.defineProperty(configuration, 'toJSON', { value: view });
  Object.defineProperty(configuration, inspectCustom, {
    value: (
      _depth: number,
      options: object,
      inspect: (value: unknown, options: object) => string,
    ) => inspect(view(), options),
  });
  return configuration;
}

/** Renames modeled fields (dropping nulls) and keeps unmodeled ones under their wire names. */
function renameFields(wire: unknown, fields: FieldMap): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire as Record<string, unknown>)) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!field) result[key] = value;
    else if (value !== null && value !== undefined) result[field[0]] = field[1](value);
  }
  return result;
}

/** The validated response body, or an error that names each offending field. */
function parsedBody<T>(parsed: Validation<T>): T {
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
      .join('; '),
    { cause: parsed.error },
  );
}

/** A Describe page on the wire, as the schema admits it. */
interface WireDescribeOutput {
  CustomKeyStores?: Record<string, unknown>[] | null;
  NextMarker?: string | null;
  Truncated?: boolean | null;
}

const describeInputKeys = new Set(['customKeyStoreId', 'customKeyStoreName', 'limit', 'marker']);

/**
 * The input of Describe when it is plainly valid (what the schema would accept), else undefined:
 * listing every store then costs no zod at all, which matters for a CLI's start-up.
 */
function quickDescribeInput(raw: unknown): DescribeCustomKeyStoresInput | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const prototype = Object.getPrototypeOf(raw);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const input: DescribeCustomKeyStoresInput = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!describeInputKeys.has(key)) return undefined;
    if (value === undefined) continue;
    if (key === 'customKeyStoreId' && isLength(value, storeIdLength.min, storeIdLength.max)) {
      input.customKeyStoreId = value;
    } else if (
      key === 'customKeyStoreName' &&
      isLength(value, storeNameLength.min, storeNameLength.max)
    ) {
      input.customKeyStoreName = value;
    } else if (
      key === 'limit' &&
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= pageLimit.min &&
      value <= pageLimit.max
    ) {
      input.limit = value;
    } else if (
      key === 'marker' &&
      isLength(value, markerLength.min, markerLength.max) &&
      markerPattern.test(value)
    ) {
      input.marker = value;
    } else return undefined;
  }
  if (input.customKeyStoreId !== undefined && input.customKeyStoreName !== undefined) {
    return undefined;
  }
  return input;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isOptionalString = (value: unknown): boolean =>
  value === undefined || value === null || typeof value === 'string';
const optionalEntryStrings = [
  'CustomKeyStoreId',
  'CustomKeyStoreName',
  'ConnectionState',
  'CustomKeyStoreType',
  'ConnectionErrorCode',
  'CloudHsmClusterId',
  'TrustAnchorCertificate',
] as const;

/** True when the body passes the `describeOutput` schema; mirrors it field by field. */
function isWellFormedDescribeOutput(body: unknown): boolean {
  if (!isPlainObject(body)) return false;
  const { CustomKeyStores: stores, NextMarker: marker, Truncated: truncated } = body;
  if (!isOptionalString(marker)) return false;
  if (truncated !== undefined && truncated !== null && typeof truncated !== 'boolean') return false;
  if (stores === undefined || stores === null) return true;
  if (!Array.isArray(stores)) return false;
  return stores.every((entry: unknown) => {
    if (!isPlainObject(entry)) return false;
    if (!optionalEntryStrings.every((key) => isOptionalString(entry[key]))) return false;
    const created = entry.CreationDate;
    if (created !== undefined && created !== null) {
      // As the schema: a finite number of seconds a Date can hold.
      if (typeof created !== 'number' || !(Math.abs(created) <= maxDateSeconds)) return false;
    }
    const xks = entry.XksProxyConfiguration;
    if (xks === undefined || xks === null) return true;
    return isPlainObject(xks) && Object.keys(xksFields).every((key) => isOptionalString(xks[key]));
  });
}

/**
 * DescribeCustomKeyStores: lists the stores of the account and region, one page at a time, or
 * the one store with a given ID or name.
 */
export const describeCustomKeyStores: Operation<
  DescribeCustomKeyStoresInput,
  DescribeCustomKeyStoresPage
> = {
  name: 'DescribeCustomKeyStores',
  quickInput: quickDescribeInput,
  validateInput: async (raw) => {
    const { check, describeInput } = await schemas();
    return check(describeInput, raw);
  },
  toRequestBody: (input) => ({
    ...(input.customKeyStoreId !== undefined && { CustomKeyStoreId: input.customKeyStoreId }),
    ...(input.customKeyStoreName !== undefined && { CustomKeyStoreName: input.customKeyStoreName }),
    ...(input.limit !== undefined && { Limit: input.limit }),
    ...(input.marker !== undefined && { Marker: input.marker }),
  }),
  parseOutput: async (body) => {
    // A well-formed page is checked by hand; zod (loaded on first use) explains anything else.
    const wire = isWellFormedDescribeOutput(body)
      ? (body as WireDescribeOutput)
      : parsedBody(
          await schemas().then(({ check, describeOutput }) => check(describeOutput, body)),
        );
    const output: DescribeCustomKeyStoresPage = {
      customKeyStores: (wire.CustomKeyStores ?? []).map(
        // The schema checked every modeled field's type; none is required.
        (entry) => renameFields(entry, entryFields) as unknown as CustomKeyStoreEntry,
      ),
      truncated: wire.Truncated === true,
    };
    if (wire.NextMarker) output.nextMarker = wire.NextMarker;
    return output;
  },
};

/** The proxy authentication credential of an external key store. Both halves are secret. */
export interface XksProxyAuthenticationCredential {
  /** The access key ID the proxy knows the credential by: 20–30 characters of A–Z and 2–7. Sensitive. */
  accessKeyId: string;
  /** The raw secret access key: 43–64 characters of A–Z, a–z, 0–9, `/`, `+` and `=`. Sensitive. */
  rawSecretAccessKey: string;
}

/** `PUBLIC_ENDPOINT` or `VPC_ENDPOINT_SERVICE`. */
export type XksProxyConnectivityType = 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE';

/** CreateCustomKeyStore input for a CloudHSM key store (`customKeyStoreType` absent or `AWS_CLOUDHSM`). */
export interface CreateCloudHsmKeyStoreInput {
  /** `AWS_CLOUDHSM`, the default (as in KMS). */
  customKeyStoreType?: 'AWS_CLOUDHSM';
  /** A name unique in the account and region, 1–256 characters. */
  customKeyStoreName: string;
  /** The CloudHSM cluster, `cluster-` and 11–16 characters; one store per cluster. */
  cloudHsmClusterId: string;
  /** The content of the cluster's `customerCA.crt` (PEM), 1–5000 characters. */
  trustAnchorCertificate: string;
  /** The password of the `kmsuser` crypto user of the cluster, 7–32 characters. Sensitive. */
  keyStorePassword: string;
}

/** CreateCustomKeyStore input for an external key store (XKS). */
export interface CreateExternalKeyStoreInput {
  /** `EXTERNAL_KEY_STORE`. */
  customKeyStoreType: 'EXTERNAL_KEY_STORE';
  /** A name unique in the account and region, 1–256 characters. */
  customKeyStoreName: string;
  /** `https://` and a host name, 10–128 characters; no path, no port. */
  xksProxyUriEndpoint: string;
  /** The proxy's API path, ending in `/kms/xks/v1` (or another version), 10–128 characters. */
  xksProxyUriPath: string;
  /** The credential KMS signs its requests to the proxy with. */
  xksProxyAuthenticationCredential: XksProxyAuthenticationCredential;
  /** How KMS reaches the proxy. */
  xksProxyConnectivity: XksProxyConnectivityType;
  /** The VPC endpoint service: required with `VPC_ENDPOINT_SERVICE`, refused with `PUBLIC_ENDPOINT`. */
  xksProxyVpcEndpointServiceName?: string;
  /** The account that owns the VPC endpoint service, when it is not yours (12 digits); VPC only. */
  xksProxyVpcEndpointServiceOwner?: string;
}

/** Input of CreateCustomKeyStore, discriminated by `customKeyStoreType`. */
export type CreateCustomKeyStoreInput = CreateCloudHsmKeyStoreInput | CreateExternalKeyStoreInput;

/** Output of CreateCustomKeyStore. */
export interface CreateCustomKeyStoreResult {
  /** The new store's ID, e.g. `cks-1234567890abcdef0`; it starts DISCONNECTED. */
  customKeyStoreId: string;
}

/**
 * Input of UpdateCustomKeyStore: the store and what to change. The CloudHSM fields
 * (`keyStorePassword`, `cloudHsmClusterId`) and the XKS fields (`xksProxy*`) are refused together.
 */
export interface UpdateCustomKeyStoreInput {
  /** The store to change. */
  customKeyStoreId: string;
  /** A new name, unique in the account and region. Any state. */
  newCustomKeyStoreName?: string;
  /** CloudHSM: the new `kmsuser` password (7–32 characters). The store must be DISCONNECTED. Sensitive. */
  keyStorePassword?: string;
  /** CloudHSM: a cluster related to the current one (restored from its backup). DISCONNECTED only. */
  cloudHsmClusterId?: string;
  /** XKS: a new proxy endpoint. DISCONNECTED only. */
  xksProxyUriEndpoint?: string;
  /** XKS: a new proxy API path. Any state. */
  xksProxyUriPath?: string;
  /** XKS: a new VPC endpoint service (VPC connectivity). DISCONNECTED only. */
  xksProxyVpcEndpointServiceName?: string;
  /** XKS: the account that owns the VPC endpoint service. DISCONNECTED only. */
  xksProxyVpcEndpointServiceOwner?: string;
  /** XKS: a new proxy credential (rotation). Any state. */
  xksProxyAuthenticationCredential?: XksProxyAuthenticationCredential;
  /** XKS: new connectivity; `VPC_ENDPOINT_SERVICE` needs a service name. DISCONNECTED only. */
  xksProxyConnectivity?: XksProxyConnectivityType;
}

/** The fields of a CloudHSM key store, in Create and Update. */
export const cloudHsmFields = ['cloudHsmClusterId', 'trustAnchorCertificate', 'keyStorePassword'];
/** The fields of an external key store, in Create and Update. */
export const externalKeyStoreFields = [
  'xksProxyUriEndpoint',
  'xksProxyUriPath',
  'xksProxyAuthenticationCredential',
  'xksProxyConnectivity',
  'xksProxyVpcEndpointServiceName',
  'xksProxyVpcEndpointServiceOwner',
];

const issue = (field: string, message: string): ValidationIssue => ({
  code: 'custom',
  path: [field],
  message,
});

/** Given fields among `fields` (undefined counts as absent). */
function given(input: object, fields: readonly string[]): string[] {
  return fields.filter((field) => (input as Record<string, unknown>)[field] !== undefined);
}

/** The rules of the VPC fields against the connectivity, when it is given. */
function connectivityIssues(input: {
  xksProxyConnectivity?: string | undefined;
  xksProxyVpcEndpointServiceName?: string | undefined;
  xksProxyVpcEndpointServiceOwner?: string | undefined;
}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (input.xksProxyConnectivity === 'VPC_ENDPOINT_SERVICE') {
    if (input.xksProxyVpcEndpointServiceName === undefined) {
      issues.push(
        issue(
          'xksProxyVpcEndpointServiceName',
          'is required with xksProxyConnectivity VPC_ENDPOINT_SERVICE',
        ),
      );
    }
  } else if (input.xksProxyConnectivity === 'PUBLIC_ENDPOINT') {
    for (const field of given(input, [
      'xksProxyVpcEndpointServiceName',
      'xksProxyVpcEndpointServiceOwner',
    ])) {
      issues.push(issue(field, 'is only for xksProxyConnectivity VPC_ENDPOINT_SERVICE'));
    }
  }
  return issues;
}

/** The rules across the fields of Create that KMS documents; each issue names its field. */
export function createInputIssues(input: CreateCustomKeyStoreInput): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const type = input.customKeyStoreType ?? 'AWS_CLOUDHSM';
  const [own, other] =
    type === 'AWS_CLOUDHSM'
      ? [cloudHsmFields, externalKeyStoreFields]
      : [
          externalKeyStoreFields.filter((field) => !field.startsWith('xksProxyVpcEndpoint')),
          cloudHsmFields,
        ];
  for (const field of own) {
    if ((input as unknown as Record<string, unknown>)[field] === undefined) {
      issues.push(issue(field, `is required for customKeyStoreType ${type}`));
    }
  }
  for (const field of given(input, other)) {
    issues.push(issue(field, `is not a field of customKeyStoreType ${type}`));
  }
  if (type === 'EXTERNAL_KEY_STORE') {
    issues.push(...connectivityIssues(input as CreateExternalKeyStoreInput));
  }
  return issues;
}

/** The rules across the fields of Update that KMS documents; each issue names its field. */
export function updateInputIssues(input: UpdateCustomKeyStoreInput): ValidationIssue[] {
  const changes = given(input, updateFields);
  if (changes.length === 0) {
    return [
      {
        code: 'custom',
        path: [],
        message: `give at least one property to change (${updateFields.join(', ')})`,
      },
    ];
  }
  const hsm = given(input, cloudHsmFields);
  const xks = given(input, externalKeyStoreFields);
  const issues: ValidationIssue[] = [];
  if (hsm.length > 0 && xks.length > 0) {
    for (const field of xks) {
      issues.push(
        issue(field, `is a field of an external key store; ${hsm.join(', ')} of a CloudHSM one`),
      );
    }
  }
  issues.push(...connectivityIssues(input));
  return issues;
}

/** The properties Update can change (everything but the ID). */
export const updateFields = [
  'newCustomKeyStoreName',
  'keyStorePassword',
  'cloudHsmClusterId',
  'xksProxyUriEndpoint',
  'xksProxyUriPath',
  'xksProxyVpcEndpointServiceName',
  'xksProxyVpcEndpointServiceOwner',
  'xksProxyAuthenticationCredential',
  'xksProxyConnectivity',
] as const;

/** A property Update can change. */
export type UpdatableProperty = (typeof updateFields)[number];

/** The schema's result, then the rules across fields. */
function withRules<T>(
  parsed: Validation<T>,
  rules: (input: T) => ValidationIssue[],
): Validation<T> {
  if (!parsed.success) return parsed;
  const issues = rules(parsed.data);
  if (issues.length === 0) return parsed;
  return { success: false, issues, error: new Error('input breaks a rule across its fields') };
}

/** The secret values of a Create or Update input. */
function lifecycleSecrets(input: {
  keyStorePassword?: string | undefined;
  xksProxyAuthenticationCredential?: XksProxyAuthenticationCredential | undefined;
}): string[] {
  const secrets: string[] = [];
  if (input.keyStorePassword !== undefined) secrets.push(input.keyStorePassword);
  const credential = input.xksProxyAuthenticationCredential;
  if (credential) secrets.push(credential.accessKeyId, credential.rawSecretAccessKey);
  return secrets;
}

/** The wire body of the fields Create and Update share, in the model's order; absent ones left out. */
function lifecycleBody(input: {
  cloudHsmClusterId?: string | undefined;
  trustAnchorCertificate?: string | undefined;
  keyStorePassword?: string | undefined;
  customKeyStoreType?: string | undefined;
  xksProxyUriEndpoint?: string | undefined;
  xksProxyUriPath?: string | undefined;
  xksProxyVpcEndpointServiceName?: string | undefined;
  xksProxyVpcEndpointServiceOwner?: string | undefined;
  xksProxyAuthenticationCredential?: XksProxyAuthenticationCredential | undefined;
  xksProxyConnectivity?: string | undefined;
}): Record<string, unknown> {
  const credential = input.xksProxyAuthenticationCredential;
  return {
    ...(input.cloudHsmClusterId !== undefined && { CloudHsmClusterId: input.cloudHsmClusterId }),
    ...(input.trustAnchorCertificate !== undefined && {
      TrustAnchorCertificate: input.trustAnchorCertificate,
    }),
    ...(input.keyStorePassword !== undefined && { KeyStorePassword: input.keyStorePassword }),
    ...(input.customKeyStoreType !== undefined && { CustomKeyStoreType: input.customKeyStoreType }),
    ...(input.xksProxyUriEndpoint !== undefined && {
      XksProxyUriEndpoint: input.xksProxyUriEndpoint,
    }),
    ...(input.xksProxyUriPath !== undefined && { XksProxyUriPath: input.xksProxyUriPath }),
    ...(input.xksProxyVpcEndpointServiceName !== undefined && {
      XksProxyVpcEndpointServiceName: input.xksProxyVpcEndpointServiceName,
    }),
    ...(input.xksProxyVpcEndpointServiceOwner !== undefined && {
      XksProxyVpcEndpointServiceOwner: input.xksProxyVpcEndpointServiceOwner,
    }),
    ...(credential !== undefined && {
      XksProxyAuthenticationCredential: {
        AccessKeyId: credential.accessKeyId,
        RawSecretAccessKey: credential.rawSecretAccessKey,
      },
    }),
    ...(input.xksProxyConnectivity !== undefined && {
      XksProxyConnectivity: input.xksProxyConnectivity,
    }),
  };
}

/**
 * CreateCustomKeyStore: creates a CloudHSM or external key store, DISCONNECTED. Validated against
 * the model and KMS's rules across fields before anything is sent.
 */
export const createCustomKeyStore: Operation<
  CreateCustomKeyStoreInput,
  CreateCustomKeyStoreResult
> = {
  name: 'CreateCustomKeyStore',
  validateInput: async (raw) => {
    const { check, createInput } = await schemas();
    return withRules(
      check(createInput, raw) as Validation<CreateCustomKeyStoreInput>,
      createInputIssues,
    );
  },
  toRequestBody: (input) => ({
    CustomKeyStoreName: input.customKeyStoreName,
    ...lifecycleBody(input),
  }),
  parseOutput: (body) => {
    const id = body.CustomKeyStoreId;
    if (!isLength(id, storeIdLength.min, storeIdLength.max)) {
      throw new Error('CustomKeyStoreId: expected a string of 1 to 64 characters');
    }
    return { customKeyStoreId: id };
  },
  sensitiveValues: lifecycleSecrets,
};

/**
 * UpdateCustomKeyStore: changes the properties of a store. Some need the store DISCONNECTED
 * (see `maintenance/`, which disconnects only when needed).
 */
export const updateCustomKeyStore: Operation<UpdateCustomKeyStoreInput, EmptyOutput> = {
  name: 'UpdateCustomKeyStore',
  validateInput: async (raw) => {
    const { check, updateInput } = await schemas();
    return withRules(
      check(updateInput, raw) as Validation<UpdateCustomKeyStoreInput>,
      updateInputIssues,
    );
  },
  toRequestBody: (input) => {
    const { newCustomKeyStoreName, customKeyStoreId, ...rest } = input;
    return {
      CustomKeyStoreId: customKeyStoreId,
      ...(newCustomKeyStoreName !== undefined && { NewCustomKeyStoreName: newCustomKeyStoreName }),
      ...lifecycleBody(rest),
    };
  },
  parseOutput: emptyOutput,
  sensitiveValues: lifecycleSecrets,
};

/** DeleteCustomKeyStore: deletes a DISCONNECTED store that holds no KMS keys. */
export const deleteCustomKeyStore: Operation<CustomKeyStoreIdInput, EmptyOutput> = {
  name: 'DeleteCustomKeyStore',
  ...storeIdCall,
};
