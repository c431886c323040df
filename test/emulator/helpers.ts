/**
 * Raw HTTP against the emulator, signed with `@smithy/signature-v4` (not with the emulator's own
 * verifier code), so that tests can send exactly the bytes they want: bad bodies, odd headers,
 * tampered signatures.
 */
import { type Agent, request as httpRequest } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { EmulatorCredentials, KmsEmulator } from '../../src/emulator/index.js';
import { emulatorCredentials } from '../../src/emulator/index.js';

/** A response as read off the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, or undefined. */
  json: Record<string, unknown> | undefined;
}

/** What to send. Everything has a sensible default for a valid KMS call. */
export interface RawRequestOptions {
  /** Operation name for `X-Amz-Target: TrentService.<operation>`; null sends no target. */
  operation?: string | null;
  /** The whole body; default `{}`. */
  body?: string | Buffer;
  /** Content type; null sends none. Default application/x-amz-json-1.1. */
  contentType?: string | null;
  method?: string;
  /** Extra headers, signed unless listed in `unsignedHeaders`. */
  headers?: Record<string, string>;
  /** Header names to add after signing. */
  unsignedHeaders?: Record<string, string>;
  /** Send without any signature. */
  unsigned?: boolean;
  credentials?: EmulatorCredentials;
  region?: string;
  service?: string;
  signingDate?: Date;
  /** Changes the body after signing. */
  tamperBody?: string;
  /** Rewrites the Authorization header after signing. */
  rewriteAuthorization?: (value: string) => string;
  /** Drops these headers after signing. */
  removeHeaders?: string[];
  /** An http.Agent (to test keep-alive); default a fresh connection per request. */
  agent?: Agent;
}

/** Builds the signed headers of a request to the emulator. */
export async function signedHeaders(
  emu: Pick<KmsEmulator, 'url' | 'region'>,
  body: string | Buffer,
  options: RawRequestOptions = {},
): Promise<Record<string, string>> {
  const url = new URL(emu.url);
  const headers: Record<string, string> = { host: url.host, ...options.headers };
  if (options.contentType !== null) {
    headers['content-type'] = options.contentType ?? 'application/x-amz-json-1.1';
  }
  if (options.operation !== null) {
    headers['x-amz-target'] = `TrentService.${options.operation ?? 'DescribeCustomKeyStores'}`;
  }
  if (options.unsigned) return headers;
  const signer = new SignatureV4({
    service: options.service ?? 'kms',
    region: options.region ?? emu.region,
    credentials: options.credentials ?? emulatorCredentials,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: options.method ?? 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers,
      body,
    },
    { signingDate: options.signingDate ?? new Date() },
  );
  return signed.headers;
}

/** Sends one request to the emulator and reads the whole response. */
export async function send(
  emu: Pick<KmsEmulator, 'url' | 'region'>,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const body = options.body ?? '{}';
  const headers = await signedHeaders(emu, body, options);
  Object.assign(headers, options.unsignedHeaders);
  if (options.rewriteAuthorization && headers.authorization) {
    headers.authorization = options.rewriteAuthorization(headers.authorization);
  }
  for (const name of options.removeHeaders ?? []) delete headers[name];
  const sent = options.tamperBody ?? body;
  return exchange(emu.url, options.method ?? 'POST', headers, sent, options.agent);
}

/** One HTTP exchange with node:http. */
export function exchange(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer,
  agent?: Agent,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: agent ?? false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({
            status: response.statusCode ?? 0,
            headers: flat,
            body: text,
            json: tryJson(text),
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object'
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Describe through raw HTTP: the parsed body (throws when the status is not 200). */
export async function describeRaw(
  emu: Pick<KmsEmulator, 'url' | 'region'>,
  input: Record<string, unknown> = {},
): Promise<{
  CustomKeyStores: Record<string, unknown>[];
  NextMarker?: string;
  Truncated: boolean;
}> {
  const response = await send(emu, {
    operation: 'DescribeCustomKeyStores',
    body: JSON.stringify(input),
  });
  if (response.status !== 200)
    throw new Error(`Describe failed: ${response.status} ${response.body}`);
  return response.json as never;
}

/** Polls `check` until it returns true (no fixed sleeps); fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
