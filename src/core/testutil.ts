/**
 * Test helpers for the core engine (seeded PRNG, naive reference implementations). Not part of the public API.
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
