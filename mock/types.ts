/**
 * Contracts of the mock exchange server (simulated data, for tests and the offline demo).
 *
 * Every venue API host is mounted under `/<host>/...`, so `http://127.0.0.1:PORT/api.binance.com/api/v3/klines`
 * answers what `https://api.binance.com/api/v3/klines` would. Each venue module in `mock/venues/<id>.ts`
 * exports a `VenueMock`.
 */

/** A parsed request as a venue handler sees it. */
export interface MockRequest {
  method: 'GET' | 'POST';
  /** API host the request was mounted under, e.g. `fapi.binance.com`. */
  host: string;
  /** Path after the host, without the query string, e.g. `/fapi/v1/klines`. */
  path: string;
  /** Query-string parameters (last value wins). */
  query: Record<string, string>;
  /** Parsed JSON body for POST requests (hyperliquid), else undefined. */
  body?: unknown;
  /** Server clock at the request, epoch ms (the simulation's "now"). */
  now: number;
}

/** A handler answer. `status` defaults to 200; `body` is serialised as JSON unless it is a string. */
export interface MockResponse {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
  /**
   * Where the row list sits in `body` (e.g. `['result', 'list']`), for the row faults
   * (empty, gaps, duplicates, outOfOrder). Optional: by default the longest array in the body is used.
   */
  rowsPath?: Array<string | number>;
  /**
   * For answers whose rows are parallel column arrays (Deribit chart data, Kraken Futures analytics): the path of
   * every column. A row fault then edits all of them alike, so the columns stay aligned. Takes precedence over rowsPath.
   */
  parallelRows?: Array<Array<string | number>>;
}

export interface MockRoute {
  method: 'GET' | 'POST';
  /** Exact path, e.g. `/fapi/v1/klines`. Use `:name` segments for path parameters (krakenfutures analytics). */
  path: string;
  /** Logical endpoint name for stats and fault targeting: `markets`, `klines`, `openInterest`, `openInterestHistory`, `funding`, `fundingHistory`, `ticker`, `time`, ... */
  endpoint: string;
  /**
   * More endpoint names a fault may target for one request, from its JSON body (Hyperliquid serves every query type
   * on `POST /info`: `fundingHistory`, `klines` for `candleSnapshot`, ...). Stats keep counting under `endpoint`.
   */
  endpointAliases?: (body: unknown) => string[];
  handler: (req: MockRequest, params: Record<string, string>) => MockResponse;
}

export interface VenueMock {
  /** ccxt id, e.g. `binanceusdm`. */
  id: string;
  /** Hosts this venue answers on (ccxt's `urls.api` hosts). */
  hosts: string[];
  routes: MockRoute[];
}
