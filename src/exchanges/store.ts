/**
 * The persistent store of closed bars behind the in-memory cache: a small interface, so the exchange layer stays
 * free of I/O. The browser implementation is IndexedDB (idbStore.ts, per data source uid and mirror URL); the CLI's
 * is a folder of JSON files (cli/fileStore.ts, injected by the CLI: src/ does no Node I/O). Only what the memory
 * cache holds is stored: closed bars and settled funding points of ranges fetched whole, never the open bar, never
 * a malformed, empty or partial page. Every record carries the schema version; a record of another version is
 * dropped when read.
 */
import type { Interval, Row } from './cache';

/** Version of the stored record layout; records of another version are dropped. */
export const STORE_SCHEMA_VERSION = 1;

/** Default size cap of a store, bytes (50 MB). */
export const DEFAULT_STORE_MAX_BYTES = 50 * 1024 * 1024;

/** One stored series: its rows and the time ranges they cover completely. */
export interface StoredSeries {
  /** STORE_SCHEMA_VERSION when written. */
  v: number;
  rows: Row[];
  covered: Interval[];
  firstAvailable?: number;
}

/** A store of closed bars by series key. Implementations evict the least recently used series past their size cap. */
export interface BarStore {
  /** The stored series, or undefined (never stored, evicted, or of another schema version). Throws when unreadable. */
  get(key: string): Promise<StoredSeries | undefined>;
  /** Replaces the stored series of a key. */
  put(key: string, value: StoredSeries): Promise<void>;
  /** Drops everything. */
  clear(): Promise<void>;
}

/** Thrown by a store whose content cannot be read back as StoredSeries. */
export class CorruptStoreError extends Error {}

/** Checks the shape of a record read back; throws CorruptStoreError naming what is wrong. */
export function checkStored(key: string, x: unknown): StoredSeries {
  const bad = (what: string) => new CorruptStoreError(`stored series ${key}: ${what}`);
  if (!x || typeof x !== 'object') {
    throw bad('not an object');
  }
  const r = x as Record<string, unknown>;
  if (!Array.isArray(r.rows) || !Array.isArray(r.covered)) {
    throw bad('rows or covered missing');
  }
  for (const row of r.rows) {
    if (
      !Array.isArray(row) ||
      row.length < 2 ||
      !row.every(
        (n, i) => (i === 2 && (n === undefined || n === null)) || (typeof n === 'number' && Number.isFinite(n))
      )
    ) {
      throw bad(`unreadable row ${JSON.stringify(row).slice(0, 60)}`);
    }
  }
  for (const iv of r.covered) {
    if (
      !Array.isArray(iv) ||
      iv.length !== 2 ||
      !iv.every((n) => typeof n === 'number' && Number.isFinite(n)) ||
      iv[0] >= iv[1]
    ) {
      throw bad(`unreadable range ${JSON.stringify(iv).slice(0, 60)}`);
    }
  }
  if (r.firstAvailable !== undefined && (typeof r.firstAvailable !== 'number' || !Number.isFinite(r.firstAvailable))) {
    throw bad('unreadable firstAvailable');
  }
  return {
    v: Number(r.v),
    rows: (r.rows as Row[]).map((row) =>
      row[2] === undefined || row[2] === null ? [row[0], row[1]] : [row[0], row[1], row[2]]
    ),
    covered: r.covered as Interval[],
    firstAvailable: r.firstAvailable as number | undefined,
  };
}

/** Approximate size of a record in bytes (its JSON length), for the size cap. */
export function recordBytes(value: StoredSeries): number {
  return JSON.stringify(value).length;
}
