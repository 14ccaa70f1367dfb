/** @jest-environment node */
import coinbase from 'ccxt-src/coinbase.js';
import { candle, markPrice } from '../market';
import { assertAllLocal, countEndpoint, makeExchange, queriesFor, venueServerForTests } from './ccxt-harness';
import venue from './coinbase';

// The server is started with this venue only: keep the venue registry (other venues' modules) out of this test.
jest.mock('./index', () => ({ loadVenueMocks: async () => ({ venues: [], missing: [] }) }));

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(coinbase, srv.url);

test('an instance without the rewrite is refused (no real host can be reached)', () => {
  const raw = new coinbase({});
  expect(() => assertAllLocal(raw)).toThrow(/not rewritten/);
  expect(() => assertAllLocal(mk())).not.toThrow();
});

test('loadMarkets: 3 currency calls + 3 product listings, spot products with USD and USDC quotes', async () => {
  const ex = mk();
  const markets = await ex.loadMarkets();
  expect(countEndpoint(srv, 'coinbase', 'currencies')).toBe(3);
  expect(countEndpoint(srv, 'coinbase', 'markets')).toBe(3);
  expect(markets['BTC/USD']!.id).toBe('BTC-USD');
  expect(markets['BTC/USD']!.spot).toBe(true);
  expect(markets['USDT/USD']!.id).toBe('USDT-USD');
  expect(markets['BTC/USDC']!.id).toBe('BTC-USDC');
  // the FUTURE listings (product_type=FUTURE, with and without PERPETUAL) answer empty lists
  const q = queriesFor(srv, 'markets');
  expect(q.filter((x) => x.product_type === 'FUTURE')).toHaveLength(2);
  expect(Object.values(markets).every((m) => m?.spot)).toBe(true);
  expect(ex.currencies.BTC).toBeDefined();
});

test('fetchOHLCV 1d: 300 candles from since, values of the simulated market, start/end in seconds', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2023, 0, 1);
  const rows = await ex.fetchOHLCV('BTC/USD', '1d', since, 300);
  expect(rows).toHaveLength(300);
  rows.forEach((r, i) => expect(r[0]).toBe(since + i * DAY));
  for (const i of [0, 123, 299]) {
    const c = candle('coinbase', 'BTC', 'spot', since + i * DAY, DAY)!;
    expect(rows[i][1]).toBeCloseTo(c.open, 1);
    expect(rows[i][2]).toBeCloseTo(c.high, 1);
    expect(rows[i][3]).toBeCloseTo(c.low, 1);
    expect(rows[i][4]).toBeCloseTo(c.close, 1);
    expect(rows[i][5]).toBeCloseTo(c.volumeBase, 6);
  }
  const [q] = queriesFor(srv, 'klines');
  expect(q.granularity).toBe('ONE_DAY');
  expect(Number(q.start)).toBe(since / 1000);
  expect(Number(q.end)).toBe(since / 1000 + 300 * 86400);
});

test('the range end includes the open bar and stops there', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const lastOpen = Math.floor(NOW / HOUR) * HOUR;
  const since = lastOpen - 100 * HOUR;
  const rows = await ex.fetchOHLCV('BTC/USD', '1h', since, 300);
  expect(rows[rows.length - 1][0]).toBe(lastOpen);
  expect(rows).toHaveLength((lastOpen - since) / HOUR + 1);
  // the open bar's close is the price at `now`
  expect(rows[rows.length - 1][4]).toBeCloseTo(markPrice('coinbase', 'BTC', NOW, 'spot'), 1);
});

test('a start..end range wider than 350 buckets is rejected, like Coinbase', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const start = Date.UTC(2023, 0, 1) / 1000;
  await expect(
    ex.v3PublicGetBrokerageMarketProductsProductIdCandles({
      product_id: 'BTC-USD',
      granularity: 'ONE_DAY',
      start,
      end: start + 351 * 86400,
    })
  ).rejects.toThrow(/INVALID_ARGUMENT/);
  const ok = await ex.v3PublicGetBrokerageMarketProductsProductIdCandles({
    product_id: 'BTC-USD',
    granularity: 'ONE_DAY',
    start,
    end: start + 350 * 86400,
  });
  // both ends inclusive (351 buckets), newest first, the default limit (350) drops the oldest; numbers as strings
  expect(ok.candles).toHaveLength(350);
  expect(ok.candles[0].start).toBe(String(start + 350 * 86400));
  expect(ok.candles[349].start).toBe(String(start + 86400));
  expect(typeof ok.candles[0].close).toBe('string');
  const limited = await ex.v3PublicGetBrokerageMarketProductsProductIdCandles({
    product_id: 'BTC-USD',
    granularity: 'ONE_DAY',
    start,
    end: start + 9 * 86400,
    limit: 3,
  });
  expect(limited.candles.map((c: { start: string }) => Number(c.start))).toEqual([
    start + 9 * 86400,
    start + 8 * 86400,
    start + 7 * 86400,
  ]);
  await expect(
    ex.v3PublicGetBrokerageMarketProductsProductIdCandles({
      product_id: 'BTC-USD',
      granularity: 'THREE_DAY',
      start,
      end: start + 86400,
    })
  ).rejects.toThrow(/granularity/);
});

test('USDT-USD (stablecoin reference) has no candles before its listing and trades near 1', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const before = await ex.fetchOHLCV('USDT/USD', '1d', Date.UTC(2020, 0, 1), 300);
  expect(before).toHaveLength(0);
  const after = await ex.fetchOHLCV('USDT/USD', '1d', Date.UTC(2024, 0, 1), 10);
  expect(after).toHaveLength(10);
  after.forEach((r) => expect(Math.abs(r[4]! - 1)).toBeLessThan(0.02));
});

test('fetchTicker: last trade at the simulated price, best bid below best ask', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const t = await ex.fetchTicker('BTC/USD');
  expect(t.last).toBeCloseTo(markPrice('coinbase', 'BTC', NOW, 'spot'), 1);
  expect(t.bid!).toBeLessThan(t.ask!);
  expect(t.timestamp).toBe(NOW);
  expect(countEndpoint(srv, 'coinbase', 'ticker')).toBe(1);
});
