/**
 * The CLI's store of closed bars: one JSON file per series in a folder (`--cache-dir`, default
 * `$XDG_CACHE_HOME/btc-flow` or `~/.cache/btc-flow`, one subfolder per base URL). It implements the exchange layer's
 * BarStore (src/exchanges/store.ts); it lives here, not in src/, because src/ goes into the browser bundle and does
 * no Node I/O. Files are written to a temporary name and renamed, so a killed process leaves the old file or the
 * new one, never half of one. The least recently used files (by modification time, touched on read) go first past
 * the size cap. A venue class's market list is one more file of the folder (`markets%7C<ccxt id>.json`), under the
 * same cap.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  BarStore,
  checkStored,
  checkStoredMarkets,
  CorruptStoreError,
  DEFAULT_STORE_MAX_BYTES,
  lruEvictions,
  MARKETS_SCHEMA_VERSION,
  marketsKey,
  STORE_SCHEMA_VERSION,
  StoredMarkets,
  StoredSeries,
} from '../src/exchanges/store';

/** The cache folder when none is given: `$XDG_CACHE_HOME/btc-flow`, else `$HOME/.cache/btc-flow`; none without either. */
export function defaultCacheDir(env: Record<string, string | undefined>): string | undefined {
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) {
    return path.join(env.XDG_CACHE_HOME, 'btc-flow');
  }
  if (env.HOME) {
    return path.join(env.HOME, '.cache', 'btc-flow');
  }
  return undefined;
}

/** Subfolder of a base URL (the real exchanges, the mock, a mirror): their bars never mix. */
export function cacheSubdir(baseUrl: string | undefined): string {
  return baseUrl ? encodeURIComponent(baseUrl.replace(/\/+$/, '')) : 'exchanges';
}

export class FileStore implements BarStore {
  constructor(
    readonly dir: string,
    readonly maxBytes: number = DEFAULT_STORE_MAX_BYTES
  ) {}

  private file(key: string): string {
    return path.join(this.dir, `${encodeURIComponent(key)}.json`);
  }

  get(key: string): Promise<StoredSeries | undefined> {
    return this.read(key, STORE_SCHEMA_VERSION, (x) => checkStored(key, x));
  }

  put(key: string, value: StoredSeries): Promise<void> {
    return this.write(key, value);
  }

  getMarkets(ccxtId: string): Promise<StoredMarkets | undefined> {
    return this.read(marketsKey(ccxtId), MARKETS_SCHEMA_VERSION, (x) => checkStoredMarkets(ccxtId, x));
  }

  putMarkets(ccxtId: string, value: StoredMarkets): Promise<void> {
    return this.write(marketsKey(ccxtId), value);
  }

  async deleteMarkets(ccxtId: string): Promise<void> {
    await fs.rm(this.file(marketsKey(ccxtId)), { force: true });
  }

  /** Reads a file: undefined when absent; deleted (undefined) when of another version; checked, and touched. */
  private async read<T>(key: string, version: number, check: (x: unknown) => T): Promise<T | undefined> {
    const file = this.file(key);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return undefined;
      }
      throw e;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new CorruptStoreError(`${file}: not JSON`);
    }
    if ((raw as { v?: unknown })?.v !== version) {
      await fs.rm(file, { force: true });
      return undefined;
    }
    const value = check(raw);
    const now = new Date();
    await fs.utimes(file, now, now); // recently used
    return value;
  }

  private async write(key: string, value: StoredSeries | StoredMarkets): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(value));
    await fs.rename(tmp, file);
    await this.evict(file);
  }

  private async evict(keep: string): Promise<void> {
    const names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.json'));
    const files = await Promise.all(
      names.map(async (n) => {
        const f = path.join(this.dir, n);
        const st = await fs.stat(f);
        return { key: f, bytes: st.size, usedAt: st.mtimeMs };
      })
    );
    for (const f of lruEvictions(files, this.maxBytes, keep)) {
      await fs.rm(f, { force: true });
    }
  }

  async clear(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
