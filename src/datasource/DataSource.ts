/**
 * The BTC Flow data source: a frontend-only DataSourceApi. Each target is resolved (variables, auto timeframe,
 * warm-up), the exchange layer fetches the bundle through Grafana's data proxy (one shared ExchangeContext per data
 * source instance, so panels share requests through its coalescing and cache), the engine computes bars and events,
 * and frames.ts turns them into frames. Targets in flight at once that need the same bundle (same asset, timeframe,
 * range, venues, kinds and engine options: sharedRunKey) share one fetch and one engine run; only their frames differ. query() is an Observable: partial frames while venues answer, then the
 * final ones; unsubscribing cancels the fetch.
 */
import {
  AnnotationSupport,
  CoreApp,
  DataFrame,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  LoadingState,
  MetricFindValue,
  QueryResultMetaNotice,
  ScopedVars,
  TestDataSourceResponse,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { Observable } from 'rxjs';
import { compute } from '../core/engine';
import { oiMarginByVenue } from '../core/oi';
import { BtcFlowInputError } from '../core/errors';
import type { Bundle, EngineResult, SeriesKind } from '../core/types';
import {
  BarStore,
  barStoreName,
  BaseUrl,
  BundleProgress,
  BundleResult,
  ExchangeContext,
  getVenue,
  MIN_TIMEOUT_MS,
  mirrorUrlProblem,
  redactUrl,
  IndexedDbStore,
  SharedJobs,
} from '../exchanges';
import { AnnotationQueryEditor } from '../components/AnnotationQueryEditor';
import { buildFrames, FrameContext, VisibleResult } from './frames';
import { toNotices, warmupNotices } from './notices';
import { fetchResolved, PlannedSeries, planKinds, plannedSeries, registryDefaults, resolveTarget } from './plan';
import { allConfiguredVenues, configuredVenues, Interpolator, ResolvedQuery, RoleVenues } from './query';
import { proxyBase, recorderBase } from './routes';
import { RecorderSource, recorderFromSettings, sourceNotices, type SourcedBundleResult } from './recorderSource';
import { pingVenue } from './ping';
import { isRunnable } from './validation';
import { BtcFlowVariableSupport } from './variableSupport';
import { runVariableQuery } from './variables';
import {
  BtcFlowAnnotationQuery,
  BtcFlowOptions,
  BtcFlowQuery,
  DEFAULT_ANNOTATION_QUERY,
  DEFAULT_CACHE_MAX_MB,
  MAX_MARKETS_MAX_AGE_HOURS,
  DEFAULT_QUERY,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRIES,
} from './types';

// The fetch plan lives in the Grafana-free plan.ts (shared with browser/reference.ts); re-exported here.
export { fetchByRole, kindsFor, registryDefaults } from './plan';

/** Test seams: where requests go (instead of the data proxy routes) and the clock. */
export interface DataSourceSeams {
  baseUrl?: BaseUrl;
  now?: () => number;
  /** Where recorder requests go (instead of `<datasource url>/recorder`). */
  recorderApiRoot?: string;
  /** The persistent store of closed bars (null: none); default IndexedDB where the browser has it. */
  store?: BarStore | null;
}

/**
 * The browser's store of closed bars for a data source: IndexedDB, one database per uid and mirror URL, capped at
 * `cacheMaxMb` (default 50 MB; 0 turns it off). None where IndexedDB is missing.
 */
export function browserStore(uid: string, settings: BtcFlowOptions): BarStore | undefined {
  const mb = settings.cacheMaxMb ?? DEFAULT_CACHE_MAX_MB;
  if (typeof indexedDB === 'undefined' || !(typeof mb === 'number' && mb > 0)) {
    return undefined;
  }
  return new IndexedDbStore(barStoreName(uid, settings.mirrorUrl), mb * 1024 * 1024);
}

/** The parts of a query request a target run reads. */
export type RunRequest = Pick<DataQueryRequest<BtcFlowQuery>, 'range' | 'intervalMs' | 'scopedVars'>;

export interface RunHooks {
  /** Cancels the run's fetch. */
  signal?: AbortSignal;
  /** Partial frames while venues still load (not called after the run settles). */
  onPartial?: (frames: DataFrame[]) => void;
}

export interface TargetRun {
  resolved: ResolvedQuery;
  fetched: SourcedBundleResult;
  bundle: Bundle;
  result: EngineResult;
  frames: DataFrame[];
}

/** The engine's part of a target run: what targets with the same sharedRunKey share (see DataSource.runTarget). */
export interface EngineRun {
  bundle: Bundle;
  result: EngineResult;
}

/**
 * The key under which targets share one fetch and one engine run: everything the fetch and `compute` read (asset,
 * timeframe, panel range, warm-up start, venues per basket, series kinds, engine options). Two targets with the same
 * key get the same bundle and the same engine result; only their frames (query type, refId, format) differ.
 */
export function sharedRunKey(resolved: ResolvedQuery): string {
  return JSON.stringify([
    resolved.asset,
    resolved.timeframe,
    resolved.from,
    resolved.to,
    resolved.fetchFrom,
    resolved.venues,
    planKinds(resolved),
    resolved.engine,
  ]);
}

/** The engine on a fetched bundle (the shared part of a target run). Throws when no venue answered. */
export function computeEngine(resolved: ResolvedQuery, fetched: SourcedBundleResult): EngineRun {
  const bundle = fetched.bundle;
  if (bundle.series.filter((s) => s.kind !== 'fx').length === 0) {
    const why = fetched.notices.map((n) => n.message).join('; ');
    throw new Error(`No venue answered for ${resolved.asset}${why ? `: ${why}` : ''}`);
  }
  const result = compute(bundle, {
    ...resolved.engine,
    timeframe: resolved.timeframe,
    from: resolved.from,
    to: resolved.to,
  });
  return { bundle, result };
}

/**
 * The frames of a target from an engine run (its own query type, refId and format; the run is only read). `extra`
 * notices go first (the partial frames' "still loading").
 */
export function targetFrames(
  resolved: ResolvedQuery,
  fetched: SourcedBundleResult,
  run: EngineRun,
  refId: string,
  extra: QueryResultMetaNotice[] = []
): DataFrame[] {
  const { bundle, result } = run;
  const visible: VisibleResult = {
    bars: result.bars,
    events: result.events.filter((e) => e.timeEnd > resolved.from && e.time <= resolved.to),
    coverageBars: result.coverage.bars,
  };
  const notices = [
    ...extra,
    ...toNotices(
      fetched.notices.filter((n) => n.level !== 'info').map((n) => n.message),
      // the extreme rule's notes matter only where its output is shown
      result.notices.filter(
        (n) => !/^extreme rule/.test(n) || ['extremes', 'coverage'].includes(resolved.query.queryType)
      )
    ),
    ...warmupNotices(result.bars, resolved.query.queryType, resolved.lookback, resolved.timeframe),
    ...sourceNotices(fetched.source),
  ];
  const ctx: FrameContext = {
    refId,
    notices,
    timeframe: resolved.timeframe,
    source: fetched.source,
    oiMargin: oiMarginByVenue(bundle),
  };
  return buildFrames(visible, resolved.query, ctx);
}

/**
 * The engine and the frames of a resolved target from a fetched bundle. `extra` notices go first (the partial
 * frames' "still loading"). Throws when no venue answered.
 */
export function computeTarget(
  resolved: ResolvedQuery,
  fetched: SourcedBundleResult,
  refId: string,
  extra: QueryResultMetaNotice[] = []
): Omit<TargetRun, 'fetched'> {
  const run = computeEngine(resolved, fetched);
  return { resolved, ...run, frames: targetFrames(resolved, fetched, run, refId, extra) };
}

/** Requests in flight at once per data source instance (browsers open 6 connections per host over HTTP/1.1). */
export const BROWSER_CONNECTIONS = 6;

/** Shortest time between two partial emissions of one target, ms (the panels redraw on each). */
export const PARTIAL_INTERVAL_MS = 250;

/** "okx open interest", "kraken fx": a planned series in a notice. */
const seriesLabel = (p: PlannedSeries) => `${p.venue} ${p.kind === 'openInterest' ? 'open interest' : p.kind}`;

/** The key of a series in a target's pending list: `venue|kind`, or `fx` (the reference, from whichever venue). */
const pendingKey = (x: { venue: string; kind: SeriesKind }) => (x.kind === 'fx' ? 'fx' : `${x.venue}|${x.kind}`);

/** Whether a progress event brings a series' data (a start says nothing; fallback: the fx reference is on its way). */
const answered = (p: BundleProgress) => p.phase !== 'start' && p.status !== 'fallback';

/**
 * Partial frames of one target: follows the series that answered, and (at most every PARTIAL_INTERVAL_MS, the first
 * at once) makes frames from the shared run's engine run on them (`partialRun`, one for every target of the run) with
 * an info notice naming the series still loading. A partial bundle the engine cannot use yet (e.g. no perp basket)
 * gives no emission.
 */
export class PartialFrames {
  private readonly pending: Map<string, PlannedSeries>;
  private readonly total: number;
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly resolved: ResolvedQuery,
    private readonly refId: string,
    private readonly onPartial: (frames: DataFrame[]) => void,
    private readonly partialRun: () => { fetched: BundleResult; run: EngineRun } | undefined
  ) {
    const planned = plannedSeries(resolved.venues, planKinds(resolved));
    this.pending = new Map(planned.map((p) => [pendingKey(p), p]));
    this.total = planned.length;
  }

  readonly progress = (p: BundleProgress): void => {
    if (this.stopped || !answered(p)) {
      return;
    }
    // a series answered, or failed (a failed fx venue is not the end of the reference: another one is tried)
    if ((p.ok && p.result) || p.kind !== 'fx') {
      this.pending.delete(pendingKey(p));
    }
    if (this.pending.size === 0) {
      return; // the final frames follow
    }
    const wait = this.last + PARTIAL_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.emit();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.emit();
      }, wait);
    }
  };

  /**
   * The recorder answered and live bars are still to come: frames from the recorder's part at once, with a notice
   * naming what is still loading live (the open bar, and series the recorder lacks).
   */
  readonly recorded = (r: SourcedBundleResult, run: EngineRun): void => {
    if (this.stopped || this.pending.size === 0) {
      return;
    }
    const have = new Set(r.bundle.series.map(pendingKey));
    const missing = [...this.pending.entries()].filter(([k]) => !have.has(k)).map(([, p]) => p);
    const notice: QueryResultMetaNotice = {
      severity: 'info',
      text:
        `Partial result: bars from the recorder up to its last closed bar; the bars after it are loading live` +
        (missing.length ? `, and in full: ${missing.map(seriesLabel).join(', ')}` : ''),
    };
    let frames: DataFrame[];
    try {
      frames = targetFrames(this.resolved, r, run, this.refId, [notice]);
    } catch {
      return; // not enough for this query type
    }
    this.last = Date.now();
    this.onPartial(frames);
  };

  stop(): void {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private emit(): void {
    if (this.stopped || this.pending.size === 0) {
      return;
    }
    this.last = Date.now();
    const loading = [...this.pending.values()].map(seriesLabel);
    const notice: QueryResultMetaNotice = {
      severity: 'info',
      text: `Partial result: ${this.total - this.pending.size} of ${this.total} series answered; still loading ${loading.join(', ')}`,
    };
    const partial = this.partialRun();
    if (!partial) {
      return; // not enough yet for the engine
    }
    let frames: DataFrame[];
    try {
      frames = targetFrames(this.resolved, partial.fetched, partial.run, this.refId, [notice]);
    } catch {
      return; // not enough yet for this query type
    }
    this.onPartial(frames);
  }
}

