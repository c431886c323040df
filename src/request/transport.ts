/**
 * One HTTP exchange over undici: send the signed request, read at most `maxBodyBytes` of the body,
 * and always consume or destroy the body so that no socket is left half-read.
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
  /** Aborts the exchange (the caller's signal, or the attempt timer). */
  signal: AbortSignal;
  /** Read at most this many bytes of the body. */
  maxBodyBytes: number;
}

/** Sends one request and reads its response; network failures reject with undici's error. */
export async function exchange(
  dispatcher: Dispatcher,
  request: HttpRequest,
  options: ExchangeOptions,
): Promise<HttpResponse> {
  const response = await dispatcher.request({
    origin: request.origin,
    path: request.path,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    signal: options.signal,
    // The attempt timer covers the whole exchange; undici's own timers would only race it.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const { body } = response;
  const chunks: Buffer[] = [];
  let length = 0;
  let bodyTruncated = false;
  let complete = false;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      if (length + buffer.length > options.maxBodyBytes) {
        chunks.push(buffer.subarray(0, options.maxBodyBytes - length));
        length = options.maxBodyBytes;
        bodyTruncated = true;
        break;
      }
      chunks.push(buffer);
      length += buffer.length;
    }
    complete = !bodyTruncated;
  } finally {
    // Cut off, thrown or aborted: destroy what was not read (this closes that socket). A body
    // read to its end is left alone so that its connection goes back to the pool.
    if (!complete && !body.destroyed) body.destroy();
  }
  return {
    status: response.statusCode,
    headers: flattenHeaders(response.headers),
    body: Buffer.concat(chunks, length).toString('utf8'),
    bodyTruncated,
  };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>) {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
