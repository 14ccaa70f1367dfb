/** @jest-environment node */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliIo, main, reportError } from './btc-flow';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Monday 2024-01-01 00:00 UTC. */
const T0 = Date.UTC(2024, 0, 1);
const N = 5;
const days = Array.from({ length: N }, (_, k) => T0 + k * DAY);

// Hand-made inputs. Every price is quoted in USD so no stablecoin conversion is involved.
const coinbase = [100, 102, 101, 105, 110];
const binPerp = [99, 103, 100, 104, 111];
const bybitPerp = [100.5, 100, 102.5, 105, 109.5];
const bybitOiUsd = [1.0e9, 1.1e9, 1.2e9, 1.15e9, 1.3e9];
const binOiBtc = [10_000, 11_000, 12_000, 12_500, 12_000];
const okxOiUsd = [null, null, 0.5e9, 0.6e9, 0.55e9]; // joins on day 2
/** Binance 8h funding, settled at 00/08/16 UTC, rate per day index (the settlement at day d+1 00:00 uses d+1). */
const binRate = (k: number, slot: number) => 0.0001 * (1 + k) + 0.00001 * slot;
/** A 4h venue (deribit-like): its 8h equivalent is twice its per-interval rate. */
const rate4h = (k: number) => 0.00004 * (k + 1);

function bundle() {
  const binFunding: Array<[number, number]> = [];
  const fourH: Array<[number, number]> = [];
  for (let k = 0; k <= N; k++) {
    for (let slot = 0; slot < 3; slot++) {
      const t = T0 + k * DAY + slot * 8 * HOUR;
      if (k < N || slot === 0) {
        binFunding.push([t, binRate(k, slot)]);
      }
    }
    for (let slot = 0; slot < 6; slot++) {
      const t = T0 + k * DAY + slot * 4 * HOUR;
      if (k < N || slot === 0) {
        fourH.push([t, rate4h(k)]);
      }
    }
  }
  return {
    asset: 'BTC',
    series: [
      { venue: 'coinbase', kind: 'spot', quote: 'USD', points: days.map((t, k) => [t, coinbase[k]]) },
      { venue: 'binanceusdm', kind: 'perp', quote: 'USD', points: days.map((t, k) => [t, binPerp[k]]) },
      { venue: 'bybit', kind: 'perp', quote: 'USD', points: days.map((t, k) => [t, bybitPerp[k]]) },
      { venue: 'bybit', kind: 'openInterest', unit: 'usd', points: days.map((t, k) => [t, bybitOiUsd[k]]) },
      { venue: 'binanceusdm', kind: 'openInterest', unit: 'base', points: days.map((t, k) => [t, binOiBtc[k]]) },
      {
        venue: 'okx',
        kind: 'openInterest',
        unit: 'usd',
        points: days.flatMap((t, k) => (okxOiUsd[k] === null ? [] : [[t, okxOiUsd[k]]])),
      },
      { venue: 'binanceusdm', kind: 'funding', intervalHours: 8, points: binFunding },
      { venue: 'deribit', kind: 'funding', intervalHours: 4, points: fourH },
    ],
  };
}

/* ---------------- independent hand computation ---------------- */

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const perpBasket = days.map((_, k) => (binPerp[k] + bybitPerp[k]) / 2);
const premium = days.map((_, k) => ((coinbase[k] - perpBasket[k]) / perpBasket[k]) * 100);
const oiBin = days.map((_, k) => binOiBtc[k] * binPerp[k]);
const oiOkx = days.map((_, k) => okxOiUsd[k] ?? 0);
const oiSum = days.map((_, k) => bybitOiUsd[k] + oiBin[k] + oiOkx[k]);
/** Chain-linked index: growth over the venues present on both bars, scaled to oiUsd on the last bar. */
const oiIndex = (() => {
  const idx = new Array<number>(N).fill(1);
  for (let k = 1; k < N; k++) {
    const venues: Array<Array<number | null>> = [bybitOiUsd, oiBin, okxOiUsd];
    const both = venues.filter((s) => s[k] !== null && s[k - 1] !== null);
    idx[k] =
      (idx[k - 1] * both.reduce((a, s) => a + (s[k] as number), 0)) /
      both.reduce((a, s) => a + (s[k - 1] as number), 0);
  }
  const scale = oiSum[N - 1] / idx[N - 1];
  return idx.map((x) => x * scale);
})();
/** Day d's 8h TWAP: the settlements at d+8h, d+16h and d+24h each apply to one third of the day. */
const binTwap = days.map((_, k) => mean([binRate(k, 1), binRate(k, 2), binRate(k + 1, 0)]));
/** 4h venue: settlements at d+4h .. d+24h; the last belongs to day d+1's rate. */
const fourTwap8h = days.map((_, k) => (2 * (5 * rate4h(k) + rate4h(k + 1))) / 6);
const oiDeribitUnknown = true; // deribit has funding but no OI series
/** Population z over the window of n values ending at k. */
function zAt(xs: number[], k: number, n: number): number | null {
  if (k + 1 < n) {
    return null;
  }
  const w = xs.slice(k + 1 - n, k + 1);
  const m = mean(w);
  const sd = Math.sqrt(mean(w.map((x) => (x - m) ** 2)));
  return sd === 0 ? null : (xs[k] - m) / sd;
}

