/** Stage "group": series labels and the split of the bundle by kind (docs/metrics.md §1 Input). */
import { Series } from '../types';

/** Indexes into `bundle.series` of each group, in bundle order. */
export interface SeriesGroups {
  /** spot and perp series. */
  price: number[];
  oi: number[];
  funding: number[];
  fx: number[];
}

/** Labels: venue id, or venue/QUOTE or venue#index when a venue has several series of one kind. */
export function makeLabels(series: Series[]): string[] {
  const count = new Map<string, number>();
  for (const s of series) {
    const k = `${s.kind}\u0000${s.venue}`;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const used = new Set<string>();
  return series.map((s, i) => {
    let label = s.venue;
    if ((count.get(`${s.kind}\u0000${s.venue}`) ?? 0) > 1) {
      label = s.kind === 'spot' || s.kind === 'perp' ? `${s.venue}/${s.quote.toUpperCase()}` : `${s.venue}#${i}`;
      if (used.has(`${s.kind}\u0000${label}`)) {
        label = `${s.venue}#${i}`;
      }
    }
    used.add(`${s.kind}\u0000${label}`);
    return label;
  });
}

/** The series indexes of each kind: prices (spot and perp together), open interest, funding, fx. */
export function groupSeries(series: Series[]): SeriesGroups {
  const groups: SeriesGroups = { price: [], oi: [], funding: [], fx: [] };
  series.forEach((s, i) => {
    if (s.kind === 'spot' || s.kind === 'perp') {
      groups.price.push(i);
    } else if (s.kind === 'openInterest') {
      groups.oi.push(i);
    } else if (s.kind === 'funding') {
      groups.funding.push(i);
    } else {
      groups.fx.push(i);
    }
  });
  return groups;
}
