/**
 * X.509 certificates made at run time for the software XKS proxy: a small DER writer over
 * node:crypto (P-256 keys, ECDSA with SHA-256), enough for a CA and the server certificates it
 * issues — a valid one for a host name, an expired one, one for another host. A dependency for
 * this would be bigger than the ~150 lines it takes, and nothing here parses untrusted input.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

/** A certificate and its private key, PEM. */
export interface PemPair {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS #8 PEM. */
  key: string;
}

/** A certificate authority that can issue certificates. */
export interface CertificateAuthority extends PemPair {
  /** Issues a server (and client) certificate. */
  issue(options: IssueOptions): PemPair;
}

/** What to put in an issued certificate. */
export interface IssueOptions {
  /** Subject common name; also the first subject alternative name. */
  commonName: string;
  /** More DNS names or IP addresses for the subject alternative names. */
  altNames?: readonly string[];
  /** Start of validity; default an hour ago. */
  notBefore?: Date;
  /** End of validity; default 90 days from now. */
  notAfter?: Date;
}

// --- DER ---------------------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}
const sequence = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Buffer[]) => tlv(0xa0 + n, ...parts);
const octets = (bytes: Buffer) => tlv(0x04, bytes);
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}
function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.from([unusedBits]), bytes);
}
function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift(0x80 | (value & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = date.getUTCFullYear();
  // UTCTime through 2049, GeneralizedTime after (RFC 5280).
  return year < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}
const name = (commonName: string) => sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))));
const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
const extension = (id: string, critical: boolean, value: Buffer) =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octets(value));

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

function subjectAltNames(names: readonly string[]): Buffer {
  return sequence(
    ...names.map((entry) => {
      if (isIP(entry) === 4) return tlv(0x87, Buffer.from(entry.split('.').map(Number)));
      if (isIP(entry) === 6) {
        const groups = expandIPv6(entry);
        const bytes = Buffer.alloc(16);
        for (const [index, group] of groups.entries()) bytes.writeUInt16BE(group, index * 2);
        return tlv(0x87, bytes);
      }
      return tlv(0x82, Buffer.from(entry, 'ascii'));
    }),
  );
}

function expandIPv6(address: string): number[] {
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...right].map(
    (group) => Number.parseInt(group, 16),
  );
}

interface CertificateFields {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerPublicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  authority: boolean;
  altNames?: readonly string[];
}

function certificate(fields: CertificateFields): Buffer {
  const extensions = [
    extension('2.5.29.19', true, fields.authority ? sequence(boolean(true)) : sequence()),
    // keyUsage: keyCertSign + cRLSign for the CA, digitalSignature for a server.
    extension(
      '2.5.29.15',
      true,
      fields.authority ? bitString(Buffer.from([0x06]), 1) : bitString(Buffer.from([0x80]), 7),
    ),
    extension('2.5.29.14', false, octets(keyIdentifier(fields.publicKey))),
    extension('2.5.29.35', false, sequence(tlv(0x80, keyIdentifier(fields.issuerPublicKey)))),
  ];
  if (!fields.authority) {
    // serverAuth and clientAuth: the same certificate can serve TLS either way in tests.
    extensions.push(
      extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
    );
    extensions.push(extension('2.5.29.17', false, subjectAltNames(fields.altNames ?? [])));
  }
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name(fields.issuer),
    sequence(time(fields.notBefore), time(fields.notAfter)),
    name(fields.subject),
    fields.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, fields.signingKey);
  return sequence(tbs, ecdsaWithSha256, bitString(signature));
}

const hour = 3_600_000;
const day = 24 * hour;

function keyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/**
 * Makes a new CA (P-256, valid from an hour ago for a year) whose `issue` makes server
 * certificates. Keys live in memory only.
 */
export function createCertificateAuthority(
  commonName = 'kms-cks software XKS proxy test CA',
): CertificateAuthority {
  const { publicKey, privateKey } = keyPair();
  const now = Date.now();
  const cert = pem(
    'CERTIFICATE',
    certificate({
      subject: commonName,
      issuer: commonName,
      publicKey,
      signingKey: privateKey,
      issuerPublicKey: publicKey,
      notBefore: new Date(now - hour),
      notAfter: new Date(now + 365 * day),
      authority: true,
    }),
  );
  return {
    cert,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    issue(options) {
      const pair = keyPair();
      const issued = certificate({
        subject: options.commonName,
        issuer: commonName,
        publicKey: pair.publicKey,
        signingKey: privateKey,
        issuerPublicKey: publicKey,
        notBefore: options.notBefore ?? new Date(Date.now() - hour),
        notAfter: options.notAfter ?? new Date(Date.now() + 90 * day),
        authority: false,
        altNames: [options.commonName, ...(options.altNames ?? [])],
      });
      return {
        cert: pem('CERTIFICATE', issued),
        key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
    },
  };
}
