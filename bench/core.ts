/**
 * Core engine benchmark: `compute` on 10 venues × N 1h bars (4 spot, 4 perp, 1 OI in base units, 1 hourly funding),
 * N = 100,000 and 2N. Targets (issue #2): ≤ 50 ms at N and a 2N/N ratio ≤ 2.2. Figures are wall-clock medians of
 * 21 runs after 8 warm-up runs (the engine's loops run once per call, so the JIT needs several calls), with a full
 * GC before each run, the sizes and variants interleaved; the 1-minute load average is reported alongside.
 * Run standalone with `npx tsx bench/core.ts`, or through `benchCore()` from the bench runner.
 */
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Bundle, Series, compute, computeColumns } from '../src/core';
import { prng } from '../src/core/testutil';

const H = 3_600_000;

/** Synthetic bundle: a random-walk price shared by all venues plus per-venue noise; hourly OI and funding. */
export function syntheticBundle(bars: number, seed = 1): Bundle {
  const r = prng(seed);
  const t0 = Date.UTC(2015, 0, 1);
  const mid = new Float64Array(bars);
  let p = 30_000;
  for (let i = 0; i < bars; i++) {
    p *= 1 + (r() - 0.5) * 0.01;
    mid[i] = p;
  }
  const price = (kind: 'spot' | 'perp', venue: string, bias: number): Series => ({
    venue,
    kind,
    quote: 'USD',
    points: Array.from(
      { length: bars },
      (_, i) => [t0 + i * H, mid[i] * (1 + bias + (r() - 0.5) * 0.001)] as [number, number]
    ),
  });
  let oi = 100_000;
  let f = 0.0001;
  const series: Series[] = [
    price('spot', 'coinbase', 0.0002),
    price('spot', 'kraken', 0.0001),
    price('spot', 'bitstamp', 0),
    price('spot', 'okx', -0.0001),
    price('perp', 'binanceusdm', -0.0003),
    price('perp', 'bybit', -0.0002),
    price('perp', 'okx', -0.0001),
    price('perp', 'krakenfutures', 0),
    {
      venue: 'binanceusdm',
      kind: 'openInterest',
      unit: 'base',
      points: Array.from({ length: bars }, (_, i) => {
        oi = Math.max(1000, oi * (1 + (r() - 0.5) * 0.02));
        return [t0 + i * H, oi] as [number, number];
      }),
    },
    {
      venue: 'binanceusdm',
      kind: 'funding',
      intervalHours: 1,
      points: Array.from({ length: bars }, (_, i) => {
        f = 0.98 * f + 0.02 * 0.0000125 + (r() - 0.5) * 0.000002;
        return [t0 + (i + 1) * H, f] as [number, number];
      }),
    },
  ];
  return { asset: 'BTC', series };
}

/** A full GC between timed runs, so each run pays for its own garbage only (falls back to no-op). */
function makeGc(): () => void {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
}

interface Timing {
  medianMs: number;
  minMs: number;
  cpuMs: number;
}

/**
 * Times several functions in alternation: `warm` warm-up calls each, then `runs` rounds in which every function runs
 * once after a full GC and a 50 ms pause (the GC's background threads finish sweeping). Interleaving makes the machine's slow drifts (other load, CPU clock) hit every function alike,
 * so the ratios between them are fair. Returns median and min wall time (ms) and median process CPU time per function.
 */
async function timeInterleaved(fns: Record<string, () => unknown>, warm: number, runs: number, gc: () => void) {
  const names = Object.keys(fns);
  for (const k of names) {
    for (let i = 0; i < warm; i++) {
      fns[k]();
    }
  }
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (const k of names) {
    wall[k] = [];
    cpu[k] = [];
  }
  for (let r = 0; r < runs; r++) {
    for (const k of names) {
      gc();
      await new Promise((r) => setTimeout(r, 50)); // let the GC's background sweeping finish before timing
      const c = process.cpuUsage();
      const a = performance.now();
      fns[k]();
      wall[k].push(performance.now() - a);
      const u = process.cpuUsage(c);
      cpu[k].push((u.user + u.system) / 1000);
    }
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const out: Record<string, Timing> = {};
  for (const k of names) {
    out[k] = { medianMs: med(wall[k]), minMs: Math.min(...wall[k]), cpuMs: med(cpu[k]) };
  }
  return out;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Times the engine on 10 venues × 100k and × 200k 1h bars: `computeColumns` (the whole pipeline into typed
 * columns, events included) and `compute` (the same plus one Bar view per bar), the four in alternation
 * (timeInterleaved) so that the 2N/N ratio compares runs made under the same machine conditions.
 */
export async function benchCore(): Promise<Record<string, number | string>> {
  const n = 100_000;
  const gc = makeGc();
  const opts = { timeframe: '1h' as const, lookback: 720 };
  const small = syntheticBundle(n, 1);
  const large = syntheticBundle(2 * n, 2);
  const res = compute(small, opts);
  const t = await timeInterleaved(
    {
      full: () => compute(small, opts),
      full2: () => compute(large, opts),
      cols: () => computeColumns(small, opts),
      cols2: () => computeColumns(large, opts),
    },
    8,
    21,
    gc
  );
  const a = { bars: res.bars.length, events: res.events.length, full: t.full, cols: t.cols };
  const b = { full: t.full2, cols: t.cols2 };
  const ratioFull = b.full.medianMs / a.full.medianMs;
  const ratioCols = b.cols.medianMs / a.cols.medianMs;
  const pass = a.full.medianMs <= 50 && ratioFull <= 2.2;
  return {
    'core.venues': 10,
    'core.bars': a.bars,
    'core.events_100k': a.events,
    'core.compute_100k_ms': r1(a.full.medianMs),
    'core.compute_100k_min_ms': r1(a.full.minMs),
    'core.compute_100k_cpu_ms': r1(a.full.cpuMs),
    'core.compute_200k_ms': r1(b.full.medianMs),
    'core.compute_ratio_200k_100k': Math.round(ratioFull * 100) / 100,
    'core.columns_100k_ms': r1(a.cols.medianMs),
    'core.columns_100k_min_ms': r1(a.cols.minMs),
    'core.columns_200k_ms': r1(b.cols.medianMs),
    'core.columns_ratio_200k_100k': Math.round(ratioCols * 100) / 100,
    'core.bar_views_100k_ms': r1(a.full.medianMs - a.cols.medianMs),
    'core.target': '<= 50 ms at 100k, ratio <= 2.2 (medians of compute(), wall time)',
    'core.pass': pass ? 'yes' : 'no',
    'core.verdict': pass
      ? `target met: compute() ${r1(a.full.medianMs)} ms median at 100k bars, ratio ${ratioFull.toFixed(2)}`
      : `target NOT met: compute() ${r1(a.full.medianMs)} ms median (min ${r1(a.full.minMs)}) at 100k bars, ratio ${ratioFull.toFixed(2)}; ` +
        `of that, computeColumns ${r1(a.cols.medianMs)} ms and making the bar views the rest`,
    'core.loadavg_1m': Math.round(os.loadavg()[0] * 100) / 100,
  };
}

if (require.main === module) {
  benchCore().then((r) => {
    for (const [k, v] of Object.entries(r)) {
      console.log(`${k}: ${v}`);
    }
  });
}
