/** @jest-environment node */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { EngineResult, compute } from '../src/core';
import { CliIo } from './btc-flow';
import { checkEpisodes, clustersPerYear, episodesPerYear, validateMain } from './validate';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2022, 0, 3); // Monday
const N = 760; // days: 2022-01-03 .. 2024-02-01
const SPOT_LAST = 719; // day index of a Saturday (719 = 7 × 102 + 5)

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const inTop = (k: number) => k >= 500 && k < 512;
const inBottom = (k: number) => k >= 380 && k < 388;
/** The 8h funding rate in force on day k (the same for the 8h venue and, divided by 8, for the hourly venue). */
const rate8h = (k: number) => (inTop(k) ? 0.0012 : inBottom(k) ? -0.0008 : 0.0001 + 0.00005 * Math.sin(k / 9));

function synthBundle() {
  const r = rng(7);
  const spot: Array<[number, number]> = [];
  const perp: Array<[number, number]> = [];
  const oiA: Array<[number, number]> = [];
  const oiB: Array<[number, number]> = [];
  for (let k = 0; k < N; k++) {
    const t = T0 + k * DAY;
    const p = 30000 * Math.exp(0.3 * Math.sin(k / 60) + 0.02 * (r() - 0.5));
    const basis = inTop(k) ? 0.004 : inBottom(k) ? -0.006 : 0.0004 * (r() - 0.5);
    if (k <= SPOT_LAST) {
      spot.push([t, p]);
    }
    perp.push([t, p * (1 + basis)]);
    oiA.push([t, 1e9 * (1 + 0.15 * Math.sin(k / 40) + 0.05 * r()) * (inTop(k) ? 1.8 : inBottom(k) ? 0.6 : 1)]);
    if (k >= 300) {
      oiB.push([t, 5e8 * (1 + 0.05 * r())]);
    }
  }
  const f8: Array<[number, number]> = [];
  const f1: Array<[number, number]> = [];
  for (let h = 1; h <= N * 24 - 8; h++) {
    const t = T0 + h * HOUR;
    const k = Math.floor((t - 1 - T0) / DAY); // the day of the interval that ends at t
    if (h % 8 === 0) {
      f8.push([t, rate8h(k)]);
    }
    if (k < 600) {
      f1.push([t, rate8h(k) / 8]);
    }
  }
  return {
    asset: 'BTC',
    series: [
      { venue: 'coinbase', kind: 'spot', quote: 'USD', points: spot },
      { venue: 'binanceusdm', kind: 'perp', quote: 'USDT', points: perp },
      { venue: 'venuea', kind: 'openInterest', unit: 'usd', points: oiA },
      { venue: 'venueb', kind: 'openInterest', unit: 'usd', points: oiB },
      { venue: 'binanceusdm', kind: 'funding', intervalHours: 8, points: f8 },
      { venue: 'deribit', kind: 'funding', intervalHours: 1, points: f1 },
    ],
  };
}

let dir: string;
let report: string;
let svg: string;
let onsetSvg: string;
let bundle: ReturnType<typeof synthBundle>;
let daily: EngineResult;
let weekly: EngineResult;
let stderr = '';

