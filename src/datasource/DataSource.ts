/**
 * The BTC Flow data source: a frontend-only DataSourceApi. Each target is resolved (variables, auto timeframe,
 * warm-up), the exchange layer fetches the bundle through Grafana's data proxy (one shared ExchangeContext per data
 * source instance, so panels share requests through its coalescing and cache), the engine computes bars and events,
 * and frames.ts turns them into frames.
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
  ScopedVars,
  TestDataSourceResponse,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { compute } from '../core/engine';
import { BtcFlowInputError } from '../core/errors';
import type { Bundle, EngineResult } from '../core/types';
import { BaseUrl, BundleResult, ExchangeContext, getVenue } from '../exchanges';
import { AnnotationQueryEditor } from '../components/AnnotationQueryEditor';
import { buildFrames, FrameContext, VisibleResult } from './frames';
import { toNotices, warmupNotices } from './notices';
import { fetchResolved, registryDefaults, resolveTarget } from './plan';
import { allConfiguredVenues, configuredVenues, Interpolator, ResolvedQuery, RoleVenues } from './query';
import { proxyBase } from './routes';
import { pingVenue } from './ping';
import { runVariableQuery } from './variables';
import {
  BtcFlowAnnotationQuery,
  BtcFlowOptions,
  BtcFlowQuery,
  DEFAULT_ANNOTATION_QUERY,
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
}

export interface TargetRun {
  resolved: ResolvedQuery;
  fetched: BundleResult;
  bundle: Bundle;
  result: EngineResult;
  frames: DataFrame[];
}

export class DataSource extends DataSourceApi<BtcFlowQuery, BtcFlowOptions> {
  readonly settings: BtcFlowOptions;
  readonly exchange: ExchangeContext;
  readonly proxyUrl: string;

  constructor(instanceSettings: DataSourceInstanceSettings<BtcFlowOptions>, seams: DataSourceSeams = {}) {
    super(instanceSettings);
    this.settings = instanceSettings.jsonData ?? {};
    this.proxyUrl = instanceSettings.url ?? '';
    const mirror = Boolean(this.settings.mirrorUrl && this.settings.mirrorUrl.trim());
    this.exchange = new ExchangeContext({
      baseUrl: seams.baseUrl ?? proxyBase(this.proxyUrl, mirror),
      timeoutMs: this.settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      retries: this.settings.retries ?? DEFAULT_RETRIES,
      now: seams.now,
    });
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
  }

  getDefaultQuery(_app: CoreApp): Partial<BtcFlowQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: BtcFlowQuery): boolean {
    return !query.hide;
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

  /** Resolves, fetches and computes one target. Errors in the input throw BtcFlowInputError. */
  async runTarget(target: BtcFlowQuery, request: Pick<DataQueryRequest<BtcFlowQuery>, 'range' | 'intervalMs' | 'scopedVars'>): Promise<TargetRun> {
    const resolved = resolveTarget(target, {
      settings: this.settings,
      tpl: this.interpolator(request.scopedVars),
      range: { from: request.range.from.valueOf(), to: request.range.to.valueOf() },
      intervalMs: request.intervalMs,
    });
    if (allConfiguredVenues(resolved.venues).length === 0) {
      throw new BtcFlowInputError('venues', "venues: no venue left after the query's venue subset; pick at least one configured venue");
    }
    const fetched = await fetchResolved(this.exchange, resolved);
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
    const visible: VisibleResult = {
      bars: result.bars,
      events: result.events.filter((e) => e.timeEnd > resolved.from && e.time <= resolved.to),
      coverageBars: result.coverage.bars,
    };
    const notices = [
      ...toNotices(
        fetched.notices.filter((n) => n.level !== 'info').map((n) => n.message),
        // the extreme rule's notes matter only where its output is shown
        result.notices.filter((n) => !/^extreme rule/.test(n) || ['extremes', 'coverage'].includes(resolved.query.queryType))
      ),
      ...warmupNotices(result.bars, resolved.query.queryType, resolved.lookback, resolved.timeframe),
    ];
    const ctx: FrameContext = { refId: target.refId, notices, timeframe: resolved.timeframe };
    const frames = buildFrames(visible, resolved.query, ctx);
    return { resolved, fetched, bundle, result, frames };
  }

  async query(request: DataQueryRequest<BtcFlowQuery>): Promise<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide);
    const data: DataFrame[] = [];
    const errors: DataQueryError[] = [];
    const runs = await Promise.all(
      targets.map((t) =>
        this.runTarget(t, request).then(
          (r) => ({ ok: true as const, r }),
          (e: unknown) => ({ ok: false as const, e, refId: t.refId })
        )
      )
    );
    for (const run of runs) {
      if (run.ok) {
        data.push(...run.r.frames);
      } else {
        errors.push({ refId: run.refId, message: errorMessage(run.e) });
      }
    }
    return { data, errors: errors.length ? errors : undefined, state: errors.length ? LoadingState.Error : LoadingState.Done };
  }

  async metricFindQuery(query: string | { query?: string }, options?: { scopedVars?: ScopedVars }): Promise<MetricFindValue[]> {
    const text = typeof query === 'string' ? query : query?.query ?? '';
    return runVariableQuery(this.interpolator(options?.scopedVars).one(text), this);
  }

  /** One cheap request per configured venue, through the proxy; reports which answered. */
  async testDatasource(): Promise<TestDataSourceResponse> {
    const venues = allConfiguredVenues(this.configuredVenues());
    const results = await Promise.all(venues.map((v) => pingVenue(getVenue(v), this.exchange)));
    const failed = results.filter((r) => !r.ok);
    const okNames = results.filter((r) => r.ok).map((r) => r.venue);
    const via = this.settings.mirrorUrl ? ` through the mirror ${this.settings.mirrorUrl}` : '';
    if (failed.length === 0) {
      return { status: 'success', message: `All ${okNames.length} venues answered${via}: ${okNames.join(', ')}.` };
    }
    const lines = failed.map((r) => `${r.venue}: ${r.message}`).join('; ');
    return {
      status: okNames.length ? 'warning' : 'error',
      message:
        `${okNames.length} of ${results.length} venues answered${via}` +
        `${okNames.length ? ` (${okNames.join(', ')})` : ''}. Not answering: ${lines}.`,
      details: { message: failed.map((r) => `${r.venue}: ${r.message}`).join('\n') },
    };
  }
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
