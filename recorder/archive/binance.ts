/**
 * Binance public data archive (data.binance.vision): file paths, and the readers of its three CSV layouts (OI metrics,
 * funding, klines) with every known defect repaired or reported: rows out of order, duplicated rows (all of them from
 * 2020-09 to about 2021-05, or single ones), days one row short, the 2025-12-31 metrics file shifted by one slot,
 * futures kline headers from mid-2022, spot kline timestamps in microseconds from 2025-01-01. Pure functions, no I/O;
 * a row that cannot be read throws an ArchiveFormatError, and the caller rejects the whole file.
 */

export const MINUTE_MS = 60_000;
export const SLOT_MS = 5 * MINUTE_MS;
export const DAY_MS = 86_400_000;
/** Rows of a full metrics day: one per 5-minute slot. */
export const METRICS_ROWS_PER_DAY = 288;
/** The first day of the OI metrics archive (BTCUSDT). */
export const METRICS_FIRST_DAY = Date.UTC(2020, 8, 1);
/** A grid point takes the snapshot stamped at it, else the latest one at most this much earlier (one row short). */
export const OI_FALLBACK_MS = 15 * MINUTE_MS;

export class ArchiveFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveFormatError';
    Object.setPrototypeOf(this, ArchiveFormatError.prototype);
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
export const dayName = (t: number) => {
  const d = new Date(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};
export const monthName = (t: number) => dayName(t).slice(0, 7);

export const metricsPath = (sym: string, day: number) =>
  `/data/futures/um/daily/metrics/${sym}/${sym}-metrics-${dayName(day)}.zip`;
export const fundingPath = (sym: string, month: number) =>
  `/data/futures/um/monthly/fundingRate/${sym}/${sym}-fundingRate-${monthName(month)}.zip`;
/** Kline file; `interval` is the archive's name (`1h`, `4h`, `1d`; monthly candles are `1mo`). */
export const klinesPath = (
  market: 'spot' | 'futures',
  period: 'daily' | 'monthly',
  sym: string,
  interval: string,
  t: number
) =>
  `/data/${market === 'spot' ? 'spot' : 'futures/um'}/${period}/klines/${sym}/${interval}/${sym}-${interval}-${
    period === 'daily' ? dayName(t) : monthName(t)
  }.zip`;

/** Splits CSV text into rows of trimmed fields, skipping blank lines. */
function csvRows(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(',').map((f) => f.trim()));
}

const isNumeric = (s: string) => s !== '' && Number.isFinite(Number(s));

function num(s: string | undefined, what: string, line: number): number {
  const v = Number(s);
  if (s === undefined || s === '' || !Number.isFinite(v)) {
    throw new ArchiveFormatError(`line ${line}: ${what} ${JSON.stringify(s ?? '')} is not a number`);
  }
  return v;
}

/**
 * Sorts rows by time and removes duplicate times. Identical duplicates are dropped; a duplicate time with another
 * value keeps the later row of the file. Returns what it found, for the file's notice.
 */
export function sortDedupe<T extends number[]>(
  rows: T[]
): { rows: T[]; outOfOrder: number; duplicates: number; conflicts: number } {
  let outOfOrder = 0;
  for (let i = 1; i < rows.length; i++) {
    if (rows[i][0] < rows[i - 1][0]) {
      outOfOrder++;
    }
  }
  const byTime = new Map<number, T>();
  let duplicates = 0;
  let conflicts = 0;
  for (const r of rows) {
    const had = byTime.get(r[0]);
    if (had) {
      duplicates++;
      if (had.some((v, i) => v !== r[i])) {
        conflicts++;
      }
    }
    byTime.set(r[0], r);
  }
  const out = [...byTime.values()].sort((a, b) => a[0] - b[0]);
  return { rows: out, outOfOrder, duplicates, conflicts };
}

function dedupeNotices(
  d: { rows: unknown[]; outOfOrder: number; duplicates: number; conflicts: number },
  total: number
): string[] {
  const n: string[] = [];
  if (d.outOfOrder) {
    n.push(`${d.outOfOrder} row(s) out of time order (sorted)`);
  }
  if (d.duplicates) {
    n.push(
      d.duplicates * 2 === total && d.conflicts === 0
        ? 'every row duplicated (duplicates dropped)'
        : `${d.duplicates} duplicate row(s) dropped${d.conflicts ? ` (${d.conflicts} with another value: the later row kept)` : ''}`
    );
  }
  return n;
}

export interface MetricsFile {
  /** [snapshot time (end of its 5-minute slot), open interest in base coins, open interest value in USDT]. */
  rows: Array<[number, number, number]>;
  notices: string[];
}

/**
 * Reads one daily OI metrics file of day `day` (UTC midnight). Its 288 rows are stamped at the end of each 5-minute
 * slot: (day 00:05 .. day+1 00:00]. A file stamped one slot early ([day 00:00 .. 23:55], the 2025-12-31 defect) or
 * late is moved back onto that layout, with a notice.
 */
