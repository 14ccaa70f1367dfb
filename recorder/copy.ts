/**
 * `recorder copy --from DB --to DB`: streams one store into another (SQLite → PostgreSQL to scale out, or back),
 * series by series in time windows, each window one transaction in the destination. Everything is kept: values,
 * volumes, sources, write times, the open flag, the archive value beside a REST or import point, series meta, covered
 * ranges per source and the archive file log. Idempotent (upserts): a copy interrupted at any moment is simply run
 * again; a rerun over a complete copy changes nothing. Reads only through the RecorderStore interface.
 */
import {
  POINT_SOURCES,
  type PointInput,
  type RecorderStore,
  type SeriesSummary,
  type SeriesWrite,
  type StoredPoint,
} from './store/types';

export interface CopyProgress {
  done: number;
  total: number;
  series: SeriesSummary;
  /** Points read from the source for this series. */
  points: number;
}

export interface CopyResult {
  series: number;
  points: number;
  /** Rows inserted or changed in the destination. */
  changed: number;
  archiveFiles: number;
}

/** Points per read window (and per destination transaction), at most. */
const WINDOW_POINTS = 20_000;

export async function copyStore(
  from: RecorderStore,
  to: RecorderStore,
  opts: { onProgress?: (p: CopyProgress) => void } = {}
): Promise<CopyResult> {
  const list = await from.listSeries();
  const res: CopyResult = { series: 0, points: 0, changed: 0, archiveFiles: 0 };
  for (const [i, s] of list.entries()) {
    const key = { asset: s.asset, venue: s.venue, kind: s.kind, timeframe: s.timeframe };
    let n = 0;
    if (s.first !== null && s.last !== null) {
      // windows of about WINDOW_POINTS points at the series' average spacing
      const span = Math.max(1, s.last - s.first);
      const winMs = Math.max(1, Math.ceil((span / Math.max(1, s.count)) * WINDOW_POINTS));
      for (let a = s.first; a <= s.last; a += winMs) {
        const pts = await from.readPoints(key, a, Math.min(a + winMs, s.last + 1));
        if (pts.length) {
          for (const w of windowWrites(key, pts)) {
            res.changed += await to.write([w.write], w.writtenAt);
          }
          n += pts.length;
        }
      }
    }
    // meta of a series without points, and the covered ranges per source
    const covers: SeriesWrite[] = [{ key, meta: s.meta, source: 'rest', points: [] }];
    for (const src of POINT_SOURCES) {
      for (const c of await from.coverage(key, src)) {
        covers.push({ key, source: src, points: [], cover: c });
      }
    }
    await to.write(covers);
    res.series++;
    res.points += n;
    opts.onProgress?.({ done: i + 1, total: list.length, series: s, points: n });
  }
  for (const f of await from.listArchiveFiles()) {
    await to.recordArchiveFile(f);
    res.archiveFiles++;
  }
  return res;
}

/**
 * The writes that rebuild one window of points, each with its write time: archive values first (an archive value
 * beside a REST or import point is written as an archive point, which the primary write then keeps beside it), then
 * REST and import points grouped by source and write time, so that the destination ends with the same rows.
 */
export function windowWrites(
  key: SeriesWrite['key'],
  pts: StoredPoint[]
): Array<{ writtenAt: number; write: SeriesWrite }> {
  const archive = new Map<number, PointInput[]>();
  const addArchive = (writtenAt: number, p: PointInput) => {
    const list = archive.get(writtenAt);
    if (list) {
      list.push(p);
    } else {
      archive.set(writtenAt, [p]);
    }
  };
  const primary = new Map<string, { writtenAt: number; write: SeriesWrite }>();
  for (const p of pts) {
    if (p.source === 'archive') {
      addArchive(p.writtenAt, { ts: p.ts, value: p.value, volume: p.volume });
      continue;
    }
    if (p.archiveValue !== null) {
      addArchive(p.writtenAt, { ts: p.ts, value: p.archiveValue });
    }
    const id = `${p.source}|${p.writtenAt}`;
    let g = primary.get(id);
    if (!g) {
      g = { writtenAt: p.writtenAt, write: { key, source: p.source, points: [] } };
      primary.set(id, g);
    }
    g.write.points.push({ ts: p.ts, value: p.value, volume: p.volume, open: p.open });
  }
  return [
    ...[...archive].map(([writtenAt, points]) => ({ writtenAt, write: { key, source: 'archive' as const, points } })),
    ...primary.values(),
  ];
}
