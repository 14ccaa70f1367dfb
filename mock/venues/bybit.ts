/**
 * Mock of Bybit v5 (api.bybit.com), SIMULATED data in Bybit's real REST format
 * (`{retCode, retMsg, result, retExtInfo, time}`, numbers as strings, lists newest first).
 *
 * Served (what ccxt 4.5.84 calls for bybit):
 * - GET /v5/market/instruments-info   loadMarkets: category spot | linear | inverse | option (+ status=PreLaunch)
 * - GET /v5/market/kline              fetchOHLCV (default 200, max 1000 rows)
 * - GET /v5/market/funding/history    fetchFundingRateHistory (default/max 200 rows; startTime alone is an error)
 * - GET /v5/market/open-interest      fetchOpenInterestHistory / fetchOpenInterest (default 50, max 200 rows, cursor)
 * - GET /v5/market/tickers            fetchTicker
 * - GET /v5/market/time               fetchTime
 * Units: linear OI in base coin; inverse OI in USD (contracts of 1 USD); inverse kline volume in
 * contracts (USD) with the base-coin amount in `turnover`.
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
  pageParams,
  listed,
  month,
  nextOpen,
  num,
  selectTimes,
  week,
  type Grid,
} from './common';
import { roundTick, tickOhlc } from './binance';

type Category = 'spot' | 'linear' | 'inverse';

interface BybitInstrument {
  symbol: string;
  category: Category;
  asset: SimAsset;
  quote: string;
  /** venue key in the simulated market */
  venueKey: string;
  launch: number;
  /** first open-interest history row */
  oiFrom: number;
  tick: number;
  priceScale: number;
  qtyStep: number;
  minQty: number;
}

export const BYBIT_INSTRUMENTS: BybitInstrument[] = [
  {
    symbol: 'BTCUSDT',
    category: 'linear',
    asset: 'BTC',
    quote: 'USDT',
    venueKey: 'bybit',
    launch: listed('2020-03-25T10:00:00Z'),
    oiFrom: listed('2020-08-10T00:00:00Z'),
    tick: 0.1,
    priceScale: 2,
    qtyStep: 0.001,
    minQty: 0.001,
  },
  {
    symbol: 'ETHUSDT',
    category: 'linear',
    asset: 'ETH',
    quote: 'USDT',
    venueKey: 'bybit',
    launch: listed('2020-06-11T00:00:00Z'),
    oiFrom: listed('2020-08-10T00:00:00Z'),
    tick: 0.01,
    priceScale: 2,
    qtyStep: 0.01,
    minQty: 0.01,
  },
  {
    symbol: 'SOLUSDT',
    category: 'linear',
    asset: 'SOL',
    quote: 'USDT',
    venueKey: 'bybit',
    launch: listed('2021-06-24T00:00:00Z'),
    oiFrom: listed('2021-06-24T00:00:00Z'),
    tick: 0.01,
    priceScale: 3,
    qtyStep: 0.1,
    minQty: 0.1,
  },
  {
    symbol: 'BTCUSD',
    category: 'inverse',
    asset: 'BTC',
    quote: 'USD',
    venueKey: 'bybit:inverse',
    launch: listed('2018-11-15T00:00:00Z'),
    oiFrom: listed('2020-08-10T00:00:00Z'),
    tick: 0.5,
    priceScale: 2,
    qtyStep: 1,
    minQty: 1,
  },
  {
    symbol: 'ETHUSD',
    category: 'inverse',
    asset: 'ETH',
    quote: 'USD',
    venueKey: 'bybit:inverse',
    launch: listed('2019-01-25T00:00:00Z'),
    oiFrom: listed('2020-08-10T00:00:00Z'),
    tick: 0.05,
    priceScale: 2,
    qtyStep: 1,
    minQty: 1,
  },
  {
    symbol: 'BTCUSDT',
    category: 'spot',
    asset: 'BTC',
    quote: 'USDT',
    venueKey: 'bybit',
    launch: listed('2021-07-05T00:00:00Z'),
    oiFrom: 0,
    tick: 0.01,
    priceScale: 2,
    qtyStep: 0.000001,
    minQty: 0.000048,
  },
  {
    symbol: 'ETHUSDT',
    category: 'spot',
    asset: 'ETH',
    quote: 'USDT',
    venueKey: 'bybit',
    launch: listed('2021-07-05T00:00:00Z'),
    oiFrom: 0,
    tick: 0.01,
    priceScale: 2,
    qtyStep: 0.00001,
    minQty: 0.00062,
  },
  {
    symbol: 'SOLUSDT',
    category: 'spot',
    asset: 'SOL',
    quote: 'USDT',
    venueKey: 'bybit',
    launch: listed('2021-07-05T00:00:00Z'),
    oiFrom: 0,
    tick: 0.01,
    priceScale: 2,
    qtyStep: 0.001,
    minQty: 0.011,
  },
];

