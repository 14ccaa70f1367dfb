/** @jest-environment node */
import { STATE_KINDS, TIMEFRAMES } from '../core/types';
import { OPTION_NAMES } from '../core/options';
import {
  BtcFlowQuery,
  BtcFlowThresholds,
  DEFAULT_QUERIES,
  EXTREME_KINDS,
  QUERY_TIMEFRAMES,
  QUERY_TYPES,
  SIGNAL_KINDS,
  NON_THRESHOLD_OPTIONS,
  THRESHOLD_NAMES,
} from './types';

// Compile-time checks: `npm run typecheck` fails if any of these stop being errors.
const valid: BtcFlowQuery[] = [
  { refId: 'A', queryType: 'premium', includeBaskets: true, timeframe: '$timeframe', venues: ['$venues'] },
  { refId: 'B', queryType: 'funding', unit: 'apr', perVenue: true, lookback: 90 },
  { refId: 'C', queryType: 'signals', format: 'events', kinds: ['bullish'] },
];
// @ts-expect-error unknown query type
const unknownType: BtcFlowQuery = { refId: 'A', queryType: 'premiums' };
// @ts-expect-error misspelled option
const misspelled: BtcFlowQuery = { refId: 'A', queryType: 'premium', includeBasket: true };
// @ts-expect-error option that belongs to another query type
const foreignOption: BtcFlowQuery = { refId: 'A', queryType: 'premium', unit: 'apr' };
// @ts-expect-error unsupported timeframe
const badTimeframe: BtcFlowQuery = { refId: 'A', queryType: 'oi', timeframe: '2h' };
// @ts-expect-error a signal kind on an extremes query
const badKind: BtcFlowQuery = { refId: 'A', queryType: 'extremes', kinds: ['bullish'] };

describe('query model', () => {
  it('has a default for every query type, tagged with its own type', () => {
    expect(Object.keys(DEFAULT_QUERIES).sort()).toEqual([...QUERY_TYPES].sort());
    for (const t of QUERY_TYPES) {
      expect(DEFAULT_QUERIES[t].queryType).toBe(t);
      expect(DEFAULT_QUERIES[t].asset).toBe('BTC');
      expect(DEFAULT_QUERIES[t].timeframe).toBe('auto');
    }
    expect(valid).toHaveLength(3);
    expect([unknownType, misspelled, foreignOption, badTimeframe, badKind]).toHaveLength(5);
  });

  it('stays in step with the engine (timeframes, state kinds, threshold names)', () => {
    expect([...QUERY_TIMEFRAMES]).toEqual([...TIMEFRAMES]);
    expect([...SIGNAL_KINDS, ...EXTREME_KINDS].sort()).toEqual([...STATE_KINDS].sort());
    // Every engine option that is not a per-query or basket option is a threshold the config editor offers.
    const expected = OPTION_NAMES.filter((n) => !NON_THRESHOLD_OPTIONS.includes(n as never));
    expect([...THRESHOLD_NAMES].sort()).toEqual([...expected].sort());
    const some: BtcFlowThresholds = { extremeZ: 2.5, overLeverageOiZ: 1.5 };
    expect(Object.keys(some).every((k) => (THRESHOLD_NAMES as readonly string[]).includes(k))).toBe(true);
  });
});
