/**
 * A small XKS proxy stand-in for the emulator's live XKS tests: node:https on 127.0.0.1 serving
 * `POST {uriPath}/health` as the XKS Proxy API specification says, verifying SigV4 with
 * `@smithy/signature-v4` (not with the emulator's code), with faults to inject. Its handle has the
 * shape of the software proxy's (`url`, `port`, `uriPath`, `ca`, `credentials`, `close()`), so a
 * test can swap it for `startXksProxy` once that exists. Certificates are made at test time with
 * `openssl` in a private temp folder that is removed at once: no private key is committed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

const run = promisify(execFile);

/** A certificate and its key, PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** The certificates the live XKS tests need. */
export interface TestCertificates {
  /** The CA to trust (`xks.ca`). */
  ca: string;
  /** Valid now, SAN `DNS:xks.example.com`, issued by `ca`. */
  valid: KeyPair;
  /** SAN `DNS:xks.example.com`, issued by `ca`, expired in 2020. */
  expired: KeyPair;
  /** Valid now, issued by `ca`, but for `DNS:other.example.com`. */
  wrongHost: KeyPair;
  /** Valid now for `xks.example.com`, issued by a CA nobody trusts. */
  untrusted: KeyPair;
}

/** The host name the certificates are for. */
export const xksHost = 'xks.example.com';

