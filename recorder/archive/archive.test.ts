/** @jest-environment node */
/**
 * The Binance archive backfill against archive files this test builds itself (CSV → zip with fflate, SHA-256
 * `.CHECKSUM` beside each), served by a local HTTP server. Every known defect of the real archive is reproduced:
 * rows out of order, every row duplicated with the checksum passing, single duplicates, a day one row short, the
 * 2025-12-31 file shifted one slot, futures kline headers, spot kline timestamps in µs, a 404 day and a checksum
 * mismatch. Expected values come from the generating functions below, not from the code under test.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { openSqliteStore } from '../store/sqlite';
import type { RecorderStore, SeriesKey } from '../store/types';
import { archiveBackfill, ArchiveOptions } from './backfill';
import { parseKlines, parseMetrics, resampleOi } from './binance';

const MIN = 60_000;
const SLOT = 5 * MIN;
const H = 3_600_000;
const day = (s: string) => Date.parse(`${s}T00:00:00Z`);

/** The true open interest (BTC) at snapshot time t. */
const oi = (t: number) => 80_000 + ((t / SLOT) % 1000) / 4;
/** The true 1h close at open time t, and base volume. */
const close = (t: number) => 90_000 + ((t / H) % 500);
const vol = (t: number) => 10 + ((t / H) % 7);

const fmt = (t: number) => new Date(t).toISOString().slice(0, 19).replace('T', ' ');
const METRICS_HEAD =
  'create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio';

/** The 288 true rows of day d, stamped at the end of each 5-minute slot. */
function metricsRows(d: number): number[] {
  return Array.from({ length: 288 }, (_, k) => d + (k + 1) * SLOT);
}
function metricsCsv(stamps: Array<[number, number]>): string {
  return (
    [METRICS_HEAD, ...stamps.map(([s, t]) => `${fmt(s)},BTCUSDT,${oi(t)},${oi(t) * 60000},1,2,3,4`)].join('\n') + '\n'
  );
}
function klineLine(t: number, tsUnit: 1 | 1000 = 1): string {
  const c = close(t);
  return [t * tsUnit, c - 5, c + 10, c - 10, c, vol(t), (t + H - 1) * tsUnit, vol(t) * c, 100, 5, 5 * c, 0].join(',');
}
const KLINE_HEAD =
  'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';

const files = new Map<string, Buffer>();
const hits: string[] = [];
function put(path: string, csv: string, opts: { badChecksum?: boolean; noChecksum?: boolean } = {}) {
  const name = path.split('/').pop()!;
  const zip = Buffer.from(zipSync({ [name.replace(/\.zip$/, '.csv')]: strToU8(csv) }));
  files.set(path, zip);
  if (!opts.noChecksum) {
    let sha = createHash('sha256').update(zip).digest('hex');
    if (opts.badChecksum) {
      sha = (sha[0] === '0' ? '1' : '0') + sha.slice(1);
    }
    files.set(`${path}.CHECKSUM`, Buffer.from(`${sha}  ${name}\n`));
  }
}

let server: http.Server;
let base: string;
let dir: string;

