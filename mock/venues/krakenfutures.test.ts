/** @jest-environment node */
import krakenfutures from 'ccxt-src/krakenfutures.js';
import { candle, fundingRate, markPrice, openInterestBase } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests } from './ccxt-harness';
import venue from './krakenfutures';

// The server is started with this venue only: keep the venue registry (other venues' modules) out of this test.
jest.mock('./index', () => ({ loadVenueMocks: async () => ({ venues: [], missing: [] }) }));

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const LISTED = Date.UTC(2022, 2, 1);
const SYM = 'BTC/USD:USD';

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(krakenfutures, srv.url);

test('loadMarkets: one instruments call; PF_XBTUSD is a linear USD perp of 1 BTC per contract', async () => {
  const ex = mk();
  const markets = await ex.loadMarkets();
  expect(srv.stats().total).toBe(1);
  expect(countEndpoint(srv, 'krakenfutures', 'markets')).toBe(1);
  const m = markets[SYM]!;
  expect(m.id).toBe('PF_XBTUSD');
  expect(m.swap).toBe(true);
  expect(m.linear).toBe(true);
  expect(m.contractSize).toBe(1);
  expect(m.created).toBe(LISTED);
});

test('fetchOHLCV: 2000 bars per call from `from`, trade prices of the perp, nothing before the listing', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2023, 0, 1);
  const rows = await ex.fetchOHLCV(SYM, '1h', since, 2000);
  expect(rows).toHaveLength(2000);
  rows.forEach((r, i) => expect(r[0]).toBe(since + i * HOUR));
  const c = candle('krakenfutures', 'BTC', 'perp', since + 1234 * HOUR, HOUR)!;
  expect(rows[1234][4]).toBeCloseTo(c.close, 0);
  expect(rows[1234][5]).toBeCloseTo(c.volumeBase, 3);
  const log = srv.stats().log.filter((e) => e.endpoint === 'klines');
  expect(log[0].path).toBe('/api/charts/v1/trade/PF_XBTUSD/1h');
  expect(log[0].query).toEqual({ from: String(since / 1000), to: String(since / 1000 + 2000 * 3600 - 1) });
  // the whole daily history since listing fits one call; it ends with the open bar
  const daily = await ex.fetchOHLCV(SYM, '1d', Date.UTC(2022, 0, 1), 2000);
  expect(daily[0][0]).toBe(LISTED);
  expect(daily[daily.length - 1][0]).toBe(Date.UTC(2024, 5, 15));
  expect(daily).toHaveLength((Date.UTC(2024, 5, 15) - LISTED) / DAY + 1);
  expect(await ex.fetchOHLCV(SYM, '1d', Date.UTC(2021, 0, 1), 50)).toHaveLength(0);
});

test('raw chart answer: more_candles when cut at 2000, mark candles carry no volume', async () => {
  const ex = mk();
  const from = Date.UTC(2023, 0, 1) / 1000;
  const cut = await ex.chartsGetPriceTypeSymbolInterval({
    price_type: 'trade',
    symbol: 'PF_XBTUSD',
    interval: '1h',
    from,
    to: from + 3000 * 3600,
  });
  expect(cut.candles).toHaveLength(2000);
  expect(cut.more_candles).toBe(true);
  const whole = await ex.chartsGetPriceTypeSymbolInterval({
    price_type: 'trade',
    symbol: 'PF_XBTUSD',
    interval: '1h',
    from,
    to: from + 10 * 3600,
  });
  expect(whole.candles).toHaveLength(11);
  expect(whole.more_candles).toBe(false);
  const mark = await ex.chartsGetPriceTypeSymbolInterval({
    price_type: 'mark',
    symbol: 'PF_XBTUSD',
    interval: '1d',
    from,
    to: from + 86400,
  });
  expect(mark.candles.map((x: { volume: string }) => x.volume)).toEqual(['0', '0']);
  await expect(
    ex.chartsGetPriceTypeSymbolInterval({ price_type: 'trade', symbol: 'PF_XBTUSD', interval: '2h', from })
  ).rejects.toThrow();
});

