/**
 * kms-cks: the operator CLI. `main(argv, io)` runs one command and resolves with the exit code;
 * it never throws and never prints a stack trace. The bin (`main.ts`) wires it to the process.
 */

import type { ResolvedClientConfig } from '../client.js';
import { KmsClient } from '../client.js';
import type { KmsClientConfig } from '../config/options.js';
import { loadSharedFiles } from '../config/shared-files.js';
import {
  CustomKeyStoreNotFoundException,
  KmsConfigError,
  KmsError,
  KmsNetworkError,
  KmsTimeoutError,
  KmsValidationError,
  KmsWaiterError,
} from '../errors.js';
import type { MaintenanceReport } from '../maintenance/maintain.js';
import type { CustomKeyStoreEntry } from '../operations/operations.js';
import { untilAborted } from '../sleep.js';
import { VERSION } from '../version.js';
import { ensureConnected, ensureDisconnected } from '../waiter/ensure.js';
import type { CustomKeyStoreApi, EnsureStateResult, WaiterPoll } from '../waiter/types.js';
import {
  type CommandName,
  closest,
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
import { connectionErrorHint, failureHints, retryLine } from './hints.js';
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
  /**
   * Whether stderr is a terminal that takes cursor movements: a live progress line instead of
   * plain lines (the bin says false for `TERM=dumb`).
   */
  isTTY: boolean;
  /**
   * Whether stdout is a terminal (default false): `xks check` prints a table there, and the fleet
   * table drawn live on a terminal stderr is not printed again on it. Otherwise (a pipe, `| tee`,
   * a file) results always go to stdout.
   */
  stdoutIsTTY?: boolean;
  /**
   * Asks the operator a question and resolves with the line typed; the bin gives one when stdin
   * and stderr are terminals. Without it, `--all` without `--yes` or `--dry-run` is refused, and
   * an assume-role profile with `mfa_serial` fails (no code to send).
   */
  prompt?: (question: string) => Promise<string>;
  /** Reads stdin to its end, at most `maxBytes` (`xks check` takes the secret there). */
  readStdin?: (maxBytes: number) => Promise<string>;
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
  values: Record<string, string | boolean | string[] | undefined>;
  notes: RunNotes;
}

/** What a single-store command knows when it fails or is interrupted, for an exact report. */
interface RunNotes {
  /** The Disconnect / Connect requests sent, in order. */
  mutations: Mutation[];
  /** The store given on the command line. */
  id?: string;
  /** Where the client looked (region, profile, endpoint), for a store not found. */
  where?: ResolvedClientConfig;
  /** The last state a Describe showed. */
  lastState?: string;
}

/** One Disconnect / Connect (or Delete) request: in flight until KMS answers. */
export interface Mutation {
  /** The operation sent. */
  operation: 'DisconnectCustomKeyStore' | 'ConnectCustomKeyStore' | 'DeleteCustomKeyStore';
  /** `in-flight` until KMS answers (still so after Ctrl-C: the outcome is unknown). */
  outcome: 'in-flight' | 'accepted' | 'refused';
  /** The `x-amzn-requestid` of KMS's answer. */
  requestId?: string;
}

