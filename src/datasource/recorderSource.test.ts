/** @jest-environment ./src/datasource/testing/jsdomWithFetch.js */
/**
 * The data source with a Recorder URL, end to end: query() → the stand-in of Grafana's data proxy (plugin.json's
 * `recorder` route, token header added there) → a stand-in recorder serving the documented API from a bundle this
 * test makes from the mock exchanges; the live tail goes through the same proxy to the mock exchange server.
 *
 * The recorder's copy is deliberately altered before the split time, so every expected value (computed here by
 * the engine on a bundle merged by hand: recorder points before the split, live points from it on) shows which bars
 * came from where.
 */
import { LoadingState, type DataFrame } from '@grafana/data';
import { lastValueFrom, toArray } from 'rxjs';
import { startFrozenMock, stopFrozenMock } from '../../mock/frozen';
import type { MockServer } from '../../mock/server';
import { compute } from '../core/engine';
import type { Bundle, EngineResult, Point, Series } from '../core/types';
import { ExchangeContext, fetchBundle } from '../exchanges';
import pluginJson from '../plugin.json';
import { DataSource } from './DataSource';
import { validateRecorderUrl, type BarSource } from './recorderSource';
import { startFakeGrafanaProxy, type FakeGrafanaProxy } from './testing/fakeGrafanaProxy';
import { startFakeRecorder, type FakeRecorder } from './testing/fakeRecorder';
import { instanceSettings, request, values } from './testing/harness';
import type { BtcFlowOptions, BtcFlowQuery } from './types';

jest.setTimeout(240_000);

jest.mock('@grafana/runtime', () => ({
  getTemplateSrv: () => jest.requireActual('./testing/harness').templateSrv,
}));
// the engine, counted: targets that need the same bundle share one run (DataSource.runTarget)
jest.mock('../core/engine', () => {
  const actual = jest.requireActual('../core/engine');
  return { ...actual, compute: jest.fn(actual.compute) };
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2025, 10, 20, 13, 30, 0);
const TODAY = Math.floor(NOW / DAY) * DAY;
const FROM = TODAY - 120 * DAY + 5 * HOUR;
const TO = NOW;
/** The recorder holds everything before this (its last closed daily bar is the day before). */
const SPLIT = TODAY - 10 * DAY;
const LOOKBACK = 90;
/** Warm-up by hand: lookback + (smoothing − 1) + slope bars (premiumSlopeBars, default 5) + 1. */
const FETCH_FROM = Math.floor(FROM / DAY) * DAY - (LOOKBACK + 0 + 5 + 1) * DAY;

const CONFIG: BtcFlowOptions = {
  spotVenues: ['coinbase', 'bitstamp', 'binance'],
  perpVenues: ['binanceusdm', 'bybit', 'okx', 'deribit'],
  oiVenues: ['binanceusdm', 'bybit', 'okx'],
  fundingVenues: ['binanceusdm', 'bybit', 'okx', 'deribit'],
  requestTimeoutMs: 5000,
  retries: 0,
};
const ALL = ['coinbase', 'bitstamp', 'binance', 'binanceusdm', 'bybit', 'okx', 'deribit'];
const BASKET: Record<string, string[]> = {
  spot: CONFIG.spotVenues!,
  perp: CONFIG.perpVenues!,
  openInterest: CONFIG.oiVenues!,
  funding: CONFIG.fundingVenues!,
};
const inBaskets = (b: Bundle): Bundle => ({
  ...b,
  series: b.series.filter((s) => s.kind === 'fx' || BASKET[s.kind].includes(s.venue)),
});

/** The recorder's copy differs from the exchanges before the split, so the output shows which one was read. */
function alter(s: Series): Series {
  const f = (p: Point): Point => {
    switch (s.kind) {
      case 'spot':
        return s.venue === 'coinbase' ? [p[0], p[1] * 1.004] : p;
      case 'openInterest':
        return [p[0], p[1] * 1.25];
      case 'funding':
        return [p[0], p[1] + 0.0002];
      default:
        return p;
    }
  };
  return { ...s, points: s.points.map(f) } as Series;
}

let mock: MockServer;
/** What the exchanges (the mock) serve over the fetch range: the all-live reference. */
let live: Bundle;
/** The recorder's content: altered points before SPLIT, over a longer history. */
let stored: Bundle;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  mock = await startFrozenMock(NOW);
  const ctx = new ExchangeContext({ baseUrl: mock.url, now: () => NOW, retries: 0 });
  live = (await fetchBundle({ asset: 'BTC', timeframe: '1d', from: FETCH_FROM, to: TO, venues: ALL }, ctx)).bundle;
  const ctx2 = new ExchangeContext({ baseUrl: mock.url, now: () => NOW, retries: 0 });
  const long = (
    await fetchBundle({ asset: 'BTC', timeframe: '1d', from: FETCH_FROM - 60 * DAY, to: TO, venues: ALL }, ctx2)
  ).bundle;
  // every series of the baskets is in the recorder's copy (binanceusdm OI only from its 30-day retention)
  expect(long.series.map((s) => `${s.venue} ${s.kind}`).sort()).toEqual(
    live.series.map((s) => `${s.venue} ${s.kind}`).sort()
  );
  stored = {
    asset: 'BTC',
    series: long.series
      .map((s) => {
        const cut = (pts?: Point[]) => pts?.filter((p) => p[0] < SPLIT);
        const out = { ...s, points: cut(s.points)! } as Series;
        if (s.volumes) {
          out.volumes = cut(s.volumes);
        }
        return alter(out);
      })
      .filter((s) => s.points.length > 0),
  };
});
afterAll(async () => {
  for (const c of cleanup.reverse()) {
    await c();
  }
  await stopFrozenMock(mock);
});
beforeEach(async () => {
  await fetch(`${mock.url}/__faults`, { method: 'DELETE' });
  mock.resetStats();
});