function io(): CliIo {
  return {
    stdout: () => undefined,
    stderr: (t) => {
      stderr += t;
    },
    stdoutIsTTY: false,
    env: {},
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btc-flow-validate-'));
  bundle = synthBundle();
  const file = join(dir, 'synthetic bundle.json');
  writeFileSync(file, JSON.stringify(bundle));
  const code = await validateMain(
    [file, '--report', join(dir, 'out', 'validation.md'), '--chart', join(dir, 'out', 'img', 'chart.svg')],
    io(),
    new Date(Date.UTC(2026, 10, 25))
  );
  expect(stderr).not.toMatch(/error/);
  expect(code).toBe(0);
  report = readFileSync(join(dir, 'out', 'validation.md'), 'utf8');
  svg = readFileSync(join(dir, 'out', 'img', 'chart.svg'), 'utf8');
  onsetSvg = readFileSync(join(dir, 'out', 'img', 'validation-onsets.svg'), 'utf8');
  daily = compute(bundle as any, { timeframe: '1d', lookback: 90 });
  weekly = compute(bundle as any, { timeframe: '1w', lookback: 52 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The Markdown table that follows a heading (or any line) matching `after`. */
function tableAfter(after: RegExp): string[][] {
  const lines = report.split('\n');
  let i = lines.findIndex((l) => after.test(l));
  expect(i).toBeGreaterThanOrEqual(0);
  while (i < lines.length && !lines[i].startsWith('|')) {
    i++;
  }
  const rows: string[][] = [];
  for (; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(
      lines[i]
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim())
    );
  }
  return rows.slice(2); // header and separator
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

describe('validation report on a synthetic bundle', () => {
  it('lists every input series with its first / last date and point count, computed from the data', () => {
    const rows = tableAfter(/^## 1\. What went in/);
    expect(rows).toHaveLength(bundle.series.length);
    // spot: daily points from T0 to day SPOT_LAST, a Saturday
    expect(rows[0]).toEqual([
      '0',
      'coinbase',
      'spot',
      'quote USD',
      '2022-01-03',
      iso(T0 + SPOT_LAST * DAY),
      'Saturday',
      '720',
      '1d',
    ]);
    expect(new Date(T0 + SPOT_LAST * DAY).getUTCDay()).toBe(6);
    expect(rows[3].slice(4, 8)).toEqual([
      iso(T0 + 300 * DAY),
      iso(T0 + (N - 1) * DAY),
      expect.any(String),
      String(N - 300),
    ]);
    // hourly funding: first at 01:00, spacing 1h
    const f1 = bundle.series[5].points;
    expect(rows[5][4]).toBe('2022-01-03 01:00');
    expect(rows[5][7]).toBe(f1.length.toLocaleString('en-US'));
    expect(rows[5][8]).toBe('1h');
    expect(rows[4][8]).toBe('8h');
  });

  it('opens with a summary that states the required-episode result and the rarity figures', () => {
    const summary = report.slice(report.indexOf('## Summary'), report.indexOf('## 1.'));
    expect(summary).toMatch(/Required episodes \(section 3\): \*\*3 of 3 NOT flagged\*\*/);
    const maxD = Math.max(...[...episodesPerYear(daily).values()].map((c) => c.top + c.bottom));
    expect(summary).toContain(`at most ${maxD} daily`);
  });

  it('gives a reproducible command line with the bundle path', () => {
    expect(report).toMatch(/```sh\nnpm run validate -- .*synthetic bundle\.json\n```/);
    expect(report).toContain('![Weekly premium z, OI z and funding z with extreme events](img/chart.svg)');
  });

  it('says plainly that the required 2020 / 2021 episodes are not flagged when the data has no such years', () => {
    expect(report).toMatch(/\*\*Result: 3 required episode\(s\) not flagged:\*\*/);
    const rows = tableAfter(/^## 3\. Required episodes/);
    expect(rows.map((r) => r[4])).toEqual(['**NOT flagged**', '**NOT flagged**', '**NOT flagged**', 'not flagged']);
    expect(stderr).toMatch(/March 2020 crash bottom \(1d extremeBottom\): NOT FLAGGED/);
  });

  it('lists exactly the extreme events of the engine, daily and weekly, and counts them per year', () => {
    for (const [res, heading] of [
      [daily, /^### Daily \(1d, lookback 90\)/],
      [weekly, /^### Weekly \(1w, lookback 52\)/],
    ] as const) {
      const ex = res.events.filter((e) => e.kind === 'extremeTop' || e.kind === 'extremeBottom');
      expect(report).toMatch(new RegExp(`${heading.source.slice(1)}: ${ex.length} events`, 'm'));
      if (ex.length) {
        const rows = tableAfter(heading);
        expect(rows.map((r) => r[0])).toEqual(ex.map((e) => iso(e.time)));
        expect(rows.map((r) => r[2])).toEqual(ex.map((e) => (e.kind === 'extremeTop' ? 'top' : 'bottom')));
      }
    }
    const perYear = tableAfter(/^## 4\. Episodes per year/);
    const dTotal = perYear.reduce((s, r) => s + Number(r[3]), 0);
    const wTotal = perYear.reduce((s, r) => s + Number(r[7]), 0);
    expect(dTotal).toBe(daily.events.filter((e) => e.kind.startsWith('extreme')).length);
    expect(wTotal).toBe(weekly.events.filter((e) => e.kind.startsWith('extreme')).length);
  });

  it('the designed top and bottom are found on daily bars and listed', () => {
    const top = daily.events.find(
      (e) => e.kind === 'extremeTop' && e.time <= T0 + 511 * DAY && e.timeEnd > T0 + 500 * DAY
    );
    expect(top).toBeDefined();
    expect(report).toContain(`| ${iso(top!.time)} |`);
    const bottom = daily.events.find(
      (e) => e.kind === 'extremeBottom' && e.time <= T0 + 387 * DAY && e.timeEnd > T0 + 380 * DAY
    );
    expect(bottom).toBeDefined();
    expect(report).toContain(`| ${iso(bottom!.time)} |`);
  });

  it('the series that ends on a Saturday is left out of its last week, not compared with the Sunday perp close', () => {
    const rows = tableAfter(/^### Series ending on different days/);
    const spot = rows.find((r) => r[0] === '#0 coinbase spot')!;
    expect(spot[1]).toBe(`${iso(T0 + SPOT_LAST * DAY)} (Saturday)`);
    expect(spot[2]).toMatch(/^yes \(week \d{4}-\d{2}-\d{2}: spot venues 0, spotUsd –, premium –\)$/);
  });

  it('the hourly venue, normalised to 8h, matches the 8h venue it was built from (ratio of means about 1, not 1/8)', () => {
    const rows = tableAfter(/^### Funding intervals other than 8h/);
    const vsBinance = rows.find((r) => r[0] === 'binanceusdm')!;
    // both venues carry the same 8h-equivalent rate; only the last settlement of a day differs in timing
    expect(Number(vsBinance[4])).toBeGreaterThan(0.97);
    expect(Number(vsBinance[4])).toBeLessThan(1.03);
    expect(Number(vsBinance[5])).toBeGreaterThan(0.95);
    expect(Number(vsBinance[1])).toBeGreaterThan(590);
  });

  it('the venue joining open interest moves the raw sum, not the chain-linked index', () => {
    const rows = tableAfter(/^### Venues coming and going/);
    const join = rows.find((r) => r[1] === '#3 venueb openInterest starts')!;
    expect(join[0]).toBe(iso(T0 + 300 * DAY));
    const m = /oiUsd ([+-][\d.]+)%, index ([+-][\d.]+)%/.exec(join[2])!;
    // venue b adds 5e8 to about 1e9: the raw sum jumps by tens of percent, the index by a few at most
    expect(Number(m[1])).toBeGreaterThan(25);
    expect(Math.abs(Number(m[2]))).toBeLessThan(10);
  });

  it('coverage per year counts the daily bars of each year', () => {
    const rows = tableAfter(/^## 7\. Coverage per year/);
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ['2022', String(365 - 2)], // from 3 January
      ['2023', '365'],
      ['2024', '32'],
    ]);
    // premium exists while the spot series does (to day SPOT_LAST, in 2023)
    expect(rows[0][2]).toBe('100%');
    expect(rows[2][2]).toBe('0%');
  });

  it('writes a well-formed SVG with one shaded region per weekly extreme event and the three z lines', () => {
    const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    const lines = [...doc.querySelectorAll('path.line')].map((p) => p.getAttribute('data-label'));
    expect(lines).toEqual(['premium z', 'OI z', 'funding z']);
    const regions = [...doc.querySelectorAll('rect.region')].map((r) => Number(r.getAttribute('data-start')));
    expect(regions.length).toBeGreaterThan(0);
    expect(regions).toEqual(weekly.events.filter((e) => e.kind.startsWith('extreme')).map((e) => e.time));
  });

  it('the regime table counts the engine events and marks each target met or not from the figures, not by hand', () => {
    const rows = tableAfter(/^## 8\. Confluence regimes/);
    const whole = rows.filter((r) => r[2] === 'whole history' && r[1] !== 'over-leverage');
    expect(whole.map((r) => `${r[0]} ${r[1]}`)).toEqual(['1d bullish', '1d bearish', '1w bullish', '1w bearish']);
    for (const r of whole) {
      const res = r[0] === '1d' ? daily : weekly;
      const barMs = r[0] === '1d' ? DAY : 7 * DAY;
      // a second, simple count: events of the kind, lengths from their time span, years of bars with a premium
      const lens = res.events.filter((e) => e.kind === r[1]).map((e) => (e.timeEnd - e.time) / barMs);
      const years = res.bars.filter((b) => b.premiumPct !== null).length * (barMs / DAY / 365.25);
      const s = [...lens].sort((a, b) => a - b);
      const med = s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
      expect(Number(r[3])).toBe(lens.length);
      expect(r[5]).toBe((lens.length / years).toFixed(1));
      expect(r[6]).toBe(lens.length ? med.toFixed(1) : '–');
      const [maxYear, minMed] = r[0] === '1d' ? [12, 3] : [4, 2];
      const met = lens.length / years <= maxYear && med >= minMed;
      expect(r[8]).toBe(met ? 'met' : '**not met**');
    }
    expect(report).toMatch(/^- Regime targets \(section 8, whole history\): bullish 1d (met|\*\*not met\*\*)/m);
  });

  it('the event study lists every kind at 1d and 1w, in- and out-of-sample, with a random baseline row', () => {
    for (const heading of [
      /^### Daily \(1d\), in-sample/,
      /^### Daily \(1d\), out-of-sample/,
      /^### Weekly \(1w\), in-sample/,
      /^### Weekly \(1w\), out-of-sample/,
    ]) {
      const rows = tableAfter(heading);
      const kinds = rows.map((r) => r[0]).filter((k) => k !== 'random, same n');
      expect(kinds).toEqual(['bullish', 'bearish', 'over-leverage', 'extreme top', 'extreme bottom']);
      for (let i = 0; i < rows.length; i++) {
        if (rows[i][0] !== 'random, same n') {
          // a random row follows every kind that has onsets
          expect(rows[i + 1]?.[0] === 'random, same n').toBe(Number(rows[i][1]) > 0);
        }
      }
    }
    // onset counts: the daily in-sample bullish row counts the daily bullish events starting before 2023
    const n = daily.events.filter((e) => e.kind === 'bullish' && e.time < Date.UTC(2023, 0, 1)).length;
    expect(tableAfter(/^### Daily \(1d\), in-sample/)[0][1]).toBe(String(n));
    expect(report).toMatch(/^- bullish: (\*\*no edge\*\*|\*\*no clear edge\*\*|too few onsets|\d+ of 10 figures)/m);
  });

  it('writes the onset chart: the perp price path and one marker per daily and weekly onset', () => {
    const doc = new JSDOM(onsetSvg, { contentType: 'image/svg+xml' }).window.document;
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(doc.querySelectorAll('path.price')).toHaveLength(1);
    const ticks = [...doc.querySelectorAll('line.onset')].map((l) => Number(l.getAttribute('data-t')));
    const tris = [...doc.querySelectorAll('path.onset-w')].map((l) => Number(l.getAttribute('data-t')));
    const firstPerp = daily.bars.find((b) => b.perpUsd !== null)!.time;
    expect(ticks.sort()).toEqual(
      daily.events
        .filter((e) => e.time >= firstPerp)
        .map((e) => e.time)
        .sort()
    );
    expect(tris.length).toBeLessThanOrEqual(weekly.events.length);
    expect(report).toContain('](img/validation-onsets.svg)');
  });
});

describe('episode checks and yearly counts (pure)', () => {
  const ev = (from: string, to: string, kind: string) => ({
    time: Date.parse(`${from}T00:00:00Z`),
    timeEnd: Date.parse(`${to}T00:00:00Z`),
    kind,
    title: '',
    text: '',
  });
  const res = (events: any[]) =>
    ({ timeframe: '1d', bars: [], events, coverage: {}, notices: [] }) as unknown as EngineResult;

  it('an event counts when it overlaps a window, of the right kind only', () => {
    const d = res([ev('2020-02-25', '2020-03-02', 'extremeBottom'), ev('2021-05-01', '2021-05-03', 'extremeTop')]);
    const w = res([ev('2021-11-29', '2021-12-06', 'extremeTop'), ev('2020-03-09', '2020-03-16', 'extremeTop')]);
    const c = checkEpisodes({ '1d': d, '1w': w });
    // daily bottom 2020-02-25..03-01 overlaps March 2020 on its last day
    expect(c[0].flagged).toBe(true);
    // daily top starting 2021-05-01 is after the April window and before October
    expect(c[1].flagged).toBe(false);
    // weekly top covering 2021-11-29..12-05 overlaps Oct–Nov 2021
    expect(c[2].flagged).toBe(true);
    expect(c[2].matches[0].window).toBe('October–November 2021');
    // a weekly *top* in March 2020 is not a bottom
    expect(c[3].flagged).toBe(false);
  });

  it('counts extreme episodes by start year', () => {
    const m = episodesPerYear(
      res([
        ev('2020-12-30', '2021-01-02', 'extremeTop'),
        ev('2021-03-01', '2021-03-02', 'extremeBottom'),
        ev('2021-04-01', '2021-04-02', 'extremeTop'),
        ev('2021-04-01', '2021-04-02', 'bullish'),
      ])
    );
    expect([...m.entries()]).toEqual([
      [2020, { top: 1, bottom: 0 }],
      [2021, { top: 1, bottom: 1 }],
    ]);
  });

  it('clusters merge events of one kind less than 30 days apart', () => {
    const m = clustersPerYear(
      res([
        ev('2021-01-01', '2021-01-05', 'extremeTop'),
        ev('2021-01-20', '2021-01-22', 'extremeTop'), // 15 days after the first ended: same cluster
        ev('2021-01-25', '2021-01-26', 'extremeBottom'), // other kind: its own cluster
        ev('2021-03-01', '2021-03-02', 'extremeTop'), // 38 days later: new cluster
        ev('2021-12-20', '2021-12-25', 'extremeTop'),
        ev('2022-01-10', '2022-01-11', 'extremeTop'), // 16 days after, across the new year: still the 2021 cluster
      ])
    );
    expect([...m.entries()]).toEqual([[2021, 4]]);
  });

  it('bad arguments give exit 2 and one line', async () => {
    let err = '';
    const io2: CliIo = { stdout: () => undefined, stderr: (t) => void (err += t), stdoutIsTTY: false, env: {} };
    expect(await validateMain([join(dir, 'missing.json')], io2)).toBe(2);
    expect(err).toMatch(/^btc-flow: cannot read .*missing\.json: no such file\n$/);
    err = '';
    expect(await validateMain([], io2)).toBe(2);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
  });
});
