/**
 * fetchSeries: one series (venue × kind × asset × timeframe × range) in the engine's bundle format, through the cache.
 *
 * - Closed bars come from the cache; only missing ranges are fetched. The open bar (the one containing "now") is
 *   always fetched again and never stored. Funding points are final once settled, so a refresh asks only for the
 *   points since the last fetch. Current-only OI (deribit, bitget, hyperliquid) is one fresh request, reused by the
 *   other panels for CURRENT_OI_TTL_MS within the same open bar.
 * - Identical requests in flight share one fetch.
 * - Timeframes the venues do not serve alike (3d, 1w, 1M, and 4h where missing) are fetched finer; the engine resamples.
 * - Nothing is asked before the venue's first data of the kind (registry `since` / `firstData`): a range that ends before
 *   it, or a past range of a current-only OI venue, is "not applicable" (a VenueError of kind `notApplicable`, no
 *   request made); a range that starts before it is clamped, with an info notice.
 */
import { parseTimeframe } from '../core/timeframe';
import { BtcFlowInputError } from '../core/errors';
import { SERIES_KINDS, type Point, type Series, type SeriesKind, type Timeframe } from '../core/types';
import { ExchangeContext, resolveMarket } from './context';
import type { CcxtExchange, CcxtMarket } from './ccxtLoader';
import { Interval, Row, subtractIntervals } from './cache';
import { classifyError, describeFailure, VenueError } from './errors';
import { abortableView, isAborted, loadFetchClient, throwIfAborted } from './abort';
import {
  FETCH_TF_MS,
  fetchCandles,
  fetchFunding,
  fetchOpenInterest,
  inferIntervalHours,
  RangeResult,
} from './fetchers';
import { FetchTimeframe, firstDataMs, getVenue, VenueSpec, venueKinds } from './registry';

export interface SeriesRequest {
  venue: string;
  kind: SeriesKind;
  asset: string;
  timeframe: Timeframe;
  /** Range start, UTC epoch ms (inclusive). */
  from: number;
  /** Range end, UTC epoch ms (exclusive; may be in the future). */
  to: number;
}

export interface SeriesResult {
  series: Series;
  /** Earliest time the venue serves for this series when that is after `from` (retention, listing); else undefined. */
  firstAvailable?: number;
  /** Range the points cover: first point's time to the end of the range asked (capped at the open bar's end). */
  covered: { from: number; to: number };
  /** Start of the open (unfinished) bar when the series contains it. */
  openBarTime?: number;
  /** Timeframe actually fetched (finer than asked when the venue lacks it). */
  fetchedTimeframe: FetchTimeframe;
  /** ccxt unified symbol of the market read. */
  symbol: string;
  notices: string[];
}

/** Latest current-OI readings per context (venues without OI history), reused for CURRENT_OI_TTL_MS within a bar. */
const currentReadings = new WeakMap<ExchangeContext, Map<string, { at: number; result: RangeResult }>>();

function readingsOf(ctx: ExchangeContext): Map<string, { at: number; result: RangeResult }> {
  let m = currentReadings.get(ctx);
  if (!m) {
    m = new Map();
    currentReadings.set(ctx, m);
  }
  return m;
}

/** Request priority per kind under the context's concurrency limit: prices first (the premium panels need only them). */
const KIND_PRIORITY: Record<SeriesKind, number> = { spot: 0, perp: 0, fx: 0, openInterest: 1, funding: 2 };

function gateFor(ctx: ExchangeContext, kind: SeriesKind, signal: AbortSignal) {
  return <T>(run: () => Promise<T>) => ctx.limit(KIND_PRIORITY[kind], run, signal);
}

/** How long a current-OI reading is reused by other panels (same open bar), ms. */
export const CURRENT_OI_TTL_MS = 60_000;

/** Timeframe fetched for an engine timeframe on a venue: 1h/4h/1d natively when served, everything coarser as 1d. */
export function fetchTimeframeFor(venue: VenueSpec, kind: SeriesKind, tf: Timeframe): FetchTimeframe {
  const want: FetchTimeframe = tf === '1h' ? '1h' : tf === '4h' ? '4h' : '1d';
  const served: FetchTimeframe[] =
    kind === 'openInterest' && venue.openInterest && venue.openInterest.method !== 'current'
      ? (Object.keys(venue.openInterest.periods) as FetchTimeframe[])
      : venue.ohlcv.timeframes;
  if (served.includes(want)) {
    return want;
  }
  // the next finer one the venue has
  const order: FetchTimeframe[] = ['1d', '4h', '1h'];
  for (const t of order.slice(order.indexOf(want) + 1)) {
    if (served.includes(t)) {
      return t;
    }
  }
  return served[0];
}

