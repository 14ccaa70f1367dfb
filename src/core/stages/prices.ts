/** Stage "prices": resampled closes, the no-stale rule and conversion to USD (docs/metrics.md §3–§5). */
import { EngineOptions } from '../options';
import { PriceSeries, Series, UnconvertedQuote } from '../types';
import { Grid } from './buckets';
import { FxRate, STABLECOINS } from './fx';
import { Resampled, ResampledSeries } from './resample';
import { applyNoStale, StaleMasks } from './staleness';

/** The price series on the grid, in the order of their indexes in `priceIdx`. */
export interface PriceColumns {
  /** Resampled closes (scratch; `vol` feeds volume-weighted baskets). */
  res: Resampled[];
  /** The no-stale masks of the price group. */
  mask: StaleMasks;
  /** USD close per bar (NaN where the series does not count). */
  usd: Float64Array[];
  /** Positions (into the arrays above) of the spot and of the perp series. */
  spotK: number[];
  perpK: number[];
  unconverted: UnconvertedQuote[];
}

/**
 * USD close of a price series per bar into `out` (NaN where left out): bars without a usable point (none, or stale)
 * are skipped; with `fx`, the close is
 * multiplied by the fx rate when that rate is recent (less than 2 fx spacings old), else a stablecoin close is used
 * as is and any other currency is left out. Returns the number of bars used without conversion.
 */
export function convertPrices(
  r: Resampled,
  fx: { rate: Float64Array; time: Float64Array; spacing: number } | null,
  stable: boolean,
  nonUsd: boolean,
  out: Float64Array
): number {
  let asIs = 0;
  const nb = out.length;
  const maxAge = fx ? 2 * fx.spacing : 0;
  const val = r.val;
  if (!fx && !nonUsd) {
    out.set(val); // USD, nothing to convert: the close where the series counts, NaN elsewhere
    return 0;
  }
  out.fill(NaN);
  for (let b = 0; b < nb; b++) {
    let x = val[b];
    if (x !== x) {
      continue;
    }
    if (fx) {
      const rate = fx.rate[b];
      if (rate === rate && r.time[b] - fx.time[b] < maxAge) {
        x *= rate;
      } else if (stable) {
        asIs++;
      } else {
        continue;
      }
    } else if (nonUsd) {
      asIs++;
    }
    out[b] = x;
  }
  return asIs;
}

/**
 * Every spot and perp series (resampled in `resampled`, see resampleSeries) checked by the no-stale rule (one group)
 * and converted to USD; a quote with no way to USD is left out, and a quote used as USD is listed in `unconverted`,
 * each with a notice.
 */
export function pricesUsd(
  series: Series[],
  priceIdx: number[],
  labels: string[],
  grid: Grid,
  resampled: ResampledSeries,
  fxByCcy: Map<string, FxRate>,
  opts: Pick<EngineOptions, 'stablecoinToUsd'>,
  notes: string[]
): PriceColumns {
  const nb = grid.nb;
  const res = priceIdx.map((i) => resampled[i]!);
  const mask = applyNoStale(res, nb, 'price');
  const usd: Float64Array[] = [];
  const unconverted: UnconvertedQuote[] = [];
  priceIdx.forEach((i, k) => {
    const s = series[i] as PriceSeries;
    const r = res[k];
    const q = s.quote.toUpperCase();
    const out = new Float64Array(nb); // filled by convertPrices, or below when the series is left out
    const fx = q === 'USD' ? undefined : fxByCcy.get(q);
    const stable = STABLECOINS.includes(q);
    const convert = fx !== undefined && (!stable || opts.stablecoinToUsd);
    if (q !== 'USD' && !stable && fx === undefined) {
      notes.push(`${s.kind} ${labels[i]} quoted in ${q} left out: no ${q}/USD fx series to convert it`);
      usd.push(out.fill(NaN));
      return;
    }
    const asIs = convertPrices(r, convert ? fx! : null, stable, q !== 'USD', out);
    if (q !== 'USD' && (asIs > 0 || !convert)) {
      unconverted.push({ label: labels[i], kind: s.kind, quote: q });
      notes.push(
        !convert
          ? `${s.kind} ${labels[i]} quoted in ${q} used as USD: ${opts.stablecoinToUsd ? `no ${q}/USD fx series in the input` : 'stablecoinToUsd is false'}`
          : `${s.kind} ${labels[i]} quoted in ${q} used as USD on ${asIs} bars where the ${q}/USD fx series had no recent rate`
      );
    }
    usd.push(out);
  });
  const spotK: number[] = [];
  const perpK: number[] = [];
  priceIdx.forEach((i, k) => (series[i].kind === 'spot' ? spotK : perpK).push(k));
  return { res, mask, usd, spotK, perpK, unconverted };
}
