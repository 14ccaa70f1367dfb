/**
 * Notices shown on frames (`frame.meta.notices`): failed venues, short histories, z-scores that the warm-up could
 * not fill, engine notes. Numbers are never silently wrong: whatever left a value out or empty is said here.
 */
import type { QueryResultMetaNotice } from '@grafana/data';
import type { Bar, Timeframe } from '../core/types';
import type { QueryType } from './types';

const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z').replace('T00:00Z', '');

/** z-score fields each query type shows, and the metric each one is computed from. */
export const Z_FIELDS: Record<QueryType, Array<{ z: keyof Bar; base: keyof Bar; label: string }>> = {
  premium: [{ z: 'premiumZ', base: 'premiumPct', label: 'premium z-score' }],
  oi: [],
  oiZ: [{ z: 'oiZ', base: 'oiIndexUsd', label: 'OI z-score' }],
  funding: [{ z: 'fundingZ', base: 'fundingRate8h', label: 'funding z-score' }],
  signals: [
    { z: 'premiumZ', base: 'premiumPct', label: 'premium z-score' },
    { z: 'oiZ', base: 'oiIndexUsd', label: 'OI z-score' },
    { z: 'fundingZ', base: 'fundingRate8h', label: 'funding z-score' },
  ],
  extremes: [
    { z: 'premiumZ', base: 'premiumPct', label: 'premium z-score' },
    { z: 'oiZ', base: 'oiIndexUsd', label: 'OI z-score' },
    { z: 'fundingZ', base: 'fundingRate8h', label: 'funding z-score' },
  ],
  prices: [],
  coverage: [],
};

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
