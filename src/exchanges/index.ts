/**
 * Public API of the exchange layer. See docs/venues.md for the venues and their units.
 */
export { ExchangeContext, DEFAULT_EXCHANGE_OPTIONS, MIN_TIMEOUT_MS, resolveMarket } from './context';
export type { ExchangeOptions } from './context';
export { fetchSeries, fetchTimeframeFor, validateSeriesRequest } from './fetchSeries';
export type { SeriesRequest, SeriesResult } from './fetchSeries';
export { fetchBundle } from './fetchBundle';
export type { BundleRequest, BundleResult, BundleProgress, VenueNotice, SeriesCoverageInfo } from './fetchBundle';
export { listAssets } from './assets';
export type { AssetListing } from './assets';
export {
  VENUES,
  DEFAULT_VENUES,
  DEFAULT_FX_VENUE,
  DROPPED_VENUES,
  getVenue,
  isVenueId,
  venueKinds,
  ohlcvLimit,
  venuesByRole,
  allVenueHosts,
  routePathForHost,
  firstDataMs,
  earliestFirstDataMs,
} from './registry';
export type { VenueSpec, VenueHost, CcxtId, FetchTimeframe } from './registry';
export { applyBaseUrl, rewriteUrl, baseForHost, grafanaBase, checkMirrorUrl, mirrorUrlProblem } from './baseUrl';
export type { BaseUrl } from './baseUrl';
export { VenueError } from './errors';
export { AbortedError, isAborted, SharedJobs } from './abort';
export { STORE_SCHEMA_VERSION, DEFAULT_STORE_MAX_BYTES, CorruptStoreError, checkStored } from './store';
export type { BarStore, StoredSeries } from './store';
export { IndexedDbStore, barStoreName, deleteBarStore } from './idbStore';
export { redactText, redactUrl } from './redact';
export { CCXT_LOADER_IDS } from './ccxtLoader';
