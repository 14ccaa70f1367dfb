/** @jest-environment node */
/**
 * The CLI's cache of closed bars (--cache-dir, --no-cache, the XDG default) against the in-process mock exchange
 * server: the same fetch twice makes at most one request per series the second time, with the same bundle; a
 * corrupt cache file is dropped with a warning, never a failed run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockServer, type MockServer } from '../mock/server';
import { DATA_ENDPOINTS } from '../mock/stats';
import { CliIo, main } from './btc-flow';
import { MARKETS_SCHEMA_VERSION, type StoredMarkets } from '../src/exchanges/store';
import { cacheSubdir, defaultCacheDir, FileStore } from './fileStore';

jest.setTimeout(180_000);

const VENUES = 'coinbase,bitstamp,binanceusdm,bybit,okx';

let srv: MockServer;
let dir: string;
beforeAll(async () => {
  srv = await startMockServer({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'btc-flow-cache-'));
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  srv.setFaults([]);
  srv.resetStats();
});

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdoutIsTTY: false, env };
  const code = await main(argv, io);
  return { code, out, err };
}

/** The same fetch each time: two years of daily bars up to yesterday, so the open bar is today's. */
const fetchArgs = (out: string, extra: string[] = []) => [
  'fetch',
  '--asset',
  'BTC',
  '--timeframe',
  '1d',
  '--from',
  new Date(Date.now() - 730 * 86_400_000).toISOString().slice(0, 10),
  '--venues',
  VENUES,
  '--base-url',
  srv.url,
  '--timeout',
  '60',
  '--quiet',
  '--out',
  out,
  ...extra,
];
const marketRequests = () => srv.stats().log.filter((e) => /^markets/.test(String(e.endpoint))).length;
const dataRequests = () => srv.stats().log.filter((e) => DATA_ENDPOINTS.has(String(e.endpoint))).length;
/** A bundle's series without the open bar (today's, still moving at the mock) and without the note (it has the time). */
function closedPart(file: string) {
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const b = bundleOf(file);
  return b.series.map((s) => ({
    ...s,
    points: s.points.filter((p) => p[0] < today),
    volumes: s.volumes?.filter((p) => p[0] < today),
  }));
}
const bundleOf = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as {
    series: Array<{ venue: string; kind: string; points: number[][]; volumes?: number[][] }>;
  };

