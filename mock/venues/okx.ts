/**
 * Mock of OKX v5 (www.okx.com), SIMULATED data in OKX's real REST format
 * (`{code: "0", msg: "", data: [...]}`, numbers as strings, rows newest first).
 *
 * Served (what ccxt 4.5.84 calls for okx):
 * - GET /api/v5/public/instruments                          loadMarkets: instType SPOT | SWAP | FUTURES | OPTION
 * - GET /api/v5/market/candles                              fetchOHLCV, recent: only the latest 1,440 bars; max 300 rows
 * - GET /api/v5/market/history-candles                      fetchOHLCV, older: back to listing; max 300 rows
 * - GET /api/v5/public/funding-rate-history                 fetchFundingRateHistory: latest ~3 months (90 days), max 100 rows
 * - GET /api/v5/public/funding-rate                         fetchFundingRate (current)
 * - GET /api/v5/rubik/stat/contracts/open-interest-history  implicit publicGetRubikStatContractsOpenInterestHistory:
 *                                                            per instrument, latest 1,440 rows per period, max 100 rows
 * - GET /api/v5/rubik/stat/contracts/open-interest-volume   fetchOpenInterestHistory (ccxt's unified one): currency-wide USD
 * - GET /api/v5/public/open-interest                        fetchOpenInterest (current)
 * - GET /api/v5/market/ticker                               fetchTicker
 * - GET /api/v5/public/time                                 fetchTime
 * Paging: `after` = rows older than ts, `before` = rows newer than ts; the newest rows of the window come first
 * (so `before` alone gives the latest rows, as OKX documents for candles).
 * Units: SWAP volume `vol` and `oi` in contracts (BTC-USDT-SWAP ctVal 0.01 BTC; BTC-USD-SWAP ctVal 100 USD),
 * `volCcy`/`oiCcy` in base coin, `oiUsd` in USD.
 */
import { candle, fundingRate, markPrice, openInterestBase, type SimAsset } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import {
  DAY,
  HOUR,
  MIN,
  ceilTo,
  fixed,
  floorTo,
  intParam,
  listed,
  month,
  nextOpen,
  num,
  prevOpen,
  selectTimes,
  week,
  type Grid,
} from './common';
import { roundTick, tickOhlc } from './binance';

interface OkxInstrument {
  instId: string;
  instType: 'SPOT' | 'SWAP';
  asset: SimAsset;
  quote: string;
  settle: string;
  venueKey: string;
  /** contract value (SWAP), in ctValCcy */
  ctVal: number;
  ctValCcy: string;
  listTime: number;
  tick: number;
  lotSz: number;
}

