/**
 * fetchBundle: every series of an asset over all (or the chosen) venues, fetched concurrently with per-series failure
 * isolation: a series that fails is left out, with a notice naming the venue and a readable reason; the rest go on.
 * A cancelled call (its signal aborted) rejects with an AbortedError and is no venue's failure.
 * A series that cannot exist for the range (before the venue's first data, current-only OI for a past range) is "not
 * applicable": an info notice, not a failure. Progress is reported as each series starts and as it ends. Every notice
 * and reason has URL userinfo hidden (redact.ts).
 */
import { BtcFlowInputError } from '../core/errors';
import { parseTimeframe } from '../core/timeframe';
import { SERIES_KINDS, type Bundle, type Series, type SeriesKind, type Timeframe } from '../core/types';
import { ExchangeContext } from './context';
import { VenueError } from './errors';
import { isAborted } from './abort';
import { fetchSeries, SeriesResult } from './fetchSeries';
import { redactText } from './redact';
import { DEFAULT_FX_VENUE, DEFAULT_VENUES, earliestFirstDataMs, getVenue, VENUES, venueKinds } from './registry';

export interface BundleRequest {
  asset: string;
  timeframe: Timeframe;
  from: number;
  to: number;
  /** Venue ids (default: every registry venue). */
  venues?: string[];
  /** Kinds to fetch (default: all). */
  kinds?: SeriesKind[];
  /** Venues to try, in order, for the USDT/USD reference (default kraken, then coinbase). */
  fxVenues?: string[];
}

export interface VenueNotice {
  venue: string;
  kind?: SeriesKind;
  level: 'error' | 'warning' | 'info';
  message: string;
}

export interface SeriesCoverageInfo {
  venue: string;
  kind: SeriesKind;
  symbol: string;
  from: number;
  to: number;
  points: number;
  firstAvailable?: number;
  openBarTime?: number;
  fetchedTimeframe: string;
}

export interface BundleProgress {
  /** `start`: the series' fetch begins; `end`: it is over (see `status`). */
  phase: 'start' | 'end';
  /** Series finished so far (an fx attempt that a fallback venue replaces is not counted). */
  done: number;
  total: number;
  venue: string;
  kind: SeriesKind;
  /** True for `ok` (and for `start`). */
  ok: boolean;
  /** The series fetched (when ok), for callers that show partial results while the rest loads. */
  result?: SeriesResult;
  /**
   * `started` (phase start); `ok`; `failed`; `notApplicable` (no data can exist for the range, not a failure);
   * `fallback` (an fx venue failed and the next one is tried).
   */
  status: 'started' | 'ok' | 'failed' | 'notApplicable' | 'fallback';
}

export interface BundleResult {
  bundle: Bundle;
  notices: VenueNotice[];
  coverage: SeriesCoverageInfo[];
  /** Series that failed, with the reason. */
  failed: Array<{ venue: string; kind: SeriesKind; reason: string }>;
  /** Series that cannot exist for the range (before the venue's first data, current-only OI), with the reason. */
  notApplicable: Array<{ venue: string; kind: SeriesKind; reason: string }>;
}

const KIND_ORDER: SeriesKind[] = ['spot', 'perp', 'openInterest', 'funding', 'fx'];

