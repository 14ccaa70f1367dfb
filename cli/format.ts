/**
 * Output of `btc-flow compute`: the JSON document (exact field list, null for unknown, never NaN/Infinity), an
 * aligned human table, and CSV. All three are pure functions of the engine result. JSON and CSV are also written as a
 * stream (`writeDocument`): bars and coverage rows are read from the engine's row views one at a time and written in
 * chunks, so the whole output never exists as one string (1M bars stay under 1 GB, see bench/cli-memory.ts).
 */
import { CLI_METRICS, type CliMetricName } from '../src/core/metrics';
import type { EngineResult, FlowEvent, Timeframe } from '../src/core/types';

/** The fields of one output bar, in output order (also the CSV header after `time,timeIso`): the catalog's CLI metrics. */
export const BAR_FIELDS: readonly CliMetricName[] = CLI_METRICS;
export type BarField = CliMetricName;

/** The fields of one event, in output order (docs/cli.md). */
export const EVENT_FIELDS = ['time', 'timeEnd', 'kind', 'title', 'text'] as const;
/** The fields of one per-bar coverage row, in output order (docs/cli.md, docs/metrics.md). */
export const COVERAGE_BAR_FIELDS = ['time', 'spot', 'perp', 'oi', 'funding', 'excluded'] as const;
/** The members of the coverage object, in output order (any other member follows them). */
export const COVERAGE_FIELDS = ['series', 'bars', 'staleExclusions', 'unconvertedQuotes', 'notes'] as const;

export type OutputBar = Record<BarField, number | null> & { states: string[] };
export interface OutputEvent {
  time: number | null;
  timeEnd: number | null;
  kind: string;
  title: string;
  text: string;
}
export interface OutputCoverageBar {
  time: number | null;
  spot: number | null;
  perp: number | null;
  oi: number | null;
  funding: number | null;
  excluded: string[];
}

/**
 * A list read row by row: `at(i)` builds row i when it is written (the engine's bar and coverage views are turned
 * into output rows one at a time, never all at once).
 */
export class Rows<T> {
  constructor(
    readonly length: number,
    readonly at: (i: number) => T
  ) {}
  toArray(): T[] {
    const out: T[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) {
      out[i] = this.at(i);
    }
    return out;
  }
}

type RowList<T> = readonly T[] | Rows<T>;

export interface OutputDocument {
  timeframe: string;
  bars: OutputBar[];
  events: OutputEvent[];
  coverage: unknown;
}

/** The output document with its long lists read lazily (what `writeDocument` streams). */
export interface LazyDocument {
  timeframe: string;
  bars: RowList<OutputBar>;
  events: RowList<OutputEvent>;
  /** Plain coverage object; its `bars` member is a Rows list. */
  coverage: Record<string, unknown>;
}

/** A finite number, or null for anything else (undefined, NaN, ±Infinity, non-numbers). */
export function finiteOrNull(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/**
 * Deep copy in which every non-finite number becomes null, `undefined` object members are dropped and undefined array
 * items become null, exactly as JSON would; used for the free-form coverage object. An object with a `toJSON` method
 * (the engine's read-only row views, whose fields are prototype getters that Object.entries does not see) is copied
 * through it, as JSON.stringify would.
 */
export function sanitize(v: unknown): unknown {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : null;
  }
  if (Array.isArray(v)) {
    return v.map((x) => (x === undefined ? null : sanitize(x)));
  }
  if (v && typeof v === 'object') {
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return sanitize(toJSON.call(v));
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined && typeof x !== 'function') {
        out[k] = sanitize(x);
      }
    }
    return out;
  }
  if (typeof v === 'bigint') {
    return Number(v);
  }
  return v;
}

/** One output bar from an engine bar (a view: its fields are read as properties, which reaches the getters). */
export function outputBar(b: unknown): OutputBar {
  const src = b as Record<string, unknown>;
  const row = {} as OutputBar;
  for (const f of BAR_FIELDS) {
    row[f] = finiteOrNull(src[f]);
  }
  const states = src.states;
  row.states = Array.isArray(states) ? states.map(String) : [];
  return row;
}

