/**
 * One HTTP exchange over an undici Dispatcher: send the signed request, read at most
 * `maxBodyBytes` of the body, and never leave a socket half-read.
 *
 * The response is collected by a small dispatch handler rather than through `dispatcher.request()`:
 * KMS bodies are a few bytes to a few KB, and the stream, async iterator and async-hooks resource
 * that `request()` sets up for each response cost more than everything else the client does on
 * a call. The handler uses undici's core handler interface (`onConnect` … `onComplete`), the one
 * `request()` itself uses, so any Dispatcher works: an Agent, a proxy agent, a MockAgent.
 */
import type { Dispatcher } from 'undici';

/** What the transport sends. */
export interface HttpRequest {
  /** `https://host[:port]` */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What the transport returns. Header names are lower case. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text, at most `maxBodyBytes` long. */
  body: string;
  /** True when the body was longer than `maxBodyBytes` and was cut off. */
  bodyTruncated: boolean;
}

/** Per-exchange limits. */
export interface ExchangeOptions {
  /** Aborts the exchange with its reason (the caller's signal). */
  signal?: AbortSignal | undefined;
  /**
   * Aborts the exchange with `timeoutError()` after this many ms. A timer rather than an
   * AbortSignal: creating and listening to a signal costs more than signing the request.
   */
  timeoutMs: number;
  timeoutError: () => Error;
  /** Read at most this many bytes of the body. */
  maxBodyBytes: number;
}

/** Sends one request and reads its response; network failures reject with undici's error. */
export function exchange(
  dispatcher: Dispatcher,
  request: HttpRequest,
  options: ExchangeOptions,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const collector = new ResponseCollector(options, resolve, reject);
    try {
      dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: 'POST',
          headers: request.headers,
          body: request.body,
          // The attempt timer covers the whole exchange; undici's own timers would only race it.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        collector,
      );
    } catch (error) {
      collector.onError(error as Error);
    }
  });
}

type RawHeaders = Buffer[] | string[] | null | undefined;

/** Collects one response; settles the exchange's promise exactly once. */
class ResponseCollector implements Dispatcher.DispatchHandler {
  #abort: ((reason: Error) => void) | undefined;
  #reason: unknown;
  #settled = false;
  #status = 0;
  #headers: Record<string, string> = {};
  #chunks: Buffer[] = [];
  #length = 0;
  readonly #maxBodyBytes: number;
  readonly #signal: AbortSignal | undefined;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #resolve: (response: HttpResponse) => void;
  readonly #reject: (error: unknown) => void;
  readonly #onAbort = () => this.#abortWith(this.#signal?.reason);

  constructor(
    options: ExchangeOptions,
    resolve: (response: HttpResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#signal = options.signal;
    this.#resolve = resolve;
    this.#reject = reject;
    if (this.#signal?.aborted) this.#reason = this.#signal.reason;
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    const { timeoutMs, timeoutError } = options;
    this.#timer = setTimeout(() => this.#abortWith(timeoutError()), timeoutMs);
  }

  /** As `request()` does: abort now if connected, else as soon as the request gets a socket. */
  #abortWith(reason: unknown): void {
    if (this.#settled || this.#reason !== undefined) return;
    this.#reason = reason;
    this.#abort?.(reason as Error);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#reason !== undefined) abort(this.#reason as Error);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: RawHeaders): boolean {
    // 1xx responses are informational; the final response follows.
    if (statusCode < 200) return true;
    this.#status = statusCode;
    this.#headers = flattenHeaders(rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#settled) return true;
    if (this.#length + chunk.length > this.#maxBodyBytes) {
      this.#chunks.push(chunk.subarray(0, this.#maxBodyBytes - this.#length));
      this.#length = this.#maxBodyBytes;
      this.#settle(true);
      // Cut off: close the connection rather than read the rest. Aborting from inside the
      // parser's callback is not safe, so it waits for the callback to return.
      const abort = this.#abort;
      queueMicrotask(() => abort?.(new Error('Response body too large; connection closed')));
      return true;
    }
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    return true;
  }

  onComplete(): void {
    // Read to its end: the connection goes back to the pool.
    if (!this.#settled) this.#settle(false);
  }

  onError(error: Error): void {
    if (this.#settled) return;
    this.#done();
    // Once aborted, whatever undici reports (an abort error, a connect failure of a queued
    // request) ends the exchange with the abort's reason.
    this.#reject(this.#reason ?? error);
  }

  #done(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #settle(bodyTruncated: boolean): void {
    this.#done();
    const { 0: only, length } = this.#chunks;
    const body =
      length === 0
        ? ''
        : length === 1 && only
          ? only.toString('utf8')
          : Buffer.concat(this.#chunks, this.#length).toString('utf8');
    this.#resolve({ status: this.#status, headers: this.#headers, body, bodyTruncated });
  }
}

/**
 * Lower-case names; repeated headers joined with `, `. Values are read as latin1, as undici
 * reads them.
 */
function flattenHeaders(raw: RawHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  if (!raw) return flat;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const rawName = raw[i] as Buffer | string;
    const rawValue = raw[i + 1] as Buffer | string | Array<Buffer | string>;
    const name = (typeof rawName === 'string' ? rawName : rawName.toString('latin1')).toLowerCase();
    if (name === '__proto__') continue;
    const value = Array.isArray(rawValue)
      ? rawValue
          .map((part) => (typeof part === 'string' ? part : part.toString('latin1')))
          .join(', ')
      : typeof rawValue === 'string'
        ? rawValue
        : rawValue.toString('latin1');
    flat[name] = Object.hasOwn(flat, name) ? `${flat[name]}, ${value}` : value;
  }
  return flat;
}
