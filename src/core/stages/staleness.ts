/** Stage "no-stale": venues whose bar value is older than the group's latest point are left out (docs/metrics.md §4 No stale values). */
import { StaleExclusion } from '../types';
import { Resampled } from './resample';
import { f64, u8 } from './scratch';
import { fmtDay, plural } from './text';

/** Per series of a group: its stale mask (scratch, null when it has no stale bar) and its number of stale bars. */
export interface StaleMasks {
  stale: Array<Uint8Array | null>;
  staleBars: number[];
}

/** The series of one kind that have stale bars, with their masks and labels (input of staleExclusions). */
export interface StaleGroup {
  kind: StaleExclusion['kind'];
  prefix: string;
  masks: Uint8Array[];
  labels: string[];
}

/**
 * The no-stale rule: within a group (all price series, or all OI series), a venue counts at a bar only if its last
 * point in the bucket is less than one of its usual spacings before the latest point any venue of the group has there.
 * A point left out has its resampled value set to NaN (the group's values are this call's scratch), so later steps
 * see it as missing. Returns per series its stale mask (null when it has no stale bar) and its number of stale bars.
 */
export function applyNoStale(group: Resampled[], nb: number, key: string): StaleMasks {
  const latest = f64(key + ':latest', nb).fill(-Infinity);
  for (const r of group) {
    const time = r.time;
    for (let b = 0; b < nb; b++) {
      const t = time[b];
      if (t > latest[b]) {
        latest[b] = t;
      }
    }
  }
  const stale: Array<Uint8Array | null> = [];
  const staleBars: number[] = [];
  for (let g = 0; g < group.length; g++) {
    const { time, val, spacing } = group[g];
    let st: Uint8Array | null = null;
    let count = 0;
    for (let b = 0; b < nb; b++) {
      // NaN time (no point in the bucket) fails the comparison
      if (latest[b] - time[b] >= spacing) {
        st ??= u8(`${key}:stale${g}`, nb).fill(0);
        st[b] = 1;
        val[b] = NaN;
        count++;
      }
    }
    stale.push(st);
    staleBars.push(count);
  }
  return { stale, staleBars };
}

/**
 * The stale group of the masks `ks` of `m`: only series with stale bars take part (most have none, and then the scan
 * is skipped); `labelOf(k)` is the label of the series behind mask k.
 */
export function staleGroup(
  kind: StaleGroup['kind'],
  prefix: string,
  ks: number[],
  m: StaleMasks,
  labelOf: (k: number) => string
): StaleGroup {
  const stale = ks.filter((k) => m.staleBars[k] > 0);
  return { kind, prefix, masks: stale.map((k) => m.stale[k]!), labels: stale.map(labelOf) };
}

/** OR of the stale masks over [i0, i1) into `out` (one tight loop per mask). */
function orMasks(masks: Uint8Array[], i0: number, i1: number, out: Uint8Array): void {
  for (let g = 0; g < masks.length; g++) {
    const m = masks[g];
    for (let b = i0; b < i1; b++) {
      out[b] |= m[b];
    }
  }
}

/**
 * Bars in [i0, i1) with venues left out by the no-stale rule (as `prefix:label`), and per venue how many bars and
 * when; one `no-stale rule:` notice per venue.
 */
export function staleExclusions(
  groups: StaleGroup[],
  starts: Float64Array,
  i0: number,
  i1: number,
  notes: string[]
): { excluded: Array<{ time: number; excluded: string[] }>; staleExclusions: StaleExclusion[] } {
  const excluded: Array<{ time: number; excluded: string[] }> = [];
  const staleAgg = new Map<string, StaleExclusion>();
  if (groups.every((g) => g.masks.length === 0)) {
    return { excluded, staleExclusions: [] };
  }
  const staleAt = u8('staleAt', starts.length).fill(0);
  for (const g of groups) {
    orMasks(g.masks, i0, i1, staleAt);
  }
  for (let b = i0; b < i1; b++) {
    if (!staleAt[b]) {
      continue;
    }
    const list: string[] = [];
    for (const g of groups) {
      g.masks.forEach((m, j) => {
        if (m[b]) {
          const key = `${g.prefix}:${g.labels[j]}`;
          list.push(key);
          const e = staleAgg.get(key);
          if (e) {
            e.bars++;
            e.lastTime = starts[b];
          } else {
            staleAgg.set(key, { label: g.labels[j], kind: g.kind, bars: 1, firstTime: starts[b], lastTime: starts[b] });
          }
        }
      });
    }
    excluded.push({ time: starts[b], excluded: list });
  }
  const list = [...staleAgg.values()];
  for (const e of list) {
    notes.push(
      `no-stale rule: ${e.kind} ${e.label} left out of ${e.bars} bar${plural(e.bars)} (${fmtDay(e.firstTime)}${e.bars > 1 ? ` .. ${fmtDay(e.lastTime)}` : ''}) where its last point was older than its usual spacing before the latest point of another venue`
    );
  }
  return { excluded, staleExclusions: list };
}
