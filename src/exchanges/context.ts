/**
 * The exchange context: one per data source / CLI run. It owns one shared ccxt instance per ccxt class (so each
 * venue's throttle holds), loads each venue's markets once, retries transient failures, and holds the series cache.
 * With a persistent store, a venue class's market list younger than `marketsMaxAgeMs` comes from the store (handed
 * to ccxt with its own setMarkets, so no request is made); an older, missing or unreadable one is loaded from the
 * venue and stored. fetchSeries asks for one refresh when the stored list lacks the market it needs.
 */
import { BtcFlowInputError } from '../core/errors';
import { applyBaseUrl, BaseUrl, checkMirrorUrl, installPathEncoding } from './baseUrl';
import { CcxtExchange, CcxtMarket, loadCcxtClass } from './ccxtLoader';
import {
  classifyError,
  describeFailure,
  HttpClientError,
  MalformedPayloadError,
  parseRetryAfter,
  TransientHttpError,
  VenueError,
} from './errors';
import { CcxtId, VENUES, VenueSpec } from './registry';
import { Interval, SeriesCache } from './cache';
import {
  BarStore,
  CorruptStoreError,
  DEFAULT_MARKETS_MAX_AGE_MS,
  MARKETS_SCHEMA_VERSION,
  STORE_SCHEMA_VERSION,
  StoredMarkets,
  StoredSeries,
} from './store';
import { abortableSleep, AbortedError, isAborted, onAbort, SharedJobs, throwIfAborted } from './abort';

export interface ExchangeOptions {
  /** Where requests go: undefined = the real hosts; a prefix (`http://127.0.0.1:8788` → `<prefix>/<host>/...`); or host → base. */
  baseUrl?: BaseUrl;
  /** Per-request timeout, ms (default 10000). */
  timeoutMs?: number;
  /** Retries after the first attempt for 429 / 5xx / timeouts / network errors (default 3). */
  retries?: number;
  /** First backoff, ms; doubles per retry (default 500). A Retry-After header wins when longer. */
  backoffMs?: number;
  /** Longest wait honoured for one retry, ms (default 30000). */
  maxRetryWaitMs?: number;
  /** Cache size cap in points (default 500000, roughly 20 MB). */
  cacheMaxPoints?: number;
  /** ccxt's per-instance request throttle (default true). */
  enableRateLimit?: boolean;
  /** Clock (default Date.now), for the open bar. */
  now?: () => number;
  /**
   * Most HTTP requests in flight at once (default: no limit). The browser opens at most 6 connections to Grafana's
   * host; with the same limit here, waiting requests go out by priority (price candles first, then open interest,
   * then funding) instead of in arrival order, so the premium panels are not queued behind the funding pages.
   */
  maxConcurrent?: number;
  /** Persistent store of closed bars behind the memory cache (IndexedDB in the browser, files in the CLI). */
  store?: BarStore;
  /**
   * Age up to which a market list kept in the store is used instead of loading it from the venue, ms (default 24 h,
   * DEFAULT_MARKETS_MAX_AGE_MS; 0 = always load from the venue, the list is still stored).
   */
  marketsMaxAgeMs?: number;
  /** Called before every request attempt (e.g. CLI progress during long paged fetches). */
  onRequest?: (e: { venue: string; what: string; attempt: number }) => void;
}

/** Shortest per-request timeout accepted, ms: a venue under load needs about a second for a page (docs/venues.md). */
export const MIN_TIMEOUT_MS = 1000;

export const DEFAULT_EXCHANGE_OPTIONS = {
  timeoutMs: 10_000,
  retries: 3,
  backoffMs: 500,
  maxRetryWaitMs: 30_000,
  cacheMaxPoints: 500_000,
  enableRateLimit: true,
  marketsMaxAgeMs: DEFAULT_MARKETS_MAX_AGE_MS,
};

type Resolved = typeof DEFAULT_EXCHANGE_OPTIONS & {
  baseUrl?: BaseUrl;
  store?: BarStore;
  now: () => number;
  onRequest?: ExchangeOptions['onRequest'];
};

/** A class's market load: the instance once its markets are set, and where they came from once loaded. */
interface MarketLoad {
  p: Promise<CcxtExchange>;
  source?: 'store' | 'venue';
}

