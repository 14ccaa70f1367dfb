/**
 * Range fetchers: one per kind of series and per paging style. Each fetches [start, end) of one market, within the
 * venue's per-request limits, and returns validated rows (time, value[, quote volume]) in the units documented in
 * docs/venues.md. Caching and the open bar are handled by the caller (fetchSeries.ts).
 */
import type { CcxtExchange, CcxtMarket } from './ccxtLoader';
import type { ExchangeContext } from './context';
import { EmptyPayloadError, MalformedPayloadError } from './errors';
import type { Row } from './cache';
import { ohlcvLimit, type FetchTimeframe, type VenueSpec } from './registry';
import type { SeriesKind } from '../core/types';

export const HOUR_MS = 3_600_000;
export const FETCH_TF_MS: Record<FetchTimeframe, number> = { '1h': HOUR_MS, '4h': 4 * HOUR_MS, '1d': 24 * HOUR_MS };

export interface RangeJob {
  ctx: ExchangeContext;
  venue: VenueSpec;
  ex: CcxtExchange;
  market: CcxtMarket;
  tf: FetchTimeframe;
  kind: SeriesKind;
  /** Inclusive start, aligned to the bar grid (funding: any time). */
  start: number;
  /** Exclusive end. */
  end: number;
  now: number;
  /** Cancellation: no page request starts after it aborts (see abort.ts). */
  signal?: AbortSignal;
}

/** One request of a job, with the context's retries and the job's cancellation. */
function callJob<T>(job: RangeJob, what: string, fn: () => Promise<T>): Promise<T> {
  return job.ctx.call(job.venue.id, what, fn, job.signal);
}

export interface RangeResult {
  rows: Row[];
  /** Set when the venue's data starts after `start` (retention or listing). */
  firstAvailable?: number;
  /** Start actually asked after clamping to the venue's retention (rows before it cannot exist). */
  retentionStart?: number;
  notices: string[];
}

/**
 * A market's name in messages: its venue id, or its ccxt symbol where the id is a bare number (Hyperliquid's ids are
 * asset indexes: "0" would name nothing).
 */
export function marketLabel(m: CcxtMarket): string {
  return /^\d+$/.test(String(m.id)) ? m.symbol : m.id;
}

const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z').replace('T00:00Z', '');

function num(x: unknown): number {
  if (typeof x === 'number') {
    return x;
  }
  if (typeof x === 'string' && x.trim() !== '') {
    return Number(x);
  }
  return NaN;
}

function checkRow(venue: string, what: string, t: number, v: number, positive: boolean): void {
  if (!Number.isFinite(t) || !Number.isFinite(v) || (positive ? v <= 0 : false)) {
    throw new MalformedPayloadError(`${what}: unreadable row (time ${String(t)}, value ${String(v)})`);
  }
}

function listOrThrow(x: unknown, what: string): unknown[] {
  if (!Array.isArray(x)) {
    throw new MalformedPayloadError(`${what}: expected a list, got ${x === null ? 'null' : typeof x}`);
  }
  return x;
}

/**
 * Walks [start, end) in windows of at most `limit` rows of `barMs` each. `page(since, n, until)` returns rows; those
 * outside the window are dropped. After a full page that stops short of the window's end (the venue may have capped it)
 * the walk goes on from the last row (+ `step`); if a full page starts well after the window's start, the venue answered from the window's end, so the
 * part before its first row is walked first. A short page completes its window.
 * An empty window is fine before the market's listing and before the first row (it is asked twice to tell "not listed
 * yet" from a broken page), but an empty window after data was seen (or after the listing date) fails the venue: that
 * is a broken answer, not a gap.
 */
