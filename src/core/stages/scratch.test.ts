/** @jest-environment node */
import { f64, u8 } from './scratch';

describe('scratch buffers', () => {
  it('f64(key, n) gives n elements and the same memory again for the same key', () => {
    const a = f64('test:a', 4);
    a.set([1, 2, 3, 4]);
    const b = f64('test:a', 3);
    expect(b.length).toBe(3);
    expect(Array.from(b)).toEqual([1, 2, 3]); // left from the previous use: callers fill what they read
    b[0] = 9;
    expect(a[0]).toBe(9);
  });

  it('grows to a larger request and keeps distinct keys apart', () => {
    const small = f64('test:b', 2);
    const large = f64('test:b', 10);
    expect(large.length).toBe(10);
    expect(large.buffer).not.toBe(small.buffer);
    const other = f64('test:c', 10);
    expect(other.buffer).not.toBe(large.buffer);
  });

  it('u8(key, n) is a Uint8Array buffer of the same kind', () => {
    const m = u8('test:m', 5).fill(0);
    m[2] = 1;
    expect(Array.from(u8('test:m', 5))).toEqual([0, 0, 1, 0, 0]);
  });
});
