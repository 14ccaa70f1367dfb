/**
 * Mock of Binance USDⓈ-M futures (fapi.binance.com), SIMULATED data in Binance's real REST format.
 *
 * Served (what ccxt 4.5.84 calls for binanceusdm):
 * - GET /fapi/v1/exchangeInfo            loadMarkets (types ['linear'])
 * - GET /fapi/v1/klines                  fetchOHLCV (default 500, max 1500 rows)
 * - GET /fapi/v1/fundingRate             fetchFundingRateHistory (8h settlements, default 100, max 1000 rows)
 * - GET /futures/data/openInterestHist   fetchOpenInterestHistory (default 30, max 500 rows, latest 30 days only)
 * - GET /fapi/v1/openInterest            fetchOpenInterest (current, base coin)
 * - GET /fapi/v1/premiumIndex            fetchFundingRate (current mark price and funding)
 * - GET /fapi/v1/ticker/24hr             fetchTicker
 * - GET /fapi/v1/time                    fetchTime (type 'future')
 */
import { fundingRate, markPrice, openInterestBase } from '../market';
import type { MockResponse, MockRoute, VenueMock } from '../types';
import {
  BINANCE_INTERVALS,
  binanceError,
  binanceKlines,
  binanceSymbol,
  binanceTicker24h,
  roundTick,
  type BinanceInstrument,
} from './binance';
import { DAY, HOUR, ceilTo, fixed, floorTo, fmt, listed, pageParams, selectTimes, type Grid } from './common';

export const FAPI_INSTRUMENTS: BinanceInstrument[] = [
  {
    id: 'BTCUSDT',
    asset: 'BTC',
    quote: 'USDT',
    listed: listed('2019-09-08T17:00:00Z'),
    tick: 0.1,
    pDec: 2,
    qDec: 3,
    step: 0.001,
  },
  {
    id: 'ETHUSDT',
    asset: 'ETH',
    quote: 'USDT',
    listed: listed('2019-11-27T07:00:00Z'),
    tick: 0.01,
    pDec: 2,
    qDec: 3,
    step: 0.001,
  },
  {
    id: 'SOLUSDT',
    asset: 'SOL',
    quote: 'USDT',
    listed: listed('2020-09-14T07:00:00Z'),
    tick: 0.01,
    pDec: 4,
    qDec: 2,
    step: 0.01,
  },
];

const VENUE = 'binanceusdm';
/** Funding settles every 8 hours at 00:00, 08:00, 16:00 UTC. */
export const FAPI_FUNDING_HOURS = 8;
/** openInterestHist keeps only the latest 30 days. */
export const OI_HIST_RETENTION_MS = 30 * DAY;

/** openInterestHist periods: the kline intervals (same grids) from 5m to 1d, except 8h. */
const OI_PERIODS: Record<string, Grid> = Object.fromEntries(
  ['5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d'].map((p) => [p, BINANCE_INTERVALS[p]])
);

const find = (symbol: string | undefined) => FAPI_INSTRUMENTS.find((i) => i.id === symbol);

function fundingRows(inst: BinanceInstrument, q: Record<string, string>, now: number): MockResponse | unknown[] {
  const { limit, from: startTime, to: endTime, bad } = pageParams(q, 'startTime', 'endTime', 100, 1000);
  if (bad === 'limit') {
    return binanceError(-1130, "Data sent for parameter 'limit' is not valid.");
  }
  if (bad === 'time') {
    return binanceError(-1100, "Illegal characters found in parameter 'startTime' or 'endTime'.");
  }
  const grid = fixed(FAPI_FUNDING_HOURS * HOUR);
  const times = selectTimes(grid, {
    from: startTime,
    to: endTime,
    limit,
    take: startTime !== undefined ? 'first' : 'last',
    first: ceilTo(grid, inst.listed + 1),
    last: floorTo(grid, now),
  });
  return times.map((t) => ({
    symbol: inst.id,
    fundingTime: t,
    fundingRate: fmt(fundingRate(VENUE, inst.asset, t, FAPI_FUNDING_HOURS), 8),
    markPrice: fmt(markPrice(VENUE, inst.asset, t, 'perp'), 8),
  }));
}

function contractInfo(i: BinanceInstrument) {
  return {
    symbol: i.id,
    pair: i.id,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: i.listed,
    status: 'TRADING',
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: i.asset,
    quoteAsset: i.quote,
    marginAsset: i.quote,
    pricePrecision: i.pDec,
    quantityPrecision: i.qDec,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    underlyingSubType: ['PoW'],
    triggerProtect: '0.0500',
    liquidationFee: '0.012500',
    marketTakeBound: '0.05',
    maxMoveOrderLimit: 10000,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: fmt(i.tick * 10, i.pDec),
        maxPrice: '4529764',
        tickSize: fmt(i.tick, i.pDec),
      },
      { filterType: 'LOT_SIZE', stepSize: fmt(i.step, i.qDec), maxQty: '1000', minQty: fmt(i.step, i.qDec) },
      { filterType: 'MARKET_LOT_SIZE', stepSize: fmt(i.step, i.qDec), maxQty: '120', minQty: fmt(i.step, i.qDec) },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
      { filterType: 'MIN_NOTIONAL', notional: '100' },
      { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
    ],
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
    permissionSets: ['GRID', 'COPY'],
  };
}

