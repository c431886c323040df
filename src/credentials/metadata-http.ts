/**
 * One small HTTP request to a credential endpoint (container or instance metadata): node:http with
 * a fresh agent, so it never goes through a proxy and keeps no socket open, a limit on the whole
 * exchange and on the body. Errors describe what happened, never the headers (they carry tokens).
 */
import http from 'node:http';
import https from 'node:https';

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
export function metadataRequest(
  url: URL,
  options: { method: 'GET' | 'PUT'; headers?: Record<string, string>; timeoutMs: number },
): Promise<MetadataResponse> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (error: MetadataRequestError | undefined, response?: MetadataResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request.destroy();
        reject(error);
      } else if (response) {
        resolve(response);
      }
    };
    const request = transport.request(
      {
        protocol: url.protocol,
        // node:http wants a bare IPv6 address, URL keeps the brackets.
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: options.method,
        headers: {
          ...options.headers,
          ...(options.method === 'PUT' ? { 'content-length': 0 } : {}),
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length > maxBodyBytes) {
            finish(
              new MetadataRequestError('too-large', `response body is over ${maxBodyBytes} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          finish(undefined, {
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', (error) => finish(networkError(error)));
      },
    );
    const timer = setTimeout(
      () =>
        finish(new MetadataRequestError('timeout', `no response within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('error', (error) => finish(networkError(error)));
    request.end();
  });
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
