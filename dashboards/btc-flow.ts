/**
 * The BTC Flow dashboard as code (foundation-sdk typed builders). `npm run dashboards` writes it to
 * `dashboards/btc-flow.json`; `dashboards/btc-flow.test.ts` fails when the committed JSON differs.
 *
 * What every panel shows and how to read it: docs/dashboard.md.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import { DEFAULT_OPTIONS } from '../src/core/options';
import type { CommonQueryOptions } from '../src/datasource/types';
import {
  annotationTarget,
  DATASOURCE_REF,
  DATASOURCE_VARIABLE,
  PLUGIN_ID,
  PROMETHEUS_DATASOURCE_REF,
  target,
} from './target';

/* ------------------------------------------------------------------------------------------------
 * Identity and defaults
 * ---------------------------------------------------------------------------------------------- */

export const DASHBOARD_UID = 'btc-flow';
export const DASHBOARD_TITLE = 'BTC Flow';
/** The provisioned data source the dashboard selects by default (provisioning/datasources/btc-flow.yaml). */
export const DEFAULT_DATASOURCE_UID = 'btc-flow';
export const DEFAULT_DATASOURCE_NAME = 'BTC Flow';

/**
 * Default time range: the last 2 years at daily bars. Daily prices and funding reach back that far on most venues,
 * 2 years hold full cycles of funding spikes and OI build-ups, and ~730 bars against the 90-bar z-score window
 * leave every z-score well defined. OI history is shorter on some venues (Binance ~30 days), which the OI panels
 * and the Coverage row show. Reasons in docs/dashboard.md.
 */
export const DEFAULT_TIME = { from: 'now-2y', to: 'now' } as const;
export const DEFAULT_TIMEFRAME = '1d';

/** The lookback choices (bars); `auto` = the data source's default for the timeframe (90 bars at 1d). */
export const LOOKBACK_CHOICES = ['auto', '30', '60', '90', '180', '365'] as const;

/** Variable queries answered by the data source's metricFindQuery (src/datasource). */
export const VARIABLE_QUERIES = {
  asset: 'assets()',
  timeframe: 'timeframes()',
  venues: 'venues()',
} as const;

/** Options every target shares: the dashboard's variables. */
export const COMMON: CommonQueryOptions = {
  asset: '$asset',
  timeframe: '$timeframe',
  lookback: '$lookback',
  venues: ['$venues'],
};

/* ------------------------------------------------------------------------------------------------
 * Colours and thresholds
 * ---------------------------------------------------------------------------------------------- */

/** Annotation and state colours (issue 5): bullish green, bearish red, over-leverage orange, extremes purple. */
export const STATE_COLORS = {
  bullish: 'green',
  bearish: 'red',
  overLeverage: 'orange',
  extremeTop: 'purple',
  extremeBottom: 'purple',
} as const;

/** Readable state names (lane labels and stat names). */
export const STATE_LABELS = {
  bullish: 'Bullish',
  bearish: 'Bearish',
  overLeverage: 'Over-leverage',
  extremeTop: 'Extreme top',
  extremeBottom: 'Extreme bottom',
} as const;

type StateKindName = keyof typeof STATE_COLORS;
const STATE_KIND_NAMES = Object.keys(STATE_COLORS) as StateKindName[];

const OFF_COLOR = 'text';

/** The engine's default rule thresholds (src/core/options.ts): panel colours and descriptions follow them. */
const O = DEFAULT_OPTIONS;

/** Value mappings of a 0/1 state field: 1 = active (state colour), 0 = off (`offColor`). */
function stateMappings(kind: StateKindName, offText: string, offColor: string): dashboard.ValueMapping[] {
  return [
    {
      type: dashboard.MappingType.ValueToText,
      options: {
        '0': { text: offText, color: offColor, index: 0 },
        '1': { text: STATE_LABELS[kind], color: STATE_COLORS[kind], index: 1 },
      },
    },
  ];
}

export function steps(...s: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(s.map(([value, color]) => ({ value, color })));
}

/** Funding APR (percent per year) counted as hot: the over-leverage rule's threshold. */
const HOT_APR = O.overLeverageFundingAprPct;

