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