describe('btc-flow fetch with a cache folder', () => {
  it('the second run makes at most one request per series and writes the same bundle', async () => {
    const cache = join(dir, 'c1');
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    expect((await run(fetchArgs(a, ['--cache-dir', cache]))).code).toBe(0);
    const cold = dataRequests();
    const coldTotal = srv.stats().total;
    expect(marketRequests()).toBeGreaterThanOrEqual(5); // each venue's list, the first time
    // one file per series, under the base URL's subfolder
    const files = readdirSync(join(cache, cacheSubdir(srv.url)));
    expect(files.length).toBeGreaterThan(5);
    srv.resetStats();
    expect((await run(fetchArgs(b, ['--cache-dir', cache]))).code).toBe(0);
    const warm = dataRequests();
    const warmTotal = srv.stats().total;
    const nSeries = bundleOf(b).series.length;
    console.log(
      `CLI fetch twice with --cache-dir: ${cold} data requests cold (${coldTotal} in all), ${warm} warm (${warmTotal} in all), ${nSeries} series`
    );
    expect(cold).toBeGreaterThan(nSeries);
    expect(warm).toBeLessThanOrEqual(nSeries);
    // every request counts, market lists included: they come from the cache folder too (one file per venue class,
    // kraken's for the USDT/USD rate)
    expect(marketRequests()).toBe(0);
    expect(warmTotal).toBeLessThanOrEqual(nSeries);
    expect(files.filter((f) => f.startsWith('markets%7C')).sort()).toEqual(
      ['binanceusdm', 'bitstamp', 'bybit', 'coinbase', 'kraken', 'okx'].map((id) => `markets%7C${id}.json`)
    );
    expect(closedPart(b)).toEqual(closedPart(a));
  });

  it('--no-cache reads and writes nothing; the default folder comes from XDG_CACHE_HOME', async () => {
    const xdg = join(dir, 'xdg');
    expect((await run(fetchArgs(join(dir, 'n.json'), ['--no-cache']), { XDG_CACHE_HOME: xdg })).code).toBe(0);
    expect(existsSync(xdg)).toBe(false);
    expect((await run(fetchArgs(join(dir, 'x.json')), { XDG_CACHE_HOME: xdg })).code).toBe(0);
    expect(readdirSync(join(xdg, 'btc-flow', cacheSubdir(srv.url))).length).toBeGreaterThan(5);
    expect(defaultCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/btc-flow');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/home/u' })).toBe('/x/btc-flow');
    expect(defaultCacheDir({})).toBeUndefined();
    const both = await run(fetchArgs(join(dir, 'y.json'), ['--no-cache', '--cache-dir', xdg]));
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--no-cache and --cache-dir/);
  });

  it('a corrupt cache file is dropped with a warning; the run still succeeds with the full bundle', async () => {
    const cache = join(dir, 'c2');
    const a = join(dir, 'ca.json');
    expect((await run(fetchArgs(a, ['--cache-dir', cache]))).code).toBe(0);
    const sub = join(cache, cacheSubdir(srv.url));
    const victim = readdirSync(sub).find((f) => f.startsWith('bybit'))!;
    writeFileSync(join(sub, victim), '{"v":1,"rows":[[1,');
    const b = join(dir, 'cb.json');
    const args = fetchArgs(b, ['--cache-dir', cache]).filter((x) => x !== '--quiet');
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: cache: the stored bars could not be read or written .*not JSON.*store was cleared/);
    expect(closedPart(b)).toEqual(closedPart(a));
  });

  it('a corrupt market-list file is deleted with a warning, the list loaded again; the bars stay', async () => {
    const cache = join(dir, 'c3');
    const a = join(dir, 'ma.json');
    expect((await run(fetchArgs(a, ['--cache-dir', cache]))).code).toBe(0);
    const sub = join(cache, cacheSubdir(srv.url));
    writeFileSync(join(sub, 'markets%7Cokx.json'), '{"v":1,"savedAt":');
    srv.resetStats();
    const b = join(dir, 'mb.json');
    const r = await run(fetchArgs(b, ['--cache-dir', cache]).filter((x) => x !== '--quiet'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: cache: the stored market list of okx could not be read .*not JSON.*deleted/);
    expect(closedPart(b)).toEqual(closedPart(a));
    // only okx's list was asked again; the other series still came from the folder (at most the open bar each)
    const markets = srv.stats().log.filter((e) => /^markets/.test(String(e.endpoint)));
    expect(new Set(markets.map((e) => e.venue))).toEqual(new Set(['okx']));
    expect(dataRequests()).toBeLessThanOrEqual(bundleOf(b).series.length);
    expect(JSON.parse(readFileSync(join(sub, 'markets%7Cokx.json'), 'utf8')).markets.length).toBeGreaterThan(0);
  });

  it('FileStore market lists: read back as written; another version removed; a bad shape refused', async () => {
    const folder = join(dir, 'fs');
    const store = new FileStore(folder);
    const list: StoredMarkets = {
      v: MARKETS_SCHEMA_VERSION,
      savedAt: 1_700_000_000_000,
      markets: [{ id: 'BTCUSDT', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', type: 'swap', info: {} }],
      helpers: { marketsByAltname: {} },
    };
    await store.putMarkets('bybit', list);
    expect(readdirSync(folder)).toEqual(['markets%7Cbybit.json']);
    expect(await new FileStore(folder).getMarkets('bybit')).toEqual(list);
    expect(await store.getMarkets('okx')).toBeUndefined();
    writeFileSync(join(folder, 'markets%7Cokx.json'), JSON.stringify({ ...list, markets: [{ id: 'X' }] }));
    await expect(store.getMarkets('okx')).rejects.toThrow(/stored market list okx: unreadable market/);
    await store.putMarkets('bybit', { ...list, v: MARKETS_SCHEMA_VERSION + 1 });
    expect(await store.getMarkets('bybit')).toBeUndefined();
    expect(existsSync(join(folder, 'markets%7Cbybit.json'))).toBe(false);
    await store.deleteMarkets('okx');
    expect(readdirSync(folder)).toEqual([]);
  });

  it('--markets-max-age 0 asks the venues for their lists again (the bars still come from the folder)', async () => {
    const cache = join(dir, 'c4');
    expect((await run(fetchArgs(join(dir, 'aa.json'), ['--cache-dir', cache]))).code).toBe(0);
    const coldLists = marketRequests();
    srv.resetStats();
    const out = join(dir, 'ab.json');
    expect((await run(fetchArgs(out, ['--cache-dir', cache, '--markets-max-age', '0']))).code).toBe(0);
    expect(marketRequests()).toBe(coldLists);
    expect(dataRequests()).toBeLessThanOrEqual(bundleOf(out).series.length);
    srv.resetStats();
    expect((await run(fetchArgs(join(dir, 'ac.json'), ['--cache-dir', cache, '--markets-max-age', '1']))).code).toBe(0);
    expect(marketRequests()).toBe(0);
    for (const bad of ['-1', '721', 'soon', '']) {
      const r = await run(fetchArgs(join(dir, 'ad.json'), ['--markets-max-age', bad]));
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--markets-max-age: expected hours from 0 to 720, got ${JSON.stringify(bad)}`);
    }
  });
});
