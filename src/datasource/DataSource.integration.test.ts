/** @jest-environment ./src/datasource/testing/jsdomWithFetch.js */
/**
 * The data source end to end: query() → real exchange layer (ccxt) → a stand-in of Grafana's data proxy serving
 * plugin.json's routes → the mock exchange server. Every value is checked against the engine run on a bundle the
 * test fetches itself, straight from the mock (no proxy, no data source code), with the warm-up range computed here.
 */
import { lastValueFrom } from 'rxjs';
import type { DataFrame } from '@grafana/data';
import { startFrozenMock, stopFrozenMock } from '../../mock/frozen';
import type { MockServer } from '../../mock/server';
import { compute } from '../core/engine';
import type { Bundle, EngineResult, Timeframe } from '../core/types';
import { ExchangeContext, fetchBundle } from '../exchanges';
import pluginJson from '../plugin.json';
import { DataSource } from './DataSource';
import { startFakeGrafanaProxy, type FakeGrafanaProxy } from './testing/fakeGrafanaProxy';
import { field, instanceSettings, request, values, variables } from './testing/harness';
import type { BtcFlowOptions, BtcFlowQuery } from './types';

jest.setTimeout(240_000);

jest.mock('@grafana/runtime', () => ({
  getTemplateSrv: () => jest.requireActual('./testing/harness').templateSrv,
}));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2025, 10, 20, 13, 30, 0);
const TODAY = Math.floor(NOW / DAY) * DAY;
const FROM = TODAY - 120 * DAY + 5 * HOUR; // mid-day: the first visible bar is the day containing FROM
const TO = NOW;

/** Small baskets keep the suite fast; every kind and several units (inverse, contracts) are still in. */
const CONFIG: BtcFlowOptions = {
  spotVenues: ['coinbase', 'bitstamp', 'binance'],
  perpVenues: ['binanceusdm', 'bybit', 'okx', 'deribit'],
  oiVenues: ['binanceusdm', 'bybit', 'okx'],
  fundingVenues: ['binanceusdm', 'bybit', 'okx', 'deribit'],
  requestTimeoutMs: 5000,
  retries: 1,
};
const ALL = ['coinbase', 'bitstamp', 'binance', 'binanceusdm', 'bybit', 'okx', 'deribit'];

let mock: MockServer;
let proxy: FakeGrafanaProxy;

beforeAll(async () => {
  mock = await startFrozenMock(NOW);
  proxy = await startFakeGrafanaProxy({ routes: pluginJson.routes, jsonData: {}, internet: mock.url });
});
afterAll(async () => {
  await proxy.close();
  await stopFrozenMock(mock);
});
beforeEach(async () => {
  await fetch(`${mock.url}/__faults`, { method: 'DELETE' });
  mock.resetStats();
  for (const k of Object.keys(variables)) {
    delete variables[k];
  }
});

const newDs = (jsonData: BtcFlowOptions = CONFIG, url = proxy.dsUrl) =>
  new DataSource(instanceSettings(url, jsonData), { now: () => NOW });

/**
 * Reference: the bundle straight from the mock, with the warm-up computed by hand (lookback + smoothing − 1 +
 * slope bars (default 5) + 1 bars before the first visible bar), and the engine on it.
 */
async function reference(opts: {
  tf: Timeframe;
  lookback: number;
  from?: number;
  to?: number;
  venues?: string[];
  asset?: string;
  smoothing?: number;
  filter?: (b: Bundle) => Bundle;
  engine?: Record<string, unknown>;
}): Promise<EngineResult> {
  const from = opts.from ?? FROM;
  const to = opts.to ?? TO;
  const barMs = { '1h': HOUR, '4h': 4 * HOUR, '1d': DAY, '3d': 3 * DAY, '1w': 7 * DAY, '1M': 0 }[opts.tf];
  let firstBar = Math.floor(from / barMs) * barMs;
  if (opts.tf === '1w') {
    firstBar = Math.floor((from - 4 * DAY) / barMs) * barMs + 4 * DAY; // weeks start Monday
  }
  const slope = Number(opts.engine?.premiumSlopeBars ?? 5); // premiumSlopeBars, default 5
  const warm = opts.lookback + ((opts.smoothing ?? 1) - 1) + slope + 1;
  const ctx = new ExchangeContext({ baseUrl: mock.url, now: () => NOW, retries: 0 });
  const r = await fetchBundle(
    { asset: opts.asset ?? 'BTC', timeframe: opts.tf, from: firstBar - warm * barMs, to, venues: opts.venues ?? ALL },
    ctx
  );
  const bundle = (opts.filter ?? inBaskets)(r.bundle);
  return compute(bundle, { timeframe: opts.tf, from, to, lookback: opts.lookback, ...(opts.engine ?? {}) });
}

