/** @jest-environment node */
/**
 * btc-flow fetch / metrics against the in-process mock exchange server (127.0.0.1, port 0). Every run passes
 * --base-url, so no request can reach a real exchange. Expected prices come from the mock's simulated market.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { candle } from '../mock/market';
import { startMockServer, type MockServer } from '../mock/server';
import { validateBundle } from '../src/core';
import { CliIo, main } from './btc-flow';

const ROOT = resolve(__dirname, '..');
const DAY = 86_400_000;
const FROM = Date.UTC(2025, 0, 1);
const TO = Date.UTC(2025, 1, 1);
const VENUES = 'coinbase,binanceusdm,bybit';

let srv: MockServer;
let dir: string;

beforeAll(async () => {
  srv = await startMockServer({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'btc-flow-fetch-'));
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  srv.setFaults([]);
});

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    stdoutIsTTY: false,
    env: {},
  };
  const code = await main(argv, io);
  return { code, out, err };
}

// a generous timeout: the machine may be busy with other suites
const base = () => ['--base-url', srv.url, '--timeout', '60'];
const range = ['--from', '2025-01-01', '--to', '2025-02-01'];

describe('fetch', () => {
  let file: string;
  let res: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    file = join(dir, 'fetched.json');
    res = await run([
      'fetch',
      '--asset',
      'btc',
      '--timeframe',
      '1d',
      ...range,
      '--venues',
      VENUES,
      ...base(),
      '--out',
      file,
    ]);
  });

  it('writes a bundle that compute accepts, with the venues asked for', () => {
    expect(res.code).toBe(0);
    const bundle = validateBundle(JSON.parse(readFileSync(file, 'utf8')));
    expect(bundle.asset).toBe('BTC');
    const ids = new Set(bundle.series.map((s) => `${s.venue} ${s.kind}`));
    for (const want of [
      'coinbase spot',
      'binanceusdm perp',
      'binanceusdm funding',
      'bybit perp',
      'bybit funding',
      'bybit openInterest',
    ]) {
      expect(ids).toContain(want);
    }
    // the USDT/USD reference comes along, so USDT quotes can be converted
    expect(bundle.series.some((s) => s.kind === 'fx')).toBe(true);
    for (const s of bundle.series) {
      expect(s.points.length).toBeGreaterThan(0);
    }
  });

  it('daily closes are the simulated market closes, one per day of the range', () => {
    const bundle = validateBundle(JSON.parse(readFileSync(file, 'utf8')));
    const cb = bundle.series.find((s) => s.venue === 'coinbase' && s.kind === 'spot')!;
    const inRange = cb.points.filter(([t]) => t >= FROM && t <= TO);
    expect(inRange.map((p) => p[0])).toEqual(Array.from({ length: 32 }, (_, i) => FROM + i * DAY));
    for (const [t, close] of inRange) {
      const c = candle('coinbase', 'BTC', 'spot', t, DAY)!;
      expect(Math.abs(close - c.close) / c.close).toBeLessThan(1e-6);
    }
    const fund = bundle.series.find((s) => s.venue === 'binanceusdm' && s.kind === 'funding')!;
    expect(fund.kind === 'funding' && fund.intervalHours).toBe(8);
  });

  it('reports progress per series on stderr and nothing on stdout', () => {
    expect(res.out).toBe('');
    expect(res.err).toMatch(
      /^btc-flow: fetching BTC 1d 2025-01-01T00:00:00\.000Z \.\. 2025-02-01T00:00:00\.000Z via http:\/\/127\.0\.0\.1:\d+\n/
    );
    const lines = res.err.split('\n').filter((l) => /^btc-flow: \[\d+\/\d+\] /.test(l));
    const total = Number(/\[\d+\/(\d+)\]/.exec(lines[0])![1]);
    expect(lines).toHaveLength(total);
    // counters count up from 1 (never [0/n])
    expect(lines.map((l) => Number(/\[(\d+)\//.exec(l)![1]))).toEqual(lines.map((_, i) => i + 1));
    // each venue says when it starts, before any of its series ends
    for (const v of VENUES.split(',')) {
      const started = res.err.indexOf(`btc-flow: ${v} started (`);
      expect(started).toBeGreaterThan(0);
      expect(started).toBeLessThan(res.err.search(new RegExp(`\\] ${v} \\w+ (ok|FAILED)`)));
    }
    expect(res.err).toMatch(/\[\d+\/\d+\] coinbase spot ok/);
    expect(res.err).toMatch(/btc-flow: fetched \d+ series, \d+ points in [\d.]+ s/);
  });

  it('a venue that fails is left out with a warning naming it; the rest is written (exit 0)', async () => {
    srv.setFaults([{ venue: 'bybit', endpoint: 'fundingHistory', type: 'malformed' }]);
    const out = join(dir, 'faulty.json');
    const r = await run(['fetch', '--timeframe', '1d', ...range, '--venues', VENUES, ...base(), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/btc-flow: warning: bybit: funding left out: /);
    const bundle = validateBundle(JSON.parse(readFileSync(out, 'utf8')));
    expect(bundle.series.some((s) => s.venue === 'bybit' && s.kind === 'funding')).toBe(false);
    expect(bundle.series.some((s) => s.venue === 'bybit' && s.kind === 'perp')).toBe(true);
    expect(bundle.series.some((s) => s.venue === 'binanceusdm' && s.kind === 'funding')).toBe(true);
  });
});

describe('metrics', () => {
  it("the mock's gaps fault on binanceusdm funding is said: how many points are missing and where (item 2)", async () => {
    srv.setFaults([{ venue: 'binanceusdm', endpoint: 'fundingHistory', type: 'gaps' }]);
    const args = [
      'metrics',
      '--timeframe',
      '1d',
      '--from',
      '2025-01-01',
      '--to',
      '2025-01-20',
      '--venues',
      'binanceusdm',
    ];
    const r = await run([...args, '--set', 'lookback=5', '--format', 'json', ...base()]);
    expect(r.code).toBe(0);
    const line = r.err.split('\n').find((l) => l.startsWith('btc-flow: note: gaps: funding binanceusdm misses '));
    expect(line).toMatch(
      /misses (\d+) points against its usual spacing of 8 h, in (\d+) gaps: \d{4}-\d\d-\d\d \d\d:00 \.\. /
    );
    const doc = JSON.parse(r.out);
    const cov = doc.coverage.series.find((x: { venue: string; kind: string }) => x.kind === 'funding');
    expect(cov.missing).toBeGreaterThan(5);
    expect(Number(/misses (\d+) points/.exec(line!)![1])).toBe(cov.missing);
    // each listed gap spans two spacings (one settlement dropped) and is inside the series
    for (const g of cov.gaps) {
      expect(g.to - g.from).toBe(16 * 3_600_000);
      expect(g.missing).toBe(1);
      expect(g.from).toBeGreaterThanOrEqual(cov.first);
    }
    // without the fault: no gaps note
    srv.setFaults([]);
    const clean = await run([...args, '--set', 'lookback=5', '--format', 'json', ...base()]);
    expect(clean.err).not.toMatch(/note: gaps:/);
  });

  it("lookback 100000 does not page back to 1751: the warm-up is capped at the venues' first data, with a notice", async () => {
    srv.resetStats();
    const r = await run([
      'metrics',
      '--timeframe',
      '1d',
      '--from',
      '2025-01-01',
      '--to',
      '2025-01-10',
      '--venues',
      'coinbase,bybit',
      '--set',
      'lookback=100000',
      '--format',
      'json',
      ...base(),
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /btc-flow: info: warm-up capped: 100000 1d bars before --from would start 1751-\d\d-\d\d; no chosen venue has data before 2015-01-01, so the fetch starts there/
    );
    // about 10 years of daily bars from 2 venues: tens of requests, not thousands
    expect(srv.stats().total).toBeLessThan(80);
    const doc = JSON.parse(r.out);
    expect(doc.bars.length).toBe(10);
    // the data is still shorter than the lookback: the engine says so
    expect(r.err).toMatch(/btc-flow: note: z-scores: the lookback of 100000 bars is longer than the data/);
  });

  it('fetch + compute in one step gives the premium compute gives on the fetched bundle, with z-scores from --from on', async () => {
    const file = join(dir, 'fetched-m.json');
    const f = await run([
      'fetch',
      '--timeframe',
      '1d',
      '--from',
      '2024-10-03',
      '--to',
      '2025-02-01',
      '--venues',
      VENUES,
      ...base(),
      '--out',
      file,
      '--quiet',
    ]);
    expect(f.code).toBe(0);
    expect(f.err).toBe('');
    const c = await run(['compute', file, '--from', '2025-01-01', '--to', '2025-02-01', '--format', 'json', '--quiet']);
    const m = await run([
      'metrics',
      '--timeframe',
      '1d',
      ...range,
      '--venues',
      VENUES,
      ...base(),
      '--format',
      'json',
      '--quiet',
    ]);
    expect(c.code).toBe(0);
    expect(m.code).toBe(0);
    const cd = JSON.parse(c.out);
    const md = JSON.parse(m.out);
    expect(md.bars.map((b: any) => b.time)).toEqual(cd.bars.map((b: any) => b.time));
    expect(md.bars[0].time).toBe(FROM);
    md.bars.forEach((b: any, i: number) => {
      expect(b.premiumPct).toBeCloseTo(cd.bars[i].premiumPct, 12);
      expect(b.spotUsd).toBeCloseTo(cd.bars[i].spotUsd, 6);
    });
    // the 90-bar warm-up (default daily lookback) was fetched: z exists on the first output bar
    expect(md.bars[0].premiumZ).not.toBeNull();
    expect(md.bars[0].fundingZ).not.toBeNull();
  });
});

describe('bad input: exit 2, one line, before any request', () => {
  const cases: Array<[string, string[], RegExp[]]> = [
    [
      'unknown venue',
      ['fetch', ...range, '--venues', 'coinbase,bitmex'],
      [/--venues: unknown venue "bitmex"/, /no longer ship/, /known venues: .*coinbase/],
    ],
    ['unknown timeframe', ['fetch', ...range, '--timeframe', '5m'], [/--timeframe/, /"5m"/, /1h, 4h, 1d, 3d, 1w, 1M/]],
    ['bad asset code', ['fetch', ...range, '--asset', 'BTC/USD'], [/--asset: bad asset "BTC\/USD"/]],
    ['missing --from', ['fetch', '--to', '2025-01-01'], [/--from is required/]],
    ['--from after --to', ['metrics', '--from', '2025-02-01', '--to', '2025-01-01'], [/--from .* is after --to/]],
    ['unknown option', ['metrics', ...range, '--set', 'nope=1'], [/unknown option "nope"/]],
    ['unknown flag', ['fetch', ...range, '--venue', 'coinbase'], [/unknown flag --venue/, /--venues/]],
  ];
  it.each(cases)('%s', async (_n, argv, patterns) => {
    srv.resetStats();
    const r = await run([...argv, ...base()]);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    for (const p of patterns) {
      expect(r.err).toMatch(p);
    }
    expect(srv.stats().total ?? 0).toBe(0);
  });

  it('bad timeout', async () => {
    const r = await run(['fetch', ...range, '--base-url', srv.url, '--timeout', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^btc-flow: --timeout: expected seconds from 1 to 600, got "0"\n$/);
    const tiny = await run(['fetch', ...range, '--base-url', srv.url, '--timeout', '0.001']);
    expect(tiny.code).toBe(2);
    expect(tiny.err).toMatch(/^btc-flow: --timeout: expected seconds from 1 to 600, got "0\.001"\n$/);
  });

  it('bad base URL', async () => {
    const r = await run(['fetch', ...range, '--base-url', 'ftp://127.0.0.1/x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^btc-flow: --base-url: expected http\(s\):\/\/host\[:port\]\[\/path\], e\.g\. http:\/\/127\.0\.0\.1:8788 \(no query or fragment\), got "ftp:\/\/127\.0\.0\.1\/x"\n$/
    );
  });

  it('a base URL with a password: exit 2, and the password is on no line (item 7)', async () => {
    const withPw = srv.url.replace('http://', 'http://u:s3cret@');
    const r = await run(['fetch', ...range, '--venues', 'coinbase', '--base-url', withPw]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^btc-flow: --base-url: must not contain a user name or password .*http:\/\/\*\*\*@127/);
    expect(r.err + r.out).not.toContain('s3cret');
    expect(srv.stats().total ?? 0).toBe(0);
  });

  it('--out in a folder that does not exist fails before any request (exit 2, one line)', async () => {
    srv.resetStats();
    const r = await run(['fetch', ...range, ...base(), '--out', '/nonexistent/dir/x.json']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'btc-flow: --out: cannot write /nonexistent/dir/x.json: the directory /nonexistent/dir does not exist\n'
    );
    expect(srv.stats().total ?? 0).toBe(0);
  });

  it('an asset no chosen venue lists: exit 2 naming the asset', async () => {
    const r = await run(['fetch', ...range, '--asset', 'NOPE', '--venues', 'coinbase,binanceusdm', ...base()]);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n').pop()).toMatch(/^btc-flow: --asset: no chosen venue lists NOPE/);
  });

  it('--help of fetch and metrics', async () => {
    const f = await run(['fetch', '--help']);
    expect(f.code).toBe(0);
    expect(f.out).toMatch(/--base-url URL/);
    expect(f.out).toMatch(/Venues: .*binanceusdm/);
    const m = await run(['help', 'metrics']);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/warm-up|starts `lookback` bars earlier/);
  });
});

describe('the real process', () => {
  it('fetch to stdout exits on its own (no dangling handles) with exit 0', async () => {
    const child = spawn(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['cli/btc-flow.ts', 'fetch', '--timeframe', '1w', ...range, '--venues', 'coinbase', ...base(), '--quiet'],
      { cwd: ROOT }
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code).toBe(0);
    const bundle = validateBundle(JSON.parse(out));
    expect(bundle.series.map((s) => s.venue + ' ' + s.kind)).toEqual(expect.arrayContaining(['coinbase spot']));
  });
});
