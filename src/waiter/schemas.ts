/**
 * The zod schemas of the waiter, in `zod/mini`. Only ever imported dynamically, on first use:
 * see `zod-check.ts`.
 */
import * as z from 'zod/mini';
import { maxTimerMs } from '../config/defaults.js';
import { connectionStates } from '../operations/operations.js';
import type { WaiterPoll } from './types.js';

export { check } from '../zod-check.js';

const milliseconds = z.number().check(z.positive(), z.maximum(maxTimerMs));

/** The arguments of a waiter call. */
export const waiterCall = z.object({
  customKeyStoreId: z.string().check(z.minLength(1), z.maxLength(64)),
  options: z.object({
    timeoutMs: z.optional(milliseconds),
    pollIntervalMs: z.optional(milliseconds),
    maxPollIntervalMs: z.optional(milliseconds),
    signal: z.optional(z.instanceof(AbortSignal)),
    onPoll: z.optional(
      z.custom<(poll: WaiterPoll) => void>((value) => typeof value === 'function'),
    ),
    wait: z.optional(z.boolean()),
    resetFailed: z.optional(z.boolean()),
  }),
  // Only the states KMS reports: 'connected' or 'ONLINE' would wait until the deadline.
  states: z.optional(z.array(z.enum(connectionStates)).check(z.minLength(1))),
});
