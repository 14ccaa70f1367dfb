/**
 * Variable queries (metricFindQuery). The query strings, documented in docs/queries.md:
 *
 *   assets()              assets listed by at least one configured spot venue and one configured perp venue
 *   assets(all)           every asset any configured venue lists
 *   venues()              every configured venue
 *   venues(<role>)        configured venues of one basket: spot, perp, oi, funding
 *   timeframes()          auto, 1h, 4h, 1d, 3d, 1w, 1M
 */
import type { MetricFindValue } from '@grafana/data';
import { BtcFlowInputError } from '../core/errors';
import { TIMEFRAMES } from '../core/types';
import { ExchangeContext, listAssets } from '../exchanges';
import { allConfiguredVenues, RoleVenues } from './query';
import { VENUE_ROLES, VenueRole } from './types';

export const VARIABLE_QUERIES = ['assets()', 'assets(all)', 'venues()', 'venues(<role>)', 'timeframes()'] as const;

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