/** A data source whose Recorder URL is `recorderUrl`, behind its own data proxy (which holds the token). */
async function recorderDs(
  recorderUrl: string,
  secure: Record<string, string> = {},
  extra: BtcFlowOptions = {}
): Promise<{ ds: DataSource; proxy: FakeGrafanaProxy }> {
  const jsonData: BtcFlowOptions = { ...CONFIG, ...extra, recorderUrl };
  const proxy = await startFakeGrafanaProxy({
    routes: pluginJson.routes,
    jsonData: { ...jsonData },
    secureJsonData: secure,
    internet: mock.url,
  });
  cleanup.push(() => proxy.close());
  return { ds: new DataSource(instanceSettings(proxy.dsUrl, jsonData), { now: () => NOW }), proxy };
}

async function run(ds: DataSource, targets: BtcFlowQuery[], from = FROM, to = TO): Promise<DataFrame[]> {
  const res = await lastValueFrom(ds.query(request(targets, from, to, DAY)));
  if (res.errors?.length) {
    throw new Error(res.errors.map((e) => e.message).join('; '));
  }
  return res.data as DataFrame[];
}

const TARGETS: BtcFlowQuery[] = [
  { refId: 'P', queryType: 'premium', timeframe: '1d', includeBaskets: true },
  { refId: 'O', queryType: 'oi', timeframe: '1d' },
  { refId: 'F', queryType: 'funding', timeframe: '1d', perVenue: true },
];

