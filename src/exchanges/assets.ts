/**
 * Asset listing for Grafana variables: the coins each venue lists in its family of markets, from the loaded markets.
 */
import { ExchangeContext, marketMatches } from './context';
import { DEFAULT_VENUES, getVenue } from './registry';

export interface AssetListing {
  asset: string;
  /** Venues listing the asset (in registry order). */
  venues: string[];
}

/**
 * Assets listed by the given venues (default: all), most widely listed first, then by name. A venue whose markets do
 * not load is skipped and named in `failed`.
 */
export async function listAssets(
  ctx: ExchangeContext,
  venues: string[] = [...DEFAULT_VENUES]
): Promise<{ assets: AssetListing[]; failed: Array<{ venue: string; reason: string }> }> {
  const specs = venues.map((id, i) => getVenue(id, `venues[${i}]`));
  const by = new Map<string, string[]>();
  const failed: Array<{ venue: string; reason: string }> = [];
  await Promise.all(
    specs.map(async (v) => {
      try {
        const ex = await ctx.markets(v);
        const bases = new Set(
          Object.values(ex.markets ?? {})
            .filter(
              (m) =>
                marketMatches(m, v) || (v.contractFallback !== undefined && marketMatches(m, v, v.contractFallback))
            )
            .map((m) => m.base)
        );
        for (const b of bases) {
          by.set(b, [...(by.get(b) ?? []), v.id]);
        }
      } catch (e) {
        failed.push({ venue: v.id, reason: e instanceof Error ? e.message : String(e) });
      }
    })
  );
  const order = new Map(specs.map((v, i) => [v.id, i]));
  const assets = [...by.entries()].map(([asset, vs]) => ({
    asset,
    venues: vs.sort((a, b) => order.get(a)! - order.get(b)!),
  }));
  assets.sort((a, b) => b.venues.length - a.venues.length || a.asset.localeCompare(b.asset));
  return { assets, failed };
}