/** A shared run's progress: the targets' partial frames that listen, and what answered so far. */
interface RunProgress {
  listeners: Set<PartialFrames>;
  seen: BundleProgress[];
  /** The series that answered so far and the engine's run on them: one run per number of series, for every target. */
  partialRun: () => { fetched: BundleResult; run: EngineRun } | undefined;
  /** The recorder's part and the engine's run on it, once it answered (replayed to targets that join later). */
  recorded?: { fetched: SourcedBundleResult; run: EngineRun };
}

export class DataSource extends DataSourceApi<BtcFlowQuery, BtcFlowOptions> {
  readonly settings: BtcFlowOptions;
  readonly exchange: ExchangeContext;
  readonly proxyUrl: string;
  /** What is wrong with the configured mirror URL (checked here, where it is used), or undefined. */
  readonly mirrorProblem: string | undefined;
  /** What is wrong with the configured market list age (reported by every query), or undefined. */
  readonly marketsAgeProblem: string | undefined;
  /** The recorder when a Recorder URL is set; an invalid one is kept as the error every query then reports. */
  readonly recorder: RecorderSource | Error | undefined;
  /** Target runs in flight, shared by targets with the same sharedRunKey (see runTarget). */
  private readonly runs = new SharedJobs();
  /** Progress of each shared run in flight: who listens, and what answered so far. */
  private readonly progress = new Map<string, RunProgress>();