/** Every field the three targets return, checked against the engine's bars (relative 1e-9). */
function expectFramesEqual(frames: DataFrame[], ref: EngineResult): void {
  const byRef = Object.fromEntries(frames.map((f) => [f.refId!, f]));
  const checks: Array<[string, string, (b: EngineResult['bars'][number]) => number | null]> = [
    ['P', 'premiumPct', (b) => b.premiumPct],
    ['P', 'premiumZ', (b) => b.premiumZ],
    ['P', 'spotUsd', (b) => b.spotUsd],
    ['P', 'perpUsd', (b) => b.perpUsd],
    ['O', 'oiUsd', (b) => b.oiUsd],
    ['O', 'oiIndexUsd', (b) => b.oiIndexUsd],
    ['O', 'oiUsd:okx', (b) => b.venues.oiUsd.okx ?? null],
    ['F', 'fundingRate8h', (b) => b.fundingRate8h],
    ['F', 'fundingZ', (b) => b.fundingZ],
    ['F', 'fundingRate8h:deribit', (b) => b.venues.funding8h.deribit ?? null],
  ];
  for (const [refId, name, get] of checks) {
    const f = byRef[refId];
    expect(values(f, 'time')).toEqual(ref.bars.map((b) => b.time));
    const got = values(f, name) as Array<number | null>;
    const want = ref.bars.map(get);
    got.forEach((g, i) => {
      const w = want[i];
      if (g === null || w === null) {
        expect([name, i, g]).toEqual([name, i, w]);
      } else if (Math.abs(g - w) > 1e-9 * Math.max(1, Math.abs(w))) {
        throw new Error(`${refId} ${name}[${i}] (${new Date(ref.bars[i].time).toISOString()}): got ${g}, want ${w}`);
      }
    });
  }
}

const engine = (b: Bundle, from = FROM, to = TO) => compute(b, { timeframe: '1d', from, to, lookback: LOOKBACK });

/** The recorder's points before the split, the exchanges' from it on: what the data source must read. */
function mergedByHand(): Bundle {
  const rec = new Map(stored.series.map((s) => [`${s.venue}|${s.kind}`, s]));
  return {
    asset: 'BTC',
    series: inBaskets(live).series.map((s) => {
      const r = rec.get(`${s.venue}|${s.kind}`);
      if (!r) {
        throw new Error(`${s.venue} ${s.kind} is not in the recorder's copy`);
      }
      const before = (pts: Point[]) => pts.filter((p) => p[0] >= FETCH_FROM && p[0] < SPLIT);
      const after = (pts: Point[]) => pts.filter((p) => p[0] >= SPLIT);
      const out = { ...s, points: [...before(r.points), ...after(s.points)] } as Series;
      if (s.volumes && r.volumes) {
        out.volumes = [...before(r.volumes), ...after(s.volumes)];
      }
      return out;
    }),
  };
}

describe('validateRecorderUrl', () => {
  it('accepts http(s)://host[:port][/path] and drops trailing slashes', () => {
    expect(validateRecorderUrl('http://recorder:8789')).toBe('http://recorder:8789');
    expect(validateRecorderUrl(' https://rec.example.com/btc-flow/ ')).toBe('https://rec.example.com/btc-flow');
  });
  it.each([
    ['ftp://recorder:8789', /scheme ftp/],
    ['recorder:8789', /scheme recorder|not a URL/],
    ['http://user:s3cret@recorder:8789', /credentials/],
    ['http://recorder:8789/?x=1', /query or fragment/],
    ['http://recorder:8789/#a', /query or fragment/],
    ['http://rec order', /bad value|not a URL/],
  ])('refuses %s, naming the field and the allowed form', (url, why) => {
    let message = '';
    try {
      validateRecorderUrl(url);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^recorderUrl: /);
    expect(message).toMatch(why);
    expect(message).toMatch(/allowed: http\(s\):\/\/host\[:port\]\[\/path\]/);
    expect(message).not.toContain('s3cret');
  });
});

