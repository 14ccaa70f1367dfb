/** @jest-environment node */
import { H, t } from '../testutil';
import { Series } from '../types';
import { makeBuckets } from './buckets';
import { fxRates } from './fx';
import { convertPrices, pricesUsd } from './prices';
import { newGaps } from './gaps';
import { Resampled, resampleSeries } from './resample';

const t0 = t('2024-01-01');

describe('convertPrices(resampled, fx, stable, nonUsd, out)', () => {
  const r: Resampled = {
    val: Float64Array.from([100, 200, 300, NaN]),
    time: Float64Array.from([t0, t0 + H, t0 + 5 * H, NaN]),
    pts: [],
    vol: null,
    spacing: H,
    gaps: newGaps(0, NaN),
  };
  const fx = {
    rate: Float64Array.from([1.25, 1.25, 1.25, 1.25]),
    time: Float64Array.from([t0, t0, t0, t0]),
    spacing: H,
  };

  it('multiplies by the fx rate while it is less than 2 fx spacings older than the price', () => {
    const out = new Float64Array(4);
    convertPrices(r, fx, true, true, out);
    expect(Array.from(out.subarray(0, 2))).toEqual([125, 250]);
  });

  it('uses a stablecoin close as is where the rate is too old, and counts those bars', () => {
    const out = new Float64Array(4);
    expect(convertPrices(r, fx, true, true, out)).toBe(1);
    expect(Array.from(out)).toEqual([125, 250, 300, NaN]);
  });

  it('leaves out any other currency where the rate is too old', () => {
    const out = new Float64Array(4);
    expect(convertPrices(r, fx, false, true, out)).toBe(0);
    expect(Array.from(out)).toEqual([125, 250, NaN, NaN]);
  });

  it('copies a USD close, and counts a non-USD close without fx as used as is', () => {
    const out = new Float64Array(4);
    expect(convertPrices(r, null, false, false, out)).toBe(0);
    expect(Array.from(out)).toEqual([100, 200, 300, NaN]);
    expect(convertPrices(r, null, true, true, out)).toBe(3);
  });
});

describe('pricesUsd(series, priceIdx, labels, grid, resampled, fx, opts, notes)', () => {
  const grid = makeBuckets(t0, t0 + H, '1h');
  const price = (venue: string, kind: 'spot' | 'perp', quote: string, v: number): Series => ({
    venue,
    kind,
    quote,
    points: [
      [t0, v],
      [t0 + H, v],
    ],
  });
  const series: Series[] = [
    price('coinbase', 'spot', 'USD', 100),
    price('bitpanda', 'spot', 'EUR', 90),
    price('binanceusdm', 'perp', 'USDT', 80),
    { venue: 'kraken', kind: 'fx', pair: 'USDT/USD', points: [[t0, 1.25]] },
  ];
  const labels = ['coinbase', 'bitpanda', 'binanceusdm', 'kraken'];
  const resampled = resampleSeries(series, grid);

  it('converts with the fx series, leaves out a quote with no way to USD, and splits spot from perp', () => {
    const notes: string[] = [];
    const fx = fxRates(series, [3], labels, grid, resampled, notes);
    const p = pricesUsd(series, [0, 1, 2], labels, grid, resampled, fx, { stablecoinToUsd: true }, notes);
    expect(p.usd.map((c) => Array.from(c))).toEqual([
      [100, 100],
      [NaN, NaN],
      [100, 100],
    ]);
    expect(p.spotK).toEqual([0, 1]);
    expect(p.perpK).toEqual([2]);
    expect(p.unconverted).toEqual([]);
    expect(notes).toEqual(['spot bitpanda quoted in EUR left out: no EUR/USD fx series to convert it']);
  });

  it('uses a stablecoin as USD when stablecoinToUsd is false, and says so', () => {
    const notes: string[] = [];
    const fx = fxRates(series, [3], labels, grid, resampled, []);
    const p = pricesUsd(series, [2], labels, grid, resampled, fx, { stablecoinToUsd: false }, notes);
    expect(Array.from(p.usd[0])).toEqual([80, 80]);
    expect(p.unconverted).toEqual([{ label: 'binanceusdm', kind: 'perp', quote: 'USDT' }]);
    expect(notes).toEqual(['perp binanceusdm quoted in USDT used as USD: stablecoinToUsd is false']);
  });

  it('uses a stablecoin as USD when no fx series exists, and says so', () => {
    const notes: string[] = [];
    pricesUsd(series, [2], labels, grid, resampleSeries(series, grid), new Map(), { stablecoinToUsd: true }, notes);
    expect(notes).toEqual(['perp binanceusdm quoted in USDT used as USD: no USDT/USD fx series in the input']);
  });
});
