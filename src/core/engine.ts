/**
 * The engine pipeline: bundle in, metric columns out, one stage per section of docs/metrics.md (the stages live in
 * src/core/stages/, the bar views in views.ts). Pure: no I/O, no Grafana, no ccxt.
 */
import { EngineOptions, defaultLookback, resolveOptions } from './options';
import { buildEventsFromColumns, computeStates } from './signals';
import { checkRange, dataSpan, makeBuckets, outputRange } from './stages/buckets';
import { fxRates } from './stages/fx';
import { fundingStage } from './stages/funding';
import { seriesCoverage } from './stages/gaps';
import { oiOfVenues, openInterest } from './stages/openInterest';
import { emptyColumns, overflowNotes, venueColumns } from './stages/output';
import { premiumColumn, spotPerpBaskets } from './stages/premium';
import { pricesUsd } from './stages/prices';
import { resampleSeries } from './stages/resample';
import { groupSeries, makeLabels } from './stages/series';
import { staleExclusions, staleGroup } from './stages/staleness';
import { fmtDay } from './stages/text';
import { lookbackNotes, zscores } from './stages/zscore';
import { parseTimeframe } from './timeframe';
import { Bundle, EngineColumns, EngineResult, Timeframe } from './types';
import { materialise } from './views';

export { STABLECOINS } from './stages/fx';
export { seriesGaps } from './stages/gaps';
export { materialise } from './views';
export type { EngineColumns } from './types';

/** Options accepted by compute: engine options plus the timeframe (default 1d) and an optional [from, to] range (UTC ms). */
export type ComputeOptions = Partial<EngineOptions> & { timeframe?: Timeframe; from?: number; to?: number };

/**
 * The engine pipeline in columns (typed arrays, no per-bar objects): what compute runs before making the bar views.
 * Use it where columns are wanted directly (e.g. data frames) or bars would be many.
 */
export function computeColumns(bundle: Bundle, options: ComputeOptions = {}): EngineColumns {
  const { timeframe: tfRaw, from, to, ...rest } = options;
  const tf = parseTimeframe(tfRaw ?? '1d');
  const opts = resolveOptions(rest);
  checkRange(from, to);
  const lookback = opts.lookback === 'auto' ? defaultLookback(tf) : opts.lookback;
  const notes: string[] = [];
  const series = bundle.series;
  const labels = makeLabels(series); // §1
  const span = dataSpan(series); // §2
  if (span === null) {
    return emptyColumns(tf, seriesCoverage(series, labels, notes), notes);
  }
  const grid = makeBuckets(span.tMin, span.tMax, tf);
  const { starts, ends, nb } = grid;
  const idx = groupSeries(series);
  const resampled = resampleSeries(series, grid); // §3: one pass over each series' points, gaps included
  const coverageRows = seriesCoverage(
    series,
    labels,
    notes,
    resampled.map((r) => r?.gaps)
  ); // §3 gaps
  const fx = fxRates(series, idx.fx, labels, grid, resampled, notes); // §5
  const prices = pricesUsd(series, idx.price, labels, grid, resampled, fx, opts, notes); // §3–§5
  const { spot, perp } = spotPerpBaskets(prices, opts, nb, notes); // §6
  const premium = premiumColumn(spot.value, perp.value, opts);
  const oi = openInterest(series, idx.oi, idx.price, prices, perp.value, grid, resampled); // §7
  const fund = fundingStage(series, idx.funding, oiOfVenues(series, idx.oi, oi.usdByVenue), opts, grid, notes); // §8
  const z = zscores(premium, oi.index, fund.linked, lookback); // §9
  const metrics = { premium, oiUsd: oi.sum, funding: fund.funding, fundingApr: fund.apr, ...z };
  const states = computeStates(metrics, nb, opts); // §10–§11

  // §13: the output range, the no-stale exclusions in it, notices and columns cut to it
  const [i0, i1] = outputRange(grid, from, to);
  const cut = <T extends Float64Array | Uint8Array | Uint16Array>(a: T): T => a.subarray(i0, i1) as T;
  const labelOfPrice = (k: number): string => labels[idx.price[k]];
  const oiKs = idx.oi.map((_, k) => k);
  const stale = staleExclusions(
    [
      staleGroup('spot', 'spot', prices.spotK, prices.mask, labelOfPrice),
      staleGroup('perp', 'perp', prices.perpK, prices.mask, labelOfPrice),
      staleGroup('openInterest', 'oi', oiKs, oi.mask, (k) => labels[idx.oi[k]]),
    ],
    starts,
    i0,
    i1,
    notes
  );
  notes.push(...states.missing(i0, i1));
  if (i1 === i0) {
    notes.push(
      `no bars in the range ${from === undefined ? 'start' : fmtDay(from)} .. ${to === undefined ? 'end' : fmtDay(to)}: ` +
        `the data gives ${tf} bars from ${fmtDay(starts[0])} to ${fmtDay(starts[nb - 1])}`
    );
  } else {
    const zInputs: Array<[string, Float64Array, Float64Array]> = [
      ['premium', premium, z.premiumZ],
      ['OI', oi.index, z.oiZ],
      ['funding', fund.linked, z.fundingZ],
    ];
    const overflowCols = {
      spotUsd: spot.value,
      perpUsd: perp.value,
      premiumPct: premium,
      oiUsd: oi.sum,
      fundingRate8h: fund.funding,
    };
    notes.push(...lookbackNotes(zInputs, i0, i1, lookback), ...overflowNotes(overflowCols, i0, i1));
  }

  const cols: EngineColumns = {
    timeframe: tf,
    length: i1 - i0,
    time: cut(starts),
    timeEnd: cut(ends),
    spotUsd: cut(spot.value),
    perpUsd: cut(perp.value),
    premiumPct: cut(premium),
    premiumZ: cut(z.premiumZ),
    oiUsd: cut(oi.sum),
    oiIndexUsd: cut(oi.index),
    oiZ: cut(z.oiZ),
    fundingRate8h: cut(fund.funding),
    fundingAprPct: cut(fund.apr),
    fundingZ: cut(z.fundingZ),
    fundingLinked8h: cut(fund.linked),
    extremeScore: cut(states.score),
    states: cut(states.mask),
    counts: { spot: cut(spot.count), perp: cut(perp.count), oi: cut(oi.count), funding: cut(fund.count) },
    venues: {
      spot: venueColumns(prices.spotK, prices.usd, (j) => labelOfPrice(prices.spotK[j]), i0, i1),
      perp: venueColumns(prices.perpK, prices.usd, (j) => labelOfPrice(prices.perpK[j]), i0, i1),
      oiUsd: venueColumns(oiKs, oi.usdByVenue, (j) => labels[idx.oi[j]], i0, i1),
      funding8h: venueColumns(
        idx.funding.map((_, k) => k),
        fund.fund8h,
        (j) => labels[idx.funding[j]],
        i0,
        i1
      ),
    },
    events: [],
    excluded: stale.excluded,
    coverage: {
      series: coverageRows,
      staleExclusions: stale.staleExclusions,
      unconvertedQuotes: prices.unconverted,
      notes,
    },
    notices: notes,
  };
  cols.events = buildEventsFromColumns(cols, opts);
  return cols;
}

/**
 * Runs the whole pipeline: resample to bars, baskets, premium, OI, funding, z-scores, states, events, coverage.
 * Throws BtcFlowInputError for a bad timeframe, option or range. Call validateBundle first on untrusted input.
 */
export function compute(bundle: Bundle, options: ComputeOptions = {}): EngineResult {
  return materialise(computeColumns(bundle, options));
}
