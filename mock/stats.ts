/** Request log and counters of the mock exchange server (`GET /__stats`). */

/**
 * The endpoints that serve market data (candles, open interest, funding), not market lists, server time or
 * currencies: what a test counts as data requests. Hyperliquid's one `info` route serves both kinds and counts here.
 */
export const DATA_ENDPOINTS: ReadonlySet<string> = new Set([
  'klines',
  'historyKlines',
  'fundingHistory',
  'openInterestHistory',
  'openInterest',
  'openInterestVolume',
  'funding',
  'info',
]);

export interface RequestLogEntry {
  /** sequence number since start or the last reset */
  seq: number;
  /** wall-clock receive time, epoch ms */
  at: number;
  method: string;
  /** venue id, or null for unknown routes and `/__` admin paths are not logged */
  venue: string | null;
  endpoint: string | null;
  host: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** server-side time to answer in ms, injected latency included; null for dropped (hang) requests */
  latencyMs: number | null;
  /** fault types applied to this request */
  faults: string[];
}

export interface Stats {
  /** total requests to venue routes (and unknown routes), admin paths excluded */
  total: number;
  byVenue: Record<string, number>;
  /** keyed `venue:endpoint` */
  byEndpoint: Record<string, number>;
  byStatus: Record<string, number>;
  /** requests that got at least one fault */
  faulted: number;
  /** the latest requests (at most `logLimit`), oldest first */
  log: RequestLogEntry[];
  logLimit: number;
  /** epoch ms of start or last reset */
  since: number;
}

export class StatsCollector {
  private s: Stats;
  constructor(private readonly logLimit = 20_000) {
    this.s = this.empty();
  }

  private empty(): Stats {
    return {
      total: 0,
      byVenue: {},
      byEndpoint: {},
      byStatus: {},
      faulted: 0,
      log: [],
      logLimit: this.logLimit,
      since: Date.now(),
    };
  }

  reset(): void {
    this.s = this.empty();
  }

  record(e: Omit<RequestLogEntry, 'seq'>): void {
    const s = this.s;
    s.total++;
    const v = e.venue ?? '(unknown)';
    s.byVenue[v] = (s.byVenue[v] ?? 0) + 1;
    const k = `${v}:${e.endpoint ?? '(unknown)'}`;
    s.byEndpoint[k] = (s.byEndpoint[k] ?? 0) + 1;
    const st = e.status === 0 ? 'dropped' : String(e.status);
    s.byStatus[st] = (s.byStatus[st] ?? 0) + 1;
    if (e.faults.length) {
      s.faulted++;
    }
    s.log.push({ seq: s.total, ...e });
    if (s.log.length > this.logLimit) {
      s.log.splice(0, s.log.length - this.logLimit);
    }
  }

  snapshot(): Stats {
    const s = this.s;
    return {
      ...s,
      byVenue: { ...s.byVenue },
      byEndpoint: { ...s.byEndpoint },
      byStatus: { ...s.byStatus },
      log: s.log.map((e) => ({ ...e, query: { ...e.query }, faults: [...e.faults] })),
    };
  }
}