/** ±2 bands for a z-score whose high side means "hot" (OI, funding): red above +2, blue below −2. */
const Z_BANDS_HOT = (): dashboard.ThresholdsConfig => steps([null, 'blue'], [-2, 'transparent'], [2, 'red']).build();
/** ±2 bands for the premium z-score, where high = spot demand (green) and low = spot selling (red). */
const Z_BANDS_PREMIUM = (): dashboard.ThresholdsConfig =>
  steps([null, 'red'], [-2, 'transparent'], [2, 'green']).build();
/** A single line at zero. */
const ZERO_LINE = (): dashboard.ThresholdsConfig => steps([null, 'transparent'], [0, 'text']).build();

export const HIDDEN: dashboard.DynamicConfigValue = {
  id: 'custom.hideFrom',
  value: { legend: true, tooltip: true, viz: true },
};

function bandOverrides(thresholds: dashboard.ThresholdsConfig, mode: common.GraphThresholdsStyleMode) {
  return [
    { id: 'thresholds', value: thresholds },
    { id: 'custom.thresholdsStyle', value: { mode } },
  ];
}

/* ------------------------------------------------------------------------------------------------
 * Panels
 * ---------------------------------------------------------------------------------------------- */

let nextId = 1;

/** Panel ids restart at 1 for every dashboard built (the macro dashboard reuses these panel builders). */
export function resetPanelIds(): void {
  nextId = 1;
}

/** The next panel id (for panels built outside this file). */
export function takePanelId(): number {
  return nextId++;
}

export function tsPanel(title: string, description: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .id(nextId++)
    .title(title)
    .description(description)
    .datasource(DATASOURCE_REF)
    .lineWidth(1)
    .fillOpacity(0)
    .spanNulls(false)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.None));
}

function statPanel(title: string, description: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .id(nextId++)
    .title(title)
    .description(description)
    .datasource(DATASOURCE_REF)
    .height(5)
    .span(6)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.Area)
    .textMode(common.BigValueTextMode.Value)
    .justifyMode(common.BigValueJustifyMode.Auto);
}

export function overviewRow(): stat.PanelBuilder[] {
  const premium = statPanel(
    'Spot premium',
    'Latest spot-basket close versus the perp basket, in percent: (spot − perp) / perp × 100. ' +
      'Green (≥ +0.05 %): spot trades above perps, buyers are paying up in spot. ' +
      'Red (≤ −0.05 %): spot trades below perps, perps lead (leverage-driven). Grey: within ±0.05 %. ' +
      'The sparkline is the premium over the dashboard range.'
  )
    .withTarget(target({ refId: 'A', queryType: 'premium', includeZ: false, includeBaskets: false, ...COMMON }))
    .span(5)
    .unit('percent')
    .decimals(3)
    .overrideByName('premiumPct', [
      { id: 'thresholds', value: steps([null, 'red'], [-0.05, OFF_COLOR], [0.05, 'green']).build() },
    ]);

  const oiZ = statPanel(
    'OI z-score',
    'How far aggregate open interest (chain-linked USD index) sits from its mean over the lookback window, in ' +
      `standard deviations. Blue (< −2): leverage flushed. Green: normal. Yellow (≥ ${O.bearishMinOiZ}): leverage ` +
      `building (the bearish rule's OI condition). Red (≥ ${O.overLeverageOiZ}): over-leveraged (the over-leverage ` +
      'rule fires when funding is hot too).'
  )
    .withTarget(target({ refId: 'A', queryType: 'oiZ', includeIndex: false, ...COMMON }))
    .span(5)
    .unit('none')
    .decimals(2)
    .overrideByName('oiZ', [
      {
        id: 'thresholds',
        value: steps([null, 'blue'], [-2, 'green'], [O.bearishMinOiZ, 'yellow'], [O.overLeverageOiZ, 'red']).build(),
      },
    ]);

  const fundingApr = statPanel(
    'Funding APR',
    'Latest composite funding rate, annualised: 8h-equivalent rate × 3 × 365 × 100 (percent per year), weighted ' +
      `across venues by open interest. Blue (< 0): shorts pay longs. Green: 0–${HOT_APR / 2} %, calm. Yellow: ` +
      `${HOT_APR / 2}–${HOT_APR} %, longs crowding. Red (≥ ${HOT_APR} %): hot funding (the over-leverage threshold).`
  )
    .withTarget(target({ refId: 'A', queryType: 'funding', unit: 'apr', perVenue: false, includeZ: false, ...COMMON }))
    .span(5)
    .unit('percent')
    .decimals(1)
    .overrideByName('fundingAprPct', [
      {
        id: 'thresholds',
        value: steps([null, 'blue'], [0, 'green'], [HOT_APR / 2, 'yellow'], [HOT_APR, 'red']).build(),
      },
    ]);

  const stateOverride = (kind: StateKindName): dashboard.DynamicConfigValue[] => [
    { id: 'displayName', value: STATE_LABELS[kind] },
    // background colour mode: an inactive state keeps the panel background (transparent) and reads "off"
    { id: 'mappings', value: stateMappings(kind, 'off', 'transparent') },
    { id: 'thresholds', value: steps([null, 'transparent'], [1, STATE_COLORS[kind]]).build() },
    { id: 'color', value: { mode: 'thresholds' } },
  ];
  const states = statPanel(
    'Active states',
    'Which states the latest bar is in. A state lights up in its colour when active: bullish confluence (green), ' +
      'bearish confluence (red), over-leverage (orange), extreme top / bottom (purple); "off" otherwise. ' +
      'Rules in docs/metrics.md; the Signals row shows their history.'
  )
    .withTarget(target({ refId: 'A', queryType: 'signals', format: 'states', ...COMMON }))
    .withTarget(target({ refId: 'B', queryType: 'extremes', format: 'states', includeScore: false, ...COMMON }))
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .textMode(common.BigValueTextMode.ValueAndName)
    .orientation(common.VizOrientation.Horizontal)
    .span(9);
  for (const kind of STATE_KIND_NAMES) {
    states.overrideByName(kind, stateOverride(kind));
  }

  return [premium, oiZ, fundingApr, states];
}

