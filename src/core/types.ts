/**
 * Shared types of the BTC Flow metric engine. The engine is pure: these types describe
 * what goes in (a bundle of raw per-venue series) and what comes out (bars, events, coverage).
 */

/** Supported bar timeframes. Bucket boundaries follow exchange kline boundaries in UTC. */
export const TIMEFRAMES = ['1h', '4h', '1d', '3d', '1w', '1M'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

/** Kinds of input series. */
export const SERIES_KINDS = ['spot', 'perp', 'openInterest', 'funding', 'fx'] as const;
export type SeriesKind = (typeof SERIES_KINDS)[number];

/** One observation: [UTC epoch ms, value]. A candle uses its open time; a funding point its settlement time. */
export type Point = [number, number];

interface SeriesBase {
  /** Venue id, e.g. `binanceusdm`. */
  venue: string;
  points: Point[];
  /** Optional per-point quote volume (same timestamps as points), used by volume-weighted baskets. */
  volumes?: Point[];
}

/** A spot or perp close-price series. `quote` is the quote currency (USD, USDT, USDC). */
export interface PriceSeries extends SeriesBase {
  kind: 'spot' | 'perp';
  quote: string;
}

/** Open interest, either in USD notional or in base units (e.g. BTC). */
export interface OpenInterestSeries extends SeriesBase {
  kind: 'openInterest';
  unit: 'usd' | 'base';
}

/** Settled funding rates, as a decimal per interval of `intervalHours`. */
export interface FundingSeries extends SeriesBase {
  kind: 'funding';
  intervalHours: number;
}

/** A stablecoin reference rate such as USDT/USD. */
export interface FxSeries extends SeriesBase {
  kind: 'fx';
  pair: string;
}

export type Series = PriceSeries | OpenInterestSeries | FundingSeries | FxSeries;

/** The engine's input, also the `compute` CLI's file format. */
export interface Bundle {
  asset: string;
  series: Series[];
}

/* ------------------------------------------------------------------------------------------------
 * Engine output
 * ---------------------------------------------------------------------------------------------- */

/** Confluence and extreme states a bar can carry (several at once). */
export const STATE_KINDS = ['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom'] as const;
export type StateKind = (typeof STATE_KINDS)[number];
/** Event kinds are the state kinds: consecutive bars in one state merge into one event. */
export type EventKind = StateKind;

/**
 * Per-venue detail of one bar, keyed by series label (the venue id; `venue/QUOTE` or `venue#n` when a venue
 * has several series of one kind). A venue that has the series but no usable value at this bar is `null`
 * (no point in the bucket, or left out by the no-stale rule); a venue without that kind of series is absent.
 */
export interface BarVenues {
  /** Spot close in USD (after stablecoin conversion when an fx series exists). */
  spot: Record<string, number | null>;
  /** Perp close in USD (after stablecoin conversion when an fx series exists). */
  perp: Record<string, number | null>;
  /** Open interest in USD (base units × that venue's perp close, or × the perp basket). */
  oiUsd: Record<string, number | null>;
  /** Funding TWAP over the bar, 8h-equivalent decimal rate. */
  funding8h: Record<string, number | null>;
}

/** Number of venues behind each basket / metric at one bar. */
export interface BarCounts {
  spot: number;
  perp: number;
  oi: number;
  funding: number;
}

/**
 * One aligned output bar. Every number is finite or null (never NaN / Infinity). The bars `compute` returns are
 * read-only views over the engine's columns: read fields as properties, or `JSON.stringify` / `toJSON()` them for a
 * plain copy (`{...bar}` and `Object.keys(bar)` see no fields). See docs/metrics.md §16.
 */
export interface Bar {
  /** Bucket start, UTC epoch ms. */
  readonly time: number;
  /** Bucket end (exclusive), UTC epoch ms. */
  readonly timeEnd: number;
  /** Spot basket close, USD. */
  readonly spotUsd: number | null;
  /** Perp basket close, USD. */
  readonly perpUsd: number | null;
  /** (spot − perp) / perp × 100, percent, after optional SMA smoothing. */
  readonly premiumPct: number | null;
  readonly premiumZ: number | null;
  /** Sum of venue OI in USD. */
  readonly oiUsd: number | null;
  /** Chain-linked OI index in USD, equal to oiUsd on the last bar with OI. */
  readonly oiIndexUsd: number | null;
  readonly oiZ: number | null;
  /** Composite funding, 8h-equivalent decimal rate (0.0001 = 0.01% per 8h), after optional SMA smoothing. */
  readonly fundingRate8h: number | null;
  /** fundingRate8h × 3 × 365 × 100, percent per year. */
  readonly fundingAprPct: number | null;
  readonly fundingZ: number | null;
  /** Signed extreme score (positive = top side, negative = bottom side), null when no z-score is known. */
  readonly extremeScore: number | null;
  readonly states: StateKind[];
  readonly venues: BarVenues;
  readonly counts: BarCounts;
}

/** A merged run of consecutive bars in one state. */
export interface FlowEvent {
  /** Start of the first bar, UTC epoch ms. */
  time: number;
  /** End (exclusive) of the last bar, UTC epoch ms. */
  timeEnd: number;
  kind: EventKind;
  title: string;
  text: string;
}

/** Coverage of one input series. */
export interface SeriesCoverage {
  /** Index of the series in `bundle.series`. */
  index: number;
  venue: string;
  kind: SeriesKind;
  /** Label used in `Bar.venues`. */
  label: string;
  /** First / last point time, UTC epoch ms (null for an empty series, which validateBundle rejects anyway). */
  first: number | null;
  last: number | null;
  points: number;
  /** Usual spacing of the points (median gap), ms; null with fewer than 3 points. */
  spacingMs: number | null;
  /** Points missing inside the series' own range against its usual spacing (0 when none). */
  missing: number;
  /** Where: the gaps in time order (at most 20 listed; `missing` counts all), see SeriesGap. */
  gaps: SeriesGap[];
}

/**
 * A gap inside a series: two consecutive points at least 1.5 usual spacings apart. `from` / `to` are the times of the
 * points on either side (UTC epoch ms); `missing` = round((to − from) / spacing) − 1 points.
 */
export interface SeriesGap {
  from: number;
  to: number;
  missing: number;
}

/** Per-bar coverage row. */
export interface BarCoverage extends BarCounts {
  time: number;
  /** Labels of venues left out of this bar by the no-stale rule, e.g. `spot:coinbase`. */
  excluded: string[];
}

/** A venue left out by the no-stale rule, summarised over all bars. */
export interface StaleExclusion {
  label: string;
  kind: 'spot' | 'perp' | 'openInterest';
  bars: number;
  firstTime: number;
  lastTime: number;
}

/** A stablecoin-quoted price series used as is (no matching fx series). */
export interface UnconvertedQuote {
  label: string;
  kind: 'spot' | 'perp';
  quote: string;
}

export interface Coverage {
  series: SeriesCoverage[];
  bars: BarCoverage[];
  staleExclusions: StaleExclusion[];
  unconvertedQuotes: UnconvertedQuote[];
  /** Plain-language notes (also echoed in EngineResult.notices). */
  notes: string[];
}

export interface EngineResult {
  timeframe: Timeframe;
  bars: Bar[];
  events: FlowEvent[];
  coverage: Coverage;
  notices: string[];
}

/**
 * The engine's result in columns: one typed array per metric over the output bars (NaN = unknown), state bit masks
 * (bit i = STATE_KINDS[i]), per-venue columns, events and coverage. `compute` wraps this in bar views (see OutBar).
 */
export interface EngineColumns {
  timeframe: Timeframe;
  /** Number of output bars. */
  length: number;
  time: Float64Array;
  timeEnd: Float64Array;
  spotUsd: Float64Array;
  perpUsd: Float64Array;
  premiumPct: Float64Array;
  premiumZ: Float64Array;
  oiUsd: Float64Array;
  oiIndexUsd: Float64Array;
  oiZ: Float64Array;
  fundingRate8h: Float64Array;
  fundingAprPct: Float64Array;
  fundingZ: Float64Array;
  /** Chain-linked funding composite (8h-equivalent decimal) on which fundingZ is computed. */
  fundingLinked8h: Float64Array;
  extremeScore: Float64Array;
  states: Uint8Array;
  counts: { spot: Uint16Array; perp: Uint16Array; oi: Uint16Array; funding: Uint16Array };
  venues: {
    spot: Record<string, Float64Array>;
    perp: Record<string, Float64Array>;
    oiUsd: Record<string, Float64Array>;
    funding8h: Record<string, Float64Array>;
  };
  events: FlowEvent[];
  /** Bars (by start time) with venues left out by the no-stale rule; bars without exclusions are not listed. */
  excluded: Array<{ time: number; excluded: string[] }>;
  coverage: Omit<Coverage, 'bars'>;
  notices: string[];
}
