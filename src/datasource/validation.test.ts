/** @jest-environment node */
import { isRunnable, notRunnableReason } from './validation';
import { DEFAULT_QUERIES, QUERY_TYPES } from './types';

describe('isRunnable(query)', () => {
  it('every query type runs with its defaults, and with a bare queryType (defaults filled in later)', () => {
    for (const q of QUERY_TYPES) {
      expect(isRunnable({ ...DEFAULT_QUERIES[q], refId: 'A' })).toBe(true);
      expect(isRunnable({ queryType: q, refId: 'A' })).toBe(true);
    }
  });

  it('a missing query type means premium and runs; an unknown one runs too, so that its error names the field', () => {
    expect(isRunnable({ refId: 'A' })).toBe(true);
    expect(isRunnable({ refId: 'A', queryType: 'volume' as never })).toBe(true);
  });

  it('an asset being typed (empty or blank) does not run; a variable reference does', () => {
    expect(notRunnableReason({ queryType: 'premium', refId: 'A', asset: '' })).toBe('asset');
    expect(notRunnableReason({ queryType: 'premium', refId: 'A', asset: '  ' })).toBe('asset');
    expect(isRunnable({ queryType: 'premium', refId: 'A', asset: '$asset' })).toBe(true);
  });

  it('a venue list with an empty entry is being edited and does not run; an empty list means every venue', () => {
    expect(notRunnableReason({ queryType: 'oi', refId: 'A', venues: ['bybit', ''] })).toBe('venues');
    expect(isRunnable({ queryType: 'oi', refId: 'A', venues: [] })).toBe(true);
    expect(isRunnable({ queryType: 'oi', refId: 'A', venues: ['$venues'] })).toBe(true);
  });

  it('blank number and timeframe fields mean their defaults, so the query runs', () => {
    expect(isRunnable({ queryType: 'premium', refId: 'A', lookback: '' as never, timeframe: '' as never })).toBe(true);
    expect(isRunnable({ queryType: 'premium', refId: 'A', lookback: 'auto', premiumSmoothing: '$smooth' })).toBe(true);
  });
});
