/** Stage "bars": the data's time span, the dense bucket grid and the output range (docs/metrics.md §2 Timeframes). */
import { BtcFlowInputError } from '../errors';
import { bucketEndMs, bucketStartMs, timeframeMs } from '../timeframe';
import { Series, Timeframe } from '../types';

/** Upper bound on dense bars per compute call (about 228 years of 1h bars). */
export const MAX_BARS = 2_000_000;

/** The dense bar grid: bucket starts and exclusive ends (UTC ms), one entry per bar. */
export interface Grid {
  tf: Timeframe;
  starts: Float64Array;
  ends: Float64Array;
  /** Number of bars. */
  nb: number;
}

/** Checks the optional output range: finite UTC ms, from ≤ to (BtcFlowInputError naming the field otherwise). */
export function checkRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && (typeof from !== 'number' || !Number.isFinite(from))) {
    throw new BtcFlowInputError('from', `from: must be a time in UTC epoch ms, got ${JSON.stringify(from)}`);
  }
  if (to !== undefined && (typeof to !== 'number' || !Number.isFinite(to))) {
    throw new BtcFlowInputError('to', `to: must be a time in UTC epoch ms, got ${JSON.stringify(to)}`);
  }
  if (from !== undefined && to !== undefined && from > to) {
    throw new BtcFlowInputError(
      'from',
      `from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`
    );
  }
}

/**
 * First and last instant with data over the spot, perp, OI and funding series (fx does not make bars); a funding
 * settled at s applies to (s − h, s], so its data starts h before its first point and ends just before its last.
 * Null when no such series has a point.
 */
export function dataSpan(series: Series[]): { tMin: number; tMax: number } | null {
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const s of series) {
    if (s.kind !== 'fx' && s.points.length > 0) {
      // a funding settled at s applies to (s − h, s]: its data ends just before s
      const lead = s.kind === 'funding' ? s.intervalHours * 3_600_000 - 1 : 0;
      const lag = s.kind === 'funding' ? 1 : 0;
      tMin = Math.min(tMin, s.points[0][0] - lead);
      tMax = Math.max(tMax, s.points[s.points.length - 1][0] - lag);
    }
  }
  return tMin <= tMax ? { tMin, tMax } : null;
}

/** Dense bucket starts / ends covering [tMin, tMax]; more than MAX_BARS bars is a BtcFlowInputError on `timeframe`. */
export function makeBuckets(tMin: number, tMax: number, tf: Timeframe): Grid {
  const first = bucketStartMs(tMin, tf);
  const last = bucketStartMs(tMax, tf);
  if (tf !== '1M') {
    const ms = timeframeMs(tf);
    const n = Math.round((last - first) / ms) + 1;
    if (n > MAX_BARS) {
      throw new BtcFlowInputError(
        'timeframe',
        `timeframe ${tf}: the bundle spans ${n} bars (max ${MAX_BARS}); use a longer timeframe or a shorter range`
      );
    }
    const starts = new Float64Array(n);
    const ends = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      starts[i] = first + i * ms;
      ends[i] = starts[i] + ms;
    }
    return { tf, starts, ends, nb: n };
  }
  const s: number[] = [];
  for (let t = first; t <= last; t = bucketEndMs(t, tf)) {
    s.push(t);
  }
  const starts = Float64Array.from(s);
  const ends = starts.map((t) => bucketEndMs(t, tf));
  return { tf, starts, ends, nb: starts.length };
}

/**
 * The output bars [i0, i1) of the grid: starts at or after the bucket holding `from` and at or before `to`
 * (all metrics are computed on the whole grid first, so z-scores at `from` are already warmed up).
 */
export function outputRange(grid: Grid, from: number | undefined, to: number | undefined): [number, number] {
  const { starts, nb, tf } = grid;
  let i0 = 0;
  let i1 = nb;
  if (from !== undefined) {
    const f = bucketStartMs(from, tf);
    while (i0 < nb && starts[i0] < f) {
      i0++;
    }
  }
  if (to !== undefined) {
    while (i1 > i0 && starts[i1 - 1] > to) {
      i1--;
    }
  }
  return [i0, i1];
}
