/**
 * Query resolution: template variables, defaults, the `auto` timeframe, the lookback, venue baskets and the
 * warm-up range. Pure (the template service is passed in), so it is tested without Grafana.
 */
import { BtcFlowInputError } from '../core/errors';
import {
  DEFAULT_OPTIONS,
  EngineOptions,
  MAX_LOOKBACK,
  MAX_WINDOW,
  defaultLookback,
  validateOptions,
} from '../core/options';
import { bucketStartMs, isTimeframe, timeframeMs } from '../core/timeframe';
import { TIMEFRAMES, Timeframe } from '../core/types';
import {
  BtcFlowOptions,
  BtcFlowQuery,
  DEFAULT_ASSET,
  OI_GROUPS,
  OI_UNITS,
  QUERY_TYPES,
  QueryType,
  VENUE_ROLES,
  VenueRole,
} from './types';

/** Interpolates one string; `multi` asks for a multi-value variable as a list. */
export interface Interpolator {
  /** Single value (e.g. `$asset` → `BTC`). */
  one(value: string): string;
  /** Multi value (e.g. `$venues` → `['okx', 'bybit']`). */
  many(value: string): string[];
}

export const IDENTITY_INTERPOLATOR: Interpolator = { one: (v) => v, many: (v) => [v] };

/** Venue ids per basket after configuration and the query's subset. */
export type RoleVenues = Record<VenueRole, string[]>;

export interface ResolvedQuery {
  /** The query with variables replaced and every option explicit. */
  query: BtcFlowQuery;
  asset: string;
  timeframe: Timeframe;
  /** z-score window in bars (never 'auto' here). */
  lookback: number;
  /** Engine options for compute (lookback, smoothing, weightings, stablecoin conversion, thresholds). */
  engine: Partial<EngineOptions>;
  /** Venues per basket. */
  venues: RoleVenues;
  /** Panel range, UTC ms. */
  from: number;
  to: number;
  /** Range to fetch: from the warm-up start to `to`. */
  fetchFrom: number;
  /** Bars fetched before the first visible bar. */
  warmupBars: number;
}

/**
 * `auto` timeframe: the smallest supported timeframe at least as long as the panel's interval (so a panel never
 * gets more bars than it has data points), capped at 1M. 1M counts as 30 days here.
 */
export function autoTimeframe(intervalMs: number | undefined): Timeframe {
  const ms = intervalMs && Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs : timeframeMs('1d');
  for (const tf of TIMEFRAMES) {
    if (timeframeMs(tf) >= ms) {
      return tf;
    }
  }
  return '1M';
}

/** Start of the bar `n` bars before the bar starting at `start`. */
export function barsBefore(start: number, n: number, tf: Timeframe): number {
  if (tf === '1M') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - n, 1);
  }
  return start - n * timeframeMs(tf);
}

/**
 * Warm-up: bars needed before the first visible bar so that it has a z-score. The z-score needs `lookback` values
 * of the smoothed series, the SMA needs `smoothing − 1` bars before that, and "rising / falling" looks
 * `premiumSlopeBars` back; one more bar covers a first bucket that is only partly inside the fetched range.
 */
export function warmupBars(lookback: number, engine: Partial<EngineOptions>): number {
  const smoothing = Math.max(engine.premiumSmoothing ?? 1, engine.fundingSmoothing ?? 1);
  const slope = engine.premiumSlopeBars ?? DEFAULT_OPTIONS.premiumSlopeBars;
  return lookback + (smoothing - 1) + slope + 1;
}

