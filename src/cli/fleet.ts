/**
 * `kms-cks disconnect --all` / `connect --all`: the fleet kill switch over {@link applyToFleet}.
 * Asks once on a terminal (refuses without one unless --yes), draws a live table on a terminal
 * and plain lines elsewhere, prints the audit record with --json, and maps it to an exit code.
 */
import type { KmsClientConfig } from '../config/options.js';
import {
  applyToFleet,
  type FleetAction,
  type FleetOptions,
  type FleetProgress,
  type FleetRecord,
  type FleetTarget,
} from '../fleet.js';
import { type CommandName, UsageError } from './args.js';
import { alignRows, formatJson, printable, type TextSink } from './output.js';

/** What the fleet command needs from the CLI. */
export interface FleetCommandIo {
  /** The audit record (--json) or the final table and summary. */
  stdout: TextSink;
  /** Progress: the live table on a terminal, plain lines otherwise; the question. */
  stderr: TextSink;
  /** Whether stderr is a terminal. */
  isTTY: boolean;
  /** Asks a question on the terminal; absent when there is none to ask on. */
  prompt?: (question: string) => Promise<string>;
  /** Ctrl-C. */
  signal?: AbortSignal;
}

/** What the command line asked for, parsed. */
export interface FleetRequest {
  /** The command, for usage errors. */
  command: CommandName;
  /** disconnect or connect. */
  action: FleetAction;
  /** --profile, split on commas; empty for the default. */
  profiles: string[];
  /** --region, split on commas; empty for the default. */
  regions: string[];
  /** --type, aliases resolved. */
  type?: 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
  /** --name, a glob. */
  name?: string;
  /** --concurrency. */
  concurrency?: number;
  /** --dry-run. */
  dryRun: boolean;
  /** --yes. */
  yes: boolean;
  /** --wait. */
  wait: boolean;
  /** --json. */
  json: boolean;
  /** --timeout, in ms. */
  timeoutMs?: number;
  /** --poll-interval, in ms. */
  pollIntervalMs?: number;
  /** The client settings every profile × region shares (endpoint, timeouts, …). */
  clientConfig: KmsClientConfig;
  /** Explains an error in the CLI's terms (its flags); undefined keeps the message. */
  describeError?: (error: unknown) => string | undefined;
}

const typeAliases: Readonly<Record<string, 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE'>> = {
  xks: 'EXTERNAL_KEY_STORE',
  external_key_store: 'EXTERNAL_KEY_STORE',
  cloudhsm: 'AWS_CLOUDHSM',
  aws_cloudhsm: 'AWS_CLOUDHSM',
};

/** `xks`, `cloudhsm`, or the KMS names (any case). */
export function parseStoreType(
  text: string,
  command: CommandName,
): 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE' {
  const type = typeAliases[text.trim().toLowerCase()];
  if (!type) {
    throw new UsageError(
      `--type must be EXTERNAL_KEY_STORE (xks) or AWS_CLOUDHSM (cloudhsm), got '${text}'`,
      command,
    );
  }
  return type;
}

/** A positive integer option. */
export function parseCount(text: string, option: string, command: CommandName): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= 100)) {
    throw new UsageError(
      `--${option} must be a whole number from 1 to 100, got '${text}'`,
      command,
    );
  }
  return value;
}

/** Plural: `1 store`, `2 stores`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The exit code of a run: 130 interrupted, 1 any failure, 3 a wait timeout, else 0. */
export function fleetExitCode(record: FleetRecord): number {
  if (record.interrupted) return 130;
  const failed = record.targets.filter((target) => target.action === 'failed');
  if (record.declined || record.failures.length > 0) return 1;
  if (failed.some((target) => target.error?.reason !== 'timeout')) return 1;
  if (failed.length > 0) return 3;
  return 0;
}

