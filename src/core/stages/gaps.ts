/** Stage "gaps": missing points inside each series and its coverage row (docs/metrics.md §3, Gaps inside a series). */
import { usualSpacingMs } from '../numeric';
import { Series, SeriesCoverage, SeriesGap } from '../types';
import { fmtMinute, plural, spacingText } from './text';

/** Gaps listed per series in the coverage (the count covers all of them). */
export const MAX_LISTED_GAPS = 20;

/** The gaps of one series: its usual spacing (null when it has none), missing points, listed gaps and gap count. */
export interface SeriesGaps {
  spacingMs: number | null;
  missing: number;
  gaps: SeriesGap[];
  runs: number;
}

/**
 * An empty gap tally for a series of `n` points whose usual spacing is `spacingMs` (see usualSpacingMs). Series with
 * fewer than 3 points, or without a positive spacing, have no usual spacing (null) and no gaps.
 */
export function newGaps(n: number, spacingMs: number): SeriesGaps {
  return { spacingMs: n >= 3 && spacingMs > 0 ? spacingMs : null, missing: 0, gaps: [], runs: 0 };
}

/** Smallest distance (ms) between consecutive points that is a gap: 1.5 usual spacings (NaN, never met, without one). */
export function gapLimitMs(g: SeriesGaps): number {
  return g.spacingMs === null ? NaN : 1.5 * g.spacingMs;
}

/** Adds the gap between consecutive points at `from` and `to` (at least gapLimitMs apart): round(gap / spacing) − 1 missing. */
export function addGap(g: SeriesGaps, from: number, to: number): void {
  const m = Math.round((to - from) / g.spacingMs!) - 1;
  g.missing += m;
  g.runs++;
  if (g.gaps.length < MAX_LISTED_GAPS) {
    g.gaps.push({ from, to, missing: m });
  }
}

/**
 * Gaps inside a series against its usual spacing (median gap, see usualSpacingMs): consecutive
 * points at least 1.5 spacings apart miss round(gap / spacing) − 1 points. One pass, no allocation unless there are
 * gaps. Series with fewer than 3 points have no usual spacing and no gaps. The engine counts the gaps of the series it
 * resamples in the resampling pass itself (resample.ts, with newGaps / gapLimitMs / addGap); this is the same count
 * for the other series.
 */
export function seriesGaps(points: ReadonlyArray<readonly [number, number]>): SeriesGaps {
  const n = points.length;
  const g = newGaps(n, n >= 3 ? usualSpacingMs(points) : NaN);
  const limit = gapLimitMs(g);
  if (limit !== limit) {
    return g;
  }
  let prev = points[0][0];
  for (let i = 1; i < n; i++) {
    const t = points[i][0];
    if (t - prev >= limit) {
      addGap(g, prev, t);
    }
    prev = t;
  }
  return g;
}

/**
 * One coverage row per series (first, last, points, spacing, gaps); a `gaps:` notice per series that misses points.
 * `gapsOf[i]` are the gaps of series i when already counted (while resampling it); else seriesGaps counts them.
 */
export function seriesCoverage(
  series: Series[],
  labels: string[],
  notes: string[],
  gapsOf: ReadonlyArray<SeriesGaps | undefined> = []
): SeriesCoverage[] {
  return series.map((s, i) => {
    const g = gapsOf[i] ?? seriesGaps(s.points);
    if (g.missing > 0) {
      const shown = g.gaps
        .slice(0, 3)
        .map((x) => `${fmtMinute(x.from)} .. ${fmtMinute(x.to)} (${x.missing})`)
        .join(', ');
      notes.push(
        `gaps: ${s.kind} ${labels[i]} misses ${g.missing} point${plural(g.missing)} against its usual spacing of ` +
          `${spacingText(g.spacingMs!)}, in ${g.runs} gap${plural(g.runs)}: ${shown}${g.runs > 3 ? `, and ${g.runs - 3} more (see coverage.series[${i}].gaps)` : ''}`
      );
    }
    return {
      index: i,
      venue: s.venue,
      kind: s.kind,
      label: labels[i],
      first: s.points.length ? s.points[0][0] : null,
      last: s.points.length ? s.points[s.points.length - 1][0] : null,
      points: s.points.length,
      spacingMs: g.spacingMs,
      missing: g.missing,
      gaps: g.gaps,
    };
  });
}
