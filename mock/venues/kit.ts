/**
 * Small helpers shared by the coinbase, bitstamp, kraken, krakenfutures, deribit, bitget and
 * hyperliquid venue mocks: candle grids, number formatting and parameter parsing.
 * SIMULATED DATA: every value comes from `mock/market.ts`.
 */
import { candle, hashString, SIM_START_MS, type SimCandle } from '../market';
import { DAY, HOUR, MIN, Grid, ceilTo, fixed, floorTo, month, nextOpen, prevOpen } from './common';

// The grid arithmetic lives in common.ts (Grid); a BarSpec is the same grid in the shape these venues use.
export const MINUTE_MS = MIN;
export const HOUR_MS = HOUR;
export const DAY_MS = DAY;
/** 1970-01-05 was a Monday: weekly bars aligned to Monday 00:00 UTC use this offset. */
export const MONDAY_OFFSET_MS = 4 * DAY_MS;

/** A bar width: fixed duration aligned at `offsetMs` (mod duration), or calendar months. */
export type BarSpec = { kind: 'fixed'; durMs: number; offsetMs: number } | { kind: 'month' };

export function fixedBar(durMs: number, offsetMs = 0): BarSpec {
  return { kind: 'fixed', durMs, offsetMs };
}

const gridOf = (spec: BarSpec): Grid => (spec.kind === 'month' ? month() : fixed(spec.durMs, spec.offsetMs));

/** Start of the bar containing t. */
export function barStart(spec: BarSpec, t: number): number {
  return floorTo(gridOf(spec), t);
}

/** Start of the bar after the one opening at `open`. */
export function nextBar(spec: BarSpec, open: number): number {
  return nextOpen(gridOf(spec), open);
}

/** Duration of the bar opening at `open`. */
export function barDuration(spec: BarSpec, open: number): number {
  return nextBar(spec, open) - open;
}

/** First bar open time >= t. */
export function firstBarAtOrAfter(spec: BarSpec, t: number): number {
  return ceilTo(gridOf(spec), t);
}

export interface Bar extends SimCandle {
  /** open time, epoch ms */
  t: number;
  /** bar length, ms */
  durMs: number;
}

/**
 * Bars whose open time lies in [fromMs, toMs] (both inclusive), oldest first, for one venue market.
 * Bars before `listedMs` (and before the simulation start) or not yet open are skipped.
 * `maxRows` caps the walk (safety against absurd ranges); the caller applies the venue's limit.
 */
export function barsBetween(
  venueKey: string,
  asset: string,
  market: 'spot' | 'perp',
  spec: BarSpec,
  fromMs: number,
  toMs: number,
  listedMs = SIM_START_MS,
  maxRows = 200_000
): Bar[] {
  const out: Bar[] = [];
  const start = Math.max(fromMs, listedMs, SIM_START_MS);
  for (let t = firstBarAtOrAfter(spec, start); t <= toMs && out.length < maxRows; t = nextBar(spec, t)) {
    const durMs = barDuration(spec, t);
    const c = candle(venueKey, asset, market, t, durMs);
    if (!c) {
      // not yet open (candle() is undefined from `now` on): nothing later exists either
      break;
    }
    out.push({ t, durMs, ...c });
  }
  return out;
}

/** Open times of the `count` most recent bars at or before `toMs` (oldest first), not before `floorMs`. */
export function lastBarOpens(spec: BarSpec, toMs: number, count: number, floorMs: number): number[] {
  const g = gridOf(spec);
  const opens: number[] = [];
  for (let t = floorTo(g, toMs); opens.length < count && t >= floorMs; t = prevOpen(g, t)) {
    opens.push(t);
  }
  return opens.reverse();
}

/** Decimal places a venue would print for a price of this size. */
export function priceDecimals(price: number): number {
  const a = Math.abs(price);
  if (a >= 1000) {
    return 1;
  }
  if (a >= 100) {
    return 2;
  }
  if (a >= 1) {
    return 4;
  }
  return 6;
}

/** Price as a decimal string with venue-like precision. */
export function px(price: number, decimals = priceDecimals(price)): string {
  return price.toFixed(decimals);
}

/** Price rounded to venue-like precision, as a number (for venues that send JSON numbers). */
export function pxNum(price: number, decimals = priceDecimals(price)): number {
  return Number(price.toFixed(decimals));
}

/** Amount as a decimal string with fixed decimals. */
export function amt(x: number, decimals = 8): string {
  return x.toFixed(decimals);
}

export function amtNum(x: number, decimals = 8): number {
  return Number(x.toFixed(decimals));
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A query parameter parsed as an integer. */
export type IntParam = { ok: true; value: number | undefined } | { ok: false; reason: string };

/** Integer query parameter; undefined when absent or empty. Rejects non-integers. */
export function intParam(query: Record<string, string>, name: string): IntParam {
  const raw = query[name];
  if (raw === undefined || raw === '') {
    return { ok: true, value: undefined };
  }
  if (!/^-?\d+(\.0+)?$/.test(raw.trim())) {
    return { ok: false, reason: `${name} must be an integer, got "${raw}"` };
  }
  return { ok: true, value: Math.trunc(Number(raw)) };
}

/** Deterministic pseudo-random integer in [0, n) from a key (for trade counts, jitter): the key's FNV-1a hash mod n. */
export function hashInt(key: string, n: number): number {
  return hashString(key) % n;
}
