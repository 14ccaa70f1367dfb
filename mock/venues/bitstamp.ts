/**
 * Bitstamp (ccxt id `bitstamp`) mock: the public v2 endpoints ccxt 4.5.84 calls.
 * SIMULATED DATA (see mock/market.ts) in Bitstamp's JSON formats (numbers as strings).
 *
 * Host www.bitstamp.net (ccxt: `https://www.bitstamp.net/api` + `/v2/` + path, trailing slashes included):
 * - /api/v2/markets/            loadMarkets (fetchMarkets and fetchCurrencies both read it, cached 1 s by ccxt)
 * - /api/v2/ohlc/{pair}/        step (s), limit 1..1000 (required), start/end (epoch s), exclude_current_candle
 * - /api/v2/ticker/{pair}/
 * OHLC selection: with `end`, the `limit` candles at or before end (start is then ignored, as Bitstamp
 * documents); with only `start`, the `limit` candles from start; with neither, the latest `limit`.
 */
import { markPrice } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import { amt, barStart, barsBetween, fixedBar, intParam, lastBarOpens, px } from './kit';

const HOST = 'www.bitstamp.net';
const VENUE_KEY = 'bitstamp';
export const BITSTAMP_MAX_LIMIT = 1000;
/** Steps (seconds) Bitstamp accepts. */
export const BITSTAMP_STEPS = [60, 180, 300, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 259200];

interface Pair {
  id: string;
  asset: string;
  quote: string;
  /** price decimals Bitstamp prints for this pair */
  counterDecimals: number;
  baseDecimals: number;
  description: string;
}

export const BITSTAMP_PAIRS: Pair[] = [
  {
    id: 'btcusd',
    asset: 'BTC',
    quote: 'USD',
    counterDecimals: 0,
    baseDecimals: 8,
    description: 'Bitcoin / U.S. dollar',
  },
  { id: 'ethusd', asset: 'ETH', quote: 'USD', counterDecimals: 1, baseDecimals: 8, description: 'Ether / U.S. dollar' },
  {
    id: 'solusd',
    asset: 'SOL',
    quote: 'USD',
    counterDecimals: 2,
    baseDecimals: 8,
    description: 'Solana / U.S. dollar',
  },
  {
    id: 'usdtusd',
    asset: 'USDT',
    quote: 'USD',
    counterDecimals: 5,
    baseDecimals: 5,
    description: 'Tether / U.S. dollar',
  },
];
const BY_ID = new Map(BITSTAMP_PAIRS.map((p) => [p.id, p]));

function fail(reason: string, code = 'API0008'): MockResponse {
  return { status: 400, body: { status: 'error', reason, code } };
}

function notFound(pair: string): MockResponse {
  return { status: 404, body: { status: 'error', reason: `Unknown currency pair: ${pair}`, code: 'API0006' } };
}

function markets(): MockResponse {
  return {
    body: BITSTAMP_PAIRS.map((p) => ({
      name: `${p.asset}/${p.quote}`,
      market_symbol: p.id,
      base_currency: p.asset,
      base_decimals: p.baseDecimals,
      counter_currency: p.quote,
      counter_decimals: p.counterDecimals,
      minimum_order_value: '10',
      maximum_order_value: '500000.00000000',
      minimum_order_amount: '0.00001000',
      maximum_order_amount: '1000000.00000000',
      trading: 'Enabled',
      instant_order_counter_decimals: 2,
      instant_and_market_orders: 'Enabled',
      description: p.description,
      market_type: 'SPOT',
    })),
  };
}

