/** @jest-environment node */
import bitget from 'ccxt-src/bitget.js';
import { candle, fundingRate, markPrice, openInterestBase } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests } from './ccxt-harness';
import venue from './bitget';

// The server is started with this venue only: keep the venue registry (other venues' modules) out of this test.
jest.mock('./index', () => ({ loadVenueMocks: async () => ({ venues: [], missing: [] }) }));

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const SYM = 'BTC/USDT:USDT';
const SWAP_ONLY = { fetchMarkets: { types: ['swap'] } };

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(bitget, srv.url, SWAP_ONLY);

test('loadMarkets narrowed to swap: coins + 6 contract listings; USDT-M linear and coin-M inverse perps', async () => {
  const ex = mk();
  const markets = await ex.loadMarkets();
  expect(countEndpoint(srv, 'bitget', 'currencies')).toBe(1);
  expect(countEndpoint(srv, 'bitget', 'markets')).toBe(6);
  expect(
    queriesFor(srv, 'markets')
      .map((q) => q.productType)
      .sort()
  ).toEqual(['COIN-FUTURES', 'SCOIN-FUTURES', 'SUSDC-FUTURES', 'SUSDT-FUTURES', 'USDC-FUTURES', 'USDT-FUTURES']);
  expect(markets[SYM]!.id).toBe('BTCUSDT');
  expect(markets[SYM]!.linear).toBe(true);
  expect(markets[SYM]!.contractSize).toBe(1);
  expect(markets['BTC/USD:BTC']!.inverse).toBe(true);
  expect(Object.values(markets).some((m) => m?.spot)).toBe(false);
  // ccxt's default (spot too) also loads: spot symbols and margin currencies are served
  srv.resetStats();
  const full = makeExchange(bitget, srv.url);
  const all = await full.loadMarkets();
  expect(all['BTC/USDT']!.spot).toBe(true);
  expect(countEndpoint(srv, 'bitget', 'markets')).toBe(8);
});

test('fetchOHLCV (recent endpoint): the latest `limit` bars before endTime, 1Dutc, values of the perp', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2024, 0, 1);
  const rows = await ex.fetchOHLCV(SYM, '1d', since, 90);
  expect(rows).toHaveLength(90);
  rows.forEach((r, i) => expect(r[0]).toBe(since + i * DAY));
  const log = srv.stats().log.filter((e) => e.endpoint === 'klines');
  expect(log[0].path).toBe('/api/v2/mix/market/candles');
  expect(log[0].query).toEqual({
    symbol: 'BTCUSDT',
    granularity: '1Dutc',
    startTime: String(since),
    endTime: String(since + 90 * DAY),
    limit: '90',
    productType: 'USDT-FUTURES',
  });
  const c = candle('bitget', 'BTC', 'perp', since + 45 * DAY, DAY)!;
  expect(rows[45][4]).toBeCloseTo(c.close, 0);
  expect(rows[45][5]).toBeCloseTo(c.volumeBase, 3);
  // coin-M: ccxt reads the coin volume from column 6
  const inv = await ex.fetchOHLCV('BTC/USD:BTC', '1d', since, 10);
  expect(inv[3][5]).toBeCloseTo(candle('bitget', 'BTC', 'perp', since + 3 * DAY, DAY)!.volumeBase, 3);
  // the live edge: bars up to the open one
  const edge = await ex.fetchOHLCV(SYM, '1h', Math.floor(NOW / HOUR) * HOUR - 5 * HOUR, 100);
  expect(edge).toHaveLength(6);
  expect(edge[5][4]).toBeCloseTo(markPrice('bitget', 'BTC', NOW, 'perp'), 0);
});

