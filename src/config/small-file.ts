/**
 * Reads a small file that others may have put in place (a token file, the SSO token cache, a
 * shared config file) without ever blocking on it and without reading more than a cap.
 *
 * Opened with `O_NONBLOCK`, so a FIFO opens at once instead of holding a libuv thread in `open()`
 * until someone writes to it (the process could not exit); then `fstat` on what was opened (no
 * race between a check and the open) refuses anything but a regular file. Reads at most `maxBytes`
 * + 1 bytes: a file larger than the cap (or one that grows, like a device) is refused whole.
 */
import {
  close as closeCallback,
  constants,
  fstat as fstatCallback,
  open as openCallback,
  read as readCallback,
  type Stats,
  stat as statCallback,
} from 'node:fs';
import { promisify } from 'node:util';

// node:fs's callback API rather than node:fs/promises: on Node 20 the latter also loads readline
// and more (milliseconds of every CLI run).
const open = promisify(openCallback);
const fstat = promisify(fstatCallback);
const close = promisify(closeCallback);
const stat = promisify(statCallback);

/**
 * The most a token file may hold (web identity, container authorization): STS takes a web
 * identity token of at most 20,000 characters, EKS and ECS tokens are a few kilobytes.
 */
export const maxTokenFileBytes = 64 * 1024;

/** The most an SSO token cache file may hold (a real one is well under 10 KB). */
export const maxTokenCacheBytes = 1024 * 1024;

/** Why a file was refused; `code` is `ENOENT` & co. for the system's own errors. */
export class SmallFileError extends Error {
  /** `NOT_REGULAR_FILE`, `TOO_LARGE`, or the system error code (`ENOENT`, `EACCES`, …). */
  readonly code: string;

  /**
   * @param code - see {@link SmallFileError.code}.
   * @param message - what is wrong, without the file's content.
   */
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SmallFileError';
    this.code = code;
  }
}

/** How {@link readSmallFile} reads. */
export interface SmallFileOptions {
  /** The most bytes the file may hold. */
  maxBytes: number;
  /** Also accept the null device (`/dev/null`, read as empty): how some turn a file off. */
  allowNullDevice?: boolean;
  /**
   * Called with the status of the file as opened (a regular file within `maxBytes`) before it is
   * read; throws a {@link SmallFileError} to refuse it (its owner or mode, say).
   */
  check?: (info: Stats) => void;
}

/**
 * Reads `path` as UTF-8. Throws {@link SmallFileError}: `NOT_REGULAR_FILE` for a FIFO, socket
 * or device, `TOO_LARGE` past `maxBytes`, else the system's code (`ENOENT`, `EISDIR`, …); its
 * message is the code for system errors, else what is wrong ("a FIFO, not a regular file").
 */
export async function readSmallFile(path: string, options: SmallFileOptions): Promise<string> {
  let fd: number;
  try {
    // Not even opened unless it is a regular file (opening some devices does something); the
    // check is repeated on what was opened, in case the path changed in between.
    if (await refuse(await stat(path), options)) return '';
    fd = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof SmallFileError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new SmallFileError(typeof code === 'string' ? code : 'EIO', String(code ?? 'EIO'));
  }
  try {
    const info = await fstat(fd);
    if (await refuse(info, options)) return '';
    if (info.size > options.maxBytes) throw tooLarge(options.maxBytes);
    options.check?.(info);
    // Read to the end, not to the size fstat gave: the file may grow meanwhile.
    const chunk = Buffer.alloc(Math.min(options.maxBytes + 1, Math.max(info.size + 1, 16_384)));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const bytesRead = await read(fd, chunk);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) throw tooLarge(options.maxBytes);
      chunks.push(Buffer.from(chunk.subarray(0, bytesRead)));
    }
    const whole = Buffer.concat(chunks, total);
    const text = whole.toString('utf8');
    // The file may hold a secret: leave no copy of its bytes in buffers waiting for the GC.
    for (const buffer of [chunk, whole, ...chunks]) buffer.fill(0);
    return text;
  } catch (error) {
    if (error instanceof SmallFileError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new SmallFileError(typeof code === 'string' ? code : 'EIO', String(code ?? 'EIO'));
  } finally {
    await close(fd).catch(() => {});
  }
}

/**
 * Throws unless `info` is a regular file; true for the null device where it is allowed (read as
 * empty).
 */
async function refuse(info: Stats, options: SmallFileOptions): Promise<boolean> {
  if (info.isFile()) return false;
  if (options.allowNullDevice && info.isCharacterDevice() && (await isNullDevice(info))) {
    return true;
  }
  if (info.isDirectory()) throw new SmallFileError('EISDIR', 'EISDIR');
  throw new SmallFileError('NOT_REGULAR_FILE', `${kindOf(info)}, not a regular file`);
}

function read(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    readCallback(fd, buffer, 0, buffer.length, null, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    );
  });
}

function tooLarge(maxBytes: number): SmallFileError {
  return new SmallFileError('TOO_LARGE', `larger than ${maxBytes} bytes`);
}

async function isNullDevice(info: { rdev: number }): Promise<boolean> {
  try {
    return (await stat('/dev/null')).rdev === info.rdev;
  } catch {
    return false;
  }
}

function kindOf(info: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a file';
}

/** What to say about a failed read: the system's code (`ENOENT`), or what is wrong with the file. */
export function fileProblem(error: unknown): string {
  if (error instanceof SmallFileError) return error.message;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}