/** Checks a request and says what is wrong in one line naming the field and the allowed values. */
export function validateSeriesRequest(req: SeriesRequest): VenueSpec {
  if (!req || typeof req !== 'object') {
    throw new BtcFlowInputError('request', 'request: expected {venue, kind, asset, timeframe, from, to}');
  }
  const venue = getVenue(req.venue);
  if (!(SERIES_KINDS as readonly string[]).includes(req.kind)) {
    throw new BtcFlowInputError(
      'kind',
      `kind: unknown kind ${JSON.stringify(req.kind)}; allowed: ${SERIES_KINDS.join(', ')}`
    );
  }
  const kinds = venueKinds(venue);
  if (!kinds.includes(req.kind)) {
    throw new BtcFlowInputError('kind', `kind: ${venue.id} does not serve ${req.kind}; it serves ${kinds.join(', ')}`);
  }
  parseTimeframe(req.timeframe);
  if (typeof req.asset !== 'string' || !/^[A-Z0-9]{1,15}$/.test(req.asset)) {
    throw new BtcFlowInputError(
      'asset',
      `asset: expected an upper-case coin code such as BTC or ETH, got ${JSON.stringify(req.asset)}`
    );
  }
  for (const f of ['from', 'to'] as const) {
    if (typeof req[f] !== 'number' || !Number.isFinite(req[f])) {
      throw new BtcFlowInputError(f, `${f}: expected a UTC epoch-ms number, got ${JSON.stringify(req[f])}`);
    }
  }
  if (req.from >= req.to) {
    throw new BtcFlowInputError(
      'from',
      `from: must be before to (${new Date(req.from).toISOString()} >= ${new Date(req.to).toISOString()})`
    );
  }
  return venue;
}

/** Whether a request reads a market: USDT is the quote of the others, never a market of its own (except as fx). */
const readsMarket = (req: SeriesRequest) => req.kind === 'fx' || req.asset !== 'USDT';

/**
 * After a failure that a delisted market would explain, when the market list in use came from the store: loads the
 * list again from the venue (once per class) and, when the market the request reads is gone or another one now,
 * fetches once more (which then says the venue lists no such market, or reads the new one). Otherwise the failure
 * stands.
 */
async function retryOnRelisting(
  e: unknown,
  req: SeriesRequest,
  venue: VenueSpec,
  ctx: ExchangeContext,
  signal: AbortSignal
): Promise<SeriesResult> {
  if (
    !(e instanceof VenueError) ||
    !RELIST_KINDS.has(e.kind) ||
    !readsMarket(req) ||
    !ctx.marketsAreStored(venue) ||
    signal.aborted
  ) {
    throw e;
  }
  const before = lookupMarket(await ctx.markets(venue), venue, req);
  let after: CcxtMarket | undefined;
  try {
    after = lookupMarket(await ctx.markets(venue, true), venue, req);
  } catch {
    throw e; // the venue's list did not load either: the first failure is the one to report
  }
  if (before && after?.id === before.id) {
    throw e;
  }
  return doFetch(req, venue, ctx, signal);
}

/**
 * Fetches one series. Failures throw a VenueError (readable message); bad input throws a BtcFlowInputError. When
 * `signal` aborts, the call rejects with an AbortedError at once; the shared work stops only when no other caller
 * still waits for it (no new page request starts, the request in flight is aborted).
 */
