/**
 * The metric catalog: every per-bar metric of the engine with its name (the Bar / EngineColumns field), unit, display
 * name and one-line help, plus the display names of the states and venue counts. One place for these: frame display
 * names, the z-score list, the CLI's bar fields and the recorder's exported metric names are derived from it. A name
 * registered twice is an error at load time (as prom-client's Registry does). Data only: no I/O.
 */
import { BarCounts, StateKind } from './types';

/** One metric of the catalog. */
export interface MetricSpec {
  /** The Bar (and EngineColumns) field. */
  readonly name: string;
  /** Unit of the field's value, in words. */
  readonly unit: string;
  /** Name shown in Grafana (field display name). */
  readonly displayName: string;
  /** One line saying what the value is (docs/metrics.md has the formula). */
  readonly help: string;
  /** For a z-score: the metric whose values it is computed from (docs/metrics.md §9). */
  readonly zOf?: string;
  /** In the `btc-flow compute` output bars (JSON, CSV), in catalog order. */
  readonly cli: boolean;
  /** Exported by the recorder as a Prometheus gauge: its key, name (base unit in the name), help and scale from `unit`. */
  readonly exported?: { readonly key: string; readonly name: string; readonly help: string; readonly scale: number };
}

/** The catalog, in output order (also the CLI's bar field order). */
export const METRICS = [
  { name: 'time', unit: 'UTC epoch ms', displayName: 'Time', help: 'Start of the bar.', cli: true },
  {
    name: 'spotUsd',
    unit: 'USD',
    displayName: 'Spot basket',
    help: 'Spot basket close: mean of the spot venues.',
    cli: true,
  },
  {
    name: 'perpUsd',
    unit: 'USD',
    displayName: 'Perp basket',
    help: 'Perp basket close: mean of the perp venues.',
    cli: true,
  },
  {
    name: 'premiumPct',
    unit: 'percent',
    displayName: 'Spot premium',
    help: 'Spot basket premium over the perp basket, (S − P) / P × 100, after premiumSmoothing.',
    cli: true,
    exported: {
      key: 'spotPremium',
      name: 'btcflow_spot_premium_ratio',
      help: 'Spot basket premium over the perp basket at the last closed bar, as a ratio ((spot - perp) / perp; 0.001 = 0.1 %).',
      scale: 0.01,
    },
  },
  {
    name: 'premiumZ',
    unit: 'z (population sd)',
    displayName: 'Premium z-score',
    help: 'z-score of the spot premium over the lookback.',
    zOf: 'premiumPct',
    cli: true,
    exported: {
      key: 'premiumZ',
      name: 'btcflow_premium_zscore',
      help: 'Z-score of the spot premium over the lookback window (default lookback of the timeframe), last closed bar.',
      scale: 1,
    },
  },
  {
    name: 'oiUsd',
    unit: 'USD',
    displayName: 'Open interest',
    help: 'Aggregated open interest: the sum over venues in USD.',
    cli: true,
    exported: {
      key: 'openInterest',
      name: 'btcflow_open_interest_usd',
      help: 'Aggregated open interest across venues in US dollars at the last closed bar.',
      scale: 1,
    },
  },
  {
    name: 'oiIndexUsd',
    unit: 'USD',
    displayName: 'OI index',
    help: 'Chain-linked OI index, equal to oiUsd on the last bar with OI.',
    cli: true,
  },
  {
    name: 'oiZ',
    unit: 'z (population sd)',
    displayName: 'OI z-score',
    help: 'z-score of the chain-linked OI index over the lookback.',
    zOf: 'oiIndexUsd',
    cli: true,
    exported: {
      key: 'openInterestZ',
      name: 'btcflow_open_interest_zscore',
      help: 'Z-score of the chain-linked open interest index over the lookback window, last closed bar.',
      scale: 1,
    },
  },
  {
    name: 'fundingRate8h',
    unit: 'decimal per 8 h',
    displayName: 'Funding (8h)',
    help: 'Composite funding rate, OI-weighted 8h TWAP of the venues, after fundingSmoothing.',
    cli: true,
    exported: {
      key: 'funding8h',
      name: 'btcflow_funding_rate_8h_ratio',
      help: 'Composite funding rate per 8 hours as a ratio (0.0001 = 0.01 % per 8h), time-weighted over the last closed bar.',
      scale: 1,
    },
  },
  {
    name: 'fundingAprPct',
    unit: 'percent per year',
    displayName: 'Funding APR',
    help: 'Composite funding as a simple yearly rate: fundingRate8h × 3 × 365 × 100.',
    cli: true,
    exported: {
      key: 'fundingApr',
      name: 'btcflow_funding_apr_ratio',
      help: 'Composite funding as a yearly rate, as a ratio (0.3 = 30 % per year = 8h rate x 3 x 365), last closed bar.',
      scale: 0.01,
    },
  },
  {
    name: 'fundingZ',
    unit: 'z (population sd)',
    displayName: 'Funding z-score',
    help: 'z-score of the chain-linked funding composite over the lookback.',
    zOf: 'fundingRate8h',
    cli: true,
    exported: {
      key: 'fundingZ',
      name: 'btcflow_funding_zscore',
      help: 'Z-score of the composite funding rate over the lookback window, last closed bar.',
      scale: 1,
    },
  },
  {
    name: 'extremeScore',
    unit: 'z (mean of signed z-scores)',
    displayName: 'Extreme score',
    help: 'Mean of the available signed z components (−premiumZ, oiZ, fundingZ); positive = top side.',
    cli: false,
    exported: {
      key: 'extremeScore',
      name: 'btcflow_extreme_score',
      help: 'Signed extreme score (mean of -premium z, OI z, funding z; positive = top side), last closed bar.',
      scale: 1,
    },
  },
] as const satisfies readonly MetricSpec[];

