/** @jest-environment node */
/**
 * The exporter's wiring to the run loop (./attach.ts): the window it computes (the one `btc-flow metrics --from F
 * --to T` uses, written out by hand below), request events → venue health and counters, `barClosed` → a recompute of
 * that asset and timeframe, and a failing computation that keeps the previous values and says why. The values
 * themselves are checked against `btc-flow metrics` end to end in recorder/alerting.integration.test.ts.
 */
import { RecorderEvents } from '../rest';
import type { RecorderStore } from '../store/types';
import { attachExporter, exportWindow } from './attach';
import { BtcFlowExporter } from './exporter';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.parse('2026-09-23T11:17:00Z');

describe('exportWindow', () => {
  it('1h: the last closed bar is 10:00; 720 output bars; 720 bars of warm-up; one bar after', () => {
    const w = exportWindow('1h', NOW);
    expect(new Date(w.barTime).toISOString()).toBe('2026-09-23T10:00:00.000Z');
    expect(w.from).toBe(w.barTime - 719 * H);
    expect(w.fetchFrom).toBe(w.from - 720 * H);
    expect(w.fetchTo).toBe(Date.parse('2026-09-23T11:00:00Z'));
  });

  it('1d: yesterday; 90 bars back; warm-up of 90 days', () => {
    const w = exportWindow('1d', NOW);
    expect(new Date(w.barTime).toISOString()).toBe('2026-09-22T00:00:00.000Z');
    expect(new Date(w.from).toISOString()).toBe('2026-06-25T00:00:00.000Z'); // 89 days before
    expect(w.fetchFrom).toBe(w.from - 90 * D);
    expect(w.fetchTo).toBe(Date.parse('2026-09-23T00:00:00Z'));
  });

  it('1M: calendar months, the CLI warm-up of 31 days per bar; exactly at a boundary the previous bar', () => {
    const w = exportWindow('1M', NOW);
    expect(new Date(w.barTime).toISOString()).toBe('2026-08-01T00:00:00.000Z');
    expect(new Date(w.from).toISOString()).toBe('2024-09-01T00:00:00.000Z'); // 24 bars: 2024-09 … 2026-08
    expect(w.fetchFrom).toBe(w.from - 24 * 31 * D);
    expect(new Date(exportWindow('1d', Date.parse('2026-09-23T00:00:00Z')).barTime).toISOString()).toBe(
      '2026-09-22T00:00:00.000Z'
    );
  });
});

/** A store with nothing in it (every read empty); `fail` makes reads throw. */
function emptyStore(fail = false): RecorderStore {
  const read = async () => {
    if (fail) {
      throw new Error('disk on fire');
    }
    return [];
  };
  return {
    backend: 'fake',
    readPoints: read,
    readValues: read,
    listSeries: read,
    listKeys: read,
    seriesMeta: async () => null,
  } as unknown as RecorderStore;
}

describe('attachExporter', () => {
  it('turns request events into venue health and request counters', async () => {
    const events = new RecorderEvents();
    const a = attachExporter({ events, store: emptyStore(), assets: ['BTC'], timeframes: ['1h'], venues: ['okx'] });
    const base = { asset: 'BTC', timeframe: '1h' as const, written: 0, points: 0, ms: 1, from: 0, to: 1 };
    events.emit('request', { ...base, venue: 'okx', kind: 'perp', ok: true });
    events.emit('request', { ...base, venue: 'okx', kind: 'funding', ok: false, error: 'HTTP 500' });
    events.emit('request', { ...base, venue: 'okx', kind: 'funding', ok: false, error: 'HTTP 500' });
    const text = await a.exporter.metrics();
    expect(text).toContain('btcflow_venue_up{venue="okx",kind="perp"} 1');
    expect(text).toContain('btcflow_venue_up{venue="okx",kind="funding"} 0');
    expect(text).toContain('btcflow_exchange_requests_total{venue="okx",outcome="ok"} 1');
    expect(text).toContain('btcflow_exchange_requests_total{venue="okx",outcome="error"} 2');
    // the event counters exist from the start, at 0
    expect(text).toContain('btcflow_events_total{asset="BTC",timeframe="1h",kind="overLeverage"} 0');
    await a.detach();
    events.emit('request', { ...base, venue: 'okx', kind: 'perp', ok: false });
    expect(await a.exporter.metrics()).toContain('btcflow_venue_up{venue="okx",kind="perp"} 1');
  });

  it('recomputes on barClosed; a failure keeps the previous values and says why', async () => {
    const events = new RecorderEvents();
    const lines: string[] = [];
    const exporter = new BtcFlowExporter({ processMetrics: false });
    exporter.setVenueLastPoint('okx', 'perp', 'BTC', NOW - H);
    const a = attachExporter({
      events,
      store: emptyStore(true),
      assets: ['BTC'],
      timeframes: ['1h', '1d'],
      venues: ['okx'],
      now: () => NOW,
      log: (l) => lines.push(l),
      exporter,
    });
    events.emit('barClosed', { asset: 'BTC', timeframe: '1d', barTime: NOW - D, barEnd: NOW });
    await a.detach(); // waits for the computation in flight
    expect(lines).toEqual(['exporter: BTC 1d: disk on fire']);
    expect(await exporter.metrics()).toContain(
      `btcflow_venue_last_point_timestamp_seconds{venue="okx",kind="perp",asset="BTC"} ${(NOW - H) / 1000}`
    );
    // an empty store (nothing recorded yet): no bar, so no per-bar series at all (absent, not 0), and no error
    const b = attachExporter({
      events,
      store: emptyStore(),
      assets: ['BTC'],
      timeframes: ['1h', '1d'],
      venues: ['okx'],
      now: () => NOW,
      log: (l) => lines.push(l),
      exporter: new BtcFlowExporter({ processMetrics: false }),
    });
    expect(await b.refresh('BTC', '1h')).toMatchObject({ asset: 'BTC', timeframe: '1h', bar: null, onsets: [] });
    await b.refreshAll();
    expect(lines).toHaveLength(1);
    const text = await b.exporter.metrics();
    expect(text).not.toMatch(/^btcflow_(bar_timestamp_seconds|state|venues|spot_premium_ratio)\{/m);
    expect(text).toMatch(/^btcflow_events_total\{asset="BTC",timeframe="1d",kind="bullish"\} 0$/m);
    await b.detach();
  });
});
