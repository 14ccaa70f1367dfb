/**
 * Frame building: engine output (bars, events, coverage) → Grafana data frames, one builder per query type.
 * Pure functions (no fetching), kept apart from the fetch layer as in grafana-json-datasource.
 *
 * Field names are the engine's metric names (`premiumPct`, `oiZ`, …; per venue `oiUsd:<venue>`), and stay stable
 * for overrides in code; readable names go into `config.displayNameFromDS`, so a user's own display name still wins.
 */
import { COUNT_DISPLAY_NAMES, METRIC_DISPLAY_NAMES, STATE_DISPLAY_NAMES } from '../core/metrics';
import {
  DataFrame,
  FieldColorModeId,
  FieldConfig,
  FieldType,
  MappingType,
  QueryResultMetaNotice,
  ThresholdsMode,
  createDataFrame,
} from '@grafana/data';
import type { Bar, BarCoverage, BarVenues, FlowEvent, StateKind } from '../core/types';
import { MARGIN_TYPES, MarginType, oiByMargin, oiCoins, venueOiCoins } from '../core/oi';
import type { BarSource } from './recorderSource';
import {
  EXTREME_KINDS,
  ExtremeKind,
  QueryOf,
  QueryType,
  SIGNAL_KINDS,
  SignalKind,
  StateFormat,
  DEFAULT_QUERIES,
} from './types';

/** The part of the engine result that falls in the panel's range. */
export interface VisibleResult {
  bars: Bar[];
  events: FlowEvent[];
  coverageBars: BarCoverage[];
}

/** Readable names of every fixed field (documented in docs/queries.md), from the metric catalog (src/core/metrics.ts). */
export const DISPLAY_NAMES = {
  ...METRIC_DISPLAY_NAMES,
  ...STATE_DISPLAY_NAMES,
  ...COUNT_DISPLAY_NAMES,
  excluded: 'Left out (stale)',
  oiCoin: 'Open interest (coins)',
} as const;

/** Colours of the state kinds in state-timeline panels and annotation regions. */
export const STATE_COLORS: Record<StateKind, string> = {
  bullish: 'green',
  bearish: 'red',
  overLeverage: 'orange',
  extremeTop: 'purple',
  extremeBottom: 'blue',
};

/** z-score fields: ±2 threshold lines (dashed), green inside, red beyond. */
export const Z_THRESHOLD = 2;

const zConfig = (display: string): FieldConfig => ({
  displayNameFromDS: display,
  unit: 'none',
  decimals: 2,
  thresholds: {
    mode: ThresholdsMode.Absolute,
    steps: [
      { value: -Infinity, color: 'red' },
      { value: -Z_THRESHOLD, color: 'green' },
      { value: Z_THRESHOLD, color: 'red' },
    ],
  },
  custom: { thresholdsStyle: { mode: 'dashed' } },
});

const usdConfig = (display: string): FieldConfig => ({ displayNameFromDS: display, unit: 'currencyUSD', decimals: 0 });

interface FieldSpec {
  name: string;
  type: FieldType;
  values: unknown[];
  config?: FieldConfig;
  labels?: Record<string, string>;
}

export interface FrameContext {
  refId: string;
  notices: QueryResultMetaNotice[];
  /** Timeframe actually used (after `auto`), shown in frame meta. */
  timeframe: string;
  /** Where the bars came from when a recorder is configured (`meta.custom.source`, see docs/queries.md). */
  source?: BarSource;
  /** Margin type of each OI venue (from the bundle), for the `oi` query's `groupBy: margin`. */
  oiMargin?: Record<string, MarginType>;
}

function frame(
  ctx: FrameContext,
  name: string,
  fields: FieldSpec[],
  extraMeta: Record<string, unknown> = {}
): DataFrame {
  return createDataFrame({
    refId: ctx.refId,
    name,
    fields,
    meta: {
      notices: ctx.notices.length ? ctx.notices : undefined,
      custom: ctx.source ? { timeframe: ctx.timeframe, source: ctx.source } : { timeframe: ctx.timeframe },
      ...extraMeta,
    },
  });
}

const timeField = (bars: Bar[]): FieldSpec => ({
  name: 'time',
  type: FieldType.time,
  values: bars.map((b) => b.time),
  config: { displayNameFromDS: DISPLAY_NAMES.time },
});

const num = (name: string, values: Array<number | null>, config: FieldConfig, labels?: Record<string, string>) =>
  ({ name, type: FieldType.number, values, config, labels }) satisfies FieldSpec;

