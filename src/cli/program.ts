/**
 * kms-cks: the operator CLI. `main(argv, io)` runs one command and resolves with the exit code;
 * it never throws and never prints a stack trace. The bin (`main.ts`) wires it to the process.
 */
import { KmsClient } from '../client.js';
import type { KmsClientConfig } from '../config/options.js';
import {
  KmsConfigError,
  KmsError,
  KmsTimeoutError,
  KmsValidationError,
  KmsWaiterError,
} from '../errors.js';
import type { CustomKeyStoreEntry } from '../operations/operations.js';
import { VERSION } from '../version.js';
import type { EnsureStateResult, WaiterPoll } from '../waiter/types.js';
import {
  type CommandName,
  commands,
  commandUsage,
  generalUsage,
  parseCommandLine,
  parseDuration,
  parsePort,
  parseStates,
  UsageError,
} from './args.js';
import { parseCount, parseStoreType, runFleet } from './fleet.js';
import {
  formatElapsed,
  formatJson,
  formatTable,
  Progress,
  printable,
  printableState,
  type TextSink,
} from './output.js';
import { WaitingNotice } from './waiting.js';

/** Exit codes of kms-cks. */
export const exitCodes = {
  /** Done. */
  ok: 0,
  /**
   * KMS returned an error, the endpoint could not be reached (refused, unreachable:
   * KmsNetworkError), the store is FAILED, a store or region of `--all` failed, or something else
   * went wrong.
   */
  error: 1,
  /** Bad command line, invalid input, or unusable configuration (no region, no credentials). */
  usage: 2,
  /** A wait or a call ran out of time. */
  timeout: 3,
  /** Interrupted (Ctrl-C / SIGTERM) while waiting. */
  interrupted: 130,
} as const;

/** What the CLI talks to; the bin passes the process's streams. */
export interface CliIo {
  /** Results: tables, JSON, final lines. */
  stdout: TextSink;
  /** Progress, errors and usage. */
  stderr: TextSink;
  /** Whether stderr is a terminal: a live progress line instead of plain lines. */
  isTTY: boolean;
  /**
   * Asks the operator a question and resolves with the line typed; the bin gives one when stdin
   * and stderr are terminals. Without it, `--all` without `--yes` or `--dry-run` is refused, and
   * an assume-role profile with `mfa_serial` fails (no code to send).
   */
  prompt?: (question: string) => Promise<string>;
  /**
   * Asks for a secret on the terminal without echoing it (create, update); the bin gives one when
   * stdin and stderr are terminals. Without it a secret must come from a file or the environment.
   */
  promptSecret?: (question: string) => Promise<string>;
  /** The environment secrets are read from (`KMS_CKS_XKS_SECRET`, …); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Aborted on SIGINT / SIGTERM: ends a wait (exit 130) or stops the emulator (exit 0). */
  signal?: AbortSignal;
  /**
   * Client settings below the command-line flags (`--region`, `--profile`, `--endpoint` win);
   * the environment and shared config files still apply to what neither sets.
   */
  clientConfig?: KmsClientConfig;
}

