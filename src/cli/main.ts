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
