/**
 * Filling the store from the venues' REST APIs through the exchange layer (fetchSeries), resumably: each series is
 * fetched in chunks of whole bars, and every chunk is written in one transaction together with the range it covers.
 * A rerun (or the run loop's next poll) subtracts the covered ranges and fetches only what is missing, so a process
 * killed at any moment loses at most the chunk in flight. Used by `backfill` and by `run` (fill and poll).
 */
import { EventEmitter } from 'node:events';
import { SERIES_KINDS, type FxSeries, type SeriesKind, type Timeframe } from '../src/core/types';
import type { ExchangeContext } from '../src/exchanges/context';
import { VenueError } from '../src/exchanges/errors';
import { fetchSeries } from '../src/exchanges/fetchSeries';
import { DEFAULT_FX_VENUE, DEFAULT_VENUES, getVenue, VENUES, venueKinds } from '../src/exchanges/registry';
import { redactText } from '../src/exchanges/redact';
import { subtractIntervals } from '../src/exchanges/cache';
import { storeStepMs, storeTimeframeFor } from './bundle';
import type { PointInput, RecorderStore, SeriesKey, SeriesMeta, StoreTimeframe } from './store/types';

/** One request outcome (one fetchSeries call for one chunk), for logs and the Prometheus exporter. */
export interface RequestEvent {
  asset: string;
  venue: string;
  kind: SeriesKind;
  timeframe: StoreTimeframe;
  ok: boolean;
  /** Points written (inserted or changed). */
  written: number;
  /** Points the venue returned. */
  points: number;
  ms: number;
  from: number;
  to: number;
  error?: string;
}

/** A bar of an engine timeframe closed and its series were polled. */
export interface BarClosedEvent {
  asset: string;
  timeframe: Timeframe;
  /** Start and end (exclusive) of the bar that closed, UTC epoch ms. */
  barTime: number;
  barEnd: number;
}

/**
 * Events of the recorder (`backfill` and `run`): `request` (RequestEvent), `barClosed` (BarClosedEvent),
 * `notice` (string, already redacted).
 */
export class RecorderEvents extends EventEmitter {
  override emit(event: 'request', e: RequestEvent): boolean;
  override emit(event: 'barClosed', e: BarClosedEvent): boolean;
  override emit(event: 'notice', message: string): boolean;
  override emit(event: string, ...args: unknown[]): boolean {
    return super.emit(event, ...args);
  }
  override on(event: 'request', fn: (e: RequestEvent) => void): this;
  override on(event: 'barClosed', fn: (e: BarClosedEvent) => void): this;
  override on(event: 'notice', fn: (message: string) => void): this;
  override on(event: string, fn: (...args: never[]) => void): this {
    return super.on(event, fn as (...args: unknown[]) => void);
  }
}

/** One series to record: the store key plus the engine timeframe used to ask the exchange layer for it. */
export interface RecordedSeries {
  key: SeriesKey;
  /** Engine timeframe passed to fetchSeries (any for funding). */
  fetchTimeframe: Timeframe;
  /** Only the current value is public (deribit, bitget, hyperliquid OI): recorded live, never backfilled. */
  currentOnly: boolean;
}

/**
 * The series recorded for the assets × timeframes × venues × kinds asked: one per store key (1d and 1w share the
 * daily series; funding is one series per venue). The USDT/USD reference (fx) is recorded from the default fx venue.
 */
export function recordedSeries(
  assets: string[],
  timeframes: Timeframe[],
  venues: string[] = [...DEFAULT_VENUES],
  kinds: SeriesKind[] = [...SERIES_KINDS]
): RecordedSeries[] {
  const out = new Map<string, RecordedSeries>();
  for (const asset of assets) {
    for (const tf of timeframes) {
      const add = (venue: string, kind: SeriesKind) => {
        const timeframe = storeTimeframeFor(venue, kind, tf);
        const key: SeriesKey = { asset, venue, kind, timeframe };
        const id = `${asset}|${venue}|${kind}|${timeframe}`;
        if (!out.has(id)) {
          const v = getVenue(venue);
          out.set(id, {
            key,
            fetchTimeframe: timeframe === '*' ? '1h' : timeframe,
            currentOnly: kind === 'openInterest' && v.openInterest?.method === 'current',
          });
        }
      };
      for (const venue of venues) {
        for (const kind of venueKinds(getVenue(venue))) {
          if (kind !== 'fx' && kinds.includes(kind)) {
            add(venue, kind);
          }
        }
      }
      if (kinds.includes('fx') && asset !== 'USDT') {
        add(DEFAULT_FX_VENUE, 'fx');
      }
    }
  }
  return [...out.values()];
}

