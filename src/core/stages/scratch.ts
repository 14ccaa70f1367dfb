/** Reusable scratch buffers of the engine stages (docs/metrics.md §16 Performance): never returned to callers. */

/**
 * Reusable internal scratch buffers, keyed by role. compute is synchronous and these never leave a call, so one set
 * per module is enough; reusing them keeps each call from allocating (and making V8 collect) tens of MB of
 * short-lived typed arrays. A buffer grows to the largest size asked for.
 */
const SCRATCH = new Map<string, Float64Array | Int32Array | Uint8Array>();

function scratchOf<T extends Float64Array | Int32Array | Uint8Array>(
  key: string,
  n: number,
  make: (len: number) => T
): T {
  let a = SCRATCH.get(key) as T | undefined;
  if (!a || a.length < n) {
    a = make(n);
    SCRATCH.set(key, a);
  }
  return a.subarray(0, n) as T;
}

/** A Float64Array scratch buffer of length n for `key` (contents left from the previous use: fill it). */
export const f64 = (key: string, n: number): Float64Array => scratchOf(key, n, (len) => new Float64Array(len));
/** A Uint8Array scratch buffer of length n for `key` (contents left from the previous use: fill it). */
export const u8 = (key: string, n: number): Uint8Array => scratchOf(key, n, (len) => new Uint8Array(len));
