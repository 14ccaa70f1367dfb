/**
 * Hyperliquid (ccxt id `hyperliquid`) mock: `POST https://api.hyperliquid.xyz/info` with a JSON body
 * whose `type` selects the query, as ccxt 4.5.84 sends it. SIMULATED DATA (see mock/market.ts);
 * numbers as strings, times as JSON numbers (ms), like Hyperliquid.
 *
 * Types served:
 * - spotMeta                 loadMarkets → fetchCurrencies
 * - metaAndAssetCtxs         loadMarkets with types ['swap']; also fetchTicker(s), fetchOpenInterest(s)
 *                            (current OI per coin, in coins)
 * - meta, spotMetaAndAssetCtxs, perpDexs (→ [null], no builder dexes)   ccxt's default loadMarkets
 * - candleSnapshot {req: {coin, interval, startTime, endTime}}   only the most recent 5000 bars of each
 *                            interval exist; the answer is the bars opening in [startTime, endTime]
 * - fundingHistory {coin, startTime, endTime?}   hourly, oldest first, at most 500 rows per answer from
 *                            startTime; `time` carries a few ms of settlement jitter, as on Hyperliquid
 * - exchangeStatus           fetchTime
 * All types share one route, so stats count them under the endpoint name `info`; a fault on `info` hits every
 * type, and a fault can target one type by its name (`fundingHistory`, `metaAndAssetCtxs`, ...; `klines` or
 * `candleSnapshot` for candles).
 */
import { fundingRate, markPrice, openInterestBase } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import {
  barsBetween,
  DAY_MS,
  firstBarAtOrAfter,
  fixedBar,
  HOUR_MS,
  lastBarOpens,
  MINUTE_MS,
  MONDAY_OFFSET_MS,
  type BarSpec,
  hashInt,
} from './kit';

const HOST = 'api.hyperliquid.xyz';
const VENUE_KEY = 'hyperliquid';
export const HYPERLIQUID_MAX_CANDLES = 5000;
export const HYPERLIQUID_MAX_FUNDING_ROWS = 500;
/** Hyperliquid's hourly interest component (0.01% per 8h). */
const INTEREST_1H = 0.0000125;

interface Coin {
  name: string;
  asset: string;
  szDecimals: number;
  maxLeverage: number;
  /** approximate start of the simulated Hyperliquid history */
  listedMs: number;
}

export const HYPERLIQUID_COINS: Coin[] = [
  { name: 'BTC', asset: 'BTC', szDecimals: 5, maxLeverage: 40, listedMs: Date.UTC(2023, 5, 1) },
  { name: 'ETH', asset: 'ETH', szDecimals: 4, maxLeverage: 25, listedMs: Date.UTC(2023, 5, 1) },
  { name: 'SOL', asset: 'SOL', szDecimals: 2, maxLeverage: 20, listedMs: Date.UTC(2023, 5, 1) },
];

export const HYPERLIQUID_INTERVALS: Record<string, BarSpec> = {
  '1m': fixedBar(MINUTE_MS),
  '3m': fixedBar(3 * MINUTE_MS),
  '5m': fixedBar(5 * MINUTE_MS),
  '15m': fixedBar(15 * MINUTE_MS),
  '30m': fixedBar(30 * MINUTE_MS),
  '1h': fixedBar(HOUR_MS),
  '2h': fixedBar(2 * HOUR_MS),
  '4h': fixedBar(4 * HOUR_MS),
  '8h': fixedBar(8 * HOUR_MS),
  '12h': fixedBar(12 * HOUR_MS),
  '1d': fixedBar(DAY_MS),
  '3d': fixedBar(3 * DAY_MS),
  '1w': fixedBar(7 * DAY_MS, MONDAY_OFFSET_MS),
  '1M': { kind: 'month' },
};

/** Hyperliquid prices: at most 5 significant figures (and 6 − szDecimals decimals for perps). */
function hlPx(price: number, szDecimals: number): string {
  const maxDec = Math.max(0, 6 - szDecimals);
  const intDigits = Math.max(1, Math.floor(Math.log10(Math.abs(price))) + 1);
  const dec = Math.min(maxDec, Math.max(0, 5 - intDigits));
  return String(Number(price.toFixed(dec)));
}