export async function windowed(
  job: RangeJob,
  what: string,
  barMs: number,
  limit: number,
  page: (since: number, n: number, until: number) => Promise<Row[]>,
  step = barMs
): Promise<RangeResult> {
  const rows: Row[] = [];
  const listed = typeof job.market.created === 'number' ? job.market.created : undefined;
  // the row spacing in use: the assumed one, narrowed when full pages show denser rows (e.g. a 4h funding interval)
  let bar = barMs;
  const walk = async (from: number, to: number, depth: number): Promise<void> => {
    let cursor = from;
    while (cursor < to) {
      const n = Math.max(1, Math.min(limit, Math.ceil((to - cursor) / bar)));
      const since = cursor;
      const until = Math.min(cursor + n * bar, to) - 1;
      let got = await callJob(job, what, () => page(since, n, until));
      let inWindow = got.filter((r) => r[0] >= since && r[0] <= until);
      if (inWindow.length === 0 && rows.length === 0 && since <= job.now - bar) {
        got = await callJob(job, what, () => page(since, n, until));
        inWindow = got.filter((r) => r[0] >= since && r[0] <= until);
      }
      if (inWindow.length === 0) {
        const afterListing = listed !== undefined && since >= listed;
        // a window of the future, or narrower than one row spacing, may be empty
        const mustHoldRows = since <= job.now - bar && until + 1 - since >= bar;
        if ((rows.length > 0 || afterListing) && mustHoldRows) {
          throw new EmptyPayloadError(`${what}: no rows for ${iso(since)} – ${iso(until + 1)}`);
        }
        cursor = since + n * bar;
        continue;
      }
      const times = [...new Set(inWindow.map((r) => r[0]))].sort((a, b) => a - b);
      const first = times[0];
      const last = times[times.length - 1];
      const full = got.length >= n;
      if (full && times.length > 1) {
        bar = Math.min(bar, Math.max(1, Math.floor((last - first) / (times.length - 1))));
      }
      if (full && first - since >= bar && depth < 20) {
        await walk(since, first, depth + 1); // the venue gave the window's latest rows: fetch the earlier ones
      }
      rows.push(...inWindow);
      // a full page that stops short of the window's end may have been capped: go on after its last row
      const capped = full && last + bar <= until;
      cursor = capped ? Math.max(last + step, since + 1) : Math.max(until + 1, last + step);
    }
  };
  await walk(job.start, job.end, 0);
  if (rows.length === 0) {
    throw new EmptyPayloadError(`${what}: no data between ${iso(job.start)} and ${iso(job.end)}`);
  }
  const first = Math.min(...rows.map((r) => r[0]));
  return { rows, firstAvailable: first > job.start ? first : undefined, notices: [] };
}

/* ---------------------------------------------------------------- candles (spot, perp, fx) */

function candleRows(venue: string, what: string, raw: unknown): Row[] {
  return listOrThrow(raw, what).map((c) => {
    const a = listOrThrow(c, what);
    const t = num(a[0]);
    const close = num(a[4]);
    const vol = num(a[5]);
    checkRow(venue, what, t, close, true);
    // quote volume ≈ base volume × close
    return Number.isFinite(vol) ? ([t, close, vol * close] as Row) : ([t, close] as Row);
  });
}

export async function fetchCandles(job: RangeJob): Promise<RangeResult> {
  const { ex, market, tf, venue } = job;
  const what = `${tf} candles ${marketLabel(market)}`;
  const barMs = FETCH_TF_MS[tf];
  if (venue.ohlcv.mode === 'latest') {
    // kraken: one call returns the latest `limit` candles after `since`, nothing older
    const raw = await callJob(job, what, () => ex.fetchOHLCV(market.symbol, tf, job.start));
    const rows = candleRows(venue.id, what, raw).filter((r) => r[0] >= job.start && r[0] < job.end);
    if (rows.length === 0) {
      throw new EmptyPayloadError(`${what}: no data between ${iso(job.start)} and ${iso(job.end)}`);
    }
    const first = Math.min(...rows.map((r) => r[0]));
    const notices: string[] = [];
    let firstAvailable: number | undefined;
    if (first > job.start) {
      firstAvailable = first;
      notices.push(
        `${venue.id}: serves only its latest ${venue.ohlcv.limit} ${tf} candles; ${job.kind} data starts at ${iso(first)}`
      );
    }
    return { rows, firstAvailable, notices };
  }
  let start = job.start;
  let notices: string[] = [];
  if (venue.ohlcv.retentionBars !== undefined) {
    const edge = Math.floor(job.now / barMs) * barMs - (venue.ohlcv.retentionBars - 1) * barMs;
    if (edge > start) {
      start = edge;
      notices = [
        `${venue.id}: serves only its latest ${venue.ohlcv.retentionBars} ${tf} candles; ${job.kind} data starts at ${iso(edge)}`,
      ];
    }
    if (start >= job.end) {
      throw new EmptyPayloadError(`${what}: the venue keeps only its latest ${venue.ohlcv.retentionBars} candles`);
    }
  }
  const r = await windowed({ ...job, start }, what, barMs, ohlcvLimit(venue, tf), async (since, n, until) =>
    candleRows(venue.id, what, await ex.fetchOHLCV(market.symbol, tf, since, n, { until }))
  );
  const first = Math.min(...r.rows.map((x) => x[0]));
  return { ...r, firstAvailable: first > job.start ? first : undefined, notices };
}

