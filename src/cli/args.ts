/**
 * Command-line parsing for kms-cks: the commands, their options, their help, and the value
 * parsers (durations, ports, states). Built on node:util parseArgs; no dependency.
 */
import { parseArgs } from 'node:util';
import { connectionStates, type KnownConnectionState } from '../operations.js';

/** A mistake in the command line: exit 2 with the usage of `command`. */
export class UsageError extends Error {
  /** The command whose usage to print, or undefined for the general one. */
  readonly command: CommandName | undefined;

  /**
   * @param message - what is wrong, one line.
   * @param command - the command whose usage follows the message.
   */
  constructor(message: string, command?: CommandName) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

/** Options every command accepts. */
const globalOptions = {
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

const waitOptions = {
  timeout: { type: 'string' },
  'poll-interval': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

/** The commands: their options, positionals and help text. */
export const commands = {
  disconnect: {
    options: { ...waitOptions, wait: { type: 'boolean' } },
    positionals: ['id'],
    summary: 'Disconnect a custom key store (idempotent); --wait until DISCONNECTED',
    usage: 'kms-cks disconnect <id> [--wait] [--timeout 10m] [--json]',
    details: [
      'Sends DisconnectCustomKeyStore unless the store is already DISCONNECTED or DISCONNECTING,',
      'so running it twice, or after an interrupted run, is safe.',
      '',
      '  --wait              wait until the store is DISCONNECTED, showing its state live',
      '  --timeout <time>    give up waiting after this long (90s, 10m, 1h, or ms); default 30m',
      '  --poll-interval <t> first delay between two Describe calls; default 2s, then ×1.5 up to 30s',
      '  --json              print the result as JSON',
    ],
  },
  connect: {
    options: { ...waitOptions, wait: { type: 'boolean' }, 'reset-failed': { type: 'boolean' } },
    positionals: ['id'],
    summary: 'Connect a custom key store (idempotent); --wait until CONNECTED',
    usage: 'kms-cks connect <id> [--wait] [--reset-failed] [--timeout 10m] [--json]',
    details: [
      'Sends ConnectCustomKeyStore unless the store is already CONNECTED or CONNECTING. A store',
      'that is DISCONNECTING is waited for, then connected. A FAILED store must be disconnected',
      'first: that is an error unless --reset-failed.',
      '',
      '  --wait              wait until the store is CONNECTED, showing its state live',
      '  --reset-failed      disconnect a FAILED store, wait for DISCONNECTED, then connect',
      '  --timeout <time>    give up waiting after this long (90s, 10m, 1h, or ms); default 30m',
      '  --poll-interval <t> first delay between two Describe calls; default 2s',
      '  --json              print the result as JSON',
    ],
  },
  describe: {
    options: { name: { type: 'string' }, json: { type: 'boolean' } },
    positionals: ['id?'],
    summary: 'List custom key stores, or show one by ID or name',
    usage: 'kms-cks describe [<id> | --name <name>] [--json]',
    details: [
      'Without an ID or name, lists every custom key store of the account and region (all pages).',
      '',
      '  --name <name>       only the store with this friendly name',
      '  --json              print {"customKeyStores": [...]} as JSON instead of a table',
    ],
  },
  wait: {
    options: waitOptions,
    positionals: ['id', 'state'],
    summary: 'Wait until a custom key store is in a state',
    usage: `kms-cks wait <id> <STATE>[,STATE...] [--timeout 10m] [--json]`,
    details: [
      `STATE is one of ${connectionStates.join(', ')} (case-insensitive).`,
      'Fails (exit 1) if the store becomes FAILED while waiting for another state.',
      '',
      '  --timeout <time>    give up after this long (90s, 10m, 1h, or ms); default 30m',
      '  --poll-interval <t> first delay between two Describe calls; default 2s',
      '  --json              print the entry reached as JSON',
    ],
  },
  emulator: {
    options: { port: { type: 'string' }, host: { type: 'string' } },
    positionals: [],
    summary: 'Run the embedded KMS emulator until Ctrl-C',
    usage: 'kms-cks emulator [--port N] [--host 127.0.0.1]',
    details: [
      'Starts the emulator with its default key stores and prints the environment to point',
      'kms-cks, the AWS CLI or an SDK at it.',
      '',
      '  --port <n>          port to listen on; default: a free port',
      '  --host <host>       address to listen on; default 127.0.0.1',
    ],
  },
} as const satisfies Record<
  string,
  {
    options: Record<string, OptionSpec>;
    positionals: readonly string[];
    summary: string;
    usage: string;
    details: readonly string[];
  }
>;

/** A command name. */
export type CommandName = keyof typeof commands;

const globalHelp = [
  'Global options:',
  '  --region <region>   AWS region (else AWS_REGION, AWS_DEFAULT_REGION)',
  '  --profile <name>    shared config/credentials profile (else AWS_PROFILE)',
  '  --endpoint <url>    KMS endpoint (else AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL)',
  '  -h, --help          show help',
];

const exitCodesHelp = [
  'Exit codes: 0 done, 1 KMS error or FAILED store, 2 bad usage or configuration, 3 timeout,',
  '130 interrupted.',
];

/** The general help. */
export function generalUsage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'Usage: kms-cks <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`),
    '',
    ...globalHelp,
    '',
    ...exitCodesHelp,
    "Run 'kms-cks <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** The help of one command. */
export function commandUsage(command: CommandName): string {
  const spec = commands[command];
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    ...spec.details,
    '',
    ...globalHelp,
    '',
    ...exitCodesHelp,
    '',
  ].join('\n');
}

/** What a command line says. */
export type ParsedCommandLine =
  | { kind: 'help'; command: CommandName | undefined }
  | { kind: 'version' }
  | {
      kind: 'run';
      command: CommandName;
      positionals: string[];
      values: Record<string, string | boolean | undefined>;
    };

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

/** The first line of a parseArgs error, without its long hint. */
function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('. To specify')[0]!.replace(/^Unknown option/, 'unknown option');
}

/**
 * Parses `argv` (without node and the script). Global options may come before or after the
 * command.
 *
 * @throws {@link UsageError} for an unknown command or option, a missing value or argument.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  // First pass, lenient: find the command, knowing which options take a value.
  const everyOption: Record<string, OptionSpec> = {
    ...globalOptions,
    version: { type: 'boolean' },
  };
  for (const spec of Object.values(commands)) Object.assign(everyOption, spec.options);
  const { tokens } = parseArgs({
    args: [...argv],
    options: everyOption,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens.find((token) => token.kind === 'positional');
  const name = first?.kind === 'positional' ? first.value : undefined;
  if (name === 'help') {
    const topic = tokens.filter((token) => token.kind === 'positional')[1];
    const about = topic?.kind === 'positional' ? topic.value : undefined;
    if (about !== undefined && !isCommand(about))
      throw new UsageError(`unknown command '${about}'`);
    return { kind: 'help', command: about };
  }
  if (name === undefined) {
    if (argv.includes('--version')) return { kind: 'version' };
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', command: undefined };
    throw new UsageError('no command given');
  }
  if (!isCommand(name)) throw new UsageError(`unknown command '${name}'`);
  const spec = commands[name];
  const rest = [...argv];
  rest.splice(first!.index, 1);
  // Second pass, strict: only the global options and this command's.
  const options: Record<string, OptionSpec> = { ...globalOptions, ...spec.options };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', command: name };
    throw new UsageError(shortMessage(error), name);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) return { kind: 'help', command: name };
  const required = spec.positionals.filter((positional) => !positional.endsWith('?'));
  if (parsed.positionals.length < required.length) {
    throw new UsageError(`missing <${required[parsed.positionals.length]}>`, name);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    throw new UsageError(
      `unexpected argument '${parsed.positionals[spec.positionals.length]}'`,
      name,
    );
  }
  for (const [key, value] of Object.entries(values)) {
    if (value === '') throw new UsageError(`--${key} must not be empty`, name);
  }
  return { kind: 'run', command: name, positionals: parsed.positionals, values };
}

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** setTimeout fires at once beyond this. */
const maxDurationMs = 2_147_483_647;

/**
 * Parses a duration: `90s`, `10m`, `1.5h`, `250ms`, or a plain number of milliseconds.
 *
 * @throws {@link UsageError} unless it is positive and at most about 24 days.
 */
export function parseDuration(text: string, option: string, command: CommandName): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * units[match[2] ?? 'ms']!) : Number.NaN;
  if (!(ms > 0 && ms <= maxDurationMs)) {
    throw new UsageError(
      `--${option} must be a positive duration such as 90s, 10m, 1h or 500 (ms), got '${text}'`,
      command,
    );
  }
  return ms;
}

/** Parses a TCP port, 0 to 65535. */
export function parsePort(text: string, command: CommandName): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new UsageError(`--port must be a number from 0 to 65535, got '${text}'`, command);
  }
  return port;
}

/** Parses `DISCONNECTED` or `disconnected,failed` into known states. */
export function parseStates(text: string, command: CommandName): KnownConnectionState[] {
  const states = text.split(',').map((part) => part.trim().toUpperCase());
  for (const state of states) {
    if (!(connectionStates as readonly string[]).includes(state)) {
      throw new UsageError(`unknown state '${state}': use ${connectionStates.join(', ')}`, command);
    }
  }
  return states as KnownConnectionState[];
}
