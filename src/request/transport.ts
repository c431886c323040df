/**
 * One HTTP exchange over an undici Dispatcher: send the signed request, read at most
 * `maxBodyBytes` of the body, and never leave a socket half-read.
 *
 * The response is collected by a small dispatch handler rather than through `dispatcher.request()`:
 * KMS bodies are a few bytes to a few KB, and the stream, async iterator and async-hooks resource
 * that `request()` sets up for each response cost more than everything else the client does on
 * a call. The handler uses undici's handler interface (`onRequestStart` … `onResponseEnd`), which
 * undici 7 and 8 both call, so any Dispatcher works: an Agent, a proxy agent, a MockAgent.
 */
import type { Dispatcher } from 'undici';

/** What the transport sends. */
export interface HttpRequest {
  /** `https://host[:port]` */
  origin: string;
  path: string;
  /** Default `POST` (KMS); the credential endpoints use `GET` and `PUT`. */
  method?: 'POST' | 'GET' | 'PUT';
  headers: Record<string, string>;
  body?: string;
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
   * Ends the exchange with `timeoutError()` after this many ms. A timer rather than an
   * AbortSignal: creating and listening to a signal costs more than signing the request.
   */
  timeoutMs: number;
  timeoutError: () => Error;
  /**
   * Ends the exchange with `connectTimeoutError()` when the request has not been given a
   * connection (TCP, proxy tunnel and TLS done) after this many ms. Default: no separate limit.
   */
  connectTimeoutMs?: number;
  connectTimeoutError?: () => Error;
  /** Read at most this many bytes of the body. */
  maxBodyBytes: number;
  /**
   * Called when the exchange rejected while undici still holds the request (waiting for a
   * connection, or being aborted), with a promise that resolves once undici lets go of it.
   * A retry waits for it, so that a call never has more than one request queued in undici.
   */
  onOrphaned?: (released: Promise<void>) => void;
}

/**
 * Sends one request and reads its response; network failures reject with undici's error.
 * A timer or the signal rejects at once, even while undici still waits for a connection: the
 * request is then aborted as soon as undici hands it a connection, or fails with it.
 */
export function exchange(
  dispatcher: Dispatcher,
  request: HttpRequest,
  options: ExchangeOptions,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const collector = new ResponseCollector(options, resolve, reject);
    if (collector.settled) return;
    collector.dispatched();
    try {
      dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method ?? 'POST',
          headers: request.headers,
          body: request.body,
          // The attempt timer covers the whole exchange; undici's own timers would only race it.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        collector,
      );
    } catch (error) {
      collector.onResponseError(undefined, error as Error);
    }
  });
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Collects one response with undici's handler API (`onRequestStart` … `onResponseEnd`), the
 * one undici 8 calls; settles the exchange's promise exactly once.
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #reason: unknown;
  #settled = false;
  /** Whether undici has the request (until onResponseEnd or onResponseError). */
  #dispatched = false;
  #release: (() => void) | undefined;
  #status = 0;
  #headers: Record<string, string> = {};
  #chunks: Buffer[] = [];
  #length = 0;
  #timer: ReturnType<typeof setTimeout>;
  readonly #options: ExchangeOptions;
  readonly #resolve: (response: HttpResponse) => void;
  readonly #reject: (error: unknown) => void;
  readonly #onAbort = () => this.#abortWith(this.#options.signal?.reason);

  constructor(
    options: ExchangeOptions,
    resolve: (response: HttpResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.#options = options;
    this.#resolve = resolve;
    this.#reject = reject;
    const { signal, timeoutMs, connectTimeoutMs } = options;
    // One timer at a time: first the connect limit (when it is the shorter), then the rest of
    // the attempt's.
    this.#timer =
      connectTimeoutMs !== undefined && connectTimeoutMs < timeoutMs
        ? setTimeout(this.#onConnectDeadline, connectTimeoutMs)
        : setTimeout(this.#onDeadline, timeoutMs);
    if (signal?.aborted) this.#abortWith(signal.reason);
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** True once the exchange has settled (then there is nothing left to send). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Called just before the request is handed to undici. */
  dispatched(): void {
    this.#dispatched = true;
  }

  readonly #onConnectDeadline = () => {
    const { connectTimeoutMs = 0, timeoutMs, connectTimeoutError, timeoutError } = this.#options;
    if (this.#controller) {
      this.#timer = setTimeout(this.#onDeadline, timeoutMs - connectTimeoutMs);
    } else {
      this.#abortWith((connectTimeoutError ?? timeoutError)());
    }
  };

  readonly #onDeadline = () => this.#abortWith(this.#options.timeoutError());

  /**
   * Rejects at once; the request is aborted now if it has a connection, else as soon as it
   * gets one (undici cannot take back a request that waits for a connection).
   */
  #abortWith(reason: unknown): void {
    if (this.#settled || this.#reason !== undefined) return;
    this.#reason = reason;
    this.#done();
    this.#reject(reason);
    if (this.#dispatched && this.#options.onOrphaned) {
      this.#options.onOrphaned(
        new Promise<void>((resolve) => {
          this.#release = resolve;
        }),
      );
    }
    this.#controller?.abort(reason as Error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#reason !== undefined) controller.abort(this.#reason as Error);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Headers,
  ): void {
    // 1xx responses are informational; the final response follows.
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#headers = flattenHeaders(headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (this.#length + chunk.length > this.#options.maxBodyBytes) {
      this.#chunks.push(chunk.subarray(0, this.#options.maxBodyBytes - this.#length));
      this.#length = this.#options.maxBodyBytes;
      this.#settle(true);
      // Cut off: close the connection rather than read the rest. Aborting from inside the
      // parser's callback is not safe, so it waits for the callback to return.
      queueMicrotask(() =>
        controller.abort(new Error('Response body too large; connection closed')),
      );
      return;
    }
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  onResponseEnd(): void {
    this.#dispatched = false;
    this.#release?.();
    // Read to its end: the connection goes back to the pool.
    if (!this.#settled) this.#settle(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.#dispatched = false;
    this.#release?.();
    if (this.#settled) return;
    this.#done();
    // Once aborted, whatever undici reports (an abort error, a connect failure of a queued
    // request) ends the exchange with the abort's reason.
    this.#reject(this.#reason ?? error);
  }

  #done(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
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
 * Names as undici gives them (lower case); repeated headers joined with `, `.
 */
function flattenHeaders(headers: Headers): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (name === '__proto__') continue;
    const value = headers[name];
    if (value === undefined) continue;
    flat[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return flat;
}