/** The configured baskets, applied by hand: each kind only from the venues of its basket (fx always). */
function inBaskets(b: Bundle): Bundle {
  const basket: Record<string, string[] | undefined> = {
    spot: CONFIG.spotVenues,
    perp: CONFIG.perpVenues,
    openInterest: CONFIG.oiVenues,
    funding: CONFIG.fundingVenues,
  };
  return { ...b, series: b.series.filter((s) => s.kind === 'fx' || basket[s.kind]!.includes(s.venue)) };
}

async function run(ds: DataSource, targets: BtcFlowQuery[], intervalMs = DAY, from = FROM, to = TO) {
  const res = await lastValueFrom(ds.query(request(targets, from, to, intervalMs)));
  if (res.errors?.length) {
    throw new Error(res.errors.map((e) => e.message).join('; '));
  }
  return res.data as DataFrame[];
}

const times = (r: EngineResult) => r.bars.map((b) => b.time);

describe('query() for every query type, against the engine on the same data', () => {
  let ref: EngineResult;
  beforeAll(async () => {
    ref = await reference({ tf: '1d', lookback: 90 });
    expect(ref.bars.length).toBeGreaterThan(100);
  });

  it('premium: premiumPct, premiumZ and the basket closes', async () => {
    const [f] = await run(newDs(), [{ refId: 'A', queryType: 'premium', timeframe: '1d', includeBaskets: true }]);
    expect(f.refId).toBe('A');
    expect(values(f, 'time')).toEqual(times(ref));
    expect(values(f, 'premiumPct')).toEqual(ref.bars.map((b) => b.premiumPct));
    expect(values(f, 'premiumZ')).toEqual(ref.bars.map((b) => b.premiumZ));
    expect(values(f, 'spotUsd')).toEqual(ref.bars.map((b) => b.spotUsd));
    expect(values(f, 'perpUsd')).toEqual(ref.bars.map((b) => b.perpUsd));
    // premium by hand on one bar: (S − P) / P × 100
    const b = ref.bars[50];
    expect(b.premiumPct!).toBeCloseTo(((b.spotUsd! - b.perpUsd!) / b.perpUsd!) * 100, 10);
    expect(field(f, 'premiumPct').config.unit).toBe('percent');
    expect(field(f, 'premiumZ').config.displayNameFromDS).toBe('Premium z-score');
    expect(field(f, 'premiumZ').config.thresholds?.steps.map((s) => s.value)).toEqual([-Infinity, -2, 2]);
    expect(field(f, 'spotUsd').config.unit).toBe('currencyUSD');
  });

  it('warm-up: the first visible bar already has its z-scores', async () => {
    const [f] = await run(newDs(), [{ refId: 'A', queryType: 'signals', timeframe: '1d' }]);
    expect(values(f, 'time')[0]).toBe(Math.floor(FROM / DAY) * DAY);
    expect(ref.bars[0].premiumZ).not.toBeNull();
    expect(ref.bars[0].oiZ).not.toBeNull();
    expect(ref.bars[0].fundingZ).not.toBeNull();
    expect((f.meta?.notices ?? []).filter((n) => /z-score: the first/.test(n.text))).toEqual([]);
    // Without the warm-up the same range would start with empty z-scores.
    const ctx = new ExchangeContext({ baseUrl: mock.url, now: () => NOW });
    const cold = await fetchBundle({ asset: 'BTC', timeframe: '1d', from: FROM, to: TO, venues: ALL }, ctx);
    const noWarm = compute(cold.bundle, { timeframe: '1d', from: FROM, to: TO, lookback: 90 });
    expect(noWarm.bars[0].premiumZ).toBeNull();
  });

  it('oi: oiUsd, oiIndexUsd and one field per venue', async () => {
    const [f] = await run(newDs(), [{ refId: 'B', queryType: 'oi', timeframe: '1d' }]);
    expect(values(f, 'oiUsd')).toEqual(ref.bars.map((b) => b.oiUsd));
    expect(values(f, 'oiIndexUsd')).toEqual(ref.bars.map((b) => b.oiIndexUsd));
    for (const v of ['bybit', 'okx', 'binanceusdm']) {
      expect(values(f, `oiUsd:${v}`)).toEqual(ref.bars.map((b) => b.venues.oiUsd[v] ?? null));
      expect(field(f, `oiUsd:${v}`).labels).toEqual({ venue: v });
    }
    // oiUsd is the sum of the venues present
    const last = ref.bars[ref.bars.length - 2];
    const sum = Object.values(last.venues.oiUsd).reduce<number>((a, x) => a + (x ?? 0), 0);
    expect(last.oiUsd!).toBeCloseTo(sum, 2);
    expect(field(f, 'oiUsd').config.unit).toBe('currencyUSD');
    // Binance keeps 30 days of OI: the frame says so.
    const texts = (f.meta?.notices ?? []).map((n) => n.text).join('\n');
    expect(texts).toMatch(/binanceusdm.*30 days/);
    expect(f.meta?.notices?.find((n) => /binanceusdm/.test(n.text))?.severity).toBe('warning');
  });

  it("oi in coins and split by margin type: equal to the venues' raw OI (base coins, and USD for inverse)", async () => {
    // bybit-inverse (BTCUSD, OI counted in USD: coin-margined) joins the OI and perp baskets
    const cfg = {
      ...CONFIG,
      perpVenues: [...CONFIG.perpVenues!, 'bybit-inverse'],
      oiVenues: [...CONFIG.oiVenues!, 'bybit-inverse'],
    };
    const ds = newDs(cfg);
    const [coin] = await run(ds, [{ refId: 'C', queryType: 'oi', timeframe: '1d', unit: 'coin' }]);
    const [byMargin] = await run(ds, [{ refId: 'M', queryType: 'oi', timeframe: '1d', groupBy: 'margin' }]);
    // the raw OI series, straight from the mock (no data source code)
    const ctx = new ExchangeContext({ baseUrl: mock.url, now: () => NOW, retries: 0 });
    const raw = await fetchBundle(
      {
        asset: 'BTC',
        timeframe: '1d',
        from: FROM - 200 * DAY,
        to: TO,
        venues: ['binanceusdm', 'bybit-inverse'],
        kinds: ['openInterest'],
      },
      ctx
    );
    const at = (venue: string) =>
      new Map(raw.bundle.series.find((x) => x.venue === venue)!.points.map(([t, v]) => [t, v]));
    const times = values(coin, 'time') as number[];
    const linear = at('binanceusdm');
    const inverse = at('bybit-inverse');
    let checked = 0;
    times.forEach((t, i) => {
      const want = linear.get(t);
      const got = values(coin, 'oiCoin:binanceusdm')[i] as number | null;
      if (want !== undefined && got !== null) {
        expect(got).toBeCloseTo(want, 6); // base coins, as the venue counts them
        checked++;
      }
      const usd = inverse.get(t);
      const m = values(byMargin, 'oiUsd:coin-margined')[i] as number | null;
      if (usd !== undefined && m !== null) {
        expect(m).toBeCloseTo(usd, 4); // the only coin-margined venue: its USD OI
      }
    });
    expect(checked).toBeGreaterThan(10);
    // total coins = sum of the venues' coins; stablecoin + coin-margined = the total in USD
    const venues = coin.fields.filter((f) => f.name.startsWith('oiCoin:')).map((f) => f.name);
    const i = times.length - 2;
    const sum = venues.reduce((a, n) => a + ((values(coin, n)[i] as number | null) ?? 0), 0);
    expect(values(coin, 'oiCoin')[i] as number).toBeCloseTo(sum, 6);
    expect(field(coin, 'oiCoin').config.unit).toBe('none');
    expect(() => field(coin, 'oiIndexUsd')).toThrow(); // the USD index only in USD
    const total = (values(byMargin, 'oiUsd')[i] as number) ?? NaN;
    const parts =
      (values(byMargin, 'oiUsd:stablecoin-margined')[i] as number) +
      (values(byMargin, 'oiUsd:coin-margined')[i] as number);
    expect(parts).toBeCloseTo(total, 2);
    expect(() => field(byMargin, 'oiUsd:binanceusdm')).toThrow(); // margin groups replace the venues
  });

  it('oi: a bad unit or groupBy names the field and the allowed values', async () => {
    const res = await lastValueFrom(
      newDs().query(request([{ refId: 'A', queryType: 'oi', unit: 'eur' } as never], FROM, TO))
    );
    expect(res.errors?.[0].message).toBe('unit: bad value "eur" for an oi query; allowed: usd, coin');
    const res2 = await lastValueFrom(
      newDs().query(request([{ refId: 'A', queryType: 'oi', groupBy: 'asset' } as never], FROM, TO))
    );
    expect(res2.errors?.[0].message).toBe('groupBy: bad value "asset"; allowed: venue, margin');
  });

  it('oiZ: the OI z-score', async () => {
    const [f] = await run(newDs(), [{ refId: 'C', queryType: 'oiZ', timeframe: '1d', includeIndex: true }]);
    expect(values(f, 'oiZ')).toEqual(ref.bars.map((b) => b.oiZ));
    expect(values(f, 'oiIndexUsd')).toEqual(ref.bars.map((b) => b.oiIndexUsd));
    expect(field(f, 'oiZ').config.custom?.thresholdsStyle).toEqual({ mode: 'dashed' });
  });

  it('funding: rate (percentunit) or APR (percent), per venue on demand, fundingZ', async () => {
    const [rate] = await run(newDs(), [{ refId: 'D', queryType: 'funding', timeframe: '1d', perVenue: true }]);
    expect(values(rate, 'fundingRate8h')).toEqual(ref.bars.map((b) => b.fundingRate8h));
    expect(values(rate, 'fundingZ')).toEqual(ref.bars.map((b) => b.fundingZ));
    expect(field(rate, 'fundingRate8h').config.unit).toBe('percentunit');
    expect(values(rate, 'fundingRate8h:deribit')).toEqual(ref.bars.map((b) => b.venues.funding8h.deribit ?? null));
    expect(() => field(rate, 'fundingAprPct')).toThrow();

    const [apr] = await run(newDs(), [
      { refId: 'D', queryType: 'funding', timeframe: '1d', unit: 'apr', perVenue: true },
    ]);
    expect(values(apr, 'fundingAprPct')).toEqual(ref.bars.map((b) => b.fundingAprPct));
    expect(field(apr, 'fundingAprPct').config.unit).toBe('percent');
    // APR = 8h rate × 3 × 365 × 100, by hand, for the composite and a venue
    const i = 40;
    expect(values(apr, 'fundingAprPct')[i] as number).toBeCloseTo(ref.bars[i].fundingRate8h! * 3 * 365 * 100, 8);
    expect(values(apr, 'fundingAprPct:okx')[i] as number).toBeCloseTo(
      ref.bars[i].venues.funding8h.okx! * 1095 * 100,
      8
    );
  });

  it('signals: a 0/1 state series per kind, and events', async () => {
    const [states] = await run(newDs(), [{ refId: 'E', queryType: 'signals', timeframe: '1d' }]);
    for (const k of ['bullish', 'bearish', 'overLeverage'] as const) {
      expect(values(states, k)).toEqual(ref.bars.map((b) => (b.states.includes(k) ? 1 : 0)));
      expect(field(states, k).config.mappings?.length).toBe(1);
    }
    const [events] = await run(newDs(), [
      { refId: 'E', queryType: 'signals', timeframe: '1d', format: 'events', kinds: ['bullish', 'bearish'] },
    ]);
    const want = ref.events.filter((e) => e.kind === 'bullish' || e.kind === 'bearish');
    expect(want.length).toBeGreaterThan(0);
    expect(values(events, 'time')).toEqual(want.map((e) => e.time));
    expect(values(events, 'timeEnd')).toEqual(want.map((e) => e.timeEnd));
    expect(values(events, 'title')).toEqual(want.map((e) => e.title));
    expect(values(events, 'text')).toEqual(want.map((e) => e.text));
    expect(values(events, 'tags')).toEqual(want.map((e) => ['btc-flow', e.kind]));
  });

  it('extremes: states with the score, and events', async () => {
    const [states] = await run(newDs(), [{ refId: 'F', queryType: 'extremes', timeframe: '1d', includeScore: true }]);
    expect(values(states, 'extremeTop')).toEqual(ref.bars.map((b) => (b.states.includes('extremeTop') ? 1 : 0)));
    expect(values(states, 'extremeBottom')).toEqual(ref.bars.map((b) => (b.states.includes('extremeBottom') ? 1 : 0)));
    expect(values(states, 'extremeScore')).toEqual(ref.bars.map((b) => b.extremeScore));
    const [events] = await run(newDs(), [{ refId: 'F', queryType: 'extremes', timeframe: '1d', format: 'events' }]);
    const want = ref.events.filter((e) => e.kind === 'extremeTop' || e.kind === 'extremeBottom');
    expect(values(events, 'kind')).toEqual(want.map((e) => e.kind));
  });

  it('prices: per-venue spot and perp closes', async () => {
    const [f] = await run(newDs(), [{ refId: 'G', queryType: 'prices', timeframe: '1d' }]);
    for (const v of ['coinbase', 'bitstamp', 'binance']) {
      expect(values(f, `spot:${v}`)).toEqual(ref.bars.map((b) => b.venues.spot[v] ?? null));
    }
    for (const v of ['binanceusdm', 'bybit', 'okx', 'deribit']) {
      expect(values(f, `perp:${v}`)).toEqual(ref.bars.map((b) => b.venues.perp[v] ?? null));
    }
    expect(values(f, 'spotUsd')).toEqual(ref.bars.map((b) => b.spotUsd));
  });

  it('coverage: venues behind each value per bar', async () => {
    const [f] = await run(newDs(), [{ refId: 'H', queryType: 'coverage', timeframe: '1d', includeExcluded: true }]);
    for (const k of ['spot', 'perp', 'oi', 'funding'] as const) {
      expect(values(f, k)).toEqual(ref.bars.map((b) => b.counts[k]));
    }
    // by hand: the spot count is the number of spot venues with a value at that bar
    const b = ref.bars[10];
    expect(values(f, 'spot')[10]).toBe(Object.values(b.venues.spot).filter((x) => x !== null).length);
    expect(values(f, 'excluded')).toEqual(ref.coverage.bars.map((c) => c.excluded.join(', ')));
  });
});

