/**
 * The PostgreSQL backend of the recorder store (`pg` client, a small connection pool): the same tables and keys as
 * the SQLite backend, with the points table partitioned by time (declarative monthly RANGE partitions on `ts`, created
 * on demand, idempotently), the same upsert semantics (REST / import overwrite, the archive never overwrites them and
 * only records `archive_value`), and versioned migrations in `recorder_schema`, run under an advisory lock so that
 * several replicas starting together cannot race. Also the series ownership locks of the replicas (`SeriesLocks`).
 * Everything PostgreSQL-specific stays in this file; see types.ts for the contract.
 */
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { redactText } from '../../src/exchanges/redact';
import {
  ArchiveFileRecord,
  checkKey,
  mergeInterval,
  PointSource,
  RecorderStore,
  RecorderStoreError,
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

/** Advisory-lock class ids (the first int4 of the two-key form): 'BTCF' for schema work, 'BTCC' for coverage. */
export const LOCK_CLASS_SCHEMA = 0x42544346;
export const LOCK_CLASS_COVERAGE = 0x42544343;
/** 'BTCS': one lock per recorded series, held by the replica recording it (session level). */
export const LOCK_CLASS_SERIES = 0x42544353;
const LOCK_MIGRATE = 0;
const LOCK_PARTITION = 1;

/** One migration per schema version, applied in order, each in one transaction under the schema advisory lock. */
export const PG_MIGRATIONS: Array<{ version: number; what: string; sql: string }> = [
  {
    version: 1,
    what: 'series meta and points (partitioned by month on ts)',
    sql: `
      CREATE TABLE IF NOT EXISTS series (
        asset text NOT NULL, venue text NOT NULL, kind text NOT NULL, timeframe text NOT NULL,
        quote text, unit text, interval_hours double precision, pair text, symbol text, updated_at bigint NOT NULL,
        PRIMARY KEY (asset, venue, kind, timeframe)
      );
      CREATE TABLE IF NOT EXISTS points (
        asset text NOT NULL, venue text NOT NULL, kind text NOT NULL, timeframe text NOT NULL, ts bigint NOT NULL,
        value double precision NOT NULL, volume double precision, source smallint NOT NULL, written_at bigint NOT NULL,
        open boolean NOT NULL DEFAULT false, archive_value double precision,
        PRIMARY KEY (asset, venue, kind, timeframe, ts)
      ) PARTITION BY RANGE (ts);`,
  },
  {
    version: 2,
    what: 'covered ranges per source (resumable backfill) and the archive file log',
    sql: `
      CREATE TABLE IF NOT EXISTS coverage (
        asset text NOT NULL, venue text NOT NULL, kind text NOT NULL, timeframe text NOT NULL, source smallint NOT NULL,
        from_ts bigint NOT NULL, to_ts bigint NOT NULL,
        PRIMARY KEY (asset, venue, kind, timeframe, source, from_ts)
      );
      CREATE TABLE IF NOT EXISTS archive_files (
        path text NOT NULL PRIMARY KEY, sha256 text, status text NOT NULL, rows integer NOT NULL, notice text,
        fetched_at bigint NOT NULL
      );`,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;

export interface PostgresStoreOptions {
  /** Read-only sessions (status, export); the schema must already be at the latest version. */
  readonly?: boolean;
  /** Migrate only up to this version (tests of the upgrade path). Default: the latest. */
  targetVersion?: number;
  /** Most pooled connections. Default 4. */
  poolSize?: number;
  /** `application_name` of the sessions (shows in pg_stat_activity). Default `btcflow-recorder`. */
  applicationName?: string;
}

/** True when `--db` names a PostgreSQL server rather than an SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db.trim());
}

/** Month partition of a point time: [start, end) in epoch ms and the table name `points_pYYYYMM`. */
export function monthPartition(ts: number): { name: string; from: number; to: number } {
  const d = new Date(ts);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const from = Date.UTC(y, m, 1);
  const to = Date.UTC(y, m + 1, 1);
  const tag = y < 0 ? `m${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
  return { name: `points_p${tag}${String(m + 1).padStart(2, '0')}`, from, to };
}

/** 32-bit FNV-1a of a series key, as a signed int4 (the second key of a series advisory lock). */
export function seriesLockId(k: SeriesKey): number {
  let h = 0x811c9dc5;
  for (const ch of `${k.asset}|${k.venue}|${k.kind}|${k.timeframe}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

const KEY_WHERE = 'asset = $1 AND venue = $2 AND kind = $3 AND timeframe = $4';
const keyArgs = (k: SeriesKey) => [k.asset, k.venue, k.kind, k.timeframe];
/** Points per INSERT statement (arrays through unnest). */
const CHUNK = 5000;

const CHANGED =
  'points.value IS DISTINCT FROM excluded.value OR points.volume IS DISTINCT FROM excluded.volume OR ' +
  'points.source IS DISTINCT FROM excluded.source OR points.open IS DISTINCT FROM excluded.open';

const SQL = {
  upsertPrimary: `INSERT INTO points (asset, venue, kind, timeframe, ts, value, volume, source, written_at, open, archive_value)
      SELECT $1, $2, $3, $4, t.ts, t.value, t.volume, $5, $6, t.open, NULL
      FROM unnest($7::bigint[], $8::float8[], $9::float8[], $10::boolean[]) AS t(ts, value, volume, open)
    ON CONFLICT (asset, venue, kind, timeframe, ts) DO UPDATE SET
      value = excluded.value, volume = excluded.volume, source = excluded.source,
      written_at = excluded.written_at, open = excluded.open,
      archive_value = CASE WHEN points.source = 2 THEN points.value ELSE points.archive_value END
    WHERE ${CHANGED}`,
  upsertArchive: `INSERT INTO points (asset, venue, kind, timeframe, ts, value, volume, source, written_at, open, archive_value)
      SELECT $1, $2, $3, $4, t.ts, t.value, t.volume, 2, $5, false, NULL
      FROM unnest($6::bigint[], $7::float8[], $8::float8[]) AS t(ts, value, volume)
    ON CONFLICT (asset, venue, kind, timeframe, ts) DO UPDATE SET
      value = CASE WHEN points.source = 2 THEN excluded.value ELSE points.value END,
      volume = CASE WHEN points.source = 2 THEN excluded.volume ELSE points.volume END,
      archive_value = CASE WHEN points.source = 2 THEN NULL ELSE excluded.value END,
      written_at = excluded.written_at
    WHERE (points.source = 2 AND (points.value IS DISTINCT FROM excluded.value
                                  OR points.volume IS DISTINCT FROM excluded.volume OR points.open))
       OR (points.source <> 2 AND points.archive_value IS DISTINCT FROM excluded.value)`,
  upsertMeta: `INSERT INTO series (asset, venue, kind, timeframe, quote, unit, interval_hours, pair, symbol, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (asset, venue, kind, timeframe) DO UPDATE SET
      quote = coalesce(excluded.quote, series.quote), unit = coalesce(excluded.unit, series.unit),
      interval_hours = coalesce(excluded.interval_hours, series.interval_hours),
      pair = coalesce(excluded.pair, series.pair), symbol = coalesce(excluded.symbol, series.symbol),
      updated_at = excluded.updated_at
    WHERE series.quote IS DISTINCT FROM coalesce(excluded.quote, series.quote)
       OR series.unit IS DISTINCT FROM coalesce(excluded.unit, series.unit)
       OR series.interval_hours IS DISTINCT FROM coalesce(excluded.interval_hours, series.interval_hours)
       OR series.pair IS DISTINCT FROM coalesce(excluded.pair, series.pair)
       OR series.symbol IS DISTINCT FROM coalesce(excluded.symbol, series.symbol)`,
  meta: `SELECT quote, unit, interval_hours, pair, symbol FROM series WHERE ${KEY_WHERE}`,
  keys: `SELECT asset, venue, kind, timeframe FROM series WHERE ($1::text IS NULL OR asset = $1)
    ORDER BY asset, venue, kind, timeframe`,
  read: `SELECT ts, value, volume, source, written_at, open, archive_value FROM points
    WHERE ${KEY_WHERE} AND ts >= $5 AND ts < $6 ORDER BY ts`,
  readValues: `SELECT ts, value, volume FROM points WHERE ${KEY_WHERE} AND ts >= $5 AND ts < $6 ORDER BY ts`,
  count: `SELECT count(*) AS n FROM points WHERE ${KEY_WHERE} AND ts >= $5 AND ts < $6`,
  coverage: `SELECT from_ts, to_ts FROM coverage WHERE ${KEY_WHERE} AND source = $5 ORDER BY from_ts`,
  coverageDelete: `DELETE FROM coverage WHERE ${KEY_WHERE} AND source = $5`,
  coverageInsert: `INSERT INTO coverage (asset, venue, kind, timeframe, source, from_ts, to_ts)
      SELECT $1, $2, $3, $4, $5, a, b FROM unnest($6::bigint[], $7::bigint[]) AS t(a, b)`,
  summary: `SELECT asset, venue, kind, timeframe, min(ts) AS first, max(ts) AS last, count(*) AS n,
      count(*) FILTER (WHERE source = 1) AS rest, count(*) FILTER (WHERE source = 2) AS archive,
      count(*) FILTER (WHERE source = 3) AS import, max(written_at) AS written
    FROM points WHERE ($1::text IS NULL OR asset = $1) GROUP BY asset, venue, kind, timeframe
    ORDER BY asset COLLATE "C", venue COLLATE "C", kind COLLATE "C", timeframe COLLATE "C"`,
  allMeta: `SELECT asset, venue, kind, timeframe, quote, unit, interval_hours, pair, symbol FROM series
    WHERE ($1::text IS NULL OR asset = $1)`,
  keySummary: `SELECT min(ts) AS first, max(ts) AS last, count(*) AS n,
      count(*) FILTER (WHERE source = 1) AS rest, count(*) FILTER (WHERE source = 2) AS archive,
      count(*) FILTER (WHERE source = 3) AS import, max(written_at) AS written
    FROM points WHERE ${KEY_WHERE}`,
  gaps: `SELECT prev, ts FROM (SELECT ts, lag(ts) OVER (ORDER BY ts) AS prev FROM points WHERE ${KEY_WHERE}) g
    WHERE prev IS NOT NULL AND ts - prev > $5 ORDER BY ts`,
  overlap: `SELECT count(*) AS n, max(abs(value - archive_value) / nullif(abs(value), 0)) AS d FROM points
    WHERE ${KEY_WHERE} AND archive_value IS NOT NULL`,
  fileUpsert: `INSERT INTO archive_files (path, sha256, status, rows, notice, fetched_at) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, status = excluded.status, rows = excluded.rows,
      notice = excluded.notice, fetched_at = excluded.fetched_at`,
  file: 'SELECT path, sha256, status, rows, notice, fetched_at FROM archive_files WHERE path = $1',
  files: 'SELECT path, sha256, status, rows, notice, fetched_at FROM archive_files ORDER BY path COLLATE "C"',
};

/** The connection URL without its password, for messages. */
function shown(url: string): string {
  return redactText(url);
}

function pgMessage(e: unknown): string {
  const err = e as { message?: string; code?: string };
  return redactText(`${err.message ?? String(e)}${err.code ? ` (SQLSTATE ${err.code})` : ''}`);
}

export class PostgresStore implements RecorderStore {
  readonly backend = 'postgres';
  private closed = false;
  /** Partitions known to exist (created by us or found), by name. */
  private readonly partitions = new Set<string>();

  private constructor(
    readonly url: string,
    readonly pool: Pool
  ) {}

  /** Connects, checks the schema version, migrates (unless read-only). */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const config: PoolConfig = {
      connectionString: url,
      max: opts.poolSize ?? 4,
      application_name: opts.applicationName ?? 'btcflow-recorder',
      connectionTimeoutMillis: 15_000,
      ...(opts.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
    };
    const pool = new Pool(config);
    // an idle pooled connection that breaks (server restart) must not crash the process
    pool.on('error', () => undefined);
    const store = new PostgresStore(url, pool);
    try {
      await store.migrate(opts);
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (e instanceof RecorderStoreError) {
        throw e;
      }
      throw new RecorderStoreError(`cannot open database ${shown(url)}: ${pgMessage(e)}`);
    }
    return store;
  }

  private async migrate(opts: PostgresStoreOptions): Promise<void> {
    const target = opts.targetVersion ?? PG_SCHEMA_VERSION;
    const c = await this.pool.connect();
    try {
      const version = await currentVersion(c);
      if (version > PG_SCHEMA_VERSION) {
        throw new RecorderStoreError(
          `${shown(this.url)}: database schema version ${version} is newer than this recorder supports (${PG_SCHEMA_VERSION}); ` +
            'upgrade BTC Flow to open it (the database was not changed)'
        );
      }
      if (version === 0 && opts.readonly) {
        await this.refuseForeign(c);
      }
      if (version >= target) {
        return;
      }
      if (opts.readonly) {
        throw new RecorderStoreError(
          version === 0
            ? `${shown(this.url)}: no recorder schema yet; open it once read-write (e.g. recorder run or backfill)`
            : `${shown(this.url)}: database schema version ${version} needs an upgrade to ${target}; open it once read-write (e.g. recorder run or backfill)`
        );
      }
      // one transaction per version; the transaction-level advisory lock makes replicas that start together wait
      // for each other, and each re-reads the version once it holds the lock
      for (const m of PG_MIGRATIONS) {
        if (m.version > target) {
          break;
        }
        await c.query('BEGIN');
        try {
          await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS_SCHEMA, LOCK_MIGRATE]);
          await c.query(
            'CREATE TABLE IF NOT EXISTS recorder_schema (version integer PRIMARY KEY, what text NOT NULL, applied_at bigint NOT NULL)'
          );
          const now = await currentVersion(c);
          if (now === 0) {
            // checked under the lock: another replica may have created the schema since we looked
            await this.refuseForeign(c);
          }
          if (m.version > now) {
            await c.query(m.sql);
            await c.query('INSERT INTO recorder_schema (version, what, applied_at) VALUES ($1, $2, $3)', [
              m.version,
              m.what,
              Date.now(),
            ]);
          }
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }
    } finally {
      c.release();
    }
  }

  /** A database without recorder_schema but with tables of our names belongs to something else: refuse it. */
  private async refuseForeign(c: PoolClient): Promise<void> {
    const r = await c.query(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('points', 'series', 'coverage', 'archive_files')"
    );
    if (Number(r.rows[0].n) > 0) {
      throw new RecorderStoreError(
        `${shown(this.url)} holds a points or series table but is not a recorder database (no recorder_schema table)`
      );
    }
  }

  private check(): void {
    if (this.closed) {
      throw new RecorderStoreError(`${shown(this.url)}: the store is closed`);
    }
  }

  private async q(sql: string, args: unknown[] = []): Promise<Row[]> {
    this.check();
    try {
      return (await this.pool.query(sql, args)).rows as Row[];
    } catch (e) {
      throw new RecorderStoreError(`${shown(this.url)}: ${pgMessage(e)}`);
    }
  }

  async schemaVersion(): Promise<number> {
    this.check();
    const c = await this.pool.connect();
    try {
      return await currentVersion(c);
    } finally {
      c.release();
    }
  }

  /** Creates the monthly partitions the points need (idempotent; serialised by an advisory lock). */
  private async ensurePartitions(batch: SeriesWrite[]): Promise<void> {
    const need = new Map<string, { name: string; from: number; to: number }>();
    for (const w of batch) {
      let lastMonthEnd = -Infinity;
      let lastMonthStart = Infinity;
      for (const p of w.points) {
        if (p.ts >= lastMonthStart && p.ts < lastMonthEnd) {
          continue;
        }
        const part = monthPartition(p.ts);
        lastMonthStart = part.from;
        lastMonthEnd = part.to;
        if (!this.partitions.has(part.name)) {
          need.set(part.name, part);
        }
      }
    }
    if (!need.size) {
      return;
    }
    const c = await this.pool.connect();
    try {
      const have = await c.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'points' AND p.relnamespace = c.relnamespace
         AND p.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`
      );
      for (const r of have.rows as Row[]) {
        this.partitions.add(String(r.name));
      }
      for (const part of need.values()) {
        if (this.partitions.has(part.name)) {
          continue;
        }
        await c.query('BEGIN');
        try {
          await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS_SCHEMA, LOCK_PARTITION]);
          await c.query(
            `CREATE TABLE IF NOT EXISTS ${part.name} PARTITION OF points FOR VALUES FROM (${part.from}) TO (${part.to})`
          );
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
        this.partitions.add(part.name);
      }
    } finally {
      c.release();
    }
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
        if (!Number.isSafeInteger(p.ts)) {
          throw new RecorderStoreError(
            `points: ${w.key.venue} ${w.key.kind}: ts must be an integer epoch ms, got ${String(p.ts)}`
          );
        }
      }
    }
    try {
      await this.ensurePartitions(batch);
    } catch (e) {
      throw new RecorderStoreError(`${shown(this.url)}: cannot create a points partition: ${pgMessage(e)}`);
    }
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      let changes = 0;
      for (const w of batch) {
        changes += await this.writeSeries(c, w, writtenAt);
      }
      await c.query('COMMIT');
      return changes;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      if (e instanceof RecorderStoreError) {
        throw e;
      }
      throw new RecorderStoreError(`${shown(this.url)}: write failed, nothing written: ${pgMessage(e)}`);
    } finally {
      c.release();
    }
  }

  private async writeSeries(c: PoolClient, w: SeriesWrite, writtenAt: number): Promise<number> {
    const k = w.key;
    const ka = keyArgs(k);
    let changes = 0;
    if (w.meta) {
      const m = w.meta;
      await c.query(SQL.upsertMeta, [
        ...ka,
        m.quote ?? null,
        m.unit ?? null,
        m.intervalHours ?? null,
        m.pair ?? null,
        m.symbol ?? null,
        writtenAt,
      ]);
    }
    // one statement cannot touch a row twice: the last of several points with one ts wins, as in a sequential write
    const byTs = new Map<number, (typeof w.points)[number]>();
    for (const p of w.points) {
      byTs.delete(p.ts);
      byTs.set(p.ts, p);
    }
    const pts = [...byTs.values()];
    for (let i = 0; i < pts.length; i += CHUNK) {
      const part = pts.slice(i, i + CHUNK);
      const ts = part.map((p) => p.ts);
      const vals = part.map((p) => p.value);
      const vols = part.map((p) => p.volume ?? null);
      const r =
        w.source === 'archive'
          ? await c.query(SQL.upsertArchive, [...ka, writtenAt, ts, vals, vols])
          : await c.query(SQL.upsertPrimary, [
              ...ka,
              SOURCE_CODE[w.source],
              writtenAt,
              ts,
              vals,
              vols,
              part.map((p) => Boolean(p.open)),
            ]);
      changes += r.rowCount ?? 0;
    }
    if (w.cover && w.cover[1] > w.cover[0]) {
      const code = SOURCE_CODE[w.source];
      // two writers of one series (a backfill beside a run) merge their ranges one after the other
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS_COVERAGE, seriesLockId(k)]);
      const have = (await c.query(SQL.coverage, [...ka, code])).rows.map(
        (r: Row) => [Number(r.from_ts), Number(r.to_ts)] as [number, number]
      );
      const merged = mergeInterval(have, w.cover);
      if (JSON.stringify(merged) !== JSON.stringify(have)) {
        await c.query(SQL.coverageDelete, [...ka, code]);
        await c.query(SQL.coverageInsert, [...ka, code, merged.map((m) => m[0]), merged.map((m) => m[1])]);
      }
    }
    return changes;
  }

  async readPoints(key: SeriesKey, from: number, to: number): Promise<StoredPoint[]> {
    const rows = await this.q(SQL.read, [...keyArgs(key), clampTs(from), clampTs(to)]);
    return rows.map((r) => ({
      ts: Number(r.ts),
      value: Number(r.value),
      volume: r.volume == null ? null : Number(r.volume),
      source: SOURCE_BY_CODE[Number(r.source)],
      writtenAt: Number(r.written_at),
      open: r.open === true,
      archiveValue: r.archive_value == null ? null : Number(r.archive_value),
    }));
  }

  /** The lean read the bundle uses: ts, value, volume only. */
  async readValues(key: SeriesKey, from: number, to: number): Promise<Array<[number, number, number | null]>> {
    const rows = await this.q(SQL.readValues, [...keyArgs(key), clampTs(from), clampTs(to)]);
    return rows.map((r) => [Number(r.ts), Number(r.value), r.volume == null ? null : Number(r.volume)]);
  }

  async countPoints(key: SeriesKey, from: number, to: number): Promise<number> {
    const [r] = await this.q(SQL.count, [...keyArgs(key), clampTs(from), clampTs(to)]);
    return Number(r.n);
  }

  async seriesMeta(key: SeriesKey): Promise<SeriesMeta | null> {
    const [r] = await this.q(SQL.meta, keyArgs(key));
    return r ? metaOf(r) : null;
  }

  /** Keys from the series table (added with the interface's listKeys): no point is counted. */
  async listKeys(filter: { asset?: string } = {}): Promise<SeriesKey[]> {
    const rows = await this.q(SQL.keys, [filter.asset ?? null]);
    return rows.map((r) => ({
      asset: String(r.asset),
      venue: String(r.venue),
      kind: r.kind as SeriesKey['kind'],
      timeframe: r.timeframe as SeriesKey['timeframe'],
    }));
  }

  async listSeries(filter: { asset?: string } = {}): Promise<SeriesSummary[]> {
    const a = filter.asset ?? null;
    const metas = new Map<string, SeriesMeta>();
    for (const r of await this.q(SQL.allMeta, [a])) {
      metas.set(`${r.asset}|${r.venue}|${r.kind}|${r.timeframe}`, metaOf(r));
    }
    return (await this.q(SQL.summary, [a])).map((r) => ({
      asset: String(r.asset),
      venue: String(r.venue),
      kind: r.kind as SeriesKey['kind'],
      timeframe: r.timeframe as SeriesKey['timeframe'],
      meta: metas.get(`${r.asset}|${r.venue}|${r.kind}|${r.timeframe}`) ?? {},
      ...summaryOf(r),
    }));
  }

  async seriesStats(key: SeriesKey, stepMs: number): Promise<SeriesStats> {
    const [s] = await this.q(SQL.keySummary, keyArgs(key));
    const sum = summaryOf(s);
    const gaps: Array<[number, number]> = [];
    let missing = 0;
    if (stepMs > 0 && sum.count > 1) {
      for (const r of await this.q(SQL.gaps, [...keyArgs(key), stepMs])) {
        const prev = Number(r.prev);
        const ts = Number(r.ts);
        gaps.push([prev + stepMs, ts]);
        missing += Math.round((ts - prev) / stepMs) - 1;
      }
    }
    const [o] = await this.q(SQL.overlap, keyArgs(key));
    return {
      ...key,
      meta: (await this.seriesMeta(key)) ?? {},
      ...sum,
      gaps,
      missingPoints: missing,
      overlapPoints: Number(o.n),
      maxOverlapRelDiff: o.d == null ? null : Number(o.d),
    };
  }

  async coverage(key: SeriesKey, source: PointSource): Promise<Array<[number, number]>> {
    return (await this.q(SQL.coverage, [...keyArgs(key), SOURCE_CODE[source]])).map((r) => [
      Number(r.from_ts),
      Number(r.to_ts),
    ]);
  }

  async recordArchiveFile(rec: ArchiveFileRecord): Promise<void> {
    await this.q(SQL.fileUpsert, [rec.path, rec.sha256, rec.status, rec.rows, rec.notice, rec.fetchedAt]);
  }

  async archiveFile(path: string): Promise<ArchiveFileRecord | null> {
    const [r] = await this.q(SQL.file, [path]);
    return r ? fileOf(r) : null;
  }

  async listArchiveFiles(): Promise<ArchiveFileRecord[]> {
    return (await this.q(SQL.files)).map(fileOf);
  }

  /** Total on-disk size of the points partitions, their indexes included, in bytes (benchmarks, status). */
  async pointsBytes(): Promise<number> {
    const [r] = await this.q(
      `SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) AS b FROM pg_inherits i
       WHERE i.inhparent = 'points'::regclass`
    );
    return Number(r.b);
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.pool.end();
    }
  }
}

async function currentVersion(c: PoolClient): Promise<number> {
  const t = await c.query("SELECT to_regclass('recorder_schema') IS NOT NULL AS ok");
  if (!t.rows[0].ok) {
    return 0;
  }
  const r = await c.query('SELECT coalesce(max(version), 0) AS v FROM recorder_schema');
  return Number(r.rows[0].v);
}

/** Keeps a range bound inside bigint (callers pass Number.MAX_SAFE_INTEGER or Infinity for "no end"). */
function clampTs(t: number): number {
  if (t === Infinity || t > Number.MAX_SAFE_INTEGER) {
    return Number.MAX_SAFE_INTEGER;
  }
  if (t === -Infinity || t < Number.MIN_SAFE_INTEGER) {
    return Number.MIN_SAFE_INTEGER;
  }
  return Math.floor(t);
}

/** Opens (creating the schema when missing, unless read-only) a PostgreSQL store. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  return PostgresStore.open(url, opts);
}
