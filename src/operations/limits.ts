/**
 * The limits of the KMS model that both the zod schemas (`schemas.ts`) and the hand-written fast
 * paths (`operations.ts`) check, so the two cannot disagree on a number
 * (test/request/quick-describe.test.ts and validation-contract.test.ts compare them on inputs).
 */

/** Length of a custom key store ID, e.g. `cks-1234567890abcdef0`. */
export const storeIdLength = { min: 1, max: 64 } as const;
/** Length of a custom key store name. */
export const storeNameLength = { min: 1, max: 256 } as const;
/** Entries per Describe page. */
export const pageLimit = { min: 1, max: 1000 } as const;
/** Length of a pagination marker. */
export const markerLength = { min: 1, max: 1024 } as const;
/** Characters a marker may contain (U+0020 to U+00FF). */
export const markerPattern = /^[\u0020-\u00FF]*$/;
/** The largest epoch second a Date can represent (ECMAScript's ±8.64e15 ms). */
export const maxDateSeconds = 8.64e12;

/**
 * Patterns of the KMS model, as the model writes them (test/lifecycle/model.test.ts compares
 * them with the model). KMS matches the whole value: {@link wholeMatch} anchors them.
 */
export const modelPatterns = {
  cloudHsmClusterId: 'cluster-[2-7a-zA-Z]{11,16}',
  xksProxyUriEndpoint: '^https://[a-zA-Z0-9.-]+$',
  xksProxyUriPath: '^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$',
  xksProxyVpcEndpointServiceName:
    '^(com|eu)\\.amazonaws\\.vpce\\.([a-z]+-){2,3}\\d+\\.vpce-svc-[0-9a-z]+$',
  accountId: '[0-9]{12}',
  xksProxyAccessKeyId: '^[A-Z2-7]+$',
  xksProxyRawSecretAccessKey: '^[a-zA-Z0-9\\/+=]+$',
} as const;

/** A model pattern as a RegExp that must match the whole value. */
export const wholeMatch = (source: string): RegExp => new RegExp(`^(?:${source})$`);

/** Lengths of the lifecycle fields, as the KMS model gives them. */
export const fieldLengths = {
  customKeyStoreName: storeNameLength,
  cloudHsmClusterId: { min: 19, max: 24 },
  trustAnchorCertificate: { min: 1, max: 5000 },
  keyStorePassword: { min: 7, max: 32 },
  xksProxyUriEndpoint: { min: 10, max: 128 },
  xksProxyUriPath: { min: 10, max: 128 },
  xksProxyVpcEndpointServiceName: { min: 20, max: 64 },
  accountId: { min: 12, max: 12 },
  xksProxyAccessKeyId: { min: 20, max: 30 },
  xksProxyRawSecretAccessKey: { min: 43, max: 64 },
} as const;

/** `CustomKeyStoreType` values. */
export const customKeyStoreTypes = ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
/** `XksProxyConnectivityType` values. */
export const xksProxyConnectivityTypes = ['PUBLIC_ENDPOINT', 'VPC_ENDPOINT_SERVICE'] as const;
