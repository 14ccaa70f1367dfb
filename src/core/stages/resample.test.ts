/** @jest-environment node */
import { H, t } from '../testutil';
import { Series } from '../types';
import { makeBuckets } from './buckets';
import { lastIndexBuckets, lastIndexFixed, resample, volumeSums } from './resample';

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
