/**
 * Reading a target's bundle from the recorder (recorder/ in this repository) instead of the exchanges.
 *
 * When the data source has a Recorder URL, a query's series come from `GET <recorder>/api/v1/bundle` (through
 * Grafana's `recorder` route, which adds the token server-side), and only the bars after the recorder's last closed
 * bar of each series are fetched live through the exchange layer. Series the recorder does not hold are fetched live
 * in full. If the recorder does not answer, or answers an error or a malformed bundle, the whole target is fetched
 * live, with a notice. What came from where is returned as a `BarSource`, which the frames carry in `meta.custom`.
 *
 * Grafana-free (plain `fetch`, src/core, src/exchanges), so it runs in jest, in the browser harness and in Node.
 * Nothing here knows the recorder's code: only its documented HTTP API (docs/recorder.md).
 */
import { BtcFlowInputError } from '../core/errors';
import { validateBundle } from '../core/validate';
import type { Bundle, Point, Series, SeriesKind, Timeframe } from '../core/types';
import {
  AbortedError,
  ExchangeContext,
  fetchBundle,
  fetchTimeframeFor,
  isAborted,
  type BundleResult,
  type VenueNotice,
} from '../exchanges';
import { FETCH_TF_MS } from '../exchanges/fetchers';
import { DEFAULT_FX_VENUE, VENUES, getVenue, venueKinds } from '../exchanges/registry';

/** What a query needs: one entry per series (venue × kind), fx included. */
export interface WantedSeries {
  venue: string;
  kind: SeriesKind;
}

/** Where one series of a target came from. */
export interface SeriesSource {
  venue: string;
  kind: SeriesKind;
  /**
   * `recorder`: every point from the recorder; `recorder+live`: the recorder's points before `liveFrom`, live ones
   * from it on; `live`: the recorder holds none of it in the range, fetched live in full.
   */
  from: 'recorder' | 'recorder+live' | 'live';
  /** First and last recorder point used, UTC ms (absent for `live`). */
  recorderFirst?: number;
  recorderLast?: number;
  /** Start of the live part, UTC ms (absent for `recorder`). */
  liveFrom?: number;
}

/** Where a target's bars came from (frame `meta.custom.source`; documented in docs/queries.md). */
export interface BarSource {
  /** The Recorder URL as configured (what the route forwards to). */
  recorder: string;
  /** `recorder`: the recorder answered (with or without live tails); `live`: it did not, everything is live. */
  mode: 'recorder' | 'live';
  /** Why the recorder was not used (mode `live`). */
  fallbackReason?: string;
  /**
   * Bars starting before this time come from the recorder alone; from it on they include live points. The earliest
   * `liveFrom` of the series read from the recorder; null when nothing was fetched live after the recorder's data.
   */
  splitTime: number | null;
  series: SeriesSource[];
}

export interface SourcedBundleResult extends BundleResult {
  source?: BarSource;
}

export interface RecorderOptions {
  /** The API root the requests go to: `<datasource url>/recorder` (Grafana's route), or the recorder itself in Node. */
  apiRoot: string;
  /** The configured Recorder URL, for messages. */
  label: string;
  /** Timeout of the bundle request, ms. */
  timeoutMs: number;
  /** How long an answer is reused by other panels asking the same, ms (default 15000). */
  reuseMs?: number;
  /** `fetch` to use (default the global one). */
  fetch?: typeof fetch;
}

/**
 * Checks a Recorder URL where it is used: `http(s)://host[:port][/path]`, no user:password@, no query or fragment.
 * Returns it without trailing slashes. Throws a BtcFlowInputError naming `recorderUrl` and the allowed form.
 */
