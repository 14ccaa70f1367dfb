/** @jest-environment node */
/**
 * The PostgreSQL backend against a real, throw-away PostgreSQL 15 server (initdb into a temporary folder, pg_ctl on a
 * free loopback port): the unchanged store contract, plus what only this backend has (monthly partitions created on
 * demand, the upgrade paths from schema versions 1 and 2 with their rows, the kept per-series summaries equal to
 * counting, a newer database refused, replicas opening a fresh database together without an error, series locks held
 * by one session at a time and released when it dies, the binary array encoding).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { storeContract } from './contract';
import { prng } from '../../src/core/testutil';
import { startTestPostgres, type TestPostgres } from './pgtest';
import {
  binaryArray,
  LOCK_CLASS_SERIES,
  monthPartition,
  openPostgresStore,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
  PostgresStore,
  seriesLockId,
} from './postgres';
import { PgSeriesLocks, seriesId } from './pglocks';
import { bundleFromStore } from '../bundle';
import { openSqliteStore } from './sqlite';
import {
  countManyPoints,
  readManySeriesColumns,
  readSeriesColumns,
  seriesMetas,
  type PointSource,
  type RecorderStore,
  type SeriesColumns,
  type SeriesKey,
  type SeriesRange,
  type SeriesSummary,
  type SeriesWrite,
} from './types';

jest.setTimeout(60_000);

let pg: TestPostgres;
let n = 0;
beforeAll(async () => {
  pg = await startTestPostgres({ fsync: 'off' });
});
afterAll(async () => {
  await pg?.stop();
});

const fresh = async () => pg.createDatabase(`c${n++}`);

storeContract('postgres', async () => openPostgresStore(await fresh()), {
  schemaVersion: PG_SCHEMA_VERSION,
  reopen: async (s: RecorderStore) => {
    const url = (s as PostgresStore).url;
    await s.close();
    return openPostgresStore(url);
  },
});

const H = 3_600_000;
const key: SeriesKey = { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1h' };

async function sql<T = Record<string, unknown>>(url: string, text: string, args: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, args)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('postgres specifics', () => {
  it('names month partitions by UTC month, [first ms of the month, first ms of the next)', () => {
    expect(monthPartition(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toEqual({
      name: 'point_rows_p202402',
      from: Date.UTC(2024, 1, 1),
      to: Date.UTC(2024, 2, 1),
    });
    expect(monthPartition(Date.UTC(2024, 11, 31, 23)).to).toBe(Date.UTC(2025, 0, 1));
    expect(monthPartition(5).name).toBe('point_rows_p197001');
  });

  it('stores points in monthly RANGE partitions of one point_rows table, created on demand', async () => {
    const url = await fresh();
    const s = await openPostgresStore(url);
    // 2024-01-31 22:00 .. 2024-02-01 02:00: two months
    const t0 = Date.UTC(2024, 0, 31, 22);
    await s.write([{ key, source: 'rest', points: [0, 1, 2, 3, 4].map((i) => ({ ts: t0 + i * H, value: i })) }]);
    // again, and from a second store (its own partition cache): nothing to create, no error
    const s2 = await openPostgresStore(url);
    await s2.write([{ key, source: 'rest', points: [{ ts: t0, value: 0 }] }]);
    const parts = await sql<{ name: string; bound: string; n: string }>(
      url,
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
              (SELECT count(*) FROM point_rows p WHERE p.tableoid = c.oid) AS n
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'point_rows'::regclass ORDER BY 1`
    );
    expect(parts.map((p) => [p.name, p.bound, Number(p.n)])).toEqual([
      ['point_rows_p202401', `FOR VALUES FROM ('${Date.UTC(2024, 0, 1)}') TO ('${Date.UTC(2024, 1, 1)}')`, 2],
      ['point_rows_p202402', `FOR VALUES FROM ('${Date.UTC(2024, 1, 1)}') TO ('${Date.UTC(2024, 2, 1)}')`, 3],
    ]);
    const [strategy] = await sql<{ s: string }>(
      url,
      "SELECT partstrat AS s FROM pg_partitioned_table WHERE partrelid = 'point_rows'::regclass"
    );
    expect(strategy.s).toBe('r');
    const [pk] = await sql<{ def: string }>(
      url,
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'point_rows'::regclass AND contype = 'p'"
    );
    expect(pk.def).toBe('PRIMARY KEY (series, ts)');
    // the points view shows them with the text key, as Grafana's SQL reads them
    const viewed = await sql<{ asset: string; venue: string; kind: string; timeframe: string; ts: string }>(
      url,
      "SELECT asset, venue, kind, timeframe, ts FROM points WHERE asset = 'BTC' AND kind = 'spot' ORDER BY ts"
    );
    expect(viewed.map((r) => [r.asset, r.venue, r.kind, r.timeframe, Number(r.ts)])).toEqual(
      [0, 1, 2, 3, 4].map((i) => ['BTC', 'coinbase', 'spot', '1h', t0 + i * H])
    );
    expect((await s.readPoints(key, 0, t0 + 10 * H)).map((p) => p.value)).toEqual([0, 1, 2, 3, 4]);
    await s.close();
    await s2.close();
  });

  it('opens a version-1 database written by an older recorder and upgrades it, keeping its points', async () => {
    const url = await fresh();
    const old = await openPostgresStore(url, { targetVersion: 1 });
    expect(await old.schemaVersion()).toBe(1);
    // this recorder does not write into an old schema
    await expect(old.write([{ key, source: 'rest', points: [{ ts: 5, value: 7 }] }])).rejects.toThrow(
      /opened at schema version 1, older than this recorder's/
    );
    await old.close();
    // a row as the version-1 recorder wrote it
    await sql(url, `CREATE TABLE points_p197001 PARTITION OF points FOR VALUES FROM (0) TO (${Date.UTC(1970, 1, 1)})`);
    await sql(url, "INSERT INTO points VALUES ('BTC', 'coinbase', 'spot', '1h', 5, 7, NULL, 1, 100, false, NULL)");
    const tables = await sql<{ t: string }>(
      url,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('coverage', 'archive_files')"
    );
    expect(tables).toEqual([]);
    await expect(openPostgresStore(url, { readonly: true })).rejects.toThrow(
      new RegExp(`schema version 1 needs an upgrade to ${PG_SCHEMA_VERSION}`)
    );
    const s = await openPostgresStore(url);
    expect(await s.schemaVersion()).toBe(PG_SCHEMA_VERSION);
    expect((await s.readPoints(key, 0, 10)).map((p) => [p.value, p.writtenAt])).toEqual([[7, 100]]);
    await s.write([{ key, source: 'rest', points: [], cover: [0, 10] }]);
    expect(await s.coverage(key, 'rest')).toEqual([[0, 10]]);
    await s.close();
    const versions = await sql<{ version: number }>(url, 'SELECT version FROM recorder_schema ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    // read-only opening of an up-to-date database works and cannot write
    const ro = await openPostgresStore(url, { readonly: true });
    expect((await ro.readPoints(key, 0, 10)).map((p) => p.value)).toEqual([7]);
    await expect(ro.write([{ key, source: 'rest', points: [{ ts: 6, value: 1 }] }])).rejects.toThrow(/read-only/);
    await ro.close();
  });

  it('upgrades a version-2 database with rows in place: the same points, partitions, summaries and meta', async () => {
    const url = await fresh();
    await (await openPostgresStore(url, { targetVersion: 2 })).close();
    // rows as the version-2 recorder stored them: text key per row, three months, every source, archive values beside
    // REST, the open flag, null volumes, two assets
    const jan = Date.UTC(2024, 0, 1);
    const feb = Date.UTC(2024, 1, 1);
    const mar = Date.UTC(2024, 2, 1);
    for (const [name, from, to] of [
      ['points_p202312', Date.UTC(2023, 11, 1), jan],
      ['points_p202401', jan, feb],
      ['points_p202402', feb, mar],
    ] as const) {
      await sql(url, `CREATE TABLE ${name} PARTITION OF points FOR VALUES FROM (${from}) TO (${to})`);
    }
    type Old = [string, string, string, string, number, number, number | null, number, number, boolean, number | null];
    const rows: Old[] = [];
    const rnd = prng(11);
    const keys: SeriesKey[] = [
      key,
      { ...key, venue: 'kraken', kind: 'perp' },
      { asset: 'ETH', venue: 'okx', kind: 'openInterest', timeframe: '1h' },
      { asset: 'BTC', venue: 'okx', kind: 'funding', timeframe: '*' },
    ];
    keys.forEach((k, i) => {
      for (let h = 0; h < 24 * 50; h += 1 + i) {
        const ts = Date.UTC(2023, 11, 20) + h * H;
        const source = 1 + Math.floor(rnd() * 3);
        rows.push([
          k.asset,
          k.venue,
          k.kind,
          k.timeframe,
          ts,
          1000 * (i + 1) + h + rnd(),
          k.kind === 'openInterest' ? null : Math.round(rnd() * 1e6),
          source,
          1000 + h * 7 + i,
          source !== 2 && rnd() < 0.05,
          source !== 2 && rnd() < 0.3 ? 999 + h : null,
        ]);
      }
    });
    await sql(
      url,
      `INSERT INTO points SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
         $6::float8[], $7::float8[], $8::smallint[], $9::bigint[], $10::boolean[], $11::float8[])`,
      rows[0].map((_, c) => rows.map((r) => r[c]))
    );
    await sql(
      url,
      "INSERT INTO series (asset, venue, kind, timeframe, quote, updated_at) VALUES ('BTC', 'coinbase', 'spot', '1h', 'USD', 1)"
    );
    const order = 'ORDER BY asset, venue, kind, timeframe, ts';
    const before = await sql(url, `SELECT * FROM points ${order}`);
    expect(before).toHaveLength(rows.length);
    // several replicas upgrading at once: one migrates, the others wait and find it done
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(url)));
    for (const st of stores.slice(1)) {
      await st.close();
    }
    const s = stores[0];
    expect(await s.schemaVersion()).toBe(3);
    // the view shows exactly the old rows
    expect(await sql(url, `SELECT * FROM points ${order}`)).toEqual(before);
    const [kind] = await sql<{ k: string }>(url, "SELECT relkind AS k FROM pg_class WHERE relname = 'points'");
    expect(kind.k).toBe('v');
    const parts = await sql<{ name: string; bound: string }>(
      url,
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'point_rows'::regclass ORDER BY 1`
    );
    expect(parts).toEqual([
      { name: 'point_rows_p202312', bound: `FOR VALUES FROM ('${Date.UTC(2023, 11, 1)}') TO ('${jan}')` },
      { name: 'point_rows_p202401', bound: `FOR VALUES FROM ('${jan}') TO ('${feb}')` },
      { name: 'point_rows_p202402', bound: `FOR VALUES FROM ('${feb}') TO ('${mar}')` },
    ]);
    // the store reads them as before, field by field
    for (const k of keys) {
      const mine = rows.filter((r) => r[0] === k.asset && r[1] === k.venue && r[2] === k.kind);
      expect(await s.readPoints(k, 0, Number.MAX_SAFE_INTEGER)).toEqual(
        mine.map((r) => ({
          ts: r[4],
          value: r[5],
          volume: r[6],
          source: ['rest', 'archive', 'import'][r[7] - 1],
          writtenAt: r[8],
          open: r[9],
          archiveValue: r[10],
        }))
      );
    }
    // summaries computed by the migration equal counting the old rows by hand
    const expected = keys
      .map((k) => {
        const mine = rows.filter((r) => r[0] === k.asset && r[1] === k.venue && r[2] === k.kind);
        const by = (c: number) => mine.filter((r) => r[7] === c).length;
        return {
          ...k,
          meta: k === key ? { quote: 'USD' } : {},
          first: Math.min(...mine.map((r) => r[4])),
          last: Math.max(...mine.map((r) => r[4])),
          count: mine.length,
          bySource: { rest: by(1), archive: by(2), import: by(3) },
          lastWrittenAt: Math.max(...mine.map((r) => r[8])),
        };
      })
      .sort((a, b) => `${a.asset} ${a.venue} ${a.kind}`.localeCompare(`${b.asset} ${b.venue} ${b.kind}`));
    expect(await s.listSeries()).toEqual(expected);
    // and it keeps writing: a new REST point and an archive value beside an old REST point
    const firstRest = rows.find((r) => r[0] === 'BTC' && r[1] === 'coinbase' && r[7] === 1)!;
    await s.write([
      { key, source: 'rest', points: [{ ts: mar + H, value: 1 }] },
      { key, source: 'archive', points: [{ ts: firstRest[4], value: -1 }] },
    ]);
    expect((await s.readPoints(key, firstRest[4], firstRest[4] + 1))[0].archiveValue).toBe(-1);
    expect((await s.listSeries({ asset: 'BTC' })).find((x) => x.kind === 'spot')!.count).toBe(expected[0].count + 1);
    await s.close();
  });

  it('refuses a database from a newer recorder, and one that is not a recorder database, with clear errors', async () => {
    const url = await fresh();
    await (await openPostgresStore(url)).close();
    await sql(url, "INSERT INTO recorder_schema VALUES ($1, 'future', 0)", [PG_SCHEMA_VERSION + 1]);
    await expect(openPostgresStore(url)).rejects.toThrow(
      new RegExp(
        `schema version ${PG_SCHEMA_VERSION + 1} is newer than this recorder supports \\(${PG_SCHEMA_VERSION}\\)`
      )
    );
    const other = await fresh();
    await sql(other, 'CREATE TABLE points (x int)');
    await expect(openPostgresStore(other)).rejects.toThrow(/not a recorder database/);
    await expect(openPostgresStore(pg.url('nosuchdb'))).rejects.toThrow(/cannot open database .*nosuchdb/);
    // the password never shows in the message
    await expect(openPostgresStore(`postgres://postgres:s3cret@127.0.0.1:${pg.port}/nosuchdb`)).rejects.toThrow(
      /postgres:\/\/\*\*\*@127\.0\.0\.1/
    );
    await expect(openPostgresStore(`postgres://postgres:s3cret@127.0.0.1:${pg.port}/nosuchdb`)).rejects.not.toThrow(
      /s3cret/
    );
  });

  it('several replicas opening one fresh database at once all succeed and migrate it once', async () => {
    const url = await fresh();
    const stores = await Promise.all([1, 2, 3, 4, 5].map(() => openPostgresStore(url)));
    // and all write into a month that does not exist yet, at once
    const t = Date.UTC(2031, 6, 15);
    await Promise.all(
      stores.map((s, i) =>
        s.write([{ key: { ...key, venue: `v${i}` }, source: 'rest', points: [{ ts: t, value: i }] }])
      )
    );
    const versions = await sql<{ version: number }>(url, 'SELECT version FROM recorder_schema ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    expect((await stores[0].listSeries()).map((s) => s.venue)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('writes a large batch in one transaction and reads it back exactly', async () => {
    const s = await openPostgresStore(await fresh());
    const t0 = Date.UTC(2023, 0, 1);
    const pts = Array.from({ length: 12_345 }, (_, i) => ({
      ts: t0 + i * H,
      value: 20_000 + Math.sin(i) * 1000 + 1e-9 * i,
      volume: i % 7 ? i * 1.5 : null,
    }));
    expect(await s.write([{ key, source: 'rest', points: pts }])).toBe(12_345);
    const got = await s.readPoints(key, 0, Number.MAX_SAFE_INTEGER);
    expect(got.map((p) => [p.ts, p.value, p.volume])).toEqual(pts.map((p) => [p.ts, p.value, p.volume]));
    // a point twice in one batch: the last one wins, as with sequential writes
    expect(
      await s.write([
        {
          key,
          source: 'rest',
          points: [
            { ts: t0, value: 1 },
            { ts: t0, value: 2 },
          ],
        },
      ])
    ).toBe(1);
    expect((await s.readPoints(key, t0, t0 + 1))[0].value).toBe(2);
    await s.close();
  });

  it('reads, counts and describes many series in one call exactly as one series at a time, and as SQLite does', async () => {
    const s = await openPostgresStore(await fresh());
    const dir = mkdtempSync(join(tmpdir(), 'pg-many-'));
    const lite = await openSqliteStore(join(dir, 'many.db'));
    try {
      const t0 = Date.UTC(2024, 0, 30); // across a month partition boundary
      const rnd = prng(7);
      const spot: SeriesKey = { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1h' };
      const perp: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'perp', timeframe: '1h' };
      const oi: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1h' };
      const fund: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'funding', timeframe: '*' };
      const empty: SeriesKey = { asset: 'BTC', venue: 'kraken', kind: 'spot', timeframe: '1h' };
      const never: SeriesKey = { asset: 'BTC', venue: 'okx', kind: 'perp', timeframe: '1h' };
      // spot: every point has a volume, a gap of 10 bars; perp: some volumes null; oi: none; funding: every 8 h
      const spotPts = Array.from({ length: 200 }, (_, i) => i)
        .filter((i) => i < 50 || i >= 60)
        .map((i) => ({ ts: t0 + i * H, value: 40_000 + rnd() * 100, volume: rnd() * 10 }));
      const perpPts = Array.from({ length: 150 }, (_, i) => ({
        ts: t0 + i * H,
        value: 40_010 + rnd(),
        volume: i % 3 ? rnd() : null,
      }));
      const oiPts = Array.from({ length: 120 }, (_, i) => ({ ts: t0 + i * H, value: 1e9 + i }));
      const fundPts = Array.from({ length: 20 }, (_, i) => ({ ts: t0 + i * 8 * H, value: (rnd() - 0.5) * 1e-3 }));
      const batch: SeriesWrite[] = [
        { key: spot, meta: { quote: 'USD' }, source: 'rest', points: spotPts },
        { key: perp, meta: { quote: 'USDT' }, source: 'rest', points: perpPts },
        { key: oi, meta: { unit: 'usd' }, source: 'rest', points: oiPts },
        { key: fund, meta: { intervalHours: 8 }, source: 'rest', points: fundPts },
        { key: empty, meta: { quote: 'USD' }, source: 'rest', points: [], cover: [t0, t0 + 10 * H] },
      ];
      await s.write(batch);
      await lite.write(batch);
      const all = [spot, perp, oi, fund, empty, never];
      const ranges: SeriesRange[] = [
        ...all.map((k) => ({ key: k, from: t0 + 40 * H, to: t0 + 130 * H })),
        { key: spot, from: t0 + 51 * H, to: t0 + 59 * H }, // inside the gap
        { key: perp, from: 0, to: Infinity },
        { key: oi, from: t0 + 500 * H, to: t0 + 600 * H }, // after the data
        { key: fund, from: t0 + 3 * 8 * H + 1, to: t0 + 5 * 8 * H + 1 },
      ];
      // expected: the written points, filtered by hand
      const written = new Map<SeriesKey, Array<{ ts: number; value: number; volume?: number | null }>>([
        [spot, spotPts],
        [perp, perpPts],
        [oi, oiPts],
        [fund, fundPts],
        [empty, []],
        [never, []],
      ]);
      const expected = ranges.map((r) => {
        const pts = written.get(r.key)!.filter((p) => p.ts >= r.from && p.ts < r.to);
        const vol = pts.map((p) => p.volume ?? null);
        return {
          ts: pts.map((p) => p.ts),
          value: pts.map((p) => p.value),
          volume: vol.some((v) => v !== null) ? vol : null,
        };
      });
      expect(expected.map((e) => e.ts.length)).toEqual([80, 90, 80, 12, 0, 0, 0, 150, 0, 2]);
      expect(expected[1].volume).toContain(null);
      const many = await s.readManyColumns(ranges);
      expect(many).toEqual(expected);
      // one at a time (the fallback) and SQLite give the same
      const single: SeriesColumns[] = [];
      for (const r of ranges) {
        single.push(await readSeriesColumns({ readValues: s.readValues.bind(s) }, r.key, r.from, r.to));
      }
      expect(single).toEqual(expected);
      expect(await readManySeriesColumns(lite, ranges)).toEqual(expected);
      expect(await s.readManyColumns([])).toEqual([]);
      // counts
      const counts = await s.countMany(ranges);
      expect(counts).toEqual(expected.map((e) => e.ts.length));
      expect(await countManyPoints(lite, ranges)).toEqual(counts);
      // meta: null for the key never written
      const metas = await s.seriesMetaMany(all);
      expect(metas).toEqual([
        { quote: 'USD' },
        { quote: 'USDT' },
        { unit: 'usd' },
        { intervalHours: 8 },
        { quote: 'USD' },
        null,
      ]);
      expect(await seriesMetas(lite, all)).toEqual(metas);
      // the bundle built through the multi-series reads equals SQLite's, built one series at a time
      const q = { asset: 'BTC', timeframe: '1h' as const, from: t0 + 10 * H, to: t0 + 170 * H, now: t0 + 1000 * H };
      const b = await bundleFromStore(s, q);
      expect(b.series.length).toBeGreaterThanOrEqual(4);
      expect(JSON.stringify(b)).toBe(JSON.stringify(await bundleFromStore(lite, q)));
    } finally {
      await s.close();
      await lite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps per-series summaries equal to counting, through mixed upserts, overwrites, no-op rewrites and older write times', async () => {
    const url = await fresh();
    const s = await openPostgresStore(url);
    const keys: SeriesKey[] = [
      key,
      { ...key, kind: 'perp', venue: 'okx' },
      { asset: 'ETH', venue: 'okx', kind: 'perp', timeframe: '4h' },
    ];
    const sources: PointSource[] = ['rest', 'archive', 'import'];
    const rnd = prng(5);
    const counted = async (): Promise<SeriesSummary[]> => {
      // the same figures by counting the rows, independently of the kept summaries
      const rows = await sql<Record<string, string | null>>(
        url,
        `SELECT asset, venue, kind, timeframe, min(ts) AS first, max(ts) AS last, count(*) AS n,
                count(*) FILTER (WHERE source = 1) AS rest, count(*) FILTER (WHERE source = 2) AS archive,
                count(*) FILTER (WHERE source = 3) AS import, max(written_at) AS written
         FROM points GROUP BY 1, 2, 3, 4
         ORDER BY asset COLLATE "C", venue COLLATE "C", kind COLLATE "C", timeframe COLLATE "C"`
      );
      return rows.map((r) => ({
        asset: r.asset!,
        venue: r.venue!,
        kind: r.kind as SeriesKey['kind'],
        timeframe: r.timeframe as SeriesKey['timeframe'],
        meta: {},
        first: Number(r.first),
        last: Number(r.last),
        count: Number(r.n),
        bySource: { rest: Number(r.rest), archive: Number(r.archive), import: Number(r.import) },
        lastWrittenAt: Number(r.written),
      }));
    };
    const t0 = Date.UTC(2024, 0, 25);
    let written = 1000;
    let stepsBack = 0;
    for (let round = 0; round < 40; round++) {
      const batch = keys
        .filter(() => rnd() < 0.7)
        .map((k) => {
          const start = Math.floor(rnd() * 200);
          const len = 1 + Math.floor(rnd() * 60);
          return {
            key: k,
            source: sources[Math.floor(rnd() * 3)],
            // few distinct values, so that many rewrites change nothing
            points: Array.from({ length: len }, (_, i) => ({
              ts: t0 + (start + i) * H,
              value: Math.floor(rnd() * 3),
              volume: rnd() < 0.5 ? null : 1,
              open: rnd() < 0.1,
            })),
          };
        });
      // mostly later write times, sometimes an older one (as `recorder copy` writes)
      const at = rnd() < 0.2 ? written - Math.floor(rnd() * 500) : (written += 10);
      stepsBack += at < written ? 1 : 0;
      await s.write(batch, at);
      expect(await s.listSeries()).toEqual(await counted());
      // a batch replayed as it was changes nothing and leaves the summaries as they are
      expect(await s.write(batch, at + 1)).toBe(0);
    }
    expect(stepsBack).toBeGreaterThan(3);
    expect((await s.listSeries()).map((x) => x.count).reduce((a, b) => a + b, 0)).toBeGreaterThan(300);
    expect(await s.listSeries({ asset: 'ETH' })).toEqual((await counted()).filter((x) => x.asset === 'ETH'));
    // rows deleted by hand: the series marked dirty is counted at read, and recounted by its next write
    await sql(url, `DELETE FROM point_rows WHERE ts < $1`, [t0 + 50 * H]);
    await sql(url, 'UPDATE series_ids SET dirty = true');
    expect(await s.listSeries()).toEqual(await counted());
    await s.write([{ key, source: 'rest', points: [{ ts: t0 + 500 * H, value: 1 }] }], written + 10);
    const [d] = await sql<{ dirty: boolean; n: string }>(
      url,
      "SELECT dirty, n FROM series_ids WHERE asset = 'BTC' AND venue = 'coinbase' AND kind = 'spot'"
    );
    expect(d.dirty).toBe(false);
    expect(await s.listSeries()).toEqual(await counted());
    await s.close();
  });

  it('writes into a plain (not declaratively partitioned) point_rows, as a TimescaleDB hypertable made from it', async () => {
    const url = await fresh();
    await (await openPostgresStore(url)).close();
    await sql(
      url,
      `DROP VIEW points; DROP TABLE point_rows;
       CREATE TABLE point_rows (ts bigint NOT NULL, value double precision NOT NULL, written_at bigint NOT NULL,
         volume double precision, archive_value double precision, series integer NOT NULL, source smallint NOT NULL,
         open boolean NOT NULL DEFAULT false, PRIMARY KEY (series, ts));
       CREATE VIEW points AS SELECT s.asset, s.venue, s.kind, s.timeframe, r.ts, r.value, r.volume, r.source,
         r.written_at, r.open, r.archive_value FROM point_rows r JOIN series_ids s ON s.id = r.series;`
    );
    const s = await openPostgresStore(url);
    const t0 = Date.UTC(2024, 0, 31, 23);
    expect(
      await s.write([
        {
          key,
          source: 'rest',
          points: [
            { ts: t0, value: 1 },
            { ts: t0 + H, value: 2 },
          ],
        },
      ])
    ).toBe(2);
    expect((await s.readPoints(key, 0, t0 + 2 * H)).map((p) => p.value)).toEqual([1, 2]);
    expect(await sql(url, 'SELECT inhrelid FROM pg_inherits')).toEqual([]);
    await s.close();
  });

  it("runs docs/recorder.md's Grafana queries (panel and staleness alert) on the points view as written", async () => {
    const url = await fresh();
    const s = await openPostgresStore(url);
    const now = Date.now();
    const hour = Math.floor(now / H) * H;
    await s.write([
      { key: { ...key, kind: 'openInterest', venue: 'okx' }, source: 'rest', points: [{ ts: hour - 2 * H, value: 5 }] },
      { key: { ...key, kind: 'openInterest', venue: 'bybit' }, source: 'rest', points: [{ ts: hour - H, value: 6 }] },
      { key: { ...key, kind: 'perp', venue: 'okx' }, source: 'rest', points: [{ ts: hour - 5 * H, value: 1 }] },
      { key: { ...key, kind: 'perp', venue: 'bybit' }, source: 'rest', points: [{ ts: hour - H, value: 1 }] },
    ]);
    await s.close();
    const doc = readFileSync(join(__dirname, '../../docs/recorder.md'), 'utf8');
    const section = doc.slice(doc.indexOf("### Grafana's PostgreSQL data source"));
    const queries = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(queries).toHaveLength(2);
    // Grafana's macros, for the last day
    const panel = queries[0]
      .replace('$__unixEpochFrom()', String(Math.floor((now - 24 * H) / 1000)))
      .replace('$__unixEpochTo()', String(Math.floor(now / 1000)));
    const oi = await sql<{ metric: string; value: number }>(url, panel);
    expect(oi.map((r) => [r.metric, r.value])).toEqual([
      ['okx', 5],
      ['bybit', 6],
    ]);
    const stale = await sql<{ metric: string; age_hours: string }>(url, queries[1]);
    const ages = new Map(stale.map((r) => [r.metric, Number(r.age_hours)]));
    expect(ages.get('okx')).toBeCloseTo((now - (hour - 5 * H)) / H, 1);
    expect(ages.get('bybit')).toBeCloseTo((now - (hour - H)) / H, 1);
    expect(ages.size).toBe(2);
  });

  it('encodes arrays in the binary wire format exactly (integers either side of 2^32, doubles, nulls)', async () => {
    const url = await fresh();
    const ints = [0, 1, -1, 2 ** 32, 2 ** 32 - 1, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const dbl = [0.1, -1e-300, 1.7976931348623157e308, null, 5e-324];
    const [r] = await sql<{ i: string[]; d: Array<number | null>; b: boolean[] }>(
      url,
      'SELECT $1::bigint[]::text[] AS i, $2::float8[] AS d, $3::boolean[] AS b',
      [binaryArray('int8', ints), binaryArray('float8', dbl), binaryArray('bool', [true, false])]
    );
    expect(r.i).toEqual(ints.map(String));
    expect(r.d).toEqual(dbl);
    expect(r.b).toEqual([true, false]);
  });

  it('replica series locks: one holder per series, a fair share each, surplus handed back, freed when a holder dies', async () => {
    const url = await fresh();
    const keys: SeriesKey[] = ['coinbase', 'kraken', 'bitstamp', 'okx', 'bybit'].map((venue) => ({ ...key, venue }));
    const ids = keys.map(seriesId);
    const a = new PgSeriesLocks({ url, replicaId: 'a' });
    const b = new PgSeriesLocks({ url, replicaId: 'b' });
    // alone, a takes everything
    expect([...(await a.claim(keys))].sort()).toEqual([...ids].sort());
    // b joins: everything is taken; a, now one of 2, keeps ceil(5 / 2) = 3 but never one being filled
    expect(await b.claim(keys)).toEqual(new Set());
    expect(await a.claim(keys, new Set([ids[4]]))).toEqual(new Set([ids[0], ids[1], ids[2], ids[4]]));
    expect(await b.claim(keys)).toEqual(new Set([ids[3]]));
    expect(await a.claim(keys)).toEqual(new Set([ids[0], ids[1], ids[2]]));
    expect(await b.claim(keys)).toEqual(new Set([ids[3], ids[4]]));
    // the locks are real: a third session cannot take any of them
    const c = new Client({ connectionString: url });
    await c.connect();
    for (const k of keys) {
      const r = await c.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS_SERIES, seriesLockId(k)]);
      expect(r.rows[0].ok).toBe(false);
    }
    await c.end();
    // a goes away: b, alone again, takes everything
    await a.close();
    expect([...(await b.claim(keys))].sort()).toEqual([...ids].sort());
    // a series no longer recorded is handed back
    expect(await b.claim(keys.slice(1))).toEqual(new Set(ids.slice(1)));
    await b.close();
    expect(seriesLockId(key)).not.toBe(seriesLockId({ ...key, timeframe: '1d' }));
    expect(() => new PgSeriesLocks({ url, replicaId: 'bad id!' })).toThrow(/replica id: expected 1-40 letters/);
  });
});
