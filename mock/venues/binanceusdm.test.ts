/** @jest-environment node */
import binanceusdm from 'ccxt-src/binanceusdm.js';
import { fundingRate, markPrice, openInterestBase } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests, withMarkets } from './ccxt-harness';
import venue from './binanceusdm';

const M5 = 300_000;
const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const SYM = 'BTC/USDT:USDT';

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(binanceusdm, srv.url, { fetchMarkets: { types: ['linear'] } });
const ready = () => withMarkets(mk(), srv);
const raw = async (p: string) => {
  const r = await fetch(`${srv.url}/fapi.binance.com${p}`);
  return { status: r.status, json: (await r.json()) as unknown };
};

test('loadMarkets with types [linear] is one request to /fapi/v1/exchangeInfo; BTC/USDT:USDT is a linear perp of contract size 1', async () => {
  const ex = mk();
  const m = await ex.loadMarkets();
  expect(srv.stats().log.map((e) => `${e.host}${e.path}`)).toEqual(['fapi.binance.com/fapi/v1/exchangeInfo']);
  expect(m[SYM]).toMatchObject({ id: 'BTCUSDT', swap: true, linear: true, contractSize: 1, settle: 'USDT' });
});

test('klines: ccxt caps a page at 1000; the venue itself serves up to 1500 and refuses 1501', async () => {
  const ex = await ready();
  const rows = await ex.fetchOHLCV(SYM, '1h', Date.UTC(2023, 0, 1), 1500);
  expect(queriesFor(srv, 'klines')[0].limit).toBe('1000');
  expect(rows).toHaveLength(1000);
  const full = await raw(`/fapi/v1/klines?symbol=BTCUSDT&interval=5m&startTime=${Date.UTC(2023, 0, 1)}&limit=1500`);
  expect((full.json as unknown[]).length).toBe(1500);
  const over = await raw('/fapi/v1/klines?symbol=BTCUSDT&interval=5m&limit=1501');
  expect(over.status).toBe(400);
  expect(over.json).toMatchObject({ code: -1130 });
  // perp prices print at the 0.10 tick with 2 decimals
  const row = (full.json as string[][])[0];
  expect(row[1]).toMatch(/^\d+\.\d0$/);
});

test('klines start at the listing (2019-09-08 17:00 for BTCUSDT)', async () => {
  const ex = await ready();
  const rows = await ex.fetchOHLCV(SYM, '1h', Date.UTC(2019, 0, 1), 2);
  expect(rows.map((r) => r[0])).toEqual([Date.UTC(2019, 8, 8, 17), Date.UTC(2019, 8, 8, 18)]);
});

test('funding history: 8h settlements at 00/08/16 UTC, up to 1000 rows a page, equal to the simulated rate', async () => {
  const ex = await ready();
  const since = Date.UTC(2023, 0, 1, 3);
  const rows = await ex.fetchFundingRateHistory(SYM, since, 1000);
  expect(queriesFor(srv, 'fundingHistory')[0]).toMatchObject({
    symbol: 'BTCUSDT',
    startTime: String(since),
    limit: '1000',
  });
  expect(rows).toHaveLength(1000);
  expect(rows[0].timestamp).toBe(Date.UTC(2023, 0, 1, 8));
  expect(rows.every((r, i) => r.timestamp === rows[0].timestamp! + i * 8 * H)).toBe(true);
  for (const k of [0, 400, 999]) {
    expect(rows[k].fundingRate).toBeCloseTo(fundingRate('binanceusdm', 'BTC', rows[k].timestamp!, 8), 8);
    expect(Number((rows[k].info as { markPrice: string }).markPrice)).toBeCloseTo(
      markPrice('binanceusdm', 'BTC', rows[k].timestamp!, 'perp'),
      6
    );
  }
  // before the listing nothing exists: the first settlement is the first 8h boundary after 2019-09-08 17:00
  const first = await ex.fetchFundingRateHistory(SYM, Date.UTC(2019, 0, 1), 2);
  expect(first.map((r) => r.timestamp)).toEqual([Date.UTC(2019, 8, 9, 0), Date.UTC(2019, 8, 9, 8)]);
  // without since: the latest rows, the last one at or before now
  const latest = await ex.fetchFundingRateHistory(SYM, undefined, 3);
  expect(latest.map((r) => r.timestamp)).toEqual([
    Date.UTC(2024, 5, 14, 16),
    Date.UTC(2024, 5, 15, 0),
    Date.UTC(2024, 5, 15, 8),
  ]);
  const over = await raw('/fapi/v1/fundingRate?symbol=BTCUSDT&limit=1001');
  expect(over.json).toMatchObject({ code: -1130 });
});

