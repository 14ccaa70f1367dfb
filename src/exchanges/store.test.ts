/** @jest-environment node */
/**
 * The persistent store of closed bars: the IndexedDB implementation (on fake-indexeddb) and the exchange layer
 * behind it, against the mock exchange server. A second session with the same store makes at most one request per
 * series (the open bar) and gives the same values; failed pages are never stored; a corrupt store is dropped with a
 * notice, never a failed fetch.
 */
import { readFileSync } from 'fs';
import path from 'path';
import { IDBFactory } from 'fake-indexeddb';
import { startFrozenMock, stopFrozenMock } from '../../mock/frozen';
import type { MockServer } from '../../mock/server';
import { DATA_ENDPOINTS } from '../../mock/stats';
import type { Row } from './cache';
import { ExchangeContext } from './context';
import { fetchBundle } from './fetchBundle';
import { barStoreName, IndexedDbStore } from './idbStore';
import { lruEvictions, MARKETS_CCXT_VERSION, recordBytes, STORE_SCHEMA_VERSION, type StoredSeries } from './store';

jest.setTimeout(120_000);

const DAY = 86_400_000;
const series = (rows: Row[], covered: Array<[number, number]>): StoredSeries => ({
  v: STORE_SCHEMA_VERSION,
  rows,
  covered,
});

/** Writes a raw record straight into the store's database (as an older version, or damaged, would have). */
async function writeRaw(idb: IDBFactory, name: string, record: Record<string, unknown>): Promise<void> {
  // open once through the store so the object stores exist
  await new IndexedDbStore(name, 1e9, idb).get('__init__');
  await new Promise<void>((resolve, reject) => {
    const open = idb.open(name, 1);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(['series', 'meta'], 'readwrite');
      tx.objectStore('series').put(record);
      tx.objectStore('meta').put({ key: record.key, bytes: 100, usedAt: 0 });
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  });
}

describe('IndexedDbStore', () => {
  it('one database per data source uid and mirror URL', () => {
    expect(barStoreName('abc', undefined)).toBe('btc-flow-cache|abc|proxy');
    expect(barStoreName('abc', ' http://mirror:8788 ')).toBe('btc-flow-cache|abc|http://mirror:8788');
    expect(barStoreName('abc', 'http://a')).not.toBe(barStoreName('abd', 'http://a'));
  });

  it('stores and reads back a series; survives a new connection (a reload)', async () => {
    const idb = new IDBFactory();
    const value = series(
      [
        [1000, 1.5, 20],
        [2000, 2.5],
      ],
      [[1000, 3000]]
    );
    await new IndexedDbStore('s', 1e6, idb).put('k', value);
    expect(await new IndexedDbStore('s', 1e6, idb).get('k')).toEqual(value);
    expect(await new IndexedDbStore('s', 1e6, idb).get('other')).toBeUndefined();
  });

  it('a record of another schema version is dropped when read', async () => {
    const idb = new IDBFactory();
    await writeRaw(idb, 's', { key: 'old', v: STORE_SCHEMA_VERSION + 1, rows: [[1, 2]], covered: [[1, 2]] });
    const store = new IndexedDbStore('s', 1e6, idb);
    expect(await store.get('old')).toBeUndefined();
    expect((await store.usage()).series).toBe(0);
  });

  it('past its size cap it evicts the least recently used series', async () => {
    const idb = new IDBFactory();
    let t = 0;
    const v = (n: number) =>
      series(
        Array.from({ length: 50 }, (_, i) => [n * 1e6 + i, i] as Row),
        [[n * 1e6, n * 1e6 + 50]]
      );
    const size = recordBytes(v(1));
    // room for two records, not three
    const store = new IndexedDbStore('s', Math.floor(size * 2.5), idb, () => ++t);
    await store.put('a', v(1));
    await store.put('b', v(2));
    expect(await store.get('a')).toEqual(v(1)); // a is now more recently used than b
    await store.put('c', v(3));
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toEqual(v(1));
    expect(await store.get('c')).toEqual(v(3));
    expect((await store.usage()).bytes).toBeLessThanOrEqual(Math.floor(size * 2.5));
  });

  it('clear() drops everything', async () => {
    const idb = new IDBFactory();
    const store = new IndexedDbStore('s', 1e6, idb);
    await store.put('k', series([[1, 1]], [[1, 2]]));
    await store.clear();
    expect(await new IndexedDbStore('s', 1e6, idb).get('k')).toBeUndefined();
  });
});