export const OKX_INSTRUMENTS: OkxInstrument[] = [
  {
    instId: 'BTC-USDT-SWAP',
    instType: 'SWAP',
    asset: 'BTC',
    quote: 'USDT',
    settle: 'USDT',
    venueKey: 'okx',
    ctVal: 0.01,
    ctValCcy: 'BTC',
    listTime: listed('2019-12-10T08:00:00Z'),
    tick: 0.1,
    lotSz: 0.01,
  },
  {
    instId: 'ETH-USDT-SWAP',
    instType: 'SWAP',
    asset: 'ETH',
    quote: 'USDT',
    settle: 'USDT',
    venueKey: 'okx',
    ctVal: 0.1,
    ctValCcy: 'ETH',
    listTime: listed('2019-12-10T08:00:00Z'),
    tick: 0.01,
    lotSz: 0.01,
  },
  {
    instId: 'SOL-USDT-SWAP',
    instType: 'SWAP',
    asset: 'SOL',
    quote: 'USDT',
    settle: 'USDT',
    venueKey: 'okx',
    ctVal: 1,
    ctValCcy: 'SOL',
    listTime: listed('2020-08-11T08:00:00Z'),
    tick: 0.01,
    lotSz: 0.01,
  },
  {
    instId: 'BTC-USD-SWAP',
    instType: 'SWAP',
    asset: 'BTC',
    quote: 'USD',
    settle: 'BTC',
    venueKey: 'okx:inverse',
    ctVal: 100,
    ctValCcy: 'USD',
    listTime: listed('2018-12-10T08:00:00Z'),
    tick: 0.1,
    lotSz: 1,
  },
  {
    instId: 'BTC-USDT',
    instType: 'SPOT',
    asset: 'BTC',
    quote: 'USDT',
    settle: '',
    venueKey: 'okx',
    ctVal: 0,
    ctValCcy: '',
    listTime: listed('2018-01-11T00:00:00Z'),
    tick: 0.1,
    lotSz: 0.00000001,
  },
  {
    instId: 'ETH-USDT',
    instType: 'SPOT',
    asset: 'ETH',
    quote: 'USDT',
    settle: '',
    venueKey: 'okx',
    ctVal: 0,
    ctValCcy: '',
    listTime: listed('2018-01-11T00:00:00Z'),
    tick: 0.01,
    lotSz: 0.000001,
  },
  {
    instId: 'SOL-USDT',
    instType: 'SPOT',
    asset: 'SOL',
    quote: 'USDT',
    settle: '',
    venueKey: 'okx',
    ctVal: 0,
    ctValCcy: '',
    listTime: listed('2020-08-11T00:00:00Z'),
    tick: 0.01,
    lotSz: 0.000001,
  },
];

export const OKX_FUNDING_HOURS = 8;
/** funding-rate-history reaches back about three months. */
export const OKX_FUNDING_RETENTION_MS = 90 * DAY;
/** market/candles and rubik open-interest-history keep the latest 1,440 rows. */
export const OKX_RECENT_ROWS = 1440;

const HK = -8 * HOUR; // Hong Kong day boundaries (16:00 UTC) for bars without the `utc` suffix

const BARS: Record<string, Grid> = {
  '1m': fixed(MIN),
  '3m': fixed(3 * MIN),
  '5m': fixed(5 * MIN),
  '15m': fixed(15 * MIN),
  '30m': fixed(30 * MIN),
  '1H': fixed(HOUR),
  '2H': fixed(2 * HOUR),
  '4H': fixed(4 * HOUR),
  '6H': fixed(6 * HOUR, HK),
  '12H': fixed(12 * HOUR, HK),
  '1D': fixed(DAY, HK),
  '2D': fixed(2 * DAY, HK),
  '3D': fixed(3 * DAY, HK),
  '5D': fixed(5 * DAY, HK),
  '1W': week(HK),
  '1M': month(HK),
  '6Hutc': fixed(6 * HOUR),
  '12Hutc': fixed(12 * HOUR),
  '1Dutc': fixed(DAY),
  '2Dutc': fixed(2 * DAY),
  '3Dutc': fixed(3 * DAY),
  '5Dutc': fixed(5 * DAY),
  '1Wutc': week(),
  '1Mutc': month(),
};

function ok(data: unknown[], rowsPath: Array<string | number> = ['data']): MockResponse {
  return { body: { code: '0', msg: '', data }, rowsPath };
}

function fail(code: string, msg: string): MockResponse {
  return { body: { code, msg, data: [] } };
}

const find = (instId: string | undefined) => OKX_INSTRUMENTS.find((i) => i.instId === instId);
const mkt = (i: OkxInstrument): 'spot' | 'perp' => (i.instType === 'SPOT' ? 'spot' : 'perp');
const decimals = (tick: number) => Math.max(0, Math.round(-Math.log10(tick)));

/** after/before window (exclusive both), newest `limit` rows first. */
function window(q: Record<string, string>): { after?: number; before?: number } | MockResponse {
  const after = intParam(q, 'after');
  const before = intParam(q, 'before');
  if (Number.isNaN(after) || Number.isNaN(before)) {
    return fail('51000', 'Parameter after/before error');
  }
  return { after, before };
}