export function premiumRow(): timeseries.PanelBuilder[] {
  const pct = tsPanel(
    'Spot premium (%)',
    'Spot basket close versus the perp basket close, in percent, per bar: (spot − perp) / perp × 100. Above the ' +
      'zero line spot trades rich (spot demand); below it spot trades cheap (perps and leverage lead). Look at the ' +
      'trend and at how far it strays from zero, not at single bars.'
  )
    .withTarget(target({ refId: 'A', queryType: 'premium', includeZ: false, includeBaskets: false, ...COMMON }))
    .unit('percent')
    .decimals(3)
    .span(12)
    .height(8)
    .overrideByName('premiumPct', bandOverrides(ZERO_LINE(), common.GraphThresholdsStyleMode.Line));

  const z = tsPanel(
    'Spot premium z-score',
    'The premium in standard deviations from its mean over the lookback window. Beyond +2 (green band) spot ' +
      'demand is unusually strong; beyond −2 (red band) spot is unusually weak against perps. Readings inside the ' +
      'bands are ordinary.'
  )
    .withTarget(target({ refId: 'A', queryType: 'premium', includeZ: true, includeBaskets: false, ...COMMON }))
    .unit('none')
    .decimals(2)
    .span(12)
    .height(8)
    .overrideByName('premiumZ', bandOverrides(Z_BANDS_PREMIUM(), common.GraphThresholdsStyleMode.DashedAndArea))
    .overrideByName('premiumPct', [HIDDEN]);
  return [pct, z];
}

