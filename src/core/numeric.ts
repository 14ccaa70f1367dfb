/**
 * Small pure numeric helpers of the engine, d3-array style: plain inputs, no hidden state.
 * Missing values are `null` in the array forms and `NaN` in the typed-array (`…F64`) forms used internally.
 */

/** Spot premium over perps in percent: (spot − perp) / perp × 100; null when either is unknown or perp ≤ 0. */
export function premiumPct(spotUsd: number | null, perpUsd: number | null): number | null {
  if (spotUsd === null || perpUsd === null || !(perpUsd > 0) || !Number.isFinite(spotUsd)) {
    return null;
  }
  return ((spotUsd - perpUsd) / perpUsd) * 100;
}

/** 8h-equivalent funding rate (decimal) of a rate paid every `intervalHours`: rate × 8 / intervalHours. */
export function fundingRate8h(ratePerInterval: number, intervalHours: number): number {
  return (ratePerInterval * 8) / intervalHours;
}

/** Annualised funding in percent from an 8h-equivalent decimal rate: rate8h × 3 × 365 × 100 (simple, not compounded). */
export function fundingAprPct(rate8h: number): number {
  return rate8h * 3 * 365 * 100;
}

/** Converts a (number | null)[] to a Float64Array with NaN for missing values. */
export function toF64(values: ArrayLike<number | null>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined || !Number.isFinite(v) ? NaN : v;
  }
  return out;
}

