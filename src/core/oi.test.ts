/**
 * OI in coins and by margin type, on bars the engine computes from a hand-made bundle: a linear venue counting base
 * coins and an inverse venue counting USD, over two days where the price doubles and the coin OI stays put.
 */
import { compute } from './engine';
import { oiByMargin, oiCoins, oiMarginByVenue, venueOiCoins } from './oi';
import { D, t } from './testutil';
import type { Bundle } from './types';

const T0 = t('2025-01-01');
const days = [T0, T0 + D];
const bundle: Bundle = {
  asset: 'BTC',
  series: [
    {
      kind: 'spot',
      venue: 'coinbase',
      quote: 'USD',
      points: [
        [T0, 100],
        [T0 + D, 200],
      ],
    },
    {
      kind: 'perp',
      venue: 'lin',
      quote: 'USD',
      points: [
        [T0, 100],
        [T0 + D, 200],
      ],
    },
    {
      kind: 'perp',
      venue: 'inv',
      quote: 'USD',
      points: [
        [T0, 101],
        [T0 + D, 202],
      ],
    },
    // linear: 10 coins; inverse: 5050 USD at 101 = 50 coins, 10100 USD at 202 = 50 coins
    {
      kind: 'openInterest',
      venue: 'lin',
      unit: 'base',
      points: [
        [T0, 10],
        [T0 + D, 10],
      ],
    },
    {
      kind: 'openInterest',
      venue: 'inv',
      unit: 'usd',
      points: [
        [T0, 5050],
        [T0 + D, 10100],
      ],
    },
  ],
};
const bars = compute(bundle, { timeframe: '1d', from: days[0], to: days[1] + D - 1, lookback: 2 }).bars;

describe('OI in coins and by margin type', () => {
  it('inverse venues (OI in USD) are coin-margined, linear ones stablecoin-margined', () => {
    expect(oiMarginByVenue(bundle)).toEqual({ lin: 'stablecoin', inv: 'coin' });
  });

  it('coins per venue undo the USD conversion: base coins for linear, USD ÷ own close for inverse', () => {
    expect(bars.map((b) => b.time)).toEqual(days);
    for (const b of bars) {
      expect(venueOiCoins(b, 'lin')).toBeCloseTo(10, 9);
      expect(venueOiCoins(b, 'inv')).toBeCloseTo(50, 9);
      // the price doubled, the coin OI did not move
      expect(oiCoins(b)).toBeCloseTo(60, 9);
    }
    expect(bars[0].oiUsd).toBeCloseTo(10 * 100 + 5050, 6);
    expect(bars[1].oiUsd).toBeCloseTo(10 * 200 + 10100, 6);
  });

  it('per margin type, in USD and in coins', () => {
    const m = oiMarginByVenue(bundle);
    expect(oiByMargin(bars[1], m, 'usd')).toEqual({ stablecoin: 2000, coin: 10100 });
    const coins = oiByMargin(bars[1], m, 'coin');
    expect(coins.stablecoin).toBeCloseTo(10, 9);
    expect(coins.coin).toBeCloseTo(50, 9);
    // a margin type without venues has no value
    expect(oiByMargin(bars[1], { lin: 'stablecoin', inv: 'stablecoin' }, 'usd').coin).toBeNull();
  });
});