function limitParam(q: Record<string, string>, def: number, max: number): number | MockResponse {
  const limit = intParam(q, 'limit') ?? def;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    return fail('51000', 'Parameter limit error');
  }
  return limit;
}

function instrumentInfo(i: OkxInstrument) {
  const swap = i.instType === 'SWAP';
  return {
    alias: '',
    auctionEndTime: '',
    baseCcy: swap ? '' : i.asset,
    category: '1',
    ctMult: swap ? '1' : '',
    ctType: swap ? (i.settle === i.asset ? 'inverse' : 'linear') : '',
    ctVal: swap ? num(i.ctVal) : '',
    ctValCcy: i.ctValCcy,
    expTime: '',
    instFamily: swap ? `${i.asset}-${i.quote}` : '',
    instId: i.instId,
    instType: i.instType,
    lever: swap ? '100' : '10',
    listTime: String(i.listTime),
    lotSz: num(i.lotSz),
    maxIcebergSz: '100000000.0000000000000000',
    maxLmtAmt: '20000000',
    maxLmtSz: swap ? '100000000' : '10000',
    maxMktAmt: '1000000',
    maxMktSz: swap ? '12000' : '1000000',
    maxStopSz: swap ? '12000' : '1000000',
    maxTriggerSz: '100000000.0000000000000000',
    maxTwapSz: '100000000.0000000000000000',
    minSz: num(i.lotSz),
    optType: '',
    quoteCcy: swap ? '' : i.quote,
    ruleType: 'normal',
    settleCcy: i.settle,
    state: 'live',
    stk: '',
    tickSz: num(i.tick),
    uly: swap ? `${i.asset}-${i.quote}` : '',
    contTdSwTime: String(i.listTime),
  };
}

function instruments(req: MockRequest): MockResponse {
  const t = req.query.instType;
  if (t !== 'SPOT' && t !== 'SWAP' && t !== 'FUTURES' && t !== 'OPTION' && t !== 'MARGIN') {
    return fail('51000', 'Parameter instType error');
  }
  const list = OKX_INSTRUMENTS.filter((i) => (t === 'MARGIN' ? i.instType === 'SPOT' : i.instType === t))
    .filter((i) => req.query.instId === undefined || i.instId === req.query.instId)
    .map(instrumentInfo);
  return ok(list);
}

function candles(history: boolean) {
  return (req: MockRequest): MockResponse => {
    const q = req.query;
    const inst = find(q.instId);
    if (!inst) {
      return fail('51001', "Instrument ID doesn't exist.");
    }
    const grid = BARS[q.bar ?? '1m'];
    if (!grid) {
      return fail('51000', 'Parameter bar error');
    }
    const limit = limitParam(q, 100, 300);
    if (typeof limit !== 'number') {
      return limit;
    }
    const w = window(q);
    if ('body' in w) {
      return w;
    }
    const now = req.now;
    const openBar = floorTo(grid, now - 1);
    let first = ceilTo(grid, inst.listTime);
    if (!history) {
      // market/candles serves only the latest 1,440 bars
      let t = openBar;
      for (let k = 1; k < OKX_RECENT_ROWS; k++) {
        t = prevOpen(grid, t);
      }
      first = Math.max(first, t);
    }
    const times = selectTimes(grid, {
      from: w.before !== undefined ? w.before + 1 : undefined,
      to: w.after !== undefined ? w.after - 1 : undefined,
      limit,
      take: 'last',
      first,
      last: openBar,
    });
    const rows: string[][] = [];
    const dec = decimals(inst.tick);
    for (const t of times) {
      const end = nextOpen(grid, t);
      const c = candle(inst.venueKey, inst.asset, mkt(inst), t, end - t);
      if (!c) {
        continue;
      }
      const { o, h, l, cl } = tickOhlc(c, inst.tick);
      const mid = (o + h + l + cl) / 4;
      const confirm = end <= now ? '1' : '0';
      let vol: string;
      let volCcy: string;
      let volQuote: string;
      if (inst.instType === 'SPOT') {
        vol = num(c.volumeBase, 8);
        volCcy = num(c.volumeBase * mid, 6);
        volQuote = volCcy;
      } else if (inst.ctValCcy === 'USD') {
        const contracts = Math.round((c.volumeBase * mid) / inst.ctVal);
        vol = String(contracts);
        volCcy = num((contracts * inst.ctVal) / mid, 8);
        volQuote = String(contracts * inst.ctVal);
      } else {
        const contracts = roundTick(c.volumeBase / inst.ctVal, inst.lotSz);
        vol = num(contracts, 2);
        volCcy = num(contracts * inst.ctVal, 6);
        volQuote = num(contracts * inst.ctVal * mid, 4);
      }
      rows.push([String(t), num(o, dec), num(h, dec), num(l, dec), num(cl, dec), vol, volCcy, volQuote, confirm]);
    }
    rows.reverse();
    return ok(rows);
  };
}