export const BYBIT_FUNDING_HOURS = 8;

const KLINE_INTERVALS: Record<string, Grid> = {
  '1': fixed(MIN),
  '3': fixed(3 * MIN),
  '5': fixed(5 * MIN),
  '15': fixed(15 * MIN),
  '30': fixed(30 * MIN),
  '60': fixed(HOUR),
  '120': fixed(2 * HOUR),
  '240': fixed(4 * HOUR),
  '360': fixed(6 * HOUR),
  '720': fixed(12 * HOUR),
  D: fixed(DAY),
  W: week(),
  M: month(),
};

const OI_INTERVALS: Record<string, Grid> = {
  '5min': fixed(5 * MIN),
  '15min': fixed(15 * MIN),
  '30min': fixed(30 * MIN),
  '1h': fixed(HOUR),
  '4h': fixed(4 * HOUR),
  '1d': fixed(DAY),
};

function ok(result: unknown, now: number, rowsPath?: Array<string | number>): MockResponse {
  return { body: { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: now }, rowsPath };
}

/** Bybit answers errors with HTTP 200 and a non-zero retCode. */
function fail(retCode: number, retMsg: string, now: number): MockResponse {
  return { body: { retCode, retMsg, result: {}, retExtInfo: {}, time: now } };
}

function findInst(category: string | undefined, symbol: string | undefined): BybitInstrument | undefined {
  return BYBIT_INSTRUMENTS.find((i) => i.category === category && i.symbol === symbol);
}

function market(i: BybitInstrument): 'spot' | 'perp' {
  return i.category === 'spot' ? 'spot' : 'perp';
}

function instrumentInfo(i: BybitInstrument) {
  if (i.category === 'spot') {
    return {
      symbol: i.symbol,
      baseCoin: i.asset,
      quoteCoin: i.quote,
      innovation: '0',
      status: 'Trading',
      marginTrading: 'utaOnly',
      stTag: '0',
      lotSizeFilter: {
        basePrecision: num(i.qtyStep),
        quotePrecision: '0.00000001',
        minOrderQty: num(i.minQty),
        maxOrderQty: '71.73956243',
        minOrderAmt: '1',
        maxOrderAmt: '2000000',
      },
      priceFilter: { tickSize: num(i.tick) },
      riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
    };
  }
  const linear = i.category === 'linear';
  return {
    symbol: i.symbol,
    contractType: linear ? 'LinearPerpetual' : 'InversePerpetual',
    status: 'Trading',
    baseCoin: i.asset,
    quoteCoin: i.quote,
    launchTime: String(i.launch),
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(i.priceScale),
    leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
    priceFilter: { minPrice: num(i.tick), maxPrice: '1999999.80', tickSize: num(i.tick) },
    lotSizeFilter: linear
      ? {
          maxOrderQty: '1190.000',
          minOrderQty: num(i.minQty),
          qtyStep: num(i.qtyStep),
          postOnlyMaxOrderQty: '1190.000',
          maxMktOrderQty: '500.000',
          minNotionalValue: '5',
        }
      : {
          maxOrderQty: '1000000',
          minOrderQty: num(i.minQty),
          qtyStep: num(i.qtyStep),
          postOnlyMaxOrderQty: '1000000',
          maxMktOrderQty: '500000',
          minNotionalValue: '',
        },
    unifiedMarginTrade: true,
    fundingInterval: BYBIT_FUNDING_HOURS * 60,
    settleCoin: linear ? i.quote : i.asset,
    copyTrading: linear ? 'both' : 'none',
    upperFundingRate: '0.00375',
    lowerFundingRate: '-0.00375',
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
    displayName: '',
  };
}