export function validateRecorderUrl(raw: unknown): string {
  const allowed = 'allowed: http(s)://host[:port][/path], without user:password@, query or fragment';
  const text = typeof raw === 'string' ? raw.trim() : '';
  const bad = (why: string): never => {
    // never echo a password back: the userinfo is replaced before the value is quoted
    const shown = typeof raw === 'string' ? raw.replace(/\/\/[^/@\s]*@/, '//***@') : String(raw);
    throw new BtcFlowInputError('recorderUrl', `recorderUrl: ${why} ${JSON.stringify(shown)}; ${allowed}`);
  };
  if (!text || /\s/.test(text)) {
    bad('bad value');
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return bad('not a URL:');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    bad(`scheme ${u.protocol.replace(/:$/, '')} not allowed in`);
  }
  if (u.username || u.password || /^https?:\/\/[^/]*@/i.test(text)) {
    bad('credentials (user:password@) not allowed in');
  }
  if (!u.hostname) {
    bad('no host in');
  }
  if (u.search || u.hash || /[?#]/.test(text)) {
    bad('query or fragment not allowed in');
  }
  return text.replace(/\/+$/, '');
}

/** A recorder failure: the reason is shown in the fallback notice. */
export class RecorderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecorderError';
    Object.setPrototypeOf(this, RecorderError.prototype);
  }
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A live tail that found nothing after the recorder's last point (not a failure). */
const NOTHING_NEW = /no data between|is in the future/;

const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z').replace('T00:00Z', '');

/** Fetch timeframe grid of a series (the exchange layer's: 3d, 1w, 1M are read as 1d); 0 for funding (no grid). */
function gridMs(s: WantedSeries, tf: Timeframe): number {
  if (s.kind === 'funding') {
    return 0;
  }
  return FETCH_TF_MS[fetchTimeframeFor(getVenue(s.venue), s.kind, tf)];
}

/** The fx venues in the order the exchange layer tries them (kraken, then the others). */
export function fxVenueOrder(): string[] {
  return [DEFAULT_FX_VENUE, ...VENUES.filter((v) => v.fx && v.id !== DEFAULT_FX_VENUE).map((v) => v.id)];
}

/**
 * The series a query needs: each kind from the venues of its basket that serve it, plus the USDT/USD reference
 * (one series; the first fx venue the recorder holds, else live in the exchange layer's order).
 */
export function wantedSeries(
  byKind: Partial<Record<Exclude<SeriesKind, 'fx'>, string[]>>,
  withFx: boolean
): WantedSeries[] {
  const out: WantedSeries[] = [];
  for (const kind of ['spot', 'perp', 'openInterest', 'funding'] as const) {
    for (const venue of byKind[kind] ?? []) {
      if (venueKinds(getVenue(venue)).includes(kind)) {
        out.push({ venue, kind });
      }
    }
  }
  if (withFx) {
    out.push({ venue: '*', kind: 'fx' });
  }
  return out;
}

interface Cached {
  at: number;
  promise: Promise<Bundle>;
}

export class RecorderSource {
  readonly options: Required<Omit<RecorderOptions, 'fetch'>> & { fetch?: typeof fetch };
  private readonly answers = new Map<string, Cached>();

  constructor(options: RecorderOptions) {
    this.options = { reuseMs: 15_000, ...options };
  }

  /** `GET /api/v1/bundle` URL for a request (venues sorted, so equal requests share one answer). */
  bundleUrl(req: { asset: string; timeframe: Timeframe; from: number; to: number; venues: string[] }): string {
    const q = new URLSearchParams({
      asset: req.asset,
      timeframe: req.timeframe,
      from: String(req.from),
      to: String(req.to),
    });
    if (req.venues.length) {
      q.set('venues', [...new Set(req.venues)].sort().join(','));
    }
    return `${this.options.apiRoot.replace(/\/+$/, '')}/api/v1/bundle?${q.toString()}`;
  }

  /**
   * The recorder's bundle for a request: every kind of the given venues. Panels asking the same while a request is in
   * flight (or within `reuseMs` after) share its answer. Throws a RecorderError with a readable reason.
   */
  bundle(req: { asset: string; timeframe: Timeframe; from: number; to: number; venues: string[] }): Promise<Bundle> {
    const url = this.bundleUrl(req);
    const now = Date.now();
    for (const [k, c] of this.answers) {
      if (now - c.at > this.options.reuseMs) {
        this.answers.delete(k);
      }
    }
    const hit = this.answers.get(url);
    if (hit) {
      return hit.promise;
    }
    const promise = this.get(url);
    this.answers.set(url, { at: now, promise });
    promise.catch(() => this.answers.delete(url));
    return promise;
  }