/** Runs the fleet command; resolves with the exit code. */
export async function runFleet(request: FleetRequest, io: FleetCommandIo): Promise<number> {
  const verb = request.action === 'disconnect' ? 'Disconnect' : 'Connect';
  // Refuse before any request: a script must say --yes (or --dry-run) explicitly.
  if (!request.dryRun && !request.yes && !io.prompt) {
    throw new UsageError(
      `refusing to ${request.action} --all without confirmation: not a terminal. Add --yes to confirm, or --dry-run to see what would be ${request.action}ed`,
      request.command,
    );
  }
  const display = io.isTTY ? new LiveTable(io.stderr) : new PlainLines(io.stderr);
  const options: FleetOptions = {
    action: request.action,
    profiles: request.profiles,
    regions: request.regions,
    type: request.type,
    name: request.name,
    concurrency: request.concurrency,
    wait: request.wait,
    timeoutMs: request.timeoutMs,
    pollIntervalMs: request.pollIntervalMs,
    dryRun: request.dryRun,
    signal: io.signal,
    clientConfig: request.clientConfig,
    describeError: request.describeError,
    onProgress: (event) => display.update(event),
    confirm:
      request.yes || !io.prompt
        ? undefined
        : async (plan) => {
            display.pause();
            const answer = await io.prompt!(
              `${verb} ${count(plan.targets.length, 'store')} in ${count(plan.regions, 'region')}? [y/N] `,
            );
            display.resume();
            return /^\s*y(es)?\s*$/i.test(answer);
          },
  };
  const record = await applyToFleet(options);
  display.finish(record);
  if (request.json) {
    io.stdout.write(formatJson(record));
  } else {
    if (!io.isTTY) io.stdout.write(formatFleetTable(record.targets));
    io.stdout.write(`${summary(record)}\n`);
  }
  return fleetExitCode(record);
}

/** One line saying what the run did. */
function summary(record: FleetRecord): string {
  const by = (action: string) => record.targets.filter((target) => target.action === action);
  const regions = new Set(record.targets.map((target) => target.region)).size;
  const done = record.operation === 'disconnect' ? 'disconnected' : 'connected';
  const parts: string[] = [];
  if (record.dryRun) {
    parts.push(
      `Dry run: ${count(by(`would-${record.operation}`).length, 'store')} would be ${done} in ${count(regions, 'region')}, ${by('already').length} already ${done}; nothing sent`,
    );
  } else if (record.declined) {
    parts.push('Not confirmed: nothing sent');
  } else {
    parts.push(
      `${by(done).length} ${done}, ${by('already').length} already, ${by('failed').length} failed${by('skipped').length ? `, ${by('skipped').length} skipped` : ''} (${count(record.targets.length, 'store')} in ${count(regions, 'region')})`,
    );
  }
  const unlisted = record.failures.filter((failure) => !failure.partial).length;
  if (unlisted > 0) parts.push(`${count(unlisted, 'profile/region')} could not be listed`);
  const gaps = record.failures.length - unlisted;
  if (gaps > 0) parts.push(`${count(gaps, 'listing problem')} (listed in part)`);
  if (record.interrupted) parts.push('interrupted');
  return `${parts.join('; ')}.`;
}

const columns: readonly [string, (target: FleetTarget, state: string | undefined) => string][] = [
  ['PROFILE', (target) => target.profile ?? '-'],
  ['REGION', (target) => target.region],
  ['ID', (target) => target.customKeyStoreId],
  ['NAME', (target) => target.customKeyStoreName ?? '-'],
  ['STATE', (target, state) => state || target.stateAfter || target.stateBefore || '-'],
  [
    'RESULT',
    (target) =>
      target.action === 'failed'
        ? `failed: ${target.error?.name ?? 'Error'}`
        : target.action === 'skipped'
          ? '…'
          : target.action,
  ],
];

