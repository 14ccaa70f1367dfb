/** @jest-environment node */
import { H, prng, t } from '../testutil';
import { Series } from '../types';
import { makeBuckets } from './buckets';
import { seriesGaps } from './gaps';
import { lastIndexBuckets, lastIndexFixed, resample, resampleSeries, volumeSums } from './resample';

const t0 = t('2024-01-01T00:00');
const pts: Array<[number, number]> = [
  [t0 - H, 5], // before the grid: ignored
  [t0, 10],
  [t0 + 0.5 * H, 11], // the last point of bar 0
  [t0 + 2 * H + 600_000, 12], // bar 2; bar 1 has none
  [t0 + 3 * H, 99], // after the grid: ignored
];
const nan = (a: Float64Array) => Array.from(a, (x) => (Number.isNaN(x) ? null : x));

describe('lastIndexFixed(points, first, ms, nb, key)', () => {
  it('takes the value and time of the last point in each bar and leaves bars without a point unknown', () => {
    const [val, time] = lastIndexFixed(pts, t0, H, 3, 'test:fixed');
    expect(nan(val)).toEqual([11, null, 12]);
    expect(nan(time)).toEqual([t0 + 0.5 * H, null, t0 + 2 * H + 600_000]);
  });

  it('agrees with a bucket found by division for every point, on dense, boundary and skipping points', () => {
    // whole-ms times at bucket starts, just before bucket ends, and jumps of 0–3 buckets (seeded)
    const r = prng(7);
    const points: Array<[number, number]> = [];
    let tm = t0 - 2 * H;
    for (let i = 0; i < 500; i++) {
      const step = [1, H - 1, H, 2 * H, 2 * H + 1, 3 * H][Math.floor(r() * 6)];
      tm += step;
      points.push([tm, i]);
    }
    const nb = 300;
    const refVal: Array<number | null> = new Array(nb).fill(null);
    const refTime: Array<number | null> = new Array(nb).fill(null);
    for (const [tp, v] of points) {
      const b = Math.floor((tp - t0) / H);
      if (b >= 0 && b < nb) {
        refVal[b] = v;
        refTime[b] = tp;
      }
    }
    const [val, time] = lastIndexFixed(points, t0, H, nb, 'test:fixed3');
    expect(nan(val)).toEqual(refVal);
    expect(nan(time)).toEqual(refTime);
  });

  it('writes every bar even when no point falls in the grid', () => {
    const [val] = lastIndexFixed([[t0 + 10 * H, 1]], t0, H, 3, 'test:fixed2');
    expect(nan(val)).toEqual([null, null, null]);
  });
});

describe('lastIndexBuckets(points, starts, ends, key)', () => {
  it('gives the same result as the fixed grid for the same buckets', () => {
    const starts = Float64Array.from([t0, t0 + H, t0 + 2 * H]);
    const ends = Float64Array.from([t0 + H, t0 + 2 * H, t0 + 3 * H]);
    const [val, time] = lastIndexBuckets(pts, starts, ends, 'test:buckets');
    expect(nan(val)).toEqual([11, null, 12]);
    expect(time[0]).toBe(t0 + 0.5 * H);
  });
});

describe('volumeSums(volumes, starts, ends)', () => {
  it('sums the volumes of each bucket and leaves buckets without volume unknown', () => {
    const starts = Float64Array.from([t0, t0 + H]);
    const ends = Float64Array.from([t0 + H, t0 + 2 * H]);
    expect(
      nan(
        volumeSums(
          [
            [t0, 2],
            [t0 + 1000, 3],
            [t0 + 5 * H, 7],
          ],
          starts,
          ends
        )
      )
    ).toEqual([5, null]);
  });
});

