/** @jest-environment node */
import hyperliquid from 'ccxt-src/hyperliquid.js';
import { candle, fundingRate, markPrice, openInterestBase } from '../market';
import { countEndpoint, makeExchange, venueServerForTests } from './ccxt-harness';
import venue from './hyperliquid';

// The server is started with this venue only: keep the venue registry (other venues' modules) out of this test.
jest.mock('./index', () => ({ loadVenueMocks: async () => ({ venues: [], missing: [] }) }));

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const LISTED = Date.UTC(2023, 5, 1);
const SYM = 'BTC/USDC:USDC';
const SWAP_ONLY = { fetchMarkets: { types: ['swap'] } };

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(hyperliquid, srv.url, SWAP_ONLY);

async function post(body: unknown): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(`${srv.url}/api.hyperliquid.xyz/info`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

test('loadMarkets narrowed to swap: 2 POSTs (spotMeta, metaAndAssetCtxs); the perp id is the coin index', async () => {
  const ex = mk();
  const markets = await ex.loadMarkets();
  expect(srv.stats().total).toBe(2);
  expect(countEndpoint(srv, 'hyperliquid', 'info')).toBe(2);
  const m = markets[SYM]!;
  expect(m.id).toBe('0');
  expect(m.swap).toBe(true);
  expect(m.linear).toBe(true);
  expect(m.contractSize).toBe(1);
  expect(markets['ETH/USDC:USDC']!.id).toBe('1');
  // ccxt's default (spot, swap, hip3) costs 4 POSTs and also works
  srv.resetStats();
  const all = await makeExchange(hyperliquid, srv.url).loadMarkets();
  expect(srv.stats().total).toBe(4);
  expect(all[SYM]).toBeDefined();
  expect(all['BTC/USDC']!.spot).toBe(true);
});

test('candleSnapshot: only the latest 5000 bars of an interval exist', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const lastHour = Math.floor(NOW / HOUR) * HOUR;
  const rows = await ex.fetchOHLCV(SYM, '1h', LISTED, 5000);
  expect(rows).toHaveLength(5000);
  expect(rows[0][0]).toBe(lastHour - 4999 * HOUR);
  expect(rows[4999][0]).toBe(lastHour);
  const c = candle('hyperliquid', 'BTC', 'perp', rows[100][0]!, HOUR)!;
  expect(rows[100][4]! / c.close).toBeCloseTo(1, 4);
  expect(rows[100][5]).toBeCloseTo(c.volumeBase, 4);
  // daily bars reach back to the (simulated) listing, since nothing older exists
  const daily = await ex.fetchOHLCV(SYM, '1d', Date.UTC(2023, 0, 1), 1000);
  expect(daily[0][0]).toBe(LISTED);
  expect(daily[daily.length - 1][0]).toBe(Date.UTC(2024, 5, 15));
  // a window in the middle: bars opening in [startTime, endTime]
  const r = await post({
    type: 'candleSnapshot',
    req: { coin: 'BTC', interval: '1d', startTime: Date.UTC(2024, 0, 1), endTime: Date.UTC(2024, 0, 3) },
  });
  const bars = r.json as Array<{ t: number; T: number; s: string; i: string; o: string }>;
  expect(bars.map((b) => b.t)).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)]);
  expect(bars[0].T).toBe(Date.UTC(2024, 0, 2) - 1);
  expect(bars[0].s).toBe('BTC');
  expect(typeof bars[0].o).toBe('string');
  expect((await post({ type: 'candleSnapshot', req: { coin: 'BTC', interval: '2d', startTime: 0 } })).status).toBe(422);
});

