/**
 * kms-cks on a real pseudo-terminal (util-linux `script`): `disconnect --all` asks once, and goes
 * on only after "y". Needs `script` from util-linux on the PATH.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KmsEmulator, startKmsEmulator } from '../../src/emulator/index.js';
import { cliEnv } from './run.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let emulator: KmsEmulator;

beforeEach(async () => {
  emulator = await startKmsEmulator({ regions: ['us-east-1', 'eu-west-1'], transitionMs: 100 });
});

afterEach(async () => {
  await emulator.close();
});

/** Runs kms-cks under `script` (a pseudo-terminal), answering `answer` to the question. */
function onTerminal(args: string[], answer: string): Promise<{ code: number; output: string }> {
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args]
    .map((word) => `'${word}'`)
    .join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: repoRoot,
    env: { ...cliEnv(emulator), TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let answered = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    if (!answered && output.includes('[y/N]')) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code: code ?? -1, output });
    });
  });
}

describe('kms-cks on a terminal', () => {
  const args = ['disconnect', '--all', '--type', 'xks', '--region', 'us-east-1,eu-west-1'];

  it('asks "Disconnect 4 stores (4 EXTERNAL_KEY_STORE) in 2 regions? [y/N]" and goes on after y', async () => {
    const run = await onTerminal(args, 'y');
    expect(run.output).toContain('Disconnect 4 stores (4 EXTERNAL_KEY_STORE) in 2 regions? [y/N]');
    expect(run.code).toBe(0);
    expect(
      emulator.requests.filter((request) => request.operation === 'DisconnectCustomKeyStore'),
    ).toHaveLength(4);
    expect(run.output).toMatch(/PROFILE\s+REGION\s+ID\s+NAME\s+STATE\s+RESULT/);
    // TERM=dumb: plain lines, no cursor movements (no redrawn table, no cleared lines).
    expect(run.output).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[\\d*[AJK]`));
    expect(run.output).toMatch(/: disconnected \(request /);
  }, 30_000);

  it('sends nothing after n', async () => {
    const run = await onTerminal(args, 'n');
    expect(run.code).toBe(1);
    expect(run.output).toContain('Not confirmed: nothing sent.');
    expect(
      emulator.requests.filter((request) => request.operation === 'DisconnectCustomKeyStore'),
    ).toHaveLength(0);
  }, 30_000);
});
