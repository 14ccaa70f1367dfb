/**
 * The data both recorder store benchmarks write (bench/recorder.ts for SQLite, bench/recorder-postgres.ts for
 * PostgreSQL beside it): 30 hourly series × 4 years = 1,051,200 points, generated, so the two backends are measured on
 * the same rows; and the timing both use. No I/O.
 */
import type { SeriesKey, SeriesWrite } from '../recorder/store/types';
import { DEFAULT_VENUES, getVenue, venueKinds } from '../src/exchanges/registry';

export const H = 3_600_000;
export const YEAR_H = 365 * 24;
/** Start of the newest year of points; the three older years come before it. */
export const T0 = Date.UTC(2024, 0, 1);

/** 30 hourly series of one year each: every default venue's kinds for BTC, then ETH, until 30. */
export function thirtyKeys(): SeriesKey[] {
  const keys: SeriesKey[] = [];
  for (const asset of ['BTC', 'ETH', 'SOL']) {
    for (const venue of DEFAULT_VENUES) {
      for (const kind of venueKinds(getVenue(venue))) {
        if (kind !== 'funding' && kind !== 'fx' && keys.length < 30) {
          keys.push({ asset, venue, kind, timeframe: '1h' });
        }
      }
    }
  }
  return keys;
}

/** Four write batches, one a year (newest first), each with one year of hourly points for every key. */
export function storeBatches(keys: SeriesKey[]): SeriesWrite[][] {
  const out: SeriesWrite[][] = [];
  for (let y = 0; y < 4; y++) {
    out.push(
      keys.map((key, k) => ({
        key,
        meta: key.kind === 'openInterest' ? { unit: 'base' } : { quote: 'USDT' },
        source: 'rest',
        points: Array.from({ length: YEAR_H }, (_, i) => {
          const ts = T0 - y * YEAR_H * H + i * H;
          return {
            ts,
            value: 50_000 + k + Math.sin(ts / 1e9) * 1000,
            volume: key.kind === 'openInterest' ? null : 1e6 + i,
          };
        }),
      }))
    );
  }
  return out;
}

/** The best wall and CPU time of `reps` runs of `fn`, ms (each measured alone). */
export async function bestOf(reps: number, fn: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  let wallMs = Infinity;
  let cpuMs = Infinity;
  for (let rep = 0; rep < reps; rep++) {
    const s = process.hrtime.bigint();
    const c = process.cpuUsage();
    await fn();
    wallMs = Math.min(wallMs, Number(process.hrtime.bigint() - s) / 1e6);
    const u = process.cpuUsage(c);
    cpuMs = Math.min(cpuMs, (u.user + u.system) / 1000);
  }
  return { wallMs, cpuMs };
}
