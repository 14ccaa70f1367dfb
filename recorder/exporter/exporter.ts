/**
 * The recorder's Prometheus exporter: one prom-client registry of its own (never the global one), the per-bar gauges
 * of the last closed bar of every (asset, timeframe), the recorder's health metrics and prom-client's default process
 * metrics. Values are set when the recorder closes a bar (`updateBar`), never computed on a scrape, so a scrape only
 * serialises what is there. A value the engine does not have (a z-score in warm-up, a metric without venues) is
 * absent from the output, never NaN or 0.
 *
 * Boundary: no I/O besides answering `GET /metrics` through `handleMetrics`; the recorder calls in with engine
 * results and request outcomes. Names and help texts: ./metrics.ts. Docs: docs/alerting.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { STATE_KINDS, type Bar, type EngineResult, type StateKind, type Timeframe } from '../../src/core/types';
import {
  BAR_GAUGES,
  BAR_TIMESTAMP,
  EVENTS,
  EXCHANGE_REQUESTS,
  REQUEST_OUTCOMES,
  STATE,
  VENUE_COUNT_KINDS,
  VENUE_LAST_POINT,
  VENUE_UP,
  VENUES,
  type RequestOutcome,
  type VenueCountKind,
} from './metrics';

type BarGaugeKey = keyof typeof BAR_GAUGES;
const BAR_GAUGE_KEYS = Object.keys(BAR_GAUGES) as BarGaugeKey[];

export interface ExporterOptions {
  /** Register prom-client's default process metrics (process_cpu_seconds_total, nodejs_heap_*...). Default true. */
  processMetrics?: boolean;
  /**
   * Recorder replicas on PostgreSQL: this replica's id, added as a `replica` label to its own health metrics
   * (btcflow_venue_up, btcflow_exchange_requests_total). The per-bar gauges are computed from the shared store and
   * carry no replica label. Default: none (one process, no label).
   */
  replica?: string;
}

/** What `updateBar` exported, for logs and tests. */
export interface BarUpdate {
  asset: string;
  timeframe: Timeframe;
  /** The bar exported (null: the result has no closed bar, every series of this asset/timeframe was removed). */
  bar: Bar | null;
  /** Event onsets counted by this update. */
  onsets: StateKind[];
}

/**
 * The last closed bar of a result: the last bar whose end is at or before `nowMs`. The engine's last bar is often
 * the bar still open (a partial candle); alerts must not fire on a value that can still change.
 */
export function lastClosedBarIndex(bars: readonly Bar[], nowMs: number): number {
  for (let i = bars.length - 1; i >= 0; i--) {
    if (bars[i].timeEnd <= nowMs) {
      return i;
    }
  }
  return -1;
}

/** Venue counts of a bar under the exported kind names. */
function venueCount(bar: Bar, kind: VenueCountKind): number {
  switch (kind) {
    case 'spot':
      return bar.counts.spot;
    case 'perp':
      return bar.counts.perp;
    case 'openInterest':
      return bar.counts.oi;
    case 'funding':
      return bar.counts.funding;
  }
}

export class BtcFlowExporter {
  readonly registry: Registry;
  private readonly barGauges: Record<BarGaugeKey, Gauge<'asset' | 'timeframe'>>;
  private readonly barTimestamp: Gauge<'asset' | 'timeframe'>;
  private readonly state: Gauge<'asset' | 'timeframe' | 'state'>;
  private readonly venues: Gauge<'asset' | 'timeframe' | 'kind'>;
  private readonly venueUp: Gauge<'venue' | 'kind' | 'replica'>;
  private readonly venueLastPoint: Gauge<'venue' | 'kind' | 'asset'>;
  private readonly requests: Counter<'venue' | 'outcome' | 'replica'>;
  /** `{ replica }` when the exporter belongs to a replica, else nothing. */
  private readonly replicaLabel: { replica?: string };
  private readonly events: Counter<'asset' | 'timeframe' | 'kind'>;
  /** Start of the last bar exported per `asset|timeframe` (onsets are counted on bars after it). */
  private readonly lastBarTime = new Map<string, number>();

