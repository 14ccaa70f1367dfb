/**
 * Coinbase Advanced Trade (ccxt id `coinbase`) mock: public endpoints that ccxt 4.5.84 calls.
 * SIMULATED DATA (see mock/market.ts) in Coinbase's JSON formats (numbers as strings).
 *
 * Host api.coinbase.com:
 * - v2 (used by loadMarkets → fetchCurrencies): /v2/currencies, /v2/currencies/crypto, /v2/exchange-rates, /v2/time
 * - v3 public market data: /api/v3/brokerage/market/products (+ /{product_id}, /{product_id}/candles,
 *   /{product_id}/ticker), /api/v3/brokerage/time
 * Candles: start/end in epoch seconds, both inclusive here, newest first, at most 350 buckets
 * per request (a wider start..end range is rejected like Coinbase does), `limit` ≤ 350.
 */
import { markPrice } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import { amt, barsBetween, fixedBar, hashInt, intParam, iso, px } from './kit';

const HOST = 'api.coinbase.com';
const VENUE_KEY = 'coinbase';
export const COINBASE_MAX_CANDLES = 350;

interface Product {
  id: string;
  asset: string;
  base: string;
  quote: string;
  baseName: string;
  quoteName: string;
  /** approximate listing time (epoch ms); no candles before it */
  listedMs?: number;
  aliasTo: string[];
  alias: string;
}

const NAMES: Record<string, string> = {
  BTC: 'Bitcoin',
  ETH: 'Ethereum',
  SOL: 'Solana',
  USDT: 'Tether',
  USD: 'US Dollar',
  USDC: 'USDC',
};

function product(asset: string, quote: string, opts: Partial<Product> = {}): Product {
  return {
    id: `${asset}-${quote}`,
    asset,
    base: asset,
    quote,
    baseName: NAMES[asset] ?? asset,
    quoteName: NAMES[quote] ?? quote,
    aliasTo: [],
    alias: '',
    ...opts,
  };
}

/** Spot products served (SIMULATED). X-USDC books are aliases of X-USD on Coinbase and share its candles here. */
export const COINBASE_PRODUCTS: Product[] = [
  product('BTC', 'USD', { aliasTo: ['BTC-USDC'] }),
  product('ETH', 'USD', { aliasTo: ['ETH-USDC'] }),
  product('SOL', 'USD', { aliasTo: ['SOL-USDC'] }),
  // USDT-USD: the stablecoin reference; Coinbase listed USDT in 2021 (approximate date)
  product('USDT', 'USD', { listedMs: Date.UTC(2021, 4, 4) }),
  product('BTC', 'USDC', { alias: 'BTC-USD' }),
  product('ETH', 'USDC', { alias: 'ETH-USD' }),
  product('SOL', 'USDC', { alias: 'SOL-USD' }),
];

const BY_ID = new Map(COINBASE_PRODUCTS.map((p) => [p.id, p]));

/** ccxt timeframe → Coinbase granularity and its seconds. */
export const COINBASE_GRANULARITY: Record<string, number> = {
  ONE_MINUTE: 60,
  FIVE_MINUTE: 300,
  FIFTEEN_MINUTE: 900,
  THIRTY_MINUTE: 1800,
  ONE_HOUR: 3600,
  TWO_HOUR: 7200,
  SIX_HOUR: 21600,
  ONE_DAY: 86400,
};

function invalid(details: string): MockResponse {
  return { status: 400, body: { error: 'INVALID_ARGUMENT', error_details: details, message: details } };
}

function notFound(details: string): MockResponse {
  return { status: 404, body: { error: 'NOT_FOUND', error_details: details, message: details } };
}

