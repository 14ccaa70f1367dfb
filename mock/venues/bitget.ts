/**
 * Bitget (ccxt id `bitget`, classic account, v2 API) mock: the public endpoints ccxt 4.5.84 calls for
 * USDT-M and coin-M perpetuals. SIMULATED DATA (see mock/market.ts) in Bitget's format:
 * `{code: '00000', msg: 'success', requestTime, data}`, numbers as strings.
 *
 * Host api.bitget.com:
 * - /api/v2/spot/public/coins                      loadMarkets → fetchCurrencies
 * - /api/v2/mix/market/contracts?productType=      loadMarkets with types ['swap'] (6 calls, one per productType)
 * - /api/v2/spot/public/symbols, /api/v2/margin/currencies   only when loadMarkets also loads spot (ccxt default)
 * - /api/v2/mix/market/candles          recent candles: limit ≤ 1000 (default 100), the latest `limit` bars opening
 *                                       in [startTime, endTime); reaches back a per-granularity number of days
 * - /api/v2/mix/market/history-candles  older candles: limit ≤ 200 (default 100)
 *   both: endTime − startTime ≤ 90 days (else error 40017); granularity 1m…1M, `…utc` variants are
 *   UTC-aligned, plain 6H/12H/1D/3D/1W are aligned to UTC+8
 * - /api/v2/mix/market/history-fund-rate  8-hourly settlements, newest first, pageSize ≤ 100 (default 20), pageNo ≥ 1
 * - /api/v2/mix/market/open-interest     current OI, `size` in base coin
 * - /api/v2/mix/market/ticker, /api/v2/mix/market/current-fund-rate, /api/v2/public/time
 */
import { fundingRate, markPrice, openInterestBase, SIM_START_MS } from '../market';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from '../types';
import {
  amt,
  barStart,
  barsBetween,
  DAY_MS,
  fixedBar,
  HOUR_MS,
  intParam,
  lastBarOpens,
  MINUTE_MS,
  MONDAY_OFFSET_MS,
  px,
  type BarSpec,
} from './kit';

const HOST = 'api.bitget.com';
const VENUE_KEY = 'bitget';
export const BITGET_MAX_RECENT = 1000;
export const BITGET_MAX_HISTORY = 200;
export const BITGET_DEFAULT_LIMIT = 100;
export const BITGET_MAX_SPAN_MS = 90 * DAY_MS;
export const BITGET_FUNDING_HOURS = 8;
export const BITGET_MAX_FUNDING_PAGE = 100;

interface Contract {
  symbol: string;
  asset: string;
  productType: 'USDT-FUTURES' | 'COIN-FUTURES';
  quote: string;
  margin: string;
  pricePlace: number;
  volumePlace: number;
}

export const BITGET_CONTRACTS: Contract[] = [
  {
    symbol: 'BTCUSDT',
    asset: 'BTC',
    productType: 'USDT-FUTURES',
    quote: 'USDT',
    margin: 'USDT',
    pricePlace: 1,
    volumePlace: 4,
  },
  {
    symbol: 'ETHUSDT',
    asset: 'ETH',
    productType: 'USDT-FUTURES',
    quote: 'USDT',
    margin: 'USDT',
    pricePlace: 2,
    volumePlace: 2,
  },
  {
    symbol: 'SOLUSDT',
    asset: 'SOL',
    productType: 'USDT-FUTURES',
    quote: 'USDT',
    margin: 'USDT',
    pricePlace: 3,
    volumePlace: 1,
  },
  {
    symbol: 'BTCUSD',
    asset: 'BTC',
    productType: 'COIN-FUTURES',
    quote: 'USD',
    margin: 'BTC',
    pricePlace: 1,
    volumePlace: 4,
  },
  {
    symbol: 'ETHUSD',
    asset: 'ETH',
    productType: 'COIN-FUTURES',
    quote: 'USD',
    margin: 'ETH',
    pricePlace: 2,
    volumePlace: 2,
  },
];
const PRODUCT_TYPES = [
  'USDT-FUTURES',
  'COIN-FUTURES',
  'USDC-FUTURES',
  'SUSDT-FUTURES',
  'SCOIN-FUTURES',
  'SUSDC-FUTURES',
];

