/**
 * Notices shown on frames (`frame.meta.notices`): failed venues, short histories, z-scores that the warm-up could
 * not fill, engine notes. Numbers are never silently wrong: whatever left a value out or empty is said here.
 */
import type { QueryResultMetaNotice } from '@grafana/data';
import { inSentence, Z_METRICS, type ZMetricName } from '../core/metrics';
import type { Bar, Timeframe } from '../core/types';
import type { QueryType } from './types';

const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z').replace('T00:00Z', '');

/** z-score fields each query type shows. */
const Z_OF_QUERY: Record<QueryType, ZMetricName[]> = {
  premium: ['premiumZ'],
  oi: [],
  oiZ: ['oiZ'],
  funding: ['fundingZ'],
  signals: ['premiumZ', 'oiZ', 'fundingZ'],
  extremes: ['premiumZ', 'oiZ', 'fundingZ'],
  prices: [],
  coverage: [],
};

/** z-score fields each query type shows, with the metric each is computed from and its name in a sentence (catalog). */
export const Z_FIELDS = Object.fromEntries(
  Object.entries(Z_OF_QUERY).map(([q, zs]) => [
    q,
    zs.map((z) => {
      const m = Z_METRICS.find((x) => x.name === z)!;
      return { z, base: m.zOf, label: inSentence(m.displayName) };
    }),
  ])
) as Record<QueryType, Array<{ z: keyof Bar; base: keyof Bar; label: string }>>;

/**
 * Warm-up check: for each z-score the query uses, count the leading visible bars that have the metric but no
 * z-score yet (the history before the panel was too short for the lookback). Returns one warning per z-score.
 */
export function warmupNotices(
  bars: Bar[],
  queryType: QueryType,
  lookback: number,
  tf: Timeframe
): QueryResultMetaNotice[] {
  const out: QueryResultMetaNotice[] = [];
  for (const { z, base, label } of Z_FIELDS[queryType]) {
    let n = 0;
    for (const b of bars) {
      if (b[z] !== null) {
        break;
      }
      if (b[base] !== null) {
        n++;
      }
    }
    const firstValid = bars.find((b) => b[z] !== null);
    if (n > 0 && bars.some((b) => b[base] !== null)) {
      out.push({
        severity: 'warning',
        text:
          `${label}: the first ${n} ${tf} bar${n > 1 ? 's' : ''} of the range have no value: the venues' history ` +
          `before the range is shorter than the lookback of ${lookback} bars` +
          (firstValid ? `; the first z-score is at ${iso(firstValid.time)}` : '; no bar in the range has one'),
      });
    }
  }
  return out;
}

/** Exchange-layer notices (failed venues, retention) are warnings; engine notes are information. */
export function toNotices(exchange: string[], engine: string[]): QueryResultMetaNotice[] {
  const seen = new Set<string>();
  const out: QueryResultMetaNotice[] = [];
  const add = (text: string, severity: QueryResultMetaNotice['severity']) => {
    if (!seen.has(text)) {
      seen.add(text);
      out.push({ severity, text });
    }
  };
  exchange.forEach((t) => add(t, 'warning'));
  engine.forEach((t) => add(t, 'info'));
  return out;
}
