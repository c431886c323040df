/**
 * `credential_process`: run the profile's command through the shell (as the AWS SDK and CLI do),
 * parse its JSON (Version 1) output, honour `Expiration`. Its output is never put in an error:
 * it holds the secret key. The command itself is not either: it may hold a password.
 */
import { spawn } from 'node:child_process';
import { CredentialSourceError, type Credentials } from './credentials.js';

/** Default limit for the command to finish. */
export const defaultProcessTimeoutMs = 30_000;
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
}

/**
 * Runs the command and returns the credentials it prints. Throws {@link CredentialSourceError}
 * when it cannot start, exits non-zero, times out, or prints something that is not credentials.
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
  const fields = (document ?? {}) as Record<string, unknown>;
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new CredentialSourceError(`${what} did not print a JSON object`);
  }
  if (fields.Version !== 1) {
    throw new CredentialSourceError(
      `${what} printed JSON with Version ${typeof fields.Version === 'number' ? fields.Version : 'missing'}; only Version 1 is supported`,
    );
  }
  if (
    typeof fields.AccessKeyId !== 'string' ||
    fields.AccessKeyId === '' ||
    typeof fields.SecretAccessKey !== 'string' ||
    fields.SecretAccessKey === ''
  ) {
    throw new CredentialSourceError(
      `${what} printed JSON without non-empty AccessKeyId and SecretAccessKey strings`,
    );
  }
  if (fields.SessionToken !== undefined && typeof fields.SessionToken !== 'string') {
    throw new CredentialSourceError(`${what} printed a SessionToken that is not a string`);
  }
  let expiration: Date | undefined;
  if (fields.Expiration !== undefined) {
    expiration = typeof fields.Expiration === 'string' ? new Date(fields.Expiration) : undefined;
    if (!expiration || Number.isNaN(expiration.getTime())) {
      throw new CredentialSourceError(`${what} printed an Expiration that is not an ISO 8601 date`);
    }
    if (expiration.getTime() <= (options.now ?? Date.now)()) {
      throw new CredentialSourceError(
        `${what} returned credentials that expired at ${expiration.toISOString()}`,
      );
    }
  }
  return {
    accessKeyId: fields.AccessKeyId,
    secretAccessKey: fields.SecretAccessKey,
    ...(typeof fields.SessionToken === 'string' && fields.SessionToken !== ''
      ? { sessionToken: fields.SessionToken }
      : {}),
    ...(expiration ? { expiration } : {}),
  };
}

function run(command: string, what: string, options: ProcessOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? defaultProcessTimeoutMs;
  const windows = process.platform === 'win32';
  return new Promise((resolve, reject) => {
    // Its own process group on POSIX, so that a timeout kills the shell and what it started.
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
    const finish = (error: CredentialSourceError | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        kill();
        reject(error);
      } else {
        resolve(text ?? '');
      }
    };
    const kill = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (!windows && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
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
    child.on('close', (code, signal) => {
      if (code === 0) {
        finish(undefined, Buffer.concat(stdout).toString('utf8'));
        return;
      }
      const detail = stderrExcerpt(stderr);
      finish(
        new CredentialSourceError(
          `${what} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${detail ? `: ${detail}` : ''}`,
        ),
      );
    });
  });
}

/** The last non-empty line of stderr, cut to 200 characters: enough to say why, e.g. "session expired". */
function stderrExcerpt(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const last = lines[lines.length - 1] ?? '';
  return last.length > 200 ? `${last.slice(0, 200)}…` : last;
}
