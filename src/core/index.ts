/**
 * Public API of the BTC Flow metric engine (pure: no I/O, no Grafana, no ccxt).
 */
export * from './types';
export { BtcFlowInputError } from './errors';
export { bucketStartMs, bucketEndMs, timeframeMs, isTimeframe, parseTimeframe } from './timeframe';
export {
  DEFAULT_OPTIONS,
  OPTION_NAMES,
  defaultLookback,
  parseOptionValue,
  validateOptions,
  resolveOptions,
} from './options';
export type { EngineOptions, OptionName } from './options';
export { compute } from './engine';
export type { ComputeOptions } from './engine';
