/** @jest-environment node */
import {
  Bar,
  BarCoverage,
  BtcFlowInputError,
  Bundle,
  DEFAULT_OPTIONS,
  Series,
  compute,
  computeColumns,
  defaultLookback,
} from './index';
import { buildEvents, computeStates, statesOfMask } from './signals';

const statesOf = (r: { mask: Uint8Array }) => Array.from(r.mask, (m) => statesOfMask(m));
import { D, H, prng, t } from './testutil';

const daily = (startIso: string, values: number[]): Array<[number, number]> =>
  values.map((v, i) => [t(startIso) + i * D, v]);

function allFinite(x: unknown, path = 'result'): void {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) {
      throw new Error(`${path} is ${x}`);
    }
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => allFinite(v, `${path}[${i}]`));
  } else if (x && typeof x === 'object') {
    // bar and coverage views have no own fields: walk their toJSON() copy (same getters)
    const o = typeof (x as { toJSON?: unknown }).toJSON === 'function' ? (x as { toJSON: () => object }).toJSON() : x;
    for (const [k, v] of Object.entries(o)) {
      allFinite(v, `${path}.${k}`);
    }
  }
}

describe('resampling', () => {
  it('takes the last close and the last OI in the bucket, and TWAPs funding across the day edge', () => {
    const s0 = t('2024-03-04T00:00');
    const hours = Array.from({ length: 48 }, (_, i) => s0 + i * H);
    const bundle: Bundle = {
      asset: 'BTC',
      series: [
        { venue: 'cb', kind: 'spot', quote: 'USD', points: hours.map((x, i) => [x, 100 + i]) },
        { venue: 'bn', kind: 'perp', quote: 'USD', points: hours.map((x, i) => [x, 99 + i]) },
        { venue: 'bn', kind: 'openInterest', unit: 'usd', points: hours.map((x, i) => [x, 1000 + i]) },
        {
          venue: 'bn',
          kind: 'funding',
          intervalHours: 8,
          // settlements 08:00, 16:00, next 00:00 (applies to the previous day), ...
          points: [1, 2, 3, 4, 5, 6].map((k) => [s0 + k * 8 * H, k * 0.0001]),
        },
      ],
    };
    const r = compute(bundle, { timeframe: '1d' });
    expect(r.bars.map((b) => b.time)).toEqual([s0, s0 + D]);
    expect(r.bars[0].spotUsd).toBe(123);
    expect(r.bars[0].perpUsd).toBe(122);
    expect(r.bars[0].premiumPct).toBeCloseTo((1 / 122) * 100, 12);
    expect(r.bars[1].oiUsd).toBe(1047);
    // day 1: settlements 1,2,3 (×0.0001) each cover 8h → mean 0.0002; day 2: 4,5,6 → 0.0005
    expect(r.bars[0].fundingRate8h).toBeCloseTo(0.0002, 15);
    expect(r.bars[1].fundingRate8h).toBeCloseTo(0.0005, 15);
    expect(r.bars[1].fundingAprPct).toBeCloseTo(0.0005 * 3 * 365 * 100, 10);
    expect(r.bars[0].venues.funding8h).toEqual({ bn: expect.closeTo(0.0002, 15) });
    expect(r.coverage.series.map((c) => [c.label, c.first, c.last])).toEqual([
      ['cb', s0, s0 + 47 * H],
      ['bn', s0, s0 + 47 * H],
      ['bn', s0, s0 + 47 * H],
      ['bn', s0 + 8 * H, s0 + 48 * H],
    ]);
    allFinite(r);
  });

  it('mixes 1h and 8h funding venues as 8h equivalents', () => {
    const s0 = t('2024-03-04T00:00');
    const bundle: Bundle = {
      asset: 'BTC',
      series: [
        { venue: 'a', kind: 'funding', intervalHours: 8, points: [1, 2, 3].map((k) => [s0 + k * 8 * H, 0.0003]) },
        {
          venue: 'b',
          kind: 'funding',
          intervalHours: 1,
          points: Array.from({ length: 24 }, (_, k) => [s0 + (k + 1) * H, 0.00001]),
        },
      ],
    };
    const r = compute(bundle, { timeframe: '1d' });
    // equal fallback (no OI): (0.0003 + 8 × 0.00001) / 2
    expect(r.bars[0].fundingRate8h).toBeCloseTo((0.0003 + 0.00008) / 2, 15);
    expect(r.notices.join('\n')).toMatch(/equal weights on 1 bars where no funding venue had a known OI/);
  });
});

