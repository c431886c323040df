/**
 * DescribeCustomKeyStores without zod: the quick input check and the hand-written check of a page
 * must agree with the zod schemas (never accept what they refuse, give what they give), so that
 * listing stores (the CLI's `describe`) loads no zod and behaves the same.
 */
import { describe, expect, it } from 'vitest';
import { describeCustomKeyStores } from '../../src/operations/operations.js';
import { check, describeInput, describeOutput } from '../../src/operations/schemas.js';

const inputs: unknown[] = [
  {},
  { marker: undefined },
  { customKeyStoreId: 'cks-1' },
  { customKeyStoreId: '' },
  { customKeyStoreId: 'x'.repeat(65) },
  { customKeyStoreName: 'n'.repeat(256) },
  { customKeyStoreName: 'n'.repeat(257) },
  { customKeyStoreId: 'cks-1', customKeyStoreName: 'n' },
  { customKeyStoreId: 'cks-1', customKeyStoreName: undefined },
  { limit: 1 },
  { limit: 1000 },
  { limit: 1001 },
  { limit: 0 },
  { limit: 1.5 },
  { limit: '10' },
  { marker: 'abc' },
  { marker: '' },
  { marker: 'é' },
  { marker: '€' },
  { marker: 'm'.repeat(1025) },
  { extra: 1 },
  { customKeyStoreId: null },
  [],
  null,
  'cks-1',
  new (class Input {
    limit = 5;
  })(),
];

const entry = {
  CustomKeyStoreId: 'cks-1',
  ConnectionState: 'CONNECTED',
  CustomKeyStoreName: 'n',
  CreationDate: 1.7e9,
};
const bodies: unknown[] = [
  {},
  { CustomKeyStores: null },
  { CustomKeyStores: [] },
  { CustomKeyStores: [entry], Truncated: false },
  { CustomKeyStores: [entry], Truncated: true, NextMarker: 'm' },
  { CustomKeyStores: [entry], Truncated: true },
  { CustomKeyStores: [entry], Truncated: true, NextMarker: '' },
  { CustomKeyStores: [entry], Truncated: 'yes' },
  { CustomKeyStores: [entry], NextMarker: 5 },
  { CustomKeyStores: [{ ...entry, CustomKeyStoreId: '' }] },
  { CustomKeyStores: [{ ...entry, ConnectionState: undefined }] },
  { CustomKeyStores: [{ ...entry, ConnectionState: '' }] },
  { CustomKeyStores: [{ ...entry, ConnectionState: 5 }] },
  { CustomKeyStores: [{ ...entry, CustomKeyStoreId: undefined }] },
  { CustomKeyStores: [{ ...entry, CustomKeyStoreId: null }] },
  { CustomKeyStores: [{ ...entry, CustomKeyStoreId: 7 }] },
  { CustomKeyStores: [{}] },
  { CustomKeyStores: [{ ...entry, ConnectionState: 'NEW_STATE', Extra: { a: 1 } }] },
  { CustomKeyStores: [{ ...entry, CreationDate: '2024-01-01' }] },
  { CustomKeyStores: [{ ...entry, CreationDate: 8.64e12 }] },
  { CustomKeyStores: [{ ...entry, CreationDate: 1e300 }] },
  { CustomKeyStores: [{ ...entry, CreationDate: -8.7e12 }] },
  { CustomKeyStores: [{ ...entry, CreationDate: Number.NaN }] },
  { CustomKeyStores: [{ ...entry, CreationDate: null, CustomKeyStoreType: null }] },
  { CustomKeyStores: [{ ...entry, ConnectionErrorCode: 7 }] },
  { CustomKeyStores: [{ ...entry, XksProxyConfiguration: { UriPath: '/p', Other: 1 } }] },
  { CustomKeyStores: [{ ...entry, XksProxyConfiguration: { UriPath: 1 } }] },
  { CustomKeyStores: [{ ...entry, XksProxyConfiguration: [] }] },
  { CustomKeyStores: [{ ...entry, XksProxyConfiguration: null }] },
  { CustomKeyStores: [entry, 'x'] },
  { CustomKeyStores: {} },
  [],
];

describe('DescribeCustomKeyStores without zod', () => {
  it('the quick input check accepts only what the schema accepts, and gives the same result', () => {
    let accepted = 0;
    for (const input of inputs) {
      const quick = describeCustomKeyStores.quickInput?.(input);
      if (quick === undefined) continue;
      accepted++;
      const parsed = check(describeInput, input);
      expect(parsed.success, JSON.stringify(input)).toBe(true);
      expect(quick).toEqual(parsed.success && parsed.data);
    }
    expect(accepted).toBeGreaterThanOrEqual(8);
  });

  it('a page is accepted by hand exactly when the schema accepts it, with the same result', async () => {
    for (const body of bodies) {
      const parsed = check(describeOutput, body);
      const result = Promise.resolve()
        .then(() => describeCustomKeyStores.parseOutput(body as Record<string, unknown>))
        .then((output) => ({ ok: true as const, output }))
        .catch((error: unknown) => ({ ok: false as const, error }));
      const outcome = await result;
      expect(outcome.ok, JSON.stringify(body)).toBe(parsed.success);
    }
  });
});
