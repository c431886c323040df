/**
 * The zod schemas of the operations, in `zod/mini`. Only ever imported dynamically, on first use:
 * see `zod-check.ts`.
 */
import * as z from 'zod/mini';

import {
  customKeyStoreTypes,
  fieldLengths,
  markerLength,
  markerPattern,
  maxDateSeconds,
  modelPatterns,
  pageLimit,
  storeIdLength,
  storeNameLength,
  wholeMatch,
  xksProxyConnectivityTypes,
} from './limits.js';

export { check } from '../zod-check.js';

/** A custom key store ID as KMS models it: 1 to 64 characters, e.g. `cks-1234567890abcdef0`. */
const customKeyStoreId = z
  .string()
  .check(z.minLength(storeIdLength.min), z.maxLength(storeIdLength.max));

export const customKeyStoreIdInput = z.strictObject({ customKeyStoreId });

export const describeInput = z
  .strictObject({
    customKeyStoreId: z.optional(customKeyStoreId),
    customKeyStoreName: z.optional(
      z.string().check(z.minLength(storeNameLength.min), z.maxLength(storeNameLength.max)),
    ),
    limit: z.optional(
      z.number().check(z.int(), z.minimum(pageLimit.min), z.maximum(pageLimit.max)),
    ),
    marker: z.optional(
      z
        .string()
        .check(
          z.minLength(markerLength.min),
          z.maxLength(markerLength.max),
          z.regex(markerPattern, 'must contain only characters U+0020 to U+00FF'),
        ),
    ),
  })
  .check(
    z.refine(
      (input) => input.customKeyStoreId === undefined || input.customKeyStoreName === undefined,
      {
        message: 'give customKeyStoreId or customKeyStoreName, not both',
        path: ['customKeyStoreName'],
      },
    ),
  );

/** Absent and `null` both mean "not sent". */
const optionalString = z.nullish(z.string());

const wireXksProxyConfiguration = z.looseObject({
  Connectivity: optionalString,
  AccessKeyId: optionalString,
  UriEndpoint: optionalString,
  UriPath: optionalString,
  VpcEndpointServiceName: optionalString,
  VpcEndpointServiceOwner: optionalString,
});

/**
 * One Describe entry. The KMS model requires none of its members, and the AWS SDK returns an
 * entry without an ID or a state, or with an empty state, as it came: so do we. Only a member of
 * the wrong type is refused.
 */
const wireEntry = z.looseObject({
  CustomKeyStoreId: optionalString,
  CustomKeyStoreName: optionalString,
  CustomKeyStoreType: optionalString,
  ConnectionState: optionalString,
  ConnectionErrorCode: optionalString,
  // Epoch seconds, possibly fractional, as the JSON 1.1 protocol sends timestamps (finite:
  // zod refuses Infinity and NaN for any number), within what a Date can hold (±8.64e15 ms):
  // past that the result would be an Invalid Date.
  CreationDate: z.nullish(
    z
      .number()
      .check(
        z.minimum(-maxDateSeconds, 'a timestamp before what a JavaScript Date can hold'),
        z.maximum(maxDateSeconds, 'a timestamp after what a JavaScript Date can hold'),
      ),
  ),
  CloudHsmClusterId: optionalString,
  TrustAnchorCertificate: optionalString,
  XksProxyConfiguration: z.nullish(wireXksProxyConfiguration),
});

/**
 * A Describe page. `Truncated: true` without a `NextMarker` is accepted, as the model allows it:
 * the page is returned as it came, and the paginator ends there (see `paginateCustomKeyStores`).
 */
export const describeOutput = z.looseObject({
  CustomKeyStores: z.nullish(z.array(wireEntry)),
  NextMarker: optionalString,
  Truncated: z.nullish(z.boolean()),
});

/** A string field of the lifecycle operations: its model length, and its model pattern if any. */
function modelString(field: keyof typeof fieldLengths, pattern?: keyof typeof modelPatterns) {
  const { min, max } = fieldLengths[field];
  const length = z.string().check(z.minLength(min), z.maxLength(max));
  // The message names the pattern, never the value (some of these fields are secret).
  return pattern === undefined
    ? length
    : length.check(
        z.regex(
          wholeMatch(modelPatterns[pattern]),
          `must match the pattern ${modelPatterns[pattern]}`,
        ),
      );
}

/** The XKS proxy authentication credential: both halves, always. */
const xksProxyAuthenticationCredential = z.strictObject({
  accessKeyId: modelString('xksProxyAccessKeyId', 'xksProxyAccessKeyId'),
  rawSecretAccessKey: modelString('xksProxyRawSecretAccessKey', 'xksProxyRawSecretAccessKey'),
});

/** The fields Create and Update share, each as the model constrains it. */
const lifecycleFields = {
  keyStorePassword: z.optional(modelString('keyStorePassword')),
  cloudHsmClusterId: z.optional(modelString('cloudHsmClusterId', 'cloudHsmClusterId')),
  xksProxyUriEndpoint: z.optional(modelString('xksProxyUriEndpoint', 'xksProxyUriEndpoint')),
  xksProxyUriPath: z.optional(modelString('xksProxyUriPath', 'xksProxyUriPath')),
  xksProxyVpcEndpointServiceName: z.optional(
    modelString('xksProxyVpcEndpointServiceName', 'xksProxyVpcEndpointServiceName'),
  ),
  xksProxyVpcEndpointServiceOwner: z.optional(modelString('accountId', 'accountId')),
  xksProxyAuthenticationCredential: z.optional(xksProxyAuthenticationCredential),
  xksProxyConnectivity: z.optional(z.enum(xksProxyConnectivityTypes)),
};

/** CreateCustomKeyStore: field by field; the rules across fields are in `operations.ts`. */
export const createInput = z.strictObject({
  customKeyStoreName: modelString('customKeyStoreName'),
  customKeyStoreType: z.optional(z.enum(customKeyStoreTypes)),
  trustAnchorCertificate: z.optional(modelString('trustAnchorCertificate')),
  ...lifecycleFields,
});

/** UpdateCustomKeyStore: field by field; the rules across fields are in `operations.ts`. */
export const updateInput = z.strictObject({
  customKeyStoreId,
  newCustomKeyStoreName: z.optional(modelString('customKeyStoreName')),
  ...lifecycleFields,
});