const UTC8 = -8 * HOUR_MS;
/** granularity → bar grid and how many days back the recent endpoint reaches (ccxt's measured table). */
export const BITGET_GRANULARITY: Record<string, { spec: BarSpec; recentDays: number }> = {
  '1m': { spec: fixedBar(MINUTE_MS), recentDays: 30 },
  '3m': { spec: fixedBar(3 * MINUTE_MS), recentDays: 30 },
  '5m': { spec: fixedBar(5 * MINUTE_MS), recentDays: 30 },
  '15m': { spec: fixedBar(15 * MINUTE_MS), recentDays: 30 },
  '30m': { spec: fixedBar(30 * MINUTE_MS), recentDays: 30 },
  '1H': { spec: fixedBar(HOUR_MS), recentDays: 60 },
  '2H': { spec: fixedBar(2 * HOUR_MS), recentDays: 120 },
  '4H': { spec: fixedBar(4 * HOUR_MS), recentDays: 240 },
  '6H': { spec: fixedBar(6 * HOUR_MS, UTC8), recentDays: 360 },
  '12H': { spec: fixedBar(12 * HOUR_MS, UTC8), recentDays: 720 },
  '1D': { spec: fixedBar(DAY_MS, UTC8), recentDays: 1440 },
  '3D': { spec: fixedBar(3 * DAY_MS, UTC8), recentDays: 4320 },
  '1W': { spec: fixedBar(7 * DAY_MS, MONDAY_OFFSET_MS + UTC8), recentDays: 10080 },
  '1M': { spec: { kind: 'month' }, recentDays: 43200 },
  '6Hutc': { spec: fixedBar(6 * HOUR_MS), recentDays: 360 },
  '12Hutc': { spec: fixedBar(12 * HOUR_MS), recentDays: 720 },
  '1Dutc': { spec: fixedBar(DAY_MS), recentDays: 1440 },
  '3Dutc': { spec: fixedBar(3 * DAY_MS), recentDays: 4320 },
  '1Wutc': { spec: fixedBar(7 * DAY_MS, MONDAY_OFFSET_MS), recentDays: 10080 },
  '1Mutc': { spec: { kind: 'month' }, recentDays: 43200 },
};

function ok(req: MockRequest, data: unknown, rowsPath?: Array<string | number>): MockResponse {
  return { body: { code: '00000', msg: 'success', requestTime: req.now, data }, rowsPath };
}

function fail(req: MockRequest, msg: string, code = '40017', status = 400): MockResponse {
  return { status, body: { code, msg, requestTime: req.now, data: null } };
}

function findContract(req: MockRequest): Contract | MockResponse {
  const symbol = (req.query.symbol ?? '').toUpperCase();
  const productType = (req.query.productType ?? '').toUpperCase();
  if (!symbol) {
    return fail(req, 'Parameter symbol cannot be empty', '40019');
  }
  if (!PRODUCT_TYPES.includes(productType)) {
    return fail(req, `productType must be one of ${PRODUCT_TYPES.join(', ')}`);
  }
  const c = BITGET_CONTRACTS.find((x) => x.symbol === symbol && x.productType === productType);
  if (!c) {
    return fail(req, 'The symbol does not exist', '40034');
  }
  return c;
}

const COINS = ['BTC', 'ETH', 'SOL', 'USDT', 'USDC'].map((coin, k) => ({
  coinId: String(k + 1),
  coin,
  transfer: 'true',
  chains: [
    {
      chain: coin === 'USDT' || coin === 'USDC' ? 'ERC20' : coin,
      needTag: 'false',
      withdrawable: 'true',
      rechargeable: 'true',
      withdrawFee: '0.0001',
      extraWithdrawFee: '0',
      depositConfirm: '12',
      withdrawConfirm: '12',
      minDepositAmount: '0.0001',
      minWithdrawAmount: '0.001',
      browserUrl: '',
      contractAddress: null,
      withdrawStep: '0',
      withdrawMinScale: '8',
      congestion: 'normal',
    },
  ],
  areaCoin: 'no',
}));