/** A z-score field of the bars, with its catalog display name and the ±2 threshold style. */
const zField = (bars: Bar[], z: 'premiumZ' | 'oiZ' | 'fundingZ') =>
  num(
    z,
    bars.map((b) => b[z]),
    zConfig(DISPLAY_NAMES[z])
  );

/** Venue labels present in any bar for one per-venue map, in first-seen order then sorted. */
export function venueLabels(bars: Bar[], key: keyof BarVenues): string[] {
  const set = new Set<string>();
  for (const b of bars) {
    for (const k of Object.keys(b.venues[key])) {
      set.add(k);
    }
  }
  return [...set].sort();
}

function perVenueFields(
  bars: Bar[],
  key: keyof BarVenues,
  metric: string,
  config: (venue: string) => FieldConfig,
  scale = 1
) {
  return venueLabels(bars, key).map((venue) =>
    num(
      `${metric}:${venue}`,
      bars.map((b) => {
        const v = b.venues[key][venue];
        return v === undefined || v === null ? null : v * scale;
      }),
      config(venue),
      { venue }
    )
  );
}

/* ------------------------------------------------------------------------------------------------
 * One builder per query type
 * ---------------------------------------------------------------------------------------------- */

export function premiumFrames(bars: Bar[], q: QueryOf<'premium'>, ctx: FrameContext): DataFrame[] {
  const d = DEFAULT_QUERIES.premium;
  const fields: FieldSpec[] = [
    timeField(bars),
    num(
      'premiumPct',
      bars.map((b) => b.premiumPct),
      { displayNameFromDS: DISPLAY_NAMES.premiumPct, unit: 'percent', decimals: 3 }
    ),
  ];
  if (q.includeZ ?? d.includeZ) {
    fields.push(zField(bars, 'premiumZ'));
  }
  if (q.includeBaskets ?? d.includeBaskets) {
    fields.push(
      num(
        'spotUsd',
        bars.map((b) => b.spotUsd),
        usdConfig(DISPLAY_NAMES.spotUsd)
      )
    );
    fields.push(
      num(
        'perpUsd',
        bars.map((b) => b.perpUsd),
        usdConfig(DISPLAY_NAMES.perpUsd)
      )
    );
  }
  return [frame(ctx, 'premium', fields)];
}

/** Field config of OI in coins (the asset's own unit; no currency). */
const coinConfig = (display: string): FieldConfig => ({ displayNameFromDS: display, unit: 'none', decimals: 0 });

/** Readable names of the margin groups. */
export const MARGIN_NAMES: Record<MarginType, string> = {
  stablecoin: 'stablecoin-margined',
  coin: 'coin-margined',
};

/**
 * `oi`: the total, the chain-linked index (USD only) and one field per venue, or per margin type with
 * `groupBy: margin`; in USD (`oiUsd…`) or, with `unit: coin`, in coins of the asset (`oiCoin…`, see src/core/oi.ts).
 */
export function oiFrames(bars: Bar[], q: QueryOf<'oi'>, ctx: FrameContext): DataFrame[] {
  const d = DEFAULT_QUERIES.oi;
  const unit = q.unit ?? d.unit;
  const metric = unit === 'coin' ? 'oiCoin' : 'oiUsd';
  const config = unit === 'coin' ? coinConfig : usdConfig;
  const total = unit === 'coin' ? bars.map((b) => oiCoins(b)) : bars.map((b) => b.oiUsd);
  const fields: FieldSpec[] = [
    timeField(bars),
    num(metric, total, config(unit === 'coin' ? DISPLAY_NAMES.oiCoin : DISPLAY_NAMES.oiUsd)),
  ];
  if (unit === 'usd' && (q.includeIndex ?? d.includeIndex)) {
    fields.push(
      num(
        'oiIndexUsd',
        bars.map((b) => b.oiIndexUsd),
        usdConfig(DISPLAY_NAMES.oiIndexUsd)
      )
    );
  }
  if ((q.groupBy ?? d.groupBy) === 'margin') {
    const margin = ctx.oiMargin ?? {};
    const per = bars.map((b) => oiByMargin(b, margin, unit));
    for (const m of MARGIN_TYPES) {
      if (Object.values(margin).includes(m)) {
        fields.push(
          num(
            `${metric}:${MARGIN_NAMES[m]}`,
            per.map((x) => x[m]),
            config(`OI ${MARGIN_NAMES[m]}`),
            { margin: m }
          )
        );
      }
    }
  } else if (q.perVenue ?? d.perVenue) {
    if (unit === 'coin') {
      fields.push(
        ...venueLabels(bars, 'oiUsd').map((venue) =>
          num(
            `oiCoin:${venue}`,
            bars.map((b) => venueOiCoins(b, venue)),
            coinConfig(`OI ${venue}`),
            { venue }
          )
        )
      );
    } else {
      fields.push(...perVenueFields(bars, 'oiUsd', 'oiUsd', (v) => usdConfig(`OI ${v}`)));
    }
  }
  return [frame(ctx, 'oi', fields)];
}

