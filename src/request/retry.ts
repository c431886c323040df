/**
 * The standard AWS retry policy: which failures are retried, how long to wait (full-jitter
 * exponential backoff), and a client-wide token bucket that stops retry storms.
 */

/** Why an attempt failed, as far as retrying is concerned. */
export type FailureKind =
  /** Throttling codes and HTTP 429: back off from 500 ms. */
  | 'throttling'
  /** 5xx and KMSInternalException: back off from 100 ms. */
  | 'transient'
  /** The attempt timed out, or the connection failed or was reset: costs more tokens. */
  | 'transient-network'
  /** A signature error fixed by correcting the clock offset: retried at once. */
  | 'clock-skew'
  /** Anything else: never retried. */
  | 'fatal';

/** Tunables of {@link RetryPolicy}; the defaults are the AWS SDK's. */
export interface RetryPolicyOptions {
  /** Source of randomness for jitter, in [0, 1). */
  random?: () => number;
}

const retryCosts = { retry: 5, timeout: 10, noRetryIncrement: 1 } as const;
const bucketCapacity = 500;
const baseDelayMs = 100;
const throttlingBaseDelayMs = 500;
const maxDelayMs = 20_000;

/** Decision for one failed attempt. */
export type RetryDecision =
  | { retry: false; reason: 'not-retryable' | 'attempts-exhausted' | 'retry-quota-exhausted' }
  | { retry: true; delayMs: number; cost: number };

/**
 * One per client: the token bucket is shared by every call of the client, so that a dead
 * endpoint drains it and later calls fail fast instead of multiplying the load.
 */
export class RetryPolicy {
  /** Tokens left in the bucket. */
  tokens = bucketCapacity;
  readonly #random: () => number;

  /** @param options - the randomness source. */
  constructor(options: RetryPolicyOptions = {}) {
    this.#random = options.random ?? Math.random;
  }

  /**
   * Decides whether to retry after attempt number `attempt` (1-based) of `maxAttempts` failed,
   * and takes the tokens the retry costs.
   */
  decide(
    kind: FailureKind,
    attempt: number,
    maxAttempts: number,
    retryAfterMs?: number,
  ): RetryDecision {
    if (kind === 'fatal') return { retry: false, reason: 'not-retryable' };
    if (attempt >= maxAttempts) return { retry: false, reason: 'attempts-exhausted' };
    // A corrected clock needs no backoff and no quota: the next attempt is a different request.
    if (kind === 'clock-skew') return { retry: true, delayMs: 0, cost: 0 };
    const cost = kind === 'transient-network' ? retryCosts.timeout : retryCosts.retry;
    if (this.tokens < cost) return { retry: false, reason: 'retry-quota-exhausted' };
    this.tokens -= cost;
    const base = kind === 'throttling' ? throttlingBaseDelayMs : baseDelayMs;
    const ceiling = Math.min(base * 2 ** (attempt - 1), maxDelayMs);
    let delayMs = Math.floor(this.#random() * ceiling);
    if (retryAfterMs !== undefined) delayMs = Math.min(Math.max(delayMs, retryAfterMs), maxDelayMs);
    return { retry: true, delayMs, cost };
  }

  /** Called when a call succeeds: refunds what its retries cost, or one token if none. */
  recordSuccess(retryCost: number): void {
    this.tokens = Math.min(
      bucketCapacity,
      this.tokens + (retryCost || retryCosts.noRetryIncrement),
    );
  }
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