describe('calendar and 3-day bars', () => {
  it('1M bars take the last close of each calendar month; 3d bars follow the epoch grid', () => {
    // daily closes from 2024-01-30 to 2024-03-02: value = day index
    const pts = daily(
      '2024-01-30',
      Array.from({ length: 33 }, (_, i) => 100 + i)
    );
    const b: Bundle = {
      asset: 'BTC',
      series: [
        { venue: 's', kind: 'spot', quote: 'USD', points: pts },
        { venue: 'p', kind: 'perp', quote: 'USD', points: pts.map(([x, v]) => [x, v - 1] as [number, number]) },
      ],
    };
    const m = compute(b, { timeframe: '1M' });
    // Jan: last day 01-31 (index 1); Feb: 02-29 (index 30); Mar: 03-02 (index 32)
    expect(m.bars.map((x) => [new Date(x.time).toISOString().slice(0, 10), x.spotUsd, x.perpUsd])).toEqual([
      ['2024-01-01', 101, 100],
      ['2024-02-01', 130, 129],
      ['2024-03-01', 132, 131],
    ]);
    expect(m.bars[1].timeEnd).toBe(t('2024-03-01'));
    const d3 = compute(b, { timeframe: '3d' });
    // 2024-01-30 is day 19752 = 3 × 6584: a 3d bucket starts there
    expect(d3.bars[0].time).toBe(t('2024-01-30'));
    expect(d3.bars[0].spotUsd).toBe(102);
    expect(d3.bars.every((x) => (x.time / D) % 3 === 0)).toBe(true);
  });
  it('repeated calls give identical results (internal buffers are reset)', () => {
    const r = prng(11);
    const mk = (n: number): Bundle => ({
      asset: 'BTC',
      series: [
        {
          venue: 's',
          kind: 'spot',
          quote: 'USD',
          points: daily(
            '2023-01-01',
            Array.from({ length: n }, () => 100 + r())
          ),
        },
        {
          venue: 'p',
          kind: 'perp',
          quote: 'USD',
          points: daily(
            '2023-01-02',
            Array.from({ length: n - 5 }, () => 100 + r())
          ),
        },
        {
          venue: 'o',
          kind: 'openInterest',
          unit: 'base',
          points: daily(
            '2023-01-03',
            Array.from({ length: n - 9 }, () => 10 + r())
          ),
        },
      ],
    });
    const a = mk(300);
    const b = mk(120);
    const first = JSON.stringify(compute(a, { timeframe: '1d', lookback: 20 }));
    compute(b, { timeframe: '1d', lookback: 20 });
    compute(b, { timeframe: '1w', lookback: 5 });
    expect(JSON.stringify(compute(a, { timeframe: '1d', lookback: 20 }))).toBe(first);
  });
});

describe('stablecoin conversion', () => {
  const base = (): Series[] => [
    { venue: 'cb', kind: 'spot', quote: 'USD', points: daily('2024-01-01', [100, 100]) },
    { venue: 'bn', kind: 'perp', quote: 'USDT', points: daily('2024-01-01', [100, 99]) },
  ];
  it('converts USDT quotes with a USDT/USD series', () => {
    const series = [
      ...base(),
      { venue: 'kr', kind: 'fx', pair: 'USDT/USD', points: daily('2024-01-01', [1.01, 1.02]) } as Series,
    ];
    const r = compute({ asset: 'BTC', series }, { timeframe: '1d' });
    expect(r.bars[0].perpUsd).toBeCloseTo(101, 12);
    expect(r.bars[1].perpUsd).toBeCloseTo(99 * 1.02, 12);
    expect(r.bars[0].premiumPct).toBeCloseTo(((100 - 101) / 101) * 100, 12);
    expect(r.coverage.unconvertedQuotes).toEqual([]);
  });
  it('converts with an inverse USD/USDT pair', () => {
    const series = [
      ...base(),
      { venue: 'kr', kind: 'fx', pair: 'USD/USDT', points: daily('2024-01-01', [1 / 1.01, 1 / 1.02]) } as Series,
    ];
    const r = compute({ asset: 'BTC', series }, { timeframe: '1d' });
    expect(r.bars[1].perpUsd).toBeCloseTo(99 * 1.02, 10);
  });
  it('uses the quote as is without an fx series, or with stablecoinToUsd=false, and says so', () => {
    const r = compute({ asset: 'BTC', series: base() }, { timeframe: '1d' });
    expect(r.bars[0].perpUsd).toBe(100);
    expect(r.bars[0].premiumPct).toBe(0);
    expect(r.coverage.unconvertedQuotes).toEqual([{ label: 'bn', kind: 'perp', quote: 'USDT' }]);
    expect(r.notices.join('\n')).toMatch(/perp bn quoted in USDT used as USD: no USDT\/USD fx series/);
    const series = [
      ...base(),
      { venue: 'kr', kind: 'fx', pair: 'USDT/USD', points: daily('2024-01-01', [1.01, 1.02]) } as Series,
    ];
    const r2 = compute({ asset: 'BTC', series }, { timeframe: '1d', stablecoinToUsd: false });
    expect(r2.bars[0].perpUsd).toBe(100);
    expect(r2.notices.join('\n')).toMatch(/stablecoinToUsd is false/);
  });
  it('leaves out a fiat quote it cannot convert', () => {
    const series = [
      ...base(),
      { venue: 'kr', kind: 'spot', quote: 'EUR', points: daily('2024-01-01', [90, 90]) } as Series,
    ];
    const r = compute({ asset: 'BTC', series }, { timeframe: '1d' });
    expect(r.bars[0].spotUsd).toBe(100);
    expect(r.notices.join('\n')).toMatch(/quoted in EUR left out/);
  });
});