  /**
   * `GET /api/v1/health` (for Save & test): how many venues the recorder holds and the age of its freshest point,
   * in seconds. Throws a RecorderError with a readable reason.
   */
  async health(): Promise<{ venues: number; freshestAgeSeconds: number | null }> {
    const json = await this.getJson(`${this.options.apiRoot.replace(/\/+$/, '')}/api/v1/health`);
    const venues = (json as { venues?: Record<string, { ageSeconds?: unknown }> })?.venues ?? {};
    const ages = Object.values(venues)
      .map((v) => v?.ageSeconds)
      .filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
    return { venues: Object.keys(venues).length, freshestAgeSeconds: ages.length ? Math.min(...ages) : null };
  }

  private async get(url: string): Promise<Bundle> {
    const json = await this.getJson(url);
    try {
      // an empty series is "nothing stored in the range": dropped here, fetched live like a missing one
      if (json && typeof json === 'object' && Array.isArray((json as { series?: unknown }).series)) {
        const b = json as { series: Array<{ points?: unknown }> };
        b.series = b.series.filter((s) => !(s && Array.isArray(s.points) && s.points.length === 0));
      }
      return validateBundle(json);
    } catch (e) {
      throw new RecorderError(`malformed bundle: ${(e as Error).message}`);
    }
  }

