/**
 * Exporter benchmark (issue 11): the recorder's `GET /metrics` scrape with BTC and ETH at 1h and 1d, the health
 * series of 12 venues × 4 kinds and prom-client's default process metrics. Target: a scrape ≤ 20 ms (median and
 * p95 of 200 scrapes after 20 warm-up scrapes, serialisation only: the values are set at bar close, not on scrape).
 * Also reports the time of one bar-close update (engine compute on 90 days of 1h bars + setting the gauges).
 * Run standalone with `npx tsx bench/exporter.ts`, or through `benchExporter()` from the bench runner.
 */
import { performance } from 'node:perf_hooks';
import { compute } from '../src/core';
import type { Timeframe } from '../src/core/types';
import { BtcFlowExporter } from '../recorder/exporter';
import { syntheticBundle } from './core';

const VENUES = [
  'binance',
  'coinbase',
  'bitstamp',
  'kraken',
  'binanceusdm',
  'bybit',
  'okx',
  'bitget',
  'deribit',
  'hyperliquid',
  'krakenfutures',
  'bybit:inverse',
];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function benchExporter(): Promise<Record<string, number | string>> {
  const ex = new BtcFlowExporter();
  const bars = 90 * 24;
  const bundles = { BTC: syntheticBundle(bars, 1), ETH: { ...syntheticBundle(bars, 2), asset: 'ETH' } };
  const now = Date.UTC(2015, 0, 1) + bars * 3_600_000;
  const updates: number[] = [];
  for (const asset of ['BTC', 'ETH'] as const) {
    for (const tf of ['1h', '1d'] as Timeframe[]) {
      const t0 = performance.now();
      ex.updateBar(asset, tf, compute(bundles[asset], { timeframe: tf }), now);
      updates.push(performance.now() - t0);
    }
    for (const venue of VENUES) {
      for (const kind of ['spot', 'perp', 'openInterest', 'funding']) {
        ex.setVenueUp(venue, kind, true);
        ex.setVenueLastPoint(venue, kind, asset, now);
      }
      ex.recordRequest(venue, 'ok');
    }
  }
  for (let i = 0; i < 20; i++) {
    await ex.metrics();
  }
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const text = await ex.metrics();
    times.push(performance.now() - t0);
    bytes = text.length;
  }
  times.sort((a, b) => a - b);
  updates.sort((a, b) => a - b);
  return {
    'scrape median (ms, target <= 20)': quantile(times, 0.5),
    'scrape p95 (ms)': quantile(times, 0.95),
    'scrape size (bytes)': bytes,
    'bar-close update, max of 4 (ms)': updates[updates.length - 1],
  };
}

if (require.main === module) {
  benchExporter().then((f) => {
    for (const [k, v] of Object.entries(f)) {
      process.stdout.write(`${k.padEnd(48)} ${typeof v === 'number' ? v.toFixed(3) : v}\n`);
    }
  });
}
