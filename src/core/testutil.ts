/**
 * Test helpers for the core engine (seeded PRNG, naive reference implementations). Not part of the public API; the
 * seeded PRNG is also the one the benchmarks and the CLI's event study (cli/event-study.ts) draw from.
 */

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Naive O(n·k) rolling z over the last n valid values (population sd), the reference for rollingZ. */
export function naiveRollingZ(values: Array<number | null>, n: number): Array<number | null> {
  return values.map((x, i) => {
    if (x === null) {
      return null;
    }
    const win: number[] = [];
    for (let j = i; j >= 0 && win.length < n; j--) {
      const v = values[j];
      if (v !== null) {
        win.push(v);
      }
    }
    if (win.length < n) {
      return null;
    }
    const mean = win.reduce((a, b) => a + b, 0) / n;
    const variance = win.reduce((a, b) => a + (b - mean) * (b - mean), 0) / n;
    if (win.every((v) => v === win[0])) {
      return null;
    }
    return (x - mean) / Math.sqrt(variance);
  });
}

/** Naive SMA over the last k valid values. */
export function naiveSma(values: Array<number | null>, k: number): Array<number | null> {
  return values.map((x, i) => {
    if (x === null) {
      return null;
    }
    const win: number[] = [];
    for (let j = i; j >= 0 && win.length < k; j--) {
      const v = values[j];
      if (v !== null) {
        win.push(v);
      }
    }
    return win.length < k ? null : win.reduce((a, b) => a + b, 0) / k;
  });
}

export const H = 3_600_000;
export const D = 86_400_000;
/** UTC ms from an ISO string. */
export const t = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : iso + 'Z');

/**
 * A fixed synthetic bundle that exercises every engine stage: hourly prices on 3 spot venues (one quoted in USDT
 * with a USDT/USD fx series, one daily that stops early) and 3 perps (one missing the last two hours of every fifth day,
 * so it goes stale on daily bars), OI in USD and in base units,
 * 8-hourly and hourly funding, and a two-day hole in one funding series. Same seed, same bundle.
 */
export function generatedBundle(hours: number, seed = 7): import('./types').Bundle {
  const r = prng(seed);
  const t0 = Date.UTC(2023, 0, 2);
  const mid: number[] = [];
  let p = 20_000;
  let trend = 0;
  for (let i = 0; i < hours; i++) {
    trend = 0.995 * trend + (r() - 0.5) * 0.0004;
    p *= 1 + trend + (r() - 0.5) * 0.006;
    mid.push(p);
  }
  const hourly = (f: (i: number) => number, every = 1, until = hours): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < until; i += every) {
      out.push([t0 + i * H, f(i)]);
    }
    return out;
  };
  const px = (bias: number) => (i: number) => mid[i] * (1 + bias + Math.sin(i / 97) * 0.001 + (r() - 0.5) * 0.0008);
  let oiA = 2e9;
  let oiB = 40_000;
  let f8 = 0.0001;
  let f1 = 0.00001;
  const funding8 = hourly((i) => (f8 = 0.97 * f8 + 0.03 * (0.0001 + (i / hours) * 0.0004) + (r() - 0.5) * 0.00004), 8)
    .map(([tt, v]) => [tt + 8 * H, v] as [number, number])
    .filter(([tt]) => tt < t0 + 200 * H || tt >= t0 + 248 * H);
  return {
    asset: 'BTC',
    series: [
      { venue: 'coinbase', kind: 'spot', quote: 'USD', points: hourly(px(0.0004)) },
      { venue: 'binance', kind: 'spot', quote: 'USDT', points: hourly(px(0.0001)) },
      { venue: 'kraken', kind: 'spot', quote: 'USD', points: hourly(px(0.0002), 24, Math.floor(hours * 0.8)) },
      { venue: 'binanceusdm', kind: 'perp', quote: 'USDT', points: hourly(px(-0.0003)) },
      { venue: 'bybit', kind: 'perp', quote: 'USD', points: hourly(px(-0.0002)) },
      {
        venue: 'okx',
        kind: 'perp',
        quote: 'USD',
        // every 5th day it misses its last two hours: stale on daily bars (no-stale rule)
        points: hourly(px(-0.0001), 1, Math.floor(hours * 0.9)).filter((_, i) => !(i % 120 >= 118)),
      },
      {
        venue: 'binanceusdm',
        kind: 'openInterest',
        unit: 'usd',
        points: hourly(() => (oiA = Math.max(1e8, oiA * (1 + (r() - 0.48) * 0.01)))),
      },
      {
        venue: 'bybit',
        kind: 'openInterest',
        unit: 'base',
        points: hourly(() => (oiB = Math.max(1000, oiB * (1 + (r() - 0.48) * 0.01))), 4),
      },
      { venue: 'binanceusdm', kind: 'funding', intervalHours: 8, points: funding8 },
      {
        venue: 'bybit',
        kind: 'funding',
        intervalHours: 1,
        points: hourly((i) => (f1 = 0.95 * f1 + 0.05 * (i / hours) * 0.00005 + (r() - 0.5) * 0.000004)).map(
          ([tt, v]) => [tt + H, v] as [number, number]
        ),
      },
      { venue: 'kraken', kind: 'fx', pair: 'USDT/USD', points: hourly(() => 1 + (r() - 0.5) * 0.002, 6) },
    ],
  };
}
