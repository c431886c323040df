/**
 * Assumed-role credentials kept where the AWS CLI keeps them, so that one MFA code serves every
 * `aws` and `kms-cks` command until the role's credentials expire. Same folder
 * (`~/.aws/cli/cache`), same file names, same JSON, mode 0600. Loaded only when
 * `sharedRoleCache` is on and an assume-role profile is used.
 *
 * The file name is botocore's cache key: the SHA-1 (hex) of `json.dumps(args, sort_keys=True)`
 * of the AssumeRole arguments the profile sets: `RoleArn`, and when set `DurationSeconds` (an
 * integer), `ExternalId`, `RoleSessionName` (only when the profile names one: a generated name is
 * left out) and `SerialNumber`; never `TokenCode`. Python's `json.dumps` separates with `", "` and
 * `": "` and escapes every character outside printable ASCII as `\uXXXX`.
 *
 * The folder and files may be hostile (another user's, a symlink, a FIFO, huge): a file is read
 * only when it is a regular file of ours that nobody else can write, opened without following
 * symlinks or blocking, and at most 64 KiB; it is written to a new file (0600, never through a
 * symlink) renamed into place. Any problem means "no cache": STS is called as without it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { homeDirectory, type IniSection } from '../config/shared-files.js';
import type { RoleContext } from './assume-role.js';
import type { Credentials } from './credentials.js';

/** Cached credentials are used until this long before they expire (botocore's window). */
export const roleCacheExpiryWindowMs = 15 * 60_000;
/** Larger files are not cache files. */
const maxCacheFileBytes = 64 * 1024;

/** The cache folder for an environment: `~/.aws/cli/cache`. */
export function roleCacheFolder(env: NodeJS.ProcessEnv): string {
  return join(homeDirectory(env), '.aws', 'cli', 'cache');
}

/** A value as Python's `json.dumps` writes it (strings and integers are all a profile gives). */
function pythonJson(value: string | number): string {
  if (typeof value === 'number') return String(value);
  // JSON.stringify escapes `"`, `\` and C0 controls as Python does; Python also escapes DEL and
  // everything past ASCII (as UTF-16 code units, lower-case hex).
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The AWS CLI's cache key (file name without `.json`) of an assume-role profile, or undefined
 * when the profile has no `role_arn`.
 */
export function roleCacheKey(settings: IniSection): string | undefined {
  const roleArn = settings.role_arn;
  if (!roleArn) return undefined;
  const args: Record<string, string | number> = { RoleArn: roleArn };
  const duration = settings.duration_seconds;
  // botocore keeps duration_seconds only when int() accepts it.
  if (duration !== undefined && /^\s*[+-]?\d+\s*$/.test(duration)) {
    args.DurationSeconds = Number.parseInt(duration, 10);
  }
  if (settings.external_id) args.ExternalId = settings.external_id;
  if (settings.role_session_name) args.RoleSessionName = settings.role_session_name;
  if (settings.mfa_serial) args.SerialNumber = settings.mfa_serial;
  const json = `{${Object.keys(args)
    .sort()
    .map((key) => `${pythonJson(key)}: ${pythonJson(args[key]!)}`)
    .join(', ')}}`;
  return createHash('sha1').update(json, 'utf8').digest('hex');
}

/** Why a path may not be trusted, or undefined when it may. */
function unsafe(stat: import('node:fs').Stats, kind: 'file' | 'folder'): string | undefined {
  if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) return `not a ${kind}`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `owned by uid ${stat.uid}, not ${uid}`;
  if ((stat.mode & 0o022) !== 0) return 'writable by group or others';
  return undefined;
}

/** The folder if it is safe to use (ours, a real folder, writable by us alone), else why not. */
async function checkedFolder(folder: string): Promise<string | { reason: string }> {
  let stat: import('node:fs').Stats;
  try {
    stat = await fs.lstat(folder);
  } catch (error) {
    return { reason: `cannot read ${folder}: ${(error as NodeJS.ErrnoException).code ?? error}` };
  }
  const why = stat.isSymbolicLink() ? 'a symlink' : unsafe(stat, 'folder');
  return why ? { reason: `${folder} is ${why}` } : folder;
}

