/**
 * The venue registry: one entry per venue BTC Flow reads, with everything the fetch layer needs to know about it.
 * Documented for humans in docs/venues.md (keep both in step).
 *
 * A venue is one instrument family on one ccxt exchange class. Two venues may share a ccxt class (bybit and
 * bybit-inverse): they then share one ccxt instance, one throttle and one market load.
 */
import { BtcFlowInputError } from '../core/errors';
import type { SeriesKind } from '../core/types';

/** ccxt exchange classes the registry uses (each is loaded lazily by ccxtLoader.ts). */
export const CCXT_IDS = [
  'coinbase',
  'bitstamp',
  'kraken',
  'binance',
  'binanceusdm',
  'bybit',
  'okx',
  'krakenfutures',
  'deribit',
  'bitget',
  'hyperliquid',
] as const;
export type CcxtId = (typeof CCXT_IDS)[number];

/** Timeframes the fetch layer asks venues for; coarser engine timeframes are resampled by the engine. */
export type FetchTimeframe = '1h' | '4h' | '1d';

/** How a venue's open-interest history is read. */
export type OiMethod =
  /** ccxt fetchOpenInterestHistory (binanceusdm /futures/data/openInterestHist, bybit /v5/market/open-interest). */
  | 'unifiedHistory'
  /** OKX per-instrument history through the implicit publicGetRubikStatContractsOpenInterestHistory. */
  | 'okxRubik'
  /** Kraken Futures analytics endpoint charts/v1/analytics/{symbol}/open-interest (not in ccxt's api map). */
  | 'krakenAnalytics'
  /** Only the current value (ccxt fetchOpenInterest): one point in the open bar. */
  | 'current';

/** How a venue's funding history is paged. */
export type FundingMethod =
  /** ccxt fetchFundingRateHistory with since/limit/until windows, oldest first. */
  | 'window'
  /** OKX: newest first; page backwards with `after`. */
  | 'okxBackward'
  /** Bitget: newest first; page with pageNo / pageSize, no time filter. */
  | 'bitgetPages'
  /** Kraken Futures: the whole history in one call. */
  | 'allAtOnce';

export interface HostRoute {
  /** API host as in ccxt's urls.api, e.g. `fapi.binance.com`. */
  host: string;
  /** Stable Grafana route path for this host, e.g. `binanceusdm-fapi`. */
  route: string;
}

export interface OhlcvSpec {
  /** Most candles one request returns. */
  limit: number;
  /** The venue keeps only its latest N candles of each interval (hyperliquid 5000); older windows are not asked for. */
  retentionBars?: number;
  /** Lower per-timeframe caps (bitget: a request may span at most 90 days, so 90 daily candles). */
  limitByTf?: Partial<Record<FetchTimeframe, number>>;
  /** Fetch timeframes the venue serves natively (others are fetched finer). */
  timeframes: FetchTimeframe[];
  /**
   * `window`: ask for [since, since + limit bars) and step by windows (every venue but kraken).
   * `latest`: the venue only serves its latest `limit` candles whatever `since` says (kraken spot: 720).
   */
  mode: 'window' | 'latest';
}

export interface OpenInterestSpec {
  method: OiMethod;
  /** Rows per request (history methods). */
  limit: number;
  /** Venue period name per fetch timeframe (history methods). */
  periods: Partial<Record<FetchTimeframe, string>>;
  /** How far back the venue keeps OI history, in days (undefined: back to listing). */
  retentionDays?: number;
  /** Retention counted in rows (OKX keeps the latest 1,440 rows per period). */
  retentionRows?: number;
  /**
   * Unit of the BTC series: base coins (linear contracts) or USD (inverse contracts). At fetch time the unit follows the
   * market actually read (an inverse market gives USD, a linear one base coins).
   */
  unit: 'base' | 'usd';
  /** Where the value comes from, in words (docs). */
  source: string;
}

