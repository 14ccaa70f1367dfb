/**
 * Validation report: runs the engine on a bundle of real history at 1d (lookback 90) and 1w (lookback 52) and writes
 * docs/validation.md plus docs/img/validation-weekly.svg (weekly premium z, OI z and funding z with the extreme events)
 * and docs/img/validation-onsets.svg (perp price, log scale, with the onsets of every signal kind; the event study).
 *
 *   npm run validate -- <bundle.json> [--report docs/validation.md] [--chart docs/img/validation-weekly.svg]
 *                      [--onset-chart docs/img/validation-onsets.svg]
 *
 * Everything in the report is computed from the bundle and the engine output; nothing is typed in by hand.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { Bar, Bundle, DEFAULT_OPTIONS, EngineResult, FlowEvent, OPTION_NAMES, Timeframe, compute } from '../src/core';
import { CliUsageError, FlagSpec, flagHelp, parseArgs } from './args';
import { CliIo, loadBundle, processIo, reportError } from './btc-flow';
import {
  HORIZONS_DAYS,
  Interval,
  KindStudy,
  MIN_ONSETS,
  REGIME_TARGETS,
  RESAMPLES,
  SAMPLE_LABEL,
  SEED,
  SPLIT_MS,
  STUDY_KINDS,
  SampleStudy,
  VOL_DAYS,
  edges,
  eventStudy,
  onsets,
  regimeStats,
  targetMet,
} from './event-study';
import { renderChart, renderPriceChart } from './svg-chart';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const ROOT = resolve(__dirname, '..');

/** The two runs of the report and their z-score windows (the issue's calibration settings). */
export const RUNS: ReadonlyArray<{ timeframe: Timeframe; lookback: number; label: string }> = [
  { timeframe: '1d', lookback: 90, label: 'daily' },
  { timeframe: '1w', lookback: 52, label: 'weekly' },
];

/** An episode the extreme rule must flag: an event of `kind` that overlaps one of the windows (UTC dates, inclusive). */
export interface RequiredEpisode {
  label: string;
  kind: 'extremeTop' | 'extremeBottom';
  timeframe: Timeframe;
  required: boolean;
  windows: Array<{ from: string; to: string; name: string }>;
}

/** The issue's windows: the March 2020 crash, and the two 2021 tops either of which counts. */
const MARCH_2020: RequiredEpisode['windows'] = [{ from: '2020-03-01', to: '2020-03-31', name: 'March 2020' }];
const TOP_2021: RequiredEpisode['windows'] = [
  { from: '2021-01-01', to: '2021-04-30', name: 'the run into April 2021' },
  { from: '2021-10-01', to: '2021-11-30', name: 'October–November 2021' },
];

export const REQUIRED_EPISODES: RequiredEpisode[] = [
  {
    label: 'March 2020 crash bottom',
    kind: 'extremeBottom',
    timeframe: '1d',
    required: true,
    windows: MARCH_2020,
  },
  {
    label: '2021 top',
    kind: 'extremeTop',
    timeframe: '1d',
    required: true,
    windows: TOP_2021,
  },
  {
    label: '2021 top',
    kind: 'extremeTop',
    timeframe: '1w',
    required: true,
    windows: TOP_2021,
  },
  {
    label: 'March 2020 crash bottom (not required on weekly)',
    kind: 'extremeBottom',
    timeframe: '1w',
    required: false,
    windows: MARCH_2020,
  },
];

/** "Rare" for this report: at most this many extreme episodes (tops + bottoms) start in one calendar year per timeframe. */
export const RARE_MAX_PER_YEAR = 4;

const EXTREME_KINDS = ['extremeTop', 'extremeBottom'];

/* ------------------------------------------------------------------------------------------------
 * small helpers
 * ---------------------------------------------------------------------------------------------- */

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const isoDate = (t: number) => new Date(t).toISOString().slice(0, 10);
const isoMinute = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const dayMs = (s: string) => Date.parse(`${s}T00:00:00Z`);
const weekday = (t: number) => WEEKDAYS[new Date(t).getUTCDay()];
const year = (t: number) => new Date(t).getUTCFullYear();

function num(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function signed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : (x > 0 ? '+' : '') + x.toFixed(digits);
}

function usd(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) {
    return '–';
  }
  return x >= 1e9 ? `$${(x / 1e9).toFixed(2)}B` : x >= 1e6 ? `$${(x / 1e6).toFixed(1)}M` : `$${x.toFixed(0)}`;
}

