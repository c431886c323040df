/**
 * `kms-cks xks check`: runs `checkXksProxy` against a proxy and prints one line (or table row)
 * per check, or one JSON document. The secret comes from `--secret-file`, `KMS_CKS_XKS_SECRET`
 * or stdin, and is never printed.
 */
import { checkXksProxy, type XksCheckReport } from '../xks/check.js';
import type { XksProxyAuthenticationCredential } from '../xks/client.js';
import { UsageError } from './args.js';
import { alignRows, formatJson, printable, type TextSink } from './output.js';
import { readCliFile } from './secrets.js';

/** What `runXksCheck` needs from the CLI. */
export interface XksCheckIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Whether stdout is a terminal: a table instead of plain lines. */
  stdoutIsTTY: boolean;
  /** Reads all of stdin (the secret), when the bin gives a way to. */
  readStdin?: ((maxBytes: number) => Promise<string>) | undefined;
  signal?: AbortSignal | undefined;
  /** The environment (KMS_CKS_XKS_SECRET). */
  env: NodeJS.ProcessEnv;
}

/** The parsed options of `xks check`. */
export interface XksCheckCommand {
  endpoint: string | undefined;
  path: string | undefined;
  region: string | undefined;
  accessKeyId: string | undefined;
  secretFile: string | undefined;
  secondCredentialFile: string | undefined;
  keyIds: readonly string[];
  connectTo: readonly string[];
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  /** The budget of a timed call, in ms; default KMS's 250. */
  budgetMs?: number | undefined;
  json: boolean;
}

/** Largest secret, credential or PEM file read. */
const maxFileBytes = 64 * 1024;
const maxSecretBytes = 4096;

/** A file of one of the check's flags (see {@link readCliFile}); a secret must be the user's own. */
function readSmallFile(
  path: string,
  option: string,
  options: { maxBytes: number; secret: boolean },
): Promise<string> {
  return readCliFile(path, `--${option}`, {
    maxBytes: options.maxBytes,
    owners: options.secret ? 'self' : 'anyone',
    command: 'xks',
  });
}

/** A secret file's content: the secret on its first line. */
function secretOf(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)[0]!
    .trim();
}

/**
 * A credential file: the KMS console's proxy configuration file
 * (`{"XksProxyAuthenticationCredential": {"AccessKeyId", "RawSecretAccessKey"}}`), or
 * `{"accessKeyId", "rawSecretAccessKey"}`.
 */
function credentialOf(text: string, option: string): XksProxyAuthenticationCredential {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(
      `--${option}: not JSON (expected the proxy configuration file of the KMS console, or {"accessKeyId", "rawSecretAccessKey"})`,
      'xks',
    );
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const console = record.XksProxyAuthenticationCredential as Record<string, unknown> | undefined;
  const accessKeyId = console?.AccessKeyId ?? record.accessKeyId;
  const rawSecretAccessKey = console?.RawSecretAccessKey ?? record.rawSecretAccessKey;
  if (
    typeof accessKeyId !== 'string' ||
    typeof rawSecretAccessKey !== 'string' ||
    !accessKeyId ||
    !rawSecretAccessKey
  ) {
    throw new UsageError(`--${option}: no AccessKeyId and RawSecretAccessKey in the file`, 'xks');
  }
  return { accessKeyId, rawSecretAccessKey };
}

/** `HOST:PORT:ADDR:PORT` (curl's `--connect-to`) as a connectTo entry. */
function connectToEntry(text: string): [string, string] {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5}):(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  if (!match) {
    throw new UsageError(
      `--connect-to '${text}' is not HOST:PORT:ADDRESS:PORT (e.g. xks.example.com:443:127.0.0.1:8443)`,
      'xks',
    );
  }
  return [`${match[1]}:${match[2]}`, `${match[3]}:${match[4]}`];
}