test('funding history: the whole hourly history in one call, ccxt reads the relative hourly rate', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const all = await ex.fetchFundingRateHistory(SYM);
  expect(countEndpoint(srv, 'krakenfutures', 'fundingHistory')).toBe(1);
  expect(queriesFor(srv, 'fundingHistory')[0]).toEqual({ symbol: 'PF_XBTUSD' });
  const lastHour = Math.floor(NOW / HOUR) * HOUR;
  expect(all).toHaveLength((lastHour - LISTED) / HOUR);
  expect(all[0].timestamp).toBe(LISTED + HOUR);
  expect(all[all.length - 1].timestamp).toBe(lastHour);
  for (const k of [0, 5000, all.length - 1]) {
    const t = all[k].timestamp!;
    const rel = fundingRate('krakenfutures', 'BTC', t, 1);
    expect(all[k].fundingRate).toBeCloseTo(rel, 12);
    // the absolute rate is the relative one times the mark price
    expect(Number(all[k].info.fundingRate)).toBeCloseTo(rel * markPrice('krakenfutures', 'BTC', t, 'perp'), 6);
  }
  // hourly venue: an 8h-equivalent rate is ≈ 8 × the hourly one, so the hourly rate is small
  expect(Math.max(...all.map((r) => Math.abs(r.fundingRate!)))).toBeLessThan(0.00375 / 8 + 1e-9);
  const since = await ex.fetchFundingRateHistory(SYM, lastHour - 5 * HOUR);
  expect(since.map((r) => r.timestamp)).toEqual([0, 1, 2, 3, 4, 5].map((i) => lastHour - 5 * HOUR + i * HOUR));
});

test('open-interest history through the charts analytics endpoint (coins), `more` past 2000 buckets', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2024, 0, 1) / 1000;
  const r = await ex.request('analytics/PF_XBTUSD/open-interest', 'charts', 'GET', {
    since,
    interval: 86400,
    to: NOW / 1000,
    version: 'v1',
  });
  const log = srv.stats().log.filter((e) => e.endpoint === 'openInterestHistory');
  expect(log[0].path).toBe('/api/charts/v1/analytics/PF_XBTUSD/open-interest');
  const days = (Date.UTC(2024, 5, 15) - Date.UTC(2024, 0, 1)) / DAY + 1;
  expect(r.result.timestamp).toHaveLength(days);
  expect(r.result.data).toHaveLength(days);
  expect(r.result.more).toBe(false);
  expect(r.result.timestamp[0]).toBe(since);
  // each bucket holds the OI at its end; the running bucket the OI now
  expect(r.result.data[0]).toBeCloseTo(openInterestBase('krakenfutures', 'BTC', since * 1000 + DAY), 3);
  expect(r.result.data[days - 1]).toBeCloseTo(openInterestBase('krakenfutures', 'BTC', NOW), 3);
  const hourly = await ex.request('analytics/PF_XBTUSD/open-interest', 'charts', 'GET', {
    since: LISTED / 1000,
    interval: 3600,
    version: 'v1',
  });
  expect(hourly.result.timestamp).toHaveLength(2000);
  expect(hourly.result.more).toBe(true);
  // before the listing there is nothing: the series starts at the listing
  const early = await ex.request('analytics/PF_XBTUSD/open-interest', 'charts', 'GET', {
    since: Date.UTC(2021, 0, 1) / 1000,
    interval: 604800,
    version: 'v1',
  });
  expect(early.result.timestamp[0] * 1000).toBeGreaterThanOrEqual(LISTED);
  await expect(
    ex.request('analytics/PF_XBTUSD/open-interest', 'charts', 'GET', { since, interval: 7, version: 'v1' })
  ).rejects.toThrow();
});

test('ticker: mark/last/index, OI in coins, current funding relative to mark', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const t = await ex.fetchTicker(SYM);
  expect(t.markPrice).toBeCloseTo(markPrice('krakenfutures', 'BTC', NOW, 'perp'), 0);
  expect(t.bid!).toBeLessThan(t.ask!);
  expect(t.info.openInterest).toBeCloseTo(openInterestBase('krakenfutures', 'BTC', NOW), 3);
  const f = await ex.fetchFundingRate(SYM);
  expect(f.fundingRate).toBeCloseTo(fundingRate('krakenfutures', 'BTC', NOW, 1), 9);
  expect(f.interval).toBe('1h');
});
