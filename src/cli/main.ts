#!/usr/bin/env node
/**
 * The `kms-cks` executable: runs {@link main} with the process's arguments and streams, turns the
 * first SIGINT / SIGTERM into an abort (a wait stops with exit 130, the emulator closes cleanly),
 * and a second one into an immediate exit. A closed stdout ends it quietly with exit 0.
 */
// Start-up of this process only (never in the library). Builtins are fetched only where they are
// used: loading node:module or node:v8 for nothing costs milliseconds too.
const major = Number(process.versions.node.split('.')[0]);
if (major >= 22) {
  // Node 22.1+ caches compiled code: later runs skip parsing and compiling the CLI's modules.
  const module = process.getBuiltinModule?.('node:module') as
    | { enableCompileCache?: () => unknown }
    | undefined;
  module?.enableCompileCache?.();
} else {
  // Node 20 tiers undici's llhttp WebAssembly up in the background, and exit waits for that
  // compilation (about 200 ms after the work is done). Baseline code is plenty for parsing a few
  // responses. Set before undici loads (the program is imported below); Node 22+ no longer waits.
  process.getBuiltinModule('node:v8').setFlagsFromString('--liftoff-only');
}

/** Interrupted (Ctrl-C / SIGTERM): the same as `exitCodes.interrupted`, known before the import. */
const interrupted = 130;
const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => {
  if (controller.signal.aborted) process.exit(interrupted);
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

// Imported after the settings above, so that they apply to everything it loads.
import('./program.js')
  .then(({ main }) =>
    main(process.argv.slice(2), {
      stdout: process.stdout,
      stderr: process.stderr,
      isTTY: process.stderr.isTTY === true,
      prompt: process.stdin.isTTY === true && process.stderr.isTTY === true ? prompt : undefined,
      signal: controller.signal,
    }),
  )
  .then((code) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // exitCode rather than exit(): let stdout drain when it is a pipe.
    process.exitCode = code;
  });
