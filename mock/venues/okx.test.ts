/** @jest-environment node */
import okx from 'ccxt-src/okx.js';
import { candle, fundingRate, markPrice, openInterestBase } from '../market';
import { countEndpoint, makeExchange, queriesFor, venueServerForTests, withMarkets } from './ccxt-harness';
import venue from './okx';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2024, 5, 15, 12, 34, 56);
const SYM = 'BTC/USDT:USDT';

const srv = venueServerForTests(venue, NOW);

const mk = () => makeExchange(okx, srv.url, { fetchMarkets: { types: ['swap'] } });
const ready = () => withMarkets(mk(), srv);
interface OkxBody {
  code: string;
  msg: string;
  data: unknown[];
}
const raw = async (p: string) => (await (await fetch(`${srv.url}/www.okx.com${p}`)).json()) as OkxBody;
const times = (b: OkxBody) => (b.data as string[][]).map((r) => Number(r[0]));

test('loadMarkets with types [swap] is one request; BTC-USDT-SWAP has contract size 0.01 BTC, BTC-USD-SWAP 100 USD', async () => {
  const ex = mk();
  const m = await ex.loadMarkets();
  expect(srv.stats().total).toBe(1);
  expect(queriesFor(srv, 'markets')).toEqual([{ instType: 'SWAP' }]);
  expect(m[SYM]).toMatchObject({ id: 'BTC-USDT-SWAP', linear: true, contractSize: 0.01 });
  expect(m['BTC/USD:BTC']).toMatchObject({ id: 'BTC-USD-SWAP', inverse: true, contractSize: 100 });
});

test('candles: ccxt sends old ranges to history-candles (300 rows), the result matches the market, volume in base coin', async () => {
  const ex = await ready();
  const since = Date.UTC(2021, 0, 1);
  const rows = await ex.fetchOHLCV(SYM, '1h', since, 300);
  expect(countEndpoint(srv, 'okx', 'historyKlines')).toBe(1);
  expect(rows).toHaveLength(300);
  expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 300 }, (_, i) => since + i * H));
  const c = candle('okx', 'BTC', 'perp', since + 7 * H, H)!;
  expect(rows[7][4]).toBeCloseTo(Math.round(c.close * 10) / 10, 6);
  // vol is in contracts (whole lots of 0.01), ccxt reads volCcy = contracts × 0.01 BTC
  expect(rows[7][5]! / c.volumeBase).toBeCloseTo(1, 3);
  expect(await raw('/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1H&limit=301')).toMatchObject({
    code: '51000',
  });
});

test('candles paging: after = older than, before = newer than, newest first; before alone gives the latest rows', async () => {
  const a = Date.UTC(2023, 3, 1);
  const b1 = await raw(`/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1H&after=${a}&limit=3`);
  expect(times(b1)).toEqual([a - H, a - 2 * H, a - 3 * H]);
  const b2 = await raw(
    `/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1H&before=${a}&after=${a + 10 * H}&limit=3`
  );
  expect(times(b2)).toEqual([a + 9 * H, a + 8 * H, a + 7 * H]);
  const b3 = await raw(`/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1H&before=${a}&limit=2`);
  const open = Math.floor(NOW / H) * H;
  expect(times(b3)).toEqual([open, open - H]);
  // the open bar is marked unconfirmed
  expect((b3.data as string[][])[0][8]).toBe('0');
  expect((b3.data as string[][])[1][8]).toBe('1');
});

test('recent candles hold only the latest 1,440 bars; history-candles has the rest', async () => {
  const open = Math.floor(NOW / H) * H;
  const oldest = open - 1439 * H;
  const edge = await raw(`/api/v5/market/candles?instId=BTC-USDT-SWAP&bar=1H&after=${oldest + 2 * H}&limit=300`);
  expect(times(edge)).toEqual([oldest + H, oldest]);
  const beyond = await raw(`/api/v5/market/candles?instId=BTC-USDT-SWAP&bar=1H&after=${oldest}&limit=300`);
  expect(beyond.data).toEqual([]);
  const hist = await raw(`/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1H&after=${oldest}&limit=300`);
  expect(hist.data).toHaveLength(300);
});

test('daily bars: 1Dutc opens at 00:00 UTC, 1D at 16:00 UTC (Hong Kong midnight)', async () => {
  const utc = await raw(
    `/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1Dutc&after=${Date.UTC(2024, 0, 3)}&limit=1`
  );
  expect(times(utc)).toEqual([Date.UTC(2024, 0, 2)]);
  const hk = await raw(
    `/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=1D&after=${Date.UTC(2024, 0, 3)}&limit=1`
  );
  expect(times(hk)).toEqual([Date.UTC(2024, 0, 2, 16)]);
  expect(await raw('/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=7H')).toMatchObject({ code: '51000' });
});

