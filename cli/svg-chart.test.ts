/** @jest-environment node */
import { JSDOM } from 'jsdom';
import {
  ChartInput,
  PriceChartInput,
  chartGeometry,
  niceLog,
  priceChartGeometry,
  renderChart,
  renderPriceChart,
} from './svg-chart';

const WEEK = 7 * 86_400_000;
const T0 = Date.UTC(2020, 0, 6); // a Monday
const times = Array.from({ length: 104 }, (_, k) => T0 + k * WEEK);

function input(over: Partial<ChartInput> = {}): ChartInput {
  return {
    title: 'Test <chart> & co',
    times,
    barMs: WEEK,
    lines: [
      { label: 'a', color: '#f00', values: times.map((_, k) => (k < 10 ? null : Math.sin(k / 5) * 3)) },
      { label: 'b', color: '#0f0', values: times.map((_, k) => (k % 20 === 5 ? null : 1)) },
      { label: 'c', color: '#00f', values: times.map((_, k) => (k === 50 ? 12 : -1)) },
    ],
    regions: [
      { start: times[20], end: times[23], kind: 'extremeTop' },
      { start: times[70], end: times[71], kind: 'extremeBottom' },
      { start: times[80], end: times[81], kind: 'unstyled' },
    ],
    regionStyles: {
      extremeTop: { label: 'top', color: '#d62728', marker: 'top' },
      extremeBottom: { label: 'bottom', color: '#2ca02c', marker: 'bottom' },
    },
    band: 2,
    ...over,
  };
}

/** Coordinates are written rounded to 0.1 px. */
function near(a: number, b: number) {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(0.0501);
}

function parse(svg: string): Document {
  const dom = new JSDOM(svg, { contentType: 'image/svg+xml' });
  const doc = dom.window.document;
  expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
  return doc;
}

/** Parses "M1,2L3,4M5,6" into runs of [x, y] points. */
function runs(d: string): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  for (const m of d.matchAll(/([ML])(-?[\d.]+),(-?[\d.]+)/g)) {
    if (m[1] === 'M') {
      out.push([]);
    }
    out[out.length - 1].push([Number(m[2]), Number(m[3])]);
  }
  return out;
}

describe('renderChart', () => {
  const svg = renderChart(input());
  const doc = parse(svg);
  const g = chartGeometry(input());

  it('is well-formed SVG with escaped text, a title, one path per line and a legend entry per line and region style', () => {
    expect(doc.documentElement.tagName).toBe('svg');
    expect(doc.getElementsByTagName('title')[0].textContent).toBe('Test <chart> & co');
    const paths = [...doc.querySelectorAll('path.line')];
    expect(paths.map((p) => p.getAttribute('data-label'))).toEqual(['a', 'b', 'c']);
    const texts = [...doc.getElementsByTagName('text')].map((t) => t.textContent);
    for (const label of ['a', 'b', 'c', 'top', 'bottom', '±2']) {
      expect(texts).toContain(label);
    }
  });

  it('breaks lines at nulls', () => {
    const [a, b, c] = [...doc.querySelectorAll('path.line')].map((p) => runs(p.getAttribute('d')!));
    expect(a).toHaveLength(1);
    expect(a[0]).toHaveLength(94);
    // nulls at k = 5, 25, 45, 65, 85 split b into 6 runs
    expect(b).toHaveLength(6);
    expect(b.reduce((s, r) => s + r.length, 0)).toBe(99);
    expect(c).toHaveLength(1);
  });

  it('maps time and value linearly: x over [first bar start, last bar end], y symmetric, clipped at the range', () => {
    // y range: max |value| is 12 → capped at 8
    expect(g.yMax).toBe(8);
    const left = 56;
    const right = 1200 - 20;
    const top = 72;
    const bottom = 480 - 44;
    const span = times[103] + WEEK - times[0];
    const c = runs(doc.querySelectorAll('path.line')[2].getAttribute('d')!)[0];
    // bar k is drawn at its middle
    const xOf = (k: number) => left + ((times[k] + WEEK / 2 - times[0]) / span) * (right - left);
    const yOf = (v: number) => top + ((8 - v) / 16) * (bottom - top);
    near(c[0][0], xOf(0));
    near(c[0][1], yOf(-1));
    near(c[50][0], xOf(50));
    near(c[50][1], top); // 12 clipped to +8 = top edge
    const b = runs(doc.querySelectorAll('path.line')[1].getAttribute('d')!)[0];
    near(b[0][1], yOf(1));
  });

  it('shades one region per styled event over the event span, with the ±2 band', () => {
    const rects = [...doc.querySelectorAll('rect.region')];
    expect(rects.map((r) => r.getAttribute('data-kind'))).toEqual(['extremeTop', 'extremeBottom']);
    const x0 = Number(rects[0].getAttribute('x'));
    const w = Number(rects[0].getAttribute('width'));
    near(x0, g.x(times[20]));
    expect(x0 + w).toBeCloseTo(g.x(times[23]), 0);
    const band = doc.querySelector('rect.band')!;
    near(Number(band.getAttribute('y')), g.y(2));
    near(Number(band.getAttribute('y')) + Number(band.getAttribute('height')), g.y(-2));
  });

  it('labels the years on the time axis', () => {
    const years = [...doc.querySelectorAll('text.year')].map((t) => t.textContent);
    expect(years).toEqual(['2020', '2021']);
  });

  it('y range follows the data, at least band + 1', () => {
    const small = chartGeometry(input({ lines: [{ label: 'x', color: '#000', values: times.map(() => 0.5) }] }));
    expect(small.yMax).toBe(3);
    const mid = chartGeometry(
      input({ lines: [{ label: 'x', color: '#000', values: times.map((_, k) => (k === 3 ? -4.2 : 0)) }] })
    );
    expect(mid.yMax).toBe(5);
  });
});