export function oiRow(): timeseries.PanelBuilder[] {
  const usd = tsPanel(
    'Open interest (USD), stacked by venue',
    'Open interest in USD, one stacked area per venue, so the top of the stack is the aggregate. The solid line ' +
      '"oiUsd" is the sum of the venues present at each bar; the dashed line "oiIndexUsd" is the chain-linked index ' +
      "(equal to the sum on the last bar, and not jumping when a venue's history starts), which the z-score uses. " +
      'Several venues keep only recent OI history (Binance about 30 days), so the stack thins out further back: ' +
      'see the Coverage row.'
  )
    .withTarget(target({ refId: 'A', queryType: 'oi', perVenue: true, includeIndex: true, ...COMMON }))
    .unit('currencyUSD')
    .span(12)
    .height(8)
    .fillOpacity(35)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('venues'))
    .overrideByName('oiUsd', [
      { id: 'custom.stacking', value: { mode: 'none', group: 'total' } },
      { id: 'custom.fillOpacity', value: 0 },
      { id: 'custom.lineWidth', value: 2 },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } },
    ])
    .overrideByName('oiIndexUsd', [
      { id: 'custom.stacking', value: { mode: 'none', group: 'index' } },
      { id: 'custom.fillOpacity', value: 0 },
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'yellow' } },
    ]);

  const z = tsPanel(
    'Open interest z-score',
    'The chain-linked OI index in standard deviations from its mean over the lookback window. Above +2 (red band) ' +
      'leverage is building fast; below −2 (blue band) leverage has been flushed (liquidations, de-risking). ' +
      'OI rising while price falls, or OI z above 2 with hot funding, is the over-leverage pattern.'
  )
    .withTarget(target({ refId: 'A', queryType: 'oiZ', includeIndex: false, ...COMMON }))
    .unit('none')
    .decimals(2)
    .span(12)
    .height(8)
    .overrideByName('oiZ', bandOverrides(Z_BANDS_HOT(), common.GraphThresholdsStyleMode.DashedAndArea));
  return [usd, z];
}

export function fundingRow(): timeseries.PanelBuilder[] {
  const apr = tsPanel(
    'Funding APR: composite and per venue',
    'Composite funding rate (time-weighted over each bar, 8h-equivalent, weighted by venue OI), annualised in ' +
      'percent per year. Positive: longs pay shorts (demand for leverage long); negative: shorts pay. Per-venue ' +
      `rates are in the legend but hidden: click a venue in the legend to show it. Above ${HOT_APR} %/yr counts as hot.`
  )
    .withTarget(target({ refId: 'A', queryType: 'funding', unit: 'apr', perVenue: true, includeZ: false, ...COMMON }))
    .unit('percent')
    .decimals(1)
    .span(12)
    .height(8)
    .overrideByName('fundingAprPct', [
      ...bandOverrides(
        steps([null, 'transparent'], [0, 'text'], [HOT_APR, 'red']).build(),
        common.GraphThresholdsStyleMode.Dashed
      ),
      { id: 'custom.lineWidth', value: 2 },
    ])
    .withOverride({
      // Grafana's own "hide series" override (what a legend click writes): every field but the composite starts hidden
      // in the chart and stays listed in the legend and tooltip, so a click shows it.
      __systemRef: 'hideSeriesFrom',
      matcher: {
        id: 'byNames',
        options: { mode: 'exclude', names: ['fundingAprPct'], prefix: 'All except:', readOnly: true },
      },
      properties: [{ id: 'custom.hideFrom', value: { legend: false, tooltip: false, viz: true } }],
    });

  const z = tsPanel(
    'Funding z-score',
    'The composite funding rate in standard deviations from its mean over the lookback window. Above +2 (red band) ' +
      'longs are paying unusually much (crowded longs); below −2 (blue band) shorts are crowded. Together with the ' +
      'OI z-score this drives the over-leverage state.'
  )
    .withTarget(target({ refId: 'A', queryType: 'funding', unit: 'apr', perVenue: false, includeZ: true, ...COMMON }))
    .unit('none')
    .decimals(2)
    .span(12)
    .height(8)
    .overrideByName('fundingZ', bandOverrides(Z_BANDS_HOT(), common.GraphThresholdsStyleMode.DashedAndArea))
    .overrideByName('fundingAprPct', [HIDDEN]);
  return [apr, z];
}

