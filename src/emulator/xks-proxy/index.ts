/**
 * A software XKS proxy on loopback: the four APIs of the XKS Proxy API specification v1.0.3 over
 * HTTPS, AES-256-GCM keys in memory, SigV4 verified (service `kms-xks-proxy`, several credentials at
 * once, 5-minute window) with the emulator's own verifier, every error of the specification with
 * its status, and faults to rehearse each connection error KMS reports.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { SigV4Verifier } from '../sigv4.js';
import { type CertificateAuthority, createCertificateAuthority } from './certificate.js';

/** A credential the proxy accepts (`XksProxyAuthenticationCredential`). */
export interface XksProxyCredential {
  /** 20 to 30 characters of A-Z and 2-7. */
  accessKeyId: string;
  /** 43 to 64 characters of A-Z, a-z, 0-9, `+`, `/`, `=`. */
  rawSecretAccessKey: string;
}

/** An external key of the proxy. */
export interface XksProxyKeySeed {
  /** The external key ID (1-128 of A-Z, a-z, 0-9, `-`, `.`, `_`). */
  id: string;
  /** Default `AES_256` (the only spec KMS takes). */
  keySpec?: string;
  /** Default `['ENCRYPT', 'DECRYPT']`. */
  keyUsage?: readonly string[];
  /** Default `ENABLED`. */
  keyStatus?: 'ENABLED' | 'DISABLED';
  /** 32 bytes of key material; default random. */
  material?: Uint8Array;
}

/** A key as the proxy reports it (no material). */
export interface XksProxyKey {
  readonly id: string;
  readonly keySpec: string;
  readonly keyUsage: readonly string[];
  readonly keyStatus: 'ENABLED' | 'DISABLED';
}

/** Faults to inject; each applies to every request until changed with `setFaults`. */
export interface XksProxyFaults {
  /** Delay every answer by this many ms (KMS gives up after 250). */
  latencyMs?: number;
  /**
   * Answer every authenticated request with this error (status from the specification's table
   * unless given), e.g. `{ errorName: 'ThrottlingException' }`.
   */
  error?: { errorName: string; status?: number; errorMessage?: string };
  /**
   * Spoil successful answers: `not-json` (an HTML page), `empty` (no body), `missing-fields`
   * (required fields left out), `zero-fleet` (health with `xksProxyFleetSize: 0`), `bad-cdiv` (a
   * wrong `ciphertextDataIntegrityValue`), `short-tag` (a 12-byte authentication tag).
   */
  malformed?: 'not-json' | 'empty' | 'missing-fields' | 'zero-fleet' | 'bad-cdiv' | 'short-tag';
  /** Report every external key manager `UNAVAILABLE` (and fail key operations with 500). */
  ekmUnavailable?: boolean;
  /**
   * Serve a certificate that is `expired`, or made for `wrong-host` (both from the proxy's own CA;
   * only when the proxy made its certificate).
   */
  certificate?: 'expired' | 'wrong-host';
  /** Accept requests whatever their signature (a proxy with authentication switched off). */
  skipAuthentication?: boolean;
}

/** TLS settings: a certificate of yours, or (default) one the proxy makes for `hostname`. */
export interface XksProxyTlsOptions {
  /** PEM server certificate (chain); with `key`. Without them the proxy makes its own. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /**
   * Ask for a client certificate (mTLS) issued by this CA (PEM); the handshake fails without one.
   */
  clientCa?: string;
  /** With `clientCa`: the common name a client certificate must carry (KMS: `cks.kms.<region>.amazonaws.com`). */
  clientCommonName?: string;
}

/** Options of {@link startXksProxy}; every field has a default. */
export interface XksProxyOptions {
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default 0 (a free port). */
  port?: number;
  /** The host name of `url` and of the certificate it makes; default `localhost`. */
  hostname?: string;
  /** The region requests must be signed for; default `us-east-1`. */
  region?: string;
  /** The part of the URI path before `/kms/xks/v1`; default `/example`. Empty for none. */
  uriPathPrefix?: string;
  /** Accepted credentials (two or more during a rotation); default {@link xksProxyCredentials}. */
  credentials?: readonly XksProxyCredential[];
  /** The external keys; default {@link defaultXksProxyKeys}. */
  keys?: readonly XksProxyKeySeed[];
  /** TLS settings, or `false` for plain HTTP (loopback tests only); default its own certificate. */
  tls?: XksProxyTlsOptions | false;
  /** Faults to start with; default none. */
  faults?: XksProxyFaults;
  /** Offset of the proxy's clock from the local clock, in ms; default 0. */
  clockOffsetMs?: number;
  /**
   * Secondary authorization: return false to refuse a key request with 403
   * `AccessDeniedException` (health is never asked, as the specification requires).
   */
  authorize?: (request: XksProxyRequestRecord) => boolean;
  /** How many requests `requests` keeps (the latest); default 1000. */
  maxRecordedRequests?: number;
}