export function fetchSeries(req: SeriesRequest, ctx: ExchangeContext, signal?: AbortSignal): Promise<SeriesResult> {
  const venue = validateSeriesRequest(req);
  // funding does not depend on the timeframe: panels on different timeframes share one fetch
  const tfKey = req.kind === 'funding' ? '*' : req.timeframe;
  const key = `series|${req.venue}|${req.kind}|${req.asset}|${tfKey}|${req.from}|${req.to}`;
  return ctx.jobs.run(
    key,
    (jobSignal) =>
      doFetch(req, venue, ctx, jobSignal)
        .catch((e: unknown) => retryOnRelisting(e, req, venue, ctx, jobSignal))
        .catch((e: unknown) => {
          if (e instanceof VenueError || e instanceof BtcFlowInputError || isAborted(e)) {
            throw e;
          }
          const c = classifyError(e);
          throw new VenueError(venue.id, c.kind, `${req.kind}: ${describeFailure(c, 1, ctx.options.timeoutMs)}`);
        }),
    signal
  );
}

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * The earliest time a venue still serves for a kind when it keeps only recent history (registry retention: kraken's
 * latest 720 candles, hyperliquid's latest 5000, Binance OI 30 days, OKX OI 1,440 rows, OKX funding 89 days), or
 * undefined when it keeps everything. A range that ends before it is not applicable (no request), as for first data.
 */
export function retentionEdge(
  venue: VenueSpec,
  kind: SeriesKind,
  tf: FetchTimeframe,
  now: number
): { from: number; what: string } | undefined {
  const barMs = FETCH_TF_MS[tf];
  const open = Math.floor(now / barMs) * barMs;
  if (kind === 'spot' || kind === 'perp' || kind === 'fx') {
    const n = venue.ohlcv.mode === 'latest' ? venue.ohlcv.limit : venue.ohlcv.retentionBars;
    return n === undefined ? undefined : { from: open - (n - 1) * barMs, what: `its latest ${n} ${tf} candles` };
  }
  if (kind === 'openInterest') {
    const oi = venue.openInterest;
    if (oi?.retentionDays !== undefined) {
      return { from: now - oi.retentionDays * 86_400_000, what: `${oi.retentionDays} days of open-interest history` };
    }
    if (oi?.retentionRows !== undefined) {
      return {
        from: open - (oi.retentionRows - 1) * barMs,
        what: `its latest ${oi.retentionRows} ${tf} open-interest rows`,
      };
    }
    return undefined;
  }
  const days = venue.funding?.retentionDays;
  return days === undefined
    ? undefined
    : { from: now - days * 86_400_000, what: `about ${days} days of funding history` };
}

/** The market a request reads: the fx symbol, else the venue's market of the asset (resolveMarket). */
function lookupMarket(ex: CcxtExchange, venue: VenueSpec, req: SeriesRequest): CcxtMarket | undefined {
  return req.kind === 'fx' ? ex.markets?.[venue.fx!.symbol] : resolveMarket(ex, venue, req.asset);
}

/** Failure kinds after which a stored market list is checked against the venue's (the market may be delisted). */
const RELIST_KINDS = new Set(['unsupported', 'exchange', 'empty', 'malformed']);

async function doFetch(
  req: SeriesRequest,
  venue: VenueSpec,
  ctx: ExchangeContext,
  signal: AbortSignal
): Promise<SeriesResult> {
  // checks that need no request: a range before the venue's first data, a past range of current-only OI
  const firstMs = firstDataMs(venue, req.kind);
  if (req.to <= firstMs) {
    throw new VenueError(
      venue.id,
      'notApplicable',
      `${req.kind}: no data before ${isoDay(firstMs)} (the venue's first ${req.kind} data); the range ends before it, nothing asked`
    );
  }
  if (req.kind === 'openInterest' && venue.openInterest?.method === 'current') {
    const barMs0 = FETCH_TF_MS[fetchTimeframeFor(venue, req.kind, req.timeframe)];
    if (req.to <= Math.floor(ctx.now() / barMs0) * barMs0) {
      throw new VenueError(
        venue.id,
        'notApplicable',
        `openInterest: current value only (the venue publishes no OI history); the range ends before the open bar`
      );
    }
  }
  const kept = retentionEdge(venue, req.kind, fetchTimeframeFor(venue, req.kind, req.timeframe), ctx.now());
  if (kept && req.to <= kept.from) {
    throw new VenueError(
      venue.id,
      'notApplicable',
      `${req.kind}: the venue keeps only ${kept.what} (from ${isoDay(kept.from)}); the range ends before that, nothing asked`
    );
  }
  let shared = await ctx.markets(venue);
  throwIfAborted(signal, `${venue.id} ${req.kind}`);
  const symbolWanted = req.kind === 'fx' ? venue.fx!.symbol : undefined;
  const askable = readsMarket(req);
  let market = askable ? lookupMarket(shared, venue, req) : undefined;
  if (!market && askable && ctx.marketsAreStored(venue)) {
    // the stored list (up to marketsMaxAgeMs old) may predate a new listing: load it again from the venue, once
    shared = await ctx.markets(venue, true);
    throwIfAborted(signal, `${venue.id} ${req.kind}`);
    market = lookupMarket(shared, venue, req);
  }
  await loadFetchClient(shared);
  // this job's requests follow its signal; the markets, throttle and hooks stay the shared instance's
  const ex = abortableView(shared, signal, gateFor(ctx, req.kind, signal));
  if (!market) {
    throw new VenueError(
      venue.id,
      'unsupported',
      req.kind === 'fx'
        ? `no ${symbolWanted} market`
        : `lists no ${venue.marketType === 'spot' ? 'spot' : venue.contract + ' perpetual'} market for ${req.asset}`
    );
  }
  // the id came from the venue's answer and may go into a URL path (the fx market is looked up by symbol, so it is
  // checked here too)
  if (typeof market.id !== 'string' || !venue.idPattern.test(market.id)) {
    throw new VenueError(
      venue.id,
      'malformed',
      `refused market id ${JSON.stringify(String(market.id)).slice(0, 80)} of ${market.symbol}: it does not match the venue's id pattern ${venue.idPattern}`
    );
  }
  const tf = fetchTimeframeFor(venue, req.kind, req.timeframe);
  const barMs = FETCH_TF_MS[tf];
  const now = ctx.now();
  const notices: string[] = [];
  // 3d, 1w and 1M are always read as 1d (by design, no notice); a venue lacking 1h/4h/1d itself gets one
  const nominal = req.timeframe === '1h' || req.timeframe === '4h' ? req.timeframe : '1d';
  if (tf !== nominal && req.kind !== 'funding') {
    notices.push(`${venue.id}: no ${nominal} ${req.kind} data; fetched ${tf} bars (resampled by the engine)`);
  }
  const isFunding = req.kind === 'funding';
  const isCurrentOi = req.kind === 'openInterest' && venue.openInterest?.method === 'current';

  // Bar grid: [start, end) holds the bars whose open time is in [from, to); the open bar starts at openStart.
  const openStart = Math.floor(now / barMs) * barMs;
  let start = isFunding ? req.from : Math.floor(req.from / barMs) * barMs;
  if (start < firstMs && !isCurrentOi) {
    // known-empty: nothing is asked before the venue's first data of this kind
    start = isFunding ? firstMs : Math.ceil(firstMs / barMs) * barMs;
    notices.push(
      `${venue.id}: ${req.kind} not asked before ${isoDay(firstMs)} (the venue's first ${req.kind} data); the range begins ${isoDay(req.from)}`
    );
  }
  const end = isFunding ? Math.min(req.to, now + 1) : Math.min(Math.ceil(req.to / barMs) * barMs, openStart + barMs);
  // closed part: bars that ended before now; funding points settled up to now
  const closedEnd = isFunding ? end : Math.min(end, openStart);
  const key = `${venue.id}|${req.kind}|${market.symbol}|${isFunding ? 'all' : tf}`;

  let fetched: Row[] = [];
  let firstAvailable: number | undefined;
  if (start >= end) {
    throw new VenueError(
      venue.id,
      'empty',
      `${req.kind}: the range ${new Date(req.from).toISOString()} – ${new Date(req.to).toISOString()} is in the future`
    );
  }
  const job = { ctx, venue, ex, market, tf, now, kind: req.kind };
  const runKind = (s: number, e: number, rangeSignal: AbortSignal): Promise<RangeResult> => {
    const j = {
      ...job,
      ex: abortableView(shared, rangeSignal, gateFor(ctx, req.kind, rangeSignal)),
      start: s,
      end: e,
      signal: rangeSignal,
    };
    return req.kind === 'openInterest' ? fetchOpenInterest(j) : isFunding ? fetchFunding(j) : fetchCandles(j);
  };

  if (isCurrentOi) {
    // one reading serves every panel of a load: reused for CURRENT_OI_TTL_MS within the same open bar
    const memoKey = `current|${key}|${openStart}`;
    const memo = readingsOf(ctx).get(memoKey);
    const r =
      memo && now - memo.at < CURRENT_OI_TTL_MS
        ? memo.result
        : await ctx.jobs.run(
            memoKey,
            async (s) => {
              const res = await runKind(start, end, s);
              readingsOf(ctx).set(memoKey, { at: now, result: res });
              return res;
            },
            signal
          );
    fetched = r.rows;
    firstAvailable = r.firstAvailable;
    notices.push(...r.notices);
  } else {
    const rangeNotices: string[] = [];
    await ctx.restore(key); // closed bars kept by an earlier session (persistent store), if any
    throwIfAborted(signal, `${venue.id} ${req.kind}`);
    const entry = ctx.cache.get(key);
    const missing: Interval[] = start < closedEnd ? subtractIntervals([start, closedEnd], entry?.covered ?? []) : [];
    // the open bar is always fetched fresh; it joins the last missing piece when they touch
    if (end > closedEnd) {
      const last = missing[missing.length - 1];
      if (last && last[1] === closedEnd) {
        last[1] = end;
      } else {
        missing.push([Math.max(start, closedEnd), end]);
      }
    }
    for (const [s, e] of missing) {
      // the same range of the same series in flight (e.g. 1d and 1w panels both reading 1d bars) is fetched once
      const rangeKey = `range|${key}|${s}|${e}`;
      const r = await ctx.jobs.run(
        rangeKey,
        (rangeSignal) =>
          runKind(s, e, rangeSignal).then(async (res) => {
            const closedTo = Math.min(e, closedEnd);
            if (closedTo > s) {
              ctx.cache.commit(key, res.rows, [s, closedTo], res.firstAvailable);
              await ctx.persist(key);
            }
            return res;
          }),
        signal
      );
      fetched.push(...r.rows); // also the closed rows: the result does not depend on them surviving cache eviction
      rangeNotices.push(...r.notices);
    }
    const cached = ctx.cache.get(key);
    const fromCache = ctx.cache.rows(key, start, closedEnd);
    fetched = [...fromCache, ...fetched]; // fetched rows come last and win the dedupe below
    if (cached?.firstAvailable !== undefined && cached.firstAvailable > start) {
      firstAvailable = cached.firstAvailable;
    }
    notices.push(...rangeNotices);
    if (firstAvailable !== undefined && rangeNotices.length === 0) {
      notices.push(
        `${venue.id}: ${req.kind} data starts at ${new Date(firstAvailable).toISOString()} (venue retention or listing)`
      );
    }
  }

  // dedupe (last wins) and sort
  const byTime = new Map<number, Row>();
  for (const r of fetched) {
    if (r[0] >= start && r[0] < end) {
      byTime.set(r[0], r);
    }
  }
  const rows = [...byTime.values()].sort((a, b) => a[0] - b[0]);
  if (rows.length === 0) {
    throw new VenueError(
      venue.id,
      'empty',
      `${req.kind}: no data between ${new Date(start).toISOString()} and ${new Date(end).toISOString()}`
    );
  }
  const points: Point[] = rows.map((r) => [r[0], r[1]]);
  const hasVolumes = !isFunding && req.kind !== 'openInterest' && rows.every((r) => r[2] !== undefined);
  const volumes: Point[] | undefined = hasVolumes ? rows.map((r) => [r[0], r[2] as number]) : undefined;

  if (!isFunding && !isCurrentOi) {
    const expected = Math.round((rows[rows.length - 1][0] - rows[0][0]) / barMs) + 1;
    const gaps = expected - rows.length;
    if (gaps > 0) {
      notices.push(
        `${venue.id}: ${req.kind} has ${gaps} missing ${tf} bar${gaps > 1 ? 's' : ''} between its first and last point (gaps in the venue's data)`
      );
    }
  }

  let series: Series;
  switch (req.kind) {
    case 'spot':
    case 'perp':
      series = { kind: req.kind, venue: venue.id, quote: market.quote, points, ...(volumes ? { volumes } : {}) };
      break;
    case 'fx':
      series = { kind: 'fx', venue: venue.id, pair: venue.fx!.pair, points };
      break;
    case 'openInterest':
      // inverse contracts count USD, linear ones base coins (see docs/venues.md)
      series = { kind: 'openInterest', venue: venue.id, unit: market.inverse ? 'usd' : 'base', points };
      break;
    case 'funding':
      series = {
        kind: 'funding',
        venue: venue.id,
        intervalHours: inferIntervalHours(rows, venue.funding!.intervalHours),
        points,
      };
      break;
  }
  const lastT = rows[rows.length - 1][0];
  notices.push(...ctx.takeStoreNotices());
  return {
    series,
    firstAvailable,
    covered: { from: rows[0][0], to: end },
    openBarTime: !isFunding && lastT >= openStart ? openStart : undefined,
    fetchedTimeframe: tf,
    symbol: market.symbol,
    notices: [...new Set(notices)],
  };
}
