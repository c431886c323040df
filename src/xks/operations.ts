/**
 * The four XKS proxy APIs as data: path under the key store's URI path, the JSON body, the input
 * rules checked before anything is sent, the output parser, and the errors the specification
 * lists for each. The client (`client.ts`) runs them all the same way.
 */
import { randomUUID } from 'node:crypto';
import type { ValidationIssue } from '../errors.js';
import { decodeBase64, encodeBase64, verifyCiphertextDataIntegrityValue } from './cdiv.js';
import { type XksErrorName, type XksOperationName, xksErrorNames } from './errors.js';

/**
 * `requestMetadata` of a request: what KMS tells the proxy about the call behind it. Fields the
 * proxy does not know are passed through (KMS adds fields over time).
 */
export interface XksRequestMetadata {
  /** The principal that called KMS (required for the key APIs). */
  awsPrincipalArn?: string;
  /** The VPC of the call, when it came through a VPC endpoint. */
  awsSourceVpc?: string;
  /** The VPC endpoint of the call. */
  awsSourceVpce?: string;
  /** The KMS key (Encrypt, Decrypt). */
  kmsKeyArn?: string;
  /** The KMS API behind the request (`KmsHealthCheck`, `CreateKey`, `Encrypt`, …). */
  kmsOperation: string;
  /** The KMS request ID (opaque to the proxy). */
  kmsRequestId: string;
  /** The AWS service that called KMS for the user. */
  kmsViaService?: string;
  /** Other fields, sent as they are. */
  [field: string]: string | undefined;
}

/** Fields of `requestMetadata` to set; the rest take the defaults of each API. */
export type XksRequestMetadataInput = Partial<XksRequestMetadata>;

/** Input of `getHealthStatus`. */
export interface XksHealthStatusInput {
  /** Default `{ kmsOperation: 'KmsHealthCheck', kmsRequestId: <random UUID> }`. */
  requestMetadata?: XksRequestMetadataInput;
}

/** Input of `getKeyMetadata`. */
export interface XksKeyMetadataInput {
  /** Default `kmsOperation: 'CreateKey'`, a random `kmsRequestId` and an example principal. */
  requestMetadata?: XksRequestMetadataInput;
}

/** Input of `encrypt`. */
export interface XksEncryptInput {
  /** The data to encrypt (the specification requires proxies to take up to 4,300 bytes). */
  plaintext: Uint8Array;
  /** AAD (up to 8,192 bytes must be accepted). */
  additionalAuthenticatedData?: Uint8Array;
  /** Ask for a CDIV; the client then verifies it. */
  ciphertextDataIntegrityValueAlgorithm?: 'SHA_256';
  /** Always `AES_GCM` in version 1 (the default). */
  encryptionAlgorithm?: 'AES_GCM';
  /** Default `kmsOperation: 'Encrypt'`, a random `kmsRequestId`, an example principal and key. */
  requestMetadata?: XksRequestMetadataInput;
}

/** Input of `decrypt`: the parts of an encrypt answer. */
export interface XksDecryptInput {
  ciphertext: Uint8Array;
  initializationVector: Uint8Array;
  authenticationTag: Uint8Array;
  /** The `ciphertextMetadata` of the encrypt answer, if it had one. */
  ciphertextMetadata?: Uint8Array;
  /** The AAD given to encrypt. */
  additionalAuthenticatedData?: Uint8Array;
  /** Always `AES_GCM` in version 1 (the default). */
  encryptionAlgorithm?: 'AES_GCM';
  /** Default `kmsOperation: 'Decrypt'`, a random `kmsRequestId`, an example principal and key. */
  requestMetadata?: XksRequestMetadataInput;
}

/** Health of one external key manager. */
export type EkmHealthStatus = 'ACTIVE' | 'DEGRADED' | 'UNAVAILABLE';

/** The answer of GetHealthStatus. */
export interface XksHealthStatus {
  /** Proxies in the fleet (an integer above 0). */
  xksProxyFleetSize: number;
  xksProxyVendor: string;
  xksProxyModel: string;
  ekmVendor: string;
  /** One to ten external key managers. */
  ekmFleetDetails: { id: string; model: string; healthStatus: EkmHealthStatus }[];
}

/** The answer of GetKeyMetadata, as the proxy sent it (KMS's own rules are the checker's). */
export interface XksKeyMetadata {
  /** `AES_256` for a key KMS can use. */
  keySpec: string;
  /** Up to ten usages; KMS needs `ENCRYPT` and `DECRYPT`. */
  keyUsage: string[];
  /** `ENABLED` or `DISABLED`. */
  keyStatus: string;
}

