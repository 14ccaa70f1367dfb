/** @jest-environment node */
import { compactUsd, formatCsv, formatJson, formatTable, isoTime, toOutputDocument } from './format';

/** An engine-like result with every kind of bad number in it, and extra fields that must not leak out. */
function nasty(): any {
  return {
    timeframe: '1h',
    bars: [
      {
        time: Date.UTC(2024, 0, 1, 5),
        timeEnd: Date.UTC(2024, 0, 1, 6),
        spotUsd: 100,
        perpUsd: NaN,
        premiumPct: Infinity,
        premiumZ: -Infinity,
        oiUsd: undefined,
        oiIndexUsd: null,
        oiZ: 1.5,
        fundingRate8h: 0.0001,
        fundingAprPct: 10.95,
        fundingZ: Number.NaN,
        extremeScore: 3,
        venues: { spot: { a: 1 } },
        counts: { spot: 1 },
        states: ['bullish', 'overLeverage'],
      },
    ],
    events: [
      {
        time: Date.UTC(2024, 0, 1, 5),
        timeEnd: Date.UTC(2024, 0, 1, 6),
        kind: 'bullish',
        title: 'T, "quoted"',
        text: 'a\nb',
        extra: 1,
      },
    ],
    coverage: {
      series: [{ first: NaN, last: Infinity, n: 3 }],
      notes: ['x'],
      nested: { deep: [1, -Infinity, undefined] },
    },
    notices: ['not in the output'],
  };
}

describe('output document', () => {
  const doc = toOutputDocument(nasty());
  const text = formatJson(doc);

  it('never contains NaN or Infinity, and is valid JSON', () => {
    expect(text).not.toMatch(/NaN|Infinity|undefined/);
    const back = JSON.parse(text);
    expect(back.bars[0]).toEqual({
      time: Date.UTC(2024, 0, 1, 5),
      spotUsd: 100,
      perpUsd: null,
      premiumPct: null,
      premiumZ: null,
      oiUsd: null,
      oiIndexUsd: null,
      oiZ: 1.5,
      fundingRate8h: 0.0001,
      fundingAprPct: 10.95,
      fundingZ: null,
      states: ['bullish', 'overLeverage'],
    });
    expect(back.coverage).toEqual({
      series: [{ first: null, last: null, n: 3 }],
      notes: ['x'],
      nested: { deep: [1, null, null] },
    });
  });

  it('has exactly the documented keys, in order', () => {
    const back = JSON.parse(text);
    expect(Object.keys(back)).toEqual(['timeframe', 'bars', 'events', 'coverage']);
    expect(Object.keys(back.events[0])).toEqual(['time', 'timeEnd', 'kind', 'title', 'text']);
  });

  it('writes one bar per line', () => {
    const barLines = text.split('\n').filter((l) => l.trim().startsWith('{"time"'));
    expect(barLines.length).toBe(2); // the bar and the event
  });
});

describe('csv and table details', () => {
  const doc = toOutputDocument(nasty());
  it('csv: unknown values are empty cells, states joined with |', () => {
    const lines = formatCsv(doc).trimEnd().split('\n');
    expect(lines[1]).toBe(
      `${Date.UTC(2024, 0, 1, 5)},2024-01-01T05:00:00.000Z,100,,,,,,1.5,0.0001,10.95,,bullish|overLeverage`
    );
  });
  it('table: intraday bars show the hour; unknown values are "-"; event text stays on one line', () => {
    const t = formatTable(doc);
    expect(t.split('\n')[1]).toMatch(
      /^2024-01-01 05:00Z\s+100\.00\s+-\s+-\s+-\s+-\s+-\s+1\.50\s+0\.0100\s+10\.95\s+-\s+bullish,overLeverage$/
    );
    expect(t).toContain('a b');
  });
  it('helpers', () => {
    expect(isoTime(Date.UTC(2021, 3, 14), '1d')).toBe('2021-04-14');
    expect(isoTime(Date.UTC(2021, 3, 14, 8), '4h')).toBe('2021-04-14 08:00Z');
    expect(isoTime(null, '1d')).toBe('');
    expect(compactUsd(27_859_540_914)).toBe('27.86B');
    expect(compactUsd(912_400_000)).toBe('912.40M');
    expect(compactUsd(45_200)).toBe('45.2k');
    expect(compactUsd(1.2e12)).toBe('1.20T');
  });
});
