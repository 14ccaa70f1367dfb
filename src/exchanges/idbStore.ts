/**
 * The browser's bar store: one IndexedDB database per data source uid and mirror URL (`btc-flow-cache|<uid>|<mirror>`),
 * with a store of series records and a small store of their sizes and last use, for the size cap (least recently
 * used series evicted first). Market lists are records of the same store under `markets|<ccxt id>` (same cap, same
 * least-recently-used eviction). Uses only the IndexedDB API (no Grafana, no Node), so jest runs it on fake-indexeddb.
 */
import {
  BarStore,
  checkStored,
  checkStoredMarkets,
  DEFAULT_STORE_MAX_BYTES,
  lruEvictions,
  MARKETS_SCHEMA_VERSION,
  marketsKey,
  recordBytes,
  STORE_SCHEMA_VERSION,
  StoredMarkets,
  StoredEntry,
  StoredSeries,
} from './store';

const SERIES = 'series';
const META = 'meta';

/** Size and last use of a stored record, kept beside it for the size cap. */
type MetaRecord = StoredEntry<string>;

/** Deletes a record and its meta in a read-write transaction on both object stores. */
function dropRecord(tx: IDBTransaction, key: string): void {
  tx.objectStore(SERIES).delete(key);
  tx.objectStore(META).delete(key);
}

/** Database name of a data source's store. */
export function barStoreName(uid: string, mirrorUrl: string | undefined): string {
  return `btc-flow-cache|${uid}|${mirrorUrl?.trim() || 'proxy'}`;
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export class IndexedDbStore implements BarStore {
  private opening: Promise<IDBDatabase> | undefined;

  constructor(
    readonly name: string,
    readonly maxBytes: number = DEFAULT_STORE_MAX_BYTES,
    private readonly idb: IDBFactory | undefined = typeof indexedDB === 'undefined' ? undefined : indexedDB,
    private readonly clock: () => number = () => Date.now()
  ) {}

  private db(): Promise<IDBDatabase> {
    if (!this.opening) {
      const idb = this.idb;
      if (!idb) {
        return Promise.reject(new Error('IndexedDB is not available in this browser'));
      }
      const p = new Promise<IDBDatabase>((resolve, reject) => {
        const open = idb.open(this.name, 1);
        open.onupgradeneeded = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains(SERIES)) {
            db.createObjectStore(SERIES, { keyPath: 'key' });
          }
          if (!db.objectStoreNames.contains(META)) {
            db.createObjectStore(META, { keyPath: 'key' });
          }
        };
        open.onsuccess = () => {
          const db = open.result;
          // another tab (or the config editor's "clear cache") deletes the database: let it
          db.onversionchange = () => {
            db.close();
            this.opening = undefined;
          };
          resolve(db);
        };
        open.onerror = () => reject(open.error ?? new Error('IndexedDB open failed'));
        open.onblocked = () => reject(new Error('IndexedDB open blocked'));
      });
      p.catch(() => {
        this.opening = undefined;
      });
      this.opening = p;
    }
    return this.opening;
  }

  async get(key: string): Promise<StoredSeries | undefined> {
    return this.read(key, STORE_SCHEMA_VERSION, (x) => checkStored(key, x));
  }

  getMarkets(ccxtId: string): Promise<StoredMarkets | undefined> {
    return this.read(marketsKey(ccxtId), MARKETS_SCHEMA_VERSION, (x) => checkStoredMarkets(ccxtId, x));
  }

  putMarkets(ccxtId: string, value: StoredMarkets): Promise<void> {
    return this.write(marketsKey(ccxtId), value);
  }

  async deleteMarkets(ccxtId: string): Promise<void> {
    const key = marketsKey(ccxtId);
    const db = await this.db();
    const tx = db.transaction([SERIES, META], 'readwrite');
    dropRecord(tx, key);
    await done(tx);
  }

  /** Reads a record: undefined when absent; deleted (undefined) when of another version; checked, and marked used. */
  private async read<T extends StoredSeries | StoredMarkets>(
    key: string,
    version: number,
    check: (x: unknown) => T
  ): Promise<T | undefined> {
    const db = await this.db();
    const tx = db.transaction([SERIES, META], 'readwrite');
    const raw = (await req(tx.objectStore(SERIES).get(key))) as { v?: unknown } | undefined;
    if (!raw) {
      await done(tx);
      return undefined;
    }
    if (raw.v !== version) {
      dropRecord(tx, key);
      await done(tx);
      return undefined;
    }
    const value = check(raw);
    const meta = (await req(tx.objectStore(META).get(key))) as MetaRecord | undefined;
    tx.objectStore(META).put({ key, bytes: meta?.bytes ?? recordBytes(value), usedAt: this.clock() });
    await done(tx);
    return value;
  }

  put(key: string, value: StoredSeries): Promise<void> {
    return this.write(key, value);
  }

  private async write(key: string, value: StoredSeries | StoredMarkets): Promise<void> {
    const db = await this.db();
    const bytes = recordBytes(value);
    const tx = db.transaction([SERIES, META], 'readwrite');
    tx.objectStore(SERIES).put({ ...value, key });
    tx.objectStore(META).put({ key, bytes, usedAt: this.clock() });
    await done(tx);
    await this.evict(key);
  }

  /** Deletes least recently used series until the store is within its cap (the series just written stays). */
  private async evict(keep: string): Promise<void> {
    const db = await this.db();
    const tx = db.transaction([SERIES, META], 'readwrite');
    const metas = (await req(tx.objectStore(META).getAll())) as MetaRecord[];
    for (const key of lruEvictions(metas, this.maxBytes, keep)) {
      dropRecord(tx, key);
    }
    await done(tx);
  }

  /** Keys of the stored series. */
  async keys(): Promise<string[]> {
    const db = await this.db();
    const tx = db.transaction([SERIES], 'readonly');
    const keys = (await req(tx.objectStore(SERIES).getAllKeys())) as IDBValidKey[];
    await done(tx);
    return keys.map(String);
  }

  /** Bytes stored and series count (for tests and the config page). */
  async usage(): Promise<{ bytes: number; series: number }> {
    const db = await this.db();
    const tx = db.transaction([META], 'readonly');
    const metas = (await req(tx.objectStore(META).getAll())) as MetaRecord[];
    await done(tx);
    return { bytes: metas.reduce((s, m) => s + m.bytes, 0), series: metas.length };
  }

  async clear(): Promise<void> {
    const open = this.opening;
    this.opening = undefined;
    if (open) {
      try {
        (await open).close();
      } catch {
        // never opened: nothing to close
      }
    }
    await deleteBarStore(this.name, this.idb);
  }
}

/** Deletes a store's database (the config editor's "clear cache"). Open connections close themselves first. */
export function deleteBarStore(
  name: string,
  idb: IDBFactory | undefined = typeof indexedDB === 'undefined' ? undefined : indexedDB
): Promise<void> {
  if (!idb) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const r = idb.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error ?? new Error('IndexedDB delete failed'));
  });
}
