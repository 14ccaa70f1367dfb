/** @jest-environment node */
/**
 * The SQLite backend: the store contract, plus what only this backend has (one file in WAL mode, the schema upgrade
 * path from version 1, a newer database refused with a clear error, a non-recorder file refused).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from './contract';
import { openSqliteStore, SQLITE_SCHEMA_VERSION, SqliteStore } from './sqlite';
import { prng } from '../../src/core/testutil';
import { readSeriesColumns, type PointSource, type RecorderStore, type SeriesKey, type SeriesSummary } from './types';

/** listSeries' figures counted directly from the points table, by a second connection: the reference. */
function directSummaries(file: string): Array<Omit<SeriesSummary, 'meta'>> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT asset, venue, kind, timeframe, min(ts) AS first, max(ts) AS last, count(*) AS count,
           count(*) FILTER (WHERE source = 1) AS rest, count(*) FILTER (WHERE source = 2) AS archive,
           count(*) FILTER (WHERE source = 3) AS import, max(written_at) AS lastWrittenAt
         FROM points GROUP BY asset, venue, kind, timeframe ORDER BY asset, venue, kind, timeframe`
      )
      .all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      asset: r.asset as string,
      venue: r.venue as string,
      kind: r.kind as SeriesKey['kind'],
      timeframe: r.timeframe as SeriesKey['timeframe'],
      first: r.first as number,
      last: r.last as number,
      count: r.count as number,
      bySource: { rest: r.rest as number, archive: r.archive as number, import: r.import as number },
      lastWrittenAt: r.lastWrittenAt as number,
    }));
  } finally {
    db.close();
  }
}

const withoutMeta = (list: SeriesSummary[]) => list.map(({ meta: _meta, ...rest }) => rest);

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'recorder-sqlite-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

storeContract('sqlite', async () => openSqliteStore(join(dir, `c${n++}.db`)), {
  schemaVersion: SQLITE_SCHEMA_VERSION,
  reopen: async (s: RecorderStore) => {
    const file = (s as SqliteStore).file;
    await s.close();
    return openSqliteStore(file);
  },
});

describe('sqlite specifics', () => {
  it('uses WAL and WITHOUT ROWID tables keyed by (asset, venue, kind, timeframe, ts)', async () => {
    const file = join(dir, 'wal.db');
    const s = await openSqliteStore(file);
    await s.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const sql = String(
      (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'points'").get() as { sql: string }).sql
    );
    expect(sql).toMatch(/PRIMARY KEY \(asset, venue, kind, timeframe, ts\)/);
    expect(sql).toMatch(/WITHOUT ROWID/);
    db.close();
  });

  it('opens a version-1 database written by an older recorder and upgrades it, keeping its points', async () => {
    const file = join(dir, 'old.db');
    const old = await openSqliteStore(file, { targetVersion: 1 });
    expect(await old.schemaVersion()).toBe(1);
    // version 1 had no coverage table: write points only
    await old.write([
      {
        key: { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1d' },
        source: 'rest',
        points: [{ ts: 5, value: 7 }],
      },
    ]);
    await old.close();
    // read-only opening cannot upgrade: clear error
    await expect(openSqliteStore(file, { readonly: true })).rejects.toThrow(/schema version 1 needs an upgrade to/);
    const s = await openSqliteStore(file);
    expect(await s.schemaVersion()).toBe(SQLITE_SCHEMA_VERSION);
    const key = { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1d' } as const;
    expect((await s.readPoints(key, 0, 10)).map((p) => p.value)).toEqual([7]);
    await s.write([{ key, source: 'rest', points: [], cover: [0, 10] }]);
    expect(await s.coverage(key, 'rest')).toEqual([[0, 10]]);
    await s.close();
  });

  it('refuses a database from a newer recorder with a clear error and leaves it unchanged', async () => {
    const file = join(dir, 'new.db');
    const s = await openSqliteStore(file);
    await s.close();
    const db = new Database(file);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openSqliteStore(file)).rejects.toThrow(
      new RegExp(
        `schema version ${SQLITE_SCHEMA_VERSION + 1} is newer than this recorder supports \\(${SQLITE_SCHEMA_VERSION}\\)`
      )
    );
    const again = new Database(file, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION + 1);
    again.close();
  });

  it('refuses a file that is not a recorder database', async () => {
    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    await expect(openSqliteStore(other)).rejects.toThrow(/not a recorder database/);
    const text = join(dir, 'text.db');
    writeFileSync(
      text,
      'hello, this is not sqlite at all, just some text that is long enough to be a header\n'.repeat(10)
    );
    await expect(openSqliteStore(text)).rejects.toThrow(/not a recorder database|cannot open database/);
    await expect(openSqliteStore(join(dir, 'missing.db'), { readonly: true })).rejects.toThrow(/cannot open database/);
  });

  it('keeps the per-series summary equal to direct counts through mixed upserts, overwrites, no-op rewrites and deletes', async () => {
    const file = join(dir, 'summary.db');
    const s = await openSqliteStore(file);
    const H = 3_600_000;
    const keys: SeriesKey[] = [
      { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1h' },
      { asset: 'BTC', venue: 'binance', kind: 'spot', timeframe: '1h' },
      { asset: 'ETH', venue: 'okx', kind: 'funding', timeframe: '*' },
    ];
    const sources: PointSource[] = ['rest', 'archive', 'import'];
    const rnd = prng(11);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    let clock = 1_000;
    // the last batch written, unless it held one time twice (then a rerun re-applies both values)
    let last: [Parameters<typeof s.write>[0], number] | null = null;
    for (let step = 0; step < 120; step++) {
      const key = pick(keys);
      const source = pick(sources);
      // hours 0..199: batches overlap earlier ones (overwrites, REST over archive, archive beside REST)
      const start = Math.floor(rnd() * 180);
      const len = 1 + Math.floor(rnd() * 40);
      const points = Array.from({ length: len }, (_, i) => ({
        ts: (start + i) * H,
        // few distinct values so that many rewrites are no-ops
        value: 1 + Math.floor(rnd() * 3),
        volume: key.kind === 'spot' ? 10 : null,
      }));
      if (rnd() < 0.2) {
        points.reverse(); // out of order
      }
      const twice = rnd() < 0.2;
      if (twice) {
        points.push({ ...points[0], value: points[0].value + 1 }); // one time twice in a batch
      }
      // mostly later write times, sometimes an older one (as `copy` writes the source's write times)
      clock += rnd() < 0.15 ? -Math.floor(rnd() * 500) : 1 + Math.floor(rnd() * 100);
      if (last && rnd() < 0.3) {
        // the same batch again: changes nothing
        expect(await s.write(last[0], last[1])).toBe(0);
      } else {
        const batch = [{ key, source, points }];
        await s.write(batch, clock);
        last = twice ? null : [batch, clock];
      }
      if (step % 40 === 19) {
        // updates by hand: a point's source, another's time, and points moved to a series of their own
        const db = new Database(file);
        db.prepare('UPDATE points SET source = 3 WHERE kind = ? AND ts >= ? AND ts < ?').run(key.kind, 50 * H, 60 * H);
        db.prepare('UPDATE points SET ts = ts + 500 WHERE kind = ? AND ts = ?').run(key.kind, 70 * H);
        db.prepare("UPDATE points SET venue = 'kraken' WHERE venue = 'binance' AND ts < ?").run((step / 4) * H);
        db.close();
        last = null;
      }
      if (step % 40 === 39) {
        // a trim by hand (docs: retention), beside the store
        const db = new Database(file);
        db.prepare('DELETE FROM points WHERE kind = ? AND ts < ?').run(key.kind, 20 * H);
        db.close();
        last = null;
      }
      if (step % 10 === 9) {
        // a read-only reader (status, export) sees the same as the writer and the direct counts
        const ro = await openSqliteStore(file, { readonly: true });
        expect(withoutMeta(await ro.listSeries())).toEqual(directSummaries(file));
        await ro.close();
        expect(withoutMeta(await s.listSeries())).toEqual(directSummaries(file));
      }
    }
    const direct = directSummaries(file);
    // the 3 written series, and the one the updates by hand made (binance's first hours moved to kraken)
    expect(direct.map((d) => d.venue).sort()).toEqual(['binance', 'binanceusdm', 'kraken', 'okx']);
    // the mix covered every source (the updates by hand turned some into imports)
    for (const src of ['rest', 'archive', 'import'] as const) {
      expect(direct.filter((d) => d.bySource[src] > 0).length).toBeGreaterThan(1);
    }
    expect(withoutMeta(await s.listSeries())).toEqual(direct);
    expect(withoutMeta(await s.listSeries({ asset: 'ETH' }))).toEqual(direct.filter((d) => d.asset === 'ETH'));
    // an older write time over every row of the latest write (as `copy` does): the last write time goes back
    const k0 = keys[0];
    const all = await s.readPoints(k0, 0, 1e15);
    await s.write([{ key: k0, source: 'import', points: all.map((p) => ({ ts: p.ts, value: p.value + 100 })) }], 5);
    expect(directSummaries(file).find((d) => d.venue === k0.venue)?.lastWrittenAt).toBe(5);
    expect(withoutMeta(await s.listSeries())).toEqual(directSummaries(file));
    // every point of one series deleted by hand: the series leaves the list
    const beforeDelete = directSummaries(file);
    const db = new Database(file);
    db.prepare("DELETE FROM points WHERE asset = 'ETH'").run();
    db.close();
    expect(withoutMeta(await s.listSeries())).toEqual(beforeDelete.filter((d) => d.asset !== 'ETH'));
    expect(withoutMeta(await s.listSeries())).toEqual(directSummaries(file));
    await s.close();
  });

  it('builds the summary of a version-2 database when it opens it', async () => {
    const file = join(dir, 'v2.db');
    const old = await openSqliteStore(file, { targetVersion: 2 });
    const K = { asset: 'BTC', venue: 'bybit', kind: 'perp', timeframe: '4h' } as const;
    const F = { asset: 'BTC', venue: 'bybit', kind: 'funding', timeframe: '*' } as const;
    await old.write([{ key: K, source: 'archive', points: [1, 2, 3].map((i) => ({ ts: i * 1000, value: i })) }], 50);
    await old.write([{ key: K, source: 'rest', points: [{ ts: 2000, value: 9 }] }], 60);
    await old.write([{ key: F, source: 'import', points: [{ ts: 7, value: 0.1 }] }], 40);
    await old.close();
    const s = await openSqliteStore(file);
    expect(await s.schemaVersion()).toBe(SQLITE_SCHEMA_VERSION);
    const list = withoutMeta(await s.listSeries());
    expect(list).toEqual(directSummaries(file));
    expect(list).toEqual([
      {
        ...F,
        first: 7,
        last: 7,
        count: 1,
        bySource: { rest: 0, archive: 0, import: 1 },
        lastWrittenAt: 40,
      },
      {
        ...K,
        first: 1000,
        last: 3000,
        count: 3,
        bySource: { rest: 1, archive: 2, import: 0 },
        lastWrittenAt: 60,
      },
    ]);
    // and it is kept from then on
    await s.write([{ key: K, source: 'rest', points: [{ ts: 4000, value: 4 }] }], 70);
    expect(withoutMeta(await s.listSeries({ asset: 'BTC' }))[1]).toMatchObject({
      count: 4,
      last: 4000,
      lastWrittenAt: 70,
    });
    // a new series whose first batch holds one time twice (two writes of one row) and out of order
    const S = { asset: 'SOL', venue: 'bybit', kind: 'perp', timeframe: '4h' } as const;
    const dup = [3000, 1000, 3000].map((ts, i) => ({ ts, value: i }));
    expect(await s.write([{ key: S, source: 'rest', points: dup }], 80)).toBe(3);
    expect(withoutMeta(await s.listSeries({ asset: 'SOL' }))).toEqual(
      directSummaries(file).filter((d) => d.asset === 'SOL')
    );
    expect((await s.listSeries({ asset: 'SOL' }))[0].count).toBe(2);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM series_summary').get()).toEqual({ n: 3 });
    db.close();
    await s.close();
  });

  it('reads columns equal to readValues rows: gaps, off-grid times, volumes some null or none, empty ranges', async () => {
    const s = await openSqliteStore(join(dir, 'columns.db'));
    const spot: SeriesKey = { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1h' };
    const oi: SeriesKey = { asset: 'BTC', venue: 'okx', kind: 'openInterest', timeframe: '1h' };
    const H = 3_600_000;
    const rnd = prng(5);
    const pts = Array.from({ length: 500 }, (_, i) => ({
      ts: i * H + (i % 97 === 0 ? 1234 : 0), // a few off the grid
      value: 100 + rnd() * 10,
      volume: i % 7 === 0 ? null : rnd() * 1e6,
    })).filter((_, i) => i % 11 !== 3); // gaps
    await s.write([
      { key: spot, source: 'rest', points: pts },
      { key: oi, source: 'archive', points: pts.map((p) => ({ ts: p.ts, value: p.value })) },
    ]);
    for (const key of [spot, oi]) {
      for (const [from, to] of [
        [0, 1e15],
        [10 * H, 40 * H + 1],
        [96 * H, 98 * H],
        [600 * H, 700 * H],
      ]) {
        const rows = await s.readValues(key, from, to);
        const cols = await s.readColumns(key, from, to);
        expect(cols.ts).toEqual(rows.map((r) => r[0]));
        expect(cols.value).toEqual(rows.map((r) => r[1]));
        const vols = rows.map((r) => r[2]);
        expect(cols.volume).toEqual(vols.some((v) => v !== null) ? vols : null);
        // the fallback for a backend without readColumns gives the same
        expect(await readSeriesColumns({ readValues: s.readValues.bind(s) }, key, from, to)).toEqual(cols);
      }
    }
    expect((await s.readColumns(spot, 0, 1e15)).ts.length).toBe(pts.length);
    expect((await s.readColumns(oi, 0, 1e15)).volume).toBeNull();
    await s.close();
  });
});

describe('past blocks as columns (point_blocks)', () => {
  const H = 3_600_000;
  const key: SeriesKey = { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1h' };
  const oi: SeriesKey = { asset: 'BTC', venue: 'okx', kind: 'openInterest', timeframe: '1h' };

  /** The points of [from, to) read by a second connection straight from `points`: the reference. */
  function direct(file: string, k: SeriesKey, from: number, to: number) {
    const db = new Database(file, { readonly: true });
    try {
      const rows = db
        .prepare(
          `SELECT ts, value, volume FROM points WHERE asset = ? AND venue = ? AND kind = ? AND timeframe = ?
             AND ts >= ? AND ts < ? ORDER BY ts`
        )
        .raw(true)
        .all(k.asset, k.venue, k.kind, k.timeframe, from, to) as Array<[number, number, number | null]>;
      const volume = rows.map((r) => r[2]);
      return {
        ts: rows.map((r) => r[0]),
        value: rows.map((r) => r[1]),
        volume: volume.some((v) => v !== null) ? volume : null,
      };
    } finally {
      db.close();
    }
  }

  const blockCount = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM point_blocks').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('equal the rows through reads, rewrites and changes made by hand; the current block is never cached', async () => {
    const file = join(dir, 'blocks.db');
    const s = await openSqliteStore(file);
    const rnd = prng(11);
    // 200 days of hourly points up to the current hour (about 8 blocks, the last one the current block), with gaps,
    // a few off the grid, some volumes missing; OI without volumes
    const end = Math.floor(Date.now() / H) * H;
    const start = end - 200 * 24 * H;
    const pts = [];
    for (let t = start; t <= end; t += H) {
      if (rnd() < 0.05) {
        continue;
      }
      pts.push({
        ts: t + (rnd() < 0.01 ? 1234 : 0),
        value: 50_000 + rnd() * 1000,
        volume: rnd() < 0.1 ? null : rnd() * 1e6,
      });
    }
    await s.write([
      { key, source: 'rest', points: pts },
      { key: oi, source: 'archive', points: pts.map((p) => ({ ts: p.ts, value: p.value * 1e3 })) },
    ]);
    expect(blockCount(file)).toBe(0);
    const ranges: Array<[number, number]> = [
      [0, 1e15],
      [start, end + 1],
      [start + 17 * H + 5, start + 90 * 24 * H],
      [start + 40 * 24 * H, start + 41 * 24 * H],
      [end - 30 * 24 * H, end + H],
      // inside a cached block, between two points: no point, so no volumes either
      [pts[300].ts + 1, pts[301].ts],
    ];
    for (let i = 0; i < 20; i++) {
      const a = start + Math.floor(rnd() * 210 * 24) * H - 5 * 24 * H;
      ranges.push([a, a + Math.floor(rnd() * 100 * 24) * H + 1]);
    }
    const check = async (store: SqliteStore = s) => {
      for (const k of [key, oi]) {
        for (const [from, to] of ranges) {
          expect([k.kind, from, to, await store.readColumns(k, from, to)]).toEqual([
            k.kind,
            from,
            to,
            direct(file, k, from, to),
          ]);
        }
      }
    };
    await check(); // reads and caches the past blocks
    const firstBlock = Math.floor(start / 2 ** 31);
    const current = Math.floor(Date.now() / 2 ** 31);
    expect(blockCount(file)).toBe(2 * (current - firstBlock));
    await check(); // from the blocks now
    // a rewrite through the store in a cached block: that block is dropped and read again from the rows
    const old = pts[100];
    await s.write([{ key, source: 'rest', points: [{ ts: old.ts, value: 1, volume: 2 }] }]);
    expect(blockCount(file)).toBe(2 * (current - firstBlock) - 1);
    await check();
    expect((await s.readColumns(key, old.ts, old.ts + 1)).value).toEqual([1]);
    // changes by hand, through another connection: an update, a delete, an insert into a gap
    const db = new Database(file);
    db.prepare('UPDATE points SET value = 7 WHERE venue = ? AND ts = ?').run('coinbase', pts[500].ts);
    db.prepare('DELETE FROM points WHERE venue = ? AND ts = ?').run('okx', pts[900].ts);
    db.prepare(
      `INSERT INTO points (asset, venue, kind, timeframe, ts, value, volume, source, written_at)
       VALUES ('BTC', 'coinbase', 'spot', '1h', ?, 3, NULL, 3, 0)`
    ).run(pts[1500].ts + 1);
    db.close();
    await check();
    expect((await s.readColumns(key, pts[500].ts, pts[500].ts + 1)).value).toEqual([7]);
    // a read-only store uses the blocks the writer cached, and caches nothing itself
    const before = blockCount(file);
    const ro = await openSqliteStore(file, { readonly: true });
    const db2 = new Database(file);
    db2.prepare('DELETE FROM point_blocks WHERE venue = ?').run('okx');
    db2.close();
    await check(ro);
    expect(blockCount(file)).toBe(before - (current - firstBlock));
    await ro.close();
    // while another writer holds the lock, a read answers from the rows without waiting, and caches nothing
    const locker = new Database(file);
    locker.exec('BEGIN IMMEDIATE');
    const t0 = Date.now();
    await check();
    expect(Date.now() - t0).toBeLessThan(4000); // the busy timeout (5 s) was not waited for
    expect(blockCount(file)).toBe(before - (current - firstBlock));
    locker.exec('ROLLBACK');
    locker.close();
    await check();
    expect(blockCount(file)).toBe(2 * (current - firstBlock));
    // ahead of reads (after a backfill or import, and hourly in run): every past block not cached yet, once
    const wipe = new Database(file);
    wipe.prepare('DELETE FROM point_blocks WHERE block % 2 = 0').run();
    wipe.close();
    const left = blockCount(file);
    expect(await s.cachePastBlocks()).toBe(2 * (current - firstBlock) - left);
    expect(await s.cachePastBlocks()).toBe(0);
    // a point added by hand to a cached block (inserts fire no trigger): its count differs, so a read uses its rows
    // and caches it again, and so does cachePastBlocks
    const addByHand = (ts: number) => {
      const db3 = new Database(file);
      db3
        .prepare(
          `INSERT INTO points (asset, venue, kind, timeframe, ts, value, volume, source, written_at)
           VALUES ('BTC', 'okx', 'openInterest', '1h', ?, 5, NULL, 3, 0)`
        )
        .run(ts);
      db3.close();
    };
    addByHand(pts[1200].ts + 7);
    await check();
    expect(await s.cachePastBlocks()).toBe(0);
    addByHand(pts[2400].ts + 7);
    expect(await s.cachePastBlocks()).toBe(1);
    expect(blockCount(file)).toBe(2 * (current - firstBlock));
    await check();
    // a damaged block (its arrays shorter than its count) is ignored and built again
    const db4 = new Database(file);
    db4.prepare("UPDATE point_blocks SET value = x'00' WHERE venue = 'coinbase' AND block = ?").run(firstBlock + 1);
    db4.close();
    await check();
    expect(blockCount(file)).toBe(2 * (current - firstBlock));
    expect(await s.cachePastBlocks()).toBe(0);
    // a time that is not a whole millisecond cannot be an offset: its block stays uncached, read from the rows
    await s.write([{ key, source: 'import', points: [{ ts: pts[600].ts + 0.5, value: 9 }] }]);
    await check();
    expect(blockCount(file)).toBe(2 * (current - firstBlock) - 1);
    await s.close();
  });
});

describe('the series summary and updates', () => {
  it("this store's own overwrites of a source leave the summary clean; the same update by hand marks it dirty", async () => {
    const file = join(dir, 'dirty.db');
    const s = await openSqliteStore(file);
    const k: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1h' };
    const H = 3_600_000;
    await s.write([{ key: k, source: 'archive', points: [1, 2, 3].map((i) => ({ ts: i * H, value: i })) }], 10);
    // REST over two archive points: their source changes (the update trigger fires), and write() counts it itself
    await s.write([{ key: k, source: 'rest', points: [2, 3].map((i) => ({ ts: i * H, value: i + 0.5 })) }], 20);
    const dirty = () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT dirty FROM series_summary').pluck().get() as number) === 1;
      } finally {
        db.close();
      }
    };
    expect(dirty()).toBe(false);
    expect(withoutMeta(await s.listSeries())).toEqual(directSummaries(file));
    expect((await s.listSeries())[0].bySource).toEqual({ rest: 2, archive: 1, import: 0 });
    const db = new Database(file);
    db.prepare('UPDATE points SET source = 3 WHERE ts = ?').run(H);
    db.close();
    expect(dirty()).toBe(true);
    expect((await s.listSeries())[0].bySource).toEqual({ rest: 2, archive: 0, import: 1 });
    expect(dirty()).toBe(false); // recounted and stored by the writer
    await s.close();
  });
});
