/**
 * Variable queries: the structured form the variable editor writes (BtcFlowVariableQuery, run through
 * CustomVariableSupport in variableSupport.ts) and the string form of older dashboards (metricFindQuery). Both end in
 * the same query strings, documented in docs/queries.md:
 *
 *   assets()              assets listed by at least one configured spot venue and one configured perp venue
 *   assets(all)           every asset any configured venue lists
 *   venues()              every configured venue
 *   venues(<role>)        configured venues of one basket: spot, perp, oi, funding
 *   timeframes()          auto, 1h, 4h, 1d, 3d, 1w, 1M
 */
import type { MetricFindValue } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import { BtcFlowInputError } from '../core/errors';
import { TIMEFRAMES } from '../core/types';
import { ExchangeContext, listAssets } from '../exchanges';
import { allConfiguredVenues, RoleVenues } from './query';
import { VENUE_ROLES, VenueRole } from './types';

export const VARIABLE_QUERIES = ['assets()', 'assets(all)', 'venues()', 'venues(<role>)', 'timeframes()'] as const;

/** What a variable lists: assets, venues or timeframes. */
export const VARIABLE_KINDS = ['assets', 'venues', 'timeframes'] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];

/**
 * A variable query as the variable editor writes it. `assetsScope`: assets that have a premium (listed on a spot and a
 * perp venue, default) or every asset; `role`: one basket's venues, or every configured venue (absent).
 * `query` holds the string form of a dashboard saved before the editor existed.
 */
export interface BtcFlowVariableQuery extends DataQuery {
  kind?: VariableKind;
  assetsScope?: 'premium' | 'all';
  role?: VenueRole;
  query?: string;
}

/** The query string of a variable query: its legacy string as is, else the string the structured form stands for. */
export function variableQueryText(q: BtcFlowVariableQuery | string | undefined): string {
  if (typeof q === 'string') {
    return q;
  }
  if (!q) {
    return '';
  }
  if (q.kind === undefined) {
    return q.query ?? '';
  }
  switch (q.kind) {
    case 'assets':
      return q.assetsScope === 'all' ? 'assets(all)' : 'assets()';
    case 'venues':
      return q.role ? `venues(${q.role})` : 'venues()';
    case 'timeframes':
      return 'timeframes()';
  }
}

/** The structured form of a query string when it is one of the documented forms (else undefined: keep the string). */
export function parseVariableQuery(text: string): Omit<BtcFlowVariableQuery, 'refId'> | undefined {
  const m = /^\s*(\w+)\s*\(\s*([\w-]*)\s*\)\s*$/.exec(text);
  const fn = m?.[1].toLowerCase();
  const arg = (m?.[2] ?? '').toLowerCase();
  if (fn === 'timeframes' && !arg) {
    return { kind: 'timeframes' };
  }
  if (fn === 'assets' && (!arg || arg === 'all')) {
    return { kind: 'assets', assetsScope: arg === 'all' ? 'all' : 'premium' };
  }
  if (fn === 'venues' && (!arg || (VENUE_ROLES as readonly string[]).includes(arg))) {
    return arg ? { kind: 'venues', role: arg as VenueRole } : { kind: 'venues' };
  }
  return undefined;
}

export interface VariableHost {
  exchange: ExchangeContext;
  configuredVenues(): RoleVenues;
}

function bad(text: string): never {
  throw new BtcFlowInputError(
    'query',
    `variable query: unknown query ${JSON.stringify(text)}; allowed: ${VARIABLE_QUERIES.join(', ')} (role: ${VENUE_ROLES.join(', ')})`
  );
}

export async function runVariableQuery(raw: string, host: VariableHost): Promise<MetricFindValue[]> {
  const text = raw.trim();
  const m = /^(\w+)\s*\(\s*([\w-]*)\s*\)$/.exec(text) ?? /^(\w+)$/.exec(text);
  if (!m) {
    return bad(text);
  }
  const fn = m[1].toLowerCase();
  const arg = (m[2] ?? '').toLowerCase();
  const venues = host.configuredVenues();
  switch (fn) {
    case 'timeframes':
      if (arg) {
        return bad(text);
      }
      return ['auto', ...TIMEFRAMES].map((t) => ({ text: t, value: t }));
    case 'venues': {
      if (!arg) {
        return allConfiguredVenues(venues).map((v) => ({ text: v, value: v }));
      }
      if (!(VENUE_ROLES as readonly string[]).includes(arg)) {
        return bad(text);
      }
      return venues[arg as VenueRole].map((v) => ({ text: v, value: v }));
    }
    case 'assets': {
      if (arg && arg !== 'all') {
        return bad(text);
      }
      const { assets } = await listAssets(host.exchange, allConfiguredVenues(venues));
      const listed =
        arg === 'all'
          ? assets
          : assets.filter(
              (a) => a.venues.some((v) => venues.spot.includes(v)) && a.venues.some((v) => venues.perp.includes(v))
            );
      return listed.map((a) => ({ text: a.asset, value: a.asset }));
    }
    default:
      return bad(text);
  }
}
