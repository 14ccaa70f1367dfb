/** @jest-environment ./src/datasource/testing/jsdomWithFetch.js */
/**
 * Progressive results and cancellation of query(), against the mock exchange server with latency:
 * partial frames (LoadingState.Streaming, with a "still loading" notice) come before the final ones, whose values
 * equal a plain (non-streaming) run; unsubscribing stops the old range's requests at the mock, and a request that
 * another live query shares goes on.
 */
import { DataFrame, DataQueryResponse, LoadingState } from '@grafana/data';
import { lastValueFrom, Subscription } from 'rxjs';
import { startFrozenMock, stopFrozenMock } from '../../mock/frozen';
import type { MockServer } from '../../mock/server';
import type { RequestLogEntry } from '../../mock/stats';
import { compute } from '../core/engine';
import { ExchangeContext } from '../exchanges';
import { computeTarget, DataSource } from './DataSource';
import { fetchResolved } from './plan';
import { instanceSettings, request } from './testing/harness';
import type { BtcFlowOptions, BtcFlowQuery } from './types';

jest.setTimeout(240_000);

jest.mock('@grafana/runtime', () => ({
  getTemplateSrv: () => jest.requireActual('./testing/harness').templateSrv,
}));
// the engine, counted: the targets of one shared run share its partial engine runs too
jest.mock('../core/engine', () => {
  const actual = jest.requireActual('../core/engine');
  return { ...actual, compute: jest.fn(actual.compute) };
});

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 10, 20, 13, 30, 0);
const TODAY = Math.floor(NOW / DAY) * DAY;

const CONFIG: BtcFlowOptions = {
  spotVenues: ['coinbase', 'bitstamp', 'binance'],
  perpVenues: ['binanceusdm', 'bybit', 'okx'],
  oiVenues: ['binanceusdm', 'bybit', 'okx'],
  fundingVenues: ['binanceusdm', 'bybit', 'okx'],
  requestTimeoutMs: 5000,
  retries: 0,
};

/** Every HTTP request the page's fetch starts (ccxt's browser path reads `self.fetch`), with its start time. */
const clientLog: Array<{ url: string; at: number }> = [];
const realFetch = window.fetch;
window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  clientLog.push({ url: String(input instanceof Request ? input.url : input), at: Date.now() });
  return realFetch(input, init);
};

let mock: MockServer;
beforeAll(async () => {
  mock = await startFrozenMock(NOW);
});
afterAll(async () => {
  await stopFrozenMock(mock);
});
beforeEach(() => {
  mock.setLatency(0);
  mock.resetStats();
});

const newDs = () => new DataSource(instanceSettings('', CONFIG), { baseUrl: mock.url, now: () => NOW });

/** Every emission of a query, until it completes. */
function collect(ds: DataSource, targets: BtcFlowQuery[], from: number, to: number): Promise<DataQueryResponse[]> {
  return new Promise((resolve, reject) => {
    const out: DataQueryResponse[] = [];
    ds.query(request(targets, from, to)).subscribe({
      next: (r) => out.push(r),
      error: reject,
      complete: () => resolve(out),
    });
  });
}

const fieldsOf = (frames: DataFrame[]) =>
  Object.fromEntries(frames.flatMap((f) => f.fields.map((x) => [`${f.refId}/${f.name}`, [...x.values]])));

/** The frames of a plain run: resolve, fetch on a fresh context with no hooks, compute (the path before streaming). */
async function plainFrames(targets: BtcFlowQuery[], from: number, to: number): Promise<DataFrame[]> {
  const ds = newDs();
  const ctx = new ExchangeContext({ baseUrl: mock.url, now: () => NOW, retries: 0 });
  const out: DataFrame[] = [];
  for (const t of targets) {
    const resolved = ds.resolve(t, request([t], from, to));
    out.push(...computeTarget(resolved, await fetchResolved(ctx, resolved), t.refId).frames);
  }
  return out;
}

const partialNotice = (frames: DataFrame[]) =>
  frames.flatMap((f) => f.meta?.notices ?? []).find((n) => /^Partial result: /.test(n.text));

