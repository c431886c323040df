/**
 * Says on stderr what kms-cks is waiting for when an endpoint takes long to answer, instead of
 * staying silent until the request timeout: after 2 s without an answer, then every 10 s.
 * Fed by the client's debug log lines (each attempt as it is sent, each response). The client's
 * warnings (a retry and why, a corrected clock, a profile chosen over environment keys) go to
 * stderr as they come: they explain a slow or surprising run to the operator.
 */
import type { Logger } from '../config/options.js';
import type { TextSink } from './output.js';

/** Delay before the first notice. */
export const quietMs = 2_000;
/** Delay between two notices of the same attempt. */
const repeatMs = 10_000;

/** Watches the attempts of one client; `logger` goes into its config. */
export class WaitingNotice {
  readonly #sink: TextSink;
  #timer: NodeJS.Timeout | undefined;
  /** The attempt waited for; `waitedMs` is the sum of the delays scheduled so far. */
  #attempt: { host: string; attempt: number; maxAttempts: number; waitedMs: number } | undefined;

  /** @param sink - stderr. */
  constructor(sink: TextSink) {
    this.#sink = sink;
  }

  /** The logger to give the client. */
  readonly logger: Logger = {
    debug: (_message, details) => {
      if (details && typeof details.host === 'string' && typeof details.attempt === 'number') {
        this.#sent(details.host, details.attempt, Number(details.maxAttempts) || 1);
      } else {
        this.#answered();
      }
    },
    warn: (message) => {
      this.#answered();
      this.#sink.write(`kms-cks: ${message}\n`);
    },
  };

  /** Stops watching (the command is done). */
  stop(): void {
    this.#answered();
  }

  #sent(host: string, attempt: number, maxAttempts: number): void {
    this.#answered();
    // Counted from the delays rather than read from a clock: this runs at every attempt of every
    // command, and on Node 20 the first performance.now() loads perf_hooks (milliseconds of a
    // short run) for a notice that most runs never show.
    this.#attempt = { host, attempt, maxAttempts, waitedMs: 0 };
    this.#schedule(quietMs);
  }

  #answered(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#attempt = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      const attempt = this.#attempt;
      if (!attempt) return;
      attempt.waitedMs += ms;
      const seconds = (attempt.waitedMs / 1000).toFixed(0);
      this.#sink.write(
        `kms-cks: waiting for an answer from ${attempt.host} (attempt ${attempt.attempt} of ${attempt.maxAttempts}, ${seconds}s so far; --request-timeout sets the limit)\n`,
      );
      this.#schedule(repeatMs);
    }, ms);
    // Never the reason the process stays up.
    this.#timer.unref();
  }
}