function contracts(req: MockRequest): MockResponse {
  const productType = (req.query.productType ?? '').toUpperCase();
  if (!PRODUCT_TYPES.includes(productType)) {
    return fail(req, `productType must be one of ${PRODUCT_TYPES.join(', ')}`);
  }
  const symbol = req.query.symbol?.toUpperCase();
  const list = BITGET_CONTRACTS.filter((c) => c.productType === productType && (!symbol || c.symbol === symbol)).map(
    (c) => ({
      symbol: c.symbol,
      baseCoin: c.asset,
      quoteCoin: c.quote,
      buyLimitPriceRatio: '0.01',
      sellLimitPriceRatio: '0.01',
      feeRateUpRatio: '0.005',
      makerFeeRate: '0.0002',
      takerFeeRate: '0.0006',
      openCostUpRatio: '0.01',
      supportMarginCoins: [c.margin],
      minTradeNum: (10 ** -c.volumePlace).toFixed(c.volumePlace),
      priceEndStep: '1',
      volumePlace: String(c.volumePlace),
      pricePlace: String(c.pricePlace),
      sizeMultiplier: (10 ** -c.volumePlace).toFixed(c.volumePlace),
      symbolType: 'perpetual',
      minTradeUSDT: '5',
      maxSymbolOrderNum: '200',
      maxProductOrderNum: '400',
      maxPositionNum: '150',
      symbolStatus: 'normal',
      offTime: '-1',
      limitOpenTime: '-1',
      deliveryTime: '',
      deliveryStartTime: '',
      deliveryPeriod: '',
      launchTime: '',
      fundInterval: String(BITGET_FUNDING_HOURS),
      minLever: '1',
      maxLever: '125',
      posLimit: '0.05',
      maintainTime: '',
      openTime: '',
    })
  );
  return ok(req, list, ['data']);
}

const SPOT = ['BTC', 'ETH', 'SOL'];

function spotSymbols(req: MockRequest): MockResponse {
  return ok(
    req,
    SPOT.map((a) => ({
      symbol: `${a}USDT`,
      baseCoin: a,
      quoteCoin: 'USDT',
      minTradeAmount: '0',
      maxTradeAmount: '10000000000',
      takerFeeRate: '0.001',
      makerFeeRate: '0.001',
      pricePrecision: '2',
      quantityPrecision: '6',
      quotePrecision: '8',
      status: 'online',
      minTradeUSDT: '1',
      buyLimitPriceRatio: '0.05',
      sellLimitPriceRatio: '0.05',
      areaSymbol: 'no',
      orderQuantity: '200',
      openTime: '',
    })),
    ['data']
  );
}

function marginCurrencies(req: MockRequest): MockResponse {
  return ok(
    req,
    SPOT.map((a) => ({
      symbol: `${a}USDT`,
      baseCoin: a,
      quoteCoin: 'USDT',
      maxCrossedLeverage: '5',
      maxIsolatedLeverage: '10',
      warningRiskRatio: '0.8',
      liquidationRiskRatio: '1',
      minTradeAmount: '0',
      maxTradeAmount: '10000000000',
      takerFeeRate: '0.001',
      makerFeeRate: '0.001',
      pricePrecision: '2',
      quantityPrecision: '6',
      minTradeUSDT: '5',
      isBorrowable: true,
      isCrossBorrowable: true,
      isIsolatedBaseBorrowable: true,
      isIsolatedQuoteBorrowable: true,
      userMinBorrow: '0',
      status: '1',
    })),
    ['data']
  );
}