/** The answer of Encrypt, decoded. */
export interface XksEncryptOutput {
  ciphertext: Uint8Array;
  /** 12 or 16 bytes. */
  initializationVector: Uint8Array;
  /** 16 bytes. */
  authenticationTag: Uint8Array;
  /** Up to 20 bytes, when the proxy sent some. */
  ciphertextMetadata?: Uint8Array;
  /** The CDIV (Base64) when one was asked for; the client has checked it. */
  ciphertextDataIntegrityValue?: string;
}

/** The answer of Decrypt. */
export interface XksDecryptOutput {
  plaintext: Uint8Array;
}

/** What an operation needs to know of the client. */
export interface XksOperationContext {
  /** The key store's region (for the default example `kmsKeyArn`). */
  region: string;
}

/** One XKS API, declared. */
export interface XksOperation<Input, Output> {
  readonly name: XksOperationName;
  /** Whether it works on one key (`/keys/{externalKeyId}/…`). */
  readonly keyed: boolean;
  /** The path after the key store's URI path: `/health`, or the last segment under the key. */
  readonly suffix: string;
  /** Problems with the input, found before anything is sent. */
  validate(input: Input): ValidationIssue[];
  /** The JSON body. */
  body(input: Input, context: XksOperationContext): Record<string, unknown>;
  /** The output of a 200 answer's JSON, or a description of what is wrong with it. */
  parse(json: unknown, input: Input): Output | { malformed: string; reason?: 'cdiv-mismatch' };
  /** The `errorName` values the specification lists for this API. */
  readonly errors: readonly XksErrorName[];
}

