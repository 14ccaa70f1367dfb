/**
 * In-memory cache of closed bars (and settled funding points) per series, with the time ranges already covered,
 * so a range request fetches only what is missing. Capped by the total number of points; the least recently used
 * series is dropped first. The open bar is never stored.
 */

/** Half-open interval [from, to), UTC epoch ms. */
export type Interval = [number, number];

/** A stored row: time, value, optional quote volume. */
export type Row = [number, number, number?];

export interface CacheEntry {
  rows: Map<number, Row>;
  covered: Interval[];
  /** Earliest time the venue serves for this series, when a fetch found data starting later than asked. */
  firstAvailable?: number;
  /** Notices that stay true for the series (retention limits). */
  meta: Record<string, unknown>;
}

/** Adds [a, b) to a sorted list of disjoint intervals, merging overlaps and touching ends. */
export function addInterval(list: Interval[], iv: Interval): Interval[] {
  if (iv[1] <= iv[0]) {
    return list;
  }
  const out: Interval[] = [];
  let [a, b] = iv;
  let placed = false;
  for (const [c, d] of list) {
    if (d < a) {
      out.push([c, d]);
    } else if (c > b) {
      if (!placed) {
        out.push([a, b]);
        placed = true;
      }
      out.push([c, d]);
    } else {
      a = Math.min(a, c);
      b = Math.max(b, d);
    }
  }
  if (!placed) {
    out.push([a, b]);
  }
  return out;
}

/** Parts of [a, b) not covered by the sorted disjoint list. */
export function subtractIntervals(iv: Interval, covered: Interval[]): Interval[] {
  const out: Interval[] = [];
  let cur = iv[0];
  for (const [c, d] of covered) {
    if (d <= cur) {
      continue;
    }
    if (c >= iv[1]) {
      break;
    }
    if (c > cur) {
      out.push([cur, Math.min(c, iv[1])]);
    }
    cur = Math.max(cur, d);
    if (cur >= iv[1]) {
      break;
    }
  }
  if (cur < iv[1]) {
    out.push([cur, iv[1]]);
  }
  return out;
}

export class SeriesCache {
  private readonly entries = new Map<string, CacheEntry>();
  private points = 0;
  constructor(readonly maxPoints: number) {}

  /** The entry for a key (marked as recently used), or undefined. */
  get(key: string): CacheEntry | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  /** Stores closed rows and the interval they cover (rows outside the interval are ignored). */
  commit(key: string, rows: Row[], covered: Interval, firstAvailable?: number): void {
    let e = this.get(key);
    if (!e) {
      e = { rows: new Map(), covered: [], meta: {} };
      this.entries.set(key, e);
    }
    for (const r of rows) {
      if (r[0] >= covered[0] && r[0] < covered[1]) {
        if (!e.rows.has(r[0])) {
          this.points++;
        }
        e.rows.set(r[0], r);
      }
    }
    e.covered = addInterval(e.covered, covered);
    if (firstAvailable !== undefined) {
      e.firstAvailable = e.firstAvailable === undefined ? firstAvailable : Math.min(e.firstAvailable, firstAvailable);
    }
    this.evict(key);
  }

  /** Rows of a key within [from, to), sorted by time. */
  rows(key: string, from: number, to: number): Row[] {
    const e = this.entries.get(key);
    if (!e) {
      return [];
    }
    const out: Row[] = [];
    for (const r of e.rows.values()) {
      if (r[0] >= from && r[0] < to) {
        out.push(r);
      }
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  private evict(keep: string): void {
    for (const [k, e] of this.entries) {
      if (this.points <= this.maxPoints) {
        break;
      }
      if (k === keep) {
        continue;
      }
      this.points -= e.rows.size;
      this.entries.delete(k);
    }
  }

  get size(): { series: number; points: number } {
    return { series: this.entries.size, points: this.points };
  }

  clear(): void {
    this.entries.clear();
    this.points = 0;
  }
}
