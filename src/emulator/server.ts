/**
 * The HTTP side of the emulator: a node:http server (HTTP/1.1, keep-alive) that reads each
 * request, applies an injected fault if one is due, authenticates it with SigV4, routes it by
 * `X-Amz-Target`, and answers as KMS does. Nothing a client sends can crash it: every failure
 * becomes a KMS error response.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorError, frameworkErrors, shortErrorType } from './errors.js';
import type { FaultKind, FaultQueue, FaultSpec } from './faults.js';
import {
  operationNames,
  operationOf,
  parseBody,
  runOperation,
  targetPrefix,
} from './operations.js';
import type { HeaderPairs, SigV4Verifier } from './sigv4.js';
import type { KeyStoreRegistry } from './store.js';

/** One request as the emulator saw it, with what it answered. */
export interface RecordedRequest {
  /** The `x-amzn-requestid` sent back. */
  requestId: string;
  /** The HTTP method (KMS only accepts POST). */
  method: string;
  /** Path and query as sent. */
  path: string;
  /** The operation named by `X-Amz-Target` (whatever follows `TrentService.`), when there is one. */
  operation?: string;
  /** The raw `X-Amz-Target` header. */
  target?: string;
  /** Request headers, names lower case; the session token is replaced by `[redacted]`. */
  headers: Record<string, string>;
  /**
   * The body as text: empty past `maxBodyBytes`, its first 1 KiB when the request was not
   * authenticated, cut to fit when the entry alone is larger than `maxRecordedBytes`.
   */
  body: string;
  /** Size of the whole body in bytes. */
  bodyBytes: number;
  /** The body parsed as JSON, when it was a JSON object. */
  input?: Record<string, unknown>;
  /** The HTTP status sent; undefined when no response was sent (a dropped connection). */
  status?: number;
  /** The error code sent (without namespace), for error responses. */
  errorType?: string;
  /** The injected fault the request got, if any. */
  fault?: FaultKind;
  /** The access key ID, when the request was authenticated. */
  accessKeyId?: string;
  /** The region of the signature (whose key stores were used), when the request was authenticated. */
  region?: string;
  /** When the request arrived (emulator clock). */
  at: Date;
}

/** Most of a body kept in the log for a request that was not authenticated. */
export const unauthenticatedBodyBytes = 1024;

/**
 * The request log: the latest entries, at most `maxEntries` of them and `maxBytes` in total
 * (bodies, headers and paths, as UTF-8). Bodies of requests that were not authenticated (failed
 * authentication, or were answered by a fault before it) keep only their first 1 KiB: anyone who
 * can reach the port must not be able to fill the emulator's memory. An entry larger than
 * `maxBytes` on its own is kept with its body cut to fit; `bodyBytes` still gives the whole size.
 */