describe('no-stale rule', () => {
  // 2025-10-20 is a Monday. Spot stops on Saturday 25th, the perp has Sunday 26th.
  const bundle = (): Bundle => ({
    asset: 'BTC',
    series: [
      {
        venue: 'coinbase',
        kind: 'spot',
        quote: 'USD',
        points: daily(
          '2025-10-13',
          Array.from({ length: 13 }, (_, i) => 100 + i)
        ),
      },
      {
        venue: 'binanceusdm',
        kind: 'perp',
        quote: 'USD',
        points: daily(
          '2025-10-13',
          Array.from({ length: 14 }, (_, i) => 99 + i)
        ),
      },
      {
        venue: 'a',
        kind: 'openInterest',
        unit: 'usd',
        points: daily(
          '2025-10-13',
          Array.from({ length: 10 }, () => 10)
        ),
      },
      {
        venue: 'b',
        kind: 'openInterest',
        unit: 'usd',
        points: daily(
          '2025-10-13',
          Array.from({ length: 14 }, () => 20)
        ),
      },
    ],
  });
  it('leaves a spot series that ends on Saturday out of the week whose perp has Sunday', () => {
    const r = compute(bundle(), { timeframe: '1w' });
    expect(r.bars.map((b) => new Date(b.time).toISOString().slice(0, 10))).toEqual(['2025-10-13', '2025-10-20']);
    expect(r.bars[0].spotUsd).toBe(106); // full week: Sunday 19th close
    expect(r.bars[0].premiumPct).toBeCloseTo(((106 - 105) / 105) * 100, 12);
    expect(r.bars[1].spotUsd).toBeNull();
    expect(r.bars[1].premiumPct).toBeNull();
    expect(r.bars[1].perpUsd).toBe(112);
    expect(r.bars[1].venues.spot).toEqual({ coinbase: null });
    expect(r.bars[1].counts.spot).toBe(0);
    expect(r.coverage.bars[1].excluded).toEqual(['spot:coinbase', 'oi:a']);
    expect(r.coverage.staleExclusions).toEqual([
      { label: 'coinbase', kind: 'spot', bars: 1, firstTime: t('2025-10-20'), lastTime: t('2025-10-20') },
      { label: 'a', kind: 'openInterest', bars: 1, firstTime: t('2025-10-20'), lastTime: t('2025-10-20') },
    ]);
    // OI follows the same rule among OI series: a (ends Wednesday 22nd) is left out, b counts
    expect(r.bars[1].oiUsd).toBe(20);
    expect(r.bars[0].oiUsd).toBe(30);
    expect(r.notices.join('\n')).toMatch(/no-stale rule: spot coinbase left out of 1 bar \(2025-10-20\)/);
  });
  it('keeps both on daily bars where both have the day', () => {
    const r = compute(bundle(), { timeframe: '1d' });
    expect(r.bars[12].spotUsd).toBe(112); // Saturday 25th
    expect(r.bars[13].spotUsd).toBeNull(); // Sunday: no spot point at all
    expect(r.coverage.staleExclusions).toEqual([]);
  });
  it('keeps an hourly venue and a daily venue together on daily bars', () => {
    const b: Bundle = {
      asset: 'BTC',
      series: [
        { venue: 'd', kind: 'spot', quote: 'USD', points: daily('2024-01-01', [100, 101]) },
        {
          venue: 'h',
          kind: 'perp',
          quote: 'USD',
          points: Array.from({ length: 48 }, (_, i) => [t('2024-01-01') + i * H, 50 + i]),
        },
      ],
    };
    const r = compute(b, { timeframe: '1d' });
    expect(r.bars.map((x) => [x.spotUsd, x.perpUsd])).toEqual([
      [100, 73],
      [101, 97],
    ]);
  });
});

describe('open interest', () => {
  it('values base-unit OI at the venue perp close, else at the perp basket', () => {
    const b: Bundle = {
      asset: 'BTC',
      series: [
        { venue: 'x', kind: 'perp', quote: 'USD', points: daily('2024-01-01', [100]) },
        { venue: 'y', kind: 'perp', quote: 'USD', points: daily('2024-01-01', [110]) },
        { venue: 'x', kind: 'openInterest', unit: 'base', points: daily('2024-01-01', [2]) },
        { venue: 'z', kind: 'openInterest', unit: 'base', points: daily('2024-01-01', [3]) },
        { venue: 'w', kind: 'openInterest', unit: 'usd', points: daily('2024-01-01', [7]) },
      ],
    };
    const r = compute(b, { timeframe: '1d' });
    expect(r.bars[0].venues.oiUsd).toEqual({ x: 200, z: 315, w: 7 });
    expect(r.bars[0].oiUsd).toBe(522);
    expect(r.bars[0].counts.oi).toBe(3);
  });
  it('chain-links the index when a venue joins and leaves, equal to oiUsd on the last OI bar', () => {
    const b: Bundle = {
      asset: 'BTC',
      series: [
        { venue: 'a', kind: 'openInterest', unit: 'usd', points: daily('2024-01-01', [100, 110, 121, 133.1]) },
        { venue: 'b', kind: 'openInterest', unit: 'usd', points: daily('2024-01-02', [50, 60]) },
      ],
    };
    const r = compute(b, { timeframe: '1d' });
    expect(r.bars.map((x) => x.oiUsd)).toEqual([100, 160, 181, 133.1]);
    const raw = [1, 1.1, 1.1 * (181 / 160), 1.1 * (181 / 160) * 1.1];
    r.bars.forEach((x, i) => expect(x.oiIndexUsd).toBeCloseTo((raw[i] * 133.1) / raw[3], 9));
  });
});

