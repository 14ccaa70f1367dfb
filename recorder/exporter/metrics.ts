/**
 * The names, units and help texts of every metric the recorder exports at `GET /metrics` (Prometheus text format,
 * prom-client 15). One place for the names: the exporter, the alert rules' tests, the Grafana alert generator and
 * docs/alerting.md all read them from here. Conventions: the `btcflow_` prefix, base units in the name (`_usd`,
 * `_seconds`, `_ratio`), ratios rather than percentages, `_total` only on counters, an enum as one 0/1 gauge per
 * state with every state always present. Boundary: names and metadata only, no values and no I/O.
 */
import { EXPORTED_METRICS, type ExportedKey, type MetricName } from '../../src/core/metrics';
import { STATE_KINDS } from '../../src/core/types';

/** Label names of the per-bar metrics. */
export const BAR_LABELS = ['asset', 'timeframe'] as const;

/** One per-bar gauge: Prometheus name and help, the engine's `Bar` field it reads and the scale to the exported unit. */
export interface BarGaugeSpec {
  name: string;
  help: string;
  field: MetricName;
  scale: number;
}

/**
 * The per-bar gauges: the values of the LAST CLOSED bar of each (asset, timeframe), computed by `src/core` with the
 * data source's default options. Derived from the metric catalog (`src/core/metrics.ts`, its `exported` entries):
 * `field` names the engine's `Bar` field, `scale` converts it to the exported unit.
 */
export const BAR_GAUGES = Object.fromEntries(
  EXPORTED_METRICS.map((m) => [
    m.exported.key,
    { name: m.exported.name, help: m.exported.help, field: m.name, scale: m.exported.scale },
  ])
) as Record<ExportedKey, BarGaugeSpec>;

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
