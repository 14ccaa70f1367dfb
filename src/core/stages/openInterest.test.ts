/** @jest-environment node */
import { H, t } from '../testutil';
import { Series } from '../types';
import { makeBuckets } from './buckets';
import { addKnown, countKnown, oiOfVenues, oiUsdColumn, openInterest } from './openInterest';
import { PriceColumns } from './prices';
import { resampleSeries } from './resample';

const f = (xs: number[]) => Float64Array.from(xs);
const t0 = t('2024-01-01');

describe('oiUsdColumn(values, isUsd, ownPerps, perpBasket, nb)', () => {
  it('takes USD open interest as is', () => {
    expect(Array.from(oiUsdColumn(f([5, NaN]), true, [], f([1, 1]), 2))).toEqual([5, NaN]);
  });

  it("multiplies base units by the venue's first known perp close, else by the perp basket", () => {
    // bar 0: own perps NaN and 101 → 101; bar 1: no own close → basket 90
    const out = oiUsdColumn(f([2, 3]), false, [f([NaN, NaN]), f([101, NaN])], f([100, 90]), 2);
    expect(Array.from(out)).toEqual([202, 270]);
  });
});

describe('countKnown and addKnown', () => {
  it('countKnown counts the known values of each bar across columns', () => {
    expect(Array.from(countKnown([f([1, NaN, 3]), f([NaN, NaN, 4])], 3))).toEqual([1, 0, 2]);
  });

  it('addKnown adds where both are known, keeps the known one, and is unknown only where both are', () => {
    expect(Array.from(addKnown(f([1, NaN, 3, NaN]), f([10, 20, NaN, NaN])))).toEqual([11, 20, 3, NaN]);
  });
});

describe('openInterest(series, oiIdx, priceIdx, prices, perpBasket, grid, resampled)', () => {
  const grid = makeBuckets(t0, t0 + H, '1h');
  const series: Series[] = [
    { venue: 'binanceusdm', kind: 'perp', quote: 'USD', points: [] },
    {
      venue: 'binanceusdm',
      kind: 'openInterest',
      unit: 'base',
      points: [
        [t0, 10],
        [t0 + H, 20],
      ],
    },
    { venue: 'bybit', kind: 'openInterest', unit: 'usd', points: [[t0, 500]] },
  ];
  const prices = { usd: [f([100, 100])], spotK: [], perpK: [0] } as unknown as PriceColumns;

  it('sums the venues in USD and chain-links the index over the venues known at both bars', () => {
    const oi = openInterest(series, [1, 2], [0], prices, f([100, 100]), grid, resampleSeries(series, grid));
    expect(oi.usdByVenue.map((c) => Array.from(c))).toEqual([
      [1000, 2000],
      [500, NaN],
    ]);
    expect(Array.from(oi.sum)).toEqual([1500, 2000]);
    // only binanceusdm is known at both bars: the index doubles, and equals the sum on the last bar
    expect(Array.from(oi.index)).toEqual([1000, 2000]);
    expect(Array.from(oi.count)).toEqual([2, 1]);
  });

  it('oiOfVenues adds the OI series of one venue for the funding weights', () => {
    const m = oiOfVenues([series[1], series[1], series[2]], [0, 1, 2], [f([1, NaN]), f([2, 3]), f([7, 7])]);
    expect(Array.from(m.get('binanceusdm')!)).toEqual([3, 3]);
    expect(Array.from(m.get('bybit')!)).toEqual([7, 7]);
  });
});