describe('funding composite', () => {
  const s0 = t('2024-01-01T00:00');
  const f = (venue: string, rate: number): Series => ({
    venue,
    kind: 'funding',
    intervalHours: 8,
    points: [1, 2, 3].map((k) => [s0 + k * 8 * H, rate]),
  });
  const oi = (venue: string, usd: number): Series => ({
    venue,
    kind: 'openInterest',
    unit: 'usd',
    points: [[s0, usd]],
  });
  it('weights by venue OI; a venue with unknown OI gets the median known weight', () => {
    const b: Bundle = {
      asset: 'BTC',
      series: [f('a', 0.0001), f('b', 0.0003), f('c', -0.0002), oi('a', 3e9), oi('b', 1e9)],
    };
    const r = compute(b, { timeframe: '1d' });
    // weights 3, 1 and median(3, 1) = 2 for c
    expect(r.bars[0].fundingRate8h).toBeCloseTo((3 * 0.0001 + 1 * 0.0003 + 2 * -0.0002) / 6, 15);
    expect(r.notices.join('\n')).toMatch(/median OI weight/);
    const e = compute(b, { timeframe: '1d', fundingWeighting: 'equal' });
    expect(e.bars[0].fundingRate8h).toBeCloseTo((0.0001 + 0.0003 - 0.0002) / 3, 15);
  });
});

describe('lazy fields', () => {
  it('bar.counts / bar.venues and event.text read like fields and appear in JSON', () => {
    const b: Bundle = {
      asset: 'BTC',
      series: [
        { venue: 's', kind: 'spot', quote: 'USD', points: daily('2024-01-01', [100, 102, 104]) },
        { venue: 'p', kind: 'perp', quote: 'USD', points: daily('2024-01-01', [100, 101, 102]) },
        // OI and funding falling: with lookback 2 their z-scores are −1 (cool), so bullish can fire
        { venue: 'p', kind: 'openInterest', unit: 'usd', points: daily('2024-01-01', [3e9, 2e9, 1e9]) },
        {
          venue: 'p',
          kind: 'funding',
          intervalHours: 24,
          points: daily('2024-01-02', [0.0003, 0.0002, 0.0001]),
        },
      ],
    };
    // one-bar rules on the raw premium (no EMA, no deadbands, no minimum duration): this test is about lazy fields
    const r = compute(b, {
      timeframe: '1d',
      lookback: 2,
      premiumEmaBars: 1,
      premiumSlopeBars: 1,
      premiumDeadbandPct: 0,
      premiumSlopeDeadbandPct: 0,
      stateMinBars: 1,
    });
    expect(r.bars.length).toBe(3);
    expect(r.bars[1].oiZ).toBeCloseTo(-1, 12);
    expect(r.bars[1].fundingZ).toBeCloseTo(-1, 12);
    expect(r.bars[2].counts).toEqual({ spot: 1, perp: 1, oi: 1, funding: 1 });
    expect(r.bars[2].counts).toBe(r.bars[2].counts); // kept after the first read
    expect(r.bars[1].venues.spot).toEqual({ s: 102 });
    const j = JSON.parse(JSON.stringify(r.bars[1]));
    expect(j.venues).toEqual({ spot: { s: 102 }, perp: { p: 101 }, oiUsd: { p: 2e9 }, funding8h: { p: 0.0002 / 3 } });
    expect(j.counts).toEqual({ spot: 1, perp: 1, oi: 1, funding: 1 });
    expect(j.premiumPct).toBeCloseTo((1 / 101) * 100, 12);
    // bullish from bar 1: premium positive and rising (1 / 101 % > 0 %), still rising at bar 2
    expect(r.events.map((e) => [e.kind, e.time, e.timeEnd])).toEqual([['bullish', t('2024-01-02'), t('2024-01-04')]]);
    const e = r.events[0];
    expect(e.text).toMatch(/^2 bars from 2024-01-02 to 2024-01-04; peak bar 2024-01-03: premium 1\.961% /);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      time: e.time,
      timeEnd: e.timeEnd,
      kind: 'bullish',
      title: e.title,
      text: e.text,
    });
    e.text = 'edited';
    expect(e.text).toBe('edited');
  });
});