export function outputEvent(e: FlowEvent): OutputEvent {
  return {
    time: finiteOrNull(e.time),
    timeEnd: finiteOrNull(e.timeEnd),
    kind: String(e.kind),
    title: String(e.title ?? ''),
    text: String(e.text ?? ''),
  };
}

/** One per-bar coverage row with exactly the documented fields, read as properties (views included). */
export function outputCoverageBar(c: unknown): OutputCoverageBar {
  const src = c as Record<string, unknown>;
  const ex = src.excluded;
  return {
    time: finiteOrNull(src.time),
    spot: finiteOrNull(src.spot),
    perp: finiteOrNull(src.perp),
    oi: finiteOrNull(src.oi),
    funding: finiteOrNull(src.funding),
    excluded: Array.isArray(ex) ? ex.map(String) : [],
  };
}

/** The coverage object: every member sanitised, its per-bar rows (`bars`) read lazily with the documented fields. */
function lazyCoverage(coverage: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!coverage || typeof coverage !== 'object') {
    return out;
  }
  const keys = Object.keys(coverage);
  const ordered = [
    ...COVERAGE_FIELDS.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !(COVERAGE_FIELDS as readonly string[]).includes(k)),
  ];
  for (const k of ordered) {
    const x = (coverage as Record<string, unknown>)[k];
    if (k === 'bars' && Array.isArray(x)) {
      out.bars = new Rows(x.length, (i) => outputCoverageBar(x[i]));
    } else if (x !== undefined && typeof x !== 'function') {
      out[k] = sanitize(x);
    }
  }
  return out;
}

type ResultLike = Pick<EngineResult, 'timeframe' | 'bars' | 'events' | 'coverage'>;

/** The output document with its bar and coverage rows read on demand from the engine result. */
export function lazyDocument(result: ResultLike): LazyDocument {
  const bars = result.bars;
  const events = result.events as FlowEvent[];
  return {
    timeframe: String(result.timeframe),
    bars: new Rows(bars.length, (i) => outputBar(bars[i])),
    events: new Rows(events.length, (i) => outputEvent(events[i])),
    coverage: lazyCoverage(result.coverage ?? {}),
  };
}

/** Builds the output document with exactly the documented fields (every row materialised). */
export function toOutputDocument(result: ResultLike): OutputDocument {
  const lazy = lazyDocument(result);
  const coverage: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(lazy.coverage)) {
    coverage[k] = v instanceof Rows ? v.toArray() : v;
  }
  return {
    timeframe: lazy.timeframe,
    bars: (lazy.bars as Rows<OutputBar>).toArray(),
    events: (lazy.events as Rows<OutputEvent>).toArray(),
    coverage,
  };
}

const finiteReplacer = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

/** Collects small writes into chunks of about 64 kB before passing them on (one write per chunk, not per row). */
function chunked(write: (text: string) => void): { put: (s: string) => void; flush: () => void } {
  let buf: string[] = [];
  let size = 0;
  const flush = () => {
    if (buf.length) {
      write(buf.join(''));
      buf = [];
      size = 0;
    }
  };
  return {
    put: (s: string) => {
      buf.push(s);
      size += s.length;
      if (size >= 65_536) {
        flush();
      }
    },
    flush,
  };
}

function rowCount(v: RowList<unknown>): number {
  return v.length;
}
function rowAt<T>(v: RowList<T>, i: number): T {
  return v instanceof Rows ? v.at(i) : v[i];
}

/**
 * Line-oriented JSON: objects near the top are indented one key per line, and every array element is written compactly
 * on its own line, so a bar, an event or a coverage row is one line (easy to grep and diff, far smaller than fully
 * indented JSON). The replacer is a second guard: anything non-finite is written as null. Rows lists are written one
 * row at a time.
 */