function fundingHistory(req: MockRequest): MockResponse {
  const q = req.query;
  const inst = find(q.instId);
  if (!inst || inst.instType !== 'SWAP') {
    return fail('51001', "Instrument ID doesn't exist.");
  }
  const limit = limitParam(q, 100, 100);
  if (typeof limit !== 'number') {
    return limit;
  }
  const w = window(q);
  if ('body' in w) {
    return w;
  }
  const grid = fixed(OKX_FUNDING_HOURS * HOUR);
  const now = req.now;
  const times = selectTimes(grid, {
    from: w.before !== undefined ? w.before + 1 : undefined,
    to: w.after !== undefined ? w.after - 1 : undefined,
    limit,
    take: 'last',
    first: ceilTo(grid, Math.max(inst.listTime + 1, now - OKX_FUNDING_RETENTION_MS)),
    last: floorTo(grid, now),
  });
  const rows = times.reverse().map((t) => {
    const r = fundingRate(inst.venueKey, inst.asset, t, OKX_FUNDING_HOURS);
    return {
      formulaType: 'withRate',
      fundingRate: num(r, 16),
      fundingTime: String(t),
      instId: inst.instId,
      instType: 'SWAP',
      method: 'current_period',
      realizedRate: num(r, 16),
    };
  });
  return ok(rows);
}

function currentFunding(req: MockRequest): MockResponse {
  const inst = find(req.query.instId);
  if (!inst || inst.instType !== 'SWAP') {
    return fail('51001', "Instrument ID doesn't exist.");
  }
  const now = req.now;
  const grid = fixed(OKX_FUNDING_HOURS * HOUR);
  const next = floorTo(grid, now) + OKX_FUNDING_HOURS * HOUR;
  const r = fundingRate(inst.venueKey, inst.asset, now, OKX_FUNDING_HOURS);
  return ok([
    {
      formulaType: 'withRate',
      fundingRate: num(r, 16),
      fundingTime: String(next),
      impactValue: '20000.0000000000000000',
      instId: inst.instId,
      instType: 'SWAP',
      interestRate: '0.0001000000000000',
      maxFundingRate: '0.00375',
      method: 'current_period',
      minFundingRate: '-0.00375',
      nextFundingRate: '',
      nextFundingTime: String(next + OKX_FUNDING_HOURS * HOUR),
      premium: num(
        markPrice(inst.venueKey, inst.asset, now, 'perp') / markPrice(inst.venueKey, inst.asset, now, 'spot') - 1,
        8
      ),
      settFundingRate: num(fundingRate(inst.venueKey, inst.asset, floorTo(grid, now), OKX_FUNDING_HOURS), 16),
      settState: 'settled',
      ts: String(now),
    },
  ]);
}