/** The targets as an aligned table (profile, region, ID, name, state, result). */
export function formatFleetTable(
  targets: readonly FleetTarget[],
  states?: ReadonlyMap<FleetTarget, string>,
): string {
  if (targets.length === 0) return 'No custom key stores selected.\n';
  return alignRows([
    columns.map(([title]) => title),
    ...targets.map((target) =>
      columns.map(([, cell]) => printable(cell(target, states?.get(target)))),
    ),
  ]);
}

function failureLine(failure: FleetRecord['failures'][number]): string {
  const where = `${failure.profile ?? '(default profile)'} ${failure.region ?? '(default region)'}`;
  const what = failure.partial ? 'listed in part' : 'could not list';
  return printable(`${where}: ${what}: ${failure.error.name}: ${failure.error.message}`);
}

interface Display {
  update(event: FleetProgress): void;
  pause(): void;
  resume(): void;
  finish(record: FleetRecord): void;
}

/** Not a terminal: one line per listing, failure and store done. */
class PlainLines implements Display {
  readonly #sink: TextSink;

  constructor(sink: TextSink) {
    this.#sink = sink;
  }

  update(event: FleetProgress): void {
    switch (event.type) {
      case 'listed':
        this.#sink.write(
          `${printable(`${event.profile ?? '(default profile)'} ${event.region}: ${count(event.targets.length, 'store')} selected`)}\n`,
        );
        return;
      case 'failure':
        this.#sink.write(`${failureLine(event.failure)}\n`);
        return;
      case 'done': {
        const { target } = event;
        const detail =
          target.action === 'failed'
            ? `failed: ${target.error?.name}: ${target.error?.message}`
            : `${target.action}${target.stateAfter ? `, now ${target.stateAfter}` : ''}${target.requestId ? ` (request ${target.requestId})` : ''}`;
        this.#sink.write(
          printable(
            `${target.profile ?? '(default profile)'} ${target.region} ${target.customKeyStoreId} ${target.customKeyStoreName ?? ''}: ${detail}`,
          ).concat('\n'),
        );
        return;
      }
      case 'state':
        return;
    }
  }

  pause(): void {}
  resume(): void {}
  finish(): void {}
}

/** A terminal: the table redrawn in place as listings, states and results come in. */
class LiveTable implements Display {
  readonly #sink: TextSink;
  readonly #targets: FleetTarget[] = [];
  readonly #failures: string[] = [];
  readonly #states = new Map<FleetTarget, string>();
  #lines = 0;
  #paused = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(sink: TextSink) {
    this.#sink = sink;
  }

  update(event: FleetProgress): void {
    if (event.type === 'listed') this.#targets.push(...event.targets);
    else if (event.type === 'failure') this.#failures.push(failureLine(event.failure));
    else if (event.type === 'state') this.#states.set(event.target, event.state ?? '');
    else this.#states.delete(event.target);
    this.#schedule();
  }

  pause(): void {
    this.#draw();
    this.#paused = true;
    // The question goes below the table; the next draw starts after it.
    this.#lines = 0;
  }

  resume(): void {
    this.#paused = false;
  }

  finish(record: FleetRecord): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // The record's order (profile, region, listing) rather than the order listings came in.
    this.#targets.splice(0, this.#targets.length, ...record.targets);
    this.#states.clear();
    this.#draw();
  }

  /** At most one redraw per 100 ms: a large fleet sends many events. */
  #schedule(): void {
    if (this.#timer || this.#paused) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#draw();
    }, 100);
    this.#timer.unref();
  }

  #draw(): void {
    if (this.#paused) return;
    const text = formatFleetTable(this.#targets, this.#states).concat(
      this.#failures.map((line) => `${line}\n`).join(''),
    );
    // Up to the first line of the last drawing, clear to the end of the screen, draw again.
    const up = this.#lines > 0 ? `\u001b[${this.#lines}A\r\u001b[J` : '';
    this.#sink.write(`${up}${text}`);
    this.#lines = text.split('\n').length - 1;
  }
}
