/**
 * Mock of Binance spot (api.binance.com), SIMULATED data in Binance's real REST format.
 * Also exports the kline machinery that binanceusdm (fapi.binance.com) shares.
 *
 * Served (what ccxt 4.5.84 calls): GET /api/v3/exchangeInfo (loadMarkets 'spot'), /api/v3/klines,
 * /api/v3/ticker/24hr, /api/v3/time; plus GET dapi.binance.com/dapi/v1/exchangeInfo (loadMarkets
 * 'inverse', which ccxt's default market types include) with one coin-margined perp listed.
 */
import { candle, simNow, type SimAsset } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import {
  DAY,
  HOUR,
  MIN,
  fixed,
  floorTo,
  fmt,
  pageParams,
  listed,
  month,
  nextOpen,
  selectTimes,
  week,
  ceilTo,
  type Grid,
} from './common';

export interface BinanceInstrument {
  id: string;
  asset: SimAsset;
  quote: string;
  /** earliest candle open time */
  listed: number;
  tick: number;
  /** decimals printed for prices and quantities */
  pDec: number;
  qDec: number;
  /** quantity step */
  step: number;
}

export const BINANCE_INTERVALS: Record<string, Grid> = {
  '1m': fixed(MIN),
  '3m': fixed(3 * MIN),
  '5m': fixed(5 * MIN),
  '15m': fixed(15 * MIN),
  '30m': fixed(30 * MIN),
  '1h': fixed(HOUR),
  '2h': fixed(2 * HOUR),
  '4h': fixed(4 * HOUR),
  '6h': fixed(6 * HOUR),
  '8h': fixed(8 * HOUR),
  '12h': fixed(12 * HOUR),
  '1d': fixed(DAY),
  '3d': fixed(3 * DAY),
  '1w': week(),
  '1M': month(),
};

export function binanceError(code: number, msg: string, status = 400): MockResponse {
  return { status, body: { code, msg } };
}

/** The instrument a request's `symbol` names, or Binance's error: -1102 when it is absent, -1121 when unknown. */
export function binanceSymbol(
  instruments: BinanceInstrument[],
  symbol: string | undefined
): BinanceInstrument | MockResponse {
  if (!symbol) {
    return binanceError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
  }
  return instruments.find((i) => i.id === symbol) ?? binanceError(-1121, 'Invalid symbol.');
}

export const roundTick = (x: number, tick: number) => Math.round(x / tick) * tick;

/** A simulated candle's prices on the venue's tick, high and low widened to contain the rounded open and close. */
export function tickOhlc(
  c: { open: number; high: number; low: number; close: number },
  tick: number
): { o: number; h: number; l: number; cl: number } {
  const o = roundTick(c.open, tick);
  const cl = roundTick(c.close, tick);
  return { o, h: Math.max(roundTick(c.high, tick), o, cl), l: Math.min(roundTick(c.low, tick), o, cl), cl };
}

