/** @jest-environment node */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bundle, EngineResult, compute } from '../src/core';
import {
  BAR_FIELDS,
  COVERAGE_BAR_FIELDS,
  EVENT_FIELDS,
  OutputFormat,
  compactUsd,
  formatCsv,
  formatJson,
  formatTable,
  isoTime,
  sanitize,
  toOutputDocument,
  writeDocument,
} from './format';

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

describe('JSON of engine results: the documented fields, read from the row views (issue 16 item 1)', () => {
  // the documented shape: the example block of docs/cli.md (`--format json`)
  const md = readFileSync(join(__dirname, '..', 'docs', 'cli.md'), 'utf8');
  const block = /### `--format json`[\s\S]*?```json\n([\s\S]*?)```/.exec(md)![1];
  const keysOfLine = (re: RegExp): string[] => Object.keys(JSON.parse(re.exec(block)![1]));
  const docBar = keysOfLine(/^\s*(\{"time":\d+,"spotUsd".*\}),?$/m);
  const docEvent = keysOfLine(/"events": \[\n\s*(\{.*\})\n/);
  const docCovSeries = keysOfLine(/"series": \[ (\{.*?\}), \.\.\. \]/);
  const docCovBar = keysOfLine(/"bars": \[ (\{.*?\}), \.\.\. \]/);
  const docCoverage = [...block.matchAll(/^ {4}"(\w+)":/gm)].map((m) => m[1]);

  const H = 3_600_000;
  const t0 = Date.UTC(2024, 0, 1);
  const n = 30 * 24;
  const hours = Array.from({ length: n }, (_, i) => t0 + i * H);
  const bundle: Bundle = {
    asset: 'BTC',
    series: [
      { venue: 'coinbase', kind: 'spot', quote: 'USD', points: hours.map((t, i) => [t, 100 + Math.sin(i / 9)]) },
      // kraken stops an hour early every day: the no-stale rule leaves it out of some 1d bars
      {
        venue: 'kraken',
        kind: 'spot',
        quote: 'USD',
        points: hours.filter((t) => t % 86_400_000 < 20 * H).map((t, i) => [t, 100.2 + Math.cos(i / 7)]),
      },
      { venue: 'bybit', kind: 'perp', quote: 'USD', points: hours.map((t, i) => [t, 99.8 + Math.sin(i / 8)]) },
      { venue: 'bybit', kind: 'openInterest', unit: 'usd', points: hours.map((t, i) => [t, 1e9 + 1e7 * (i % 50)]) },
      {
        venue: 'bybit',
        kind: 'funding',
        intervalHours: 8,
        points: hours.filter((t) => t % (8 * H) === 0 && t > t0).map((t, i) => [t, 0.0001 * Math.sin(i)]),
      },
    ],
  };
  const result = compute(bundle, { timeframe: '1d', lookback: 5 });
  let writes = 0;
  const text = collectWrites(result, 'json', () => writes++);
  const doc = JSON.parse(text);

  it('the docs example names the fields this test checks', () => {
    expect(docBar).toEqual(['time', ...BAR_FIELDS.slice(1), 'states']);
    expect(docEvent).toEqual([...EVENT_FIELDS]);
    expect(docCovBar).toEqual([...COVERAGE_BAR_FIELDS]);
    expect(docCovSeries.length).toBeGreaterThan(3);
  });

  it('bars, events and coverage rows carry exactly the documented fields, with the engine values', () => {
    expect(doc.bars.length).toBe(result.bars.length);
    expect(doc.bars.length).toBe(30);
    doc.bars.forEach((b: Record<string, unknown>, i: number) => {
      expect(Object.keys(b)).toEqual(docBar);
      expect(b.time).toBe(result.bars[i].time);
      expect(b.oiUsd).toBe(result.bars[i].oiUsd);
    });
    expect(doc.events.length).toBe(result.events.length);
    doc.events.forEach((e: Record<string, unknown>) => expect(Object.keys(e)).toEqual(docEvent));
    expect(Object.keys(doc.coverage)).toEqual(docCoverage);
    doc.coverage.series.forEach((s: Record<string, unknown>) => expect(Object.keys(s)).toEqual(docCovSeries));
    expect(doc.coverage.bars.length).toBe(30);
    let excludedSeen = 0;
    doc.coverage.bars.forEach((c: Record<string, unknown>, i: number) => {
      expect(Object.keys(c)).toEqual(docCovBar);
      const counts = result.bars[i].counts;
      expect(c).toEqual({
        time: result.bars[i].time,
        spot: counts.spot,
        perp: counts.perp,
        oi: counts.oi,
        funding: counts.funding,
        excluded: [...result.coverage.bars[i].excluded],
      });
      excludedSeen += (c.excluded as string[]).length;
    });
    expect(doc.coverage.bars[3]).toMatchObject({ spot: 1, perp: 1, oi: 1, funding: 1, excluded: ['spot:kraken'] });
    expect(excludedSeen).toBe(30);
  });

  it('the streamed text equals the whole-document text, for json and csv, and comes in chunks', () => {
    const whole = toOutputDocument(result);
    expect(text).toBe(formatJson(whole));
    expect(collectWrites(result, 'csv')).toBe(formatCsv(whole));
    expect(collectWrites(result, 'table')).toBe(formatTable(whole));
    expect(writes).toBe(1); // small output: one chunk
    const big = compute(bundle, { timeframe: '1h', lookback: 5 });
    let bigWrites = 0;
    const bigText = collectWrites(big, 'json', () => bigWrites++);
    expect(bigText).toBe(formatJson(toOutputDocument(big)));
    expect(bigWrites).toBeGreaterThan(2);
  });

  it('csv: timeIso is the full ISO time of every row (the per-day formatter equals toISOString)', () => {
    const big = compute(bundle, { timeframe: '1h', lookback: 5 });
    const lines = collectWrites(big, 'csv').trimEnd().split('\n').slice(1);
    expect(lines.length).toBe(big.bars.length);
    lines.forEach((l, i) => {
      const [time, iso] = l.split(',');
      expect(Number(time)).toBe(big.bars[i].time);
      expect(iso).toBe(new Date(big.bars[i].time).toISOString());
    });
    // odd milliseconds and a time before 1970 too
    const odd = { ...toOutputDocument(big), bars: [{ ...toOutputDocument(big).bars[0], time: -86_399_999 }] };
    expect(formatCsv(odd).split('\n')[1].split(',')[1]).toBe(new Date(-86_399_999).toISOString());
    const odd2 = { ...odd, bars: [{ ...odd.bars[0], time: Date.UTC(2024, 1, 29, 23, 59, 59, 7) }] };
    expect(formatCsv(odd2).split('\n')[1].split(',')[1]).toBe('2024-02-29T23:59:59.007Z');
  });

  it('sanitize copies objects with toJSON (views) through it', () => {
    class View {
      get a() {
        return 1;
      }
      toJSON() {
        return { a: this.a, b: Infinity };
      }
    }
    expect(sanitize({ rows: [new View()] })).toEqual({ rows: [{ a: 1, b: null }] });
  });
});

function collectWrites(result: EngineResult, format: OutputFormat, onWrite: () => void = () => undefined): string {
  const parts: string[] = [];
  writeDocument(result, format, (t) => {
    onWrite();
    parts.push(t);
  });
  return parts.join('');
}
