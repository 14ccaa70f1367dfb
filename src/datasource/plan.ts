/**
 * The fetch plan of a target: registry default baskets, which series kinds a query type needs, and which basket
 * each kind is read from. Grafana-free (only src/core, src/exchanges and the query model), so the data source
 * (DataSource.ts) and the browser test's Node-side reference (browser/reference.ts) run the same plan. With a
 * recorder (recorderSource.ts) the same series are read from it, and only what it lacks is fetched live.
 */
import type { SeriesKind } from '../core/types';
import {
  BundleProgress,
  BundleResult,
  DEFAULT_FX_VENUE,
  ExchangeContext,
  VENUES,
  fetchBundle,
  getVenue,
  venueKinds,
  venuesByRole,
} from '../exchanges';
import { allConfiguredVenues, resolveQuery, type ResolveContext, type ResolvedQuery, type RoleVenues } from './query';
import { RecorderSource, wantedSeries, type SourcedBundleResult } from './recorderSource';
import type { BtcFlowQuery, QueryType } from './types';

/** Registry defaults per basket. */
export function registryDefaults(): RoleVenues {
  const r = venuesByRole();
  return { spot: r.spot, perp: r.perp, oi: r.openInterest, funding: r.funding };
}

/** Resolves a target against the registry's default baskets and venue ids. */
export function resolveTarget(
  target: BtcFlowQuery,
  ctx: Omit<ResolveContext, 'defaults' | 'knownVenues'>
): ResolvedQuery {
  return resolveQuery(target, { ...ctx, defaults: registryDefaults(), knownVenues: VENUES.map((v) => v.id) });
}

/** Kinds each query type needs (fewer kinds, fewer requests). */
export function kindsFor(queryType: QueryType, fundingWeighting: 'oi' | 'equal' | undefined): SeriesKind[] {
  switch (queryType) {
    case 'premium':
    case 'prices':
      return ['spot', 'perp', 'fx'];
    case 'oi':
    case 'oiZ':
      // perp closes convert base-unit OI to USD
      return ['perp', 'openInterest', 'fx'];
    case 'funding':
      return fundingWeighting === 'equal' ? ['perp', 'funding', 'fx'] : ['perp', 'openInterest', 'funding', 'fx'];
    default:
      return ['spot', 'perp', 'openInterest', 'funding', 'fx'];
  }
}

/** The basket each series kind is read from (fx: the exchange layer's USDT/USD reference venues). */
const ROLE_OF_KIND: Record<Exclude<SeriesKind, 'fx'>, keyof RoleVenues> = {
  spot: 'spot',
  perp: 'perp',
  openInterest: 'oi',
  funding: 'funding',
};

/** Cancellation and progress of one fetch (both optional). */
export interface FetchHooks {
  /** Aborting it stops the fetch (see src/exchanges/abort.ts); the fetch then rejects with an AbortedError. */
  signal?: AbortSignal;
  /** Called as each series answers (with its data) or fails. */
  onProgress?: (p: BundleProgress) => void;
  /**
   * With a recorder: called once with what the recorder answered (its series clipped to closed bars, before the live
   * bars after them), when some series still wait for live bars.
   */
  onRecorded?: (r: SourcedBundleResult) => void;
}

/** One series a fetch plan asks for. */
export interface PlannedSeries {
  venue: string;
  kind: SeriesKind;
}

/**
 * The series a plan fetches: each kind from its basket's venues that serve it, and the USDT/USD reference (named by
 * its first venue; a fallback venue may answer instead).
 */
export function plannedSeries(venues: RoleVenues, kinds: SeriesKind[]): PlannedSeries[] {
  const out: PlannedSeries[] = [];
  for (const k of Object.keys(ROLE_OF_KIND) as Array<keyof typeof ROLE_OF_KIND>) {
    if (!kinds.includes(k)) {
      continue;
    }
    for (const v of new Set(venues[ROLE_OF_KIND[k]])) {
      if (venueKinds(getVenue(v)).includes(k)) {
        out.push({ venue: v, kind: k });
      }
    }
  }
  if (kinds.includes('fx') && out.length > 0) {
    out.push({ venue: DEFAULT_FX_VENUE, kind: 'fx' });
  }
  return out;
}

/**
 * Fetches each kind from its own basket only (a venue in the perp basket but not in the OI basket gives its perp
 * closes, not its OI), one fetchBundle per kind through the shared context, merged into one bundle.
 */
export async function fetchByRole(
  ctx: ExchangeContext,
  req: { asset: string; timeframe: ResolvedQuery['timeframe']; from: number; to: number },
  venues: RoleVenues,
  kinds: SeriesKind[],
  hooks: FetchHooks = {}
): Promise<BundleResult> {
  const parts = await Promise.all(
    (Object.keys(ROLE_OF_KIND) as Array<keyof typeof ROLE_OF_KIND>)
      .filter((k) => kinds.includes(k) && venues[ROLE_OF_KIND[k]].length > 0)
      .map((k, i) =>
        fetchBundle(
          // the USDT/USD reference rides along with the first call
          { ...req, venues: venues[ROLE_OF_KIND[k]], kinds: i === 0 && kinds.includes('fx') ? [k, 'fx'] : [k] },
          ctx,
          hooks.onProgress,
          hooks.signal
        )
      )
  );
  return {
    bundle: { asset: req.asset, series: parts.flatMap((p) => p.bundle.series) },
    notices: parts.flatMap((p) => p.notices),
    coverage: parts.flatMap((p) => p.coverage),
    failed: parts.flatMap((p) => p.failed),
    notApplicable: parts.flatMap((p) => p.notApplicable),
  };
}

/**
 * Fetches what a resolved target needs: its kinds, from its baskets, over its warm-up range to its end. With a
 * recorder, the series come from it and only the bars after its last closed bar (or the series it lacks) are
 * fetched live; `configured` (every venue of the data source) makes one recorder request serve every panel.
 * Progress is reported for live fetching only (the recorder's answer comes whole; see recorderSource.ts).
 */
export function fetchResolved(
  ctx: ExchangeContext,
  resolved: ResolvedQuery,
  hooks: FetchHooks = {},
  recorder?: { source: RecorderSource; configured: RoleVenues }
): Promise<SourcedBundleResult> {
  const req = { asset: resolved.asset, timeframe: resolved.timeframe, from: resolved.fetchFrom, to: resolved.to };
  const kinds = planKinds(resolved);
  const live = () => fetchByRole(ctx, req, resolved.venues, kinds, hooks);
  if (!recorder) {
    return live();
  }
  const byKind = Object.fromEntries(
    (Object.keys(ROLE_OF_KIND) as Array<keyof typeof ROLE_OF_KIND>)
      .filter((k) => kinds.includes(k))
      .map((k) => [k, resolved.venues[ROLE_OF_KIND[k]]])
  );
  const wanted = wantedSeries(byKind, kinds.includes('fx') && resolved.asset !== 'USDT');
  return recorder.source.fetch(
    ctx,
    req,
    wanted,
    allConfiguredVenues(recorder.configured),
    live,
    hooks.signal,
    hooks.onRecorded
  );
}

/** Kinds a resolved target fetches. */
export function planKinds(resolved: ResolvedQuery): SeriesKind[] {
  return kindsFor(resolved.query.queryType, resolved.engine.fundingWeighting);
}