interface Context {
  io: CliIo;
  command: CommandName;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/**
 * Runs kms-cks with `argv` (the arguments after the program name).
 *
 * @returns the exit code: see {@link exitCodes}.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: CommandName | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'version') {
      io.stdout.write(`kms-cks ${VERSION}\n`);
      return exitCodes.ok;
    }
    if (parsed.kind === 'help') {
      io.stdout.write(parsed.command ? commandUsage(parsed.command) : generalUsage());
      return exitCodes.ok;
    }
    command = parsed.command;
    return await run({ io, ...parsed });
  } catch (error) {
    return report(error, io, command);
  }
}

/** A comma-separated option as a list: `--region us-east-1,eu-west-1`. */
function listOption(context: Context, option: 'region' | 'profile'): string[] {
  const value = context.values[option];
  if (typeof value !== 'string') return [];
  const list = value.split(',').map((item) => item.trim());
  if (list.some((item) => item === '')) {
    throw new UsageError(`--${option} has an empty item: '${value}'`, context.command);
  }
  return list;
}

async function run(context: Context): Promise<number> {
  const { command, values } = context;
  if (command === 'emulator') {
    const port = typeof values.port === 'string' ? parsePort(values.port, command) : undefined;
    const host = typeof values.host === 'string' ? values.host : undefined;
    const regions = listOption(context, 'region');
    for (const region of regions) {
      if (!/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(region)) {
        throw new UsageError(
          `--region: '${region}' is not a region name (lower-case letters, digits and hyphens, e.g. eu-west-1)`,
          command,
        );
      }
    }
    if (new Set(regions).size !== regions.length) {
      throw new UsageError(`--region names a region twice: '${values.region}'`, command);
    }
    // Loaded for this command only: the emulator (node:http and all) is no part of the others' start-up.
    const { runEmulator } = await import('./emulator.js');
    return runEmulator(
      { port, host, regions: regions.length > 0 ? regions : undefined },
      context.io,
    );
  }
  const all = values.all === true;
  if (all && context.positionals[0] !== undefined) {
    throw new UsageError('give an <id> or --all, not both', command);
  }
  if ((command === 'disconnect' || command === 'connect') && !all) {
    if (context.positionals[0] === undefined) {
      throw new UsageError('missing <id> (or --all for every selected store)', command);
    }
    for (const option of ['type', 'name', 'dry-run', 'yes', 'concurrency']) {
      if (values[option] !== undefined) {
        throw new UsageError(`--${option} goes with --all`, command);
      }
    }
  }
  if (!all) {
    for (const option of ['region', 'profile'] as const) {
      if (listOption(context, option).length > 1) {
        throw new UsageError(
          `--${option} takes one value here; a comma-separated list is for --all`,
          command,
        );
      }
    }
  }
  // Check every option before the client exists: bad usage never reaches KMS.
  const timeoutMs =
    typeof values.timeout === 'string'
      ? parseDuration(values.timeout, 'timeout', command)
      : undefined;
  const pollIntervalMs =
    typeof values['poll-interval'] === 'string'
      ? parseDuration(values['poll-interval'], 'poll-interval', command)
      : undefined;
  const states = command === 'wait' ? parseStates(context.positionals[1]!, command) : undefined;
  if (command === 'describe' && context.positionals[0] !== undefined && values.name !== undefined) {
    throw new UsageError('give an <id> or --name, not both', command);
  }
  const config = clientConfig(context);
  if (command === 'create' || command === 'update' || command === 'delete') {
    // Loaded for these commands only, as the emulator is.
    const { runLifecycle } = await import('./lifecycle.js');
    return runLifecycle(
      {
        command,
        positionals: context.positionals,
        values,
        clientConfig: config,
        timeoutMs,
        pollIntervalMs,
      },
      context.io,
    );
  }
  if (all && (command === 'disconnect' || command === 'connect')) {
    if (values['reset-failed'] !== undefined) {
      throw new UsageError('--reset-failed is for one store, not --all', command);
    }
    const { region: _region, profile: _profile, ...shared } = config;
    return runFleet(
      {
        command,
        action: command,
        profiles: listOption(context, 'profile'),
        regions: listOption(context, 'region'),
        type: typeof values.type === 'string' ? parseStoreType(values.type, command) : undefined,
        name: typeof values.name === 'string' ? values.name : undefined,
        concurrency:
          typeof values.concurrency === 'string'
            ? parseCount(values.concurrency, 'concurrency', command)
            : undefined,
        dryRun: values['dry-run'] === true,
        yes: values.yes === true,
        wait: values.wait === true,
        json: values.json === true,
        timeoutMs,
        pollIntervalMs,
        clientConfig: shared,
        describeError: (error) =>
          error instanceof KmsConfigError ? explainConfigError(error) : undefined,
      },
      context.io,
    );
  }
  const notice = new WaitingNotice(context.io.stderr);
  const client = new KmsClient({ ...config, logger: config.logger ?? notice.logger });
  try {
    const waitOptions = { timeoutMs, pollIntervalMs, signal: context.io.signal };
    switch (command) {
      case 'describe':
        return await describeCommand(client, context);
      case 'wait':
        return await withProgress(context, async (onPoll) => {
          const entry = await client.waitForConnectionState(context.positionals[0]!, states!, {
            ...waitOptions,
            onPoll,
          });
          return entry;
        }).then((entry) => {
          if (values.json === true) context.io.stdout.write(formatJson(entry));
          else {
            context.io.stdout.write(
              `${printable(context.positionals[0]!)}: ${printableState(entry.connectionState)}\n`,
            );
          }
          return exitCodes.ok;
        });
      case 'disconnect':
      case 'connect': {
        const id = context.positionals[0]!;
        const wait = values.wait === true;
        const result = await withProgress({ ...context, live: wait }, (onPoll) =>
          command === 'disconnect'
            ? client.ensureDisconnected(id, { ...waitOptions, wait, onPoll })
            : client.ensureConnected(id, {
                ...waitOptions,
                wait,
                resetFailed: values['reset-failed'] === true,
                onPoll,
              }),
        );
        context.io.stdout.write(
          values.json === true ? formatJson(result) : `${describeResult(result, wait)}\n`,
        );
        return exitCodes.ok;
      }
    }
  } finally {
    notice.stop();
    await client.close();
  }
}

/** The client settings of the command line over `io.clientConfig`. */
function clientConfig(context: Context): KmsClientConfig {
  const { values, command } = context;
  const config: KmsClientConfig = { ...context.io.clientConfig };
  if (typeof values.region === 'string') config.region = values.region;
  if (typeof values.profile === 'string') config.profile = values.profile;
  if (typeof values.endpoint === 'string') config.endpoint = values.endpoint;
  if (values['allow-insecure-endpoint'] === true) config.allowInsecureEndpoint = true;
  if (typeof values['request-timeout'] === 'string') {
    config.requestTimeoutMs = parseDuration(values['request-timeout'], 'request-timeout', command);
  }
  if (typeof values['connect-timeout'] === 'string') {
    config.connectTimeoutMs = parseDuration(values['connect-timeout'], 'connect-timeout', command);
  }
  if (typeof values['max-attempts'] === 'string') {
    config.maxAttempts = parseCount(values['max-attempts'], 'max-attempts', command);
  }
  // An assume-role profile with mfa_serial: ask on the terminal, as the AWS CLI does.
  const prompt = context.io.prompt;
  if (prompt && config.mfaCodeProvider === undefined) {
    config.mfaCodeProvider = (serial) => prompt(`MFA code for ${serial}: `);
  }
  return config;
}

/** The command-line flag for a library setting name (`config.region` → `--region`). */
const flagOfSetting: Readonly<Record<string, string>> = {
  'config.region': '--region',
  'config.profile': '--profile',
  'config.endpoint': '--endpoint',
};

function settingName(setting: string | undefined): string | undefined {
  if (setting === undefined) return undefined;
  return flagOfSetting[setting] ?? setting;
}

/**
 * A configuration error in the CLI's terms: the flags and variables an operator sets, not the
 * library's options (`pass { region } to KmsClient`, `allowInsecureEndpoint: true`, …).
 */
function explainConfigError(error: KmsConfigError): string {
  const from = settingName(error.setting);
  switch (error.code) {
    case 'NoRegion':
      return `No region: pass --region <region> (e.g. --region eu-west-1), or set AWS_REGION (or AWS_DEFAULT_REGION), or set region in profile ${error.value ?? 'default'} of the shared config file.`;
    case 'InvalidRegion':
      return `${from ?? '--region'}: invalid region ${JSON.stringify(error.value ?? '')}: a region is lower-case letters, digits and hyphens, e.g. eu-west-1.`;
    case 'InsecureEndpoint':
      return `Refusing plain http endpoint ${error.value ?? ''}${from ? ` (from ${from})` : ''}: use https, a loopback host, or pass --allow-insecure-endpoint.`;
    case 'InvalidEndpoint':
      return from === '--endpoint' ? `--endpoint: ${error.message}` : error.message;
    case 'ProfileNotFound':
      return `Profile ${JSON.stringify(error.value ?? '')} (from ${from === 'config.profile' ? '--profile' : (from ?? '--profile')}) is not in the shared config or credentials file (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE; default ~/.aws/config and ~/.aws/credentials): check the name given to --profile or AWS_PROFILE.`;
    case 'NoCredentials':
      return `No credentials found (${error.sources.map((source) => `${source.source}: ${source.reason}`).join('; ')}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile <name> for a profile with credentials (or set AWS_PROFILE).`;
    default:
      return error.message;
  }
}

async function describeCommand(client: KmsClient, context: Context): Promise<number> {
  const id = context.positionals[0];
  const name = typeof context.values.name === 'string' ? context.values.name : undefined;
  const signal = context.io.signal;
  let entries: CustomKeyStoreEntry[];
  if (id !== undefined || name !== undefined) {
    const page = await client.describeCustomKeyStores(
      id !== undefined ? { customKeyStoreId: id } : { customKeyStoreName: name },
      { signal },
    );
    entries = page.customKeyStores;
  } else {
    entries = [];
    for await (const entry of client.paginateCustomKeyStores({}, { signal })) entries.push(entry);
  }
  context.io.stdout.write(
    context.values.json === true ? formatJson({ customKeyStores: entries }) : formatTable(entries),
  );
  return exitCodes.ok;
}

/** Runs `work` while drawing its polls on stderr (only when `live` is not false). */
async function withProgress<T>(
  context: Context & { live?: boolean },
  work: (onPoll: ((poll: WaiterPoll) => void) | undefined) => Promise<T>,
): Promise<T> {
  if (context.live === false) return work(undefined);
  const progress = new Progress(context.io.stderr, context.io.isTTY, context.positionals[0]!);
  try {
    return await work((poll) => progress.update(poll));
  } finally {
    progress.finish();
  }
}

/** One line saying what an ensure call did. */
function describeResult(result: EnsureStateResult, waited: boolean): string {
  const { action } = result;
  const id = printable(result.customKeyStoreId);
  const state = printableState(result.state);
  const elapsed = formatElapsed(result.elapsedMs);
  switch (action) {
    case 'none':
      return `${id}: already ${state}, nothing sent`;
    case 'waited':
      return `${id}: was on its way, now ${state} after ${elapsed}`;
    case 'disconnected':
      return waited
        ? `${id}: disconnected, now ${state} after ${elapsed}`
        : `${id}: disconnect requested, now ${state} (use --wait or 'kms-cks wait ${id} DISCONNECTED' to wait)`;
    case 'connected':
      return waited
        ? `${id}: connected, now ${state} after ${elapsed}`
        : `${id}: connect requested, now ${state} (use --wait or 'kms-cks wait ${id} CONNECTED' to wait)`;
  }
}

/** The usage line of a command (or the general one) and where to find more. */
function shortUsage(command: CommandName | undefined): string {
  return command
    ? `Usage: ${commands[command].usage}\nRun 'kms-cks ${command} --help' for its options.\n`
    : "Usage: kms-cks <command> [options]\nRun 'kms-cks --help' for the commands.\n";
}

/** Prints an error as `<Name>: <message>` (plus usage when it helps) and picks the exit code. */
function report(error: unknown, io: CliIo, command: CommandName | undefined): number {
  // Whatever the abort surfaced as (its reason, or a call's wrapping of it), it was Ctrl-C.
  if (io.signal?.aborted) {
    io.stderr.write('Interrupted.\n');
    return exitCodes.interrupted;
  }
  if (error instanceof UsageError) {
    const usage = error.command ?? command;
    io.stderr.write(`kms-cks: ${printable(error.message, true)}\n${shortUsage(usage)}`);
    return exitCodes.usage;
  }
  // Names and messages may come from a server: no control characters reach the terminal.
  const name = printable(error instanceof Error ? String(error.name) : 'Error');
  const message = printable(
    error instanceof KmsConfigError
      ? explainConfigError(error)
      : error instanceof Error
        ? error.message
        : String(error),
    true,
  );
  io.stderr.write(`${name}: ${message}\n`);
  if (error instanceof KmsValidationError) {
    io.stderr.write(shortUsage(command));
    return exitCodes.usage;
  }
  if (error instanceof KmsConfigError) return exitCodes.usage;
  if (error instanceof KmsWaiterError) {
    return error.reason === 'timeout' ? exitCodes.timeout : exitCodes.error;
  }
  if (error instanceof KmsTimeoutError) return exitCodes.timeout;
  if (error instanceof KmsError) return exitCodes.error;
  return exitCodes.error;
}
