/**
 * One validation contract: each zod schema is tied to the TypeScript interface it checks (at the
 * type level: `tsc` fails when one drifts), the waiter's option keys match its interfaces, and the
 * hand-written store-ID check never accepts what the schema refuses.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type {
  CustomKeyStoreIdInput,
  DescribeCustomKeyStoresInput,
} from '../../src/operations/operations.js';
import { disconnectCustomKeyStore } from '../../src/operations/operations.js';
import { check, customKeyStoreIdInput, type describeInput } from '../../src/operations/schemas.js';
import { waiterCall } from '../../src/waiter/schemas.js';
import type { EnsureConnectedOptions, EnsureDisconnectedOptions } from '../../src/waiter/types.js';

type WaiterOptionKeys = keyof (EnsureConnectedOptions & EnsureDisconnectedOptions);

describe('schemas and interfaces', () => {
  it('the input schemas give exactly the input interfaces', () => {
    expectTypeOf<z.infer<typeof customKeyStoreIdInput>>().toEqualTypeOf<CustomKeyStoreIdInput>();
    expectTypeOf<z.infer<typeof describeInput>>().toEqualTypeOf<DescribeCustomKeyStoresInput>();
  });

  it('the waiter options schema has exactly the keys of the waiter option interfaces', () => {
    type SchemaKeys = keyof z.infer<typeof waiterCall>['options'];
    expectTypeOf<SchemaKeys>().toEqualTypeOf<WaiterOptionKeys>();
    // At run time too: a key added to the interfaces but not to the schema would be stripped.
    const keys: Record<WaiterOptionKeys, true> = {
      timeoutMs: true,
      pollIntervalMs: true,
      maxPollIntervalMs: true,
      signal: true,
      onPoll: true,
      wait: true,
      resetFailed: true,
    };
    expect(Object.keys(waiterCall.shape.options.shape).sort()).toEqual(Object.keys(keys).sort());
  });
});

describe('the quick store-ID check (Disconnect, Connect) against the schema', () => {
  const inputs: unknown[] = [
    { customKeyStoreId: 'cks-1234567890abcdef0' },
    { customKeyStoreId: 'x' },
    { customKeyStoreId: 'x'.repeat(64) },
    { customKeyStoreId: 'x'.repeat(65) },
    { customKeyStoreId: '' },
    { customKeyStoreId: 5 },
    { customKeyStoreId: null },
    { customKeyStoreId: undefined },
    { customKeyStoreId: 'cks-1', extra: 1 },
    {},
    Object.assign(Object.create(null), { customKeyStoreId: 'cks-1' }),
    new (class Input {
      customKeyStoreId = 'cks-1';
    })(),
    [],
    null,
    'cks-1',
  ];

  it('accepts only what the schema accepts, with the same result', () => {
    let accepted = 0;
    for (const input of inputs) {
      const quick = disconnectCustomKeyStore.quickInput?.(input);
      if (quick === undefined) continue;
      accepted++;
      const parsed = check(customKeyStoreIdInput, input);
      expect(parsed.success, String(JSON.stringify(input))).toBe(true);
      expect(quick).toEqual(parsed.success && parsed.data);
    }
    expect(accepted).toBe(4);
  });

  it('refuses by hand what the schema refuses', () => {
    for (const input of inputs) {
      if (check(customKeyStoreIdInput, input).success) continue;
      expect(disconnectCustomKeyStore.quickInput?.(input), String(JSON.stringify(input))).toBe(
        undefined,
      );
    }
  });
});