export interface FundingSpec {
  method: FundingMethod;
  /** Rows per request (0: one call returns everything). */
  limit: number;
  /** Settlement interval in hours for BTC (checked against the point spacing at fetch time). */
  intervalHours: number;
  /** History kept by the venue, in days (undefined: back to listing). */
  retentionDays?: number;
  /** What the rate means, in words (docs). */
  source: string;
}

export interface VenueSpec {
  id: string;
  ccxtId: CcxtId;
  role: 'spot' | 'perp';
  /** ccxt market type and, for swaps, contract side. */
  marketType: 'spot' | 'swap';
  contract?: 'linear' | 'inverse';
  /** Contract side to use for an asset the venue lists only on the other side (deribit: SOL is a linear USDC perp). */
  contractFallback?: 'linear' | 'inverse';
  /**
   * Value for ccxt `options.fetchMarkets.types` (narrows loadMarkets to what we read). Only the classes that read
   * that option have it (binance, binanceusdm, bybit, okx, bitget, hyperliquid); the others load one fixed set.
   */
  fetchMarketsTypes?: string[];
  /** Quote currencies in order of preference when resolving an asset's market. */
  quotes: string[];
  /**
   * The venue's own name for an asset where it differs from ccxt's unified code (ccxt maps them back):
   * BTC is XBT on kraken and krakenfutures.
   */
  assetOverrides: Record<string, string>;
  /** The default market for BTC: ccxt unified symbol and the venue's native instrument id. */
  btc: { symbol: string; nativeId: string };
  /** Contract size for BTC and its unit, for docs (the fetch layer reads ccxt market.contractSize). */
  contractSize?: string;
  ohlcv: OhlcvSpec;
  openInterest?: OpenInterestSpec;
  funding?: FundingSpec;
  /** Stablecoin reference pair this venue can serve (kind `fx`). */
  fx?: { symbol: string; pair: string };
  hosts: HostRoute[];
  /**
   * Venue-wide first data, ISO date (UTC): the venue serves nothing of any kind before it (its launch), whatever the
   * asset. Requests never start before it (see firstDataMs), so a long warm-up cannot page through empty centuries.
   */
  since: string;
  /**
   * First data of one kind where it is later than `since` (ISO date, UTC), e.g. Bybit's open-interest history starts in
   * August 2020. Windows before it are not asked for; windows after it must hold rows (see fetchers.windowed).
   */
  firstData?: Partial<Record<SeriesKind, string>>;
  /**
   * What a market id of this venue looks like. Ids come from the venue's (or a mirror's) answer and may go into URL
   * paths: a market whose id does not match is refused (see context.resolveMarket).
   */
  idPattern: RegExp;
  /** Plain-language quirks (docs). */
  notes: string[];
}

/** Fills what follows from the role: a spot venue reads spot markets; no asset overrides unless given. */
function spot(
  v: Omit<VenueSpec, 'role' | 'marketType' | 'assetOverrides'> & Partial<Pick<VenueSpec, 'assetOverrides'>>
): VenueSpec {
  return { assetOverrides: {}, ...v, role: 'spot', marketType: 'spot' };
}

/** Fills what follows from the role: a perp venue reads swap markets of one contract side; no asset overrides unless given. */
function perp(
  v: Omit<VenueSpec, 'role' | 'marketType' | 'assetOverrides'> &
    Partial<Pick<VenueSpec, 'assetOverrides'>> & { contract: 'linear' | 'inverse' }
): VenueSpec {
  return { assetOverrides: {}, ...v, role: 'perp', marketType: 'swap' };
}

/** Candles of at most `limit` per request, paged by windows, served natively at 1h, 4h and 1d unless `more` says otherwise. */
function candles(limit: number, more: Partial<Omit<OhlcvSpec, 'limit'>> = {}): OhlcvSpec {
  return { limit, timeframes: ['1h', '4h', '1d'], mode: 'window', ...more };
}

/** Only the current open interest is public: one point in the open bar, no history to page. */
function currentOi(unit: OpenInterestSpec['unit'], source: string): OpenInterestSpec {
  return { method: 'current', limit: 1, periods: {}, unit, source };
}

