/**
 * "BTC Flow — macro": the view the strategy is made for, weekly (or monthly) bars over years, as code.
 * `npm run dashboards` writes it to `dashboards/btc-flow-macro.json`; `dashboards/btc-flow-macro.test.ts` fails when
 * the committed JSON differs.
 *
 * It reuses the panels of the main dashboard (dashboards/btc-flow.ts) with its own variables: timeframe 1w or 1M,
 * lookbacks in weeks, the last 5 years, and the recorder-backed data source by default, because years of bars are
 * what the recorder serves in a second and the exchanges in minutes (docs/dashboard.md, "The macro dashboard").
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  COMMON,
  HIDDEN,
  annotations,
  assetVariable,
  coverageRow,
  formatDashboardJson,
  fundingRow,
  oiRow,
  overviewRow,
  premiumRow,
  resetPanelIds,
  signalsRow,
  venuesVariable,
  takePanelId,
  tsPanel,
} from './btc-flow';
import { DATASOURCE_VARIABLE, PLUGIN_ID, target } from './target';

export const MACRO_UID = 'btc-flow-macro';
export const MACRO_TITLE = 'BTC Flow — macro';

/**
 * The data source selected by default: "BTC Flow", whose provisioned Recorder URL points at the compose `recorder`
 * service (provisioning/datasources/btc-flow.yaml).
 */
export const MACRO_DATASOURCE_UID = 'btc-flow';
export const MACRO_DATASOURCE_NAME = 'BTC Flow';

/** The last 5 years: more than one full cycle (2021 top, 2022 bottom, 2024–25 highs) at weekly bars (~260 bars). */
export const MACRO_TIME = { from: 'now-5y', to: 'now' } as const;
/** Weekly bars by default; monthly as the option (60 bars over 5 years). */
export const MACRO_TIMEFRAMES = ['1w', '1M'] as const;
export const MACRO_DEFAULT_TIMEFRAME = '1w';
/** Lookback choices in bars; `auto` = 52 at 1w (one year) and 24 at 1M (two years), the engine's defaults. */
export const MACRO_LOOKBACK_CHOICES = ['auto', '26', '52', '104', '156'] as const;

/** The spot basket's close on a log scale, with the annotations: where in the cycle each state fired. */
function priceRow(): Array<{ build(): dashboard.Panel }> {
  const price = tsPanel(
    'Spot basket price (log scale)',
    'Close of the spot basket in USD per bar, on a log scale so that equal percentage moves look equal over years. ' +
      'The confluence and extreme annotations shade the periods in which each state held: read where in the cycle ' +
      'they fired.'
  )
    .withTarget(target({ refId: 'A', queryType: 'premium', includeBaskets: true, includeZ: false, ...COMMON }))
    .unit('currencyUSD')
    .decimals(0)
    .span(24)
    .height(9)
    .lineWidth(2)
    .scaleDistribution(new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(10))
    .overrideByName('premiumPct', [HIDDEN])
    .overrideByName('perpUsd', [HIDDEN]);
  return [price];
}

function variables(): Array<
  dashboard.DatasourceVariableBuilder | dashboard.QueryVariableBuilder | dashboard.CustomVariableBuilder
> {
  const ds = new dashboard.DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Data source')
    .description(
      'A BTC Flow data source. "BTC Flow" reads the recorder (years of stored history, live bars after its last ' +
        'closed bar); "BTC Flow (offline demo)" the recorder of the mock exchanges.'
    )
    .type(PLUGIN_ID)
    .current({ text: MACRO_DATASOURCE_NAME, value: MACRO_DATASOURCE_UID, selected: true });

  const asset = assetVariable();

  const timeframe = new dashboard.CustomVariableBuilder('timeframe')
    .label('Timeframe')
    .description('Weekly bars (weeks start Monday 00:00 UTC) or monthly bars (calendar months, UTC).')
    .values(MACRO_TIMEFRAMES.join(','))
    .current({ text: MACRO_DEFAULT_TIMEFRAME, value: MACRO_DEFAULT_TIMEFRAME, selected: true })
    .options(MACRO_TIMEFRAMES.map((v) => ({ text: v, value: v, selected: v === MACRO_DEFAULT_TIMEFRAME })));

  const lookback = new dashboard.CustomVariableBuilder('lookback')
    .label('z-score lookback (bars)')
    .description('Window of every z-score, in bars. `auto` = 52 weeks at 1w, 24 months at 1M.')
    .values(MACRO_LOOKBACK_CHOICES.join(','))
    .current({ text: 'auto', value: 'auto', selected: true })
    .options(MACRO_LOOKBACK_CHOICES.map((v) => ({ text: v, value: v, selected: v === 'auto' })));

  const venues = venuesVariable();

  return [ds, asset, timeframe, lookback, venues];
}

/** Builds the macro dashboard model (deterministic). The classic (v1) model, as for the main dashboard. */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export function buildMacroDashboard(): dashboard.Dashboard {
  resetPanelIds();
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const builder = new dashboard.DashboardBuilder(MACRO_TITLE)
    .uid(MACRO_UID)
    .description(
      'The macro leverage view: spot premium, aggregated open interest and composite funding on weekly or monthly ' +
        'bars over years, with confluence and extreme events. Reads the recorder. How to read it: docs/dashboard.md.'
    )
    .tags(['btc-flow', 'bitcoin', 'derivatives', 'macro'])
    .editable()
    .timezone('utc')
    .time({ ...MACRO_TIME })
    .timepicker(new dashboard.TimePickerBuilder().refreshIntervals(['1h', '6h', '1d']))
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .weekStart('monday')
    .variables(variables())
    .annotations(annotations());

  const rows: Array<[string, () => Array<{ build(): dashboard.Panel }>]> = [
    ['Overview', overviewRow],
    ['Price', priceRow],
    ['Premium', premiumRow],
    ['Open interest', oiRow],
    ['Funding', fundingRow],
    ['Signals', signalsRow],
    ['Coverage', coverageRow],
  ];
  for (const [title, makePanels] of rows) {
    builder.withRow(new dashboard.RowBuilder(title).id(takePanelId()));
    for (const p of makePanels()) {
      builder.withPanel(p);
    }
  }
  const built = builder.build();
  for (const a of built.annotations?.list ?? []) {
    delete a.placement;
  }
  return built;
}

/** The macro dashboard as written to dashboards/btc-flow-macro.json. */
export function macroDashboardJson(): Promise<string> {
  return formatDashboardJson(buildMacroDashboard());
}
