/** Stage "gaps": missing points inside each series and its coverage row (docs/metrics.md §3, Gaps inside a series). */
import { usualSpacingMs } from '../numeric';
import { Series, SeriesCoverage, SeriesGap } from '../types';
import { fmtMinute, plural, spacingText } from './text';

/** Gaps listed per series in the coverage (the count covers all of them). */
export const MAX_LISTED_GAPS = 20;

/**
 * Gaps inside a series against its usual spacing (median gap, see usualSpacingMs): consecutive points at least 1.5
 * spacings apart miss round(gap / spacing) − 1 points. One pass, no allocation unless there are gaps. Series with
 * fewer than 3 points have no usual spacing and no gaps.
 */
export function seriesGaps(points: ReadonlyArray<readonly [number, number]>): {
  spacingMs: number | null;
  missing: number;
  gaps: SeriesGap[];
  runs: number;
} {
  const n = points.length;
  const spacing = n >= 3 ? usualSpacingMs(points) : NaN;
  if (!(spacing > 0)) {
    return { spacingMs: null, missing: 0, gaps: [], runs: 0 };
  }
  const limit = 1.5 * spacing;
  let missing = 0;
  let runs = 0;
  const gaps: SeriesGap[] = [];
  let prev = points[0][0];
  for (let i = 1; i < n; i++) {
    const t = points[i][0];
    const d = t - prev;
    if (d >= limit) {
      const m = Math.round(d / spacing) - 1;
      missing += m;
      runs++;
      if (gaps.length < MAX_LISTED_GAPS) {
        gaps.push({ from: prev, to: t, missing: m });
      }
    }
    prev = t;
  }
  return { spacingMs: spacing, missing, gaps, runs };
}

/** One coverage row per series (first, last, points, spacing, gaps); a `gaps:` notice per series that misses points. */
export function seriesCoverage(series: Series[], labels: string[], notes: string[]): SeriesCoverage[] {
  return series.map((s, i) => {
    const g = seriesGaps(s.points);
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
