/** @jest-environment node */
import {
  chainLinkedIndex,
  fundingAprPct,
  fundingRate8h,
  premiumPct,
  rollingZ,
  sma,
  twapFunding8h,
  usualSpacingMs,
  weightedMean,
} from './index';
import { H, naiveRollingZ, naiveSma, prng } from './testutil';

function expectClose(a: Array<number | null>, b: Array<number | null>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (b[i] === null) {
      expect([i, a[i]]).toEqual([i, null]);
    } else {
      expect(a[i]).not.toBeNull();
      expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(tol);
    }
  }
}

describe('premiumPct / funding conversions', () => {
  it('computes (S − P) / P × 100 by hand', () => {
    expect(premiumPct(101, 100)).toBeCloseTo(1, 12);
    expect(premiumPct(99.5, 100)).toBeCloseTo(-0.5, 12);
    expect(premiumPct(null, 100)).toBeNull();
    expect(premiumPct(100, 0)).toBeNull();
  });
  it('normalises 1h / 4h / 8h intervals to an 8h equivalent', () => {
    expect(fundingRate8h(0.0001, 8)).toBeCloseTo(0.0001, 15);
    expect(fundingRate8h(0.0001, 4)).toBeCloseTo(0.0002, 15);
    expect(fundingRate8h(0.0000125, 1)).toBeCloseTo(0.0001, 15);
  });
  it('annualises 0.01%/8h to 10.95% APR', () => {
    expect(fundingAprPct(0.0001)).toBeCloseTo(10.95, 10);
  });
  it('weightedMean skips missing values and non-positive weights', () => {
    expect(weightedMean([1, NaN, 3], [1, 5, 3])).toBeCloseTo((1 + 9) / 4, 12);
    expect(weightedMean([2, 4])).toBe(3);
    expect(weightedMean([NaN])).toBeNaN();
  });
  it('usualSpacingMs is the median gap', () => {
    expect(
      usualSpacingMs([
        [0, 1],
        [10, 1],
        [20, 1],
        [100, 1],
        [110, 1],
      ])
    ).toBe(10);
  });
});

describe('rollingZ', () => {
  it('matches a naive O(n·k) implementation on random data with gaps', () => {
    const r = prng(42);
    const xs: Array<number | null> = Array.from({ length: 3000 }, (_, i) =>
      r() < 0.05 ? null : 50_000 + 1000 * Math.sin(i / 40) + r() * 300
    );
    for (const n of [2, 5, 30, 365]) {
      expectClose(rollingZ(xs, n), naiveRollingZ(xs, n), 1e-7);
    }
  });
  it('stays accurate on a long series with a large offset (drift check)', () => {
    const r = prng(7);
    const xs = Array.from({ length: 20000 }, () => 1e9 + r());
    expectClose(rollingZ(xs, 50), naiveRollingZ(xs, 50), 1e-5);
  });
  it('is null until n valid values and when sd = 0, hand-checked', () => {
    // window [1,2,3]: mean 2, population sd sqrt(2/3); z(3) = 1/sqrt(2/3)
    const z = rollingZ([1, 2, 3, 3, 3, 3, 5], 3);
    expect(z[0]).toBeNull();
    expect(z[1]).toBeNull();
    expect(z[2]).toBeCloseTo(1 / Math.sqrt(2 / 3), 12);
    expect(z[5]).toBeNull(); // [3,3,3]: sd = 0
    // [3,3,5]: mean 11/3, sd sqrt(((2/3)^2*2 + (4/3)^2)/3)
    const sd = Math.sqrt(((4 / 9) * 2 + 16 / 9) / 3);
    expect(z[6]).toBeCloseTo((5 - 11 / 3) / sd, 12);
  });
  it('property: invariant under x → a·x + b with a > 0', () => {
    const r = prng(123);
    for (let trial = 0; trial < 20; trial++) {
      const n = 2 + Math.floor(r() * 50);
      const xs = Array.from({ length: 400 }, () => (r() < 0.1 ? null : r() * 10 - 5));
      const a = 0.01 + r() * 100;
      const b = r() * 2000 - 1000;
      const ys = xs.map((x) => (x === null ? null : a * x + b));
      expectClose(rollingZ(ys, n), rollingZ(xs, n), 1e-6);
    }
  });
});

describe('sma', () => {
  it('matches a naive implementation; k = 1 is the identity', () => {
    const r = prng(9);
    const xs = Array.from({ length: 1000 }, () => (r() < 0.1 ? null : r() * 100));
    expectClose(sma(xs, 7), naiveSma(xs, 7), 1e-9);
    expect(sma(xs, 1)).toEqual(xs);
  });
});