export class RequestLog {
  /** The entries, oldest first (the array the emulator exposes as `requests`). */
  readonly entries: RecordedRequest[] = [];
  readonly #sizes: number[] = [];
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  /**
   * @param maxEntries - most entries kept.
   * @param maxBytes - most bytes kept, all entries together.
   */
  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  /** Adds an entry, then drops the oldest ones until the log is within its bounds. */
  add(entry: RecordedRequest): void {
    if (entry.accessKeyId === undefined) {
      entry.body = truncateUtf8(entry.body, unauthenticatedBodyBytes);
    }
    let size = entrySize(entry);
    if (size > this.#maxBytes) {
      const bodyBytes = Buffer.byteLength(entry.body);
      entry.body = truncateUtf8(entry.body, Math.max(0, this.#maxBytes - (size - bodyBytes)));
      size = entrySize(entry);
    }
    this.entries.push(entry);
    this.#sizes.push(size);
    this.#bytes += size;
    while (
      this.entries.length > 1 &&
      (this.entries.length > this.#maxEntries || this.#bytes > this.#maxBytes)
    ) {
      this.entries.shift();
      this.#bytes -= this.#sizes.shift() ?? 0;
    }
  }

  /** Empties the log. */
  clear(): void {
    this.entries.length = 0;
    this.#sizes.length = 0;
    this.#bytes = 0;
  }
}

/** What an entry costs in the log: its body, headers and path, as UTF-8 bytes. */
function entrySize(entry: RecordedRequest): number {
  let size = Buffer.byteLength(entry.body) + Buffer.byteLength(entry.path);
  for (const name in entry.headers) {
    size += name.length + Buffer.byteLength(entry.headers[name] ?? '');
  }
  return size;
}

/**
 * The longest start of `text` that is at most `maxBytes` of UTF-8, cut between characters, as a
 * new string: `text.slice()` would keep the whole body alive behind the short one.
 */
function truncateUtf8(text: string, maxBytes: number): string {
  // Most bodies are ASCII and short: no encoding needed to see that they fit.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = new Uint8Array(maxBytes);
  const { written } = new TextEncoder().encodeInto(text, bytes);
  return written === Buffer.byteLength(text)
    ? text
    : Buffer.from(bytes.buffer, 0, written).toString('utf8');
}

/** What the server needs from the emulator. */
export interface ServerContext {
  verifier: SigV4Verifier;
  /** The key stores of each region served; a request gets those of its signing region. */
  stores: ReadonlyMap<string, KeyStoreRegistry>;
  faults: FaultQueue;
  /** The emulator clock (ms since the epoch). */
  now: () => number;
  maxBodyBytes: number;
  /** Longest a body may take to arrive, in ms. */
  bodyTimeoutMs: number;
  /** Called with each finished request, when recording is on. */
  record?: (entry: RecordedRequest) => void;
  /**
   * Whether the credential may perform the operation: undefined when allowed, else the message
   * of the AccessDeniedException.
   */
  authorize?: (accessKeyId: string, operation: string, region: string) => string | undefined;
}

/** A body past the limit is drained up to this size, then the connection is cut. */
const drainLimitBytes = 64 * 1024 * 1024;
const jsonContentTypes = new Set(['application/x-amz-json-1.1', 'application/x-amz-json-1.0']);
const html503 =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n';

interface ReadBody {
  bytes: Buffer;
  size: number;
  tooLarge: boolean;
}

/** The node:http server of one emulator. */
export class EmulatorServer {
  readonly #server: Server;
  readonly #context: ServerContext;
  /** Requests held by a `delay` fault: close() releases them. */
  readonly #held = new Set<() => void>();
  #closing: Promise<void> | undefined;

  /** @param context - verifier, stores, faults, clock and limits. */
  constructor(context: ServerContext) {
    this.#context = context;
    this.#server = createServer({ keepAlive: true }, (request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        // A bug in the emulator must not take it down: answer 500 like KMS would.
        this.#internalError(request, response, error);
      });
    });
    this.#server.keepAliveTimeout = 5_000;
  }

  /** Starts listening. @returns the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops listening and destroys open connections, held requests included. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      for (const release of this.#held) release();
      this.#held.clear();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.sendDate = false;
    const arrived = this.#context.now();
    const requestId = randomUUID();
    const target = headerString(request.headers['x-amz-target']);
    const operationName = target?.startsWith(targetPrefix)
      ? target.slice(targetPrefix.length)
      : undefined;
    const entry: RecordedRequest = {
      requestId,
      method: request.method ?? '',
      path: request.url ?? '/',
      operation: operationName,
      target,
      headers: loggedHeaders(request),
      body: '',
      bodyBytes: 0,
      at: new Date(arrived),
    };
    const reply = (status: number, body: string, contentType: string, extra = {}) => {
      entry.status = status;
      response.writeHead(status, {
        'x-amzn-requestid': requestId,
        'content-type': contentType,
        'content-length': Buffer.byteLength(body),
        date: new Date(this.#context.now()).toUTCString(),
        ...extra,
      });
      response.end(body);
      this.#context.record?.(entry);
    };
    const replyError = (error: EmulatorError, extra = {}) => {
      entry.errorType = error.code;
      reply(
        error.status,
        errorBody(error.type, error.message),
        'application/x-amz-json-1.1',
        extra,
      );
    };

    const body = await readBody(request, this.#context.maxBodyBytes, this.#context.bodyTimeoutMs);
    if (!body) return; // the client went away mid-body, or sent far too much
    if (body === 'timedOut') {
      replyError(
        new EmulatorError(
          'RequestTimeoutException',
          `The request body did not arrive within ${this.#context.bodyTimeoutMs} ms.`,
          408,
        ),
        { connection: 'close' },
      );
      // The rest of the body is not waited for; a client still sending is cut off.
      const socket = request.socket;
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    entry.bodyBytes = body.size;
    entry.body = body.bytes.toString('utf8');
    if (body.tooLarge) {
      replyError(
        new EmulatorError(
          'RequestEntityTooLargeException',
          `Request body of ${body.size} bytes exceeds the limit of ${this.#context.maxBodyBytes} bytes.`,
          413,
        ),
        { connection: 'close' },
      );
      return;
    }

    const fault = this.#context.faults.take(operationName ?? target);
    if (fault) {
      entry.fault = fault.kind;
      const proceed = await this.#applyFault(fault, request, response, entry, replyError, reply);
      if (!proceed) return;
    }

    const verified = this.#context.verifier.verify(
      {
        method: request.method ?? '',
        target: request.url ?? '/',
        headers: headerPairs(request.rawHeaders),
        body: body.bytes,
      },
      this.#context.now(),
    );
    if ('type' in verified) {
      replyError(new EmulatorError(verified.type, verified.message));
      return;
    }
    entry.accessKeyId = verified.accessKeyId;
    entry.region = verified.region;

    const contentType = headerString(request.headers['content-type'])
      ?.split(';')[0]
      ?.trim()
      .toLowerCase();
    if (target === undefined) {
      replyError(
        new EmulatorError(
          frameworkErrors.unknownOperation,
          'Missing X-Amz-Target header: KMS needs TrentService.<Operation>.',
        ),
      );
      return;
    }
    const operation = operationOf(target);
    if (!operation || request.method !== 'POST') {
      replyError(
        new EmulatorError(
          frameworkErrors.unknownOperation,
          `Unknown operation ${request.method} ${target}; the emulator serves TrentService.${operationNames.join(', ')} over POST.`,
        ),
      );
      return;
    }
    if (contentType === undefined || !jsonContentTypes.has(contentType)) {
      replyError(
        new EmulatorError(
          frameworkErrors.unknownOperation,
          `Content-Type ${contentType === undefined ? '(none)' : `'${contentType}'`} is not supported; KMS expects application/x-amz-json-1.1.`,
        ),
      );
      return;
    }

    const denied = this.#context.authorize?.(verified.accessKeyId, operation, verified.region);
    if (denied !== undefined) {
      replyError(new EmulatorError('AccessDeniedException', denied));
      return;
    }

    try {
      const input = parseBody(entry.body);
      entry.input = input;
      // The verifier only accepts the regions served, so the registry exists.
      const stores = this.#context.stores.get(verified.region)!;
      const output = await runOperation(operation, input, stores, requestId);
      reply(200, JSON.stringify(output), 'application/x-amz-json-1.1');
    } catch (error) {
      if (!(error instanceof EmulatorError)) throw error;
      replyError(error);
    }
  }

  /** Applies a fault. @returns true when the request goes on to be processed normally. */
  async #applyFault(
    fault: FaultSpec,
    request: IncomingMessage,
    response: ServerResponse,
    entry: RecordedRequest,
    replyError: (error: EmulatorError) => void,
    reply: (status: number, body: string, contentType: string) => void,
  ): Promise<boolean> {
    switch (fault.kind) {
      case 'throttle':
        replyError(new EmulatorError('ThrottlingException', 'Rate exceeded'));
        return false;
      case 'internal':
        replyError(
          new EmulatorError(
            'KMSInternalException',
            'The request was rejected because an internal exception occurred. The request can be retried.',
            500,
          ),
        );
        return false;
      case 'html503':
        reply(503, html503, 'text/html');
        return false;
      case 'error': {
        const type = fault.errorType ?? 'InternalFailure';
        entry.errorType = shortErrorType(type);
        reply(
          fault.status ?? 400,
          fault.message === undefined
            ? JSON.stringify({ __type: type })
            : errorBody(type, fault.message),
          'application/x-amz-json-1.1',
        );
        return false;
      }
      case 'drop':
        request.socket.destroy();
        this.#context.record?.(entry);
        return false;
      case 'truncate': {
        const partial = '{"CustomKeyStores":[{"CustomKeyStoreId":"cks-';
        entry.status = 200;
        response.writeHead(200, {
          'x-amzn-requestid': entry.requestId,
          'content-type': 'application/x-amz-json-1.1',
          'content-length': Buffer.byteLength(partial) + 512,
          date: new Date(this.#context.now()).toUTCString(),
        });
        response.write(partial, () => request.socket.destroy());
        this.#context.record?.(entry);
        return false;
      }
      case 'delay': {
        const stillThere = await this.#hold(fault.delayMs ?? 0, request);
        if (!stillThere) this.#context.record?.(entry);
        return stillThere;
      }
    }
  }

  /** Waits `ms`; false when the connection closed meanwhile or the emulator is closing. */
  #hold(ms: number, request: IncomingMessage): Promise<boolean> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.#held.delete(release);
        request.socket.off('close', release);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.#held.delete(release);
        request.socket.off('close', release);
        resolve(!request.socket.destroyed && this.#closing === undefined);
      }, ms);
      timer.unref();
      this.#held.add(release);
      request.socket.once('close', release);
    });
  }

  #internalError(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    const message = `The emulator failed to process the request: ${error instanceof Error ? error.message : String(error)}`;
    if (response.headersSent) {
      request.socket.destroy();
      return;
    }
    const body = errorBody('KMSInternalException', message);
    response.writeHead(500, {
      'x-amzn-requestid': randomUUID(),
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
      date: new Date(this.#context.now()).toUTCString(),
    });
    response.end(body);
  }
}