const M = '/data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-';
const FM = '/data/futures/um/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-';
const FD = '/data/futures/um/daily/klines/BTCUSDT/1h/BTCUSDT-1h-';
const SM = '/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-';
const SD = '/data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-';
const FUND = '/data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recorder-archive-'));
  // 2025-12-29: out of order, plus one single duplicate row
  {
    const rows = metricsRows(day('2025-12-29')).map((t) => [t, t] as [number, number]);
    const shuffled = [...rows.slice(100), ...rows.slice(0, 100)];
    shuffled.splice(50, 0, rows[10]);
    put(`${M}2025-12-29.zip`, metricsCsv(shuffled));
  }
  // 2025-12-30: one row short (the 12:00 snapshot is missing)
  put(
    `${M}2025-12-30.zip`,
    metricsCsv(
      metricsRows(day('2025-12-30'))
        .filter((t) => t !== day('2025-12-30') + 12 * H)
        .map((t) => [t, t])
    )
  );
  // 2025-12-31: every row stamped one slot early (00:00 .. 23:55)
  put(`${M}2025-12-31.zip`, metricsCsv(metricsRows(day('2025-12-31')).map((t) => [t - SLOT, t])));
  // 2026-01-01: 404 (not put)
  // 2026-01-02: checksum mismatch
  put(`${M}2026-01-02.zip`, metricsCsv(metricsRows(day('2026-01-02')).map((t) => [t, t])), { badChecksum: true });
  // 2020-10-01: every row duplicated, checksum passes
  put(
    `${M}2020-10-01.zip`,
    metricsCsv(metricsRows(day('2020-10-01')).flatMap((t) => [[t, t] as [number, number], [t, t] as [number, number]]))
  );

  // futures klines: December 2025 monthly with a header; January days without one
  const hours = (from: number, to: number) => Array.from({ length: (to - from) / H }, (_, i) => from + i * H);
  put(
    `${FM}2025-12.zip`,
    [KLINE_HEAD, ...hours(day('2025-12-01'), day('2026-01-01')).map((t) => klineLine(t))].join('\n')
  );
  put(
    `${FD}2026-01-01.zip`,
    hours(day('2026-01-01'), day('2026-01-02'))
      .map((t) => klineLine(t))
      .join('\n')
  );
  put(
    `${FD}2026-01-02.zip`,
    hours(day('2026-01-02'), day('2026-01-03'))
      .map((t) => klineLine(t))
      .join('\n')
  );
  // spot klines: December in ms, January days in µs (no header)
  put(
    `${SM}2025-12.zip`,
    hours(day('2025-12-01'), day('2026-01-01'))
      .map((t) => klineLine(t))
      .join('\n')
  );
  put(
    `${SD}2026-01-01.zip`,
    hours(day('2026-01-01'), day('2026-01-02'))
      .map((t) => klineLine(t, 1000))
      .join('\n')
  );
  put(
    `${SD}2026-01-02.zip`,
    hours(day('2026-01-02'), day('2026-01-03'))
      .map((t) => klineLine(t, 1000))
      .join('\n')
  );
  // funding December 2025: 8-hourly, calc_time a few ms after settlement, out of order
  const settle = Array.from({ length: 93 }, (_, i) => day('2025-12-01') + i * 8 * H);
  put(
    `${FUND}2025-12.zip`,
    [
      'calc_time,funding_interval_hours,last_funding_rate',
      ...[...settle]
        .reverse()
        .map((t, i) => `${t + 3 + (i % 5)},8,${(t / H) % 3 === 0 ? '0.00010000' : '-0.00002000'}`),
    ].join('\n')
  );

  server = http.createServer((req, res) => {
    hits.push(req.url!);
    const body = files.get(req.url!);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/zip' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const OI1H: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1h' };
const OI1D: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1d' };

describe('archive backfill of late December 2025', () => {
  let store: RecorderStore;
  const notices: string[] = [];
  let result: Awaited<ReturnType<typeof archiveBackfill>>;
  const opts = (): ArchiveOptions => ({
    store,
    archiveUrl: base,
    assets: ['BTC'],
    timeframes: ['1h', '1d'],
    from: day('2025-12-29'),
    to: day('2026-01-03'),
    now: day('2026-01-05') + 3 * H,
    onNotice: (m) => notices.push(m),
  });
  beforeAll(async () => {
    store = await openSqliteStore(join(dir, 'dec.db'));
    hits.length = 0;
    result = await archiveBackfill(opts());
  });
  afterAll(async () => {
    await store.close();
  });

  it('reads the files the range needs, and reports the outcome', () => {
    // metrics: 5 days; futures and spot 1h klines: December monthly + 2 January days each; funding: December.
    // Missing: the 2026-01-01 metrics day and the 1d kline files (3 spot, 3 futures), which this archive lacks.
    expect(result).toMatchObject({ files: 10, missing: 7, rejected: 1, failed: 0, skipped: 0 });
  });

  it('rows out of order and a single duplicate: every hourly OI point is the true snapshot', async () => {
    const pts = await store.readPoints(OI1H, day('2025-12-29'), day('2025-12-30'));
    // (Dec 29 00:00 is the last row of the Dec 28 file, not read) 01:00 .. 23:00
    expect(pts.map((p) => p.ts)).toEqual(Array.from({ length: 23 }, (_, i) => day('2025-12-29') + (i + 1) * H));
    for (const p of pts) {
      expect(p.value).toBe(oi(p.ts));
      expect(p.source).toBe('archive');
    }
    expect(notices.join('\n')).toMatch(
      /2025-12-29\.zip: \d+ row\(s\) out of time order \(sorted\); 1 duplicate row\(s\) dropped/
    );
  });

  it('a day one row short: the missing 12:00 snapshot is replaced by the 11:55 one, with a notice', async () => {
    const noon = day('2025-12-30') + 12 * H;
    const [p] = await store.readPoints(OI1H, noon, noon + 1);
    expect(p.value).toBe(oi(noon - SLOT));
    expect((await store.readPoints(OI1H, noon + H, noon + H + 1))[0].value).toBe(oi(noon + H));
    expect(notices.join('\n')).toMatch(/2025-12-30\.zip: 287 rows, 288 expected/);
  });

  it('the 2025-12-31 file shifted one slot is moved back onto the grid', async () => {
    const pts = await store.readPoints(OI1H, day('2025-12-31') + 1, day('2026-01-01') + 1);
    // its last (moved) row is the 2026-01-01 00:00 snapshot
    expect(pts.map((p) => p.ts)).toEqual(Array.from({ length: 24 }, (_, i) => day('2025-12-31') + (i + 1) * H));
    for (const p of pts) {
      expect(p.value).toBe(oi(p.ts));
    }
    expect(notices.join('\n')).toMatch(/2025-12-31\.zip: stamped one 5-minute slot early: moved forward one slot/);
    // the daily series: the midnight snapshots
    const d = await store.readPoints(OI1D, 0, day('2026-02-01'));
    expect(d.map((p) => [p.ts, p.value])).toEqual([
      [day('2025-12-30'), oi(day('2025-12-30'))],
      [day('2025-12-31'), oi(day('2025-12-31'))],
      [day('2026-01-01'), oi(day('2026-01-01'))],
    ]);
  });

  it('a 404 day is a gap with a notice, not an error', async () => {
    expect(await store.archiveFile(`${M}2026-01-01.zip`)).toMatchObject({ status: 'missing', rows: 0 });
    expect(notices.join('\n')).toMatch(/2026-01-01\.zip: not in the archive \(404\); a gap/);
    const st = await store.seriesStats(OI1H, H);
    expect(st.last).toBe(day('2026-01-01'));
  });

  it('a checksum mismatch rejects the file whole: nothing of it stored', async () => {
    expect(await store.readPoints(OI1H, day('2026-01-01') + 1, day('2026-01-04'))).toEqual([]);
    const rec = await store.archiveFile(`${M}2026-01-02.zip`);
    expect(rec).toMatchObject({ status: 'rejected', rows: 0 });
    expect(rec!.notice).toMatch(/checksum mismatch/);
    expect(notices.join('\n')).toMatch(/2026-01-02\.zip: rejected, nothing of it stored: checksum mismatch/);
  });

  it('futures klines with and without a header row read alike', async () => {
    const perp: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'perp', timeframe: '1h' };
    const pts = await store.readPoints(perp, 0, day('2026-02-01'));
    expect(pts).toHaveLength(31 * 24 + 2 * 24);
    for (const p of pts) {
      expect(p.value).toBe(close(p.ts));
      expect(p.volume).toBeCloseTo(vol(p.ts) * close(p.ts), 6);
    }
    expect(await store.seriesMeta(perp)).toMatchObject({ quote: 'USDT' });
  });

  it('spot klines in microseconds from 2025 are read as milliseconds', async () => {
    const spot: SeriesKey = { asset: 'BTC', venue: 'binance', kind: 'spot', timeframe: '1h' };
    const jan = await store.readPoints(spot, day('2026-01-01'), day('2026-01-03'));
    expect(jan.map((p) => p.ts)).toEqual(Array.from({ length: 48 }, (_, i) => day('2026-01-01') + i * H));
    expect(jan.every((p) => p.value === close(p.ts))).toBe(true);
    expect((await store.seriesStats(spot, H)).missingPoints).toBe(0);
    expect(notices.join('\n')).toMatch(/2026-01-01\.zip: 24 open time\(s\) in microseconds/);
  });

  it('funding: calc_time rounded to the settlement minute, sorted, interval kept', async () => {
    const f: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'funding', timeframe: '*' };
    const pts = await store.readPoints(f, 0, day('2026-02-01'));
    expect(pts).toHaveLength(93);
    expect(pts[0].ts).toBe(day('2025-12-01'));
    expect(pts[1].ts).toBe(day('2025-12-01') + 8 * H);
    expect(pts.every((p) => p.value === ((p.ts / H) % 3 === 0 ? 0.0001 : -0.00002))).toBe(true);
    expect(await store.seriesMeta(f)).toMatchObject({ intervalHours: 8 });
  });

  it('REST wins where both exist, and status reports the largest relative difference', async () => {
    const t1 = day('2025-12-30') + 5 * H;
    const t2 = day('2025-12-30') + 6 * H;
    await store.write([
      {
        key: OI1H,
        source: 'rest',
        points: [
          { ts: t1, value: oi(t1) * 1.01 },
          { ts: t2, value: oi(t2) * 0.98 },
        ],
      },
    ]);
    const [p] = await store.readPoints(OI1H, t1, t1 + 1);
    expect([p.value, p.source, p.archiveValue]).toEqual([oi(t1) * 1.01, 'rest', oi(t1)]);
    const st = await store.seriesStats(OI1H, H);
    expect(st.overlapPoints).toBe(2);
    // |0.98x - x| / 0.98x = 0.02 / 0.98
    expect(st.maxOverlapRelDiff).toBeCloseTo(0.02 / 0.98, 10);
  });

  it('a rerun skips every stored file and asks again only for the missing and the rejected ones', async () => {
    hits.length = 0;
    const again = await archiveBackfill(opts());
    expect(again).toMatchObject({ files: 0, skipped: 10, missing: 7, rejected: 1 });
    const d1 = ['2025-12', '2026-01-01', '2026-01-02'].flatMap((p) =>
      ['/data/spot', '/data/futures/um'].map(
        (m) => `${m}/${p.length === 7 ? 'monthly' : 'daily'}/klines/BTCUSDT/1d/BTCUSDT-1d-${p}.zip`
      )
    );
    expect([...new Set(hits)].sort()).toEqual(
      [`${M}2026-01-01.zip`, `${M}2026-01-02.zip`, `${M}2026-01-02.zip.CHECKSUM`, ...d1].sort()
    );
  });
});

