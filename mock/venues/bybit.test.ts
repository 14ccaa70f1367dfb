/** @jest-environment node */
import bybit from 'ccxt-src/bybit.js';
import { candle, fundingRate, markPrice, openInterestBase } from '../market';
import { makeExchange, queriesFor, venueServerForTests, withMarkets } from './ccxt-harness';
import venue from './bybit';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const LIN = 'BTC/USDT:USDT';
const INV = 'BTC/USD:BTC';

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(bybit, srv.url, { fetchMarkets: { types: ['linear', 'inverse'] } });
const ready = () => withMarkets(mk(), srv);
interface BybitBody {
  retCode: number;
  retMsg: string;
  result: { list: unknown[]; nextPageCursor?: string };
}
const raw = async (p: string) => (await (await fetch(`${srv.url}/api.bybit.com${p}`)).json()) as BybitBody;

test('loadMarkets with types [linear, inverse]: 4 requests (each category, plus its PreLaunch list); linear and inverse perps', async () => {
  const ex = mk();
  const m = await ex.loadMarkets();
  const qs = queriesFor(srv, 'markets').map((q) => `${q.category}:${q.status ?? ''}`);
  expect(qs.sort()).toEqual(['inverse:', 'inverse:PreLaunch', 'linear:', 'linear:PreLaunch']);
  expect(srv.stats().total).toBe(4);
  expect(m[LIN]).toMatchObject({ id: 'BTCUSDT', linear: true, contractSize: 1 });
  expect(m[INV]).toMatchObject({ id: 'BTCUSD', inverse: true, contractSize: 1, settle: 'BTC' });
  expect((m[LIN]!.info as { fundingInterval: number }).fundingInterval).toBe(480);
});

test('kline: 1000 rows a page, served newest first, from start forward; limit 1001 refused', async () => {
  const ex = await ready();
  const since = Date.UTC(2023, 0, 1);
  const rows = await ex.fetchOHLCV(LIN, '1h', since, 1000);
  expect(rows).toHaveLength(1000);
  expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 1000 }, (_, i) => since + i * H));
  const body = await raw(`/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&start=${since}&limit=3`);
  expect((body.result.list as string[][]).map((r) => Number(r[0]))).toEqual([since + 2 * H, since + H, since]);
  const c = candle('bybit', 'BTC', 'perp', since, H)!;
  expect(Number((body.result.list as string[][])[2][1])).toBeCloseTo(Math.round(c.open * 10) / 10, 6);
  expect(await raw('/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&limit=1001')).toMatchObject({
    retCode: 10001,
  });
  // with an end: the newest rows up to it
  const ended = await raw(
    `/v5/market/kline?category=linear&symbol=BTCUSDT&interval=D&start=${since}&end=${since + 10 * D}&limit=2`
  );
  expect((ended.result.list as string[][]).map((r) => Number(r[0]))).toEqual([since + 10 * D, since + 9 * D]);
});

test('inverse kline: volume is in contracts (USD), ccxt reads the base-coin amount from turnover', async () => {
  const ex = await ready();
  const since = Date.UTC(2024, 0, 10);
  const rows = await ex.fetchOHLCV(INV, '1d', since, 2);
  const body = await raw(`/v5/market/kline?category=inverse&symbol=BTCUSD&interval=D&start=${since}&limit=1`);
  const r = (body.result.list as string[][])[0];
  const c = candle('bybit:inverse', 'BTC', 'perp', since, D)!;
  expect(Number(r[5])).toBe(Math.round(Number(r[5]))); // whole contracts
  expect(Number(r[5]) / c.volumeBase).toBeGreaterThan(c.low * 0.99); // contracts ≈ base × price
  expect(Number(r[5]) / c.volumeBase).toBeLessThan(c.high * 1.01);
  expect(rows[0][5]).toBeCloseTo(Number(r[6]), 6);
  expect(rows[0][5]! / c.volumeBase).toBeCloseTo(1, 3);
});