  private async getJson(url: string): Promise<unknown> {
    const doFetch = this.options.fetch ?? fetch;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.options.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method: 'GET', headers: { Accept: 'application/json' }, signal: abort.signal });
      text = await res.text();
    } catch (e) {
      if (abort.signal.aborted) {
        throw new RecorderError(`no answer within ${Math.round(this.options.timeoutMs / 100) / 10} s`);
      }
      throw new RecorderError(`unreachable (${(e as Error)?.message ?? String(e)})`);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      let detail = '';
      try {
        const body = JSON.parse(text) as { error?: unknown; message?: unknown };
        const m = body.error ?? body.message;
        detail = typeof m === 'string' ? m : m !== undefined ? JSON.stringify(m) : '';
      } catch {
        detail = text.replace(/\s+/g, ' ').slice(0, 160);
      }
      const hint =
        res.status === 401 || res.status === 403
          ? ' (the recorder wants a token: set "Recorder token" in the data source settings)'
          : res.status === 502 || res.status === 504
            ? ' (Grafana could not reach the Recorder URL)'
            : '';
      throw new RecorderError(`HTTP ${res.status}${detail ? `: ${detail}` : ''}${hint}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RecorderError('the answer is not JSON');
    }
  }

  /**
   * The bundle of a target: the recorder's series for the range, each completed by the live bars after its last
   * closed bar; series the recorder lacks fetched live in full; everything live (with a notice) when the recorder
   * fails. `live()` is the plain live fetch of the whole target (the fallback).
   */
  async fetch(
    ctx: ExchangeContext,
    req: { asset: string; timeframe: Timeframe; from: number; to: number },
    wanted: WantedSeries[],
    /** Every venue the data source may ask for (the recorder request is shared by all panels). */
    allVenues: string[],
    live: () => Promise<BundleResult>,
    /** The caller leaving: it stops waiting (AbortedError); the shared recorder request goes on for the others. */
    signal?: AbortSignal,
    /** Called with the recorder's part alone when live bars are still to come (see `complete`). */
    onRecorded?: (r: SourcedBundleResult) => void
  ): Promise<SourcedBundleResult> {
    let recorded: Bundle;
    try {
      // one day past `to`: a stored point beyond the range end shows that the recorder covers the whole range
      recorded = await untilAborted(
        this.bundle({ ...req, to: req.to + DAY_MS, venues: [...allVenues, ...fxVenueOrder()] }),
        signal
      );
      if (recorded.asset.toUpperCase() !== req.asset.toUpperCase()) {
        throw new RecorderError(`answered for asset ${recorded.asset}, not ${req.asset}`);
      }
    } catch (e) {
      if (isAborted(e)) {
        throw e;
      }
      const reason = e instanceof RecorderError ? e.message : String((e as Error)?.message ?? e);
      const r = await live();
      return {
        ...r,
        source: { recorder: this.options.label, mode: 'live', fallbackReason: reason, splitTime: null, series: [] },
      };
    }
    return this.complete(ctx, req, wanted, recorded, signal, onRecorded);
  }

  /**
   * Clips the recorder's series to the range and closed bars, and fetches what is missing live. When something is
   * fetched live, `onRecorded` first gets the recorder's part alone (its series up to their last closed bar; the
   * series it lacks absent), so that panels can draw the stored history while the exchanges answer.
   */
  async complete(
    ctx: ExchangeContext,
    req: { asset: string; timeframe: Timeframe; from: number; to: number },
    wanted: WantedSeries[],
    recorded: Bundle,
    signal?: AbortSignal,
    onRecorded?: (r: SourcedBundleResult) => void
  ): Promise<SourcedBundleResult> {
    const now = ctx.now();
    const byKey = new Map(recorded.series.map((s) => [`${s.venue}|${s.kind}`, s]));
    const fxOrder = fxVenueOrder();
    const series: Series[] = [];
    const notices: VenueNotice[] = [];
    const coverage: BundleResult['coverage'] = [];
    const failed: BundleResult['failed'] = [];
    const notApplicable: BundleResult['notApplicable'] = [];
    const sources: SeriesSource[] = [];
    const jobs: Array<Promise<void>> = [];
    /** The recorder's part of the series completed live (for `onRecorded`). */
    const storedParts: Series[] = [];

    for (const w of wanted) {
      const rec =
        w.kind === 'fx'
          ? fxOrder.map((v) => byKey.get(`${v}|fx`)).find((s): s is Series => s !== undefined)
          : byKey.get(`${w.venue}|${w.kind}`);
      const target: WantedSeries = w.kind === 'fx' ? { venue: rec?.venue ?? fxOrder[0], kind: 'fx' } : w;
      const bar = gridMs(target, req.timeframe);
      // the range the live exchange layer would return: whole bars from the one containing `from` up to and
      // including the one containing `to` (never past the open bar); funding points from `from` to `to`, settled
      const start = bar ? Math.floor(req.from / bar) * bar : req.from;
      const openStart = bar ? Math.floor(now / bar) * bar : now + 1;
      const end = bar ? Math.min(Math.ceil(req.to / bar) * bar, openStart + bar) : Math.min(req.to, now + 1);
      // closed bars only: the open bar (and anything later) always comes live, as in the exchange layer
      const closedEnd = bar ? Math.min(end, openStart) : end;
      const clip = (pts: Point[] | undefined) => pts?.filter((p) => p[0] >= start && p[0] < closedEnd);
      const points = rec ? clip(rec.points)! : [];

      if (!rec || points.length === 0) {
        // nothing stored in the range: the whole series live
        jobs.push(
          this.liveSeries(ctx, req, target, w.kind === 'fx', req.from, req.to, signal).then((r) => {
            notices.push(...r.notices);
            failed.push(...r.failed);
            notApplicable.push(...r.notApplicable);
            coverage.push(...r.coverage);
            if (r.series) {
              series.push(r.series);
              sources.push({ venue: r.series.venue, kind: w.kind, from: 'live', liveFrom: r.series.points[0]?.[0] });
            }
          })
        );
        continue;
      }
      const last = points[points.length - 1][0];
      // the next bar of the grid after the recorder's last closed one (funding: just after its last settlement)
      let liveFrom = bar ? Math.floor(last / bar) * bar + bar : last + 1;
      // nothing to fetch when the recorder holds a closed point past the range, or (funding) when the next
      // settlement is not due before the range ends
      const beyond = rec.points.some((p) => p[0] >= end && p[0] < (bar ? openStart : now + 1));
      // (settlement times carry a few ms of calculation delay: the last one counts from its whole minute, so the
      // next one, due exactly at the range end, is outside the range and not asked for)
      const nextDue =
        rec.kind === 'funding' ? Math.floor(last / MINUTE_MS) * MINUTE_MS + rec.intervalHours * HOUR_MS : liveFrom;
      if (beyond || nextDue >= end) {
        liveFrom = end;
      }
      const volumes = clip(rec.volumes);
      const stored: Series = { ...rec, points, ...(volumes ? { volumes } : {}) };
      if (!volumes) {
        delete (stored as { volumes?: Point[] }).volumes;
      }
      const src: SeriesSource = {
        venue: rec.venue,
        kind: rec.kind,
        from: 'recorder',
        recorderFirst: points[0][0],
        recorderLast: last,
      };
      sources.push(src);
      coverage.push({
        venue: rec.venue,
        kind: rec.kind,
        symbol: '',
        from: points[0][0],
        to: liveFrom,
        points: points.length,
        fetchedTimeframe: fetchTimeframeFor(getVenue(rec.venue), rec.kind, req.timeframe),
      });
      if (bar && points[0][0] > start + bar && w.kind !== 'fx') {
        notices.push({
          venue: rec.venue,
          kind: rec.kind,
          level: 'warning',
          message: `${rec.venue}: ${rec.kind} history in the recorder starts at ${iso(points[0][0])}`,
        });
      }
      if (liveFrom >= end) {
        series.push(stored);
        continue;
      }
      // the live tail: bars after the recorder's last closed bar
      storedParts.push(stored);
      src.from = 'recorder+live';
      src.liveFrom = liveFrom;
      jobs.push(
        this.liveSeries(ctx, req, { venue: rec.venue, kind: rec.kind }, false, liveFrom, req.to, signal).then((r) => {
          // a failed tail leaves the recorder's part standing; the failure is said, with the time it starts. "No
          // data" after the last stored point is not a failure (e.g. no funding settled since), just nothing new.
          const real = r.failed.filter((f) => !NOTHING_NEW.test(f.reason));
          for (const n of r.notices.filter((x) => x.level === 'error' && !NOTHING_NEW.test(x.message))) {
            notices.push({
              ...n,
              message: `${n.message} (live bars from ${iso(liveFrom)}; the recorder's earlier bars are used)`,
            });
          }
          failed.push(...real);
          const tail = r.series;
          const fresh = tail?.points.filter((p) => p[0] >= liveFrom) ?? [];
          if (!tail || fresh.length === 0) {
            // nothing after the recorder's last point (e.g. no funding settled since): the recorder's series alone
            src.from = 'recorder';
            delete src.liveFrom;
            series.push(stored);
            return;
          }
          // where the live points start (funding: the first settlement after the stored ones)
          src.liveFrom = fresh[0][0];
          const merged: Series = { ...stored, points: [...points, ...fresh] };
          if (volumes && tail.volumes) {
            merged.volumes = [...volumes, ...tail.volumes.filter((p) => p[0] >= liveFrom)];
          } else {
            delete (merged as { volumes?: Point[] }).volumes;
          }
          series.push(merged);
        })
      );
    }
    // the order of a live fetch (kinds in bundle order, venues in the order asked), so results do not depend on timing
    const rank = new Map(wanted.map((w, i) => [`${w.venue}|${w.kind}`, i]));
    const order = (s: { venue: string; kind: SeriesKind }) =>
      rank.get(s.kind === 'fx' ? '*|fx' : `${s.venue}|${s.kind}`) ?? 1e9;
    if (onRecorded && jobs.length) {
      // every series that is in the recorder, as stored (the live-only ones still to come): called before any live
      // answer can have arrived (the jobs' callbacks run later), so `series` holds the recorder-only series alone
      onRecorded({
        bundle: { asset: req.asset, series: [...series, ...storedParts].sort((a, b) => order(a) - order(b)) },
        notices: [...notices],
        coverage: [...coverage],
        failed: [],
        notApplicable: [],
        source: {
          recorder: this.options.label,
          mode: 'recorder',
          splitTime: null,
          series: sources
            .map(({ liveFrom: _live, ...x }) => ({ ...x, from: 'recorder' as const }))
            .sort((a, b) => order(a) - order(b)),
        },
      });
    }
    await Promise.all(jobs);

    series.sort((a, b) => order(a) - order(b));
    sources.sort((a, b) => order(a) - order(b));
    const liveFroms = sources.filter((s) => s.from === 'recorder+live').map((s) => s.liveFrom!);
    return {
      bundle: { asset: req.asset, series },
      notices,
      coverage,
      failed,
      notApplicable,
      source: {
        recorder: this.options.label,
        mode: 'recorder',
        splitTime: liveFroms.length ? Math.min(...liveFroms) : null,
        series: sources,
      },
    };
  }

  /** One series live through the exchange layer (fx: in the exchange layer's venue order). */
  private async liveSeries(
    ctx: ExchangeContext,
    req: { asset: string; timeframe: Timeframe },
    w: WantedSeries,
    anyFx: boolean,
    from: number,
    to: number,
    signal?: AbortSignal
  ): Promise<BundleResult & { series?: Series }> {
    if (from >= to) {
      return { bundle: { asset: req.asset, series: [] }, notices: [], coverage: [], failed: [], notApplicable: [] };
    }
    const r =
      w.kind === 'fx'
        ? await fetchBundle(
            {
              asset: req.asset,
              timeframe: req.timeframe,
              from,
              to,
              venues: [],
              kinds: ['fx'],
              ...(anyFx ? {} : { fxVenues: [w.venue] }),
            },
            ctx,
            undefined,
            signal
          )
        : await fetchBundle(
            { asset: req.asset, timeframe: req.timeframe, from, to, venues: [w.venue], kinds: [w.kind] },
            ctx,
            undefined,
            signal
          );
    return { ...r, series: r.bundle.series[0] };
  }
}