/**
 * Runs kms-cks with `argv` (the arguments after the program name).
 *
 * @returns the exit code: see {@link exitCodes}.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: CommandName | undefined;
  const notes: RunNotes = { mutations: [] };
  // Known before parsing, so that even a usage error is a JSON document with --json.
  const json = argv.includes('--json');
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
    return await run({ io, ...parsed, notes });
  } catch (error) {
    return report(error, io, command, notes, json);
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
  // A region or profile given twice is covered once (and listed once).
  return [...new Set(list)];
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
    const { runEmulator, xksCliOptions } = await import('./emulator.js');
    const xks = await xksCliOptions(values, command);
    return runEmulator(
      { port, host, regions: regions.length > 0 ? regions : undefined, xks },
      context.io,
    );
  }
  if (command === 'xks') {
    if (context.positionals[0] !== 'check') {
      throw new UsageError(
        `unknown xks action '${context.positionals[0]}': use 'xks check'`,
        command,
      );
    }
    const text = (name: string) =>
      typeof values[name] === 'string' ? (values[name] as string) : undefined;
    const list = (name: string) => (Array.isArray(values[name]) ? (values[name] as string[]) : []);
    // Loaded for this command only.
    const { runXksCheck } = await import('./xks.js');
    return runXksCheck(
      {
        endpoint: text('endpoint'),
        path: text('path'),
        region: text('region'),
        accessKeyId: text('access-key-id'),
        secretFile: text('secret-file'),
        secondCredentialFile: text('second-credential-file'),
        keyIds: list('key-id'),
        connectTo: list('connect-to'),
        ca: text('ca'),
        cert: text('cert'),
        key: text('key'),
        budgetMs:
          typeof values.budget === 'string'
            ? parseDuration(values.budget, 'budget', command)
            : undefined,
        json: values.json === true,
      },
      {
        stdout: context.io.stdout,
        stderr: context.io.stderr,
        stdoutIsTTY: context.io.stdoutIsTTY === true,
        readStdin: context.io.readStdin,
        signal: context.io.signal,
        env: process.env,
      },
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
    if (command !== 'create') context.notes.id = context.positionals[0];
    return runLifecycle(
      {
        command,
        positionals: context.positionals,
        values,
        clientConfig: config,
        timeoutMs,
        pollIntervalMs,
      },
      { ...context.io, mutations: context.notes.mutations },
    );
  }
  if (all && (command === 'disconnect' || command === 'connect')) {
    if (values['reset-failed'] !== undefined) {
      throw new UsageError('--reset-failed is for one store, not --all', command);
    }
    const { region: _region, profile: _profile, ...shared } = config;
    const request: Parameters<typeof runFleet>[0] = {
      command,
      action: command,
      profiles: listOption(context, 'profile'),
      regions: listOption(context, 'region'),
      type:
        typeof values.type === 'string' && values.type.trim().toLowerCase() !== 'all'
          ? parseStoreType(values.type, command)
          : undefined,
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
        error instanceof KmsConfigError ? explainConfigError(error) : operatorTerms(error),
    };
    if (values.type === undefined) {
      throw new UsageError(
        `--all needs --type: xks (EXTERNAL_KEY_STORE), cloudhsm (AWS_CLOUDHSM), or all for both. A CloudHSM key store disconnected by accident takes down every workload that uses its keys: say which type you mean`,
        command,
      );
    }
    return runFleet(request, context.io);
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
        const api = trackedApi(client, context.notes);
        // Configuration and credentials first (an MFA code, a credential_process), so that a
        // request counted as in flight is one that is really on its way to KMS.
        await untilAborted(client.resolveConfig(), context.io.signal);
        const result = await withProgress({ ...context, live: wait }, (onPoll) => {
          const options = {
            ...waitOptions,
            wait,
            onPoll: (poll: WaiterPoll) => {
              context.notes.lastState = poll.state;
              onPoll?.(poll);
            },
          };
          return command === 'disconnect'
            ? ensureDisconnected(api, id, options)
            : ensureConnected(api, id, {
                ...options,
                resetFailed: values['reset-failed'] === true,
              });
        });
        context.io.stdout.write(
          values.json === true ? formatJson(result) : `${describeResult(result, wait)}\n`,
        );
        return exitCodes.ok;
      }
    }
  } catch (error) {
    if (error instanceof CustomKeyStoreNotFoundException) {
      context.notes.id = context.positionals[0];
      context.notes.where = await client.resolveConfig().catch(() => undefined);
    }
    throw error;
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
  // Role credentials kept where the AWS CLI keeps them: one MFA code serves the whole incident.
  config.sharedRoleCache ??= true;
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
      return `No credentials found (${rephrase(error.sources.map((source) => `${source.source}: ${source.reason}`).join('; '))}). ${howToGetCredentials(error)}`;
    default:
      return rephrase(error.message);
  }
}

/** What to do about missing credentials, given which sources were skipped and why. */
function howToGetCredentials(error: KmsConfigError): string {
  const skipped = error.sources.find(
    (source) => source.source === 'env' && source.reason.startsWith('skipped: profile'),
  );
  if (skipped && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) {
    const chosenBy = /chosen by (\S+)/.exec(skipped.reason)?.[1];
    const by = chosenBy === 'AWS_PROFILE' ? 'AWS_PROFILE' : '--profile';
    return `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set but not used: a profile chosen by ${by} wins over them. To use the keys, ${by === 'AWS_PROFILE' ? 'unset AWS_PROFILE' : 'leave out --profile'}; to use the profile, give it credentials.`;
  }
  return 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile <name> for a profile with credentials (or set AWS_PROFILE).';
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
    context.values.json === true
      ? formatJson({ customKeyStores: entries })
      : `${formatTable(entries)}${failureHints(entries)}`,
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

/** The client's calls, noting each Disconnect / Connect: sent, then accepted or refused. */
function trackedApi(client: KmsClient, notes: RunNotes): CustomKeyStoreApi {
  const mutate =
    (operation: Mutation['operation']) =>
    async (id: string, options?: { signal?: AbortSignal }) => {
      const mutation: Mutation = { operation, outcome: 'in-flight' };
      notes.id = id;
      notes.mutations.push(mutation);
      try {
        const output =
          operation === 'DisconnectCustomKeyStore'
            ? await client.disconnectCustomKeyStore(id, options)
            : await client.connectCustomKeyStore(id, options);
        mutation.outcome = 'accepted';
        mutation.requestId = output.$metadata.requestId;
        return output;
      } catch (error) {
        // Aborted (Ctrl-C, deadline) before an answer: sent, outcome unknown.
        if (!options?.signal?.aborted) {
          mutation.outcome = 'refused';
          const requestId = error instanceof KmsError ? error.$metadata.requestId : undefined;
          if (requestId !== undefined) mutation.requestId = requestId;
        }
        throw error;
      }
    };
  return {
    describeCustomKeyStores: (input, options) => client.describeCustomKeyStores(input, options),
    disconnectCustomKeyStore: mutate('DisconnectCustomKeyStore'),
    connectCustomKeyStore: mutate('ConnectCustomKeyStore'),
  };
}

/** One line saying what an ensure call did, with the request ID of what KMS answered. */
function describeResult(result: EnsureStateResult, waited: boolean): string {
  const { action } = result;
  const id = printable(result.customKeyStoreId);
  const state = printableState(result.state);
  const elapsed = formatElapsed(result.elapsedMs);
  const request = result.requestId ? ` (request ${printable(result.requestId)})` : '';
  const verb = action === 'connected' ? 'connect' : 'disconnect';
  const goal = action === 'connected' ? 'CONNECTED' : 'DISCONNECTED';
  if (result.stateUnknown !== undefined) {
    const why = printable(result.stateUnknown);
    if (action === 'none') {
      return `${id}: already DISCONNECTED or DISCONNECTING: KMS refused the Disconnect as such${request}; state unknown: ${why}${waited ? '; cannot wait for DISCONNECTED without kms:DescribeCustomKeyStores' : ''}`;
    }
    return `${id}: ${verb} accepted${request}; state unknown: ${why}${waited ? `; cannot wait for ${goal} without kms:DescribeCustomKeyStores (the ${verb} still counts; check later with an identity allowed to describe)` : ''}`;
  }
  switch (action) {
    case 'none':
      return result.requestId
        ? `${id}: already ${state}, nothing to do: KMS refused the request as such${request}`
        : `${id}: already ${state}, nothing sent`;
    case 'waited':
      return `${id}: was on its way, now ${state} after ${elapsed}`;
    case 'disconnected':
      return waited
        ? `${id}: disconnected, now ${state} after ${elapsed}${request}`
        : `${id}: disconnect requested${request}, now ${state} (use --wait or 'kms-cks wait ${id} DISCONNECTED' to wait)`;
    case 'connected':
      return waited
        ? `${id}: connected, now ${state} after ${elapsed}${request}`
        : `${id}: connect requested${request}, now ${state} (use --wait or 'kms-cks wait ${id} CONNECTED' to wait)`;
  }
}

/** The usage line of a command (or the general one) and where to find more. */
function shortUsage(command: CommandName | undefined): string {
  return command
    ? `Usage: ${commands[command].usage}\nRun 'kms-cks ${command} --help' for its options.\n`
    : "Usage: kms-cks <command> [options]\nRun 'kms-cks --help' for the commands.\n";
}

/** The error's code for programs: a KMS error's name, a config error's code, a waiter's reason, a system code. */
function errorCode(error: unknown): string | undefined {
  if (error instanceof KmsConfigError) return error.code;
  if (error instanceof KmsWaiterError) return error.reason;
  if (error instanceof KmsError && error.name !== 'KmsError') {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What became of each Disconnect / Connect, as the record says it: accepted, refused, or unknown. */
function mutationRecord(mutations: readonly Mutation[]) {
  return mutations.map((mutation) => ({
    operation: mutation.operation,
    outcome: mutation.outcome === 'in-flight' ? 'unknown' : mutation.outcome,
    ...(mutation.requestId !== undefined && { requestId: mutation.requestId }),
  }));
}

/**
 * Prints an error as `<Name>: <message>` (plus usage when it helps) and picks the exit code.
 * With --json, stdout also gets one JSON document saying the same. A request KMS accepted, or
 * one in flight, is always said: an error or an interruption after it does not undo it.
 */
async function report(
  error: unknown,
  io: CliIo,
  command: CommandName | undefined,
  notes: RunNotes,
  json: boolean,
): Promise<number> {
  const id = printable(notes.id ?? '');
  const accepted = notes.mutations.filter((mutation) => mutation.outcome === 'accepted');
  const inFlight = notes.mutations.filter((mutation) => mutation.outcome === 'in-flight');
  // Whatever the abort surfaced as (its reason, or a call's wrapping of it), it was Ctrl-C.
  if (io.signal?.aborted) {
    const lines = ['Interrupted.'];
    for (const mutation of accepted) {
      lines.push(
        `KMS had accepted ${mutation.operation} of ${id} (request ${printable(mutation.requestId ?? 'unknown')}) before the interruption: it stands. Check with 'kms-cks describe ${id}'.`,
      );
    }
    for (const mutation of inFlight) {
      lines.push(
        `${mutation.operation} of ${id} was sent and in flight when interrupted: its outcome is unknown. Check with 'kms-cks describe ${id}' (running the command again is safe).`,
      );
    }
    const run = maintenanceOf(error);
    for (const step of run?.steps ?? []) {
      const operation = maintenanceOperations[step.action];
      if (operation === undefined) continue;
      if (step.outcome === 'ok') {
        lines.push(
          `KMS had accepted ${operation} of ${id}${step.rollback ? ' (rollback)' : ''} (request ${printable(step.requestId ?? 'unknown')}) before the interruption: it stands. Check with 'kms-cks describe ${id}'.`,
        );
      } else if (step.outcome === 'unknown') {
        lines.push(
          `${operation} of ${id} was sent and in flight when interrupted: its outcome is unknown. Check with 'kms-cks describe ${id}'.`,
        );
      }
    }
    io.stderr.write(`${lines.join('\n')}\n`);
    if (json) {
      io.stdout.write(
        formatJson({
          interrupted: true,
          ...(notes.id !== undefined && { customKeyStoreId: notes.id }),
          requests: mutationRecord(notes.mutations),
          ...(run !== undefined && { maintenanceReport: run }),
        }),
      );
    }
    return exitCodes.interrupted;
  }
  const name = printable(error instanceof Error ? String(error.name) : 'Error');
  let text =
    error instanceof KmsConfigError
      ? explainConfigError(error)
      : error instanceof Error
        ? (operatorTerms(error) ?? error.message)
        : String(error);
  if (error instanceof KmsConfigError) text = await withProfileSuggestion(error, text);
  if (error instanceof CustomKeyStoreNotFoundException && notes.where) {
    const where = notes.where;
    text += ` (looked in region ${where.region}, profile ${where.profile}, endpoint ${where.endpoint})`;
    const argument = notes.id ?? '';
    if (argument !== '' && !argument.startsWith('cks-')) {
      text += `. '${argument}' does not look like a custom key store ID (cks-…): to find a store by its name, run kms-cks describe --name '${argument}'`;
    }
  }
  const exit = exitCodeOf(error);
  // KMS accepted the request before this error (a wait that timed out, a store that went FAILED):
  // the result line says so on stdout, as a success would.
  const done = accepted.at(-1);
  if (done && !json) {
    const verb = done.operation === 'DisconnectCustomKeyStore' ? 'disconnect' : 'connect';
    const last =
      error instanceof KmsWaiterError ? (error.lastState ?? notes.lastState) : notes.lastState;
    const outcome =
      error instanceof KmsWaiterError && error.reason === 'timeout'
        ? `the wait timed out after ${formatElapsed(error.elapsedMs)}`
        : `then ${name}`;
    io.stdout.write(
      `${id}: ${verb} accepted (request ${printable(done.requestId ?? 'unknown')}); last seen ${printable(last ?? 'unknown')}${error instanceof KmsWaiterError && error.connectionErrorCode ? ` (${printable(error.connectionErrorCode)})` : ''}; ${outcome}\n`,
    );
  }
  if (json) {
    const requestId = error instanceof KmsError ? error.$metadata.requestId : undefined;
    const code = errorCode(error);
    const maintenance = maintenanceOf(error);
    const missingPermission = deniedPermission(error);
    io.stdout.write(
      formatJson({
        ...(notes.id !== undefined && { customKeyStoreId: notes.id }),
        ...(done && {
          action: done.operation === 'DisconnectCustomKeyStore' ? 'disconnected' : 'connected',
          requestId: done.requestId,
          state: (error instanceof KmsWaiterError ? error.lastState : undefined) ?? notes.lastState,
          ...(error instanceof KmsWaiterError && error.reason === 'timeout'
            ? { waitTimedOut: true }
            : {}),
        }),
        ...(notes.mutations.length > 0 && { requests: mutationRecord(notes.mutations) }),
        error: {
          name: error instanceof Error ? String(error.name) : 'Error',
          message: text,
          ...(code !== undefined && { code }),
          ...(requestId !== undefined && { requestId }),
          ...(missingPermission !== undefined && { missingPermission }),
        },
        // The maintenance run's record (kms-cks update): which requests KMS accepted, with IDs.
        ...(maintenance !== undefined && { maintenanceReport: maintenance }),
      }),
    );
  }
  if (error instanceof UsageError) {
    const usage = error.command ?? command;
    io.stderr.write(`kms-cks: ${printable(error.message, true)}\n${shortUsage(usage)}`);
    return exit;
  }
  // Names and messages may come from a server: no control characters reach the terminal.
  io.stderr.write(`${name}: ${printable(text, true)}\n`);
  if (error instanceof KmsValidationError) io.stderr.write(shortUsage(command));
  if (error instanceof KmsWaiterError && error.reason === 'failed' && error.connectionErrorCode) {
    const code = error.connectionErrorCode;
    const hint = connectionErrorHint(code);
    if (hint) io.stderr.write(`What to check (${printable(code)}): ${hint}\n`);
    io.stderr.write(`${retryLine(error.customKeyStoreId)}\n`);
  }
  return exit;
}

/** The report a maintenance run (`kms-cks update`) attached to its error, if any. */
function maintenanceOf(error: unknown): MaintenanceReport | undefined {
  const report = (error as { maintenanceReport?: unknown } | null | undefined)?.maintenanceReport;
  return typeof report === 'object' && report !== null ? (report as MaintenanceReport) : undefined;
}

/** The operation of each step of a maintenance run that changes the store. */
const maintenanceOperations: Partial<Record<string, string>> = {
  disconnect: 'DisconnectCustomKeyStore',
  update: 'UpdateCustomKeyStore',
  connect: 'ConnectCustomKeyStore',
};

/** For KMS's AccessDeniedException: the IAM action it names (`kms:UpdateCustomKeyStore`). */
function deniedPermission(error: unknown): string | undefined {
  if (!(error instanceof KmsError) || error.name !== 'AccessDeniedException') return undefined;
  return /not authorized to perform: (kms:[A-Za-z]+)/.exec(error.message)?.[1];
}

/** The exit code of an error: see {@link exitCodes}. */
function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof KmsValidationError) return exitCodes.usage;
  if (error instanceof KmsConfigError) {
    // STS (or another credential service) could not be reached: the network, not the configuration.
    return error.cause instanceof KmsNetworkError ? exitCodes.error : exitCodes.usage;
  }
  if (error instanceof KmsWaiterError) {
    return error.reason === 'timeout' ? exitCodes.timeout : exitCodes.error;
  }
  if (error instanceof KmsTimeoutError) return exitCodes.timeout;
  return exitCodes.error;
}

/**
 * A library message in the operator's terms: flags instead of option names, the command instead
 * of the function. Undefined when there is nothing to rephrase.
 */
export function operatorTerms(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const rephrased = rephrase(error.message);
  return rephrased === error.message ? undefined : rephrased;
}

const rephrasings: readonly [RegExp, string][] = [
  [
    /^Invalid input for (?:ensureDisconnected|ensureConnected|waitForConnectionState|describeCustomKeyStores|disconnectCustomKeyStore|connectCustomKeyStore): /,
    'Invalid input: ',
  ],
  [/\bcustomKeyStoreId\b/g, '<id>'],
  [/\bcustomKeyStoreName\b/g, '--name'],
  [/\boptions\.timeoutMs\b|\btimeoutMs\b/g, '--timeout'],
  [/\boptions\.pollIntervalMs\b|\bpollIntervalMs\b/g, '--poll-interval'],
  [/\bconfig\.region\b/g, '--region'],
  [/\bconfig\.profile\b/g, '--profile'],
  [/\bconfig\.endpoint\b/g, '--endpoint'],
  [/resetFailed: true, or --reset-failed in the CLI, does that/g, '--reset-failed does that'],
  [
    /profile (\S+) sets mfa_serial, so it needs an MFA code, and no mfaCodeProvider was given[^;]*?(?=;|$| \(tried)/,
    "profile $1 sets mfa_serial, so it needs an MFA code, and kms-cks asks for one only on a terminal (stdin and stderr). Run it on a terminal, or sign in with the AWS CLI first: 'aws sts get-caller-identity --profile $1' asks for the code and caches the role's credentials in ~/.aws/cli/cache, which kms-cks reads until they expire",
  ],
  [
    / Pass \{ credentials \} to KmsClient or set up one of these sources\./,
    ' Set up one of these sources.',
  ],
];

function rephrase(message: string): string {
  let text = message;
  for (const [pattern, replacement] of rephrasings) text = text.replace(pattern, replacement);
  return text;
}

/** Adds "did you mean" to a profile that is not in the shared files. */
async function withProfileSuggestion(error: KmsConfigError, text: string): Promise<string> {
  const missing =
    error.code === 'ProfileNotFound'
      ? error.value
      : /\bno profile (\S+) in /.exec(error.message)?.[1];
  if (missing === undefined) return text;
  let names: string[];
  try {
    const files = await loadSharedFiles(process.env);
    names = [
      ...[...files.config.keys()].flatMap((key) =>
        key === 'default' ? ['default'] : key.startsWith('profile ') ? [key.slice(8)] : [],
      ),
      ...files.credentials.keys(),
    ];
  } catch {
    return text;
  }
  const suggestion = closest(missing, [...new Set(names)]);
  return suggestion !== undefined && suggestion !== missing
    ? `${text} Did you mean --profile ${suggestion}?`
    : text;
}