describe('routes, mirror and sharing', () => {
  it('every request goes through a plugin.json route', async () => {
    const before = { ...proxy.counts };
    await run(newDs(), [{ refId: 'A', queryType: 'premium', timeframe: '1d' }]);
    expect(proxy.counts.unmatched ?? 0).toBe(before.unmatched ?? 0);
    const used = Object.keys(proxy.counts).filter((k) => proxy.counts[k] !== before[k]);
    expect(used.sort()).toEqual(expect.arrayContaining(['coinbase-api', 'binanceusdm-fapi', 'okx-www']));
    expect(used).not.toContain('mirror');
  });

  it('with the default venues, every host the queries need has a route and every route is used', async () => {
    const before = { ...proxy.counts };
    const ds = newDs({ requestTimeoutMs: 5000, retries: 0 });
    const res = await lastValueFrom(
      ds.query(request([{ refId: 'A', queryType: 'signals', timeframe: '1d' }], NOW - 60 * DAY, NOW))
    );
    expect(res.errors ?? []).toEqual([]);
    await ds.metricFindQuery('assets(all)');
    await ds.testDatasource();
    expect(proxy.counts.unmatched ?? 0).toBe(before.unmatched ?? 0);
    const used = Object.keys(proxy.counts).filter((k) => proxy.counts[k] !== before[k]);
    const hostRoutes = pluginJson.routes.map((r) => r.path).filter((p) => p !== 'mirror' && p !== 'recorder');
    expect(used.sort()).toEqual(hostRoutes.sort());
  });

  it('with a mirror URL every request goes to <mirror>/<host>/... through the mirror route', async () => {
    const mirrorProxy = await startFakeGrafanaProxy({
      routes: pluginJson.routes,
      jsonData: { mirrorUrl: mock.url },
      internet: 'http://127.0.0.1:9',
    });
    try {
      const ds = newDs({ ...CONFIG, mirrorUrl: mock.url }, mirrorProxy.dsUrl);
      const [f] = await run(ds, [{ refId: 'A', queryType: 'premium', timeframe: '1d' }]);
      const ref = await reference({ tf: '1d', lookback: 90 });
      expect(values(f, 'premiumPct')).toEqual(ref.bars.map((b) => b.premiumPct));
      expect(Object.keys(mirrorProxy.counts)).toEqual(['mirror']);
      expect(mirrorProxy.upstream.every((u) => u.startsWith(`${mock.url}/`))).toBe(true);
      expect(mirrorProxy.upstream.some((u) => u.startsWith(`${mock.url}/fapi.binance.com/fapi/v1/klines`))).toBe(true);
    } finally {
      await mirrorProxy.close();
    }
  });

  it('panels of one refresh share one set of exchange requests', async () => {
    const one = newDs();
    await run(one, [{ refId: 'A', queryType: 'signals', timeframe: '1d' }]);
    const single = mock.stats().total;
    mock.resetStats();
    const six = newDs();
    const panels = ['A', 'B', 'C', 'D', 'E', 'F'].map((refId) =>
      lastValueFrom(six.query(request([{ refId, queryType: 'signals', timeframe: '1d' }], FROM, TO, DAY)))
    );
    await Promise.all(panels);
    expect(mock.stats().total).toBe(single);
    // a refresh of the same data source re-fetches only open bars / new funding points, not the history
    mock.resetStats();
    await run(six, [{ refId: 'A', queryType: 'signals', timeframe: '1d' }]);
    expect(mock.stats().total).toBeLessThan(single / 2);
  });
});

