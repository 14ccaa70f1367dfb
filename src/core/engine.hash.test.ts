/**
 * @jest-environment node
 *
 * Pins the engine's whole output on a fixed generated bundle (testutil.generatedBundle) by its SHA-256. The hashes were
 * taken with the engine before its split into stage modules (issue 15) and must not move in a refactor; a change that
 * means to alter the output updates them in the same commit and says why.
 */
import { createHash } from 'node:crypto';
import { compute } from './engine';
import { generatedBundle } from './testutil';
import { validateBundle } from './validate';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

describe('engine output pin', () => {
  const bundle = generatedBundle(24 * 200);

  it('the generated bundle is a valid bundle that reaches the gap, no-stale, fx and funding-fallback paths', () => {
    expect(() => validateBundle(JSON.parse(JSON.stringify(bundle)))).not.toThrow();
    const r = compute(bundle, { timeframe: '1d' });
    expect(r.coverage.staleExclusions.map((e) => `${e.kind}:${e.label}`)).toEqual(['perp:okx']);
    expect(r.notices.some((n) => n.startsWith('gaps: funding binanceusdm'))).toBe(true);
    expect(r.coverage.unconvertedQuotes).toEqual([]); // the USDT quotes are converted by the USDT/USD series
    expect(new Set(r.events.map((e) => e.kind))).toEqual(new Set(['bullish', 'bearish', 'overLeverage']));
  });

  it.each([
    ['1h', 'b6f49b052c95e1af'],
    ['4h', '37aa42c53441ad62'],
    ['1d', 'cda1df3c75076ff7'],
  ] as const)('compute(bundle, %s) serialises to the same JSON as before the stage split', (timeframe, hash) => {
    expect(sha(JSON.stringify(compute(bundle, { timeframe })))).toBe(hash);
  });
});
