/**
 * The Node-side reference for the browser run: the same target resolved in Node, the bundle fetched by the
 * exchange layer straight from the mock server (no data proxy, no browser, no webpack), the core's `compute`
 * run on it, and the frames the plugin should return derived from the engine's bars by a small mapping written
 * here (independent of src/datasource/frames.ts).
 *
 * Imports only Grafana-free modules (src/datasource/DataSource.ts imports @grafana/data, which needs a window):
 * `kindsFor` and `fetchByRole` below restate the plugin's two small rules for which series a query type fetches
 * and which basket each kind is read from (DataSource.ts: same names).
 */
import { compute } from '../src/core/engine';
import type { Bundle, EngineResult, SeriesKind } from '../src/core/types';
import { resolveQuery, type Interpolator, type ResolvedQuery, type RoleVenues } from '../src/datasource/query';
import type { BtcFlowOptions, BtcFlowQuery, QueryType } from '../src/datasource/types';
import { ExchangeContext, VENUES, fetchBundle, venuesByRole } from '../src/exchanges';

import type { SerializedFrame } from './protocol';

export function registryDefaults(): RoleVenues {
  const r = venuesByRole();
  return { spot: r.spot, perp: r.perp, oi: r.openInterest, funding: r.funding };
}

export function kindsFor(queryType: QueryType, fundingWeighting: 'oi' | 'equal' | undefined): SeriesKind[] {
  switch (queryType) {
    case 'premium':
    case 'prices':
      return ['spot', 'perp', 'fx'];
    case 'oi':
    case 'oiZ':
      return ['perp', 'openInterest', 'fx'];
    case 'funding':
      return fundingWeighting === 'equal' ? ['perp', 'funding', 'fx'] : ['perp', 'openInterest', 'funding', 'fx'];
    default:
      return ['spot', 'perp', 'openInterest', 'funding', 'fx'];
  }
}

const ROLE_OF_KIND: Record<Exclude<SeriesKind, 'fx'>, keyof RoleVenues> = {
  spot: 'spot',
  perp: 'perp',
  openInterest: 'oi',
  funding: 'funding',
};

/** Each kind from its own basket only, the USDT/USD reference with the first kind (the plugin's rule). */
export async function fetchByRole(
  ctx: ExchangeContext,
  req: { asset: string; timeframe: ResolvedQuery['timeframe']; from: number; to: number },
  venues: RoleVenues,
  kinds: SeriesKind[]
): Promise<Bundle> {
  const parts = await Promise.all(
    (Object.keys(ROLE_OF_KIND) as Array<keyof typeof ROLE_OF_KIND>)
      .filter((k) => kinds.includes(k) && venues[ROLE_OF_KIND[k]].length > 0)
      .map((k, i) =>
        fetchBundle({ ...req, venues: venues[ROLE_OF_KIND[k]], kinds: i === 0 && kinds.includes('fx') ? [k, 'fx'] : [k] }, ctx)
      )
  );
  return { asset: req.asset, series: parts.flatMap((p) => p.bundle.series) };
}

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
  const resolved = resolveQuery(target, {
    settings: o.settings,
    defaults: registryDefaults(),
    knownVenues: VENUES.map((v) => v.id),
    tpl: o.tpl,
    range: o.range,
    intervalMs: o.intervalMs,
  });
  const bundle = await fetchByRole(
    o.exchange,
    { asset: resolved.asset, timeframe: resolved.timeframe, from: resolved.fetchFrom, to: resolved.to },
    resolved.venues,
    kindsFor(resolved.query.queryType, resolved.engine.fundingWeighting)
  );
  const result = compute(bundle, { ...resolved.engine, timeframe: resolved.timeframe, from: resolved.from, to: resolved.to });
  return { resolved, result, visibleTimes: result.bars.map((b) => b.time) };
}

const APR_FACTOR = 3 * 365 * 100;
const STATE_KINDS = new Set(['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom']);
const BAR_NUMBERS = new Set([
  'spotUsd',
  'perpUsd',
  'premiumPct',
  'premiumZ',
  'oiUsd',
  'oiIndexUsd',
  'oiZ',
  'fundingRate8h',
  'fundingAprPct',
  'fundingZ',
  'extremeScore',
]);
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
export function expectedEvents(run: ReferenceRun, kinds?: string[]): Array<{ time: number; timeEnd: number; kind: string; title: string; text: string }> {
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
export function compareFrame(frame: SerializedFrame, run: ReferenceRun): { mismatches: FieldMismatch[]; unknownFields: string[] } {
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
      const bothEmpty = (a === null || a === undefined || Number.isNaN(a)) && (b === null || b === undefined || Number.isNaN(b));
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