export class ExchangeContext {
  readonly options: Resolved;
  readonly cache: SeriesCache;
  /** In-flight fetchSeries calls and page ranges by request key (coalescing, counted per caller for cancellation). */
  readonly jobs = new SharedJobs();
  /** HTTP requests sent per ccxt class (attempts included). */
  readonly requestCounts: Record<string, number> = {};
  private readonly instances = new Map<CcxtId, Promise<CcxtExchange>>();
  /** The persistent store in use (dropped after a failure). */
  private store: BarStore | undefined;
  private readonly restores = new Map<string, Promise<void>>();
  private readonly writes = new Map<string, Promise<void>>();
  private storeNotices: string[] = [];
  private readonly maxConcurrent: number;
  private active = 0;
  private seq = 0;
  private readonly waiting: Array<{ priority: number; seq: number; start: () => void }> = [];
  /** Market loads per ccxt class. */
  private readonly marketLoads = new Map<CcxtId, MarketLoad>();

  constructor(options: ExchangeOptions = {}) {
    const o = { ...DEFAULT_EXCHANGE_OPTIONS };
    for (const k of Object.keys(DEFAULT_EXCHANGE_OPTIONS) as Array<keyof typeof DEFAULT_EXCHANGE_OPTIONS>) {
      const v = options[k];
      if (v !== undefined) {
        (o as Record<string, unknown>)[k] = v;
      }
    }
    for (const k of [
      'timeoutMs',
      'retries',
      'backoffMs',
      'maxRetryWaitMs',
      'cacheMaxPoints',
      'marketsMaxAgeMs',
    ] as const) {
      const v = o[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new BtcFlowInputError(
          k,
          `${k}: expected a number >= 0, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`
        );
      }
    }
    if (o.timeoutMs < MIN_TIMEOUT_MS) {
      throw new BtcFlowInputError(
        'timeoutMs',
        `timeoutMs: at least ${MIN_TIMEOUT_MS} ms (${MIN_TIMEOUT_MS / 1000} s), got ${o.timeoutMs}`
      );
    }
    const b = options.baseUrl;
    // a prefix is checked here, where it is used: http(s)://host[:port][/path], no user:password@
    const baseUrl = b === undefined || typeof b === 'function' ? b : checkMirrorUrl(b, 'baseUrl');
    this.options = {
      ...o,
      baseUrl,
      now: options.now ?? (() => Date.now()),
      onRequest: options.onRequest,
      store: options.store,
    };
    this.store = options.store;
    this.maxConcurrent = options.maxConcurrent && options.maxConcurrent > 0 ? options.maxConcurrent : Infinity;
    this.cache = new SeriesCache(this.options.cacheMaxPoints);
  }

  now(): number {
    return this.options.now();
  }

  /**
   * Loads a series' stored closed bars into the memory cache, once per key (callers of one key wait for the same
   * load). A store that cannot be read is dropped: cleared, not used again, and said in a notice.
   */
  restore(key: string): Promise<void> {
    const store = this.store;
    if (!store) {
      return Promise.resolve();
    }
    let p = this.restores.get(key);
    if (!p) {
      p = (async () => {
        try {
          const rec = await store.get(key);
          if (rec) {
            for (const iv of rec.covered) {
              this.cache.commit(key, rec.rows, iv, rec.firstAvailable);
            }
          }
        } catch (e) {
          await this.dropStore(store, e);
        }
      })();
      this.restores.set(key, p);
    }
    return p;
  }

  /** Writes a series' closed bars (as the memory cache holds them) to the store; writes of one key in order. */
  persist(key: string): Promise<void> {
    const store = this.store;
    const entry = this.cache.get(key);
    if (!store || !entry) {
      return Promise.resolve();
    }
    const value: StoredSeries = {
      v: STORE_SCHEMA_VERSION,
      rows: [...entry.rows.values()].sort((a, b) => a[0] - b[0]),
      covered: entry.covered.map((iv) => [iv[0], iv[1]] as Interval),
      firstAvailable: entry.firstAvailable,
    };
    const prev = this.writes.get(key) ?? Promise.resolve();
    const p = prev.then(() => store.put(key, value)).catch((e: unknown) => this.dropStore(store, e));
    this.writes.set(key, p);
    return p;
  }