type Catalog = (typeof METRICS)[number];
/** Name of a catalog metric. */
export type MetricName = Catalog['name'];
/** A z-score metric of the catalog. */
export type ZMetricName = Extract<Catalog, { zOf: string }>['name'];
/** A metric in the CLI's output bars. */
export type CliMetricName = Extract<Catalog, { cli: true }>['name'];
/** Key of a metric the recorder exports. */
export type ExportedKey = Extract<Catalog, { exported: object }>['exported']['key'];

/**
 * Checks a list of metrics the way prom-client's registry checks registrations: a name, display name or exported
 * name used twice throws "A metric with the name … has already been registered.". Returns the list by name.
 */
export function registerMetrics<M extends MetricSpec>(list: readonly M[]): ReadonlyMap<string, M> {
  const byName = new Map<string, M>();
  const seen = new Set<string>();
  const once = (what: string, value: string) => {
    if (seen.has(`${what}\u0000${value}`)) {
      throw new Error(`A metric with the ${what} ${value} has already been registered.`);
    }
    seen.add(`${what}\u0000${value}`);
  };
  for (const m of list) {
    once('name', m.name);
    once('display name', m.displayName);
    if (m.exported) {
      once('exported name', m.exported.name);
      once('exported key', m.exported.key);
    }
    byName.set(m.name, m);
  }
  return byName;
}

/** The catalog by metric name (checked for duplicates when this module loads). */
export const METRIC_BY_NAME = registerMetrics<Catalog>(METRICS) as ReadonlyMap<MetricName, Catalog>;

/** Display name of each catalog metric. */
export const METRIC_DISPLAY_NAMES = Object.fromEntries(METRICS.map((m) => [m.name, m.displayName])) as Record<
  MetricName,
  string
>;

/** Display names of the states (state-timeline fields). */
export const STATE_DISPLAY_NAMES: Record<StateKind, string> = {
  bullish: 'Bullish',
  bearish: 'Bearish',
  overLeverage: 'Over-leverage',
  extremeTop: 'Extreme top',
  extremeBottom: 'Extreme bottom',
};

/** Display names of the venue counts behind each metric (coverage fields). */
export const COUNT_DISPLAY_NAMES: Record<keyof BarCounts, string> = {
  spot: 'Spot venues',
  perp: 'Perp venues',
  oi: 'OI venues',
  funding: 'Funding venues',
};

/** The z-score metrics, each with the metric it is computed from. */
export const Z_METRICS = METRICS.filter((m): m is Extract<Catalog, { zOf: string }> => 'zOf' in m);

/** The CLI's bar fields, in output order. */
export const CLI_METRICS = METRICS.filter((m): m is Extract<Catalog, { cli: true }> => m.cli).map((m) => m.name);

/** The metrics the recorder exports, with their Prometheus metadata. */
export const EXPORTED_METRICS = METRICS.filter((m): m is Extract<Catalog, { exported: object }> => 'exported' in m);

/** A display name inside a sentence: "Premium z-score" → "premium z-score", "OI z-score" stays. */
export function inSentence(displayName: string): string {
  const [a, b] = displayName;
  return b !== undefined && b === b.toLowerCase() ? a.toLowerCase() + displayName.slice(1) : displayName;
}
