/**
 * Public API of the BTC Flow metric engine (pure: no I/O, no Grafana, no ccxt).
 */
export * from './types';
export { BtcFlowInputError } from './errors';
export { bucketStartMs, bucketEndMs, timeframeMs, isTimeframe, parseTimeframe } from './timeframe';
export {
  DEFAULT_OPTIONS,
  MAX_LOOKBACK,
  MAX_WINDOW,
  OPTION_NAMES,
  defaultLookback,
  parseOptionValue,
  validateOptions,
  resolveOptions,
} from './options';
export type { EngineOptions, OptionName } from './options';
export { validateBundle } from './validate';
export {
  premiumPct,
  fundingRate8h,
  fundingAprPct,
  rollingZ,
  rollingZF64,
  sma,
  smaF64,
  ema,
  emaF64,
  twapFunding8h,
  twapFunding8hF64,
  chainLinkedIndex,
  chainLinkedIndexF64,
  weightedMean,
  median,
  usualSpacingMs,
  toF64,
  fromF64,
} from './numeric';
export { compute, computeColumns, materialise, STABLECOINS } from './engine';
export type { ComputeOptions, EngineColumns } from './engine';
export { STATE_BIT, statesOfMask, isoUtc } from './signals';
export {
  METRICS,
  METRIC_BY_NAME,
  METRIC_DISPLAY_NAMES,
  STATE_DISPLAY_NAMES,
  COUNT_DISPLAY_NAMES,
  Z_METRICS,
  CLI_METRICS,
  EXPORTED_METRICS,
  registerMetrics,
  inSentence,
} from './metrics';
export type { MetricSpec, MetricName, ZMetricName, CliMetricName, ExportedKey } from './metrics';
