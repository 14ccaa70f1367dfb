/** @jest-environment node */
import { H, t } from '../testutil';
import { Series } from '../types';
import { makeBuckets } from './buckets';
import { fxCarry, fxRates } from './fx';
import { newGaps } from './gaps';
import { Resampled, resampleSeries } from './resample';

const t0 = t('2024-01-01');

describe('fxCarry(resampled, inverse, nb)', () => {
  const r: Resampled = {
    val: Float64Array.from([NaN, 1.01, NaN, 0.99]),
    time: Float64Array.from([NaN, t0 + H, NaN, t0 + 3 * H]),
    pts: [],
    vol: null,
    spacing: H,
    gaps: newGaps(0, NaN),
  };

  it('carries the last rate and its time forward over bars without a point, unknown before the first', () => {
    const { rate, time } = fxCarry(r, false, 4);
    expect(Array.from(rate)).toEqual([NaN, 1.01, 1.01, 0.99]);
    expect(Array.from(time)).toEqual([NaN, t0 + H, t0 + H, t0 + 3 * H]);
  });

  it('inverts a USD/X rate into USD per X', () => {
    expect(Array.from(fxCarry(r, true, 4).rate)).toEqual([NaN, 1 / 1.01, 1 / 1.01, 1 / 0.99]);
  });
});

describe('fxRates(series, fxIdx, labels, grid, resampled, notes)', () => {
  const grid = makeBuckets(t0, t0 + 2 * H, '1h');
  const fx = (venue: string, pair: string, v: number): Series => ({
    venue,
    kind: 'fx',
    pair,
    points: [[t0, v]],
  });

  it('keys X/USD and USD/X series by X, the first series of each currency winning', () => {
    const series = [fx('a', 'USDT/USD', 1.002), fx('b', 'usd/usdc', 1.25), fx('c', 'USDT/USD', 2)];
    const notes: string[] = [];
    const m = fxRates(series, [0, 1, 2], ['a', 'b', 'c'], grid, resampleSeries(series, grid), notes);
    expect([...m.keys()]).toEqual(['USDT', 'USDC']);
    expect(Array.from(m.get('USDT')!.rate)).toEqual([1.002, 1.002, 1.002]);
    expect(m.get('USDC')!.rate[2]).toBe(0.8);
    expect(notes).toEqual(['fx series c USDT/USD ignored: an earlier USDT/USD series is used']);
  });

  it('ignores a pair without USD, and USD/USD, with a notice', () => {
    const notes: string[] = [];
    const series = [fx('a', 'EUR/USDT', 1.1), fx('b', 'USD/USD', 1)];
    const m = fxRates(series, [0, 1], ['a', 'b'], grid, resampleSeries(series, grid), notes);
    expect(m.size).toBe(0);
    expect(notes).toEqual([
      'fx series a EUR/USDT ignored: only X/USD or USD/X pairs convert prices',
      'fx series b USD/USD ignored: only X/USD or USD/X pairs convert prices',
    ]);
  });
});
