/** @jest-environment node */
/**
 * Query resolution without Grafana: auto timeframe, warm-up range, template interpolation, baskets, errors.
 */
import { DEFAULT_OPTIONS, defaultLookback } from '../core/options';
import { BtcFlowInputError } from '../core/errors';
import { autoTimeframe, barsBefore, Interpolator, resolveQuery, ResolveContext, warmupBars } from './query';
import type { BtcFlowQuery } from './types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const defaults = {
  spot: ['coinbase', 'kraken'],
  perp: ['okx', 'bybit', 'deribit'],
  oi: ['okx', 'bybit'],
  funding: ['okx', 'bybit', 'deribit'],
};

const vars: Record<string, string | string[]> = { asset: 'eth', tf: '4h', venues: ['okx', 'coinbase'], lb: '30' };
const tpl: Interpolator = {
  one: (v) =>
    v.replace(/\$(\w+)/g, (a, n: string) =>
      Array.isArray(vars[n]) ? (vars[n] as string[]).join(',') : ((vars[n] as string) ?? a)
    ),
  many: (v) => (v.startsWith('$') && Array.isArray(vars[v.slice(1)]) ? (vars[v.slice(1)] as string[]) : [v]),
};

const FROM = Date.UTC(2025, 5, 10, 7, 0);
const TO = Date.UTC(2025, 8, 1);
const ctx = (over: Partial<ResolveContext> = {}): ResolveContext => ({
  settings: {},
  defaults,
  knownVenues: [...new Set(Object.values(defaults).flat()), 'binance'],
  tpl,
  range: { from: FROM, to: TO },
  intervalMs: DAY,
  ...over,
});
const q = (x: Partial<BtcFlowQuery>): BtcFlowQuery => ({ refId: 'A', queryType: 'premium', ...x }) as BtcFlowQuery;

describe('auto timeframe', () => {
  it.each([
    [undefined, '1d'],
    [60_000, '1h'],
    [HOUR, '1h'],
    [HOUR + 1, '4h'],
    [5 * HOUR, '1d'],
    [DAY, '1d'],
    [2 * DAY, '3d'],
    [4 * DAY, '1w'],
    [10 * DAY, '1M'],
    [400 * DAY, '1M'],
  ])('interval %p ms → %s', (ms, tf) => {
    expect(autoTimeframe(ms as number | undefined)).toBe(tf);
  });
});

describe('warm-up', () => {
  it('needs lookback + smoothing − 1 + slope bars + 1 bars before the first visible bar', () => {
    expect(warmupBars(90, {})).toBe(90 + 0 + DEFAULT_OPTIONS.premiumSlopeBars + 1);
    expect(warmupBars(52, { premiumSmoothing: 3, fundingSmoothing: 5, premiumSlopeBars: 2 })).toBe(52 + 4 + 2 + 1);
  });

  it('fetches from that many bars before the bucket holding `from`', () => {
    const r = resolveQuery(q({ timeframe: '1d' }), ctx());
    expect(r.lookback).toBe(defaultLookback('1d'));
    // 90 (lookback) + 0 (no smoothing) + 5 (premiumSlopeBars) + 1
    expect(r.warmupBars).toBe(96);
    expect(r.fetchFrom).toBe(Date.UTC(2025, 5, 10) - 96 * DAY);
  });

  it('counts calendar months on 1M and Monday weeks on 1w', () => {
    expect(barsBefore(Date.UTC(2025, 2, 1), 14, '1M')).toBe(Date.UTC(2024, 0, 1));
    const r = resolveQuery(q({ timeframe: '1w', lookback: 10 }), ctx());
    // 2025-06-10 is a Tuesday: its week starts Monday 2025-06-09
    // 10 (lookback) + 5 (premiumSlopeBars) + 1 weeks
    expect(r.fetchFrom).toBe(Date.UTC(2025, 5, 9) - 16 * 7 * DAY);
  });
});

