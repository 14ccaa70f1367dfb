/**
 * Deribit (ccxt id `deribit`) mock: the public JSON-RPC-over-GET endpoints ccxt 4.5.84 calls.
 * SIMULATED DATA (see mock/market.ts) in Deribit's formats (`{jsonrpc, result, usIn, usOut, usDiff, testnet}`,
 * JSON numbers).
 *
 * Host www.deribit.com, prefix /api/v2/public/:
 * - get_currencies, get_instruments (currency, kind filters)   loadMarkets
 * - get_tradingview_chart_data   instrument_name, resolution, start_timestamp/end_timestamp (ms, inclusive);
 *                                at most 5000 ticks, the LATEST ones of the range (those closest to end)
 * - get_funding_rate_history     hourly rows in [start, end], at most 744, the latest ones (Deribit answers
 *                                backwards from end_timestamp); interest_1h = the hour's rate,
 *                                interest_8h = sum of the last 8 hourly rates (ccxt reports interest_8h)
 * - ticker, get_book_summary_by_instrument, get_book_summary_by_currency, get_time
 * Units: BTC-PERPETUAL and ETH-PERPETUAL are inverse, contract = 10 / 1 USD, `open_interest` in USD;
 * SOL_USDC-PERPETUAL is linear (USDC-settled), `open_interest` in SOL.
 */
import { fundingRate, markPrice, openInterestBase } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import { barStart, barsBetween, firstBarAtOrAfter, fixedBar, HOUR_MS, intParam, lastBarOpens, pxNum } from './kit';

const HOST = 'www.deribit.com';
const VENUE_KEY = 'deribit';
export const DERIBIT_MAX_CANDLES = 5000;
export const DERIBIT_MAX_FUNDING_ROWS = 744;
const P = '/api/v2/public/';

/** Deribit resolution → minutes ('1D' = one day). */
const RESOLUTIONS: Record<string, number> = {
  '1': 1,
  '3': 3,
  '5': 5,
  '10': 10,
  '15': 15,
  '30': 30,
  '60': 60,
  '120': 120,
  '180': 180,
  '360': 360,
  '720': 720,
  '1D': 1440,
};

interface Instrument {
  name: string;
  asset: string;
  currency: string;
  inverse: boolean;
  contractSize: number;
  tickSize: number;
  minTrade: number;
  createdMs: number;
  id: number;
}

export const DERIBIT_INSTRUMENTS: Instrument[] = [
  {
    name: 'BTC-PERPETUAL',
    asset: 'BTC',
    currency: 'BTC',
    inverse: true,
    contractSize: 10,
    tickSize: 0.5,
    minTrade: 10,
    createdMs: 1534242287000,
    id: 124972,
  },
  {
    name: 'ETH-PERPETUAL',
    asset: 'ETH',
    currency: 'ETH',
    inverse: true,
    contractSize: 1,
    tickSize: 0.05,
    minTrade: 1,
    createdMs: 1534242287000,
    id: 124973,
  },
  // linear USDC-margined; Deribit groups it under currency USDC (approximate listing date)
  {
    name: 'SOL_USDC-PERPETUAL',
    asset: 'SOL',
    currency: 'USDC',
    inverse: false,
    contractSize: 1,
    tickSize: 0.01,
    minTrade: 0.1,
    createdMs: Date.UTC(2022, 2, 15),
    id: 210760,
  },
];
const BY_NAME = new Map(DERIBIT_INSTRUMENTS.map((i) => [i.name, i]));

function rpc(req: MockRequest, result: unknown, rowsPath?: Array<string | number>): MockResponse {
  const us = req.now * 1000;
  return { body: { jsonrpc: '2.0', result, usIn: us, usOut: us + 150, usDiff: 150, testnet: false }, rowsPath };
}

/** The required start_timestamp / end_timestamp pair (ms), or the error naming the first one missing or malformed. */
function timestampRange(req: MockRequest): { start: number; end: number } | MockResponse {
  const start = intParam(req.query, 'start_timestamp');
  const end = intParam(req.query, 'end_timestamp');
  if (!start.ok || start.value === undefined) {
    return rpcError(req, start.ok ? 'missing' : start.reason, 'start_timestamp');
  }
  if (!end.ok || end.value === undefined) {
    return rpcError(req, end.ok ? 'missing' : end.reason, 'end_timestamp');
  }
  return { start: start.value, end: end.value };
}