function layout(v: unknown, indent: string, depth: number, put: (s: string) => void): void {
  if (Array.isArray(v) || v instanceof Rows) {
    const list = v as RowList<unknown>;
    const n = rowCount(list);
    if (n === 0) {
      put('[]');
      return;
    }
    const inner = indent + '  ';
    put('[\n');
    for (let i = 0; i < n; i++) {
      put(inner + JSON.stringify(rowAt(list, i) ?? null, finiteReplacer) + (i < n - 1 ? ',\n' : '\n'));
    }
    put(indent + ']');
    return;
  }
  if (v && typeof v === 'object' && depth < 2) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) {
      put('{}');
      return;
    }
    const inner = indent + '  ';
    put('{\n');
    entries.forEach(([k, x], j) => {
      put(`${inner}${JSON.stringify(k)}: `);
      layout(x, inner, depth + 1, put);
      put(j < entries.length - 1 ? ',\n' : '\n');
    });
    put(indent + '}');
    return;
  }
  put(JSON.stringify(v ?? null, finiteReplacer));
}

function collect(fn: (put: (s: string) => void) => void): string {
  const parts: string[] = [];
  fn((s) => parts.push(s));
  return parts.join('');
}

/** JSON text of the output document (valid JSON; one bar / event per line). */
export function formatJson(doc: OutputDocument | LazyDocument): string {
  return collect((put) => {
    layout(doc, '', 0, put);
    put('\n');
  });
}

/** ISO time of a bar: the date for daily and longer bars, date and hour for intraday bars. */
export function isoTime(t: number | null, tf: Timeframe | string): string {
  if (t === null) {
    return '';
  }
  const iso = new Date(t).toISOString();
  return tf === '1h' || tf === '4h' ? iso.slice(0, 16).replace('T', ' ') + 'Z' : iso.slice(0, 10);
}

/** Compact USD amount for the table: 27.86B, 912.4M, 45.2k. */
export function compactUsd(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e12) {
    return (x / 1e12).toFixed(2) + 'T';
  }
  if (a >= 1e9) {
    return (x / 1e9).toFixed(2) + 'B';
  }
  if (a >= 1e6) {
    return (x / 1e6).toFixed(2) + 'M';
  }
  if (a >= 1e3) {
    return (x / 1e3).toFixed(1) + 'k';
  }
  return x.toFixed(0);
}

const fixed = (d: number) => (x: number) => x.toFixed(d);

/** Table columns: header, value formatter. Unknown values print as '-'. */
const TABLE_COLUMNS: Array<{ head: string; field: BarField; fmt: (x: number) => string }> = [
  { head: 'spotUsd', field: 'spotUsd', fmt: fixed(2) },
  { head: 'perpUsd', field: 'perpUsd', fmt: fixed(2) },
  { head: 'prem%', field: 'premiumPct', fmt: fixed(4) },
  { head: 'premZ', field: 'premiumZ', fmt: fixed(2) },
  { head: 'oiUsd', field: 'oiUsd', fmt: compactUsd },
  { head: 'oiIndex', field: 'oiIndexUsd', fmt: compactUsd },
  { head: 'oiZ', field: 'oiZ', fmt: fixed(2) },
  { head: 'fund8h%', field: 'fundingRate8h', fmt: (x) => (x * 100).toFixed(4) },
  { head: 'fundApr%', field: 'fundingAprPct', fmt: fixed(2) },
  { head: 'fundZ', field: 'fundingZ', fmt: fixed(2) },
];

function alignRows(rows: string[][], leftCols: Set<number>): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (leftCols.has(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd()
    )
    .join('\n');
}

