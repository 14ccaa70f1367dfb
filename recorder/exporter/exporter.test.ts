/** @jest-environment node */
/**
 * The exporter against hand-made engine results: unit conversions (percent → ratio, ms → s), the last closed bar
 * (never the open one), absent values, every state always present, onset counting, health metrics and the
 * text format Prometheus reads. Expected numbers are written out by hand from the bars below.
 */
import { Gauge } from 'prom-client';
import type { Bar, EngineResult, StateKind } from '../../src/core/types';
import { BtcFlowExporter, lastClosedBarIndex } from './exporter';
import { ALL_METRIC_NAMES, BAR_GAUGES } from './metrics';

const H = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 0);

interface BarInit {
  premiumPct?: number | null;
  premiumZ?: number | null;
  oiUsd?: number | null;
  oiZ?: number | null;
  fundingRate8h?: number | null;
  fundingAprPct?: number | null;
  fundingZ?: number | null;
  extremeScore?: number | null;
  states?: StateKind[];
  counts?: Bar['counts'];
}

function bar(i: number, init: BarInit = {}): Bar {
  const fundingRate8h = init.fundingRate8h === undefined ? 0.0001 : init.fundingRate8h;
  return {
    time: T0 + i * H,
    timeEnd: T0 + (i + 1) * H,
    spotUsd: 100_000,
    perpUsd: 100_050,
    premiumPct: init.premiumPct === undefined ? -0.05 : init.premiumPct,
    premiumZ: init.premiumZ === undefined ? -1.25 : init.premiumZ,
    oiUsd: init.oiUsd === undefined ? 27_860_000_000 : init.oiUsd,
    oiIndexUsd: init.oiUsd === undefined ? 27_860_000_000 : init.oiUsd,
    oiZ: init.oiZ === undefined ? 2.5 : init.oiZ,
    fundingRate8h,
    fundingAprPct:
      init.fundingAprPct === undefined
        ? fundingRate8h === null
          ? null
          : fundingRate8h * 3 * 365 * 100
        : init.fundingAprPct,
    fundingZ: init.fundingZ === undefined ? 0.75 : init.fundingZ,
    extremeScore: init.extremeScore === undefined ? 1.5 : init.extremeScore,
    states: init.states ?? [],
    venues: { spot: {}, perp: {}, oiUsd: {}, funding8h: {} },
    counts: init.counts ?? { spot: 4, perp: 8, oi: 7, funding: 8 },
  };
}

function result(bars: Bar[]): EngineResult {
  return {
    timeframe: '1h',
    bars,
    events: [],
    coverage: { series: [], bars: [], staleExclusions: [], unconvertedQuotes: [], notes: [] },
    notices: [],
  };
}

/** Parse the Prometheus text format into `name{sorted labels}` → value. */
async function samples(ex: BtcFlowExporter): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await ex.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) {
      throw new Error(`unparsable line ${line}`);
    }
    const labels = (m[2] ?? '')
      .split(',')
      .filter((s) => s !== '')
      .sort()
      .join(',');
    out.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return out;
}

