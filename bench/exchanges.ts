/**
 * Exchange-layer benchmark: a dashboard-sized workload through real ccxt against the mock exchange server with
 * 100 ms latency per request. Every metric (spot, perp, OI, funding, fx) of BTC, 2 years of daily bars, all default
 * venues. Reports requests cold and warm against the minimum implied by each venue's page limits, wall times,
 * and 6 identical concurrent bundle requests against 1.
 *
 * Targets: cold data requests ≤ 1.1 × minimum (plus one market load per venue); warm refresh ≤ 1 request per series;
 * 6 panels cost what 1 panel costs.
 *
 * Run alone: `npx tsx bench/exchanges.ts`; in the suite: `npm run bench`.
 */
import { marketSnapshot, SIM_ASSETS } from '../mock/market';
import { startMockServer } from '../mock/server';
import type { SeriesKind } from '../src/core/types';
import { ExchangeContext, fetchBundle, ohlcvLimit, VENUES, venueKinds, type VenueSpec } from '../src/exchanges';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LATENCY_MS = 100;
const YEARS = 2;

/**
 * Fewest requests one series can cost, from the venue's page limits (not from the fetch code): rows the range holds
 * (within the venue's retention) divided by rows per request, rounded up; 1 for one-call endpoints.
 */
export function minimumRequests(v: VenueSpec, kind: SeriesKind, from: number, to: number): number {
  const bars = Math.ceil((to - from) / DAY);
  switch (kind) {
    case 'spot':
    case 'perp':
    case 'fx':
      return v.ohlcv.mode === 'latest' ? 1 : Math.ceil(bars / ohlcvLimit(v, '1d'));
    case 'openInterest': {
      const oi = v.openInterest!;
      if (oi.method === 'current') {
        return 1;
      }
      let rows = bars;
      if (oi.retentionDays !== undefined) {
        rows = Math.min(rows, oi.retentionDays);
      }
      if (oi.retentionRows !== undefined) {
        rows = Math.min(rows, oi.retentionRows);
      }
      return Math.ceil(rows / oi.limit);
    }
    case 'funding': {
      const f = v.funding!;
      if (f.method === 'allAtOnce') {
        return 1;
      }
      const spanH = Math.min(to - from, f.retentionDays !== undefined ? f.retentionDays * DAY : Infinity) / HOUR;
      return Math.ceil(Math.floor(spanH / f.intervalHours) / f.limit);
    }
  }
}

export async function benchExchanges(): Promise<Record<string, number | string>> {
  for (const a of SIM_ASSETS) {
    marketSnapshot(a, Date.now()); // build the simulated paths before timing anything
  }
  const srv = await startMockServer({ port: 0, latencyMs: LATENCY_MS });
  try {
    const now = Date.now();
    const to = now;
    const from = Math.floor(now / DAY) * DAY - YEARS * 365 * DAY;
    const req = { asset: 'BTC', timeframe: '1d' as const, from, to };
    const series = VENUES.flatMap((v) =>
      venueKinds(v)
        .filter((k) => k !== 'fx' || v.id === 'kraken')
        .map((k) => ({ v, k }))
    );
    const minimum = series.reduce((s, { v, k }) => s + minimumRequests(v, k, from, to), 0);
    const ccxtClasses = new Set(VENUES.map((v) => v.ccxtId)).size;

    // cold
    const ctx = new ExchangeContext({ baseUrl: srv.url });
    srv.resetStats();
    let t0 = performance.now();
    const cold = await fetchBundle(req, ctx);
    const coldMs = performance.now() - t0;
    const coldStats = srv.stats();
    const marketRequests = Object.entries(coldStats.byEndpoint)
      .filter(([k]) => /:markets|:currencies|:marketsInverse|:meta/.test(k))
      .reduce((s, [, n]) => s + n, 0);
    const coldData = coldStats.total - marketRequests;

    // warm refresh: the same panel again a moment later
    srv.resetStats();
    t0 = performance.now();
    const warm = await fetchBundle({ ...req, to: Date.now() }, ctx);
    const warmMs = performance.now() - t0;
    const warmRequests = srv.stats().total;

    // 6 panels at once on a cold context vs 1
    const ctx6 = new ExchangeContext({ baseUrl: srv.url });
    srv.resetStats();
    t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => fetchBundle(req, ctx6)));
    const sixMs = performance.now() - t0;
    const sixRequests = srv.stats().total;

    const out: Record<string, number | string> = {
      'series (venue × kind)': series.length,
      'series fetched cold / failed': `${cold.bundle.series.length} / ${cold.failed.length}`,
      'minimum data requests (page limits)': minimum,
      'cold data requests': coldData,
      'cold data / minimum': Math.round((coldData / minimum) * 1000) / 1000,
      'cold market-load requests': marketRequests,
      'market loads (ccxt classes)': ccxtClasses,
      'cold total requests': coldStats.total,
      'cold wall ms': Math.round(coldMs),
      'warm requests': warmRequests,
      'warm requests per series': Math.round((warmRequests / series.length) * 1000) / 1000,
      'warm wall ms': Math.round(warmMs),
      'warm series / failed': `${warm.bundle.series.length} / ${warm.failed.length}`,
      '6 concurrent panels: requests': sixRequests,
      '6 concurrent panels / 1 panel (requests)': Math.round((sixRequests / coldStats.total) * 1000) / 1000,
      '6 concurrent panels wall ms': Math.round(sixMs),
      'target cold ≤ 1.1 × minimum': coldData <= 1.1 * minimum ? 'met' : 'MISSED',
      'target warm ≤ 1 request per series': warmRequests <= series.length ? 'met' : 'MISSED',
      'target 6 panels = 1 panel': sixRequests === coldStats.total ? 'met' : 'MISSED',
    };
    if (cold.failed.length) {
      out['failed series'] = cold.failed.map((f) => `${f.venue}/${f.kind}: ${f.reason}`).join(' | ');
    }
    // per-venue detail: requests cold vs minimum
    for (const v of VENUES) {
      const min = series.filter((s) => s.v.id === v.id).reduce((s, { k }) => s + minimumRequests(v, k, from, to), 0);
      out[`  ${v.id} min`] = min;
    }
    for (const [k, n] of Object.entries(coldStats.byVenue)) {
      out[`  ${k} cold requests`] = n;
    }
    return out;
  } finally {
    await srv.close();
  }
}

if (require.main === module) {
  benchExchanges()
    .then((r) => {
      for (const [k, v] of Object.entries(r)) {
        process.stdout.write(`${k.padEnd(48)} ${String(v)}\n`);
      }
      process.exit(0);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
