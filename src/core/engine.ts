import { BtcFlowInputError } from './errors';
import { EngineOptions } from './options';
import { Bundle, EngineResult, Timeframe } from './types';

/** Options accepted by compute: engine options plus the timeframe and an optional [from, to] time range (UTC ms). */
export type ComputeOptions = Partial<EngineOptions> & { timeframe?: Timeframe; from?: number; to?: number };

/** Runs the whole pipeline: resample to bars, baskets, premium, OI, funding, z-scores, states, events, coverage. */
export function compute(_bundle: Bundle, _options: ComputeOptions = {}): EngineResult {
  throw new BtcFlowInputError('compute', 'compute: not implemented yet');
}