function pct(part: number, whole: number): string {
  return whole === 0 ? '–' : `${Math.round((100 * part) / whole)}%`;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

function median(xs: number[]): number | null {
  if (!xs.length) {
    return null;
  }
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function pearson(a: number[], b: number[]): number | null {
  const n = a.length;
  if (n < 3) {
    return null;
  }
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

/** Describes a series' kind-specific field (quote, unit, interval or pair). */
function detail(s: Bundle['series'][number]): string {
  switch (s.kind) {
    case 'spot':
    case 'perp':
      return `quote ${s.quote}`;
    case 'openInterest':
      return `unit ${s.unit}`;
    case 'funding':
      return `every ${s.intervalHours}h`;
    case 'fx':
      return s.pair;
  }
}

/** Extreme events of a result, with the bar of the largest |extremeScore| inside each. */
export interface ExtremeEpisode {
  event: FlowEvent;
  bars: Bar[];
  peak: Bar | null;
}

export function extremeEpisodes(result: EngineResult): ExtremeEpisode[] {
  const out: ExtremeEpisode[] = [];
  for (const e of result.events) {
    if (!EXTREME_KINDS.includes(e.kind)) {
      continue;
    }
    const bars = result.bars.filter((b) => b.time >= e.time && b.time < e.timeEnd);
    let peak: Bar | null = null;
    for (const b of bars) {
      const s = b.extremeScore;
      if (s !== null && Number.isFinite(s) && (peak === null || Math.abs(s) > Math.abs(peak.extremeScore ?? 0))) {
        peak = b;
      }
    }
    out.push({ event: e, bars, peak: peak ?? bars[0] ?? null });
  }
  return out;
}

/** Events of `kind` overlapping [from, to] (inclusive UTC dates). */
export function eventsOverlapping(result: EngineResult, kind: string, from: string, to: string): FlowEvent[] {
  const a = dayMs(from);
  const b = dayMs(to) + DAY;
  return result.events.filter((e) => e.kind === kind && e.time < b && e.timeEnd > a);
}

export interface EpisodeCheck {
  episode: RequiredEpisode;
  matches: Array<{ window: string; event: FlowEvent }>;
  flagged: boolean;
}

export function checkEpisodes(results: Partial<Record<Timeframe, EngineResult>>): EpisodeCheck[] {
  return REQUIRED_EPISODES.map((episode) => {
    const r = results[episode.timeframe];
    const matches: EpisodeCheck['matches'] = [];
    if (r) {
      for (const w of episode.windows) {
        for (const e of eventsOverlapping(r, episode.kind, w.from, w.to)) {
          matches.push({ window: w.name, event: e });
        }
      }
    }
    return { episode, matches, flagged: matches.length > 0 };
  });
}

/** Extreme episodes per start year: {year: {top, bottom}}. */
export function episodesPerYear(result: EngineResult): Map<number, { top: number; bottom: number }> {
  const m = new Map<number, { top: number; bottom: number }>();
  for (const e of result.events) {
    if (!EXTREME_KINDS.includes(e.kind)) {
      continue;
    }
    const y = year(e.time);
    const c = m.get(y) ?? { top: 0, bottom: 0 };
    if (e.kind === 'extremeTop') {
      c.top++;
    } else {
      c.bottom++;
    }
    m.set(y, c);
  }
  return m;
}

/** Events of the same extreme kind that start within this many days of the previous one's end count as one cluster. */
export const CLUSTER_GAP_DAYS = 30;

/** Extreme clusters per start year: consecutive events of one kind less than CLUSTER_GAP_DAYS apart merge. */
export function clustersPerYear(result: EngineResult): Map<number, number> {
  const m = new Map<number, number>();
  const lastEnd: Record<string, number> = {};
  for (const e of [...result.events].sort((a, b) => a.time - b.time)) {
    if (!EXTREME_KINDS.includes(e.kind)) {
      continue;
    }
    const prev = lastEnd[e.kind];
    if (prev === undefined || e.time - prev >= CLUSTER_GAP_DAYS * DAY) {
      m.set(year(e.time), (m.get(year(e.time)) ?? 0) + 1);
    }
    lastEnd[e.kind] = Math.max(prev ?? -Infinity, e.timeEnd);
  }
  return m;
}

function barAt(result: EngineResult, t: number): Bar | undefined {
  // bars are sorted by time: binary search for the bar containing t
  const bars = result.bars;
  let lo = 0;
  let hi = bars.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid].time <= t) {
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  const b = bars[hi];
  return b && t >= b.time && t < b.timeEnd ? b : undefined;
}

function extremesNear(result: EngineResult, t: number, bars: number, barMs: number): FlowEvent[] {
  return result.events.filter(
    (e) => EXTREME_KINDS.includes(e.kind) && e.time <= t + bars * barMs && e.timeEnd > t - bars * barMs
  );
}

function eventList(es: FlowEvent[]): string {
  return es.length ? es.map((e) => `${e.kind} ${isoDate(e.time)}..${isoDate(e.timeEnd - 1)}`).join('; ') : 'none';
}

/* ------------------------------------------------------------------------------------------------
 * report
 * ---------------------------------------------------------------------------------------------- */

export interface ReportInput {
  bundle: Bundle;
  /** The bundle path as the user should type it in the reproduce command. */
  bundleArg: string;
  bytes: number;
  sha256: string;
  results: Record<'1d' | '1w', EngineResult>;
  /** Relative link from the report to the chart. */
  chartLink: string;
  /** Relative link from the report to the onset chart (event study). */
  onsetChartLink?: string;
  /** The event study per timeframe (computed by runStudies; computed on demand when absent). */
  studies?: Record<'1d' | '1w', SampleStudy[]>;
  generated: Date;
}

/** Runs the engine for each report timeframe. */
export function runEngine(bundle: Bundle): Record<'1d' | '1w', EngineResult> {
  const out = {} as Record<'1d' | '1w', EngineResult>;
  for (const r of RUNS) {
    out[r.timeframe as '1d' | '1w'] = compute(bundle, { timeframe: r.timeframe, lookback: r.lookback });
  }
  return out;
}

function sectionInputs(inp: ReportInput): string {
  const rows = inp.bundle.series.map((s, i) => {
    const pts = s.points;
    const gaps: number[] = [];
    for (let k = 1; k < pts.length; k++) {
      gaps.push(pts[k][0] - pts[k - 1][0]);
    }
    const g = median(gaps);
    const spacing = g === null ? '–' : g % DAY === 0 ? `${g / DAY}d` : `${g / 3_600_000}h`;
    const first = pts[0][0];
    const last = pts[pts.length - 1][0];
    const fmtT = (t: number) => (t % DAY === 0 ? isoDate(t) : isoMinute(t));
    return [
      String(i),
      s.venue,
      s.kind,
      detail(s),
      fmtT(first),
      fmtT(last),
      weekday(last),
      pts.length.toLocaleString('en-US'),
      spacing,
    ];
  });
  return [
    '## 1. What went in',
    '',
    `Bundle \`${basename(inp.bundleArg)}\` (asset ${inp.bundle.asset}, ${inp.bundle.series.length} series, ` +
      `${inp.bytes.toLocaleString('en-US')} bytes, SHA-256 \`${inp.sha256}\`). The data itself is not in the repository; ` +
      'this table is computed from it.',
    '',
    table(['#', 'venue', 'kind', 'detail', 'first', 'last', 'last is a', 'points', 'median spacing'], rows),
    '',
  ].join('\n');
}

function sectionSettings(inp: ReportInput): string {
  const o = DEFAULT_OPTIONS;
  const lines = [
    '## 2. Engine settings',
    '',
    ...RUNS.map((r) => `- ${r.label} (${r.timeframe}): \`lookback=${r.lookback}\`; every other option at its default.`),
    `- Extreme rule defaults: ${OPTION_NAMES.filter((n) => n.startsWith('extreme'))
      .map((n) => `\`${n}=${String(o[n])}\``)
      .join(', ')} (see docs/metrics.md). Signed components: −premium z (perps rich points to a top), OI z, funding z.`,
    `- Other defaults: \`fundingWeighting=${o.fundingWeighting}\`, \`basketWeighting=${o.basketWeighting}\`, ` +
      `\`premiumSmoothing=${o.premiumSmoothing}\`, \`fundingSmoothing=${o.fundingSmoothing}\`, \`stablecoinToUsd=${o.stablecoinToUsd}\`.`,
    '',
    'Engine notices:',
    '',
  ];
  for (const r of RUNS) {
    const res = inp.results[r.timeframe as '1d' | '1w'];
    for (const n of res.notices) {
      lines.push(`- ${r.label}: ${n}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function sectionRequired(inp: ReportInput): string {
  const checks = checkEpisodes(inp.results);
  const rows = checks.map((c) => [
    c.episode.label,
    c.episode.timeframe,
    c.episode.kind,
    c.episode.windows.map((w) => `${w.name} (${w.from}..${w.to})`).join(' or '),
    c.flagged ? 'flagged' : c.episode.required ? '**NOT flagged**' : 'not flagged',
    c.matches.length
      ? c.matches.map((m) => `${isoDate(m.event.time)}..${isoDate(m.event.timeEnd - 1)} (${m.window})`).join('; ')
      : '–',
  ]);
  const missing = checks.filter((c) => c.episode.required && !c.flagged);
  const lines = [
    '## 3. Required episodes',
    '',
    'An episode counts as flagged when an event of the right kind overlaps its window.',
    '',
    table(['episode', 'tf', 'kind', 'window', 'result', 'matching events'], rows),
    '',
    missing.length
      ? `**Result: ${missing.length} required episode(s) not flagged:** ${missing.map((c) => `${c.episode.label} (${c.episode.timeframe})`).join(', ')}.`
      : '**Result: every required episode is flagged.**',
    '',
  ];
  return lines.join('\n');
}

function sectionRarity(inp: ReportInput): string {
  const d = episodesPerYear(inp.results['1d']);
  const w = episodesPerYear(inp.results['1w']);
  const years = new Set<number>();
  for (const r of RUNS) {
    for (const b of inp.results[r.timeframe as '1d' | '1w'].bars) {
      if (b.extremeScore !== null) {
        years.add(year(b.time));
      }
    }
  }
  for (const y of [...d.keys(), ...w.keys()]) {
    years.add(y);
  }
  const sorted = [...years].sort((a, b) => a - b);
  const z = { top: 0, bottom: 0 };
  const dc = clustersPerYear(inp.results['1d']);
  const wc = clustersPerYear(inp.results['1w']);
  const rows = sorted.map((y) => {
    const a = d.get(y) ?? z;
    const b = w.get(y) ?? z;
    return [
      String(y),
      String(a.top),
      String(a.bottom),
      String(a.top + a.bottom),
      String(dc.get(y) ?? 0),
      String(b.top),
      String(b.bottom),
      String(b.top + b.bottom),
      String(wc.get(y) ?? 0),
    ];
  });
  const over: string[] = [];
  for (const [label, m] of [
    ['daily', d],
    ['weekly', w],
  ] as const) {
    for (const [y, c] of m) {
      if (c.top + c.bottom > RARE_MAX_PER_YEAR) {
        over.push(`${y} ${label} (${c.top + c.bottom})`);
      }
    }
  }
  const maxD = Math.max(0, ...[...d.values()].map((c) => c.top + c.bottom));
  const maxW = Math.max(0, ...[...w.values()].map((c) => c.top + c.bottom));
  return [
    '## 4. Episodes per year',
    '',
    'Extreme events by the year they start (years in which the rule had at least one score).',
    '',
    table(
      [
        'year',
        'daily tops',
        'daily bottoms',
        'daily total',
        'daily clusters',
        'weekly tops',
        'weekly bottoms',
        'weekly total',
        'weekly clusters',
      ],
      rows
    ),
    '',
    `A cluster merges events of one kind that start less than ${CLUSTER_GAP_DAYS} days after the previous one ended ` +
      '(one market episode that the rule flags, drops and flags again).',
    '',
    `Most in one year: ${maxD} daily, ${maxW} weekly. Read as "rare" here: at most ${RARE_MAX_PER_YEAR} episodes a ` +
      `year per timeframe. ${over.length ? `**Above that:** ${over.join(', ')}.` : 'No year is above that.'}`,
    '',
  ].join('\n');
}

function sectionEvents(inp: ReportInput): string {
  const lines = ['## 5. Extreme events found', ''];
  for (const r of RUNS) {
    const res = inp.results[r.timeframe as '1d' | '1w'];
    const eps = extremeEpisodes(res);
    lines.push(
      `### ${r.label[0].toUpperCase()}${r.label.slice(1)} (${r.timeframe}, lookback ${r.lookback}): ${eps.length} events`,
      ''
    );
    if (!eps.length) {
      lines.push('None.', '');
      continue;
    }
    const rows = eps.map(({ event, bars, peak }) => {
      const avail = peak ? [peak.premiumZ, peak.oiZ, peak.fundingZ].filter((x) => x !== null).length : 0;
      return [
        isoDate(event.time),
        isoDate(event.timeEnd - 1),
        event.kind === 'extremeTop' ? 'top' : 'bottom',
        String(bars.length),
        peak ? isoDate(peak.time) : '–',
        signed(peak?.extremeScore, 2),
        peak ? `${signed(peak.premiumPct, 3)} (${signed(peak.premiumZ, 2)})` : '–',
        peak ? `${usd(peak.oiUsd)} (${signed(peak.oiZ, 2)})` : '–',
        peak ? `${num(peak.fundingAprPct, 1)} (${signed(peak.fundingZ, 2)})` : '–',
        `${avail}/3`,
      ];
    });
    lines.push(
      table(
        [
          'start',
          'last bar',
          'kind',
          'bars',
          'peak bar',
          'score',
          'premium % (z)',
          'OI (z)',
          'funding APR % (z)',
          'metrics',
        ],
        rows
      ),
      ''
    );
  }
  lines.push(
    "Peak bar: the bar of the event with the largest |extreme score|; the values shown are that bar's. " +
      '"metrics" is how many of the three z-scores existed there (the rule uses what is there).',
    ''
  );
  return lines.join('\n');
}

function sectionTraps(inp: ReportInput): string {
  const daily = inp.results['1d'];
  const weekly = inp.results['1w'];
  const series = inp.bundle.series;
  const end = Math.max(...series.map((s) => s.points[s.points.length - 1][0]));
  const start = Math.min(...series.map((s) => s.points[0][0]));
  const L: string[] = ["## 6. The data's traps and how they were handled", ''];

  // (a) series that end early / mid-week
  L.push('### Series ending on different days (and mid-week)', '');
  const enders = series
    .map((s, i) => ({ s, i, last: s.points[s.points.length - 1][0] }))
    .filter((x) => x.s.kind !== 'funding' && x.s.kind !== 'fx' && x.last < end);
  if (!enders.length) {
    L.push('No price or OI series ends before the others.', '');
  } else {
    const rows = enders.map(({ s, i, last }) => {
      const wb = barAt(weekly, last);
      const lastDay = last + DAY;
      const weekEndsLater = wb ? wb.timeEnd > lastDay : false;
      const wk = wb
        ? s.kind === 'openInterest'
          ? `week ${isoDate(wb.time)}: OI venues ${wb.counts.oi}, oiUsd ${usd(wb.oiUsd)}`
          : `week ${isoDate(wb.time)}: ${s.kind} venues ${wb.counts[s.kind as 'spot' | 'perp']}, ${s.kind}Usd ${num(
              s.kind === 'spot' ? wb.spotUsd : wb.perpUsd,
              2
            )}, premium ${signed(wb.premiumPct, 3)}`
        : '–';
      const near = [...extremesNear(daily, last, 3, DAY), ...extremesNear(weekly, last, 1, WEEK)];
      return [
        `#${i} ${s.venue} ${s.kind}`,
        `${isoDate(last)} (${weekday(last)})`,
        weekEndsLater ? `yes (${wk})` : `no (${wk})`,
        eventList(near),
      ];
    });
    L.push(
      table(
        [
          'series',
          'last point',
          'ends inside a weekly bar? (that week)',
          'extreme events within 3 days / 1 week of the end',
        ],
        rows
      ),
      ''
    );
  }
  for (const r of RUNS) {
    const res = inp.results[r.timeframe as '1d' | '1w'];
    const st = res.coverage.staleExclusions;
    L.push(
      st.length
        ? `No-stale rule, ${r.label}: ` +
            st
              .map(
                (x) =>
                  `${x.kind} ${x.label} left out of ${x.bars} bar(s) (${isoDate(x.firstTime)}..${isoDate(x.lastTime)})`
              )
              .join('; ') +
            '.'
        : `No-stale rule, ${r.label}: no venue was left out of any bar.`
    );
  }
  L.push(
    '',
    "A series that stops inside a bar has no point near that bar's close, so the no-stale rule leaves it out of that bar " +
      'instead of comparing, say, a Saturday spot close with a Sunday perp close. With no spot venue left the premium is ' +
      'unknown (–) rather than wrong.',
    ''
  );

  // (b) stablecoin dislocation, March 2023
  L.push('### USDC/USDT dislocation, March 2023 (no fx series)', '');
  const unconv = daily.coverage.unconvertedQuotes;
  L.push(
    unconv.length
      ? `Used as quoted (no fx series to convert them): ${unconv.map((u) => `${u.kind} ${u.label} in ${u.quote}`).join(', ')}.`
      : 'Every stablecoin-quoted series was converted to USD (or none was present).',
    ''
  );
  const mar = daily.bars.filter((b) => b.time >= dayMs('2023-03-06') && b.time <= dayMs('2023-03-19'));
  if (!mar.length) {
    L.push('The data has no daily bars in March 2023.', '');
  } else {
    L.push(
      table(
        ['day', 'spot USD', 'perp USD', 'premium %', 'premium z', 'OI z', 'funding z', 'extreme score', 'states'],
        mar.map((b) => [
          `${isoDate(b.time)} ${weekday(b.time).slice(0, 3)}`,
          num(b.spotUsd, 0),
          num(b.perpUsd, 0),
          signed(b.premiumPct, 3),
          signed(b.premiumZ, 2),
          signed(b.oiZ, 2),
          signed(b.fundingZ, 2),
          signed(b.extremeScore, 2),
          b.states.join(', ') || '–',
        ])
      ),
      ''
    );
    const ev = [
      ...eventsOverlapping(daily, 'extremeTop', '2023-03-09', '2023-03-16'),
      ...eventsOverlapping(daily, 'extremeBottom', '2023-03-09', '2023-03-16'),
      ...eventsOverlapping(weekly, 'extremeTop', '2023-03-09', '2023-03-16'),
      ...eventsOverlapping(weekly, 'extremeBottom', '2023-03-09', '2023-03-16'),
    ];
    L.push(`Extreme events overlapping 2023-03-09..2023-03-16 (daily or weekly): ${eventList(ev)}.`, '');
    const inWin = mar.filter(
      (b) => b.premiumZ !== null && b.time >= dayMs('2023-03-09') && b.time <= dayMs('2023-03-16')
    );
    if (inWin.length) {
      const top = inWin.reduce((a, b) => (Math.abs(b.premiumZ!) > Math.abs(a.premiumZ!) ? b : a));
      const o = DEFAULT_OPTIONS;
      const beyond = [-(top.premiumZ ?? 0), top.oiZ, top.fundingZ].filter(
        (x) => x !== null && Math.abs(x) >= o.extremeZ
      ).length;
      L.push(
        `The largest premium z in the window is ${signed(top.premiumZ, 2)} on ${isoDate(top.time)}, with ${beyond} of the ` +
          `three metrics beyond ±${o.extremeZ} on that bar; the extreme rule needs ${o.extremeMinCount} and a mean score of ` +
          `±${o.extremeScoreMin}, so a quote-currency dislocation that moves the premium alone does not make an extreme.`,
        ''
      );
    }
  }

  // (c) venues coming and going
  L.push('### Venues coming and going', '');
  // One row per (day, kind, start/end); a funding series starts to count one interval before its first settlement,
  // since that settlement applies to the interval before it.
  type Change = { t: number; names: string[]; kind: Bundle['series'][number]['kind']; join: boolean };
  const changes = new Map<string, Change>();
  const addChange = (t: number, name: string, kind: Change['kind'], join: boolean) => {
    const k = `${isoDate(t)}|${kind}|${join}`;
    const c = changes.get(k) ?? { t, names: [], kind, join };
    c.names.push(name);
    changes.set(k, c);
  };
  series.forEach((s, i) => {
    const f = s.points[0][0];
    const l = s.points[s.points.length - 1][0];
    const eff = s.kind === 'funding' ? f - s.intervalHours * 3_600_000 + 1 : f;
    if (eff > start + DAY) {
      addChange(eff, `#${i} ${s.venue}`, s.kind, true);
    }
    if (l < end - DAY) {
      addChange(l, `#${i} ${s.venue}`, s.kind, false);
    }
  });
  const rows = [...changes.values()]
    .sort((a, b) => a.t - b.t)
    .map((c) => {
      const at = barAt(daily, c.t);
      const idx = at ? daily.bars.indexOf(at) : -1;
      // compare the last bar before the change with the first bar after it
      const before = idx >= 0 ? daily.bars[c.join ? idx - 1 : idx] : undefined;
      const after = idx >= 0 ? daily.bars[c.join ? idx : idx + 1] : undefined;
      const what = `${c.names.join(', ')} ${c.kind} ${c.join ? (c.names.length > 1 ? 'start' : 'starts') : c.names.length > 1 ? 'end' : 'ends'}`;
      let effect = '–';
      if (before && after) {
        const key =
          c.kind === 'openInterest' ? 'oi' : c.kind === 'funding' ? 'funding' : c.kind === 'fx' ? null : c.kind;
        const counts = key ? `${key} venues ${before.counts[key as 'oi']} → ${after.counts[key as 'oi']}` : '';
        if (c.kind === 'openInterest') {
          const raw = before.oiUsd && after.oiUsd ? (after.oiUsd / before.oiUsd - 1) * 100 : null;
          const ix = before.oiIndexUsd && after.oiIndexUsd ? (after.oiIndexUsd / before.oiIndexUsd - 1) * 100 : null;
          effect = `${counts}; oiUsd ${signed(raw, 1)}%, index ${signed(ix, 1)}%, OI z ${signed(before.oiZ, 2)} → ${signed(after.oiZ, 2)}`;
        } else if (c.kind === 'funding') {
          effect = `${counts}; funding ${num(before.fundingAprPct, 1)} → ${num(after.fundingAprPct, 1)} % APR, z ${signed(before.fundingZ, 2)} → ${signed(after.fundingZ, 2)}`;
        } else if (c.kind === 'spot' || c.kind === 'perp') {
          effect = `${counts}; premium ${signed(before.premiumPct, 3)} → ${signed(after.premiumPct, 3)}`;
        }
      }
      return [isoDate(c.t), what, effect, eventList(extremesNear(daily, c.t, 3, DAY))];
    });
  L.push(
    rows.length
      ? table(['day', 'change', 'daily effect (bar before → bar after)', 'daily extreme events within 3 days'], rows)
      : 'Every series covers the whole span.',
    '',
    'Open interest is chain-linked: the index moves only with the venues present on both bars, so a venue joining or ' +
      'leaving moves the raw sum (oiUsd) but not the index that the OI z-score reads. ' +
      'The funding APR shown is the plain composite, whose level changes with the venue set; the funding z-score is ' +
      'computed on the chain-linked funding composite (docs/metrics.md), so the z column shows whether a change of ' +
      'venues moved the z-score. A z change at a venue change can still be the market moving on that day.',
    ''
  );

  // (d) non-8h funding intervals
  L.push('### Funding intervals other than 8h (Deribit hourly)', '');
  const odd = daily.coverage.series.filter((c) => {
    const s = series[c.index];
    return s && s.kind === 'funding' && s.intervalHours !== 8;
  });
  if (!odd.length) {
    L.push('Every funding series settles every 8 hours.', '');
  } else {
    for (const c of odd) {
      const s = series[c.index] as Extract<Bundle['series'][number], { kind: 'funding' }>;
      L.push(
        `${c.label} settles every ${s.intervalHours}h; the engine reads each rate as \`rate × 8 / ${s.intervalHours}\` ` +
          '(8h equivalent) before the TWAP. Its daily 8h-equivalent TWAP against the 8h venues on the days both exist:',
        ''
      );
      const rowsF: string[][] = [];
      for (const o of daily.coverage.series) {
        const so = series[o.index];
        if (!so || so.kind !== 'funding' || so.intervalHours !== 8) {
          continue;
        }
        const a: number[] = [];
        const b: number[] = [];
        for (const bar of daily.bars) {
          const x = bar.venues.funding8h[c.label];
          const y = bar.venues.funding8h[o.label];
          if (x !== null && x !== undefined && y !== null && y !== undefined) {
            a.push(x);
            b.push(y);
          }
        }
        if (a.length < 10) {
          continue;
        }
        const ma = a.reduce((p, x) => p + x, 0) / a.length;
        const mb = b.reduce((p, x) => p + x, 0) / b.length;
        rowsF.push([
          o.label,
          String(a.length),
          `${(ma * 100).toFixed(4)}%`,
          `${(mb * 100).toFixed(4)}%`,
          mb !== 0 ? (ma / mb).toFixed(2) : '–',
          num(pearson(a, b), 2),
        ]);
      }
      L.push(
        rowsF.length
          ? table(
              [
                'compared with',
                'days',
                `${c.label} mean 8h rate`,
                'other mean 8h rate',
                'ratio of means',
                'correlation',
              ],
              rowsF
            )
          : 'No 8h venue overlaps it.',
        '',
        `Had the ${s.intervalHours}h rate been read as an 8h rate, the ratio of means would sit near ${(s.intervalHours / 8).toFixed(3)}.`,
        ''
      );
    }
  }
  return L.join('\n');
}

function sectionCoverage(inp: ReportInput): string {
  const daily = inp.results['1d'];
  const byYear = new Map<number, Bar[]>();
  for (const b of daily.bars) {
    const y = year(b.time);
    (byYear.get(y) ?? byYear.set(y, []).get(y)!).push(b);
  }
  const rows = [...byYear.entries()].map(([y, bs]) => {
    const n = bs.length;
    const has = (f: (b: Bar) => unknown) => bs.filter((b) => f(b) !== null && f(b) !== undefined).length;
    const avg = (f: (b: Bar) => number) => (bs.reduce((s, b) => s + f(b), 0) / n).toFixed(1);
    const all3 = bs.filter((b) => b.premiumZ !== null && b.oiZ !== null && b.fundingZ !== null).length;
    return [
      String(y),
      String(n),
      pct(
        has((b) => b.premiumPct),
        n
      ),
      pct(
        has((b) => b.oiUsd),
        n
      ),
      pct(
        has((b) => b.fundingRate8h),
        n
      ),
      pct(all3, n),
      avg((b) => b.counts.spot),
      avg((b) => b.counts.perp),
      avg((b) => b.counts.oi),
      avg((b) => b.counts.funding),
    ];
  });
  return [
    '## 7. Coverage per year (daily bars)',
    '',
    table(
      [
        'year',
        'bars',
        'premium',
        'OI',
        'funding',
        'all three z',
        'spot venues',
        'perp venues',
        'OI venues',
        'funding venues',
      ],
      rows
    ),
    '',
    "Percentages are of that year's daily bars; venue counts are means per bar. A z-score needs a full lookback window " +
      'of values first, so the z columns start later than the metrics.',
    '',
  ].join('\n');
}

/** Extreme events that touch the data's traps: series ends, the March 2023 stablecoin window, venue changes. */
export function trapFindings(inp: Pick<ReportInput, 'bundle' | 'results'>) {
  const daily = inp.results['1d'];
  const weekly = inp.results['1w'];
  const series = inp.bundle.series;
  const end = Math.max(...series.map((s) => s.points[s.points.length - 1][0]));
  const start = Math.min(...series.map((s) => s.points[0][0]));
  const uniq = (es: FlowEvent[]) => [...new Map(es.map((e) => [`${e.kind}|${e.time}|${e.timeEnd}`, e])).values()];
  const seriesEnds = uniq(
    series
      .filter((x) => x.kind !== 'funding' && x.kind !== 'fx' && x.points[x.points.length - 1][0] < end)
      .flatMap((x) => {
        const last = x.points[x.points.length - 1][0];
        return [...extremesNear(daily, last, 3, DAY), ...extremesNear(weekly, last, 1, WEEK)];
      })
  );
  const march2023 = uniq(
    ['extremeTop', 'extremeBottom'].flatMap((k) => [
      ...eventsOverlapping(daily, k, '2023-03-09', '2023-03-16'),
      ...eventsOverlapping(weekly, k, '2023-03-09', '2023-03-16'),
    ])
  );
  const changes = series.flatMap((x) => {
    const f = x.points[0][0];
    const l = x.points[x.points.length - 1][0];
    return [f > start + DAY ? f : null, l < end - DAY ? l : null].filter((t): t is number => t !== null);
  });
  const venueChanges = uniq(changes.flatMap((t) => extremesNear(daily, t, 3, DAY)));
  return { seriesEnds, march2023, venueChanges };
}

function sectionSummary(inp: ReportInput): string {
  const checks = checkEpisodes(inp.results).filter((c) => c.episode.required);
  const missing = checks.filter((c) => !c.flagged);
  const maxOf = (m: Map<number, { top: number; bottom: number }>) =>
    Math.max(0, ...[...m.values()].map((c) => c.top + c.bottom));
  const maxC = (m: Map<number, number>) => Math.max(0, ...m.values());
  const d = episodesPerYear(inp.results['1d']);
  const w = episodesPerYear(inp.results['1w']);
  const dc = clustersPerYear(inp.results['1d']);
  const wc = clustersPerYear(inp.results['1w']);
  const t = trapFindings(inp);
  const line = (label: string, es: FlowEvent[]) =>
    `${label}: ${es.length ? `**${es.length}** (${eventList(es)})` : 'none'}`;
  return [
    '## Summary',
    '',
    `- Required episodes (section 3): ${
      missing.length
        ? `**${missing.length} of ${checks.length} NOT flagged** (${missing.map((c) => `${c.episode.label}, ${c.episode.timeframe}`).join('; ')})`
        : `all ${checks.length} flagged`
    }.`,
    `- Rarity (section 4): at most ${maxOf(d)} daily and ${maxOf(w)} weekly extreme events in one year; at most ` +
      `${maxC(dc)} daily and ${maxC(wc)} weekly clusters (events less than ${CLUSTER_GAP_DAYS} days apart merged).`,
    `- Traps (section 6), extreme events close to them: ${line('series ends (±3 days / ±1 week)', t.seriesEnds)}; ` +
      `${line('USDC/USDT March 2023', t.march2023)}; ${line('venues starting or stopping (±3 days)', t.venueChanges)}. ` +
      'Closeness is not proof of cause: section 6 shows the values around each.',
    ...summaryIssue12(inp),
    '',
  ].join('\n');
}

/* ------------------------------------------------------------------------------------------------
 * confluence regimes and the event study (issue 12)
 * ---------------------------------------------------------------------------------------------- */

const KIND_LABEL: Record<string, string> = {
  bullish: 'bullish',
  bearish: 'bearish',
  overLeverage: 'over-leverage',
  extremeTop: 'extreme top',
  extremeBottom: 'extreme bottom',
};

/** The event study of both timeframes (prices from the daily run). */
export function runStudies(results: Record<'1d' | '1w', EngineResult>): Record<'1d' | '1w', SampleStudy[]> {
  return { '1d': eventStudy(results['1d'], results['1d']), '1w': eventStudy(results['1w'], results['1d']) };
}

function studiesOf(inp: ReportInput): Record<'1d' | '1w', SampleStudy[]> {
  return inp.studies ?? runStudies(inp.results);
}

const REGIME_SAMPLES: Array<{ label: string; from: number; to: number }> = [
  { label: 'whole history', from: -Infinity, to: Infinity },
  { label: 'in-sample (to 2022-12-31)', from: -Infinity, to: SPLIT_MS },
  { label: 'out-of-sample (2023 on)', from: SPLIT_MS, to: Infinity },
];

/** The regime targets on the whole history: one entry per timeframe and kind (bullish, bearish). */
export function regimeTargetChecks(results: Record<'1d' | '1w', EngineResult>) {
  return REGIME_TARGETS.flatMap((t) =>
    (['bullish', 'bearish'] as const).map((kind) => {
      const st = regimeStats(results[t.timeframe], kind);
      return { target: t, kind, stats: st, met: targetMet(st, t) };
    })
  );
}

function sectionRegimes(inp: ReportInput): string {
  const rows: string[][] = [];
  for (const r of RUNS) {
    const tf = r.timeframe as '1d' | '1w';
    const target = REGIME_TARGETS.find((t) => t.timeframe === tf)!;
    for (const kind of ['bullish', 'bearish', 'overLeverage'] as const) {
      for (const smp of REGIME_SAMPLES) {
        const st = regimeStats(inp.results[tf], kind, smp.from, smp.to);
        const hasTarget = kind !== 'overLeverage';
        rows.push([
          tf,
          KIND_LABEL[kind],
          smp.label,
          String(st.events),
          num(st.years, 1),
          num(st.perYear, 1),
          num(st.medianBars, 1),
          hasTarget ? `≤ ${target.maxPerYear} a year, median ≥ ${target.minMedianBars} bars` : '–',
          hasTarget ? (targetMet(st, target) ? 'met' : '**not met**') : '–',
        ]);
      }
    }
  }
  const checks = regimeTargetChecks(inp.results);
  const failed = checks.filter((c) => !c.met);
  return [
    '## 8. Confluence regimes: how often and how long',
    '',
    'Bullish and bearish are regimes of the EMA premium with entry / exit hysteresis; over-leverage keeps its entry ' +
      'rule and holds while OI z stays at or above its exit level (docs/metrics.md section 10). Events are counted by ' +
      'the bar they start on; "years" are the years of bars on which the state can be evaluated (premium known for ' +
      'bullish and bearish, OI z known for over-leverage), so the rate is not diluted by years without data. ' +
      'Length: bars from the first to the last bar of the event. The targets (issue 12) apply to the whole history at ' +
      'the defaults; the in-sample rows are what the defaults were chosen on, the out-of-sample rows were not used.',
    '',
    table(
      ['tf', 'state', 'sample', 'events', 'years', 'events a year', 'median length (bars)', 'target', 'result'],
      rows
    ),
    '',
    failed.length
      ? `**Targets not met:** ${failed.map((c) => `${c.kind} ${c.target.timeframe}`).join(', ')}.`
      : '**Every target is met on the whole history.**',
    '',
  ].join('\n');
}

function fmtInt(i: Interval, fmt: (x: number) => string): string {
  return i.value === i.value ? `${fmt(i.value)} [${fmt(i.lo)}, ${fmt(i.hi)}]` : '–';
}

const ret = (x: number) => signed(x, 1);
const hit = (x: number) => (x === x ? `${Math.round(x * 100)}%` : '–');

/** One kind's verdict against random onsets, in plain words. */
export function verdict(k: KindStudy): string {
  if (k.onsets < MIN_ONSETS) {
    return `too few onsets (${k.onsets}) to read: no conclusion`;
  }
  const e = edges(k);
  const total = HORIZONS_DAYS.length * 3 + 1;
  if (!e.length) {
    return `**no edge**: all ${total} figures lie within the range of random onsets`;
  }
  if (e.length <= 2) {
    return (
      `**no clear edge**: ${e.length} of ${total} figures outside the random range (${e.join('; ')}), ` +
      'about what chance alone gives with this many figures'
    );
  }
  return `${e.length} of ${total} figures outside the random range: ${e.join('; ')}`;
}

function studyTable(st: SampleStudy): string {
  const head = [
    'onsets of',
    'n',
    ...HORIZONS_DAYS.flatMap((h) => [`${h}d median %`, `${h}d mean %`, `${h}d hit`]),
    `${VOL_DAYS}d vol % (median)`,
    'vol ÷ unconditional',
  ];
  const rows: string[][] = [];
  for (const k of st.kinds) {
    const sig: string[] = [KIND_LABEL[k.kind], String(k.onsets)];
    const rnd: string[] = ['random, same n', '–'];
    for (const h of HORIZONS_DAYS) {
      const r = k.returns[h];
      const nTag = r.median.n < k.onsets ? ` (n ${r.median.n})` : '';
      sig.push(fmtInt(r.median.signal, ret) + nTag, fmtInt(r.mean.signal, ret), fmtInt(r.hit.signal, hit));
      rnd.push(fmtInt(r.median.random, ret), fmtInt(r.mean.random, ret), fmtInt(r.hit.random, hit));
    }
    sig.push(
      fmtInt(k.vol.median.signal, (x) => num(x, 0)),
      fmtInt(k.vol.ratio.signal, (x) => num(x, 2))
    );
    rnd.push(
      fmtInt(k.vol.median.random, (x) => num(x, 0)),
      fmtInt(k.vol.ratio.random, (x) => num(x, 2))
    );
    rows.push(sig);
    if (k.onsets > 0) {
      rows.push(rnd);
    }
  }
  return table(head, rows);
}

function sectionStudy(inp: ReportInput): string {
  const studies = studiesOf(inp);
  const perpVenues = inp.bundle.series.flatMap((x) => (x.kind === 'perp' ? [`${x.venue} (${x.quote})`] : []));
  const L: string[] = [
    '## 9. Event study: what followed each signal',
    '',
    'For each kind at 1d and 1w, each event counts once, at its **onset**; the entry is the close of the onset bar ' +
      '(when the state is first known; for a weekly onset the last daily close of that week). From there: the ' +
      `forward return of the perp basket (${perpVenues.join(', ') || 'none'}; daily closes) over ` +
      `${HORIZONS_DAYS.join(', ')} days (median, mean and hit rate = share of onsets followed by a rise) and the ` +
      `forward ${VOL_DAYS}-day realised volatility (sd of the ${VOL_DAYS} daily log returns, × √365, %), against the ` +
      `unconditional median of the same volatility over every daily close of the sample. Brackets: a 90 % ` +
      `bootstrap interval (${RESAMPLES} resamples of the onsets, seed ${SEED}). Baseline rows: the same figures for ` +
      `${RESAMPLES} random draws of as many onsets (without replacement) from the bars of the same sample and ` +
      "timeframe on which the state's inputs exist; the value is the median of the draws and the brackets hold " +
      '90 % of them. A signal has an edge on a figure when its value lies outside that random range.',
    '',
    '**In-sample** = onsets up to 2022-12-31: the confluence defaults were chosen on these bars only ' +
      '(docs/metrics.md section 10). **Out-of-sample** = onsets from 2023-01-01: reported, never tuned on. The ' +
      'forward windows of the last in-sample onsets run into early 2023. Onsets whose forward window passes the end ' +
      'of the perp data are left out of that horizon (n shown where smaller). The extreme rule was calibrated on the ' +
      'whole history before this split existed (docs/metrics.md section 11), so its out-of-sample rows are not a ' +
      'clean out-of-sample test.',
    '',
  ];
  if (inp.onsetChartLink) {
    L.push(
      `![Perp price, log scale, with the onsets of every signal kind](${inp.onsetChartLink})`,
      '',
      'Chart: daily perp basket close (log scale). Lanes: onsets of each kind; ticks daily (1d, lookback 90), ' +
        'triangles weekly (1w, lookback 52). Dashed line: the in-sample / out-of-sample split.',
      ''
    );
  }
  for (const r of RUNS) {
    const tf = r.timeframe as '1d' | '1w';
    for (const st of studies[tf]) {
      L.push(
        `### ${r.label[0].toUpperCase()}${r.label.slice(1)} (${tf}), ${SAMPLE_LABEL[st.sample]}`,
        '',
        `Unconditional median ${VOL_DAYS}-day volatility: ${num(st.unconditionalVol, 1)} % a year.`,
        '',
        studyTable(st),
        '',
        ...st.kinds.map((k) => `- ${KIND_LABEL[k.kind]}: ${verdict(k)}.`),
        ''
      );
    }
  }
  L.push(
    'How to read this: each kind has ' +
      `${HORIZONS_DAYS.length * 3 + 1} figures, each compared with a 90 % random range, so about one figure in ten ` +
      'falls outside by chance alone even for a signal with no information; the figures of one kind are also ' +
      'correlated (overlapping windows). An edge worth the name shows on several figures, in the same direction, in ' +
      'both samples.',
    ''
  );
  return L.join('\n');
}

/** Summary lines for the regimes and the event study. */
function summaryIssue12(inp: ReportInput): string[] {
  const checks = regimeTargetChecks(inp.results);
  const studies = studiesOf(inp);
  const lines = [
    `- Regime targets (section 8, whole history): ${checks
      .map(
        (c) =>
          `${c.kind} ${c.target.timeframe} ${c.met ? 'met' : '**not met**'} (${num(c.stats.perYear, 1)} a year, median ${num(c.stats.medianBars, 1)} bars)`
      )
      .join('; ')}.`,
  ];
  for (const r of RUNS) {
    const tf = r.timeframe as '1d' | '1w';
    for (const st of studies[tf]) {
      lines.push(
        `- Event study (section 9), ${tf} ${st.sample === 'in' ? 'in-sample' : 'out-of-sample'}: ` +
          st.kinds
            .map((k) => {
              const m30 = k.returns[30].median.signal.value;
              const r30 = k.returns[30].median.random.value;
              const e =
                k.onsets < MIN_ONSETS
                  ? 'too few to read'
                  : edges(k).length
                    ? `${edges(k).length} of ${HORIZONS_DAYS.length * 3 + 1} figures outside the random range`
                    : 'no edge';
              return `${KIND_LABEL[k.kind]} n ${k.onsets}, 30d median ${ret(m30)} % vs random ${ret(r30)} % (${e})`;
            })
            .join('; ') +
          '.'
      );
    }
  }
  return lines;
}

/** The onset chart: daily perp close, log scale, one lane per kind with daily and weekly onsets. */
export function buildOnsetChart(results: Record<'1d' | '1w', EngineResult>): string {
  const daily = results['1d'];
  const first = daily.bars.findIndex((b) => b.perpUsd !== null);
  let last = daily.bars.length - 1;
  while (last >= 0 && daily.bars[last].perpUsd === null) {
    last--;
  }
  const bars = first >= 0 ? daily.bars.slice(first, last + 1) : [];
  const colors: Record<string, string> = {
    bullish: '#2ca02c',
    bearish: '#d62728',
    overLeverage: '#ff7f0e',
    extremeTop: '#9467bd',
    extremeBottom: '#17becf',
  };
  const markers = STUDY_KINDS.flatMap((kind) => [
    ...onsets(daily, kind).map((o) => ({ t: o.start, kind, shape: 'tick' as const })),
    ...onsets(results['1w'], kind).map((o) => ({ t: o.start, kind, shape: 'triangle' as const })),
  ]);
  return renderPriceChart({
    title: 'BTC Flow: perp price with the onsets of each signal',
    subtitle: `daily perp basket close, ${bars.length ? `${isoDate(bars[0].time)} to ${isoDate(bars[bars.length - 1].time)}` : 'no data'}; onsets at 1d (lookback 90) and 1w (lookback 52), defaults; real history (docs/validation.md)`,
    times: bars.map((b) => b.time),
    barMs: DAY,
    prices: bars.map((b) => b.perpUsd),
    priceLabel: 'perp USD',
    lanes: STUDY_KINDS.map((kind) => ({ kind, label: KIND_LABEL[kind], color: colors[kind] })),
    markers,
    split: { t: SPLIT_MS, label: 'out-of-sample →' },
  });
}

/** Renders the whole Markdown report. */
export function buildReport(inp: ReportInput): string {
  const head = [
    '# BTC Flow: validation on real BTC history',
    '',
    `Generated by \`npm run validate\` on ${isoDate(inp.generated.getTime())}. Do not edit by hand: every number below is ` +
      'computed from the bundle and the engine output.',
    '',
    'Reproduce (from the repository root, after `npm ci`):',
    '',
    '```sh',
    `npm run validate -- ${inp.bundleArg}`,
    '```',
    '',
    `![Weekly premium z, OI z and funding z with extreme events](${inp.chartLink})`,
    '',
    'Chart: weekly bars, lookback 52. Blue: premium z; orange: OI z (chain-linked index); purple: funding z. ' +
      'Red regions (▼ above the plot) are extreme tops, green regions (▲ below) extreme bottoms; the grey band is ±2.',
    '',
  ].join('\n');
  return [
    head,
    sectionSummary(inp),
    sectionInputs(inp),
    sectionSettings(inp),
    sectionRequired(inp),
    sectionRarity(inp),
    sectionEvents(inp),
    sectionTraps(inp),
    sectionCoverage(inp),
    sectionRegimes(inp),
    sectionStudy(inp),
  ].join('\n');
}

/** The weekly chart: three z-score lines, extreme regions, ±2 band, from the first bar with any z-score. */
export function buildWeeklyChart(weekly: EngineResult, lookback: number): string {
  const first = weekly.bars.findIndex((b) => b.premiumZ !== null || b.oiZ !== null || b.fundingZ !== null);
  const bars = first >= 0 ? weekly.bars.slice(first) : [];
  return renderChart({
    title: 'BTC Flow: weekly premium z, OI z and funding z with extreme events',
    subtitle: `1w bars, lookback ${lookback}; ${bars.length ? `${isoDate(bars[0].time)} to ${isoDate(bars[bars.length - 1].time)}` : 'no data'}; real history (docs/validation.md)`,
    times: bars.map((b) => b.time),
    barMs: WEEK,
    lines: [
      { label: 'premium z', color: '#1f77b4', values: bars.map((b) => b.premiumZ) },
      { label: 'OI z', color: '#ff7f0e', values: bars.map((b) => b.oiZ) },
      { label: 'funding z', color: '#9467bd', values: bars.map((b) => b.fundingZ) },
    ],
    regions: weekly.events
      .filter((e) => EXTREME_KINDS.includes(e.kind))
      .map((e) => ({ start: e.time, end: e.timeEnd, kind: e.kind })),
    regionStyles: {
      extremeTop: { label: 'extreme top', color: '#d62728', marker: 'top' },
      extremeBottom: { label: 'extreme bottom', color: '#2ca02c', marker: 'bottom' },
    },
    band: 2,
  });
}

/* ------------------------------------------------------------------------------------------------
 * command line
 * ---------------------------------------------------------------------------------------------- */

const FLAGS: FlagSpec[] = [
  { name: 'report', type: 'string', value: 'FILE', help: 'Markdown report to write (default docs/validation.md)' },
  { name: 'chart', type: 'string', value: 'FILE', help: 'SVG chart to write (default docs/img/validation-weekly.svg)' },
  {
    name: 'onset-chart',
    type: 'string',
    value: 'FILE',
    help: 'SVG price chart with signal onsets (default validation-onsets.svg beside --chart)',
  },
  { name: 'help', type: 'bool', help: 'show this help' },
  { name: 'debug', type: 'bool', help: 'print the stack trace of an internal error' },
];

function help(): string {
  return [
    'Usage: npm run validate -- <bundle.json> [flags]',
    '',
    'Runs the engine on the bundle at 1d (lookback 90) and 1w (lookback 52) and writes a Markdown report, an SVG',
    'chart of weekly premium z, OI z and funding z with the extreme events marked, and an SVG of the perp price',
    '(log scale) with the onsets of every signal kind (event study).',
    '',
    'Flags:',
    flagHelp(FLAGS),
    '',
  ].join('\n');
}

export async function validateMain(argv: string[], io: CliIo, now = new Date()): Promise<number> {
  const debug = argv.includes('--debug') || io.env.BTC_FLOW_DEBUG === '1';
  try {
    const args = parseArgs(argv, FLAGS, 'validate');
    if (args.bools.help) {
      io.stdout(help());
      return 0;
    }
    if (args.positionals.length !== 1) {
      throw new CliUsageError('validate: give exactly one bundle file; usage: npm run validate -- <bundle.json>');
    }
    const file = args.positionals[0];
    const reportPath = resolve(args.strings.report ?? resolve(ROOT, 'docs', 'validation.md'));
    const chartPath = resolve(args.strings.chart ?? resolve(ROOT, 'docs', 'img', 'validation-weekly.svg'));
    const bundle = loadBundle(file);
    const raw = readFileSync(file);
    const results = runEngine(bundle);
    // npm scripts run in the repository root, so the reproduce command uses the path relative to it
    const bundleArg = relative(ROOT, resolve(file)) || file;
    const chartLink = relative(dirname(reportPath), chartPath).split('\\').join('/');
    const onsetPath = resolve(args.strings['onset-chart'] ?? resolve(dirname(chartPath), 'validation-onsets.svg'));
    const onsetChartLink = relative(dirname(reportPath), onsetPath).split('\\').join('/');
    const studies = runStudies(results);
    const report = buildReport({
      bundle,
      bundleArg,
      bytes: raw.length,
      sha256: createHash('sha256').update(raw).digest('hex'),
      results,
      chartLink,
      onsetChartLink,
      studies,
      generated: now,
    });
    const svg = buildWeeklyChart(results['1w'], RUNS[1].lookback);
    mkdirSync(dirname(reportPath), { recursive: true });
    mkdirSync(dirname(chartPath), { recursive: true });
    mkdirSync(dirname(onsetPath), { recursive: true });
    writeFileSync(reportPath, report);
    writeFileSync(chartPath, svg);
    writeFileSync(onsetPath, buildOnsetChart(results));
    const checks = checkEpisodes(results);
    const shown = (p: string) => relative(process.cwd(), p) || p;
    io.stderr(`validate: wrote ${shown(reportPath)}, ${shown(chartPath)} and ${shown(onsetPath)}\n`);
    for (const c of checks) {
      io.stderr(
        `validate: ${c.episode.label} (${c.episode.timeframe} ${c.episode.kind}): ${c.flagged ? 'flagged' : c.episode.required ? 'NOT FLAGGED' : 'not flagged'}\n`
      );
    }
    for (const c of regimeTargetChecks(results)) {
      io.stderr(
        `validate: regime target ${c.kind} ${c.target.timeframe}: ${c.met ? 'met' : 'NOT MET'} (${num(c.stats.perYear, 1)} events a year, median ${num(c.stats.medianBars, 1)} bars)\n`
      );
    }
    return 0;
  } catch (e) {
    return reportError(e, io, debug);
  }
}

if (require.main === module) {
  validateMain(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`validate: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  );
}
