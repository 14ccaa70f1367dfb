/**
 * Stage "resample": last point (and volume sum) of a series per bar, and the gaps inside it counted in the same pass
 * (docs/metrics.md §3 Resampling into bars, Gaps inside a series).
 */
import { usualSpacingMs } from '../numeric';
import { timeframeMs } from '../timeframe';
import { Series } from '../types';
import { Grid } from './buckets';
import { addGap, gapLimitMs, newGaps, SeriesGaps } from './gaps';
import { f64 } from './scratch';

/** One series on the bar grid. `val` and `time` are scratch buffers of this call: copy before returning them. */
export interface Resampled {
  /** Value of the last point in each bucket (NaN = none). */
  val: Float64Array;
  /** Time of the last point in each bucket (NaN = none). */
  time: Float64Array;
  pts: ReadonlyArray<readonly [number, number]>;
  /** Sum of volumes in each bucket (NaN = none), only when the series has volumes. */
  vol: Float64Array | null;
  /** The series' usual spacing (ms; the timeframe width when it has none). */
  spacing: number;
  /** The gaps inside the series (the same as seriesGaps gives), counted while resampling. */
  gaps: SeriesGaps;
}

/**
 * Value and time of the last point per bucket on a fixed-width grid starting at `first` (one pass). Sorted points
 * stay in the current bucket until its end, so the bucket index is recomputed only when a point leaves it (and
 * without a division when it moves to the next bucket: times are whole ms, so the two agree exactly); buckets
 * the points skip are set to NaN on the way (no separate fill pass over the outputs). The gaps between consecutive
 * points are added to `gaps` in the same pass: reading the points (one small array each) costs more than the rest
 * of the work, so each series is read once (docs/metrics.md §16).
 */
export function lastIndexFixed(
  pts: ReadonlyArray<readonly [number, number]>,
  first: number,
  ms: number,
  nb: number,
  key: string,
  gaps: SeriesGaps = newGaps(0, NaN)
): [Float64Array, Float64Array] {
  const val = f64(key + ':val', nb);
  const time = f64(key + ':time', nb);
  const n = pts.length;
  const gapMs = gapLimitMs(gaps);
  let prev = n > 0 ? pts[0][0] : NaN; // time of the previous point
  let b = -1;
  let lo = -Infinity; // [lo, hi): the current bucket b (b = -1: before or after the grid)
  let hi = first;
  let done = 0; // buckets below `done` are written (a value, or NaN when no point fell in them)
  for (let i = 0; i < n; i++) {
    const p = pts[i];
    const t = p[0];
    if (t - prev >= gapMs) {
      addGap(gaps, prev, t);
    }
    prev = t;
    if (t >= hi || t < lo) {
      // the next bucket (the usual case for a series as dense as the grid) without a division, else found by one
      b = b >= 0 && t >= hi && t < hi + ms ? b + 1 : Math.floor((t - first) / ms);
      if (b < 0 || b >= nb) {
        b = -1;
        lo = t < first ? -Infinity : first + nb * ms;
        hi = t < first ? first : Infinity;
        continue;
      }
      for (; done < b; done++) {
        val[done] = NaN;
        time[done] = NaN;
      }
      if (done === b) {
        done++;
      }
      lo = first + b * ms;
      hi = lo + ms;
    }
    if (b >= 0) {
      val[b] = p[1];
      time[b] = t;
    }
  }
  for (; done < nb; done++) {
    val[done] = NaN;
    time[done] = NaN;
  }
  return [val, time];
}

/**
 * Value and time of the last point per bucket for arbitrary sorted buckets [starts[b], ends[b]) (one merge pass), and
 * the gaps between consecutive points added to `gaps`, as in lastIndexFixed.
 */
export function lastIndexBuckets(
  pts: ReadonlyArray<readonly [number, number]>,
  starts: Float64Array,
  ends: Float64Array,
  key: string,
  gaps: SeriesGaps = newGaps(0, NaN)
): [Float64Array, Float64Array] {
  const nb = starts.length;
  const val = f64(key + ':val', nb).fill(NaN);
  const time = f64(key + ':time', nb).fill(NaN);
  const gapMs = gapLimitMs(gaps);
  let prev = pts.length > 0 ? pts[0][0] : NaN;
  let b = 0;
  for (let i = 0; i < pts.length; i++) {
    const t = pts[i][0];
    if (t - prev >= gapMs) {
      addGap(gaps, prev, t);
    }
    prev = t;
    while (b < nb && t >= ends[b]) {
      b++;
    }
    if (b < nb && t >= starts[b]) {
      val[b] = pts[i][1];
      time[b] = t;
    }
  }
  return [val, time];
}

/** Sum of volumes per bucket (NaN = none). */
export function volumeSums(
  vols: ReadonlyArray<readonly [number, number]>,
  starts: Float64Array,
  ends: Float64Array
): Float64Array {
  const nb = starts.length;
  const vol = new Float64Array(nb).fill(NaN);
  let b = 0;
  for (const [t, v] of vols) {
    while (b < nb && t >= ends[b]) {
      b++;
    }
    if (b < nb && t >= starts[b]) {
      vol[b] = (vol[b] === vol[b] ? vol[b] : 0) + v;
    }
  }
  return vol;
}

/** Last point per bucket (and volume sums) of one series, with its gaps; `key` names its scratch buffers. */
export function resample(s: Series, grid: Grid, key: string): Resampled {
  const { starts, ends, tf } = grid;
  const pts = s.points;
  const spacing = usualSpacingMs(pts);
  const gaps = newGaps(pts.length, spacing);
  const [val, time] =
    tf === '1M'
      ? lastIndexBuckets(pts, starts, ends, key, gaps)
      : lastIndexFixed(pts, starts[0], timeframeMs(tf), starts.length, key, gaps);
  const vol = s.volumes && s.volumes.length > 0 ? volumeSums(s.volumes, starts, ends) : null;
  return { val, time, pts, vol, spacing: Number.isFinite(spacing) && spacing > 0 ? spacing : timeframeMs(tf), gaps };
}

/** The resampled series of a bundle by series index: spot, perp, open-interest and fx series (funding is not resampled). */
export type ResampledSeries = ReadonlyArray<Resampled | undefined>;

/**
 * §3 on the whole bundle: every spot, perp, open-interest and fx series resampled once, with its gaps (funding
 * series are averaged over time instead, see funding.ts, and are undefined here). The stages read these columns.
 */
export function resampleSeries(series: Series[], grid: Grid): ResampledSeries {
  return series.map((s, i) => (s.kind === 'funding' ? undefined : resample(s, grid, `series${i}`)));
}
