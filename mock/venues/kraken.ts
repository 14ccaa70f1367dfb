/**
 * Kraken spot (ccxt id `kraken`) mock: the public REST endpoints ccxt 4.5.84 calls.
 * SIMULATED DATA (see mock/market.ts) in Kraken's JSON formats (`{error: [], result: {...}}`,
 * prices as strings).
 *
 * Host api.kraken.com:
 * - /0/public/Assets      loadMarkets → fetchCurrencies (maps XXBT → BTC, ZUSD → USD)
 * - /0/public/AssetPairs  loadMarkets → fetchMarkets
 * - /0/public/OHLC        pair, interval (minutes), since (epoch s, exclusive). Only the latest 720
 *                         bars exist (the current, uncommitted bar included, always last); `since`
 *                         cannot reach further back. `last` is the open time of the last committed bar.
 * - /0/public/Ticker, /0/public/Time
 */
import { markPrice } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import {
  amt,
  barStart,
  barsBetween,
  fixedBar,
  hashInt,
  intParam,
  lastBarOpens,
  MONDAY_OFFSET_MS,
  px,
  type BarSpec,
} from './kit';

const HOST = 'api.kraken.com';
const VENUE_KEY = 'kraken';
/** Kraken keeps only the most recent 720 bars per interval. */
export const KRAKEN_OHLC_ROWS = 720;
export const KRAKEN_INTERVALS = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600];

interface Pair {
  id: string;
  altname: string;
  wsname: string;
  base: string;
  quote: string;
  asset: string;
  pairDecimals: number;
  ordermin: string;
}

export const KRAKEN_PAIRS: Pair[] = [
  {
    id: 'XXBTZUSD',
    altname: 'XBTUSD',
    wsname: 'XBT/USD',
    base: 'XXBT',
    quote: 'ZUSD',
    asset: 'BTC',
    pairDecimals: 1,
    ordermin: '0.00005',
  },
  {
    id: 'XETHZUSD',
    altname: 'ETHUSD',
    wsname: 'ETH/USD',
    base: 'XETH',
    quote: 'ZUSD',
    asset: 'ETH',
    pairDecimals: 2,
    ordermin: '0.002',
  },
  {
    id: 'SOLUSD',
    altname: 'SOLUSD',
    wsname: 'SOL/USD',
    base: 'SOL',
    quote: 'ZUSD',
    asset: 'SOL',
    pairDecimals: 2,
    ordermin: '0.02',
  },
  // the stablecoin reference
  {
    id: 'USDTZUSD',
    altname: 'USDTUSD',
    wsname: 'USDT/USD',
    base: 'USDT',
    quote: 'ZUSD',
    asset: 'USDT',
    pairDecimals: 5,
    ordermin: '5',
  },
];

function findPair(name: string | undefined): Pair | undefined {
  if (!name) {
    return undefined;
  }
  return KRAKEN_PAIRS.find((p) => p.id === name || p.altname === name || p.wsname === name);
}

const ASSETS: Record<string, Record<string, unknown>> = {
  XXBT: {
    aclass: 'currency',
    altname: 'XBT',
    decimals: 10,
    display_decimals: 5,
    collateral_value: 1,
    status: 'enabled',
  },
  XETH: {
    aclass: 'currency',
    altname: 'ETH',
    decimals: 10,
    display_decimals: 5,
    collateral_value: 1,
    status: 'enabled',
  },
  SOL: {
    aclass: 'currency',
    altname: 'SOL',
    decimals: 10,
    display_decimals: 5,
    collateral_value: 0.9,
    status: 'enabled',
  },
  USDT: {
    aclass: 'currency',
    altname: 'USDT',
    decimals: 8,
    display_decimals: 4,
    collateral_value: 1,
    status: 'enabled',
  },
  ZUSD: {
    aclass: 'currency',
    altname: 'USD',
    decimals: 4,
    display_decimals: 2,
    collateral_value: 1,
    status: 'enabled',
  },
};

const ok = (result: unknown, rowsPath?: Array<string | number>): MockResponse => ({
  body: { error: [], result },
  rowsPath,
});
const err = (...messages: string[]): MockResponse => ({ body: { error: messages } });

/** Kraken interval (minutes) → bar grid. Weekly bars are aligned to Monday 00:00 UTC. */
export function krakenBar(intervalMin: number): BarSpec {
  const durMs = intervalMin * 60_000;
  return fixedBar(durMs, intervalMin === 10080 || intervalMin === 21600 ? MONDAY_OFFSET_MS : 0);
}

function assets(req: MockRequest): MockResponse {
  const wanted = req.query.asset?.split(',');
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ASSETS)) {
    if (!wanted || wanted.includes(k) || wanted.includes(String(v.altname))) {
      result[k] = v;
    }
  }
  return Object.keys(result).length ? ok(result) : err('EQuery:Unknown asset');
}

function pairJson(p: Pair): Record<string, unknown> {
  const usdt = p.asset === 'USDT';
  return {
    altname: p.altname,
    wsname: p.wsname,
    aclass_base: 'currency',
    base: p.base,
    aclass_quote: 'currency',
    quote: p.quote,
    lot: 'unit',
    cost_decimals: 5,
    pair_decimals: p.pairDecimals,
    lot_decimals: 8,
    lot_multiplier: 1,
    leverage_buy: usdt ? [] : [2, 3, 4, 5],
    leverage_sell: usdt ? [] : [2, 3, 4, 5],
    fees: [
      [0, 0.4],
      [10000, 0.35],
      [50000, 0.24],
    ],
    fees_maker: [
      [0, 0.25],
      [10000, 0.2],
      [50000, 0.14],
    ],
    fee_volume_currency: 'ZUSD',
    margin_call: 80,
    margin_stop: 40,
    ordermin: p.ordermin,
    costmin: '0.5',
    tick_size: (10 ** -p.pairDecimals).toFixed(p.pairDecimals),
    status: 'online',
  };
}

