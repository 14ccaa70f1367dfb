import { BtcFlowInputError } from './errors';
import { Timeframe } from './types';

/**
 * Every tunable of the engine. Names are the same in the API, the CLI (`--set name=value`) and the Grafana query.
 * Units: bars for windows, z units (population standard deviations) for z thresholds, percent for *Pct.
 */
export interface EngineOptions {
  /** z-score window in bars, or 'auto' for defaultLookback(timeframe). */
  lookback: number | 'auto';
  /** SMA window (bars) applied to premiumPct before its z-score. 1 = no smoothing. */
  premiumSmoothing: number;
  /** SMA window (bars) applied to the funding composite before its z-score. 1 = no smoothing. */
  fundingSmoothing: number;
  /** Funding composite weights: venue OI in USD ('oi') or plain mean ('equal'). */
  fundingWeighting: 'oi' | 'equal';
  /** Spot / perp basket weights: equal, or by quote volume in the bucket ('volume', needs `volumes`). */
  basketWeighting: 'equal' | 'volume';
  /** Convert USDT / USDC quoted prices to USD when a USDT/USD or USDC/USD fx series is present. */
  stablecoinToUsd: boolean;

  /** EMA window (bars) of the premium the bullish / bearish rules read (after premiumSmoothing). 1 = no EMA. */
  premiumEmaBars: number;
  /** "Rising"/"falling" compares the EMA premium with its value this many bars earlier. */
  premiumSlopeBars: number;
  /** Entry: the EMA premium must be beyond ± this (percent) to count as positive / negative. */
  premiumDeadbandPct: number;
  /** Entry: the EMA premium must have moved more than this (percentage points over premiumSlopeBars) to rise / fall. */
  premiumSlopeDeadbandPct: number;
  /** Exit hysteresis: bullish holds while the EMA premium stays above −this, bearish while below +this (percent). */
  premiumExitMarginPct: number;
  /** bullish: OI not overheated means oiZ below this. */
  bullishMaxOiZ: number;
  /** bullish: funding not hot means fundingZ below this ... */
  bullishMaxFundingZ: number;
  /** ... and fundingAprPct below this (percent per year). */
  bullishMaxFundingAprPct: number;
  /** bearish: leverage building means oiZ at or above this ... */
  bearishMinOiZ: number;
  /** ... or fundingZ at or above this. */
  bearishMinFundingZ: number;
  /** overLeverage: oiZ at or above this ... */
  overLeverageOiZ: number;
  /** ... and fundingZ at or above this ... */
  overLeverageFundingZ: number;
  /** ... or fundingAprPct at or above this (percent per year). */
  overLeverageFundingAprPct: number;
  /** overLeverage exit hysteresis: once flagged, the state holds while oiZ stays at or above this. */
  overLeverageExitOiZ: number;
  /** Minimum duration (bars) of a bullish, bearish or over-leverage state once it starts. 1 = none. */
  stateMinBars: number;

  /** Extreme rule: a metric counts as extreme when its signed z is at or beyond this. */
  extremeZ: number;
  /** Extreme rule: at least this many of the available metrics must be extreme. */
  extremeMinCount: number;
  /** Extreme rule: the mean of the available signed z-scores must be at or beyond this. */
  extremeScoreMin: number;
  /** Extreme rule hysteresis: once flagged, the state holds while the score stays at or beyond this. */
  extremeExitScore: number;
}

export type OptionName = keyof EngineOptions;

export const DEFAULT_OPTIONS: Readonly<EngineOptions> = Object.freeze({
  lookback: 'auto',
  premiumSmoothing: 1,
  fundingSmoothing: 1,
  fundingWeighting: 'oi',
  basketWeighting: 'equal',
  stablecoinToUsd: true,

  premiumEmaBars: 7,
  premiumSlopeBars: 5,
  premiumDeadbandPct: 0.02,
  premiumSlopeDeadbandPct: 0.01,
  premiumExitMarginPct: 0.05,
  bullishMaxOiZ: 1,
  bullishMaxFundingZ: 1,
  bullishMaxFundingAprPct: 30,
  bearishMinOiZ: 1,
  bearishMinFundingZ: 1,
  overLeverageOiZ: 2,
  overLeverageFundingZ: 2,
  overLeverageFundingAprPct: 30,
  overLeverageExitOiZ: 1,
  stateMinBars: 2,

  extremeZ: 2,
  extremeMinCount: 2,
  extremeScoreMin: 2.5,
  extremeExitScore: 1,
} satisfies EngineOptions);

/** Default z-score window (bars) per timeframe; see docs/metrics.md for the reasons. */
export function defaultLookback(tf: Timeframe): number {
  switch (tf) {
    case '1h':
      return 720; // 30 days
    case '4h':
      return 540; // 90 days
    case '1d':
      return 90; // one quarter (the calibration window)
    case '3d':
      return 122; // about a year
    case '1w':
      return 52; // a year
    case '1M':
      return 24; // two years
  }
}

/**
 * Longest z-score window, bars (documented in docs/metrics.md): 100,000 bars is 11 years of 1h bars, far more than any
 * venue's history; a longer window could never fill, and its warm-up would reach back centuries.
 */
