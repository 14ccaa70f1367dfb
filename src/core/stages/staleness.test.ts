/** @jest-environment node */
import { D, H, t } from '../testutil';
import { newGaps } from './gaps';
import { Resampled } from './resample';
import { applyNoStale, staleExclusions, staleGroup } from './staleness';

const t0 = t('2024-01-01');
const res = (time: number[], val: number[], spacing: number): Resampled => ({
  time: Float64Array.from(time),
  val: Float64Array.from(val),
  pts: [],
  vol: null,
  spacing,
  gaps: newGaps(0, NaN),
});

describe('applyNoStale(group, nb, key)', () => {
  it('leaves out a venue whose last point is at least one of its spacings before the latest point of the group', () => {
    // bar 0: a's last point 23:00, b's 00:00, 23 h earlier: stale for b's spacing of 12 h
    // bar 1: both at 23:00
    const a = res([t0 + 23 * H, t0 + D + 23 * H], [100, 101], H);
    const b = res([t0, t0 + D + 23 * H], [200, 201], 12 * H);
    const m = applyNoStale([a, b], 2, 'test:stale');
    expect(m.staleBars).toEqual([0, 1]);
    expect(m.stale[0]).toBeNull();
    expect(Array.from(m.stale[1]!)).toEqual([1, 0]);
    expect(Array.from(b.val)).toEqual([NaN, 201]); // the stale value is now unknown for the later stages
    expect(Array.from(a.val)).toEqual([100, 101]);
  });

  it('keeps a daily point 23 hours before an hourly one: less than its usual spacing of 1 day', () => {
    const hourlyVenue = res([t0 + 23 * H], [1], H);
    const dailyVenue = res([t0], [2], D);
    expect(applyNoStale([hourlyVenue, dailyVenue], 1, 'test:stale2').staleBars).toEqual([0, 0]);
  });

  it('does not count a bar where the venue has no point at all', () => {
    const m = applyNoStale([res([t0], [1], H), res([NaN], [NaN], H)], 1, 'test:stale3');
    expect(m.staleBars).toEqual([0, 0]);
  });
});

describe('staleExclusions(groups, starts, i0, i1, notes)', () => {
  const a = res([t0 + 23 * H, t0 + D + 23 * H, t0 + 2 * D + 23 * H], [1, 1, 1], H);
  const b = res([t0, t0 + D, t0 + 2 * D + 23 * H], [2, 2, 2], 12 * H);
  const m = applyNoStale([a, b], 3, 'test:stale4');
  const starts = Float64Array.from([t0, t0 + D, t0 + 2 * D]);
  const groups = () => [staleGroup('perp', 'perp', [0, 1], m, (k) => ['a', 'b'][k])];

  it('lists each bar with exclusions as prefix:label and sums them per venue with a notice', () => {
    const notes: string[] = [];
    const out = staleExclusions(groups(), starts, 0, 3, notes);
    expect(out.excluded).toEqual([
      { time: t0, excluded: ['perp:b'] },
      { time: t0 + D, excluded: ['perp:b'] },
    ]);
    expect(out.staleExclusions).toEqual([{ label: 'b', kind: 'perp', bars: 2, firstTime: t0, lastTime: t0 + D }]);
    expect(notes).toEqual([
      'no-stale rule: perp b left out of 2 bars (2024-01-01 .. 2024-01-02) where its last point was older than its usual spacing before the latest point of another venue',
    ]);
  });

  it('looks only at the output bars [i0, i1)', () => {
    const notes: string[] = [];
    const out = staleExclusions(groups(), starts, 1, 3, notes);
    expect(out.excluded).toEqual([{ time: t0 + D, excluded: ['perp:b'] }]);
    expect(notes[0]).toContain('left out of 1 bar (2024-01-02) where');
    expect(staleExclusions(groups(), starts, 2, 3, []).staleExclusions).toEqual([]);
  });

  it('staleGroup keeps only the series that have stale bars', () => {
    expect(groups()[0].labels).toEqual(['b']);
  });
});
