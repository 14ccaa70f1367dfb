/**
 * Query, annotation and configuration model of the BTC Flow data source.
 *
 * Queries are a discriminated union on `queryType` (one editor view per type, as in grafana/github-datasource),
 * so a panel target with an unknown `queryType` or a misspelled option does not compile. Everything optional has
 * a documented default (see docs/queries.md and docs/configuration.md); `DEFAULT_QUERIES` holds them.
 */
import type { DataQuery } from '@grafana/schema';
import type { DataSourceJsonData } from '@grafana/data';
import { DEFAULT_OPTIONS, type EngineOptions } from '../core/options';
import type { StateKind, Timeframe } from '../core/types';
import { DEFAULT_MARKETS_MAX_AGE_MS, MAX_MARKETS_MAX_AGE_MS } from '../exchanges/store';

/* ------------------------------------------------------------------------------------------------
 * Building blocks
 * ---------------------------------------------------------------------------------------------- */

/** A dashboard template variable reference, e.g. `$timeframe` or `${timeframe}`; interpolated before use. */
export type VariableRef = `$${string}`;

/** Supported fixed timeframes (the engine's, repeated here so the query model is self-describing). */
export const QUERY_TIMEFRAMES = ['1h', '4h', '1d', '3d', '1w', '1M'] as const satisfies readonly Timeframe[];

/** `auto` derives the timeframe from the panel's interval, rounded to a supported timeframe. */
export type TimeframeChoice = 'auto' | Timeframe | VariableRef;