function assetPairs(req: MockRequest): MockResponse {
  const wanted = req.query.pair?.split(',');
  const result: Record<string, unknown> = {};
  for (const p of KRAKEN_PAIRS) {
    if (!wanted || wanted.some((w) => findPair(w) === p)) {
      result[p.id] = pairJson(p);
    }
  }
  return Object.keys(result).length ? ok(result) : err('EQuery:Unknown asset pair');
}

function ohlc(req: MockRequest): MockResponse {
  const p = findPair(req.query.pair);
  if (!p) {
    return err('EQuery:Unknown asset pair');
  }
  const interval = intParam(req.query, 'interval');
  const since = intParam(req.query, 'since');
  if (!interval.ok || !since.ok) {
    return err('EGeneral:Invalid arguments');
  }
  const minutes = interval.value ?? 1;
  if (!KRAKEN_INTERVALS.includes(minutes)) {
    return err('EGeneral:Invalid arguments');
  }
  const spec = krakenBar(minutes);
  // the retained window: the latest 720 bars, the open one included
  const opens = lastBarOpens(spec, req.now, KRAKEN_OHLC_ROWS, 0);
  let bars = barsBetween(VENUE_KEY, p.asset, 'spot', spec, opens[0], opens[opens.length - 1]);
  const current = bars[bars.length - 1];
  if (since.value !== undefined) {
    const s = since.value * 1000;
    bars = bars.filter((b) => b.t > s);
    if (current && !bars.includes(current)) {
      // "The last entry in the OHLC array is for the current, not-yet-committed timeframe, and will always be present"
      bars.push(current);
    }
  }
  const dp = p.pairDecimals;
  const rows = bars.map((b) => [
    b.t / 1000,
    px(b.open, dp),
    px(b.high, dp),
    px(b.low, dp),
    px(b.close, dp),
    px((b.open + b.high + b.low + b.close) / 4, dp),
    amt(b.volumeBase, 8),
    1 + hashInt(`${p.id}:${minutes}:${b.t}`, 5000),
  ]);
  const lastCommitted = barStart(spec, barStart(spec, req.now) - 1);
  return ok({ [p.id]: rows, last: Math.floor(lastCommitted / 1000) }, ['result', p.id]);
}

function ticker(req: MockRequest): MockResponse {
  const names = (req.query.pair ?? '').split(',').filter((s) => s !== '');
  const pairs = names.length ? names.map(findPair) : KRAKEN_PAIRS;
  if (pairs.some((p) => p === undefined)) {
    return err('EQuery:Unknown asset pair');
  }
  const result: Record<string, unknown> = {};
  const day = 86_400_000;
  for (const p of pairs as Pair[]) {
    const dp = p.pairDecimals;
    const tick = 10 ** -dp;
    const last = markPrice(VENUE_KEY, p.asset, req.now, 'spot');
    const dayOpen = barStart(fixedBar(day), req.now);
    const today = barsBetween(VENUE_KEY, p.asset, 'spot', fixedBar(3_600_000), dayOpen, req.now);
    const last24 = barsBetween(VENUE_KEY, p.asset, 'spot', fixedBar(3_600_000), req.now - day, req.now);
    const vol = (bs: typeof today) => bs.reduce((s, b) => s + b.volumeBase, 0);
    const vwap = (bs: typeof today) =>
      vol(bs) > 0 ? bs.reduce((s, b) => s + (b.volumeBase * (b.high + b.low + b.close)) / 3, 0) / vol(bs) : last;
    const hi = (bs: typeof today) => Math.max(last, ...bs.map((b) => b.high));
    const lo = (bs: typeof today) => Math.min(last, ...bs.map((b) => b.low));
    result[p.id] = {
      a: [px(last + tick, dp), '1', '1.000'],
      b: [px(last - tick, dp), '2', '2.000'],
      c: [px(last, dp), amt(0.01 + hashInt(String(req.now), 100) / 1000, 8)],
      v: [amt(vol(today), 8), amt(vol(last24), 8)],
      p: [px(vwap(today), dp), px(vwap(last24), dp)],
      t: [today.length * 40, last24.length * 40],
      l: [px(lo(today), dp), px(lo(last24), dp)],
      h: [px(hi(today), dp), px(hi(last24), dp)],
      o: px(markPrice(VENUE_KEY, p.asset, dayOpen, 'spot'), dp),
    };
  }
  return ok(result);
}

function time(req: MockRequest): MockResponse {
  return ok({ unixtime: Math.floor(req.now / 1000), rfc1123: new Date(req.now).toUTCString().replace('GMT', '+0000') });
}

const routes: MockRoute[] = [
  { method: 'GET', path: '/0/public/Assets', endpoint: 'currencies', handler: assets },
  { method: 'GET', path: '/0/public/AssetPairs', endpoint: 'markets', handler: assetPairs },
  { method: 'GET', path: '/0/public/OHLC', endpoint: 'klines', handler: ohlc },
  { method: 'GET', path: '/0/public/Ticker', endpoint: 'ticker', handler: ticker },
  { method: 'GET', path: '/0/public/Time', endpoint: 'time', handler: time },
];

export const venue: VenueMock = { id: 'kraken', hosts: [HOST], routes };
export default venue;
