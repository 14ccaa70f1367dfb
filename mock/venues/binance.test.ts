/** @jest-environment node */
import binance from 'ccxt-src/binance.js';
import { candle, markPrice } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests } from './ccxt-harness';
import venue from './binance';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(binance, srv.url, { fetchMarkets: { types: ['spot'] } });
const raw = async (p: string) => {
  const r = await fetch(`${srv.url}/api.binance.com${p}`);
  return { status: r.status, text: await r.text() };
};
/** Independent expectation: the simulated price rounded to the 0.01 tick. */
const tick = (x: number) => Math.round(x * 100) / 100;

test('loadMarkets with types [spot] costs exactly one request (exchangeInfo) and lists BTC/USDT', async () => {
  const ex = mk();
  const m = await ex.loadMarkets();
  expect(srv.stats().total).toBe(1);
  expect(countEndpoint(srv, 'binance', 'markets')).toBe(1);
  expect(m['BTC/USDT']).toMatchObject({ id: 'BTCUSDT', spot: true, base: 'BTC', quote: 'USDT' });
  expect(m['BTC/USDT']!.precision.price).toBe(0.01);
});

test('fetchOHLCV: a full page is 1000 contiguous hourly candles from since, equal to the simulated market', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2023, 0, 1);
  const rows = await ex.fetchOHLCV('BTC/USDT', '1h', since, 1000);
  expect(queriesFor(srv, 'klines')[0]).toMatchObject({
    symbol: 'BTCUSDT',
    interval: '1h',
    limit: '1000',
    startTime: String(since),
  });
  expect(rows).toHaveLength(1000);
  expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 1000 }, (_, i) => since + i * H));
  for (const k of [0, 1, 500, 999]) {
    const c = candle('binance', 'BTC', 'spot', rows[k][0]!, H)!;
    expect(rows[k][1]).toBeCloseTo(tick(c.open), 6);
    expect(rows[k][4]).toBeCloseTo(tick(c.close), 6);
    expect(rows[k][5]).toBeCloseTo(c.volumeBase, 4);
  }
  // the next page starts right after: two requests cover 2000 hours without gap or overlap
  const next = await ex.fetchOHLCV('BTC/USDT', '1h', rows[999][0]! + H, 1000);
  expect(next[0][0]).toBe(since + 1000 * H);
  expect(countEndpoint(srv, 'binance', 'klines')).toBe(2);
});

test('fetchOHLCV boundaries: unaligned since starts at the next bar; no since gives the latest bars with the open one partial', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const rows = await ex.fetchOHLCV('BTC/USDT', '1h', Date.UTC(2023, 0, 1, 5, 17), 3);
  expect(rows.map((r) => r[0])).toEqual([Date.UTC(2023, 0, 1, 6), Date.UTC(2023, 0, 1, 7), Date.UTC(2023, 0, 1, 8)]);
  const latest = await ex.fetchOHLCV('BTC/USDT', '1d', undefined, 3);
  const today = Math.floor(NOW / D) * D;
  expect(latest.map((r) => r[0])).toEqual([today - 2 * D, today - D, today]);
  expect(latest[2][4]).toBeCloseTo(tick(markPrice('binance', 'BTC', NOW, 'spot')), 6);
  // weekly bars open on Mondays, monthly bars on the 1st
  const weeks = await ex.fetchOHLCV('BTC/USDT', '1w', Date.UTC(2024, 0, 1), 3);
  expect(weeks.map((r) => new Date(r[0]!).getUTCDay())).toEqual([1, 1, 1]);
  const months = await ex.fetchOHLCV('BTC/USDT', '1M', Date.UTC(2023, 10, 15), 3);
  expect(months.map((r) => r[0])).toEqual([Date.UTC(2023, 11, 1), Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1)]);
});

