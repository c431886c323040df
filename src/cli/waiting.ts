/**
 * Says on stderr what kms-cks is waiting for when an endpoint takes long to answer, instead of
 * staying silent until the request timeout: after 2 s without an answer, then every 10 s.
 * Fed by the client's debug log lines (each attempt as it is sent, each response).
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
  #attempt: { host: string; attempt: number; maxAttempts: number; since: number } | undefined;

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
    warn: () => this.#answered(),
  };

  /** Stops watching (the command is done). */
  stop(): void {
    this.#answered();
  }

  #sent(host: string, attempt: number, maxAttempts: number): void {
    this.#answered();
    this.#attempt = { host, attempt, maxAttempts, since: performance.now() };
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
      const seconds = ((performance.now() - attempt.since) / 1000).toFixed(0);
      this.#sink.write(
        `kms-cks: waiting for an answer from ${attempt.host} (attempt ${attempt.attempt} of ${attempt.maxAttempts}, ${seconds}s so far; --request-timeout sets the limit)\n`,
      );
      this.#schedule(repeatMs);
    }, ms);
    // Never the reason the process stays up.
    this.#timer.unref();
  }
}