describe('resolution', () => {
  it('interpolates $asset (upper-cased), $timeframe, $venues and a variable lookback', () => {
    const r = resolveQuery(q({ asset: '$asset', timeframe: '$tf', venues: ['$venues'], lookback: '$lb' }), ctx());
    expect(r.asset).toBe('ETH');
    expect(r.timeframe).toBe('4h');
    expect(r.lookback).toBe(30);
    expect(r.venues).toEqual({ spot: ['coinbase'], perp: ['okx'], oi: ['okx'], funding: ['okx'] });
  });

  it('accepts the glob form {a,b} of a multi-value variable', () => {
    const r = resolveQuery(q({ venues: ['{bybit,kraken}'] }), ctx());
    expect(r.venues).toEqual({ spot: ['kraken'], perp: ['bybit'], oi: ['bybit'], funding: ['bybit'] });
  });

  it('configured baskets and lookbacks win over the registry defaults', () => {
    const r = resolveQuery(
      q({ timeframe: '1d' }),
      ctx({ settings: { spotVenues: ['kraken'], defaultLookbacks: { '1d': 45 }, fundingWeighting: 'equal' } })
    );
    expect(r.venues.spot).toEqual(['kraken']);
    expect(r.venues.perp).toEqual(defaults.perp);
    expect(r.lookback).toBe(45);
    expect(r.engine).toMatchObject({ lookback: 45, fundingWeighting: 'equal', premiumSmoothing: 1 });
  });

  it("a signals query's premiumEmaBars (number or variable) wins over the data source's threshold; other types ignore it", () => {
    const settings = { thresholds: { premiumEmaBars: 10 } };
    const sig = (x: Record<string, unknown>) => q({ queryType: 'signals', ...x } as Partial<BtcFlowQuery>);
    expect(resolveQuery(sig({}), ctx({ settings })).engine.premiumEmaBars).toBe(10);
    expect(resolveQuery(sig({ premiumEmaBars: 3 }), ctx({ settings })).engine.premiumEmaBars).toBe(3);
    expect(resolveQuery(sig({ premiumEmaBars: '$lb' }), ctx({ settings })).engine.premiumEmaBars).toBe(30);
    expect(resolveQuery(sig({ premiumEmaBars: '' }), ctx()).engine.premiumEmaBars).toBeUndefined(); // engine default
    const other = q({ queryType: 'premium', premiumEmaBars: 3 } as Partial<BtcFlowQuery>);
    expect(resolveQuery(other, ctx({ settings })).engine.premiumEmaBars).toBe(10);
    expect(() => resolveQuery(sig({ premiumEmaBars: 0 }), ctx())).toThrow(
      'premiumEmaBars: bad value 0; allowed: an integer from 1 to 100000'
    );
  });

  it('auto timeframe comes from the panel interval', () => {
    expect(resolveQuery(q({}), ctx({ intervalMs: 3 * HOUR })).timeframe).toBe('4h');
  });

  it.each([
    [q({ timeframe: '5m' as never }), 'timeframe: unknown timeframe "5m"; allowed: auto, 1h, 4h, 1d, 3d, 1w, 1M'],
    [q({ lookback: 1 }), 'lookback: bad value 1; allowed: an integer from 2 to 100000'],
    // issue 16: lookback 1e9 used to end in "Invalid time value" while planning the warm-up
    [q({ lookback: 1e9 }), 'lookback: bad value 1000000000; allowed: an integer from 2 to 100000'],
    [q({ lookback: '1e9' as never }), 'lookback: bad value "1e9"; allowed: an integer from 2 to 100000'],
    [q({ premiumSmoothing: 0 }), 'premiumSmoothing: bad value 0; allowed: an integer from 1 to 100000'],
    [q({ asset: 'BTC/USD' }), 'asset: bad value "BTC/USD"; allowed: a ticker such as BTC or ETH'],
    [
      q({ venues: ['binance'] }),
      'venues: "binance" is not a configured venue; allowed: coinbase, kraken, okx, bybit, deribit (add binance in the data source settings first)',
    ],
    [
      q({ queryType: 'candles' as never }),
      'queryType: unknown query type "candles"; allowed: premium, oi, oiZ, funding, signals, extremes, prices, coverage',
    ],
  ])('bad input %#: a clear error naming the field', (target, message) => {
    let err: unknown;
    try {
      resolveQuery(target, ctx());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtcFlowInputError);
    expect((err as Error).message).toBe(message);
  });

  it('rejects a bad threshold in the settings with the engine message', () => {
    expect(() => resolveQuery(q({}), ctx({ settings: { thresholds: { extremeMinCount: 9 } } }))).toThrow(
      /extremeMinCount/
    );
  });
});
