/** @jest-environment node */
/**
 * Issue 16 items 2 and 3: the engine says when a value cannot exist. Gaps inside a venue series (against its usual
 * spacing) are counted and located in the coverage and a notice; a lookback longer than the data, a range without
 * bars and overflowing magnitudes each give a notice; and no state fires without the z-scores its rule needs.
 */
import { Bundle, Series, compute } from './index';
import { seriesGaps } from './engine';
import { D, H, prng, t } from './testutil';

/** A weekly-ish market of `days` daily points: spot a bit above perp and rising (bullish premium), OI and funding cool. */
function market(days: number, start = '2024-01-01'): Bundle {
  const r = prng(7);
  const t0 = t(start);
  const px = Array.from({ length: days }, (_, i) => 40_000 * (1 + 0.002 * i + 0.01 * (r() - 0.5)));
  const series: Series[] = [
    { venue: 's', kind: 'spot', quote: 'USD', points: px.map((p, i) => [t0 + i * D, p * (1 + 0.0001 * i)]) },
    { venue: 'p', kind: 'perp', quote: 'USD', points: px.map((p, i) => [t0 + i * D, p]) },
    { venue: 'p', kind: 'openInterest', unit: 'usd', points: px.map((_, i) => [t0 + i * D, 1e9 * (1 + 0.1 * r())]) },
    {
      venue: 'p',
      kind: 'funding',
      intervalHours: 8,
      points: Array.from({ length: days * 3 }, (_, k) => [t0 + (k + 1) * 8 * H, 0.0001 * r()] as [number, number]),
    },
  ];
  return { asset: 'BTC', series };
}

describe('gaps inside a series (item 2)', () => {
  it('counts and locates missing points against the usual spacing, by hand', () => {
    // 8-hourly points with two holes: 2 points missing after index 3, 1 after index 7
    const times = [0, 1, 2, 3, 6, 7, 8, 9, 11, 12].map((k) => k * 8 * H);
    const g = seriesGaps(times.map((x) => [x, 0.0001] as [number, number]));
    expect(g.spacingMs).toBe(8 * H);
    expect(g.missing).toBe(3);
    expect(g.gaps).toEqual([
      { from: 3 * 8 * H, to: 6 * 8 * H, missing: 2 },
      { from: 9 * 8 * H, to: 11 * 8 * H, missing: 1 },
    ]);
    expect(seriesGaps([[0, 1]]).missing).toBe(0);
  });

  it('a funding series with a hole: coverage and a notice say how many and where', () => {
    const b = market(40);
    const f = b.series[3];
    const t0 = t('2024-01-01');
    // drop 6 settlements (2 days) from 2024-01-10 08:00 to 2024-01-12 00:00 inclusive
    const cutFrom = t0 + 9 * D + 8 * H;
    const cutTo = t0 + 11 * D;
    f.points = f.points.filter(([x]) => x < cutFrom || x > cutTo);
    const r = compute(b, { timeframe: '1d', lookback: 10 });
    const cov = r.coverage.series[3];
    expect(cov).toMatchObject({ kind: 'funding', spacingMs: 8 * H, missing: 6 });
    expect(cov.gaps).toEqual([{ from: cutFrom - 8 * H, to: cutTo + 8 * H, missing: 6 }]);
    expect(r.coverage.series[0]).toMatchObject({ missing: 0, gaps: [] });
    expect(r.notices).toContain(
      'gaps: funding p misses 6 points against its usual spacing of 8 h, in 1 gap: 2024-01-10 00:00 .. 2024-01-12 08:00 (6)'
    );
    // a clean bundle says nothing about gaps
    expect(compute(market(40), { timeframe: '1d', lookback: 10 }).notices.join('\n')).not.toMatch(/gaps/);
  });
});

describe('values that cannot exist (item 3)', () => {
  it('27 weekly bars with the 52-week lookback: no z-score, a notice, and no bullish / bearish state', () => {
    const b = market(27 * 7);
    const r = compute(b, { timeframe: '1w' });
    expect(r.bars.length).toBeGreaterThanOrEqual(27);
    expect(r.bars.every((x) => x.premiumZ === null && x.oiZ === null && x.fundingZ === null)).toBe(true);
    expect(r.events).toEqual([]);
    expect(r.bars.every((x) => x.states.length === 0)).toBe(true);
    const note = r.notices.find((n) => n.startsWith('z-scores:'));
    expect(note).toMatch(
      /^z-scores: the lookback of 52 bars is longer than the data \(bars with values up to the last output bar: premium has 2\d, OI has 2\d, funding has 2\d\)/
    );
    // the same data with a lookback that fits: z-scores, events, and no such notice
    const fit = compute(b, { timeframe: '1w', lookback: 8 });
    expect(fit.bars.some((x) => x.premiumZ !== null)).toBe(true);
    expect(fit.notices.join('\n')).not.toMatch(/^z-scores:/m);
  });

  it('a range with no bars says so', () => {
    const r = compute(market(30), { timeframe: '1d', from: t('2030-01-01') });
    expect(r.bars).toEqual([]);
    expect(r.notices).toContain(
      'no bars in the range 2030-01-01 .. end: the data gives 1d bars from 2024-01-01 to 2024-01-30'
    );
  });

  it('overflowing magnitudes (unvalidated input) are reported, not silently null', () => {
    const b = market(20);
    const oi = b.series[2];
    oi.points = oi.points.map(([x]) => [x, 1e308] as [number, number]);
    b.series.push({ venue: 'q', kind: 'openInterest', unit: 'usd', points: oi.points.map(([x]) => [x, 1e308]) });
    const r = compute(b, { timeframe: '1d', lookback: 5 });
    expect(r.bars.every((x) => x.oiUsd === null)).toBe(true);
    expect(r.notices).toContain(
      'overflow: oiUsd is too large for a double on 20 bars and is shown as unknown; check the magnitudes of the input (validateBundle rejects them)'
    );
  });
});