describe('every row duplicated (2020-09 to about 2021-05), the checksum passing', () => {
  it('keeps one row per snapshot, with a notice', async () => {
    const store = await openSqliteStore(join(dir, 'dup.db'));
    const notices: string[] = [];
    try {
      await archiveBackfill({
        store,
        archiveUrl: base,
        assets: ['BTC'],
        timeframes: ['1h'],
        venues: ['binanceusdm'],
        from: day('2020-10-01'),
        to: day('2020-10-02'),
        now: day('2021-03-01'),
        onNotice: (m) => notices.push(m),
      });
      const pts = await store.readPoints(OI1H, 0, day('2021-01-01'));
      expect(pts).toHaveLength(24);
      expect(pts.every((p) => p.value === oi(p.ts))).toBe(true);
      expect(await store.archiveFile(`${M}2020-10-01.zip`)).toMatchObject({ status: 'ok', rows: 288 });
      expect(notices.join('\n')).toMatch(/2020-10-01\.zip: every row duplicated \(duplicates dropped\)/);
      // the klines and funding of that range are not served here: 404 gaps, with notices
      expect(notices.some((n) => /klines.*404/.test(n))).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('readers', () => {
  it('reject a malformed row (the caller rejects the whole file)', () => {
    expect(() =>
      parseMetrics(`${METRICS_HEAD}\n2024-01-01 00:05:00,BTCUSDT,abc,1,1,1,1,1\n`, day('2024-01-01'))
    ).toThrow(/line 2: sum_open_interest "abc" is not a number/);
    expect(() => parseKlines('1,2,3\n')).toThrow(/3 columns, 12 expected/);
    expect(() => parseKlines('foo,bar\n1,2,3,4,5,6,7,8,9,10,11,12\n')).toThrow(/unexpected header/);
  });

  it('resample to the grid with the snapshot at the grid time, or one at most 15 minutes older', () => {
    const rows: Array<[number, number, number]> = [
      [H - 20 * MIN, 1, 0],
      [2 * H - 10 * MIN, 2, 0],
      [3 * H, 3, 0],
    ];
    // 1h: has the 3h row; 2h falls back 10 min; 1h's latest is 20 min old: a gap
    expect(resampleOi(rows, H)).toEqual([
      [2 * H, 2],
      [3 * H, 3],
    ]);
  });
});

describe('a file re-published with corrected content', () => {
  const EM = '/data/futures/um/daily/metrics/ETHUSDT/ETHUSDT-metrics-';
  const EK = '/data/futures/um/monthly/klines/ETHUSDT/1h/ETHUSDT-1h-';
  const EF = '/data/futures/um/monthly/fundingRate/ETHUSDT/ETHUSDT-fundingRate-';
  const EOI: SeriesKey = { asset: 'ETH', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1h' };
  const EPERP: SeriesKey = { asset: 'ETH', venue: 'binanceusdm', kind: 'perp', timeframe: '1h' };
  const d10 = day('2025-11-10');
  const d11 = day('2025-11-11');
  const paths = [`${EM}2025-11-10.zip`, `${EM}2025-11-11.zip`, `${EK}2025-11.zip`, `${EF}2025-11.zip`];

  it('is read again with --recheck-archive (one .CHECKSUM request per stored file), and not without', async () => {
    put(`${EM}2025-11-10.zip`, metricsCsv(metricsRows(d10).map((t) => [t, t])));
    put(`${EM}2025-11-11.zip`, metricsCsv(metricsRows(d11).map((t) => [t, t])));
    const hours = Array.from({ length: 30 * 24 }, (_, i) => day('2025-11-01') + i * H);
    put(`${EK}2025-11.zip`, hours.map((t) => klineLine(t)).join('\n'));
    put(`${EF}2025-11.zip`, ['calc_time,funding_interval_hours,last_funding_rate', `${d10 + 4},8,0.0001`].join('\n'));
    const store = await openSqliteStore(join(dir, 'republished.db'));
    const notices: string[] = [];
    const run = (recheck: boolean) =>
      archiveBackfill({
        store,
        archiveUrl: base,
        assets: ['ETH'],
        timeframes: ['1h'],
        venues: ['binanceusdm'],
        from: d10,
        to: d11 + 24 * H,
        now: day('2026-01-05'),
        recheck,
        onNotice: (m) => notices.push(m),
      });
    try {
      expect(await run(false)).toMatchObject({ files: 4, skipped: 0, missing: 0, rejected: 0 });
      const first = await store.readPoints(EOI, d10, d11 + 24 * H);
      expect(first.length).toBe(47); // 01:00 of day 10 to 23:00 of day 11 (day 10 00:00 is in day 9's file)
      expect(first.every((p) => p.value === oi(p.ts))).toBe(true);
      // day 11 is re-published: every OI 2 % higher, and one kline close corrected in the monthly file
      const corrected = metricsRows(d11).map((t) => `${fmt(t)},ETHUSDT,${oi(t) * 1.02},${oi(t) * 1.02 * 3000},1,2,3,4`);
      put(`${EM}2025-11-11.zip`, [METRICS_HEAD, ...corrected].join('\n') + '\n');
      const fixHour = d11 + 5 * H;
      put(
        `${EK}2025-11.zip`,
        hours
          .map((t) => (t === fixHour ? klineLine(t).replace(`,${close(t)},`, `,${close(t) + 1},`) : klineLine(t)))
          .join('\n')
      );
      // without the flag: no request for any stored file, nothing changes
      hits.length = 0;
      expect(await run(false)).toMatchObject({ files: 0, skipped: 4, rechecked: 0, reread: 0 });
      expect(hits).toEqual([]);
      expect((await store.readPoints(EOI, d11 + H, d11 + 2 * H))[0].value).toBe(oi(d11 + H));
      // with it: one .CHECKSUM per stored file, the zip of the two changed ones only
      hits.length = 0;
      notices.length = 0;
      expect(await run(true)).toMatchObject({ files: 2, skipped: 2, rechecked: 4, reread: 2, rejected: 0 });
      expect([...hits].sort()).toEqual(
        [...paths.map((p) => `${p}.CHECKSUM`), `${EM}2025-11-11.zip`, `${EK}2025-11.zip`].sort()
      );
      expect(notices.filter((n) => /re-published/.test(n))).toHaveLength(2);
      const day11 = await store.readPoints(EOI, d11 + H, d11 + 24 * H);
      expect(day11).toHaveLength(23);
      expect(day11.every((p) => p.value === oi(p.ts) * 1.02 && p.source === 'archive')).toBe(true);
      // day 10 untouched; its last point (day 11 00:00 is day 10's last snapshot) came from day 10's file
      expect((await store.readPoints(EOI, d10, d11)).every((p) => p.value === oi(p.ts))).toBe(true);
      const [k] = await store.readPoints(EPERP, fixHour, fixHour + 1);
      expect(k.value).toBe(close(fixHour) + 1);
      expect((await store.readPoints(EPERP, fixHour + H, fixHour + 2 * H))[0].value).toBe(close(fixHour + H));
      // the new checksums are recorded: a second recheck reads nothing again
      hits.length = 0;
      expect(await run(true)).toMatchObject({ files: 0, skipped: 4, rechecked: 4, reread: 0 });
      expect(hits.every((h) => h.endsWith('.CHECKSUM'))).toBe(true);
      expect(hits).toHaveLength(4);
    } finally {
      await store.close();
    }
  });
});
