/**
 * Runs kms-cks in-process (`main(argv, io)`) with captured output, or as a real process
 * (`node --import tsx src/cli/main.ts`), against an emulator.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/program.js';
import { emulatorCredentials, type KmsEmulator } from '../../src/emulator/index.js';
import type { KmsClientConfig } from '../../src/index.js';

/** What a run printed and how it ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A text sink that keeps what is written. */
export function capture(): { write(text: string): boolean; text: string } {
  const sink = {
    text: '',
    write(text: string) {
      sink.text += text;
      return true;
    },
  };
  return sink;
}

/** Runs `main` with the emulator's endpoint, region and credentials. */
export async function runCli(
  emulator: KmsEmulator | undefined,
  args: string[],
  options: {
    isTTY?: boolean;
    signal?: AbortSignal;
    clientConfig?: KmsClientConfig;
    env?: NodeJS.ProcessEnv;
    prompt?: (question: string) => Promise<string>;
    promptSecret?: (question: string) => Promise<string>;
  } = {},
): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const target = emulator ? ['--endpoint', emulator.url, '--region', emulator.region] : [];
  const code = await main([...args, ...target], {
    stdout,
    stderr,
    isTTY: options.isTTY ?? false,
    signal: options.signal,
    env: options.env ?? {},
    prompt: options.prompt,
    promptSecret: options.promptSecret,
    clientConfig: { credentials: emulatorCredentials, ...options.clientConfig },
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The environment of a kms-cks process pointed at `emulator`, isolated from ~/.aws. */
export function cliEnv(emulator: KmsEmulator | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !/_PROXY$/i.test(key)) env[key] = value;
  }
  env.AWS_CONFIG_FILE = '/nonexistent/kms-cks-test/config';
  env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/kms-cks-test/credentials';
  env.AWS_EC2_METADATA_DISABLED = 'true';
  if (emulator) {
    env.AWS_ENDPOINT_URL_KMS = emulator.url;
    env.AWS_REGION = emulator.region;
    env.AWS_ACCESS_KEY_ID = emulatorCredentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = emulatorCredentials.secretAccessKey;
  }
  return env;
}

/** Starts `kms-cks args` from source as a real process, with `extraEnv` on top. */
export function spawnCli(
  emulator: KmsEmulator | undefined,
  args: string[],
  extraEnv: Record<string, string> = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...cliEnv(emulator), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a process's output and waits for it to exit. */
export function finished(child: ChildProcess): Promise<CliRun & { signal: NodeJS.Signals | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
}

/** Resolves once the process's stdout or stderr contains `text`. */
export function waitForOutput(child: ChildProcess, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('close', () => reject(new Error(`process exited before printing ${text}: ${seen}`)));
  });
}
