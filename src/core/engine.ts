import { BtcFlowInputError } from './errors';
import { chainLinkedIndexF64, fundingAprPct, rollingZF64, smaF64, twapFunding8hF64, usualSpacingMs } from './numeric';
import { EngineOptions, defaultLookback, resolveOptions } from './options';
import { buildEventsFromColumns, computeStates, MetricArrays, statesOfMask } from './signals';
import { bucketEndMs, bucketStartMs, parseTimeframe, timeframeMs } from './timeframe';
import {
  Bar,
  BarCounts,
  BarCoverage,
  BarVenues,
  Bundle,
  Coverage,
  EngineResult,
  FlowEvent,
  FundingSeries,
  OpenInterestSeries,
  PriceSeries,
  Series,
  SeriesCoverage,
  SeriesGap,
  StaleExclusion,
  StateKind,
  Timeframe,
  UnconvertedQuote,
} from './types';

/** Options accepted by compute: engine options plus the timeframe (default 1d) and an optional [from, to] range (UTC ms). */
export type ComputeOptions = Partial<EngineOptions> & { timeframe?: Timeframe; from?: number; to?: number };

/** Stablecoins that may be used as USD when no fx series converts them (the coverage output says so). */
export const STABLECOINS = ['USDT', 'USDC', 'BUSD', 'FDUSD', 'TUSD', 'DAI', 'USDP', 'PYUSD', 'USDE', 'USDD'];

/** Shared empty list for bars without exclusions (frozen: do not mutate). */
const NONE: string[] = Object.freeze([]) as unknown as string[];

/** Upper bound on dense bars per compute call (about 228 years of 1h bars). */
const MAX_BARS = 2_000_000;

interface Resampled {
  /** Value of the last point in each bucket (NaN = none). */
  val: Float64Array;
  /** Time of the last point in each bucket (NaN = none). */
  time: Float64Array;
  pts: ReadonlyArray<readonly [number, number]>;
  /** Sum of volumes in each bucket (NaN = none), only when the series has volumes. */
  vol: Float64Array | null;
  spacing: number;
}

function fmtDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** Gaps listed per series in the coverage (the count covers all of them). */
const MAX_LISTED_GAPS = 20;

/**
 * Gaps inside a series against its usual spacing (median gap, see usualSpacingMs): consecutive points at least 1.5
 * spacings apart miss round(gap / spacing) − 1 points. One pass, no allocation unless there are gaps. Series with
 * fewer than 3 points have no usual spacing and no gaps.
 */
export function seriesGaps(points: ReadonlyArray<readonly [number, number]>): {
  spacingMs: number | null;
  missing: number;
  gaps: SeriesGap[];
  runs: number;
} {
  const n = points.length;
  const spacing = n >= 3 ? usualSpacingMs(points) : NaN;
  if (!(spacing > 0)) {
    return { spacingMs: null, missing: 0, gaps: [], runs: 0 };
  }
  const limit = 1.5 * spacing;
  let missing = 0;
  let runs = 0;
  const gaps: SeriesGap[] = [];
  let prev = points[0][0];
  for (let i = 1; i < n; i++) {
    const t = points[i][0];
    const d = t - prev;
    if (d >= limit) {
      const m = Math.round(d / spacing) - 1;
      missing += m;
      runs++;
      if (gaps.length < MAX_LISTED_GAPS) {
        gaps.push({ from: prev, to: t, missing: m });
      }
    }
    prev = t;
  }
  return { spacingMs: spacing, missing, gaps, runs };
}

/** "8 h", "1 d", "15 min": a spacing in words. */
function spacingText(ms: number): string {
  if (ms % 86_400_000 === 0) {
    return `${ms / 86_400_000} d`;
  }
  if (ms % 3_600_000 === 0) {
    return `${ms / 3_600_000} h`;
  }
  return `${Math.round(ms / 60_000)} min`;
}