function candles(history: boolean) {
  return (req: MockRequest): MockResponse => {
    const c = findContract(req);
    if (!('symbol' in c)) {
      return c;
    }
    const gran = BITGET_GRANULARITY[req.query.granularity ?? ''];
    if (!gran) {
      return fail(req, `granularity must be one of ${Object.keys(BITGET_GRANULARITY).join(', ')}`, '40017');
    }
    const start = intParam(req.query, 'startTime');
    const end = intParam(req.query, 'endTime');
    const limit = intParam(req.query, 'limit');
    for (const r of [start, end, limit]) {
      if (!r.ok) {
        return fail(req, r.reason);
      }
    }
    if (!start.ok || !end.ok || !limit.ok) {
      return fail(req, 'invalid parameters');
    }
    const max = history ? BITGET_MAX_HISTORY : BITGET_MAX_RECENT;
    const n = limit.value ?? BITGET_DEFAULT_LIMIT;
    if (n < 1 || n > max) {
      return fail(req, `limit must be between 1 and ${max}`);
    }
    const endMs = Math.min(end.value ?? req.now, req.now);
    if (start.value !== undefined && endMs - start.value > BITGET_MAX_SPAN_MS) {
      return fail(
        req,
        'The time span between startTime and endTime cannot exceed 90 days (simulated Bitget rule)',
        '40017'
      );
    }
    let floor = start.value ?? 0;
    if (!history) {
      // the recent endpoint only reaches back a fixed number of days for each granularity
      floor = Math.max(floor, req.now - gran.recentDays * DAY_MS);
    }
    // endTime is exclusive and the answer is aligned from it: the latest `limit` bars opening before endTime
    const opens = lastBarOpens(gran.spec, endMs - 1, n, floor);
    const bars = opens.length
      ? barsBetween(VENUE_KEY, c.asset, 'perp', gran.spec, Math.max(opens[0], floor), opens[opens.length - 1])
      : [];
    const inverse = c.productType === 'COIN-FUTURES';
    const rows = bars.map((b) => {
      const quoteVol = b.volumeBase * b.close;
      return [
        String(b.t),
        px(b.open, c.pricePlace),
        px(b.high, c.pricePlace),
        px(b.low, c.pricePlace),
        px(b.close, c.pricePlace),
        // USDT-M: [5] base coin, [6] quote; coin-M: [5] USD notional, [6] coin (ccxt reads [6] for inverse)
        inverse ? amt(quoteVol, 2) : amt(b.volumeBase, c.volumePlace),
        inverse ? amt(b.volumeBase, c.volumePlace) : amt(quoteVol, 4),
      ];
    });
    return ok(req, rows, ['data']);
  };
}

function historyFundRate(req: MockRequest): MockResponse {
  const c = findContract(req);
  if (!('symbol' in c)) {
    return c;
  }
  const size = intParam(req.query, 'pageSize');
  const page = intParam(req.query, 'pageNo');
  if (!size.ok || !page.ok) {
    return fail(req, !size.ok ? size.reason : (page as { reason: string }).reason);
  }
  const pageSize = size.value ?? 20;
  const pageNo = page.value ?? 1;
  if (pageSize < 1 || pageSize > BITGET_MAX_FUNDING_PAGE) {
    return fail(req, `pageSize must be between 1 and ${BITGET_MAX_FUNDING_PAGE}`);
  }
  if (pageNo < 1) {
    return fail(req, 'pageNo must be at least 1');
  }
  const step = BITGET_FUNDING_HOURS * HOUR_MS;
  // settlements at 00:00, 08:00, 16:00 UTC, newest first; the simulated history starts one interval after SIM_START
  const latest = barStart(fixedBar(step), req.now);
  const first = SIM_START_MS + step;
  const data = [];
  for (let k = (pageNo - 1) * pageSize; k < pageNo * pageSize; k++) {
    const t = latest - k * step;
    if (t < first) {
      break;
    }
    data.push({
      symbol: c.symbol,
      fundingRate: String(fundingRate(VENUE_KEY, c.asset, t, BITGET_FUNDING_HOURS)),
      fundingTime: String(t),
    });
  }
  return ok(req, data, ['data']);
}

