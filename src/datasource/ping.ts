/**
 * testDatasource's per-venue check: one cheap public request (the BTC ticker, or the venue's smallest public
 * answer) through the same ccxt instance and base URL as the queries, so it proves the proxy route works.
 * It uses ccxt's implicit endpoint methods, which need no market load.
 */
import type { ExchangeContext, VenueSpec } from '../exchanges';

interface PingSpec {
  method: string;
  params: Record<string, unknown>;
}

/** The ping request per venue id (methods checked against the ccxt classes by ping.test.ts). */
export const PINGS: Record<string, PingSpec> = {
  coinbase: {
    method: 'v3PublicGetBrokerageMarketProductsProductIdTicker',
    params: { product_id: 'BTC-USD', limit: 1 },
  },
  bitstamp: { method: 'publicGetTickerPair', params: { pair: 'btcusd' } },
  kraken: { method: 'publicGetTicker', params: { pair: 'XXBTZUSD' } },
  binance: { method: 'publicGetTicker24hr', params: { symbol: 'BTCUSDT' } },
  binanceusdm: { method: 'fapiPublicGetTicker24hr', params: { symbol: 'BTCUSDT' } },
  bybit: { method: 'publicGetV5MarketTickers', params: { category: 'linear', symbol: 'BTCUSDT' } },
  'bybit-inverse': { method: 'publicGetV5MarketTickers', params: { category: 'inverse', symbol: 'BTCUSD' } },
  okx: { method: 'publicGetMarketTicker', params: { instId: 'BTC-USDT-SWAP' } },
  krakenfutures: { method: 'publicGetTickers', params: {} },
  deribit: { method: 'publicGetTicker', params: { instrument_name: 'BTC-PERPETUAL' } },
  bitget: { method: 'publicMixGetV2MixMarketTicker', params: { symbol: 'BTCUSDT', productType: 'USDT-FUTURES' } },
  hyperliquid: { method: 'publicPostInfo', params: { type: 'metaAndAssetCtxs' } },
};

export interface PingResult {
  venue: string;
  ok: boolean;
  message: string;
}

/** Pings one venue; never throws. */
export async function pingVenue(venue: VenueSpec, ctx: ExchangeContext): Promise<PingResult> {
  const spec = PINGS[venue.id];
  try {
    const ex = await ctx.instance(venue.ccxtId);
    if (!spec || typeof ex[spec.method] !== 'function') {
      // No ping for this venue: a market load is the cheapest thing it serves.
      await ctx.markets(venue);
    } else {
      const answer = await ctx.call(venue.id, 'ping', () => ex[spec.method](spec.params) as Promise<unknown>);
      if (
        answer === undefined ||
        answer === null ||
        (typeof answer === 'object' && Object.keys(answer as object).length === 0)
      ) {
        return { venue: venue.id, ok: false, message: 'empty answer' };
      }
    }
    return { venue: venue.id, ok: true, message: 'ok' };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { venue: venue.id, ok: false, message: msg.replace(new RegExp(`^${venue.id}: `), '') };
  }
}
