/**
 * The embedded SQLite backend of the recorder store (better-sqlite3, synchronous under a Promise interface): one file,
 * WAL journal, `WITHOUT ROWID` tables keyed by (asset, venue, kind, timeframe, ts), upserts, and versioned schema
 * migrations kept in `PRAGMA user_version`. A database written by an older version is migrated on open; a newer one
 * is refused with a clear error. Everything SQL-specific stays in this file; see types.ts for the contract.
 */
import os from 'node:os';

import Database from 'better-sqlite3';
import {
  ArchiveFileRecord,
  checkKey,
  mergeInterval,
  PointInput,
  PointSource,
  RecorderStore,
  RecorderStoreError,
  SeriesColumns,
  SeriesKey,
  SeriesMeta,
  SeriesStats,
  SeriesSummary,
  SeriesWrite,
  seriesId,
  SOURCE_BY_CODE,
  SOURCE_CODE,
  StoredPoint,
} from './types';
import { fileOf, keyOf, metaOf, summaryOf, type Row } from './rows';

/**
 * Span of one block of `point_blocks`, ms (2^31 ms, about 24.9 days: 596 hourly bars, 25 daily ones). A block's times
 * are stored as 32-bit offsets from its start, its values (and volumes) as 64-bit floats.
 */
export const BLOCK_MS = 2 ** 31;

/** `floor(t / BLOCK_MS)` in SQL (SQLite's integer division truncates towards zero). */
const blockOf = (t: string) => `(CASE WHEN ${t} >= 0 THEN ${t} / ${BLOCK_MS} ELSE (${t} + 1) / ${BLOCK_MS} - 1 END)`;

/**
 * A trigger that drops the cached blocks of the rows it sees (`new`, `old` or both), whoever changes them. There is
 * none on INSERT: it would cost every new point about 1 µs (a third of the insert rate); a point added to a cached
 * block is found by the count check of each read instead (see readColumns).
 */
function blockTrigger(name: string, event: string, rows: Array<'new' | 'old'>): string {
  const drops = rows.map(
    (r) => `DELETE FROM point_blocks WHERE asset = ${r}.asset AND venue = ${r}.venue AND kind = ${r}.kind
        AND timeframe = ${r}.timeframe AND block = ${blockOf(`${r}.ts`)};`
  );
  return `CREATE TRIGGER ${name} AFTER ${event} ON points BEGIN ${drops.join(' ')} END;`;
}