const key = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',')}}`;
const BTC1H = { asset: 'BTC', timeframe: '1h' };

describe('lastClosedBarIndex', () => {
  const bars = [bar(0), bar(1), bar(2)];
  it('picks the last bar whose end is at or before now', () => {
    expect(lastClosedBarIndex(bars, T0 + 3 * H)).toBe(2);
    expect(lastClosedBarIndex(bars, T0 + 3 * H - 1)).toBe(1); // bar 2 still open
    expect(lastClosedBarIndex(bars, T0 + 2 * H + 1)).toBe(1);
    expect(lastClosedBarIndex(bars, T0 + H - 1)).toBe(-1);
    expect(lastClosedBarIndex([], T0)).toBe(-1);
  });
});

describe('BtcFlowExporter bar gauges', () => {
  it('exports the last closed bar in base units and ratios', async () => {
    const ex = new BtcFlowExporter({ processMetrics: false });
    const closed = bar(1, {
      premiumPct: 0.25,
      premiumZ: -0.5,
      oiUsd: 30_000_000_000,
      oiZ: 2.25,
      fundingRate8h: 0.0003,
      fundingZ: 2.75,
      extremeScore: 2.5,
      states: ['overLeverage', 'extremeTop'],
      counts: { spot: 3, perp: 7, oi: 6, funding: 5 },
    });
    // bar 2 is open at now = T0 + 2.5h and carries different values: it must not be exported
    const open = bar(2, { premiumPct: 9, oiZ: -9, states: ['bullish'] });
    const up = ex.updateBar('BTC', '1h', result([bar(0), closed, open]), T0 + 2.5 * H);
    expect(up.bar?.time).toBe(T0 + H);
    const s = await samples(ex);
    expect(s.get(key('btcflow_spot_premium_ratio', BTC1H))).toBeCloseTo(0.0025, 15);
    expect(s.get(key('btcflow_premium_zscore', BTC1H))).toBe(-0.5);
    expect(s.get(key('btcflow_open_interest_usd', BTC1H))).toBe(30_000_000_000);
    expect(s.get(key('btcflow_open_interest_zscore', BTC1H))).toBe(2.25);
    expect(s.get(key('btcflow_funding_rate_8h_ratio', BTC1H))).toBe(0.0003);
    // 0.0003 per 8h × 3 × 365 = 0.3285 per year
    expect(s.get(key('btcflow_funding_apr_ratio', BTC1H))).toBeCloseTo(0.3285, 12);
    expect(s.get(key('btcflow_funding_zscore', BTC1H))).toBe(2.75);
    expect(s.get(key('btcflow_extreme_score', BTC1H))).toBe(2.5);
    expect(s.get(key('btcflow_bar_timestamp_seconds', BTC1H))).toBe(Date.UTC(2026, 5, 1, 1) / 1000);
    const state = (st: string) => s.get(key('btcflow_state', { ...BTC1H, state: st }));
    expect([
      state('bullish'),
      state('bearish'),
      state('overLeverage'),
      state('extremeTop'),
      state('extremeBottom'),
    ]).toEqual([0, 0, 1, 1, 0]);
    const venues = (kind: string) => s.get(key('btcflow_venues', { ...BTC1H, kind }));
    expect([venues('spot'), venues('perp'), venues('openInterest'), venues('funding')]).toEqual([3, 7, 6, 5]);
  });

  it('leaves a value the engine lacks absent (no NaN, no 0) and brings it back when known', async () => {
    const ex = new BtcFlowExporter({ processMetrics: false });
    ex.updateBar('BTC', '1h', result([bar(0)]), T0 + H);
    expect((await samples(ex)).get(key('btcflow_premium_zscore', BTC1H))).toBe(-1.25);
    ex.updateBar(
      'BTC',
      '1h',
      result([bar(0), bar(1, { premiumZ: null, oiZ: null, fundingZ: null, extremeScore: null, oiUsd: null })]),
      T0 + 2 * H
    );
    const text = await ex.metrics();
    expect(text).not.toMatch(/NaN/);
    const s = await samples(ex);
    for (const name of [
      'btcflow_premium_zscore',
      'btcflow_open_interest_zscore',
      'btcflow_funding_zscore',
      'btcflow_extreme_score',
      'btcflow_open_interest_usd',
    ]) {
      expect(s.has(key(name, BTC1H))).toBe(false);
    }
    expect(s.get(key('btcflow_spot_premium_ratio', BTC1H))).toBeCloseTo(-0.0005, 15);
    // every state still present, all 0
    for (const st of ['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom']) {
      expect(s.get(key('btcflow_state', { ...BTC1H, state: st }))).toBe(0);
    }
    ex.updateBar('BTC', '1h', result([bar(0), bar(1), bar(2, { oiZ: 1.5 })]), T0 + 3 * H);
    expect((await samples(ex)).get(key('btcflow_open_interest_zscore', BTC1H))).toBe(1.5);
  });

  it('removes every per-bar series when no bar is closed yet', async () => {
    const ex = new BtcFlowExporter({ processMetrics: false });
    ex.updateBar('BTC', '1h', result([bar(0)]), T0 + H);
    const up = ex.updateBar('BTC', '1h', result([bar(5)]), T0 + 5.5 * H);
    expect(up.bar).toBeNull();
    const names = [...(await samples(ex)).keys()].filter((k) => k.includes('timeframe="1h"'));
    // only the event counters remain
    expect(names.every((k) => k.startsWith('btcflow_events_total{'))).toBe(true);
    expect(names).toHaveLength(5);
  });

  it('keeps assets and timeframes apart', async () => {
    const ex = new BtcFlowExporter({ processMetrics: false });
    ex.updateBar('BTC', '1h', result([bar(0, { oiZ: 1 })]), T0 + H);
    ex.updateBar('ETH', '1d', result([bar(0, { oiZ: -1 })]), T0 + H);
    const s = await samples(ex);
    expect(s.get(key('btcflow_open_interest_zscore', BTC1H))).toBe(1);
    expect(s.get(key('btcflow_open_interest_zscore', { asset: 'ETH', timeframe: '1d' }))).toBe(-1);
  });
});

describe('BtcFlowExporter event onsets', () => {
  const on = (i: number, ...states: StateKind[]) => bar(i, { states });

  it('counts an onset once, at the bar where the state starts', async () => {
    const ex = new BtcFlowExporter({ processMetrics: false });
    const bars = [on(0), on(1, 'bullish'), on(2, 'bullish'), on(3), on(4, 'bullish', 'overLeverage')];
    const count = async (kind: string) => (await samples(ex)).get(key('btcflow_events_total', { ...BTC1H, kind }));
    // first update: the bar in progress of a run that started earlier is not an onset (no double count after restart)
    expect(ex.updateBar('BTC', '1h', result(bars.slice(0, 3)), T0 + 3 * H).onsets).toEqual([]);
    expect(await count('bullish')).toBe(0);
    expect(await count('overLeverage')).toBe(0);
    expect(ex.updateBar('BTC', '1h', result(bars.slice(0, 4)), T0 + 4 * H).onsets).toEqual([]);
    expect(ex.updateBar('BTC', '1h', result(bars), T0 + 5 * H).onsets).toEqual(['bullish', 'overLeverage']);
    // the same bar again: nothing new
    expect(ex.updateBar('BTC', '1h', result(bars), T0 + 5 * H).onsets).toEqual([]);
    expect(await count('bullish')).toBe(1);
    expect(await count('overLeverage')).toBe(1);
    expect(await count('bearish')).toBe(0);
  });

  it('counts every onset among bars closed since the previous update (a missed poll loses none)', () => {
    const ex = new BtcFlowExporter({ processMetrics: false });
    const bars = [on(0), on(1, 'bearish'), on(2), on(3, 'bearish'), on(4, 'bearish'), on(5)];
    ex.updateBar('BTC', '1h', result(bars.slice(0, 1)), T0 + H);
    expect(ex.updateBar('BTC', '1h', result(bars), T0 + 6 * H).onsets).toEqual(['bearish', 'bearish']);
  });

  it('counts a state that starts at the first closed bar seen', () => {
    const ex = new BtcFlowExporter({ processMetrics: false });
    expect(ex.updateBar('BTC', '1h', result([on(0), on(1, 'extremeBottom')]), T0 + 2 * H).onsets).toEqual([
      'extremeBottom',
    ]);
  });
});

describe('BtcFlowExporter health and registry', () => {
  it('exports venue health, request counts and the process metrics', async () => {
    const ex = new BtcFlowExporter();
    ex.setVenueUp('okx', 'funding', false);
    ex.setVenueUp('binanceusdm', 'perp', true);
    ex.setVenueLastPoint('okx', 'funding', 'BTC', Date.UTC(2026, 5, 1, 8));
    ex.setVenueLastPoint('bybit', 'perp', 'BTC', null);
    ex.recordRequest('okx', 'error');
    ex.recordRequest('okx', 'error');
    ex.recordRequest('okx', 'ok');
    const s = await samples(ex);
    expect(s.get(key('btcflow_venue_up', { venue: 'okx', kind: 'funding' }))).toBe(0);
    expect(s.get(key('btcflow_venue_up', { venue: 'binanceusdm', kind: 'perp' }))).toBe(1);
    expect(
      s.get(key('btcflow_venue_last_point_timestamp_seconds', { venue: 'okx', kind: 'funding', asset: 'BTC' }))
    ).toBe(1780300800);
    expect([...s.keys()].some((k) => k.includes('venue="bybit"'))).toBe(false);
    expect(s.get(key('btcflow_exchange_requests_total', { venue: 'okx', outcome: 'error' }))).toBe(2);
    expect(s.get(key('btcflow_exchange_requests_total', { venue: 'okx', outcome: 'ok' }))).toBe(1);
    expect(s.has('process_cpu_seconds_total{}')).toBe(true);
    expect(() => ex.recordRequest('okx', 'timeout' as 'ok')).toThrow(/outcome must be one of ok, error; got "timeout"/);
  });

  it('has a registry of its own, with every name once, help and unit conventions', async () => {
    const a = new BtcFlowExporter({ processMetrics: false });
    const b = new BtcFlowExporter({ processMetrics: false });
    a.recordRequest('okx', 'ok');
    expect(await b.metrics()).not.toMatch(/venue="okx"/);
    const text = await a.metrics();
    for (const name of ALL_METRIC_NAMES) {
      expect(text).toContain(`# HELP ${name} `);
      expect(name).toMatch(/^btcflow_[a-z0-9_]+$/);
      expect(name.endsWith('_total')).toBe(text.includes(`# TYPE ${name} counter`));
    }
    expect(new Set(ALL_METRIC_NAMES).size).toBe(ALL_METRIC_NAMES.length);
    // a second metric of the same name in the exporter's registry is an error, not a silent merge
    expect(() => new Gauge({ name: 'btcflow_open_interest_usd', help: 'dup', registers: [a.registry] })).toThrow(
      /already been registered/
    );
    expect(Object.values(BAR_GAUGES).map((g) => g.name)).toHaveLength(8);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