function unprocessable(text: string): MockResponse {
  return {
    status: 422,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: `Failed to deserialize the JSON body into the target type: ${text}`,
  };
}

function findCoin(name: unknown): Coin | undefined {
  return HYPERLIQUID_COINS.find((c) => c.name === name);
}

function num(x: unknown): number | undefined {
  if (typeof x === 'number' && Number.isFinite(x)) {
    return Math.trunc(x);
  }
  if (typeof x === 'string' && /^\d+$/.test(x)) {
    return Number(x);
  }
  return undefined;
}

function meta() {
  return {
    universe: HYPERLIQUID_COINS.map((c) => ({
      szDecimals: c.szDecimals,
      name: c.name,
      maxLeverage: c.maxLeverage,
      marginTableId: c.maxLeverage,
    })),
    marginTables: HYPERLIQUID_COINS.map((c) => [
      c.maxLeverage,
      { description: '', marginTiers: [{ lowerBound: '0.0', maxLeverage: c.maxLeverage }] },
    ]),
  };
}

function assetCtx(c: Coin, now: number) {
  const mark = markPrice(VENUE_KEY, c.asset, now, 'perp');
  const oracle = markPrice(VENUE_KEY, c.asset, now, 'spot');
  const day = barsBetween(VENUE_KEY, c.asset, 'perp', fixedBar(HOUR_MS), now - DAY_MS, now, c.listedMs);
  const baseVol = day.reduce((s, b) => s + b.volumeBase, 0);
  const ntl = day.reduce((s, b) => s + b.volumeBase * b.close, 0);
  // current (predicted) hourly rate: trailing estimate up to now, no look-ahead
  const funding = fundingRate(VENUE_KEY, c.asset, now, 1);
  const tick = 10 ** -Math.max(0, 5 - (Math.floor(Math.log10(mark)) + 1));
  return {
    funding: String(funding),
    openInterest: openInterestBase(VENUE_KEY, c.asset, now).toFixed(c.szDecimals),
    prevDayPx: hlPx(markPrice(VENUE_KEY, c.asset, now - DAY_MS, 'perp'), c.szDecimals),
    dayNtlVlm: ntl.toFixed(4),
    premium: (funding - INTEREST_1H).toFixed(8),
    oraclePx: hlPx(oracle, c.szDecimals),
    markPx: hlPx(mark, c.szDecimals),
    midPx: hlPx(mark, c.szDecimals),
    impactPxs: [hlPx(mark - tick, c.szDecimals), hlPx(mark + tick, c.szDecimals)],
    dayBaseVlm: baseVol.toFixed(c.szDecimals),
  };
}

/** Spot side, kept minimal (one simulated UBTC/USDC book) so ccxt's default loadMarkets works. */
const SPOT_TOKENS = [
  {
    name: 'USDC',
    szDecimals: 8,
    weiDecimals: 8,
    index: 0,
    tokenId: '0x6d1e7cde53ba9467b783cb7c530ce054',
    isCanonical: true,
    evmContract: null,
    fullName: null,
    deployerTradingFeeShare: '0.0',
  },
  {
    name: 'UBTC',
    szDecimals: 5,
    weiDecimals: 10,
    index: 1,
    tokenId: '0x8f254b963e8468305d409b33aa137c67',
    isCanonical: false,
    evmContract: null,
    fullName: 'Unit Bitcoin',
    deployerTradingFeeShare: '0.0',
  },
];
const SPOT_UNIVERSE = [{ tokens: [1, 0], name: '@1', index: 0, isCanonical: false }];

function spotMeta() {
  return { universe: SPOT_UNIVERSE, tokens: SPOT_TOKENS };
}

