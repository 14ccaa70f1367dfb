/**
 * Recorder benchmark, PostgreSQL backend beside SQLite on the same data (30 hourly series × 4 years = 1,051,200
 * points): insert points/s, reading one year of hourly bars for the 30 series, on-disk bytes per million points, and
 * API reads/s (GET /api/v1/bundle, BTC 1h, 7 days) with 1, 2 and 3 API processes on one local PostgreSQL server
 * against 1 process on the SQLite file. The server is a throw-away cluster (recorder/store/pgtest.ts) with default
 * durability settings. Target: PostgreSQL within 3× of SQLite for a single process.
 *
 * Run alone: `npx tsx bench/recorder-postgres.ts`; in the suite: `npm run bench`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { havePostgres, startTestPostgres } from '../recorder/store/pgtest';
import { openPostgresStore, type PostgresStore } from '../recorder/store/postgres';
import { openSqliteStore } from '../recorder/store/sqlite';
import type { RecorderStore, SeriesKey } from '../recorder/store/types';
import { apiReads, startApi } from './recorder-api';
import { bestOf, H, storeBatches, T0, thirtyKeys, YEAR_H } from './recorder-data';

async function storeFigures(store: RecorderStore, keys: SeriesKey[]) {
  let points = 0;
  const insert = await bestOf(1, async () => {
    for (const b of storeBatches(keys)) {
      points += await store.write(b);
    }
  });
  let read = 0;
  const rows = await bestOf(5, async () => {
    read = 0;
    for (const key of keys) {
      read += (await store.readValues(key, T0, T0 + YEAR_H * H)).length;
    }
  });
  // the same read as one multi-series call (PostgreSQL: one statement; SQLite has none: NaN)
  let readManyMs = NaN;
  const readMany = store.readManyColumns?.bind(store);
  if (readMany) {
    const ranges = keys.map((key) => ({ key, from: T0, to: T0 + YEAR_H * H }));
    readManyMs = (
      await bestOf(5, async () => {
        const cols = await readMany(ranges);
        if (cols.reduce((a, c) => a + c.ts.length, 0) !== read) {
          throw new Error('readManyColumns read a different number of points than readValues');
        }
      })
    ).wallMs;
  }
  return {
    points,
    insertPerSec: Math.round(points / (insert.wallMs / 1000)),
    read,
    readMs: rows.wallMs,
    readManyMs,
  };
}

export async function benchRecorderPostgres(): Promise<Record<string, number | string>> {
  if (!havePostgres()) {
    return { skipped: 'PostgreSQL 15 binaries not found (PG_BIN)' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-recorder-pg-'));
  const pg = await startTestPostgres();
  const procs: ChildProcess[] = [];
  try {
    const keys = thirtyKeys();
    const file = join(dir, 'bench.db');
    const lite = await openSqliteStore(file);
    const l = await storeFigures(lite, keys);
    await lite.close();
    const liteBytes = statSync(file).size;

    const url = await pg.createDatabase('bench');
    const store: PostgresStore = await openPostgresStore(url);
    const p = await storeFigures(store, keys);
    await store.pool.query('VACUUM ANALYZE point_rows, series_ids');
    const pgBytes = await store.pointsBytes();
    await store.close();

    const dur = 5000;
    const liteApi = await startApi(file);
    procs.push(liteApi.proc);
    const liteReads = await apiReads([liteApi.url], dur);
    const liteSeries = await apiReads([liteApi.url], 3000, 3, '/api/v1/series');
    liteApi.proc.kill('SIGTERM');
    const pgReads: number[] = [];
    let pgSeries = 0;
    let pgHealth = 0;
    const urls: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const a = await startApi(url);
      procs.push(a.proc);
      urls.push(a.url);
      pgReads.push(await apiReads(urls, dur));
      if (n === 1) {
        pgSeries = await apiReads(urls, 3000, 3, '/api/v1/series');
        pgHealth = await apiReads(urls, 3000, 3, '/api/v1/health');
      }
    }
    return {
      'points written (30 series x 4 years 1h)': p.points,
      'sqlite insert points/s': l.insertPerSec,
      'postgres insert points/s': p.insertPerSec,
      'postgres / sqlite insert rate (target >= 0.33)': Number((p.insertPerSec / l.insertPerSec).toFixed(2)),
      'sqlite read 30 series x 1 year 1h, ms': Number(l.readMs.toFixed(1)),
      'postgres read 30 series x 1 year 1h, ms': Number(p.readMs.toFixed(1)),
      'postgres / sqlite read time (target <= 3)': Number((p.readMs / l.readMs).toFixed(2)),
      'postgres read of the same as one readManyColumns, ms': Number(p.readManyMs.toFixed(1)),
      'sqlite MB per million points (file)': Number((((liteBytes / p.points) * 1e6) / 1e6).toFixed(1)),
      'postgres MB per million points (partitions + indexes)': Number((((pgBytes / p.points) * 1e6) / 1e6).toFixed(1)),
      'API bundle reads/s (BTC 1h 7 days), sqlite 1 process': Number(liteReads.toFixed(1)),
      'API bundle reads/s, postgres 1 replica': Number(pgReads[0].toFixed(1)),
      'API bundle reads/s, postgres 2 replicas': Number(pgReads[1].toFixed(1)),
      'API bundle reads/s, postgres 3 replicas (2 CPU cores)': Number(pgReads[2].toFixed(1)),
      'postgres 1 replica / sqlite API reads (target >= 0.33)': Number((pgReads[0] / liteReads).toFixed(2)),
      'API /api/v1/series reads/s, sqlite 1 process': Number(liteSeries.toFixed(1)),
      'API /api/v1/series reads/s, postgres 1 replica': Number(pgSeries.toFixed(1)),
      'API /api/v1/health reads/s, postgres 1 replica': Number(pgHealth.toFixed(1)),
    };
  } finally {
    for (const c of procs) {
      if (c.exitCode === null) {
        c.kill('SIGKILL');
      }
    }
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchRecorderPostgres().then(
    (f) => {
      for (const [k, v] of Object.entries(f)) {
        process.stdout.write(`${k.padEnd(56)} ${v}\n`);
      }
    },
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    }
  );
}
