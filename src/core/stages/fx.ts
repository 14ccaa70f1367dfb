/** Stage "fx": per currency, the fx rate to USD carried forward per bar (docs/metrics.md §5 Stablecoin quotes). */
import { FxSeries, Series } from '../types';
import { Grid } from './buckets';
import { Resampled, ResampledSeries } from './resample';

/** Stablecoins that may be used as USD when no fx series converts them (the coverage output says so). */
export const STABLECOINS = ['USDT', 'USDC', 'BUSD', 'FDUSD', 'TUSD', 'DAI', 'USDP', 'PYUSD', 'USDE', 'USDD'];

/** USD per unit of a currency at each bar, carried forward, with the time of the point it comes from. */
export interface FxRate {
  rate: Float64Array;
  time: Float64Array;
  /** Usual spacing of the fx series (ms). */
  spacing: number;
  label: string;
}

/** fx rate per bar, carried forward from the last bucket with a point, with the time of that point. */
export function fxCarry(r: Resampled, inverse: boolean, nb: number): { rate: Float64Array; time: Float64Array } {
  const rate = new Float64Array(nb);
  const time = new Float64Array(nb);
  let lr = NaN;
  let lt = NaN;
  for (let b = 0; b < nb; b++) {
    const t = r.time[b];
    if (t === t) {
      lt = t;
      lr = inverse ? 1 / r.val[b] : r.val[b];
    }
    rate[b] = lr;
    time[b] = lt;
  }
  return { rate, time };
}

/**
 * The fx rate of each currency (key: the non-USD side of an X/USD or USD/X pair, upper case) from the fx series
 * resampled in `resampled` (see resampleSeries). Other pairs and a second series of a currency are ignored with a notice.
 */
export function fxRates(
  series: Series[],
  fxIdx: number[],
  labels: string[],
  grid: Grid,
  resampled: ResampledSeries,
  notes: string[]
): Map<string, FxRate> {
  const fxByCcy = new Map<string, FxRate>();
  for (const i of fxIdx) {
    const s = series[i] as FxSeries;
    const [base, quote] = s.pair.toUpperCase().split('/');
    const ccy = quote === 'USD' ? base : base === 'USD' ? quote : null;
    if (ccy === null || ccy === 'USD') {
      notes.push(`fx series ${labels[i]} ${s.pair} ignored: only X/USD or USD/X pairs convert prices`);
      continue;
    }
    if (fxByCcy.has(ccy)) {
      notes.push(`fx series ${labels[i]} ${s.pair} ignored: an earlier ${ccy}/USD series is used`);
      continue;
    }
    const r = resampled[i]!;
    const { rate, time } = fxCarry(r, quote !== 'USD', grid.nb);
    fxByCcy.set(ccy, { rate, time, spacing: r.spacing, label: labels[i] });
  }
  return fxByCcy;
}
