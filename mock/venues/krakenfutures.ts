/**
 * Kraken Futures (ccxt id `krakenfutures`) mock: the public endpoints ccxt 4.5.84 calls, plus the
 * charts analytics endpoint for open-interest history. SIMULATED DATA (see mock/market.ts).
 *
 * Host futures.kraken.com (ccxt urls: public `…/derivatives/api/`, charts `…/api/charts/`):
 * - /derivatives/api/v3/instruments          loadMarkets (PF_* multi-collateral linear perps, contractSize 1 = 1 coin)
 * - /derivatives/api/v3/tickers(/{symbol})   ticker; `openInterest` in contracts = coins for PF_*;
 *                                            `fundingRate` absolute (USD per contract per hour), ccxt divides by markPrice
 * - /derivatives/api/v4/historicalfundingrates?symbol=   the whole hourly history in one answer; ccxt reads
 *                                            `relativeFundingRate` (decimal per hour)
 * - /api/charts/v1/{trade|mark|spot}/{symbol}/{interval}?from&to   candles, ≤ 2000 per answer from `from`, `more_candles`
 * - /api/charts/v1/analytics/{symbol}/open-interest?since&interval&to   OI history (coins), ≤ 2000 buckets from
 *   `since` (assumed page size), `more` when cut. ccxt has no unified method: call
 *   `ex.request('analytics/PF_XBTUSD/open-interest', 'charts', 'GET', {since, interval, to, version: 'v1'})`
 *   (the implicit `chartsGetPriceTypeSymbolInterval` cannot carry the `interval` query parameter: its path uses the name).
 */
import { fundingRate, markPrice, openInterestBase } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import {
  barsBetween,
  firstBarAtOrAfter,
  fixedBar,
  HOUR_MS,
  intParam,
  iso,
  lastBarOpens,
  MONDAY_OFFSET_MS,
  pxNum,
  type BarSpec,
} from './kit';

const HOST = 'futures.kraken.com';
const VENUE_KEY = 'krakenfutures';
export const KRAKENFUTURES_MAX_CANDLES = 2000;
/** Buckets per analytics answer (Kraken does not document it; the mock assumes 2000 and sets `more`). */
export const KRAKENFUTURES_MAX_ANALYTICS = 2000;
export const KRAKENFUTURES_ANALYTICS_INTERVALS = [60, 300, 900, 1800, 3600, 14400, 43200, 86400, 604800];
const CHART_INTERVALS: Record<string, number> = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '30m': 1800,
  '1h': 3600,
  '4h': 14400,
  '12h': 43200,
  '1d': 86400,
  '1w': 604800,
};

interface Instrument {
  symbol: string;
  asset: string;
  pair: string;
  tickSize: number;
  /** approximate launch of the PF_ perpetual; no data before it (SIMULATED retention) */
  openingMs: number;
}

export const KRAKENFUTURES_INSTRUMENTS: Instrument[] = [
  { symbol: 'PF_XBTUSD', asset: 'BTC', pair: 'XBT:USD', tickSize: 1, openingMs: Date.UTC(2022, 2, 1) },
  { symbol: 'PF_ETHUSD', asset: 'ETH', pair: 'ETH:USD', tickSize: 0.1, openingMs: Date.UTC(2022, 2, 1) },
  { symbol: 'PF_SOLUSD', asset: 'SOL', pair: 'SOL:USD', tickSize: 0.01, openingMs: Date.UTC(2022, 5, 1) },
];

function find(symbol: string | undefined): Instrument | undefined {
  const s = (symbol ?? '').toUpperCase();
  return KRAKENFUTURES_INSTRUMENTS.find((i) => i.symbol === s);
}

function barSpec(seconds: number): BarSpec {
  return fixedBar(seconds * 1000, seconds === 604800 ? MONDAY_OFFSET_MS : 0);
}

const derivError = (now: number, error: string, status = 400): MockResponse => ({
  status,
  body: { result: 'error', error, serverTime: iso(now) },
});

const chartsError = (field: string, msg: string): MockResponse => ({
  status: 400,
  body: {
    result: null,
    errors: [{ severity: 'error', error_class: 'invalid-argument', type: 'invalid-argument', msg, value: '', field }],
  },
});