function productJson(p: Product, now: number): Record<string, unknown> {
  const price = markPrice(VENUE_KEY, p.asset, now, 'spot');
  const usdt = p.asset === 'USDT';
  return {
    product_id: p.id,
    price: px(price, usdt ? 5 : 2),
    price_percentage_change_24h: ((price / markPrice(VENUE_KEY, p.asset, now - 86_400_000, 'spot') - 1) * 100).toFixed(
      8
    ),
    volume_24h: amt(1000 + hashInt(p.id + Math.floor(now / 3_600_000), 50_000), 8),
    volume_percentage_change_24h: '0',
    base_increment: usdt ? '0.01' : '0.00000001',
    quote_increment: usdt ? '0.00001' : '0.01',
    quote_min_size: '1',
    quote_max_size: '150000000',
    base_min_size: usdt ? '1' : '0.00000001',
    base_max_size: usdt ? '500000000' : '3400',
    base_name: p.baseName,
    quote_name: p.quoteName,
    watched: false,
    is_disabled: false,
    new: false,
    status: 'online',
    cancel_only: false,
    limit_only: false,
    post_only: false,
    trading_disabled: false,
    auction_mode: false,
    product_type: 'SPOT',
    quote_currency_id: p.quote,
    base_currency_id: p.base,
    fcm_trading_session_details: null,
    mid_market_price: '',
    alias: p.alias,
    alias_to: p.aliasTo,
    base_display_symbol: p.base,
    quote_display_symbol: p.quote === 'USDC' ? 'USD' : p.quote,
    view_only: false,
    price_increment: usdt ? '0.00001' : '0.01',
    display_name: p.id,
    product_venue: 'CBE',
    approximate_quote_24h_volume: '0',
    // marker for humans reading raw payloads
    simulated: true,
  };
}

function products(req: MockRequest): MockResponse {
  const type = (req.query.product_type ?? '').toUpperCase();
  if (type !== '' && type !== 'SPOT') {
    // FUTURE / perpetual listings are out of scope for BTC Flow: answer an empty list, as for an account without access
    return { body: { products: [], num_products: 0 } };
  }
  const list = COINBASE_PRODUCTS.map((p) => productJson(p, req.now));
  return { body: { products: list, num_products: list.length } };
}

function oneProduct(req: MockRequest, params: Record<string, string>): MockResponse {
  const p = BY_ID.get(params.product_id);
  if (!p) {
    return notFound(`ProductID ${params.product_id} could not be found`);
  }
  return { body: productJson(p, req.now) };
}

function candles(req: MockRequest, params: Record<string, string>): MockResponse {
  const p = BY_ID.get(params.product_id);
  if (!p) {
    return notFound(`ProductID ${params.product_id} could not be found`);
  }
  const gran = req.query.granularity;
  const g = gran === undefined ? undefined : COINBASE_GRANULARITY[gran];
  if (g === undefined) {
    return invalid(`granularity must be one of ${Object.keys(COINBASE_GRANULARITY).join(', ')}, got "${gran ?? ''}"`);
  }
  const start = intParam(req.query, 'start');
  const end = intParam(req.query, 'end');
  const limit = intParam(req.query, 'limit');
  for (const r of [start, end, limit]) {
    if (!r.ok) {
      return invalid(r.reason);
    }
  }
  if (!start.ok || !end.ok || !limit.ok || start.value === undefined || end.value === undefined) {
    return invalid('start and end are required (epoch seconds)');
  }
  if (end.value < start.value) {
    return invalid('start must be before end');
  }
  const lim = limit.value ?? COINBASE_MAX_CANDLES;
  if (lim < 1 || lim > COINBASE_MAX_CANDLES) {
    return invalid(`limit must be between 1 and ${COINBASE_MAX_CANDLES}`);
  }
  if ((end.value - start.value) / g > COINBASE_MAX_CANDLES) {
    return invalid(`number of candles requested should be less than ${COINBASE_MAX_CANDLES + 1}`);
  }
  const bars = barsBetween(
    VENUE_KEY,
    p.asset,
    'spot',
    fixedBar(g * 1000),
    start.value * 1000,
    end.value * 1000,
    p.listedMs
  );
  const usdt = p.asset === 'USDT';
  const rows = bars
    .reverse()
    .slice(0, lim)
    .map((b) => ({
      start: String(b.t / 1000),
      low: px(b.low, usdt ? 5 : 2),
      high: px(b.high, usdt ? 5 : 2),
      open: px(b.open, usdt ? 5 : 2),
      close: px(b.close, usdt ? 5 : 2),
      volume: amt(b.volumeBase, 8),
    }));
  return { body: { candles: rows }, rowsPath: ['candles'] };
}