/* ---------------------------------------------------------------- open interest */

/**
 * OI value of one history row in the series unit: base coins for linear contracts (contracts × contract size when the
 * venue counts contracts), USD for inverse contracts (the venue counts USD).
 */
function oiValue(venue: VenueSpec, info: any, what: string): number {
  switch (venue.ccxtId) {
    case 'binanceusdm':
      return num(info?.sumOpenInterest); // base coins
    case 'bybit':
      return num(info?.openInterest); // linear: base coins; inverse: USD (1 USD contracts)
    default:
      throw new MalformedPayloadError(`${what}: no OI reader for ${venue.id}`);
  }
}

function retentionStart(job: RangeJob, barMs: number): number {
  const oi = job.venue.openInterest;
  let start = job.start;
  if (oi?.retentionDays !== undefined) {
    // first whole bar inside the retention window, one bar of margin for the venue's clock
    const edge = Math.ceil((job.now - oi.retentionDays * 86_400_000) / barMs) * barMs + barMs;
    start = Math.max(start, edge);
  }
  if (oi?.retentionRows !== undefined) {
    const edge = Math.floor(job.now / barMs) * barMs - (oi.retentionRows - 1) * barMs;
    start = Math.max(start, edge);
  }
  return start;
}

async function oiHistory(
  job: RangeJob,
  page: (since: number, n: number, until: number) => Promise<Row[]>
): Promise<RangeResult> {
  const { venue, tf } = job;
  const oi = venue.openInterest!;
  const barMs = FETCH_TF_MS[tf];
  const start = retentionStart(job, barMs);
  const notices: string[] = [];
  const what = `${tf} open interest ${marketLabel(job.market)}`;
  if (start >= job.end) {
    throw new EmptyPayloadError(
      `${what}: the venue keeps no OI history for this range (it keeps ${retentionText(venue)})`
    );
  }
  const r = await windowed({ ...job, start }, what, barMs, oi.limit, page);
  const first = Math.min(...r.rows.map((x) => x[0]));
  if (first > job.start) {
    notices.push(
      `${venue.id}: open-interest history reaches back only ${retentionText(venue)}; first available ${iso(first)}`
    );
  }
  return {
    rows: r.rows,
    firstAvailable: first > job.start ? first : undefined,
    retentionStart: start > job.start ? start : undefined,
    notices,
  };
}

export function retentionText(venue: VenueSpec): string {
  const oi = venue.openInterest;
  if (oi?.retentionDays !== undefined) {
    return `${oi.retentionDays} days`;
  }
  if (oi?.retentionRows !== undefined) {
    return `its latest ${oi.retentionRows} rows per period`;
  }
  return 'to listing';
}

