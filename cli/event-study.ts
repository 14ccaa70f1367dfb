/**
 * Event study for the validation report (cli/validate.ts): what each signal kind's onsets were followed by on the
 * real history. Forward returns of the perp basket over 7, 30 and 90 days (median, mean, hit rate), forward 30-day
 * realised volatility against its unconditional median, seeded bootstrap 90 % intervals, and the same figures for
 * random onsets of the same count as a baseline. Also the regime targets of issue 12 (events a year, median length).
 * Pure: engine results in, numbers out; the Markdown is written by validate.ts.
 */
import { EngineResult, StateKind } from '../src/core';
import { prng as mulberry32 } from '../src/core/testutil';

const DAY = 86_400_000;

/** Horizons of the forward returns, days. */
export const HORIZONS_DAYS = [7, 30, 90] as const;
/** Window of the forward realised volatility, days. */
export const VOL_DAYS = 30;
/** Bootstrap and random-baseline resamples. */
export const RESAMPLES = 2000;
/** Fixed seed: the report is the same on every run. */
export const SEED = 20230101;
/** End (exclusive) of the in-sample part: onsets before 2023-01-01 UTC. */
export const SPLIT_MS = Date.UTC(2023, 0, 1);

/** mulberry32: a small, fast, seeded PRNG with uniform output in [0, 1) (the one the engine's tests and benchmarks use). */
export { mulberry32 };

export function median(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (!n) {
    return NaN;
  }
  const s = Float64Array.from(xs).sort();
  const m = n >> 1;
  return n % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
  }
  return xs.length ? s / xs.length : NaN;
}

/** Share of values above 0 (a "hit" for a forward return), 0–1. */
export function hitRate(xs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] > 0) {
      h++;
    }
  }
  return xs.length ? h / xs.length : NaN;
}

/** The q-quantile (0–1) of sorted values, linear interpolation between order statistics. */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  const n = s.length;
  if (!n) {
    return NaN;
  }
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** An estimate with a 90 % interval (5th and 95th percentiles of its resampled values). */
export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

/** Bootstrap: `stat` on `RESAMPLES` resamples (with replacement) of `xs`; value = stat(xs). */
export function bootstrap(xs: number[], stat: (s: number[]) => number, rand: () => number, b = RESAMPLES): Interval {
  const n = xs.length;
  if (!n) {
    return { value: NaN, lo: NaN, hi: NaN };
  }
  const out = new Float64Array(b);
  const s = new Array<number>(n);
  for (let k = 0; k < b; k++) {
    for (let i = 0; i < n; i++) {
      s[i] = xs[Math.floor(rand() * n)];
    }
    out[k] = stat(s);
  }
  out.sort();
  return { value: stat(xs), lo: quantileSorted(out, 0.05), hi: quantileSorted(out, 0.95) };
}

/**
 * Random baseline: `stat` on `b` draws of `n` values without replacement from `pool`; value = the median of the
 * draws' statistics, lo / hi their 5th and 95th percentiles (the range a random choice of n onsets falls in).
 */
