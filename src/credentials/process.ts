/**
 * `credential_process`: run the profile's command through the shell (as the AWS SDK and CLI do),
 * parse its JSON (Version 1) output, honour `Expiration`. Its output and its stderr are never put
 * in an error: they may hold the secret key. The command itself is not either: it may hold a
 * password.
 */
import { spawn } from 'node:child_process';
import { configDefaults } from '../config/defaults.js';
import { CredentialSourceError, type Credentials } from './credentials.js';
import { credentialsFromDocument } from './document.js';

/** Default limit for the command to finish. */
/** Largest output read. */
const maxOutputBytes = 1024 * 1024;

/** Options of {@link processCredentials}. */
export interface ProcessOptions {
  /** The profile that names the command, for messages. */
  profile: string;
  /** Environment of the command. */
  env: NodeJS.ProcessEnv;
  /** Kill the command after this long, in ms; default 30 000. */
  timeoutMs?: number;
  /** The clock, to check `Expiration`. */
  now?: () => number;
  /** Aborted when the client closes: the command is killed with what it started. */
  signal?: AbortSignal;
  /** Receives a redacted excerpt of what the command wrote to stderr. */
  debug?: (message: string) => void;
}

/**
 * Runs the command and returns the credentials it prints, taken when it exits; then kills its
 * process group. Throws {@link CredentialSourceError} when it cannot start, exits non-zero,
 * times out, is stopped by `signal`, or prints something that is not credentials.
 *
 * @param command - the `credential_process` value.
 * @param options - see {@link ProcessOptions}.
 */
export async function processCredentials(
  command: string,
  options: ProcessOptions,
): Promise<Credentials> {
  const what = `credential_process of profile ${options.profile}`;
  const output = await run(command, what, options);
  let document: unknown;
  try {
    document = JSON.parse(output);
  } catch {
    throw new CredentialSourceError(`${what} did not print valid JSON`);
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new CredentialSourceError(`${what} did not print a JSON object`);
  }
  // JSON null reads as an empty object: no Version.
  const fields = (document ?? {}) as Record<string, unknown>;
  if (fields.Version !== 1) {
    throw new CredentialSourceError(
      `${what} printed JSON with Version ${typeof fields.Version === 'number' ? fields.Version : 'missing'}; only Version 1 is supported`,
    );
  }
  const parsed = credentialsFromDocument(fields, 'SessionToken');
  if ('problem' in parsed) {
    throw new CredentialSourceError(
      parsed.problem === 'token'
        ? `${what} printed a SessionToken that is not a string`
        : parsed.problem === 'expiration-type' || parsed.problem === 'expiration-date'
          ? `${what} printed an Expiration that is not an ISO 8601 date`
          : `${what} printed JSON without non-empty AccessKeyId and SecretAccessKey strings`,
    );
  }
  const { expiration } = parsed.credentials;
  if (expiration && expiration.getTime() <= (options.now ?? Date.now)()) {
    throw new CredentialSourceError(
      `${what} returned credentials that expired at ${expiration.toISOString()}`,
    );
  }
  return parsed.credentials;
}

/** How long output may trail the command's exit (a pipe flushed late). */
const exitGraceMs = 100;

function run(command: string, what: string, options: ProcessOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? configDefaults.credentialProcessTimeoutMs;
  const windows = process.platform === 'win32';
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new CredentialSourceError(`${what} was not run: the client is closed`));
      return;
    }
    // Its own process group on POSIX, so that the whole group (the shell and whatever it
    // started) can be killed at once.
    const child = spawn(command, {
      shell: true,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: !windows,
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () =>
      finish(new CredentialSourceError(`${what} was stopped: the client is closed`));
    const finish = (error: CredentialSourceError | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // Nothing it started outlives the result: a background child holding stdout open
      // would otherwise keep Node alive.
      killGroup();
      if (error) reject(error);
      else resolve(text ?? '');
    };
    const killGroup = () => {
      try {
        if (!windows && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(
      () => finish(new CredentialSourceError(`${what} did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxOutputBytes) {
        finish(new CredentialSourceError(`${what} printed more than ${maxOutputBytes} bytes`));
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      finish(
        new CredentialSourceError(
          `${what} could not be started (${typeof code === 'string' ? code : error.message})`,
        ),
      );
    });
    // The result is taken when the command exits, not when its pipes close: something it left
    // running in the background may hold them open. Output still in the pipe gets a short grace.
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      if (stderr.trim() !== '') {
        options.debug?.(`${what} wrote to stderr: ${redactedExcerpt(stderr)}`);
      }
      if (code === 0) {
        finish(undefined, Buffer.concat(stdout).toString('utf8'));
        return;
      }
      // Its stderr is not in the message: it may hold the secret (the debug log has a redacted
      // excerpt).
      finish(
        new CredentialSourceError(
          `${what} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${stderr.trim() === '' ? '' : ' (its stderr is in the debug log)'}`,
        ),
      );
    };
    let exited = false;
    child.on('exit', (code, signal) => {
      exited = true;
      graceTimer = setTimeout(() => onExit(code, signal), exitGraceMs);
    });
    child.on('close', (code, signal) => {
      if (exited) onExit(code, signal);
    });
  });
}

/** Values after secret-looking names, and long key- or token-like runs. */
const secretPatterns: readonly RegExp[] = [
  /((?:secret|token|password|credential|session|signature)[\w-]*["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
  /[A-Za-z0-9/+=_-]{32,}/g,
];

/**
 * The last lines of stderr (at most 300 characters), secret-looking values replaced: enough to
 * say why, e.g. "session expired".
 */
function redactedExcerpt(stderr: string): string {
  let text = stderr.trim().split(/\r?\n/).slice(-3).join(' | ');
  if (text.length > 300) text = `…${text.slice(-300)}`;
  for (const pattern of secretPatterns) {
    text = text.replace(pattern, (_match, prefix?: string) =>
      typeof prefix === 'string' ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  return text;
}