export function parseMetrics(text: string, day: number): MetricsFile {
  const lines = csvRows(text);
  if (lines.length && !isNumeric(lines[0][2] ?? '')) {
    const want = 'create_time,symbol,sum_open_interest,sum_open_interest_value';
    if (!lines[0].join(',').startsWith(want)) {
      throw new ArchiveFormatError(`unexpected header ${JSON.stringify(lines[0].join(','))}; expected ${want},...`);
    }
    lines.shift();
  }
  const raw: Array<[number, number, number]> = lines.map((f, i) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(f[0] ?? '');
    if (!m) {
      throw new ArchiveFormatError(
        `line ${i + 2}: create_time ${JSON.stringify(f[0] ?? '')} is not YYYY-MM-DD HH:MM:SS`
      );
    }
    const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    return [t, num(f[2], 'sum_open_interest', i + 2), num(f[3], 'sum_open_interest_value', i + 2)];
  });
  const d = sortDedupe(raw);
  const notices = dedupeNotices(d, raw.length);
  let rows = d.rows;
  const times = new Set(rows.map((r) => r[0]));
  const end = day + DAY_MS;
  let shift = 0;
  if (times.has(day) && !times.has(end)) {
    shift = SLOT_MS;
  } else if (times.has(end + SLOT_MS) && !times.has(day + SLOT_MS)) {
    shift = -SLOT_MS;
  }
  if (shift) {
    rows = rows.map((r) => [r[0] + shift, r[1], r[2]]);
    notices.push(
      `stamped one 5-minute slot ${shift > 0 ? 'early' : 'late'}: moved ${shift > 0 ? 'forward' : 'back'} one slot`
    );
  }
  const inDay = rows.filter((r) => r[0] > day && r[0] <= end);
  if (inDay.length < rows.length) {
    notices.push(`${rows.length - inDay.length} row(s) outside the file's day left out`);
  }
  if (inDay.length < METRICS_ROWS_PER_DAY) {
    notices.push(`${inDay.length} rows, ${METRICS_ROWS_PER_DAY} expected (a short day)`);
  }
  return { rows: inDay, notices };
}

export interface FundingFile {
  /** [settlement time rounded to the minute (as the exchange layer does), rate per interval, interval hours]. */
  rows: Array<[number, number, number]>;
  notices: string[];
}

/** Reads one monthly funding file: `calc_time,funding_interval_hours,last_funding_rate`, calc_time in epoch ms. */
export function parseFunding(text: string): FundingFile {
  const lines = csvRows(text);
  if (lines.length && !isNumeric(lines[0][0] ?? '')) {
    if (lines[0][0] !== 'calc_time') {
      throw new ArchiveFormatError(
        `unexpected header ${JSON.stringify(lines[0].join(','))}; expected calc_time,funding_interval_hours,last_funding_rate`
      );
    }
    lines.shift();
  }
  const raw: Array<[number, number, number]> = lines.map((f, i) => {
    const t = num(f[0], 'calc_time', i + 2);
    return [
      Math.round(t / MINUTE_MS) * MINUTE_MS,
      num(f[2], 'last_funding_rate', i + 2),
      num(f[1], 'funding_interval_hours', i + 2),
    ];
  });
  const d = sortDedupe(raw);
  return { rows: d.rows, notices: dedupeNotices(d, raw.length) };
}

export interface KlinesFile {
  /** [open time ms, close, quote volume as the exchange layer computes it: base volume × close]. */
  rows: Array<[number, number, number]>;
  notices: string[];
}

/** Epoch µs (16 digits) from 2025-01-01 in spot files; anything above this is read as µs. */
const MICROS_ABOVE = 1e14;

/**
 * Reads one kline file (12 columns). A header row (futures files from mid-2022) is skipped; open times in
 * microseconds (spot files from 2025-01-01) become milliseconds.
 */
export function parseKlines(text: string): KlinesFile {
  const lines = csvRows(text);
  if (lines.length && !isNumeric(lines[0][0] ?? '')) {
    if (lines[0][0] !== 'open_time') {
      throw new ArchiveFormatError(
        `unexpected header ${JSON.stringify(lines[0].join(','))}; expected open_time,open,...`
      );
    }
    lines.shift();
  }
  let micros = 0;
  const raw: Array<[number, number, number]> = lines.map((f, i) => {
    if (f.length < 6) {
      throw new ArchiveFormatError(`line ${i + 1}: ${f.length} columns, 12 expected`);
    }
    let t = num(f[0], 'open_time', i + 1);
    if (t > MICROS_ABOVE) {
      t = Math.floor(t / 1000);
      micros++;
    }
    const close = num(f[4], 'close', i + 1);
    const vol = num(f[5], 'volume', i + 1);
    if (!(close > 0) || vol < 0) {
      throw new ArchiveFormatError(`line ${i + 1}: close ${close} or volume ${vol} out of range`);
    }
    return [t, close, vol * close];
  });
  const d = sortDedupe(raw);
  const notices = dedupeNotices(d, raw.length);
  if (micros) {
    notices.push(`${micros} open time(s) in microseconds (read as milliseconds)`);
  }
  return { rows: d.rows, notices };
}

/**
 * Open interest on the bar grid of `stepMs`, as the REST history reads it: the value at each grid time T is the
 * snapshot stamped T, or, when that row is missing, the latest snapshot at most OI_FALLBACK_MS before T. Grid times
 * with neither are left out (a gap).
 */
export function resampleOi(rows: Array<[number, number, number]>, stepMs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (!rows.length) {
    return out;
  }
  let j = 0;
  for (let t = Math.ceil(rows[0][0] / stepMs) * stepMs; t <= rows[rows.length - 1][0]; t += stepMs) {
    while (j + 1 < rows.length && rows[j + 1][0] <= t) {
      j++;
    }
    const r = rows[j];
    if (r[0] <= t && t - r[0] <= OI_FALLBACK_MS) {
      out.push([t, r[1]]);
    }
  }
  return out;
}