test('OI history reaches back only 30 days: older windows come back empty, the edge window starts at now - 30 days', async () => {
  const ex = await ready();
  const old = await ex.fetchOpenInterestHistory(SYM, '1h', NOW - 60 * D, 100);
  expect(old).toEqual([]);
  const edge = await ex.fetchOpenInterestHistory(SYM, '1h', NOW - 40 * D, 500);
  // ccxt asks [since, since + 500h]; only the part inside the last 30 days exists
  const q = queriesFor(srv, 'openInterestHistory')[1];
  expect(Number(q.endTime) - Number(q.startTime)).toBe(500 * H);
  const firstKept = Math.ceil((NOW - 30 * D) / H) * H;
  expect(edge[0].timestamp).toBe(firstKept);
  expect(edge[edge.length - 1].timestamp).toBe(Math.floor((NOW - 40 * D + 500 * H) / H) * H);
  expect(edge.every((r, i) => r.timestamp === firstKept + i * H)).toBe(true);
});

test('OI history: 500 rows at most, base coin and USD value consistent with the simulated market', async () => {
  const ex = await ready();
  const rows = await ex.fetchOpenInterestHistory(SYM, '5m', undefined, 500);
  expect(rows).toHaveLength(500);
  const last = Math.floor(NOW / M5) * M5;
  expect(rows[499].timestamp).toBe(last);
  expect(rows[0].timestamp).toBe(last - 499 * M5);
  for (const r of [rows[0], rows[499]]) {
    const base = openInterestBase('binanceusdm', 'BTC', r.timestamp!);
    expect(r.openInterestAmount).toBeCloseTo(base, 6);
    expect(r.openInterestValue! / r.openInterestAmount!).toBeCloseTo(
      markPrice('binanceusdm', 'BTC', r.timestamp!, 'perp'),
      4
    );
  }
  expect((await raw('/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&limit=501')).json).toMatchObject({
    code: -1130,
  });
  expect((await raw('/futures/data/openInterestHist?symbol=BTCUSDT&period=1m')).json).toMatchObject({ code: -1130 });
  // no parameters: the exchange default of 30 rows
  expect((await raw('/futures/data/openInterestHist?symbol=BTCUSDT&period=1h')).json).toHaveLength(30);
});

test('current OI, funding, ticker and time', async () => {
  const ex = await ready();
  const oi = await ex.fetchOpenInterest(SYM);
  expect(oi.openInterestAmount).toBeCloseTo(openInterestBase('binanceusdm', 'BTC', NOW), 2);
  const fr = await ex.fetchFundingRate(SYM);
  expect(fr.markPrice).toBeCloseTo(markPrice('binanceusdm', 'BTC', NOW, 'perp'), 6);
  expect(fr.fundingTimestamp).toBe(Date.UTC(2024, 5, 15, 16));
  const t = await ex.fetchTicker(SYM);
  expect(t.last).toBeCloseTo(Math.round(markPrice('binanceusdm', 'BTC', NOW, 'perp') * 10) / 10, 6);
  expect(await ex.fetchTime({ type: 'future' })).toBe(NOW);
  expect(countEndpoint(srv, 'binanceusdm', 'time')).toBe(1);
});

test('row faults through ccxt on funding: duplicates and out-of-order rows reach the caller as served', async () => {
  const ex = await ready();
  srv.setFaults([{ venue: 'binanceusdm', endpoint: 'fundingHistory', type: 'duplicates', times: 1 }]);
  const dup = await ex.fetchFundingRateHistory(SYM, Date.UTC(2024, 0, 1), 6);
  const ts = dup.map((r) => r.timestamp);
  expect(ts.length).toBeGreaterThan(new Set(ts).size);
  srv.setFaults([{ venue: 'binanceusdm', endpoint: 'fundingHistory', type: 'empty', times: 1 }]);
  expect(await ex.fetchFundingRateHistory(SYM, Date.UTC(2024, 0, 1), 6)).toEqual([]);
  expect(srv.stats().log.map((e) => e.faults)).toEqual([['duplicates'], ['empty']]);
});
