/** @jest-environment node */
/**
 * The recorder's commands against the in-process mock exchange server (127.0.0.1, port 0): a REST backfill then
 * `export` equals `btc-flow fetch` for the same range; `import` of a fetched bundle round-trips through `export`;
 * `status` counts what the exported bundle holds; bad flags get one line naming the flag. No request leaves loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candle } from '../mock/market';
import { startMockServer, type MockServer } from '../mock/server';
import { main as btcFlow, type CliIo } from '../cli/btc-flow';
import type { Bundle } from '../src/core/types';
import { main } from './cli';
import { openSqliteStore } from './store/sqlite';

const DAY = 86_400_000;
const VENUES = 'coinbase,binanceusdm,bybit';

let srv: MockServer;
let dir: string;

beforeAll(async () => {
  srv = await startMockServer({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'recorder-cli-'));
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

function io() {
  const r = { out: '', err: '' };
  const x: CliIo = {
    stdout: (t) => void (r.out += t),
    stderr: (t) => void (r.err += t),
    stdoutIsTTY: false,
    env: {},
  };
  return { r, x };
}

async function rec(argv: string[]) {
  const { r, x } = io();
  const code = await main(argv, x);
  return { code, ...r };
}

async function fetchBundle(tf: string, from: string, to: string, out: string) {
  const { r, x } = io();
  const code = await btcFlow(
    [
      'fetch',
      '--asset',
      'BTC',
      '--timeframe',
      tf,
      '--from',
      from,
      '--to',
      to,
      '--venues',
      VENUES,
      '--base-url',
      srv.url,
      '--timeout',
      '60',
      '--out',
      out,
    ],
    x
  );
  expect({ code, err: code ? r.err : '' }).toEqual({ code: 0, err: '' });
  return JSON.parse(readFileSync(out, 'utf8')) as Bundle & { note: string };
}

const series = (b: Bundle) => b.series;

describe('backfill from REST, then export', () => {
  const db = () => join(dir, 'rest.db');
  let backfill: Awaited<ReturnType<typeof rec>>;
  beforeAll(async () => {
    backfill = await rec([
      'backfill',
      '--db',
      db(),
      '--from',
      '2025-01-01',
      '--to',
      '2025-01-31',
      '--timeframes',
      '1d',
      '--venues',
      VENUES,
      '--base-url',
      srv.url,
      '--sources',
      'rest',
      '--timeout',
      '60',
    ]);
  });

  it('reports progress on stderr and exits 0', () => {
    expect(backfill.code).toBe(0);
    expect(backfill.err).toMatch(/recorder: \[\d+\/\d+\] BTC coinbase spot 1d: \d+ points written/);
  });

  it('export equals btc-flow fetch for the same range (1d and 1w), series for series', async () => {
    for (const tf of ['1d', '1w']) {
      const fetched = await fetchBundle(tf, '2025-01-01', '2025-01-31', join(dir, `fetch-${tf}.json`));
      const out = join(dir, `export-${tf}.json`);
      const e = await rec([
        'export',
        '--db',
        db(),
        '--asset',
        'BTC',
        '--timeframe',
        tf,
        '--from',
        '2025-01-01',
        '--to',
        '2025-01-31',
        '--venues',
        VENUES,
        '--out',
        out,
      ]);
      expect(e).toMatchObject({ code: 0, err: '' });
      const exported = JSON.parse(readFileSync(out, 'utf8')) as Bundle;
      expect(exported.asset).toBe('BTC');
      expect(series(exported)).toEqual(series(fetched));
      // the same text, series line for series line (only the note differs)
      const lines = (f: string) => readFileSync(f, 'utf8').split('\n').slice(2);
      expect(lines(out)).toEqual(lines(join(dir, `fetch-${tf}.json`)));
    }
  });

  it('stores the mock market values themselves (checked against the simulation)', async () => {
    const store = await openSqliteStore(db(), { readonly: true });
    const pts = await store.readPoints(
      { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1d' },
      0,
      Date.UTC(2026, 0)
    );
    await store.close();
    expect(pts).toHaveLength(31);
    for (const p of pts) {
      const c = candle('coinbase', 'BTC', 'spot', p.ts, DAY)!;
      expect(Math.abs(p.value - c.close)).toBeLessThanOrEqual(0.005); // the venue rounds to cents
      expect(p.source).toBe('rest');
    }
  });

  it('a rerun fetches nothing and changes nothing', async () => {
    const store = await openSqliteStore(db(), { readonly: true });
    const before = await store.listSeries();
    await store.close();
    srv.resetStats();
    const again = await rec([
      'backfill',
      '--db',
      db(),
      '--from',
      '2025-01-01',
      '--to',
      '2025-01-31',
      '--timeframes',
      '1d',
      '--venues',
      VENUES,
      '--base-url',
      srv.url,
      '--sources',
      'rest',
    ]);
    expect(again.code).toBe(0);
    // only binanceusdm OI beyond its 30-day retention is asked again (refused before any request)
    expect(again.err).toMatch(/REST: 1 chunks fetched, 0 points written, 0 failed/);
    // market lists only (one per ccxt class), no data request
    expect(
      Object.keys(srv.stats().byEndpoint).filter(
        (k) => !/markets|exchangeInfo|instruments|products|symbols|contracts|pairs|meta|time/i.test(k)
      )
    ).toEqual([]);
    const s2 = await openSqliteStore(db(), { readonly: true });
    expect(await s2.listSeries()).toEqual(before);
    await s2.close();
  });

  it('status shows per series the first, last, count, gaps and source split', async () => {
    const st = await rec(['status', '--db', db(), '--json']);
    expect(st.code).toBe(0);
    const j = JSON.parse(st.out) as { series: Array<Record<string, unknown>> };
    const spot = j.series.find((s) => s.venue === 'coinbase' && s.kind === 'spot')!;
    expect(spot).toMatchObject({
      first: Date.UTC(2025, 0, 1),
      last: Date.UTC(2025, 0, 31),
      count: 31,
      missingPoints: 0,
    });
    expect(spot.bySource).toEqual({ rest: 31, archive: 0, import: 0 });
    const table = await rec(['status', '--db', db()]);
    expect(table.out).toMatch(/^asset\s+venue\s+kind\s+tf\s+first\s+last\s+count\s+gaps/);
    expect(table.out).toMatch(
      /BTC\s+coinbase\s+spot\s+1d\s+2025-01-01T00:00:00Z\s+2025-01-31T00:00:00Z\s+31\s+0\s+0\s+31\s+0\s+0/
    );
  });
});

describe('import', () => {
  it('a fetched bundle imported then exported comes back identical; a second import changes nothing', async () => {
    const file = join(dir, 'to-import.json');
    const fetched = await fetchBundle('1d', '2025-03-01', '2025-03-20', file);
    const db = join(dir, 'import.db');
    const a = await rec(['import', '--db', db, file]);
    expect(a.code).toBe(0);
    const pts = fetched.series.reduce((n, s) => n + s.points.length, 0);
    expect(a.err).toContain(`imported ${fetched.series.length} series, ${pts} points (${pts} new or changed)`);
    const b = await rec(['import', '--db', db, file]);
    expect(b.err).toContain(`(0 new or changed)`);
    const out = join(dir, 'import-export.json');
    const e = await rec([
      'export',
      '--db',
      db,
      '--timeframe',
      '1d',
      '--from',
      '2025-03-01',
      '--to',
      '2025-03-20',
      '--out',
      out,
    ]);
    expect(e.code).toBe(0);
    expect(series(JSON.parse(readFileSync(out, 'utf8')))).toEqual(series(fetched));
    const st = JSON.parse((await rec(['status', '--db', db, '--json'])).out) as {
      series: Array<{ bySource: Record<string, number> }>;
    };
    expect(st.series.every((s) => s.bySource.import > 0 && s.bySource.rest === 0)).toBe(true);
  });

  it('rejects a bad bundle with the file and the field named, and stores nothing', async () => {
    const db = join(dir, 'bad.db');
    const bad = join(dir, 'bad.json');
    require('node:fs').writeFileSync(
      bad,
      JSON.stringify({ asset: 'BTC', series: [{ venue: 'x', kind: 'price', points: [[1, 2]] }] })
    );
    const r = await rec(['import', '--db', db, bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.json: .*kind.*allowed: spot, perp, openInterest, funding, fx/);
  });
});

describe('usage errors: one line, exit 2, the flag named', () => {
  it.each([
    [['export', '--asset', 'BTC', '--from', '2025-01-01'], /--db is required/],
    [
      ['export', '--db', 'x.db', '--timeframe', '2h', '--from', '2025-01-01'],
      /--timeframe: unknown timeframe "2h"; allowed: 1h, 4h, 1d, 3d, 1w, 1M/,
    ],
    [['backfill', '--db', 'x.db', '--from', '2025-13-01'], /--from: bad time "2025-13-01"/],
    [
      ['backfill', '--db', 'x.db', '--from', '2025-01-01', '--venues', 'nope'],
      /--venues: unknown venue "nope"; known venues: coinbase/,
    ],
    [
      ['backfill', '--db', 'x.db', '--from', '2025-01-01', '--sources', 'ftp'],
      /--sources: unknown source "ftp"; allowed: rest, archive/,
    ],
    [['run', '--db', 'x.db', '--port', '99999'], /--port: expected a port number 0-65535/],
    [['status', '--db', '/nonexistent/x.db'], /cannot open database/],
    [['frobnicate'], /unknown command "frobnicate"; commands: run, backfill, import, export, status/],
    [['export', '--bogus'], /unknown flag --bogus; allowed: --db/],
  ])('%j', async (argv, re) => {
    const r = await rec(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('every command has --help', async () => {
    for (const c of ['run', 'backfill', 'import', 'export', 'status']) {
      const r = await rec([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: recorder ${c} `));
    }
    expect((await rec([])).out).toMatch(/Commands:\n {2}run/);
  });
});