function instruments(req: MockRequest): MockResponse {
  return {
    body: {
      result: 'success',
      instruments: KRAKENFUTURES_INSTRUMENTS.map((i) => ({
        symbol: i.symbol,
        type: 'flexible_futures',
        tradeable: true,
        tickSize: i.tickSize,
        contractSize: 1,
        impactMidSize: 1,
        maxPositionSize: 1_000_000,
        openingDate: iso(i.openingMs),
        marginLevels: [
          { numNonContractUnits: 0, initialMargin: 0.02, maintenanceMargin: 0.01 },
          { numNonContractUnits: 500_000, initialMargin: 0.04, maintenanceMargin: 0.02 },
        ],
        fundingRateCoefficient: 8,
        maxRelativeFundingRate: 0.001,
        isin: 'GB00SIMULATED',
        contractValueTradePrecision: 4,
        postOnly: false,
        feeScheduleUid: '5b755fea-c5b0-4307-a66e-b392cd5bd931',
        mtf: false,
        base: i.asset,
        quote: 'USD',
        pair: i.pair,
        category: 'Layer 1',
        tags: [],
        tradfi: false,
      })),
      serverTime: iso(req.now),
    },
    rowsPath: ['instruments'],
  };
}

function tickerJson(i: Instrument, now: number): Record<string, unknown> {
  const mark = markPrice(VENUE_KEY, i.asset, now, 'perp');
  const index = markPrice(VENUE_KEY, i.asset, now, 'spot');
  const open24 = markPrice(VENUE_KEY, i.asset, now - 86_400_000, 'perp');
  const day = barsBetween(VENUE_KEY, i.asset, 'perp', fixedBar(HOUR_MS), now - 86_400_000, now, i.openingMs);
  const vol = day.reduce((s, b) => s + b.volumeBase, 0);
  // current hourly rate (relative), estimated over the running hour; absolute = relative × mark
  const rel = fundingRate(VENUE_KEY, i.asset, now, 1);
  // the prediction: the same trailing estimate (no look-ahead into the simulated path)
  const relNext = rel;
  const dp = i.tickSize >= 1 ? 0 : Math.round(-Math.log10(i.tickSize));
  return {
    tag: 'perpetual',
    pair: i.pair,
    symbol: i.symbol,
    markPrice: pxNum(mark, dp + 1),
    bid: pxNum(mark - i.tickSize, dp),
    bidSize: 0.5,
    ask: pxNum(mark + i.tickSize, dp),
    askSize: 0.5,
    vol24h: Number(vol.toFixed(4)),
    volumeQuote: Number((vol * mark).toFixed(2)),
    openInterest: Number(openInterestBase(VENUE_KEY, i.asset, now).toFixed(4)),
    open24h: pxNum(open24, dp),
    high24h: pxNum(Math.max(mark, ...day.map((b) => b.high)), dp),
    low24h: pxNum(Math.min(mark, ...day.map((b) => b.low)), dp),
    indexPrice: pxNum(index, 2),
    last: pxNum(mark, dp),
    lastTime: iso(now - 250),
    lastSize: 0.01,
    suspended: false,
    fundingRate: rel * mark,
    fundingRatePrediction: relNext * mark,
    postOnly: false,
    change24h: Number(((mark / open24 - 1) * 100).toFixed(4)),
  };
}

function tickers(req: MockRequest): MockResponse {
  return {
    body: {
      result: 'success',
      tickers: KRAKENFUTURES_INSTRUMENTS.map((i) => tickerJson(i, req.now)),
      serverTime: iso(req.now),
    },
    rowsPath: ['tickers'],
  };
}

function tickerOne(req: MockRequest, params: Record<string, string>): MockResponse {
  const i = find(params.symbol);
  if (!i) {
    return derivError(req.now, 'Symbol not found', 404);
  }
  return { body: { result: 'success', ticker: tickerJson(i, req.now), serverTime: iso(req.now) } };
}

function historicalFunding(req: MockRequest): MockResponse {
  const i = find(req.query.symbol);
  if (!i) {
    return derivError(req.now, req.query.symbol ? 'Symbol not found' : 'symbol is required');
  }
  const rates = [];
  for (let t = firstBarAtOrAfter(fixedBar(HOUR_MS), i.openingMs + HOUR_MS); t <= req.now; t += HOUR_MS) {
    const rel = fundingRate(VENUE_KEY, i.asset, t, 1);
    const mark = markPrice(VENUE_KEY, i.asset, t, 'perp');
    rates.push({ timestamp: iso(t), fundingRate: Number((rel * mark).toPrecision(12)), relativeFundingRate: rel });
  }
  return { body: { rates, result: 'success', serverTime: iso(req.now) }, rowsPath: ['rates'] };
}

