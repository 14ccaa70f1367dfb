/** @jest-environment node */
import { emptyColumns } from './stages/output';
import { EngineColumns } from './types';
import { materialise } from './views';

function columns(): EngineColumns {
  const c = emptyColumns('1d', [], []);
  const f = (xs: number[]) => Float64Array.from(xs);
  return {
    ...c,
    length: 2,
    time: f([0, 86_400_000]),
    timeEnd: f([86_400_000, 172_800_000]),
    spotUsd: f([101, NaN]),
    perpUsd: f([100, 100]),
    premiumPct: f([1, Infinity]),
    premiumZ: f([NaN, 2]),
    oiUsd: f([5, 6]),
    oiIndexUsd: f([5, 6]),
    oiZ: f([NaN, NaN]),
    fundingRate8h: f([0.0001, 0.0002]),
    fundingAprPct: f([10.95, 21.9]),
    fundingZ: f([NaN, 1]),
    fundingLinked8h: f([0.0001, 0.0002]),
    extremeScore: f([NaN, NaN]),
    states: Uint8Array.from([1 | 4, 0]),
    counts: {
      spot: Uint16Array.from([1, 0]),
      perp: Uint16Array.from([1, 1]),
      oi: Uint16Array.from([1, 1]),
      funding: Uint16Array.from([2, 2]),
    },
    venues: { spot: { a: f([101, NaN]) }, perp: { b: f([100, 100]) }, oiUsd: {}, funding8h: {} },
    excluded: [{ time: 86_400_000, excluded: ['spot:a'] }],
  };
}

describe('materialise(columns)', () => {
  it('makes one bar per row whose fields read the columns, unknown and infinite values as null', () => {
    const r = materialise(columns());
    expect(r.bars).toHaveLength(2);
    expect(r.bars[0].spotUsd).toBe(101);
    expect(r.bars[1].spotUsd).toBeNull();
    expect(r.bars[1].premiumPct).toBeNull(); // Infinity: shown as unknown
    expect(r.bars[1].premiumZ).toBe(2);
  });

  it('gives each bar its states from the bit mask, its counts and its per-venue values', () => {
    const [b0, b1] = materialise(columns()).bars;
    expect(b0.states).toEqual(['bullish', 'overLeverage']);
    expect(b1.states).toEqual([]);
    expect(b0.counts).toEqual({ spot: 1, perp: 1, oi: 1, funding: 2 });
    expect(b1.venues).toEqual({ spot: { a: null }, perp: { b: 100 }, oiUsd: {}, funding8h: {} });
    expect(b1.venues).toBe(b1.venues); // built once, then kept
  });

  it('serialises a bar to a plain object with every field', () => {
    const json = JSON.parse(JSON.stringify(materialise(columns()).bars[0]));
    expect(Object.keys(json)).toEqual([
      'time',
      'timeEnd',
      'spotUsd',
      'perpUsd',
      'premiumPct',
      'premiumZ',
      'oiUsd',
      'oiIndexUsd',
      'oiZ',
      'fundingRate8h',
      'fundingAprPct',
      'fundingZ',
      'extremeScore',
      'states',
      'counts',
      'venues',
    ]);
    expect(json.premiumZ).toBeNull();
  });

  it('lists the no-stale exclusions of each bar in coverage.bars, built on first read', () => {
    const r = materialise(columns());
    const rows = r.coverage.bars;
    expect(JSON.parse(JSON.stringify(rows))).toEqual([
      { time: 0, spot: 1, perp: 1, oi: 1, funding: 2, excluded: [] },
      { time: 86_400_000, spot: 0, perp: 1, oi: 1, funding: 2, excluded: ['spot:a'] },
    ]);
    expect(r.coverage.bars).toBe(rows);
  });
});