export const VENUES: readonly VenueSpec[] = [
  spot({
    id: 'coinbase',
    since: '2015-01-01',
    idPattern: /^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/,
    ccxtId: 'coinbase',
    quotes: ['USD'],
    btc: { symbol: 'BTC/USD', nativeId: 'BTC-USD' },
    ohlcv: candles(300, { timeframes: ['1h', '1d'] }),
    fx: { symbol: 'USDT/USD', pair: 'USDT/USD' },
    hosts: [{ host: 'api.coinbase.com', route: 'coinbase-api' }],
    notes: ['No 4h candles: 4h bars are built from 1h candles.', 'Empty windows before listing are skipped.'],
  }),
  spot({
    id: 'bitstamp',
    since: '2011-08-01',
    idPattern: /^[a-z0-9]{2,24}$/,
    ccxtId: 'bitstamp',
    quotes: ['USD'],
    btc: { symbol: 'BTC/USD', nativeId: 'btcusd' },
    ohlcv: candles(1000),
    hosts: [{ host: 'www.bitstamp.net', route: 'bitstamp-www' }],
    notes: [],
  }),
  spot({
    id: 'kraken',
    since: '2013-09-01',
    idPattern: /^[A-Z0-9.]{2,24}$/,
    ccxtId: 'kraken',
    quotes: ['USD'],
    assetOverrides: { BTC: 'XBT' },
    btc: { symbol: 'BTC/USD', nativeId: 'XXBTZUSD' },
    ohlcv: candles(720, { mode: 'latest' }),
    fx: { symbol: 'USDT/USD', pair: 'USDT/USD' },
    hosts: [{ host: 'api.kraken.com', route: 'kraken-api' }],
    notes: [
      'OHLC serves only the latest 720 candles of each interval, whatever `since` asks (720 days of daily bars).',
    ],
  }),
  spot({
    id: 'binance',
    since: '2017-07-01',
    idPattern: /^[A-Z0-9]{2,30}$/,
    ccxtId: 'binance',
    fetchMarketsTypes: ['spot'],
    quotes: ['USDT', 'USDC'],
    btc: { symbol: 'BTC/USDT', nativeId: 'BTCUSDT' },
    ohlcv: candles(1000),
    hosts: [{ host: 'api.binance.com', route: 'binance-api' }],
    notes: ['Quoted in USDT: converted to USD by the engine with the fx series.'],
  }),
  perp({
    id: 'binanceusdm',
    since: '2019-09-01',
    idPattern: /^[A-Z0-9_]{2,40}$/,
    ccxtId: 'binanceusdm',
    contract: 'linear',
    fetchMarketsTypes: ['linear'],
    quotes: ['USDT', 'USDC'],
    btc: { symbol: 'BTC/USDT:USDT', nativeId: 'BTCUSDT' },
    contractSize: '1 BTC',
    ohlcv: candles(1000),
    openInterest: {
      method: 'unifiedHistory',
      limit: 500,
      periods: { '1h': '1h', '4h': '4h', '1d': '1d' },
      retentionDays: 30,
      unit: 'base',
      source: '/futures/data/openInterestHist sumOpenInterest (BTC)',
    },
    funding: { method: 'window', limit: 1000, intervalHours: 8, source: '/fapi/v1/fundingRate fundingRate per 8h' },
    hosts: [{ host: 'fapi.binance.com', route: 'binanceusdm-fapi' }],
    notes: ['OI history reaches back only about 30 days; older bars have no Binance OI.'],
  }),
  perp({
    id: 'bybit',
    since: '2018-11-01',
    firstData: { openInterest: '2020-08-10' },
    idPattern: /^[A-Z0-9_-]{2,40}$/,
    ccxtId: 'bybit',
    contract: 'linear',
    fetchMarketsTypes: ['linear', 'inverse'],
    quotes: ['USDT', 'USDC'],
    btc: { symbol: 'BTC/USDT:USDT', nativeId: 'BTCUSDT' },
    contractSize: '1 BTC',
    ohlcv: candles(1000),
    openInterest: {
      method: 'unifiedHistory',
      limit: 200,
      periods: { '1h': '1h', '4h': '4h', '1d': '1d' },
      unit: 'base',
      source: '/v5/market/open-interest openInterest (BTC for linear)',
    },
    funding: {
      method: 'window',
      limit: 200,
      intervalHours: 8,
      source: '/v5/market/funding/history fundingRate per interval',
    },
    hosts: [{ host: 'api.bybit.com', route: 'bybit-api' }],
    notes: ['OI history reaches back to listing (2020 for BTCUSDT).'],
  }),
  perp({
    id: 'bybit-inverse',
    since: '2018-11-01',
    firstData: { openInterest: '2020-08-10' },
    idPattern: /^[A-Z0-9_-]{2,40}$/,
    ccxtId: 'bybit',
    contract: 'inverse',
    fetchMarketsTypes: ['linear', 'inverse'],
    quotes: ['USD'],
    btc: { symbol: 'BTC/USD:BTC', nativeId: 'BTCUSD' },
    contractSize: '1 USD',
    ohlcv: candles(1000),
    openInterest: {
      method: 'unifiedHistory',
      limit: 200,
      periods: { '1h': '1h', '4h': '4h', '1d': '1d' },
      unit: 'usd',
      source: '/v5/market/open-interest openInterest (USD contracts for inverse)',
    },
    funding: {
      method: 'window',
      limit: 200,
      intervalHours: 8,
      source: '/v5/market/funding/history fundingRate per interval',
    },
    hosts: [{ host: 'api.bybit.com', route: 'bybit-api' }],
    notes: ['Inverse contract (1 USD each, settled in BTC): OI is already in USD.'],
  }),
  perp({
    id: 'okx',
    since: '2018-01-01',
    idPattern: /^[A-Z0-9]{1,20}(-[A-Z0-9]{1,20}){1,3}$/,
    ccxtId: 'okx',
    contract: 'linear',
    fetchMarketsTypes: ['swap'],
    quotes: ['USDT', 'USDC'],
    btc: { symbol: 'BTC/USDT:USDT', nativeId: 'BTC-USDT-SWAP' },
    contractSize: '0.01 BTC',
    ohlcv: candles(300),
    openInterest: {
      method: 'okxRubik',
      limit: 100,
      periods: { '1h': '1H', '4h': '4H', '1d': '1Dutc' },
      retentionRows: 1440,
      unit: 'base',
      source: 'rubik/stat/contracts/open-interest-history oiCcy (BTC), per instrument',
    },
    funding: {
      method: 'okxBackward',
      limit: 100,
      intervalHours: 8,
      retentionDays: 89,
      source: '/public/funding-rate-history realizedRate/fundingRate per 8h',
    },
    hosts: [{ host: 'www.okx.com', route: 'okx-www' }],
    notes: [
      "ccxt's fetchOpenInterestHistory is a currency-wide total; the per-instrument endpoint is read instead.",
      'OI history keeps the latest 1,440 rows per period; funding history about 3 months.',
    ],
  }),
  perp({
    id: 'krakenfutures',
    since: '2018-01-01',
    idPattern: /^[A-Za-z]{2}_[A-Za-z0-9]{2,30}$/,
    ccxtId: 'krakenfutures',
    contract: 'linear',
    quotes: ['USD'],
    assetOverrides: { BTC: 'XBT' },
    btc: { symbol: 'BTC/USD:USD', nativeId: 'PF_XBTUSD' },
    contractSize: '1 BTC',
    ohlcv: candles(2000),
    openInterest: {
      method: 'krakenAnalytics',
      limit: 2000,
      periods: { '1h': '3600', '4h': '14400', '1d': '86400' },
      unit: 'base',
      source: 'charts/v1/analytics/{symbol}/open-interest (BTC)',
    },
    funding: {
      method: 'allAtOnce',
      limit: 0,
      intervalHours: 1,
      source: 'derivatives/api/v4/historicalfundingrates relativeFundingRate per hour',
    },
    hosts: [{ host: 'futures.kraken.com', route: 'krakenfutures-futures' }],
    notes: [
      'Funding settles hourly; the whole history comes in one call.',
      'OI via the analytics endpoint, which ccxt does not map.',
    ],
  }),
  perp({
    id: 'deribit',
    since: '2016-06-01',
    idPattern: /^[A-Z0-9_]{2,30}-[A-Z0-9]{2,30}$/,
    ccxtId: 'deribit',
    contract: 'inverse',
    contractFallback: 'linear',
    quotes: ['USD', 'USDC'],
    btc: { symbol: 'BTC/USD:BTC', nativeId: 'BTC-PERPETUAL' },
    contractSize: '10 USD',
    ohlcv: candles(5000, { timeframes: ['1h', '1d'] }),
    openInterest: currentOi('usd', 'get_book_summary_by_instrument open_interest (USD)'),
    funding: {
      method: 'window',
      limit: 744,
      intervalHours: 1,
      source: 'get_funding_rate_history interest_1h (hourly)',
    },
    hosts: [{ host: 'www.deribit.com', route: 'deribit-www' }],
    notes: [
      'Inverse: OI in USD. Only the current OI is public.',
      'No 4h candles: built from 1h.',
      'Assets without an inverse perpetual (SOL) use the linear USDC one (SOL_USDC-PERPETUAL): OI in coins.',
    ],
  }),
  perp({
    id: 'bitget',
    since: '2018-07-01',
    idPattern: /^[A-Z0-9]{2,30}$/,
    ccxtId: 'bitget',
    contract: 'linear',
    fetchMarketsTypes: ['swap'],
    quotes: ['USDT', 'USDC'],
    btc: { symbol: 'BTC/USDT:USDT', nativeId: 'BTCUSDT' },
    contractSize: '1 BTC',
    ohlcv: candles(200, { limitByTf: { '1d': 90 } }),
    openInterest: currentOi('base', 'mix/market/open-interest size (BTC)'),
    funding: {
      method: 'bitgetPages',
      limit: 100,
      intervalHours: 8,
      source: 'mix/market/history-fund-rate fundingRate per 8h',
    },
    hosts: [{ host: 'api.bitget.com', route: 'bitget-api' }],
    notes: [
      'Only the current OI is public.',
      'Funding history pages by page number, newest first.',
      'A candle request may span at most 90 days (90 daily candles); older candles come 200 per request.',
    ],
  }),
  perp({
    id: 'hyperliquid',
    since: '2023-05-01',
    idPattern: /^[0-9]{1,6}$/,
    ccxtId: 'hyperliquid',
    contract: 'linear',
    fetchMarketsTypes: ['swap'],
    quotes: ['USDC'],
    btc: { symbol: 'BTC/USDC:USDC', nativeId: 'BTC' },
    contractSize: '1 BTC',
    ohlcv: candles(5000, { retentionBars: 5000 }),
    openInterest: currentOi('base', 'metaAndAssetCtxs openInterest (BTC)'),
    funding: { method: 'window', limit: 500, intervalHours: 1, source: 'info fundingHistory fundingRate per hour' },
    hosts: [{ host: 'api.hyperliquid.xyz', route: 'hyperliquid-api' }],
    notes: [
      'All requests are POST /info.',
      'Candles: only the latest 5000 of each interval (1h reaches about 208 days back).',
      'Funding settles hourly; settlement times carry a few ms of jitter (rounded to the minute).',
      'Only the current OI is public.',
    ],
  }),
];

