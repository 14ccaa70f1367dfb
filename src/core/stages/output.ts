/** Stage "output": the empty result, overflow notices and per-venue columns cut to the output range (docs/metrics.md §13 Output). */
import { EngineColumns, SeriesCoverage, Timeframe } from '../types';
import { plural } from './text';

/** The result for a bundle with no spot, perp, OI or funding point: no bars, with a notice. */
export function emptyColumns(tf: Timeframe, series: SeriesCoverage[], notes: string[]): EngineColumns {
  notes.push('no spot, perp, open-interest or funding points in the bundle: no bars');
  const e = new Float64Array(0);
  return {
    timeframe: tf,
    length: 0,
    time: e,
    timeEnd: e,
    spotUsd: e,
    perpUsd: e,
    premiumPct: e,
    premiumZ: e,
    oiUsd: e,
    oiIndexUsd: e,
    oiZ: e,
    fundingRate8h: e,
    fundingAprPct: e,
    fundingZ: e,
    fundingLinked8h: e,
    extremeScore: e,
    states: new Uint8Array(0),
    counts: {
      spot: new Uint16Array(0),
      perp: new Uint16Array(0),
      oi: new Uint16Array(0),
      funding: new Uint16Array(0),
    },
    venues: { spot: {}, perp: {}, oiUsd: {}, funding8h: {} },
    events: [],
    excluded: [],
    coverage: { series, staleExclusions: [], unconvertedQuotes: [], notes },
    notices: notes,
  };
}

/** Output columns that overflowed (±Infinity: a magnitude too large for a double); they are shown as unknown. */
export function overflowNotes(cols: Record<string, Float64Array>, i0: number, i1: number): string[] {
  const notes: string[] = [];
  for (const [name, col] of Object.entries(cols)) {
    let n = 0;
    for (let b = i0; b < i1; b++) {
      const x = col[b];
      if (x === Infinity || x === -Infinity) {
        n++;
      }
    }
    if (n > 0) {
      notes.push(
        `overflow: ${name} is too large for a double on ${n} bar${plural(n)} and is shown as unknown; check the magnitudes of the input (validateBundle rejects them)`
      );
    }
  }
  return notes;
}

/** The columns `ks` of `cols` cut to [i0, i1) (views, no copy), keyed by `labelOf(j)` for the j-th of `ks`. */
export function venueColumns(
  ks: number[],
  cols: Float64Array[],
  labelOf: (j: number) => string,
  i0: number,
  i1: number
): Record<string, Float64Array> {
  const o: Record<string, Float64Array> = {};
  ks.forEach((k, j) => {
    o[labelOf(j)] = cols[k].subarray(i0, i1);
  });
  return o;
}