describe('resample(series, grid, key)', () => {
  const grid = makeBuckets(t0, t0 + 2 * H, '1h');

  it('gives the usual spacing of the series, and volume sums only when it has volumes', () => {
    const s: Series = { venue: 'a', kind: 'spot', quote: 'USD', points: pts.slice(1, 4) };
    const r = resample(s, grid, 'test:r1');
    expect(nan(r.val)).toEqual([11, null, 12]);
    expect(r.vol).toBeNull();
    // gaps of 0.5 h and 1.5 h + 10 min: the median of two gaps is their mean
    expect(r.spacing).toBe((0.5 * H + (1.5 * H + 600_000)) / 2);
    const v = resample({ ...s, volumes: [[t0, 4]] }, grid, 'test:r2');
    expect(nan(v.vol!)).toEqual([4, null, null]);
  });

  it('uses the timeframe width as the spacing of a single-point series', () => {
    const r = resample({ venue: 'a', kind: 'spot', quote: 'USD', points: [[t0, 1]] }, grid, 'test:r3');
    expect(r.spacing).toBe(H);
  });

  it('uses calendar buckets on 1M', () => {
    const g = makeBuckets(t('2024-01-01'), t('2024-02-10'), '1M');
    const s: Series = {
      venue: 'a',
      kind: 'spot',
      quote: 'USD',
      points: [
        [t('2024-01-05'), 1],
        [t('2024-01-31T23:00'), 2],
        [t('2024-02-10'), 3],
      ],
    };
    expect(nan(resample(s, g, 'test:r4').val)).toEqual([2, 3]);
  });
});

describe('the gaps counted while resampling', () => {
  // hourly points with 3 missing after 03:00 (03:00 → 07:00) and 1 after 08:00 (08:00 → 09:36: round(1.6) − 1),
  // before the grid, inside it and after it: gaps are counted over the whole series, not only inside the grid
  const hours = [-3, -2, -1, 0, 1, 2, 3, 7, 8, 9.6, 10.6, 11.6, 40, 41];
  const s: Series = { venue: 'a', kind: 'spot', quote: 'USD', points: hours.map((h) => [t0 + h * H, h]) };
  const expected = {
    spacingMs: H,
    missing: 3 + 1 + 27, // 11.6 → 40: round(28.4) − 1 = 27
    runs: 3,
    gaps: [
      { from: t0 + 3 * H, to: t0 + 7 * H, missing: 3 },
      { from: t0 + 8 * H, to: t0 + 9.6 * H, missing: 1 },
      { from: t0 + 11.6 * H, to: t0 + 40 * H, missing: 27 },
    ],
  };

  it('are the gaps seriesGaps finds, on a fixed-width grid and on calendar months', () => {
    expect(seriesGaps(s.points)).toEqual(expected);
    expect(resample(s, makeBuckets(t0, t0 + 12 * H, '1h'), 'test:g1').gaps).toEqual(expected);
    expect(resample(s, makeBuckets(t0, t0 + 12 * H, '1M'), 'test:g2').gaps).toEqual(expected);
  });

  it('are none for a series of fewer than 3 points (no usual spacing), as in seriesGaps', () => {
    const two: Series = { ...s, points: [s.points[0], s.points[12]] };
    const g = resample(two, makeBuckets(t0, t0 + 12 * H, '1h'), 'test:g3').gaps;
    expect(g).toEqual({ spacingMs: null, missing: 0, gaps: [], runs: 0 });
    expect(g).toEqual(seriesGaps(two.points));
  });
});

describe('resampleSeries(series, grid)', () => {
  it('resamples every series but funding, by series index', () => {
    const grid = makeBuckets(t0, t0 + 2 * H, '1h');
    const series: Series[] = [
      { venue: 'a', kind: 'funding', intervalHours: 8, points: [[t0, 0.0001]] },
      { venue: 'a', kind: 'perp', quote: 'USD', points: pts },
      { venue: 'a', kind: 'openInterest', unit: 'usd', points: [[t0 + H, 7]] },
      { venue: 'k', kind: 'fx', pair: 'USDT/USD', points: [[t0, 1]] },
    ];
    const r = resampleSeries(series, grid);
    expect(r[0]).toBeUndefined();
    expect(nan(r[1]!.val)).toEqual([11, null, 12]);
    expect(nan(r[2]!.val)).toEqual([null, 7, null]);
    expect(nan(r[3]!.val)).toEqual([1, null, null]);
  });
});