function oiRow(inst: OkxInstrument, t: number): { contracts: number; base: number; usd: number } {
  const base = openInterestBase(inst.venueKey, inst.asset, t);
  const price = markPrice(inst.venueKey, inst.asset, t, 'perp');
  const contracts =
    inst.ctValCcy === 'USD' ? Math.round((base * price) / inst.ctVal) : roundTick(base / inst.ctVal, inst.lotSz);
  const b = inst.ctValCcy === 'USD' ? (contracts * inst.ctVal) / price : contracts * inst.ctVal;
  return { contracts, base: b, usd: b * price };
}

function oiHistory(req: MockRequest): MockResponse {
  const q = req.query;
  const inst = find(q.instId);
  if (!inst || inst.instType !== 'SWAP') {
    return fail('51001', "Instrument ID doesn't exist.");
  }
  const grid = BARS[q.period ?? '5m'];
  if (!grid || q.period === '1m' || q.period === '3m') {
    return fail('51000', 'Parameter period error');
  }
  const limit = limitParam(q, 100, 100);
  if (typeof limit !== 'number') {
    return limit;
  }
  const begin = intParam(q, 'begin');
  const end = intParam(q, 'end');
  if (Number.isNaN(begin) || Number.isNaN(end)) {
    return fail('51000', 'Parameter begin/end error');
  }
  const last = floorTo(grid, req.now);
  // only the latest 1,440 rows of each period exist
  let first = last;
  for (let k = 1; k < OKX_RECENT_ROWS; k++) {
    first = prevOpen(grid, first);
  }
  first = Math.max(first, ceilTo(grid, inst.listTime));
  const times = selectTimes(grid, { from: begin, to: end, limit, take: 'last', first, last });
  const rows = times.reverse().map((t) => {
    const r = oiRow(inst, t);
    return [String(t), num(r.contracts, 2), num(r.base, 8), num(r.usd, 4)];
  });
  return ok(rows);
}

const OIV_PERIODS: Record<string, { grid: Grid; retention: number }> = {
  '5m': { grid: fixed(5 * MIN), retention: 2 * DAY },
  '1H': { grid: fixed(HOUR), retention: 30 * DAY },
  '1D': { grid: fixed(DAY, HK), retention: 180 * DAY },
};

function oiVolume(req: MockRequest): MockResponse {
  const q = req.query;
  const ccy = q.ccy;
  const swaps = OKX_INSTRUMENTS.filter((i) => i.instType === 'SWAP' && i.asset === ccy);
  if (!ccy || swaps.length === 0) {
    return fail('51000', 'Parameter ccy error');
  }
  const p = OIV_PERIODS[q.period ?? '5m'];
  if (!p) {
    return fail('51000', 'Parameter period error');
  }
  const begin = intParam(q, 'begin');
  const end = intParam(q, 'end');
  if (Number.isNaN(begin) || Number.isNaN(end)) {
    return fail('51000', 'Parameter begin/end error');
  }
  const now = req.now;
  const times = selectTimes(p.grid, {
    from: begin,
    to: end,
    limit: 100_000,
    take: 'last',
    first: ceilTo(p.grid, now - p.retention),
    last: floorTo(p.grid, now),
  });
  const rows = times.reverse().map((t) => {
    let oiUsd = 0;
    let volUsd = 0;
    const len = nextOpen(p.grid, t) - t;
    for (const i of swaps) {
      oiUsd += oiRow(i, t).usd;
      const c = candle(i.venueKey, i.asset, 'perp', Math.max(i.listTime, t - len), len);
      volUsd += c ? c.volumeBase * c.close : 0;
    }
    // futures and the other margin currencies add to the currency-wide total
    return [String(t), num(oiUsd * 1.15, 0), num(volUsd * 1.15, 0)];
  });
  return ok(rows);
}

