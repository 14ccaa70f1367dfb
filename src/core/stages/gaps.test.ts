/** @jest-environment node */
import { H, t } from '../testutil';
import { Series } from '../types';
import { MAX_LISTED_GAPS, seriesCoverage, seriesGaps } from './gaps';

const hourly = (hours: number[]): Array<[number, number]> => hours.map((h) => [t('2024-01-01') + h * H, 1]);

describe('seriesGaps(points)', () => {
  it('counts round(gap / spacing) − 1 missing points for each gap of at least 1.5 usual spacings', () => {
    // usual spacing 1 h; 3 → 7 misses 3 points (4, 5, 6); 8 → 9.6 (1.6 h) misses round(1.6) − 1 = 1
    const g = seriesGaps(hourly([0, 1, 2, 3, 7, 8, 9.6, 10.6, 11.6]));
    expect(g.spacingMs).toBe(H);
    expect(g.missing).toBe(4);
    expect(g.runs).toBe(2);
    expect(g.gaps).toEqual([
      { from: t('2024-01-01') + 3 * H, to: t('2024-01-01') + 7 * H, missing: 3 },
      { from: t('2024-01-01') + 8 * H, to: t('2024-01-01') + 9.6 * H, missing: 1 },
    ]);
  });

  it('does not count a gap below 1.5 spacings', () => {
    expect(seriesGaps(hourly([0, 1, 2, 3.4, 4.4])).missing).toBe(0);
  });

  it('has no spacing and no gaps with fewer than 3 points', () => {
    expect(seriesGaps(hourly([0, 10]))).toEqual({ spacingMs: null, missing: 0, gaps: [], runs: 0 });
  });

  it(`lists at most ${MAX_LISTED_GAPS} gaps but counts them all`, () => {
    const hours: number[] = [];
    for (let i = 0; i < 30; i++) {
      hours.push(10 * i, 10 * i + 1, 10 * i + 2, 10 * i + 3, 10 * i + 4, 10 * i + 5, 10 * i + 6, 10 * i + 7);
    }
    const g = seriesGaps(hourly(hours)); // 29 gaps of 3 h: 2 missing each
    expect(g.runs).toBe(29);
    expect(g.missing).toBe(58);
    expect(g.gaps).toHaveLength(MAX_LISTED_GAPS);
  });
});

describe('seriesCoverage(series, labels, notes, gapsOf)', () => {
  it('gives each series its first and last time, points and gaps, and a gaps notice when points are missing', () => {
    const series: Series[] = [
      { venue: 'okx', kind: 'funding', intervalHours: 8, points: hourly([0, 8, 16, 40, 48]) },
      { venue: 'bybit', kind: 'spot', quote: 'USD', points: [] },
    ];
    const notes: string[] = [];
    const rows = seriesCoverage(series, ['okx', 'bybit'], notes);
    expect(rows[0]).toMatchObject({
      index: 0,
      label: 'okx',
      first: t('2024-01-01'),
      last: t('2024-01-03'),
      points: 5,
      spacingMs: 8 * H,
      missing: 2,
    });
    expect(rows[1]).toMatchObject({ first: null, last: null, points: 0, spacingMs: null, missing: 0 });
    expect(notes).toEqual([
      'gaps: funding okx misses 2 points against its usual spacing of 8 h, in 1 gap: 2024-01-01 16:00 .. 2024-01-02 16:00 (2)',
    ]);
  });
});
