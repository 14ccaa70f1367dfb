/** @jest-environment node */
/**
 * The PostgreSQL backend against a real, throw-away PostgreSQL 15 server (initdb into a temporary folder, pg_ctl on a
 * free loopback port): the unchanged store contract, plus what only this backend has (monthly partitions created on
 * demand, the upgrade path from schema version 1, a newer database refused, replicas opening a fresh database
 * together without an error, series locks held by one session at a time and released when it dies).
 */
import { Client } from 'pg';
import { storeContract } from './contract';
import { startTestPostgres, type TestPostgres } from './pgtest';
import {
  LOCK_CLASS_SERIES,
  monthPartition,
  openPostgresStore,
  PG_SCHEMA_VERSION,
  PostgresStore,
  seriesLockId,
} from './postgres';
import { PgSeriesLocks, seriesId } from './pglocks';
import type { RecorderStore, SeriesKey } from './types';

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
      name: 'points_p202402',
      from: Date.UTC(2024, 1, 1),
      to: Date.UTC(2024, 2, 1),
    });
    expect(monthPartition(Date.UTC(2024, 11, 31, 23)).to).toBe(Date.UTC(2025, 0, 1));
    expect(monthPartition(5).name).toBe('points_p197001');
  });

  it('stores points in monthly RANGE partitions of one points table, created on demand', async () => {
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
              (SELECT count(*) FROM points p WHERE p.tableoid = c.oid) AS n
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'points'::regclass ORDER BY 1`
    );
    expect(parts.map((p) => [p.name, p.bound, Number(p.n)])).toEqual([
      ['points_p202401', `FOR VALUES FROM ('${Date.UTC(2024, 0, 1)}') TO ('${Date.UTC(2024, 1, 1)}')`, 2],
      ['points_p202402', `FOR VALUES FROM ('${Date.UTC(2024, 1, 1)}') TO ('${Date.UTC(2024, 2, 1)}')`, 3],
    ]);
    const [strategy] = await sql<{ s: string }>(
      url,
      "SELECT partstrat AS s FROM pg_partitioned_table WHERE partrelid = 'points'::regclass"
    );
    expect(strategy.s).toBe('r');
    const [pk] = await sql<{ def: string }>(
      url,
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'points'::regclass AND contype = 'p'"
    );
    expect(pk.def).toBe('PRIMARY KEY (asset, venue, kind, timeframe, ts)');
    expect((await s.readPoints(key, 0, t0 + 10 * H)).map((p) => p.value)).toEqual([0, 1, 2, 3, 4]);
    await s.close();
    await s2.close();
  });

  it('opens a version-1 database written by an older recorder and upgrades it, keeping its points', async () => {
    const url = await fresh();
    const old = await openPostgresStore(url, { targetVersion: 1 });
    expect(await old.schemaVersion()).toBe(1);
    await old.write([{ key, source: 'rest', points: [{ ts: 5, value: 7 }] }]);
    await old.close();
    const tables = await sql<{ t: string }>(
      url,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('coverage', 'archive_files')"
    );
    expect(tables).toEqual([]);
    await expect(openPostgresStore(url, { readonly: true })).rejects.toThrow(/schema version 1 needs an upgrade to 2/);
    const s = await openPostgresStore(url);
    expect(await s.schemaVersion()).toBe(PG_SCHEMA_VERSION);
    expect((await s.readPoints(key, 0, 10)).map((p) => p.value)).toEqual([7]);
    await s.write([{ key, source: 'rest', points: [], cover: [0, 10] }]);
    expect(await s.coverage(key, 'rest')).toEqual([[0, 10]]);
    await s.close();
    const versions = await sql<{ version: number }>(url, 'SELECT version FROM recorder_schema ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    // read-only opening of an up-to-date database works and cannot write
    const ro = await openPostgresStore(url, { readonly: true });
    expect((await ro.readPoints(key, 0, 10)).map((p) => p.value)).toEqual([7]);
    await expect(ro.write([{ key, source: 'rest', points: [{ ts: 6, value: 1 }] }])).rejects.toThrow(/read-only/);
    await ro.close();
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
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
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
