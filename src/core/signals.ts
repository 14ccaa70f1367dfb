/**
 * Confluence states (bullish / bearish regimes, over-leverage), the extreme rule, and the events built from state
 * runs. Pure: reads metric columns, returns masks, scores and events (docs/metrics.md sections 10-12).
 */
import { emaF64 } from './numeric';
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

/** Bit of each state in a state mask: bit i is STATE_KINDS[i]. */
export const STATE_BIT: Record<StateKind, number> = {
  bullish: 1,
  bearish: 2,
  overLeverage: 4,
  extremeTop: 8,
  extremeBottom: 16,
};

/** Shared, frozen state lists for each of the 32 masks (no per-bar allocation; do not mutate a bar's states). */
const STATE_SETS: StateKind[][] = Array.from(
  { length: 32 },
  (_, m) => Object.freeze(STATE_KINDS.filter((_k, i) => m & (1 << i))) as unknown as StateKind[]
);

/** The state list of a mask. */
export function statesOfMask(mask: number): StateKind[] {
  return STATE_SETS[mask & 31];
}

const METRIC_NAMES = ['premium z', 'OI z', 'funding z'] as const;

/** Notes on how often each extreme-rule component was missing over [i0, i1) (`avail`: bit j = component j known). */
function missingNotes(avail: Uint8Array, i0: number, i1: number, o: EngineOptions): string[] {
  const notes: string[] = [];
  let ran = 0;
  const miss = [0, 0, 0];
  let tooFew = 0;
  const minCount = o.extremeMinCount;
  for (let b = i0; b < i1; b++) {
    const am = avail[b];
    if (am === 0) {
      continue;
    }
    ran++;
    let n = 0;
    for (let j = 0; j < 3; j++) {
      if (am & (1 << j)) {
        n++;
      } else {
        miss[j]++;
      }
    }
    if (n < minCount) {
      tooFew++;
    }
  }
  for (let j = 0; j < 3; j++) {
    if (miss[j] > 0 && ran > 0) {
      notes.push(
        `extreme rule: ${METRIC_NAMES[j]} unavailable on ${miss[j]} of ${ran} bars with a score; the rule used the other metrics there`
      );
    }
  }
  if (tooFew > 0) {
    notes.push(
      `extreme rule: on ${tooFew} bars fewer than extremeMinCount=${o.extremeMinCount} metrics were available, so no new extreme could start there`
    );
  }
  return notes;
}

/**
 * One bar of a regime state with entry/exit hysteresis and a minimum duration. `age` is how many bars the state has
 * been on up to the previous bar (0 = off). The state holds when it was on and the bar's input is known and either the
 * exit test `keep` still passes or it has lasted fewer than `minBars` bars; otherwise it starts when the stricter entry
 * test `enter` passes. Returns the new age (0 = off).
 */
export function regimeStep(age: number, known: boolean, enter: boolean, keep: boolean, minBars: number): number {
  if (age > 0 && known && (keep || age < minBars)) {
    return age + 1;
  }
  return enter ? 1 : 0;
}

/**
 * Evaluates the confluence rules and the extreme rule on every bar (see docs/metrics.md).
 * Returns a state bit mask per bar, the extreme `score` (mean of the available signed z components, positive = top
 * side: −premiumZ, oiZ, fundingZ) and `missing(i0, i1)`, which describes for an output range how often a metric was
 * missing while the extreme rule ran on the others.
 *
 * bullish and bearish are regimes of the EMA premium (`premiumEmaBars`): they start when the EMA premium is beyond
 * ±premiumDeadbandPct and has moved more than premiumSlopeDeadbandPct over premiumSlopeBars bars in the same
 * direction (with the leverage filters), and hold while it stays on its side of ∓premiumExitMarginPct (filters still
 * applying) or for at least stateMinBars bars. overLeverage starts on its rule and holds while oiZ ≥
 * overLeverageExitOiZ (or for stateMinBars bars).
 */