function instrumentsInfo(req: MockRequest): MockResponse {
  const q = req.query;
  const cat = q.category;
  if (cat !== 'spot' && cat !== 'linear' && cat !== 'inverse' && cat !== 'option') {
    return fail(10001, 'params error: category must be one of spot, linear, inverse, option', req.now);
  }
  let list: unknown[] = [];
  if (cat !== 'option' && (q.status === undefined || q.status === 'Trading')) {
    list = BYBIT_INSTRUMENTS.filter(
      (i) =>
        i.category === cat &&
        (q.symbol === undefined || i.symbol === q.symbol) &&
        (q.baseCoin === undefined || i.asset === q.baseCoin)
    ).map(instrumentInfo);
  }
  return ok({ category: cat, list, nextPageCursor: '' }, req.now, ['result', 'list']);
}

function kline(req: MockRequest): MockResponse {
  const q = req.query;
  const inst = findInst(q.category ?? 'linear', q.symbol);
  if (!q.symbol || !inst) {
    return fail(10001, 'Not supported symbols', req.now);
  }
  const grid = KLINE_INTERVALS[q.interval ?? ''];
  if (!grid) {
    return fail(10001, 'Invalid period!', req.now);
  }
  const { limit, from: start, to: end, bad } = pageParams(q, 'start', 'end', 200, 1000);
  if (bad === 'limit') {
    return fail(10001, 'params error: limit must be in [1, 1000]', req.now);
  }
  if (bad === 'time') {
    return fail(10001, 'params error: start/end must be integers', req.now);
  }
  const times = selectTimes(grid, {
    from: start,
    to: end,
    limit,
    // start alone pages forward from start; with end (or nothing) the newest rows up to end come back
    take: start !== undefined && end === undefined ? 'first' : 'last',
    first: ceilTo(grid, inst.launch),
    last: floorTo(grid, req.now - 1),
  });
  const rows: string[][] = [];
  for (const t of times) {
    const c = candle(inst.venueKey, inst.asset, market(inst), t, nextOpen(grid, t) - t);
    if (!c) {
      continue;
    }
    const { o, h, l, cl } = tickOhlc(c, inst.tick);
    const mid = (o + h + l + cl) / 4;
    const dec = Math.max(inst.priceScale, 1);
    if (inst.category === 'inverse') {
      const contracts = Math.round(c.volumeBase * mid);
      rows.push([
        String(t),
        num(o, dec),
        num(h, dec),
        num(l, dec),
        num(cl, dec),
        String(contracts),
        num(contracts / mid, 8),
      ]);
    } else {
      const vol = roundTick(c.volumeBase, inst.qtyStep);
      rows.push([String(t), num(o, dec), num(h, dec), num(l, dec), num(cl, dec), num(vol, 6), num(vol * mid, 4)]);
    }
  }
  rows.reverse(); // newest first
  return ok({ symbol: inst.symbol, category: inst.category, list: rows }, req.now, ['result', 'list']);
}