export function signalsRow(): Array<statetimeline.PanelBuilder | table.PanelBuilder> {
  const timeline = new statetimeline.PanelBuilder()
    .id(nextId++)
    .title('Signal states')
    .description(
      'One lane per state, coloured while the state is active (default thresholds; a data source can change them). ' +
        `States are regimes: each starts on a strict test and holds on a looser one, at least ${O.stateMinBars} bars. ` +
        `Bullish confluence (green): the ${O.premiumEmaBars}-bar EMA of the spot premium above ${O.premiumDeadbandPct} % ` +
        `and up by more than ${O.premiumSlopeDeadbandPct} pt over ${O.premiumSlopeBars} bars, while OI z < ` +
        `${O.bullishMaxOiZ}, funding z < ${O.bullishMaxFundingZ} and funding < ${O.bullishMaxFundingAprPct} %/yr; ` +
        `holds while the EMA premium stays above −${O.premiumExitMarginPct} %. Bearish confluence (red): the mirror ` +
        `image (below −${O.premiumDeadbandPct} % and falling, held while below +${O.premiumExitMarginPct} %) while ` +
        `leverage builds (OI z ≥ ${O.bearishMinOiZ} or funding z ≥ ${O.bearishMinFundingZ}). ` +
        `Over-leverage (orange): OI z ≥ ${O.overLeverageOiZ} with funding z ≥ ${O.overLeverageFundingZ} or funding ≥ ` +
        `${O.overLeverageFundingAprPct} %/yr, held until OI z falls below ${O.overLeverageExitOiZ}. Extreme top / bottom (purple): at least ${O.extremeMinCount} of −premium z, ` +
        `OI z and funding z beyond ±${O.extremeZ} with their mean beyond ±${O.extremeScoreMin} (held until the mean ` +
        `falls back inside ±${O.extremeExitScore}). Blank = inactive. The same periods are drawn as ` +
        'annotations on every time-series panel.'
    )
    .datasource(DATASOURCE_REF)
    .withTarget(target({ refId: 'A', queryType: 'signals', format: 'states', ...COMMON }))
    .withTarget(target({ refId: 'B', queryType: 'extremes', format: 'states', includeScore: false, ...COMMON }))
    .span(24)
    .height(7)
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true)
    .rowHeight(0.8)
    .fillOpacity(80)
    .legend(new common.VizLegendOptionsBuilder().showLegend(false));
  for (const kind of STATE_KIND_NAMES) {
    timeline.overrideByName(kind, [
      { id: 'displayName', value: STATE_LABELS[kind] },
      { id: 'mappings', value: stateMappings(kind, ' ', 'transparent') },
      { id: 'thresholds', value: steps([null, 'transparent'], [1, STATE_COLORS[kind]]).build() },
      { id: 'color', value: { mode: 'thresholds' } },
    ]);
  }

  const events = new table.PanelBuilder()
    .id(nextId++)
    .title('Signal and extreme events')
    .description(
      'Every period of a state as one row: start, end (exclusive), kind and a summary of the metrics behind it, ' +
        'newest first. An event still open at the last bar ends at the current bar.'
    )
    .datasource(DATASOURCE_REF)
    .withTarget(target({ refId: 'A', queryType: 'signals', format: 'events', ...COMMON }))
    .withTarget(target({ refId: 'B', queryType: 'extremes', format: 'events', ...COMMON }))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'time', desc: true }] } })
    .span(24)
    .height(8)
    .cellHeight(common.TableCellHeight.Sm)
    .overrideByName('kind', [
      {
        id: 'mappings',
        value: [
          {
            type: dashboard.MappingType.ValueToText,
            options: Object.fromEntries(
              STATE_KIND_NAMES.map((kind, index) => [
                kind,
                { text: STATE_LABELS[kind], color: STATE_COLORS[kind], index },
              ])
            ),
          },
        ],
      },
      { id: 'custom.cellOptions', value: { type: 'color-text' } },
    ])
    .overrideByName('tags', [{ id: 'custom.hidden', value: true }])
    .overrideByName('color', [{ id: 'custom.hidden', value: true }]);
  return [timeline, events];
}