describe('progressive results', () => {
  it('targets of one shared run share its partial engine runs: never two runs on the same partial bundle', async () => {
    mock.setLatency(40);
    const computeMock = compute as jest.MockedFunction<typeof compute>;
    computeMock.mockClear();
    // three targets on one bundle (premium with and without baskets, and the z-score view of it)
    const targets: BtcFlowQuery[] = [
      { refId: 'A', queryType: 'premium', timeframe: '1d' },
      { refId: 'B', queryType: 'premium', timeframe: '1d', includeBaskets: true },
      { refId: 'C', queryType: 'premium', timeframe: '1d', includeZ: false },
    ];
    const emissions = await collect(newDs(), targets, TODAY - 120 * DAY, NOW);
    expect(emissions[emissions.length - 1].state).toBe(LoadingState.Done);
    // partial frames came for every target
    for (const refId of ['A', 'B', 'C']) {
      expect(emissions.some((e) => e.data.some((f: DataFrame) => f.refId === refId && partialNotice([f])))).toBe(true);
    }
    // each engine run is on a bundle with more series than the one before: one run per partial state, then the final
    const sizes = computeMock.mock.calls.map(([bundle]) => bundle.series.length);
    expect(sizes.length).toBeGreaterThan(1);
    for (let i = 1; i < sizes.length; i++) {
      expect(sizes[i]).toBeGreaterThan(sizes[i - 1]);
    }
  });

  it('partial frames with a still-loading notice come first; the final frames equal a plain run', async () => {
    mock.setLatency(40);
    const from = TODAY - 120 * DAY;
    const targets: BtcFlowQuery[] = [
      { refId: 'P', queryType: 'premium', timeframe: '1d' },
      { refId: 'S', queryType: 'signals', timeframe: '1d' },
    ];
    const emissions = await collect(newDs(), targets, from, NOW);
    const last = emissions[emissions.length - 1];
    expect(last.state).toBe(LoadingState.Done);
    expect(last.errors).toBeUndefined();
    expect(partialNotice(last.data)).toBeUndefined();

    const streaming = emissions.slice(0, -1);
    expect(streaming.length).toBeGreaterThan(0);
    for (const e of streaming) {
      expect(e.state).toBe(LoadingState.Streaming);
    }
    // a partial emission: frames computed from the series that answered, naming the ones still loading
    const partial = streaming.find((e) => partialNotice(e.data));
    expect(partial).toBeDefined();
    const text = partialNotice(partial!.data)!.text;
    const m = /^Partial result: (\d+) of (\d+) series answered; still loading (.+)$/.exec(text)!;
    expect(Number(m[1])).toBeLessThan(Number(m[2]));
    expect(m[3].split(', ').length).toBe(Number(m[2]) - Number(m[1]));

    // the premium panel is done (final frames, no partial notice) while the signals target still streams
    const premiumFirst = streaming.find((e) => {
      const p = e.data.filter((f: DataFrame) => f.refId === 'P');
      return (
        p.length > 0 && !partialNotice(p) && !e.data.some((f: DataFrame) => f.refId === 'S' && !partialNotice([f]))
      );
    });
    expect(premiumFirst).toBeDefined();

    // final values: identical to the plain run's
    const plain = await plainFrames(targets, from, NOW);
    expect(fieldsOf(last.data)).toEqual(fieldsOf(plain));
  });

  it('an annotation (events) target gets no partial events', async () => {
    mock.setLatency(20);
    const emissions = await collect(
      newDs(),
      [{ refId: 'A', queryType: 'signals', timeframe: '1d', format: 'events' } as BtcFlowQuery],
      TODAY - 60 * DAY,
      NOW
    );
    expect(emissions.length).toBe(1);
    expect(emissions[0].state).toBe(LoadingState.Done);
  });
});

/** Request identity at the mock: host, path and query string. */
const requestId = (e: RequestLogEntry) =>
  `${e.host}${e.path}?${Object.entries(e.query)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join('&')}`;

/** The same identity from a URL the client fetched (`<mock>/<host>/<path>?<query>`). */
function clientRequestId(url: string): string {
  const u = new URL(url);
  const [, host, ...rest] = u.pathname.split('/');
  const query: Record<string, string> = {};
  u.searchParams.forEach((v, k) => {
    query[k] = v;
  });
  return requestId({ host, path: `/${rest.join('/')}`, query } as RequestLogEntry);
}

