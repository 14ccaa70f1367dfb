/**
 * Registry of the mock venues (SIMULATED data in the venues' real REST formats).
 *
 * binance, binanceusdm, bybit and okx are imported statically. The other default venues live in
 * their own modules, written separately; they are loaded by id at start-up and a missing module
 * is reported (not fatal), so the server keeps working while venues are added.
 */
import type { VenueMock } from '../types';
import binance, { binanceDapi } from './binance';
import binanceusdm from './binanceusdm';
import bybit from './bybit';
import okx from './okx';

export const STATIC_VENUES: VenueMock[] = [binance, binanceDapi, binanceusdm, bybit, okx];

/** Venue modules loaded by id from `mock/venues/<id>.ts`. */
export const DYNAMIC_VENUE_IDS = ['coinbase', 'bitstamp', 'kraken', 'krakenfutures', 'deribit', 'bitget', 'hyperliquid'] as const;

function isVenueMock(x: unknown): x is VenueMock {
  if (typeof x !== 'object' || x === null) {
    return false;
  }
  const v = x as Partial<VenueMock>;
  return typeof v.id === 'string' && Array.isArray(v.hosts) && Array.isArray(v.routes);
}

export interface LoadedVenues {
  venues: VenueMock[];
  /** ids whose module is missing or does not export a VenueMock, with the reason */
  missing: Array<{ id: string; reason: string }>;
}

/** All venues: the static ones plus whichever of DYNAMIC_VENUE_IDS exist. */
export async function loadVenueMocks(): Promise<LoadedVenues> {
  const venues = [...STATIC_VENUES];
  const missing: LoadedVenues['missing'] = [];
  for (const id of DYNAMIC_VENUE_IDS) {
    try {
      const mod: Record<string, unknown> = await import(`./${id}`);
      const found = [mod.default, mod[id], mod.venue, mod.mock, ...Object.values(mod)].find(isVenueMock);
      if (found) {
        venues.push(found);
      } else {
        missing.push({ id, reason: `mock/venues/${id}.ts exports no VenueMock` });
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      missing.push({ id, reason: /Cannot find module|ERR_MODULE_NOT_FOUND/.test(msg) ? `mock/venues/${id}.ts not written yet` : msg.split('\n')[0] });
    }
  }
  return { venues, missing };
}