/** fx venues to fall back on, in order, when the default one fails. */
export const FX_FALLBACK = VENUES.filter((v) => v.fx && v.id !== DEFAULT_FX_VENUE).map((v) => v.id);

export interface FillOptions {
  store: RecorderStore;
  ctx: ExchangeContext;
  events?: RecorderEvents;
  /** Bars per chunk (one transaction each). Default 1000; funding chunks span 1000 hours. */
  chunkBars?: number;
  /** Clock (default the context's). */
  now?: number;
}

export interface FillResult {
  written: number;
  requests: number;
  failures: string[];
  /** Ranges the venue has no data for (before listing, beyond its retention): gaps, not failures. Not covered. */
  unavailable: string[];
}

/**
 * Fetches what the store lacks of one series in [from, to) (grid series: closed bars only; funding: settled points),
 * chunk by chunk. Returns what was written; failures are reported, not thrown (a failing venue never stops others).
 */
export async function fillSeries(s: RecordedSeries, from: number, to: number, opts: FillOptions): Promise<FillResult> {
  const { store, ctx } = opts;
  const now = opts.now ?? ctx.now();
  const k = s.key;
  const step = storeStepMs(k.timeframe);
  const res: FillResult = { written: 0, requests: 0, failures: [], unavailable: [] };
  const chunkMs = (opts.chunkBars ?? 1000) * (step || 3_600_000);
  let start: number;
  let end: number;
  if (step) {
    const openStart = Math.floor(now / step) * step;
    start = Math.floor(from / step) * step;
    end = Math.min(Math.ceil(to / step) * step, openStart);
  } else {
    start = from;
    end = Math.min(to, now);
  }
  if (start >= end) {
    return res;
  }
  const missing = subtractIntervals([start, end], await store.coverage(k, 'rest'));
  for (const [a, b] of missing) {
    for (let s0 = a; s0 < b; s0 += chunkMs) {
      const s1 = Math.min(b, s0 + chunkMs);
      const r = await fetchChunk(s, s0, s1, opts);
      res.requests++;
      if (r.empty) {
        res.unavailable.push(r.empty);
        continue;
      }
      if (!r.ok) {
        res.failures.push(r.error!);
        return res; // the next run (or poll) resumes from here
      }
      res.written += r.written;
    }
  }
  return res;
}

/** The current open interest of a current-only venue, stored at the open bar's start and marked as read while open. */
export async function pollCurrentOi(s: RecordedSeries, opts: FillOptions): Promise<FillResult> {
  const now = opts.now ?? opts.ctx.now();
  const step = storeStepMs(s.key.timeframe);
  const openStart = Math.floor(now / step) * step;
  const r = await fetchChunk(s, openStart, openStart + step, opts, true);
  return { written: r.written, requests: 1, failures: r.ok ? [] : [r.error!], unavailable: r.empty ? [r.empty] : [] };
}