test('history endpoint: ≤ 200 bars, any age; the recent endpoint cannot reach past its window; 90-day span rule', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2020, 0, 1);
  // old enough (by ccxt's own clock) for ccxt to pick history-candles; limit is capped at 200 there, span at 90 days
  const rows = await ex.fetchOHLCV(SYM, '1d', since, 90);
  expect(srv.stats().log.filter((e) => e.endpoint === 'klines')[0].path).toBe('/api/v2/mix/market/history-candles');
  expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 90 }, (_, i) => since + i * DAY));
  const hourly = (await ex.publicMixGetV2MixMarketHistoryCandles({
    symbol: 'BTCUSDT',
    productType: 'USDT-FUTURES',
    granularity: '1H',
    startTime: since,
    endTime: since + 300 * HOUR,
    limit: 200,
  })) as { data: string[][] };
  expect(hourly.data).toHaveLength(200);
  expect(Number(hourly.data[0][0])).toBe(since + 100 * HOUR);
  await expect(
    ex.publicMixGetV2MixMarketHistoryCandles({
      symbol: 'BTCUSDT',
      productType: 'USDT-FUTURES',
      granularity: '1H',
      startTime: since,
      endTime: since + 10 * HOUR,
      limit: 201,
    })
  ).rejects.toThrow(/limit/);
  await expect(
    ex.publicMixGetV2MixMarketCandles({
      symbol: 'BTCUSDT',
      productType: 'USDT-FUTURES',
      granularity: '1Dutc',
      startTime: since,
      endTime: since + 91 * DAY,
      limit: 100,
    })
  ).rejects.toThrow(/90 days/);
  // 1m bars on the recent endpoint reach back 30 days only
  const old1m = (await ex.publicMixGetV2MixMarketCandles({
    symbol: 'BTCUSDT',
    productType: 'USDT-FUTURES',
    granularity: '1m',
    startTime: NOW - 40 * DAY,
    endTime: NOW - 39 * DAY,
    limit: 1000,
  })) as { data: string[][] };
  expect(old1m.data).toHaveLength(0);
  // the plain 1D granularity is aligned to UTC+8 (16:00 UTC)
  const d8 = (await ex.publicMixGetV2MixMarketCandles({
    symbol: 'BTCUSDT',
    productType: 'USDT-FUTURES',
    granularity: '1D',
    startTime: Date.UTC(2024, 4, 1),
    endTime: Date.UTC(2024, 4, 4),
    limit: 10,
  })) as { data: string[][] };
  expect(d8.data.map((r: string[]) => Number(r[0]))).toEqual([
    Date.UTC(2024, 4, 1, 16),
    Date.UTC(2024, 4, 2, 16),
    Date.UTC(2024, 4, 3, 16),
  ]);
});

test('funding history: 8h settlements newest first, pageSize ≤ 100, pages by pageNo', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const latest = Math.floor(NOW / (8 * HOUR)) * 8 * HOUR;
  const first = await ex.fetchFundingRateHistory(SYM, undefined, 100);
  expect(first).toHaveLength(100);
  expect(first[99].timestamp).toBe(latest);
  expect(first[0].timestamp).toBe(latest - 99 * 8 * HOUR);
  for (const r of [first[0], first[57]]) {
    expect(r.fundingRate).toBeCloseTo(fundingRate('bitget', 'BTC', r.timestamp!, 8), 10);
  }
  const second = await ex.fetchFundingRateHistory(SYM, undefined, 100, { pageNo: 2 });
  expect(second[99].timestamp).toBe(latest - 100 * 8 * HOUR);
  expect(queriesFor(srv, 'fundingHistory')[1]).toEqual({
    symbol: 'BTCUSDT',
    pageSize: '100',
    pageNo: '2',
    productType: 'USDT-FUTURES',
  });
  // ccxt's own incremental pagination walks pageNo
  const three = await ex.fetchFundingRateHistory(SYM, undefined, undefined, { paginate: true, paginationCalls: 3 });
  expect(three).toHaveLength(300);
  await expect(
    ex.publicMixGetV2MixMarketHistoryFundRate({ symbol: 'BTCUSDT', productType: 'USDT-FUTURES', pageSize: 101 })
  ).rejects.toThrow(/pageSize/);
});

test('open interest (current only) in base coin; ticker', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const oi = await ex.fetchOpenInterest(SYM);
  expect(oi.openInterestAmount).toBeCloseTo(openInterestBase('bitget', 'BTC', NOW), 3);
  expect(oi.timestamp).toBe(NOW);
  const t = await ex.fetchTicker(SYM);
  expect(t.last).toBeCloseTo(markPrice('bitget', 'BTC', NOW, 'perp'), 0);
  expect(t.bid!).toBeLessThan(t.ask!);
  expect(Number(t.info.holdingAmount)).toBeCloseTo(openInterestBase('bitget', 'BTC', NOW), 3);
  await expect(ex.publicMixGetV2MixMarketTicker({ symbol: 'NOPEUSDT', productType: 'USDT-FUTURES' })).rejects.toThrow();
});
