#!/usr/bin/env node
/**
 * The `kms-cks` executable: runs {@link main} with the process's arguments and streams, turns the
 * first SIGINT / SIGTERM into an abort (a wait stops with exit 130, the emulator closes cleanly),
 * and a second one into an immediate exit.
 */
import { exitCodes, main } from './program.js';

const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => {
  if (controller.signal.aborted) process.exit(exitCodes.interrupted);
  controller.abort(new Error(`Received ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

/** Asks on the terminal (stderr, so that stdout stays clean for --json); only when there is one. */
async function prompt(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  // On a terminal readline takes Ctrl-C itself: make it the same interruption as elsewhere.
  terminal.on('SIGINT', () => onSignal('SIGINT'));
  try {
    return await terminal.question(question, { signal: controller.signal });
  } catch {
    return '';
  } finally {
    terminal.close();
  }
}

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stderr.isTTY === true,
  prompt: process.stdin.isTTY === true && process.stderr.isTTY === true ? prompt : undefined,
  signal: controller.signal,
}).then((code) => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // exitCode rather than exit(): let stdout drain when it is a pipe.
  process.exitCode = code;
});