/** Venues configured per basket (jsonData), falling back to the registry defaults. */
export function configuredVenues(settings: BtcFlowOptions, defaults: RoleVenues): RoleVenues {
  const pick = (v: string[] | undefined, d: string[]) => (v && v.length ? [...v] : [...d]);
  return {
    spot: pick(settings.spotVenues, defaults.spot),
    perp: pick(settings.perpVenues, defaults.perp),
    oi: pick(settings.oiVenues, defaults.oi),
    funding: pick(settings.fundingVenues, defaults.funding),
  };
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** All venues of the configured baskets, in first-seen order. */
export function allConfiguredVenues(v: RoleVenues): string[] {
  return uniq(VENUE_ROLES.flatMap((r) => v[r]));
}

function interpolateVenues(list: string[] | undefined, tpl: Interpolator): string[] {
  if (!list) {
    return [];
  }
  const out: string[] = [];
  for (const item of list) {
    for (const v of item.includes('$') ? tpl.many(item) : [item]) {
      // Variables in csv form, and Grafana's {a,b} glob form.
      for (const part of v.replace(/^\{|\}$/g, '').split(',')) {
        const t = part.trim();
        if (t && t !== '$__all') {
          out.push(t);
        }
      }
    }
  }
  return uniq(out);
}

function parsePositiveInt(raw: unknown, field: string, min: number, max: number): number {
  const n = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new BtcFlowInputError(
      field,
      `${field}: bad value ${JSON.stringify(raw)}; allowed: an integer from ${min} to ${max}`
    );
  }
  return n;
}

/** Options from jsonData that go to the engine (weightings, conversion, thresholds). */
export function engineSettings(settings: BtcFlowOptions): Partial<EngineOptions> {
  const raw: Record<string, unknown> = { ...(settings.thresholds ?? {}) };
  if (settings.basketWeighting !== undefined) {
    raw.basketWeighting = settings.basketWeighting;
  }
  if (settings.fundingWeighting !== undefined) {
    raw.fundingWeighting = settings.fundingWeighting;
  }
  if (settings.stablecoinToUsd !== undefined) {
    raw.stablecoinToUsd = settings.stablecoinToUsd;
  }
  return validateOptions(raw);
}

export interface ResolveContext {
  settings: BtcFlowOptions;
  /** Registry default venues per role. */
  defaults: RoleVenues;
  /** Every venue id the registry knows (for error messages). */
  knownVenues: string[];
  tpl: Interpolator;
  range: { from: number; to: number };
  /** Panel interval (request.intervalMs), for `auto`. */
  intervalMs?: number;
}