/** One migration per schema version, applied in order inside one transaction each. */
export const SQLITE_MIGRATIONS: Array<{ version: number; what: string; sql: string }> = [
  {
    version: 1,
    what: 'series meta and points',
    sql: `
      CREATE TABLE series (
        asset TEXT NOT NULL, venue TEXT NOT NULL, kind TEXT NOT NULL, timeframe TEXT NOT NULL,
        quote TEXT, unit TEXT, interval_hours REAL, pair TEXT, symbol TEXT, updated_at INTEGER NOT NULL,
        PRIMARY KEY (asset, venue, kind, timeframe)
      ) WITHOUT ROWID;
      CREATE TABLE points (
        asset TEXT NOT NULL, venue TEXT NOT NULL, kind TEXT NOT NULL, timeframe TEXT NOT NULL, ts INTEGER NOT NULL,
        value REAL NOT NULL, volume REAL, source INTEGER NOT NULL, written_at INTEGER NOT NULL,
        open INTEGER NOT NULL DEFAULT 0, archive_value REAL,
        PRIMARY KEY (asset, venue, kind, timeframe, ts)
      ) WITHOUT ROWID;`,
  },
  {
    version: 2,
    what: 'covered ranges per source (resumable backfill) and the archive file log',
    sql: `
      CREATE TABLE coverage (
        asset TEXT NOT NULL, venue TEXT NOT NULL, kind TEXT NOT NULL, timeframe TEXT NOT NULL, source INTEGER NOT NULL,
        from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL,
        PRIMARY KEY (asset, venue, kind, timeframe, source, from_ts)
      ) WITHOUT ROWID;
      CREATE TABLE archive_files (
        path TEXT NOT NULL PRIMARY KEY, sha256 TEXT, status TEXT NOT NULL, rows INTEGER NOT NULL, notice TEXT,
        fetched_at INTEGER NOT NULL
      ) WITHOUT ROWID;`,
  },
  {
    version: 3,
    what: 'a per-series summary (first, last, count, per-source counts, last write) kept by every write',
    sql: `
      CREATE TABLE series_summary (
        asset TEXT NOT NULL, venue TEXT NOT NULL, kind TEXT NOT NULL, timeframe TEXT NOT NULL,
        first_ts INTEGER, last_ts INTEGER, n INTEGER NOT NULL, n_rest INTEGER NOT NULL, n_archive INTEGER NOT NULL,
        n_import INTEGER NOT NULL, last_written INTEGER, dirty INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (asset, venue, kind, timeframe)
      ) WITHOUT ROWID;
      INSERT INTO series_summary (asset, venue, kind, timeframe, first_ts, last_ts, n, n_rest, n_archive, n_import,
                                  last_written, dirty)
        SELECT asset, venue, kind, timeframe, min(ts), max(ts), count(*), sum(source = 1), sum(source = 2),
               sum(source = 3), max(written_at), 0
        FROM points GROUP BY asset, venue, kind, timeframe;
      CREATE TRIGGER points_deleted AFTER DELETE ON points BEGIN
        UPDATE series_summary SET dirty = 1
        WHERE asset = old.asset AND venue = old.venue AND kind = old.kind AND timeframe = old.timeframe AND dirty = 0;
      END;`,
  },
  {
    version: 4,
    what:
      'past blocks of each series as columns (point_blocks), dropped by triggers when their points change or go; ' +
      'the series summary marked dirty by an update of the time, source or series of a point',
    sql: `
      CREATE TABLE point_blocks (
        asset TEXT NOT NULL, venue TEXT NOT NULL, kind TEXT NOT NULL, timeframe TEXT NOT NULL, block INTEGER NOT NULL,
        n INTEGER NOT NULL, ts BLOB NOT NULL, value BLOB NOT NULL, volume BLOB,
        PRIMARY KEY (asset, venue, kind, timeframe, block)
      );
      ${blockTrigger('points_blocks_updated', 'UPDATE OF asset, venue, kind, timeframe, ts, value, volume', ['old', 'new'])}
      CREATE TRIGGER points_summary_updated AFTER UPDATE OF asset, venue, kind, timeframe, ts, source ON points
      WHEN old.source IS NOT new.source OR old.ts IS NOT new.ts OR old.asset IS NOT new.asset
        OR old.venue IS NOT new.venue OR old.kind IS NOT new.kind OR old.timeframe IS NOT new.timeframe
      BEGIN
        UPDATE series_summary SET dirty = 1
        WHERE asset = old.asset AND venue = old.venue AND kind = old.kind AND timeframe = old.timeframe AND dirty = 0;
        INSERT INTO series_summary (asset, venue, kind, timeframe, n, n_rest, n_archive, n_import, dirty)
        VALUES (new.asset, new.venue, new.kind, new.timeframe, 0, 0, 0, 0, 1)
        ON CONFLICT (asset, venue, kind, timeframe) DO UPDATE SET dirty = 1;
      END;
      ${blockTrigger('points_blocks_deleted', 'DELETE', ['old'])}`,
  },
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;

export interface SqliteStoreOptions {
  /** Open read-only (status, export). The file must exist. */
  readonly?: boolean;
  /** Migrate only up to this version (tests of the upgrade path). Default: the latest. */
  targetVersion?: number;
}

const KEY_WHERE = 'asset = ? AND venue = ? AND kind = ? AND timeframe = ?';
const PRIMARY_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)';
const ARCHIVE_ROW = '(?, ?, ?, ?, ?, ?, ?, 2, ?, 0, NULL)';
/** Rows per multi-row upsert statement (one statement per row costs about twice the CPU). */
const ROWS_PER_STATEMENT = 32;
const keyArgs = (k: SeriesKey) => [k.asset, k.venue, k.kind, k.timeframe] as const;
/** A row of `point_blocks`: block, n, time offsets (Int32), values (Float64), volumes (Float64, NaN = none) or null. */
type BlockRow = [number, number, Buffer, Buffer, Buffer | null];
type ValueRow = [number, number, number | null];

/**
 * A block's rows as its three arrays (times as offsets from the block's start; a missing volume is NaN), or null when
 * a time is not a whole millisecond (never written by this store; such a block stays uncached).
 */
function encodeBlock(block: number, rows: ValueRow[]): [Buffer, Buffer, Buffer | null] | null {
  const start = block * BLOCK_MS;
  const off = new Int32Array(rows.length);
  const val = new Float64Array(rows.length);
  let vol: Float64Array | null = null;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isInteger(r[0])) {
      return null;
    }
    off[i] = r[0] - start;
    val[i] = r[1];
    if (r[2] !== null) {
      vol ??= new Float64Array(rows.length).fill(NaN);
      vol[i] = r[2];
    }
  }
  const buf = (a: Int32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return [buf(off), buf(val), vol ? buf(vol) : null];
}

/** The arrays of a cached block have the lengths its count says (else it is ignored, and built again). */
const wellFormed = ([, n, ts, value, volume]: BlockRow): boolean =>
  Buffer.isBuffer(ts) &&
  Buffer.isBuffer(value) &&
  ts.byteLength === 4 * n &&
  value.byteLength === 8 * n &&
  (volume === null || (Buffer.isBuffer(volume) && volume.byteLength === 8 * n));

/** A typed-array view of a blob (copied when the blob is not aligned for it). */
function view<T extends Int32Array | Float64Array>(
  Kind: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number },
  b: Buffer,
  n: number
): T {
  if (b.byteOffset % Kind.BYTES_PER_ELEMENT === 0) {
    return new Kind(b.buffer, b.byteOffset, n);
  }
  return new Kind(new Uint8Array(b).buffer, 0, n);
}

/** Builds a read's columns from blocks and row reads, in time order, keeping [from, to). */
class ColumnsBuilder {
  private readonly ts: number[] = [];
  private readonly value: number[] = [];
  private readonly volume: Array<number | null> = [];
  private anyVolume = false;

