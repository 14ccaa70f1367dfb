/** @jest-environment node */
/**
 * Stored market lists (issue 13, the reload proof): each venue class's loadMarkets result is kept in the persistent
 * store next to the closed bars. Against the mock exchange server, counted at its request log: a second session with
 * the same store asks for no market list and makes at most one request per series; a list older than the freshness
 * limit is loaded again; a corrupt list is deleted with a notice, never a failed fetch; a list that lacks the market a
 * request needs (a new listing) or names one the venue no longer serves (a delisting) is loaded again, once.
 */
import { IDBFactory } from 'fake-indexeddb';
import { startFrozenMock, stopFrozenMock } from '../../mock/frozen';
import type { MockServer } from '../../mock/server';
import { ExchangeContext } from './context';
import { fetchBundle } from './fetchBundle';
import { fetchSeries } from './fetchSeries';
import { IndexedDbStore } from './idbStore';
import { VENUES } from './registry';
import { DEFAULT_MARKETS_MAX_AGE_MS, MARKETS_SCHEMA_VERSION, marketsKey, type StoredMarkets } from './store';

jest.setTimeout(120_000);

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2025, 10, 20, 13, 30, 0);
const VENUE_IDS = ['coinbase', 'bitstamp', 'kraken', 'binanceusdm', 'bybit', 'okx', 'deribit', 'hyperliquid'];
const REQ = { asset: 'BTC', timeframe: '1d' as const, from: NOW - 200 * DAY, to: NOW, venues: VENUE_IDS };

let mock: MockServer;
beforeAll(async () => {
  mock = await startFrozenMock(NOW);
});
afterAll(async () => {
  await stopFrozenMock(mock);
});
beforeEach(() => {
  mock.setFaults([]);
  reset();
});

/** Market-list loads by venue id (the exchange layer's `markets` calls, retries included), since the last reset. */
let loads: Record<string, number> = {};
const session = (store: IndexedDbStore, now = NOW, extra: { marketsMaxAgeMs?: number } = {}) =>
  new ExchangeContext({
    baseUrl: mock.url,
    now: () => now,
    retries: 0,
    store,
    ...extra,
    onRequest: (e) => {
      if (e.what === 'markets') {
        loads[e.venue] = (loads[e.venue] ?? 0) + 1;
      }
    },
  });
/** Market-list HTTP requests in the mock's log (endpoint `markets`, `marketsInverse`), by venue. */
function marketRequests(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of mock.stats().log) {
    if (/^markets/.test(String(e.endpoint))) {
      out[e.venue!] = (out[e.venue!] ?? 0) + 1;
    }
  }
  return out;
}
const ccxtIds = [...new Set(VENUE_IDS.map((id) => VENUES.find((v) => v.id === id)!.ccxtId))];
const reset = () => {
  mock.resetStats();
  loads = {};
};

/**
 * A venue's BTC perp fetched once on an empty store (its market list stored); then that store, the list it holds,
 * and new sessions over it (a page reload).
 */
async function coldPerp(venue: string) {
  const idb = new IDBFactory();
  const req = { venue, kind: 'perp' as const, asset: 'BTC', timeframe: '1d' as const, from: NOW - 100 * DAY, to: NOW };
  const nextSession = () => session(new IndexedDbStore('db', 50e6, idb));
  const cold = await fetchSeries(req, nextSession());
  const store = new IndexedDbStore('db', 50e6, idb);
  return { req, cold, store, full: (await store.getMarkets(venue))!, nextSession };
}