  constructor(options: ExporterOptions = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    // prom-client throws when a name is registered twice in one registry: a duplicate is a programming error.
    const gauge = <L extends string>(m: { name: string; help: string }, labelNames: readonly L[]) =>
      new Gauge<L>({ name: m.name, help: m.help, labelNames, registers });
    this.barGauges = Object.fromEntries(
      BAR_GAUGE_KEYS.map((k) => [k, gauge(BAR_GAUGES[k], ['asset', 'timeframe'] as const)])
    ) as Record<BarGaugeKey, Gauge<'asset' | 'timeframe'>>;
    this.barTimestamp = gauge(BAR_TIMESTAMP, ['asset', 'timeframe'] as const);
    this.state = gauge(STATE, ['asset', 'timeframe', 'state'] as const);
    this.venues = gauge(VENUES, ['asset', 'timeframe', 'kind'] as const);
    this.replicaLabel = options.replica === undefined ? {} : { replica: options.replica };
    const withReplica = <L extends string>(names: readonly L[]) =>
      options.replica === undefined ? names : [...names, 'replica' as const];
    this.venueUp = gauge(VENUE_UP, withReplica(['venue', 'kind'] as const));
    this.venueLastPoint = gauge(VENUE_LAST_POINT, ['venue', 'kind', 'asset'] as const);
    this.requests = new Counter({
      name: EXCHANGE_REQUESTS.name,
      help: EXCHANGE_REQUESTS.help,
      labelNames: withReplica(['venue', 'outcome'] as const),
      registers,
    });
    this.events = new Counter({
      name: EVENTS.name,
      help: EVENTS.help,
      labelNames: ['asset', 'timeframe', 'kind'] as const,
      registers,
    });
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /**
   * Declare an (asset, timeframe) before its first bar: its event counters start at 0 so that Prometheus sees the
   * first onset as an increase. Idempotent.
   */
  declare(asset: string, timeframe: Timeframe): void {
    for (const kind of STATE_KINDS) {
      this.events.inc({ asset, timeframe, kind }, 0);
    }
  }

  /**
   * Export the last closed bar (end ≤ `nowMs`) of an engine result for (asset, timeframe), and count the event
   * onsets since the previous update. Call it when a bar closes; scrapes then read what is set here.
   */
  updateBar(asset: string, timeframe: Timeframe, result: EngineResult, nowMs: number): BarUpdate {
    const labels = { asset, timeframe };
    this.declare(asset, timeframe);
    const i = lastClosedBarIndex(result.bars, nowMs);
    if (i < 0) {
      this.clearBar(asset, timeframe);
      return { asset, timeframe, bar: null, onsets: [] };
    }
    const bar = result.bars[i];
    for (const k of BAR_GAUGE_KEYS) {
      const spec = BAR_GAUGES[k];
      const v = bar[spec.field];
      if (v === null || !Number.isFinite(v)) {
        this.barGauges[k].remove(labels);
      } else {
        this.barGauges[k].set(labels, v * spec.scale);
      }
    }
    this.barTimestamp.set(labels, bar.time / 1000);
    const states = new Set(bar.states);
    for (const s of STATE_KINDS) {
      this.state.set({ ...labels, state: s }, states.has(s) ? 1 : 0);
    }
    for (const kind of VENUE_COUNT_KINDS) {
      this.venues.set({ ...labels, kind }, venueCount(bar, kind));
    }
    const onsets = this.countOnsets(asset, timeframe, result.bars, i);
    this.lastBarTime.set(`${asset}|${timeframe}`, bar.time);
    return { asset, timeframe, bar, onsets };
  }

  /**
   * Onsets among the bars after the previously exported one, up to bar `i`: a bar in a state whose previous bar is
   * not. On the first update only bar `i` itself can be an onset (history before the recorder's start is not
   * counted again after a restart).
   */
  private countOnsets(asset: string, timeframe: Timeframe, bars: readonly Bar[], i: number): StateKind[] {
    const prev = this.lastBarTime.get(`${asset}|${timeframe}`);
    const onsets: StateKind[] = [];
    let j0 = i;
    if (prev !== undefined) {
      j0 = i + 1;
      while (j0 > 0 && bars[j0 - 1].time > prev) {
        j0--;
      }
    }
    for (let j = j0; j <= i; j++) {
      for (const s of bars[j].states) {
        if (j === 0 || !bars[j - 1].states.includes(s)) {
          onsets.push(s);
          this.events.inc({ asset, timeframe, kind: s });
        }
      }
    }
    return onsets;
  }

  /** Remove every per-bar series of (asset, timeframe) (the event counters stay). */
  clearBar(asset: string, timeframe: Timeframe): void {
    const labels = { asset, timeframe };
    for (const k of BAR_GAUGE_KEYS) {
      this.barGauges[k].remove(labels);
    }
    this.barTimestamp.remove(labels);
    for (const s of STATE_KINDS) {
      this.state.remove({ ...labels, state: s });
    }
    for (const kind of VENUE_COUNT_KINDS) {
      this.venues.remove({ ...labels, kind });
    }
  }

  /** Count one exchange request of the recorder. */
  recordRequest(venue: string, outcome: RequestOutcome): void {
    if (!REQUEST_OUTCOMES.includes(outcome)) {
      throw new Error(`recordRequest: outcome must be one of ${REQUEST_OUTCOMES.join(', ')}; got "${String(outcome)}"`);
    }
    this.requests.inc({ venue, outcome, ...this.replicaLabel });
  }

  /** Whether the latest request for a venue's series kind succeeded. */
  setVenueUp(venue: string, kind: string, up: boolean): void {
    this.venueUp.set({ venue, kind, ...this.replicaLabel }, up ? 1 : 0);
  }

  /** Time (epoch ms) of the newest stored point of a venue's series; null removes the series. */
  setVenueLastPoint(venue: string, kind: string, asset: string, timeMs: number | null): void {
    if (timeMs === null || !Number.isFinite(timeMs)) {
      this.venueLastPoint.remove({ venue, kind, asset });
    } else {
      this.venueLastPoint.set({ venue, kind, asset }, timeMs / 1000);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Answer `GET /metrics` (a route handler for the recorder's HTTP server). */
  async handleMetrics(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await this.metrics();
      res.writeHead(200, { 'Content-Type': this.contentType });
      res.end(body);
    } catch (e) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`metrics: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}