describe('renderPriceChart (log-scale price with onset lanes)', () => {
  const DAYMS = 86_400_000;
  const days = Array.from({ length: 400 }, (_, k) => T0 + k * DAYMS);
  const pInput = (over: Partial<PriceChartInput> = {}): PriceChartInput => ({
    title: 'Price & onsets',
    times: days,
    barMs: DAYMS,
    prices: days.map((_, k) => (k === 50 ? null : 3000 * 10 ** (k / 399))), // 3,000 → 30,000, one gap
    priceLabel: 'perp USD',
    lanes: [
      { kind: 'bullish', label: 'bullish', color: '#0a0' },
      { kind: 'bearish', label: 'bearish', color: '#a00' },
    ],
    markers: [
      { t: days[10], kind: 'bullish', shape: 'tick' },
      { t: days[200], kind: 'bearish', shape: 'triangle' },
      { t: days[300], kind: 'unknown', shape: 'tick' },
    ],
    split: { t: days[100], label: 'split' },
    ...over,
  });

  it('y is logarithmic: equal price ratios are equal distances, between the decades around the data', () => {
    const g = priceChartGeometry(pInput());
    expect(10 ** g.logMin).toBeCloseTo(2000, 9); // 3,000 → the nice value below: 2,000
    expect(10 ** g.logMax).toBeCloseTo(50_000, 9); // 30,000 → 50,000
    near(g.y(2000), g.bottom);
    near(g.y(50_000), g.top);
    near(g.y(2000) - g.y(4000), g.y(20_000) - g.y(40_000));
    near(g.y(3000) - g.y(30_000), (g.bottom - g.top) / (Math.log10(50_000) - Math.log10(2000)));
    expect([niceLog(3000, true), niceLog(3000, false), niceLog(1000, true), niceLog(120_000, false)]).toEqual([
      2000, 5000, 1000, 200_000,
    ]);
  });

  it('draws the price line broken at the gap, one marker per known-kind onset in its lane, and the split line', () => {
    const svgP = renderPriceChart(pInput());
    const doc = parse(svgP);
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    const d = doc.querySelector('path.price')!.getAttribute('d')!;
    expect(d.match(/M/g)).toHaveLength(2); // restarted after the null
    expect(d.match(/[ML]/g)).toHaveLength(399);
    const g = priceChartGeometry(pInput());
    const tick = doc.querySelector('line.onset')!;
    expect(tick.getAttribute('data-kind')).toBe('bullish');
    near(Number(tick.getAttribute('x1')), g.x(days[10]));
    expect(Number(tick.getAttribute('y1'))).toBeGreaterThanOrEqual(g.laneTop); // lane 0
    expect(Number(tick.getAttribute('y2'))).toBeLessThanOrEqual(g.laneTop + g.laneHeight);
    const tri = doc.querySelector('path.onset-w')!;
    expect(tri.getAttribute('data-kind')).toBe('bearish');
    expect(doc.querySelectorAll('.onset, .onset-w')).toHaveLength(2); // the unknown kind is not drawn
    near(Number(doc.querySelector('line.split')!.getAttribute('x1')), g.x(days[100]));
    expect(svgP).toContain('Price &amp; onsets');
  });
});