function ohlc(req: MockRequest, params: Record<string, string>): MockResponse {
  const p = BY_ID.get(params.pair);
  if (!p) {
    return notFound(params.pair);
  }
  const step = intParam(req.query, 'step');
  const limit = intParam(req.query, 'limit');
  const start = intParam(req.query, 'start');
  const end = intParam(req.query, 'end');
  for (const r of [step, limit, start, end]) {
    if (!r.ok) {
      return fail(r.reason);
    }
  }
  if (!step.ok || !limit.ok || !start.ok || !end.ok) {
    return fail('invalid parameters');
  }
  if (step.value === undefined || !BITSTAMP_STEPS.includes(step.value)) {
    return fail(`step must be one of ${BITSTAMP_STEPS.join(', ')}`);
  }
  if (limit.value === undefined || limit.value < 1 || limit.value > BITSTAMP_MAX_LIMIT) {
    return fail(`limit must be between 1 and ${BITSTAMP_MAX_LIMIT}`);
  }
  const spec = fixedBar(step.value * 1000);
  const n = limit.value;
  const nowBar = barStart(spec, req.now);
  let bars;
  if (end.value !== undefined) {
    const opens = lastBarOpens(spec, Math.min(end.value * 1000, req.now), n, 0);
    bars = opens.length ? barsBetween(VENUE_KEY, p.asset, 'spot', spec, opens[0], opens[opens.length - 1]) : [];
  } else if (start.value !== undefined) {
    bars = barsBetween(VENUE_KEY, p.asset, 'spot', spec, start.value * 1000, Number.MAX_SAFE_INTEGER, undefined, n);
  } else {
    const opens = lastBarOpens(spec, req.now, n, 0);
    bars = barsBetween(VENUE_KEY, p.asset, 'spot', spec, opens[0], opens[opens.length - 1]);
  }
  if (req.query.exclude_current_candle === 'true') {
    bars = bars.filter((b) => b.t < nowBar);
  }
  const dp = p.counterDecimals;
  return {
    body: {
      data: {
        pair: `${p.asset}/${p.quote}`,
        ohlc: bars.map((b) => ({
          high: px(b.high, dp),
          timestamp: String(b.t / 1000),
          volume: amt(b.volumeBase, 8),
          low: px(b.low, dp),
          close: px(b.close, dp),
          open: px(b.open, dp),
        })),
      },
    },
    rowsPath: ['data', 'ohlc'],
  };
}

function ticker(req: MockRequest, params: Record<string, string>): MockResponse {
  const p = BY_ID.get(params.pair);
  if (!p) {
    return notFound(params.pair);
  }
  const day = 86_400_000;
  const dayBars = barsBetween(VENUE_KEY, p.asset, 'spot', fixedBar(3_600_000), req.now - day, req.now);
  const dp = p.counterDecimals;
  const last = markPrice(VENUE_KEY, p.asset, req.now, 'spot');
  const open24 = markPrice(VENUE_KEY, p.asset, req.now - day, 'spot');
  const high = Math.max(last, ...dayBars.map((b) => b.high));
  const low = Math.min(last, ...dayBars.map((b) => b.low));
  const vol = dayBars.reduce((s, b) => s + b.volumeBase, 0);
  const vwap = vol > 0 ? dayBars.reduce((s, b) => s + (b.volumeBase * (b.high + b.low + b.close)) / 3, 0) / vol : last;
  const tick = Math.pow(10, -dp);
  return {
    body: {
      timestamp: String(Math.floor(req.now / 1000)),
      open: px(
        barStart(fixedBar(day), req.now) === req.now
          ? last
          : markPrice(VENUE_KEY, p.asset, barStart(fixedBar(day), req.now), 'spot'),
        dp
      ),
      high: px(high, dp),
      low: px(low, dp),
      last: px(last, dp),
      volume: amt(vol, 8),
      vwap: px(vwap, dp),
      bid: px(last - tick, dp),
      ask: px(last + tick, dp),
      side: '0',
      open_24: px(open24, dp),
      percent_change_24: ((last / open24 - 1) * 100).toFixed(2),
      pair: `${p.asset}/${p.quote}`,
    },
  };
}

const routes: MockRoute[] = [
  { method: 'GET', path: '/api/v2/markets/', endpoint: 'markets', handler: markets },
  { method: 'GET', path: '/api/v2/ohlc/:pair/', endpoint: 'klines', handler: ohlc },
  { method: 'GET', path: '/api/v2/ticker/:pair/', endpoint: 'ticker', handler: ticker },
];

export const venue: VenueMock = { id: 'bitstamp', hosts: [HOST], routes };
export default venue;
