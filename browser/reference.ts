/**
 * The Node-side reference for the browser run: the same target resolved in Node, the bundle fetched by the
 * exchange layer straight from the mock server (no data proxy, no browser, no webpack), the core's `compute`
 * run on it, and the frames the plugin should return derived from the engine's bars by a small mapping written
 * here (independent of src/datasource/frames.ts).
 *
 * Imports only Grafana-free modules (src/datasource/DataSource.ts imports @grafana/data, which needs a window).
 * The fetch plan (which series a query type fetches, from which basket) is the plugin's own, from
 * src/datasource/plan.ts; what is checked independently is the engine-bars-to-frame-fields mapping below.
 */
import { compute } from '../src/core/engine';
import { METRICS } from '../src/core/metrics';
import type { EngineResult } from '../src/core/types';
import { fetchResolved, resolveTarget } from '../src/datasource/plan';
import type { Interpolator, ResolvedQuery } from '../src/datasource/query';
import type { BtcFlowOptions, BtcFlowQuery } from '../src/datasource/types';
import type { ExchangeContext } from '../src/exchanges';

import type { SerializedFrame } from './protocol';

export interface ReferenceRun {
  resolved: ResolvedQuery;
  result: EngineResult;
  /** bars inside the panel range */
  visibleTimes: number[];
}

export interface ReferenceOptions {
  settings: BtcFlowOptions;
  tpl: Interpolator;
  range: { from: number; to: number };
  intervalMs: number;
  exchange: ExchangeContext;
}

/** Resolves, fetches (directly from the mock) and computes one target in Node. */
export async function referenceRun(target: BtcFlowQuery, o: ReferenceOptions): Promise<ReferenceRun> {
  const resolved = resolveTarget(target, {
    settings: o.settings,
    tpl: o.tpl,
    range: o.range,
    intervalMs: o.intervalMs,
  });
  const { bundle } = await fetchResolved(o.exchange, resolved);
  const result = compute(bundle, {
    ...resolved.engine,
    timeframe: resolved.timeframe,
    from: resolved.from,
    to: resolved.to,
  });
  return { resolved, result, visibleTimes: result.bars.map((b) => b.time) };
}

const APR_FACTOR = 3 * 365 * 100;
const STATE_KINDS = new Set(['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom']);
const BAR_NUMBERS = new Set<string>(METRICS.map((m) => m.name).filter((n) => n !== 'time'));
const COUNT_FIELDS = new Set(['spot', 'perp', 'oi', 'funding']);

/**
 * What the engine's bars say a field's values are, for the field names the plugin documents
 * (docs/queries.md): bar metrics by name, `<metric>:<venue>` per venue, 0/1 states, coverage counts.
 * Returns undefined for a field this mapping does not know (the caller fails on that).
 */
export function expectedFieldValues(name: string, run: ReferenceRun): Array<number | null> | undefined {
  const bars = run.result.bars;
  if (name === 'time') {
    return bars.map((b) => b.time);
  }
  if (BAR_NUMBERS.has(name)) {
    return bars.map((b) => (b as unknown as Record<string, number | null>)[name]);
  }
  if (STATE_KINDS.has(name)) {
    return bars.map((b) => (b.states.includes(name as never) ? 1 : 0));
  }
  if (COUNT_FIELDS.has(name)) {
    return bars.map((b) => (b.counts as unknown as Record<string, number>)[name]);
  }
  const m = /^(\w+):(.+)$/.exec(name);
  if (m) {
    const [, metric, venue] = m;
    const pick = (key: string, scale = 1) =>
      bars.map((b) => {
        const v = (b.venues as unknown as Record<string, Record<string, number | null>>)[key]?.[venue];
        return v === undefined || v === null ? null : v * scale;
      });
    switch (metric) {
      case 'oiUsd':
        return pick('oiUsd');
      case 'fundingRate8h':
        return pick('funding8h');
      case 'fundingAprPct':
        return pick('funding8h', APR_FACTOR);
      case 'spot':
      case 'perp':
        return pick(metric);
    }
  }
  return undefined;
}

/** The engine's events in the panel range, as the events frame lists them. */
export function expectedEvents(
  run: ReferenceRun,
  kinds?: string[]
): Array<{ time: number; timeEnd: number; kind: string; title: string; text: string }> {
  return run.result.events
    .filter((e) => e.timeEnd > run.resolved.from && e.time <= run.resolved.to)
    .filter((e) => !kinds || kinds.includes(e.kind))
    .map((e) => ({ time: e.time, timeEnd: e.timeEnd, kind: e.kind, title: e.title, text: e.text }));
}

export interface FieldMismatch {
  field: string;
  index: number;
  browser: unknown;
  node: unknown;
}

/** Compares one browser frame with the reference bars. Numbers must agree to 1e-9 relative (JSON round trip). */
export function compareFrame(
  frame: SerializedFrame,
  run: ReferenceRun
): { mismatches: FieldMismatch[]; unknownFields: string[] } {
  const mismatches: FieldMismatch[] = [];
  const unknownFields: string[] = [];
  for (const field of frame.fields) {
    const expected = expectedFieldValues(field.name, run);
    if (!expected) {
      unknownFields.push(field.name);
      continue;
    }
    if (expected.length !== field.values.length) {
      mismatches.push({ field: field.name, index: -1, browser: field.values.length, node: expected.length });
      continue;
    }
    for (let i = 0; i < expected.length; i++) {
      const a = field.values[i] as number | null | undefined;
      const b = expected[i];
      const bothEmpty =
        (a === null || a === undefined || Number.isNaN(a)) && (b === null || b === undefined || Number.isNaN(b));
      if (bothEmpty) {
        continue;
      }
      if (typeof a !== 'number' || typeof b !== 'number' || Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) {
        mismatches.push({ field: field.name, index: i, browser: a, node: b });
        if (mismatches.length > 20) {
          return { mismatches, unknownFields };
        }
      }
    }
  }
  return { mismatches, unknownFields };
}