export function computeStates(
  m: MetricArrays,
  nb: number,
  o: EngineOptions
): { mask: Uint8Array; score: Float64Array; missing: (i0: number, i1: number) => string[] } {
  const mask = new Uint8Array(nb);
  const score = new Float64Array(nb).fill(NaN);
  const avail = new Uint8Array(nb); // bit mask of available components
  const k = o.premiumSlopeBars;
  const ema = emaF64(m.premium, o.premiumEmaBars);
  const minBars = o.stateMinBars;
  const comp = new Float64Array(3); // the bar's three extreme components (bit j of `avail` = comp[j] known)
  // columns and thresholds read once (V8 did not hoist these property reads out of the loop: ~17% of its time)
  const { premiumZ, oiZ, fundingZ, fundingApr } = m;
  const {
    bullishMaxOiZ,
    bullishMaxFundingZ,
    bullishMaxFundingAprPct,
    bearishMinOiZ,
    bearishMinFundingZ,
    premiumDeadbandPct,
    premiumSlopeDeadbandPct,
    premiumExitMarginPct,
    overLeverageOiZ,
    overLeverageFundingZ,
    overLeverageFundingAprPct,
    overLeverageExitOiZ,
    extremeZ,
    extremeMinCount,
    extremeScoreMin,
    extremeExitScore,
  } = o;
  let prevExtreme = 0;
  let bullAge = 0;
  let bearAge = 0;
  let olAge = 0;
  for (let b = 0; b < nb; b++) {
    let st = 0;
    const p = ema[b];
    const slope = b >= k ? p - ema[b - k] : NaN; // NaN when either end is unknown: no entry
    const oz = oiZ[b];
    const fz = fundingZ[b];
    const apr = fundingApr[b];
    // "not overheated" needs both z-scores: an unknown z (NaN) compares false, so bullish cannot fire without them
    const cool = oz < bullishMaxOiZ && fz < bullishMaxFundingZ && !(apr >= bullishMaxFundingAprPct);
    const building = oz >= bearishMinOiZ || fz >= bearishMinFundingZ;
    bullAge = regimeStep(
      bullAge,
      p === p,
      p > premiumDeadbandPct && slope > premiumSlopeDeadbandPct && cool,
      p > -premiumExitMarginPct && cool,
      minBars
    );
    bearAge = regimeStep(
      bearAge,
      p === p,
      p < -premiumDeadbandPct && slope < -premiumSlopeDeadbandPct && building,
      p < premiumExitMarginPct && building,
      minBars
    );
    olAge = regimeStep(
      olAge,
      oz === oz,
      oz >= overLeverageOiZ && (fz >= overLeverageFundingZ || apr >= overLeverageFundingAprPct),
      oz >= overLeverageExitOiZ,
      minBars
    );
    if (bullAge > 0) {
      st |= 1;
    }
    if (bearAge > 0) {
      st |= 2;
    }
    if (olAge > 0) {
      st |= 4;
    }
    // extreme components, oriented so that positive points to a top (premium z is negated)
    comp[0] = -premiumZ[b];
    comp[1] = oz;
    comp[2] = fz;
    let n = 0;
    let sum = 0;
    let hi = 0;
    let lo = 0;
    let am = 0;
    for (let j = 0; j < 3; j++) {
      const x = comp[j];
      if (x === x) {
        n++;
        sum += x;
        am |= 1 << j;
        if (x >= extremeZ) {
          hi++;
        } else if (x <= -extremeZ) {
          lo++;
        }
      }
    }
    avail[b] = am;
    let ext = 0;
    if (n > 0) {
      const s = sum / n;
      score[b] = s;
      if ((hi >= extremeMinCount && s >= extremeScoreMin) || (prevExtreme === 8 && s >= extremeExitScore)) {
        ext = 8;
      } else if ((lo >= extremeMinCount && s <= -extremeScoreMin) || (prevExtreme === 16 && s <= -extremeExitScore)) {
        ext = 16;
      }
    }
    prevExtreme = ext;
    mask[b] = st | ext;
  }
  const missing = (i0: number, i1: number): string[] => missingNotes(avail, i0, i1, o);
  return { mask, score, missing };
}

/** Output columns the event builder reads (NaN = unknown), indexed like the output bars. */
export interface EventColumns {
  length: number;
  time: ArrayLike<number>;
  timeEnd: ArrayLike<number>;
  premiumPct: ArrayLike<number>;
  premiumZ: ArrayLike<number>;
  oiUsd: ArrayLike<number>;
  oiZ: ArrayLike<number>;
  fundingRate8h: ArrayLike<number>;
  fundingAprPct: ArrayLike<number>;
  fundingZ: ArrayLike<number>;
  extremeScore: ArrayLike<number>;
  states: ArrayLike<number>;
}

