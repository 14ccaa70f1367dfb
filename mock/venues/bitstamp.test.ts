/** @jest-environment node */
import bitstamp from 'ccxt-src/bitstamp.js';
import { candle, markPrice } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests } from './ccxt-harness';
import venue from './bitstamp';

// The server is started with this venue only: keep the venue registry (other venues' modules) out of this test.
jest.mock('./index', () => ({ loadVenueMocks: async () => ({ venues: [], missing: [] }) }));

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(bitstamp, srv.url);

test('loadMarkets reads /api/v2/markets/ once (currencies come from the same cached answer)', async () => {
  const ex = mk();
  const markets = await ex.loadMarkets();
  expect(countEndpoint(srv, 'bitstamp', 'markets')).toBe(1);
  expect(srv.stats().total).toBe(1);
  expect(markets['BTC/USD']!.id).toBe('btcusd');
  expect(markets['USDT/USD']!.id).toBe('usdtusd');
  expect(ex.currencies.BTC).toBeDefined();
  expect(ex.currencies.USD).toBeDefined();
});

test('fetchOHLCV 1d with since and limit 1000: one request, 1000 consecutive days, integer USD prices', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2020, 0, 1);
  const rows = await ex.fetchOHLCV('BTC/USD', '1d', since, 1000);
  expect(rows).toHaveLength(1000);
  rows.forEach((r, i) => expect(r[0]).toBe(since + i * DAY));
  const [q] = queriesFor(srv, 'klines');
  expect(q).toEqual({
    step: '86400',
    limit: '1000',
    start: String(since / 1000),
    end: String(since / 1000 + 1000 * 86400 - 1),
  });
  for (const i of [0, 500, 999]) {
    const c = candle('bitstamp', 'BTC', 'spot', since + i * DAY, DAY)!;
    expect(Math.abs(rows[i][4]! - c.close)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(rows[i][2]! - c.high)).toBeLessThanOrEqual(0.5);
    expect(rows[i][4]).toBe(Math.round(rows[i][4]!));
    expect(rows[i][5]).toBeCloseTo(c.volumeBase, 6);
  }
});

test('pagination at the live edge: the last page ends with the open bar (unless exclude_current_candle)', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const lastOpen = Math.floor(NOW / HOUR) * HOUR;
  const since = lastOpen - 9 * HOUR;
  const rows = await ex.fetchOHLCV('BTC/USD', '1h', since, 1000);
  expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 10 }, (_, i) => since + i * HOUR));
  expect(rows[9][4]).toBeCloseTo(markPrice('bitstamp', 'BTC', NOW, 'spot'), -1);
  const raw = await ex.publicGetOhlcPair({
    pair: 'btcusd',
    step: 3600,
    limit: 1000,
    start: since / 1000,
    exclude_current_candle: 'true',
  });
  expect(raw.data.ohlc).toHaveLength(9);
  expect(raw.data.pair).toBe('BTC/USD');
});

test('end wins over start (Bitstamp documents it): the `limit` candles at or before end', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const end = Date.UTC(2023, 2, 10, 15) / 1000;
  const raw = await ex.publicGetOhlcPair({
    pair: 'btcusd',
    step: 86400,
    limit: 3,
    start: Date.UTC(2021, 0, 1) / 1000,
    end,
  });
  const ts = raw.data.ohlc.map((r: { timestamp: string }) => Number(r.timestamp) * 1000);
  expect(ts).toEqual([Date.UTC(2023, 2, 8), Date.UTC(2023, 2, 9), Date.UTC(2023, 2, 10)]);
  // ccxt with `until` and a limit asks for the candles before until
  const rows = await ex.fetchOHLCV('BTC/USD', '1d', undefined, 2, { until: end * 1000 });
  expect(rows.map((r) => r[0])).toEqual([Date.UTC(2023, 2, 9), Date.UTC(2023, 2, 10)]);
});

test('bad step or limit is a Bitstamp error', async () => {
  const ex = mk();
  await ex.loadMarkets();
  await expect(ex.publicGetOhlcPair({ pair: 'btcusd', step: 100, limit: 10 })).rejects.toThrow(/step must be one of/);
  await expect(ex.publicGetOhlcPair({ pair: 'btcusd', step: 60, limit: 1001 })).rejects.toThrow(
    /limit must be between 1 and 1000/
  );
  await expect(ex.publicGetOhlcPair({ pair: 'btcusd', step: 60 })).rejects.toThrow(/limit/);
});

test('fetchTicker: last at the simulated price, 24h stats consistent', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const t = await ex.fetchTicker('BTC/USD');
  expect(Math.abs(t.last! - markPrice('bitstamp', 'BTC', NOW, 'spot'))).toBeLessThanOrEqual(0.5);
  expect(t.high!).toBeGreaterThanOrEqual(t.last!);
  expect(t.low!).toBeLessThanOrEqual(t.last!);
  expect(t.timestamp).toBe(Math.floor(NOW / 1000) * 1000);
  const usdt = await ex.fetchTicker('USDT/USD');
  expect(Math.abs(usdt.last! - 1)).toBeLessThan(0.02);
});