export function coverageRow(): Array<timeseries.PanelBuilder | bargauge.PanelBuilder> {
  const overTime = tsPanel(
    'Venues behind each metric',
    'How many venues stand behind the spot basket, the perp basket, open interest and funding at each bar. A drop ' +
      'means venues had no data for that bar (history not that deep, a failed venue, or a stale series left out). ' +
      'Fewer OI venues further back is expected: several venues only serve recent OI history.'
  )
    .withTarget(target({ refId: 'A', queryType: 'coverage', includeExcluded: false, ...COMMON }))
    .unit('none')
    .decimals(0)
    .min(0)
    .span(16)
    .height(7)
    .lineInterpolation(common.LineInterpolation.StepAfter)
    .lineWidth(2);

  const now = new bargauge.PanelBuilder()
    .id(nextId++)
    .title('Venues at the latest bar')
    .description(
      'The venue counts of the latest bar. Red: no venue (the metric is missing); yellow: one venue (no cross-check); ' +
        'green: two or more.'
    )
    .datasource(DATASOURCE_REF)
    .withTarget(target({ refId: 'A', queryType: 'coverage', includeExcluded: false, ...COMMON }))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .orientation(common.VizOrientation.Horizontal)
    .unit('none')
    .decimals(0)
    .min(0)
    .thresholds(steps([null, 'red'], [1, 'yellow'], [2, 'green']))
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds))
    .span(8)
    .height(7);
  return [overTime, now];
}

/* ------------------------------------------------------------------------------------------------
 * Variables and annotations
 * ---------------------------------------------------------------------------------------------- */

/** The `asset` variable: the base assets the configured venues trade, BTC by default (shared with the macro dashboard). */
export function assetVariable(): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder('asset')
    .label('Asset')
    .description('Base asset; the list is what the configured venues trade.')
    .datasource(DATASOURCE_REF)
    .query(VARIABLE_QUERIES.asset)
    .definition(VARIABLE_QUERIES.asset)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .current({ text: 'BTC', value: 'BTC', selected: true });
}

/** The `venues` variable: a multi-select subset of the configured venues, All by default (shared with the macro dashboard). */
export function venuesVariable(): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder('venues')
    .label('Venues')
    .description('Venue subset used by every panel; All = every venue configured in the data source.')
    .datasource(DATASOURCE_REF)
    .query(VARIABLE_QUERIES.venues)
    .definition(VARIABLE_QUERIES.venues)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ text: ['All'], value: ['$__all'], selected: true });
}

function variables(): Array<
  dashboard.DatasourceVariableBuilder | dashboard.QueryVariableBuilder | dashboard.CustomVariableBuilder
> {
  const ds = new dashboard.DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Data source')
    .description('A BTC Flow data source: the live one, or "BTC Flow (offline demo)" against the mock exchange server.')
    .type(PLUGIN_ID)
    .current({ text: DEFAULT_DATASOURCE_NAME, value: DEFAULT_DATASOURCE_UID, selected: true });

  const asset = assetVariable();

  const timeframe = new dashboard.QueryVariableBuilder('timeframe')
    .label('Timeframe')
    .description(
      'Bar timeframe. `auto` derives it from the panel width and time range; 1d suits the default 2-year range.'
    )
    .datasource(DATASOURCE_REF)
    .query(VARIABLE_QUERIES.timeframe)
    .definition(VARIABLE_QUERIES.timeframe)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.Disabled)
    .current({ text: DEFAULT_TIMEFRAME, value: DEFAULT_TIMEFRAME, selected: true });

  const lookback = new dashboard.CustomVariableBuilder('lookback')
    .label('z-score lookback (bars)')
    .description('Window of every z-score, in bars. `auto` = the default for the timeframe (90 bars at 1d).')
    .values(LOOKBACK_CHOICES.join(','))
    .current({ text: 'auto', value: 'auto', selected: true })
    .options(LOOKBACK_CHOICES.map((v) => ({ text: v, value: v, selected: v === 'auto' })));

  const venues = venuesVariable();

  return [ds, asset, timeframe, lookback, venues];
}

/** The annotations: each a region per event, on by default, switchable from the dashboard's controls. */
export const ANNOTATIONS = [
  { name: 'Bullish confluence', queryType: 'signals', kind: 'bullish', color: STATE_COLORS.bullish },
  { name: 'Bearish confluence', queryType: 'signals', kind: 'bearish', color: STATE_COLORS.bearish },
  { name: 'Over-leverage', queryType: 'signals', kind: 'overLeverage', color: STATE_COLORS.overLeverage },
  { name: 'Extreme top', queryType: 'extremes', kind: 'extremeTop', color: STATE_COLORS.extremeTop },
  { name: 'Extreme bottom', queryType: 'extremes', kind: 'extremeBottom', color: STATE_COLORS.extremeBottom },
] as const;