export async function fetchOpenInterest(job: RangeJob): Promise<RangeResult> {
  const { venue, ex, market, tf } = job;
  const oi = venue.openInterest!;
  const what = `${tf} open interest ${marketLabel(market)}`;
  const cs = typeof market.contractSize === 'number' && market.contractSize > 0 ? market.contractSize : 1;
  switch (oi.method) {
    case 'unifiedHistory':
      return oiHistory(job, async (since, n, until) => {
        const raw = listOrThrow(await ex.fetchOpenInterestHistory(market.symbol, tf, since, n, { until }), what);
        return raw.map((x: any) => {
          const t = num(x?.timestamp);
          const v = oiValue(venue, x?.info, what);
          checkRow(venue.id, what, t, v, false);
          return [t, v] as Row;
        });
      });
    case 'okxRubik':
      return oiHistory(job, async (since, n, until) => {
        const resp = await ex.publicGetRubikStatContractsOpenInterestHistory({
          instId: market.id,
          period: oi.periods[tf],
          begin: String(since),
          end: String(until),
          limit: String(n),
        });
        const data = listOrThrow(resp?.data, what);
        return data.map((row) => {
          const a = listOrThrow(row, what);
          const t = num(a[0]);
          // a = [ts, oi (contracts), oiCcy (base), oiUsd]: contracts × contract size = base coins
          const v = num(a[1]) * cs;
          checkRow(venue.id, what, t, v, false);
          return [t, v] as Row;
        });
      });
    case 'krakenAnalytics':
      return oiHistory(job, async (since, n, until) => {
        const resp = await ex.fetch2('analytics/{symbol}/open-interest', 'charts', 'GET', {
          symbol: market.id,
          version: 'v1',
          since: Math.floor(since / 1000),
          to: Math.floor(until / 1000),
          interval: oi.periods[tf],
        });
        return krakenAnalyticsRows(resp, what, cs, venue.id);
      });
    case 'current': {
      const r = await callJob(job, `current open interest ${marketLabel(market)}`, () =>
        ex.fetchOpenInterest(market.symbol)
      );
      const info = r?.info ?? {};
      let v: number;
      if (venue.ccxtId === 'deribit') {
        v = num(info.open_interest ?? r?.openInterestValue); // USD (inverse)
      } else if (venue.ccxtId === 'hyperliquid') {
        v = num(r?.openInterestAmount ?? info.openInterest); // base coins
      } else {
        v = num(r?.openInterestAmount) * (venue.ccxtId === 'bitget' ? 1 : cs); // bitget: size in base coins
      }
      const barMs = FETCH_TF_MS[tf];
      const t = Math.floor(job.now / barMs) * barMs;
      checkRow(venue.id, what, t, v, false);
      return {
        rows: [[t, v]],
        firstAvailable: t > job.start ? t : undefined,
        notices: [`${venue.id}: only the current open interest is public (one point in the open bar)`],
      };
    }
  }
}

/** Kraken Futures analytics: {result: {timestamp: [s...], data: [...]}}; a data item is a number or [open, high, low, close]. */
export function krakenAnalyticsRows(resp: any, what: string, cs: number, venue: string): Row[] {
  const result = resp?.result ?? resp;
  const ts = listOrThrow(result?.timestamp, what);
  const data = listOrThrow(result?.data, what);
  if (ts.length !== data.length) {
    throw new MalformedPayloadError(`${what}: ${ts.length} timestamps for ${data.length} values`);
  }
  return ts.map((s, i) => {
    const d = data[i];
    const raw = Array.isArray(d)
      ? num(d[d.length - 1])
      : d && typeof d === 'object'
        ? num((d as any).close ?? (d as any).value)
        : num(d);
    const t = num(s) * 1000;
    const v = raw * cs;
    checkRow(venue, what, t, v, false);
    return [t, v] as Row;
  });
}

/* ---------------------------------------------------------------- funding */

function fundingRowsFrom(venue: VenueSpec, raw: unknown, what: string): Row[] {
  return listOrThrow(raw, what).map((x: any) => {
    const t = num(x?.timestamp); // raw time: paging continues from it; finish() rounds
    let v = num(x?.fundingRate);
    if (venue.ccxtId === 'deribit') {
      // ccxt reads interest_8h; the hourly realised rate is interest_1h
      const h = num(x?.info?.interest_1h);
      v = Number.isFinite(h) ? h : v / 8;
    }
    checkRow(venue.id, what, t, v, false);
    return [t, v] as Row;
  });
}

