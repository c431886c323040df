import { writeFileSync } from 'node:fs';
/**
 * Helpers of the config tests: a temporary HOME with real shared files, and environments that
 * never reach the machine's own ~/.aws, env or instance metadata.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary home directory. */
export interface TempHome {
  /** Its path. */
  dir: string;
  /** Writes a file under it (creating folders) and returns the full path. */
  write(relativePath: string, content: string, mode?: number): Promise<string>;
  /** Removes it. */
  remove(): Promise<void>;
}

/** Creates a temporary home directory. */
export async function tempHome(): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), 'kms-cks-config-'));
  return {
    dir,
    async write(relativePath, content, mode) {
      const path = join(dir, relativePath);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, mode === undefined ? undefined : { mode });
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * An environment with only HOME (the temp one), PATH, and IMDS disabled, plus `extra`: nothing of
 * the machine's AWS settings leaks in, and nothing tries 169.254.169.254.
 */
export function isolatedEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HOME: home,
    PATH: process.env.PATH,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** A credentials document as the container endpoint and IMDS send it. */
export function credentialsDocument(
  accessKeyId: string,
  options: { secret?: string; token?: string; expiration?: Date } = {},
): string {
  return JSON.stringify({
    Code: 'Success',
    LastUpdated: new Date().toISOString(),
    Type: 'AWS-HMAC',
    AccessKeyId: accessKeyId,
    SecretAccessKey: options.secret ?? 'secret-of-the-test-key',
    Token: options.token ?? 'session-token-of-the-test',
    Expiration: (options.expiration ?? new Date(Date.now() + 6 * 3600_000)).toISOString(),
  });
}

/** AWS variables that must not leak from the machine into tests that use process.env. */
const awsVariables = /^(AWS_|HTTPS?_PROXY$|NO_PROXY$)/i;

/**
 * Replaces process.env for one test with an isolated environment; returns the restore function.
 *
 * @param env - the variables to set (HOME included).
 */
export function useProcessEnv(env: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) {
    if (awsVariables.test(name) || name === 'HOME') delete process.env[name];
  }
  Object.assign(process.env, env);
  return () => {
    for (const name of Object.keys(process.env)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}

/**
 * Writes, into `dir`, a config file whose profile `hung` runs a `credential_process` that records
 * its PID in `pidFile` and then never answers: for tests of deadlines and of killing it.
 */
export function writeHungCredentialProcess(dir: string): { configFile: string; pidFile: string } {
  const pidFile = join(dir, 'pid');
  const script = join(dir, 'hang.mjs');
  writeFileSync(
    script,
    `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`,
  );
  const configFile = join(dir, 'config');
  writeFileSync(
    configFile,
    `[profile hung]\ncredential_process = "${process.execPath}" "${script}"\n`,
  );
  return { configFile, pidFile };
}