describe('query() with a Recorder URL', () => {
  let recorder: FakeRecorder;
  beforeAll(async () => {
    recorder = await startFakeRecorder([stored]);
    cleanup.push(() => recorder.close());
  });
  beforeEach(() => {
    recorder.mode = 'ok';
    recorder.requests.length = 0;
  });

  it('reads the range from the recorder and only the bars after its last closed bar live', async () => {
    const { ds, proxy } = await recorderDs(recorder.url);
    const frames = await run(ds, TARGETS);
    const want = engine(inBaskets(mergedByHand()));
    expectFramesEqual(frames, want);
    // the recorder's (altered) copy is really what the bars before the split show: the all-live values differ there
    const allLive = engine(inBaskets(live));
    const i = want.bars.findIndex((b) => b.time === SPLIT - 20 * DAY);
    expect(Math.abs(want.bars[i].premiumPct! - allLive.bars[i].premiumPct!)).toBeGreaterThan(0.05);
    const j = want.bars.findIndex((b) => b.time === SPLIT + 2 * DAY);
    expect(want.bars[j].spotUsd).toBeCloseTo(allLive.bars[j].spotUsd!, 6);
    // one recorder request served the three panels (all kinds of every configured venue)
    const bundleCalls = recorder.requests.filter((r) => r.path === '/api/v1/bundle');
    expect(bundleCalls).toHaveLength(1);
    expect(bundleCalls[0].query.venues.split(',')).toEqual(expect.arrayContaining([...ALL, 'kraken']));
    expect(proxy.counts.recorder).toBe(1);
    // frames say where their bars came from
    const source = frames[0].meta?.custom?.source as BarSource;
    expect(source.mode).toBe('recorder');
    expect(source.splitTime).toBe(SPLIT);
    const coinbase = source.series.find((s) => s.venue === 'coinbase' && s.kind === 'spot')!;
    expect(coinbase).toEqual({
      venue: 'coinbase',
      kind: 'spot',
      from: 'recorder+live',
      recorderFirst: FETCH_FROM,
      recorderLast: SPLIT - DAY,
      liveFrom: SPLIT,
    });
    const notices = (frames[0].meta?.notices ?? []).map((n) => n.text);
    expect(notices).toContain(
      `Bars before ${new Date(SPLIT).toISOString().slice(0, 10)} from the recorder (8 series); later bars fetched live`
    );
  });

  it('targets needing the same bundle share one fetch and one engine run; frames equal separate runs', async () => {
    // premium ×2 (spot, perp, fx), oi + oiZ (perp, OI, fx), funding (perp, OI, funding, fx), and signals +
    // extremes + coverage (every kind): 4 engine runs for 8 targets
    const targets: BtcFlowQuery[] = [
      { refId: 'P1', queryType: 'premium', timeframe: '1d' },
      TARGETS[0],
      TARGETS[1],
      { refId: 'Z', queryType: 'oiZ', timeframe: '1d' },
      TARGETS[2],
      { refId: 'S', queryType: 'signals', timeframe: '1d' },
      { refId: 'E', queryType: 'extremes', timeframe: '1d' },
      { refId: 'C', queryType: 'coverage', timeframe: '1d' },
    ];
    const computeMock = compute as jest.MockedFunction<typeof compute>;
    const { ds } = await recorderDs(recorder.url);
    computeMock.mockClear();
    // as a dashboard load: each panel its own query() at once; the first one leaves at once (it is not waited for)
    const leaving = ds.query(request([targets[0]], FROM, TO, DAY)).subscribe();
    leaving.unsubscribe();
    const shared = await Promise.all(targets.map((t) => run(ds, [t])));
    // each of the 4 runs twice: on the recorder's part (the partial frames drawn while the live bars load), then
    // on the bundle completed live
    expect(computeMock).toHaveBeenCalledTimes(8);
    // one recorder request for all of it
    expect(recorder.requests.filter((r) => r.path === '/api/v1/bundle')).toHaveLength(1);
    // the same targets one at a time on a fresh data source (nothing in flight to share): the same frames
    const alone = (await recorderDs(recorder.url)).ds;
    computeMock.mockClear();
    for (const [i, t] of targets.entries()) {
      expect(JSON.parse(JSON.stringify(shared[i]))).toEqual(JSON.parse(JSON.stringify(await run(alone, [t]))));
    }
    expect(computeMock).toHaveBeenCalledTimes(2 * targets.length);
    // and they are the engine's values on the bundle merged by hand
    expectFramesEqual([shared[1][0], shared[2][0], shared[4][0]], engine(inBaskets(mergedByHand())));
  });

  it("draws the recorder's bars first, while the bars after them load live, then the completed ones", async () => {
    const { ds } = await recorderDs(recorder.url);
    const emissions = await lastValueFrom(ds.query(request(TARGETS, FROM, TO, DAY)).pipe(toArray()));
    const first = emissions[0];
    const last = emissions[emissions.length - 1];
    expect(first.state).toBe(LoadingState.Streaming);
    expect(last.state).toBe(LoadingState.Done);
    // the first emission: every target's frames from the recorder's copy alone (its points before the split, in the
    // fetch range), with the notice saying the rest is loading
    const recOnly: Bundle = {
      asset: 'BTC',
      series: inBaskets(stored).series.map((x) => ({
        ...x,
        points: x.points.filter((p) => p[0] >= FETCH_FROM),
        ...(x.volumes ? { volumes: x.volumes.filter((p) => p[0] >= FETCH_FROM) } : {}),
      })) as Series[],
    };
    // each target's first frames (the targets answer one by one: an emission carries those that have frames)
    const partial = TARGETS.map((t) =>
      emissions.flatMap((e) => e.data as DataFrame[]).find((f) => f.refId === t.refId)!
    );
    expect(partial.map((f) => f?.refId)).toEqual(['P', 'O', 'F']);
    expectFramesEqual(partial, engine(recOnly));
    for (const f of partial) {
      expect((f.meta?.notices ?? [])[0]?.text).toBe(
        'Partial result: bars from the recorder up to its last closed bar; the bars after it are loading live'
      );
    }
    // its last bar with a premium is the recorder's last closed day; the final one reaches today
    const lastWith = (f: DataFrame) => {
      const t = values(f, 'time') as number[];
      const v = values(f, 'premiumPct') as Array<number | null>;
      return Math.max(...t.filter((_, i) => v[i] !== null));
    };
    const finalP = (last.data as DataFrame[]).find((f) => f.refId === 'P')!;
    expect(lastWith(partial.find((f) => f.refId === 'P')!)).toBe(SPLIT - DAY);
    expect(lastWith(finalP)).toBe(TODAY);
    expectFramesEqual(last.data as DataFrame[], engine(inBaskets(mergedByHand())));
    expect(((last.data as DataFrame[])[0].meta?.notices ?? []).some((n) => /^Partial result/.test(n.text))).toBe(false);
  });

  it("events (tables, annotations) come once, whole: no partial frames, and no engine run on the recorder's part", async () => {
    const { ds } = await recorderDs(recorder.url);
    const computeMock = compute as jest.MockedFunction<typeof compute>;
    computeMock.mockClear();
    const target: BtcFlowQuery = { refId: 'E', queryType: 'signals', timeframe: '1d', format: 'events' };
    const emissions = await lastValueFrom(ds.query(request([target], FROM, TO, DAY)).pipe(toArray()));
    expect(emissions.map((e) => e.state)).toEqual([LoadingState.Done]);
    expect(computeMock).toHaveBeenCalledTimes(1);
  });

  it('a range the recorder holds in full sends no request to the exchanges', async () => {
    const { ds } = await recorderDs(recorder.url);
    const from = SPLIT - 60 * DAY;
    const to = SPLIT - 2 * HOUR;
    const frames = await run(ds, TARGETS, from, to);
    expect(mock.stats().log.map((l) => `${l.venue} ${l.path} ${JSON.stringify(l.query)}`)).toEqual([]);
    const want = engine(
      inBaskets({
        asset: 'BTC',
        series: stored.series.map((s) => ({ ...s, points: s.points.filter((p) => p[0] < to) }) as Series),
      }),
      from,
      to
    );
    expectFramesEqual(frames, want);
    expect((frames[0].meta?.custom?.source as BarSource).splitTime).toBeNull();
    // the same range without the recorder goes to the exchanges
    const plain = new DataSource(instanceSettings((await recorderDs(recorder.url)).proxy.dsUrl, CONFIG), {
      now: () => NOW,
    });
    await run(plain, TARGETS, from, to);
    expect(mock.stats().total).toBeGreaterThan(10);
  });

  it('a series the recorder does not hold is fetched live in full, and the notice names it', async () => {
    const partial = await startFakeRecorder([{ ...stored, series: stored.series.filter((s) => s.venue !== 'okx') }]);
    cleanup.push(() => partial.close());
    const { ds } = await recorderDs(partial.url);
    const emissions = await lastValueFrom(ds.query(request(TARGETS, FROM, TO, DAY)).pipe(toArray()));
    expect(emissions[emissions.length - 1].errors).toBeUndefined();
    const frames = emissions[emissions.length - 1].data as DataFrame[];
    // the premium target's first frames: the recorder's part, naming what it lacks (okx perp) as loading in full
    const firstP = emissions.flatMap((e) => e.data as DataFrame[]).find((f) => f.refId === 'P')!;
    expect(firstP.meta?.notices?.[0]?.text).toBe(
      'Partial result: bars from the recorder up to its last closed bar; the bars after it are loading live, ' +
        'and in full: okx perp'
    );
    const merged = mergedByHand();
    const okxLive = new Map(live.series.filter((s) => s.venue === 'okx').map((s) => [s.kind, s]));
    const want = engine(
      inBaskets({ ...merged, series: merged.series.map((s) => (s.venue === 'okx' ? okxLive.get(s.kind)! : s)) })
    );
    expectFramesEqual(frames, want);
    const source = frames[0].meta?.custom?.source as BarSource;
    expect(source.series.filter((s) => s.from === 'live').map((s) => `${s.venue} ${s.kind}`)).toEqual(['okx perp']);
    expect(frames[0].meta?.notices?.map((n) => n.text).join('\n')).toMatch(
      /not in the recorder, fetched live in full: okx perp/
    );
  });

  it("a live tail that fails leaves the recorder's bars, with a notice naming the venue and the time", async () => {
    mock.setFaults([{ venue: 'coinbase', endpoint: 'klines', type: '500' }]);
    const { ds } = await recorderDs(recorder.url);
    const [f] = await run(ds, [TARGETS[0]]);
    const merged = mergedByHand();
    const want = engine(
      inBaskets({
        ...merged,
        series: merged.series.map((s) =>
          s.venue === 'coinbase' && s.kind === 'spot'
            ? ({
                ...s,
                points: s.points.filter((p) => p[0] < SPLIT),
                volumes: s.volumes?.filter((p) => p[0] < SPLIT),
              } as Series)
            : s
        ),
      })
    );
    expect(values(f, 'spotUsd')).toEqual(want.bars.map((b) => expect.closeTo(b.spotUsd!, 6)));
    const texts = (f.meta?.notices ?? []).map((n) => n.text).join('\n');
    expect(texts).toMatch(
      /coinbase: spot left out: .*\(live bars from 2025-11-10; the recorder's earlier bars are used\)/
    );
  });

  it.each([
    ['500', /HTTP 500: database is locked/],
    ['hang', /no answer within 1 s/],
  ] as const)('recorder %s: every series live, with a warning naming the recorder and why', async (mode, why) => {
    recorder.mode = mode;
    const { ds } = await recorderDs(recorder.url, {}, { requestTimeoutMs: 1000 });
    const frames = await run(ds, TARGETS);
    expectFramesEqual(frames, engine(inBaskets(live)));
    const n = frames[0].meta?.notices?.find((x) => /^Recorder /.test(x.text));
    expect(n?.severity).toBe('warning');
    expect(n?.text).toMatch(why);
    expect(n?.text).toContain(`Recorder ${recorder.url} not used`);
    expect((frames[0].meta?.custom?.source as BarSource).mode).toBe('live');
  });

  it('recorder down (nothing listening): live, with a notice that Grafana could not reach it', async () => {
    const gone = await startFakeRecorder([]);
    await gone.close();
    const { ds } = await recorderDs(gone.url);
    const frames = await run(ds, [TARGETS[0]]);
    expect(frames[0].meta?.notices?.map((n) => n.text).join('\n')).toMatch(/not used \(HTTP 502.*could not reach/);
  });

  it('Save & test says whether the recorder answered, and what it holds', async () => {
    const { ds } = await recorderDs(recorder.url);
    const ok = await ds.testDatasource();
    expect(ok.status).toBe('success');
    // the stored venues of the recorder's copy, the freshest point the day before the split
    const venues = new Set(stored.series.map((x) => x.venue)).size;
    expect(ok.message).toMatch(
      new RegExp(`Recorder ${recorder.url} answered: ${venues} venues stored, freshest point \\d+ days old\\.$`)
    );
    recorder.mode = '500';
    const down = await ds.testDatasource();
    expect(down.status).toBe('warning');
    expect(down.message).toContain(
      `Recorder ${recorder.url} not answering (HTTP 500: database is locked): queries will fetch live.`
    );
    const bad = await (await recorderDs('http://u:p@recorder:8789')).ds.testDatasource();
    expect(bad).toEqual({
      status: 'error',
      message: expect.stringMatching(/^Recorder URL refused: recorderUrl: credentials/),
    });
  });

  it('an invalid Recorder URL fails every query with a message naming the setting', async () => {
    const { ds } = await recorderDs('http://admin:hunter2@recorder:8789');
    const res = await lastValueFrom(ds.query(request([TARGETS[0]], FROM, TO, DAY)));
    expect(res.errors?.[0].message).toMatch(/^recorderUrl: credentials/);
    expect(res.errors?.[0].message).not.toContain('hunter2');
    expect(mock.stats().total).toBe(0);
  });
});

describe('the recorder token', () => {
  const TOKEN = 'tok-3f9a1c';
  let guarded: FakeRecorder;
  beforeAll(async () => {
    guarded = await startFakeRecorder([stored], { token: TOKEN });
    cleanup.push(() => guarded.close());
  });

  it("is added by Grafana's proxy from secureJsonData, and never sent by the browser side", async () => {
    const { ds, proxy } = await recorderDs(guarded.url, { recorderToken: TOKEN });
    const frames = await run(ds, [TARGETS[0]]);
    expect((frames[0].meta?.custom?.source as BarSource).mode).toBe('recorder');
    expect(guarded.requests.length).toBeGreaterThan(0);
    expect(guarded.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // what the data source (browser side) sent to the proxy: no Authorization header, and the token nowhere
    expect(proxy.hits.filter((h) => h.route === 'recorder').length).toBeGreaterThan(0);
    for (const h of proxy.hits) {
      expect(h.headers.authorization).toBeUndefined();
      expect(JSON.stringify(h)).not.toContain(TOKEN);
    }
    expect(JSON.stringify(ds.settings)).not.toContain(TOKEN);
  });

  it('without it the recorder answers 401 and the query falls back to live, saying the token is missing', async () => {
    const { ds } = await recorderDs(guarded.url, {});
    const frames = await run(ds, [TARGETS[0]]);
    const n = frames[0].meta?.notices?.find((x) => /^Recorder /.test(x.text));
    expect(n?.text).toMatch(/HTTP 401: missing or wrong token \(the recorder wants a token: set "Recorder token"/);
    expectFramesEqual([frames[0], ...(await run(ds, TARGETS.slice(1)))], engine(inBaskets(live)));
  });
});