function candleSnapshot(req: MockRequest, body: Record<string, unknown>): MockResponse {
  const r = body.req as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') {
    return unprocessable('missing field `req`');
  }
  const spec = HYPERLIQUID_INTERVALS[String(r.interval)];
  if (!spec) {
    return unprocessable(`unknown variant \`${String(r.interval)}\` for field \`interval\``);
  }
  const start = num(r.startTime);
  if (start === undefined) {
    return unprocessable('missing field `startTime`');
  }
  const end = r.endTime === undefined || r.endTime === null ? req.now : num(r.endTime);
  if (end === undefined) {
    return unprocessable('invalid type for field `endTime`');
  }
  const c = findCoin(r.coin);
  if (!c) {
    return { body: [] };
  }
  // only the latest 5000 bars of this interval exist
  const retained = lastBarOpens(spec, req.now, HYPERLIQUID_MAX_CANDLES, 0);
  const from = Math.max(start, retained[0]);
  const bars = barsBetween(
    VENUE_KEY,
    c.asset,
    'perp',
    spec,
    from,
    Math.min(end, req.now),
    c.listedMs,
    HYPERLIQUID_MAX_CANDLES
  );
  return {
    body: bars.map((b) => ({
      t: b.t,
      T: b.t + b.durMs - 1,
      s: c.name,
      i: String(r.interval),
      o: hlPx(b.open, c.szDecimals),
      c: hlPx(b.close, c.szDecimals),
      h: hlPx(b.high, c.szDecimals),
      l: hlPx(b.low, c.szDecimals),
      v: b.volumeBase.toFixed(c.szDecimals),
      n: 1 + hashInt(`${c.name}:${String(r.interval)}:${b.t}`, 20_000),
    })),
  };
}

function fundingHistory(req: MockRequest, body: Record<string, unknown>): MockResponse {
  const start = num(body.startTime);
  if (start === undefined) {
    return unprocessable('missing field `startTime`');
  }
  const end = body.endTime === undefined || body.endTime === null ? req.now : num(body.endTime);
  if (end === undefined) {
    return unprocessable('invalid type for field `endTime`');
  }
  const c = findCoin(body.coin);
  if (!c) {
    return { body: [] };
  }
  const rows = [];
  const first = firstBarAtOrAfter(fixedBar(HOUR_MS), Math.max(c.listedMs + HOUR_MS, start - 99));
  for (let t = first; t <= Math.min(end, req.now) && rows.length < HYPERLIQUID_MAX_FUNDING_ROWS; t += HOUR_MS) {
    const time = t + hashInt(`hl-funding:${c.name}:${t}`, 100);
    if (time < start || time > end || time > req.now) {
      continue;
    }
    const rate = fundingRate(VENUE_KEY, c.asset, t, 1);
    rows.push({ coin: c.name, fundingRate: String(rate), premium: (rate - INTEREST_1H).toFixed(8), time });
  }
  return { body: rows };
}

function info(req: MockRequest): MockResponse {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return unprocessable('expected a JSON object');
  }
  const b = body as Record<string, unknown>;
  switch (b.type) {
    case 'meta':
      return { body: meta() };
    case 'metaAndAssetCtxs':
      if (b.dex !== undefined && b.dex !== '' && b.dex !== null) {
        return { status: 500, body: null };
      }
      return { body: [meta(), HYPERLIQUID_COINS.map((c) => assetCtx(c, req.now))], rowsPath: [1] };
    case 'spotMeta':
      return { body: spotMeta() };
    case 'spotMetaAndAssetCtxs': {
      const px = markPrice(VENUE_KEY, 'BTC', req.now, 'spot');
      const ctx = {
        prevDayPx: hlPx(px, 5),
        dayNtlVlm: '0.0',
        markPx: hlPx(px, 5),
        midPx: hlPx(px, 5),
        circulatingSupply: '0',
        coin: '@1',
        totalSupply: '0',
        dayBaseVlm: '0.0',
      };
      return { body: [spotMeta(), [ctx]] };
    }
    case 'perpDexs':
      return { body: [null] };
    case 'candleSnapshot':
      return candleSnapshot(req, b);
    case 'fundingHistory':
      return fundingHistory(req, b);
    case 'exchangeStatus':
      return { body: { specialStatuses: null, time: req.now } };
    default:
      return unprocessable(`unknown variant \`${String(b.type)}\``);
  }
}

/** Fault names per query type: `klines` for candles (as on the other venues), else the type itself (`fundingHistory`). */
function infoAliases(body: unknown): string[] {
  const type = body && typeof body === 'object' ? (body as Record<string, unknown>).type : undefined;
  if (typeof type !== 'string') {
    return [];
  }
  return type === 'candleSnapshot' ? ['klines', type] : [type];
}

const routes: MockRoute[] = [
  { method: 'POST', path: '/info', endpoint: 'info', endpointAliases: infoAliases, handler: info },
];

export const venue: VenueMock = { id: 'hyperliquid', hosts: [HOST], routes };
export default venue;