function errorBody(type: string, message: string): string {
  return JSON.stringify({ __type: type, message });
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `rawHeaders` as name/value pairs, repeated headers kept apart (SigV4 joins them itself). */
function headerPairs(raw: readonly string[]): HeaderPairs {
  const pairs: [string, string][] = [];
  for (let index = 0; index + 1 < raw.length; index += 2)
    pairs.push([raw[index]!, raw[index + 1]!]);
  return pairs;
}

/** Headers for the request log: lower-case names, the session token redacted. */
function loggedHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = name === 'x-amz-security-token' ? '[redacted]' : (headerString(value) ?? '');
  }
  return headers;
}

/**
 * Reads the body, keeping at most `limit` bytes. A larger body is drained (so that the client
 * can read the 413) up to 64 MiB; past that the connection is cut. The whole body must arrive
 * within `timeoutMs`, as Node bounds the headers' time: a body that trickles in would otherwise
 * hold the request (and its connection) open for Node's 300 s request limit.
 * @returns undefined when the connection closed before the body ended, `'timedOut'` past `timeoutMs`.
 */
function readBody(
  request: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<ReadBody | 'timedOut' | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: ReadBody | 'timedOut' | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => finish('timedOut'), timeoutMs);
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > drainLimitBytes) {
        request.socket.destroy();
        finish(undefined);
      }
    });
    request.on('end', () => {
      finish({
        bytes: size <= limit ? Buffer.concat(chunks, size) : Buffer.alloc(0),
        size,
        tooLarge: size > limit,
      });
    });
    request.on('error', () => finish(undefined));
    request.on('close', () => {
      if (!request.complete) finish(undefined);
    });
  });
}
