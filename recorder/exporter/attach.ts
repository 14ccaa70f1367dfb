/**
 * Wires the exporter (./exporter.ts) to a running recorder: request outcomes become btcflow_exchange_requests_total
 * and btcflow_venue_up, each closed bar (the run loop's `barClosed` event, and once after the first fill) recomputes
 * that asset and timeframe with `src/core` on the stored data and sets the gauges of its last closed bar, and the
 * newest stored point of every series becomes btcflow_venue_last_point_timestamp_seconds.
 *
 * The computation is the one `btc-flow metrics --from F --to T` makes for the same venues (docs/alerting.md):
 * T = the last closed bar, F = T − (L − 1) bars, and the bundle reaches L bars before F (the z-score warm-up), where
 * L is the timeframe's default lookback; the engine runs with the data source's default options. So the exported
 * values equal the CLI's for that bar (the end-to-end test checks it to 1e-9). Boundary: reads the store, never
 * fetches; never throws into the run loop (a failure is a notice and leaves the previous values).
 */
import { compute, defaultLookback } from '../../src/core';
import { bucketStartMs } from '../../src/core/timeframe';
import type { Timeframe } from '../../src/core/types';
import { bundleFromStore } from '../bundle';
import type { RecorderEvents } from '../rest';
import type { RecorderStore } from '../store/types';
import { BtcFlowExporter, type BarUpdate } from './exporter';

const HOUR_MS = 3_600_000;
/** Bar length the CLI uses for its warm-up (cli/btc-flow.ts runMetrics): 31 days for 1M. */
const WARMUP_BAR_MS: Record<Timeframe, number> = {
  '1h': HOUR_MS,
  '4h': 4 * HOUR_MS,
  '1d': 24 * HOUR_MS,
  '3d': 72 * HOUR_MS,
  '1w': 168 * HOUR_MS,
  '1M': 31 * 24 * HOUR_MS,
};

/** The range `btc-flow metrics` would use for the last closed bar before `nowMs`. */
export interface ExportWindow {
  /** Start of the last closed bar (T). */
  barTime: number;
  /** First output bar (F = T − (L − 1) bars). */
  from: number;
  /** First point read (F − L × bar, the CLI's warm-up). */
  fetchFrom: number;
  /** Last point read, inclusive (T + 1 bar: the funding settlements of the last bar). */
  fetchTo: number;
}

export function exportWindow(timeframe: Timeframe, nowMs: number): ExportWindow {
  const lookback = defaultLookback(timeframe);
  const barTime = bucketStartMs(bucketStartMs(nowMs, timeframe) - 1, timeframe);
  let from = barTime;
  for (let i = 1; i < lookback; i++) {
    from = bucketStartMs(from - 1, timeframe);
  }
  const barMs = WARMUP_BAR_MS[timeframe];
  return { barTime, from, fetchFrom: from - lookback * barMs, fetchTo: barTime + barMs };
}

export interface AttachOptions {
  events: RecorderEvents;
  store: RecorderStore;
  assets: string[];
  timeframes: Timeframe[];
  /** Venues recorded (the bundle reads these; default every registry venue). */
  venues?: string[];
  now?: () => number;
  log?: (line: string) => void;
  exporter?: BtcFlowExporter;
}

export interface AttachedExporter {
  exporter: BtcFlowExporter;
  /** Recompute one asset and timeframe now (serialised with the others). */
  refresh(asset: string, timeframe: Timeframe): Promise<BarUpdate | null>;
  /** Recompute every asset and timeframe (after the first fill). */
  refreshAll(): Promise<void>;
  /** Stop listening and wait for the computation in flight. */
  detach(): Promise<void>;
}

export function attachExporter(o: AttachOptions): AttachedExporter {
  const exporter = o.exporter ?? new BtcFlowExporter();
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => undefined);
  for (const asset of o.assets) {
    for (const tf of o.timeframes) {
      exporter.declare(asset, tf);
    }
  }
  // one computation at a time: bar closes of several timeframes arrive together, and the engine is CPU-bound
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };

  const updateLastPoints = async (asset: string) => {
    const latest = new Map<string, { venue: string; kind: string; last: number }>();
    for (const s of await o.store.listSeries({ asset })) {
      if (s.last === null) {
        continue;
      }
      const id = `${s.venue}|${s.kind}`;
      const cur = latest.get(id);
      if (!cur || s.last > cur.last) {
        latest.set(id, { venue: s.venue, kind: s.kind, last: s.last });
      }
    }
    for (const v of latest.values()) {
      exporter.setVenueLastPoint(v.venue, v.kind, asset, v.last);
    }
  };

  const refresh = (asset: string, timeframe: Timeframe) =>
    serial(async (): Promise<BarUpdate | null> => {
      try {
        const t = now();
        const w = exportWindow(timeframe, t);
        const bundle = await bundleFromStore(o.store, {
          asset,
          timeframe,
          from: w.fetchFrom,
          to: w.fetchTo + 1,
          venues: o.venues,
          now: t,
        });
        const result = compute(bundle, { timeframe, from: w.from, to: w.barTime });
        const up = exporter.updateBar(asset, timeframe, result, t);
        await updateLastPoints(asset);
        if (up.onsets.length) {
          log(`exporter: ${asset} ${timeframe} onset ${up.onsets.join(', ')}`);
        }
        return up;
      } catch (e) {
        // an empty store (nothing recorded yet) or a bad bundle: keep the previous values, say why
        log(`exporter: ${asset} ${timeframe}: ${e instanceof Error ? e.message : String(e)}`);
        return null;
      }
    });

  const onRequest = (e: { venue: string; kind: string; ok: boolean }) => {
    exporter.recordRequest(e.venue, e.ok ? 'ok' : 'error');
    exporter.setVenueUp(e.venue, e.kind, e.ok);
  };
  const onBar = (e: { asset: string; timeframe: Timeframe }) => {
    void refresh(e.asset, e.timeframe);
  };
  o.events.on('request', onRequest);
  o.events.on('barClosed', onBar);

  return {
    exporter,
    refresh,
    async refreshAll() {
      for (const asset of o.assets) {
        for (const tf of o.timeframes) {
          await refresh(asset, tf);
        }
      }
    },
    async detach() {
      o.events.off('request', onRequest);
      o.events.off('barClosed', onBar);
      await chain;
    },
  };
}