/** One request the proxy answered. */
export interface XksProxyRequestRecord {
  /** When it arrived (ms since the epoch). */
  time: number;
  method: string;
  path: string;
  /** `GetHealthStatus`, `GetKeyMetadata`, `Encrypt`, `Decrypt`, or undefined for no API. */
  operation: string | undefined;
  /** The external key ID of a key API. */
  externalKeyId: string | undefined;
  /** The access key ID it was signed with, once verified. */
  accessKeyId: string | undefined;
  /** `requestMetadata.kmsOperation` and `kmsRequestId`, when the body had them. */
  kmsOperation: string | undefined;
  kmsRequestId: string | undefined;
  /** The status answered (0 until answered). */
  status: number;
  /** The `errorName` answered, if any. */
  errorName: string | undefined;
}

/** A running software XKS proxy. */
export interface XksProxy {
  /** `https://<hostname>:<port>` (the `XksProxyUriEndpoint`, with the port). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** The host name of `url` and its certificate. */
  readonly hostname: string;
  /** The region it verifies. */
  readonly region: string;
  /** `<uriPathPrefix>/kms/xks/v1` (the `XksProxyUriPath`). */
  readonly uriPath: string;
  /** The CA certificate (PEM) to trust when it made its own certificate; else undefined. */
  readonly ca: string | undefined;
  /** The accepted credentials. */
  readonly credentials: readonly XksProxyCredential[];
  /** The keys (without material). */
  readonly keys: readonly XksProxyKey[];
  /** `{ '<hostname>:<port>': '<host>:<port>' }`, for a client's `connectTo`. */
  readonly connectTo: Readonly<Record<string, string>>;
  /** The requests answered, oldest first. */
  readonly requests: readonly XksProxyRequestRecord[];
  /** Replaces the faults (none when called without). */
  setFaults(faults?: XksProxyFaults): void;
  /** Sets a key's status (`DISABLED` keys refuse encrypt and decrypt). */
  setKeyStatus(id: string, status: 'ENABLED' | 'DISABLED'): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * The default credentials: two at once, as during a rotation. Made-up values for tests and
 * rehearsals only.
 */
export const xksProxyCredentials: readonly Readonly<XksProxyCredential>[] = Object.freeze([
  Object.freeze({
    accessKeyId: 'KMSCKSXKSPROXYEXAMPLEA',
    rawSecretAccessKey: 'a2tzLWNrcyBzb2Z0d2FyZSBYS1MgcHJveHkgZXhhbXBsZQ=',
  }),
  Object.freeze({
    accessKeyId: 'KMSCKSXKSPROXYEXAMPLEB',
    rawSecretAccessKey: 'cm90YXRlZCBrbXMtY2tzIFhLUyBwcm94eSBzZWNyZXQgMg=',
  }),
]);

/** The default keys: `xks-key-1` (usable by KMS) and `xks-key-disabled` (DISABLED). */
export const defaultXksProxyKeys: readonly Readonly<XksProxyKeySeed>[] = Object.freeze([
  Object.freeze({ id: 'xks-key-1' }),
  Object.freeze({ id: 'xks-key-disabled', keyStatus: 'DISABLED' as const }),
]);

/** The errors of the specification with their status. */
const errorStatus: Readonly<Record<string, number>> = {
  ValidationException: 400,
  InvalidStateException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  AuthenticationFailedException: 401,
  AccessDeniedException: 403,
  KeyNotFoundException: 404,
  InvalidUriPathException: 404,
  ThrottlingException: 429,
  UnsupportedOperationException: 501,
  DependencyTimeoutException: 503,
  InternalException: 500,
};

const fiveMinutes = 5 * 60_000;
const maxBodyBytes = 64 * 1024;
const externalKeyIdPattern = /^[A-Za-z0-9._-]{1,128}$/;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

class XksFailure extends Error {
  constructor(
    readonly errorName: string,
    message: string,
    readonly status = errorStatus[errorName] ?? 500,
  ) {
    super(message);
  }
}

interface Key {
  id: string;
  keySpec: string;
  keyUsage: readonly string[];
  keyStatus: 'ENABLED' | 'DISABLED';
  material: Buffer;
}

function decode(
  body: Record<string, unknown>,
  field: string,
  required: boolean,
): Buffer | undefined {
  const value = body[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !base64Pattern.test(value)) {
    throw new XksFailure('ValidationException', `${field} must be standard Base64`);
  }
  return Buffer.from(value, 'base64');
}

/** The AAD given to AES-GCM: lengths included, as the specification recommends. */
function gcmAad(aad: Buffer | undefined, metadata: Buffer | undefined): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(aad?.length ?? 0);
  return Buffer.concat([
    head,
    aad ?? Buffer.alloc(0),
    Buffer.from([metadata?.length ?? 0]),
    metadata ?? Buffer.alloc(0),
  ]);
}