describe('twapFunding8h', () => {
  it('weights the rate in force across bucket edges, hand-computed', () => {
    // 8h funding settled at 08:00 (rate a, in force 00:00–08:00) and 16:00 (rate b, 08:00–16:00).
    // 6h buckets: [00,06) → a; [06,12) → (2a + 4b)/6; [12,18) → b over 4h covered (16–18 uncovered).
    const a = 0.0003;
    const b = -0.0001;
    const pts: Array<[number, number]> = [
      [8 * H, a],
      [16 * H, b],
    ];
    const starts = [0, 6 * H, 12 * H, 18 * H];
    const ends = [6 * H, 12 * H, 18 * H, 24 * H];
    const r = twapFunding8h(pts, 8, starts, ends);
    expect(r[0]).toBeCloseTo(a, 15);
    expect(r[1]).toBeCloseTo((2 * a + 4 * b) / 6, 15);
    expect(r[2]).toBeCloseTo(b, 15);
    expect(r[3]).toBeNull();
  });
  it('normalises an hourly series: 1h rates r over a day give TWAP 8·mean(r)', () => {
    const rates = Array.from({ length: 24 }, (_, i) => 0.00001 * (i % 5));
    const pts = rates.map((x, i) => [(i + 1) * H, x] as [number, number]);
    const r = twapFunding8h(pts, 1, [0], [24 * H]);
    const mean = rates.reduce((s, x) => s + x, 0) / 24;
    expect(r[0]).toBeCloseTo(8 * mean, 15);
  });
  it('normalises a 4h series into 8h-equivalent, split over 2h buckets', () => {
    // 4h funding settled 04:00 rate c applies (00,04]: buckets [0,2) and [2,4) both get 2c.
    const r = twapFunding8h([[4 * H, 0.0002]], 4, [0, 2 * H, 4 * H], [2 * H, 4 * H, 6 * H]);
    expect(r[0]).toBeCloseTo(0.0004, 15);
    expect(r[1]).toBeCloseTo(0.0004, 15);
    expect(r[2]).toBeNull();
  });
  it('property: TWAP of a constant rate is that rate (8h-equivalent) for any bucketing', () => {
    const rnd = prng(5);
    for (const h of [1, 4, 8]) {
      const c = 0.0001 * (rnd() * 4 - 2);
      const pts = Array.from({ length: 200 }, (_, i) => [(i + 1) * h * H, c] as [number, number]);
      const starts: number[] = [];
      const ends: number[] = [];
      let s = 0;
      while (s < 200 * h * H) {
        const len = Math.floor(1 + rnd() * 30) * 0.5 * H;
        starts.push(s);
        ends.push(s + len);
        s += len;
      }
      const r = twapFunding8h(pts, h, starts, ends);
      for (let i = 0; i < r.length; i++) {
        if (ends[i] <= 200 * h * H) {
          expect(r[i]).toBeCloseTo((c * 8) / h, 14);
        }
      }
    }
  });
});

describe('chainLinkedIndex', () => {
  it('links through a venue joining and leaving, hand-computed', () => {
    // A: 100, 110, 121, 121(gone at t3? no: present), B joins at t1 with 50, leaves after t2.
    const A = [100, 110, 121, 133.1];
    const B = [null, 50, 60, null];
    const { index, sum } = chainLinkedIndex([A, B]);
    expect(sum).toEqual([100, 160, 181, 133.1]);
    // raw levels: I0 = 1; I1 = 1 × 110/100 (only A in both) = 1.1; I2 = 1.1 × (121+60)/(110+50) = 1.244375;
    // I3 = 1.244375 × 133.1/121 = 1.3688125. Scaled so I3 = 133.1.
    const raw = [1, 1.1, 1.1 * (181 / 160), 1.1 * (181 / 160) * 1.1];
    const scale = 133.1 / raw[3];
    raw.forEach((x, i) => expect(index[i]).toBeCloseTo(x * scale, 9));
    // no jump when B joins: index growth t0→t1 is A's 10%, not the raw sum's 60%
    expect((index[1] as number) / (index[0] as number)).toBeCloseTo(1.1, 12);
  });
  it('equals the raw sum when the venue set never changes', () => {
    const { index, sum } = chainLinkedIndex([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    index.forEach((x, i) => expect(x).toBeCloseTo(sum[i] as number, 12));
  });
  it('skips bars with no value and links to the previous bar that had one', () => {
    const { index } = chainLinkedIndex([[10, null, 20]]);
    expect(index[1]).toBeNull();
    expect(index[0]).toBeCloseTo(10, 12);
    expect(index[2]).toBeCloseTo(20, 12);
  });
});