describe('the exchange layer over a persistent store (mock exchange server)', () => {
  const NOW = Date.UTC(2025, 10, 20, 13, 30, 0);
  const REQ = {
    asset: 'BTC',
    timeframe: '1d' as const,
    from: NOW - 200 * DAY,
    to: NOW,
    venues: ['coinbase', 'bitstamp', 'binanceusdm', 'bybit', 'okx'],
  };
  /** Long enough that every series needs several pages. */
  const LONG = { ...REQ, from: NOW - 1500 * DAY };
  let mock: MockServer;
  beforeAll(async () => {
    mock = await startFrozenMock(NOW);
  });
  afterAll(async () => {
    await stopFrozenMock(mock);
  });
  beforeEach(async () => {
    mock.setFaults([]);
    mock.resetStats();
  });
  const session = (store: IndexedDbStore) =>
    new ExchangeContext({ baseUrl: mock.url, now: () => NOW, retries: 0, store });
  const dataRequests = () => mock.stats().log.filter((e) => DATA_ENDPOINTS.has(String(e.endpoint)));

  it('a second session makes at most one request per series (the open bar), with the same values', async () => {
    const idb = new IDBFactory();
    const first = await fetchBundle(REQ, session(new IndexedDbStore('db', 50e6, idb)));
    expect(first.failed).toEqual([]);
    const cold = dataRequests().length;
    mock.resetStats();
    const second = await fetchBundle(REQ, session(new IndexedDbStore('db', 50e6, idb)));
    const warm = dataRequests();
    const nSeries = second.bundle.series.length;
    expect(cold).toBeGreaterThan(nSeries); // the first session paged through history
    expect(warm.length).toBeLessThanOrEqual(nSeries);
    // per series at most one: no venue × endpoint × symbol asked twice
    const perSeries = new Map<string, number>();
    for (const e of warm) {
      const k = `${e.venue}|${e.endpoint}|${JSON.stringify(Object.entries(e.query).filter(([q]) => /symbol|instId|pair|product|category/i.test(q)))}`;
      perSeries.set(k, (perSeries.get(k) ?? 0) + 1);
    }
    expect([...perSeries.values()].every((n) => n === 1)).toBe(true);
    expect(second.bundle).toEqual(first.bundle);
    expect(second.notices.filter((n) => /^cache: /.test(n.message))).toEqual([]);
  });

  it('a series whose page failed is not stored; the next session fetches it in full', async () => {
    const idb = new IDBFactory();
    mock.setFaults([{ venue: 'bybit', endpoint: 'klines', type: 'malformed' }]);
    const first = await fetchBundle({ ...LONG, kinds: ['perp'] }, session(new IndexedDbStore('db', 50e6, idb)));
    expect(first.failed.map((f) => f.venue)).toEqual(['bybit']);
    const keys = await new IndexedDbStore('db', 50e6, idb).keys();
    expect(keys.some((k) => k.startsWith('bybit|'))).toBe(false);
    expect(keys.some((k) => k.startsWith('okx|perp|'))).toBe(true);
    mock.setFaults([]);
    mock.resetStats();
    const second = await fetchBundle({ ...LONG, kinds: ['perp'] }, session(new IndexedDbStore('db', 50e6, idb)));
    expect(second.failed).toEqual([]);
    const bybit = dataRequests().filter((e) => e.venue === 'bybit').length;
    const okx = dataRequests().filter((e) => e.venue === 'okx').length;
    expect(bybit).toBeGreaterThan(1); // paged in full (1500 days: more than one page)
    expect(okx).toBeLessThanOrEqual(1); // the open bar
  });

  it('a corrupt store is dropped with a notice; the fetch still answers in full', async () => {
    const idb = new IDBFactory();
    const first = await fetchBundle(
      { ...LONG, kinds: ['perp'], venues: ['bybit'] },
      session(new IndexedDbStore('db', 50e6, idb))
    );
    const [key] = await new IndexedDbStore('db', 50e6, idb).keys();
    await writeRaw(idb, 'db', { key, v: STORE_SCHEMA_VERSION, rows: [['x', null]], covered: 'nonsense' });
    mock.resetStats();
    const r = await fetchBundle(
      { ...LONG, kinds: ['perp'], venues: ['bybit'] },
      session(new IndexedDbStore('db', 50e6, idb))
    );
    expect(r.failed).toEqual([]);
    expect(r.bundle.series).toEqual(first.bundle.series);
    const notice = r.notices.find((n) => /^cache: /.test(n.message));
    expect(notice?.level).toBe('warning');
    expect(notice?.message).toMatch(/could not be read or written.*store was cleared/);
    expect(dataRequests().length).toBeGreaterThan(1); // fetched again from the venue
    expect(await new IndexedDbStore('db', 50e6, idb).keys()).toEqual([]); // dropped
  });
});

describe('stored market lists and the ccxt release', () => {
  it('are tied to the installed ccxt: upgrading ccxt means bumping MARKETS_SCHEMA_VERSION and MARKETS_CCXT_VERSION', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../node_modules/ccxt/package.json'), 'utf8')) as {
      version: string;
    };
    expect(MARKETS_CCXT_VERSION).toBe(pkg.version);
  });
});

describe('lruEvictions', () => {
  const entries = [
    { key: 'a', bytes: 40, usedAt: 3 },
    { key: 'b', bytes: 30, usedAt: 1 },
    { key: 'c', bytes: 20, usedAt: 2 },
    { key: 'd', bytes: 10, usedAt: 4 },
  ];
  it('deletes the least recently used until the total fits, never the record just written', () => {
    // total 100: within 100 nothing goes; to fit 60, b (30, oldest) then c (20) go: 100 - 50 = 50
    expect(lruEvictions(entries, 100, 'd')).toEqual([]);
    expect(lruEvictions(entries, 60, 'd')).toEqual(['b', 'c']);
    // b is kept: c (20) and a (40) go, 100 - 60 = 40 <= 45
    expect(lruEvictions(entries, 45, 'b')).toEqual(['c', 'a']);
    // the kept record alone exceeds the cap: everything else goes
    expect(lruEvictions(entries, 5, 'a')).toEqual(['b', 'c', 'd']);
    expect(entries.map((e) => e.key)).toEqual(['a', 'b', 'c', 'd']); // the input is not reordered
  });
});