function fundingHistory(req: MockRequest): MockResponse {
  const q = req.query;
  if (q.category !== 'linear' && q.category !== 'inverse') {
    return fail(10001, 'params error: category only support linear or inverse', req.now);
  }
  const inst = findInst(q.category, q.symbol);
  if (!inst) {
    return fail(10001, 'params error: symbol invalid', req.now);
  }
  const { limit, from: startTime, to: endTime, bad } = pageParams(q, 'startTime', 'endTime', 200, 200);
  if (bad === 'limit') {
    return fail(10001, 'params error: limit must be in [1, 200]', req.now);
  }
  if (bad === 'time') {
    return fail(10001, 'params error: startTime/endTime must be integers', req.now);
  }
  if (startTime !== undefined && endTime === undefined) {
    return fail(10001, 'params error: endTime is required when startTime is passed', req.now);
  }
  const grid = fixed(BYBIT_FUNDING_HOURS * HOUR);
  const times = selectTimes(grid, {
    from: startTime,
    to: endTime,
    limit,
    take: 'last',
    first: ceilTo(grid, inst.launch + 1),
    last: floorTo(grid, req.now),
  });
  const list = times.reverse().map((t) => ({
    symbol: inst.symbol,
    fundingRate: num(fundingRate(inst.venueKey, inst.asset, t, BYBIT_FUNDING_HOURS), 8),
    fundingRateTimestamp: String(t),
  }));
  return ok({ category: inst.category, list }, req.now, ['result', 'list']);
}

/** Cursor: opaque to clients; here the open time below which the next page starts. */
const encodeCursor = (t: number) => Buffer.from(`ts:${t}`).toString('base64url');
function decodeCursor(c: string): number | undefined {
  const m = /^ts:(\d+)$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

function openInterest(req: MockRequest): MockResponse {
  const q = req.query;
  if (q.category !== 'linear' && q.category !== 'inverse') {
    return fail(10001, 'params error: category only support linear or inverse', req.now);
  }
  const inst = findInst(q.category, q.symbol);
  if (!inst) {
    return fail(10001, 'params error: symbol invalid', req.now);
  }
  const grid = OI_INTERVALS[q.intervalTime ?? ''];
  if (!grid) {
    return fail(10001, 'params error: intervalTime must be one of 5min, 15min, 30min, 1h, 4h, 1d', req.now);
  }
  const page = pageParams(q, 'startTime', 'endTime', 50, 200);
  const { limit, from: startTime } = page;
  let endTime = page.to;
  if (page.bad === 'limit') {
    return fail(10001, 'params error: limit must be in [1, 200]', req.now);
  }
  if (page.bad === 'time') {
    return fail(10001, 'params error: startTime/endTime must be integers', req.now);
  }
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    if (c === undefined) {
      return fail(10001, 'params error: cursor invalid', req.now);
    }
    endTime = Math.min(endTime ?? Infinity, c - 1);
  }
  const first = ceilTo(grid, Math.max(inst.oiFrom, startTime ?? -Infinity));
  const times = selectTimes(grid, {
    from: startTime,
    to: endTime,
    limit,
    take: 'last',
    first,
    last: floorTo(grid, req.now),
  });
  const oldest = times[0];
  const more = times.length === limit && oldest !== undefined && oldest > first;
  const list = times.reverse().map((t) => {
    const base = openInterestBase(inst.venueKey, inst.asset, t);
    const value =
      inst.category === 'inverse' ? Math.round(base * markPrice(inst.venueKey, inst.asset, t, 'perp')) : base;
    const dec = inst.category === 'inverse' ? 0 : 8;
    // openInterest is the sum of both sides, singleOpenInterest one side (as Bybit documents)
    return { openInterest: num(value, dec), singleOpenInterest: num(value / 2, dec), timestamp: String(t) };
  });
  return ok(
    { symbol: inst.symbol, category: inst.category, list, nextPageCursor: more ? encodeCursor(oldest) : '' },
    req.now,
    ['result', 'list']
  );
}

