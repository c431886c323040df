/**
 * The waiter's arguments are checked without zod when they are surely valid (the first
 * `ensureDisconnected` of a kill switch must not wait tens of ms for zod to load). For every input
 * below, the result must be the schema's own: the same options when the schema accepts, the same
 * KmsValidationError issues when it refuses.
 */
import { describe, expect, it } from 'vitest';
import { KmsValidationError } from '../../src/errors.js';
import { check, waiterCall } from '../../src/waiter/schemas.js';
import { validate } from '../../src/waiter/wait.js';

const signal = new AbortController().signal;
const onPoll = () => {};
const hidden = Object.defineProperty({}, 'wait', { value: true, enumerable: false });
const inherited = Object.create({ wait: true }) as object;

const cases: [string, unknown, unknown, unknown][] = [
  ['no options', 'cks-1234567890abcdef0', undefined, undefined],
  ['null options', 'cks-1234567890abcdef0', null, undefined],
  [
    'every option',
    'cks-1',
    {
      timeoutMs: 5,
      pollIntervalMs: 1,
      maxPollIntervalMs: 2,
      signal,
      onPoll,
      wait: true,
      resetFailed: false,
    },
    ['CONNECTED', 'FAILED'],
  ],
  ['undefined values', 'cks-1', { timeoutMs: undefined, wait: undefined }, undefined],
  ['an unknown option', 'cks-1', { timeoutMs: 5, colour: 'red' }, undefined],
  ['a non-enumerable option', 'cks-1', hidden, undefined],
  ['an inherited option', 'cks-1', inherited, undefined],
  ['64 characters', 'x'.repeat(64), {}, undefined],
  ['65 characters', 'x'.repeat(65), {}, undefined],
  ['an empty ID', '', {}, undefined],
  ['a number as ID', 42, {}, undefined],
  ['zero ms', 'cks-1', { timeoutMs: 0 }, undefined],
  ['NaN ms', 'cks-1', { timeoutMs: Number.NaN }, undefined],
  ['infinite ms', 'cks-1', { pollIntervalMs: Number.POSITIVE_INFINITY }, undefined],
  ['ms past the timer limit', 'cks-1', { maxPollIntervalMs: 2_147_483_648 }, undefined],
  ['ms at the timer limit', 'cks-1', { maxPollIntervalMs: 2_147_483_647 }, undefined],
  ['ms as a string', 'cks-1', { timeoutMs: '5' }, undefined],
  ['wait as a string', 'cks-1', { wait: 'yes' }, undefined],
  ['a signal-like object', 'cks-1', { signal: { aborted: false } }, undefined],
  ['onPoll not a function', 'cks-1', { onPoll: 1 }, undefined],
  ['options as an array', 'cks-1', [], undefined],
  ['options as a string', 'cks-1', 'wait', undefined],
  [
    'a class instance as options',
    'cks-1',
    new (class Options {
      wait = true;
    })(),
    undefined,
  ],
  ['an empty states list', 'cks-1', {}, []],
  ['a state KMS does not report', 'cks-1', {}, ['ONLINE']],
  ['a lower-case state', 'cks-1', {}, ['connected']],
  ['states not an array', 'cks-1', {}, 'CONNECTED'],
];

/** The options without keys whose value is undefined (both forms mean "not given"). */
const defined = (options: object) =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));

describe('waiter argument checks without zod', () => {
  it.each(cases)('gives what the schema gives: %s', async (_label, id, options, states) => {
    const expected = check(waiterCall, { customKeyStoreId: id, options: options ?? {}, states });
    const got = await validate('waitForConnectionState', id, options, states).then(
      (resolved) => ({ resolved }),
      (error: unknown) => ({ error }),
    );
    if (expected.success) {
      expect('resolved' in got, JSON.stringify(got)).toBe(true);
      const resolved = (got as { resolved: Record<string, unknown> }).resolved;
      expect(defined(resolved)).toEqual(
        defined({
          timeoutMs: 1_800_000,
          pollIntervalMs: 2_000,
          maxPollIntervalMs: 30_000,
          ...defined(expected.data.options),
        }),
      );
    } else {
      expect((got as { error: unknown }).error).toBeInstanceOf(KmsValidationError);
      expect((got as { error: KmsValidationError }).error.issues).toEqual(expected.issues);
    }
  });

  it('a getter that throws is unreadable input, on either path', async () => {
    const options = {
      get wait(): boolean {
        throw new Error('boom');
      },
    };
    const error = await validate('ensureDisconnected', 'cks-1', options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsValidationError);
    expect(String((error as Error).message)).toMatch(/ensureDisconnected/);
  });
});