function rpcError(req: MockRequest, reason: string, param: string): MockResponse {
  const us = req.now * 1000;
  return {
    status: 400,
    body: {
      jsonrpc: '2.0',
      error: { message: 'Invalid params', data: { reason, param }, code: -32602 },
      usIn: us,
      usOut: us + 50,
      usDiff: 50,
      testnet: false,
    },
  };
}

const CURRENCIES = [
  {
    currency: 'BTC',
    currency_long: 'Bitcoin',
    coin_type: 'BITCOIN',
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 0.0001,
    withdrawal_fee: 0.0001,
    withdrawal_priorities: [],
  },
  {
    currency: 'ETH',
    currency_long: 'Ethereum',
    coin_type: 'ETHER',
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 0.0001,
    withdrawal_fee: 0.0006,
    withdrawal_priorities: [],
  },
  {
    currency: 'USDC',
    currency_long: 'USD Coin',
    coin_type: 'ETHER',
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 1,
    withdrawal_fee: 1,
    withdrawal_priorities: [],
  },
  {
    currency: 'USDT',
    currency_long: 'Tether USD',
    coin_type: 'ETHER',
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 1,
    withdrawal_fee: 1,
    withdrawal_priorities: [],
  },
];

function instrumentJson(i: Instrument): Record<string, unknown> {
  return {
    tick_size: i.tickSize,
    tick_size_steps: [],
    taker_commission: 0.0005,
    settlement_period: 'perpetual',
    settlement_currency: i.inverse ? i.asset : 'USDC',
    rfq: false,
    quote_currency: i.inverse ? 'USD' : 'USDC',
    price_index: i.inverse ? `${i.asset.toLowerCase()}_usd` : `${i.asset.toLowerCase()}_usdc`,
    min_trade_amount: i.minTrade,
    max_liquidation_commission: 0.0075,
    max_leverage: 50,
    maker_commission: 0,
    kind: 'future',
    is_active: true,
    instrument_name: i.name,
    instrument_id: i.id,
    instrument_type: i.inverse ? 'reversed' : 'linear',
    future_type: i.inverse ? 'reversed' : 'linear',
    expiration_timestamp: 32503708800000,
    creation_timestamp: i.createdMs,
    counter_currency: i.inverse ? 'USD' : 'USDC',
    contract_size: i.contractSize,
    block_trade_tick_size: 0.01,
    block_trade_min_trade_amount: 200000,
    block_trade_commission: 0.00025,
    base_currency: i.asset,
  };
}

function instruments(req: MockRequest): MockResponse {
  const currency = req.query.currency ?? 'any';
  const kind = req.query.kind;
  if (currency !== 'any' && !CURRENCIES.some((c) => c.currency === currency)) {
    return rpcError(req, 'wrong format', 'currency');
  }
  if (kind !== undefined && !['future', 'option', 'spot', 'future_combo', 'option_combo'].includes(kind)) {
    return rpcError(req, 'wrong format', 'kind');
  }
  const list = DERIBIT_INSTRUMENTS.filter(
    (i) => (currency === 'any' || i.currency === currency) && (kind === undefined || kind === 'future')
  );
  return rpc(req, list.map(instrumentJson), ['result']);
}

function instrumentOf(req: MockRequest): Instrument | MockResponse {
  const name = req.query.instrument_name;
  const i = name ? BY_NAME.get(name) : undefined;
  if (!i) {
    return rpcError(req, name ? 'instrument not found' : 'missing', 'instrument_name');
  }
  return i;
}

