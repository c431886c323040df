/**
 * Recomputes a SigV4 signature with node:crypto from what the server received, independently of
 * the signer the client uses, so that a signing bug cannot confirm itself.
 */
import { createHash, createHmac } from 'node:crypto';
import type { RecordedRequest } from './loopback.js';

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) =>
  createHmac('sha256', key).update(data, 'utf8').digest();

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      header ?? '',
    );
  if (!match) throw new Error(`Malformed Authorization header: ${header}`);
  return {
    accessKeyId: match[1]!,
    date: match[2]!,
    region: match[3]!,
    service: match[4]!,
    signedHeaders: match[5]!.split(';'),
    signature: match[6]!,
  };
}

/**
 * The canonical URI of a request path as SigV4 defines it for every service but S3: empty and dot
 * segments dropped, the (already percent-encoded) path encoded once more, `/` kept.
 */
export function canonicalPath(url: string): string {
  const path = url.split('?')[0] ?? '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  const encode = (segment: string) =>
    encodeURIComponent(segment).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  return `/${segments.map(encode).join('/')}${trailing}`;
}

/** The signature the request should carry for this secret. */
export function expectedSignature(request: RecordedRequest, secretAccessKey: string): string {
  const auth = parseAuthorization(request.headers.authorization);
  const amzDate = String(request.headers['x-amz-date']);
  const canonicalHeaders = auth.signedHeaders
    .map((name) => `${name}:${String(request.headers[name]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    request.method,
    canonicalPath(request.url),
    '',
    canonicalHeaders,
    auth.signedHeaders.join(';'),
    sha256(request.body),
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${secretAccessKey}`, auth.date);
  key = hmac(key, auth.region);
  key = hmac(key, auth.service);
  key = hmac(key, 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}
