/**
 * The `kms-cks` process (the installed executable, `bin.ts`, runs this after its start-up
 * settings): runs {@link main} with the process's arguments and streams, turns the
 * first SIGINT / SIGTERM into an abort (a wait stops with exit 130, the emulator closes cleanly),
 * and a second one into an immediate exit. A closed stdout ends it quietly with exit 0.
 */
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

/** Reads stdin to its end, at most `maxBytes` (a secret piped in); refuses a terminal. */
async function readStdin(maxBytes: number): Promise<string> {
  if (process.getBuiltinModule('node:tty').isatty(0)) {
    throw new Error(
      'no secret: give --secret-file FILE, set KMS_CKS_XKS_SECRET, or pipe it on stdin',
    );
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    length += buffer.length;
    if (length > maxBytes) throw new Error(`stdin: more than ${maxBytes} bytes; expected a secret`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// A terminal that cannot move the cursor (TERM=dumb: Emacs shells, some CI consoles) gets plain lines.
const cursorTerminal = process.stderr.isTTY === true && process.env.TERM !== 'dumb';

/**
 * Asks for a secret on the terminal without echoing it: stdin in raw mode, read up to Enter.
 * Backspace erases, Ctrl-C interrupts (as elsewhere), Ctrl-D ends the input.
 */
function promptSecret(question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') {
          value = '';
          done();
          onSignal('SIGINT');
          return;
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

import('./program.js')
  .then(({ main }) =>
    main(process.argv.slice(2), {
      stdout: process.stdout,
      stderr: process.stderr,
      isTTY: cursorTerminal,
      stdoutIsTTY: process.stdout.isTTY === true,
      // isatty(0) rather than process.stdin.isTTY: that getter creates the stdin stream (on Node
      // 20 loading fs streams and fs/promises) in runs that never read it. node:tty is loaded
      // only when stderr is a terminal, where Node has loaded it already.
      prompt:
        process.stderr.isTTY === true && process.getBuiltinModule('node:tty').isatty(0)
          ? prompt
          : undefined,
      promptSecret:
        process.stderr.isTTY === true && process.getBuiltinModule('node:tty').isatty(0)
          ? promptSecret
          : undefined,
      signal: controller.signal,
      readStdin,
    }),
  )
  .then((code) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // exitCode rather than exit(): let stdout drain when it is a pipe.
    process.exitCode = code;
  });
