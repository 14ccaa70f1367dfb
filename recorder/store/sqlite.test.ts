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
import type { RecorderStore } from './types';

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
});
