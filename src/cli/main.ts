#!/usr/bin/env node
/**
 * The `kms-cks` executable: runs {@link main} with the process's arguments and streams, turns the
 * first SIGINT / SIGTERM into an abort (a wait stops with exit 130, the emulator closes cleanly),
 * and a second one into an immediate exit. A closed stdout ends it quietly with exit 0.
 */
import { exitCodes, main } from './program.js';

const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => {
  if (controller.signal.aborted) process.exit(exitCodes.interrupted);
  controller.abort(new Error(`Received ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// A reader that went away (`kms-cks describe | head -c0`) wants no more output: end quietly, as
// other command-line tools do, instead of dying on an unhandled EPIPE with a stack trace. The
// request already sent is not undone by this: output is written once the work is done.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
// Nowhere left to report a broken stderr: carry on, the exit code still says how it went.
process.stderr.on('error', () => {});

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stderr.isTTY === true,
  signal: controller.signal,
}).then((code) => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // exitCode rather than exit(): let stdout drain when it is a pipe.
  process.exitCode = code;
});
