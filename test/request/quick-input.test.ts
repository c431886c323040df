/**
 * The quick input check that spares loading zod must never accept what the zod schema refuses,
 * and must give what the schema gives; what it does not recognize goes to the schema.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  connectCustomKeyStore,
  disconnectCustomKeyStore,
} from '../../src/operations/operations.js';

const inputs: unknown[] = [
  { customKeyStoreId: 'cks-1234567890abcdef0' },
  { customKeyStoreId: 'x' },
  { customKeyStoreId: 'x'.repeat(64) },
  { customKeyStoreId: '🔑'.repeat(32) },
  { customKeyStoreId: '🔑'.repeat(33) },
  { customKeyStoreId: 'x'.repeat(65) },
  { customKeyStoreId: '' },
  { customKeyStoreId: 42 },
  { customKeyStoreId: null },
  { customKeyStoreId: undefined },
  { customKeyStoreId: ['cks-1'] },
  { customKeyStoreId: 'cks-1', extra: true },
  { customKeyStoreId: 'cks-1', customKeyStoreName: 'name' },
  {},
  Object.assign(Object.create(null), { customKeyStoreId: 'cks-1' }),
  new (class Input {
    customKeyStoreId = 'cks-1';
  })(),
  Object.defineProperty({ customKeyStoreId: 'cks-1' }, 'hidden', { value: 1, enumerable: false }),
  ['cks-1'],
  'cks-1',
  null,
  undefined,
  42,
];

describe('quick input check', () => {
  for (const operation of [disconnectCustomKeyStore, connectCustomKeyStore]) {
    it(`${operation.name}: accepts only what the schema accepts, and gives the same result`, async () => {
      let accepted = 0;
      for (const input of inputs) {
        const quick = operation.quickInput?.(input);
        if (quick === undefined) continue;
        accepted++;
        const parsed = await operation.validateInput(input);
        expect(parsed.success, JSON.stringify(input)).toBe(true);
        expect(quick).toEqual(parsed.success && parsed.data);
      }
      // The common inputs take the quick path.
      expect(accepted).toBeGreaterThanOrEqual(4);
      expect(operation.quickInput?.({ customKeyStoreId: 'cks-1234567890abcdef0' })).toEqual({
        customKeyStoreId: 'cks-1234567890abcdef0',
      });
    });
  }
});

describe('validation messages without the zod package loaded', () => {
  it('are the English messages zod gives', () => {
    const root = new URL('../..', import.meta.url).pathname;
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/validation-messages.ts'],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(JSON.parse(output)).toEqual([
      ['Too big: expected string to have <=64 characters'],
      ['Invalid input: expected string, received number'],
      ['Unrecognized key: "extra"'],
      ['Invalid input: expected int, received number'],
      ['give customKeyStoreId or customKeyStoreName, not both'],
    ]);
  }, 60_000);
});