/** Resolves a panel (or annotation) target into everything the fetch and the engine need. */
export function resolveQuery(target: BtcFlowQuery, ctx: ResolveContext): ResolvedQuery {
  const queryType = (target.queryType ?? 'premium') as QueryType;
  if (!(QUERY_TYPES as readonly string[]).includes(queryType)) {
    throw new BtcFlowInputError(
      'queryType',
      `queryType: unknown query type ${JSON.stringify(target.queryType)}; allowed: ${QUERY_TYPES.join(', ')}`
    );
  }
  const asset = ctx.tpl
    .one(target.asset?.trim() || DEFAULT_ASSET)
    .trim()
    .toUpperCase();
  if (!/^[A-Z0-9]{1,20}$/.test(asset)) {
    throw new BtcFlowInputError(
      'asset',
      `asset: bad value ${JSON.stringify(asset)}; allowed: a ticker such as BTC or ETH`
    );
  }

  const tfRaw = ctx.tpl.one(target.timeframe?.trim() || 'auto').trim();
  let timeframe: Timeframe;
  if (tfRaw === 'auto') {
    timeframe = autoTimeframe(ctx.intervalMs);
  } else if (isTimeframe(tfRaw)) {
    timeframe = tfRaw;
  } else {
    throw new BtcFlowInputError(
      'timeframe',
      `timeframe: unknown timeframe ${JSON.stringify(tfRaw)}; allowed: auto, ${TIMEFRAMES.join(', ')}`
    );
  }

  const lookbackRaw = typeof target.lookback === 'string' ? ctx.tpl.one(target.lookback) : target.lookback;
  const lookback =
    lookbackRaw === undefined || lookbackRaw === 'auto' || lookbackRaw === ''
      ? ctx.settings.defaultLookbacks?.[timeframe] === undefined
        ? defaultLookback(timeframe)
        : parsePositiveInt(ctx.settings.defaultLookbacks[timeframe], `defaultLookbacks.${timeframe}`, 2, MAX_LOOKBACK)
      : parsePositiveInt(lookbackRaw, 'lookback', 2, MAX_LOOKBACK);
  const smoothing = (raw: number | string | undefined, field: string) =>
    raw === undefined || raw === ''
      ? 1
      : parsePositiveInt(typeof raw === 'string' ? ctx.tpl.one(raw) : raw, field, 1, MAX_WINDOW);
  const premiumSmoothing = smoothing(target.premiumSmoothing, 'premiumSmoothing');
  const fundingSmoothing = smoothing(target.fundingSmoothing, 'fundingSmoothing');

  const engine: Partial<EngineOptions> = {
    ...engineSettings(ctx.settings),
    lookback,
    premiumSmoothing,
    fundingSmoothing,
  };
  // signals only: the regime EMA of the premium, over the data source's threshold setting
  const emaRaw = queryType === 'signals' ? (target as { premiumEmaBars?: number | string }).premiumEmaBars : undefined;
  if (emaRaw !== undefined && emaRaw !== '') {
    engine.premiumEmaBars = smoothing(emaRaw, 'premiumEmaBars');
  }

  // Venues: configured baskets, narrowed by the query's subset.
  const configured = configuredVenues(ctx.settings, ctx.defaults);
  const subset = interpolateVenues(target.venues, ctx.tpl);
  const all = allConfiguredVenues(configured);
  const unknown = subset.filter((v) => !all.includes(v));
  if (unknown.length) {
    const known = ctx.knownVenues.filter((v) => !all.includes(v));
    throw new BtcFlowInputError(
      'venues',
      `venues: ${unknown.map((v) => JSON.stringify(v)).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a configured venue; ` +
        `allowed: ${all.join(', ')}${known.length ? ` (add ${known.join(', ')} in the data source settings first)` : ''}`
    );
  }
  const venues: RoleVenues = subset.length
    ? {
        spot: configured.spot.filter((v) => subset.includes(v)),
        perp: configured.perp.filter((v) => subset.includes(v)),
        oi: configured.oi.filter((v) => subset.includes(v)),
        funding: configured.funding.filter((v) => subset.includes(v)),
      }
    : configured;

  if (queryType === 'oi') {
    const t = target as { unit?: unknown; groupBy?: unknown };
    if (t.unit !== undefined && !(OI_UNITS as readonly unknown[]).includes(t.unit)) {
      throw new BtcFlowInputError(
        'unit',
        `unit: bad value ${JSON.stringify(t.unit)} for an oi query; allowed: ${OI_UNITS.join(', ')}`
      );
    }
    if (t.groupBy !== undefined && !(OI_GROUPS as readonly unknown[]).includes(t.groupBy)) {
      throw new BtcFlowInputError(
        'groupBy',
        `groupBy: bad value ${JSON.stringify(t.groupBy)}; allowed: ${OI_GROUPS.join(', ')}`
      );
    }
  }

  const { from, to } = ctx.range;
  if (!(Number.isFinite(from) && Number.isFinite(to)) || from > to) {
    throw new BtcFlowInputError('range', `range: bad time range ${from}..${to}; from must not be after to`);
  }
  const warm = warmupBars(lookback, engine);
  const fetchFrom = barsBefore(bucketStartMs(from, timeframe), warm, timeframe);

  const query = {
    ...target,
    queryType,
    asset,
    timeframe,
    lookback,
    premiumSmoothing,
    fundingSmoothing,
    venues: subset,
  } as BtcFlowQuery;
  return { query, asset, timeframe, lookback, engine, venues, from, to, fetchFrom, warmupBars: warm };
}