  constructor(instanceSettings: DataSourceInstanceSettings<BtcFlowOptions>, seams: DataSourceSeams = {}) {
    super(instanceSettings);
    this.settings = instanceSettings.jsonData ?? {};
    this.proxyUrl = instanceSettings.url ?? '';
    const mirror = Boolean(this.settings.mirrorUrl && this.settings.mirrorUrl.trim());
    // only http(s)://host[:port][/path] without user:password@; an invalid one stops every query with this message
    this.mirrorProblem = mirrorUrlProblem(this.settings.mirrorUrl, 'mirrorUrl');
    const age = this.settings.marketsMaxAgeHours;
    const ageOk = age === undefined || (typeof age === 'number' && age >= 0 && age <= MAX_MARKETS_MAX_AGE_HOURS);
    this.marketsAgeProblem = ageOk
      ? undefined
      : `marketsMaxAgeHours: expected hours from 0 to ${MAX_MARKETS_MAX_AGE_HOURS} (0 = always ask the venues), ` +
        `got ${JSON.stringify(age)} (data source settings, Market list age)`;
    this.exchange = new ExchangeContext({
      baseUrl: seams.baseUrl ?? proxyBase(this.proxyUrl, mirror),
      // at least the exchange layer's minimum (1 s): a smaller setting is raised, not an error at load
      timeoutMs: Math.max(MIN_TIMEOUT_MS, this.settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      retries: this.settings.retries ?? DEFAULT_RETRIES,
      now: seams.now,
      store: seams.store === null ? undefined : (seams.store ?? browserStore(instanceSettings.uid, this.settings)),
      // the browser's connections per host: beyond them requests queue anyway; here they queue by priority
      maxConcurrent: BROWSER_CONNECTIONS,
      // unset or refused (the queries then report it): the exchange layer's default
      marketsMaxAgeMs: ageOk && age !== undefined ? age * 3_600_000 : undefined,
    });
    try {
      this.recorder = recorderFromSettings(this.settings, seams.recorderApiRoot ?? recorderBase(this.proxyUrl), {
        timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      });
    } catch (e) {
      this.recorder = e as Error;
    }
    const annotations: AnnotationSupport<BtcFlowQuery> = {
      getDefaultQuery: () => DEFAULT_ANNOTATION_QUERY,
      QueryEditor: AnnotationQueryEditor,
      // An annotation target is a signals / extremes query in the events format.
      prepareQuery: (anno) => {
        const t = anno.target as BtcFlowAnnotationQuery | undefined;
        if (!t || (t.queryType !== 'signals' && t.queryType !== 'extremes')) {
          return { ...DEFAULT_ANNOTATION_QUERY, refId: 'Anno', format: 'events' };
        }
        return { ...t, refId: t.refId ?? 'Anno', format: 'events' } as BtcFlowQuery;
      },
    };
    this.annotations = annotations;
    this.variables = new BtcFlowVariableSupport((text, scopedVars) => this.metricFindQuery(text, { scopedVars }));
  }

  getDefaultQuery(_app: CoreApp): Partial<BtcFlowQuery> {
    return DEFAULT_QUERY;
  }

  /** Hidden targets and half-edited ones (see isRunnable) start no request. */
  filterQuery(query: BtcFlowQuery): boolean {
    return !query.hide && isRunnable(query);
  }

  /** Venues per basket from the configuration (registry defaults where unset). */
  configuredVenues(): RoleVenues {
    return configuredVenues(this.settings, registryDefaults());
  }

  interpolator(scopedVars?: ScopedVars): Interpolator {
    const srv = getTemplateSrv();
    return {
      one: (v) => srv.replace(v, scopedVars),
      many: (v) => srv.replace(v, scopedVars, 'csv').split(','),
    };
  }

  /** Throws the mirror URL's problem (a BtcFlowInputError naming `mirrorUrl`) when it is invalid. */
  checkMirror(): void {
    if (this.recorder instanceof Error) {
      throw this.recorder;
    }
    if (this.mirrorProblem) {
      throw new BtcFlowInputError('mirrorUrl', `${this.mirrorProblem} (data source settings, Exchange mirror URL)`);
    }
    if (this.marketsAgeProblem) {
      throw new BtcFlowInputError('marketsMaxAgeHours', this.marketsAgeProblem);
    }
  }

  /** Interpolated copy of a target (used by Explore / "inspect query"). */
  applyTemplateVariables(query: BtcFlowQuery, scopedVars: ScopedVars): BtcFlowQuery {
    const tpl = this.interpolator(scopedVars);
    const out = { ...query } as BtcFlowQuery;
    if (out.asset) {
      out.asset = tpl.one(out.asset);
    }
    if (out.timeframe) {
      out.timeframe = tpl.one(out.timeframe) as BtcFlowQuery['timeframe'];
    }
    if (out.venues) {
      out.venues = out.venues.flatMap((v) => (v.includes('$') ? tpl.many(v) : [v]));
    }
    return out;
  }

  /** Resolves a target against this instance's settings and the request's variables, range and interval. */
  resolve(target: BtcFlowQuery, request: RunRequest): ResolvedQuery {
    this.checkMirror();
    const resolved = resolveTarget(target, {
      settings: this.settings,
      tpl: this.interpolator(request.scopedVars),
      range: { from: request.range.from.valueOf(), to: request.range.to.valueOf() },
      intervalMs: request.intervalMs,
    });
    if (allConfiguredVenues(resolved.venues).length === 0) {
      throw new BtcFlowInputError(
        'venues',
        "venues: no venue left after the query's venue subset; pick at least one configured venue"
      );
    }
    return resolved;
  }

  /**
   * Resolves, fetches and computes one target. Errors in the input throw BtcFlowInputError. `hooks.signal` cancels
   * the fetch (the promise then rejects with an AbortedError); `hooks.onPartial` receives frames computed from the
   * series that have answered so far, with a notice naming those still loading.
   */
  async runTarget(target: BtcFlowQuery, request: RunRequest, hooks: RunHooks = {}): Promise<TargetRun> {
    const resolved = this.resolve(target, request);
    const key = sharedRunKey(resolved);
    let shared: { fetched: SourcedBundleResult; run: EngineRun };
    let partial: PartialFrames | undefined;
    try {
      const job = this.runs.run(key, (signal) => this.sharedRun(key, resolved, signal), hooks.signal);
      // joins the run's progress (the series that answered before this target came are replayed at once)
      const progress = this.progress.get(key);
      if (hooks.onPartial && progress) {
        partial = new PartialFrames(resolved, target.refId, hooks.onPartial, progress.partialRun);
        progress.listeners.add(partial);
        if (progress.recorded) {
          partial.recorded(progress.recorded.fetched, progress.recorded.run);
        }
        progress.seen.forEach(partial.progress);
      }
      shared = await job;
    } finally {
      partial?.stop();
      if (partial) {
        this.progress.get(key)?.listeners.delete(partial);
      }
    }
    const { fetched, run } = shared;
    return { resolved, fetched, ...run, frames: targetFrames(resolved, fetched, run, target.refId) };
  }

  /**
   * One fetch and one engine run for every target with the same sharedRunKey while it is in flight (a dashboard
   * refresh asks the same bundle from many panels and annotations: the macro dashboard's 23 targets need 4). The
   * run's progress goes to every joined target's partial frames. Nothing is kept after it settles.
   */
  private async sharedRun(
    key: string,
    resolved: ResolvedQuery,
    signal: AbortSignal
  ): Promise<{ fetched: SourcedBundleResult; run: EngineRun }> {
    // the series that answered so far; the engine runs on them once per number of series, for every joined target
    const got: BundleResult = {
      bundle: { asset: resolved.asset, series: [] },
      notices: [],
      coverage: [],
      failed: [],
      notApplicable: [],
    };
    let partialRun: { series: number; out: { fetched: BundleResult; run: EngineRun } | undefined } | undefined;
    const progress: RunProgress = {
      listeners: new Set(),
      seen: [],
      partialRun: () => {
        const n = got.bundle.series.length;
        if (partialRun?.series !== n) {
          const fetched = { ...got, bundle: { ...got.bundle, series: [...got.bundle.series] } };
          let out: { fetched: BundleResult; run: EngineRun } | undefined;
          try {
            out = { fetched, run: computeEngine(resolved, fetched) };
          } catch {
            out = undefined; // not enough yet for the engine (e.g. no perp basket)
          }
          partialRun = { series: n, out };
        }
        return partialRun.out;
      },
    };
    this.progress.set(key, progress);
    try {
      const recorder =
        this.recorder instanceof RecorderSource
          ? { source: this.recorder, configured: this.configuredVenues() }
          : undefined;
      const fetched = await fetchResolved(
        this.exchange,
        resolved,
        {
          signal,
          onProgress: (p) => {
            if (answered(p) && p.ok && p.result) {
              got.bundle.series.push(p.result.series);
            }
            progress.seen.push(p);
            progress.listeners.forEach((l) => l.progress(p));
          },
          onRecorded: (r) => {
            // one engine run on the recorder's part for every target of the run (the final frames need another);
            // none when no target draws partial frames (events only: their targets joined before the answer came)
            if (progress.listeners.size === 0) {
              return;
            }
            let run: EngineRun;
            try {
              run = computeEngine(resolved, r);
            } catch {
              return; // the recorder's part alone is not enough (e.g. no perp basket): the final frames only
            }
            progress.recorded = { fetched: r, run };
            progress.listeners.forEach((l) => l.recorded(r, run));
          },
        },
        recorder
      );
      return { fetched, run: computeEngine(resolved, fetched) };
    } finally {
      if (this.progress.get(key) === progress) {
        this.progress.delete(key);
      }
    }
  }

  /**
   * Progressive results: one Observable for the request. Each target runs on its own; while venues answer, a target
   * emits partial frames (LoadingState.Streaming, with a notice naming the venues still loading), then its final
   * frames. Every emission carries the latest frames of every target; the last one is LoadingState.Done (or Error
   * when a target failed). Unsubscribing (Grafana does it when the range changes or the dashboard is left) aborts
   * every target's fetch; requests that another live query shares go on (src/exchanges/abort.ts).
   */
  query(request: DataQueryRequest<BtcFlowQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide);
    const key = `btcflow-${request.requestId ?? 'query'}`;
    return new Observable<DataQueryResponse>((subscriber) => {
      const controller = new AbortController();
      const states = targets.map(() => ({
        frames: [] as DataFrame[],
        done: false,
        error: undefined as DataQueryError | undefined,
      }));
      const emit = () => {
        const errors = states.flatMap((st) => (st.error ? [st.error] : []));
        const done = states.every((st) => st.done);
        subscriber.next({
          key,
          data: states.flatMap((st) => st.frames),
          errors: errors.length ? errors : undefined,
          state: !done ? LoadingState.Streaming : errors.length ? LoadingState.Error : LoadingState.Done,
        });
        if (done) {
          subscriber.complete();
        }
      };
      if (targets.length === 0) {
        emit();
        return undefined;
      }
      targets.forEach((t, i) => {
        const st = states[i];
        // annotation targets (events) are read once, whole: no partial events
        const onPartial =
          (t as { format?: string }).format === 'events'
            ? undefined
            : (frames: DataFrame[]) => {
                if (!st.done && !controller.signal.aborted) {
                  st.frames = frames;
                  emit();
                }
              };
        this.runTarget(t, request, { signal: controller.signal, onPartial })
          .then(
            (r) => {
              st.frames = r.frames;
            },
            (e: unknown) => {
              st.frames = [];
              st.error = { refId: t.refId, message: errorMessage(e) };
            }
          )
          .finally(() => {
            if (controller.signal.aborted) {
              return;
            }
            st.done = true;
            emit();
          });
      });
      return () => controller.abort();
    });
  }

