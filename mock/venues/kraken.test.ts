/** @jest-environment node */
import kraken from 'ccxt-src/kraken.js';
import { candle, markPrice } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests } from './ccxt-harness';
import venue from './kraken';

// The server is started with this venue only: keep the venue registry (other venues' modules) out of this test.
jest.mock('./index', () => ({ loadVenueMocks: async () => ({ venues: [], missing: [] }) }));

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const TODAY = Date.UTC(2024, 5, 15);

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(kraken, srv.url);

test('loadMarkets: Assets + AssetPairs; XXBT/ZUSD map to BTC/USD and the USDT/USD reference exists', async () => {
  const ex = mk();
  const markets = await ex.loadMarkets();
  expect(countEndpoint(srv, 'kraken', 'currencies')).toBe(1);
  expect(countEndpoint(srv, 'kraken', 'markets')).toBe(1);
  expect(srv.stats().total).toBe(2);
  expect(markets['BTC/USD']!.id).toBe('XXBTZUSD');
  expect(markets['BTC/USD']!.active).toBe(true);
  expect(markets['USDT/USD']!.id).toBe('USDTZUSD');
  expect(markets['ETH/USD']!.id).toBe('XETHZUSD');
});

test('OHLC keeps only the latest 720 bars: an old `since` still gets the same 720, the open bar last', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const latest = await ex.fetchOHLCV('BTC/USD', '1d');
  expect(latest).toHaveLength(720);
  expect(latest[719][0]).toBe(TODAY);
  expect(latest[0][0]).toBe(TODAY - 719 * DAY);
  const old = await ex.fetchOHLCV('BTC/USD', '1d', Date.UTC(2019, 0, 1));
  expect(old.map((r) => r[0])).toEqual(latest.map((r) => r[0]));
  // the open bar closes at the current price
  expect(latest[719][4]).toBeCloseTo(markPrice('kraken', 'BTC', NOW, 'spot'), 0);
  for (const i of [0, 400, 718]) {
    const c = candle('kraken', 'BTC', 'spot', latest[i][0]!, DAY)!;
    expect(latest[i][1]).toBeCloseTo(c.open, 0);
    expect(latest[i][4]).toBeCloseTo(c.close, 0);
    expect(latest[i][5]).toBeCloseTo(c.volumeBase, 6);
  }
});

test('since inside the window: ccxt sends since − 1 interval, Kraken answers strictly after it', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = TODAY - 10 * DAY;
  const rows = await ex.fetchOHLCV('BTC/USD', '1d', since);
  expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 11 }, (_, i) => since + i * DAY));
  const [q] = queriesFor(srv, 'klines');
  expect(q).toEqual({ pair: 'XXBTZUSD', interval: '1440', since: String((since - DAY) / 1000) });
  // `last` is the newest committed bar; a since at or after the open bar still returns the open bar
  const raw = await ex.publicGetOHLC({ pair: 'XBTUSD', interval: 60, since: NOW / 1000 });
  expect(raw.result.last).toBe((Math.floor(NOW / HOUR) * HOUR - HOUR) / 1000);
  expect(raw.result.XXBTZUSD).toHaveLength(1);
  expect(raw.result.XXBTZUSD[0][0]).toBe((Math.floor(NOW / HOUR) * HOUR) / 1000);
  expect(raw.result.XXBTZUSD[0][1]).toMatch(/^\d+\.\d$/);
});

test('the USDT/USD reference: 720 daily bars near 1, 4h bars reach back 120 days only', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const d = await ex.fetchOHLCV('USDT/USD', '1d', Date.UTC(2020, 0, 1));
  expect(d).toHaveLength(720);
  d.forEach((r) => expect(Math.abs(r[4]! - 1)).toBeLessThan(0.02));
  const h4 = await ex.fetchOHLCV('USDT/USD', '4h');
  expect(h4).toHaveLength(720);
  expect(h4[0][0]).toBe(Math.floor(NOW / (4 * HOUR)) * 4 * HOUR - 719 * 4 * HOUR);
});

test('unknown pair and bad interval are Kraken errors', async () => {
  const ex = mk();
  await ex.loadMarkets();
  await expect(ex.publicGetOHLC({ pair: 'NOPEUSD', interval: 60 })).rejects.toThrow(/Unknown asset pair/);
  await expect(ex.publicGetOHLC({ pair: 'XXBTZUSD', interval: 7 })).rejects.toThrow(/Invalid arguments/);
});

test('fetchTicker: last at the simulated price, bid < ask', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const t = await ex.fetchTicker('BTC/USD');
  expect(t.last).toBeCloseTo(markPrice('kraken', 'BTC', NOW, 'spot'), 0);
  expect(t.bid!).toBeLessThan(t.ask!);
  expect(t.open).toBeCloseTo(markPrice('kraken', 'BTC', TODAY, 'spot'), 0);
});
