/**
 * Bar and coverage views over engine columns (docs/metrics.md §13 Output, §16 Performance): `materialise` turns
 * EngineColumns into an EngineResult whose bars read the typed columns lazily. No computation happens here.
 */
import { statesOfMask } from './signals';
import { Bar, BarCounts, BarCoverage, BarVenues, Coverage, EngineColumns, EngineResult, StateKind } from './types';

/** Shared empty list for bars without exclusions (frozen: do not mutate). */
const NONE: string[] = Object.freeze([]) as unknown as string[];

const nul = (x: number): number | null => (x === x && x !== Infinity && x !== -Infinity ? x : null);

function venueRecord(
  cols: Record<string, Float64Array>,
  tpl: Record<string, number | null>,
  i: number
): Record<string, number | null> {
  const o = { ...tpl }; // fixed-shape clone, then values overwritten in place
  for (const k in cols) {
    o[k] = nul(cols[k][i]);
  }
  return o;
}

/** What a bar's lazy `counts` and `venues` are built from: the call's columns, record templates and caches. */
class BarSource {
  readonly venueTpl: Record<keyof BarVenues, Record<string, number | null>>;
  /** Per-bar caches, allocated on first use (most callers read neither field). */
  private venues: Array<BarVenues | undefined> | undefined;
  private counts: Array<BarCounts | undefined> | undefined;
  private excludedByBar: Array<string[] | undefined> | undefined;
  constructor(readonly c: EngineColumns) {
    const template = (cols: Record<string, Float64Array>): Record<string, number | null> => {
      const o: Record<string, number | null> = {};
      for (const k of Object.keys(cols)) {
        o[k] = null;
      }
      return o;
    };
    this.venueTpl = {
      spot: template(c.venues.spot),
      perp: template(c.venues.perp),
      oiUsd: template(c.venues.oiUsd),
      funding8h: template(c.venues.funding8h),
    };
  }
  venuesAt(i: number): BarVenues {
    const { c, venueTpl: t } = this;
    this.venues ??= new Array(c.length);
    return (this.venues[i] ??= {
      spot: venueRecord(c.venues.spot, t.spot, i),
      perp: venueRecord(c.venues.perp, t.perp, i),
      oiUsd: venueRecord(c.venues.oiUsd, t.oiUsd, i),
      funding8h: venueRecord(c.venues.funding8h, t.funding8h, i),
    });
  }
  /** Labels left out of bar i by the no-stale rule (the shared empty list when none); index built on first use. */
  excludedAt(i: number): string[] {
    if (this.excludedByBar === undefined) {
      // c.excluded is sorted by time and its times are bar times: one merge pass
      const { time, length } = this.c;
      const byBar: Array<string[] | undefined> = new Array(length);
      let j = 0;
      for (const e of this.c.excluded) {
        while (j < length && time[j] < e.time) {
          j++;
        }
        if (j < length && time[j] === e.time) {
          byBar[j] = e.excluded;
        }
      }
      this.excludedByBar = byBar;
    }
    return this.excludedByBar[i] ?? NONE;
  }
  countsAt(i: number): BarCounts {
    const k = this.c.counts;
    this.counts ??= new Array(this.c.length);
    return (this.counts[i] ??= { spot: k.spot[i], perp: k.perp[i], oi: k.oi[i], funding: k.funding[i] });
  }
}

const SRC = Symbol('btcFlowBarSource');
const IDX = Symbol('btcFlowBarIndex');

/** Node's custom-inspect hook (a registered symbol, so the core imports nothing from Node). */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * One output bar: a read-only view of row i of the call's columns, the pattern of Grafana's DataFrameView. It holds
 * only its source and its index; every field is a prototype getter that reads the typed column (NaN → null), so
 * building 100,000 bars allocates 100,000 small objects instead of 1.3 million boxed numbers. `counts` and the
 * per-venue `venues` are built on first read and kept. Read fields as properties; `toJSON()` (used by JSON.stringify)
 * gives a plain copy. `{...bar}` and `Object.keys(bar)` see no fields (docs/metrics.md §16).
 */