/** BitMEX was in the original script; ccxt 4.5.83+ no longer ships a bitmex class, so it is not a venue here. */
export const DROPPED_VENUES = [
  { id: 'bitmex', reason: 'ccxt 4.5.83 and later no longer ship a bitmex class' },
] as const;

/** Venues used when a request names none. */
export const DEFAULT_VENUES: readonly string[] = VENUES.map((v) => v.id);
/** Venue serving the USDT/USD reference by default (kind `fx`). */
export const DEFAULT_FX_VENUE = 'kraken';

const BY_ID = new Map(VENUES.map((v) => [v.id, v]));

export function isVenueId(id: unknown): id is string {
  return typeof id === 'string' && BY_ID.has(id);
}

/** The registry entry of `id`, or a readable error listing the known venues. */
export function getVenue(id: string, field = 'venue'): VenueSpec {
  const v = BY_ID.get(id);
  if (!v) {
    throw new BtcFlowInputError(
      field,
      `${field}: unknown venue ${JSON.stringify(id)}; known venues: ${[...BY_ID.keys()].join(', ')}`
    );
  }
  return v;
}

/** Kinds a venue can serve. */
export function venueKinds(v: VenueSpec): SeriesKind[] {
  const kinds: SeriesKind[] = [v.role];
  if (v.openInterest) {
    kinds.push('openInterest');
  }
  if (v.funding) {
    kinds.push('funding');
  }
  if (v.fx) {
    kinds.push('fx');
  }
  return kinds;
}