function tickers(req: MockRequest): MockResponse {
  const q = req.query;
  const cat = q.category;
  if (cat !== 'spot' && cat !== 'linear' && cat !== 'inverse') {
    return fail(10001, 'params error: category must be one of spot, linear, inverse, option', req.now);
  }
  const list = BYBIT_INSTRUMENTS.filter((i) => i.category === cat && (q.symbol === undefined || i.symbol === q.symbol));
  if (q.symbol !== undefined && list.length === 0) {
    return fail(10001, 'Not supported symbols', req.now);
  }
  const now = req.now;
  const rows = list.map((i) => {
    const from = Math.max(i.launch, now - DAY);
    const c = candle(i.venueKey, i.asset, market(i), from, now - from);
    const last = roundTick(c?.close ?? 0, i.tick);
    const open = roundTick(c?.open ?? 0, i.tick);
    const dec = i.priceScale;
    const common = {
      symbol: i.symbol,
      lastPrice: num(last, dec),
      prevPrice24h: num(open, dec),
      price24hPcnt: num(open ? last / open - 1 : 0, 4),
      highPrice24h: num(Math.max(roundTick(c?.high ?? 0, i.tick), open, last), dec),
      lowPrice24h: num(Math.min(roundTick(c?.low ?? 0, i.tick), open, last), dec),
      turnover24h: num((c?.volumeBase ?? 0) * last, 4),
      volume24h: num(c?.volumeBase ?? 0, 4),
      bid1Price: num(last - i.tick, dec),
      bid1Size: '1.5',
      ask1Price: num(last, dec),
      ask1Size: '1.2',
    };
    if (i.category === 'spot') {
      return { ...common, usdIndexPrice: num(markPrice('index', i.asset, now, 'spot'), 4) };
    }
    const oiBase = openInterestBase(i.venueKey, i.asset, now);
    const mark = markPrice(i.venueKey, i.asset, now, 'perp');
    const grid = fixed(BYBIT_FUNDING_HOURS * HOUR);
    return {
      ...common,
      indexPrice: num(markPrice('index', i.asset, now, 'spot'), dec),
      markPrice: num(roundTick(mark, i.tick), dec),
      prevPrice1h: num(roundTick(markPrice(i.venueKey, i.asset, now - HOUR, 'perp'), i.tick), dec),
      openInterest: i.category === 'inverse' ? String(Math.round(oiBase * mark)) : num(oiBase, 3),
      openInterestValue: num(oiBase * mark, 2),
      fundingRate: num(fundingRate(i.venueKey, i.asset, now, BYBIT_FUNDING_HOURS), 8),
      nextFundingTime: String(floorTo(grid, now) + BYBIT_FUNDING_HOURS * HOUR),
      predictedDeliveryPrice: '',
      basisRate: '',
      deliveryFeeRate: '',
      deliveryTime: '0',
      basis: '',
    };
  });
  return ok({ category: cat, list: rows }, now, ['result', 'list']);
}

const routes: MockRoute[] = [
  { method: 'GET', path: '/v5/market/instruments-info', endpoint: 'markets', handler: instrumentsInfo },
  { method: 'GET', path: '/v5/market/kline', endpoint: 'klines', handler: kline },
  { method: 'GET', path: '/v5/market/funding/history', endpoint: 'fundingHistory', handler: fundingHistory },
  { method: 'GET', path: '/v5/market/open-interest', endpoint: 'openInterestHistory', handler: openInterest },
  { method: 'GET', path: '/v5/market/tickers', endpoint: 'ticker', handler: tickers },
  {
    method: 'GET',
    path: '/v5/market/time',
    endpoint: 'time',
    handler: (req) => ok({ timeSecond: String(Math.floor(req.now / 1000)), timeNano: `${req.now}000000` }, req.now),
  },
];

const bybit: VenueMock = { id: 'bybit', hosts: ['api.bybit.com'], routes };
export default bybit;