const routes: MockRoute[] = [
  {
    method: 'GET',
    path: '/fapi/v1/exchangeInfo',
    endpoint: 'markets',
    handler: (req) => ({
      body: {
        timezone: 'UTC',
        serverTime: req.now,
        futuresType: 'U_MARGINED',
        rateLimits: [
          { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
          { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
          { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
        ],
        exchangeFilters: [],
        assets: [
          { asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' },
          { asset: 'BTC', marginAvailable: true, autoAssetExchange: '-0.10000000' },
        ],
        symbols: FAPI_INSTRUMENTS.map(contractInfo),
      },
    }),
  },
  {
    method: 'GET',
    path: '/fapi/v1/klines',
    endpoint: 'klines',
    handler: (req) => binanceKlines(VENUE, 'perp', FAPI_INSTRUMENTS, req, 1500),
  },
  {
    method: 'GET',
    path: '/fapi/v1/fundingRate',
    endpoint: 'fundingHistory',
    handler: (req) => {
      const symbol = req.query.symbol;
      const list = symbol === undefined ? FAPI_INSTRUMENTS : FAPI_INSTRUMENTS.filter((i) => i.id === symbol);
      if (list.length === 0) {
        // the real API answers an unknown symbol with an empty list
        return { body: [] };
      }
      const rows: unknown[] = [];
      for (const inst of list) {
        const r = fundingRows(inst, req.query, req.now);
        if (!Array.isArray(r)) {
          return r;
        }
        rows.push(...r);
      }
      return { body: rows };
    },
  },
  {
    method: 'GET',
    path: '/futures/data/openInterestHist',
    endpoint: 'openInterestHistory',
    handler: (req) => {
      const q = req.query;
      const inst = binanceSymbol(FAPI_INSTRUMENTS, q.symbol);
      if ('body' in inst) {
        return inst;
      }
      const grid = OI_PERIODS[q.period ?? ''];
      if (!grid) {
        return binanceError(-1130, "Data sent for parameter 'period' is not valid.");
      }
      const { limit, from: startTime, to: endTime, bad } = pageParams(q, 'startTime', 'endTime', 30, 500);
      if (bad === 'limit') {
        return binanceError(-1130, "Data sent for parameter 'limit' is not valid.");
      }
      if (bad === 'time') {
        return binanceError(-1100, "Illegal characters found in parameter 'startTime' or 'endTime'.");
      }
      const now = req.now;
      const times = selectTimes(grid, {
        from: startTime,
        to: endTime,
        limit,
        take: startTime !== undefined ? 'first' : 'last',
        // only the latest 30 days exist
        first: ceilTo(grid, Math.max(inst.listed, now - OI_HIST_RETENTION_MS)),
        last: floorTo(grid, now),
      });
      return {
        body: times.map((t) => {
          const oi = openInterestBase(VENUE, inst.asset, t);
          return {
            symbol: inst.id,
            sumOpenInterest: fmt(oi, 8),
            sumOpenInterestValue: fmt(oi * markPrice(VENUE, inst.asset, t, 'perp'), 8),
            CMCCirculatingSupply: fmt(
              inst.asset === 'BTC' ? 19_700_000 : inst.asset === 'ETH' ? 120_500_000 : 480_000_000,
              3
            ),
            timestamp: t,
          };
        }),
      };
    },
  },
  {
    method: 'GET',
    path: '/fapi/v1/openInterest',
    endpoint: 'openInterest',
    handler: (req) => {
      const inst = find(req.query.symbol);
      if (!inst) {
        return binanceError(-1121, 'Invalid symbol.');
      }
      return {
        body: {
          openInterest: fmt(roundTick(openInterestBase(VENUE, inst.asset, req.now), inst.step), inst.qDec),
          symbol: inst.id,
          time: req.now,
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/fapi/v1/premiumIndex',
    endpoint: 'funding',
    handler: (req) => {
      const one = (inst: BinanceInstrument) => {
        const grid = fixed(FAPI_FUNDING_HOURS * HOUR);
        const next = floorTo(grid, req.now) + FAPI_FUNDING_HOURS * HOUR;
        const mark = markPrice(VENUE, inst.asset, req.now, 'perp');
        const index = markPrice(VENUE, inst.asset, req.now, 'spot');
        return {
          symbol: inst.id,
          markPrice: fmt(mark, 8),
          indexPrice: fmt(index, 8),
          estimatedSettlePrice: fmt((mark + index) / 2, 8),
          // the rate that will settle at the next funding time, as accrued so far
          lastFundingRate: fmt(fundingRate(VENUE, inst.asset, req.now, FAPI_FUNDING_HOURS), 8),
          interestRate: '0.00010000',
          nextFundingTime: next,
          time: req.now,
        };
      };
      if (req.query.symbol === undefined) {
        return { body: FAPI_INSTRUMENTS.map(one) };
      }
      const inst = find(req.query.symbol);
      return inst ? { body: one(inst) } : binanceError(-1121, 'Invalid symbol.');
    },
  },
  {
    method: 'GET',
    path: '/fapi/v1/ticker/24hr',
    endpoint: 'ticker',
    handler: (req) => {
      if (req.query.symbol === undefined) {
        return { body: FAPI_INSTRUMENTS.map((i) => binanceTicker24h(VENUE, 'perp', i, req.now)) };
      }
      const inst = find(req.query.symbol);
      return inst ? { body: binanceTicker24h(VENUE, 'perp', inst, req.now) } : binanceError(-1121, 'Invalid symbol.');
    },
  },
  {
    method: 'GET',
    path: '/fapi/v1/time',
    endpoint: 'time',
    handler: (req) => ({ body: { serverTime: req.now } }),
  },
  {
    method: 'GET',
    path: '/fapi/v1/ping',
    endpoint: 'ping',
    handler: () => ({ body: {} }),
  },
];

const binanceusdm: VenueMock = { id: VENUE, hosts: ['fapi.binance.com'], routes };
export default binanceusdm;
