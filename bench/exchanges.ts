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
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Stats } from '../mock/server';
import type { SeriesKind } from '../src/core/types';
import {
  ExchangeContext,
  fetchBundle,
  listAssets,
  ohlcvLimit,
  VENUES,
  venueKinds,
  type VenueSpec,
} from '../src/exchanges';

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

interface MockHandle {
  url: string;
  stats(): Promise<Stats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the mock exchange server in its own process (`npm run mock-exchanges`), so that its CPU work does not stall
 * the client's event loop and timers (which would turn into client timeouts and retries, i.e. extra requests).
 */
async function startMockProcess(latencyMs: number): Promise<MockHandle> {
  const root = path.join(__dirname, '..');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(root, 'node_modules/tsx/dist/cli.mjs'),
      'mock/server.ts',
      '--port',
      '0',
      '--latency-ms',
      String(latencyMs),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`mock server did not start: ${err.slice(0, 400)}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mock server exited (${code}): ${err.slice(0, 400)}`));
    });
  });
  return {
    url,
    stats: async () => (await (await fetch(`${url}/__stats`)).json()) as Stats,
    resetStats: async () => {
      await fetch(`${url}/__stats/reset`, { method: 'POST' });
    },
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export async function benchExchanges(): Promise<Record<string, number | string>> {
  const srv = await startMockProcess(LATENCY_MS);
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

    // warm the mock up (it builds its simulated paths on first use), with a throwaway context
    const warmup = new ExchangeContext({ baseUrl: srv.url, timeoutMs: 120_000 });
    await listAssets(warmup);
    await fetchBundle({ ...req, from: to - 3 * DAY, kinds: ['spot', 'fx'], venues: ['binance'] }, warmup);

    // cold: market loads first (counted apart), then the bundle
    const ctx = new ExchangeContext({ baseUrl: srv.url });
    await srv.resetStats();
    let t0 = performance.now();
    await Promise.all(VENUES.map((v) => ctx.markets(v)));
    const marketStats = await srv.stats();
    const marketRequests = marketStats.total;
    await srv.resetStats();
    const cold = await fetchBundle(req, ctx);
    const coldMs = performance.now() - t0;
    const dataStats = await srv.stats();
    const coldData = dataStats.total;
    const coldStats = {
      total: coldData + marketRequests,
      byVenue: { ...dataStats.byVenue },
      byStatus: { ...dataStats.byStatus },
    };
    for (const [k, n] of Object.entries(marketStats.byVenue)) {
      coldStats.byVenue[k] = (coldStats.byVenue[k] ?? 0) + n;
    }
    for (const [k, n] of Object.entries(marketStats.byStatus)) {
      coldStats.byStatus[k] = (coldStats.byStatus[k] ?? 0) + n;
    }
    const coldByEndpoint: Record<string, number> = { ...dataStats.byEndpoint };
    for (const [k, n] of Object.entries(marketStats.byEndpoint)) {
      coldByEndpoint[k] = (coldByEndpoint[k] ?? 0) + n;
    }

    // warm refresh: the same panel again a moment later
    await srv.resetStats();
    t0 = performance.now();
    const warm = await fetchBundle({ ...req, to: Date.now() }, ctx);
    const warmMs = performance.now() - t0;
    const warmRequests = (await srv.stats()).total;

    // 6 panels at once on a cold context vs 1
    const ctx6 = new ExchangeContext({ baseUrl: srv.url });
    await srv.resetStats();
    t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => fetchBundle(req, ctx6)));
    const sixMs = performance.now() - t0;
    const sixStats = await srv.stats();
    const sixRequests = sixStats.total;
    const diff = Object.keys({ ...sixStats.byEndpoint, ...coldByEndpoint })
      .filter((k) => (sixStats.byEndpoint[k] ?? 0) !== (coldByEndpoint[k] ?? 0))
      .map((k) => `${k} ${coldByEndpoint[k] ?? 0}→${sixStats.byEndpoint[k] ?? 0}`);

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
    if (diff.length) {
      out['6 panels vs 1: endpoints that differ'] = diff.join(', ');
    }
    out['statuses cold / 6 panels'] = `${JSON.stringify(coldStats.byStatus)} / ${JSON.stringify(sixStats.byStatus)}`;
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