export function randomBaseline(
  pool: number[],
  n: number,
  stat: (s: number[]) => number,
  rand: () => number,
  b = RESAMPLES
): Interval {
  if (!n || pool.length < n) {
    return { value: NaN, lo: NaN, hi: NaN };
  }
  const out = new Float64Array(b);
  const idx = pool.map((_, i) => i);
  const s = new Array<number>(n);
  for (let k = 0; k < b; k++) {
    // partial Fisher–Yates: the first n of a random permutation
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(rand() * (idx.length - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      s[i] = pool[idx[i]];
    }
    out[k] = stat(s);
  }
  out.sort();
  return { value: quantileSorted(out, 0.5), lo: quantileSorted(out, 0.05), hi: quantileSorted(out, 0.95) };
}

/** Daily perp-basket closes keyed by the close time (the end of the daily bar), USD. */
export class DailyCloses {
  private readonly byEnd = new Map<number, number>();
  readonly ends: number[] = [];
  constructor(daily: Pick<EngineResult, 'bars'>) {
    for (const b of daily.bars) {
      if (b.perpUsd !== null && b.perpUsd > 0) {
        this.byEnd.set(b.timeEnd, b.perpUsd);
        this.ends.push(b.timeEnd);
      }
    }
  }
  /** Close at time t (the end of a daily bar), or NaN. */
  at(t: number): number {
    return this.byEnd.get(t) ?? NaN;
  }
  /** Forward simple return from the close at t to the close h days later, percent; NaN when either is unknown. */
  forwardReturnPct(t: number, h: number): number {
    const a = this.at(t);
    const b = this.at(t + h * DAY);
    return a > 0 && b > 0 ? (b / a - 1) * 100 : NaN;
  }
  /**
   * Realised volatility over the `days` days after t, annualised percent: the population sd of the daily log returns
   * close(t + k) / close(t + k − 1), k = 1..days, × √365 × 100. NaN unless all days + 1 closes are known.
   */
  forwardVolPct(t: number, days: number = VOL_DAYS): number {
    const r = new Float64Array(days);
    let prev = this.at(t);
    if (!(prev > 0)) {
      return NaN;
    }
    for (let k = 1; k <= days; k++) {
      const c = this.at(t + k * DAY);
      if (!(c > 0)) {
        return NaN;
      }
      r[k - 1] = Math.log(c / prev);
      prev = c;
    }
    const m = mean(r);
    let ss = 0;
    for (let k = 0; k < days; k++) {
      ss += (r[k] - m) ** 2;
    }
    return Math.sqrt(ss / days) * Math.sqrt(365) * 100;
  }
}

export type Sample = 'in' | 'out';
export const SAMPLE_LABEL: Record<Sample, string> = {
  in: 'in-sample (onsets to 2022-12-31)',
  out: 'out-of-sample (onsets from 2023-01-01)',
};
const inSample = (t: number, s: Sample) => (s === 'in' ? t < SPLIT_MS : t >= SPLIT_MS);

/** Onsets of `kind`: the start of each event, and the entry time = the end of its first bar (when the state is known). */
export function onsets(res: EngineResult, kind: StateKind): Array<{ start: number; entry: number }> {
  const barEnd = new Map<number, number>();
  for (const b of res.bars) {
    barEnd.set(b.time, b.timeEnd);
  }
  return res.events.filter((e) => e.kind === kind).map((e) => ({ start: e.time, entry: barEnd.get(e.time)! }));
}

/** Whether a bar can carry the state at all (its inputs are known): what random onsets are drawn from. */
export function inputsKnown(kind: StateKind, b: EngineResult['bars'][number]): boolean {
  switch (kind) {
    case 'bullish':
    case 'bearish':
      return b.premiumPct !== null;
    case 'overLeverage':
      return b.oiZ !== null;
    case 'extremeTop':
    case 'extremeBottom':
      return b.extremeScore !== null;
  }
}

/** One figure of the study: the signal's estimate with its bootstrap interval, and the random baseline. */
export interface Figure {
  n: number;
  signal: Interval;
  random: Interval;
}

export interface KindStudy {
  kind: StateKind;
  onsets: number;
  /** `r${h}` → median / mean / hit of the h-day forward return (percent; hit 0–1). */
  returns: Record<number, { median: Figure; mean: Figure; hit: Figure }>;
  /** Median forward 30-day realised volatility (annualised %) and its ratio to the unconditional median. */
  vol: { median: Figure; ratio: Figure };
}

export interface SampleStudy {
  sample: Sample;
  /** Median forward 30-day volatility over every daily close of the sample (annualised %). */
  unconditionalVol: number;
  kinds: KindStudy[];
}

export const STUDY_KINDS: StateKind[] = ['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom'];

/**
 * The event study of one timeframe's result. Prices and the unconditional volatility come from the daily result
 * (a weekly onset enters at its week's last daily close).
 */
export function eventStudy(res: EngineResult, daily: EngineResult, seed = SEED): SampleStudy[] {
  const closes = new DailyCloses(daily);
  const rand = mulberry32(seed);
  const out: SampleStudy[] = [];
  for (const sample of ['in', 'out'] as Sample[]) {
    const uncond = median(
      closes.ends
        .filter((t) => inSample(t - DAY, sample))
        .map((t) => closes.forwardVolPct(t))
        .filter((v) => v === v)
    );
    const kinds: KindStudy[] = [];
    for (const kind of STUDY_KINDS) {
      const on = onsets(res, kind).filter((o) => inSample(o.start, sample));
      const pool = res.bars.filter((b) => inSample(b.time, sample) && inputsKnown(kind, b)).map((b) => b.timeEnd);
      const fig = (f: (t: number) => number, stat: (s: number[]) => number): Figure => {
        const xs = on.map((o) => f(o.entry)).filter((v) => v === v);
        const px = pool.map(f).filter((v) => v === v);
        return { n: xs.length, signal: bootstrap(xs, stat, rand), random: randomBaseline(px, xs.length, stat, rand) };
      };
      const returns: KindStudy['returns'] = {};
      for (const h of HORIZONS_DAYS) {
        const f = (t: number) => closes.forwardReturnPct(t, h);
        returns[h] = { median: fig(f, median), mean: fig(f, mean), hit: fig(f, hitRate) };
      }
      const fv = (t: number) => closes.forwardVolPct(t);
      kinds.push({
        kind,
        onsets: on.length,
        returns,
        vol: { median: fig(fv, median), ratio: fig(fv, (s) => median(s) / uncond) },
      });
    }
    out.push({ sample, unconditionalVol: uncond, kinds });
  }
  return out;
}

/** Where the signal's estimate lies against the random baseline's 90 % range. */
export function versusRandom(f: Figure): 'above' | 'below' | 'within' | 'n/a' {
  const v = f.signal.value;
  if (!(v === v) || !(f.random.lo === f.random.lo)) {
    return 'n/a';
  }
  return v > f.random.hi ? 'above' : v < f.random.lo ? 'below' : 'within';
}

/** Fewer onsets than this: the report says the sample is too small to read. */
export const MIN_ONSETS = 5;

/** The figures that lie outside the random range, as readable labels (e.g. "30-day median return above"). */
export function edges(k: KindStudy): string[] {
  const out: string[] = [];
  for (const h of HORIZONS_DAYS) {
    const r = k.returns[h];
    for (const [label, f] of [
      ['median', r.median],
      ['mean', r.mean],
      ['hit rate', r.hit],
    ] as const) {
      const v = versusRandom(f);
      if (v === 'above' || v === 'below') {
        out.push(`${h}-day ${label} return ${v} random`);
      }
    }
  }
  const v = versusRandom(k.vol.median);
  if (v === 'above' || v === 'below') {
    out.push(`forward ${VOL_DAYS}-day volatility ${v} random`);
  }
  return out;
}

/* ------------------------------------------------------------------------------------------------
 * regime targets (issue 12)
 * ---------------------------------------------------------------------------------------------- */

export interface RegimeTarget {
  timeframe: '1d' | '1w';
  maxPerYear: number;
  minMedianBars: number;
}

/** Issue 12's targets for bullish and bearish, each, at the defaults (daily lookback 90, weekly lookback 52). */
export const REGIME_TARGETS: RegimeTarget[] = [
  { timeframe: '1d', maxPerYear: 12, minMedianBars: 3 },
  { timeframe: '1w', maxPerYear: 4, minMedianBars: 2 },
];

export interface RegimeStats {
  events: number;
  /** Years of bars on which the state's inputs are known (premium for bullish/bearish, OI z for over-leverage). */
  years: number;
  perYear: number;
  medianBars: number;
}

/** Events of `kind` starting in [from, to) and their median length in bars, per year of bars with known inputs. */
export function regimeStats(res: EngineResult, kind: StateKind, from = -Infinity, to = Infinity): RegimeStats {
  let ms = 0;
  for (const b of res.bars) {
    if (b.time >= from && b.time < to && inputsKnown(kind, b)) {
      ms += b.timeEnd - b.time;
    }
  }
  const starts = new Map<number, number>();
  res.bars.forEach((b, i) => starts.set(b.time, i));
  const lens: number[] = [];
  for (const e of res.events) {
    if (e.kind === kind && e.time >= from && e.time < to) {
      let i = starts.get(e.time)!;
      let n = 0;
      while (i < res.bars.length && res.bars[i].time < e.timeEnd) {
        n++;
        i++;
      }
      lens.push(n);
    }
  }
  const years = ms / (365.25 * DAY);
  return { events: lens.length, years, perYear: years > 0 ? lens.length / years : NaN, medianBars: median(lens) };
}

export function targetMet(s: RegimeStats, t: RegimeTarget): boolean {
  return s.perYear <= t.maxPerYear && s.medianBars >= t.minMedianBars;
}