test('funding history reaches back about 3 months (90 days), 100 rows a page, walked with `after`', async () => {
  const all: Array<{ fundingTime: string; realizedRate: string }> = [];
  let after = '';
  for (let k = 0; k < 10; k++) {
    const body = await raw(
      `/api/v5/public/funding-rate-history?instId=BTC-USDT-SWAP&limit=100${after ? `&after=${after}` : ''}`
    );
    const rows = body.data as Array<{ fundingTime: string; realizedRate: string }>;
    if (rows.length === 0) {
      break;
    }
    all.push(...rows);
    after = rows[rows.length - 1].fundingTime;
  }
  const ts = all.map((r) => Number(r.fundingTime));
  const newest = Math.floor(NOW / (8 * H)) * 8 * H;
  const oldest = Math.ceil((NOW - 90 * D) / (8 * H)) * 8 * H;
  expect(ts[0]).toBe(newest);
  expect(ts[ts.length - 1]).toBe(oldest);
  expect(ts).toHaveLength((newest - oldest) / (8 * H) + 1);
  expect(ts.every((t, i) => i === 0 || ts[i - 1] - t === 8 * H)).toBe(true);
  expect(Number(all[5].realizedRate)).toBeCloseTo(fundingRate('okx', 'BTC', ts[5], 8), 12);
  // through ccxt: the latest page
  const ex = await ready();
  const rates = await ex.fetchFundingRateHistory(SYM, undefined, 100);
  expect(rates).toHaveLength(100);
  expect(rates[99].timestamp).toBe(newest);
  expect(await raw('/api/v5/public/funding-rate-history?instId=BTC-USDT-SWAP&limit=101')).toMatchObject({
    code: '51000',
  });
});

test('per-instrument OI history (implicit rubik endpoint): latest 1,440 rows, 100 a page, oi in contracts of 0.01 BTC', async () => {
  const ex = await ready();
  type Resp = { data: string[][] };
  const first = (await ex.publicGetRubikStatContractsOpenInterestHistory({
    instId: 'BTC-USDT-SWAP',
    period: '1H',
  })) as Resp;
  expect(first.data).toHaveLength(100);
  const all: string[][] = [...first.data];
  for (let k = 0; k < 20; k++) {
    const end = Number(all[all.length - 1][0]) - 1;
    const page = (await ex.publicGetRubikStatContractsOpenInterestHistory({
      instId: 'BTC-USDT-SWAP',
      period: '1H',
      end,
    })) as Resp;
    if (page.data.length === 0) {
      break;
    }
    all.push(...page.data);
  }
  expect(all).toHaveLength(1440);
  const last = Math.floor(NOW / H) * H;
  expect(Number(all[0][0])).toBe(last);
  expect(Number(all[1439][0])).toBe(last - 1439 * H);
  const [ts, oi, oiCcy, oiUsd] = all[10].map(Number);
  expect(oiCcy).toBeCloseTo(oi * 0.01, 8);
  expect(oiCcy).toBeCloseTo(openInterestBase('okx', 'BTC', ts), 1);
  expect(oiUsd / oiCcy).toBeCloseTo(markPrice('okx', 'BTC', ts, 'perp'), 2);
  // older than the retention: empty
  const old = (await ex.publicGetRubikStatContractsOpenInterestHistory({
    instId: 'BTC-USDT-SWAP',
    period: '1H',
    end: last - 1440 * H,
  })) as Resp;
  expect(old.data).toEqual([]);
});

test("ccxt's unified fetchOpenInterestHistory is the currency-wide USD total (open-interest-volume), 1D within 180 days", async () => {
  const ex = await ready();
  const rows = await ex.fetchOpenInterestHistory(SYM, '1d', NOW - 400 * D);
  expect(queriesFor(srv, 'openInterestVolume')[0]).toMatchObject({ ccy: 'BTC', period: '1D' });
  expect(rows.length).toBeGreaterThan(170);
  expect(rows.length).toBeLessThanOrEqual(181);
  expect(rows[0].timestamp).toBeGreaterThanOrEqual(NOW - 180 * D);
  expect(rows[0].openInterestValue).toBeGreaterThan(0);
});

test('current OI (contracts, base, USD), ticker, current funding and time', async () => {
  const ex = await ready();
  const oi = await ex.fetchOpenInterest(SYM);
  expect(oi.baseVolume).toBeCloseTo(openInterestBase('okx', 'BTC', NOW), 1);
  expect(oi.openInterestAmount! * 0.01).toBeCloseTo(oi.baseVolume!, 6);
  const inv = await ex.fetchOpenInterest('BTC/USD:BTC');
  expect(inv.openInterestAmount! * 100).toBeCloseTo(inv.openInterestValue!, 0);
  const t = await ex.fetchTicker(SYM);
  expect(t.last).toBeCloseTo(Math.round(markPrice('okx', 'BTC', NOW, 'perp') * 10) / 10, 6);
  const fr = await ex.fetchFundingRate(SYM);
  expect(fr.fundingTimestamp).toBe(Date.UTC(2024, 5, 15, 16));
  expect(await ex.fetchTime()).toBe(NOW);
});

test('errors use OKX codes (ccxt throws); an out-of-order fault reaches ccxt, which sorts candles again', async () => {
  const ex = await ready();
  await expect(ex.publicGetMarketCandles({ instId: 'NOPE-SWAP' })).rejects.toThrow(/51001/);
  srv.setFaults([{ venue: 'okx', endpoint: 'historyKlines', type: 'outOfOrder', times: 1 }]);
  const rows = await ex.fetchOHLCV(SYM, '1h', Date.UTC(2022, 0, 1), 6);
  expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 6 }, (_, i) => Date.UTC(2022, 0, 1) + i * H));
  expect(srv.stats().log.map((e) => e.faults)).toEqual([[], ['outOfOrder']]);
});
