/**
 * The persistent store of closed bars behind the in-memory cache: a small interface, so the exchange layer stays
 * free of I/O. The browser implementation is IndexedDB (idbStore.ts, per data source uid and mirror URL); the CLI's
 * is a folder of JSON files (cli/fileStore.ts, injected by the CLI: src/ does no Node I/O). Only what the memory
 * cache holds is stored: closed bars and settled funding points of ranges fetched whole, never the open bar, never
 * a malformed, empty or partial page. Every record carries the schema version; a record of another version is
 * dropped when read.
 *
 * The same store keeps each venue class's market list (ccxt's loadMarkets, i.e. the exchangeInfo / instruments
 * requests), under the key `markets|<ccxt id>`, with its own schema version and the time it was loaded: a list younger
 * than the freshness limit (default 24 h) is given to ccxt instead of asking the venue again.
 */
import type { Interval, Row } from './cache';
import type { CcxtMarket } from './ccxtLoader';

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

/** Version of the stored market-list layout; a list of another version is dropped when read. */
export const MARKETS_SCHEMA_VERSION = 1;

/**
 * The ccxt release whose market structures MARKETS_SCHEMA_VERSION describes. A stored list holds ccxt's own market
 * objects, so a ccxt upgrade must bump MARKETS_SCHEMA_VERSION (dropping lists written by the old release) and this
 * value together; store.test.ts fails until both are changed.
 */
export const MARKETS_CCXT_VERSION = '4.5.84';

/**
 * How long a stored market list is used before it is loaded again from the venue, ms (24 h). Listings change rarely
 * (a few new coins a week per venue), and a market the stored list lacks makes the exchange layer load the list again
 * at once, so a day-old list costs nothing but one refresh when it matters.
 */
export const DEFAULT_MARKETS_MAX_AGE_MS = 24 * 3_600_000;
/** Longest market-list age a user may set (the CLI, the data source), ms: 30 days; an older list misses listings for too long. */
export const MAX_MARKETS_MAX_AGE_MS = 720 * 3_600_000;

/** One venue class's stored market list. */
export interface StoredMarkets {
  /** MARKETS_SCHEMA_VERSION when written. */
  v: number;
  /** When the list was loaded from the venue (the exchange context's clock), UTC epoch ms. */
  savedAt: number;
  /** ccxt market structures as loadMarkets left them (only the markets the venues of this class can pick). */
  markets: CcxtMarket[];
  /** ccxt's helper state built while loading the markets (the options the class names in `marketHelperProps`). */
  helpers: Record<string, unknown>;
}

/** Store key of a venue class's market list (series keys start with a venue id; no venue is called "markets"). */
export function marketsKey(ccxtId: string): string {
  return `markets|${ccxtId}`;
}

/** A store of closed bars by series key. Implementations evict the least recently used series past their size cap. */
export interface BarStore {
  /** The stored series, or undefined (never stored, evicted, or of another schema version). Throws when unreadable. */
  get(key: string): Promise<StoredSeries | undefined>;
  /** Replaces the stored series of a key. */
  put(key: string, value: StoredSeries): Promise<void>;
  /** Drops everything. */
  clear(): Promise<void>;
  /**
   * The stored market list of a ccxt class, or undefined (never stored, evicted, or of another schema version, which
   * is deleted). Throws CorruptStoreError when the record cannot be read as StoredMarkets; other errors when the store
   * itself is unreadable.
   */
  getMarkets(ccxtId: string): Promise<StoredMarkets | undefined>;
  /** Replaces the stored market list of a ccxt class (counted in the size cap like a series). */
  putMarkets(ccxtId: string, value: StoredMarkets): Promise<void>;
  /** Deletes the stored market list of a ccxt class (a corrupt record). */
  deleteMarkets(ccxtId: string): Promise<void>;
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

/** Checks the shape of a market-list record read back; throws CorruptStoreError naming what is wrong. */
export function checkStoredMarkets(ccxtId: string, x: unknown): StoredMarkets {
  const bad = (what: string) => new CorruptStoreError(`stored market list ${ccxtId}: ${what}`);
  if (!x || typeof x !== 'object') {
    throw bad('not an object');
  }
  const r = x as Record<string, unknown>;
  if (typeof r.savedAt !== 'number' || !Number.isFinite(r.savedAt)) {
    throw bad('unreadable savedAt');
  }
  if (!Array.isArray(r.markets) || r.markets.length === 0) {
    throw bad('markets missing or empty');
  }
  for (const m of r.markets) {
    const ok =
      m &&
      typeof m === 'object' &&
      ['id', 'symbol', 'base', 'quote', 'type'].every((f) => typeof (m as Record<string, unknown>)[f] === 'string');
    if (!ok) {
      throw bad(`unreadable market ${JSON.stringify(m).slice(0, 60)}`);
    }
  }
  if (r.helpers !== undefined && (r.helpers === null || typeof r.helpers !== 'object' || Array.isArray(r.helpers))) {
    throw bad('unreadable helpers');
  }
  return {
    v: Number(r.v),
    savedAt: r.savedAt,
    markets: r.markets as CcxtMarket[],
    helpers: (r.helpers as Record<string, unknown> | undefined) ?? {},
  };
}

/** One stored record as the size cap sees it: its key, size in bytes and last use (any increasing clock). */
export interface StoredEntry<K> {
  key: K;
  bytes: number;
  usedAt: number;
}

/**
 * The records to delete so that the store fits `maxBytes`: the least recently used first, never `keep` (the record
 * just written). Both stores (IndexedDB, the CLI's folder) evict with it.
 */
export function lruEvictions<K>(entries: Array<StoredEntry<K>>, maxBytes: number, keep: K): K[] {
  let total = entries.reduce((s, e) => s + e.bytes, 0);
  const out: K[] = [];
  for (const e of [...entries].sort((a, b) => a.usedAt - b.usedAt)) {
    if (total <= maxBytes) {
      break;
    }
    if (e.key === keep) {
      continue;
    }
    out.push(e.key);
    total -= e.bytes;
  }
  return out;
}

/** Approximate size of a record in bytes (its JSON length), for the size cap. */
export function recordBytes(value: StoredSeries | StoredMarkets): number {
  return JSON.stringify(value).length;
}