describe('bars are read-only views over the columns', () => {
  const H4 = 4 * H;
  const s0 = t('2024-05-01T00:00');
  const r = prng(11);
  const n = 200;
  const bundle: Bundle = {
    asset: 'BTC',
    series: [
      {
        venue: 'a',
        kind: 'spot',
        quote: 'USD',
        points: Array.from({ length: n }, (_, i) => [s0 + i * H4 + 3 * H, 100 + r()]),
      },
      // a second spot venue with hourly points: none in every 7th bar, only the first hour of every 5th (stale there)
      { venue: 'b', kind: 'spot', quote: 'USD', points: hourlyB() },
      {
        venue: 'p',
        kind: 'perp',
        quote: 'USD',
        points: Array.from({ length: n }, (_, i) => [s0 + i * H4 + 3 * H, 99 + r()]),
      },
      {
        venue: 'p',
        kind: 'openInterest',
        unit: 'base',
        points: Array.from({ length: n }, (_, i) => [s0 + i * H4, 10 + r()]),
      },
      {
        venue: 'p',
        kind: 'funding',
        intervalHours: 8,
        points: Array.from({ length: n / 2 }, (_, i) => [s0 + (i + 1) * 8 * H, 1e-4 * r()]),
      },
    ],
  };
  function hourlyB(): Array<[number, number]> {
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      for (let h = 0; h < 4; h++) {
        if (i % 7 !== 0 && (h === 0 || i % 5 !== 0)) {
          pts.push([s0 + i * H4 + h * H, 100 + r()]);
        }
      }
    }
    return pts;
  }
  const opts = { timeframe: '4h' as const, lookback: 20 };
  const res = compute(bundle, opts);
  const cols = computeColumns(bundle, opts);
  const nul = (x: number) => (Number.isFinite(x) ? x : null);
  const fields = [
    'time',
    'timeEnd',
    'spotUsd',
    'perpUsd',
    'premiumPct',
    'premiumZ',
    'oiUsd',
    'oiIndexUsd',
    'oiZ',
    'fundingRate8h',
    'fundingAprPct',
    'fundingZ',
    'extremeScore',
  ] as const;

  it('every field reads the column at its index, NaN as null', () => {
    expect(res.bars).toHaveLength(cols.length);
    let known = 0;
    res.bars.forEach((b, i) => {
      for (const f of fields) {
        expect(b[f]).toBe(nul(cols[f][i]));
        known += b[f] === null ? 0 : 1;
      }
      expect(b.states).toEqual(statesOfMask(cols.states[i]));
      expect(b.counts).toEqual({
        spot: cols.counts.spot[i],
        perp: cols.counts.perp[i],
        oi: cols.counts.oi[i],
        funding: cols.counts.funding[i],
      });
    });
    expect(known).toBeGreaterThan(fields.length * n * 0.8); // the comparison is not all nulls
  });

  it('toJSON and JSON.stringify give the plain bar; spread and Object.keys see no fields; writes throw', () => {
    const b = res.bars[30];
    const plain = (b as Bar & { toJSON?: () => Bar }).toJSON?.();
    expect(plain).toBeDefined();
    expect(Object.keys(plain!)).toEqual([...fields, 'states', 'counts', 'venues']);
    expect(plain!.premiumPct).toBe(b.premiumPct);
    expect(JSON.parse(JSON.stringify(b))).toEqual(JSON.parse(JSON.stringify(plain)));
    expect(Object.keys(b)).toEqual([]);
    expect(Object.keys({ ...b })).toEqual([]);
    expect(() => {
      (b as { premiumPct: number | null }).premiumPct = 1;
    }).toThrow(TypeError);
    expect(() => {
      (b.states as string[]).push('bullish');
    }).toThrow(TypeError);
  });

  it('coverage rows are views too, built on first read, with the no-stale exclusions of their bar', () => {
    const rows = res.coverage.bars;
    expect(res.coverage.bars).toBe(rows);
    expect(rows).toHaveLength(cols.length);
    const byTime = new Map(cols.excluded.map((e) => [e.time, e.excluded]));
    expect(byTime.size).toBeGreaterThan(10); // the late venue b is left out on many bars
    rows.forEach((c, i) => {
      expect(c.time).toBe(cols.time[i]);
      expect([c.spot, c.perp, c.oi, c.funding]).toEqual([
        cols.counts.spot[i],
        cols.counts.perp[i],
        cols.counts.oi[i],
        cols.counts.funding[i],
      ]);
      expect(c.excluded).toEqual(byTime.get(cols.time[i]) ?? []);
    });
    const j = JSON.parse(JSON.stringify(res.coverage));
    expect(Object.keys(j)).toEqual(['series', 'staleExclusions', 'unconvertedQuotes', 'notes', 'bars']);
    const row = (rows[5] as BarCoverage & { toJSON?: () => BarCoverage }).toJSON?.();
    expect(row).toBeDefined();
    expect(j.bars[5]).toEqual({ ...row });
  });
});