describe('options', () => {
  it('template variables: $asset, $timeframe, multi-value $venues', async () => {
    variables.asset = 'BTC';
    variables.timeframe = '1w';
    variables.venues = ['coinbase', 'bybit'];
    const [f] = await run(newDs(), [
      { refId: 'A', queryType: 'prices', asset: '$asset', timeframe: '$timeframe', venues: ['$venues'] },
    ]);
    expect(f.meta?.custom?.timeframe).toBe('1w');
    const names = f.fields.map((x) => x.name);
    expect(names).toEqual(['time', 'spotUsd', 'perpUsd', 'spot:coinbase', 'perp:bybit']);
    const ref = await reference({ tf: '1w', lookback: 52, venues: ['coinbase', 'bybit'] });
    expect(values(f, 'perp:bybit')).toEqual(ref.bars.map((b) => b.venues.perp.bybit ?? null));
    // weekly bars start on Mondays
    expect((values(f, 'time') as number[]).every((t) => new Date(t).getUTCDay() === 1)).toBe(true);
  });

  it('auto timeframe follows the panel interval, rounded up to a supported timeframe', async () => {
    const ds = newDs();
    const from = NOW - 20 * DAY;
    const [h4] = await run(ds, [{ refId: 'A', queryType: 'premium' }], 3 * HOUR, from);
    expect(h4.meta?.custom?.timeframe).toBe('4h');
    const t = values(h4, 'time') as number[];
    expect(t[1] - t[0]).toBe(4 * HOUR);
    const [d3] = await run(ds, [{ refId: 'A', queryType: 'premium', timeframe: 'auto' }], 2 * DAY);
    expect(d3.meta?.custom?.timeframe).toBe('3d');
    const ref = await reference({ tf: '3d', lookback: 122 });
    expect(values(d3, 'premiumPct')).toEqual(ref.bars.map((b) => b.premiumPct));
  });

  it('lookback, smoothing and configured thresholds reach the engine', async () => {
    const ds = newDs({
      ...CONFIG,
      thresholds: { overLeverageOiZ: 0.5, overLeverageFundingZ: 0.5 },
      defaultLookbacks: { '1d': 60 },
    });
    const [f] = await run(ds, [{ refId: 'A', queryType: 'signals', timeframe: '1d', premiumSmoothing: 3 }]);
    const ref = await reference({
      tf: '1d',
      lookback: 60,
      smoothing: 3,
      engine: { premiumSmoothing: 3, overLeverageOiZ: 0.5, overLeverageFundingZ: 0.5 },
    });
    expect(values(f, 'overLeverage')).toEqual(ref.bars.map((b) => (b.states.includes('overLeverage') ? 1 : 0)));
    expect(values(f, 'bullish')).toEqual(ref.bars.map((b) => (b.states.includes('bullish') ? 1 : 0)));
    const [p] = await run(ds, [{ refId: 'A', queryType: 'premium', timeframe: '1d', lookback: 30 }]);
    const ref30 = await reference({ tf: '1d', lookback: 30 });
    expect(values(p, 'premiumZ')).toEqual(ref30.bars.map((b) => b.premiumZ));
  });

  it('baskets per role: a venue out of the OI basket is out of the OI sum only', async () => {
    const ds = newDs({ ...CONFIG, oiVenues: ['bybit'] });
    const [f] = await run(ds, [{ refId: 'A', queryType: 'oi', timeframe: '1d' }]);
    expect(f.fields.map((x) => x.name)).toEqual(['time', 'oiUsd', 'oiIndexUsd', 'oiUsd:bybit']);
    const ref = await reference({
      tf: '1d',
      lookback: 90,
      filter: (b) => ({
        ...inBaskets(b),
        series: inBaskets(b).series.filter((s) => s.kind !== 'openInterest' || s.venue === 'bybit'),
      }),
    });
    expect(values(f, 'oiUsd')).toEqual(ref.bars.map((b) => b.oiUsd));
  });

  it('bad input gets a clear error naming the field and the allowed values', async () => {
    const res = await lastValueFrom(
      newDs().query(
        request(
          [
            { refId: 'A', queryType: 'premium', timeframe: '2h' as never },
            { refId: 'B', queryType: 'premium', venues: ['kraken'] },
            { refId: 'C', queryType: 'nope' as never },
          ],
          FROM,
          TO
        )
      )
    );
    const msg = Object.fromEntries((res.errors ?? []).map((e) => [e.refId, e.message]));
    expect(msg.A).toBe('timeframe: unknown timeframe "2h"; allowed: auto, 1h, 4h, 1d, 3d, 1w, 1M');
    expect(msg.B).toMatch(
      /^venues: "kraken" is not a configured venue; allowed: coinbase, bitstamp, binance, binanceusdm, bybit, okx, deribit/
    );
    expect(msg.C).toMatch(/^queryType: unknown query type "nope"; allowed: premium, oi, oiZ/);
  });
});