function chart(req: MockRequest): MockResponse {
  const i = instrumentOf(req);
  if (!('name' in i)) {
    return i;
  }
  const minutes = RESOLUTIONS[req.query.resolution ?? ''];
  if (minutes === undefined) {
    return rpcError(req, `resolution must be one of ${Object.keys(RESOLUTIONS).join(', ')}`, 'resolution');
  }
  const range = timestampRange(req);
  if ('body' in range) {
    return range;
  }
  const { start, end } = range;
  const spec = fixedBar(minutes * 60_000);
  const endMs = Math.min(end, req.now);
  // the latest 5000 ticks of [start, end]
  const opens = lastBarOpens(spec, endMs, DERIBIT_MAX_CANDLES, Math.max(start, 0));
  const bars = opens.length
    ? barsBetween(VENUE_KEY, i.asset, 'perp', spec, Math.max(opens[0], start), opens[opens.length - 1], i.createdMs)
    : [];
  const dp = Math.max(0, Math.round(-Math.log10(i.tickSize)));
  const result = {
    volume: bars.map((b) => Number(b.volumeBase.toFixed(8))),
    ticks: bars.map((b) => b.t),
    status: bars.length ? 'ok' : 'no_data',
    open: bars.map((b) => pxNum(b.open, dp)),
    low: bars.map((b) => pxNum(b.low, dp)),
    high: bars.map((b) => pxNum(b.high, dp)),
    // traded notional: USD for the inverse contracts, USDC for the linear one
    cost: bars.map((b) =>
      i.inverse
        ? Math.round((b.volumeBase * b.close) / i.contractSize) * i.contractSize
        : Number((b.volumeBase * b.close).toFixed(2))
    ),
    close: bars.map((b) => pxNum(b.close, dp)),
  };
  // the columns form the rows together: a row fault must edit all of them alike
  const columns = ['ticks', 'open', 'high', 'low', 'close', 'volume', 'cost'];
  return { ...rpc(req, result), parallelRows: columns.map((c) => ['result', c]) };
}

function hourlyRate(i: Instrument, t: number): number {
  return fundingRate(VENUE_KEY, i.asset, t, 1);
}

function fundingHistory(req: MockRequest): MockResponse {
  const i = instrumentOf(req);
  if (!('name' in i)) {
    return i;
  }
  const range = timestampRange(req);
  if ('body' in range) {
    return range;
  }
  const { start, end } = range;
  const spec = fixedBar(HOUR_MS);
  const endMs = Math.min(end, req.now);
  const first = firstBarAtOrAfter(spec, Math.max(start, i.createdMs + HOUR_MS));
  const times: number[] = [];
  for (let t = barStart(spec, endMs); t >= first && times.length < DERIBIT_MAX_FUNDING_ROWS; t -= HOUR_MS) {
    times.push(t);
  }
  times.reverse();
  const rows = times.map((t) => {
    let sum8 = 0;
    for (let k = 0; k < 8; k++) {
      sum8 += hourlyRate(i, t - k * HOUR_MS);
    }
    return {
      timestamp: t,
      index_price: pxNum(markPrice(VENUE_KEY, i.asset, t, 'spot'), 2),
      prev_index_price: pxNum(markPrice(VENUE_KEY, i.asset, t - HOUR_MS, 'spot'), 2),
      interest_8h: Number(sum8.toPrecision(12)),
      interest_1h: hourlyRate(i, t),
    };
  });
  return rpc(req, rows, ['result']);
}

/** Open interest as Deribit reports it: USD for inverse (whole contracts × size), coins for linear. */
function openInterestReported(i: Instrument, t: number): number {
  const base = openInterestBase(VENUE_KEY, i.asset, t);
  if (i.inverse) {
    const usd = base * markPrice(VENUE_KEY, i.asset, t, 'perp');
    return Math.round(usd / i.contractSize) * i.contractSize;
  }
  return Number(base.toFixed(1));
}

function dayStats(i: Instrument, now: number) {
  const bars = barsBetween(VENUE_KEY, i.asset, 'perp', fixedBar(HOUR_MS), now - 86_400_000, now, i.createdMs);
  const mark = markPrice(VENUE_KEY, i.asset, now, 'perp');
  const volume = bars.reduce((s, b) => s + b.volumeBase, 0);
  return {
    mark,
    high: Math.max(mark, ...bars.map((b) => b.high)),
    low: Math.min(mark, ...bars.map((b) => b.low)),
    volume,
    volumeUsd: bars.reduce((s, b) => s + b.volumeBase * b.close, 0),
    open24: markPrice(VENUE_KEY, i.asset, now - 86_400_000, 'perp'),
  };
}