class OutBar implements Bar {
  readonly [SRC]: BarSource;
  readonly [IDX]: number;
  constructor(src: BarSource, i: number) {
    this[SRC] = src;
    this[IDX] = i;
  }
  get time(): number {
    return this[SRC].c.time[this[IDX]];
  }
  get timeEnd(): number {
    return this[SRC].c.timeEnd[this[IDX]];
  }
  get spotUsd(): number | null {
    return nul(this[SRC].c.spotUsd[this[IDX]]);
  }
  get perpUsd(): number | null {
    return nul(this[SRC].c.perpUsd[this[IDX]]);
  }
  get premiumPct(): number | null {
    return nul(this[SRC].c.premiumPct[this[IDX]]);
  }
  get premiumZ(): number | null {
    return nul(this[SRC].c.premiumZ[this[IDX]]);
  }
  get oiUsd(): number | null {
    return nul(this[SRC].c.oiUsd[this[IDX]]);
  }
  get oiIndexUsd(): number | null {
    return nul(this[SRC].c.oiIndexUsd[this[IDX]]);
  }
  get oiZ(): number | null {
    return nul(this[SRC].c.oiZ[this[IDX]]);
  }
  get fundingRate8h(): number | null {
    return nul(this[SRC].c.fundingRate8h[this[IDX]]);
  }
  get fundingAprPct(): number | null {
    return nul(this[SRC].c.fundingAprPct[this[IDX]]);
  }
  get fundingZ(): number | null {
    return nul(this[SRC].c.fundingZ[this[IDX]]);
  }
  get extremeScore(): number | null {
    return nul(this[SRC].c.extremeScore[this[IDX]]);
  }
  /** Shared frozen list per state mask: do not mutate. */
  get states(): StateKind[] {
    return statesOfMask(this[SRC].c.states[this[IDX]]);
  }
  get counts(): BarCounts {
    return this[SRC].countsAt(this[IDX]);
  }
  get venues(): BarVenues {
    return this[SRC].venuesAt(this[IDX]);
  }
  toJSON(): Bar {
    return {
      time: this.time,
      timeEnd: this.timeEnd,
      spotUsd: this.spotUsd,
      perpUsd: this.perpUsd,
      premiumPct: this.premiumPct,
      premiumZ: this.premiumZ,
      oiUsd: this.oiUsd,
      oiIndexUsd: this.oiIndexUsd,
      oiZ: this.oiZ,
      fundingRate8h: this.fundingRate8h,
      fundingAprPct: this.fundingAprPct,
      fundingZ: this.fundingZ,
      extremeScore: this.extremeScore,
      states: this.states,
      counts: this.counts,
      venues: this.venues,
    };
  }
  [INSPECT](): Bar {
    return this.toJSON();
  }
}

/** One per-bar coverage row, a view like OutBar: counts from the columns, `excluded` from the no-stale list. */
class OutCoverage implements BarCoverage {
  readonly [SRC]: BarSource;
  readonly [IDX]: number;
  constructor(src: BarSource, i: number) {
    this[SRC] = src;
    this[IDX] = i;
  }
  get time(): number {
    return this[SRC].c.time[this[IDX]];
  }
  get spot(): number {
    return this[SRC].c.counts.spot[this[IDX]];
  }
  get perp(): number {
    return this[SRC].c.counts.perp[this[IDX]];
  }
  get oi(): number {
    return this[SRC].c.counts.oi[this[IDX]];
  }
  get funding(): number {
    return this[SRC].c.counts.funding[this[IDX]];
  }
  /** Shared list: do not mutate. */
  get excluded(): string[] {
    return this[SRC].excludedAt(this[IDX]);
  }
  toJSON(): BarCoverage {
    const { time, spot, perp, oi, funding, excluded } = this;
    return { time, spot, perp, oi, funding, excluded };
  }
  [INSPECT](): BarCoverage {
    return this.toJSON();
  }
}

/**
 * Turns engine columns into Bar views (see OutBar), one small object per bar. `coverage.bars` (one coverage view
 * per bar) is an enumerable getter that builds its array on first read, since few consumers read it.
 */
export function materialise(c: EngineColumns): EngineResult {
  const n = c.length;
  const src = new BarSource(c);
  const bars: Bar[] = new Array(n);
  for (let i = 0; i < n; i++) {
    bars[i] = new OutBar(src, i);
  }
  let covBars: BarCoverage[] | undefined;
  const coverage = { ...c.coverage } as Coverage;
  Object.defineProperty(coverage, 'bars', {
    enumerable: true,
    get(): BarCoverage[] {
      if (covBars === undefined) {
        covBars = new Array(n);
        for (let i = 0; i < n; i++) {
          covBars[i] = new OutCoverage(src, i);
        }
      }
      return covBars;
    },
  });
  return { timeframe: c.timeframe, bars, events: c.events, coverage, notices: c.notices };
}