  /**
   * Runs one HTTP request within the concurrency limit: at once when a slot is free, else when one frees, lower
   * `priority` first, then in arrival order. A request whose signal aborts while waiting leaves the queue.
   */
  async limit<T>(priority: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.active >= this.maxConcurrent) {
      await new Promise<void>((resolve, reject) => {
        const entry = {
          priority,
          seq: this.seq++,
          start: () => {
            off?.();
            this.active++;
            resolve();
          },
        };
        const off = signal
          ? onAbort(signal, () => {
              const i = this.waiting.indexOf(entry);
              if (i >= 0) {
                this.waiting.splice(i, 1);
              }
              reject(new AbortedError('request'));
            })
          : undefined;
        let i = this.waiting.findIndex((w) => w.priority > priority);
        if (i < 0) {
          i = this.waiting.length;
        }
        this.waiting.splice(i, 0, entry);
      });
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.start();
    }
  }

  /** Notices about the store since the last call (a dropped store), for the next series result. */
  takeStoreNotices(): string[] {
    const out = this.storeNotices;
    this.storeNotices = [];
    return out;
  }

  private async dropStore(store: BarStore, e: unknown): Promise<void> {
    if (this.store !== store) {
      return;
    }
    this.store = undefined;
    const why = e instanceof Error ? e.message : String(e);
    this.storeNotices.push(
      `cache: the stored bars could not be read or written (${why}); the store was cleared and the data is fetched from the venues`
    );
    try {
      await store.clear();
    } catch {
      // an unusable store may not even clear: it is not used again either way
    }
  }

  /** The shared ccxt instance of a class (created on first use, URLs rewritten, response hook installed). */
  instance(ccxtId: CcxtId): Promise<CcxtExchange> {
    let p = this.instances.get(ccxtId);
    if (!p) {
      p = this.createInstance(ccxtId);
      p.catch(() => this.instances.delete(ccxtId));
      this.instances.set(ccxtId, p);
    }
    return p;
  }

  private async createInstance(ccxtId: CcxtId): Promise<CcxtExchange> {
    const Cls = await loadCcxtClass(ccxtId);
    const types = [...new Set(VENUES.filter((v) => v.ccxtId === ccxtId).flatMap((v) => v.fetchMarketsTypes ?? []))];
    const ex = new Cls({ enableRateLimit: this.options.enableRateLimit, timeout: this.options.timeoutMs });
    if (types.length) {
      const cur = ex.options.fetchMarkets;
      ex.options.fetchMarkets = { ...(cur && typeof cur === 'object' ? cur : {}), types };
    }
    // Currencies are not needed for market data; skipping them saves requests (some need API keys anyway).
    ex.has.fetchCurrencies = false;
    if (this.options.baseUrl !== undefined) {
      applyBaseUrl(ex, this.options.baseUrl);
    }
    // market ids and other values filled into URL paths are percent-encoded (they come from the venue's answer)
    installPathEncoding(ex);
    this.installHook(ex, ccxtId);
    return ex;
  }

  /** Counts requests, turns 429/5xx into TransientHttpError (with Retry-After) and non-JSON 2xx into MalformedPayloadError. */
  private installHook(ex: CcxtExchange, ccxtId: CcxtId): void {
    const original = ex.handleErrors.bind(ex);
    ex.handleErrors = (
      code: number,
      reason: string,
      url: string,
      method: string,
      headers: Record<string, string>,
      body: string,
      response: unknown,
      ...rest: unknown[]
    ) => {
      this.requestCounts[ccxtId] = (this.requestCounts[ccxtId] ?? 0) + 1;
      if (code === 429 || code >= 500) {
        const ra = headers ? (headers['Retry-After'] ?? headers['retry-after']) : undefined;
        throw new TransientHttpError(code, url.replace(/\?.*$/, ''), parseRetryAfter(ra));
      }
      if (code >= 200 && code < 300 && (response === undefined || response === null)) {
        throw new MalformedPayloadError(`answer from ${url.replace(/\?.*$/, '')} is not JSON`);
      }
      const handled = original(code, reason, url, method, headers, body, response, ...rest);
      if (code >= 400) {
        // the venue's own handler did not recognise it: a plain client error, not worth retrying
        throw new HttpClientError(code, url.replace(/\?.*$/, ''), typeof body === 'string' ? body : '');
      }
      return handled;
    };
  }

  /**
   * The instance for a venue with its markets loaded, once per class (a failed load is retried next time): from the
   * store when it keeps a list younger than marketsMaxAgeMs, else from the venue (then stored). `refresh`: load from
   * the venue when the current list came from the store (once; a list already loaded from the venue is kept).
   */
  markets(venue: VenueSpec, refresh = false): Promise<CcxtExchange> {
    const id = venue.ccxtId;
    const cur = this.marketLoads.get(id);
    if (cur && !(refresh && cur.source === 'store')) {
      return cur.p;
    }
    // `source` is set when the load ends, for marketsAreStored; `p` right below
    const entry = {} as MarketLoad;
    entry.p = (async () => {
      const ex = await this.instance(id);
      if (!refresh && (await this.marketsFromStore(ex, venue))) {
        entry.source = 'store';
        return ex;
      }
      // reload = true: after a failed load ccxt would hand back the same rejected promise
      await this.call(venue.id, 'markets', () => ex.loadMarkets(true));
      if (!ex.markets || Object.keys(ex.markets).length === 0) {
        throw new VenueError(venue.id, 'empty', 'market list is empty');
      }
      entry.source = 'venue';
      await this.persistMarkets(ex, id);
      return ex;
    })();
    entry.p.catch(() => {
      if (this.marketLoads.get(id) === entry) {
        this.marketLoads.delete(id);
      }
    });
    this.marketLoads.set(id, entry);
    return entry.p;
  }

  /** True when the class's market list in use came from the store (not loaded from the venue by this context). */
  marketsAreStored(venue: VenueSpec): boolean {
    return this.marketLoads.get(venue.ccxtId)?.source === 'store';
  }

  /**
   * Gives ccxt the stored market list of a class when there is one younger than marketsMaxAgeMs (by the context's
   * clock; a list from the future is not trusted either). ccxt's setMarkets builds its indexes from it, and its own
   * loadMarkets() then answers from memory. A record that cannot be read is deleted with a notice.
   */
  private async marketsFromStore(ex: CcxtExchange, venue: VenueSpec): Promise<boolean> {
    const store = this.store;
    if (!store) {
      return false;
    }
    const id = venue.ccxtId;
    let rec: StoredMarkets | undefined;
    try {
      rec = await store.getMarkets(id);
    } catch (e) {
      await this.dropMarkets(store, id, e);
      return false;
    }
    if (!rec) {
      return false;
    }
    const age = this.now() - rec.savedAt;
    if (!(age >= 0 && age < this.options.marketsMaxAgeMs)) {
      return false;
    }
    try {
      for (const k of helperPropNames(ex)) {
        if (k in rec.helpers) {
          ex.options[k] = rec.helpers[k];
        }
      }
      ex.setMarkets(rec.markets);
    } catch (e) {
      ex.markets = undefined;
      ex.markets_by_id = undefined;
      await this.dropMarkets(store, id, new CorruptStoreError(e instanceof Error ? e.message : String(e)));
      return false;
    }
    return !!ex.markets && Object.keys(ex.markets).length > 0;
  }

  /**
   * Stores the markets of a class just loaded from the venue: only those a venue of the class can pick (its family,
   * either contract side, its fx symbol), so a venue's thousands of other listings are not kept; ccxt's helper state
   * (`marketHelperProps`) too, its maps of markets cut to the same markets.
   */
  private async persistMarkets(ex: CcxtExchange, id: CcxtId): Promise<void> {
    const store = this.store;
    if (!store || !ex.markets) {
      return;
    }
    const venues = VENUES.filter((v) => v.ccxtId === id);
    const markets = Object.values(ex.markets).filter((m) =>
      venues.some((v) => marketSides(v).some((side) => marketMatches(m, v, side)) || m.symbol === v.fx?.symbol)
    );
    if (!markets.length) {
      return;
    }
    const kept = new Set(markets.map((m) => m.symbol));
    const helpers: Record<string, unknown> = {};
    for (const k of helperPropNames(ex)) {
      const v: unknown = ex.options[k];
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        // a map whose values are markets (kraken's marketsByAltname) keeps the stored markets only
        helpers[k] = Object.fromEntries(
          Object.entries(v as Record<string, unknown>).filter(([, x]) => {
            const sym = (x as { symbol?: unknown } | null)?.symbol;
            return typeof sym !== 'string' || !(x as { id?: unknown }).id || kept.has(sym);
          })
        );
      } else if (v !== undefined) {
        helpers[k] = v;
      }
    }
    const value: StoredMarkets = { v: MARKETS_SCHEMA_VERSION, savedAt: this.now(), markets, helpers };
    try {
      // through JSON: the store gets plain data (ccxt's structures may hold undefined and shared objects)
      await store.putMarkets(id, JSON.parse(JSON.stringify(value)) as StoredMarkets);
    } catch (e) {
      await this.dropStore(store, e);
    }
  }

  /** A market list that cannot be read: deleted, with a notice (an unreadable store is dropped whole, as for bars). */
  private async dropMarkets(store: BarStore, id: CcxtId, e: unknown): Promise<void> {
    if (!(e instanceof CorruptStoreError)) {
      await this.dropStore(store, e);
      return;
    }
    this.storeNotices.push(
      `cache: the stored market list of ${id} could not be read (${e.message}); it was deleted and the list is loaded from the venue`
    );
    try {
      await store.deleteMarkets(id);
    } catch (e2) {
      await this.dropStore(store, e2);
    }
  }

  /**
   * Runs one request with retries: 429, 5xx, timeouts and network errors are retried up to `retries` times with
   * exponential backoff (backoffMs × 2^n), waiting at least what Retry-After asks (capped at maxRetryWaitMs).
   * Anything else, or the last failure, becomes a VenueError with a readable message. Once `signal` aborts no new
   * attempt starts, a backoff wait ends at once, and the call rejects with an AbortedError (never retried).
   */
  async call<T>(venueId: string, what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { retries, backoffMs, maxRetryWaitMs, timeoutMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal, `${venueId} ${what}`);
      try {
        this.options.onRequest?.({ venue: venueId, what, attempt });
        return await fn();
      } catch (e) {
        if (isAborted(e) || signal?.aborted) {
          throw isAborted(e) ? e : new AbortedError(`${venueId} ${what}`);
        }
        const c = classifyError(e);
        if (e instanceof VenueError) {
          throw e;
        }
        if (!c.retryable || attempt >= retries) {
          throw new VenueError(venueId, c.kind, `${what}: ${describeFailure(c, attempt + 1, timeoutMs)}`, attempt + 1);
        }
        const wait = Math.min(maxRetryWaitMs, Math.max(c.retryAfterMs ?? 0, backoffMs * 2 ** attempt));
        await abortableSleep(wait, signal);
      }
    }
  }
}

