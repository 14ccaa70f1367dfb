/**
 * Row decoding shared by the SQL backends (SQLite and PostgreSQL): their queries name the columns alike, so one
 * mapping turns a result row into the store interface's meta, summary and archive-file records. No I/O.
 */
import type { ArchiveFileRecord, SeriesKey, SeriesMeta } from './types';

/** A result row as both drivers return it: column name to value. */
export type Row = Record<string, unknown>;

/** The series key of a row with columns asset, venue, kind, timeframe. */
export function keyOf(r: Row): SeriesKey {
  return {
    asset: String(r.asset),
    venue: String(r.venue),
    kind: r.kind as SeriesKey['kind'],
    timeframe: r.timeframe as SeriesKey['timeframe'],
  };
}

export function metaOf(r: Row): SeriesMeta {
  const m: SeriesMeta = {};
  if (r.quote != null) {
    m.quote = String(r.quote);
  }
  if (r.unit != null) {
    m.unit = r.unit as 'usd' | 'base';
  }
  if (r.interval_hours != null) {
    m.intervalHours = Number(r.interval_hours);
  }
  if (r.pair != null) {
    m.pair = String(r.pair);
  }
  if (r.symbol != null) {
    m.symbol = String(r.symbol);
  }
  return m;
}

export function summaryOf(r: Row) {
  const n = Number(r.n ?? 0);
  return {
    first: n ? Number(r.first) : null,
    last: n ? Number(r.last) : null,
    count: n,
    bySource: { rest: Number(r.rest ?? 0), archive: Number(r.archive ?? 0), import: Number(r.import ?? 0) },
    lastWrittenAt: n ? Number(r.written) : null,
  };
}

export function fileOf(r: Row): ArchiveFileRecord {
  return {
    path: String(r.path),
    sha256: r.sha256 == null ? null : String(r.sha256),
    status: r.status as ArchiveFileRecord['status'],
    rows: Number(r.rows),
    notice: r.notice == null ? null : String(r.notice),
    fetchedAt: Number(r.fetched_at),
  };
}
