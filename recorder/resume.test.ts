/** @jest-environment node */
/**
 * Kill and resume: a real `recorder backfill` child process is killed with SIGKILL in the middle of its work (once a
 * third of the points are in the database), then the same command is run again to the end. The database must then
 * equal, row for row, one written by an uninterrupted run (write times aside). The mock exchange server runs in this
 * process; the children reach it over loopback.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMockServer, type MockServer } from '../mock/server';

const ROOT = resolve(__dirname, '..');
let srv: MockServer;
let dir: string;

beforeAll(async () => {
  srv = await startMockServer({ port: 0, latencyMs: 15 });
  dir = mkdtempSync(join(tmpdir(), 'recorder-resume-'));
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

const args = (db: string) => [
  '--import',
  'tsx',
  'recorder/cli.ts',
  'backfill',
  '--db',
  db,
  '--from',
  '2024-10-01',
  '--to',
  '2025-01-31',
  '--timeframes',
  '1h',
  '--venues',
  'coinbase,binanceusdm,bybit',
  '--base-url',
  srv.url,
  '--sources',
  'rest',
  '--chunk-bars',
  '200',
  '--timeout',
  '60',
];

/** Runs the backfill in a child process; `killWhen(db)` is polled and SIGKILLs the child when it returns true. */
function runChild(
  db: string,
  killWhen?: () => boolean
): Promise<{ code: number | null; signal: string | null; err: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args(db), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    let timer: NodeJS.Timeout | undefined;
    if (killWhen) {
      timer = setInterval(() => {
        if (killWhen()) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 10);
    }
    child.on('error', rej);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      res({ code, signal, err });
    });
  });
}

function countPoints(db: string): number {
  if (!existsSync(db)) {
    return 0;
  }
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return Number((d.prepare('SELECT count(*) AS n FROM points').get() as { n: number }).n);
    } finally {
      d.close();
    }
  } catch {
    return 0; // not created yet, or the schema is being written
  }
}

function dump(db: string) {
  const d = new Database(db, { readonly: true });
  try {
    return {
      points: d
        .prepare(
          'SELECT asset, venue, kind, timeframe, ts, value, volume, source, open, archive_value FROM points ORDER BY asset, venue, kind, timeframe, ts'
        )
        .all(),
      series: d
        .prepare(
          'SELECT asset, venue, kind, timeframe, quote, unit, interval_hours, pair, symbol FROM series ORDER BY 1, 2, 3, 4'
        )
        .all(),
      coverage: d.prepare('SELECT * FROM coverage ORDER BY 1, 2, 3, 4, 5, 6').all(),
    };
  } finally {
    d.close();
  }
}

test('a backfill killed with SIGKILL mid-way and run again equals an uninterrupted one, row for row', async () => {
  const ref = join(dir, 'ref.db');
  const full = await runChild(ref);
  expect({ code: full.code, err: full.code ? full.err : '' }).toEqual({ code: 0, err: '' });
  const expected = dump(ref);
  const total = expected.points.length;
  expect(total).toBeGreaterThan(5000);

  const db = join(dir, 'killed.db');
  let seen = 0;
  const killed = await runChild(db, () => {
    seen = countPoints(db);
    return seen >= total / 3;
  });
  expect(killed.signal).toBe('SIGKILL');
  const atKill = countPoints(db);
  expect(atKill).toBeGreaterThan(0);
  expect(atKill).toBeLessThan(total);

  srv.resetStats();
  const rerun = await runChild(db);
  expect({ code: rerun.code, err: rerun.code ? rerun.err : '' }).toEqual({ code: 0, err: '' });
  // the rerun asked only for what was missing: fewer data requests than the whole backfill needs
  const got = dump(db);
  expect(got.points).toHaveLength(total);
  expect(got.points).toEqual(expected.points);
  expect(got.series).toEqual(expected.series);
  expect(got.coverage).toEqual(expected.coverage);
  expect(srv.stats().total).toBeGreaterThan(0);
}, 300_000);
