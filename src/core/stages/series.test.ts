/** @jest-environment node */
import { Series } from '../types';
import { groupSeries, makeLabels } from './series';

const s = (venue: string, kind: Series['kind'], extra: Record<string, unknown> = {}): Series =>
  ({
    venue,
    kind,
    points: [[0, 1]],
    quote: 'USD',
    unit: 'usd',
    intervalHours: 8,
    pair: 'USDT/USD',
    ...extra,
  }) as Series;

describe('makeLabels(series)', () => {
  it('labels a series by its venue id when the venue has one series of that kind', () => {
    expect(makeLabels([s('coinbase', 'spot'), s('coinbase', 'perp'), s('bybit', 'funding')])).toEqual([
      'coinbase',
      'coinbase',
      'bybit',
    ]);
  });

  it('labels two price series of one venue and kind by venue/QUOTE', () => {
    expect(makeLabels([s('kraken', 'spot', { quote: 'usd' }), s('kraken', 'spot', { quote: 'USDT' })])).toEqual([
      'kraken/USD',
      'kraken/USDT',
    ]);
  });

  it('labels two series of one venue and kind by venue#index when the quote does not tell them apart', () => {
    expect(makeLabels([s('okx', 'openInterest'), s('bybit', 'spot'), s('okx', 'openInterest')])).toEqual([
      'okx#0',
      'bybit',
      'okx#2',
    ]);
    expect(makeLabels([s('kraken', 'spot'), s('kraken', 'spot')])).toEqual(['kraken/USD', 'kraken#1']);
  });
});

describe('groupSeries(series)', () => {
  it('lists the indexes of prices (spot and perp together), open interest, funding and fx in bundle order', () => {
    const series = [
      s('a', 'fx'),
      s('a', 'perp'),
      s('b', 'funding'),
      s('c', 'spot'),
      s('d', 'openInterest'),
      s('e', 'funding'),
    ];
    expect(groupSeries(series)).toEqual({ price: [1, 3], oi: [4], funding: [2, 5], fx: [0] });
  });
});
