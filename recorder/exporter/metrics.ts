/**
 * The names, units and help texts of every metric the recorder exports at `GET /metrics` (Prometheus text format,
 * prom-client 15). One place for the names: the exporter, the alert rules' tests, the Grafana alert generator and
 * docs/alerting.md all read them from here. Conventions: the `btcflow_` prefix, base units in the name (`_usd`,
 * `_seconds`, `_ratio`), ratios rather than percentages, `_total` only on counters, an enum as one 0/1 gauge per
 * state with every state always present. Boundary: names and metadata only, no values and no I/O.
 */
import { STATE_KINDS } from '../../src/core/types';

/** Label names of the per-bar metrics. */
export const BAR_LABELS = ['asset', 'timeframe'] as const;

/**
 * The per-bar gauges: the values of the LAST CLOSED bar of each (asset, timeframe), computed by `src/core` with the
 * data source's default options. `field` names the engine's `Bar` field, `scale` converts it to the exported unit.
 */
export const BAR_GAUGES = {
  spotPremium: {
    name: 'btcflow_spot_premium_ratio',
    help: 'Spot basket premium over the perp basket at the last closed bar, as a ratio ((spot - perp) / perp; 0.001 = 0.1 %).',
    field: 'premiumPct',
    scale: 0.01,
  },
  premiumZ: {
    name: 'btcflow_premium_zscore',
    help: 'Z-score of the spot premium over the lookback window (default lookback of the timeframe), last closed bar.',
    field: 'premiumZ',
    scale: 1,
  },
  openInterest: {
    name: 'btcflow_open_interest_usd',
    help: 'Aggregated open interest across venues in US dollars at the last closed bar.',
    field: 'oiUsd',
    scale: 1,
  },
  openInterestZ: {
    name: 'btcflow_open_interest_zscore',
    help: 'Z-score of the chain-linked open interest index over the lookback window, last closed bar.',
    field: 'oiZ',
    scale: 1,
  },
  funding8h: {
    name: 'btcflow_funding_rate_8h_ratio',
    help: 'Composite funding rate per 8 hours as a ratio (0.0001 = 0.01 % per 8h), time-weighted over the last closed bar.',
    field: 'fundingRate8h',
    scale: 1,
  },
  fundingApr: {
    name: 'btcflow_funding_apr_ratio',
    help: 'Composite funding as a yearly rate, as a ratio (0.3 = 30 % per year = 8h rate x 3 x 365), last closed bar.',
    field: 'fundingAprPct',
    scale: 0.01,
  },
  fundingZ: {
    name: 'btcflow_funding_zscore',
    help: 'Z-score of the composite funding rate over the lookback window, last closed bar.',
    field: 'fundingZ',
    scale: 1,
  },
  extremeScore: {
    name: 'btcflow_extreme_score',
    help: 'Signed extreme score (mean of -premium z, OI z, funding z; positive = top side), last closed bar.',
    field: 'extremeScore',
    scale: 1,
  },
} as const;

export const BAR_TIMESTAMP = {
  name: 'btcflow_bar_timestamp_seconds',
  help: 'Start of the last closed bar the btcflow_* bar values belong to, in Unix seconds (UTC).',
} as const;

export const STATE = {
  name: 'btcflow_state',
  help: 'Confluence and extreme states of the last closed bar: 1 when the bar is in the state, 0 otherwise; every state is always present.',
  labelNames: ['asset', 'timeframe', 'state'],
  states: STATE_KINDS,
} as const;

/** Metric kinds of `btcflow_venues` (the engine's BarCounts, with `oi` spelled like the series kind). */
export const VENUE_COUNT_KINDS = ['spot', 'perp', 'openInterest', 'funding'] as const;
export type VenueCountKind = (typeof VENUE_COUNT_KINDS)[number];

export const VENUES = {
  name: 'btcflow_venues',
  help: 'Number of venues behind each metric (kind: spot, perp, openInterest, funding) at the last closed bar.',
  labelNames: ['asset', 'timeframe', 'kind'],
} as const;

/* ------------------------------------------------------------------------------------------------
 * Health of the recorder
 * ---------------------------------------------------------------------------------------------- */

export const VENUE_UP = {
  name: 'btcflow_venue_up',
  help: "1 when the recorder's latest request for this venue and series kind succeeded, 0 when it failed.",
  labelNames: ['venue', 'kind'],
} as const;

export const VENUE_LAST_POINT = {
  name: 'btcflow_venue_last_point_timestamp_seconds',
  help: 'Time of the newest point the recorder holds for this venue, series kind and asset, in Unix seconds (UTC).',
  labelNames: ['venue', 'kind', 'asset'],
} as const;

export const REQUEST_OUTCOMES = ['ok', 'error'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export const EXCHANGE_REQUESTS = {
  name: 'btcflow_exchange_requests_total',
  help: 'Exchange requests made by the recorder, by venue and outcome (ok or error).',
  labelNames: ['venue', 'outcome'],
} as const;

export const EVENTS = {
  name: 'btcflow_events_total',
  help: 'Onsets of confluence and extreme events (kind = state) seen at bar close since the recorder started.',
  labelNames: ['asset', 'timeframe', 'kind'],
} as const;

/** Every metric name the exporter registers itself (the process metrics come from prom-client's defaults). */
export const ALL_METRIC_NAMES: readonly string[] = [
  ...Object.values(BAR_GAUGES).map((g) => g.name),
  BAR_TIMESTAMP.name,
  STATE.name,
  VENUES.name,
  VENUE_UP.name,
  VENUE_LAST_POINT.name,
  EXCHANGE_REQUESTS.name,
  EVENTS.name,
];
