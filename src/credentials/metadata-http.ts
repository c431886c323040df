/**
 * One small HTTP request to a credential endpoint (container or instance metadata), through the
 * request path's transport (`request/transport.ts`) over a pool of its own: it never goes through
 * a proxy and keeps no socket open; a limit on the whole exchange and on the body. Errors describe
 * what happened, never the headers (they carry tokens).
 */
import { loadPool } from '../request/pool.js';
import { exchange } from '../request/transport.js';

/** Largest body read from a credential endpoint. */
const maxBodyBytes = 64 * 1024;

/** What came back. */
export interface MetadataResponse {
  /** HTTP status. */
  status: number;
  /** The body as text. */
  body: string;
}

/** Why a request to a credential endpoint got no response. */
export class MetadataRequestError extends Error {
  /** `timeout`, `too-large`, or `network` (with the system error code when there is one). */
  readonly kind: 'timeout' | 'too-large' | 'network';

  /**
   * @param kind - what went wrong.
   * @param message - description without secrets.
   */
  constructor(kind: 'timeout' | 'too-large' | 'network', message: string) {
    super(message);
    this.name = 'MetadataRequestError';
    this.kind = kind;
  }
}

/**
 * Sends one request and reads the response within `timeoutMs` (connect, send and read together).
 *
 * @param url - http: or https: URL.
 * @param options - method, headers and the time limit.
 */
export async function metadataRequest(
  url: URL,
  options: {
    method: 'GET' | 'PUT';
    headers?: Record<string, string>;
    timeoutMs: number;
    /** The client's lifetime: close() ends the request at once, with this signal's reason. */
    signal?: AbortSignal | undefined;
  },
): Promise<MetadataResponse> {
  // A pool of its own for this one request: never the client's (no proxy), closed afterwards.
  const Pool = await loadPool();
  const pool = new Pool(url.origin, { connections: 1 });
  try {
    const response = await exchange(
      pool,
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: options.method,
        headers: { ...options.headers },
        // An empty body: undici then sends `content-length: 0`, which IMDS wants on the PUT.
        body: options.method === 'PUT' ? '' : undefined,
      },
      {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        timeoutError: () =>
          new MetadataRequestError('timeout', `no response within ${options.timeoutMs} ms`),
        maxBodyBytes,
      },
    );
    if (response.bodyTruncated) {
      throw new MetadataRequestError('too-large', `response body is over ${maxBodyBytes} bytes`);
    }
    return { status: response.status, body: response.body };
  } catch (error) {
    if (options.signal?.aborted && error === options.signal.reason) throw error;
    throw error instanceof MetadataRequestError ? error : networkError(error as Error);
  } finally {
    pool.destroy().catch(() => {});
  }
}

function networkError(error: Error): MetadataRequestError {
  const code = (error as { code?: unknown }).code;
  return new MetadataRequestError(
    'network',
    typeof code === 'string'
      ? `connection failed (${code})`
      : `connection failed: ${error.message}`,
  );
}