describe('funding z on the chain-linked composite', () => {
  it('a venue joining at another level moves fundingRate8h but not the linked composite, hand-computed', () => {
    const s0 = t('2024-01-01T00:00');
    const f = (venue: string, fromDay: number, days: number, rate: number): Series => ({
      venue,
      kind: 'funding',
      intervalHours: 8,
      points: Array.from(
        { length: days * 3 },
        (_, k) => [s0 + fromDay * D + (k + 1) * 8 * H, rate] as [number, number]
      ),
    });
    const b: Bundle = { asset: 'BTC', series: [f('a', 0, 4, 0.0001), f('b', 2, 2, 0.0005)] };
    const cols = computeColumns(b, { timeframe: '1d', lookback: 2 });
    // equal weights (no OI): 0.0001, 0.0001, then (0.0001 + 0.0005) / 2 = 0.0003
    expect(Array.from(cols.fundingRate8h)).toEqual([
      0.0001,
      0.0001,
      expect.closeTo(0.0003, 15),
      expect.closeTo(0.0003, 15),
    ]);
    // no venue changed its own rate: the linked composite is flat, anchored to 0.0003 on the last bar
    Array.from(cols.fundingLinked8h).forEach((x) => expect(x).toBeCloseTo(0.0003, 15));
    // so z never sees the join (sd = 0 → null)
    expect(compute(b, { timeframe: '1d', lookback: 2 }).bars.map((x) => x.fundingZ)).toEqual([null, null, null, null]);
    // a within-venue change does move it: venue a steps from 0.0001 to 0.0002 on day 4
    const a2: Series = { ...f('a', 0, 4, 0.0001) };
    a2.points = a2.points.map(([tt, r]) => [tt, tt > s0 + 3 * D ? 0.0002 : r]);
    const c2 = computeColumns({ asset: 'BTC', series: [a2, f('b', 2, 2, 0.0005)] }, { timeframe: '1d', lookback: 2 });
    // linked: level changes only on day 4 by (0.0002 − 0.0001 + 0) / 2 = 0.00005; anchored to the last composite 0.00035
    expect(Array.from(c2.fundingLinked8h).map((x) => +x.toFixed(8))).toEqual([0.0003, 0.0003, 0.0003, 0.00035]);
  });
});

describe('premium basket property', () => {
  it('adding a venue equal to the basket leaves premiumPct unchanged', () => {
    const r = prng(2024);
    const n = 200;
    const mk = (venue: string, kind: 'spot' | 'perp'): Series => ({
      venue,
      kind,
      quote: 'USD',
      points: daily(
        '2023-01-01',
        Array.from({ length: n }, () => 30000 + r() * 1000)
      ),
    });
    const series = [mk('s1', 'spot'), mk('s2', 'spot'), mk('s3', 'spot'), mk('p1', 'perp'), mk('p2', 'perp')];
    const before = compute({ asset: 'BTC', series }, { timeframe: '1d', lookback: 20 });
    const spotMean = before.bars.map((b) => b.spotUsd as number);
    const perpMean = before.bars.map((b) => b.perpUsd as number);
    const extra: Series[] = [
      { venue: 's4', kind: 'spot', quote: 'USD', points: daily('2023-01-01', spotMean) },
      { venue: 'p3', kind: 'perp', quote: 'USD', points: daily('2023-01-01', perpMean) },
    ];
    const after = compute({ asset: 'BTC', series: [...series, ...extra] }, { timeframe: '1d', lookback: 20 });
    after.bars.forEach((b, i) => {
      expect(b.premiumPct).toBeCloseTo(before.bars[i].premiumPct as number, 9);
      expect(b.counts.spot).toBe(4);
    });
  });
  it('volume weighting uses quote volumes in the bucket', () => {
    const b: Bundle = {
      asset: 'BTC',
      series: [
        {
          venue: 'a',
          kind: 'spot',
          quote: 'USD',
          points: daily('2024-01-01', [100]),
          volumes: daily('2024-01-01', [3]),
        },
        {
          venue: 'b',
          kind: 'spot',
          quote: 'USD',
          points: daily('2024-01-01', [104]),
          volumes: daily('2024-01-01', [1]),
        },
        { venue: 'p', kind: 'perp', quote: 'USD', points: daily('2024-01-01', [100]) },
      ],
    };
    expect(compute(b, { timeframe: '1d', basketWeighting: 'volume' }).bars[0].spotUsd).toBe(101);
    expect(compute(b, { timeframe: '1d' }).bars[0].spotUsd).toBe(102);
  });
});