/** Runs the check; resolves with the exit code (0 no failure, 1 a failure, 2 usage). */
export async function runXksCheck(command: XksCheckCommand, io: XksCheckIo): Promise<number> {
  const missing = (
    [
      ['endpoint', command.endpoint],
      ['path', command.path],
      ['region', command.region],
      ['access-key-id', command.accessKeyId],
    ] as const
  )
    .filter(([, value]) => value === undefined)
    .map(([name]) => `--${name}`);
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')}`, 'xks');
  let secret: string;
  if (command.secretFile !== undefined) {
    secret = secretOf(
      await readSmallFile(command.secretFile, 'secret-file', {
        maxBytes: maxSecretBytes,
        secret: true,
      }),
    );
  } else if (io.env.KMS_CKS_XKS_SECRET !== undefined) {
    secret = io.env.KMS_CKS_XKS_SECRET.trim();
  } else if (io.readStdin) {
    try {
      secret = secretOf(await io.readStdin(maxSecretBytes));
    } catch (error) {
      throw new UsageError((error as Error).message, 'xks');
    }
  } else {
    throw new UsageError(
      'no secret: give --secret-file FILE, set KMS_CKS_XKS_SECRET, or pipe it on stdin',
      'xks',
    );
  }
  if (secret === '') throw new UsageError('the secret is empty', 'xks');
  const second =
    command.secondCredentialFile === undefined
      ? undefined
      : credentialOf(
          await readSmallFile(command.secondCredentialFile, 'second-credential-file', {
            maxBytes: maxSecretBytes,
            secret: true,
          }),
          'second-credential-file',
        );
  const ca =
    command.ca === undefined
      ? undefined
      : await readSmallFile(command.ca, 'ca', { maxBytes: maxFileBytes, secret: false });
  if ((command.cert === undefined) !== (command.key === undefined)) {
    throw new UsageError('--cert and --key go together', 'xks');
  }
  const clientCertificate =
    command.cert !== undefined && command.key !== undefined
      ? {
          cert: await readSmallFile(command.cert, 'cert', {
            maxBytes: maxFileBytes,
            secret: false,
          }),
          key: await readSmallFile(command.key, 'key', { maxBytes: maxFileBytes, secret: true }),
        }
      : undefined;
  const connectTo = Object.fromEntries(command.connectTo.map(connectToEntry));
  const report = await checkXksProxy({
    uriEndpoint: command.endpoint!,
    uriPath: command.path!,
    region: command.region!,
    credentials: { accessKeyId: command.accessKeyId!, rawSecretAccessKey: secret },
    ...(second && { secondCredentials: second }),
    keyIds: command.keyIds,
    ...(ca !== undefined && { ca }),
    ...(clientCertificate && { clientCertificate }),
    connectTo,
    ...(command.budgetMs !== undefined && { budgetMs: command.budgetMs }),
    ...(io.signal && { signal: io.signal }),
  });
  io.stdout.write(command.json ? formatJson(report) : formatReport(report, io.stdoutIsTTY));
  return report.ok ? 0 : 1;
}

/** The report as a table (terminal) or one line per check. */
export function formatReport(report: XksCheckReport, table: boolean): string {
  const head = `XKS proxy ${printable(report.uriEndpoint)}${printable(report.uriPath)} (${printable(report.region)}, access key ${printable(report.accessKeyId)})\n`;
  const { pass, fail, warn, skip } = report.summary;
  const tail = `${pass} passed, ${fail} failed, ${warn} warnings, ${skip} skipped: ${report.ok ? 'KMS should connect' : 'KMS would not work with this proxy as it is'}\n`;
  if (table) {
    const rows = [
      ['STATUS', 'CHECK', 'SEEN', 'KMS WOULD SAY'],
      ...report.checks.map((check) => [
        check.status.toUpperCase(),
        printable(check.id),
        printable(check.seen),
        check.status === 'fail' ? printable(check.kms ?? '-') : '',
      ]),
    ];
    return `${head}${alignRows(rows)}${tail}`;
  }
  const lines = report.checks.map((check) => {
    const kms = check.status === 'fail' && check.kms ? `; KMS: ${check.kms}` : '';
    return printable(
      `${check.status.toUpperCase()} ${check.id}: ${check.title}; expected ${check.expected}; seen ${check.seen}${kms}`,
    );
  });
  return `${head}${lines.join('\n')}\n${tail}`;
}