describe('stored market lists', () => {
  it('a second session asks for no market list and makes at most one request per series, same values', async () => {
    const idb = new IDBFactory();
    const first = await fetchBundle(REQ, session(new IndexedDbStore('db', 50e6, idb)));
    expect(first.failed).toEqual([]);
    // every class loaded its list from the venue once
    expect(loads).toEqual(Object.fromEntries(VENUE_IDS.map((id) => [id, 1])));
    const keys = await new IndexedDbStore('db', 50e6, idb).keys();
    for (const id of ccxtIds) {
      expect(keys).toContain(marketsKey(id));
    }
    reset();
    const second = await fetchBundle(REQ, session(new IndexedDbStore('db', 50e6, idb)));
    expect(second.failed).toEqual([]);
    expect(loads).toEqual({});
    expect(marketRequests()).toEqual({});
    const nSeries = second.bundle.series.length;
    expect(nSeries).toBeGreaterThan(10);
    // every request of the mock's log counts (not only data endpoints)
    expect(mock.stats().total).toBeLessThanOrEqual(nSeries);
    expect(second.bundle).toEqual(first.bundle);
    expect(second.notices.filter((n) => /^cache: /.test(n.message))).toEqual([]);
  });

  it('stores only the markets the venues can pick, with their ids and the time of the load', async () => {
    const idb = new IDBFactory();
    await fetchBundle(
      { ...REQ, venues: ['bybit', 'bybit-inverse', 'kraken'] },
      session(new IndexedDbStore('db', 50e6, idb))
    );
    const store = new IndexedDbStore('db', 50e6, idb);
    const bybit = (await store.getMarkets('bybit'))!;
    expect(bybit.v).toBe(MARKETS_SCHEMA_VERSION);
    expect(bybit.savedAt).toBe(NOW);
    const symbols = bybit.markets.map((m) => m.symbol);
    expect(symbols).toContain('BTC/USDT:USDT'); // bybit linear
    expect(symbols).toContain('BTC/USD:BTC'); // bybit-inverse
    // every stored market is a perpetual swap of a quote one of the two venues allows
    expect(bybit.markets.every((m) => m.type === 'swap' && ['USDT', 'USDC', 'USD'].includes(m.quote))).toBe(true);
    const kraken = (await store.getMarkets('kraken'))!;
    expect(kraken.markets.map((m) => m.symbol)).toEqual(expect.arrayContaining(['BTC/USD', 'USDT/USD']));
    // kraken's own map of markets by altname (ccxt's marketHelperProps) is kept, cut to the same markets
    const byAlt = kraken.helpers.marketsByAltname as Record<string, { symbol: string }>;
    expect(
      Object.values(byAlt)
        .map((m) => m.symbol)
        .sort()
    ).toEqual(kraken.markets.map((m) => m.symbol).sort());
  });

  it('a list older than the freshness limit is loaded again from the venue, and stored anew', async () => {
    const idb = new IDBFactory();
    await fetchBundle({ ...REQ, venues: ['bybit', 'okx'] }, session(new IndexedDbStore('db', 50e6, idb)));
    const store = new IndexedDbStore('db', 50e6, idb);
    // bybit's list aged past the default limit (24 h) by one minute; okx's just inside it
    const bybit = (await store.getMarkets('bybit'))!;
    await store.putMarkets('bybit', { ...bybit, savedAt: NOW - DEFAULT_MARKETS_MAX_AGE_MS - 60_000 });
    const okx = (await store.getMarkets('okx'))!;
    await store.putMarkets('okx', { ...okx, savedAt: NOW - DEFAULT_MARKETS_MAX_AGE_MS + 60_000 });
    reset();
    const r = await fetchBundle({ ...REQ, venues: ['bybit', 'okx'] }, session(new IndexedDbStore('db', 50e6, idb)));
    expect(r.failed).toEqual([]);
    expect(loads).toEqual({ bybit: 1 });
    expect(Object.keys(marketRequests())).toEqual(['bybit']);
    expect((await store.getMarkets('bybit'))!.savedAt).toBe(NOW);
    // a shorter limit (option marketsMaxAgeMs) makes okx's 23-hour-old list stale too
    reset();
    await fetchBundle(
      { ...REQ, venues: ['bybit', 'okx'] },
      session(new IndexedDbStore('db', 50e6, idb), NOW, { marketsMaxAgeMs: HOUR })
    );
    expect(loads).toEqual({ okx: 1 });
    expect(Object.keys(marketRequests())).toEqual(['okx']);
    // a list from the future (another clock) is not trusted either
    await store.putMarkets('okx', { ...okx, savedAt: NOW + HOUR });
    reset();
    await fetchBundle({ ...REQ, venues: ['okx'] }, session(new IndexedDbStore('db', 50e6, idb)));
    expect(loads).toEqual({ okx: 1 });
    expect(Object.keys(marketRequests())).toEqual(['okx']);
  });

  it('a corrupt list is deleted with a notice; the fetch answers in full and the bars stay', async () => {
    const idb = new IDBFactory();
    const venues = ['bybit', 'okx'];
    const first = await fetchBundle({ ...REQ, venues }, session(new IndexedDbStore('db', 50e6, idb)));
    const store = new IndexedDbStore('db', 50e6, idb);
    const seriesKeys = (await store.keys()).filter((k) => !k.startsWith('markets|'));
    // a record of the right version whose markets are not market structures
    const bad = { v: MARKETS_SCHEMA_VERSION, savedAt: NOW, markets: [{ id: 5 }], helpers: {} };
    await store.putMarkets('bybit', bad as unknown as StoredMarkets);
    await expect(store.getMarkets('bybit')).rejects.toThrow(/stored market list bybit: unreadable market/);
    reset();
    const r = await fetchBundle({ ...REQ, venues }, session(new IndexedDbStore('db', 50e6, idb)));
    expect(r.failed).toEqual([]);
    expect(r.bundle).toEqual(first.bundle);
    const notice = r.notices.find((n) => /^cache: /.test(n.message));
    expect(notice?.level).toBe('warning');
    expect(notice?.message).toMatch(/stored market list of bybit could not be read .*deleted.*loaded from the venue/);
    expect(loads).toEqual({ bybit: 1 });
    expect(Object.keys(marketRequests())).toEqual(['bybit']);
    // the bars were not dropped with it (only bybit's list was), and the list was stored again, readable
    const keys = await store.keys();
    expect(seriesKeys.every((k) => keys.includes(k))).toBe(true);
    expect((await store.getMarkets('bybit'))!.markets.length).toBeGreaterThan(0);
    // a list of another schema version is dropped silently when read
    await store.putMarkets('okx', { ...(await store.getMarkets('okx'))!, v: MARKETS_SCHEMA_VERSION + 1 });
    expect(await store.getMarkets('okx')).toBeUndefined();
    expect(await store.keys()).not.toContain(marketsKey('okx'));
  });

  it('a stored list without the market asked for (a new listing) is loaded again, once', async () => {
    const { req, cold, store, full, nextSession } = await coldPerp('bybit');
    // the list as it was before BTC was listed
    await store.putMarkets('bybit', { ...full, markets: full.markets.filter((m) => m.base !== 'BTC') });
    reset();
    const warm = await fetchSeries(req, nextSession());
    expect(warm.series).toEqual(cold.series);
    expect(loads).toEqual({ bybit: 1 });
    expect(Object.keys(marketRequests())).toEqual(['bybit']);
    expect((await store.getMarkets('bybit'))!.markets.some((m) => m.base === 'BTC')).toBe(true);
    // an asset the venue does not list either: one refresh per session at most, then "lists no market"
    reset();
    await expect(fetchSeries({ ...req, asset: 'NOPE' }, nextSession())).rejects.toThrow(
      /bybit: lists no linear perpetual market for NOPE/
    );
    expect(loads).toEqual({ bybit: 1 });
    expect(Object.keys(marketRequests())).toEqual(['bybit']);
  });

  it('a request that reads no market (asset USDT, the quote of the others) reloads no stored list', async () => {
    const { req, nextSession } = await coldPerp('bybit');
    reset();
    await expect(fetchSeries({ ...req, asset: 'USDT' }, nextSession())).rejects.toThrow(/bybit/);
    expect(loads).toEqual({});
    expect(marketRequests()).toEqual({});
  });

  it('a stored market the venue no longer serves (a delisting) makes one reload of the list', async () => {
    const { req, cold, store, full, nextSession } = await coldPerp('binanceusdm');
    // the stored BTC market carries an id the venue does not know (as after a delisting and relisting)
    const renamed = full.markets.map((m) => (m.symbol === cold.symbol ? { ...m, id: 'BTCOLDUSDT' } : m));
    await store.putMarkets('binanceusdm', { ...full, markets: renamed });
    reset();
    const warm = await fetchSeries(req, nextSession());
    expect(warm.series).toEqual(cold.series);
    expect(loads).toEqual({ binanceusdm: 1 });
    expect(Object.keys(marketRequests())).toEqual(['binanceusdm']);
    // the refused id was asked once, then the one of the venue's list
    const klines = mock.stats().log.filter((e) => e.endpoint === 'klines');
    expect(klines[0].query.symbol).toBe('BTCOLDUSDT');
    expect(klines.slice(1).every((e) => e.query.symbol === 'BTCUSDT')).toBe(true);
  });
});