describe('z-scores, smoothing and range in compute', () => {
  const r = prng(77);
  const n = 120;
  const spot = Array.from({ length: n }, () => 100 + r());
  const perp = Array.from({ length: n }, () => 100 + r());
  const bundle: Bundle = {
    asset: 'BTC',
    series: [
      { venue: 's', kind: 'spot', quote: 'USD', points: daily('2024-01-01', spot) },
      { venue: 'p', kind: 'perp', quote: 'USD', points: daily('2024-01-01', perp) },
    ],
  };
  it('smooths premium with an SMA of k bars and z-scores it over lookback bars', () => {
    const res = compute(bundle, { timeframe: '1d', lookback: 10, premiumSmoothing: 3 });
    const raw = spot.map((s, i) => ((s - perp[i]) / perp[i]) * 100);
    const i = 50;
    const sm = (j: number) => (raw[j] + raw[j - 1] + raw[j - 2]) / 3;
    expect(res.bars[i].premiumPct).toBeCloseTo(sm(i), 12);
    const win = Array.from({ length: 10 }, (_, k) => sm(i - k));
    const mean = win.reduce((a, b) => a + b, 0) / 10;
    const sd = Math.sqrt(win.reduce((a, b) => a + (b - mean) ** 2, 0) / 10);
    expect(res.bars[i].premiumZ).toBeCloseTo((sm(i) - mean) / sd, 9);
    expect(res.bars[1].premiumPct).toBeNull();
    expect(res.bars[10].premiumZ).toBeNull(); // only 9 smoothed values so far (bars 2..10)
    expect(res.bars[11].premiumZ).not.toBeNull();
  });
  it('slices to [from, to] after computing on all data, and checks the range', () => {
    const full = compute(bundle, { timeframe: '1d', lookback: 10 });
    const part = compute(bundle, { timeframe: '1d', lookback: 10, from: t('2024-02-01T12:00'), to: t('2024-02-10') });
    expect(part.bars.length).toBe(10);
    expect(part.bars[0].time).toBe(t('2024-02-01'));
    expect(part.bars[0].premiumZ).toBe(full.bars[31].premiumZ);
    expect(part.coverage.bars.length).toBe(10);
    expect(() => compute(bundle, { from: t('2024-02-10'), to: t('2024-02-01') })).toThrow(BtcFlowInputError);
    expect(() => compute(bundle, { timeframe: '2h' as never })).toThrow(/allowed: 1h, 4h, 1d, 3d, 1w, 1M/);
    expect(() => compute(bundle, { lookback: 0 })).toThrow(/option lookback/);
  });
  it('uses defaultLookback per timeframe when lookback is auto', () => {
    expect(defaultLookback('1w')).toBe(52);
    expect(defaultLookback('1d')).toBe(90);
    const res = compute(bundle, { timeframe: '1d' });
    expect(res.bars[88].premiumZ).toBeNull();
    expect(res.bars[89].premiumZ).not.toBeNull();
  });
  it('produces no NaN or Infinity anywhere, even with a single point', () => {
    allFinite(compute(bundle, { timeframe: '1w' }));
    allFinite(compute({ asset: 'BTC', series: [{ venue: 'x', kind: 'spot', quote: 'USD', points: [[0, 1]] }] }));
    expect(compute({ asset: 'BTC', series: [] }).bars).toEqual([]);
  });
});

function metrics(rows: Array<[number, number, number, number, number]>) {
  // [premiumPct, premiumZ, oiZ, fundingZ, fundingAprPct]
  const col = (k: number) => Float64Array.from(rows.map((r) => r[k]));
  return {
    premium: col(0),
    premiumZ: col(1),
    oiUsd: new Float64Array(rows.length).fill(1e9),
    oiZ: col(2),
    funding: Float64Array.from(rows.map((r) => r[4] / 1095 / 100)),
    fundingApr: col(4),
    fundingZ: col(3),
  };
}