export async function fetchFunding(job: RangeJob): Promise<RangeResult> {
  const { venue, ex, market } = job;
  const f = venue.funding!;
  const what = `funding history ${marketLabel(market)}`;
  const notices: string[] = [];
  let start = job.start;
  if (f.retentionDays !== undefined) {
    const edge = job.now - f.retentionDays * 86_400_000;
    if (edge > start) {
      start = edge;
    }
  }
  const expectData = job.end - start > f.intervalHours * HOUR_MS; // a range shorter than one interval may be empty
  const finish = (raw: Row[], retention?: number): RangeResult => {
    // settlement times can carry ms of jitter (hyperliquid): rounded to the minute
    const rows = raw.map((r) => [Math.round(r[0] / 60_000) * 60_000, r[1]] as Row);
    const kept = rows.filter((r) => r[0] >= start && r[0] < job.end);
    if (kept.length === 0 && expectData) {
      throw new EmptyPayloadError(`${what}: no funding points between ${iso(start)} and ${iso(job.end)}`);
    }
    const first = kept.length ? Math.min(...kept.map((r) => r[0])) : undefined;
    const firstAvailable = first !== undefined && first > job.start + f.intervalHours * HOUR_MS ? first : undefined;
    if (firstAvailable !== undefined && retention !== undefined) {
      notices.push(
        `${venue.id}: funding history reaches back only about ${retention} days; first available ${iso(firstAvailable)}`
      );
    }
    return { rows: kept, firstAvailable, retentionStart: start > job.start ? start : undefined, notices };
  };

  switch (f.method) {
    case 'window': {
      const periodMs = f.intervalHours * HOUR_MS;
      if (!expectData) {
        const raw = await callJob(job, what, () =>
          ex.fetchFundingRateHistory(market.symbol, start, f.limit, { until: job.end - 1 })
        );
        return finish(fundingRowsFrom(venue, raw, what));
      }
      const r = await windowed(
        { ...job, start },
        what,
        periodMs,
        f.limit,
        async (since, n, until) =>
          fundingRowsFrom(venue, await ex.fetchFundingRateHistory(market.symbol, since, n, { until }), what),
        1
      );
      return finish(r.rows, f.retentionDays);
    }
    case 'okxBackward': {
      // newest first; `after` = only rows older than it
      const rows: Row[] = [];
      let after = job.end;
      for (;;) {
        const raw = await callJob(job, what, () =>
          ex.fetchFundingRateHistory(market.symbol, undefined, f.limit, { after: String(after) })
        );
        const page = fundingRowsFrom(venue, raw, what).filter((r) => r[0] < after);
        if (page.length === 0) {
          break; // the venue keeps nothing older (finish() reports where the data starts)
        }
        rows.push(...page);
        const oldest = Math.min(...page.map((r) => r[0]));
        if (oldest <= start) {
          break;
        }
        after = oldest; // a short page (rows missing) does not end the walk: only reaching `start` or an empty page does
      }
      return finish(rows, f.retentionDays);
    }
    case 'bitgetPages': {
      // newest first, page numbers, no time filter: read pages until one reaches `start`
      const rows: Row[] = [];
      for (let pageNo = 1; pageNo < 1000; pageNo++) {
        const raw = await callJob(job, what, () =>
          ex.fetchFundingRateHistory(market.symbol, undefined, f.limit, { pageNo })
        );
        const page = fundingRowsFrom(venue, raw, what);
        if (page.length === 0) {
          break; // end of the history (page 1 empty while data is expected: finish() fails the series)
        }
        rows.push(...page);
        const oldest = Math.min(...page.map((r) => r[0]));
        if (oldest <= start) {
          break;
        }
      }
      return finish(rows);
    }
    case 'allAtOnce': {
      const raw = await callJob(job, what, () => ex.fetchFundingRateHistory(market.symbol));
      return finish(fundingRowsFrom(venue, raw, what));
    }
  }
}

/** Settlement interval in hours from the usual spacing of the points (1, 2, 4 or 8), or the registry's value. */
export function inferIntervalHours(rows: Row[], fallback: number): number {
  if (rows.length < 3) {
    return fallback;
  }
  const t = rows.map((r) => r[0]).sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < t.length; i++) {
    gaps.push(t[i] - t[i - 1]);
  }
  gaps.sort((a, b) => a - b);
  const med = gaps[Math.floor(gaps.length / 2)] / HOUR_MS;
  const allowed = [1, 2, 4, 8];
  const best = allowed.reduce((b, h) => (Math.abs(h - med) < Math.abs(b - med) ? h : b), fallback);
  return Math.abs(best - med) < 0.25 * best ? best : fallback;
}
