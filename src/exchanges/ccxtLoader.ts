/**
 * Lazy loading of single ccxt exchange classes. Each import goes to `ccxt-src/<id>.js` (an alias of
 * node_modules/ccxt/js/src), never to the `ccxt` package, so the browser bundle gets one small lazy chunk
 * per venue instead of the whole library.
 */
import type { CcxtId } from './registry';

/** The part of a ccxt Exchange instance the fetch layer uses (ccxt's own typings are not imported on purpose). */
export interface CcxtExchange {
  id: string;
  hostname?: string;
  urls: { api: unknown } & Record<string, unknown>;
  options: Record<string, any>;
  has: Record<string, unknown>;
  markets?: Record<string, CcxtMarket>;
  timeout: number;
  rateLimit: number;
  enableRateLimit: boolean;
  loadMarkets(reload?: boolean): Promise<Record<string, CcxtMarket>>;
  /** Fills `{name}` placeholders of a URL path template (an instance property in ccxt, replaced by installPathEncoding). */
  implodeParams(template: string, params: unknown): string;
  market(symbol: string): CcxtMarket;
  fetchOHLCV(symbol: string, timeframe?: string, since?: number, limit?: number, params?: object): Promise<number[][]>;
  fetchOpenInterestHistory(
    symbol: string,
    timeframe?: string,
    since?: number,
    limit?: number,
    params?: object
  ): Promise<any[]>;
  fetchOpenInterest(symbol: string, params?: object): Promise<any>;
  fetchFundingRateHistory(symbol?: string, since?: number, limit?: number, params?: object): Promise<any[]>;
  fetch2(
    path: string,
    api?: any,
    method?: string,
    params?: object,
    headers?: any,
    body?: any,
    config?: object
  ): Promise<any>;
  handleErrors(...args: any[]): any;
  [key: string]: any;
}

export interface CcxtMarket {
  id: string;
  symbol: string;
  base: string;
  quote: string;
  settle?: string;
  type: string;
  spot?: boolean;
  swap?: boolean;
  linear?: boolean;
  inverse?: boolean;
  active?: boolean;
  contractSize?: number;
  created?: number;
  info: any;
}

type ExchangeClass = new (config?: object) => CcxtExchange;

const LOADERS: Record<CcxtId, () => Promise<{ default: unknown }>> = {
  coinbase: () => import('ccxt-src/coinbase.js'),
  bitstamp: () => import('ccxt-src/bitstamp.js'),
  kraken: () => import('ccxt-src/kraken.js'),
  binance: () => import('ccxt-src/binance.js'),
  binanceusdm: () => import('ccxt-src/binanceusdm.js'),
  bybit: () => import('ccxt-src/bybit.js'),
  okx: () => import('ccxt-src/okx.js'),
  krakenfutures: () => import('ccxt-src/krakenfutures.js'),
  deribit: () => import('ccxt-src/deribit.js'),
  bitget: () => import('ccxt-src/bitget.js'),
  hyperliquid: () => import('ccxt-src/hyperliquid.js'),
};

const classes = new Map<CcxtId, Promise<ExchangeClass>>();

/** The ccxt class for `id`, imported once. */
export function loadCcxtClass(id: CcxtId): Promise<ExchangeClass> {
  let p = classes.get(id);
  if (!p) {
    const loader = LOADERS[id];
    if (!loader) {
      return Promise.reject(new Error(`no ccxt loader for ${id}`));
    }
    p = loader().then((m) => {
      const mod = m as { default?: unknown };
      // tsx/jest may wrap the ES module default once more
      let cls: unknown = mod.default;
      if (cls && typeof cls === 'object' && 'default' in (cls as object)) {
        cls = (cls as { default: unknown }).default;
      }
      if (typeof cls !== 'function') {
        throw new Error(`ccxt-src/${id}.js has no exchange class`);
      }
      return cls as ExchangeClass;
    });
    p.catch(() => classes.delete(id));
    classes.set(id, p);
  }
  return p;
}

export const CCXT_LOADER_IDS = Object.keys(LOADERS) as CcxtId[];
