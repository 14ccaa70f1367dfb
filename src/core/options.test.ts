/** @jest-environment node */
import { BtcFlowInputError } from './errors';
import {
  DEFAULT_OPTIONS,
  MAX_LOOKBACK,
  OPTION_NAMES,
  defaultLookback,
  parseOptionValue,
  resolveOptions,
  validateOptions,
} from './options';

describe('defaultLookback(tf)', () => {
  it('is 30 days of 1h bars, 90 days of 4h bars, a quarter of days, a year of 3d and 1w bars, two years of months', () => {
    expect(defaultLookback('1h')).toBe(30 * 24);
    expect(defaultLookback('4h')).toBe(90 * 6);
    expect(defaultLookback('1d')).toBe(90);
    expect(defaultLookback('3d')).toBe(Math.round(365 / 3));
    expect(defaultLookback('1w')).toBe(52);
    expect(defaultLookback('1M')).toBe(24);
  });
});

describe('parseOptionValue(name, text)', () => {
  it('reads integers, numbers, enums and booleans from text', () => {
    expect(parseOptionValue('lookback', ' 30 ')).toBe(30);
    expect(parseOptionValue('lookback', 'auto')).toBe('auto');
    expect(parseOptionValue('extremeZ', '-1.5')).toBe(-1.5);
    expect(parseOptionValue('fundingWeighting', 'equal')).toBe('equal');
    expect(parseOptionValue('stablecoinToUsd', 'No')).toBe(false);
    expect(parseOptionValue('stablecoinToUsd', '1')).toBe(true);
  });

  it('rejects a value outside the allowed ones, naming the option and what is allowed', () => {
    expect(() => parseOptionValue('lookback', '1')).toThrow(
      `option lookback: bad value 1; allowed: an integer from 2 to ${MAX_LOOKBACK} or 'auto'`
    );
    expect(() => parseOptionValue('premiumSmoothing', '2.5')).toThrow('allowed: an integer from 1 to 100000');
    expect(() => parseOptionValue('extremeZ', '')).toThrow('option extremeZ: bad value ""; allowed: a finite number');
    expect(() => parseOptionValue('basketWeighting', 'vol')).toThrow('allowed: equal | volume');
    expect(() => parseOptionValue('stablecoinToUsd', 'maybe')).toThrow('allowed: true | false');
    expect(() => parseOptionValue('extremeMinCount', '4')).toThrow('an integer from 1 to 3');
  });

  it('rejects an unknown option, listing every option name', () => {
    const err = (() => {
      try {
        parseOptionValue('lookbak', '3');
      } catch (e) {
        return e as BtcFlowInputError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(BtcFlowInputError);
    expect(err!.message).toBe(`unknown option "lookbak"; allowed: ${OPTION_NAMES.join(', ')}`);
  });
});

describe('validateOptions(partial) and resolveOptions(partial)', () => {
  it('accepts typed values and text values, and drops undefined entries', () => {
    expect(
      validateOptions({ lookback: 20, extremeZ: '2.5', basketWeighting: 'volume', premiumEmaBars: undefined })
    ).toEqual({
      lookback: 20,
      extremeZ: 2.5,
      basketWeighting: 'volume',
    });
    expect(validateOptions(undefined)).toEqual({});
  });

  it('rejects a non-object and a value of the wrong type', () => {
    expect(() => validateOptions([1])).toThrow('options must be an object of name: value');
    expect(() => validateOptions({ stablecoinToUsd: 1 })).toThrow('option stablecoinToUsd: bad value 1');
    expect(() => validateOptions({ extremeZ: Infinity })).toThrow('allowed: a finite number');
  });

  it('resolveOptions merges over the defaults', () => {
    const o = resolveOptions({ stateMinBars: 3 });
    expect(o.stateMinBars).toBe(3);
    expect(o.lookback).toBe(DEFAULT_OPTIONS.lookback);
    expect(Object.keys(o).sort()).toEqual([...OPTION_NAMES].sort());
  });
});
