/** @jest-environment node */
/**
 * `recorder copy`: an SQLite store with every kind of row (REST, archive, import, archive values beside REST points,
 * open snapshots, several write times, covered ranges, archive file records) is copied into a real PostgreSQL server
 * and from there into a second SQLite file through the CLI; every series must read back identical, field by field,
 * and a second copy over a complete one changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli';
import { copyStore } from './copy';
import { startTestPostgres, type TestPostgres } from './store/pgtest';
import { openRecorderStore } from './store/open';
import { POINT_SOURCES, type RecorderStore, type SeriesKey } from './store/types';

jest.setTimeout(60_000);

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 30);
let pg: TestPostgres;
let dir: string;

beforeAll(async () => {
  pg = await startTestPostgres({ fsync: 'off' });
  dir = mkdtempSync(join(tmpdir(), 'recorder-copy-'));
});
afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const K: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1h' };
const S: SeriesKey = { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1h' };
const F: SeriesKey = { asset: 'ETH', venue: 'okx', kind: 'funding', timeframe: '*' };

async function fill(s: RecorderStore): Promise<void> {
  // 60 000 hourly archive points (several read windows, several months), REST over part of them
  const archive = Array.from({ length: 60_000 }, (_, i) => ({ ts: T0 + i * H, value: 1000 + (i % 97) * 0.5 }));
  await s.write(
    [{ key: K, meta: { unit: 'base' }, source: 'archive', points: archive, cover: [T0, T0 + 60_000 * H] }],
    11
  );
  await s.write([{ key: K, source: 'rest', points: [0, 1, 2].map((i) => ({ ts: T0 + i * H, value: 2000 + i })) }], 22);
  await s.write([{ key: K, source: 'rest', points: [{ ts: T0 + 60_000 * H, value: 5, open: true }] }], 33);
  await s.write(
    [
      {
        key: S,
        meta: { quote: 'USD', symbol: 'BTC/USD' },
        source: 'rest',
        points: [0, 1, 5].map((i) => ({ ts: T0 + i * H, value: 40_000 + i, volume: i ? 1e6 * i : null })),
        cover: [T0, T0 + 6 * H],
      },
    ],
    44
  );
  await s.write([{ key: S, source: 'import', points: [{ ts: T0 + H, value: 39_999.5, volume: 7 }] }], 55);
  await s.write([{ key: S, source: 'archive', points: [{ ts: T0 + H, value: 39_998 }] }], 66);
  await s.write([{ key: F, meta: { intervalHours: 8 }, source: 'import', points: [{ ts: T0, value: 0.0001 }] }], 77);
  await s.write([{ key: F, source: 'rest', points: [], cover: [0, 10] }], 78);
  await s.recordArchiveFile({
    path: '/a.zip',
    sha256: 'ab'.repeat(32),
    status: 'ok',
    rows: 288,
    notice: null,
    fetchedAt: 9,
  });
  await s.recordArchiveFile({ path: '/b.zip', sha256: null, status: 'missing', rows: 0, notice: '404', fetchedAt: 10 });
}

async function dump(s: RecorderStore) {
  const out: unknown[] = [];
  for (const x of await s.listSeries()) {
    const key = { asset: x.asset, venue: x.venue, kind: x.kind, timeframe: x.timeframe };
    const cov: unknown[] = [];
    for (const src of POINT_SOURCES) {
      cov.push(await s.coverage(key, src));
    }
    out.push({ ...x, points: await s.readPoints(key, -1e15, 1e15), cov });
  }
  return { series: out, files: await s.listArchiveFiles() };
}

test('SQLite -> PostgreSQL -> SQLite keeps every row, meta, coverage and archive record; a rerun changes nothing', async () => {
  const a = await openRecorderStore(join(dir, 'a.db'));
  await fill(a);
  const want = await dump(a);
  await a.close();
  // sanity of the fixture: the rows the copy must reproduce
  const k = (
    want.series as Array<{ kind: string; points: Array<{ source: string; archiveValue: number | null }> }>
  ).find((x) => x.kind === 'openInterest')!;
  expect(k.points).toHaveLength(60_001);
  expect(k.points.slice(0, 3).map((p) => [p.source, p.archiveValue])).toEqual([
    ['rest', 1000],
    ['rest', 1000.5],
    ['rest', 1001],
  ]);

  const url = await pg.createDatabase('copy');
  const lines: string[] = [];
  const io = { stdout: (t: string) => lines.push(t), stderr: (t: string) => lines.push(t) };
  expect(await main(['copy', '--from', join(dir, 'a.db'), '--to', url], io as never)).toBe(0);
  expect(lines.join('')).toMatch(/copied 3 series, 60005 points .* 2 archive file records from sqlite to postgres/);
  const p = await openRecorderStore(url);
  expect(await dump(p)).toEqual(want);
  // a second copy over the complete one changes nothing
  const b0 = await openRecorderStore(join(dir, 'a.db'), { readonly: true });
  expect((await copyStore(b0, p)).changed).toBe(0);
  await b0.close();
  await p.close();

  expect(await main(['copy', '--from', url, '--to', join(dir, 'b.db'), '--quiet'], io as never)).toBe(0);
  const b = await openRecorderStore(join(dir, 'b.db'));
  expect(await dump(b)).toEqual(want);
  await b.close();

  // bad use: clear one-line errors
  lines.length = 0;
  expect(await main(['copy', '--from', join(dir, 'a.db')], io as never)).toBe(2);
  expect(lines.join('')).toMatch(/--to is required/);
  lines.length = 0;
  expect(await main(['copy', '--from', join(dir, 'nope.db'), '--to', join(dir, 'c.db')], io as never)).toBe(2);
  expect(lines.join('')).toMatch(/--from: cannot open database/);
});