test('fundingHistory: hourly, ≤ 500 rows from startTime, jittered times; next page from last time + 1', async () => {
  const ex = mk();
  await ex.loadMarkets();
  const since = Date.UTC(2024, 0, 1);
  const page1 = await ex.fetchFundingRateHistory(SYM, since);
  expect(page1).toHaveLength(500);
  page1.forEach((r, i) => {
    const hour = since + i * HOUR;
    expect(r.timestamp! - hour).toBeGreaterThanOrEqual(0);
    expect(r.timestamp! - hour).toBeLessThan(100);
    if (i % 97 === 0) {
      expect(r.fundingRate).toBeCloseTo(fundingRate('hyperliquid', 'BTC', hour, 1), 12);
    }
  });
  const page2 = await ex.fetchFundingRateHistory(SYM, page1[499].timestamp! + 1);
  expect(Math.floor(page2[0].timestamp! / HOUR) * HOUR).toBe(since + 500 * HOUR);
  // before the listing there is nothing; the first row is one hour after it
  const early = await ex.fetchFundingRateHistory(SYM, Date.UTC(2022, 0, 1));
  expect(Math.floor(early[0].timestamp! / HOUR) * HOUR).toBe(LISTED + HOUR);
  // the running hour has not settled
  const tail = await ex.fetchFundingRateHistory(SYM, NOW - 3 * HOUR);
  expect(tail.every((r) => r.timestamp! <= NOW)).toBe(true);
  expect(tail).toHaveLength(3);
});

test('faults can target one query type of POST /info by its name, or every type as `info`', async () => {
  const since = Date.UTC(2024, 0, 1);
  srv.setFaults([{ venue: 'hyperliquid', endpoint: 'fundingHistory', type: '500' }]);
  expect((await post({ type: 'fundingHistory', coin: 'BTC', startTime: since })).status).toBe(500);
  const candles = await post({ type: 'candleSnapshot', req: { coin: 'BTC', interval: '1h', startTime: since } });
  expect(candles.status).toBe(200);
  expect((candles.json as unknown[]).length).toBeGreaterThan(0);
  expect((await post({ type: 'meta' })).status).toBe(200);
  srv.setFaults([{ venue: 'hyperliquid', endpoint: 'klines', type: 'empty' }]);
  expect((await post({ type: 'candleSnapshot', req: { coin: 'BTC', interval: '1h', startTime: since } })).json).toEqual(
    []
  );
  expect(((await post({ type: 'fundingHistory', coin: 'BTC', startTime: since })).json as unknown[]).length).toBe(500);
  srv.setFaults([{ venue: 'hyperliquid', endpoint: 'info', type: '500' }]);
  expect((await post({ type: 'meta' })).status).toBe(500);
  expect((await post({ type: 'fundingHistory', coin: 'BTC', startTime: since })).status).toBe(500);
  // stats still count every type under `info`
  expect(countEndpoint(srv, 'hyperliquid', 'info')).toBe(7);
});

test('open interest (current only, coins) and the ticker come from metaAndAssetCtxs', async () => {
  const ex = mk();
  await ex.loadMarkets();
  srv.resetStats();
  const oi = await ex.fetchOpenInterest(SYM);
  expect(oi.openInterestAmount).toBeCloseTo(openInterestBase('hyperliquid', 'BTC', NOW), 4);
  const t = await ex.fetchTicker(SYM);
  expect(t.close! / markPrice('hyperliquid', 'BTC', NOW, 'perp')).toBeCloseTo(1, 4);
  expect(t.bid!).toBeLessThan(t.ask!);
  expect(srv.stats().total).toBe(2);
  const ctx = (await post({ type: 'metaAndAssetCtxs' })).json as [unknown, Array<{ funding: string; markPx: string }>];
  expect(Number(ctx[1][0].funding)).toBeCloseTo(fundingRate('hyperliquid', 'BTC', NOW, 1), 12);
  // prices keep at most 5 significant figures
  expect(ctx[1][0].markPx.replace('.', '').replace(/^0+/, '').length).toBeLessThanOrEqual(5);
});

test('unknown type is a 422 text answer; an unknown coin gives an empty list', async () => {
  const bad = await post({ type: 'nope' });
  expect(bad.status).toBe(422);
  expect(bad.text).toMatch(/unknown variant/);
  const none = await post({ type: 'fundingHistory', coin: 'NOPE', startTime: 0 });
  expect(none.json).toEqual([]);
  expect((await post({ type: 'exchangeStatus' })).json).toEqual({ specialStatuses: null, time: NOW });
});
