import { BtcFlowInputError } from './errors';
import { Bundle, SERIES_KINDS, Series } from './types';

/**
 * Largest magnitudes accepted (documented in docs/cli.md, "The bundle format"): far beyond any real value, low enough
 * that no product or sum of the engine can overflow a double (1e15 coins × 1e12 USD = 1e27).
 */
export const MAX_PRICE = 1e12;
export const MAX_OPEN_INTEREST = 1e15;
/** A settled funding rate is a decimal per interval: ±1 is ±100% per interval, far beyond any venue's cap. */
export const MAX_FUNDING_RATE = 1;
export const MAX_VOLUME = 1e18;

/** A value as the user wrote it: numbers as numbers (Infinity, NaN, 1e+306), anything else as JSON. */
function show(v: unknown): string {
  if (typeof v === 'number') {
    return Number.isFinite(v)
      ? String(v)
      : `${String(v)} (a number too large for a double, such as 1e999, or not a number)`;
  }
  return JSON.stringify(v) ?? String(v);
}

function fail(field: string, msg: string): never {
  throw new BtcFlowInputError(field, `${field}: ${msg}`);
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function where(i: number, s: Record<string, unknown>): string {
  const venue = typeof s.venue === 'string' ? s.venue : '?';
  const kind = typeof s.kind === 'string' ? s.kind : '?';
  return `series[${i}] (${venue} ${kind})`;
}

function checkPoints(
  pts: unknown,
  field: string,
  label: string,
  opts: { positive: boolean; nonNegative: boolean; allowEmpty: boolean; maxAbs: number; what: string }
): void {
  if (!Array.isArray(pts)) {
    fail(field, `${label}: must be an array of [timeMs, value] pairs`);
  }
  if (pts.length === 0 && !opts.allowEmpty) {
    fail(field, `${label}: empty series (at least one point required)`);
  }
  let prev = -Infinity;
  for (let j = 0; j < pts.length; j++) {
    const p = pts[j];
    if (!Array.isArray(p) || p.length !== 2) {
      fail(
        `${field}[${j}]`,
        `${label}: point must be [timeMs, value] (2 elements)${Array.isArray(p) ? `, got ${p.length} elements` : ''}`
      );
    }
    const t = p[0];
    const v = p[1];
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      fail(`${field}[${j}][0]`, `${label}: timestamp must be a finite number (UTC epoch ms), got ${show(t)}`);
    }
    if (!Number.isInteger(t)) {
      fail(`${field}[${j}][0]`, `${label}: timestamp must be a whole number of UTC epoch ms, got ${show(t)}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      fail(`${field}[${j}][1]`, `${label}: value must be a finite number, got ${show(v)}`);
    }
    if (Math.abs(v) > opts.maxAbs) {
      fail(`${field}[${j}][1]`, `${label}: ${opts.what} ${show(v)} is beyond ±${opts.maxAbs} (an absurd magnitude)`);
    }
    if (t === prev) {
      fail(`${field}[${j}][0]`, `${label}: duplicate timestamp ${new Date(t).toISOString()}`);
    }
    if (t < prev) {
      fail(
        `${field}[${j}][0]`,
        `${label}: timestamps not sorted ascending (${new Date(t).toISOString()} after ${new Date(prev).toISOString()})`
      );
    }
    if (opts.positive && !(v > 0)) {
      fail(`${field}[${j}][1]`, `${label}: price must be positive, got ${v}`);
    }
    if (opts.nonNegative && v < 0) {
      fail(`${field}[${j}][1]`, `${label}: value must not be negative, got ${v}`);
    }
    prev = t;
  }
}

/**
 * Validates an untrusted bundle (e.g. parsed JSON) and returns it typed. Throws a BtcFlowInputError with one line
 * naming the series index, venue, kind and field: unknown kind, missing fields, empty series, unsorted or duplicate
 * timestamps, non-finite values, non-positive prices (spot / perp / fx), negative OI or volume, bad unit or intervalHours.
 */
export function validateBundle(json: unknown): Bundle {
  if (!isObj(json)) {
    fail('bundle', 'must be an object { "asset", "series": [...] }');
  }
  if (typeof json.asset !== 'string' || json.asset.trim() === '') {
    fail('asset', 'missing or empty; expected a string such as "BTC"');
  }
  if (!Array.isArray(json.series)) {
    fail('series', 'missing; expected an array of series');
  }
  json.series.forEach((s: unknown, i: number) => {
    const f = `series[${i}]`;
    if (!isObj(s)) {
      fail(f, 'must be an object { venue, kind, points, ... }');
    }
    const w = where(i, s);
    if (typeof s.venue !== 'string' || s.venue.trim() === '') {
      fail(`${f}.venue`, 'missing or empty venue (a string such as "binanceusdm")');
    }
    if (typeof s.kind !== 'string' || !(SERIES_KINDS as readonly string[]).includes(s.kind)) {
      fail(`${f}.kind`, `${w}: unknown kind ${JSON.stringify(s.kind)}; allowed: ${SERIES_KINDS.join(', ')}`);
    }
    const kind = s.kind as Series['kind'];
    switch (kind) {
      case 'spot':
      case 'perp':
        if (typeof s.quote !== 'string' || s.quote.trim() === '') {
          fail(`${f}.quote`, `${w}: missing quote currency (e.g. USD, USDT, USDC)`);
        }
        break;
      case 'openInterest':
        if (s.unit !== 'usd' && s.unit !== 'base') {
          fail(`${f}.unit`, `${w}: bad unit ${JSON.stringify(s.unit)}; allowed: usd, base`);
        }
        break;
      case 'funding':
        if (
          typeof s.intervalHours !== 'number' ||
          !Number.isFinite(s.intervalHours) ||
          !(s.intervalHours > 0) ||
          s.intervalHours > 24 * 7
        ) {
          fail(
            `${f}.intervalHours`,
            `${w}: bad intervalHours ${JSON.stringify(s.intervalHours)}; allowed: a number of hours > 0 and <= 168 (e.g. 1, 4, 8)`
          );
        }
        break;
      case 'fx':
        if (typeof s.pair !== 'string' || !/^[A-Za-z0-9]+\/[A-Za-z0-9]+$/.test(s.pair)) {
          fail(`${f}.pair`, `${w}: bad pair ${JSON.stringify(s.pair)}; expected e.g. "USDT/USD"`);
        }
        break;
    }
    const price = kind === 'spot' || kind === 'perp' || kind === 'fx';
    checkPoints(s.points, `${f}.points`, w, {
      positive: price,
      nonNegative: kind === 'openInterest',
      allowEmpty: false,
      maxAbs: kind === 'funding' ? MAX_FUNDING_RATE : kind === 'openInterest' ? MAX_OPEN_INTEREST : MAX_PRICE,
      what: kind === 'funding' ? 'funding rate' : kind === 'openInterest' ? 'open interest' : 'price',
    });
    if (s.volumes !== undefined) {
      checkPoints(s.volumes, `${f}.volumes`, `${w} volumes`, {
        positive: false,
        nonNegative: true,
        allowEmpty: true,
        maxAbs: MAX_VOLUME,
        what: 'volume',
      });
    }
  });
  return json as unknown as Bundle;
}
