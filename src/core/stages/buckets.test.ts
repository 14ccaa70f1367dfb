/** @jest-environment node */
import { BtcFlowInputError } from '../errors';
import { D, H, t } from '../testutil';
import { Series } from '../types';
import { checkRange, dataSpan, makeBuckets, MAX_BARS, outputRange } from './buckets';

describe('dataSpan(series)', () => {
  it('spans the first to the last point of spot, perp and OI series and ignores fx', () => {
    const series: Series[] = [
      {
        venue: 'a',
        kind: 'spot',
        quote: 'USD',
        points: [
          [t('2024-01-02'), 1],
          [t('2024-01-05'), 1],
        ],
      },
      { venue: 'b', kind: 'openInterest', unit: 'usd', points: [[t('2024-01-01'), 1]] },
      {
        venue: 'c',
        kind: 'fx',
        pair: 'USDT/USD',
        points: [
          [t('2023-12-01'), 1],
          [t('2024-02-01'), 1],
        ],
      },
    ];
    expect(dataSpan(series)).toEqual({ tMin: t('2024-01-01'), tMax: t('2024-01-05') });
  });

  it('starts funding one interval before its first settlement and ends it just before its last', () => {
    const series: Series[] = [
      {
        venue: 'a',
        kind: 'funding',
        intervalHours: 8,
        points: [
          [t('2024-01-01T08:00'), 1e-4],
          [t('2024-01-02T00:00'), 1e-4],
        ],
      },
    ];
    expect(dataSpan(series)).toEqual({ tMin: t('2024-01-01T00:00') + 1, tMax: t('2024-01-02T00:00') - 1 });
  });

  it('is null when only fx series or empty series are given', () => {
    expect(dataSpan([{ venue: 'c', kind: 'fx', pair: 'USDT/USD', points: [[0, 1]] }])).toBeNull();
    expect(dataSpan([{ venue: 'a', kind: 'spot', quote: 'USD', points: [] }])).toBeNull();
  });
});

describe('makeBuckets(tMin, tMax, tf)', () => {
  it('makes one dense bar per bucket from the bucket of tMin to the bucket of tMax', () => {
    const g = makeBuckets(t('2024-01-01T05:00'), t('2024-01-03T00:00'), '1d');
    expect(Array.from(g.starts)).toEqual([t('2024-01-01'), t('2024-01-02'), t('2024-01-03')]);
    expect(Array.from(g.ends)).toEqual([t('2024-01-02'), t('2024-01-03'), t('2024-01-04')]);
    expect(g.nb).toBe(3);
  });

  it('makes calendar months for 1M, each ending at the next month start', () => {
    const g = makeBuckets(t('2024-01-15'), t('2024-03-02'), '1M');
    expect(Array.from(g.starts)).toEqual([t('2024-01-01'), t('2024-02-01'), t('2024-03-01')]);
    expect(Array.from(g.ends)).toEqual([t('2024-02-01'), t('2024-03-01'), t('2024-04-01')]);
  });

  it('refuses more than MAX_BARS bars with an error on the timeframe', () => {
    const tooLong = () => makeBuckets(0, MAX_BARS * H, '1h');
    expect(tooLong).toThrow(BtcFlowInputError);
    expect(tooLong).toThrow(/timeframe 1h: the bundle spans 2000001 bars \(max 2000000\)/);
  });
});

describe('outputRange(grid, from, to)', () => {
  const grid = makeBuckets(t('2024-01-01'), t('2024-01-05'), '1d'); // 5 bars, Jan 1 .. Jan 5

  it('keeps every bar without a range', () => {
    expect(outputRange(grid, undefined, undefined)).toEqual([0, 5]);
  });

  it('keeps the bar holding `from` and the bars starting at or before `to`', () => {
    expect(outputRange(grid, t('2024-01-02T13:00'), t('2024-01-04'))).toEqual([1, 4]);
    expect(outputRange(grid, undefined, t('2024-01-03T23:59'))).toEqual([0, 3]);
  });

  it('is empty when the range lies outside the bars', () => {
    expect(outputRange(grid, t('2024-02-01'), undefined)).toEqual([5, 5]);
    const [i0, i1] = outputRange(grid, undefined, t('2023-12-31'));
    expect(i1 - i0).toBe(0);
  });
});

describe('checkRange(from, to)', () => {
  it('accepts finite times with from ≤ to, or none', () => {
    expect(() => checkRange(undefined, undefined)).not.toThrow();
    expect(() => checkRange(D, D)).not.toThrow();
  });

  it('names the field of a non-finite time and says when from is after to', () => {
    expect(() => checkRange(NaN, undefined)).toThrow('from: must be a time in UTC epoch ms, got null');
    expect(() => checkRange(undefined, Infinity)).toThrow('to: must be a time in UTC epoch ms');
    expect(() => checkRange(2 * D, D)).toThrow(
      'from (1970-01-03T00:00:00.000Z) is after to (1970-01-02T00:00:00.000Z)'
    );
  });
});
