/** @jest-environment node */
import { emptyColumns, overflowNotes, venueColumns } from './output';

describe('emptyColumns(tf, series, notes)', () => {
  it('has no bars, keeps the series coverage and says why', () => {
    const notes: string[] = [];
    const c = emptyColumns('1w', [], notes);
    expect(c.length).toBe(0);
    expect(c.timeframe).toBe('1w');
    expect(c.time.length + c.premiumZ.length + c.states.length + c.counts.funding.length).toBe(0);
    expect(c.notices).toBe(notes);
    expect(notes).toEqual(['no spot, perp, open-interest or funding points in the bundle: no bars']);
  });
});

describe('overflowNotes(columns, i0, i1)', () => {
  it('counts the ±Infinity values of each column over the output bars, one notice per column', () => {
    const cols = {
      spotUsd: Float64Array.from([Infinity, 1, -Infinity, Infinity]),
      oiUsd: Float64Array.from([1, 2, 3, 4]),
    };
    expect(overflowNotes(cols, 1, 4)).toEqual([
      'overflow: spotUsd is too large for a double on 2 bars and is shown as unknown; check the magnitudes of the input (validateBundle rejects them)',
    ]);
    expect(overflowNotes(cols, 1, 2)).toEqual([]);
  });
});

describe('venueColumns(ks, cols, labelOf, i0, i1)', () => {
  it('keys the chosen columns by label, cut to the output bars without copying', () => {
    const cols = [Float64Array.from([1, 2, 3]), Float64Array.from([4, 5, 6]), Float64Array.from([7, 8, 9])];
    const out = venueColumns([2, 0], cols, (j) => ['c', 'a'][j], 1, 3);
    expect(Object.keys(out)).toEqual(['c', 'a']);
    expect(Array.from(out.c)).toEqual([8, 9]);
    expect(Array.from(out.a)).toEqual([2, 3]);
    expect(out.a.buffer).toBe(cols[0].buffer);
  });
});