function ticker(req: MockRequest, params: Record<string, string>): MockResponse {
  const p = BY_ID.get(params.product_id);
  if (!p) {
    return notFound(`ProductID ${params.product_id} could not be found`);
  }
  const limit = intParam(req.query, 'limit');
  if (!limit.ok) {
    return invalid(limit.reason);
  }
  const n = Math.max(1, Math.min(limit.value ?? 1, 100));
  const usdt = p.asset === 'USDT';
  const dp = usdt ? 5 : 2;
  const tick = usdt ? 0.00001 : 0.01;
  const trades = [];
  for (let i = 0; i < n; i++) {
    const t = req.now - i * 1500;
    const price = markPrice(VENUE_KEY, p.asset, t, 'spot');
    trades.push({
      trade_id: String(600_000_000 + Math.floor(t / 1500)),
      product_id: p.id,
      price: px(price, dp),
      size: amt((1 + hashInt(`${p.id}:${t}`, 5000)) / 10_000, 8),
      time: iso(t),
      side: hashInt(`side:${t}`, 2) === 0 ? 'BUY' : 'SELL',
      bid: '',
      ask: '',
      exchange: 'CBE',
    });
  }
  const last = markPrice(VENUE_KEY, p.asset, req.now, 'spot');
  return {
    body: { trades, best_bid: px(last - tick, dp), best_ask: px(last + tick, dp) },
    rowsPath: ['trades'],
  };
}

const FIATS = [
  { id: 'USD', name: 'US Dollar', min_size: '0.01' },
  { id: 'EUR', name: 'Euro', min_size: '0.01' },
  { id: 'GBP', name: 'British Pound', min_size: '0.01' },
];

const CRYPTOS = [
  {
    asset_id: '5b71fc48-3dd3-540c-809b-f8c94d0e68b5',
    code: 'BTC',
    name: 'Bitcoin',
    color: '#F7931A',
    sort_index: 100,
    exponent: 8,
  },
  {
    asset_id: 'd85dce9b-5b73-5c3c-8978-522ce1d1c1b4',
    code: 'ETH',
    name: 'Ethereum',
    color: '#627EEA',
    sort_index: 102,
    exponent: 8,
  },
  {
    asset_id: '4f039497-3af8-5bb3-951c-6df9afa9be1c',
    code: 'SOL',
    name: 'Solana',
    color: '#9945FF',
    sort_index: 124,
    exponent: 9,
  },
  {
    asset_id: 'b26327c1-9a94-5b64-9e4f-e3c7b48e0a03',
    code: 'USDT',
    name: 'Tether',
    color: '#50AF95',
    sort_index: 130,
    exponent: 6,
  },
  {
    asset_id: '2b92315d-eab7-5bef-84fa-089a131333f5',
    code: 'USDC',
    name: 'USDC',
    color: '#2775CA',
    sort_index: 101,
    exponent: 6,
  },
].map((c) => ({ ...c, type: 'crypto', address_regex: '^.+$' }));

function exchangeRates(req: MockRequest): MockResponse {
  const rates: Record<string, string> = { USD: '1', EUR: '0.92', GBP: '0.79', USDC: '1' };
  for (const a of ['BTC', 'ETH', 'SOL', 'USDT']) {
    rates[a] = (1 / markPrice(VENUE_KEY, a, req.now, 'spot')).toPrecision(10);
  }
  return { body: { data: { currency: req.query.currency ?? 'USD', rates } } };
}

const routes: MockRoute[] = [
  { method: 'GET', path: '/v2/currencies', endpoint: 'currencies', handler: () => ({ body: { data: FIATS } }) },
  {
    method: 'GET',
    path: '/v2/currencies/crypto',
    endpoint: 'currencies',
    handler: () => ({ body: { data: CRYPTOS } }),
  },
  { method: 'GET', path: '/v2/exchange-rates', endpoint: 'currencies', handler: exchangeRates },
  {
    method: 'GET',
    path: '/v2/time',
    endpoint: 'time',
    handler: (req) => ({
      body: { data: { iso: iso(req.now).replace(/\.\d{3}Z$/, 'Z'), epoch: Math.floor(req.now / 1000) } },
    }),
  },
  {
    method: 'GET',
    path: '/api/v3/brokerage/time',
    endpoint: 'time',
    handler: (req) => ({
      body: { iso: iso(req.now), epochSeconds: String(Math.floor(req.now / 1000)), epochMillis: String(req.now) },
    }),
  },
  { method: 'GET', path: '/api/v3/brokerage/market/products', endpoint: 'markets', handler: products },
  { method: 'GET', path: '/api/v3/brokerage/market/products/:product_id', endpoint: 'markets', handler: oneProduct },
  {
    method: 'GET',
    path: '/api/v3/brokerage/market/products/:product_id/candles',
    endpoint: 'klines',
    handler: candles,
  },
  { method: 'GET', path: '/api/v3/brokerage/market/products/:product_id/ticker', endpoint: 'ticker', handler: ticker },
];

export const venue: VenueMock = { id: 'coinbase', hosts: [HOST], routes };
export default venue;
