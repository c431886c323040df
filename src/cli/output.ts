/**
 * What kms-cks prints: the store table, JSON, and the progress of a wait (a live line on a
 * terminal, one plain line per state change otherwise).
 */
import type { CustomKeyStoreEntry } from '../operations/operations.js';
import type { WaiterPoll } from '../waiter/types.js';

/** Where the CLI writes; process.stdout / process.stderr fit. */
export interface TextSink {
  /** Writes text as is. */
  write(text: string): unknown;
}

/** `2024-05-01T12:00:00Z`: seconds are enough for an operator. */
function formatDate(date: Date | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return '-';
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `850ms`, `4.2s`, `2m05s`, `1h02m`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** Columns of the describe table. */
const columns: readonly [string, (entry: CustomKeyStoreEntry) => string][] = [
  ['ID', (entry) => entry.customKeyStoreId || '-'],
  ['NAME', (entry) => entry.customKeyStoreName ?? '-'],
  ['TYPE', (entry) => entry.customKeyStoreType ?? '-'],
  ['STATE', (entry) => entry.connectionState || '-'],
  ['ERROR', (entry) => entry.connectionErrorCode ?? '-'],
  ['CREATED', (entry) => formatDate(entry.creationDate)],
];

/**
 * Replaces control characters (C0, DEL, C1) with `?`, so that a hostile server string cannot move
 * the cursor, rewrite a line or recolour the terminal. Every server-provided string the CLI prints
 * goes through it.
 *
 * @param text - the string to print.
 * @param keepLineBreaks - keep `\n` (for multi-line error messages); `\r` is replaced anyway.
 */
export function printable(text: string, keepLineBreaks = false): string {
  return text.replace(keepLineBreaks ? controlsButLineFeed : controls, '?');
}

/**
 * A connection state to print: `unknown` when KMS sent none or an empty one (the model allows
 * both), else the state made {@link printable}.
 */
export function printableState(state: string | undefined): string {
  return state ? printable(state) : 'unknown';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const controls = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const controlsButLineFeed = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/** The stores as an aligned table with a header; a sentence when there are none. */
export function formatTable(entries: readonly CustomKeyStoreEntry[]): string {
  if (entries.length === 0) return 'No custom key stores found.\n';
  return alignRows([
    columns.map(([title]) => title),
    ...entries.map((entry) => columns.map(([, cell]) => printable(cell(entry)))),
  ]);
}

/** Rows of cells as aligned columns, two spaces apart, one line each (the first is the header). */
export function alignRows(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, index) => Math.max(...rows.map((row) => row[index]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/**
 * Pretty JSON with a final newline; Dates become ISO strings. JSON.stringify escapes C0 controls
 * but not DEL and C1 (which some terminals obey): those are escaped too, the values unchanged.
 */
export function formatJson(value: unknown): string {
  const json = JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${json}\n`;
}

/**
 * Shows the progress of a wait on `sink`. On a terminal: one line rewritten in place with the
 * state and the elapsed time, ticking every second between polls. Elsewhere: a plain line each
 * time the state changes.
 */
export class Progress {
  readonly #sink: TextSink;
  readonly #live: boolean;
  readonly #id: string;
  readonly #started = performance.now();
  #state: string | undefined;
  #detail: string | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #drawn = false;

  /**
   * @param sink - where to draw (stderr, so that stdout stays clean for --json).
   * @param live - whether `sink` is a terminal.
   * @param id - the store, shown on each line.
   */
  constructor(sink: TextSink, live: boolean, id: string) {
    this.#sink = sink;
    this.#live = live;
    this.#id = printable(id);
    if (live) {
      this.#ticker = setInterval(() => this.#draw(), 1000);
      this.#ticker.unref();
    }
  }

  /** Feeds a poll of the waiter. */
  update(poll: WaiterPoll): void {
    const detail = poll.connectionErrorCode ? printable(poll.connectionErrorCode) : undefined;
    const state = printableState(poll.state);
    const changed = state !== this.#state || detail !== this.#detail;
    this.#state = state;
    this.#detail = detail;
    if (this.#live) this.#draw();
    else if (changed) this.#sink.write(`${this.#line()}\n`);
  }

  /** Stops the ticker and ends the live line. Safe to call twice. */
  finish(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
    if (this.#live && this.#drawn) {
      this.#draw();
      this.#sink.write('\n');
      this.#drawn = false;
    }
  }

  #line(): string {
    const state = this.#detail ? `${this.#state} (${this.#detail})` : (this.#state ?? '…');
    return `${this.#id}  ${state}  ${formatElapsed(performance.now() - this.#started)}`;
  }

  #draw(): void {
    if (this.#state === undefined) return;
    // \r back to column 0, ESC[2K clears the line, so a shorter state leaves no residue.
    this.#sink.write(`\r\u001b[2K${this.#line()}`);
    this.#drawn = true;
  }
}