function ticker(req: MockRequest): MockResponse {
  const c = findContract(req);
  if (!('symbol' in c)) {
    return c;
  }
  const now = req.now;
  const mark = markPrice(VENUE_KEY, c.asset, now, 'perp');
  const index = markPrice(VENUE_KEY, c.asset, now, 'spot');
  const open24 = markPrice(VENUE_KEY, c.asset, now - DAY_MS, 'perp');
  const openUtc = markPrice(VENUE_KEY, c.asset, barStart(fixedBar(DAY_MS), now), 'perp');
  const bars = barsBetween(VENUE_KEY, c.asset, 'perp', fixedBar(HOUR_MS), now - DAY_MS, now);
  const vol = bars.reduce((s, b) => s + b.volumeBase, 0);
  const quoteVol = bars.reduce((s, b) => s + b.volumeBase * b.close, 0);
  const tick = 10 ** -c.pricePlace;
  return ok(
    req,
    [
      {
        symbol: c.symbol,
        lastPr: px(mark, c.pricePlace),
        askPr: px(mark + tick, c.pricePlace),
        bidPr: px(mark - tick, c.pricePlace),
        bidSz: '1.5',
        askSz: '2.1',
        high24h: px(Math.max(mark, ...bars.map((b) => b.high)), c.pricePlace),
        low24h: px(Math.min(mark, ...bars.map((b) => b.low)), c.pricePlace),
        ts: String(now),
        change24h: (mark / open24 - 1).toFixed(5),
        baseVolume: amt(vol, 4),
        quoteVolume: amt(quoteVol, 4),
        usdtVolume: amt(quoteVol, 4),
        openUtc: px(openUtc, c.pricePlace),
        changeUtc24h: (mark / openUtc - 1).toFixed(5),
        indexPrice: px(index, 6),
        // the running interval's estimate from the hours so far (no look-ahead)
        fundingRate: String(fundingRate(VENUE_KEY, c.asset, now, BITGET_FUNDING_HOURS)),
        holdingAmount: amt(openInterestBase(VENUE_KEY, c.asset, now), 4),
        deliveryStartTime: null,
        deliveryTime: null,
        deliveryStatus: '',
        open24h: px(open24, c.pricePlace),
        markPrice: px(mark, c.pricePlace),
      },
    ],
    ['data']
  );
}

function openInterest(req: MockRequest): MockResponse {
  const c = findContract(req);
  if (!('symbol' in c)) {
    return c;
  }
  return ok(req, {
    openInterestList: [{ symbol: c.symbol, size: amt(openInterestBase(VENUE_KEY, c.asset, req.now), 4) }],
    ts: String(req.now),
  });
}

function currentFundRate(req: MockRequest): MockResponse {
  const c = findContract(req);
  if (!('symbol' in c)) {
    return c;
  }
  const next = barStart(fixedBar(BITGET_FUNDING_HOURS * HOUR_MS), req.now) + BITGET_FUNDING_HOURS * HOUR_MS;
  return ok(req, [
    {
      symbol: c.symbol,
      fundingRate: String(fundingRate(VENUE_KEY, c.asset, req.now, BITGET_FUNDING_HOURS)),
      fundingRateInterval: String(BITGET_FUNDING_HOURS),
      nextUpdate: String(next),
      minFundingRate: '-0.003',
      maxFundingRate: '0.003',
    },
  ]);
}

const M = '/api/v2/mix/market/';
const routes: MockRoute[] = [
  {
    method: 'GET',
    path: '/api/v2/public/time',
    endpoint: 'time',
    handler: (req) => ok(req, { serverTime: String(req.now) }),
  },
  {
    method: 'GET',
    path: '/api/v2/spot/public/coins',
    endpoint: 'currencies',
    handler: (req) => ok(req, COINS, ['data']),
  },
  { method: 'GET', path: M + 'contracts', endpoint: 'markets', handler: contracts },
  { method: 'GET', path: '/api/v2/spot/public/symbols', endpoint: 'markets', handler: spotSymbols },
  { method: 'GET', path: '/api/v2/margin/currencies', endpoint: 'markets', handler: marginCurrencies },
  { method: 'GET', path: M + 'candles', endpoint: 'klines', handler: candles(false) },
  { method: 'GET', path: M + 'history-candles', endpoint: 'klines', handler: candles(true) },
  { method: 'GET', path: M + 'history-fund-rate', endpoint: 'fundingHistory', handler: historyFundRate },
  { method: 'GET', path: M + 'current-fund-rate', endpoint: 'funding', handler: currentFundRate },
  { method: 'GET', path: M + 'open-interest', endpoint: 'openInterest', handler: openInterest },
  { method: 'GET', path: M + 'ticker', endpoint: 'ticker', handler: ticker },
];

export const venue: VenueMock = { id: 'bitget', hosts: [HOST], routes };
export default venue;
