/**
 * KMS operations as data: the target name, the input schema, how the input goes on the wire, how
 * the output is parsed. The request path (`request/send.ts`) runs any of them.
 */
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
const isLength = (value: unknown, min: number, max: number): value is string =>
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
  /** The access key ID part of the proxy authentication credential (the secret is never returned). */
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
  XksProxyConfiguration: ['xksProxyConfiguration', (value) => renameFields(value, xksFields)],
};

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