export function annotations(): dashboard.AnnotationQueryBuilder[] {
  return ANNOTATIONS.map((a, i) => {
    const refId = `Anno${i + 1}`;
    const query =
      a.queryType === 'signals'
        ? annotationTarget({ refId, queryType: 'signals', kinds: [a.kind], ...COMMON })
        : annotationTarget({ refId, queryType: 'extremes', kinds: [a.kind], ...COMMON });
    return new dashboard.AnnotationQueryBuilder()
      .name(a.name)
      .datasource(DATASOURCE_REF)
      .enable(true)
      .hide(false)
      .iconColor(a.color)
      .target(query);
  });
}

/* ------------------------------------------------------------------------------------------------
 * The dashboard
 * ---------------------------------------------------------------------------------------------- */

/** An instant or range PromQL target on the provisioned Prometheus data source. */
function promTarget(refId: string, expr: string, legend: string, instant: boolean): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder()
    .refId(refId)
    .expr(expr)
    .legendFormat(legend)
    .datasource(PROMETHEUS_DATASOURCE_REF);
  return instant ? q.instant().format(prometheus.PromQueryFormat.Table) : q.range();
}

/**
 * The Alerts row (issue 11): what the recorder's exporter and the alert rules say now, through the provisioned
 * Prometheus data source (not the BTC Flow data source: alerting runs on the server, see docs/alerting.md). These
 * panels show nothing until Prometheus and the recorder run (docker-compose.yml starts both).
 */
function alertsRow(): Array<table.PanelBuilder | statetimeline.PanelBuilder | stat.PanelBuilder> {
  const firing = new table.PanelBuilder()
    .id(nextId++)
    .title('Firing alerts')
    .description(
      "BTC Flow alerts that Prometheus evaluates now (prometheus/rules.yml, through Prometheus' ALERTS series): " +
        'pending ones have met their condition but not yet their `for:` duration. Values are those of the last ' +
        'closed bar of each asset and timeframe. Grafana-managed copies of the same rules are under Alerting → ' +
        'Alert rules (folder BTC Flow). Empty = nothing firing. How each rule works: docs/alerting.md.'
    )
    .datasource(PROMETHEUS_DATASOURCE_REF)
    .withTarget(promTarget('A', 'ALERTS{alertname=~"BtcFlow.+"}', '', true))
    .withTransformation({
      id: 'organize',
      options: { excludeByName: { Time: true, Value: true, __name__: true }, indexByName: {}, renameByName: {} },
    })
    .span(12)
    .height(8)
    .cellHeight(common.TableCellHeight.Sm)
    .overrideByName('alertstate', [
      {
        id: 'mappings',
        value: [
          {
            type: dashboard.MappingType.ValueToText,
            options: {
              firing: { text: 'firing', color: 'red', index: 0 },
              pending: { text: 'pending', color: 'orange', index: 1 },
            },
          },
        ],
      },
      { id: 'custom.cellOptions', value: { type: 'color-text' } },
    ]);

  const venues = new statetimeline.PanelBuilder()
    .id(nextId++)
    .title('Recorder: venues up')
    .description(
      "Whether the recorder's latest request for each venue and series kind succeeded (btcflow_venue_up), over the " +
        'last 24 hours. Red lanes are failing venues: their data is left out and the metrics come from the others; ' +
        'the venue-down alert fires after 3 hours.'
    )
    .datasource(PROMETHEUS_DATASOURCE_REF)
    .withTarget(promTarget('A', 'btcflow_venue_up', '{{venue}} {{kind}}', false))
    .timeFrom('24h')
    .span(12)
    .height(8)
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true)
    .legend(new common.VizLegendOptionsBuilder().showLegend(false))
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } },
      },
    ]);

  const up = new stat.PanelBuilder()
    .id(nextId++)
    .title('Recorder')
    .description(
      'Whether Prometheus reaches the recorder (up{job="btc-flow-recorder"}). Down (or no data) means no BTC Flow ' +
        'metric is current and no other alert can fire; the recorder-down alert fires after 2 minutes.'
    )
    .datasource(PROMETHEUS_DATASOURCE_REF)
    .withTarget(promTarget('A', 'up{job="btc-flow-recorder"}', '{{instance}}', true))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .noValue('no data')
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } },
      },
    ])
    .span(6)
    .height(5);

  const age = new stat.PanelBuilder()
    .id(nextId++)
    .title('Age of the last closed bar')
    .description(
      'How long ago the last bar the recorder exported for the selected asset started, per timeframe ' +
        '(time() − btcflow_bar_timestamp_seconds). Normal: between one and two bars (the bar in progress is never ' +
        'exported). More than 3 bars fires the data-stale alert.'
    )
    .datasource(PROMETHEUS_DATASOURCE_REF)
    .withTarget(promTarget('A', 'time() - btcflow_bar_timestamp_seconds{asset="$asset"}', '{{timeframe}}', true))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .unit('s')
    .span(18)
    .height(5);
  return [firing, venues, up, age];
}

