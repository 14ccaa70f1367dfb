/**
 * Unit tests of the regime rules in signals.ts (bullish / bearish / over-leverage): the EMA premium, the multi-bar
 * slope, the deadbands, the exit hysteresis and the minimum duration, on short hand-computed series.
 * Engine-level tests of the same rules on bundles are in engine.test.ts.
 */
import { ema, emaF64 } from './numeric';
import { DEFAULT_OPTIONS, EngineOptions } from './options';
import { MetricArrays, buildEventsFromColumns, computeStates, regimeStep, statesOfMask } from './signals';
import { StateKind } from './types';

/** Metric columns from a premium series; OI z, funding z and APR default to cool values (0, 0, 10 %/yr). */
function metricsOf(premium: number[], oiZ?: number[], fundingZ?: number[], apr?: number[]): MetricArrays {
  const n = premium.length;
  const col = (xs: number[] | undefined, d: number) => Float64Array.from({ length: n }, (_, i) => xs?.[i] ?? d);
  return {
    premium: Float64Array.from(premium),
    premiumZ: new Float64Array(n), // 0: no extreme
    oiUsd: new Float64Array(n).fill(1e9),
    oiZ: col(oiZ, 0),
    funding: col(apr, 10).map((a) => a / 1095 / 100),
    fundingApr: col(apr, 10),
    fundingZ: col(fundingZ, 0),
  };
}

/** One state kind per bar, as booleans. */
function run(kind: StateKind, m: MetricArrays, o: Partial<EngineOptions>): boolean[] {
  const { mask } = computeStates(m, m.premium.length, { ...DEFAULT_OPTIONS, ...o });
  return Array.from(mask, (x) => statesOfMask(x).includes(kind));
}

/** Raw premium, one-bar slope, no deadbands, no hysteresis margin beyond the sign, no minimum duration. */
const PLAIN: Partial<EngineOptions> = {
  premiumEmaBars: 1,
  premiumSlopeBars: 1,
  premiumDeadbandPct: 0,
  premiumSlopeDeadbandPct: 0,
  premiumExitMarginPct: 0,
  stateMinBars: 1,
};

describe('emaF64(values, n)', () => {
  it('starts at the first valid value and then adds α (x − e) with α = 2 / (n + 1)', () => {
    // n = 3: α = 0.5. e = 1; 1 + 0.5 (3 − 1) = 2; 2 + 0.5 (7 − 2) = 4.5
    expect(Array.from(emaF64(Float64Array.from([1, 3, 7]), 3))).toEqual([1, 2, 4.5]);
    // n = 7: α = 0.25. e = 4; 4 + 0.25 (0 − 4) = 3
    expect(Array.from(emaF64(Float64Array.from([4, 0]), 7))).toEqual([4, 3]);
  });
  it('skips missing values: NaN there, and the next value continues from the last valid EMA', () => {
    const out = Array.from(emaF64(Float64Array.from([NaN, 2, NaN, 6]), 3));
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(2);
    expect(out[2]).toBeNaN();
    expect(out[3]).toBe(4); // 2 + 0.5 (6 − 2)
  });
  it('is the identity for n = 1, and ema() is its nullable form', () => {
    const x = Float64Array.from([1, -2, 3]);
    expect(emaF64(x, 1)).toBe(x);
    expect(ema([null, 1, 3], 3)).toEqual([null, 1, 2]);
  });
});

describe('regimeStep(age, known, enter, keep, minBars)', () => {
  it('starts only on the entry test and then counts the bars', () => {
    expect(regimeStep(0, true, false, true, 1)).toBe(0); // the exit test alone does not start a state
    expect(regimeStep(0, true, true, true, 1)).toBe(1);
    expect(regimeStep(1, true, false, true, 1)).toBe(2);
  });
  it('ends when the exit test fails after the minimum duration, and restarts on a new entry', () => {
    expect(regimeStep(2, true, false, false, 1)).toBe(0);
    expect(regimeStep(2, true, false, false, 3)).toBe(3); // 2 bars so far < 3: held
    expect(regimeStep(3, true, false, false, 3)).toBe(0);
    expect(regimeStep(3, true, true, false, 3)).toBe(1); // ends and starts again on the same bar
  });
  it('does not hold over an unknown input, even within the minimum duration', () => {
    expect(regimeStep(1, false, false, true, 5)).toBe(0);
  });
});

