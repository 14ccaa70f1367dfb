/** Stage "funding": per-venue 8h TWAP rates and the OI-weighted composite (docs/metrics.md §8 Funding composite). */
import { fundingAprPct, smaF64, twapFunding8hF64 } from '../numeric';
import { EngineOptions } from '../options';
import { FundingSeries, Series } from '../types';
import { Grid } from './buckets';

/** Funding on the grid: per venue (in the order of `fundIdx`) and the composite. */
export interface FundingColumns {
  /** 8h-equivalent TWAP rate per funding series and bar (decimal, NaN = none). */
  fund8h: Float64Array[];
  /** fundingRate8h: the composite after the SMA over fundingSmoothing bars (decimal per 8 h). */
  funding: Float64Array;
  /** fundingLinked8h: the chain-linked composite after the same SMA (what fundingZ reads). */
  linked: Float64Array;
  /** fundingAprPct of `funding` (percent per year). */
  apr: Float64Array;
  /** Venues with funding per bar. */
  count: Uint16Array;
}

/** fundingAprPct of each bar's 8h-equivalent rate. */
export function aprColumn(funding: Float64Array): Float64Array {
  const out = new Float64Array(funding.length);
  for (let b = 0; b < funding.length; b++) {
    out[b] = fundingAprPct(funding[b]);
  }
  return out;
}

/**
 * Funding composite per bar (8h-equivalent decimal). With `byOi`, each venue's TWAP rate is weighted by its OI in USD
 * at that bar; a venue whose OI is unknown gets the median of the known OI weights at that bar; when no venue has a
 * known OI the plain mean is used. Without `byOi`, the plain mean over venues with funding. `linked` is the
 * chain-linked composite: its change is the weighted mean change of the venues known at both bars, anchored to the
 * composite on the last bar with funding.
 */
export function fundingComposite(
  fund8h: Float64Array[],
  fundOi: Array<Float64Array | null>,
  byOi: boolean,
  nb: number
): { raw: Float64Array; linked: Float64Array; count: Uint16Array; equalFallback: number; medianFilled: number } {
  const raw = new Float64Array(nb).fill(NaN);
  const linked = new Float64Array(nb).fill(NaN);
  let prev = -1; // last bar with a composite
  let level = 0;
  const count = new Uint16Array(nb);
  let equalFallback = 0;
  let medianFilled = 0;
  const nf = fund8h.length;
  const w = new Float64Array(nf);
  const known = new Float64Array(nf);
  for (let b = 0; b < nb; b++) {
    let n = 0;
    let sum = 0;
    let nk = 0;
    for (let v = 0; v < nf; v++) {
      const x = fund8h[v][b];
      if (x === x) {
        n++;
        sum += x;
        if (byOi) {
          const col = fundOi[v];
          const o = col === null ? NaN : col[b];
          if (o > 0) {
            w[v] = o;
            // insertion into the sorted list of known weights (a handful of venues)
            let j = nk++;
            while (j > 0 && known[j - 1] > o) {
              known[j] = known[j - 1];
              j--;
            }
            known[j] = o;
          } else {
            w[v] = NaN;
          }
        }
      }
    }
    if (n === 0) {
      continue;
    }
    count[b] = n;
    const equal = !byOi || nk === 0;
    if (byOi && nk === 0) {
      equalFallback++;
    }
    const m = nk >> 1;
    const med = nk === 0 ? 1 : nk % 2 ? known[m] : (known[m - 1] + known[m]) / 2;
    let num = 0;
    let den = 0;
    let dNum = 0; // weighted change since the previous composite bar, over venues known at both bars
    let dDen = 0;
    let filled = false;
    for (let v = 0; v < nf; v++) {
      const x = fund8h[v][b];
      if (x === x) {
        let wv = equal ? 1 : w[v];
        if (wv !== wv) {
          wv = med;
          filled = true;
        }
        num += x * wv;
        den += wv;
        if (prev >= 0) {
          const y = fund8h[v][prev];
          if (y === y) {
            dNum += (x - y) * wv;
            dDen += wv;
          }
        }
      }
    }
    raw[b] = num / den;
    if (filled) {
      medianFilled++;
    }
    level += dDen > 0 ? dNum / dDen : 0;
    linked[b] = level;
    prev = b;
  }
  if (prev >= 0) {
    // anchor: the linked composite equals the composite on the last bar with funding
    const shift = raw[prev] - linked[prev];
    for (let b = 0; b < nb; b++) {
      linked[b] += shift;
    }
  }
  return { raw, linked, count, equalFallback, medianFilled };
}

/**
 * Every funding series as an 8h TWAP per bar, weighted by its venue's OI (`oiOfVenue`, see oiOfVenues) or equally,
 * smoothed, and as APR; the fallbacks of the OI weighting are counted in notices.
 */
export function fundingStage(
  series: Series[],
  fundIdx: number[],
  oiOfVenue: Map<string, Float64Array>,
  opts: Pick<EngineOptions, 'fundingWeighting' | 'fundingSmoothing'>,
  grid: Grid,
  notes: string[]
): FundingColumns {
  const fund8h = fundIdx.map((i) => {
    const s = series[i] as FundingSeries;
    return twapFunding8hF64(s.points, s.intervalHours, grid.starts, grid.ends);
  });
  const fundOi = fundIdx.map((i) => oiOfVenue.get(series[i].venue) ?? null);
  const c = fundingComposite(fund8h, fundOi, opts.fundingWeighting === 'oi', grid.nb);
  if (opts.fundingWeighting === 'oi' && c.equalFallback > 0) {
    notes.push(`fundingWeighting=oi: equal weights on ${c.equalFallback} bars where no funding venue had a known OI`);
  }
  if (c.medianFilled > 0) {
    notes.push(
      `fundingWeighting=oi: on ${c.medianFilled} bars a funding venue without known OI got the median OI weight of the others`
    );
  }
  const funding = smaF64(c.raw, opts.fundingSmoothing);
  // z on the chain-linked composite: venues joining or leaving do not move it (see docs/metrics.md)
  const linked = smaF64(c.linked, opts.fundingSmoothing);
  return { fund8h, funding, linked, apr: aprColumn(funding), count: c.count };
}
