/**
 * The recorder's store interface: raw per-venue points exactly as the exchange layer normalises them (same units, the
 * bundle's `quote` / `unit` / `intervalHours` / `pair` fields), keyed by (asset, venue, kind, timeframe, ts), with the
 * source and write time of every point. Every backend (SQLite today, PostgreSQL later) implements `RecorderStore` and
 * must pass the one contract suite in `contract.ts`. Methods return Promises so that an asynchronous backend fits.
 * This module holds types and small helpers only (no I/O of its own).
 */
import type { SeriesKind } from '../../src/core/types';

/** Where a point came from. */
export const POINT_SOURCES = ['rest', 'archive', 'import'] as const;
export type PointSource = (typeof POINT_SOURCES)[number];

/**
 * Timeframe key of a stored series: the timeframe the exchange layer fetched (`1h`, `4h`, `1d`), or `*` for funding,
 * whose settlement points do not depend on the bar timeframe.
 */
export const STORE_TIMEFRAMES = ['1h', '4h', '1d', '*'] as const;
export type StoreTimeframe = (typeof STORE_TIMEFRAMES)[number];

export interface SeriesKey {
  asset: string;
  venue: string;
  kind: SeriesKind;
  timeframe: StoreTimeframe;
}

/** A series key as one string, `asset|venue|kind|timeframe` (map keys, lock owners, messages). */
export const seriesId = (k: SeriesKey) => `${k.asset}|${k.venue}|${k.kind}|${k.timeframe}`;

/** Per-series fields of the bundle format (whichever apply to the kind), plus the market symbol read. */
export interface SeriesMeta {
  /** spot / perp: quote currency (USD, USDT, USDC). */
  quote?: string;
  /** openInterest: `base` coins or `usd`. */
  unit?: 'usd' | 'base';
  /** funding: settlement interval in hours (the bundle recomputes it from the points, as the exchange layer does). */
  intervalHours?: number;
  /** fx: pair such as `USDT/USD`. */
  pair?: string;
  /** ccxt unified symbol or archive symbol, informational. */
  symbol?: string;
}

/** One point to write. `volume` is the quote volume (spot / perp / fx candles), when known. */
export interface PointInput {
  ts: number;
  value: number;
  volume?: number | null;
  /** The value was read while its bar was still open (current-only open interest snapshots). */
  open?: boolean;
}

/** One stored point. */
export interface StoredPoint {
  ts: number;
  value: number;
  volume: number | null;
  source: PointSource;
  /** UTC epoch ms of the write that last changed this row. */
  writtenAt: number;
  open: boolean;
  /** Where REST and archive both have this point: the archive's value (REST wins; kept for the overlap report). */
  archiveValue: number | null;
}

/** One series of a batch: its meta, its points, and optionally the range the write covers for `coverSource`. */
export interface SeriesWrite {
  key: SeriesKey;
  meta?: SeriesMeta;
  points: PointInput[];
  source: PointSource;
  /** [from, to) now known for this source (fetched; points or not). Merged with what was covered before. */
  cover?: [number, number];
}

/** Points of one series as columns, ascending by time; `volume` is null when no point has a volume. */
export interface SeriesColumns {
  ts: number[];
  value: number[];
  volume: Array<number | null> | null;
}

/** `store.readColumns`, or the same columns built from `readValues` when the backend has no column read. */
export async function readSeriesColumns(
  store: Pick<RecorderStore, 'readValues' | 'readColumns'>,
  key: SeriesKey,
  from: number,
  to: number
): Promise<SeriesColumns> {
  if (store.readColumns) {
    return store.readColumns(key, from, to);
  }
  const rows = await store.readValues(key, from, to);
  const volume = rows.map((r) => r[2]);
  return {
    ts: rows.map((r) => r[0]),
    value: rows.map((r) => r[1]),
    volume: volume.some((v) => v !== null) ? volume : null,
  };
}

/** One series and the range [from, to) of a multi-series read or count. */
export interface SeriesRange {
  key: SeriesKey;
  from: number;
  to: number;
}

/**
 * `store.readManyColumns` (one round trip on a server backend), or `readSeriesColumns` per range when the backend has
 * no multi-series read. Same order as `ranges`; a key never written reads as no points.
 */
