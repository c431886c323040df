/**
 * Clock-skew correction: the one rule for when a refused signature means our clock is off, and
 * the correction every signed call of a client shares (KMS calls, and STS AssumeRole for the
 * client's credentials), so that a skew found by one applies to the others.
 */

/** Milliseconds to add to the local clock when signing. */
export interface ClockCorrection {
  offsetMs: number;
}

/** A server clock this far from ours on a signature error means our clock is off. */
const clockSkewThresholdMs = 5 * 60 * 1000;

/** Error codes with which AWS services refuse a signature made at the wrong time. */
const clockSkewCodes = new Set([
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'AuthFailure',
]);

/** The time to sign with: the local clock, corrected. */
export function signingTime(clock: ClockCorrection, now: number): Date {
  return new Date(now + clock.offsetMs);
}

/**
 * After a refused request: when `code` is a signature-time error and the server's `Date` header
 * is 5 minutes or more from our corrected clock, corrects `clock` to the server's time.
 * @param now - the local clock (uncorrected), in ms.
 * @returns how far off the corrected clock was (ms, ours minus the server's), or undefined when
 *   nothing was corrected.
 */
export function correctClockSkew(
  clock: ClockCorrection,
  code: string | undefined,
  dateHeader: string | undefined,
  now: number,
): number | undefined {
  if (code === undefined || !clockSkewCodes.has(code) || !dateHeader) return undefined;
  const serverTime = Date.parse(dateHeader);
  const ourTime = now + clock.offsetMs;
  if (Number.isNaN(serverTime) || Math.abs(serverTime - ourTime) < clockSkewThresholdMs) {
    return undefined;
  }
  clock.offsetMs = serverTime - now;
  return ourTime - serverTime;
}