/** All query types, in editor order. */
export const QUERY_TYPES = ['premium', 'oi', 'oiZ', 'funding', 'signals', 'extremes', 'prices', 'coverage'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** Confluence states of the signal engine. */
export const SIGNAL_KINDS = ['bullish', 'bearish', 'overLeverage'] as const satisfies readonly StateKind[];
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** States of the extreme cycle top / bottom detector. */
export const EXTREME_KINDS = ['extremeTop', 'extremeBottom'] as const satisfies readonly StateKind[];
export type ExtremeKind = (typeof EXTREME_KINDS)[number];

/** Venue roles, used by the venue-subset option, the config baskets and the `venues(<role>)` variable query. */
export const VENUE_ROLES = ['spot', 'perp', 'oi', 'funding'] as const;
export type VenueRole = (typeof VENUE_ROLES)[number];

/**
 * `states`: a wide time series (one 0/1 field per kind) for the state-timeline panel;
 * `events`: one row per merged event (`time`, `timeEnd`, `kind`, `title`, `text`, `tags`) for tables / annotations.
 */
export type StateFormat = 'states' | 'events';

/** Options every query type has. */
export interface CommonQueryOptions {
  /** Base asset, e.g. `BTC` (default) or `$asset`. */
  asset?: string;
  /** Bar timeframe; default `auto`. */
  timeframe?: TimeframeChoice;
  /** z-score window in bars; `auto` (default) = the configured default for the timeframe, else defaultLookback(tf). */
  lookback?: number | 'auto' | VariableRef;
  /** SMA window (bars) on premiumPct before its z-score; default 1 (none). */
  premiumSmoothing?: number | VariableRef;
  /** SMA window (bars) on the funding composite before its z-score; default 1 (none). */
  fundingSmoothing?: number | VariableRef;
  /**
   * Venue subset (venue ids, or a multi-value variable such as `$venues`). Empty / absent = every venue configured
   * in the data source. Applies to every role: a venue not listed is left out of all baskets.
   */
  venues?: string[];
}

/** Base of every BTC Flow target: Grafana's DataQuery with a literal `queryType` and the common options. */
interface QueryBase<T extends QueryType> extends DataQuery, CommonQueryOptions {
  queryType: T;
}

/* ------------------------------------------------------------------------------------------------
 * One interface per query type
 * ---------------------------------------------------------------------------------------------- */

/** Spot premium vs the perp basket: `premiumPct`, `premiumZ` (+ optional basket closes). */
export interface PremiumQuery extends QueryBase<'premium'> {
  /** Also return `spotUsd` and `perpUsd` (basket closes); default false. */
  includeBaskets?: boolean;
  /** Return `premiumZ`; default true. */
  includeZ?: boolean;
}

export const OI_UNITS = ['usd', 'coin'] as const;
export const OI_GROUPS = ['venue', 'margin'] as const;

/** Aggregated open interest: `oiUsd`, `oiIndexUsd` and one field per venue (or per margin type); in USD or coins. */
export interface OiQuery extends QueryBase<'oi'> {
  /** One `oiUsd` field per venue; default true. */
  perVenue?: boolean;
  /** Return the chain-linked `oiIndexUsd` (USD only); default true. */
  includeIndex?: boolean;
  /** `usd` (default) or `coin`: OI in coins of the asset (`oiCoin…` fields). */
  unit?: (typeof OI_UNITS)[number];
  /** `venue` (default): one field per venue; `margin`: one per margin type (stablecoin- / coin-margined). */
  groupBy?: (typeof OI_GROUPS)[number];
}

/** The z-score of the chain-linked OI index. */
export interface OiZQuery extends QueryBase<'oiZ'> {
  /** Also return `oiIndexUsd`; default false. */
  includeIndex?: boolean;
}

/** Composite funding (8h-equivalent, OI- or equal-weighted), as a rate or APR, with its z-score. */
export interface FundingQuery extends QueryBase<'funding'> {
  /** `rate`: decimal per 8h shown as percent (percentunit); `apr`: percent per year. Default `rate`. */
  unit?: 'rate' | 'apr';
  /** Add one field per venue (same unit); default false. */
  perVenue?: boolean;
  /** Return `fundingZ`; default true. */
  includeZ?: boolean;
}

/** Confluence states (bullish / bearish / overLeverage). */
export interface SignalsQuery extends QueryBase<'signals'> {
  /** Default `states`. */
  format?: StateFormat;
  /** Kinds to return; default all. */
  kinds?: SignalKind[];
  /** EMA window (bars) of the premium the bullish / bearish regimes read; absent = the data source's setting. */
  premiumEmaBars?: number | VariableRef;
}

/** Extreme cycle tops and bottoms (experimental). */
export interface ExtremesQuery extends QueryBase<'extremes'> {
  /** Default `states`. */
  format?: StateFormat;
  /** Kinds to return; default both. */
  kinds?: ExtremeKind[];
  /** In `states` format, also return the signed `extremeScore`; default false. */
  includeScore?: boolean;
}

/** Per-venue spot and perp closes in USD. */
export interface PricesQuery extends QueryBase<'prices'> {
  /** Which markets; default both. */
  markets?: Array<'spot' | 'perp'>;
  /** Also return the basket closes `spotUsd` / `perpUsd`; default true. */
  includeBaskets?: boolean;
}

/** How many venues stand behind each value, per bar. */
export interface CoverageQuery extends QueryBase<'coverage'> {
  /** Add a string field listing the venues left out of each bar by the no-stale rule; default false. */
  includeExcluded?: boolean;
}

/** Any BTC Flow panel target. */
export type BtcFlowQuery =
  PremiumQuery | OiQuery | OiZQuery | FundingQuery | SignalsQuery | ExtremesQuery | PricesQuery | CoverageQuery;

/** The target for a given query type. */
export type QueryOf<T extends QueryType> = Extract<BtcFlowQuery, { queryType: T }>;

/* ------------------------------------------------------------------------------------------------
 * Annotations
 * ---------------------------------------------------------------------------------------------- */

interface AnnotationBase<T extends 'signals' | 'extremes'> extends DataQuery, CommonQueryOptions {
  queryType: T;
}

/** Annotation query: signal events, filtered by kind (default all three). */
export interface SignalsAnnotationQuery extends AnnotationBase<'signals'> {
  kinds?: SignalKind[];
  /** As in SignalsQuery. */
  premiumEmaBars?: number | VariableRef;
}

/** Annotation query: extreme events, filtered by kind (default both). */
export interface ExtremesAnnotationQuery extends AnnotationBase<'extremes'> {
  kinds?: ExtremeKind[];
}

/** Annotation queries return frames with `time`, `timeEnd`, `title`, `text`, `tags` (regions). */
export type BtcFlowAnnotationQuery = SignalsAnnotationQuery | ExtremesAnnotationQuery;

/* ------------------------------------------------------------------------------------------------
 * Data source configuration (jsonData), and the one secret: the optional recorder token (secureJsonData).
 * ---------------------------------------------------------------------------------------------- */

/** Thresholds of the confluence and extreme rules (names and meaning as in docs/metrics.md). */
export const NON_THRESHOLD_OPTIONS = [
  'lookback',
  'premiumSmoothing',
  'fundingSmoothing',
  'fundingWeighting',
  'basketWeighting',
  'stablecoinToUsd',
] as const;
export type ThresholdName = Exclude<keyof EngineOptions, (typeof NON_THRESHOLD_OPTIONS)[number]>;
/** Threshold names in the engine's documentation order (kept equal to the engine's options by a test). */
export const THRESHOLD_NAMES = [
  'premiumEmaBars',
  'premiumSlopeBars',
  'premiumDeadbandPct',
  'premiumSlopeDeadbandPct',
  'premiumExitMarginPct',
  'bullishMaxOiZ',
  'bullishMaxFundingZ',
  'bullishMaxFundingAprPct',
  'bearishMinOiZ',
  'bearishMinFundingZ',
  'overLeverageOiZ',
  'overLeverageFundingZ',
  'overLeverageFundingAprPct',
  'overLeverageExitOiZ',
  'stateMinBars',
  'extremeZ',
  'extremeMinCount',
  'extremeScoreMin',
  'extremeExitScore',
] as const satisfies readonly ThresholdName[];
export type BtcFlowThresholds = Partial<Pick<EngineOptions, ThresholdName>>;

export interface BtcFlowOptions extends DataSourceJsonData {
  /** Spot basket venues; absent = the registry's default spot venues. */
  spotVenues?: string[];
  /** Perp basket venues; absent = the registry's default perp venues. */
  perpVenues?: string[];
  /** Venues whose open interest is summed; absent = every default venue with OI. */
  oiVenues?: string[];
  /** Venues in the funding composite; absent = every default perp. */
  fundingVenues?: string[];
  /** Spot / perp basket weights; default `equal`. */
  basketWeighting?: 'equal' | 'volume';
  /** Funding composite weights; default `oi`. */
  fundingWeighting?: 'oi' | 'equal';
  /** Convert USDT / USDC quotes to USD with a USDT/USD reference; default true. */
  stablecoinToUsd?: boolean;
  /** Default z-score lookback (bars) per timeframe; absent entries use the engine's defaultLookback(tf). */
  defaultLookbacks?: Partial<Record<Timeframe, number>>;
  /** Rule thresholds; absent entries use the engine's DEFAULT_OPTIONS. */
  thresholds?: BtcFlowThresholds;
  /** Per-request timeout, milliseconds; default 15000. */
  requestTimeoutMs?: number;
  /** Retries after 429 / 5xx / timeout; default 3. */
  retries?: number;
  /** Optional exchange mirror: every request goes to `<mirrorUrl>/<host>/<path>` (still through Grafana's proxy). */
  mirrorUrl?: string;
  /** Size cap of the browser's cache of closed bars (IndexedDB), MB; 0 = no persistent cache; default 50. */
  cacheMaxMb?: number;
  /**
   * Oldest market list (per venue) used from that cache, hours, 0–720; 0 = always ask the venues; default 24 (as the
   * CLI's `--markets-max-age`).
   */
  marketsMaxAgeHours?: number;
  /**
   * Optional recorder (recorder/ in this repository): every query reads its range from `<recorderUrl>/api/v1/bundle`
   * through the `recorder` route, and fetches live only the bars after the recorder's last closed bar.
   */
  recorderUrl?: string;
}

/**
 * secureJsonData: written by the settings page, stored encrypted by Grafana, never sent back to the browser.
 * Grafana's data proxy adds `Authorization: Bearer <recorderToken>` to requests on the `recorder` route.
 */
export interface BtcFlowSecureJsonData {
  recorderToken?: string;
}

/* ------------------------------------------------------------------------------------------------
 * Defaults
 * ---------------------------------------------------------------------------------------------- */

export const DEFAULT_ASSET = 'BTC';

/** Defaults of the common options (lookback `auto` resolves per timeframe at query time). */
export const DEFAULT_COMMON: Required<Omit<CommonQueryOptions, 'venues'>> & { venues: string[] } = {
  asset: DEFAULT_ASSET,
  timeframe: 'auto',
  lookback: 'auto',
  premiumSmoothing: 1,
  fundingSmoothing: 1,
  venues: [],
};

/** A complete default for each query type (without refId). */
export const DEFAULT_QUERIES: {
  [T in QueryType]: Omit<Required<QueryOf<T>>, 'refId' | 'datasource' | 'hide' | 'key'>;
} = {
  premium: { ...DEFAULT_COMMON, queryType: 'premium', includeBaskets: false, includeZ: true },
  oi: { ...DEFAULT_COMMON, queryType: 'oi', perVenue: true, includeIndex: true, unit: 'usd', groupBy: 'venue' },
  oiZ: { ...DEFAULT_COMMON, queryType: 'oiZ', includeIndex: false },
  funding: { ...DEFAULT_COMMON, queryType: 'funding', unit: 'rate', perVenue: false, includeZ: true },
  // premiumEmaBars: the engine default, for display; a target without it uses the data source's setting
  signals: {
    ...DEFAULT_COMMON,
    queryType: 'signals',
    format: 'states',
    kinds: [...SIGNAL_KINDS],
    premiumEmaBars: DEFAULT_OPTIONS.premiumEmaBars,
  },
  extremes: {
    ...DEFAULT_COMMON,
    queryType: 'extremes',
    format: 'states',
    kinds: [...EXTREME_KINDS],
    includeScore: false,
  },
  prices: { ...DEFAULT_COMMON, queryType: 'prices', markets: ['spot', 'perp'], includeBaskets: true },
  coverage: { ...DEFAULT_COMMON, queryType: 'coverage', includeExcluded: false },
};

/** What a new panel target starts as. */
export const DEFAULT_QUERY: Partial<BtcFlowQuery> = { queryType: 'premium', asset: DEFAULT_ASSET, timeframe: 'auto' };

export const DEFAULT_ANNOTATION_QUERY: Omit<SignalsAnnotationQuery, 'refId'> = {
  queryType: 'signals',
  asset: DEFAULT_ASSET,
  timeframe: 'auto',
  kinds: [...SIGNAL_KINDS],
};

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_RETRIES = 3;
/** Default size cap of the browser's persistent cache of closed bars, MB. */
export const DEFAULT_CACHE_MAX_MB = 50;
/** Default and largest `marketsMaxAgeHours`: the exchange layer's, in hours. */
export const DEFAULT_MARKETS_MAX_AGE_HOURS = DEFAULT_MARKETS_MAX_AGE_MS / 3_600_000;
export const MAX_MARKETS_MAX_AGE_HOURS = MAX_MARKETS_MAX_AGE_MS / 3_600_000;