/** Makes the test certificates with openssl (EC P-256, quick to make and to handshake). */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'kms-cks-xks-certs-'));
  try {
    const file = (name: string) => join(dir, name);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    const makeCa = async (name: string) => {
      await run('openssl', [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        file(`${name}.key`),
        '-out',
        file(`${name}.pem`),
        '-subj',
        `/CN=${name} test CA`,
        '-days',
        '2',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
    };
    await makeCa('trusted');
    await makeCa('stranger');
    await writeFile(
      file('ca.cnf'),
      [
        '[ca]',
        'default_ca = test',
        '[test]',
        `database = ${file('index.txt')}`,
        `new_certs_dir = ${dir}`,
        `serial = ${file('serial')}`,
        'default_md = sha256',
        'policy = anything',
        'copy_extensions = copy',
        'unique_subject = no',
        '[anything]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    await writeFile(file('index.txt'), '');
    await writeFile(file('serial'), '1000\n');
    const leaf = async (
      name: string,
      host: string,
      ca: string,
      validity: string[],
    ): Promise<KeyPair> => {
      await run('openssl', [
        'req',
        '-new',
        ...ec,
        '-keyout',
        file(`${name}.key`),
        '-out',
        file(`${name}.csr`),
        '-subj',
        `/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`,
      ]);
      await run('openssl', [
        'ca',
        '-batch',
        '-notext',
        '-config',
        file('ca.cnf'),
        '-cert',
        file(`${ca}.pem`),
        '-keyfile',
        file(`${ca}.key`),
        '-in',
        file(`${name}.csr`),
        '-out',
        file(`${name}.pem`),
        ...validity,
      ]);
      return {
        cert: await readFile(file(`${name}.pem`), 'utf8'),
        key: await readFile(file(`${name}.key`), 'utf8'),
      };
    };
    const now = ['-days', '2'];
    return {
      ca: await readFile(file('trusted.pem'), 'utf8'),
      valid: await leaf('valid', xksHost, 'trusted', now),
      expired: await leaf('expired', xksHost, 'trusted', [
        '-startdate',
        '20200101000000Z',
        '-enddate',
        '20200201000000Z',
      ]),
      wrongHost: await leaf('wrong-host', 'other.example.com', 'trusted', now),
      untrusted: await leaf('untrusted', xksHost, 'stranger', now),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A proxy credential. */
export interface StandInCredential {
  accessKeyId: string;
  rawSecretAccessKey: string;
}

/** What the stand-in does to the next health requests (after path and signature checks). */
export type StandInFault =
  /** Any status and body. */
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  /** Answers healthy, `ms` late. */
  | { kind: 'delay'; ms: number }
  /** Answers 200 with every ekm UNAVAILABLE. */
  | { kind: 'unavailable' }
  /** Destroys the connection without an answer. */
  | { kind: 'drop' };

/** One request the stand-in received. */
export interface StandInRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the signature checked out. */
  authenticated: boolean;
  /** The status sent (undefined for a dropped connection). */
  status?: number;
}

/** Options of {@link startXksStandIn}. */
export interface StandInOptions {
  /** The server certificate and key. */
  tls: KeyPair;
  /** Accepted credentials; default one made-up pair. */
  credentials?: StandInCredential[];
  /** Default `/example/kms/xks/v1`. */
  uriPath?: string;
  /** The region signatures must be scoped to; default `us-east-1`. */
  region?: string;
  /** The CA that issued `tls` (PEM), handed back as the handle's `ca`. */
  ca?: string;
  /** More TLS server options (e.g. `maxVersion: 'TLSv1.1'` for a proxy stuck on an old TLS). */
  tlsOptions?: import('node:tls').TlsOptions;
}

/** A running stand-in. */
export interface XksStandIn {
  /** `https://127.0.0.1:<port>` (the certificate is for `xks.example.com`: use connectTo). */
  url: string;
  port: number;
  uriPath: string;
  /** The CA to trust for it, when the options named one (as the software proxy's handle has it). */
  ca: string | undefined;
  credentials: StandInCredential[];
  /** Every request received, oldest first. */
  requests: StandInRequest[];
  /** The fault every health request gets until it is set to undefined. */
  fault: StandInFault | undefined;
  /** Serves another certificate from the next connection on (a proxy whose TLS is fixed). */
  setCertificate(tls: KeyPair): void;
  close(): Promise<void>;
}

/** A made-up credential in the specification's format. */
export const standInCredential: StandInCredential = {
  accessKeyId: 'AKIAXKSSTANDIN234567',
  rawSecretAccessKey: 'c3RhbmQtaW4tc2VjcmV0LW5vdC1mb3ItYW55dGhpbmctZWxzZQ0123456789+/=',
};

/** A healthy GetHealthStatus answer. */
export function healthReport(healthStatus = 'ACTIVE'): Record<string, unknown> {
  return {
    xksProxyFleetSize: 1,
    xksProxyVendor: 'kms-custom-key-store tests',
    xksProxyModel: 'XKS stand-in 1.0',
    ekmVendor: 'tests',
    ekmFleetDetails: [
      { id: 'ekm-1', model: 'in-memory', healthStatus },
      { id: 'ekm-2', model: 'in-memory', healthStatus },
    ],
  };
}

/** Checks a request's SigV4 signature by signing it again with @smithy/signature-v4. */
export async function signatureMatches(
  request: {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  },
  credentials: readonly StandInCredential[],
  region: string,
): Promise<boolean> {
  const authorization = String(request.headers.authorization ?? '');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\//.exec(authorization);
  const credential = credentials.find((entry) => entry.accessKeyId === match?.[1]);
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!credential || !parts) return false;
  const [, y, mo, d, h, mi, s] = parts.map(Number) as number[];
  const signer = new SignatureV4({
    service: 'kms-xks-proxy',
    region,
    credentials: {
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.rawSecretAccessKey,
    },
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const host = String(request.headers.host ?? '');
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: host,
      path: request.path,
      query: {},
      headers: { host, 'x-amz-date': amzDate },
      body: request.body,
    },
    { signingDate: new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!)) },
  );
  return signed.headers.authorization === authorization;
}

function errorBody(errorName: string, errorMessage: string): string {
  return JSON.stringify({ errorName, errorMessage });
}

/** Starts the stand-in on 127.0.0.1 (a free port). */
export async function startXksStandIn(options: StandInOptions): Promise<XksStandIn> {
  const uriPath = options.uriPath ?? '/example/kms/xks/v1';
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? [standInCredential];
  const requests: StandInRequest[] = [];
  const sockets = new Set<Socket>();
  const handle: XksStandIn = {
    url: '',
    port: 0,
    uriPath,
    ca: options.ca,
    credentials,
    requests,
    fault: undefined,
    setCertificate: (tls) => server.setSecureContext({ key: tls.key, cert: tls.cert }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer(
    { ...options.tlsOptions, key: options.tls.key, cert: options.tls.cert },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          const recorded: StandInRequest = {
            method: req.method ?? '',
            path: req.url ?? '',
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            authenticated: false,
          };
          requests.push(recorded);
          const answer = (status: number, body: string, contentType = 'application/json') => {
            recorded.status = status;
            res.writeHead(status, { 'content-type': contentType });
            res.end(body);
          };
          if (recorded.path !== `${uriPath}/health`) {
            answer(404, errorBody('InvalidUriPathException', 'No such path'));
            return;
          }
          if (recorded.method !== 'POST') {
            answer(405, errorBody('ValidationException', 'Use POST'));
            return;
          }
          recorded.authenticated = await signatureMatches(recorded, credentials, region);
          if (!recorded.authenticated) {
            answer(401, errorBody('AuthenticationFailedException', 'Signature mismatch'));
            return;
          }
          const fault = handle.fault;
          switch (fault?.kind) {
            case 'status':
              answer(fault.status, fault.body ?? '', fault.contentType);
              return;
            case 'drop':
              req.socket.destroy();
              return;
            case 'unavailable':
              answer(200, JSON.stringify(healthReport('UNAVAILABLE')));
              return;
            case 'delay':
              await new Promise((resolve) => setTimeout(resolve, fault.ms));
              if (!res.destroyed) answer(200, JSON.stringify(healthReport()));
              return;
            default:
              answer(200, JSON.stringify(healthReport()));
          }
        })();
      });
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A TLS handshake the client gives up on is not an error of the test.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  handle.port = (server.address() as AddressInfo).port;
  handle.url = `https://127.0.0.1:${handle.port}`;
  return handle;
}

/**
 * The emulator's live XKS options for a proxy on loopback (this stand-in or the software proxy):
 * `https://xks.example.com` is sent to its port, and its CA is trusted.
 */
export function liveXksOptionsFor(
  proxy: { port: number; ca?: string | undefined },
  extra: Record<string, unknown> = {},
): { mode: 'live'; ca?: string; connectTo: Record<string, string> } {
  return {
    mode: 'live',
    ...(proxy.ca !== undefined && { ca: proxy.ca }),
    connectTo: { [`${xksHost}:443`]: `127.0.0.1:${proxy.port}` },
    ...extra,
  };
}
