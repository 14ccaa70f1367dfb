/** @jest-environment node */
import deribit from 'ccxt-src/deribit.js';
import { candle, fundingRate, markPrice, openInterestBase } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests } from './ccxt-harness';
import venue from './deribit';

// The server is started with this venue only: keep the venue registry (other venues' modules) out of this test.
jest.mock('./index', () => ({ loadVenueMocks: async () => ({ venues: [], missing: [] }) }));

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const SYM = 'BTC/USD:BTC';

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(deribit, srv.url);

test('loadMarkets: get_currencies + get_instruments; BTC-PERPETUAL is inverse with 10 USD contracts', async () => {
  const ex = mk();
  const markets = await ex.loadMarkets();
  expect(countEndpoint(srv, 'deribit', 'currencies')).toBe(1);
  expect(countEndpoint(srv, 'deribit', 'markets')).toBe(1);
  expect(srv.stats().total).toBe(2);
  const m = markets[SYM]!;
  expect(m.id).toBe('BTC-PERPETUAL');
  expect(m.inverse).toBe(true);
  expect(m.contractSize).toBe(10);
  expect(markets['SOL/USDC:USDC']!.linear).toBe(true);
  // narrowing through params works too (currency filter)
  const raw = await ex.publicGetGetInstruments({ currency: 'BTC', kind: 'future' });
  expect(raw.result.map((x: { instrument_name: string }) => x.instrument_name)).toEqual(['BTC-PERPETUAL']);
});

test('fetchOHLCV: ticks in [start, end], the latest 5000 of the range; ccxt asks since − 1 ms', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2023, 0, 1);
  // with until = since + 5000 bars − 1 ms the range holds exactly 5000 ticks
  const rows = await ex.fetchOHLCV(SYM, '1h', since, 5000, { until: since + 5000 * HOUR - 1 });
  expect(rows).toHaveLength(5000);
  rows.forEach((r, i) => expect(r[0]).toBe(since + i * HOUR));
  const c = candle('deribit', 'BTC', 'perp', since + 777 * HOUR, HOUR)!;
  expect(rows[777][4]).toBeCloseTo(c.close, 0);
  expect(rows[777][5]).toBeCloseTo(c.volumeBase, 6);
  expect(queriesFor(srv, 'klines')[0]).toEqual({
    instrument_name: 'BTC-PERPETUAL',
    resolution: '60',
    start_timestamp: String(since - 1),
    end_timestamp: String(since + 5000 * HOUR - 1),
  });
  // without until ccxt's window is [since − 1, since − 1 + 5000 bars]: the same 5000 ticks
  const plain = await ex.fetchOHLCV(SYM, '1h', since, 5000);
  expect(plain.map((r) => r[0])).toEqual(rows.map((r) => r[0]));
  // a wider range is cut to its latest 5000 ticks (those closest to end_timestamp)
  const raw = await ex.publicGetGetTradingviewChartData({
    instrument_name: 'BTC-PERPETUAL',
    resolution: '60',
    start_timestamp: since,
    end_timestamp: since + 6000 * HOUR,
  });
  expect(raw.result.ticks).toHaveLength(5000);
  expect(raw.result.ticks[0]).toBe(since + 1001 * HOUR);
  expect(raw.result.ticks[4999]).toBe(since + 6000 * HOUR);
  expect(raw.result.status).toBe('ok');
  // daily bars up to the open one
  const daily = await ex.fetchOHLCV(SYM, '1d', Date.UTC(2024, 5, 1), 100);
  expect(daily.map((r) => r[0])).toEqual(Array.from({ length: 15 }, (_, i) => Date.UTC(2024, 5, 1) + i * DAY));
});

test('funding history: hourly rows, interest_8h = sum of the last 8 hourly rates (what ccxt reports), ≤ 744 latest', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2024, 3, 1);
  const rows = await ex.fetchFundingRateHistory(SYM, since, undefined, { until: since + 48 * HOUR });
  expect(rows.map((r) => r.timestamp)).toEqual(Array.from({ length: 49 }, (_, i) => since + i * HOUR));
  for (const r of [rows[0], rows[30]]) {
    const t = r.timestamp!;
    const h1 = fundingRate('deribit', 'BTC', t, 1);
    let h8 = 0;
    for (let k = 0; k < 8; k++) {
      h8 += fundingRate('deribit', 'BTC', t - k * HOUR, 1);
    }
    expect(r.info.interest_1h).toBeCloseTo(h1, 12);
    expect(r.fundingRate).toBeCloseTo(h8, 11);
    expect(r.info.index_price).toBeCloseTo(markPrice('deribit', 'BTC', t, 'spot'), 1);
  }
  // a 40-day window is cut to the latest 744 rows
  const end = since + 40 * DAY;
  const raw = await ex.publicGetGetFundingRateHistory({
    instrument_name: 'BTC-PERPETUAL',
    start_timestamp: since,
    end_timestamp: end,
  });
  expect(raw.result).toHaveLength(744);
  expect(raw.result[743].timestamp).toBe(end);
  expect(raw.result[0].timestamp).toBe(end - 743 * HOUR);
});

test('open interest (current only): USD for the inverse perp, coins for the linear one', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const oi = await ex.fetchOpenInterest(SYM);
  const usd = openInterestBase('deribit', 'BTC', NOW) * markPrice('deribit', 'BTC', NOW, 'perp');
  expect(oi.openInterestValue).toBeDefined();
  expect(Math.abs(oi.openInterestValue! - usd)).toBeLessThanOrEqual(5);
  expect(oi.openInterestValue! % 10).toBe(0);
  // ccxt quirk: for a linear *swap* it files Deribit's coin amount under openInterestValue
  const sol = await ex.fetchOpenInterest('SOL/USDC:USDC');
  expect(sol.openInterestAmount).toBeUndefined();
  expect(sol.openInterestValue).toBeCloseTo(openInterestBase('deribit', 'SOL', NOW), 0);
  expect(countEndpoint(srv, 'deribit', 'openInterest')).toBe(2);
});

test('ticker: mark/index/last, funding fields, OI in USD', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const t = await ex.fetchTicker(SYM);
  expect(t.markPrice).toBeCloseTo(markPrice('deribit', 'BTC', NOW, 'perp'), 1);
  expect(t.indexPrice).toBeCloseTo(markPrice('deribit', 'BTC', NOW, 'spot'), 1);
  expect(t.bid!).toBeLessThan(t.ask!);
  expect(t.info.current_funding).toBeCloseTo(fundingRate('deribit', 'BTC', NOW, 1), 12);
  await expect(ex.publicGetTicker({ instrument_name: 'NOPE-PERPETUAL' })).rejects.toThrow(/instrument not found/);
});