/* ---------------- helpers ---------------- */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'btc-flow-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeBundle(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

async function run(argv: string[], opts: { tty?: boolean; env?: Record<string, string> } = {}) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    stdoutIsTTY: opts.tty ?? false,
    env: opts.env ?? {},
  };
  const code = await main(argv, io);
  return { code, out, err };
}

function spawnCli(args: string[]) {
  const r = spawnSync(TSX, ['cli/btc-flow.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BTC_FLOW_DEBUG: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const close = (a: number | null, b: number | null, tol = 1e-9) => {
  if (b === null) {
    expect(a).toBeNull();
  } else {
    expect(a).not.toBeNull();
    expect(Math.abs((a as number) - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
  }
};

/* ---------------- tests ---------------- */

describe('compute: values against a hand computation', () => {
  let doc: any;
  let text: string;
  beforeAll(async () => {
    const file = writeBundle('tiny.json', bundle());
    const r = await run([
      'compute',
      file,
      '--timeframe',
      '1d',
      '--set',
      'lookback=3',
      '--set',
      'fundingWeighting=equal',
      '--format',
      'json',
    ]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    text = r.out;
    doc = JSON.parse(r.out);
  });

  it('has exactly the documented top-level and bar fields', () => {
    expect(Object.keys(doc).sort()).toEqual(['bars', 'coverage', 'events', 'timeframe']);
    expect(doc.timeframe).toBe('1d');
    for (const b of doc.bars) {
      expect(Object.keys(b).sort()).toEqual(
        [
          'time',
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
          'states',
        ].sort()
      );
      expect(Array.isArray(b.states)).toBe(true);
    }
    for (const e of doc.events) {
      expect(Object.keys(e).sort()).toEqual(['kind', 'text', 'time', 'timeEnd', 'title']);
    }
    expect(text).not.toMatch(/NaN|Infinity/);
  });

  it('premium, baskets and premium z match the hand computation', () => {
    for (let k = 0; k < N; k++) {
      const b = doc.bars.find((x: any) => x.time === days[k]);
      expect(b).toBeDefined();
      close(b.spotUsd, coinbase[k]);
      close(b.perpUsd, perpBasket[k]);
      close(b.premiumPct, premium[k]);
      close(b.premiumZ, zAt(premium, k, 3), 1e-6);
    }
    // written out: spot 110 vs perps (111 + 109.5) / 2 = 110.25 on the last day
    expect(doc.bars.find((x: any) => x.time === days[4]).premiumPct).toBeCloseTo((-0.25 / 110.25) * 100, 12);
    // the z-scores exist from the third bar on (lookback 3) and are not degenerate
    expect(premium.slice(2).every((_, j) => zAt(premium, j + 2, 3) !== null)).toBe(true);
  });

  it('OI sum (base units × that venue perp close) and the chain-linked index match', () => {
    for (let k = 0; k < N; k++) {
      const b = doc.bars.find((x: any) => x.time === days[k]);
      close(b.oiUsd, oiSum[k]);
      close(b.oiIndexUsd, oiIndex[k], 1e-9);
      close(b.oiZ, zAt(oiIndex, k, 3), 1e-6);
    }
    // the index does not jump when okx joins on day 2, unlike the raw sum
    const raw = oiSum[2] / oiSum[1];
    const idx = oiIndex[2] / oiIndex[1];
    expect(raw).toBeGreaterThan(idx + 0.3);
  });

  it('funding: 8h TWAP per venue, 4h interval normalised, equal-weight composite, APR = rate × 3 × 365 × 100', () => {
    expect(oiDeribitUnknown).toBe(true);
    const composite = days.map((_, k) => (binTwap[k] + fourTwap8h[k]) / 2);
    for (let k = 0; k < N - 1; k++) {
      const b = doc.bars.find((x: any) => x.time === days[k]);
      close(b.fundingRate8h, composite[k], 1e-9);
      close(b.fundingAprPct, composite[k] * 3 * 365 * 100, 1e-9);
    }
    // a worked example written out: day 0 = mean(0.00011, 0.00012, 0.0002) = 0.00014333.. for Binance,
    // 2 × (5 × 0.00004 + 0.00008) / 6 = 0.00009333.. for the 4h venue
    const b0 = doc.bars.find((x: any) => x.time === days[0]);
    expect(b0.fundingRate8h).toBeCloseTo((0.00043 / 3 + 0.00056 / 6) / 2, 12);
    expect(b0.fundingAprPct).toBeCloseTo(((0.00043 / 3 + 0.00056 / 6) / 2) * 109500, 9);
  });

  it('states are known kinds and events carry ISO-able times', () => {
    const kinds = ['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom'];
    for (const b of doc.bars) {
      for (const s of b.states) {
        expect(kinds).toContain(s);
      }
    }
    for (const e of doc.events) {
      expect(kinds).toContain(e.kind);
      expect(e.timeEnd).toBeGreaterThan(e.time);
    }
  });

  it('--from/--to restrict the bars output', async () => {
    const file = writeBundle('tiny2.json', bundle());
    const r = await run(['compute', file, '--from', '2024-01-02', '--to', '2024-01-04T00:00:00Z', '--format', 'json']);
    expect(r.code).toBe(0);
    const times = JSON.parse(r.out).bars.map((b: any) => b.time);
    expect(times).toEqual([days[1], days[2], days[3]]);
  });
});

describe('compute: csv and table', () => {
  it('csv has a header row and one row per bar matching the json values', async () => {
    const file = writeBundle('tiny-csv.json', bundle());
    const j = JSON.parse((await run(['compute', file, '--set', 'lookback=3', '--format', 'json'])).out);
    const r = await run(['compute', file, '--set', 'lookback=3', '--format', 'csv']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    const head = lines[0].split(',');
    expect(head).toEqual([
      'time',
      'timeIso',
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
      'states',
    ]);
    expect(lines.length).toBe(1 + j.bars.length);
    lines.slice(1).forEach((line, k) => {
      const cells = line.split(',');
      expect(cells.length).toBe(head.length);
      const bar = j.bars[k];
      expect(Number(cells[0])).toBe(bar.time);
      expect(cells[1]).toBe(new Date(bar.time).toISOString());
      for (let c = 2; c < head.length - 1; c++) {
        const v = bar[head[c]];
        expect(cells[c] === '' ? null : Number(cells[c])).toBe(v);
      }
      expect(cells[head.length - 1]).toBe(bar.states.join('|'));
    });
  });

  it('table is aligned, with ISO dates and "-" for unknown values; it is the default on a terminal', async () => {
    const file = writeBundle('tiny-table.json', bundle());
    // one-bar bullish / bearish rules (no EMA, no deadbands), so that this 6-day bundle has events to list
    const oneBar = ['premiumEmaBars=1', 'premiumSlopeBars=1', 'premiumDeadbandPct=0', 'premiumSlopeDeadbandPct=0'];
    const r = await run(['compute', file, '--set', 'lookback=3', ...oneBar.flatMap((s) => ['--set', s])], {
      tty: true,
    });
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(
      /^time\s+spotUsd\s+perpUsd\s+prem%\s+premZ\s+oiUsd\s+oiIndex\s+oiZ\s+fund8h%\s+fundApr%\s+fundZ\s+states$/
    );
    const rows = lines.slice(1, lines.indexOf('')).filter((l) => /^\d{4}-\d{2}-\d{2}\s/.test(l));
    const isoDays = days.map((t) => new Date(t).toISOString().slice(0, 10));
    // one row per bar, in time order, every input day present (the engine may add a funding-only bar at the edges)
    const rowDays = rows.map((l) => l.slice(0, 10));
    expect([...rowDays].sort()).toEqual(rowDays);
    expect(rowDays.filter((d) => isoDays.includes(d))).toEqual(isoDays);
    // right-aligned numeric columns: the premZ column ends at the same offset on every row
    const end = lines[0].indexOf('premZ') + 'premZ'.length;
    for (const row of rows) {
      expect(row[end - 1]).not.toBe(' ');
      expect(row[end]).toBe(' ');
    }
    // premZ is unknown on the first two days (lookback 3) and known on the third
    const premZCell = (d: string) =>
      rows
        .find((l) => l.startsWith(d))!
        .slice(0, end)
        .trimEnd()
        .split(/\s+/)
        .pop();
    expect(premZCell(isoDays[0])).toBe('-');
    expect(premZCell(isoDays[1])).toBe('-');
    expect(premZCell(isoDays[2])).toMatch(/^-?\d+\.\d\d$/);
    expect(r.out).toMatch(
      new RegExp(`\\n${rows.length} bars \\(1d\\), ${rowDays[0]} \\.\\. ${rowDays[rowDays.length - 1]}; `)
    );
    // the events follow, one aligned row each, with ISO start and (exclusive) end
    const nEvents = Number(/; (\d+) events\n/.exec(r.out)![1]);
    const evHead = lines.findIndex((l) => l.startsWith('start'));
    expect(nEvents).toBeGreaterThan(0);
    expect(evHead).toBeGreaterThanOrEqual(0);
    expect(lines.slice(evHead + 1).filter((l) => /^\d{4}-/.test(l))).toHaveLength(nEvents);
    expect(nEvents ? lines[evHead] : 'start  end (excl.)  kind  title  text').toMatch(
      /^start\s+end \(excl\.\)\s+kind\s+title\s+text$/
    );
  });
});

describe('bad input: exit 2 and one line naming the problem', () => {
  const good = () => bundle();
  const cases: Array<[string, () => Promise<string[]>, RegExp[]]> = [
    [
      'malformed JSON',
      async () => ['compute', writeBundle('bad.json', '{\n  "asset": "BTC",\n  "series": [1 2]\n}')],
      [/bad\.json/, /line 3, column 16/, /position/],
    ],
    [
      'unknown kind',
      async () => {
        const b: any = good();
        b.series[2].kind = 'options';
        return ['compute', writeBundle('kind.json', b)];
      },
      [/series\[2\]\.kind/, /"options"/, /allowed: spot, perp, openInterest, funding, fx/],
    ],
    [
      'unsorted timestamps',
      async () => {
        const b: any = good();
        [b.series[0].points[1], b.series[0].points[2]] = [b.series[0].points[2], b.series[0].points[1]];
        return ['compute', writeBundle('unsorted.json', b)];
      },
      [/series\[0\]\.points\[2\]\[0\]/, /sorted/],
    ],
    [
      'duplicate timestamps',
      async () => {
        const b: any = good();
        b.series[1].points[3][0] = b.series[1].points[2][0];
        return ['compute', writeBundle('dup.json', b)];
      },
      [/series\[1\]\.points\[3\]\[0\]/, /duplicate/],
    ],
    [
      'non-finite value (1e999 parses to Infinity)',
      async () => {
        const text = JSON.stringify(good()).replace('[1704153600000,102]', '[1704153600000,1e999]');
        expect(text).toContain('1e999');
        return ['compute', writeBundle('inf.json', text)];
      },
      [/series\[0\]\.points\[1\]\[1\]/, /finite/],
    ],
    [
      'null value',
      async () => {
        const b: any = good();
        b.series[3].points[0][1] = null;
        return ['compute', writeBundle('null.json', b)];
      },
      [/series\[3\]\.points\[0\]\[1\]/, /finite/],
    ],
    [
      'non-positive price',
      async () => {
        const b: any = good();
        b.series[1].points[4][1] = 0;
        return ['compute', writeBundle('zero.json', b)];
      },
      [/series\[1\]\.points\[4\]\[1\]/, /positive/],
    ],
    [
      'empty series',
      async () => {
        const b: any = good();
        b.series[4].points = [];
        return ['compute', writeBundle('empty.json', b)];
      },
      [/series\[4\]\.points/, /empty/],
    ],
    ['missing file', async () => ['compute', join(dir, 'nope.json')], [/nope\.json/, /no such file/]],
    [
      'unknown timeframe',
      async () => ['compute', writeBundle('tf.json', good()), '--timeframe', '2d'],
      [/--timeframe/, /"2d"/, /1h, 4h, 1d, 3d, 1w, 1M/],
    ],
    [
      'unknown option',
      async () => ['compute', writeBundle('opt.json', good()), '--set', 'lookbak=5'],
      [/lookbak/, /allowed: .*lookback/],
    ],
    [
      'bad option value',
      async () => ['compute', writeBundle('optv.json', good()), '--set', 'fundingWeighting=volume'],
      [/fundingWeighting/, /oi \| equal/],
    ],
    [
      '--set without =',
      async () => ['compute', writeBundle('set.json', good()), '--set', 'lookback'],
      [/--set/, /name=value/],
    ],
    [
      '--from after --to',
      async () => ['compute', writeBundle('range.json', good()), '--from', '2024-02-01', '--to', '2024-01-01'],
      [/--from/, /after --to/],
    ],
    [
      'bad ISO date',
      async () => ['compute', writeBundle('iso.json', good()), '--from', '2024-02-30'],
      [/--from/, /bad ISO date "2024-02-30"/],
    ],
    [
      'unknown flag',
      async () => ['compute', writeBundle('flag.json', good()), '--tf', '1d'],
      [/unknown flag --tf/, /--timeframe/],
    ],
    [
      'unknown format',
      async () => ['compute', writeBundle('fmt.json', good()), '--format', 'xml'],
      [/--format/, /json, table, csv/],
    ],
    ['unknown subcommand', async () => ['comptue', 'x.json'], [/unknown subcommand "comptue"/, /allowed: compute/]],
    ['missing bundle argument', async () => ['compute'], [/missing the bundle file/]],
    [
      'flag missing its value',
      async () => ['compute', writeBundle('fv.json', good()), '--timeframe'],
      [/--timeframe needs a value/],
    ],
  ];

  it.each(cases)('%s', async (_name, argv, patterns) => {
    const r = await run(await argv());
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.endsWith('\n')).toBe(true);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^btc-flow: /);
    expect(r.err).not.toMatch(/\n\s+at /);
    for (const p of patterns) {
      expect(r.err).toMatch(p);
    }
  });
});

describe('internal errors and help', () => {
  const io = () => {
    const lines: string[] = [];
    return {
      lines,
      io: { stdout: () => undefined, stderr: (t: string) => void lines.push(t), stdoutIsTTY: false, env: {} } as CliIo,
    };
  };
  it('an unexpected exception is exit 1 with one line, the stack only in debug mode', () => {
    const a = io();
    const err = new TypeError('boom');
    expect(reportError(err, a.io, false)).toBe(1);
    expect(a.lines.join('')).toMatch(/^btc-flow: internal error: TypeError: boom \(run with --debug/);
    expect(a.lines.join('').trimEnd().split('\n')).toHaveLength(1);
    const b = io();
    expect(reportError(err, b.io, true)).toBe(1);
    expect(b.lines.join('')).toMatch(/\n\s+at /);
  });

  it('--help per subcommand goes to stdout with exit 0', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Subcommands:/);
    const c = await run(['compute', '--help']);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/--timeframe TF/);
    expect(c.out).toMatch(/lookback/);
    const h = await run(['help', 'compute']);
    expect(h.out).toBe(c.out);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/Usage:/);
  });
});

describe('the real process (spawned)', () => {
  it('prints JSON by default when stdout is a pipe, exit 0', () => {
    const file = writeBundle('spawn.json', bundle());
    const r = spawnCli(['compute', file, '--set', 'lookback=3']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.timeframe).toBe('1d');
    const b = doc.bars.find((x: any) => x.time === days[1]);
    close(b.premiumPct, premium[1]);
  });

  it('malformed JSON: exit 2, one stderr line, no stack trace', () => {
    const file = writeBundle('spawn-bad.json', '{"asset": "BTC", "series": [}');
    const r = spawnCli(['compute', file]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/spawn-bad\.json: malformed JSON at line 1, column 29/);
  });

  it('unknown subcommand through the process: exit 2', () => {
    const r = spawnCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });
});