async function fetchChunk(
  s: RecordedSeries,
  from: number,
  to: number,
  opts: FillOptions,
  open = false
): Promise<{ ok: boolean; written: number; error?: string; empty?: string }> {
  const k = s.key;
  const started = Date.now();
  const emit = (ok: boolean, points: number, written: number, error?: string) =>
    opts.events?.emit('request', {
      asset: k.asset,
      venue: k.venue,
      kind: k.kind,
      timeframe: k.timeframe,
      ok,
      written,
      points,
      ms: Date.now() - started,
      from,
      to,
      ...(error ? { error } : {}),
    });
  try {
    const r = await fetchSeries(
      { venue: k.venue, kind: k.kind, asset: k.asset, timeframe: s.fetchTimeframe, from, to },
      opts.ctx
    );
    const ser = r.series;
    const vol = new Map((ser.volumes ?? []).map((p) => [p[0], p[1]]));
    const points: PointInput[] = ser.points
      .filter((p) => p[0] >= from && p[0] < to)
      .map((p) => ({ ts: p[0], value: p[1], volume: vol.get(p[0]) ?? null, ...(open ? { open: true } : {}) }));
    const meta: SeriesMeta = { symbol: r.symbol };
    if (ser.kind === 'spot' || ser.kind === 'perp') {
      meta.quote = ser.quote;
    } else if (ser.kind === 'openInterest') {
      meta.unit = ser.unit;
    } else if (ser.kind === 'funding') {
      meta.intervalHours = ser.intervalHours;
    } else {
      meta.pair = (ser as FxSeries).pair;
    }
    const written = await opts.store.write([
      { key: k, meta, points, source: 'rest', ...(open ? {} : { cover: [from, to] as [number, number] }) },
    ]);
    emit(true, points.length, written);
    return { ok: true, written };
  } catch (e) {
    // funding: a short range without a settlement in it is an answer, not a failure
    if (e instanceof VenueError && e.kind === 'empty' && k.kind === 'funding' && !open) {
      await opts.store.write([{ key: k, points: [], source: 'rest', cover: [from, to] }]);
      emit(true, 0, 0);
      return { ok: true, written: 0 };
    }
    const msg = redactText(`${k.asset} ${k.venue} ${k.kind} ${k.timeframe}: ${(e as Error)?.message ?? String(e)}`);
    if (e instanceof VenueError && (e.kind === 'empty' || e.kind === 'notApplicable')) {
      // the venue answered, or is known to have, nothing there (before listing or its first data, beyond its
      // retention: `notApplicable` is decided without a request); a gap, not a failure
      emit(true, 0, 0);
      return { ok: true, written: 0, empty: msg };
    }
    emit(false, 0, 0, msg);
    return { ok: false, written: 0, error: msg };
  }
}

export interface BackfillProgress {
  done: number;
  total: number;
  series: RecordedSeries;
  result: FillResult;
}

/**
 * Backfills every series over [from, to): venues in parallel (each has its own throttle), the series of one venue one
 * after the other. Current-only OI is skipped (nothing to backfill). fx falls back to the next fx venue on failure.
 */
export async function backfillRest(
  series: RecordedSeries[],
  from: number,
  to: number,
  opts: FillOptions & { onProgress?: (p: BackfillProgress) => void }
): Promise<FillResult> {
  const todo = series.filter((s) => !s.currentOnly);
  const byVenue = new Map<string, RecordedSeries[]>();
  for (const s of todo) {
    byVenue.set(s.key.venue, [...(byVenue.get(s.key.venue) ?? []), s]);
  }
  const total: FillResult = { written: 0, requests: 0, failures: [], unavailable: [] };
  let done = 0;
  await Promise.all(
    [...byVenue.values()].map(async (list) => {
      for (const s of list) {
        let r = await fillSeries(s, from, to, opts);
        // fx: the next venue when the default one failed or has nothing in the range (as fetchBundle falls back)
        if (s.key.kind === 'fx' && (r.failures.length || (r.written === 0 && r.unavailable.length))) {
          for (const alt of FX_FALLBACK) {
            const r2 = await fillSeries({ ...s, key: { ...s.key, venue: alt } }, from, to, opts);
            r = {
              written: r.written + r2.written,
              requests: r.requests + r2.requests,
              failures: r2.failures,
              unavailable: [...r.unavailable, ...r2.unavailable],
            };
            if (!r2.failures.length && !r2.unavailable.length) {
              break;
            }
          }
        }
        total.written += r.written;
        total.requests += r.requests;
        total.failures.push(...r.failures);
        total.unavailable.push(...r.unavailable);
        opts.onProgress?.({ done: ++done, total: todo.length, series: s, result: r });
      }
    })
  );
  return total;
}