/** Waits until the mock has seen no request for `quietMs`. */
async function settle(quietMs = 400): Promise<void> {
  let last = -1;
  for (;;) {
    const n = mock.stats().total;
    if (n === last) {
      return;
    }
    last = n;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

describe('cancellation', () => {
  const target: BtcFlowQuery = { refId: 'A', queryType: 'signals', timeframe: '1d' };
  // two ranges whose fetch ranges (warm-up included) do not overlap
  const OLD = { from: TODAY - 900 * DAY, to: TODAY - 600 * DAY };
  const NEW = { from: TODAY - 200 * DAY, to: NOW };

  it('changing the range mid-load: no request of the old range starts after the unsubscribe', async () => {
    // the full request sets of each range, from complete runs
    const oldSet = new Set<string>();
    await lastValueFrom(newDs().query(request([target], OLD.from, OLD.to)));
    mock.stats().log.forEach((e) => oldSet.add(requestId(e)));
    mock.resetStats();
    const newSet = new Set<string>();
    await lastValueFrom(newDs().query(request([target], NEW.from, NEW.to)));
    mock.stats().log.forEach((e) => newSet.add(requestId(e)));
    const oldOnly = [...oldSet].filter((k) => !newSet.has(k));
    expect(oldOnly.length).toBeGreaterThan(20);

    // the panel: old range, then the range changes while it loads
    mock.resetStats();
    mock.setLatency(100);
    const ds = newDs();
    const clientStart = clientLog.length;
    const sub: Subscription = ds.query(request([target], OLD.from, OLD.to)).subscribe();
    while (mock.stats().log.filter((e) => oldOnly.includes(requestId(e))).length < 5) {
      await new Promise((r) => setTimeout(r, 20));
    }
    sub.unsubscribe();
    const unsubscribedAt = Date.now();
    const clientFrom = clientLog.length;
    const final = await lastValueFrom(ds.query(request([target], NEW.from, NEW.to)));
    expect(final.state).toBe(LoadingState.Done);
    await settle();

    // in the client: no fetch of an old-range URL started after the unsubscribe
    const clientAfter = clientLog.slice(clientFrom).map((c) => clientRequestId(c.url));
    expect(clientAfter.length).toBeGreaterThan(0); // the new range's requests are seen
    expect(clientAfter.filter((k) => oldOnly.includes(k))).toEqual([]);
    // at the mock: every old-range request it received is one the client started before the unsubscribe (one that
    // was started just before it may reach the mock a little later on a loaded machine, so arrival times prove
    // nothing; the request sets do)
    const log = mock.stats().log;
    const startedBefore = new Map<string, number>();
    for (const c of clientLog.slice(clientStart, clientFrom)) {
      const k = clientRequestId(c.url);
      startedBefore.set(k, (startedBefore.get(k) ?? 0) + 1);
    }
    const receivedOld = new Map<string, number>();
    for (const e of log.filter((x) => oldOnly.includes(requestId(x)))) {
      receivedOld.set(requestId(e), (receivedOld.get(requestId(e)) ?? 0) + 1);
    }
    const oldAfter = [...receivedOld].filter(([k, n]) => n > (startedBefore.get(k) ?? 0)).map(([k]) => k);
    const oldBefore = log.filter((e) => oldOnly.includes(requestId(e)) && e.at <= unsubscribedAt);
    expect(oldBefore.length).toBeGreaterThanOrEqual(5);
    expect(oldAfter).toEqual([]);
    // the old range was cut short: fewer of its requests than a full run
    expect(log.filter((e) => oldOnly.includes(requestId(e))).length).toBeLessThan(oldOnly.length);
    // the new range's values are unaffected
    expect(fieldsOf(final.data)).toEqual(fieldsOf(await plainFrames([target], NEW.from, NEW.to)));
  });

  it('a coalesced request that another live query still needs goes on', async () => {
    const from = TODAY - 300 * DAY;
    await lastValueFrom(newDs().query(request([target], from, NOW)));
    const fullRun = mock.stats().total;
    mock.resetStats();
    mock.setLatency(60);

    const ds = newDs();
    const leaving = ds.query(request([target], from, NOW)).subscribe();
    const staying = lastValueFrom(ds.query(request([{ ...target, refId: 'B' }], from, NOW)));
    while (mock.stats().total < 8) {
      await new Promise((r) => setTimeout(r, 10));
    }
    leaving.unsubscribe();
    const res = await staying;
    expect(res.state).toBe(LoadingState.Done);
    await settle();
    // every request once: none aborted and restarted, none doubled
    expect(mock.stats().total).toBe(fullRun);
    const plain = await plainFrames([{ ...target, refId: 'B' }], from, NOW);
    expect(fieldsOf(res.data)).toEqual(fieldsOf(plain));
  });
});