export async function readManySeriesColumns(
  store: Pick<RecorderStore, 'readValues' | 'readColumns' | 'readManyColumns'>,
  ranges: SeriesRange[]
): Promise<SeriesColumns[]> {
  if (store.readManyColumns) {
    return store.readManyColumns(ranges);
  }
  const out: SeriesColumns[] = [];
  for (const r of ranges) {
    out.push(await readSeriesColumns(store, r.key, r.from, r.to));
  }
  return out;
}

/** `store.countMany`, or `countPoints` per range. Same order as `ranges`. */
export async function countManyPoints(
  store: Pick<RecorderStore, 'countPoints' | 'countMany'>,
  ranges: SeriesRange[]
): Promise<number[]> {
  if (store.countMany) {
    return store.countMany(ranges);
  }
  const out: number[] = [];
  for (const r of ranges) {
    out.push(await store.countPoints(r.key, r.from, r.to));
  }
  return out;
}

/** `store.seriesMetaMany`, or `seriesMeta` per key. Same order as `keys`; null for a key never written. */
export async function seriesMetas(
  store: Pick<RecorderStore, 'seriesMeta' | 'seriesMetaMany'>,
  keys: SeriesKey[]
): Promise<Array<SeriesMeta | null>> {
  if (store.seriesMetaMany) {
    return store.seriesMetaMany(keys);
  }
  const out: Array<SeriesMeta | null> = [];
  for (const k of keys) {
    out.push(await store.seriesMeta(k));
  }
  return out;
}

export interface SeriesSummary extends SeriesKey {
  meta: SeriesMeta;
  first: number | null;
  last: number | null;
  count: number;
  bySource: Record<PointSource, number>;
  /** Latest write time of any point, UTC epoch ms. */
  lastWrittenAt: number | null;
}

export interface SeriesStats extends SeriesSummary {
  /** Missing stretches [firstMissingTs, lastMissingTs + step) between first and last point (grid series only). */
  gaps: Array<[number, number]>;
  /** Missing grid points in all (grid series only; 0 for funding). */
  missingPoints: number;
  /** Points where REST and archive overlap, and the largest |rest − archive| / |rest| among them. */
  overlapPoints: number;
  maxOverlapRelDiff: number | null;
}

/** One archive file the recorder has read (or tried to). */
export interface ArchiveFileRecord {
  /** Path under the archive base URL, e.g. `/data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-01.zip`. */
  path: string;
  sha256: string | null;
  /** `ok` stored; `missing` 404; `rejected` checksum mismatch or unreadable. */
  status: 'ok' | 'missing' | 'rejected';
  rows: number;
  notice: string | null;
  fetchedAt: number;
}