function currentOi(req: MockRequest): MockResponse {
  const q = req.query;
  const list = OKX_INSTRUMENTS.filter(
    (i) =>
      i.instType === 'SWAP' &&
      (q.instId === undefined || i.instId === q.instId) &&
      (q.uly === undefined || `${i.asset}-${i.quote}` === q.uly)
  );
  if (q.instType !== undefined && q.instType !== 'SWAP' && q.instType !== 'FUTURES' && q.instType !== 'OPTION') {
    return fail('51000', 'Parameter instType error');
  }
  if (q.instType !== 'SWAP' || (q.instId !== undefined && list.length === 0)) {
    return q.instType === 'SWAP' ? fail('51001', "Instrument ID doesn't exist.") : ok([]);
  }
  return ok(
    list.map((i) => {
      const r = oiRow(i, req.now);
      return {
        instId: i.instId,
        instType: 'SWAP',
        oi: num(r.contracts, 2),
        oiCcy: num(r.base, 8),
        oiUsd: num(r.usd, 4),
        ts: String(req.now),
      };
    })
  );
}

function ticker(req: MockRequest): MockResponse {
  const inst = find(req.query.instId);
  if (!inst) {
    return fail('51001', "Instrument ID doesn't exist.");
  }
  const now = req.now;
  const from = Math.max(inst.listTime, now - DAY);
  const c = candle(inst.venueKey, inst.asset, mkt(inst), from, now - from);
  const dec = decimals(inst.tick);
  const last = roundTick(c?.close ?? 0, inst.tick);
  const open = roundTick(c?.open ?? 0, inst.tick);
  const volBase = c?.volumeBase ?? 0;
  const vol24h =
    inst.instType === 'SPOT'
      ? volBase
      : inst.ctValCcy === 'USD'
        ? Math.round((volBase * last) / inst.ctVal)
        : volBase / inst.ctVal;
  const dayStart = (offset: number) => {
    const t = floorTo(fixed(DAY, offset), now);
    return num(roundTick(markPrice(inst.venueKey, inst.asset, Math.max(t, inst.listTime), mkt(inst)), inst.tick), dec);
  };
  return ok([
    {
      instType: inst.instType,
      instId: inst.instId,
      last: num(last, dec),
      lastSz: '0.1',
      askPx: num(last + inst.tick, dec),
      askSz: '12',
      bidPx: num(last, dec),
      bidSz: '9',
      open24h: num(open, dec),
      high24h: num(Math.max(roundTick(c?.high ?? 0, inst.tick), open, last), dec),
      low24h: num(Math.min(roundTick(c?.low ?? 0, inst.tick), open, last), dec),
      volCcy24h: num(inst.instType === 'SPOT' ? volBase * last : volBase, 4),
      vol24h: num(vol24h, 2),
      ts: String(now),
      sodUtc0: dayStart(0),
      sodUtc8: dayStart(HK),
    },
  ]);
}

const routes: MockRoute[] = [
  { method: 'GET', path: '/api/v5/public/instruments', endpoint: 'markets', handler: instruments },
  { method: 'GET', path: '/api/v5/market/candles', endpoint: 'klines', handler: candles(false) },
  { method: 'GET', path: '/api/v5/market/history-candles', endpoint: 'historyKlines', handler: candles(true) },
  { method: 'GET', path: '/api/v5/public/funding-rate-history', endpoint: 'fundingHistory', handler: fundingHistory },
  { method: 'GET', path: '/api/v5/public/funding-rate', endpoint: 'funding', handler: currentFunding },
  {
    method: 'GET',
    path: '/api/v5/rubik/stat/contracts/open-interest-history',
    endpoint: 'openInterestHistory',
    handler: oiHistory,
  },
  {
    method: 'GET',
    path: '/api/v5/rubik/stat/contracts/open-interest-volume',
    endpoint: 'openInterestVolume',
    handler: oiVolume,
  },
  { method: 'GET', path: '/api/v5/public/open-interest', endpoint: 'openInterest', handler: currentOi },
  { method: 'GET', path: '/api/v5/market/ticker', endpoint: 'ticker', handler: ticker },
  { method: 'GET', path: '/api/v5/public/time', endpoint: 'time', handler: (req) => ok([{ ts: String(req.now) }]) },
];

const okx: VenueMock = { id: 'okx', hosts: ['www.okx.com'], routes };
export default okx;