describe('bullish and bearish read the EMA premium (premiumEmaBars)', () => {
  it('a one-bar spike that the raw premium would flag stays below the deadband after the EMA', () => {
    // EMA 3 (α 0.5) of [0, 0, 0.03, 0, 0] = [0, 0, 0.015, 0.0075, 0.00375]: never above 0.02
    const m = metricsOf([0, 0, 0.03, 0, 0]);
    const o = { ...PLAIN, premiumDeadbandPct: 0.02 };
    expect(run('bullish', m, o)).toEqual([false, false, true, false, false]);
    expect(run('bullish', m, { ...o, premiumEmaBars: 3 })).toEqual([false, false, false, false, false]);
  });
  it('a lasting move passes through the EMA: bullish from the bar where the EMA crosses the deadband', () => {
    // EMA 3 of [0, 0, 0.06, 0.06, 0.06] = [0, 0, 0.03, 0.045, 0.0525], one-bar rises 0.03, 0.015, 0.0075
    const m = metricsOf([0, 0, 0.06, 0.06, 0.06]);
    expect(run('bullish', m, { ...PLAIN, premiumEmaBars: 3, premiumDeadbandPct: 0.02 })).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
  });
});

describe('rising and falling are measured over premiumSlopeBars with a deadband (premiumSlopeDeadbandPct)', () => {
  // premium above the 0.02 level deadband throughout; it creeps up by 0.004 a bar from bar 2
  const premium = [0.03, 0.03, 0.03, 0.034, 0.038, 0.042];
  const m = metricsOf(premium);
  it('with a one-bar slope, 0.004 a bar is not a rise beyond 0.01', () => {
    expect(run('bullish', m, { ...PLAIN, premiumDeadbandPct: 0.02, premiumSlopeDeadbandPct: 0.01 })).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
  it('over 3 bars the same creep adds up: bar 5 rose 0.012 since bar 2 (bar 4: 0.008, not more than 0.01)', () => {
    const o = { ...PLAIN, premiumSlopeBars: 3, premiumDeadbandPct: 0.02, premiumSlopeDeadbandPct: 0.01 };
    expect(run('bullish', m, o)).toEqual([false, false, false, false, false, true]);
  });
  it('no slope (so no entry) until premiumSlopeBars bars of history exist', () => {
    const rising = metricsOf([0.1, 0.2, 0.3, 0.4]);
    expect(run('bullish', rising, { ...PLAIN, premiumSlopeBars: 3 })).toEqual([false, false, false, true]);
  });
  it('bearish is the mirror image: below −deadband and fallen by more than the slope deadband', () => {
    const neg = metricsOf(
      premium.map((x) => -x),
      premium.map(() => 1.5) // leverage building: OI z ≥ bearishMinOiZ (1)
    );
    const o = { ...PLAIN, premiumSlopeBars: 3, premiumDeadbandPct: 0.02, premiumSlopeDeadbandPct: 0.01 };
    expect(run('bearish', neg, o)).toEqual([false, false, false, false, false, true]);
  });
});

describe('exit hysteresis (premiumExitMarginPct): a regime holds until the premium crosses to the other side by the margin', () => {
  const o = { ...PLAIN, premiumDeadbandPct: 0.02, premiumExitMarginPct: 0.05 };
  it('bullish starts above +0.02 and holds while the premium stays above −0.05, falling or not', () => {
    // bar 1 enters (0.03 > 0.02, rising); 0.01 and −0.04 hold (> −0.05); −0.06 ends; bar 5 re-enters
    const m = metricsOf([0, 0.03, 0.01, -0.04, -0.06, 0.03]);
    expect(run('bullish', m, o)).toEqual([false, true, true, true, false, true]);
    // with the exit at the entry level (margin −0.02: hold while > 0.02) the same series gives two 1-bar events
    expect(run('bullish', m, { ...o, premiumExitMarginPct: -0.02 })).toEqual([false, true, false, false, false, true]);
  });
  it('the leverage filters still apply while a bullish regime holds', () => {
    const m = metricsOf([0, 0.03, 0.03, 0.03], [0, 0, 1.2, 0]); // OI z 1.2 ≥ bullishMaxOiZ on bar 2
    expect(run('bullish', m, o)).toEqual([false, true, false, false]); // bar 3 does not re-enter: no rise
  });
  it('bearish starts below −0.02 with leverage building and holds while the premium stays below +0.05', () => {
    const m = metricsOf([0, -0.03, -0.01, 0.04, 0.06], [1.5, 1.5, 1.5, 1.5, 1.5]);
    expect(run('bearish', m, o)).toEqual([false, true, true, true, false]);
    const fading = metricsOf([0, -0.03, -0.01, 0.04, 0.06], [1.5, 1.5, 0.5, 1.5, 1.5]); // leverage gone on bar 2
    expect(run('bearish', fading, o)).toEqual([false, true, false, false, false]);
  });
});

describe('minimum duration (stateMinBars): a state that starts lasts at least that many bars', () => {
  it('bullish entered on bar 1 is held on bars 2 and 3 whatever the exit test says, then ends', () => {
    const m = metricsOf([0, 0.03, -0.1, -0.1, -0.1]);
    expect(run('bullish', m, { ...PLAIN, stateMinBars: 1 })).toEqual([false, true, false, false, false]);
    expect(run('bullish', m, { ...PLAIN, stateMinBars: 3 })).toEqual([false, true, true, true, false]);
  });
  it('an unknown premium ends it early: a state is never held over missing data', () => {
    const m = metricsOf([0, 0.03, NaN, -0.1]);
    expect(run('bullish', m, { ...PLAIN, stateMinBars: 3 })).toEqual([false, true, false, false]);
  });
});

describe('over-leverage keeps its entry rule and exits on overLeverageExitOiZ', () => {
  // entry: OI z ≥ 2 and (funding z ≥ 2 or APR ≥ 30)
  const oiZ = [2.5, 1.5, 1.0, 0.99, 2.5, 2.5];
  const fz = [2.5, 0, 0, 0, 0, 2.0];
  const m = metricsOf([0, 0, 0, 0, 0, 0], oiZ, fz);
  it('one build-up is one event: held while OI z ≥ 1, ended below it, restarted only by the full entry rule', () => {
    // bar 4: OI z 2.5 but funding cool → no new start; bar 5: funding z 2 → starts
    expect(run('overLeverage', m, { ...PLAIN })).toEqual([true, true, true, false, false, true]);
  });
  it('with the exit at the entry level the build-up is a single bar', () => {
    expect(run('overLeverage', m, { ...PLAIN, overLeverageExitOiZ: 2 })).toEqual([
      true,
      false,
      false,
      false,
      false,
      true,
    ]);
  });
  it('an unknown OI z ends it', () => {
    const gap = metricsOf([0, 0, 0], [2.5, NaN, 1.5], [2.5, 0, 0]);
    expect(run('overLeverage', gap, { ...PLAIN, stateMinBars: 3 })).toEqual([true, false, false]);
  });
});

describe('the defaults', () => {
  it('premiumEmaBars 7, premiumSlopeBars 5, deadbands 0.02 % and 0.01 pt, exit margin 0.05 %, OI exit z 1, 2 bars minimum', () => {
    expect(DEFAULT_OPTIONS).toMatchObject({
      premiumEmaBars: 7,
      premiumSlopeBars: 5,
      premiumDeadbandPct: 0.02,
      premiumSlopeDeadbandPct: 0.01,
      premiumExitMarginPct: 0.05,
      overLeverageExitOiZ: 1,
      stateMinBars: 2,
    });
  });
  it('at the defaults a steady rise of the premium is flagged once the EMA has risen 0.01 over 5 bars and passed 0.02', () => {
    // premium steps from 0 to 0.1 at bar 1 and stays: EMA 7 (α 0.25): e_t = 0.1 (1 − 0.75^t) for t ≥ 1
    // e_5 = 0.1 (1 − 0.2373) = 0.0763; slope at bar 5 = e_5 − e_0 = 0.0763 > 0.01 → the first bar with a 5-bar slope
    const m = metricsOf([0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    const expected = [false, false, false, false, false, true, true];
    expect(run('bullish', m, {})).toEqual(expected);
    // e_6 − e_1 = 0.1 (0.75 − 0.75^6) = 0.0572 > 0.01: still rising at bar 6 (held anyway by hysteresis)
  });
});

describe('state masks and events', () => {
  it('statesOfMask(mask) lists the states of its bits in STATE_KINDS order (bit i = STATE_KINDS[i])', () => {
    expect(statesOfMask(0)).toEqual([]);
    expect(statesOfMask(1 | 4)).toEqual(['bullish', 'overLeverage']);
    expect(statesOfMask(2 | 16)).toEqual(['bearish', 'extremeBottom']);
    expect(statesOfMask(32 | 8)).toEqual(['extremeTop']); // bits beyond the five states are ignored
  });

  it('buildEventsFromColumns merges each run of bars in one state into one event from its first bar to the end of its last', () => {
    const D = 86_400_000;
    const n = 6;
    const f = (v: number) => new Float64Array(n).fill(v);
    // bullish on bars 0-1 and 4; overLeverage on bars 1-3
    const states = Uint8Array.from([1, 1 | 4, 4, 4, 1, 0]);
    const cols = {
      length: n,
      time: Float64Array.from({ length: n }, (_, i) => i * D),
      timeEnd: Float64Array.from({ length: n }, (_, i) => (i + 1) * D),
      premiumPct: f(0.1),
      premiumZ: f(1),
      oiUsd: f(1e9),
      oiZ: f(2),
      fundingRate8h: f(0.0001),
      fundingAprPct: f(10.95),
      fundingZ: f(2),
      extremeScore: f(NaN),
      states,
    };
    const events = buildEventsFromColumns(cols, DEFAULT_OPTIONS).map((e) => [e.kind, e.time / D, e.timeEnd / D]);
    expect(events).toEqual([
      ['bullish', 0, 2],
      ['overLeverage', 1, 4],
      ['bullish', 4, 5],
    ]);
  });
});
