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
