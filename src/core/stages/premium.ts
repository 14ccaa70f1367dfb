/** Stage "premium": spot and perp baskets in USD and the spot premium over perps (docs/metrics.md §6 Baskets and premium). */
import { smaF64 } from '../numeric';
import { EngineOptions } from '../options';
import { f64 } from './scratch';
import { PriceColumns } from './prices';

/** A basket per bar: its USD value (NaN = no venue) and how many venues it holds. */
export interface Basket {
  value: Float64Array;
  count: Uint16Array;
  /** Bars that fell back to equal weights because a present venue had no volume (volume weighting only). */
  volumeFallbackBars: number;
}

/** Weighted basket of the valid venues at each bar; equal weights unless `useVolume` and every venue has volume. */
export function basket(vals: Float64Array[], vols: Array<Float64Array | null>, useVolume: boolean, nb: number): Basket {
  const value = new Float64Array(nb).fill(NaN);
  const count = new Uint16Array(nb);
  let volumeFallbackBars = 0;
  const nv = vals.length;
  if (!useVolume) {
    // equal weights: column by column (tight loops over one array each), same summation order as below
    const sum = f64('basket:sum', nb).fill(0);
    for (let v = 0; v < nv; v++) {
      const col = vals[v];
      for (let b = 0; b < nb; b++) {
        const x = col[b];
        if (x === x) {
          sum[b] += x;
          count[b]++;
        }
      }
    }
    for (let b = 0; b < nb; b++) {
      const n = count[b];
      if (n > 0) {
        value[b] = sum[b] / n;
      }
    }
    return { value, count, volumeFallbackBars };
  }
  for (let b = 0; b < nb; b++) {
    let sum = 0;
    let n = 0;
    let wsum = 0;
    let wnum = 0;
    let volOk = true; // volume weighting from here on
    for (let v = 0; v < nv; v++) {
      const x = vals[v][b];
      if (x === x) {
        sum += x;
        n++;
        if (volOk) {
          const w = vols[v]?.[b] ?? NaN;
          if (w > 0) {
            wsum += w;
            wnum += w * x;
          } else {
            volOk = false;
          }
        }
      }
    }
    if (n > 0) {
      count[b] = n;
      if (volOk && wsum > 0) {
        value[b] = wnum / wsum;
      } else {
        value[b] = sum / n;
        volumeFallbackBars++;
      }
    }
  }
  return { value, count, volumeFallbackBars };
}

/** The spot basket S and the perp basket P of the USD prices, with a notice when volume weighting fell back. */
export function spotPerpBaskets(
  prices: PriceColumns,
  opts: Pick<EngineOptions, 'basketWeighting'>,
  nb: number,
  notes: string[]
): { spot: Basket; perp: Basket } {
  const useVol = opts.basketWeighting === 'volume';
  const of = (ks: number[]): Basket =>
    basket(
      ks.map((k) => prices.usd[k]),
      ks.map((k) => prices.res[k].vol),
      useVol,
      nb
    );
  const spot = of(prices.spotK);
  const perp = of(prices.perpK);
  if (useVol && spot.volumeFallbackBars + perp.volumeFallbackBars > 0) {
    notes.push(
      `basketWeighting=volume: equal weights used on ${spot.volumeFallbackBars} spot and ${perp.volumeFallbackBars} perp basket bars where a venue had no volume`
    );
  }
  return { spot, perp };
}

/** premiumPct per bar: (S − P) / P × 100, NaN where either basket is unknown. */
export function premiumPctF64(spot: Float64Array, perp: Float64Array): Float64Array {
  const nb = spot.length;
  const out = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    const S = spot[b];
    const P = perp[b];
    out[b] = S === S && P > 0 ? ((S - P) / P) * 100 : NaN;
  }
  return out;
}

/** The premium the rest of the engine reads: premiumPct after the SMA over `premiumSmoothing` bars. */
export function premiumColumn(
  spot: Float64Array,
  perp: Float64Array,
  opts: Pick<EngineOptions, 'premiumSmoothing'>
): Float64Array {
  return smaF64(premiumPctF64(spot, perp), opts.premiumSmoothing);
}