  constructor(
    private readonly from: number,
    private readonly to: number
  ) {}

  addBlock([block, n, tsBlob, valueBlob, volumeBlob]: BlockRow): void {
    const start = block * BLOCK_MS;
    const off = view(Int32Array, tsBlob, n);
    const val = view(Float64Array, valueBlob, n);
    const vol = volumeBlob ? view(Float64Array, volumeBlob, n) : null;
    const { ts, value, volume, from, to } = this;
    let anyVolume = false;
    for (let i = 0; i < n; i++) {
      const t = start + off[i];
      if (t >= from && t < to) {
        ts.push(t);
        value.push(val[i]);
        const v = vol === null || Number.isNaN(vol[i]) ? null : vol[i];
        volume.push(v);
        anyVolume ||= v !== null;
      }
    }
    // volumes only when a point of the range has one (a block's other points may have)
    this.anyVolume ||= anyVolume;
  }

  addColumns(c: SeriesColumns): void {
    for (let i = 0; i < c.ts.length; i++) {
      this.ts.push(c.ts[i]);
      this.value.push(c.value[i]);
      this.volume.push(c.volume ? c.volume[i] : null);
    }
    this.anyVolume ||= c.volume !== null;
  }

  done(): SeriesColumns {
    return { ts: this.ts, value: this.value, volume: this.anyVolume ? this.volume : null };
  }
}

/** count, rest, archive, import, min(ts), max(ts) of a span of one series (the sums are null over no rows). */
type RangeRow = [number, number | null, number | null, number | null, number | null, number | null];

export class SqliteStore implements RecorderStore {
  readonly backend = 'sqlite';
  private readonly db: Database.Database;
  private readonly stmts: Record<string, Database.Statement>;
  private closed = false;
  private readonly readonly: boolean;
  /** The database has `series_summary` (schema 3+; tests keep older versions to test the upgrade). */
  private hasSummary = false;
  /** The database has `point_blocks` (schema 4+): writes drop the blocks they change. */
  private blocksTable = false;
  /** ... and this machine is little-endian like the blocks: reads use them. */
  private hasBlocks = false;

