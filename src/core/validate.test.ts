/** @jest-environment node */
import {
  BtcFlowInputError,
  DEFAULT_OPTIONS,
  OPTION_NAMES,
  parseOptionValue,
  validateBundle,
  validateOptions,
} from './index';

const ok = () => ({
  asset: 'BTC',
  series: [
    {
      venue: 'coinbase',
      kind: 'spot',
      quote: 'USD',
      points: [
        [1, 100],
        [2, 101],
      ],
    },
    { venue: 'bybit', kind: 'openInterest', unit: 'usd', points: [[1, 5e9]] },
    { venue: 'binanceusdm', kind: 'funding', intervalHours: 8, points: [[1, 0.0001]] },
    { venue: 'kraken', kind: 'fx', pair: 'USDT/USD', points: [[1, 1.001]] },
  ],
});

function errorOf(f: () => unknown): BtcFlowInputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BtcFlowInputError);
    return e as BtcFlowInputError;
  }
  throw new Error('expected a BtcFlowInputError');
}

describe('validateBundle', () => {
  it('accepts a good bundle and extra top-level fields', () => {
    const b = { ...ok(), note: 'x' };
    expect(validateBundle(b)).toBe(b);
  });
  const cases: Array<[string, (b: any) => void, RegExp, string]> = [
    // issue 16: points with 3 elements, fractional-ms timestamps, absurd magnitudes, Infinity shown as such
    [
      'a point with 3 elements',
      (b) => (b.series[0].points[1] = [2, 101, 7]),
      /series\[0\] \(coinbase spot\): point must be \[timeMs, value\] \(2 elements\), got 3 elements/,
      'series[0].points[1]',
    ],
    [
      'a fractional-ms timestamp',
      (b) => (b.series[0].points[1] = [2.5, 101]),
      /timestamp must be a whole number of UTC epoch ms, got 2\.5/,
      'series[0].points[1][0]',
    ],
    [
      'funding 1e306',
      (b) => (b.series[2].points[0] = [1, 1e306]),
      /series\[2\] \(binanceusdm funding\): funding rate 1e\+306 is beyond ±1 \(an absurd magnitude\)/,
      'series[2].points[0][1]',
    ],
    [
      'open interest that would overflow',
      (b) => (b.series[1].points[0] = [1, 1e300]),
      /open interest 1e\+300 is beyond ±1000000000000000/,
      'series[1].points[0][1]',
    ],
    [
      'a price of Infinity (1e999) is shown as Infinity, not null',
      (b) => (b.series[0].points[1] = [2, Infinity]),
      /value must be a finite number, got Infinity \(a number too large for a double/,
      'series[0].points[1][1]',
    ],
    [
      'unknown kind',
      (b) => (b.series[0].kind = 'options'),
      /unknown kind "options"; allowed: spot, perp, openInterest, funding, fx/,
      'series[0].kind',
    ],
    [
      'unsorted',
      (b) =>
        (b.series[0].points = [
          [2, 1],
          [1, 1],
        ]),
      /not sorted/,
      'series[0].points[1][0]',
    ],
    [
      'duplicate',
      (b) =>
        (b.series[0].points = [
          [1, 1],
          [1, 1],
        ]),
      /duplicate timestamp/,
      'series[0].points[1][0]',
    ],
    ['non-finite value', (b) => (b.series[1].points = [[1, null]]), /finite number/, 'series[1].points[0][1]'],
    [
      'non-finite time',
      (b) => (b.series[1].points = [['x', 1]]),
      /timestamp must be a finite number/,
      'series[1].points[0][0]',
    ],
    ['non-positive price', (b) => (b.series[0].points = [[1, 0]]), /price must be positive/, 'series[0].points[0][1]'],
    ['non-positive fx', (b) => (b.series[3].points = [[1, -1]]), /price must be positive/, 'series[3].points[0][1]'],
    ['negative OI', (b) => (b.series[1].points = [[1, -1]]), /must not be negative/, 'series[1].points[0][1]'],
    ['empty series', (b) => (b.series[2].points = []), /empty series/, 'series[2].points'],
    ['missing points', (b) => delete b.series[2].points, /array of \[timeMs, value\]/, 'series[2].points'],
    ['missing venue', (b) => delete b.series[0].venue, /venue/, 'series[0].venue'],
    ['missing quote', (b) => delete b.series[0].quote, /quote/, 'series[0].quote'],
    ['bad unit', (b) => (b.series[1].unit = 'contracts'), /bad unit "contracts"; allowed: usd, base/, 'series[1].unit'],
    ['bad intervalHours', (b) => (b.series[2].intervalHours = 0), /bad intervalHours 0/, 'series[2].intervalHours'],
    ['bad pair', (b) => (b.series[3].pair = 'USDT'), /bad pair/, 'series[3].pair'],
    ['missing series', (b) => delete b.series, /series/, 'series'],
    ['missing asset', (b) => delete b.asset, /asset/, 'asset'],
  ];
  it.each(cases)('rejects %s with one line naming the field', (_name, mutate, re, field) => {
    const b = ok();
    mutate(b);
    const e = errorOf(() => validateBundle(b));
    expect(e.message).toMatch(re);
    expect(e.field).toBe(field);
    expect(e.message).not.toMatch(/\n/);
    expect(e.message).toContain(field);
  });
  it('names the venue and kind in series errors', () => {
    const b = ok();
    b.series[0].points = [
      [2, 1],
      [1, 1],
    ];
    expect(errorOf(() => validateBundle(b)).message).toMatch(/series\[0\] \(coinbase spot\)/);
  });
  it('rejects a non-object', () => {
    expect(errorOf(() => validateBundle(null)).field).toBe('bundle');
    expect(errorOf(() => validateBundle([])).field).toBe('bundle');
  });
});

describe('options', () => {
  it('parses every option from text', () => {
    expect(parseOptionValue('lookback', '52')).toBe(52);
    expect(parseOptionValue('lookback', 'auto')).toBe('auto');
    expect(parseOptionValue('fundingWeighting', 'equal')).toBe('equal');
    expect(parseOptionValue('stablecoinToUsd', 'false')).toBe(false);
    expect(parseOptionValue('extremeZ', '2.5')).toBe(2.5);
    expect(parseOptionValue('bearishMinOiZ', '-0.5')).toBe(-0.5);
  });
  it('rejects unknown options, listing the allowed names', () => {
    const e = errorOf(() => parseOptionValue('lookbak', '3'));
    expect(e.field).toBe('lookbak');
    expect(e.message).toMatch(/unknown option "lookbak"; allowed: lookback, premiumSmoothing/);
    expect(errorOf(() => validateOptions({ foo: 1 })).field).toBe('foo');
  });
  it('rejects bad values, naming the allowed values', () => {
    expect(errorOf(() => parseOptionValue('fundingWeighting', 'volume')).message).toBe(
      'option fundingWeighting: bad value "volume"; allowed: oi | equal'
    );
    expect(errorOf(() => parseOptionValue('lookback', '1.5')).message).toMatch(/integer from 2 to 100000 or 'auto'/);
    expect(errorOf(() => parseOptionValue('premiumSmoothing', '0')).field).toBe('premiumSmoothing');
    expect(errorOf(() => parseOptionValue('extremeZ', 'abc')).message).toMatch(/finite number/);
    expect(errorOf(() => parseOptionValue('stablecoinToUsd', 'maybe')).message).toMatch(/true \| false/);
    expect(errorOf(() => validateOptions({ lookback: -3 })).field).toBe('lookback');
    expect(errorOf(() => validateOptions({ basketWeighting: 3 })).field).toBe('basketWeighting');
  });
  it('DEFAULT_OPTIONS covers every option and validates', () => {
    expect(Object.keys(DEFAULT_OPTIONS).sort()).toEqual([...OPTION_NAMES].sort());
    expect(validateOptions({ ...DEFAULT_OPTIONS })).toEqual({ ...DEFAULT_OPTIONS });
    expect(validateOptions({ lookback: '30', fundingWeighting: 'equal' })).toEqual({
      lookback: 30,
      fundingWeighting: 'equal',
    });
  });
});
