/** Wording helpers of the engine's notices (docs/metrics.md §13 Output): dates, spacings and plurals in words. */

/** UTC day of a time: 2024-01-03. */
export function fmtDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** ISO minute of a time, without seconds: 2024-01-03 08:00. */
export function fmtMinute(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

/** "8 h", "1 d", "15 min": a spacing in words. */
export function spacingText(ms: number): string {
  if (ms % 86_400_000 === 0) {
    return `${ms / 86_400_000} d`;
  }
  if (ms % 3_600_000 === 0) {
    return `${ms / 3_600_000} h`;
  }
  return `${Math.round(ms / 60_000)} min`;
}

/** "s" unless n is 1: `${n} bar${plural(n)}`. */
export function plural(n: number): string {
  return n === 1 ? '' : 's';
}