/** Waits for `p` unless `signal` aborts first (then rejects with an AbortedError; `p` itself goes on). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return p;
  }
  if (signal.aborted) {
    return Promise.reject(new AbortedError('recorder request'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError('recorder request'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      }
    );
  });
}

/** The notices a target's frames get about where the bars came from. */
export function sourceNotices(source: BarSource | undefined): Array<{ severity: 'info' | 'warning'; text: string }> {
  if (!source) {
    return [];
  }
  if (source.mode === 'live') {
    return [
      {
        severity: 'warning',
        text: `Recorder ${source.recorder} not used (${source.fallbackReason}); every series was fetched live from the exchanges`,
      },
    ];
  }
  const liveOnly = source.series.filter((s) => s.from === 'live').map((s) => `${s.venue} ${s.kind}`);
  const stored = source.series.length - liveOnly.length;
  let text =
    source.splitTime === null
      ? `All ${stored} stored series from the recorder`
      : `Bars before ${iso(source.splitTime)} from the recorder (${stored} series); later bars fetched live`;
  if (liveOnly.length) {
    text += `; not in the recorder, fetched live in full: ${liveOnly.join(', ')}`;
  }
  return [{ severity: 'info', text }];
}

/** Checked settings → a RecorderSource, or undefined when no Recorder URL is set. Throws on an invalid URL. */
export function recorderFromSettings(
  settings: { recorderUrl?: string; requestTimeoutMs?: number },
  apiRoot: string,
  defaults: { timeoutMs: number; fetch?: typeof fetch }
): RecorderSource | undefined {
  if (settings.recorderUrl === undefined || settings.recorderUrl.trim() === '') {
    return undefined;
  }
  const label = validateRecorderUrl(settings.recorderUrl);
  return new RecorderSource({
    apiRoot,
    label,
    timeoutMs: settings.requestTimeoutMs ?? defaults.timeoutMs,
    fetch: defaults.fetch,
  });
}
