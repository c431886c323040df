/**
 * Where kms-cks takes a secret from (an XKS proxy secret access key, a CloudHSM `kmsuser`
 * password): a file, an environment variable, or a hidden prompt on a terminal. Never a flag value,
 * which would land in the shell history and in `ps` for every local user to read.
 *
 * A secret file may be hostile (a FIFO that never ends, a huge file, a file another user can
 * write): it is opened without blocking, must be a regular file (symlinks are followed, as
 * Kubernetes secret volumes need), at most 4 KiB, not writable by group or others, owned by the
 * current user or root. Errors name the file and the rule, never the content.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from './args.js';

/** Largest secret file read, in bytes. */
export const maxSecretFileBytes = 4096;

/** Where the value of one secret comes from. */
export interface SecretSource {
  /** The flag naming a file (`--xks-proxy-secret-file`). */
  fileFlag: string;
  /** Its value, when given. */
  file: string | undefined;
  /** The environment variable (`KMS_CKS_XKS_SECRET`). */
  envName: string;
  /** The question of the hidden prompt. */
  question: string;
}

/**
 * Reads a secret file safely (see the module's comment). A trailing line break is not part of the
 * secret. `private: false` (a trust anchor: public) skips the owner and mode checks, not the others.
 *
 * @throws {@link UsageError} naming the file and the rule it breaks.
 */
export function readSecretFile(
  path: string,
  flag: string,
  options: { maxBytes?: number; private?: boolean } = {},
): string {
  const maxBytes = options.maxBytes ?? maxSecretFileBytes;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of hanging.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(
      `${flag}: cannot open ${path} (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) {
      throw new UsageError(`${flag}: ${path} is not a regular file (a FIFO, device or folder)`);
    }
    if (info.size > maxBytes) {
      throw new UsageError(`${flag}: ${path} is larger than ${maxBytes} bytes`);
    }
    const uid = process.getuid?.();
    if (uid !== undefined && options.private !== false) {
      if (info.uid !== uid && info.uid !== 0) {
        throw new UsageError(
          `${flag}: ${path} belongs to another user (uid ${info.uid}); a secret must be yours or root's`,
        );
      }
      if ((info.mode & 0o022) !== 0) {
        throw new UsageError(
          `${flag}: ${path} is writable by group or others (mode ${(info.mode & 0o777).toString(8)}); chmod go-w it`,
        );
      }
    }
    // The size may change after fstat: read one byte past the cap to notice.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) {
        throw new UsageError(`${flag}: ${path} is larger than ${maxBytes} bytes`);
      }
    }
    const text = buffer.subarray(0, length).toString('utf8');
    buffer.fill(0);
    return text.replace(/\r?\n$/, '');
  } finally {
    closeSync(fd);
  }
}

/**
 * The secret from the file flag, else the environment variable, else a hidden prompt.
 *
 * @throws {@link UsageError} when none gives one (not a terminal), or the value is empty.
 */
export async function readSecret(
  source: SecretSource,
  env: NodeJS.ProcessEnv,
  promptSecret: ((question: string) => Promise<string>) | undefined,
  command: 'create' | 'update',
): Promise<string> {
  let value: string | undefined;
  let from: string;
  if (source.file !== undefined) {
    value = readSecretFile(source.file, source.fileFlag);
    from = source.fileFlag;
  } else if (env[source.envName] !== undefined) {
    value = env[source.envName];
    from = source.envName;
  } else if (promptSecret) {
    value = await promptSecret(source.question);
    from = 'the prompt';
  } else {
    throw new UsageError(
      `no secret: give ${source.fileFlag} FILE or set ${source.envName} (a secret is never a flag value; on a terminal it is asked for)`,
      command,
    );
  }
  if (value === undefined || value === '') {
    throw new UsageError(`the secret from ${from} is empty`, command);
  }
  return value;
}
