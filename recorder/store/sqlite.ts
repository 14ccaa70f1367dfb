/**
 * The embedded SQLite backend of the recorder store (better-sqlite3, synchronous under a Promise interface): one file,
 * WAL journal, `WITHOUT ROWID` tables keyed by (asset, venue, kind, timeframe, ts), upserts, and versioned schema
 * migrations kept in `PRAGMA user_version`. A database written by an older version is migrated on open; a newer one
 * is refused with a clear error. Everything SQL-specific stays in this file; see types.ts for the contract.
 */
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
  SOURCE_BY_CODE,
  SOURCE_CODE,
  StoredPoint,
} from './types';
import { fileOf, metaOf, summaryOf, type Row } from './rows';

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
    this.hasSummary = Number(this.db.pragma('user_version', { simple: true })) >= 3;
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
      count: `SELECT count(*) AS n FROM points WHERE ${KEY_WHERE} AND ts >= ? AND ts < ?`,
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
           dirty = series_summary.dirty OR excluded.last_written < series_summary.last_written`,
      summaryDirty: `SELECT asset, venue, kind, timeframe FROM series_summary WHERE dirty = 1 AND (? IS NULL OR asset = ?)`,
      summarySet: `UPDATE series_summary SET first_ts = ?, last_ts = ?, n = ?, n_rest = ?, n_archive = ?, n_import = ?,
           last_written = ?, dirty = 0 WHERE ${KEY_WHERE}`,
      summaryDrop: `DELETE FROM series_summary WHERE ${KEY_WHERE}`,
      summaryList: `SELECT asset, venue, kind, timeframe, first_ts AS first, last_ts AS last, n, n_rest AS rest,
                n_archive AS archive, n_import AS import, last_written AS written
         FROM series_summary WHERE (? IS NULL OR asset = ?) AND n > 0 ORDER BY asset, venue, kind, timeframe`,
      keySummary: `SELECT min(ts) AS first, max(ts) AS last, count(*) AS n,
                sum(source = 1) AS rest, sum(source = 2) AS archive, sum(source = 3) AS import,
                max(written_at) AS written
         FROM points WHERE ${KEY_WHERE}`,
      gaps: `SELECT prev, ts FROM (SELECT ts, lag(ts) OVER (ORDER BY ts) AS prev FROM points WHERE ${KEY_WHERE})
         WHERE prev IS NOT NULL AND ts - prev > ? ORDER BY ts`,
      overlap: `SELECT count(*) AS n, max(abs(value - archive_value) / abs(value)) AS d FROM points
         WHERE ${KEY_WHERE} AND archive_value IS NOT NULL`,
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
            writtenAt
          );
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
   * Columns read one column per statement (`pluck`): better-sqlite3 builds no array per row, which costs more than the
   * extra range scans; volumes are not read when the range has none (open interest, funding). One read transaction,
   * so the columns come from one snapshot.
   */
  async readColumns(key: SeriesKey, from: number, to: number): Promise<SeriesColumns> {
    this.check();
    const s = this.stmts;
    return this.db.transaction((): SeriesColumns => {
      const a = [...keyArgs(key), from, to];
      const ts = s.tsCol.pluck(true).all(...a) as number[];
      const value = s.valueCol.pluck(true).all(...a) as number[];
      const hasVolume = ts.length > 0 && s.anyVolume.pluck(true).get(...a) !== undefined;
      return { ts, value, volume: hasVolume ? (s.volumeCol.pluck(true).all(...a) as Array<number | null>) : null };
    })();
  }

  async countPoints(key: SeriesKey, from: number, to: number): Promise<number> {
    this.check();
    return Number((this.stmts.count.get(...keyArgs(key), from, to) as Row).n);
  }

  async seriesMeta(key: SeriesKey): Promise<SeriesMeta | null> {
    this.check();
    const r = this.stmts.meta.get(...keyArgs(key)) as Row | undefined;
    return r ? metaOf(r) : null;
  }

  async listKeys(filter: { asset?: string } = {}): Promise<SeriesKey[]> {
    this.check();
    const a = filter.asset ?? null;
    return (this.stmts.keys.all(a, a) as Row[]).map((r) => ({
      asset: String(r.asset),
      venue: String(r.venue),
      kind: r.kind as SeriesKey['kind'],
      timeframe: r.timeframe as SeriesKey['timeframe'],
    }));
  }

  async listSeries(filter: { asset?: string } = {}): Promise<SeriesSummary[]> {
    this.check();
    const a = filter.asset ?? null;
    const metas = new Map<string, SeriesMeta>();
    for (const r of this.stmts.allMeta.all(a, a) as Row[]) {
      metas.set(`${r.asset}|${r.venue}|${r.kind}|${r.timeframe}`, metaOf(r));
    }
    return (this.summaryRows(a) as Row[]).map((r) => ({
      asset: String(r.asset),
      venue: String(r.venue),
      kind: r.kind as SeriesKey['kind'],
      timeframe: r.timeframe as SeriesKey['timeframe'],
      meta: metas.get(`${r.asset}|${r.venue}|${r.kind}|${r.timeframe}`) ?? {},
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
    const clean = this.db.transaction((): Row[] | null =>
      (s.summaryDirty.all(asset, asset) as Row[]).length === 0 ? (s.summaryList.all(asset, asset) as Row[]) : null
    )();
    if (clean) {
      return clean;
    }
    const fix = this.db.transaction(() => {
      const dirty = s.summaryDirty.all(asset, asset) as Row[];
      const fresh = new Map<string, Row>();
      for (const d of dirty) {
        const key = d as unknown as SeriesKey;
        const r = s.keySummary.get(...keyArgs(key)) as Row;
        const n = Number(r.n);
        if (!this.readonly) {
          if (n === 0) {
            s.summaryDrop.run(...keyArgs(key));
          } else {
            s.summarySet.run(r.first, r.last, n, r.rest, r.archive, r.import, r.written, ...keyArgs(key));
          }
        }
        fresh.set(`${d.asset}|${d.venue}|${d.kind}|${d.timeframe}`, { ...d, ...r });
      }
      const rows = s.summaryList.all(asset, asset) as Row[];
      if (!this.readonly) {
        return rows;
      }
      return rows
        .map((r) => fresh.get(`${r.asset}|${r.venue}|${r.kind}|${r.timeframe}`) ?? r)
        .filter((r) => Number(r.n) > 0);
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