function cdiv(parts: (Buffer | undefined)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) if (part) hash.update(part);
  return hash.digest('base64');
}

function gcmDecrypt(key: Key, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key.material, iv, { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/**
 * Starts a software XKS proxy; `startXksProxy()` runs with defaults: `https://localhost:<port>`,
 * path `/example/kms/xks/v1`, region `us-east-1`, {@link xksProxyCredentials}, two keys, its own
 * CA and certificate (trust `proxy.ca`).
 */
export async function startXksProxy(options: XksProxyOptions = {}): Promise<XksProxy> {
  const host = options.host ?? '127.0.0.1';
  const hostname = options.hostname ?? 'localhost';
  const region = options.region ?? 'us-east-1';
  const prefix = options.uriPathPrefix ?? '/example';
  if (prefix !== '' && !/^(\/[A-Za-z0-9_-]+)+$/.test(prefix)) {
    throw new TypeError(
      `uriPathPrefix '${prefix}' must be '' or /segments of a-z, A-Z, 0-9, - and _`,
    );
  }
  const uriPath = `${prefix}/kms/xks/v1`;
  const credentials = (options.credentials ?? xksProxyCredentials).map((entry) => ({ ...entry }));
  if (credentials.length === 0)
    throw new TypeError('credentials must name at least one credential');
  const keys = new Map<string, Key>();
  for (const seed of options.keys ?? defaultXksProxyKeys) {
    if (!externalKeyIdPattern.test(seed.id))
      throw new TypeError(`key id '${seed.id}' is not a valid external key ID`);
    if (keys.has(seed.id)) throw new TypeError(`key id '${seed.id}' is given twice`);
    const material = seed.material ? Buffer.from(seed.material) : randomBytes(32);
    if (material.length !== 32) throw new TypeError(`key '${seed.id}': material must be 32 bytes`);
    keys.set(seed.id, {
      id: seed.id,
      keySpec: seed.keySpec ?? 'AES_256',
      keyUsage: [...(seed.keyUsage ?? ['ENCRYPT', 'DECRYPT'])],
      keyStatus: seed.keyStatus ?? 'ENABLED',
      material,
    });
  }
  const verifier = new SigV4Verifier({
    region,
    service: 'kms-xks-proxy',
    credentials: credentials.map((entry) => ({
      accessKeyId: entry.accessKeyId,
      secretAccessKey: entry.rawSecretAccessKey,
    })),
    maxSkewMs: fiveMinutes,
  });
  let faults: XksProxyFaults = { ...options.faults };
  const records: XksProxyRequestRecord[] = [];
  const maxRecords = options.maxRecordedRequests ?? 1000;

  // TLS: the given certificate, or one made for the host name by a CA made now.
  const tlsOptions = options.tls === false ? undefined : (options.tls ?? {});
  let authority: CertificateAuthority | undefined;
  let serverPair: { cert: string; key: string } | undefined;
  if (tlsOptions) {
    if ((tlsOptions.cert === undefined) !== (tlsOptions.key === undefined)) {
      throw new TypeError('tls.cert and tls.key go together');
    }
    if (tlsOptions.cert !== undefined && tlsOptions.key !== undefined) {
      serverPair = { cert: tlsOptions.cert, key: tlsOptions.key };
    } else {
      authority = createCertificateAuthority();
      serverPair = authority.issue({ commonName: hostname, altNames: isIP(host) ? [host] : [] });
    }
  }
  const certificateFor = (fault: XksProxyFaults['certificate']) => {
    if (!fault) return serverPair!;
    if (!authority)
      throw new TypeError('certificate faults need the certificate the proxy makes itself');
    return fault === 'expired'
      ? authority.issue({
          commonName: hostname,
          notBefore: new Date(Date.now() - 60 * 86_400_000),
          notAfter: new Date(Date.now() - 86_400_000),
        })
      : authority.issue({ commonName: 'wrong-host.invalid' });
  };
  if (faults.certificate) certificateFor(faults.certificate);

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const record: XksProxyRequestRecord = {
      time: Date.now(),
      method: request.method ?? '',
      path: request.url ?? '',
      operation: undefined,
      externalKeyId: undefined,
      accessKeyId: undefined,
      kmsOperation: undefined,
      kmsRequestId: undefined,
      status: 0,
      errorName: undefined,
    };
    records.push(record);
    if (records.length > maxRecords) records.splice(0, records.length - maxRecords);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('error', () => response.destroy());
    request.on('end', () => {
      const current = faults;
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        const send = () => {
          if (response.destroyed) return;
          const text =
            body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
          response.writeHead(status, {
            'content-type': typeof body === 'string' ? 'text/html' : 'application/json',
            'content-length': Buffer.byteLength(text),
            ...headers,
          });
          response.end(text);
        };
        if (current.latencyMs) setTimeout(send, current.latencyMs);
        else send();
      };
      const fail = (failure: XksFailure) => {
        record.errorName = failure.errorName;
        answer(failure.status, { errorName: failure.errorName, errorMessage: failure.message });
      };
      try {
        const body = Buffer.concat(chunks);
        const url = record.path.split('?')[0] ?? '';
        // Route first: the URI path says which key store (and credentials) a request is for.
        let operation: string | undefined;
        let keyId: string | undefined;
        if (url === `${uriPath}/health`) operation = 'GetHealthStatus';
        else if (url.startsWith(`${uriPath}/keys/`)) {
          const match = /^([^/]+)\/(metadata|encrypt|decrypt)$/.exec(url.slice(uriPath.length + 6));
          if (match) {
            // A malformed percent-encoding is no path of this proxy.
            try {
              keyId = decodeURIComponent(match[1]!);
              operation = { metadata: 'GetKeyMetadata', encrypt: 'Encrypt', decrypt: 'Decrypt' }[
                match[2] as 'metadata' | 'encrypt' | 'decrypt'
              ];
            } catch {
              keyId = undefined;
            }
          }
        }
        record.operation = operation;
        record.externalKeyId = keyId;
        if (!operation) {
          throw new XksFailure('InvalidUriPathException', `No XKS API at this URI path`);
        }
        if (request.method !== 'POST') {
          record.errorName = undefined;
          answer(405, undefined, { allow: 'POST' });
          return;
        }
        if (tooLarge) {
          throw new XksFailure(
            'UnsupportedOperationException',
            `Request body larger than ${maxBodyBytes} bytes`,
          );
        }
        if (!current.skipAuthentication) {
          const headers: [string, string][] = [];
          for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
            headers.push([request.rawHeaders[index]!, request.rawHeaders[index + 1]!]);
          }
          const verified = verifier.verify(
            { method: 'POST', target: record.path, headers, body },
            Date.now() + (options.clockOffsetMs ?? 0),
          );
          if ('type' in verified) {
            throw new XksFailure(
              'AuthenticationFailedException',
              authenticationMessage(verified.type, verified.message),
            );
          }
          record.accessKeyId = verified.accessKeyId;
        }
        let json: Record<string, unknown> = {};
        try {
          const parsed: unknown = JSON.parse(body.toString('utf8'));
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
            json = parsed as Record<string, unknown>;
          } else if (operation !== 'GetHealthStatus') {
            throw new Error('not an object');
          }
        } catch {
          if (operation !== 'GetHealthStatus') {
            throw new XksFailure('ValidationException', 'The body must be a JSON object');
          }
        }
        const metadata = json.requestMetadata as Record<string, unknown> | undefined;
        if (typeof metadata === 'object' && metadata !== null) {
          if (typeof metadata.kmsOperation === 'string')
            record.kmsOperation = metadata.kmsOperation;
          if (typeof metadata.kmsRequestId === 'string')
            record.kmsRequestId = metadata.kmsRequestId;
        }
        if (current.error) {
          throw new XksFailure(
            current.error.errorName,
            current.error.errorMessage ?? 'Injected fault',
            current.error.status,
          );
        }
        if (operation === 'GetHealthStatus') {
          answer(200, spoil(current, 'health', health(current)));
          return;
        }
        if (
          typeof metadata !== 'object' ||
          metadata === null ||
          typeof metadata.kmsOperation !== 'string' ||
          typeof metadata.kmsRequestId !== 'string'
        ) {
          throw new XksFailure(
            'ValidationException',
            'requestMetadata with kmsOperation and kmsRequestId is required',
          );
        }
        if (options.authorize && !options.authorize({ ...record })) {
          throw new XksFailure('AccessDeniedException', 'Not authorized by the proxy policy');
        }
        const key = keys.get(keyId!);
        if (!key) throw new XksFailure('KeyNotFoundException', `No external key with ID ${keyId}`);
        if (operation === 'GetKeyMetadata') {
          answer(
            200,
            spoil(current, 'metadata', {
              keySpec: key.keySpec,
              keyUsage: [...key.keyUsage],
              keyStatus: key.keyStatus,
            }),
          );
          return;
        }
        if (current.ekmUnavailable) {
          throw new XksFailure('InternalException', 'The external key manager is unavailable');
        }
        if (key.keyStatus !== 'ENABLED')
          throw new XksFailure('InvalidStateException', 'The external key is disabled');
        const usage = operation === 'Encrypt' ? 'ENCRYPT' : 'DECRYPT';
        if (key.keySpec !== 'AES_256' || !key.keyUsage.includes(usage)) {
          throw new XksFailure(
            'InvalidKeyUsageException',
            `The external key does not support ${usage}`,
          );
        }
        if (json.encryptionAlgorithm !== 'AES_GCM') {
          throw new XksFailure('ValidationException', "encryptionAlgorithm must be 'AES_GCM'");
        }
        const aad = decode(json, 'additionalAuthenticatedData', false);
        if (operation === 'Encrypt') {
          const plaintext = decode(json, 'plaintext', true)!;
          const algorithm = json.ciphertextDataIntegrityValueAlgorithm;
          if (algorithm !== undefined && algorithm !== 'SHA_256') {
            throw new XksFailure(
              'ValidationException',
              "ciphertextDataIntegrityValueAlgorithm must be 'SHA_256'",
            );
          }
          const iv = randomBytes(12);
          const cipher = createCipheriv('aes-256-gcm', key.material, iv, { authTagLength: 16 });
          cipher.setAAD(gcmAad(aad, undefined));
          const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
          const tag = cipher.getAuthTag();
          const output: Record<string, string> = {
            authenticationTag: tag.toString('base64'),
            ciphertext: ciphertext.toString('base64'),
            initializationVector: iv.toString('base64'),
          };
          if (algorithm !== undefined) {
            // CDIV first, then the check that it decrypts (Appendix C's order).
            output.ciphertextDataIntegrityValue = cdiv([aad, iv, ciphertext, tag]);
            gcmDecrypt(key, iv, ciphertext, tag, gcmAad(aad, undefined));
          }
          answer(200, spoil(current, 'encrypt', output));
          return;
        }
        const ciphertext = decode(json, 'ciphertext', true)!;
        const iv = decode(json, 'initializationVector', true)!;
        const tag = decode(json, 'authenticationTag', true)!;
        const ciphertextMetadata = decode(json, 'ciphertextMetadata', false);
        if (ciphertextMetadata && ciphertextMetadata.length > 20) {
          throw new XksFailure(
            'ValidationException',
            'ciphertextMetadata must be at most 20 bytes',
          );
        }
        let plaintext: Buffer;
        try {
          if ((iv.length !== 12 && iv.length !== 16) || tag.length !== 16) throw new Error('sizes');
          plaintext = gcmDecrypt(key, iv, ciphertext, tag, gcmAad(aad, ciphertextMetadata));
        } catch {
          throw new XksFailure(
            'InvalidCiphertextException',
            'The ciphertext, initialization vector, authentication tag or additional authenticated data is invalid',
          );
        }
        answer(200, spoil(current, 'decrypt', { plaintext: plaintext.toString('base64') }));
      } catch (error) {
        if (error instanceof XksFailure) fail(error);
        else fail(new XksFailure('InternalException', 'Internal error'));
      }
    });
  };

  const health = (current: XksProxyFaults) => ({
    xksProxyFleetSize: 1,
    xksProxyVendor: 'kms-custom-key-store',
    xksProxyModel: 'kms-cks software XKS proxy 1.0',
    ekmVendor: 'kms-custom-key-store',
    ekmFleetDetails: [
      {
        id: 'ekm-1',
        model: 'in-memory AES-256-GCM',
        healthStatus: current.ekmUnavailable ? 'UNAVAILABLE' : 'ACTIVE',
      },
    ],
  });

  const server: Server | TlsServer = tlsOptions
    ? createHttpsServer(
        {
          ...certificateFor(faults.certificate),
          minVersion: 'TLSv1.2',
          ...(tlsOptions.clientCa !== undefined && {
            ca: tlsOptions.clientCa,
            requestCert: true,
            rejectUnauthorized: true,
          }),
        },
        (request, response) => {
          const expected = tlsOptions.clientCommonName;
          if (expected !== undefined) {
            const socket = request.socket as import('node:tls').TLSSocket;
            if (socket.getPeerCertificate().subject?.CN !== expected) {
              socket.destroy();
              return;
            }
          }
          handle(request, response);
        },
      )
    : createHttpServer(handle);
  (server as Server).keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  const dialHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `${tlsOptions ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    host,
    hostname,
    region,
    uriPath,
    ca: authority?.cert,
    credentials,
    get keys() {
      return [...keys.values()].map(({ id, keySpec, keyUsage, keyStatus }) => ({
        id,
        keySpec,
        keyUsage: [...keyUsage],
        keyStatus,
      }));
    },
    connectTo: { [`${urlHost}:${port}`]: `${dialHost}:${port}` },
    requests: records,
    setFaults(next = {}) {
      if (tlsOptions && next.certificate !== faults.certificate) {
        (server as TlsServer).setSecureContext({
          ...certificateFor(next.certificate),
          minVersion: 'TLSv1.2',
        });
      }
      faults = { ...next };
    },
    setKeyStatus(id, status) {
      const key = keys.get(id);
      if (!key) throw new TypeError(`no key '${id}'`);
      key.keyStatus = status;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as Server).closeAllConnections?.();
      });
    },
  };
}

/** A short, printable-ASCII message for a refused signature (never the canonical request). */
function authenticationMessage(type: string, message: string): string {
  if (/expired|not yet current/i.test(message)) {
    return 'Signature date is more than 5 minutes from the proxy clock';
  }
  if (/scoped to a valid region/.test(message)) return 'Credential scope names another region';
  if (/scoped to correct service/.test(message))
    return "Credential scope must name service 'kms-xks-proxy'";
  switch (type) {
    case 'MissingAuthenticationTokenException':
      return 'Missing SigV4 Authorization header';
    case 'UnrecognizedClientException':
      return 'Unknown access key ID';
    case 'InvalidSignatureException':
      return 'Signature does not match';
    default:
      return 'Malformed SigV4 authorization';
  }
}

/** Applies a `malformed` fault to a successful answer. */
function spoil(
  faults: XksProxyFaults,
  api: 'health' | 'metadata' | 'encrypt' | 'decrypt',
  body: Record<string, unknown>,
): unknown {
  switch (faults.malformed) {
    case 'not-json':
      return '<html><body>Service Unavailable</body></html>';
    case 'empty':
      return undefined;
    case 'missing-fields': {
      const { [Object.keys(body)[0]!]: _dropped, ...rest } = body;
      return rest;
    }
    case 'zero-fleet':
      return api === 'health' ? { ...body, xksProxyFleetSize: 0 } : body;
    case 'bad-cdiv':
      return api === 'encrypt' && body.ciphertextDataIntegrityValue !== undefined
        ? { ...body, ciphertextDataIntegrityValue: Buffer.alloc(32, 7).toString('base64') }
        : body;
    case 'short-tag':
      return api === 'encrypt'
        ? { ...body, authenticationTag: Buffer.alloc(12).toString('base64') }
        : body;
    default:
      return body;
  }
}