/** Pseudo-random but deterministic fraction in [0,1) from a time. */
export function frac(t: number): number {
  const x = Math.sin(t / 997.13 + 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

/**
 * GET klines, Binance semantics: startTime → the first `limit` candles from it; else the last
 * `limit` candles up to endTime (or now, the open candle included). Rows ascending.
 */
export function binanceKlines(
  venue: string,
  market: 'spot' | 'perp',
  instruments: BinanceInstrument[],
  req: MockRequest,
  maxLimit: number
): MockResponse {
  const q = req.query;
  const inst = binanceSymbol(instruments, q.symbol);
  if ('body' in inst) {
    return inst;
  }
  const grid = BINANCE_INTERVALS[q.interval ?? ''];
  if (!grid) {
    return binanceError(-1120, 'Invalid interval.');
  }
  const { limit, from: startTime, to: endTime, bad } = pageParams(q, 'startTime', 'endTime', 500, maxLimit);
  if (bad === 'limit') {
    return binanceError(-1130, "Data sent for parameter 'limit' is not valid.");
  }
  if (bad === 'time') {
    return binanceError(
      -1100,
      "Illegal characters found in parameter 'startTime' or 'endTime'; legal range is '^[0-9]{1,20}$'."
    );
  }
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    return binanceError(-1023, 'Start time is greater than end time.');
  }
  const now = req.now;
  const times = selectTimes(grid, {
    from: startTime,
    to: endTime,
    limit,
    take: startTime !== undefined ? 'first' : 'last',
    first: ceilTo(grid, inst.listed),
    last: floorTo(grid, now - 1),
  });
  const rows: unknown[] = [];
  for (const t of times) {
    const next = nextOpen(grid, t);
    const c = candle(venue, inst.asset, market, t, next - t);
    if (!c) {
      continue;
    }
    const { o, h, l, cl } = tickOhlc(c, inst.tick);
    const vol = roundTick(c.volumeBase, inst.step);
    const quoteVol = vol * ((h + l + o + cl) / 4);
    const takerShare = 0.46 + 0.08 * frac(t);
    rows.push([
      t,
      fmt(o, inst.pDec),
      fmt(h, inst.pDec),
      fmt(l, inst.pDec),
      fmt(cl, inst.pDec),
      fmt(vol, inst.qDec),
      next - 1,
      fmt(quoteVol, 8),
      Math.round(vol * 7 + 50),
      fmt(roundTick(vol * takerShare, inst.step), inst.qDec),
      fmt(quoteVol * takerShare, 8),
      '0',
    ]);
  }
  return { body: rows };
}

/** 24h rolling ticker in Binance's format (spot adds bid/ask fields). */
export function binanceTicker24h(
  venue: string,
  market: 'spot' | 'perp',
  inst: BinanceInstrument,
  now: number
): Record<string, unknown> {
  const from = Math.max(inst.listed, now - DAY);
  const c = candle(venue, inst.asset, market, from, now - from);
  const o = roundTick(c?.open ?? 0, inst.tick);
  const last = roundTick(c?.close ?? 0, inst.tick);
  const vol = roundTick(c?.volumeBase ?? 0, inst.step);
  const change = last - o;
  const base: Record<string, unknown> = {
    symbol: inst.id,
    priceChange: fmt(change, inst.pDec),
    priceChangePercent: fmt(o ? (change / o) * 100 : 0, 3),
    weightedAvgPrice: fmt((o + last) / 2, inst.pDec),
    lastPrice: fmt(last, inst.pDec),
    lastQty: fmt(inst.step * 7, inst.qDec),
    openPrice: fmt(o, inst.pDec),
    highPrice: fmt(Math.max(roundTick(c?.high ?? 0, inst.tick), o, last), inst.pDec),
    lowPrice: fmt(Math.min(roundTick(c?.low ?? 0, inst.tick), o, last), inst.pDec),
    volume: fmt(vol, inst.qDec),
    quoteVolume: fmt((vol * (o + last)) / 2, market === 'spot' ? 8 : 2),
    openTime: now - DAY,
    closeTime: now,
    firstId: 1000000,
    lastId: 1000000 + Math.round(vol * 7),
    count: Math.round(vol * 7) + 1,
  };
  if (market === 'spot') {
    return {
      symbol: base.symbol,
      priceChange: base.priceChange,
      priceChangePercent: base.priceChangePercent,
      weightedAvgPrice: base.weightedAvgPrice,
      prevClosePrice: fmt(o, inst.pDec),
      lastPrice: base.lastPrice,
      lastQty: base.lastQty,
      bidPrice: fmt(last - inst.tick, inst.pDec),
      bidQty: fmt(inst.step * 1000, inst.qDec),
      askPrice: fmt(last, inst.pDec),
      askQty: fmt(inst.step * 800, inst.qDec),
      openPrice: base.openPrice,
      highPrice: base.highPrice,
      lowPrice: base.lowPrice,
      volume: base.volume,
      quoteVolume: base.quoteVolume,
      openTime: base.openTime,
      closeTime: base.closeTime,
      firstId: base.firstId,
      lastId: base.lastId,
      count: base.count,
    };
  }
  return base;
}

const RATE_LIMITS = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
  { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
];

export const SPOT_INSTRUMENTS: BinanceInstrument[] = [
  {
    id: 'BTCUSDT',
    asset: 'BTC',
    quote: 'USDT',
    listed: listed('2017-08-17T04:00:00Z'),
    tick: 0.01,
    pDec: 8,
    qDec: 8,
    step: 0.00001,
  },
  {
    id: 'ETHUSDT',
    asset: 'ETH',
    quote: 'USDT',
    listed: listed('2017-08-17T04:00:00Z'),
    tick: 0.01,
    pDec: 8,
    qDec: 8,
    step: 0.0001,
  },
  {
    id: 'SOLUSDT',
    asset: 'SOL',
    quote: 'USDT',
    listed: listed('2020-08-11T06:00:00Z'),
    tick: 0.01,
    pDec: 8,
    qDec: 8,
    step: 0.001,
  },
  {
    id: 'BTCUSDC',
    asset: 'BTC',
    quote: 'USDC',
    listed: listed('2019-03-15T00:00:00Z'),
    tick: 0.01,
    pDec: 8,
    qDec: 8,
    step: 0.00001,
  },
];

function spotSymbol(i: BinanceInstrument) {
  return {
    symbol: i.id,
    status: 'TRADING',
    baseAsset: i.asset,
    baseAssetPrecision: 8,
    quoteAsset: i.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    amendAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: fmt(i.tick, 8), maxPrice: '1000000.00000000', tickSize: fmt(i.tick, 8) },
      { filterType: 'LOT_SIZE', minQty: fmt(i.step, 8), maxQty: '9000.00000000', stepSize: fmt(i.step, 8) },
      { filterType: 'ICEBERG_PARTS', limit: 100 },
      { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '100.00000000', stepSize: '0.00000000' },
      {
        filterType: 'TRAILING_DELTA',
        minTrailingAboveDelta: 10,
        maxTrailingAboveDelta: 2000,
        minTrailingBelowDelta: 10,
        maxTrailingBelowDelta: 2000,
      },
      {
        filterType: 'PERCENT_PRICE_BY_SIDE',
        bidMultiplierUp: '5',
        bidMultiplierDown: '0.2',
        askMultiplierUp: '5',
        askMultiplierDown: '0.2',
        avgPriceMins: 5,
      },
      {
        filterType: 'NOTIONAL',
        minNotional: '5.00000000',
        applyMinToMarket: true,
        maxNotional: '9000000.00000000',
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
    ],
    permissions: [],
    permissionSets: [['SPOT', 'MARGIN']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

function findSpot(symbol: string | undefined): BinanceInstrument | undefined {
  return SPOT_INSTRUMENTS.find((i) => i.id === symbol);
}

const routes: MockRoute[] = [
  {
    method: 'GET',
    path: '/api/v3/exchangeInfo',
    endpoint: 'markets',
    handler: (req) => ({
      body: {
        timezone: 'UTC',
        serverTime: req.now,
        rateLimits: RATE_LIMITS,
        exchangeFilters: [],
        symbols: SPOT_INSTRUMENTS.map(spotSymbol),
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/v3/klines',
    endpoint: 'klines',
    handler: (req) => binanceKlines('binance', 'spot', SPOT_INSTRUMENTS, req, 1000),
  },
  {
    method: 'GET',
    path: '/api/v3/ticker/24hr',
    endpoint: 'ticker',
    handler: (req) => {
      if (req.query.symbol === undefined) {
        return { body: SPOT_INSTRUMENTS.map((i) => binanceTicker24h('binance', 'spot', i, req.now)) };
      }
      const inst = findSpot(req.query.symbol);
      return inst
        ? { body: binanceTicker24h('binance', 'spot', inst, req.now) }
        : binanceError(-1121, 'Invalid symbol.');
    },
  },
  {
    method: 'GET',
    path: '/api/v3/time',
    endpoint: 'time',
    handler: () => ({ body: { serverTime: simNow() } }),
  },
  {
    method: 'GET',
    path: '/api/v3/ping',
    endpoint: 'ping',
    handler: () => ({ body: {} }),
  },
];

/** Coin-margined futures exchangeInfo (dapi): listed so that ccxt's default loadMarkets types work. */
const dapiRoutes: MockRoute[] = [
  {
    method: 'GET',
    path: '/dapi/v1/exchangeInfo',
    endpoint: 'marketsInverse',
    handler: (req) => ({
      body: {
        timezone: 'UTC',
        serverTime: req.now,
        rateLimits: RATE_LIMITS,
        exchangeFilters: [],
        symbols: [
          {
            symbol: 'BTCUSD_PERP',
            pair: 'BTCUSD',
            contractType: 'PERPETUAL',
            deliveryDate: 4133404800000,
            onboardDate: 1597042800000,
            contractStatus: 'TRADING',
            contractSize: 100,
            marginAsset: 'BTC',
            maintMarginPercent: '2.5000',
            requiredMarginPercent: '5.0000',
            baseAsset: 'BTC',
            quoteAsset: 'USD',
            pricePrecision: 1,
            quantityPrecision: 0,
            baseAssetPrecision: 8,
            quotePrecision: 8,
            equalQtyPrecision: 4,
            maxMoveOrderLimit: 10000,
            triggerProtect: '0.0500',
            underlyingType: 'COIN',
            underlyingSubType: [],
            liquidationFee: '0.015000',
            marketTakeBound: '0.05',
            filters: [
              { filterType: 'PRICE_FILTER', minPrice: '1000', maxPrice: '4529764', tickSize: '0.1' },
              { filterType: 'LOT_SIZE', stepSize: '1', maxQty: '1000000', minQty: '1' },
            ],
            orderTypes: [
              'LIMIT',
              'MARKET',
              'STOP',
              'STOP_MARKET',
              'TAKE_PROFIT',
              'TAKE_PROFIT_MARKET',
              'TRAILING_STOP_MARKET',
            ],
            timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
          },
        ],
      },
    }),
  },
];

/** Binance spot also answers on dapi.binance.com for exchangeInfo only (see header). */
const binance: VenueMock = {
  id: 'binance',
  hosts: ['api.binance.com'],
  routes,
};

export const binanceDapi: VenueMock = {
  id: 'binance',
  hosts: ['dapi.binance.com'],
  routes: dapiRoutes,
};

export default binance;
