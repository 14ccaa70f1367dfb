import { BtcFlowInputError } from './errors';
import { TIMEFRAMES, Timeframe } from './types';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** 1970-01-01 was a Thursday; the first Monday 00:00 UTC is 4 days later. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;

const FIXED_MS: Record<Exclude<Timeframe, '1M'>, number> = {
  '1h': HOUR_MS,
  '4h': 4 * HOUR_MS,
  '1d': DAY_MS,
  '3d': 3 * DAY_MS,
  '1w': 7 * DAY_MS,
};

/** True when `tf` is one of the supported timeframes. */
export function isTimeframe(tf: unknown): tf is Timeframe {
  return typeof tf === 'string' && (TIMEFRAMES as readonly string[]).includes(tf);
}

/** Parses a timeframe name, throwing a BtcFlowInputError that lists the allowed values. */
export function parseTimeframe(raw: unknown, field = 'timeframe'): Timeframe {
  if (!isTimeframe(raw)) {
    throw new BtcFlowInputError(
      field,
      `${field}: unknown timeframe ${JSON.stringify(raw)}; allowed: ${TIMEFRAMES.join(', ')}`
    );
  }
  return raw;
}

/** Nominal bar length in ms (1M counts as 30 days; use bucketEndMs for the real month length). */
export function timeframeMs(tf: Timeframe): number {
  return tf === '1M' ? 30 * DAY_MS : FIXED_MS[tf];
}

/**
 * Start (UTC epoch ms) of the bucket containing `t`, on exchange kline boundaries: hours and days on the UTC grid,
 * 3d epoch-aligned (multiples of 3 days from 1970-01-01, as Binance), weeks from Monday 00:00, calendar months.
 */
export function bucketStartMs(t: number, tf: Timeframe): number {
  switch (tf) {
    case '1M': {
      const d = new Date(t);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case '1w':
      return Math.floor((t - MONDAY_OFFSET_MS) / FIXED_MS['1w']) * FIXED_MS['1w'] + MONDAY_OFFSET_MS;
    default: {
      const ms = FIXED_MS[tf];
      return Math.floor(t / ms) * ms;
    }
  }
}

/** Exclusive end (UTC epoch ms) of the bucket that starts at `start` (the next bucket's start). */
export function bucketEndMs(start: number, tf: Timeframe): number {
  if (tf === '1M') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return start + FIXED_MS[tf];
}