describe('confluence and extreme rules', () => {
  const o = { ...DEFAULT_OPTIONS };
  it('bullish / bearish / overLeverage follow the documented thresholds (one-bar entry tests, hysteresis on exit)', () => {
    // entry tests on the raw premium with a one-bar slope and no deadbands or minimum duration, so that each row's
    // state can be read off the row; exits use the default hysteresis (premiumExitMarginPct 0.05, overLeverageExitOiZ 1)
    const one = {
      ...o,
      premiumEmaBars: 1,
      premiumSlopeBars: 1,
      premiumDeadbandPct: 0,
      premiumSlopeDeadbandPct: 0,
      stateMinBars: 1,
    };
    const m = metrics([
      [0.01, 0, 0, 0, 10],
      [0.02, 0, 0.5, 0.5, 10], // premium positive & rising, OI and funding cool → bullish
      [0.03, 0, 1.2, 0, 10], // OI z ≥ bullishMaxOiZ (1) → not bullish (the filter applies while holding too)
      [0.04, 0, 0, 0, 35], // funding APR ≥ 30 → not bullish
      [-0.01, 0, 1.0, 0, 10], // negative & falling, OI z ≥ 1 → bearish
      [-0.02, 0, 0.2, 0.3, 10], // negative & falling, no leverage → bearish ends
      [0.0, 0, 2.1, 1.0, 31], // OI z ≥ 2 and APR ≥ 30 → overLeverage
      [0.0, 0, 2.1, 2.0, 5], // OI z ≥ 2 and funding z ≥ 2 → overLeverage
      [0.0, 0, 1.9, 3.0, 50], // OI z < 2 would not start it, but 1.9 ≥ exit 1 → overLeverage holds
      [0.05, NaN, NaN, NaN, NaN], // rising, but the z-scores unknown → not bullish (issue 16: no state without its z); OI z unknown ends overLeverage
    ]);
    const states = statesOf(computeStates(m, 10, one));
    expect(states).toEqual([
      [],
      ['bullish'],
      [],
      [],
      ['bearish'],
      [],
      ['overLeverage'],
      ['overLeverage'],
      ['overLeverage'],
      [],
    ]);
    // without hysteresis (exit threshold = entry threshold) row 8 is not overLeverage: the definition is unchanged
    expect(statesOf(computeStates(m, 10, { ...one, overLeverageExitOiZ: 2 }))[8]).toEqual([]);
    // one z unknown is enough to block bullish; APR unknown alone does not
    const half = metrics([
      [0.01, 0, 0, 0, 10],
      [0.02, 0, NaN, 0.5, 10],
      [0.03, 0, 0.5, NaN, 10],
      [0.04, 0, 0.5, 0.5, NaN],
    ]);
    expect(statesOf(computeStates(half, 4, one))).toEqual([[], [], [], ['bullish']]);
  });
  it('extreme top/bottom: ≥ 2 signed z beyond ±extremeZ (2) and mean beyond ±extremeScoreMin (2.5), hysteresis to ±1', () => {
    const m = metrics([
      [0, -2.6, 2.7, 1.9, 0], // signed: 2.6, 2.7, 1.9 → two ≥ 2, mean 2.4 < 2.5 → nothing yet
      [0, -2.6, 2.7, 2.3, 0], // signed: 2.6, 2.7, 2.3 → three ≥ 2, mean 2.533 ≥ 2.5 → top
      [0, -1.0, 1.5, 1.0, 0], // mean 1.167 ≥ exit 1 → top continues
      [0, -0.5, 0.5, 0.5, 0], // mean 0.5 → ends
      [0, -2.5, 2.5, -1.0, 0], // two ≥ 2 but mean 1.33 < 2.5 → nothing
      [0, 3, -2.5, NaN, 0], // signed −3, −2.5 (funding missing) → bottom on two metrics
      [0, 3, NaN, NaN, 0], // only one metric: no new extreme, but hysteresis of bottom holds (−3 ≤ −1)
    ]);
    const res = computeStates(m, 7, o);
    const { score, missing } = res;
    const states = statesOf(res);
    expect(states.map((s) => s.filter((k) => k.startsWith('extreme')))).toEqual([
      [],
      ['extremeTop'],
      ['extremeTop'],
      [],
      [],
      ['extremeBottom'],
      ['extremeBottom'],
    ]);
    expect(score[0]).toBeCloseTo((2.6 + 2.7 + 1.9) / 3, 12);
    expect(score[1]).toBeCloseTo((2.6 + 2.7 + 2.3) / 3, 12);
    expect(score[5]).toBeCloseTo(-2.75, 12);
    const notes = missing(0, 7).join('\n');
    expect(notes).toMatch(/funding z unavailable on 2 of 7 bars/);
    expect(notes).toMatch(/OI z unavailable on 1 of 7 bars/);
    const cold = statesOf(computeStates(m, 7, { ...o, extremeExitScore: 99 }));
    const coldExtremes = cold.map((st) => st.filter((k) => k.startsWith('extreme')));
    expect(coldExtremes[2]).toEqual([]);
    expect(coldExtremes[6]).toEqual([]);
  });
});

describe('events', () => {
  const bar = (i: number, states: Bar['states']): Bar => ({
    time: i * D,
    timeEnd: (i + 1) * D,
    spotUsd: 1,
    perpUsd: 1,
    premiumPct: i / 10,
    premiumZ: 0,
    oiUsd: 1e9,
    oiIndexUsd: 1e9,
    oiZ: i,
    fundingRate8h: 0.0001,
    fundingAprPct: 10.95,
    fundingZ: 0,
    extremeScore: 0,
    states,
    venues: { spot: {}, perp: {}, oiUsd: {}, funding8h: {} },
    counts: { spot: 1, perp: 1, oi: 1, funding: 1 },
  });
  it('merges consecutive bars in one state; time = first start, timeEnd = last end', () => {
    const bars = [
      bar(0, ['bullish']),
      bar(1, ['bullish']),
      bar(2, []),
      bar(3, ['bullish', 'overLeverage']),
      bar(4, ['overLeverage']),
      bar(5, ['overLeverage']),
    ];
    const ev = buildEvents(bars, DEFAULT_OPTIONS);
    expect(ev.map((e) => [e.kind, e.time / D, e.timeEnd / D])).toEqual([
      ['bullish', 0, 2],
      ['bullish', 3, 4],
      ['overLeverage', 3, 6],
    ]);
    expect(ev[0].title).toBe('Bullish flow: spot leads');
    expect(ev[2].text).toMatch(
      /^3 bars from 1970-01-04 to 1970-01-07; peak bar 1970-01-06: premium 0\.500% \(z 0\.00\), OI \$1\.00B \(index z 5\.00\)/
    );
    expect(ev[2].text).toMatch(/funding 0\.0100%\/8h = 10\.9% APR/);
  });
});