describe('faults', () => {
  it('a failing venue is named in a warning notice; the others still give correct values', async () => {
    const r = await fetch(`${mock.url}/__faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ venue: 'okx', endpoint: '*', type: '500' }),
    });
    expect(r.status).toBe(200);
    const [f] = await run(newDs(), [{ refId: 'A', queryType: 'premium', timeframe: '1d' }]);
    const notices = f.meta?.notices ?? [];
    const okx = notices.filter((n) => /okx/.test(n.text));
    expect(okx.length).toBeGreaterThan(0);
    expect(okx[0].severity).toBe('warning');
    expect(okx[0].text).toMatch(/okx: perp left out: .*server error \(HTTP 500\)/);
    const ref = await reference({ tf: '1d', lookback: 90, venues: ALL.filter((v) => v !== 'okx') });
    expect(values(f, 'premiumPct')).toEqual(ref.bars.map((b) => b.premiumPct));
  });

  it('malformed answers from one venue: notice, and the value equals the engine without it', async () => {
    await fetch(`${mock.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ venue: 'bybit', endpoint: 'fundingHistory', type: 'malformed' }),
    });
    const [f] = await run(newDs(), [{ refId: 'A', queryType: 'funding', timeframe: '1d' }]);
    expect((f.meta?.notices ?? []).some((n) => /bybit: funding left out/.test(n.text))).toBe(true);
    const ref = await reference({
      tf: '1d',
      lookback: 90,
      filter: (b) => ({
        ...inBaskets(b),
        series: inBaskets(b).series.filter((s) => !(s.kind === 'funding' && s.venue === 'bybit')),
      }),
    });
    expect(values(f, 'fundingRate8h')).toEqual(ref.bars.map((b) => b.fundingRate8h));
  });

  it('when every venue fails the query fails with the reasons', async () => {
    await fetch(`${mock.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ venue: '*', endpoint: '*', type: '500' }),
    });
    const res = await lastValueFrom(
      newDs({ ...CONFIG, retries: 0 }).query(request([{ refId: 'A', queryType: 'premium', timeframe: '1d' }], FROM, TO))
    );
    expect(res.errors?.[0].refId).toBe('A');
    expect(res.errors?.[0].message).toMatch(/^No venue answered for BTC: .*coinbase/);
  });

  it('too little history before the range: a warm-up notice says which z-score and from when', async () => {
    const from = Date.UTC(2019, 1, 1);
    const [f] = await run(
      newDs(),
      [{ refId: 'A', queryType: 'premium', timeframe: '1d' }],
      DAY,
      from,
      from + 200 * DAY
    );
    const n = (f.meta?.notices ?? []).find((x) => /premium z-score: the first/.test(x.text));
    expect(n?.severity).toBe('warning');
    const z = values(f, 'premiumZ');
    const firstZ = z.findIndex((x) => x !== null);
    const leading = (values(f, 'premiumPct') as Array<number | null>).slice(0, firstZ).filter((x) => x !== null).length;
    expect(leading).toBeGreaterThan(0);
    expect(n?.text).toContain(`the first ${leading} 1d bars`);
  });
});

describe('annotations', () => {
  it('signals / extremes annotation queries return event frames (time, timeEnd, title, text, tags), filtered by kind', async () => {
    const ds = newDs();
    const prepared = ds.annotations!.prepareQuery!({
      name: 'Signals',
      enable: true,
      iconColor: 'green',
      target: { refId: 'Anno', queryType: 'signals', timeframe: '1d', kinds: ['bearish'] },
    } as never);
    expect(prepared).toMatchObject({ queryType: 'signals', format: 'events', kinds: ['bearish'] });
    const [f] = await run(ds, [prepared!]);
    const ref = await reference({ tf: '1d', lookback: 90 });
    const want = ref.events.filter((e) => e.kind === 'bearish');
    expect(want.length).toBeGreaterThan(0);
    expect(f.fields.map((x) => x.name)).toEqual(expect.arrayContaining(['time', 'timeEnd', 'title', 'text', 'tags']));
    expect(values(f, 'time')).toEqual(want.map((e) => e.time));
    expect(values(f, 'timeEnd')).toEqual(want.map((e) => e.timeEnd));
    // regions: every event ends after it starts, on bar boundaries
    expect(
      (values(f, 'timeEnd') as number[]).every((t, i) => t > (values(f, 'time')[i] as number) && t % DAY === 0)
    ).toBe(true);
    expect((values(f, 'text') as string[]).every((t) => t.length > 0)).toBe(true);
  });

  it('an annotation without a BTC Flow target falls back to all signal events', () => {
    const prepared = newDs().annotations!.prepareQuery!({ name: 'x', enable: true, iconColor: 'red' } as never);
    expect(prepared).toMatchObject({
      queryType: 'signals',
      format: 'events',
      kinds: ['bullish', 'bearish', 'overLeverage'],
    });
  });
});

describe('variables and test', () => {
  it('metricFindQuery: timeframes, venues per role, assets on the configured venues', async () => {
    const ds = newDs();
    expect((await ds.metricFindQuery('timeframes()')).map((v) => v.text)).toEqual([
      'auto',
      '1h',
      '4h',
      '1d',
      '3d',
      '1w',
      '1M',
    ]);
    expect((await ds.metricFindQuery('venues(spot)')).map((v) => v.text)).toEqual(CONFIG.spotVenues);
    expect((await ds.metricFindQuery(' venues( oi ) ')).map((v) => v.text)).toEqual(CONFIG.oiVenues);
    expect((await ds.metricFindQuery('venues()')).map((v) => v.text)).toEqual(ALL);
    variables.role = 'funding';
    expect((await ds.metricFindQuery('venues($role)')).map((v) => v.text)).toEqual(CONFIG.fundingVenues);
    const assets = (await ds.metricFindQuery('assets()')).map((v) => v.text);
    expect(assets).toEqual(expect.arrayContaining(['BTC', 'ETH']));
    const all = (await ds.metricFindQuery('assets(all)')).map((v) => v.text);
    expect(all.length).toBeGreaterThanOrEqual(assets.length);
    await expect(ds.metricFindQuery('markets()')).rejects.toThrow(
      'variable query: unknown query "markets()"; allowed: assets(), assets(all), venues(), venues(<role>), timeframes() (role: spot, perp, oi, funding)'
    );
    await expect(ds.metricFindQuery('venues(options)')).rejects.toThrow(/unknown query "venues\(options\)"/);
  });

  it('testDatasource: one request per venue through the proxy; names each venue that does not answer', async () => {
    const ok = await newDs().testDatasource();
    expect(ok.status).toBe('success');
    expect(ok.message).toBe(`All ${ALL.length} venues answered: ${ALL.join(', ')}.`);
    await fetch(`${mock.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ venue: 'deribit', endpoint: '*', type: '500' }),
    });
    mock.resetStats();
    const bad = await newDs({ ...CONFIG, retries: 0 }).testDatasource();
    expect(bad.status).toBe('warning');
    expect(bad.message).toMatch(
      /^6 of 7 venues answered \(coinbase, bitstamp, binance, binanceusdm, bybit, okx\)\. Not answering: deribit: ping: server error \(HTTP 500\)/
    );
    // one request per venue
    expect(mock.stats().total).toBe(ALL.length);
  });
});
