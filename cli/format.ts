/**
 * Output of `btc-flow compute`: the JSON document (exact field list, null for unknown, never NaN/Infinity), an
 * aligned human table, and CSV. All three are pure functions of the engine result.
 */
import type { EngineResult, FlowEvent, Timeframe } from '../src/core/types';

/** The fields of one output bar, in output order (also the CSV header after `time,timeIso`). */
export const BAR_FIELDS = [
  'time',
  'spotUsd',
  'perpUsd',
  'premiumPct',
  'premiumZ',
  'oiUsd',
  'oiIndexUsd',
  'oiZ',
  'fundingRate8h',
  'fundingAprPct',
  'fundingZ',
] as const;
export type BarField = (typeof BAR_FIELDS)[number];

export type OutputBar = Record<BarField, number | null> & { states: string[] };
export interface OutputEvent {
  time: number | null;
  timeEnd: number | null;
  kind: string;
  title: string;
  text: string;
}
export interface OutputDocument {
  timeframe: string;
  bars: OutputBar[];
  events: OutputEvent[];
  coverage: unknown;
}

/** A finite number, or null for anything else (undefined, NaN, ±Infinity, non-numbers). */
export function finiteOrNull(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/**
 * Deep copy in which every non-finite number becomes null, `undefined` object members are dropped and undefined array
 * items become null, exactly as JSON would; used for the free-form coverage object.
 */
export function sanitize(v: unknown): unknown {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : null;
  }
  if (Array.isArray(v)) {
    return v.map((x) => (x === undefined ? null : sanitize(x)));
  }
  if (v && typeof v === 'object') {
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

/** Builds the output document with exactly the documented fields. */
export function toOutputDocument(
  result: Pick<EngineResult, 'timeframe' | 'bars' | 'events' | 'coverage'>
): OutputDocument {
  const bars = result.bars.map((b) => {
    const row = {} as OutputBar;
    const src = b as unknown as Record<string, unknown>;
    for (const f of BAR_FIELDS) {
      row[f] = finiteOrNull(src[f]);
    }
    row.states = Array.isArray(b.states) ? b.states.map(String) : [];
    return row;
  });
  const events = (result.events as FlowEvent[]).map((e) => ({
    time: finiteOrNull(e.time),
    timeEnd: finiteOrNull(e.timeEnd),
    kind: String(e.kind),
    title: String(e.title ?? ''),
    text: String(e.text ?? ''),
  }));
  return { timeframe: String(result.timeframe), bars, events, coverage: sanitize(result.coverage ?? {}) };
}

const finiteReplacer = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

/**
 * Line-oriented JSON: objects near the top are indented one key per line, and every array element is written compactly
 * on its own line, so a bar, an event or a coverage row is one line (easy to grep and diff, far smaller than fully
 * indented JSON). The replacer is a second guard: anything non-finite is written as null.
 */
function layout(v: unknown, indent: string, depth: number): string {
  if (Array.isArray(v)) {
    if (v.length === 0) {
      return '[]';
    }
    const inner = indent + '  ';
    return '[\n' + v.map((x) => inner + JSON.stringify(x ?? null, finiteReplacer)).join(',\n') + '\n' + indent + ']';
  }
  if (v && typeof v === 'object' && depth < 2) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) {
      return '{}';
    }
    const inner = indent + '  ';
    return (
      '{\n' +
      entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${layout(x, inner, depth + 1)}`).join(',\n') +
      '\n' +
      indent +
      '}'
    );
  }
  return JSON.stringify(v ?? null, finiteReplacer);
}

/** JSON text of the output document (valid JSON; one bar / event per line). */
export function formatJson(doc: OutputDocument): string {
  return layout(doc, '', 0) + '\n';
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
export function formatTable(doc: OutputDocument): string {
  const tf = doc.timeframe;
  const rows: string[][] = [['time', ...TABLE_COLUMNS.map((c) => c.head), 'states']];
  for (const b of doc.bars) {
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
  out += `\n${doc.bars.length} bars (${tf})`;
  if (doc.bars.length) {
    out += `, ${isoTime(doc.bars[0].time, tf)} .. ${isoTime(doc.bars[doc.bars.length - 1].time, tf)}`;
  }
  out += `; ${doc.events.length} events\n`;
  if (doc.events.length) {
    const ev: string[][] = [['start', 'end (excl.)', 'kind', 'title', 'text']];
    for (const e of doc.events) {
      ev.push([isoTime(e.time, tf), isoTime(e.timeEnd, tf), e.kind, e.title, e.text.replace(/\s+/g, ' ')]);
    }
    out += '\n' + alignRows(ev, new Set([0, 1, 2, 3, 4])) + '\n';
  }
  return out;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV of the bars: header `time,timeIso,<metrics>,states`; time in epoch ms, timeIso as full ISO-8601; numbers at
 * full precision; unknown values empty; states joined with `|`. Events are not in the CSV (use json or table).
 */
export function formatCsv(doc: OutputDocument): string {
  const lines = [['time', 'timeIso', ...BAR_FIELDS.slice(1), 'states'].join(',')];
  for (const b of doc.bars) {
    const cells = [
      b.time === null ? '' : String(b.time),
      b.time === null ? '' : new Date(b.time).toISOString(),
      ...BAR_FIELDS.slice(1).map((f) => (b[f] === null ? '' : String(b[f]))),
      csvCell(b.states.join('|')),
    ];
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

export type OutputFormat = 'json' | 'table' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'table', 'csv'];

export function formatDocument(doc: OutputDocument, format: OutputFormat): string {
  return format === 'json' ? formatJson(doc) : format === 'table' ? formatTable(doc) : formatCsv(doc);
}
