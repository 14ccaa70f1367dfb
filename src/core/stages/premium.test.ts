/** @jest-environment node */
import { basket, premiumColumn, premiumPctF64, spotPerpBaskets } from './premium';
import { PriceColumns } from './prices';

const f = (xs: number[]) => Float64Array.from(xs);

describe('basket(values, volumes, useVolume, nb)', () => {
  it('is the mean of the venues present at each bar, with their count', () => {
    const b = basket([f([100, NaN, NaN]), f([102, 104, NaN])], [null, null], false, 3);
    expect(Array.from(b.value)).toEqual([101, 104, NaN]);
    expect(Array.from(b.count)).toEqual([2, 1, 0]);
  });

  it('weights by volume when every present venue has volume, and falls back to the mean otherwise', () => {
    // bar 0: (100·1 + 110·3) / 4 = 107.5; bar 1: the second venue has no volume, so (100 + 110) / 2 = 105
    const b = basket([f([100, 100]), f([110, 110])], [f([1, 1]), f([3, NaN])], true, 2);
    expect(Array.from(b.value)).toEqual([107.5, 105]);
    expect(b.volumeFallbackBars).toBe(1);
  });
});

describe('spotPerpBaskets(prices, opts, nb, notes)', () => {
  const prices = {
    usd: [f([100, 100]), f([99, 99])],
    res: [{ vol: f([1, NaN]) }, { vol: f([1, 1]) }],
    spotK: [0],
    perpK: [1],
  } as unknown as PriceColumns;

  it('makes the spot basket from spot venues and the perp basket from perp venues', () => {
    const { spot, perp } = spotPerpBaskets(prices, { basketWeighting: 'equal' }, 2, []);
    expect(Array.from(spot.value)).toEqual([100, 100]);
    expect(Array.from(perp.value)).toEqual([99, 99]);
  });

  it('counts the volume fallbacks of both baskets in one notice', () => {
    const notes: string[] = [];
    spotPerpBaskets(prices, { basketWeighting: 'volume' }, 2, notes);
    expect(notes).toEqual([
      'basketWeighting=volume: equal weights used on 1 spot and 0 perp basket bars where a venue had no volume',
    ]);
  });
});

describe('premiumPctF64(spot, perp)', () => {
  it('is (S − P) / P × 100, unknown where a basket is unknown or P is not positive', () => {
    expect(Array.from(premiumPctF64(f([101, 99, NaN, 5]), f([100, 100, 100, 0])))).toEqual([
      ((101 - 100) / 100) * 100,
      ((99 - 100) / 100) * 100,
      NaN,
      NaN,
    ]);
  });
});

describe('premiumColumn(spot, perp, opts)', () => {
  it('smooths the premium with an SMA over premiumSmoothing bars', () => {
    const out = premiumColumn(f([101, 103, 102]), f([100, 100, 100]), { premiumSmoothing: 2 });
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeCloseTo((1 + 3) / 2, 12);
    expect(out[2]).toBeCloseTo((3 + 2) / 2, 12);
  });
});
