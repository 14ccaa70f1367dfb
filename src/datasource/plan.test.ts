/** @jest-environment node */
import { VENUES, venuesByRole } from '../exchanges';
import { kindsFor, plannedSeries, registryDefaults } from './plan';
import { QUERY_TYPES } from './types';

describe('kindsFor(queryType, fundingWeighting)', () => {
  it('premium and prices need spot, perp and the fx reference only', () => {
    expect(kindsFor('premium', 'oi')).toEqual(['spot', 'perp', 'fx']);
    expect(kindsFor('prices', undefined)).toEqual(['spot', 'perp', 'fx']);
  });

  it('oi and oiZ need perp closes to turn base-unit OI into USD', () => {
    expect(kindsFor('oi', 'oi')).toEqual(['perp', 'openInterest', 'fx']);
    expect(kindsFor('oiZ', 'equal')).toEqual(['perp', 'openInterest', 'fx']);
  });

  it('funding needs OI only when it is weighted by OI', () => {
    expect(kindsFor('funding', 'oi')).toEqual(['perp', 'openInterest', 'funding', 'fx']);
    expect(kindsFor('funding', undefined)).toEqual(['perp', 'openInterest', 'funding', 'fx']);
    expect(kindsFor('funding', 'equal')).toEqual(['perp', 'funding', 'fx']);
  });

  it('signals, extremes and coverage need every kind', () => {
    for (const q of ['signals', 'extremes', 'coverage'] as const) {
      expect(kindsFor(q, 'oi')).toEqual(['spot', 'perp', 'openInterest', 'funding', 'fx']);
    }
    expect(QUERY_TYPES.every((q) => kindsFor(q, 'oi').includes('fx'))).toBe(true);
  });
});

describe('registryDefaults()', () => {
  it("takes each basket from the registry's venues by role", () => {
    const r = venuesByRole();
    expect(registryDefaults()).toEqual({ spot: r.spot, perp: r.perp, oi: r.openInterest, funding: r.funding });
    expect(registryDefaults().spot.every((id) => VENUES.find((v) => v.id === id)?.role === 'spot')).toBe(true);
  });
});

describe('plannedSeries(venues, kinds)', () => {
  it("asks each kind from its own basket's venues that serve it, once per venue, then the fx reference", () => {
    const venues = {
      spot: ['coinbase', 'coinbase'],
      perp: ['binanceusdm'],
      oi: ['binanceusdm', 'coinbase'], // coinbase serves no open interest: not asked
      funding: ['bybit'],
    };
    expect(plannedSeries(venues, ['spot', 'perp', 'openInterest', 'funding', 'fx'])).toEqual([
      { venue: 'coinbase', kind: 'spot' },
      { venue: 'binanceusdm', kind: 'perp' },
      { venue: 'binanceusdm', kind: 'openInterest' },
      { venue: 'bybit', kind: 'funding' },
      { venue: 'kraken', kind: 'fx' },
    ]);
  });

  it('asks only the kinds given, and no fx reference when nothing else is asked', () => {
    const venues = { spot: ['coinbase'], perp: [], oi: [], funding: [] };
    expect(plannedSeries(venues, ['perp', 'fx'])).toEqual([]);
    expect(plannedSeries(venues, ['spot'])).toEqual([{ venue: 'coinbase', kind: 'spot' }]);
  });
});
