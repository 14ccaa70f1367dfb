/** @jest-environment node */
/**
 * Tests of the event study (cli/event-study.ts) on hand-made series: forward returns and volatility, the seeded
 * bootstrap and random baseline against a second, naive implementation, onsets, and the regime statistics.
 */
import { Bundle, compute, EngineResult } from '../src/core';
import {
  DailyCloses,
  HORIZONS_DAYS,
  SPLIT_MS,
  bootstrap,
  edges,
  eventStudy,
  hitRate,
  mean,
  median,
  mulberry32,
  onsets,
  quantileSorted,
  randomBaseline,
  regimeStats,
  targetMet,
} from './event-study';

const DAY = 86_400_000;
const T0 = Date.UTC(2022, 0, 1);

/** A minimal daily result: bars with perpUsd only (what DailyCloses reads). */
function dailyOf(prices: Array<number | null>, t0 = T0): Pick<EngineResult, 'bars'> {
  return {
    bars: prices.map((p, i) => ({ time: t0 + i * DAY, timeEnd: t0 + (i + 1) * DAY, perpUsd: p })) as never,
  };
}

describe('DailyCloses', () => {
  it('forwardReturnPct(t, h) is close(t + h days) / close(t) − 1 in percent, from the close at the end of a bar', () => {
    const c = new DailyCloses(dailyOf([100, 110, 121, 90]));
    // the close at T0 + 1 day is bar 0's close (100)
    expect(c.forwardReturnPct(T0 + DAY, 1)).toBeCloseTo(10, 12);
    expect(c.forwardReturnPct(T0 + DAY, 2)).toBeCloseTo(21, 12);
    expect(c.forwardReturnPct(T0 + 2 * DAY, 2)).toBeCloseTo((90 / 110 - 1) * 100, 12);
    expect(c.forwardReturnPct(T0 + 3 * DAY, 5)).toBeNaN(); // beyond the data
  });
  it('a missing close makes the figure unknown, never a return from another day', () => {
    const c = new DailyCloses(dailyOf([100, null, 120]));
    expect(c.forwardReturnPct(T0 + DAY, 1)).toBeNaN();
    expect(c.forwardReturnPct(T0 + DAY, 2)).toBeCloseTo(20, 12);
    expect(c.forwardVolPct(T0 + DAY, 2)).toBeNaN();
  });
  it('forwardVolPct is the population sd of the daily log returns × √365 × 100', () => {
    // log returns ln(2), −ln(2): mean 0, population sd ln(2)
    const c = new DailyCloses(dailyOf([100, 200, 100]));
    expect(c.forwardVolPct(T0 + DAY, 2)).toBeCloseTo(Math.LN2 * Math.sqrt(365) * 100, 10);
    // a constant growth rate has no volatility
    const g = new DailyCloses(dailyOf([100, 101, 102.01, 103.0301]));
    expect(g.forwardVolPct(T0 + DAY, 3)).toBeCloseTo(0, 8);
  });
});

