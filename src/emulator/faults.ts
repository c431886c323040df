/**
 * Fault injection: a queue of faults the next calls get, consumed in order. A fault can be
 * limited to one operation; calls to other operations pass it by.
 */

/** What a fault does to a call. */
export type FaultKind =
  /** 400 ThrottlingException "Rate exceeded". */
  | 'throttle'
  /** 500 KMSInternalException. */
  | 'internal'
  /** 503 with an HTML page, as a load balancer in front of KMS sends it. */
  | 'html503'
  /** Holds the request `delayMs` before it is processed (longer than a client timeout = a hang). */
  | 'delay'
  /** Destroys the connection without a response. */
  | 'drop'
  /** Sends a 200 whose Content-Length promises more than is written, then destroys the connection. */
  | 'truncate'
  /** Any error response: `errorType` (the `__type`), `status` (default 400) and `message`. */
  | 'error';

/** One fault to inject. */
export interface FaultSpec {
  /** What the call gets; see {@link FaultKind}. */
  kind: FaultKind;
  /** How many calls get it; default 1. `Infinity` for every call until `clearFaults()`. */
  count?: number;
  /** Only calls to this operation (e.g. `DisconnectCustomKeyStore`) get it. */
  operation?: string;
  /** For `delay`: how long to hold the request, in ms (required). */
  delayMs?: number;
  /** For `error`: the `__type`, e.g. `AccessDeniedException` (required). */
  errorType?: string;
  /** For `error`: the HTTP status; default 400. */
  status?: number;
  /** For `error`: the message; default none (KMS sometimes sends none). */
  message?: string;
}

/** A fault waiting in the queue, with the calls it still applies to. */
export interface PendingFault extends FaultSpec {
  /** Calls left. */
  remaining: number;
}

const kinds = new Set<FaultKind>([
  'throttle',
  'internal',
  'html503',
  'delay',
  'drop',
  'truncate',
  'error',
]);

/** Checks a fault spec. @throws TypeError naming what is wrong. */
export function checkFault(spec: FaultSpec): void {
  if (!kinds.has(spec.kind)) {
    throw new TypeError(
      `Unknown fault kind ${JSON.stringify(spec.kind)}; expected one of ${[...kinds].join(', ')}`,
    );
  }
  const count = spec.count ?? 1;
  if (count !== Number.POSITIVE_INFINITY && (!Number.isInteger(count) || count < 1)) {
    throw new TypeError(`Fault count must be a positive integer or Infinity, got ${spec.count}`);
  }
  if (spec.kind === 'delay' && !(Number.isFinite(spec.delayMs) && (spec.delayMs ?? -1) >= 0)) {
    throw new TypeError(`A delay fault needs delayMs ≥ 0, got ${spec.delayMs}`);
  }
  if (spec.kind === 'error' && !spec.errorType) {
    throw new TypeError('An error fault needs errorType (the __type to send)');
  }
  if (spec.status !== undefined && !(Number.isInteger(spec.status) && spec.status >= 400)) {
    throw new TypeError(`A fault status must be an HTTP error status (≥ 400), got ${spec.status}`);
  }
}

/** The queue of pending faults. */
export class FaultQueue {
  readonly #pending: PendingFault[] = [];

  /** Adds faults at the end of the queue. @throws TypeError for an invalid spec (none is added). */
  push(specs: readonly FaultSpec[]): void {
    for (const spec of specs) checkFault(spec);
    for (const spec of specs) this.#pending.push({ ...spec, remaining: spec.count ?? 1 });
  }

  /** The first fault that applies to a call of `operation`, consumed; undefined when none does. */
  take(operation: string | undefined): FaultSpec | undefined {
    if (this.#pending.length === 0) return undefined;
    const index = this.#pending.findIndex(
      (fault) => fault.operation === undefined || fault.operation === operation,
    );
    if (index < 0) return undefined;
    const fault = this.#pending[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#pending.splice(index, 1);
    return fault;
  }

  /** Faults still waiting, in order. */
  get pending(): readonly PendingFault[] {
    return this.#pending;
  }

  /** Drops every pending fault. */
  clear(): void {
    this.#pending.length = 0;
  }
}
