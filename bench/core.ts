/**
 * Core engine benchmark: `compute` on 10 venues × N 1h bars (4 spot, 4 perp, 1 OI in base units, 1 hourly funding),
 * N = 100,000 and 2N. Targets (issue #2): ≤ 50 ms at N and a 2N/N ratio ≤ 2.2. Figures are wall-clock medians of
 * 11 runs after 8 warm-up runs (the engine's loops run once per call, so the JIT needs several calls), with a full GC before each run; the 1-minute load average is reported alongside.
 * Run standalone with `npx tsx bench/core.ts`, or through `benchCore()` from the bench runner.
 */
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Bundle, Series, compute, computeColumns } from '../src/core';

const H = 3_600_000;

/** Seeded PRNG (mulberry32) so every run times the same input. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** Median and min wall time (ms), and median process CPU time, of `runs` calls after `warm` warm-up calls. */
function timeIt(fn: () => unknown, warm: number, runs: number, gc: () => void): Timing {
  for (let i = 0; i < warm; i++) {
    fn();
  }
  const ts: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    const c = process.cpuUsage();
    const a = performance.now();
    fn();
    ts.push(performance.now() - a);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { medianMs: med(ts), minMs: Math.min(...ts), cpuMs: med(cpu) };
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Times the engine on 10 venues × 100k and × 200k 1h bars: `computeColumns` (the whole pipeline into typed
 * columns, events included) and `compute` (the same plus one Bar object per bar). Each size is built, timed and
 * dropped before the next, so the live heap holds one input at a time.
 */
export async function benchCore(): Promise<Record<string, number | string>> {
  const n = 100_000;
  const gc = makeGc();
  const opts = { timeframe: '1h' as const, lookback: 720 };
  const run = (bars: number, seed: number) => {
    let bundle: Bundle | null = syntheticBundle(bars, seed);
    const b = bundle;
    const res = compute(b, opts);
    const out = {
      bars: res.bars.length,
      events: res.events.length,
      cols: timeIt(() => computeColumns(b, opts), 8, 11, gc),
      full: timeIt(() => compute(b, opts), 8, 11, gc),
    };
    bundle = null;
    gc();
    return out;
  };
  const a = run(n, 1);
  const b = run(2 * n, 2);
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
    'core.bar_objects_100k_ms': r1(a.full.medianMs - a.cols.medianMs),
    'core.target': '<= 50 ms at 100k, ratio <= 2.2 (medians of compute(), wall time)',
    'core.pass': pass ? 'yes' : 'no',
    'core.verdict': pass
      ? `target met: compute() ${r1(a.full.medianMs)} ms median at 100k bars, ratio ${ratioFull.toFixed(2)}`
      : `target NOT met: compute() ${r1(a.full.medianMs)} ms median (min ${r1(a.full.minMs)}) at 100k bars, ratio ${ratioFull.toFixed(2)}; ` +
        `of that, computeColumns ${r1(a.cols.medianMs)} ms and building the Bar objects the rest`,
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
