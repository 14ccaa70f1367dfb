/** Stage "z-scores": rolling z of premium, OI index and linked funding, and the short-lookback notice (docs/metrics.md §9 z-scores). */
import { rollingZF64 } from '../numeric';

/** The three z-score columns the states read (unitless, NaN = unknown). */
export interface ZColumns {
  premiumZ: Float64Array;
  oiZ: Float64Array;
  fundingZ: Float64Array;
}

/** z over `lookback` valid values of the smoothed premium, the OI index and the chain-linked funding composite. */
export function zscores(
  premium: Float64Array,
  oiIndex: Float64Array,
  fundingLinked: Float64Array,
  lookback: number
): ZColumns {
  return {
    premiumZ: rollingZF64(premium, lookback),
    oiZ: rollingZF64(oiIndex, lookback),
    fundingZ: rollingZF64(fundingLinked, lookback),
  };
}

/** Whether any value of `col` in [i0, i1) is known (stops at the first). */
function anyKnown(col: Float64Array, i0: number, i1: number): boolean {
  for (let b = i0; b < i1; b++) {
    if (col[b] === col[b]) {
      return true;
    }
  }
  return false;
}

/** Number of known values of `col` in [0, i1). */
function countKnownUpTo(col: Float64Array, i1: number): number {
  let n = 0;
  for (let b = 0; b < i1; b++) {
    if (col[b] === col[b]) {
      n++;
    }
  }
  return n;
}

/**
 * "The lookback is longer than the data": for each metric that has values up to the last output bar but no z-score on
 * any output bar because fewer than `lookback` values exist, one note (the states that need the z-score cannot occur).
 */
export function lookbackNotes(
  metrics: Array<[string, Float64Array, Float64Array]>,
  i0: number,
  i1: number,
  lookback: number
): string[] {
  const short: string[] = [];
  for (const [name, values, z] of metrics) {
    if (anyKnown(z, i0, i1)) {
      continue; // the usual case, found at the first z-score once the window has filled
    }
    const known = countKnownUpTo(values, i1);
    if (known > 0 && known < lookback) {
      short.push(`${name} has ${known}`);
    }
  }
  if (!short.length) {
    return [];
  }
  return [
    `z-scores: the lookback of ${lookback} bars is longer than the data (bars with values up to the last output bar: ${short.join(', ')}): ` +
      `those z-scores are unknown on every output bar, and the states that need them (bullish, bearish, overLeverage, extremes) cannot occur; use a shorter lookback or more history`,
  ];
}