/** Parses an expiration as botocore writes it (`2026-12-03T15:00:00UTC`) or as ISO 8601. */
function parseExpiration(text: unknown): Date | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const date = new Date(text.replace(/(?:UTC|GMT)$/, 'Z'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The credentials cached under `key`, when the file is safe, well formed and not within 15
 * minutes of expiring; undefined otherwise (the reason goes to `context.debug`).
 */
export async function readRoleCache(
  key: string,
  context: Pick<RoleContext, 'settings' | 'now' | 'debug'>,
): Promise<Credentials | undefined> {
  const folder = await checkedFolder(roleCacheFolder(context.settings.env));
  if (typeof folder !== 'string') {
    if (!folder.reason.includes('ENOENT')) context.debug?.(`role cache not used: ${folder.reason}`);
    return undefined;
  }
  const path = join(folder, `${key}.json`);
  let handle: import('node:fs/promises').FileHandle | undefined;
  try {
    // O_NOFOLLOW: a symlink planted in place of the file is refused; O_NONBLOCK: a FIFO does not hang.
    handle = await fs.open(
      path,
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    );
    const stat = await handle.stat();
    const why = unsafe(stat, 'file') ?? (stat.size > maxCacheFileBytes ? 'too large' : undefined);
    if (why) {
      context.debug?.(`role cache file ${path} not used: ${why}`);
      return undefined;
    }
    const buffer = Buffer.alloc(Math.min(stat.size, maxCacheFileBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const document = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')) as {
      Credentials?: Record<string, unknown>;
    };
    const entry = document?.Credentials;
    const accessKeyId = entry?.AccessKeyId;
    const secretAccessKey = entry?.SecretAccessKey;
    const sessionToken = entry?.SessionToken;
    const expiration = parseExpiration(entry?.Expiration);
    if (
      typeof accessKeyId !== 'string' ||
      accessKeyId === '' ||
      typeof secretAccessKey !== 'string' ||
      secretAccessKey === '' ||
      (sessionToken !== undefined && typeof sessionToken !== 'string') ||
      !expiration
    ) {
      context.debug?.(`role cache file ${path} not used: not credentials`);
      return undefined;
    }
    if (expiration.getTime() - context.now() < roleCacheExpiryWindowMs) return undefined;
    return {
      accessKeyId,
      secretAccessKey,
      ...(typeof sessionToken === 'string' && sessionToken !== '' && { sessionToken }),
      expiration,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      context.debug?.(
        `role cache file ${path} not used: ${code ?? (error instanceof SyntaxError ? 'not JSON' : 'unreadable')}`,
      );
    }
    return undefined;
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** `2026-12-03T15:00:00UTC`, as botocore writes a datetime into the cache. */
function botocoreTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'UTC');
}

/**
 * Writes the credentials under `key` as the AWS CLI does (`{"Credentials": {…}}`, mode 0600).
 * Creates the folder (0700) if needed; never writes into a folder that is not safe, and never
 * through a symlink. Failures are reported to `context.debug` and otherwise ignored.
 */
export async function writeRoleCache(
  key: string,
  credentials: Credentials,
  context: Pick<RoleContext, 'settings' | 'debug'>,
): Promise<void> {
  if (!credentials.expiration) return;
  const target = roleCacheFolder(context.settings.env);
  const temporary = join(target, `.${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let written = false;
  try {
    await fs.mkdir(target, { recursive: true, mode: 0o700 });
    const folder = await checkedFolder(target);
    if (typeof folder !== 'string') {
      context.debug?.(`role cache not written: ${folder.reason}`);
      return;
    }
    const body = JSON.stringify({
      Credentials: {
        AccessKeyId: credentials.accessKeyId,
        SecretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken !== undefined && { SessionToken: credentials.sessionToken }),
        Expiration: botocoreTime(credentials.expiration),
      },
    });
    const handle = await fs.open(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
      0o600,
    );
    written = true;
    try {
      await handle.writeFile(body, 'utf8');
    } finally {
      await handle.close();
    }
    // rename replaces a file (or a symlink itself) at the final name, never what it points to.
    await fs.rename(temporary, join(target, `${key}.json`));
    written = false;
  } catch (error) {
    context.debug?.(
      `role cache not written: ${(error as NodeJS.ErrnoException).code ?? 'write failed'}`,
    );
  } finally {
    if (written) await fs.unlink(temporary).catch(() => {});
  }
}