/** ISO minute of a time, without seconds: 2024-01-03 08:00. */
function fmtMinute(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

/** Labels: venue id, or venue/QUOTE or venue#index when a venue has several series of one kind. */
function makeLabels(series: Series[]): string[] {
  const count = new Map<string, number>();
  for (const s of series) {
    const k = `${s.kind}\u0000${s.venue}`;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const used = new Set<string>();
  return series.map((s, i) => {
    let label = s.venue;
    if ((count.get(`${s.kind}\u0000${s.venue}`) ?? 0) > 1) {
      label = s.kind === 'spot' || s.kind === 'perp' ? `${s.venue}/${s.quote.toUpperCase()}` : `${s.venue}#${i}`;
      if (used.has(`${s.kind}\u0000${label}`)) {
        label = `${s.venue}#${i}`;
      }
    }
    used.add(`${s.kind}\u0000${label}`);
    return label;
  });
}

/** Dense bucket starts / ends covering [tMin, tMax]. */
function makeBuckets(tMin: number, tMax: number, tf: Timeframe): { starts: Float64Array; ends: Float64Array } {
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
    return { starts, ends };
  }
  const s: number[] = [];
  for (let t = first; t <= last; t = bucketEndMs(t, tf)) {
    s.push(t);
  }
  const starts = Float64Array.from(s);
  const ends = starts.map((t) => bucketEndMs(t, tf));
  return { starts, ends };
}

/**
 * Reusable internal scratch buffers, keyed by role. compute is synchronous and these never leave a call, so one set
 * per module is enough; reusing them keeps each call from allocating (and making V8 collect) tens of MB of
 * short-lived typed arrays. A buffer grows to the largest size asked for.
 */
const SCRATCH = new Map<string, Float64Array | Int32Array | Uint8Array>();

function scratchOf<T extends Float64Array | Int32Array | Uint8Array>(
  key: string,
  n: number,
  make: (len: number) => T
): T {
  let a = SCRATCH.get(key) as T | undefined;
  if (!a || a.length < n) {
    a = make(n);
    SCRATCH.set(key, a);
  }
  return a.subarray(0, n) as T;
}

const f64 = (key: string, n: number): Float64Array => scratchOf(key, n, (len) => new Float64Array(len));
const u8 = (key: string, n: number): Uint8Array => scratchOf(key, n, (len) => new Uint8Array(len));

/**
 * Value and time of the last point per bucket on a fixed-width grid starting at `first` (one pass). Sorted points
 * stay in the current bucket until its end, so the bucket index is recomputed only when a point leaves it; buckets
 * the points skip are set to NaN on the way (no separate fill pass over the outputs).
 */
function lastIndexFixed(
  pts: ReadonlyArray<readonly [number, number]>,
  first: number,
  ms: number,
  nb: number,
  key: string
): [Float64Array, Float64Array] {
  const val = f64(key + ':val', nb);
  const time = f64(key + ':time', nb);
  const n = pts.length;
  let b = -1;
  let lo = -Infinity; // [lo, hi): the current bucket b (b = -1: before or after the grid)
  let hi = first;
  let done = 0; // buckets below `done` are written (a value, or NaN when no point fell in them)
  for (let i = 0; i < n; i++) {
    const p = pts[i];
    const t = p[0];
    if (t >= hi || t < lo) {
      b = Math.floor((t - first) / ms);
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

/** Value and time of the last point per bucket for arbitrary sorted buckets [starts[b], ends[b]) (one merge pass). */
function lastIndexBuckets(
  pts: ReadonlyArray<readonly [number, number]>,
  starts: Float64Array,
  ends: Float64Array,
  key: string
): [Float64Array, Float64Array] {
  const nb = starts.length;
  const val = f64(key + ':val', nb).fill(NaN);
  const time = f64(key + ':time', nb).fill(NaN);
  let b = 0;
  for (let i = 0; i < pts.length; i++) {
    const t = pts[i][0];
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
function volumeSums(
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

/** Last point per bucket (and volume sums) of one series. */
function resample(s: Series, starts: Float64Array, ends: Float64Array, tf: Timeframe, key: string): Resampled {
  const pts = s.points;
  const [val, time] =
    tf === '1M'
      ? lastIndexBuckets(pts, starts, ends, key)
      : lastIndexFixed(pts, starts[0], timeframeMs(tf), starts.length, key);
  const vol = s.volumes && s.volumes.length > 0 ? volumeSums(s.volumes, starts, ends) : null;
  const spacing = usualSpacingMs(pts);
  return { val, time, pts, vol, spacing: Number.isFinite(spacing) && spacing > 0 ? spacing : timeframeMs(tf) };
}

/**
 * The no-stale rule: within a group (all price series, or all OI series), a venue counts at a bar only if its last
 * point in the bucket is less than one of its usual spacings before the latest point any venue of the group has there.
 * A point left out has its resampled value set to NaN (the group's values are this call's scratch), so later steps
 * see it as missing. Returns per series its stale mask (null when it has no stale bar) and its number of stale bars.
 */
function applyNoStale(
  group: Resampled[],
  nb: number,
  key: string
): { stale: Array<Uint8Array | null>; staleBars: number[] } {
  const latest = f64(key + ':latest', nb).fill(-Infinity);
  for (const r of group) {
    const time = r.time;
    for (let b = 0; b < nb; b++) {
      const t = time[b];
      if (t > latest[b]) {
        latest[b] = t;
      }
    }
  }
  const stale: Array<Uint8Array | null> = [];
  const staleBars: number[] = [];
  for (let g = 0; g < group.length; g++) {
    const { time, val, spacing } = group[g];
    let st: Uint8Array | null = null;
    let count = 0;
    for (let b = 0; b < nb; b++) {
      // NaN time (no point in the bucket) fails the comparison
      if (latest[b] - time[b] >= spacing) {
        st ??= u8(`${key}:stale${g}`, nb).fill(0);
        st[b] = 1;
        val[b] = NaN;
        count++;
      }
    }
    stale.push(st);
    staleBars.push(count);
  }
  return { stale, staleBars };
}

/** Weighted basket of the valid venues at each bar; equal weights unless `useVolume` and every venue has volume. */
function basket(
  vals: Float64Array[],
  vols: Array<Float64Array | null>,
  useVolume: boolean,
  nb: number
): { value: Float64Array; count: Uint16Array; volumeFallbackBars: number } {
  const value = new Float64Array(nb).fill(NaN);
  const count = new Uint16Array(nb);
  let volumeFallbackBars = 0;
  const nv = vals.length;
  if (!useVolume) {
    // equal weights: column by column (tight loops over one array each), same summation order as below
    const sum = f64('basket:sum', nb).fill(0);
    for (let v = 0; v < nv; v++) {
      const col = vals[v];
      for (let b = 0; b < nb; b++) {
        const x = col[b];
        if (x === x) {
          sum[b] += x;
          count[b]++;
        }
      }
    }
    for (let b = 0; b < nb; b++) {
      const n = count[b];
      if (n > 0) {
        value[b] = sum[b] / n;
      }
    }
    return { value, count, volumeFallbackBars };
  }
  for (let b = 0; b < nb; b++) {
    let sum = 0;
    let n = 0;
    let wsum = 0;
    let wnum = 0;
    let volOk = true; // volume weighting from here on
    for (let v = 0; v < nv; v++) {
      const x = vals[v][b];
      if (x === x) {
        sum += x;
        n++;
        if (volOk) {
          const w = vols[v]?.[b] ?? NaN;
          if (w > 0) {
            wsum += w;
            wnum += w * x;
          } else {
            volOk = false;
          }
        }
      }
    }
    if (n > 0) {
      count[b] = n;
      if (volOk && wsum > 0) {
        value[b] = wnum / wsum;
      } else {
        value[b] = sum / n;
        volumeFallbackBars++;
      }
    }
  }
  return { value, count, volumeFallbackBars };
}

/** fx rate per bar, carried forward from the last bucket with a point, with the time of that point. */
function fxCarry(r: Resampled, inverse: boolean, nb: number): { rate: Float64Array; time: Float64Array } {
  const rate = new Float64Array(nb);
  const time = new Float64Array(nb);
  let lr = NaN;
  let lt = NaN;
  for (let b = 0; b < nb; b++) {
    const t = r.time[b];
    if (t === t) {
      lt = t;
      lr = inverse ? 1 / r.val[b] : r.val[b];
    }
    rate[b] = lr;
    time[b] = lt;
  }
  return { rate, time };
}

/**
 * USD close of a price series per bar into `out` (NaN where left out): bars without a usable point (none, or stale)
 * are skipped; with `fx`, the close is
 * multiplied by the fx rate when that rate is recent (less than 2 fx spacings old), else a stablecoin close is used
 * as is and any other currency is left out. Returns the number of bars used without conversion.
 */
function convertPrices(
  r: Resampled,
  fx: { rate: Float64Array; time: Float64Array; spacing: number } | null,
  stable: boolean,
  nonUsd: boolean,
  out: Float64Array
): number {
  let asIs = 0;
  const nb = out.length;
  const maxAge = fx ? 2 * fx.spacing : 0;
  const val = r.val;
  if (!fx && !nonUsd) {
    out.set(val); // USD, nothing to convert: the close where the series counts, NaN elsewhere
    return 0;
  }
  out.fill(NaN);
  for (let b = 0; b < nb; b++) {
    let x = val[b];
    if (x !== x) {
      continue;
    }
    if (fx) {
      const rate = fx.rate[b];
      if (rate === rate && r.time[b] - fx.time[b] < maxAge) {
        x *= rate;
      } else if (stable) {
        asIs++;
      } else {
        continue;
      }
    } else if (nonUsd) {
      asIs++;
    }
    out[b] = x;
  }
  return asIs;
}

/** fundingAprPct of each bar's 8h-equivalent rate. */
function aprColumn(funding: Float64Array): Float64Array {
  const out = new Float64Array(funding.length);
  for (let b = 0; b < funding.length; b++) {
    out[b] = fundingAprPct(funding[b]);
  }
  return out;
}

/** premiumPct per bar: (S − P) / P × 100, NaN where either basket is unknown. */
function premiumPctF64(spot: Float64Array, perp: Float64Array): Float64Array {
  const nb = spot.length;
  const out = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    const S = spot[b];
    const P = perp[b];
    out[b] = S === S && P > 0 ? ((S - P) / P) * 100 : NaN;
  }
  return out;
}

/** OI in USD per bar: as is for `usd`, else base units × the venue's own perp close (first known) or the perp basket. */
function oiUsdColumn(
  r: Resampled,
  isUsd: boolean,
  own: Float64Array[],
  basketPx: Float64Array,
  nb: number
): Float64Array {
  const val = r.val;
  if (isUsd) {
    return val.slice(0, nb); // a copy: NaN where there is no usable point
  }
  const out = new Float64Array(nb).fill(NaN);
  const no = own.length;
  for (let b = 0; b < nb; b++) {
    const v = val[b];
    if (v !== v) {
      continue;
    }
    let px = NaN;
    for (let j = 0; j < no; j++) {
      const x = own[j][b];
      if (x === x) {
        px = x;
        break;
      }
    }
    out[b] = v * (px === px ? px : basketPx[b]);
  }
  return out;
}

/** Number of known (non-NaN) values per bar across columns. */
function countKnown(cols: Float64Array[], nb: number): Uint16Array {
  const out = new Uint16Array(nb);
  for (const col of cols) {
    for (let b = 0; b < nb; b++) {
      if (col[b] === col[b]) {
        out[b]++;
      }
    }
  }
  return out;
}

/** Element-wise sum of two columns where either is known (NaN only where both are unknown). */
function addKnown(a: Float64Array, c: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let b = 0; b < a.length; b++) {
    const x = a[b];
    const y = c[b];
    out[b] = x === x ? (y === y ? x + y : x) : y;
  }
  return out;
}

/**
 * Funding composite per bar (8h-equivalent decimal). With `byOi`, each venue's TWAP rate is weighted by its OI in USD
 * at that bar; a venue whose OI is unknown gets the median of the known OI weights at that bar; when no venue has a
 * known OI the plain mean is used. Without `byOi`, the plain mean over venues with funding.
 */
function fundingComposite(
  fund8h: Float64Array[],
  fundOi: Array<Float64Array | null>,
  byOi: boolean,
  nb: number
): { raw: Float64Array; linked: Float64Array; count: Uint16Array; equalFallback: number; medianFilled: number } {
  const raw = new Float64Array(nb).fill(NaN);
  const linked = new Float64Array(nb).fill(NaN);
  let prev = -1; // last bar with a composite
  let level = 0;
  const count = new Uint16Array(nb);
  let equalFallback = 0;
  let medianFilled = 0;
  const nf = fund8h.length;
  const w = new Float64Array(nf);
  const known = new Float64Array(nf);
  for (let b = 0; b < nb; b++) {
    let n = 0;
    let sum = 0;
    let nk = 0;
    for (let v = 0; v < nf; v++) {
      const x = fund8h[v][b];
      if (x === x) {
        n++;
        sum += x;
        if (byOi) {
          const col = fundOi[v];
          const o = col === null ? NaN : col[b];
          if (o > 0) {
            w[v] = o;
            // insertion into the sorted list of known weights (a handful of venues)
            let j = nk++;
            while (j > 0 && known[j - 1] > o) {
              known[j] = known[j - 1];
              j--;
            }
            known[j] = o;
          } else {
            w[v] = NaN;
          }
        }
      }
    }
    if (n === 0) {
      continue;
    }
    count[b] = n;
    const equal = !byOi || nk === 0;
    if (byOi && nk === 0) {
      equalFallback++;
    }
    const m = nk >> 1;
    const med = nk === 0 ? 1 : nk % 2 ? known[m] : (known[m - 1] + known[m]) / 2;
    let num = 0;
    let den = 0;
    let dNum = 0; // weighted change since the previous composite bar, over venues known at both bars
    let dDen = 0;
    let filled = false;
    for (let v = 0; v < nf; v++) {
      const x = fund8h[v][b];
      if (x === x) {
        let wv = equal ? 1 : w[v];
        if (wv !== wv) {
          wv = med;
          filled = true;
        }
        num += x * wv;
        den += wv;
        if (prev >= 0) {
          const y = fund8h[v][prev];
          if (y === y) {
            dNum += (x - y) * wv;
            dDen += wv;
          }
        }
      }
    }
    raw[b] = num / den;
    if (filled) {
      medianFilled++;
    }
    level += dDen > 0 ? dNum / dDen : 0;
    linked[b] = level;
    prev = b;
  }
  if (prev >= 0) {
    // anchor: the linked composite equals the composite on the last bar with funding
    const shift = raw[prev] - linked[prev];
    for (let b = 0; b < nb; b++) {
      linked[b] += shift;
    }
  }
  return { raw, linked, count, equalFallback, medianFilled };
}

interface StaleGroup {
  kind: StaleExclusion['kind'];
  prefix: string;
  masks: Uint8Array[];
  labels: string[];
}

/** OR of the stale masks over [i0, i1) into `out` (one tight loop per mask). */
function orMasks(masks: Uint8Array[], i0: number, i1: number, out: Uint8Array): void {
  for (let g = 0; g < masks.length; g++) {
    const m = masks[g];
    for (let b = i0; b < i1; b++) {
      out[b] |= m[b];
    }
  }
}

/** Bars in [i0, i1) with venues left out by the no-stale rule, and per venue how many bars and when. */
function staleExclusionsOf(
  groups: StaleGroup[],
  starts: Float64Array,
  i0: number,
  i1: number,
  nb: number
): { excluded: Array<{ time: number; excluded: string[] }>; staleAgg: Map<string, StaleExclusion> } {
  const excluded: Array<{ time: number; excluded: string[] }> = [];
  const staleAgg = new Map<string, StaleExclusion>();
  if (groups.every((g) => g.masks.length === 0)) {
    return { excluded, staleAgg };
  }
  const staleAt = u8('staleAt', nb).fill(0);
  for (const g of groups) {
    orMasks(g.masks, i0, i1, staleAt);
  }
  for (let b = i0; b < i1; b++) {
    if (!staleAt[b]) {
      continue;
    }
    const list: string[] = [];
    for (const g of groups) {
      g.masks.forEach((m, j) => {
        if (m[b]) {
          const key = `${g.prefix}:${g.labels[j]}`;
          list.push(key);
          const e = staleAgg.get(key);
          if (e) {
            e.bars++;
            e.lastTime = starts[b];
          } else {
            staleAgg.set(key, { label: g.labels[j], kind: g.kind, bars: 1, firstTime: starts[b], lastTime: starts[b] });
          }
        }
      });
    }
    excluded.push({ time: starts[b], excluded: list });
  }
  return { excluded, staleAgg };
}

/**
 * "The lookback is longer than the data": for each metric that has values up to the last output bar but no z-score on
 * any output bar because fewer than `lookback` values exist, one note (the states that need the z-score cannot occur).
 */
function lookbackNotes(
  metrics: Array<[string, Float64Array, Float64Array]>,
  i0: number,
  i1: number,
  lookback: number
): string[] {
  const short: string[] = [];
  for (const [name, values, z] of metrics) {
    let known = 0;
    for (let b = 0; b < i1; b++) {
      if (values[b] === values[b]) {
        known++;
      }
    }
    let zKnown = 0;
    for (let b = i0; b < i1; b++) {
      if (z[b] === z[b]) {
        zKnown++;
      }
    }
    if (known > 0 && zKnown === 0 && known < lookback) {
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

/** Output columns that overflowed (±Infinity: a magnitude too large for a double); they are shown as unknown. */
function overflowNotes(cols: Record<string, Float64Array>, i0: number, i1: number): string[] {
  const notes: string[] = [];
  for (const [name, col] of Object.entries(cols)) {
    let n = 0;
    for (let b = i0; b < i1; b++) {
      const x = col[b];
      if (x === Infinity || x === -Infinity) {
        n++;
      }
    }
    if (n > 0) {
      notes.push(
        `overflow: ${name} is too large for a double on ${n} bar${n === 1 ? '' : 's'} and is shown as unknown; check the magnitudes of the input (validateBundle rejects them)`
      );
    }
  }
  return notes;
}

/**
 * The engine pipeline in columns (typed arrays, no per-bar objects): what compute runs before making the bar views.
 * Use it where columns are wanted directly (e.g. data frames) or bars would be many.
 */
export function computeColumns(bundle: Bundle, options: ComputeOptions = {}): EngineColumns {
  const { timeframe: tfRaw, from, to, ...rest } = options;
  const tf = parseTimeframe(tfRaw ?? '1d');
  const opts = resolveOptions(rest);
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
  const lookback = opts.lookback === 'auto' ? defaultLookback(tf) : opts.lookback;
  const notes: string[] = [];
  const series = bundle.series;
  const labels = makeLabels(series);

  const seriesCoverage: SeriesCoverage[] = series.map((s, i) => {
    const g = seriesGaps(s.points);
    if (g.missing > 0) {
      const shown = g.gaps
        .slice(0, 3)
        .map((x) => `${fmtMinute(x.from)} .. ${fmtMinute(x.to)} (${x.missing})`)
        .join(', ');
      notes.push(
        `gaps: ${s.kind} ${labels[i]} misses ${g.missing} point${g.missing === 1 ? '' : 's'} against its usual spacing of ` +
          `${spacingText(g.spacingMs!)}, in ${g.runs} gap${g.runs === 1 ? '' : 's'}: ${shown}${g.runs > 3 ? `, and ${g.runs - 3} more (see coverage.series[${i}].gaps)` : ''}`
      );
    }
    return {
      index: i,
      venue: s.venue,
      kind: s.kind,
      label: labels[i],
      first: s.points.length ? s.points[0][0] : null,
      last: s.points.length ? s.points[s.points.length - 1][0] : null,
      points: s.points.length,
      spacingMs: g.spacingMs,
      missing: g.missing,
      gaps: g.gaps,
    };
  });

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
  if (!(tMin <= tMax)) {
    notes.push('no spot, perp, open-interest or funding points in the bundle: no bars');
    const e = new Float64Array(0);
    return {
      timeframe: tf,
      length: 0,
      time: e,
      timeEnd: e,
      spotUsd: e,
      perpUsd: e,
      premiumPct: e,
      premiumZ: e,
      oiUsd: e,
      oiIndexUsd: e,
      oiZ: e,
      fundingRate8h: e,
      fundingAprPct: e,
      fundingZ: e,
      fundingLinked8h: e,
      extremeScore: e,
      states: new Uint8Array(0),
      counts: {
        spot: new Uint16Array(0),
        perp: new Uint16Array(0),
        oi: new Uint16Array(0),
        funding: new Uint16Array(0),
      },
      venues: { spot: {}, perp: {}, oiUsd: {}, funding8h: {} },
      events: [],
      excluded: [],
      coverage: { series: seriesCoverage, staleExclusions: [], unconvertedQuotes: [], notes },
      notices: notes,
    };
  }
  const { starts, ends } = makeBuckets(tMin, tMax, tf);
  const nb = starts.length;

  // ---- group series -------------------------------------------------------------------------------------------
  const priceIdx: number[] = [];
  const oiIdx: number[] = [];
  const fundIdx: number[] = [];
  const fxIdx: number[] = [];
  series.forEach((s, i) => {
    if (s.kind === 'spot' || s.kind === 'perp') {
      priceIdx.push(i);
    } else if (s.kind === 'openInterest') {
      oiIdx.push(i);
    } else if (s.kind === 'funding') {
      fundIdx.push(i);
    } else {
      fxIdx.push(i);
    }
  });

  // ---- fx: per currency, the last rate per bar carried forward (with its time) ------------------------------------
  const fxByCcy = new Map<string, { rate: Float64Array; time: Float64Array; spacing: number; label: string }>();
  for (const i of fxIdx) {
    const s = series[i] as Extract<Series, { kind: 'fx' }>;
    const [base, quote] = s.pair.toUpperCase().split('/');
    const ccy = quote === 'USD' ? base : base === 'USD' ? quote : null;
    if (ccy === null || ccy === 'USD') {
      notes.push(`fx series ${labels[i]} ${s.pair} ignored: only X/USD or USD/X pairs convert prices`);
      continue;
    }
    if (fxByCcy.has(ccy)) {
      notes.push(`fx series ${labels[i]} ${s.pair} ignored: an earlier ${ccy}/USD series is used`);
      continue;
    }
    const r = resample(s, starts, ends, tf, `fx${i}`);
    const { rate, time } = fxCarry(r, quote !== 'USD', nb);
    fxByCcy.set(ccy, { rate, time, spacing: r.spacing, label: labels[i] });
  }

  // ---- prices: resample, no-stale rule, USD conversion ------------------------------------------------------------
  const priceRes = priceIdx.map((i, k) => resample(series[i], starts, ends, tf, `price${k}`));
  const priceMask = applyNoStale(priceRes, nb, 'price');
  const priceUsd: Float64Array[] = [];
  const unconverted: UnconvertedQuote[] = [];
  priceIdx.forEach((i, k) => {
    const s = series[i] as PriceSeries;
    const r = priceRes[k];
    const q = s.quote.toUpperCase();
    const out = new Float64Array(nb); // filled by convertPrices, or below when the series is left out
    const fx = q === 'USD' ? undefined : fxByCcy.get(q);
    const stable = STABLECOINS.includes(q);
    const convert = fx !== undefined && (!stable || opts.stablecoinToUsd);
    if (q !== 'USD' && !stable && fx === undefined) {
      notes.push(`${s.kind} ${labels[i]} quoted in ${q} left out: no ${q}/USD fx series to convert it`);
      priceUsd.push(out.fill(NaN));
      return;
    }
    const asIs = convertPrices(r, convert ? fx! : null, stable, q !== 'USD', out);
    if (q !== 'USD' && (asIs > 0 || !convert)) {
      unconverted.push({ label: labels[i], kind: s.kind as 'spot' | 'perp', quote: q });
      notes.push(
        !convert
          ? `${s.kind} ${labels[i]} quoted in ${q} used as USD: ${opts.stablecoinToUsd ? `no ${q}/USD fx series in the input` : 'stablecoinToUsd is false'}`
          : `${s.kind} ${labels[i]} quoted in ${q} used as USD on ${asIs} bars where the ${q}/USD fx series had no recent rate`
      );
    }
    priceUsd.push(out);
  });
  const spotK: number[] = [];
  const perpK: number[] = [];
  priceIdx.forEach((i, k) => (series[i].kind === 'spot' ? spotK : perpK).push(k));
  const useVol = opts.basketWeighting === 'volume';
  const spotB = basket(
    spotK.map((k) => priceUsd[k]),
    spotK.map((k) => priceRes[k].vol),
    useVol,
    nb
  );
  const perpB = basket(
    perpK.map((k) => priceUsd[k]),
    perpK.map((k) => priceRes[k].vol),
    useVol,
    nb
  );
  if (useVol && spotB.volumeFallbackBars + perpB.volumeFallbackBars > 0) {
    notes.push(
      `basketWeighting=volume: equal weights used on ${spotB.volumeFallbackBars} spot and ${perpB.volumeFallbackBars} perp basket bars where a venue had no volume`
    );
  }

  // ---- premium ---------------------------------------------------------------------------------------------------
  const premiumRaw = premiumPctF64(spotB.value, perpB.value);
  const premium = smaF64(premiumRaw, opts.premiumSmoothing);
  const premiumZ = rollingZF64(premium, lookback);

  // ---- open interest ---------------------------------------------------------------------------------------------
  const oiRes = oiIdx.map((i, k) => resample(series[i], starts, ends, tf, `oi${k}`));
  const oiMask = applyNoStale(oiRes, nb, 'oi');
  const perpByVenue = new Map<string, number[]>();
  perpK.forEach((k) => {
    const v = series[priceIdx[k]].venue;
    perpByVenue.set(v, [...(perpByVenue.get(v) ?? []), k]);
  });
  const oiUsdByVenue: Float64Array[] = oiIdx.map((i, k) => {
    const s = series[i] as OpenInterestSeries;
    const r = oiRes[k];
    const own = (perpByVenue.get(s.venue) ?? []).map((k2) => priceUsd[k2]);
    return oiUsdColumn(r, s.unit === 'usd', own, perpB.value, nb);
  });
  const { index: oiIndex, sum: oiSum } = chainLinkedIndexF64(oiUsdByVenue, nb);
  const oiZ = rollingZF64(oiIndex, lookback);
  const oiCount = countKnown(oiUsdByVenue, nb);

  // ---- funding ---------------------------------------------------------------------------------------------------
  const fund8h = fundIdx.map((i) => {
    const s = series[i] as FundingSeries;
    return twapFunding8hF64(s.points, s.intervalHours, starts, ends);
  });
  const oiOfVenue = new Map<string, Float64Array>();
  oiIdx.forEach((i, k) => {
    const v = series[i].venue;
    const prev = oiOfVenue.get(v);
    if (!prev) {
      oiOfVenue.set(v, oiUsdByVenue[k]);
    } else {
      oiOfVenue.set(v, addKnown(prev, oiUsdByVenue[k]));
    }
  });
  const fundOi = fundIdx.map((i) => oiOfVenue.get(series[i].venue) ?? null);
  const {
    raw: fundingRaw,
    linked: fundingLinkedRaw,
    count: fundCount,
    equalFallback,
    medianFilled,
  } = fundingComposite(fund8h, fundOi, opts.fundingWeighting === 'oi', nb);
  if (opts.fundingWeighting === 'oi' && equalFallback > 0) {
    notes.push(`fundingWeighting=oi: equal weights on ${equalFallback} bars where no funding venue had a known OI`);
  }
  if (medianFilled > 0) {
    notes.push(
      `fundingWeighting=oi: on ${medianFilled} bars a funding venue without known OI got the median OI weight of the others`
    );
  }
  const funding = smaF64(fundingRaw, opts.fundingSmoothing);
  // z on the chain-linked composite: venues joining or leaving do not move it (see docs/metrics.md)
  const fundingLinked = smaF64(fundingLinkedRaw, opts.fundingSmoothing);
  const fundingZ = rollingZF64(fundingLinked, lookback);
  const fundingApr = aprColumn(funding);

  // ---- states ----------------------------------------------------------------------------------------------------
  const metrics: MetricArrays = {
    premium,
    premiumZ,
    oiUsd: oiSum,
    oiZ,
    funding,
    fundingApr,
    fundingZ,
  };
  const { mask, score, missing } = computeStates(metrics, nb, opts);

  // ---- slice to [from, to] ---------------------------------------------------------------------------------------
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

  // ---- columns, exclusions, events ---------------------------------------------------------------------------------
  const cut = <T extends Float64Array | Uint8Array | Uint16Array>(a: T): T => a.subarray(i0, i1) as T;
  const venueCols = (
    ks: number[],
    cols: Float64Array[],
    labelOf: (j: number) => string
  ): Record<string, Float64Array> => {
    const o: Record<string, Float64Array> = {};
    ks.forEach((k, j) => {
      o[labelOf(j)] = cut(cols[k]);
    });
    return o;
  };
  // only series with stale bars take part (most have none, and then the scan is skipped); `ks` index the group's
  // masks, `seriesOf[k]` is the series behind mask k
  const staleGroup = (
    kind: StaleGroup['kind'],
    prefix: string,
    ks: number[],
    m: typeof priceMask,
    seriesOf: number[]
  ): StaleGroup => {
    const stale = ks.filter((k) => m.staleBars[k] > 0);
    return { kind, prefix, masks: stale.map((k) => m.stale[k]!), labels: stale.map((k) => labels[seriesOf[k]]) };
  };
  const groups: StaleGroup[] = [
    staleGroup('spot', 'spot', spotK, priceMask, priceIdx),
    staleGroup('perp', 'perp', perpK, priceMask, priceIdx),
    staleGroup(
      'openInterest',
      'oi',
      oiIdx.map((_, k) => k),
      oiMask,
      oiIdx
    ),
  ];
  const { excluded, staleAgg } = staleExclusionsOf(groups, starts, i0, i1, nb);
  const staleExclusions = [...staleAgg.values()];
  for (const e of staleExclusions) {
    notes.push(
      `no-stale rule: ${e.kind} ${e.label} left out of ${e.bars} bar${e.bars === 1 ? '' : 's'} (${fmtDay(e.firstTime)}${e.bars > 1 ? ` .. ${fmtDay(e.lastTime)}` : ''}) where its last point was older than its usual spacing before the latest point of another venue`
    );
  }
  notes.push(...missing(i0, i1));
  if (i1 === i0) {
    notes.push(
      `no bars in the range ${from === undefined ? 'start' : fmtDay(from)} .. ${to === undefined ? 'end' : fmtDay(to)}: ` +
        `the data gives ${tf} bars from ${fmtDay(starts[0])} to ${fmtDay(starts[nb - 1])}`
    );
  } else {
    notes.push(
      ...lookbackNotes(
        [
          ['premium', premium, premiumZ],
          ['OI', oiIndex, oiZ],
          ['funding', fundingLinked, fundingZ],
        ],
        i0,
        i1,
        lookback
      ),
      ...overflowNotes(
        { spotUsd: spotB.value, perpUsd: perpB.value, premiumPct: premium, oiUsd: oiSum, fundingRate8h: funding },
        i0,
        i1
      )
    );
  }

  const cols: EngineColumns = {
    timeframe: tf,
    length: i1 - i0,
    time: cut(starts),
    timeEnd: cut(ends),
    spotUsd: cut(spotB.value),
    perpUsd: cut(perpB.value),
    premiumPct: cut(premium),
    premiumZ: cut(premiumZ),
    oiUsd: cut(oiSum),
    oiIndexUsd: cut(oiIndex),
    oiZ: cut(oiZ),
    fundingRate8h: cut(funding),
    fundingAprPct: cut(fundingApr),
    fundingZ: cut(fundingZ),
    fundingLinked8h: cut(fundingLinked),
    extremeScore: cut(score),
    states: cut(mask),
    counts: { spot: cut(spotB.count), perp: cut(perpB.count), oi: cut(oiCount), funding: cut(fundCount) },
    venues: {
      spot: venueCols(spotK, priceUsd, (j) => labels[priceIdx[spotK[j]]]),
      perp: venueCols(perpK, priceUsd, (j) => labels[priceIdx[perpK[j]]]),
      oiUsd: venueCols(
        oiIdx.map((_, k) => k),
        oiUsdByVenue,
        (j) => labels[oiIdx[j]]
      ),
      funding8h: venueCols(
        fundIdx.map((_, k) => k),
        fund8h,
        (j) => labels[fundIdx[j]]
      ),
    },
    events: [],
    excluded,
    coverage: { series: seriesCoverage, staleExclusions, unconvertedQuotes: unconverted, notes },
    notices: notes,
  };
  cols.events = buildEventsFromColumns(cols, opts);
  return cols;
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

const nul = (x: number): number | null => (x === x && x !== Infinity && x !== -Infinity ? x : null);

function venueRecord(
  cols: Record<string, Float64Array>,
  tpl: Record<string, number | null>,
  i: number
): Record<string, number | null> {
  const o = { ...tpl }; // fixed-shape clone, then values overwritten in place
  for (const k in cols) {
    o[k] = nul(cols[k][i]);
  }
  return o;
}

/** What a bar's lazy `counts` and `venues` are built from: the call's columns, record templates and caches. */
class BarSource {
  readonly venueTpl: Record<keyof BarVenues, Record<string, number | null>>;
  readonly venues: Array<BarVenues | undefined>;
  readonly counts: Array<BarCounts | undefined>;
  private excludedByBar: Array<string[] | undefined> | undefined;
  constructor(readonly c: EngineColumns) {
    const template = (cols: Record<string, Float64Array>): Record<string, number | null> => {
      const o: Record<string, number | null> = {};
      for (const k of Object.keys(cols)) {
        o[k] = null;
      }
      return o;
    };
    this.venueTpl = {
      spot: template(c.venues.spot),
      perp: template(c.venues.perp),
      oiUsd: template(c.venues.oiUsd),
      funding8h: template(c.venues.funding8h),
    };
    this.venues = new Array(c.length);
    this.counts = new Array(c.length);
  }
  venuesAt(i: number): BarVenues {
    const { c, venueTpl: t } = this;
    return (this.venues[i] ??= {
      spot: venueRecord(c.venues.spot, t.spot, i),
      perp: venueRecord(c.venues.perp, t.perp, i),
      oiUsd: venueRecord(c.venues.oiUsd, t.oiUsd, i),
      funding8h: venueRecord(c.venues.funding8h, t.funding8h, i),
    });
  }
  /** Labels left out of bar i by the no-stale rule (the shared empty list when none); index built on first use. */
  excludedAt(i: number): string[] {
    if (this.excludedByBar === undefined) {
      // c.excluded is sorted by time and its times are bar times: one merge pass
      const { time, length } = this.c;
      const byBar: Array<string[] | undefined> = new Array(length);
      let j = 0;
      for (const e of this.c.excluded) {
        while (j < length && time[j] < e.time) {
          j++;
        }
        if (j < length && time[j] === e.time) {
          byBar[j] = e.excluded;
        }
      }
      this.excludedByBar = byBar;
    }
    return this.excludedByBar[i] ?? NONE;
  }
  countsAt(i: number): BarCounts {
    const k = this.c.counts;
    return (this.counts[i] ??= { spot: k.spot[i], perp: k.perp[i], oi: k.oi[i], funding: k.funding[i] });
  }
}

const SRC = Symbol('btcFlowBarSource');
const IDX = Symbol('btcFlowBarIndex');

/** Node's custom-inspect hook (a registered symbol, so the core imports nothing from Node). */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * One output bar: a read-only view of row i of the call's columns, the pattern of Grafana's DataFrameView. It holds
 * only its source and its index; every field is a prototype getter that reads the typed column (NaN → null), so
 * building 100,000 bars allocates 100,000 small objects instead of 1.3 million boxed numbers. `counts` and the
 * per-venue `venues` are built on first read and kept. Read fields as properties; `toJSON()` (used by JSON.stringify)
 * gives a plain copy. `{...bar}` and `Object.keys(bar)` see no fields (docs/metrics.md §16).
 */
class OutBar implements Bar {
  readonly [SRC]: BarSource;
  readonly [IDX]: number;
  constructor(src: BarSource, i: number) {
    this[SRC] = src;
    this[IDX] = i;
  }
  get time(): number {
    return this[SRC].c.time[this[IDX]];
  }
  get timeEnd(): number {
    return this[SRC].c.timeEnd[this[IDX]];
  }
  get spotUsd(): number | null {
    return nul(this[SRC].c.spotUsd[this[IDX]]);
  }
  get perpUsd(): number | null {
    return nul(this[SRC].c.perpUsd[this[IDX]]);
  }
  get premiumPct(): number | null {
    return nul(this[SRC].c.premiumPct[this[IDX]]);
  }
  get premiumZ(): number | null {
    return nul(this[SRC].c.premiumZ[this[IDX]]);
  }
  get oiUsd(): number | null {
    return nul(this[SRC].c.oiUsd[this[IDX]]);
  }
  get oiIndexUsd(): number | null {
    return nul(this[SRC].c.oiIndexUsd[this[IDX]]);
  }
  get oiZ(): number | null {
    return nul(this[SRC].c.oiZ[this[IDX]]);
  }
  get fundingRate8h(): number | null {
    return nul(this[SRC].c.fundingRate8h[this[IDX]]);
  }
  get fundingAprPct(): number | null {
    return nul(this[SRC].c.fundingAprPct[this[IDX]]);
  }
  get fundingZ(): number | null {
    return nul(this[SRC].c.fundingZ[this[IDX]]);
  }
  get extremeScore(): number | null {
    return nul(this[SRC].c.extremeScore[this[IDX]]);
  }
  /** Shared frozen list per state mask: do not mutate. */
  get states(): StateKind[] {
    return statesOfMask(this[SRC].c.states[this[IDX]]);
  }
  get counts(): BarCounts {
    return this[SRC].countsAt(this[IDX]);
  }
  get venues(): BarVenues {
    return this[SRC].venuesAt(this[IDX]);
  }
  toJSON(): Bar {
    return {
      time: this.time,
      timeEnd: this.timeEnd,
      spotUsd: this.spotUsd,
      perpUsd: this.perpUsd,
      premiumPct: this.premiumPct,
      premiumZ: this.premiumZ,
      oiUsd: this.oiUsd,
      oiIndexUsd: this.oiIndexUsd,
      oiZ: this.oiZ,
      fundingRate8h: this.fundingRate8h,
      fundingAprPct: this.fundingAprPct,
      fundingZ: this.fundingZ,
      extremeScore: this.extremeScore,
      states: this.states,
      counts: this.counts,
      venues: this.venues,
    };
  }
  [INSPECT](): Bar {
    return this.toJSON();
  }
}

/** One per-bar coverage row, a view like OutBar: counts from the columns, `excluded` from the no-stale list. */
class OutCoverage implements BarCoverage {
  readonly [SRC]: BarSource;
  readonly [IDX]: number;
  constructor(src: BarSource, i: number) {
    this[SRC] = src;
    this[IDX] = i;
  }
  get time(): number {
    return this[SRC].c.time[this[IDX]];
  }
  get spot(): number {
    return this[SRC].c.counts.spot[this[IDX]];
  }
  get perp(): number {
    return this[SRC].c.counts.perp[this[IDX]];
  }
  get oi(): number {
    return this[SRC].c.counts.oi[this[IDX]];
  }
  get funding(): number {
    return this[SRC].c.counts.funding[this[IDX]];
  }
  /** Shared list: do not mutate. */
  get excluded(): string[] {
    return this[SRC].excludedAt(this[IDX]);
  }
  toJSON(): BarCoverage {
    const { time, spot, perp, oi, funding, excluded } = this;
    return { time, spot, perp, oi, funding, excluded };
  }
  [INSPECT](): BarCoverage {
    return this.toJSON();
  }
}

/**
 * Turns engine columns into Bar views (see OutBar), one small object per bar. `coverage.bars` (one coverage view
 * per bar) is an enumerable getter that builds its array on first read, since few consumers read it.
 */
export function materialise(c: EngineColumns): EngineResult {
  const n = c.length;
  const src = new BarSource(c);
  const bars: Bar[] = new Array(n);
  for (let i = 0; i < n; i++) {
    bars[i] = new OutBar(src, i);
  }
  let covBars: BarCoverage[] | undefined;
  const coverage = { ...c.coverage } as Coverage;
  Object.defineProperty(coverage, 'bars', {
    enumerable: true,
    get(): BarCoverage[] {
      if (covBars === undefined) {
        covBars = new Array(n);
        for (let i = 0; i < n; i++) {
          covBars[i] = new OutCoverage(src, i);
        }
      }
      return covBars;
    },
  });
  return { timeframe: c.timeframe, bars, events: c.events, coverage, notices: c.notices };
}

/**
 * Runs the whole pipeline: resample to bars, baskets, premium, OI, funding, z-scores, states, events, coverage.
 * Throws BtcFlowInputError for a bad timeframe, option or range. Call validateBundle first on untrusted input.
 */
export function compute(bundle: Bundle, options: ComputeOptions = {}): EngineResult {
  return materialise(computeColumns(bundle, options));
}
