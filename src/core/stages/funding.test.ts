/** @jest-environment node */
import { H, t } from '../testutil';
import { Series } from '../types';
import { makeBuckets } from './buckets';
import { aprColumn, fundingComposite, fundingStage } from './funding';

const f = (xs: number[]) => Float64Array.from(xs);

describe('fundingComposite(fund8h, fundOi, byOi, nb)', () => {
  it('weights each venue by its OI in USD at the bar', () => {
    // (0.0001 · 1e9 + 0.0003 · 3e9) / 4e9 = 0.00025
    const c = fundingComposite([f([0.0001]), f([0.0003])], [f([1e9]), f([3e9])], true, 1);
    expect(c.raw[0]).toBeCloseTo(0.00025, 15);
    expect(c.count[0]).toBe(2);
  });

  it('gives a venue without known OI the median of the known OI weights', () => {
    // weights 1, 3 and the median 2: (0.0001 · 1 + 0.0003 · 3 + 0.0006 · 2) / 6
    const c = fundingComposite([f([0.0001]), f([0.0003]), f([0.0006])], [f([1]), f([3]), null], true, 1);
    expect(c.raw[0]).toBeCloseTo((0.0001 + 0.0009 + 0.0012) / 6, 15);
    expect(c.medianFilled).toBe(1);
  });

  it('is the plain mean where no venue has a known OI, or with equal weighting', () => {
    const c = fundingComposite([f([0.0001]), f([0.0003])], [null, f([NaN])], true, 1);
    expect(c.raw[0]).toBeCloseTo(0.0002, 15);
    expect(c.equalFallback).toBe(1);
    expect(fundingComposite([f([0.0001]), f([0.0003])], [f([1]), f([3])], false, 1).raw[0]).toBeCloseTo(0.0002, 15);
  });

  it('chain-links over the venues known at both bars, anchored to the composite on the last bar', () => {
    // bar 0: only A (0.0001); bar 1: A 0.0002 and B 0.0010 joins. Composite jumps to 0.0006, but the linked
    // composite moves only by A's change (+0.0001) and is shifted to equal 0.0006 on bar 1
    const c = fundingComposite([f([0.0001, 0.0002]), f([NaN, 0.001])], [null, null], false, 2);
    expect(c.raw[1]).toBeCloseTo(0.0006, 15);
    expect(c.linked[1]).toBeCloseTo(0.0006, 15);
    expect(c.linked[0]).toBeCloseTo(0.0005, 15);
  });

  it('leaves bars without funding unknown', () => {
    const c = fundingComposite([f([NaN])], [null], true, 1);
    expect(c.raw[0]).toBeNaN();
    expect(c.count[0]).toBe(0);
  });
});

describe('aprColumn(funding)', () => {
  it('is rate8h × 3 × 365 × 100 percent per year', () => {
    expect(aprColumn(f([0.0001, NaN]))[0]).toBeCloseTo(10.95, 12);
    expect(aprColumn(f([NaN]))[0]).toBeNaN();
  });
});

describe('fundingStage(series, fundIdx, oiOfVenue, opts, grid, notes)', () => {
  const t0 = t('2024-01-01');

  it('TWAPs each venue to its 8h equivalent, weights by OI and counts the fallbacks in notices', () => {
    const grid1 = makeBuckets(t0, t0, '1d');
    const series: Series[] = [
      // 8-hourly 0.0001 all day
      {
        venue: 'a',
        kind: 'funding',
        intervalHours: 8,
        points: [8, 16, 24].map((h) => [t0 + h * H, 0.0001] as [number, number]),
      },
      // hourly 0.00005 = 0.0004 per 8 h
      {
        venue: 'b',
        kind: 'funding',
        intervalHours: 1,
        points: Array.from({ length: 24 }, (_, i) => [t0 + (i + 1) * H, 0.00005] as [number, number]),
      },
    ];
    const notes: string[] = [];
    const out = fundingStage(
      series,
      [0, 1],
      new Map([['a', f([3e9])]]),
      { fundingWeighting: 'oi', fundingSmoothing: 1 },
      grid1,
      notes
    );
    expect(out.fund8h.map((c) => c[0])).toEqual([0.0001, 0.0004]);
    // b gets the median of the known weights (a's 3e9): the plain mean
    expect(out.funding[0]).toBeCloseTo(0.00025, 15);
    expect(out.apr[0]).toBeCloseTo(0.00025 * 3 * 365 * 100, 10);
    expect(notes).toEqual([
      'fundingWeighting=oi: on 1 bars a funding venue without known OI got the median OI weight of the others',
    ]);
  });
});
