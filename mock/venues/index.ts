/**
 * Registry of the mock venues (SIMULATED data in the venues' real REST formats): one module per
 * ccxt id in `mock/venues/<id>.ts`, each default-exporting a `VenueMock`.
 */
import type { VenueMock } from '../types';
import binance, { binanceDapi } from './binance';
import binanceusdm from './binanceusdm';
import bitget from './bitget';
import bitstamp from './bitstamp';
import bybit from './bybit';
import coinbase from './coinbase';
import deribit from './deribit';
import hyperliquid from './hyperliquid';
import kraken from './kraken';
import krakenfutures from './krakenfutures';
import okx from './okx';

/** Every venue served by default. binance also answers dapi.binance.com/exchangeInfo (ccxt's default market types). */
export const VENUES: VenueMock[] = [
  binance,
  binanceDapi,
  binanceusdm,
  bybit,
  okx,
  coinbase,
  bitstamp,
  kraken,
  krakenfutures,
  deribit,
  bitget,
  hyperliquid,
];

/** The ids of the default venue set (issue 3). */
export const VENUE_IDS = [
  'binance',
  'binanceusdm',
  'bybit',
  'okx',
  'coinbase',
  'bitstamp',
  'kraken',
  'krakenfutures',
  'deribit',
  'bitget',
  'hyperliquid',
] as const;

export interface LoadedVenues {
  venues: VenueMock[];
  /** ids of the default set with no module (kept for callers written when modules were still arriving; now always empty) */
  missing: Array<{ id: string; reason: string }>;
}

export async function loadVenueMocks(): Promise<LoadedVenues> {
  const served = new Set(VENUES.map((v) => v.id));
  const missing = VENUE_IDS.filter((id) => !served.has(id)).map((id) => ({
    id,
    reason: `mock/venues/${id}.ts is not registered`,
  }));
  return { venues: VENUES, missing };
}
