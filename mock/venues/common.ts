/**
 * Helpers shared by the mock venue handlers: candle grids, range selection, number formatting.
 * All data served through these is SIMULATED (see mock/market.ts).
 */
import { SIM_START_MS } from '../market';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const WEEK = 7 * DAY;
/** 1970-01-05 was a Monday: weekly candles open on Mondays 00:00 (plus any venue offset). */
const MONDAY_OFFSET = 4 * DAY;

/** A candle grid: fixed-length buckets (aligned to the epoch, plus `offsetMs`), weeks (Monday) or calendar months. */
export type Grid =
  | { kind: 'fixed'; ms: number; offsetMs: number }
  | { kind: 'week'; offsetMs: number }
  | { kind: 'month'; offsetMs: number };

export const fixed = (ms: number, offsetMs = 0): Grid => ({ kind: 'fixed', ms, offsetMs });
export const week = (offsetMs = 0): Grid => ({ kind: 'week', offsetMs });
export const month = (offsetMs = 0): Grid => ({ kind: 'month', offsetMs });

/** Start of the bucket containing t. */
export function floorTo(g: Grid, t: number): number {
  switch (g.kind) {
    case 'fixed':
      return Math.floor((t - g.offsetMs) / g.ms) * g.ms + g.offsetMs;
    case 'week':
      return Math.floor((t - MONDAY_OFFSET - g.offsetMs) / WEEK) * WEEK + MONDAY_OFFSET + g.offsetMs;
    case 'month': {
      const d = new Date(t - g.offsetMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) + g.offsetMs;
    }
  }
}

/** Start of the bucket after the one starting at `start` (which must be aligned). */
export function nextOpen(g: Grid, start: number): number {
  switch (g.kind) {
    case 'fixed':
      return start + g.ms;
    case 'week':
      return start + WEEK;
    case 'month': {
      const d = new Date(start - g.offsetMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) + g.offsetMs;
    }
  }
}

export function prevOpen(g: Grid, start: number): number {
  switch (g.kind) {
    case 'fixed':
      return start - g.ms;
    case 'week':
      return start - WEEK;
    case 'month': {
      const d = new Date(start - g.offsetMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1) + g.offsetMs;
    }
  }
}

/** Smallest aligned open time >= t. */
export function ceilTo(g: Grid, t: number): number {
  const f = floorTo(g, t);
  return f === t ? f : nextOpen(g, f);
}

/**
 * Select up to `limit` aligned times in [from, to] (inclusive; both clamped to [first, last]),
 * taken from the `from` end ('first') or the `to` end ('last'). Returned ascending.
 * `first` is the earliest time that exists (listing / retention), `last` the latest (open bar or last settled row).
 */
export function selectTimes(
  g: Grid,
  opts: { from?: number; to?: number; limit: number; take: 'first' | 'last'; first: number; last: number }
): number[] {
  const lo = ceilTo(g, Math.max(opts.from ?? -Infinity, opts.first));
  const hi = floorTo(g, Math.min(opts.to ?? Infinity, opts.last));
  const out: number[] = [];
  if (!(lo <= hi) || opts.limit <= 0) {
    return out;
  }
  if (opts.take === 'first') {
    for (let t = lo; t <= hi && out.length < opts.limit; t = nextOpen(g, t)) {
      out.push(t);
    }
    return out;
  }
  for (let t = hi; t >= lo && out.length < opts.limit; t = prevOpen(g, t)) {
    out.push(t);
  }
  return out.reverse();
}

/** Fixed-decimals string, the way venues print prices and sizes ("43210.50"). */
export function fmt(x: number, decimals: number): string {
  return x.toFixed(decimals);
}

/** Shortest round-tripping decimal string with at most `maxDecimals` decimals, no exponent ("0.0001", "12.5"). */
export function num(x: number, maxDecimals = 8): string {
  const s = x.toFixed(maxDecimals);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Parse an optional integer query parameter; `undefined` if absent, NaN if present but not an integer. */
export function intParam(q: Record<string, string>, name: string): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') {
    return undefined;
  }
  const n = Number(v);
  return Number.isInteger(n) ? n : NaN;
}

/**
 * The paging parameters most venues take: a row limit (`def` when absent, allowed 1..`max`) and two optional integer
 * times named `fromName` / `toName`. `bad` says which check failed first (the limit before the times); each venue
 * answers it with its own error body.
 */
export function pageParams(
  q: Record<string, string>,
  fromName: string,
  toName: string,
  def: number,
  max: number
): { limit: number; from: number | undefined; to: number | undefined; bad?: 'limit' | 'time' } {
  const limit = intParam(q, 'limit') ?? def;
  const from = intParam(q, fromName);
  const to = intParam(q, toName);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    return { limit, from, to, bad: 'limit' };
  }
  if (Number.isNaN(from) || Number.isNaN(to)) {
    return { limit, from, to, bad: 'time' };
  }
  return { limit, from, to };
}

/** Earliest simulated time (listing dates before it are clamped to it). */
export function listed(iso: string): number {
  return Math.max(SIM_START_MS, Date.parse(iso));
}

export const SIMULATED_NOTE = 'SIMULATED data from the BTC Flow mock exchange server, not real market data';