test('klines raw semantics: endTime alone gives the last rows up to it; limit above 1000 is refused; a pair starts at its listing', async () => {
  const end = Date.UTC(2022, 5, 1, 10, 30);
  const r = await raw(`/api/v3/klines?symbol=BTCUSDT&interval=1h&endTime=${end}&limit=2`);
  const rows = JSON.parse(r.text) as Array<[number, string, string, string, string, string, number]>;
  expect(rows.map((x) => x[0])).toEqual([Date.UTC(2022, 5, 1, 9), Date.UTC(2022, 5, 1, 10)]);
  expect(rows[0][6]).toBe(Date.UTC(2022, 5, 1, 10) - 1); // closeTime
  expect(rows[0][1]).toMatch(/^\d+\.\d{8}$/); // prices as strings with 8 decimals
  const over = await raw('/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1001');
  expect(over.status).toBe(400);
  expect(JSON.parse(over.text)).toEqual({ code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
  expect(JSON.parse((await raw('/api/v3/klines?symbol=NOPE&interval=1h')).text).code).toBe(-1121);
  expect(JSON.parse((await raw('/api/v3/klines?symbol=BTCUSDT&interval=7m')).text).code).toBe(-1120);
  const sol = JSON.parse(
    (await raw(`/api/v3/klines?symbol=SOLUSDT&interval=1h&startTime=${Date.UTC(2019, 0, 1)}&limit=1`)).text
  ) as number[][];
  expect(sol[0][0]).toBe(Date.UTC(2020, 7, 11, 6));
});

test('deterministic: the same request twice gives the identical body', async () => {
  const p = '/api/v3/klines?symbol=ETHUSDT&interval=4h&startTime=1600000000000&limit=500';
  const a = await raw(p);
  const b = await raw(p);
  expect(a.status).toBe(200);
  expect(b.text).toBe(a.text);
});

test('fetchTicker and fetchTime', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const t = await ex.fetchTicker('BTC/USDT');
  expect(t.last).toBeCloseTo(tick(markPrice('binance', 'BTC', NOW, 'spot')), 6);
  expect(t.open).toBeCloseTo(tick(markPrice('binance', 'BTC', NOW - D, 'spot')), 6);
  expect(await ex.fetchTime()).toBe(NOW);
});

test('faults through ccxt: 500 and 429 throw ccxt errors, malformed JSON yields [], gaps drop rows; the next call is clean', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2023, 0, 1);
  srv.setFaults([{ venue: 'binance', endpoint: 'klines', type: '500', times: 1 }]);
  await expect(ex.fetchOHLCV('BTC/USDT', '1h', since, 10)).rejects.toThrow(/500/);
  srv.setFaults([{ venue: 'binance', endpoint: 'klines', type: '429', times: 1, retryAfterSec: 1 }]);
  await expect(ex.fetchOHLCV('BTC/USDT', '1h', since, 10)).rejects.toThrow(/429|Too many requests/i);
  // a 200 with a body that is not JSON: ccxt 4.5.84 does NOT throw, it hands the raw text to the
  // parser and binance's fetchOHLCV returns [] (a trap the exchange layer must catch itself)
  srv.setFaults([{ venue: 'binance', endpoint: 'klines', type: 'malformed', times: 1 }]);
  expect(await ex.fetchOHLCV('BTC/USDT', '1h', since, 10)).toEqual([]);
  srv.setFaults([{ venue: 'binance', endpoint: 'klines', type: 'gaps', times: 1 }]);
  const gappy = await ex.fetchOHLCV('BTC/USDT', '1h', since, 10);
  expect(gappy.map((r) => (r[0]! - since) / H)).toEqual([0, 2, 3, 4, 6, 7, 8]);
  const clean = await ex.fetchOHLCV('BTC/USDT', '1h', since, 10);
  expect(clean).toHaveLength(10);
  // loadMarkets, malformed (a 200 with a broken body), gaps and the clean call are 200s
  expect(srv.stats().byStatus).toEqual({ '200': 4, '429': 1, '500': 1 });
  expect(srv.stats().faulted).toBe(4);
});