export const MAX_LOOKBACK = 100_000;
/** Longest smoothing / slope window, bars. */
export const MAX_WINDOW = 100_000;

type Spec =
  | { type: 'int'; min: number; max: number; auto?: boolean }
  | { type: 'number' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' };

const INT_WINDOW: Spec = { type: 'int', min: 1, max: MAX_WINDOW };
const NUM: Spec = { type: 'number' };

const SPECS: Record<OptionName, Spec> = {
  lookback: { type: 'int', min: 2, max: MAX_LOOKBACK, auto: true },
  premiumSmoothing: INT_WINDOW,
  fundingSmoothing: INT_WINDOW,
  fundingWeighting: { type: 'enum', values: ['oi', 'equal'] },
  basketWeighting: { type: 'enum', values: ['equal', 'volume'] },
  stablecoinToUsd: { type: 'bool' },
  premiumEmaBars: INT_WINDOW,
  premiumSlopeBars: INT_WINDOW,
  premiumDeadbandPct: NUM,
  premiumSlopeDeadbandPct: NUM,
  premiumExitMarginPct: NUM,
  bullishMaxOiZ: NUM,
  bullishMaxFundingZ: NUM,
  bullishMaxFundingAprPct: NUM,
  bearishMinOiZ: NUM,
  bearishMinFundingZ: NUM,
  overLeverageOiZ: NUM,
  overLeverageFundingZ: NUM,
  overLeverageFundingAprPct: NUM,
  overLeverageExitOiZ: NUM,
  stateMinBars: INT_WINDOW,
  extremeZ: NUM,
  extremeMinCount: { type: 'int', min: 1, max: 3 },
  extremeScoreMin: NUM,
  extremeExitScore: NUM,
};

/** Names of all options, in documentation order. */
export const OPTION_NAMES = Object.keys(SPECS) as OptionName[];

function allowed(spec: Spec): string {
  switch (spec.type) {
    case 'int':
      return `an integer from ${spec.min} to ${spec.max}${spec.auto ? " or 'auto'" : ''}`;
    case 'number':
      return 'a finite number';
    case 'enum':
      return spec.values.join(' | ');
    case 'bool':
      return 'true | false';
  }
}

function specOf(name: string): Spec {
  if (!Object.prototype.hasOwnProperty.call(SPECS, name)) {
    throw new BtcFlowInputError(name, `unknown option "${name}"; allowed: ${OPTION_NAMES.join(', ')}`);
  }
  return SPECS[name as OptionName];
}

function bad(name: string, spec: Spec, raw: unknown): never {
  throw new BtcFlowInputError(name, `option ${name}: bad value ${JSON.stringify(raw)}; allowed: ${allowed(spec)}`);
}

function checkValue(name: string, spec: Spec, v: unknown): EngineOptions[OptionName] {
  switch (spec.type) {
    case 'int':
      if (spec.auto && v === 'auto') {
        return 'auto';
      }
      if (typeof v !== 'number' || !Number.isInteger(v) || v < spec.min || v > spec.max) {
        return bad(name, spec, v);
      }
      return v;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        return bad(name, spec, v);
      }
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) {
        return bad(name, spec, v);
      }
      return v as EngineOptions[OptionName];
    case 'bool':
      if (typeof v !== 'boolean') {
        return bad(name, spec, v);
      }
      return v;
  }
}

/**
 * Parses one option from text (CLI `--set name=value`, URL, query editor). Throws BtcFlowInputError naming the
 * option and its allowed values for an unknown name or a bad value.
 */
export function parseOptionValue<K extends OptionName>(name: K | string, raw: string): EngineOptions[K] {
  const spec = specOf(name);
  const s = String(raw).trim();
  let v: unknown = s;
  if (spec.type === 'int' || spec.type === 'number') {
    v = s === '' ? NaN : spec.type === 'int' && spec.auto && s === 'auto' ? 'auto' : Number(s);
    if (typeof v === 'number' && Number.isNaN(v)) {
      return bad(name, spec, raw);
    }
  } else if (spec.type === 'bool') {
    const l = s.toLowerCase();
    v = l === 'true' || l === '1' || l === 'yes' ? true : l === 'false' || l === '0' || l === 'no' ? false : raw;
  }
  return checkValue(name, spec, v) as EngineOptions[K];
}

/**
 * Checks a partial option object (unknown names, types, ranges); string values are parsed as by parseOptionValue.
 * Returns a clean copy; `undefined` entries are dropped. Throws BtcFlowInputError on the first problem.
 */
export function validateOptions(partial: unknown): Partial<EngineOptions> {
  if (partial === undefined || partial === null) {
    return {};
  }
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    throw new BtcFlowInputError('options', 'options must be an object of name: value');
  }
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(partial as Record<string, unknown>)) {
    if (v === undefined) {
      continue;
    }
    const spec = specOf(name);
    out[name] = typeof v === 'string' && spec.type !== 'enum' ? parseOptionValue(name, v) : checkValue(name, spec, v);
  }
  return out as Partial<EngineOptions>;
}

/** Merges validated options over DEFAULT_OPTIONS. */
export function resolveOptions(partial?: unknown): EngineOptions {
  return { ...DEFAULT_OPTIONS, ...validateOptions(partial) };
}
