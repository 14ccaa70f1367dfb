/**
 * Fault injection for the mock exchange server: configured per venue and endpoint, applied per request.
 * See docs/mock-exchanges.md for the user-facing description.
 */

export const FAULT_TYPES = [
  '429',
  '500',
  'hang',
  'malformed',
  'empty',
  'gaps',
  'duplicates',
  'outOfOrder',
  'latency',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** A fault as configured (CLI flag, `POST /__faults`, or `setFaults`). */
export interface FaultSpec {
  /** ccxt venue id, or `*` for every venue. */
  venue: string;
  /** Logical endpoint (`klines`, `markets`, ...; see GET /__routes), or `*` for every endpoint. */
  endpoint: string;
  type: FaultType;
  /** How many matching requests get the fault; omitted or `null` = always. */
  times?: number | null;
  /** 429: the Retry-After header value in seconds (default 1). */
  retryAfterSec?: number;
  /** hang: how long the request is held before the connection is dropped without an answer (default 60000 ms). */
  hangMs?: number;
  /** latency: extra delay in ms before answering (default 1000). */
  latencyMs?: number;
}

/** A fault as held by the server (with its remaining count and how often it fired). */
export interface ActiveFault extends FaultSpec {
  id: number;
  remaining: number | null;
  fired: number;
}

export class FaultConfigError extends Error {}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Validate one fault spec, with a message that names the bad field and the allowed values. */
export function validateFault(x: unknown): FaultSpec {
  if (!isObj(x)) {
    throw new FaultConfigError(
      'fault must be an object {venue, endpoint, type, times?, retryAfterSec?, hangMs?, latencyMs?}'
    );
  }
  const venue = x.venue ?? '*';
  const endpoint = x.endpoint ?? '*';
  if (typeof venue !== 'string' || venue === '') {
    throw new FaultConfigError('fault.venue must be a venue id or "*"');
  }
  if (typeof endpoint !== 'string' || endpoint === '') {
    throw new FaultConfigError('fault.endpoint must be an endpoint name or "*"');
  }
  const type = String(x.type);
  if (!(FAULT_TYPES as readonly string[]).includes(type)) {
    throw new FaultConfigError(`fault.type must be one of ${FAULT_TYPES.join(', ')}; got ${JSON.stringify(x.type)}`);
  }
  const spec: FaultSpec = { venue, endpoint, type: type as FaultType };
  const num = (field: 'times' | 'retryAfterSec' | 'hangMs' | 'latencyMs', min: number) => {
    const v = x[field];
    if (v === undefined || v === null) {
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      throw new FaultConfigError(`fault.${field} must be a number >= ${min}; got ${JSON.stringify(v)}`);
    }
    spec[field] = v;
  };
  num('times', 1);
  num('retryAfterSec', 0);
  num('hangMs', 0);
  num('latencyMs', 0);
  return spec;
}

/**
 * Parse a CLI fault flag: `venue:endpoint:type[:times]`, where type may carry an argument as
 * `429=RETRY_AFTER_SEC`, `hang=MS` or `latency=MS`, and times is a count or `always`.
 * Examples: `binanceusdm:klines:500`, `bybit:*:429=2:3`, `okx:openInterestHistory:hang=5000:1`.
 */
export function parseFaultFlag(flag: string): FaultSpec {
  const parts = flag.split(':');
  if (parts.length < 3 || parts.length > 4) {
    throw new FaultConfigError(
      `--fault must look like venue:endpoint:type[:times] (e.g. binanceusdm:klines:500); got "${flag}"`
    );
  }
  const [venue, endpoint, typeArg, timesArg] = parts;
  const [type, arg] = typeArg.split('=');
  const raw: Record<string, unknown> = { venue, endpoint, type };
  if (arg !== undefined) {
    const n = Number(arg);
    if (type === '429') {
      raw.retryAfterSec = n;
    } else if (type === 'hang') {
      raw.hangMs = n;
    } else if (type === 'latency') {
      raw.latencyMs = n;
    } else {
      throw new FaultConfigError(
        `--fault type "${type}" takes no "=value" argument (only 429=SEC, hang=MS, latency=MS)`
      );
    }
  }
  if (timesArg !== undefined && timesArg !== 'always') {
    const n = Number(timesArg);
    if (!Number.isInteger(n) || n < 1) {
      throw new FaultConfigError(`--fault times must be a positive integer or "always"; got "${timesArg}"`);
    }
    raw.times = n;
  }
  return validateFault(raw);
}

export class FaultTable {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  set(specs: FaultSpec[]): ActiveFault[] {
    this.faults = [];
    return this.add(specs);
  }

  add(specs: FaultSpec[]): ActiveFault[] {
    const added = specs.map((s) => {
      const f: ActiveFault = { ...s, id: this.nextId++, remaining: s.times ?? null, fired: 0 };
      this.faults.push(f);
      return f;
    });
    return added;
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The faults that fire for this request (consumes one count from each). */
  take(venue: string, endpoint: string, aliases: readonly string[] = []): ActiveFault[] {
    const out: ActiveFault[] = [];
    let hasTerminal = false;
    for (const f of this.faults) {
      if (f.remaining !== null && f.remaining <= 0) {
        continue;
      }
      const endpointMatches = f.endpoint === '*' || f.endpoint === endpoint || aliases.includes(f.endpoint);
      if ((f.venue !== '*' && f.venue !== venue) || !endpointMatches) {
        continue;
      }
      const terminal = TERMINAL.has(f.type);
      if (terminal && hasTerminal) {
        continue; // only one status-changing fault per request
      }
      hasTerminal = hasTerminal || terminal;
      if (f.remaining !== null) {
        f.remaining--;
      }
      f.fired++;
      out.push({ ...f });
    }
    return out;
  }
}

/** Faults that replace the answer (as opposed to delaying it or editing its rows). */
export const TERMINAL = new Set<FaultType>(['429', '500', 'hang', 'malformed']);
export const ROW_FAULTS = new Set<FaultType>(['empty', 'gaps', 'duplicates', 'outOfOrder']);

/** Find the row list of a venue answer: the explicit path if given, else the longest array in the body. */
export function locateRows(
  body: unknown,
  rowsPath?: Array<string | number>
): { parent: unknown; key: string | number | null; rows: unknown[] } | null {
  if (rowsPath) {
    let parent: unknown = null;
    let key: string | number | null = null;
    let cur: unknown = body;
    for (const k of rowsPath) {
      if (cur === null || typeof cur !== 'object') {
        return null;
      }
      parent = cur;
      key = k;
      cur = (cur as Record<string | number, unknown>)[k];
    }
    return Array.isArray(cur) ? { parent, key, rows: cur } : null;
  }
  let best: { parent: unknown; key: string | number | null; rows: unknown[] } | null = null;
  const visit = (node: unknown, parent: unknown, key: string | number | null, depth: number) => {
    if (depth > 6 || node === null || typeof node !== 'object') {
      return;
    }
    if (Array.isArray(node)) {
      if (!best || node.length > best.rows.length) {
        best = { parent, key, rows: node };
      }
      // rows of rows (binance klines): the outer array is the row list; do not descend
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      visit(v, node, k, depth + 1);
    }
  };
  visit(body, null, null, 0);
  return best;
}

/**
 * The source index of every row after a row fault on `n` rows: `empty` none; `gaps` drops every 4th row from index 1
 * (the first row survives, so a page stays non-empty); `duplicates` repeats every 3rd row; `outOfOrder` swaps
 * neighbouring pairs (1,0,3,2,...). Null for a fault that does not edit rows.
 */
function rowOrder(n: number, type: FaultType): number[] | null {
  const all = Array.from({ length: n }, (_, i) => i);
  switch (type) {
    case 'empty':
      return [];
    case 'gaps':
      return all.filter((i) => i % 4 !== 1);
    case 'duplicates':
      return all.flatMap((i) => (i % 3 === 0 ? [i, i] : [i]));
    case 'outOfOrder':
      return all.map((i) => (i % 2 === 0 ? (i + 1 < n ? i + 1 : i) : i - 1));
    default:
      return null;
  }
}

/**
 * Apply a row fault. Returns the new body (the input is not reused by callers). With `parallel` (paths of column
 * arrays that form rows together, e.g. Deribit's `ticks`/`open`/`close`/...), every column gets the same row edit,
 * so the rows stay aligned; otherwise the row list is at `rowsPath`, or the longest array in the body.
 */
export function applyRowFault(
  body: unknown,
  type: FaultType,
  rowsPath?: Array<string | number>,
  parallel?: Array<Array<string | number>>
): unknown {
  const locs = parallel ? parallel.map((p) => locateRows(body, p)) : [locateRows(body, rowsPath)];
  const first = locs[0];
  if (!first || locs.some((l) => l === null || l.rows.length !== first.rows.length)) {
    return body; // a column missing or of another length: leave the answer as it is
  }
  const order = rowOrder(first.rows.length, type);
  if (order === null) {
    return body;
  }
  let out: unknown = body;
  for (const loc of locs as Array<NonNullable<(typeof locs)[number]>>) {
    const rows = order.map((i) => loc.rows[i]);
    if (loc.key === null) {
      out = rows;
    } else {
      (loc.parent as Record<string | number, unknown>)[loc.key] = rows;
    }
  }
  return out;
}