export async function fetchBundle(
  req: BundleRequest,
  ctx: ExchangeContext,
  onProgress?: (p: BundleProgress) => void,
  signal?: AbortSignal
): Promise<BundleResult> {
  parseTimeframe(req.timeframe);
  const venues = [...new Set((req.venues ?? DEFAULT_VENUES).map((id, i) => getVenue(id, `venues[${i}]`)))];
  const kinds = req.kinds ?? [...SERIES_KINDS];
  kinds.forEach((k, i) => {
    if (!(SERIES_KINDS as readonly string[]).includes(k)) {
      throw new BtcFlowInputError(
        `kinds[${i}]`,
        `kinds[${i}]: unknown kind ${JSON.stringify(k)}; allowed: ${SERIES_KINDS.join(', ')}`
      );
    }
  });
  const fxVenues = (
    req.fxVenues ?? [DEFAULT_FX_VENUE, ...VENUES.filter((v) => v.fx && v.id !== DEFAULT_FX_VENUE).map((v) => v.id)]
  ).map((id, i) => getVenue(id, `fxVenues[${i}]`));

  const tasks: Array<{ venue: string; kind: SeriesKind }> = [];
  for (const v of venues) {
    for (const k of KIND_ORDER) {
      if (k !== 'fx' && kinds.includes(k) && venueKinds(v).includes(k)) {
        tasks.push({ venue: v.id, kind: k });
      }
    }
  }
  const wantFx = kinds.includes('fx') && req.asset !== 'USDT';
  const total = tasks.length + (wantFx ? 1 : 0);
  let done = 0;
  const notices: VenueNotice[] = [];
  const failed: BundleResult['failed'] = [];
  const notApplicable: BundleResult['notApplicable'] = [];

  // a range that starts before every chosen venue's first data: said once (each series also says where it starts)
  const earliest = earliestFirstDataMs(venues, kinds);
  if (Number.isFinite(earliest) && req.from < earliest && req.to > earliest) {
    notices.push({
      venue: '*',
      level: 'info',
      message: `the range starts ${new Date(req.from).toISOString().slice(0, 10)}, before the first data of every chosen venue (${new Date(earliest).toISOString().slice(0, 10)}): nothing is asked before each venue's first data`,
    });
  }

  /** `final` = false for an fx attempt that a fallback venue may still replace (progress counts the fx series once). */
  const run = async (venue: string, kind: SeriesKind, final = true): Promise<SeriesResult | undefined> => {
    onProgress?.({ phase: 'start', done, total, venue, kind, ok: true, status: 'started' });
    try {
      const r = await fetchSeries(
        { venue, kind, asset: req.asset, timeframe: req.timeframe, from: req.from, to: req.to },
        ctx,
        signal
      );
      for (const m of r.notices) {
        notices.push({
          venue,
          kind,
          level:
            (r.firstAvailable !== undefined && /starts at|reaches back|latest/.test(m)) || /^cache: /.test(m)
              ? 'warning'
              : 'info',
          message: redactText(m),
        });
      }
      onProgress?.({ phase: 'end', done: ++done, total, venue, kind, ok: true, status: 'ok', result: r });
      return r;
    } catch (e) {
      if (e instanceof BtcFlowInputError || isAborted(e)) {
        throw e;
      }
      // the series ends without data: the last try counts it done, an earlier one hands over to the fallback venue
      const endFailed = (status: 'notApplicable' | 'failed') =>
        onProgress?.({
          phase: 'end',
          done: final ? ++done : done,
          total,
          venue,
          kind,
          ok: false,
          status: final ? status : 'fallback',
        });
      const reason = redactText(
        e instanceof VenueError ? e.message.replace(new RegExp(`^${venue}: `), '') : String((e as Error)?.message ?? e)
      );
      if (e instanceof VenueError && e.kind === 'notApplicable') {
        notApplicable.push({ venue, kind, reason });
        notices.push({ venue, kind, level: 'info', message: `${venue}: ${kind} not applicable: ${reason}` });
        endFailed('notApplicable');
        return undefined;
      }
      failed.push({ venue, kind, reason });
      notices.push({ venue, kind, level: 'error', message: `${venue}: ${kind} left out: ${reason}` });
      endFailed('failed');
      return undefined;
    }
  };

  const fxTask = async (): Promise<SeriesResult | undefined> => {
    for (const [i, v] of fxVenues.entries()) {
      const r = await run(v.id, 'fx', i === fxVenues.length - 1);
      if (r) {
        return r;
      }
    }
    return undefined;
  };

  const [results, fx] = await Promise.all([
    Promise.all(tasks.map((t) => run(t.venue, t.kind))),
    wantFx ? fxTask() : Promise.resolve(undefined),
  ]);
  const ok = [...results, fx].filter((r): r is SeriesResult => r !== undefined);
  const series: Series[] = ok.map((r) => r.series);
  const coverage: SeriesCoverageInfo[] = ok.map((r) => ({
    venue: r.series.venue,
    kind: r.series.kind,
    symbol: r.symbol,
    from: r.covered.from,
    to: r.covered.to,
    points: r.series.points.length,
    firstAvailable: r.firstAvailable,
    openBarTime: r.openBarTime,
    fetchedTimeframe: r.fetchedTimeframe,
  }));
  return { bundle: { asset: req.asset, series }, notices, coverage, failed, notApplicable };
}