const TITLES: Record<EventKind, string> = {
  bullish: 'Bullish flow: spot leads',
  bearish: 'Bearish flow: spot lags with leverage building',
  overLeverage: 'Over-leverage',
  extremeTop: 'Extreme top (experimental)',
  extremeBottom: 'Extreme bottom (experimental)',
};

function f(x: number, digits: number): string {
  return x === x ? x.toFixed(digits) : 'n/a';
}

function usd(x: number): string {
  if (x !== x) {
    return 'n/a';
  }
  const a = Math.abs(x);
  return a >= 1e9 ? `$${(x / 1e9).toFixed(2)}B` : a >= 1e6 ? `$${(x / 1e6).toFixed(1)}M` : `$${x.toFixed(0)}`;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Fast UTC ISO formatting: `YYYY-MM-DD` at midnight, else `YYYY-MM-DDTHH:MMZ` (civil-from-days, no Date object). */
export function isoUtc(t: number): string {
  const days = Math.floor(t / 86_400_000);
  const ms = t - days * 86_400_000;
  // Howard Hinnant's civil_from_days
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const date = `${y}-${pad2(m)}-${pad2(d)}`;
  if (ms === 0) {
    return date;
  }
  const mins = Math.floor(ms / 60_000);
  return `${date}T${pad2(Math.floor(mins / 60))}:${pad2(mins % 60)}Z`;
}

/** Index of the bar of a run that best represents it (largest signal of its kind). */
function peakOf(c: EventColumns, i0: number, i1: number, kind: EventKind): number {
  let best = i0;
  let bestKey = -Infinity;
  for (let i = i0; i <= i1; i++) {
    let k: number;
    switch (kind) {
      case 'bullish':
        k = c.premiumPct[i];
        break;
      case 'bearish':
        k = -c.premiumPct[i];
        break;
      case 'overLeverage':
        k = c.oiZ[i];
        break;
      case 'extremeTop':
        k = c.extremeScore[i];
        break;
      case 'extremeBottom':
        k = -c.extremeScore[i];
        break;
    }
    if (k > bestKey) {
      bestKey = k;
      best = i;
    }
  }
  return best;
}

function describe(c: EventColumns, i0: number, i1: number, kind: EventKind, o: EngineOptions): string {
  const p = peakOf(c, i0, i1, kind);
  const n = i1 - i0 + 1;
  const fr = c.fundingRate8h[p];
  let text =
    `${n} bar${n === 1 ? '' : 's'} from ${isoUtc(c.time[i0])} to ${isoUtc(c.timeEnd[i1])}; peak bar ${isoUtc(c.time[p])}: ` +
    `premium ${f(c.premiumPct[p], 3)}% (z ${f(c.premiumZ[p], 2)}), OI ${usd(c.oiUsd[p])} (index z ${f(c.oiZ[p], 2)}), ` +
    `funding ${fr === fr ? (fr * 100).toFixed(4) : 'n/a'}%/8h = ${f(c.fundingAprPct[p], 1)}% APR (z ${f(c.fundingZ[p], 2)})`;
  if (kind === 'extremeTop' || kind === 'extremeBottom') {
    text += `; extreme score ${f(c.extremeScore[p], 2)} (threshold ±${o.extremeScoreMin}, at least ${o.extremeMinCount} metrics beyond ±${o.extremeZ})`;
    const miss: string[] = [];
    if (c.premiumZ[p] !== c.premiumZ[p]) {
      miss.push('premium z');
    }
    if (c.oiZ[p] !== c.oiZ[p]) {
      miss.push('OI z');
    }
    if (c.fundingZ[p] !== c.fundingZ[p]) {
      miss.push('funding z');
    }
    if (miss.length) {
      text += `; ${miss.join(' and ')} unavailable, rule used the other metrics`;
    }
  }
  return text;
}

/** What the events of one call format their texts from. */
interface EventContext {
  c: EventColumns;
  o: EngineOptions;
}

const CTX = Symbol('btcFlowEventContext');
const I0 = Symbol('btcFlowEventFirstBar');
const I1 = Symbol('btcFlowEventLastBar');
const TEXT = Symbol('btcFlowEventText');

/**
 * One event. `time`, `timeEnd`, `kind` and `title` are own data fields; `text` is a prototype accessor that formats
 * the text on first read and keeps it (hourly bars over years give tens of thousands of events, most never shown),
 * and `toJSON` includes it. Reading `event.text` works as for a plain field; `{...event}` does not copy `text`.
 */
class LazyEvent implements FlowEvent {
  time: number;
  timeEnd: number;
  kind: EventKind;
  title: string;
  [CTX]: EventContext;
  [I0]: number;
  [I1]: number;
  [TEXT]: string | undefined;
  constructor(ctx: EventContext, i0: number, i1: number, kind: EventKind) {
    this.time = ctx.c.time[i0];
    this.timeEnd = ctx.c.timeEnd[i1];
    this.kind = kind;
    this.title = TITLES[kind];
    this[CTX] = ctx;
    this[I0] = i0;
    this[I1] = i1;
    this[TEXT] = undefined;
  }
  get text(): string {
    let t = this[TEXT];
    if (t === undefined) {
      const { c, o } = this[CTX];
      t = describe(c, this[I0], this[I1], this.kind, o);
      this[TEXT] = t;
    }
    return t;
  }
  set text(v: string) {
    this[TEXT] = v;
  }
  toJSON(): FlowEvent {
    return { time: this.time, timeEnd: this.timeEnd, kind: this.kind, title: this.title, text: this.text };
  }
}

/**
 * Merges runs of consecutive bars carrying the same state into events (time = start of the first bar, timeEnd = end
 * of the last bar), sorted by time then kind (STATE_KINDS order). One pass over the state masks collects each kind's
 * runs (already in time order), then a merge of the per-kind lists gives the sorted events without a sort.
 */
export function buildEventsFromColumns(c: EventColumns, o: EngineOptions): FlowEvent[] {
  const nk = STATE_KINDS.length;
  const n = c.length;
  const starts: number[][] = [];
  const ends: number[][] = [];
  for (let k = 0; k < nk; k++) {
    starts.push([]);
    ends.push([]);
  }
  const open = new Int32Array(nk).fill(-1);
  const states = c.states;
  let prev = 0;
  for (let i = 0; i <= n; i++) {
    const m = i < n ? states[i] : 0;
    if (m === prev) {
      continue; // no run starts or ends here
    }
    prev = m;
    for (let k = 0; k < nk; k++) {
      const on = m & (1 << k);
      if (on && open[k] < 0) {
        open[k] = i;
      } else if (!on && open[k] >= 0) {
        starts[k].push(open[k]);
        ends[k].push(i - 1);
        open[k] = -1;
      }
    }
  }
  let total = 0;
  for (let k = 0; k < nk; k++) {
    total += starts[k].length;
  }
  const ctx: EventContext = { c, o };
  const events: FlowEvent[] = new Array(total);
  const head = new Int32Array(nk);
  for (let e = 0; e < total; e++) {
    // the kind whose next run starts first; on a tie the lower kind index (STATE_KINDS order)
    let best = -1;
    let bestStart = Infinity;
    for (let k = 0; k < nk; k++) {
      const h = head[k];
      if (h < starts[k].length && starts[k][h] < bestStart) {
        best = k;
        bestStart = starts[k][h];
      }
    }
    const h = head[best]++;
    events[e] = new LazyEvent(ctx, bestStart, ends[best][h], STATE_KINDS[best]);
  }
  return events;
}

/** buildEventsFromColumns for an array of bars. */
export function buildEvents(bars: Bar[], o: EngineOptions): FlowEvent[] {
  const col = (g: (b: Bar) => number | null) => Float64Array.from(bars, (b) => g(b) ?? NaN);
  return buildEventsFromColumns(
    {
      length: bars.length,
      time: col((b) => b.time),
      timeEnd: col((b) => b.timeEnd),
      premiumPct: col((b) => b.premiumPct),
      premiumZ: col((b) => b.premiumZ),
      oiUsd: col((b) => b.oiUsd),
      oiZ: col((b) => b.oiZ),
      fundingRate8h: col((b) => b.fundingRate8h),
      fundingAprPct: col((b) => b.fundingAprPct),
      fundingZ: col((b) => b.fundingZ),
      extremeScore: col((b) => b.extremeScore),
      states: Uint8Array.from(bars, (b) => b.states.reduce((m, s) => m | STATE_BIT[s], 0)),
    },
    o
  );
}
