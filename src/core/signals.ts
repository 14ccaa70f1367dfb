import { EngineOptions } from './options';
import { Bar, EventKind, FlowEvent, STATE_KINDS, StateKind } from './types';

/** Per-bar metric columns (NaN = unknown) the rules read. */
export interface MetricArrays {
  /** premiumPct after smoothing, percent. */
  premium: Float64Array;
  premiumZ: Float64Array;
  oiUsd: Float64Array;
  oiZ: Float64Array;
  /** Composite funding, 8h-equivalent decimal, after smoothing. */
  funding: Float64Array;
  fundingApr: Float64Array;
  fundingZ: Float64Array;
}

const METRIC_NAMES = ['premium z', 'OI z', 'funding z'] as const;

/**
 * Signed extreme components, oriented so that positive points to a top: −premiumZ (perps rich), oiZ, fundingZ.
 * Returns NaN for unknown components.
 */
function components(m: MetricArrays, b: number, out: Float64Array): void {
  out[0] = -m.premiumZ[b];
  out[1] = m.oiZ[b];
  out[2] = m.fundingZ[b];
}

/**
 * Evaluates the confluence rules and the extreme rule on every bar. See docs/metrics.md for the rules.
 * `score` is the mean of the available signed components (positive = top side). `missing(i0, i1)` describes, for the
 * output range, on how many bars each metric was missing while the extreme rule ran on the others.
 */
export function computeStates(
  m: MetricArrays,
  nb: number,
  o: EngineOptions
): { states: StateKind[][]; score: Float64Array; missing: (i0: number, i1: number) => string[] } {
  const states: StateKind[][] = new Array(nb);
  const score = new Float64Array(nb).fill(NaN);
  const avail = new Uint8Array(nb); // bit mask of available components
  const c = new Float64Array(3);
  const k = o.premiumSlopeBars;
  let prevExtreme: StateKind | null = null;
  for (let b = 0; b < nb; b++) {
    const st: StateKind[] = [];
    const p = m.premium[b];
    const prev = b >= k ? m.premium[b - k] : NaN;
    const oz = m.oiZ[b];
    const fz = m.fundingZ[b];
    const apr = m.fundingApr[b];
    if (p > o.premiumDeadbandPct && p > prev && !(oz >= o.bullishMaxOiZ) && !(fz >= o.bullishMaxFundingZ) && !(apr >= o.bullishMaxFundingAprPct)) {
      st.push('bullish');
    }
    if (p < -o.premiumDeadbandPct && p < prev && (oz >= o.bearishMinOiZ || fz >= o.bearishMinFundingZ)) {
      st.push('bearish');
    }
    if (oz >= o.overLeverageOiZ && (fz >= o.overLeverageFundingZ || apr >= o.overLeverageFundingAprPct)) {
      st.push('overLeverage');
    }
    components(m, b, c);
    let n = 0;
    let sum = 0;
    let hi = 0;
    let lo = 0;
    let mask = 0;
    for (let j = 0; j < 3; j++) {
      const x = c[j];
      if (x === x) {
        n++;
        sum += x;
        mask |= 1 << j;
        if (x >= o.extremeZ) {
          hi++;
        } else if (x <= -o.extremeZ) {
          lo++;
        }
      }
    }
    avail[b] = mask;
    if (n > 0) {
      const s = sum / n;
      score[b] = s;
      let ext: StateKind | null = null;
      if ((hi >= o.extremeMinCount && s >= o.extremeScoreMin) || (prevExtreme === 'extremeTop' && s >= o.extremeExitScore)) {
        ext = 'extremeTop';
      } else if ((lo >= o.extremeMinCount && s <= -o.extremeScoreMin) || (prevExtreme === 'extremeBottom' && s <= -o.extremeExitScore)) {
        ext = 'extremeBottom';
      }
      if (ext) {
        st.push(ext);
      }
      prevExtreme = ext;
    } else {
      prevExtreme = null;
    }
    states[b] = st;
  }
  const missing = (i0: number, i1: number): string[] => {
    const notes: string[] = [];
    let ran = 0;
    const miss = [0, 0, 0];
    let tooFew = 0;
    for (let b = i0; b < i1; b++) {
      const mask = avail[b];
      if (mask === 0) {
        continue;
      }
      ran++;
      let n = 0;
      for (let j = 0; j < 3; j++) {
        if (mask & (1 << j)) {
          n++;
        } else {
          miss[j]++;
        }
      }
      if (n < o.extremeMinCount) {
        tooFew++;
      }
    }
    for (let j = 0; j < 3; j++) {
      if (miss[j] > 0 && ran > 0) {
        notes.push(`extreme rule: ${METRIC_NAMES[j]} unavailable on ${miss[j]} of ${ran} bars with a score; the rule used the other metrics there`);
      }
    }
    if (tooFew > 0) {
      notes.push(`extreme rule: on ${tooFew} bars fewer than extremeMinCount=${o.extremeMinCount} metrics were available, so no extreme could be flagged there`);
    }
    return notes;
  };
  return { states, score, missing };
}