test('funding history: 200 rows a page, 8h apart, equal to the simulated rates; startTime alone is an error', async () => {
  const ex = await ready();
  const since = Date.UTC(2023, 5, 1);
  const rows = await ex.fetchFundingRateHistory(LIN, since, 200);
  const q = queriesFor(srv, 'fundingHistory')[0];
  expect(Number(q.endTime) - Number(q.startTime)).toBe(200 * 8 * H);
  // ccxt's window [since, since + 200 × 8h] holds 201 settlements (both ends count); Bybit returns the
  // newest 200 of them, so the row at `since` itself is not in this page
  expect(rows).toHaveLength(200);
  expect(rows[0].timestamp).toBe(since + 8 * H);
  expect(rows.every((r, i) => r.timestamp === since + (i + 1) * 8 * H)).toBe(true);
  expect(rows[123].fundingRate).toBeCloseTo(fundingRate('bybit', 'BTC', rows[123].timestamp!, 8), 8);
  const inv = await ex.fetchFundingRateHistory(INV, since, 5);
  expect(inv[0].timestamp).toBe(since + 8 * H);
  expect(inv[0].fundingRate).toBeCloseTo(fundingRate('bybit:inverse', 'BTC', since + 8 * H, 8), 8);
  expect(inv[0].fundingRate).not.toBeCloseTo(rows[0].fundingRate!, 8); // the inverse perp is its own venue key
  expect(await raw(`/v5/market/funding/history?category=linear&symbol=BTCUSDT&startTime=${since}`)).toMatchObject({
    retCode: 10001,
  });
  expect(await raw('/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=201')).toMatchObject({
    retCode: 10001,
  });
});

test('OI history walks back to the first row (2020-08-10) through nextPageCursor, 200 rows a page, no gap or overlap', async () => {
  const all: number[] = [];
  let cursor = '';
  let pages = 0;
  do {
    const body = await raw(
      `/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=1d&limit=200${cursor ? `&cursor=${cursor}` : ''}`
    );
    expect(body.retCode).toBe(0);
    all.push(...(body.result.list as Array<{ timestamp: string }>).map((r) => Number(r.timestamp)));
    cursor = body.result.nextPageCursor ?? '';
    pages++;
  } while (cursor && pages < 50);
  const days = (Math.floor(NOW / D) * D - Date.UTC(2020, 7, 10)) / D + 1;
  expect(all).toHaveLength(days);
  expect(pages).toBe(Math.ceil(days / 200));
  expect(all[0]).toBe(Math.floor(NOW / D) * D);
  expect(all[all.length - 1]).toBe(Date.UTC(2020, 7, 10));
  expect(all.every((t, i) => i === 0 || all[i - 1] - t === D)).toBe(true);
});

test('OI history through ccxt with paginate (cursor): the same rows; linear in base coin, inverse in USD', async () => {
  const ex = await ready();
  const rows = await ex.fetchOpenInterestHistory(LIN, '1d', undefined, undefined, { paginate: true });
  const days = (Math.floor(NOW / D) * D - Date.UTC(2020, 7, 10)) / D + 1;
  expect(rows).toHaveLength(days);
  const r = rows[rows.length - 1];
  expect(r.openInterestAmount).toBeCloseTo(openInterestBase('bybit', 'BTC', r.timestamp!), 6);
  const inv = await ex.fetchOpenInterestHistory(INV, '1h', NOW - 3 * D, 10);
  expect(inv).toHaveLength(10);
  const x = inv[0];
  expect(x.openInterestAmount).toBeUndefined();
  expect(x.openInterestValue).toBe(
    Math.round(
      openInterestBase('bybit:inverse', 'BTC', x.timestamp!) * markPrice('bybit:inverse', 'BTC', x.timestamp!, 'perp')
    )
  );
  expect(await raw('/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=2h')).toMatchObject({
    retCode: 10001,
  });
  expect(await raw('/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=1h&limit=201')).toMatchObject({
    retCode: 10001,
  });
});

test('current OI, ticker and time', async () => {
  const ex = await ready();
  const oi = await ex.fetchOpenInterest(LIN);
  expect(oi.timestamp).toBe(Math.floor(NOW / H) * H);
  const t = await ex.fetchTicker(LIN);
  expect(t.last).toBeCloseTo(Math.round(markPrice('bybit', 'BTC', NOW, 'perp') * 10) / 10, 6);
  expect(Number((t.info as { fundingRate: string }).fundingRate)).toBeCloseTo(fundingRate('bybit', 'BTC', NOW, 8), 8);
  expect(await ex.fetchTime()).toBe(NOW);
});

test('errors come back as HTTP 200 with a retCode, which ccxt turns into exceptions', async () => {
  const ex = await ready();
  srv.setFaults([{ venue: 'bybit', endpoint: 'klines', type: '429', retryAfterSec: 3, times: 1 }]);
  await expect(ex.fetchOHLCV(LIN, '1h', NOW - D, 5)).rejects.toThrow();
  expect(await ex.fetchOHLCV(LIN, '1h', NOW - D, 5)).toHaveLength(5);
  await expect(ex.fetchOHLCV(LIN, '7m' as '1m', NOW - D, 5)).rejects.toThrow();
});
