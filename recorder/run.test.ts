/** @jest-environment node */
/**
 * The run loop against the in-process mock on a simulated clock (the mock's and the exchange context's): the first
 * cycle fills the fill depth; each later bar costs at most one request per due series and stores exactly the closed
 * bar (checked against the mock's simulated market); bar-close events fire per timeframe; a failing venue is retried
 * with backoff and does not stop the others; current-only OI is one snapshot per bar, marked as read while open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candle, setSimNow } from '../mock/market';
import { startMockServer, type MockServer } from '../mock/server';
import { ExchangeContext } from '../src/exchanges/context';
import type { BarClosedEvent, RequestEvent } from './rest';
import { Recorder } from './run';
import { openSqliteStore } from './store/sqlite';
import type { RecorderStore } from './store/types';

const H = 3_600_000;
const DAY = 24 * H;

let srv: MockServer;
let dir: string;
let store: RecorderStore;
let clock = Date.UTC(2025, 5, 10, 22, 0, 30);

beforeAll(async () => {
  setSimNow(clock);
  srv = await startMockServer({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'recorder-run-'));
  store = await openSqliteStore(join(dir, 'run.db'));
});
afterAll(async () => {
  await srv.close();
  await store.close();
  setSimNow(null);
  rmSync(dir, { recursive: true, force: true });
});

function advance(ms: number) {
  clock += ms;
  setSimNow(clock);
}

test('fills, then polls once per bar with at most one request per series, and survives a failing venue', async () => {
  const ctx = new ExchangeContext({ baseUrl: srv.url, now: () => clock, timeoutMs: 60_000, backoffMs: 10, retries: 1 });
  const rec = new Recorder({
    store,
    ctx,
    assets: ['BTC'],
    timeframes: ['1h', '1d'],
    venues: ['coinbase', 'binanceusdm', 'deribit'],
    kinds: ['spot', 'perp', 'openInterest', 'funding'],
    fillDays: { '1h': 2, '1d': 10, '*': 2 },
    pollDelayMs: 0,
    retryBaseMs: 60_000,
  });
  const requests: RequestEvent[] = [];
  const closed: BarClosedEvent[] = [];
  rec.events.on('request', (e) => requests.push(e));
  rec.events.on('barClosed', (e) => closed.push(e));

  // first cycle: the fill
  await rec.cycle();
  const spot1h = { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1h' } as const;
  const openHour = Math.floor(clock / H) * H;
  let pts = await store.readPoints(spot1h, 0, clock + DAY);
  expect(pts[0].ts).toBe(openHour - 2 * DAY);
  expect(pts[pts.length - 1].ts).toBe(openHour - H); // closed bars only
  expect(pts).toHaveLength(48);
  for (const p of pts.slice(-3)) {
    expect(Math.abs(p.value - candle('coinbase', 'BTC', 'spot', p.ts, H)!.close)).toBeLessThanOrEqual(0.005);
  }
  expect(rec.states.every((s) => s.failures === 0)).toBe(true);
  const oiCur = { asset: 'BTC', venue: 'deribit', kind: 'openInterest', timeframe: '1h' } as const;
  const snap = await store.readPoints(oiCur, 0, clock + DAY);
  expect(snap.map((p) => [p.ts, p.open])).toEqual([[openHour, true]]);
  expect(closed).toEqual([]);

  // the next hour closes: one request per due series at most, one new bar each
  const due1h = rec.states.filter((s) => s.stepMs === H).length;
  srv.resetStats();
  requests.length = 0;
  advance(H);
  await rec.cycle();
  const total = srv.stats().total;
  expect(total).toBeLessThanOrEqual(due1h);
  expect(requests.filter((r) => r.ok)).toHaveLength(due1h);
  expect(requests.every((r) => r.timeframe !== '1d')).toBe(true);
  pts = await store.readPoints(spot1h, 0, clock + DAY);
  expect(pts[pts.length - 1].ts).toBe(openHour);
  expect(pts).toHaveLength(49);
  expect(closed).toEqual([{ asset: 'BTC', timeframe: '1h', barTime: openHour, barEnd: openHour + H }]);

  // the day closes at midnight: the 1d series are due too, and a 1d bar-close event fires
  closed.length = 0;
  advance(H); // 00:00:30 the next day
  await rec.cycle();
  const midnight = Math.floor(clock / DAY) * DAY;
  expect(closed).toContainEqual({ asset: 'BTC', timeframe: '1d', barTime: midnight - DAY, barEnd: midnight });
  const spot1d = await store.readPoints({ asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1d' }, 0, clock);
  expect(spot1d[spot1d.length - 1].ts).toBe(midnight - DAY);
  expect(spot1d).toHaveLength(11); // from the day that held clock - 10 days (May 31) to Jun 10

  // coinbase fails: retried with backoff, the others go on
  srv.setFaults([{ venue: 'coinbase', endpoint: '*', type: '500' }]);
  requests.length = 0;
  advance(H);
  await rec.cycle();
  const cb = rec.states.find((s) => s.series.key.venue === 'coinbase' && s.series.key.timeframe === '1h')!;
  expect(cb.failures).toBe(1);
  expect(cb.lastError).toMatch(/coinbase/);
  expect(cb.due).toBe(clock + 60_000);
  expect(requests.some((r) => r.venue === 'binanceusdm' && r.ok)).toBe(true);
  expect(rec.health()).toMatchObject({ recorder: { failing: [{ series: 'BTC coinbase spot 1h', failures: 1 }] } });
  srv.setFaults([]);
  advance(60_000);
  await rec.cycle();
  expect(cb.failures).toBe(0);
  pts = await store.readPoints(spot1h, 0, clock + DAY);
  expect(pts[pts.length - 1].ts).toBe(Math.floor(clock / H) * H - H);
  const st = await store.seriesStats(spot1h, H);
  expect(st.missingPoints).toBe(0);
});