export interface RecorderStore {
  /** Backend name, e.g. `sqlite`. */
  readonly backend: string;
  /** Schema version of the open database. */
  schemaVersion(): Promise<number>;
  /**
   * Writes every series of the batch in one transaction: all or nothing. Upserts: a point already stored with the
   * same value, volume and source is left untouched (re-running a backfill changes nothing). Precedence: `rest` and
   * `import` overwrite anything; `archive` never overwrites `rest` or `import` (it only records its value beside a
   * REST point, for the overlap report). Returns the number of rows inserted or changed.
   */
  write(batch: SeriesWrite[], writtenAt?: number): Promise<number>;
  /** Points of one series with from <= ts < to, ascending. */
  readPoints(key: SeriesKey, from: number, to: number): Promise<StoredPoint[]>;
  /** The lean read the bundle uses: [ts, value, volume or null] rows with from <= ts < to, ascending. */
  readValues(key: SeriesKey, from: number, to: number): Promise<Array<[number, number, number | null]>>;
  /**
   * The same read as `readValues`, as columns (no array per point): times, values, and volumes (null when no point of
   * the range has one). Optional: `readSeriesColumns` derives it from `readValues` for a backend without it.
   */
  readColumns?(key: SeriesKey, from: number, to: number): Promise<SeriesColumns>;
  /**
   * `readColumns` of several series at once, in the order of `ranges` (a key never written reads as no points).
   * Optional, for backends where a round trip costs more than the read (PostgreSQL); `readManySeriesColumns` falls
   * back to one `readColumns` per range.
   */
  readManyColumns?(ranges: SeriesRange[]): Promise<SeriesColumns[]>;
  /**
   * Prepares the reads of past history ahead of them (SQLite: caches every past block of every series not cached yet,
   * which a read would otherwise do on first use). Returns how many blocks it wrote. Optional: backends without such
   * a cache leave it out. Never waits for another writer: what it cannot do now is done by a later call or read.
   */
  cachePastBlocks?(): Promise<number>;
  /** Number of points of one series with from <= ts < to. */
  countPoints(key: SeriesKey, from: number, to: number): Promise<number>;
  /** `countPoints` of several series at once, in the order of `ranges`. Optional (`countManyPoints` falls back). */
  countMany?(ranges: SeriesRange[]): Promise<number[]>;
  /** Meta of one series, or null when it was never written. */
  seriesMeta(key: SeriesKey): Promise<SeriesMeta | null>;
  /** `seriesMeta` of several keys at once, in their order. Optional (`seriesMetas` falls back). */
  seriesMetaMany?(keys: SeriesKey[]): Promise<Array<SeriesMeta | null>>;
  /**
   * The keys of every series written with meta (optionally of one asset), without counting points: cheap, for
   * request validation. Every writer of the recorder passes meta.
   */
  listKeys(filter?: { asset?: string }): Promise<SeriesKey[]>;
  /** Every stored series (optionally of one asset), with first, last, count and source split. */
  listSeries(filter?: { asset?: string }): Promise<SeriesSummary[]>;
  /** Summary plus gaps (for a grid step in ms; funding passes 0) and the REST/archive overlap. */
  seriesStats(key: SeriesKey, stepMs: number): Promise<SeriesStats>;
  /** Covered ranges of one series for one source, sorted and disjoint. */
  coverage(key: SeriesKey, source: PointSource): Promise<Array<[number, number]>>;
  /** Records the outcome of one archive file (replaces an earlier record of the same path). */
  recordArchiveFile(rec: ArchiveFileRecord): Promise<void>;
  archiveFile(path: string): Promise<ArchiveFileRecord | null>;
  listArchiveFiles(): Promise<ArchiveFileRecord[]>;
  close(): Promise<void>;
}

/** A store problem meant for a human: bad schema version, unreadable file, bad input. One line. */
export class RecorderStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecorderStoreError';
    Object.setPrototypeOf(this, RecorderStoreError.prototype);
  }
}

export const SOURCE_CODE: Record<PointSource, number> = { rest: 1, archive: 2, import: 3 };
export const SOURCE_BY_CODE: Record<number, PointSource> = { 1: 'rest', 2: 'archive', 3: 'import' };

/** Adds [a, b) to a sorted list of disjoint intervals, merging overlaps and touching ends (the exchange cache's). */
export { addInterval as mergeInterval } from '../../src/exchanges/cache';

/** Checks one key; throws a RecorderStoreError naming the field and the allowed values. */
export function checkKey(key: SeriesKey): void {
  if (!/^[A-Z0-9]{1,15}$/.test(key.asset)) {
    throw new RecorderStoreError(
      `asset: expected an upper-case coin code such as BTC, got ${JSON.stringify(key.asset)}`
    );
  }
  if (!/^[a-z0-9-]{1,40}$/.test(key.venue)) {
    throw new RecorderStoreError(`venue: expected a venue id such as binanceusdm, got ${JSON.stringify(key.venue)}`);
  }
  if (!['spot', 'perp', 'openInterest', 'funding', 'fx'].includes(key.kind)) {
    throw new RecorderStoreError(
      `kind: unknown kind ${JSON.stringify(key.kind)}; allowed: spot, perp, openInterest, funding, fx`
    );
  }
  if (!(STORE_TIMEFRAMES as readonly string[]).includes(key.timeframe)) {
    throw new RecorderStoreError(
      `timeframe: unknown store timeframe ${JSON.stringify(key.timeframe)}; allowed: ${STORE_TIMEFRAMES.join(', ')}`
    );
  }
  if ((key.kind === 'funding') !== (key.timeframe === '*')) {
    throw new RecorderStoreError(
      `timeframe: funding series use the timeframe "*" and only they do (got ${key.kind} ${key.timeframe})`
    );
  }
}
