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
import { readSmallFile, SmallFileError } from '../config/small-file.js';
import { type CommandName, UsageError } from './args.js';

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

/** Who may own a file that holds a secret: the user (or also root), or anyone (a public file). */
export type FileOwners = 'self' | 'self-or-root' | 'anyone';

/**
 * Reads a file named on the command line, as every kms-cks file flag does: opened without
 * blocking (a FIFO cannot hang the run), a regular file only, at most `maxBytes` (read one byte
 * past the cap, in case it grows); unless `owners` is `anyone`, owned by the user (or root) and not
 * writable by group or others.
 *
 * @throws {@link UsageError} `<flag> <path>: …` naming the rule the file breaks, never its content.
 */
export async function readCliFile(
  path: string,
  flag: string,
  options: { maxBytes: number; owners: FileOwners; command?: CommandName | undefined },
): Promise<string> {
  const { maxBytes, owners, command } = options;
  const uid = process.getuid?.();
  try {
    return await readSmallFile(path, {
      maxBytes,
      check: (info) => {
        if (owners === 'anyone' || uid === undefined) return;
        if (info.uid !== uid && !(owners === 'self-or-root' && info.uid === 0)) {
          throw new SmallFileError(
            'NOT_OWNER',
            `it belongs to another user (uid ${info.uid}); a secret must be yours${owners === 'self-or-root' ? " or root's" : ''}`,
          );
        }
        if ((info.mode & 0o022) !== 0) {
          throw new SmallFileError(
            'WRITABLE',
            `it is writable by group or others (mode ${(info.mode & 0o777).toString(8)}); chmod go-w it`,
          );
        }
      },
    });
  } catch (error) {
    if (!(error instanceof SmallFileError)) throw error;
    const why =
      error.code === 'NOT_REGULAR_FILE' || error.code === 'EISDIR'
        ? 'it is not a regular file (a FIFO, device or folder)'
        : error.code === 'TOO_LARGE'
          ? `it is larger than ${maxBytes} bytes`
          : error.code === 'NOT_OWNER' || error.code === 'WRITABLE'
            ? error.message
            : `cannot open it (${error.code})`;
    throw new UsageError(`${flag} ${path}: ${why}`, command);
  }
}

/**
 * Reads a secret file safely (see the module's comment and {@link readCliFile}). A trailing line
 * break is not part of the secret. `private: false` (a trust anchor: public) skips the owner and
 * mode checks, not the others.
 *
 * @throws {@link UsageError} naming the file and the rule it breaks.
 */
export async function readSecretFile(
  path: string,
  flag: string,
  options: { maxBytes?: number; private?: boolean } = {},
): Promise<string> {
  const text = await readCliFile(path, flag, {
    maxBytes: options.maxBytes ?? maxSecretFileBytes,
    owners: options.private === false ? 'anyone' : 'self-or-root',
  });
  return text.replace(/\r?\n$/, '');
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
    value = await readSecretFile(source.file, source.fileFlag);
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