/**
 * Builds the dashboard model (deterministic: same output on every call).
 *
 * The classic (v1) dashboard model on purpose, although foundation-sdk marks it deprecated in favour of dashboardv2:
 * file provisioning and plugin.json `includes` in Grafana 12.x load v1 JSON, while v2 needs the
 * `kubernetesDashboards` / `dashboardNewLayouts` feature toggles.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export function buildDashboard(): dashboard.Dashboard {
  nextId = 1;
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const builder = new dashboard.DashboardBuilder(DASHBOARD_TITLE)
    .uid(DASHBOARD_UID)
    .description(
      'Spot premium, aggregated open interest and composite funding from public exchange data, with their z-scores, ' +
        'confluence signals and extreme tops / bottoms. How to read it: docs/dashboard.md.'
    )
    .tags(['btc-flow', 'bitcoin', 'derivatives', 'funding', 'open-interest'])
    .editable()
    .timezone('utc')
    .time({ ...DEFAULT_TIME })
    .timepicker(new dashboard.TimePickerBuilder().refreshIntervals(['5m', '15m', '1h', '6h', '1d']))
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .weekStart('monday')
    .variables(variables())
    .annotations(annotations());

  const rows: Array<[string, () => Array<{ build(): dashboard.Panel }>]> = [
    ['Overview', overviewRow],
    ['Premium', premiumRow],
    ['Open interest', oiRow],
    ['Funding', fundingRow],
    ['Signals', signalsRow],
    ['Coverage', coverageRow],
    ['Alerts', alertsRow],
  ];
  for (const [title, makePanels] of rows) {
    builder.withRow(new dashboard.RowBuilder(title).id(nextId++));
    for (const p of makePanels()) {
      builder.withPanel(p);
    }
  }
  const built = builder.build();
  // foundation-sdk defaults every annotation to `placement: inControlsMenu` (toggle hidden in a menu); without it
  // Grafana shows each annotation's on/off switch in the dashboard's top bar.
  for (const a of built.annotations?.list ?? []) {
    delete a.placement;
  }
  return built;
}

/**
 * The dashboard as written to dashboards/btc-flow.json: formatted by prettier with the repository's settings, so that
 * `npm run lint:fix` (prettier --write .) leaves the committed file as the generator wrote it.
 */
export async function dashboardJson(): Promise<string> {
  return formatDashboardJson(buildDashboard());
}

/** A dashboard model as JSON text, formatted by prettier with the repository's settings. */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export async function formatDashboardJson(model: dashboard.Dashboard): Promise<string> {
  // prettier's standalone build with its JSON parser: no dynamic import(), so it also runs inside jest
  const [prettier, babel, estree] = await Promise.all([
    import('prettier/standalone'),
    import('prettier/plugins/babel'),
    import('prettier/plugins/estree'),
  ]);
  const repoOptions: Record<string, unknown> = require('../.prettierrc.js');
  return prettier.format(JSON.stringify(model, null, 2), {
    ...repoOptions,
    parser: 'json',
    plugins: [babel, estree],
  });
}