const TITLES: Record<EventKind, string> = {
  bullish: 'Bullish flow: spot leads',
  bearish: 'Bearish flow: spot lags with leverage building',
  overLeverage: 'Over-leverage',
  extremeTop: 'Extreme top (experimental)',
  extremeBottom: 'Extreme bottom (experimental)',
};

function f(x: number | null, digits: number): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

function usd(x: number | null): string {
  if (x === null) {
    return 'n/a';
  }
  const a = Math.abs(x);
  return a >= 1e9 ? `$${(x / 1e9).toFixed(2)}B` : a >= 1e6 ? `$${(x / 1e6).toFixed(1)}M` : `$${x.toFixed(0)}`;
}

function iso(t: number): string {
  const s = new Date(t).toISOString();
  return s.endsWith('T00:00:00.000Z') ? s.slice(0, 10) : s.slice(0, 16) + 'Z';
}

/** The bar of a run that best represents it (largest signal). */
function peakOf(bars: Bar[], i0: number, i1: number, kind: EventKind): Bar {
  const key = (b: Bar): number => {
    switch (kind) {
      case 'bullish':
        return b.premiumPct ?? -Infinity;
      case 'bearish':
        return -(b.premiumPct ?? Infinity);
      case 'overLeverage':
        return b.oiZ ?? -Infinity;
      case 'extremeTop':
        return b.extremeScore ?? -Infinity;
      case 'extremeBottom':
        return -(b.extremeScore ?? Infinity);
    }
  };
  let best = bars[i0];
  for (let i = i0 + 1; i <= i1; i++) {
    if (key(bars[i]) > key(best)) {
      best = bars[i];
    }
  }
  return best;
}

function describe(bars: Bar[], i0: number, i1: number, kind: EventKind, o: EngineOptions): string {
  const p = peakOf(bars, i0, i1, kind);
  const n = i1 - i0 + 1;
  const parts = [
    `${n} bar${n === 1 ? '' : 's'} from ${iso(bars[i0].time)} to ${iso(bars[i1].timeEnd)}; peak bar ${iso(p.time)}:`,
    `premium ${f(p.premiumPct, 3)}% (z ${f(p.premiumZ, 2)}),`,
    `OI ${usd(p.oiUsd)} (index z ${f(p.oiZ, 2)}),`,
    `funding ${p.fundingRate8h === null ? 'n/a' : (p.fundingRate8h * 100).toFixed(4)}%/8h = ${f(p.fundingAprPct, 1)}% APR (z ${f(p.fundingZ, 2)})`,
  ];
  if (kind === 'extremeTop' || kind === 'extremeBottom') {
    parts.push(`; extreme score ${f(p.extremeScore, 2)} (threshold ±${o.extremeScoreMin}, at least ${o.extremeMinCount} metrics beyond ±${o.extremeZ})`);
    const miss = [p.premiumZ === null ? 'premium z' : null, p.oiZ === null ? 'OI z' : null, p.fundingZ === null ? 'funding z' : null].filter(
      (x): x is string => x !== null
    );
    if (miss.length) {
      parts.push(`; ${miss.join(' and ')} unavailable, rule used the other metrics`);
    }
  }
  return parts.join(' ').replace(/ ;/g, ';');
}

/** Merges runs of consecutive bars carrying the same state into events (time = first bar start, timeEnd = last bar end). */
export function buildEvents(bars: Bar[], o: EngineOptions): FlowEvent[] {
  const events: FlowEvent[] = [];
  for (const kind of STATE_KINDS) {
    let start = -1;
    for (let i = 0; i <= bars.length; i++) {
      const on = i < bars.length && bars[i].states.includes(kind);
      if (on && start < 0) {
        start = i;
      } else if (!on && start >= 0) {
        events.push({
          time: bars[start].time,
          timeEnd: bars[i - 1].timeEnd,
          kind,
          title: TITLES[kind],
          text: describe(bars, start, i - 1, kind, o),
        });
        start = -1;
      }
    }
  }
  events.sort((a, b) => a.time - b.time || STATE_KINDS.indexOf(a.kind) - STATE_KINDS.indexOf(b.kind));
  return events;
}