/** Readable aligned table: one row per bar (ISO time, metrics, states), then the events. */
export function formatTable(doc: OutputDocument | LazyDocument): string {
  const tf = doc.timeframe;
  const rows: string[][] = [['time', ...TABLE_COLUMNS.map((c) => c.head), 'states']];
  const nb = rowCount(doc.bars);
  for (let i = 0; i < nb; i++) {
    const b = rowAt(doc.bars, i);
    rows.push([
      isoTime(b.time, tf),
      ...TABLE_COLUMNS.map((c) => {
        const v = b[c.field];
        return v === null ? '-' : c.fmt(v);
      }),
      b.states.join(','),
    ]);
  }
  let out = alignRows(rows, new Set([0, rows[0].length - 1])) + '\n';
  out += `\n${nb} bars (${tf})`;
  if (nb) {
    out += `, ${isoTime(rowAt(doc.bars, 0).time, tf)} .. ${isoTime(rowAt(doc.bars, nb - 1).time, tf)}`;
  }
  const ne = rowCount(doc.events);
  out += `; ${ne} events\n`;
  if (ne) {
    const ev: string[][] = [['start', 'end (excl.)', 'kind', 'title', 'text']];
    for (let i = 0; i < ne; i++) {
      const e = rowAt(doc.events, i);
      ev.push([isoTime(e.time, tf), isoTime(e.timeEnd, tf), e.kind, e.title, e.text.replace(/\s+/g, ' ')]);
    }
    out += '\n' + alignRows(ev, new Set([0, 1, 2, 3, 4])) + '\n';
  }
  return out;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const DAY_MS = 86_400_000;
const pad = (x: number, n: number) => String(x).padStart(n, '0');

/**
 * Full ISO-8601 of epoch ms, equal to `new Date(t).toISOString()`, with the date part computed once per day. (One
 * Date per CSV row made V8 keep hundreds of MB of garbage at 1M rows; see bench/cli-memory.ts.)
 */
function isoFormatter(): (t: number) => string {
  let day = NaN;
  let prefix = '';
  return (t: number) => {
    const d = Math.floor(t / DAY_MS);
    if (d !== day) {
      day = d;
      const iso = new Date(d * DAY_MS).toISOString();
      prefix = iso.slice(0, iso.indexOf('T') + 1);
    }
    const ms = t - d * DAY_MS;
    return (
      prefix +
      pad(Math.floor(ms / 3_600_000), 2) +
      ':' +
      pad(Math.floor(ms / 60_000) % 60, 2) +
      ':' +
      pad(Math.floor(ms / 1000) % 60, 2) +
      '.' +
      pad(ms % 1000, 3) +
      'Z'
    );
  };
}

function csvStream(doc: OutputDocument | LazyDocument, put: (s: string) => void): void {
  put(['time', 'timeIso', ...BAR_FIELDS.slice(1), 'states'].join(',') + '\n');
  const nb = rowCount(doc.bars);
  const iso = isoFormatter();
  for (let i = 0; i < nb; i++) {
    const b = rowAt(doc.bars, i);
    let line = b.time === null ? ',' : `${b.time},${iso(b.time)}`;
    for (let f = 1; f < BAR_FIELDS.length; f++) {
      const v = b[BAR_FIELDS[f]];
      line += v === null ? ',' : ',' + String(v);
    }
    put(line + ',' + csvCell(b.states.join('|')) + '\n');
  }
}

/**
 * CSV of the bars: header `time,timeIso,<metrics>,states`; time in epoch ms, timeIso as full ISO-8601; numbers at
 * full precision; unknown values empty; states joined with `|`. Events are not in the CSV (use json or table).
 */
export function formatCsv(doc: OutputDocument | LazyDocument): string {
  return collect((put) => csvStream(doc, put));
}

export type OutputFormat = 'json' | 'table' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'table', 'csv'];

export function formatDocument(doc: OutputDocument | LazyDocument, format: OutputFormat): string {
  return format === 'json' ? formatJson(doc) : format === 'table' ? formatTable(doc) : formatCsv(doc);
}

/**
 * Writes the output of an engine result in chunks of about 64 kB: JSON and CSV row by row from the engine's views
 * (the same text as formatDocument(toOutputDocument(result), format)); the table, which aligns its columns over all
 * rows, is built whole.
 */
export function writeDocument(result: ResultLike, format: OutputFormat, write: (text: string) => void): void {
  const doc = lazyDocument(result);
  if (format === 'table') {
    write(formatTable(doc));
    return;
  }
  const { put, flush } = chunked(write);
  if (format === 'json') {
    layout(doc, '', 0, put);
    put('\n');
  } else {
    csvStream(doc, put);
  }
  flush();
}
