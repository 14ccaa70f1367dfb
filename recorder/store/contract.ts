/**
 * The one contract suite every recorder store backend must pass (SQLite in sqlite.test.ts; PostgreSQL later).
 * Call `storeContract(name, factory)` from a jest test file: `factory()` returns a fresh, empty store; the optional
 * `reopen(store)` closes it and opens the same database again (persistence). Expected values are written out by hand.
 */
import type { RecorderStore, SeriesKey } from './types';

export interface StoreContractOptions {
  /** Closes `store` and opens the same database again. Skips the persistence test when absent. */
  reopen?: (store: RecorderStore) => Promise<RecorderStore>;
  /** Latest schema version the backend should report. */
  schemaVersion?: number;
}

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const K: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'perp', timeframe: '1h' };
const OI: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1h' };
const F: SeriesKey = { asset: 'BTC', venue: 'binanceusdm', kind: 'funding', timeframe: '*' };
const E: SeriesKey = { asset: 'ETH', venue: 'coinbase', kind: 'spot', timeframe: '1d' };

export function storeContract(
  name: string,
  factory: () => Promise<RecorderStore>,
  options: StoreContractOptions = {}
): void {
  describe(`recorder store contract: ${name}`, () => {
    let store: RecorderStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty, at the latest schema version', async () => {
      expect(await store.listSeries()).toEqual([]);
      const v = await store.schemaVersion();
      expect(v).toBeGreaterThanOrEqual(1);
      if (options.schemaVersion !== undefined) {
        expect(v).toBe(options.schemaVersion);
      }
      expect(await store.readPoints(K, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
      expect(await store.seriesMeta(K)).toBeNull();
    });

    it('writes and reads points sorted, with volume, source, write time, on [from, to)', async () => {
      const n = await store.write(
        [
          {
            key: K,
            meta: { quote: 'USDT', symbol: 'BTC/USDT:USDT' },
            source: 'rest',
            points: [
              { ts: T0 + 2 * H, value: 102, volume: 2000 },
              { ts: T0, value: 100, volume: 1000 },
              { ts: T0 + H, value: 101.5 },
            ],
          },
        ],
        1234
      );
      expect(n).toBe(3);
      const all = await store.readPoints(K, T0, T0 + 3 * H);
      expect(all.map((p) => [p.ts, p.value, p.volume])).toEqual([
        [T0, 100, 1000],
        [T0 + H, 101.5, null],
        [T0 + 2 * H, 102, 2000],
      ]);
      expect(all.every((p) => p.source === 'rest' && p.writtenAt === 1234 && !p.open && p.archiveValue === null)).toBe(
        true
      );
      // from inclusive, to exclusive
      expect((await store.readPoints(K, T0 + H, T0 + 2 * H)).map((p) => p.ts)).toEqual([T0 + H]);
      expect(await store.countPoints(K, T0 + H, T0 + 3 * H)).toBe(2);
      expect(await store.readValues(K, T0, T0 + 2 * H)).toEqual([
        [T0, 100, 1000],
        [T0 + H, 101.5, null],
      ]);
      expect(await store.seriesMeta(K)).toEqual({ quote: 'USDT', symbol: 'BTC/USDT:USDT' });
      // another series is separate
      expect(await store.readPoints(OI, 0, T0 + 10 * H)).toEqual([]);
    });

    it('re-writing the same points changes nothing, not even the write time', async () => {
      const pts = [
        { ts: T0, value: 10 },
        { ts: T0 + H, value: 11 },
      ];
      expect(await store.write([{ key: OI, meta: { unit: 'base' }, source: 'rest', points: pts }], 1000)).toBe(2);
      expect(await store.write([{ key: OI, meta: { unit: 'base' }, source: 'rest', points: pts }], 2000)).toBe(0);
      const got = await store.readPoints(OI, 0, T0 + 2 * H);
      expect(got.map((p) => p.writtenAt)).toEqual([1000, 1000]);
      // a changed value is an update, with the new write time
      expect(await store.write([{ key: OI, source: 'rest', points: [{ ts: T0 + H, value: 12 }] }], 3000)).toBe(1);
      const after = await store.readPoints(OI, 0, T0 + 2 * H);
      expect(after.map((p) => [p.value, p.writtenAt])).toEqual([
        [10, 1000],
        [12, 3000],
      ]);
      expect(await store.seriesMeta(OI)).toEqual({ unit: 'base' });
    });

    it('REST wins over the archive either way round, and the archive value is kept for the overlap', async () => {
      // archive first, then REST
      await store.write([{ key: OI, source: 'archive', points: [{ ts: T0, value: 100 }] }], 1);
      await store.write([{ key: OI, source: 'rest', points: [{ ts: T0, value: 104 }] }], 2);
      // REST first, then archive
      await store.write([{ key: OI, source: 'rest', points: [{ ts: T0 + H, value: 200 }] }], 3);
      expect(await store.write([{ key: OI, source: 'archive', points: [{ ts: T0 + H, value: 190 }] }], 4)).toBe(1);
      // the same archive value again changes nothing
      expect(await store.write([{ key: OI, source: 'archive', points: [{ ts: T0 + H, value: 190 }] }], 5)).toBe(0);
      // archive alone, then a newer archive value replaces it
      await store.write([{ key: OI, source: 'archive', points: [{ ts: T0 + 2 * H, value: 300 }] }], 6);
      await store.write([{ key: OI, source: 'archive', points: [{ ts: T0 + 2 * H, value: 301 }] }], 7);
      const got = await store.readPoints(OI, 0, T0 + 3 * H);
      expect(got.map((p) => [p.value, p.source, p.archiveValue])).toEqual([
        [104, 'rest', 100],
        [200, 'rest', 190],
        [301, 'archive', null],
      ]);
      const st = await store.seriesStats(OI, H);
      expect(st.overlapPoints).toBe(2);
      // |104 - 100| / 104 = 0.03846..., |200 - 190| / 200 = 0.05
      expect(st.maxOverlapRelDiff).toBeCloseTo(0.05, 12);
      expect(st.bySource).toEqual({ rest: 2, archive: 1, import: 0 });
    });

    it('large batches (many rows per statement) keep the same rules', async () => {
      const rest = Array.from({ length: 100 }, (_, i) => ({ ts: T0 + i * H, value: 1000 + i, volume: i }));
      expect(await store.write([{ key: K, source: 'rest', points: rest }], 1)).toBe(100);
      expect(await store.write([{ key: K, source: 'rest', points: rest }], 2)).toBe(0);
      // archive over hours 50..149: 50 beside REST points (recorded, value kept), 50 new
      const arch = Array.from({ length: 100 }, (_, i) => ({ ts: T0 + (50 + i) * H, value: 5000 + i }));
      expect(await store.write([{ key: K, source: 'archive', points: arch }], 3)).toBe(100);
      const got = await store.readPoints(K, 0, T0 + 200 * H);
      expect(got).toHaveLength(150);
      expect([got[49].value, got[49].source, got[49].archiveValue]).toEqual([1049, 'rest', null]);
      expect([got[50].value, got[50].source, got[50].archiveValue, got[50].writtenAt]).toEqual([1050, 'rest', 5000, 3]);
      expect([got[99].value, got[99].archiveValue]).toEqual([1099, 5049]);
      expect([got[100].value, got[100].source, got[100].volume]).toEqual([5050, 'archive', null]);
      expect([got[149].value, got[149].source]).toEqual([5099, 'archive']);
      expect((await store.seriesStats(K, H)).bySource).toEqual({ rest: 100, archive: 50, import: 0 });
    });

    it('import overwrites REST; the archive never overwrites an import', async () => {
      await store.write([{ key: K, source: 'rest', points: [{ ts: T0, value: 1 }] }], 1);
      await store.write([{ key: K, source: 'import', points: [{ ts: T0, value: 2 }] }], 2);
      await store.write([{ key: K, source: 'archive', points: [{ ts: T0, value: 3 }] }], 3);
      const [p] = await store.readPoints(K, 0, T0 + H);
      expect([p.value, p.source, p.archiveValue]).toEqual([2, 'import', 3]);
    });

    it('keeps the open flag (a snapshot read while its bar was open)', async () => {
      await store.write([{ key: OI, source: 'rest', points: [{ ts: T0, value: 5, open: true }] }], 1);
      expect((await store.readPoints(OI, 0, T0 + H))[0].open).toBe(true);
    });

    it('reports first, last, count, source split per series, per asset on request', async () => {
      await store.write(
        [
          { key: K, source: 'rest', points: [0, 1, 2].map((i) => ({ ts: T0 + i * H, value: 1 + i })) },
          { key: E, meta: { quote: 'USD' }, source: 'import', points: [{ ts: T0, value: 3000 }] },
          { key: F, meta: { intervalHours: 8 }, source: 'archive', points: [{ ts: T0, value: 0.0001 }] },
        ],
        77
      );
      const all = await store.listSeries();
      expect(all.map((s) => `${s.asset} ${s.venue} ${s.kind} ${s.timeframe}`)).toEqual([
        'BTC binanceusdm funding *',
        'BTC binanceusdm perp 1h',
        'ETH coinbase spot 1d',
      ]);
      const perp = all[1];
      expect([perp.first, perp.last, perp.count, perp.lastWrittenAt]).toEqual([T0, T0 + 2 * H, 3, 77]);
      expect(perp.bySource).toEqual({ rest: 3, archive: 0, import: 0 });
      expect(all[0].meta).toEqual({ intervalHours: 8 });
      expect(all[2].meta).toEqual({ quote: 'USD' });
      expect(await store.listKeys()).toEqual([
        { asset: 'BTC', venue: 'binanceusdm', kind: 'funding', timeframe: '*' },
        { asset: 'ETH', venue: 'coinbase', kind: 'spot', timeframe: '1d' },
      ]); // the perp was written without meta
      expect(await store.listKeys({ asset: 'ETH' })).toEqual([E]);
      const eth = await store.listSeries({ asset: 'ETH' });
      expect(eth).toHaveLength(1);
      expect(eth[0].bySource).toEqual({ rest: 0, archive: 0, import: 1 });
    });

    it('finds the gaps of a grid series', async () => {
      // hours 0, 1, 2, 5, 6, 10: missing 3, 4 and 7, 8, 9
      const hours = [0, 1, 2, 5, 6, 10];
      await store.write([{ key: K, source: 'rest', points: hours.map((h) => ({ ts: T0 + h * H, value: 1 })) }]);
      const st = await store.seriesStats(K, H);
      expect(st.gaps).toEqual([
        [T0 + 3 * H, T0 + 5 * H],
        [T0 + 7 * H, T0 + 10 * H],
      ]);
      expect(st.missingPoints).toBe(5);
      expect(st.count).toBe(6);
      expect(st.overlapPoints).toBe(0);
      expect(st.maxOverlapRelDiff).toBeNull();
    });

    it('merges covered ranges per source', async () => {
      await store.write([{ key: K, source: 'rest', points: [], cover: [0, 10] }]);
      await store.write([{ key: K, source: 'rest', points: [], cover: [30, 40] }]);
      await store.write([{ key: K, source: 'rest', points: [], cover: [10, 20] }]);
      await store.write([{ key: K, source: 'archive', points: [], cover: [5, 50] }]);
      expect(await store.coverage(K, 'rest')).toEqual([
        [0, 20],
        [30, 40],
      ]);
      expect(await store.coverage(K, 'archive')).toEqual([[5, 50]]);
      await store.write([{ key: K, source: 'rest', points: [], cover: [15, 35] }]);
      expect(await store.coverage(K, 'rest')).toEqual([[0, 40]]);
      expect(await store.coverage(OI, 'rest')).toEqual([]);
    });

    it('a batch is all or nothing: a bad point or key rejects the whole batch with a clear error', async () => {
      await expect(
        store.write([
          { key: K, source: 'rest', points: [{ ts: T0, value: 1 }] },
          { key: OI, source: 'rest', points: [{ ts: T0, value: Number.NaN }] },
        ])
      ).rejects.toThrow(/non-finite/);
      await expect(
        store.write([
          { key: K, source: 'rest', points: [{ ts: T0, value: 1 }] },
          { key: { ...K, kind: 'price' as never }, source: 'rest', points: [{ ts: T0, value: 1 }] },
        ])
      ).rejects.toThrow(/kind: unknown kind "price"; allowed: spot, perp, openInterest, funding, fx/);
      await expect(store.write([{ key: { ...F, timeframe: '1h' }, source: 'rest', points: [] }])).rejects.toThrow(
        /funding series use the timeframe "\*"/
      );
      expect(await store.listSeries()).toEqual([]);
    });

    it('records archive files, the latest outcome per path', async () => {
      const path = '/data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-01.zip';
      await store.recordArchiveFile({ path, sha256: null, status: 'missing', rows: 0, notice: '404', fetchedAt: 1 });
      await store.recordArchiveFile({
        path,
        sha256: 'ab'.repeat(32),
        status: 'ok',
        rows: 288,
        notice: null,
        fetchedAt: 2,
      });
      expect(await store.archiveFile(path)).toEqual({
        path,
        sha256: 'ab'.repeat(32),
        status: 'ok',
        rows: 288,
        notice: null,
        fetchedAt: 2,
      });
      expect(await store.archiveFile('/nope')).toBeNull();
      expect((await store.listArchiveFiles()).map((f) => f.path)).toEqual([path]);
    });

    if (options.reopen) {
      it('keeps everything across close and reopen', async () => {
        await store.write([
          { key: K, meta: { quote: 'USDT' }, source: 'rest', points: [{ ts: T0, value: 1, volume: 2 }], cover: [0, 5] },
        ]);
        store = await options.reopen!(store);
        expect((await store.readPoints(K, 0, T0 + 1)).map((p) => [p.ts, p.value, p.volume])).toEqual([[T0, 1, 2]]);
        expect(await store.seriesMeta(K)).toEqual({ quote: 'USDT' });
        expect(await store.coverage(K, 'rest')).toEqual([[0, 5]]);
      });
    }
  });
}