describe('statistics', () => {
  it('median, mean, hit rate and linear quantiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mean([1, 2, 6])).toBe(3);
    expect(hitRate([1, -1, 0, 2])).toBe(0.5); // 0 is not a rise
    expect(quantileSorted([0, 10, 20, 30, 40], 0.05)).toBeCloseTo(2, 12); // h = 0.2
    expect(quantileSorted([0, 10, 20, 30, 40], 0.95)).toBeCloseTo(38, 12);
  });
  it('mulberry32 is deterministic for a seed and uniform enough: mean of 10,000 draws near 0.5', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(0.01);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('bootstrap and random baseline', () => {
  it('bootstrap(xs, stat) gives stat(xs) with the 5th / 95th percentiles of the resampled stats (naive check)', () => {
    const xs = [1, 5, -2, 8, 3, 0, 4];
    const got = bootstrap(xs, mean, mulberry32(42), 500);
    // the same resampling by hand, from the same seed
    const r = mulberry32(42);
    const stats: number[] = [];
    for (let k = 0; k < 500; k++) {
      const s = xs.map(() => xs[Math.floor(r() * xs.length)]);
      stats.push(s.reduce((a, b) => a + b, 0) / s.length);
    }
    stats.sort((a, b) => a - b);
    expect(got.value).toBeCloseTo(19 / 7, 12);
    expect(got.lo).toBeCloseTo(quantileSorted(stats, 0.05), 12);
    expect(got.hi).toBeCloseTo(quantileSorted(stats, 0.95), 12);
    expect(got.lo).toBeLessThan(got.value);
    expect(got.hi).toBeGreaterThan(got.value);
  });
  it('a constant sample has a zero-width interval; an empty one is unknown', () => {
    expect(bootstrap([2, 2, 2], median, mulberry32(1), 100)).toEqual({ value: 2, lo: 2, hi: 2 });
    expect(bootstrap([], median, mulberry32(1), 100).value).toBeNaN();
  });
  it('random draws without replacement: drawing the whole pool always gives the pool statistic', () => {
    const pool = [3, 1, 4, 1, 5, 9, 2, 6];
    expect(randomBaseline(pool, pool.length, mean, mulberry32(3), 50)).toEqual({
      value: mean(pool),
      lo: mean(pool),
      hi: mean(pool),
    });
    expect(randomBaseline(pool, 9, mean, mulberry32(3), 50).value).toBeNaN(); // cannot draw more than the pool
  });
  it('random draws of 1 from a pool cover its values: the 90 % range spans about the 5th to 95th percentile', () => {
    const pool = Array.from({ length: 100 }, (_, i) => i);
    const b = randomBaseline(pool, 1, median, mulberry32(9), 4000);
    expect(b.lo).toBeGreaterThanOrEqual(2);
    expect(b.lo).toBeLessThanOrEqual(8);
    expect(b.hi).toBeGreaterThanOrEqual(91);
    expect(b.hi).toBeLessThanOrEqual(97);
  });
});

/**
 * A daily bundle from 2022-01-01: spot and perp from `spot` / `perp`, plus OI and funding that fall in a straight
 * line, so that their z-scores exist (bullish needs them) and sit at −1.41 on every bar (the last of 5 equally spaced
 * falling values): never "overheated", never "leverage building".
 */
function bundleOf(spot: number[], perp: number[]): Bundle {
  const pts = (xs: number[]) => xs.map((v, i) => [T0 + i * DAY, v] as [number, number]);
  const n = spot.length;
  return {
    asset: 'BTC',
    series: [
      { venue: 's', kind: 'spot', quote: 'USD', points: pts(spot) },
      { venue: 'p', kind: 'perp', quote: 'USD', points: pts(perp) },
      {
        venue: 'p',
        kind: 'openInterest',
        unit: 'usd',
        points: pts(Array.from({ length: n }, (_, i) => 2e9 - i * 1e6)),
      },
      {
        venue: 'p',
        kind: 'funding',
        intervalHours: 24,
        points: pts(Array.from({ length: n }, (_, i) => 0.0003 - i * 3e-7)),
      },
    ],
  };
}

describe('onsets and the study on an engine result', () => {
  // perp rises 1 % a day; spot runs 0.2 % above perp on days 10–19 and 400–409 (two bullish regimes), else equal
  const n = 520;
  const perp = Array.from({ length: n }, (_, i) => 100 * 1.01 ** i);
  const spot = perp.map((p, i) => ((i >= 10 && i < 20) || (i >= 400 && i < 410) ? p * 1.002 : p));
  // one-bar rules; the regime holds while the premium stays above 0.1 % (so it ends when spot falls back to perp)
  const opts = {
    timeframe: '1d' as const,
    lookback: 5,
    premiumEmaBars: 1,
    premiumSlopeBars: 1,
    premiumExitMarginPct: -0.1,
    stateMinBars: 1,
  };
  const res = compute(bundleOf(spot, perp), opts);

  it('each event counts once, at the close of its first bar', () => {
    const on = onsets(res, 'bullish');
    expect(on).toEqual([
      { start: T0 + 10 * DAY, entry: T0 + 11 * DAY },
      { start: T0 + 400 * DAY, entry: T0 + 401 * DAY },
    ]);
  });
  it('forward returns at the onsets are the perp path: 1 % a day compounds to 1.01^h − 1', () => {
    const [inS, outS] = eventStudy(res, res, 1);
    expect(inS.sample).toBe('in');
    const b = inS.kinds.find((k) => k.kind === 'bullish')!;
    expect(b.onsets).toBe(1); // day 10 of 2022; day 400 is in 2023: out-of-sample
    expect(T0 + 400 * DAY).toBeGreaterThanOrEqual(SPLIT_MS);
    for (const h of HORIZONS_DAYS) {
      expect(b.returns[h].median.signal.value).toBeCloseTo((1.01 ** h - 1) * 100, 9);
      expect(b.returns[h].hit.signal.value).toBe(1);
    }
    // every random onset has the same path too: the baseline equals the signal (up to rounding)
    expect(b.returns[30].median.random.value).toBeCloseTo((1.01 ** 30 - 1) * 100, 9);
    expect(b.returns[30].hit.random).toEqual({ value: 1, lo: 1, hi: 1 });
    expect(edges(b).filter((e) => e.includes('hit rate'))).toEqual([]);
    const o = outS.kinds.find((k) => k.kind === 'bullish')!;
    expect(o.onsets).toBe(1);
    expect(o.returns[90].median.n).toBe(1); // day 401 + 90 < 520
    // constant growth: no volatility
    expect(b.vol.median.signal.value).toBeCloseTo(0, 6);
  });
});

describe('regimeStats and targets', () => {
  it('counts events by start, lengths in bars, per year of bars with the inputs known', () => {
    const n = 730;
    const perp = Array.from({ length: n }, () => 100);
    // bullish regimes of 3 and 6 bars (premium above zero and rising on entry, the exit test ends them)
    const spot = perp.map((p, i) => (i >= 100 && i < 103 ? p * 1.001 : i >= 500 && i < 506 ? p * 1.001 : p));
    const res = compute(bundleOf(spot, perp), {
      timeframe: '1d',
      lookback: 5,
      premiumEmaBars: 1,
      premiumSlopeBars: 1,
      premiumDeadbandPct: 0.05,
      premiumExitMarginPct: -0.05,
      stateMinBars: 1,
    });
    const st = regimeStats(res, 'bullish');
    expect(st.events).toBe(2);
    expect(st.medianBars).toBe(4.5); // (3 + 6) / 2
    expect(st.years).toBeCloseTo(730 / 365.25, 9);
    expect(st.perYear).toBeCloseTo(2 / (730 / 365.25), 9);
    const first = regimeStats(res, 'bullish', -Infinity, T0 + 365 * DAY);
    expect(first.events).toBe(1);
    expect(first.medianBars).toBe(3);
    expect(targetMet(st, { timeframe: '1d', maxPerYear: 12, minMedianBars: 3 })).toBe(true);
    expect(targetMet(st, { timeframe: '1d', maxPerYear: 12, minMedianBars: 5 })).toBe(false);
    expect(targetMet(st, { timeframe: '1d', maxPerYear: 0.5, minMedianBars: 1 })).toBe(false);
  });
});