/**
 * Finds the market of `asset` for a venue: a market of the venue's family (spot; or a perpetual of its contract side,
 * then of its fallback side) with the asset as ccxt base code, the first of the venue's quote preferences winning.
 */
export function resolveMarket(ex: CcxtExchange, venue: VenueSpec, asset: string): CcxtMarket | undefined {
  const markets = Object.values(ex.markets ?? {});
  for (const side of marketSides(venue)) {
    const all = markets.filter((m) => m.base === asset && marketMatches(m, venue, side));
    // ids come from the venue's answer and go into URL paths: one that does not look like the venue's ids is refused
    const candidates = all.filter((m) => typeof m.id === 'string' && venue.idPattern.test(m.id));
    if (all.length && !candidates.length) {
      throw new VenueError(
        venue.id,
        'malformed',
        `refused market id ${JSON.stringify(String(all[0].id)).slice(0, 80)} for ${asset}: it does not match the venue's id pattern ${venue.idPattern}`
      );
    }
    if (candidates.length) {
      const rank = (m: CcxtMarket) => {
        const q = venue.quotes.indexOf(m.quote);
        return q < 0 ? 99 : q;
      };
      candidates.sort((a, b) => rank(a) - rank(b) || a.symbol.localeCompare(b.symbol));
      return candidates[0];
    }
  }
  return undefined;
}

/** The contract sides a venue's market may be of, in order of preference (its side, then its fallback; spot: none). */
function marketSides(venue: VenueSpec): Array<'linear' | 'inverse' | undefined> {
  return venue.contract ? [venue.contract, ...(venue.contractFallback ? [venue.contractFallback] : [])] : [undefined];
}

/** ccxt's names of the helper maps it derives from a market list (`options.marketHelperProps`). */
function helperPropNames(ex: CcxtExchange): string[] {
  const props: unknown = ex.options.marketHelperProps;
  return Array.isArray(props) ? props.filter((k): k is string => typeof k === 'string') : [];
}

/** True when a market is of the venue's family: spot, or a swap of the given contract side with an allowed quote. */
export function marketMatches(
  m: CcxtMarket,
  venue: VenueSpec,
  side: 'linear' | 'inverse' | undefined = venue.contract
): boolean {
  if (m.active === false) {
    return false;
  }
  if (venue.marketType === 'spot') {
    return m.type === 'spot' && venue.quotes.includes(m.quote);
  }
  if (m.type !== 'swap') {
    return false;
  }
  if (side === 'inverse' ? m.inverse !== true : m.linear !== true) {
    return false;
  }
  return venue.quotes.includes(m.quote);
}