/** Converts a Float64Array with NaN for missing values back to (number | null)[]. */
export function fromF64(values: Float64Array): Array<number | null> {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/**
 * Rolling z-score (unitless) over the last `n` valid values, Float64Array form (NaN = missing).
 * z_t = (x_t − mean) / sd with the population sd (÷ n, as Pine's ta.stdev); NaN at missing x_t, until n valid
 * values exist, and when sd = 0. O(length) total: sliding Welford update, recomputed exactly every n steps
 * against drift; a window whose n values are all identical is detected exactly and gives NaN.
 */
export function rollingZF64(values: Float64Array, n: number): Float64Array {
  const len = values.length;
  if (!(n >= 1)) {
    return new Float64Array(len).fill(NaN);
  }
  const out = new Float64Array(len); // every element is written below (NaN where there is no z)
  const win = new Float64Array(n); // ring buffer of the last n valid values
  const invN = 1 / n; // a multiply instead of a divide on the loop-carried mean update
  let count = 0; // valid values seen (the window is full when count >= n)
  let head = 0; // next write position in the ring
  let mean = 0;
  let m2 = 0;
  let run = 0; // length of the current run of identical valid values
  let prev = NaN;
  let sinceRecompute = 0;
  let peakM2 = 0; // largest m2 since the last exact recompute
  for (let i = 0; i < len; i++) {
    const x = values[i];
    let z = NaN;
    if (x === x) {
      run = x === prev ? run + 1 : 1;
      prev = x;
      if (count < n) {
        // growing phase: plain Welford add
        win[head] = x;
        head = head + 1 === n ? 0 : head + 1;
        count++;
        const d = x - mean;
        mean += d / count;
        m2 += d * (x - mean);
        peakM2 = m2 > peakM2 ? m2 : peakM2;
      } else {
        const y = win[head];
        win[head] = x;
        head = head + 1 === n ? 0 : head + 1;
        const newMean = mean + (x - y) * invN;
        m2 += (x - y) * (x - newMean + y - mean);
        mean = newMean;
        if (m2 > peakM2) {
          peakM2 = m2;
        }
        // Exact two-pass recompute over the ring: every n steps (bounds drift, amortised O(1)), and when m2 has
        // fallen far below its recent peak (the update's rounding error is relative to that peak).
        if (++sinceRecompute >= n || (m2 < 1e-4 * peakM2 && run < n)) {
          sinceRecompute = 0;
          let s = 0;
          for (let j = 0; j < n; j++) {
            s += win[j];
          }
          mean = s * invN;
          let q = 0;
          for (let j = 0; j < n; j++) {
            const d = win[j] - mean;
            q += d * d;
          }
          m2 = q;
          peakM2 = q;
        }
      }
      // a full window with sd > 0 (a run of n identical values is sd = 0 exactly)
      if (count >= n && run < n && m2 > 0) {
        z = (x - mean) / Math.sqrt(m2 * invN);
      }
    }
    out[i] = z; // NaN: missing x, window not full yet, or sd = 0
  }
  return out;
}

/** Rolling z-score (unitless) over the last `n` valid values; null until n valid values exist and when sd = 0. */
export function rollingZ(values: ArrayLike<number | null>, n: number): Array<number | null> {
  return fromF64(rollingZF64(toF64(values), n));
}

/**
 * Simple moving average over the last `k` valid values, Float64Array form (NaN = missing). NaN at missing inputs
 * and until k valid values exist; k = 1 returns the input array itself. O(length), recomputed every k steps against drift.
 */
export function smaF64(values: Float64Array, k: number): Float64Array {
  const len = values.length;
  if (k <= 1) {
    return values; // identity (not copied: callers treat columns as read-only)
  }
  const out = new Float64Array(len).fill(NaN);
  const win = new Float64Array(k);
  let head = 0;
  let count = 0;
  let sum = 0;
  let since = 0;
  for (let i = 0; i < len; i++) {
    const x = values[i];
    if (x !== x) {
      continue;
    }
    const y = win[head];
    win[head] = x;
    head = head + 1 === k ? 0 : head + 1;
    if (count < k) {
      sum += x;
      count++;
    } else if (++since >= k) {
      since = 0;
      sum = 0;
      for (let j = 0; j < k; j++) {
        sum += win[j];
      }
    } else {
      sum += x - y;
    }
    if (count >= k) {
      out[i] = sum / k;
    }
  }
  return out;
}

/**
 * Exponential moving average over the valid values, Float64Array form (NaN = missing): `e = x` at the first valid
 * value, then `e += α (x − e)` with `α = 2 / (n + 1)` (the usual "n-bar" EMA: its centre of mass is (n − 1) / 2 bars
 * back, as for an n-bar SMA). Missing inputs give NaN and are skipped (the EMA carries on from the last valid value),
 * as in smaF64. n = 1 returns the input array itself. O(length).
 */
export function emaF64(values: Float64Array, n: number): Float64Array {
  const len = values.length;
  if (n <= 1) {
    return values; // identity (not copied: callers treat columns as read-only)
  }
  const a = 2 / (n + 1);
  const out = new Float64Array(len).fill(NaN);
  let e = NaN;
  for (let i = 0; i < len; i++) {
    const x = values[i];
    if (x !== x) {
      continue;
    }
    e = e === e ? e + a * (x - e) : x;
    out[i] = e;
  }
  return out;
}

/** Exponential moving average (same unit as the input), α = 2 / (n + 1), seeded with the first valid value. */
export function ema(values: ArrayLike<number | null>, n: number): Array<number | null> {
  return fromF64(emaF64(toF64(values), n));
}

/** Simple moving average (same unit as the input) over the last `k` valid values; null until k exist. */
export function sma(values: ArrayLike<number | null>, k: number): Array<number | null> {
  return fromF64(smaF64(toF64(values), k));
}

/**
 * Time-weighted average funding per bucket, 8h-equivalent decimal rate. A point [s, r] (settled at s, paid every
 * `intervalHours` h) is the rate in force on (s − h, s]; it is first normalised to r × 8 / h. Each bucket
 * [starts[i], ends[i]) gets Σ r·overlap / Σ overlap over the part of it the series covers; NaN when uncovered.
 * Buckets must be sorted and non-overlapping; points sorted by time. O(points + buckets).
 */
export function twapFunding8hF64(
  points: ReadonlyArray<readonly [number, number]>,
  intervalHours: number,
  starts: ArrayLike<number>,
  ends: ArrayLike<number>
): Float64Array {
  const nb = starts.length;
  const num = new Float64Array(nb);
  const den = new Float64Array(nb);
  const h = intervalHours * 3_600_000;
  const k = 8 / intervalHours;
  let b0 = 0;
  for (let p = 0; p < points.length; p++) {
    const s = points[p][0];
    const r = points[p][1] * k;
    const a = s - h;
    while (b0 < nb && ends[b0] <= a) {
      b0++;
    }
    for (let b = b0; b < nb && starts[b] < s; b++) {
      const lo = a > starts[b] ? a : starts[b];
      const hi = s < ends[b] ? s : ends[b];
      const w = hi - lo;
      if (w > 0) {
        num[b] += r * w;
        den[b] += w;
      }
    }
  }
  for (let b = 0; b < nb; b++) {
    num[b] = den[b] > 0 ? num[b] / den[b] : NaN;
  }
  return num;
}

/** twapFunding8hF64 with nulls for uncovered buckets (8h-equivalent decimal rate). */
export function twapFunding8h(
  points: ReadonlyArray<readonly [number, number]>,
  intervalHours: number,
  starts: ArrayLike<number>,
  ends: ArrayLike<number>
): Array<number | null> {
  return fromF64(twapFunding8hF64(points, intervalHours, starts, ends));
}

/**
 * Chain-linked index (USD) of a sum over venues whose histories start and stop at different times.
 * `byVenue[v][t]` is venue v's value at bar t (NaN = unknown). With t' the previous bar that has any value,
 * I_t = I_t' × Σ_{v known at t and t'} x_{v,t} / Σ_{same v} x_{v,t'} (ratio 1 when no venue is known at both or
 * either common sum is 0, so the index never sticks at 0). The result is scaled so that I equals the raw sum on the last bar with a value.
 * NaN where no venue is known. Returns { index, sum }.
 */
export function chainLinkedIndexF64(
  byVenue: readonly Float64Array[],
  length: number
): { index: Float64Array; sum: Float64Array } {
  const index = new Float64Array(length).fill(NaN);
  const sum = new Float64Array(length).fill(NaN);
  const nv = byVenue.length;
  let prevT = -1;
  let level = 1;
  for (let t = 0; t < length; t++) {
    let s = 0;
    let any = false;
    for (let v = 0; v < nv; v++) {
      const x = byVenue[v][t];
      if (x === x) {
        s += x;
        any = true;
      }
    }
    if (!any) {
      continue;
    }
    sum[t] = s;
    if (prevT >= 0) {
      let a = 0;
      let b = 0;
      for (let v = 0; v < nv; v++) {
        const x = byVenue[v][t];
        const y = byVenue[v][prevT];
        if (x === x && y === y) {
          a += x;
          b += y;
        }
      }
      if (a > 0 && b > 0) {
        level *= a / b;
      }
    }
    index[t] = level;
    prevT = t;
  }
  if (prevT >= 0) {
    const scale = level > 0 ? sum[prevT] / level : NaN;
    for (let t = 0; t < length; t++) {
      index[t] = index[t] * scale;
    }
  }
  return { index, sum };
}

/** chainLinkedIndexF64 for (number | null)[][] venue columns; returns index and raw sum with nulls. */
export function chainLinkedIndex(byVenue: ReadonlyArray<ArrayLike<number | null>>): {
  index: Array<number | null>;
  sum: Array<number | null>;
} {
  const length = byVenue.reduce((m, c) => Math.max(m, c.length), 0);
  const cols = byVenue.map((c) => {
    const f = new Float64Array(length).fill(NaN);
    f.set(toF64(c));
    return f;
  });
  const { index, sum } = chainLinkedIndexF64(cols, length);
  return { index: fromF64(index), sum: fromF64(sum) };
}

/**
 * Weighted mean of the finite values (unit of the values); weights ≤ 0 or non-finite are skipped. NaN when nothing
 * is left. Used for baskets (equal or volume weights) and the funding composite (OI weights).
 */
export function weightedMean(values: ArrayLike<number>, weights?: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const w = weights ? weights[i] : 1;
    if (x === x && w > 0 && Number.isFinite(w) && Number.isFinite(x)) {
      num += x * w;
      den += w;
    }
  }
  return den > 0 ? num / den : NaN;
}

/** Median of the finite values (NaN if none). */
export function median(values: ArrayLike<number>): number {
  const a = Array.from(values)
    .filter((x) => Number.isFinite(x))
    .sort((x, y) => x - y);
  if (a.length === 0) {
    return NaN;
  }
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/**
 * Usual spacing (ms) of a sorted point series: the median of consecutive time differences, estimated from at most
 * ~2,000 evenly spread differences. NaN with fewer than two points.
 */
export function usualSpacingMs(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) {
    return NaN;
  }
  const step = Math.max(1, Math.floor((n - 1) / 2000));
  const d = new Float64Array(Math.ceil((n - 1) / step));
  let k = 0;
  for (let i = 1; i < n; i += step) {
    d[k++] = points[i][0] - points[i - 1][0];
  }
  d.sort(); // numeric sort of a typed array (NaN last); sorted points give finite differences
  const m = k >> 1;
  return k % 2 ? d[m] : (d[m - 1] + d[m]) / 2;
}