export function oiZFrames(bars: Bar[], q: QueryOf<'oiZ'>, ctx: FrameContext): DataFrame[] {
  const fields: FieldSpec[] = [timeField(bars), zField(bars, 'oiZ')];
  if (q.includeIndex ?? DEFAULT_QUERIES.oiZ.includeIndex) {
    fields.push(
      num(
        'oiIndexUsd',
        bars.map((b) => b.oiIndexUsd),
        usdConfig(DISPLAY_NAMES.oiIndexUsd)
      )
    );
  }
  return [frame(ctx, 'oiZ', fields)];
}

/** 8h rate → APR percent, as the engine defines fundingAprPct. */
export const APR_FACTOR = 3 * 365 * 100;

export function fundingFrames(bars: Bar[], q: QueryOf<'funding'>, ctx: FrameContext): DataFrame[] {
  const d = DEFAULT_QUERIES.funding;
  const apr = (q.unit ?? d.unit) === 'apr';
  const fields: FieldSpec[] = [timeField(bars)];
  if (apr) {
    fields.push(
      num(
        'fundingAprPct',
        bars.map((b) => b.fundingAprPct),
        {
          displayNameFromDS: DISPLAY_NAMES.fundingAprPct,
          unit: 'percent',
          decimals: 1,
        }
      )
    );
  } else {
    fields.push(
      num(
        'fundingRate8h',
        bars.map((b) => b.fundingRate8h),
        {
          displayNameFromDS: DISPLAY_NAMES.fundingRate8h,
          unit: 'percentunit',
          decimals: 4,
        }
      )
    );
  }
  if (q.includeZ ?? d.includeZ) {
    fields.push(zField(bars, 'fundingZ'));
  }
  if (q.perVenue ?? d.perVenue) {
    fields.push(
      ...perVenueFields(
        bars,
        'funding8h',
        apr ? 'fundingAprPct' : 'fundingRate8h',
        (v) =>
          apr
            ? { displayNameFromDS: `Funding APR ${v}`, unit: 'percent', decimals: 1 }
            : { displayNameFromDS: `Funding (8h) ${v}`, unit: 'percentunit', decimals: 4 },
        apr ? APR_FACTOR : 1
      )
    );
  }
  return [frame(ctx, 'funding', fields)];
}

/** A 0/1 state field with value mappings (1 = the state's colour, 0 = transparent) for the state-timeline panel. */
function stateField(bars: Bar[], kind: StateKind): FieldSpec {
  return {
    name: kind,
    type: FieldType.number,
    values: bars.map((b) => (b.states.includes(kind) ? 1 : 0)),
    config: {
      displayNameFromDS: DISPLAY_NAMES[kind],
      unit: 'none',
      decimals: 0,
      min: 0,
      max: 1,
      color: { mode: FieldColorModeId.Thresholds },
      thresholds: {
        mode: ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'transparent' },
          { value: 1, color: STATE_COLORS[kind] },
        ],
      },
      mappings: [
        {
          type: MappingType.ValueToText,
          options: {
            '0': { text: ' ', color: 'transparent', index: 0 },
            '1': { text: DISPLAY_NAMES[kind], color: STATE_COLORS[kind], index: 1 },
          },
        },
      ],
    },
  };
}

/** Events as a frame: time, timeEnd, kind, title, text, tags (the annotation shape). */
export function eventsFrame(events: FlowEvent[], ctx: FrameContext, name = 'events'): DataFrame {
  return frame(
    ctx,
    name,
    [
      { name: 'time', type: FieldType.time, values: events.map((e) => e.time) },
      { name: 'timeEnd', type: FieldType.time, values: events.map((e) => e.timeEnd) },
      { name: 'kind', type: FieldType.string, values: events.map((e) => e.kind) },
      { name: 'title', type: FieldType.string, values: events.map((e) => e.title) },
      { name: 'text', type: FieldType.string, values: events.map((e) => e.text) },
      { name: 'tags', type: FieldType.other, values: events.map((e) => ['btc-flow', e.kind]) },
      { name: 'color', type: FieldType.string, values: events.map((e) => STATE_COLORS[e.kind]) },
    ],
    { dataTopic: undefined }
  );
}