  constructor(
    readonly file: string,
    opts: SqliteStoreOptions = {}
  ) {
    this.readonly = Boolean(opts.readonly);
    try {
      this.db = new Database(file, { readonly: Boolean(opts.readonly), fileMustExist: Boolean(opts.readonly) });
    } catch (e) {
      throw new RecorderStoreError(`cannot open database ${file}: ${(e as Error).message}`);
    }
    try {
      this.migrate(opts);
    } catch (e) {
      this.db.close();
      throw e;
    }
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('cache_size = -32768'); // 32 MB of page cache
    }
    this.db.pragma('busy_timeout = 5000');
    const version = Number(this.db.pragma('user_version', { simple: true }));
    this.hasSummary = version >= 3;
    // blocks are in the machine's byte order (little-endian everywhere Node runs in practice); a big-endian machine
    // leaves them alone and reads every point from `points`
    this.blocksTable = version >= 4;
    this.hasBlocks = this.blocksTable && os.endianness() === 'LE';
    this.stmts = this.prepare();
  }

  private migrate(opts: SqliteStoreOptions): void {
    let version: number;
    try {
      version = Number(this.db.pragma('user_version', { simple: true }));
    } catch (e) {
      throw new RecorderStoreError(`${this.file} is not a recorder database: ${(e as Error).message}`);
    }
    const target = opts.targetVersion ?? SQLITE_SCHEMA_VERSION;
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new RecorderStoreError(
        `${this.file}: database schema version ${version} is newer than this recorder supports (${SQLITE_SCHEMA_VERSION}); ` +
          'upgrade BTC Flow to open it (the file was not changed)'
      );
    }
    if (version === 0) {
      const tables = this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as Row;
      if (Number(tables.n) > 0) {
        throw new RecorderStoreError(`${this.file} is an SQLite file but not a recorder database (no schema version)`);
      }
    }
    if (version >= target) {
      return;
    }
    if (opts.readonly) {
      throw new RecorderStoreError(
        `${this.file}: database schema version ${version} needs an upgrade to ${target}; open it once read-write (e.g. recorder run or backfill)`
      );
    }
    for (const m of SQLITE_MIGRATIONS) {
      if (m.version > version && m.version <= target) {
        this.db.transaction(() => {
          this.db.exec(m.sql);
          this.db.pragma(`user_version = ${m.version}`);
        })();
      }
    }
  }

  /** Statements are prepared on first use (a database kept at an older version in tests lacks later tables). */
  private prepare(): Record<string, Database.Statement> {
    const sqls = this.statementSql();
    const rows = (row: string) => Array(ROWS_PER_STATEMENT).fill(row).join(', ');
    sqls.upsertPrimaryMulti = sqls.upsertPrimary.replace(`VALUES ${PRIMARY_ROW}`, `VALUES ${rows(PRIMARY_ROW)}`);
    sqls.upsertArchiveMulti = sqls.upsertArchive.replace(`VALUES ${ARCHIVE_ROW}`, `VALUES ${rows(ARCHIVE_ROW)}`);
    const cache: Record<string, Database.Statement> = {};
    return new Proxy(cache, {
      get: (target, name: string) => (target[name] ??= this.db.prepare(sqls[name])),
    });
  }

  private statementSql(): Record<string, string> {
    const cols = 'asset, venue, kind, timeframe, ts, value, volume, source, written_at, open, archive_value';
    const changed =
      'points.value IS NOT excluded.value OR points.volume IS NOT excluded.volume OR ' +
      'points.source IS NOT excluded.source OR points.open IS NOT excluded.open';
    const s: Record<string, string> = {
      upsertPrimary: `INSERT INTO points (${cols}) VALUES ${PRIMARY_ROW}
         ON CONFLICT (asset, venue, kind, timeframe, ts) DO UPDATE SET
           value = excluded.value, volume = excluded.volume, source = excluded.source,
           written_at = excluded.written_at, open = excluded.open,
           archive_value = CASE WHEN points.source = 2 THEN points.value ELSE points.archive_value END
         WHERE ${changed}`,
      upsertArchive: `INSERT INTO points (${cols}) VALUES ${ARCHIVE_ROW}
         ON CONFLICT (asset, venue, kind, timeframe, ts) DO UPDATE SET
           value = CASE WHEN points.source = 2 THEN excluded.value ELSE points.value END,
           volume = CASE WHEN points.source = 2 THEN excluded.volume ELSE points.volume END,
           archive_value = CASE WHEN points.source = 2 THEN NULL ELSE excluded.value END,
           written_at = excluded.written_at
         WHERE (points.source = 2 AND (points.value IS NOT excluded.value OR points.volume IS NOT excluded.volume
                                       OR points.open <> 0))
            OR (points.source <> 2 AND points.archive_value IS NOT excluded.value)`,
      upsertMeta: `INSERT INTO series (asset, venue, kind, timeframe, quote, unit, interval_hours, pair, symbol, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (asset, venue, kind, timeframe) DO UPDATE SET
           quote = coalesce(excluded.quote, series.quote), unit = coalesce(excluded.unit, series.unit),
           interval_hours = coalesce(excluded.interval_hours, series.interval_hours),
           pair = coalesce(excluded.pair, series.pair), symbol = coalesce(excluded.symbol, series.symbol),
           updated_at = excluded.updated_at
         WHERE series.quote IS NOT coalesce(excluded.quote, series.quote)
            OR series.unit IS NOT coalesce(excluded.unit, series.unit)
            OR series.interval_hours IS NOT coalesce(excluded.interval_hours, series.interval_hours)
            OR series.pair IS NOT coalesce(excluded.pair, series.pair)
            OR series.symbol IS NOT coalesce(excluded.symbol, series.symbol)`,
      meta: `SELECT quote, unit, interval_hours, pair, symbol FROM series WHERE ${KEY_WHERE}`,
      read: `SELECT ts, value, volume, source, written_at, open, archive_value FROM points
         WHERE ${KEY_WHERE} AND ts >= ? AND ts < ? ORDER BY ts`,
      values: `SELECT ts, value, volume FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ? ORDER BY ts`,
      tsCol: `SELECT ts FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ? ORDER BY ts`,
      valueCol: `SELECT value FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ? ORDER BY ts`,
      volumeCol: `SELECT volume FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ? ORDER BY ts`,
      anyVolume: `SELECT 1 FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ? AND volume IS NOT NULL LIMIT 1`,
      count: `SELECT count(*) FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ?`,
      coverage: `SELECT from_ts, to_ts FROM coverage WHERE ${KEY_WHERE} AND source = ? ORDER BY from_ts`,
      coverageDelete: `DELETE FROM coverage WHERE ${KEY_WHERE} AND source = ?`,
      coverageInsert:
        'INSERT INTO coverage (asset, venue, kind, timeframe, source, from_ts, to_ts) VALUES (?, ?, ?, ?, ?, ?, ?)',
      keys: 'SELECT asset, venue, kind, timeframe FROM series WHERE (? IS NULL OR asset = ?) ORDER BY asset, venue, kind, timeframe',
      allMeta:
        'SELECT asset, venue, kind, timeframe, quote, unit, interval_hours, pair, symbol FROM series WHERE (? IS NULL OR asset = ?)',
      rangeSummary: `SELECT count(*), sum(source = 1), sum(source = 2), sum(source = 3), min(ts), max(ts)
         FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts <= ?`,
      summaryAdd: `INSERT INTO series_summary (asset, venue, kind, timeframe, first_ts, last_ts, n, n_rest, n_archive,
                                               n_import, last_written, dirty)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
         ON CONFLICT (asset, venue, kind, timeframe) DO UPDATE SET
           first_ts = min(coalesce(series_summary.first_ts, excluded.first_ts), excluded.first_ts),
           last_ts = max(coalesce(series_summary.last_ts, excluded.last_ts), excluded.last_ts),
           n = series_summary.n + excluded.n, n_rest = series_summary.n_rest + excluded.n_rest,
           n_archive = series_summary.n_archive + excluded.n_archive,
           n_import = series_summary.n_import + excluded.n_import,
           last_written = max(coalesce(series_summary.last_written, excluded.last_written), excluded.last_written),
           dirty = ? OR excluded.last_written < series_summary.last_written`,
      summaryDirtyOf: `SELECT dirty FROM series_summary WHERE ${KEY_WHERE}`,
      summaryDirty: `SELECT asset, venue, kind, timeframe FROM series_summary WHERE dirty = 1 AND (? IS NULL OR asset = ?)`,
      summarySet: `UPDATE series_summary SET first_ts = ?, last_ts = ?, n = ?, n_rest = ?, n_archive = ?, n_import = ?,
           last_written = ?, dirty = 0 WHERE ${KEY_WHERE}`,
      summaryDrop: `DELETE FROM series_summary WHERE ${KEY_WHERE}`,
      summaryList: `SELECT asset, venue, kind, timeframe, first_ts AS first, last_ts AS last, n, n_rest AS rest,
                n_archive AS archive, n_import AS import, last_written AS written
         FROM series_summary WHERE (? IS NULL OR asset = ?) ORDER BY asset, venue, kind, timeframe`,
      keySummary: `SELECT min(ts) AS first, max(ts) AS last, count(*) AS n,
                sum(source = 1) AS rest, sum(source = 2) AS archive, sum(source = 3) AS import,
                max(written_at) AS written
         FROM points WHERE ${KEY_WHERE}`,
      gaps: `SELECT prev, ts FROM (SELECT ts, lag(ts) OVER (ORDER BY ts) AS prev FROM points WHERE ${KEY_WHERE})
         WHERE prev IS NOT NULL AND ts - prev > ? ORDER BY ts`,
      overlap: `SELECT count(*) AS n, max(abs(value - archive_value) / abs(value)) AS d FROM points
         WHERE ${KEY_WHERE} AND archive_value IS NOT NULL`,
      blocks: `SELECT block, n, ts, value, volume FROM point_blocks WHERE ${KEY_WHERE} AND block >= ? AND block <= ?
         ORDER BY block`,
      // (plain division, cheaper than blockOf: for a time before 1970 it gives the wrong block, whose count then
      // differs, so that block is built again: slower, never wrong)
      blockCounts: `SELECT ts / ${BLOCK_MS} AS block, count(*) FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ?
         GROUP BY block`,
      blockDrop: `DELETE FROM point_blocks WHERE ${KEY_WHERE} AND block >= ? AND block <= ?`,
      blockSizes: `SELECT block, n FROM point_blocks WHERE ${KEY_WHERE}`,
      blockInsert: `INSERT INTO point_blocks (asset, venue, kind, timeframe, block, n, ts, value, volume)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      fileUpsert: `INSERT INTO archive_files (path, sha256, status, rows, notice, fetched_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, status = excluded.status, rows = excluded.rows,
           notice = excluded.notice, fetched_at = excluded.fetched_at`,
      file: 'SELECT path, sha256, status, rows, notice, fetched_at FROM archive_files WHERE path = ?',
      files: 'SELECT path, sha256, status, rows, notice, fetched_at FROM archive_files ORDER BY path',
    };
    return s;
  }

  private check(): void {
    if (this.closed) {
      throw new RecorderStoreError(`${this.file}: the store is closed`);
    }
  }

  async schemaVersion(): Promise<number> {
    this.check();
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  async write(batch: SeriesWrite[], writtenAt = Date.now()): Promise<number> {
    this.check();
    for (const w of batch) {
      checkKey(w.key);
      if (!SOURCE_CODE[w.source]) {
        throw new RecorderStoreError(
          `source: unknown source ${JSON.stringify(w.source)}; allowed: rest, archive, import`
        );
      }
      for (const p of w.points) {
        if (!Number.isFinite(p.ts) || !Number.isFinite(p.value) || (p.volume != null && !Number.isFinite(p.volume))) {
          throw new RecorderStoreError(
            `points: ${w.key.venue} ${w.key.kind}: non-finite point (ts ${String(p.ts)}, value ${String(p.value)})`
          );
        }
      }
    }
    const s = this.stmts;
    const run = this.db.transaction((): number => {
      let changes = 0;
      for (const w of batch) {
        const k = w.key;
        if (w.meta) {
          const m = w.meta;
          s.upsertMeta.run(
            k.asset,
            k.venue,
            k.kind,
            k.timeframe,
            m.quote ?? null,
            m.unit ?? null,
            m.intervalHours ?? null,
            m.pair ?? null,
            m.symbol ?? null,
            writtenAt
          );
        }
        const archive = w.source === 'archive';
        const code = SOURCE_CODE[w.source];
        const single = archive ? s.upsertArchive : s.upsertPrimary;
        const multi = archive ? s.upsertArchiveMulti : s.upsertPrimaryMulti;
        const args = (p: PointInput): unknown[] =>
          archive
            ? [k.asset, k.venue, k.kind, k.timeframe, p.ts, p.value, p.volume ?? null, writtenAt]
            : [k.asset, k.venue, k.kind, k.timeframe, p.ts, p.value, p.volume ?? null, code, writtenAt, p.open ? 1 : 0];
        const pts = w.points;
        // the series summary moves by what changed in [lo, hi], the batch's time span (points are never deleted
        // by a write): its counts before and after the upserts
        let lo = Infinity;
        let hi = -Infinity;
        let increasing = true;
        for (let j = 0; j < pts.length; j++) {
          const t = pts[j].ts;
          lo = t < lo ? t : lo;
          hi = t > hi ? t : hi;
          increasing &&= j === 0 || t > pts[j - 1].ts;
        }
        const before = pts.length ? (s.rangeSummary.raw(true).get(...keyArgs(k), lo, hi) as RangeRow) : null;
        // dirty before the upserts: this write's own overwrites of a source fire the summary's update trigger, yet
        // the counts below account for them (in this IMMEDIATE transaction nobody else writes)
        const wasDirty = before && this.hasSummary ? Number(s.summaryDirtyOf.pluck(true).get(...keyArgs(k)) ?? 0) : 0;
        let seriesChanges = 0;
        let i = 0;
        for (; i + ROWS_PER_STATEMENT <= pts.length; i += ROWS_PER_STATEMENT) {
          const all: unknown[] = [];
          for (let j = i; j < i + ROWS_PER_STATEMENT; j++) {
            all.push(...args(pts[j]));
          }
          seriesChanges += multi.run(...all).changes;
        }
        for (; i < pts.length; i++) {
          seriesChanges += single.run(...args(pts[i])).changes;
        }
        if (before && seriesChanges > 0 && this.hasSummary) {
          // a span that held nothing, written with distinct times: every point is a new row of this source
          const after: RangeRow =
            before[0] === 0 && increasing
              ? [
                  pts.length,
                  code === 1 ? pts.length : 0,
                  code === 2 ? pts.length : 0,
                  code === 3 ? pts.length : 0,
                  lo,
                  hi,
                ]
              : (s.rangeSummary.raw(true).get(...keyArgs(k), lo, hi) as RangeRow);
          s.summaryAdd.run(
            ...keyArgs(k),
            after[4],
            after[5],
            after[0] - before[0],
            (after[1] ?? 0) - (before[1] ?? 0),
            (after[2] ?? 0) - (before[2] ?? 0),
            (after[3] ?? 0) - (before[3] ?? 0),
            writtenAt,
            wasDirty
          );
        }
        if (seriesChanges > 0 && this.blocksTable) {
          // the cached blocks the batch wrote into (updates drop them by trigger too; new points need this)
          s.blockDrop.run(...keyArgs(k), Math.floor(lo / BLOCK_MS), Math.floor(hi / BLOCK_MS));
        }
        changes += seriesChanges;
        if (w.cover && w.cover[1] > w.cover[0]) {
          const code = SOURCE_CODE[w.source];
          const have = (s.coverage.all(...keyArgs(k), code) as Row[]).map(
            (r) => [Number(r.from_ts), Number(r.to_ts)] as [number, number]
          );
          const merged = mergeInterval(have, w.cover);
          if (JSON.stringify(merged) !== JSON.stringify(have)) {
            s.coverageDelete.run(...keyArgs(k), code);
            for (const [a, b] of merged) {
              s.coverageInsert.run(...keyArgs(k), code, a, b);
            }
          }
        }
      }
      return changes;
    });
    // IMMEDIATE: the write lock from the start, since the summary's first count is a read (a deferred transaction
    // whose snapshot another writer outdated could not upgrade to a write)
    return run.immediate();
  }

  async readPoints(key: SeriesKey, from: number, to: number): Promise<StoredPoint[]> {
    this.check();
    const rows = this.stmts.read.raw(true).all(...keyArgs(key), from, to) as unknown[][];
    return rows.map((r) => ({
      ts: r[0] as number,
      value: r[1] as number,
      volume: (r[2] as number | null) ?? null,
      source: SOURCE_BY_CODE[r[3] as number],
      writtenAt: r[4] as number,
      open: r[5] === 1,
      archiveValue: (r[6] as number | null) ?? null,
    }));
  }

  async readValues(key: SeriesKey, from: number, to: number): Promise<Array<[number, number, number | null]>> {
    this.check();
    return this.stmts.values.raw(true).all(...keyArgs(key), from, to) as Array<[number, number, number | null]>;
  }

  /**
   * Columns of [from, to). Past blocks (those before the one holding the current time) come from `point_blocks`,
   * whose rows hold a block's points as three arrays: one row per ~25 days instead of one per point, which is what a
   * year-long multi-series read costs. A past block not cached yet is read from `points` and cached after the read
   * (when this connection may write and no other writer holds the lock); the current block is always read from
   * `points`. Triggers on `points` drop a cached block whenever one of its points is inserted, updated or deleted, by
   * this store or by hand, so a block never disagrees with its rows. One read transaction: one snapshot.
   */
  async readColumns(key: SeriesKey, from: number, to: number): Promise<SeriesColumns> {
    this.check();
    const s = this.stmts;
    const current = Math.floor(Date.now() / BLOCK_MS);
    const b0 = Math.floor(from / BLOCK_MS);
    const b1 = Math.min(Math.floor((to - 1) / BLOCK_MS), current - 1);
    if (!this.hasBlocks || to <= from || b1 < b0) {
      return this.db.transaction(() => this.rowColumns(key, from, to))();
    }
    const toCache: number[] = [];
    const out = this.db.transaction((): SeriesColumns => {
      const cols = new ColumnsBuilder(from, to);
      // a cached block counts only if its points were not added to since (inserts fire no trigger): one count per
      // block (a range count on the key; a GROUP BY over the range would sort every row)
      const cached = (s.blocks.raw(true).all(...keyArgs(key), b0, b1) as BlockRow[]).filter(
        (row) =>
          wellFormed(row) &&
          s.count.pluck(true).get(...keyArgs(key), row[0] * BLOCK_MS, (row[0] + 1) * BLOCK_MS) === row[1]
      );
      let next = b0; // the first block not read yet
      // blocks [next, upTo) are not cached: their points in range from `points`, and those with points cached later
      const fromRows = (upTo: number) => {
        if (upTo > next) {
          const part = this.rowColumns(key, Math.max(from, next * BLOCK_MS), Math.min(to, upTo * BLOCK_MS));
          cols.addColumns(part);
          let last = NaN;
          for (const t of part.ts) {
            const b = Math.floor(t / BLOCK_MS);
            if (b !== last) {
              toCache.push(b);
              last = b;
            }
          }
        }
        next = upTo;
      };
      for (const row of cached) {
        fromRows(row[0]);
        cols.addBlock(row);
        next = row[0] + 1;
      }
      fromRows(b1 + 1);
      // the current block (and anything after it) from `points`
      if (to > next * BLOCK_MS) {
        cols.addColumns(this.rowColumns(key, Math.max(from, next * BLOCK_MS), to));
      }
      return cols.done();
    })();
    if (toCache.length && !this.readonly) {
      this.cacheBlocks(key, toCache);
    }
    return out;
  }

  /**
   * Columns of [from, to) from `points`, one column per statement (`pluck`): better-sqlite3 builds no array per row,
   * which costs more than the extra range scans; volumes are not read when the range has none (open interest,
   * funding). The caller holds the read transaction.
   */
  private rowColumns(key: SeriesKey, from: number, to: number): SeriesColumns {
    const s = this.stmts;
    const a = [...keyArgs(key), from, to];
    const ts = s.tsCol.pluck(true).all(...a) as number[];
    const value = s.valueCol.pluck(true).all(...a) as number[];
    const hasVolume = ts.length > 0 && s.anyVolume.pluck(true).get(...a) !== undefined;
    return { ts, value, volume: hasVolume ? (s.volumeCol.pluck(true).all(...a) as Array<number | null>) : null };
  }

  /**
   * Caches past blocks of a series (from their rows, re-read under the write lock); returns how many it wrote. Never
   * waits: when another writer holds the lock, nothing is cached now and a later read tries again.
   */
  private cacheBlocks(key: SeriesKey, blocks: number[]): number {
    const s = this.stmts;
    this.db.pragma('busy_timeout = 0');
    try {
      return this.db
        .transaction((): number => {
          let written = 0;
          for (const b of blocks) {
            // missing, or stale (a point was added to it by hand): built again from its rows
            s.blockDrop.run(...keyArgs(key), b, b);
            const rows = s.values.raw(true).all(...keyArgs(key), b * BLOCK_MS, (b + 1) * BLOCK_MS) as ValueRow[];
            const blobs = rows.length ? encodeBlock(b, rows) : null;
            if (blobs) {
              s.blockInsert.run(...keyArgs(key), b, rows.length, ...blobs);
              written++;
            }
          }
          return written;
        })
        .immediate();
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY') {
        throw e;
      }
      return 0;
    } finally {
      this.db.pragma('busy_timeout = 5000');
    }
  }

  async cachePastBlocks(): Promise<number> {
    this.check();
    if (!this.hasBlocks || this.readonly) {
      return 0;
    }
    const current = Math.floor(Date.now() / BLOCK_MS);
    let written = 0;
    for (const r of this.summaryRows(null)) {
      const key = keyOf(r);
      const first = Math.floor(Number(r.first) / BLOCK_MS);
      const last = Math.min(Math.floor(Number(r.last) / BLOCK_MS), current - 1);
      if (last < first) {
        continue;
      }
      // past blocks with points that are not cached, or whose cached count differs (points added by hand)
      const have = new Map(this.stmts.blockSizes.raw(true).all(...keyArgs(key)) as Array<[number, number]>);
      const counts = this.stmts.blockCounts
        .raw(true)
        .all(...keyArgs(key), first * BLOCK_MS, (last + 1) * BLOCK_MS) as Array<[number, number]>;
      const want = counts.filter(([b, n]) => have.get(b) !== n).map(([b]) => b);
      if (want.length) {
        written += this.cacheBlocks(key, want);
        // one series at a time, letting the event loop run between them (run's HTTP API and polls share it)
        await new Promise((resolve) => setImmediate(resolve));
        if (this.closed) {
          break;
        }
      }
    }
    return written;
  }

  async countPoints(key: SeriesKey, from: number, to: number): Promise<number> {
    this.check();
    return Number(this.stmts.count.pluck(true).get(...keyArgs(key), from, to));
  }

  async seriesMeta(key: SeriesKey): Promise<SeriesMeta | null> {
    this.check();
    const r = this.stmts.meta.get(...keyArgs(key)) as Row | undefined;
    return r ? metaOf(r) : null;
  }

  async listKeys(filter: { asset?: string } = {}): Promise<SeriesKey[]> {
    this.check();
    const a = filter.asset ?? null;
    return (this.stmts.keys.all(a, a) as Row[]).map(keyOf);
  }

  async listSeries(filter: { asset?: string } = {}): Promise<SeriesSummary[]> {
    this.check();
    const a = filter.asset ?? null;
    const metas = new Map<string, SeriesMeta>();
    for (const r of this.stmts.allMeta.all(a, a) as Row[]) {
      metas.set(seriesId(keyOf(r)), metaOf(r));
    }
    return (this.summaryRows(a) as Row[]).map((r) => ({
      ...keyOf(r),
      meta: metas.get(seriesId(keyOf(r))) ?? {},
      ...summaryOf(r),
    }));
  }

  /**
   * The summary rows (`series_summary`) of every series with points, optionally of one asset. A series marked dirty
   * (points deleted by hand, or a write whose time is older than the series' last write) is recounted first: stored
   * when the connection may write, else counted for this answer only.
   */
  private summaryRows(asset: string | null): Row[] {
    const s = this.stmts;
    // the common case, nothing dirty: one read snapshot, no write lock
    // (the list holds the rows of every series: one left without points is dirty, then recounted, and kept out)
    const withPoints = (rows: Row[]) => rows.filter((r) => Number(r.n) > 0);
    const clean = this.db.transaction((): Row[] | null =>
      (s.summaryDirty.all(asset, asset) as Row[]).length === 0 ? (s.summaryList.all(asset, asset) as Row[]) : null
    )();
    if (clean) {
      return withPoints(clean);
    }
    const fix = this.db.transaction(() => {
      const dirty = s.summaryDirty.all(asset, asset) as Row[];
      const fresh = new Map<string, Row>();
      for (const d of dirty) {
        const key = keyOf(d);
        const r = s.keySummary.get(...keyArgs(key)) as Row;
        const n = Number(r.n);
        if (!this.readonly) {
          if (n === 0) {
            s.summaryDrop.run(...keyArgs(key));
          } else {
            s.summarySet.run(r.first, r.last, n, r.rest, r.archive, r.import, r.written, ...keyArgs(key));
          }
        }
        fresh.set(seriesId(key), { ...d, ...r });
      }
      const rows = s.summaryList.all(asset, asset) as Row[];
      // read-only: recounted for this answer only (a series that an update by hand made has a row with no count yet)
      return withPoints(this.readonly ? rows.map((r) => fresh.get(seriesId(keyOf(r))) ?? r) : rows);
    });
    // a writer takes the write lock first (IMMEDIATE), so that no other writer commits between the recount and its store
    return this.readonly ? fix() : fix.immediate();
  }

  async seriesStats(key: SeriesKey, stepMs: number): Promise<SeriesStats> {
    this.check();
    const sum = summaryOf(this.stmts.keySummary.get(...keyArgs(key)) as Row);
    const gaps: Array<[number, number]> = [];
    let missing = 0;
    if (stepMs > 0 && sum.count > 1) {
      for (const r of this.stmts.gaps.all(...keyArgs(key), stepMs) as Row[]) {
        const prev = Number(r.prev);
        const ts = Number(r.ts);
        gaps.push([prev + stepMs, ts]);
        missing += Math.round((ts - prev) / stepMs) - 1;
      }
    }
    const o = this.stmts.overlap.get(...keyArgs(key)) as Row;
    return {
      ...key,
      meta: (await this.seriesMeta(key)) ?? {},
      ...sum,
      gaps,
      missingPoints: missing,
      overlapPoints: Number(o.n),
      maxOverlapRelDiff: o.d === null || o.d === undefined ? null : Number(o.d),
    };
  }

  async coverage(key: SeriesKey, source: PointSource): Promise<Array<[number, number]>> {
    this.check();
    return (this.stmts.coverage.all(...keyArgs(key), SOURCE_CODE[source]) as Row[]).map((r) => [
      Number(r.from_ts),
      Number(r.to_ts),
    ]);
  }

  async recordArchiveFile(rec: ArchiveFileRecord): Promise<void> {
    this.check();
    this.stmts.fileUpsert.run(rec.path, rec.sha256, rec.status, rec.rows, rec.notice, rec.fetchedAt);
  }

  async archiveFile(path: string): Promise<ArchiveFileRecord | null> {
    this.check();
    const r = this.stmts.file.get(path) as Row | undefined;
    return r ? fileOf(r) : null;
  }

  async listArchiveFiles(): Promise<ArchiveFileRecord[]> {
    this.check();
    return (this.stmts.files.all() as Row[]).map(fileOf);
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.db.close();
    }
  }
}

/** Opens (creating when missing, unless read-only) an SQLite store. */
export async function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return new SqliteStore(file, opts);
}