/** UTC ms of an ISO date (YYYY-MM-DD) of the registry. */
function isoDayMs(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number);
  return Date.UTC(y, m - 1, d);
}

/**
 * First time the venue may have data of `kind` (UTC ms): the kind's own first-data date when the registry has one,
 * else the venue's launch (`since`). Nothing is asked before it.
 */
export function firstDataMs(v: VenueSpec, kind: SeriesKind): number {
  return isoDayMs(v.firstData?.[kind] ?? v.since);
}

/** Earliest first data of the given venues for the given kinds (UTC ms); +Infinity for an empty choice. */
export function earliestFirstDataMs(venues: readonly VenueSpec[], kinds: readonly SeriesKind[]): number {
  let t = Infinity;
  for (const v of venues) {
    for (const k of venueKinds(v)) {
      if (kinds.includes(k)) {
        t = Math.min(t, firstDataMs(v, k));
      }
    }
  }
  return t;
}

/** Most candles one request returns for a fetch timeframe. */
export function ohlcvLimit(v: VenueSpec, tf: FetchTimeframe): number {
  return Math.min(v.ohlcv.limit, v.ohlcv.limitByTf?.[tf] ?? Infinity);
}

/** Venue ids per role, for Grafana variables and docs. */
export function venuesByRole(): Record<SeriesKind, string[]> & { openInterestHistory: string[] } {
  return {
    spot: VENUES.filter((v) => v.role === 'spot').map((v) => v.id),
    perp: VENUES.filter((v) => v.role === 'perp').map((v) => v.id),
    openInterest: VENUES.filter((v) => v.openInterest).map((v) => v.id),
    openInterestHistory: VENUES.filter((v) => v.openInterest && v.openInterest.method !== 'current').map((v) => v.id),
    funding: VENUES.filter((v) => v.funding).map((v) => v.id),
    fx: VENUES.filter((v) => v.fx).map((v) => v.id),
  };
}

export interface VenueHost {
  /** First venue using the host (hosts shared by several venues appear once). */
  venue: string;
  ccxtId: CcxtId;
  host: string;
  /** Stable route path, e.g. `binanceusdm-fapi`: Grafana serves `<datasource url>/<routePath>/...` from `https://<host>/...`. */
  routePath: string;
}

/** Every API host the registry reaches, once each, with its stable route path (Grafana plugin.json routes). */
export function allVenueHosts(): VenueHost[] {
  const seen = new Map<string, VenueHost>();
  for (const v of VENUES) {
    for (const h of v.hosts) {
      if (!seen.has(h.host)) {
        seen.set(h.host, { venue: v.id, ccxtId: v.ccxtId, host: h.host, routePath: h.route });
      }
    }
  }
  return [...seen.values()];
}

/** Route path of a host, or undefined for a host the registry does not know. */
export function routePathForHost(host: string): string | undefined {
  return allVenueHosts().find((h) => h.host === host)?.routePath;
}

/** The venue's own spelling of an asset (BTC → XBT on kraken), for docs and native ids. */
export function venueAssetName(v: VenueSpec, asset: string): string {
  return v.assetOverrides[asset] ?? asset;
}