function chartCandles(req: MockRequest, params: Record<string, string>): MockResponse {
  const priceType = params.price_type;
  if (priceType !== 'trade' && priceType !== 'mark' && priceType !== 'spot') {
    return chartsError('price_type', 'price_type must be one of trade, mark, spot');
  }
  const i = find(params.symbol);
  if (!i) {
    return chartsError('symbol', `unknown symbol ${params.symbol}`);
  }
  const seconds = CHART_INTERVALS[params.interval];
  if (seconds === undefined) {
    return chartsError('interval', `interval must be one of ${Object.keys(CHART_INTERVALS).join(', ')}`);
  }
  const from = intParam(req.query, 'from');
  const to = intParam(req.query, 'to');
  if (!from.ok) {
    return chartsError('from', from.reason);
  }
  if (!to.ok) {
    return chartsError('to', to.reason);
  }
  const spec = barSpec(seconds);
  const toMs = Math.min(to.value !== undefined ? to.value * 1000 : req.now, req.now);
  let fromMs: number;
  if (from.value !== undefined) {
    fromMs = from.value * 1000;
  } else {
    const opens = lastBarOpens(spec, toMs, KRAKENFUTURES_MAX_CANDLES, 0);
    fromMs = opens[0];
  }
  const market = priceType === 'spot' ? 'spot' : 'perp';
  const all = barsBetween(VENUE_KEY, i.asset, market, spec, fromMs, toMs, i.openingMs, KRAKENFUTURES_MAX_CANDLES + 1);
  const more = all.length > KRAKENFUTURES_MAX_CANDLES;
  const bars = all.slice(0, KRAKENFUTURES_MAX_CANDLES);
  const dp = i.tickSize >= 1 ? 1 : Math.round(-Math.log10(i.tickSize)) + 1;
  return {
    body: {
      candles: bars.map((b) => ({
        time: b.t,
        open: b.open.toFixed(dp),
        high: b.high.toFixed(dp),
        low: b.low.toFixed(dp),
        close: b.close.toFixed(dp),
        volume: priceType === 'trade' ? b.volumeBase.toFixed(4) : '0',
      })),
      more_candles: more,
    },
    rowsPath: ['candles'],
  };
}

function analyticsOpenInterest(req: MockRequest, params: Record<string, string>): MockResponse {
  const i = find(params.symbol);
  if (!i) {
    return chartsError('symbol', `unknown symbol ${params.symbol}`);
  }
  const since = intParam(req.query, 'since');
  const interval = intParam(req.query, 'interval');
  const to = intParam(req.query, 'to');
  if (!since.ok || since.value === undefined) {
    return chartsError('since', since.ok ? 'since is required (epoch seconds)' : since.reason);
  }
  if (!interval.ok || interval.value === undefined || !KRAKENFUTURES_ANALYTICS_INTERVALS.includes(interval.value)) {
    return chartsError('interval', `interval must be one of ${KRAKENFUTURES_ANALYTICS_INTERVALS.join(', ')}`);
  }
  if (!to.ok) {
    return chartsError('to', to.reason);
  }
  const spec = barSpec(interval.value);
  const toMs = Math.min(to.value !== undefined ? to.value * 1000 : req.now, req.now);
  const timestamp: number[] = [];
  const data: number[] = [];
  let more = false;
  const first = firstBarAtOrAfter(spec, Math.max(since.value * 1000, i.openingMs));
  for (let t = first; t <= toMs; t += interval.value * 1000) {
    if (timestamp.length === KRAKENFUTURES_MAX_ANALYTICS) {
      more = true;
      break;
    }
    // the bucket's value: open interest at its end (at `now` for the running bucket), in coins
    const at = Math.min(t + interval.value * 1000, req.now);
    timestamp.push(t / 1000);
    data.push(Number(openInterestBase(VENUE_KEY, i.asset, at).toFixed(4)));
  }
  return {
    body: { result: { timestamp, more, data }, errors: [] },
    parallelRows: [
      ['result', 'timestamp'],
      ['result', 'data'],
    ],
  };
}

const routes: MockRoute[] = [
  { method: 'GET', path: '/derivatives/api/v3/instruments', endpoint: 'markets', handler: instruments },
  { method: 'GET', path: '/derivatives/api/v3/tickers', endpoint: 'ticker', handler: tickers },
  { method: 'GET', path: '/derivatives/api/v3/tickers/:symbol', endpoint: 'ticker', handler: tickerOne },
  {
    method: 'GET',
    path: '/derivatives/api/v4/historicalfundingrates',
    endpoint: 'fundingHistory',
    handler: historicalFunding,
  },
  // analytics before the generic chart route: same segment count
  {
    method: 'GET',
    path: '/api/charts/v1/analytics/:symbol/open-interest',
    endpoint: 'openInterestHistory',
    handler: analyticsOpenInterest,
  },
  { method: 'GET', path: '/api/charts/v1/:price_type/:symbol/:interval', endpoint: 'klines', handler: chartCandles },
];

export const venue: VenueMock = { id: 'krakenfutures', hosts: [HOST], routes };
export default venue;
