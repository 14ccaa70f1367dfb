/** Stage "open interest": per-venue OI in USD, its sum and chain-linked index (docs/metrics.md §7 Aggregated open interest). */
import { chainLinkedIndexF64 } from '../numeric';
import { OpenInterestSeries, Series } from '../types';
import { Grid } from './buckets';
import { PriceColumns } from './prices';
import { ResampledSeries } from './resample';
import { applyNoStale, StaleMasks } from './staleness';

/** Open interest on the grid, per OI series (in the order of `oiIdx`) and aggregated. */
export interface OpenInterestColumns {
  /** The no-stale masks of the OI group. */
  mask: StaleMasks;
  /** OI in USD per series and bar (NaN = unknown). */
  usdByVenue: Float64Array[];
  /** oiUsd: the sum over venues (USD). */
  sum: Float64Array;
  /** oiIndexUsd: the chain-linked index, equal to `sum` on the last bar with OI. */
  index: Float64Array;
  /** Venues with a known OI per bar. */
  count: Uint16Array;
}

/** OI in USD per bar: as is for `usd`, else base units × the venue's own perp close (first known) or the perp basket. */
export function oiUsdColumn(
  val: Float64Array,
  isUsd: boolean,
  own: Float64Array[],
  basketPx: Float64Array,
  nb: number
): Float64Array {
  if (isUsd) {
    return val.slice(0, nb); // a copy: NaN where there is no usable point
  }
  const out = new Float64Array(nb).fill(NaN);
  const no = own.length;
  for (let b = 0; b < nb; b++) {
    const v = val[b];
    if (v !== v) {
      continue;
    }
    let px = NaN;
    for (let j = 0; j < no; j++) {
      const x = own[j][b];
      if (x === x) {
        px = x;
        break;
      }
    }
    out[b] = v * (px === px ? px : basketPx[b]);
  }
  return out;
}

/** Number of known (non-NaN) values per bar across columns. */
export function countKnown(cols: Float64Array[], nb: number): Uint16Array {
  const out = new Uint16Array(nb);
  for (const col of cols) {
    for (let b = 0; b < nb; b++) {
      if (col[b] === col[b]) {
        out[b]++;
      }
    }
  }
  return out;
}

/** Element-wise sum of two columns where either is known (NaN only where both are unknown). */
export function addKnown(a: Float64Array, c: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let b = 0; b < a.length; b++) {
    const x = a[b];
    const y = c[b];
    out[b] = x === x ? (y === y ? x + y : x) : y;
  }
  return out;
}

/**
 * Every OI series (resampled in `resampled`: last observation, see resampleSeries) checked by the no-stale rule among
 * the OI series, converted to USD with the venue's own perp close or the perp basket `perpBasket`, then summed and
 * chain-linked.
 */
export function openInterest(
  series: Series[],
  oiIdx: number[],
  priceIdx: number[],
  prices: PriceColumns,
  perpBasket: Float64Array,
  grid: Grid,
  resampled: ResampledSeries
): OpenInterestColumns {
  const nb = grid.nb;
  const res = oiIdx.map((i) => resampled[i]!);
  const mask = applyNoStale(res, nb, 'oi');
  const perpByVenue = new Map<string, number[]>();
  prices.perpK.forEach((k) => {
    const v = series[priceIdx[k]].venue;
    perpByVenue.set(v, [...(perpByVenue.get(v) ?? []), k]);
  });
  const usdByVenue: Float64Array[] = oiIdx.map((i, k) => {
    const s = series[i] as OpenInterestSeries;
    const own = (perpByVenue.get(s.venue) ?? []).map((k2) => prices.usd[k2]);
    return oiUsdColumn(res[k].val, s.unit === 'usd', own, perpBasket, nb);
  });
  const { index, sum } = chainLinkedIndexF64(usdByVenue, nb);
  return { mask, usdByVenue, sum, index, count: countKnown(usdByVenue, nb) };
}

/** OI in USD per venue id (the sum of the venue's OI series where either is known): the funding weights. */
export function oiOfVenues(series: Series[], oiIdx: number[], usdByVenue: Float64Array[]): Map<string, Float64Array> {
  const oiOfVenue = new Map<string, Float64Array>();
  oiIdx.forEach((i, k) => {
    const v = series[i].venue;
    const prev = oiOfVenue.get(v);
    if (!prev) {
      oiOfVenue.set(v, usdByVenue[k]);
    } else {
      oiOfVenue.set(v, addKnown(prev, usdByVenue[k]));
    }
  });
  return oiOfVenue;
}