/** Pattern of an external key ID: 1 to 128 of A-Z, a-z, 0-9, `-`, `.`, `_`. */
export const externalKeyIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** Example principal and key for request metadata the caller did not give. */
const examplePrincipal = 'arn:aws:iam::111122223333:role/kms-cks-xks-client';
const exampleKey = (region: string) =>
  `arn:aws:kms:${region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function metadata(
  given: XksRequestMetadataInput | undefined,
  defaults: Record<string, string>,
): Record<string, string> {
  const merged: Record<string, string> = { ...defaults, kmsRequestId: randomUUID() };
  for (const [name, value] of Object.entries(given ?? {})) {
    if (typeof value === 'string') merged[name] = value;
  }
  return merged;
}

function bytesIssue(
  value: unknown,
  path: string,
  required: boolean,
  sizes?: { min?: number; max?: number; exactly?: readonly number[] },
): ValidationIssue[] {
  if (value === undefined && !required) return [];
  if (!(value instanceof Uint8Array)) {
    return [{ path: [path], code: 'invalid_type', message: 'must be a Uint8Array (or Buffer)' }];
  }
  if (sizes?.exactly && !sizes.exactly.includes(value.length)) {
    return [
      {
        path: [path],
        code: 'invalid_value',
        message: `must be ${sizes.exactly.join(' or ')} bytes long, not ${value.length}`,
      },
    ];
  }
  if (sizes?.max !== undefined && value.length > sizes.max) {
    return [{ path: [path], code: 'too_big', message: `must be at most ${sizes.max} bytes` }];
  }
  return [];
}

function metadataIssues(given: unknown): ValidationIssue[] {
  if (given === undefined) return [];
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    return [{ path: ['requestMetadata'], code: 'invalid_type', message: 'must be an object' }];
  }
  const issues: ValidationIssue[] = [];
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && typeof value !== 'string') {
      issues.push({
        path: ['requestMetadata', name],
        code: 'invalid_type',
        message: 'must be a string',
      });
    }
  }
  return issues;
}

function algorithmIssues(input: { encryptionAlgorithm?: unknown }): ValidationIssue[] {
  return input.encryptionAlgorithm === undefined || input.encryptionAlgorithm === 'AES_GCM'
    ? []
    : [{ path: ['encryptionAlgorithm'], code: 'invalid_value', message: "must be 'AES_GCM'" }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ekmStatuses: ReadonlySet<string> = new Set(['ACTIVE', 'DEGRADED', 'UNAVAILABLE']);

/** GetHealthStatus: `POST {uriPath}/health`. */
export const getHealthStatus: XksOperation<XksHealthStatusInput, XksHealthStatus> = {
  name: 'GetHealthStatus',
  keyed: false,
  suffix: '/health',
  validate: (input) => metadataIssues(input.requestMetadata),
  body: (input) => ({
    requestMetadata: metadata(input.requestMetadata, { kmsOperation: 'KmsHealthCheck' }),
  }),
  parse(json) {
    if (!isRecord(json)) return { malformed: 'the body is not a JSON object' };
    const size = json.xksProxyFleetSize;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
      return {
        malformed: `xksProxyFleetSize must be an integer above 0, got ${JSON.stringify(size)}`,
      };
    }
    for (const field of ['xksProxyVendor', 'xksProxyModel', 'ekmVendor'] as const) {
      if (typeof json[field] !== 'string')
        return { malformed: `${field} is missing or not a string` };
    }
    const fleet = json.ekmFleetDetails;
    if (!Array.isArray(fleet) || fleet.length < 1 || fleet.length > 10) {
      return { malformed: 'ekmFleetDetails must be an array of 1 to 10 entries' };
    }
    const details: XksHealthStatus['ekmFleetDetails'] = [];
    for (const [index, entry] of fleet.entries()) {
      if (
        !isRecord(entry) ||
        typeof entry.id !== 'string' ||
        typeof entry.model !== 'string' ||
        typeof entry.healthStatus !== 'string' ||
        !ekmStatuses.has(entry.healthStatus)
      ) {
        return {
          malformed: `ekmFleetDetails[${index}] needs string id and model and a healthStatus of ACTIVE, DEGRADED or UNAVAILABLE`,
        };
      }
      details.push({
        id: entry.id,
        model: entry.model,
        healthStatus: entry.healthStatus as EkmHealthStatus,
      });
    }
    return {
      xksProxyFleetSize: size,
      xksProxyVendor: json.xksProxyVendor as string,
      xksProxyModel: json.xksProxyModel as string,
      ekmVendor: json.ekmVendor as string,
      ekmFleetDetails: details,
    };
  },
  errors: xksErrorNames.filter(
    (name) =>
      !['ValidationException', 'AccessDeniedException', 'KeyNotFoundException'].includes(name) &&
      !['InvalidCiphertextException', 'InvalidKeyUsageException'].includes(name),
  ),
};

/** GetKeyMetadata: `POST {uriPath}/keys/{externalKeyId}/metadata`. */
export const getKeyMetadata: XksOperation<XksKeyMetadataInput, XksKeyMetadata> = {
  name: 'GetKeyMetadata',
  keyed: true,
  suffix: '/metadata',
  validate: (input) => metadataIssues(input.requestMetadata),
  body: (input) => ({
    requestMetadata: metadata(input.requestMetadata, {
      awsPrincipalArn: examplePrincipal,
      kmsOperation: 'CreateKey',
    }),
  }),
  parse(json) {
    if (!isRecord(json)) return { malformed: 'the body is not a JSON object' };
    if (typeof json.keySpec !== 'string')
      return { malformed: 'keySpec is missing or not a string' };
    const usage = json.keyUsage;
    if (
      !Array.isArray(usage) ||
      usage.length > 10 ||
      !usage.every((item) => typeof item === 'string')
    ) {
      return { malformed: 'keyUsage must be an array of at most 10 strings' };
    }
    if (typeof json.keyStatus !== 'string')
      return { malformed: 'keyStatus is missing or not a string' };
    return { keySpec: json.keySpec, keyUsage: [...usage] as string[], keyStatus: json.keyStatus };
  },
  errors: xksErrorNames.filter(
    (name) => !['InvalidCiphertextException', 'InvalidKeyUsageException'].includes(name),
  ),
};

/** Encrypt: `POST {uriPath}/keys/{externalKeyId}/encrypt`. */
export const encrypt: XksOperation<XksEncryptInput, XksEncryptOutput> = {
  name: 'Encrypt',
  keyed: true,
  suffix: '/encrypt',
  validate: (input) => [
    ...metadataIssues(input.requestMetadata),
    ...bytesIssue(input.plaintext, 'plaintext', true),
    ...bytesIssue(input.additionalAuthenticatedData, 'additionalAuthenticatedData', false),
    ...algorithmIssues(input),
    ...(input.ciphertextDataIntegrityValueAlgorithm === undefined ||
    input.ciphertextDataIntegrityValueAlgorithm === 'SHA_256'
      ? []
      : [
          {
            path: ['ciphertextDataIntegrityValueAlgorithm'],
            code: 'invalid_value',
            message: "must be 'SHA_256'",
          },
        ]),
  ],
  body(input, context) {
    const body: Record<string, unknown> = {
      requestMetadata: metadata(input.requestMetadata, {
        awsPrincipalArn: examplePrincipal,
        kmsKeyArn: exampleKey(context.region),
        kmsOperation: 'Encrypt',
      }),
    };
    if (input.additionalAuthenticatedData !== undefined) {
      body.additionalAuthenticatedData = encodeBase64(input.additionalAuthenticatedData);
    }
    body.plaintext = encodeBase64(input.plaintext);
    body.encryptionAlgorithm = input.encryptionAlgorithm ?? 'AES_GCM';
    if (input.ciphertextDataIntegrityValueAlgorithm !== undefined) {
      body.ciphertextDataIntegrityValueAlgorithm = input.ciphertextDataIntegrityValueAlgorithm;
    }
    return body;
  },
  parse(json, input) {
    if (!isRecord(json)) return { malformed: 'the body is not a JSON object' };
    const ciphertext = decodeBase64(json.ciphertext);
    const initializationVector = decodeBase64(json.initializationVector);
    const authenticationTag = decodeBase64(json.authenticationTag);
    if (!ciphertext || !initializationVector || !authenticationTag) {
      return {
        malformed:
          'ciphertext, initializationVector and authenticationTag must be present, in standard Base64',
      };
    }
    if (ciphertext.length !== input.plaintext.length) {
      return {
        malformed: `ciphertext is ${ciphertext.length} bytes for ${input.plaintext.length} bytes of plaintext (AES-GCM keeps the length)`,
      };
    }
    if (initializationVector.length !== 12 && initializationVector.length !== 16) {
      return {
        malformed: `initializationVector is ${initializationVector.length} bytes, not 12 or 16`,
      };
    }
    if (authenticationTag.length !== 16) {
      return { malformed: `authenticationTag is ${authenticationTag.length} bytes, not 16` };
    }
    const output: XksEncryptOutput = { ciphertext, initializationVector, authenticationTag };
    if (json.ciphertextMetadata !== undefined) {
      const ciphertextMetadata = decodeBase64(json.ciphertextMetadata);
      if (!ciphertextMetadata || ciphertextMetadata.length > 20) {
        return { malformed: 'ciphertextMetadata must be standard Base64 of at most 20 bytes' };
      }
      output.ciphertextMetadata = ciphertextMetadata;
    }
    if (input.ciphertextDataIntegrityValueAlgorithm !== undefined) {
      const value = json.ciphertextDataIntegrityValue;
      if (typeof value !== 'string') {
        return {
          malformed: 'ciphertextDataIntegrityValue was asked for and is missing',
          reason: 'cdiv-mismatch',
        };
      }
      const fields = { ...output, additionalAuthenticatedData: input.additionalAuthenticatedData };
      if (!verifyCiphertextDataIntegrityValue(fields, value)) {
        return {
          malformed:
            'ciphertextDataIntegrityValue does not match the answer (SHA-256 of AAD, metadata, IV, ciphertext, tag)',
          reason: 'cdiv-mismatch',
        };
      }
      output.ciphertextDataIntegrityValue = value;
    }
    return output;
  },
  errors: xksErrorNames.filter((name) => name !== 'InvalidCiphertextException'),
};

/** Decrypt: `POST {uriPath}/keys/{externalKeyId}/decrypt`. */
export const decrypt: XksOperation<XksDecryptInput, XksDecryptOutput> = {
  name: 'Decrypt',
  keyed: true,
  suffix: '/decrypt',
  validate: (input) => [
    ...metadataIssues(input.requestMetadata),
    ...bytesIssue(input.ciphertext, 'ciphertext', true),
    ...bytesIssue(input.initializationVector, 'initializationVector', true),
    ...bytesIssue(input.authenticationTag, 'authenticationTag', true),
    ...bytesIssue(input.ciphertextMetadata, 'ciphertextMetadata', false, { max: 20 }),
    ...bytesIssue(input.additionalAuthenticatedData, 'additionalAuthenticatedData', false),
    ...algorithmIssues(input),
  ],
  body(input, context) {
    const body: Record<string, unknown> = {
      requestMetadata: metadata(input.requestMetadata, {
        awsPrincipalArn: examplePrincipal,
        kmsKeyArn: exampleKey(context.region),
        kmsOperation: 'Decrypt',
      }),
    };
    if (input.additionalAuthenticatedData !== undefined) {
      body.additionalAuthenticatedData = encodeBase64(input.additionalAuthenticatedData);
    }
    body.encryptionAlgorithm = input.encryptionAlgorithm ?? 'AES_GCM';
    body.ciphertext = encodeBase64(input.ciphertext);
    if (input.ciphertextMetadata !== undefined) {
      body.ciphertextMetadata = encodeBase64(input.ciphertextMetadata);
    }
    body.initializationVector = encodeBase64(input.initializationVector);
    body.authenticationTag = encodeBase64(input.authenticationTag);
    return body;
  },
  parse(json, input) {
    if (!isRecord(json)) return { malformed: 'the body is not a JSON object' };
    const plaintext = decodeBase64(json.plaintext);
    if (!plaintext) return { malformed: 'plaintext must be present, in standard Base64' };
    if (plaintext.length !== input.ciphertext.length) {
      return {
        malformed: `plaintext is ${plaintext.length} bytes for ${input.ciphertext.length} bytes of ciphertext`,
      };
    }
    return { plaintext };
  },
  errors: xksErrorNames,
};
