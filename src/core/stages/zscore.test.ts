/** @jest-environment node */
import { naiveRollingZ, prng } from '../testutil';
import { lookbackNotes, zscores } from './zscore';

const f = (xs: number[]) => Float64Array.from(xs);
const nullable = (a: Float64Array) => Array.from(a, (x) => (Number.isNaN(x) ? null : x));

describe('zscores(premium, oiIndex, fundingLinked, lookback)', () => {
  it('is the rolling z over the last `lookback` valid values of each input (checked against a naive version)', () => {
    const r = prng(3);
    const xs = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? null : r() * 10));
    const col = f(xs.map((x) => x ?? NaN));
    const z = zscores(
      col,
      col.map((x) => x * 2),
      col.map((x) => -x),
      10
    );
    const ref = naiveRollingZ(xs, 10);
    nullable(z.premiumZ).forEach((v, i) =>
      v === null ? expect(ref[i]).toBeNull() : expect(v).toBeCloseTo(ref[i]!, 9)
    );
    nullable(z.oiZ).forEach((v, i) => (v === null ? expect(ref[i]).toBeNull() : expect(v).toBeCloseTo(ref[i]!, 9)));
    nullable(z.fundingZ).forEach((v, i) =>
      v === null ? expect(ref[i]).toBeNull() : expect(v).toBeCloseTo(-ref[i]!, 9)
    );
  });

  it('is unknown for a window of identical values (sd = 0)', () => {
    expect(nullable(zscores(f([1, 1, 1]), f([1, 1, 1]), f([1, 1, 1]), 2).premiumZ)).toEqual([null, null, null]);
  });
});

describe('lookbackNotes(metrics, i0, i1, lookback)', () => {
  it('says which metrics have fewer values than the lookback and so no z-score on any output bar', () => {
    const values = f([1, 2, 3]);
    const noZ = f([NaN, NaN, NaN]);
    expect(
      lookbackNotes(
        [
          ['premium', values, noZ],
          ['OI', f([NaN, NaN, NaN]), noZ],
        ],
        0,
        3,
        5
      )
    ).toEqual([
      'z-scores: the lookback of 5 bars is longer than the data (bars with values up to the last output bar: premium has 3): ' +
        'those z-scores are unknown on every output bar, and the states that need them (bullish, bearish, overLeverage, extremes) cannot occur; use a shorter lookback or more history',
    ]);
  });

  it('says nothing when a z-score exists on an output bar or the metric has enough values', () => {
    expect(lookbackNotes([['premium', f([1, 2, 3]), f([NaN, NaN, 0.5])]], 0, 3, 2)).toEqual([]);
    expect(lookbackNotes([['premium', f([1, 2, 3]), f([NaN, NaN, NaN])]], 0, 3, 3)).toEqual([]);
  });
});