  async metricFindQuery(
    query: string | { query?: string },
    options?: { scopedVars?: ScopedVars }
  ): Promise<MetricFindValue[]> {
    const text = typeof query === 'string' ? query : (query?.query ?? '');
    return runVariableQuery(this.interpolator(options?.scopedVars).one(text), this);
  }

  /** One cheap request per configured venue, through the proxy; reports which answered. */
  async testDatasource(): Promise<TestDataSourceResponse> {
    if (this.marketsAgeProblem) {
      return { status: 'error', message: `Market list age refused: ${this.marketsAgeProblem}` };
    }
    if (this.mirrorProblem) {
      return { status: 'error', message: `Exchange mirror URL refused: ${this.mirrorProblem}` };
    }
    if (this.recorder instanceof Error) {
      return { status: 'error', message: `Recorder URL refused: ${this.recorder.message}` };
    }
    const venues = allConfiguredVenues(this.configuredVenues());
    const [results, recorder] = await Promise.all([
      Promise.all(venues.map((v) => pingVenue(getVenue(v), this.exchange))),
      recorderCheck(this.recorder),
    ]);
    const failed = results.filter((r) => !r.ok);
    const okNames = results.filter((r) => r.ok).map((r) => r.venue);
    const via = this.settings.mirrorUrl ? ` through the mirror ${redactUrl(this.settings.mirrorUrl.trim())}` : '';
    if (failed.length === 0) {
      return {
        status: recorder.ok ? 'success' : 'warning',
        message: `All ${okNames.length} venues answered${via}: ${okNames.join(', ')}.${recorder.text}`,
      };
    }
    const lines = failed.map((r) => `${r.venue}: ${r.message}`).join('; ');
    return {
      status: okNames.length ? 'warning' : 'error',
      message:
        `${okNames.length} of ${results.length} venues answered${via}` +
        `${okNames.length ? ` (${okNames.join(', ')})` : ''}. Not answering: ${lines}.${recorder.text}`,
      details: { message: failed.map((r) => `${r.venue}: ${r.message}`).join('\n') },
    };
  }
}

/** Save & test's line about the recorder (empty without one): it answered with what, or why not. */
async function recorderCheck(recorder: RecorderSource | undefined): Promise<{ ok: boolean; text: string }> {
  if (!recorder) {
    return { ok: true, text: '' };
  }
  try {
    const h = await recorder.health();
    const age =
      h.freshestAgeSeconds === null ? 'no point stored yet' : `freshest point ${formatAge(h.freshestAgeSeconds)} old`;
    return { ok: true, text: ` Recorder ${recorder.options.label} answered: ${h.venues} venues stored, ${age}.` };
  } catch (e) {
    return {
      ok: false,
      text: ` Recorder ${recorder.options.label} not answering (${(e as Error).message}): queries will fetch live.`,
    };
  }
}

function formatAge(seconds: number): string {
  if (seconds < 120) {
    return `${Math.round(seconds)} s`;
  }
  if (seconds < 7200) {
    return `${Math.round(seconds / 60)} min`;
  }
  return seconds < 172_800 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 86_400)} days`;
}

export function errorMessage(e: unknown): string {
  if (e instanceof BtcFlowInputError) {
    return e.message;
  }
  if (e instanceof Error) {
    return e.message;
  }
  return String(e);
}