function statesOrEvents(
  bars: Bar[],
  events: FlowEvent[],
  format: StateFormat,
  kinds: readonly StateKind[],
  ctx: FrameContext,
  name: string,
  extra: FieldSpec[] = []
): DataFrame[] {
  if (format === 'events') {
    return [
      eventsFrame(
        events.filter((e) => kinds.includes(e.kind)),
        ctx,
        name
      ),
    ];
  }
  return [frame(ctx, name, [timeField(bars), ...kinds.map((k) => stateField(bars, k)), ...extra])];
}

export function signalsFrames(bars: Bar[], events: FlowEvent[], q: QueryOf<'signals'>, ctx: FrameContext): DataFrame[] {
  const kinds: SignalKind[] = q.kinds?.length ? SIGNAL_KINDS.filter((k) => q.kinds!.includes(k)) : [...SIGNAL_KINDS];
  return statesOrEvents(bars, events, q.format ?? DEFAULT_QUERIES.signals.format, kinds, ctx, 'signals');
}

export function extremesFrames(
  bars: Bar[],
  events: FlowEvent[],
  q: QueryOf<'extremes'>,
  ctx: FrameContext
): DataFrame[] {
  const kinds: ExtremeKind[] = q.kinds?.length ? EXTREME_KINDS.filter((k) => q.kinds!.includes(k)) : [...EXTREME_KINDS];
  const extra =
    (q.includeScore ?? DEFAULT_QUERIES.extremes.includeScore)
      ? [
          num(
            'extremeScore',
            bars.map((b) => b.extremeScore),
            zConfig(DISPLAY_NAMES.extremeScore)
          ),
        ]
      : [];
  return statesOrEvents(bars, events, q.format ?? DEFAULT_QUERIES.extremes.format, kinds, ctx, 'extremes', extra);
}

export function pricesFrames(bars: Bar[], q: QueryOf<'prices'>, ctx: FrameContext): DataFrame[] {
  const d = DEFAULT_QUERIES.prices;
  const markets = q.markets?.length ? q.markets : d.markets;
  const fields: FieldSpec[] = [timeField(bars)];
  if (q.includeBaskets ?? d.includeBaskets) {
    if (markets.includes('spot')) {
      fields.push(
        num(
          'spotUsd',
          bars.map((b) => b.spotUsd),
          usdConfig(DISPLAY_NAMES.spotUsd)
        )
      );
    }
    if (markets.includes('perp')) {
      fields.push(
        num(
          'perpUsd',
          bars.map((b) => b.perpUsd),
          usdConfig(DISPLAY_NAMES.perpUsd)
        )
      );
    }
  }
  for (const m of markets) {
    fields.push(...perVenueFields(bars, m, m, (v) => usdConfig(`${m === 'spot' ? 'Spot' : 'Perp'} ${v}`)));
  }
  return [frame(ctx, 'prices', fields)];
}

export function coverageFrames(
  bars: Bar[],
  coverageBars: BarCoverage[],
  q: QueryOf<'coverage'>,
  ctx: FrameContext
): DataFrame[] {
  const count = (k: 'spot' | 'perp' | 'oi' | 'funding'): FieldSpec =>
    num(
      k,
      bars.map((b) => b.counts[k]),
      { displayNameFromDS: DISPLAY_NAMES[k], unit: 'none', decimals: 0, min: 0 }
    );
  const fields: FieldSpec[] = [timeField(bars), count('spot'), count('perp'), count('oi'), count('funding')];
  if (q.includeExcluded ?? DEFAULT_QUERIES.coverage.includeExcluded) {
    const excludedByTime = new Map(coverageBars.map((c) => [c.time, c.excluded]));
    fields.push({
      name: 'excluded',
      type: FieldType.string,
      values: bars.map((b) => (excludedByTime.get(b.time) ?? []).join(', ')),
      config: { displayNameFromDS: DISPLAY_NAMES.excluded },
    });
  }
  return [frame(ctx, 'coverage', fields)];
}

/** Dispatch on the query type. */
export function buildFrames(result: VisibleResult, q: QueryOf<QueryType>, ctx: FrameContext): DataFrame[] {
  const { bars, events } = result;
  switch (q.queryType) {
    case 'premium':
      return premiumFrames(bars, q, ctx);
    case 'oi':
      return oiFrames(bars, q, ctx);
    case 'oiZ':
      return oiZFrames(bars, q, ctx);
    case 'funding':
      return fundingFrames(bars, q, ctx);
    case 'signals':
      return signalsFrames(bars, events, q, ctx);
    case 'extremes':
      return extremesFrames(bars, events, q, ctx);
    case 'prices':
      return pricesFrames(bars, q, ctx);
    case 'coverage':
      return coverageFrames(bars, result.coverageBars, q, ctx);
  }
}
