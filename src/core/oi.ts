/**
 * Open interest in coin units and by margin type, from the engine's bars. Pure (no I/O, no Grafana).
 *
 * - Coin units: the engine turns each venue's OI into USD with that venue's own perp close (the perp basket when the
 *   venue has none at that bar); dividing by the same price gives the coins back: base coins exactly for linear
 *   contracts, USD ÷ the venue's close for inverse ones (whose OI the venues count in USD). Coin OI does not rise just
 *   because the price did.
 * - Margin type: inverse contracts (OI counted in USD, settled in the coin) are coin-margined; linear ones (USDT,
 *   USDC or USD settled) are stablecoin-margined.
 */
import type { Bar, Bundle } from './types';

export const MARGIN_TYPES = ['stablecoin', 'coin'] as const;
export type MarginType = (typeof MARGIN_TYPES)[number];

/** Margin type of each venue with an OI series in the bundle (from the series unit: `usd` = inverse = coin-margined). */
export function oiMarginByVenue(bundle: Bundle): Record<string, MarginType> {
  const out: Record<string, MarginType> = {};
  for (const s of bundle.series) {
    if (s.kind === 'openInterest') {
      out[s.venue] = s.unit === 'usd' ? 'coin' : 'stablecoin';
    }
  }
  return out;
}

const known = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** One venue's OI of a bar in coins: its USD OI ÷ the price the engine converted with (null when either is missing). */
export function venueOiCoins(bar: Bar, venue: string): number | null {
  const usd = bar.venues.oiUsd[venue];
  const px = known(bar.venues.perp[venue]) ? bar.venues.perp[venue] : bar.perpUsd;
  return known(usd) && known(px) && px > 0 ? usd / px : null;
}

/** Per venue OI of a bar, in USD or coins. */
export function oiByVenue(bar: Bar, unit: 'usd' | 'coin'): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const v of Object.keys(bar.venues.oiUsd)) {
    out[v] = unit === 'usd' ? (known(bar.venues.oiUsd[v]) ? bar.venues.oiUsd[v] : null) : venueOiCoins(bar, v);
  }
  return out;
}

/** Sum of the known values (null when none is known). */
function sumKnown(xs: Array<number | null>): number | null {
  let s = 0;
  let n = 0;
  for (const x of xs) {
    if (known(x)) {
      s += x;
      n++;
    }
  }
  return n ? s : null;
}

/** Total OI of a bar in coins: the sum over venues of venueOiCoins. */
export function oiCoins(bar: Bar): number | null {
  return sumKnown(Object.values(oiByVenue(bar, 'coin')));
}

/**
 * OI of a bar per margin type, in USD or coins: the sum over the venues of that type (null when none of them has a
 * value). A venue without a known margin type counts as stablecoin-margined (linear is the common case).
 */
export function oiByMargin(
  bar: Bar,
  margin: Record<string, MarginType>,
  unit: 'usd' | 'coin'
): Record<MarginType, number | null> {
  const per = oiByVenue(bar, unit);
  const groups: Record<MarginType, Array<number | null>> = { stablecoin: [], coin: [] };
  for (const [v, x] of Object.entries(per)) {
    groups[margin[v] ?? 'stablecoin'].push(x);
  }
  return { stablecoin: sumKnown(groups.stablecoin), coin: sumKnown(groups.coin) };
}