function ticker(req: MockRequest): MockResponse {
  const i = instrumentOf(req);
  if (!('name' in i)) {
    return i;
  }
  const s = dayStats(i, req.now);
  const dp = Math.max(0, Math.round(-Math.log10(i.tickSize)));
  const index = markPrice(VENUE_KEY, i.asset, req.now, 'spot');
  const current = hourlyRate(i, req.now);
  let funding8h = 0;
  for (let k = 0; k < 8; k++) {
    funding8h += hourlyRate(i, req.now - k * HOUR_MS);
  }
  return rpc(req, {
    timestamp: req.now,
    stats: {
      volume_usd: Math.round(s.volumeUsd),
      volume: Number(s.volume.toFixed(8)),
      price_change: Number(((s.mark / s.open24 - 1) * 100).toFixed(4)),
      low: pxNum(s.low, dp),
      high: pxNum(s.high, dp),
    },
    state: 'open',
    settlement_price: pxNum(
      // the last daily settlement (08:00 UTC) at or before now
      markPrice(VENUE_KEY, i.asset, barStart(fixedBar(86_400_000, 8 * HOUR_MS), req.now), 'perp'),
      2
    ),
    open_interest: openInterestReported(i, req.now),
    min_price: pxNum(s.mark * 0.985, dp),
    max_price: pxNum(s.mark * 1.015, dp),
    mark_price: Number(s.mark.toFixed(2)),
    last_price: pxNum(s.mark, dp),
    interest_value: 0,
    instrument_name: i.name,
    index_price: Number(index.toFixed(2)),
    funding_8h: Number(funding8h.toPrecision(8)),
    estimated_delivery_price: Number(index.toFixed(2)),
    current_funding: current,
    best_bid_price: pxNum(s.mark - i.tickSize, dp),
    best_bid_amount: 10 * i.contractSize,
    best_ask_price: pxNum(s.mark + i.tickSize, dp),
    best_ask_amount: 10 * i.contractSize,
  });
}

function summaryJson(i: Instrument, now: number): Record<string, unknown> {
  const s = dayStats(i, now);
  const dp = Math.max(0, Math.round(-Math.log10(i.tickSize)));
  let funding8h = 0;
  for (let k = 0; k < 8; k++) {
    funding8h += hourlyRate(i, now - k * HOUR_MS);
  }
  return {
    high: pxNum(s.high, dp),
    low: pxNum(s.low, dp),
    last: pxNum(s.mark, dp),
    instrument_name: i.name,
    bid_price: pxNum(s.mark - i.tickSize, dp),
    ask_price: pxNum(s.mark + i.tickSize, dp),
    open_interest: openInterestReported(i, now),
    mark_price: Number(s.mark.toFixed(2)),
    creation_timestamp: now,
    price_change: Number(((s.mark / s.open24 - 1) * 100).toFixed(4)),
    volume: Number(s.volume.toFixed(8)),
    estimated_delivery_price: Number(markPrice(VENUE_KEY, i.asset, now, 'spot').toFixed(2)),
    base_currency: i.asset,
    quote_currency: i.inverse ? 'USD' : 'USDC',
    volume_usd: Math.round(s.volumeUsd),
    volume_notional: Math.round(s.volumeUsd),
    current_funding: hourlyRate(i, now),
    funding_8h: Number(funding8h.toPrecision(8)),
    mid_price: pxNum(s.mark, dp),
  };
}

function summaryByInstrument(req: MockRequest): MockResponse {
  const i = instrumentOf(req);
  if (!('name' in i)) {
    return i;
  }
  return rpc(req, [summaryJson(i, req.now)]);
}

function summaryByCurrency(req: MockRequest): MockResponse {
  const currency = req.query.currency;
  if (!currency || !CURRENCIES.some((c) => c.currency === currency)) {
    return rpcError(req, 'wrong format', 'currency');
  }
  const kind = req.query.kind;
  const list = DERIBIT_INSTRUMENTS.filter((i) => i.currency === currency && (kind === undefined || kind === 'future'));
  return rpc(
    req,
    list.map((i) => summaryJson(i, req.now)),
    ['result']
  );
}

const routes: MockRoute[] = [
  { method: 'GET', path: P + 'get_time', endpoint: 'time', handler: (req) => rpc(req, req.now) },
  {
    method: 'GET',
    path: P + 'get_currencies',
    endpoint: 'currencies',
    handler: (req) => rpc(req, CURRENCIES, ['result']),
  },
  { method: 'GET', path: P + 'get_instruments', endpoint: 'markets', handler: instruments },
  { method: 'GET', path: P + 'get_tradingview_chart_data', endpoint: 'klines', handler: chart },
  { method: 'GET', path: P + 'get_funding_rate_history', endpoint: 'fundingHistory', handler: fundingHistory },
  { method: 'GET', path: P + 'ticker', endpoint: 'ticker', handler: ticker },
  { method: 'GET', path: P + 'get_book_summary_by_instrument', endpoint: 'openInterest', handler: summaryByInstrument },
  { method: 'GET', path: P + 'get_book_summary_by_currency', endpoint: 'ticker', handler: summaryByCurrency },
];

export const venue: VenueMock = { id: 'deribit', hosts: [HOST], routes };
export default venue;
