/** @jest-environment node */
/**
 * Alerting end to end, with the real servers (issue 11): two mock exchange servers (child processes: the default
 * market with okx failing through `POST /__faults`, and `--scenario over-leverage`), a recorder against each (started
 * in-process by `startRecorder`, the function behind `recorder run`, serving GET /metrics), Prometheus scraping both
 * every second with the project's rules, Alertmanager with a webhook receiver served by this test. Everything binds
 * 127.0.0.1, lives in a temporary folder and is stopped in afterAll, also when a test fails. Readiness is polled.
 *
 * Clocks: the mocks (`--now`) and the recorders (`now`) are frozen at FIXED_NOW, a time at which the default market's
 * last bars are not over-leveraged (mock/scenario.test.ts): the default market is a random walk that ends
 * over-leveraged by itself about one time in four, so with the real clock "without the scenario the alert stays
 * inactive" would depend on the day the test runs. Prometheus runs on the real clock (its data-stale rule goes
 * pending, which the test ignores).
 *
 * Rule `for:` durations: the project's rules as they are, except BtcFlowVenueDown, whose `for: 3h` (3 bars of 1h)
 * becomes 5s in the test's copy of rules.yml: nothing else would make it fire within a test. Over-leverage keeps its
 * `for: 1m`, so the test waits a minute for it.
 *
 * Expected values come from `btc-flow metrics` (the CLI, in-process) for the same last closed bar on the same mock,
 * with the same venues (without okx for the default market, where it fails: the metrics come from the other venues).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { main as cliMain, type CliIo } from '../cli/btc-flow';
import { venuesByRole } from '../src/exchanges/registry';
import type { Timeframe } from '../src/core/types';
import { startRecorder, type RunHandle } from './cli';
import { exportWindow } from './exporter/attach';
import { BAR_GAUGES, VENUE_COUNT_KINDS } from './exporter/metrics';

jest.setTimeout(9 * 60_000);

const ROOT = resolve(__dirname, '..');
const FIXED_NOW = Date.parse('2026-09-23T11:17:00Z');
type Market = 'default' | 'over-leverage';
const ASSET = 'BTC';
const TIMEFRAMES: Timeframe[] = ['1h', '1d'];
/**
 * The venues recorded per market. binanceusdm keeps 30 days of OI and okx a shorter OI history than the 1h and 1d
 * windows: both the recorder and `btc-flow metrics` use the part the venue keeps (with the same retention edge, counted
 * from the mocks' frozen clock), so they are compared like the others. okx fails every request on the default market.
 */
const VENUES: Record<Market, string[]> = {
  default: ['coinbase', 'kraken', 'bybit', 'krakenfutures', 'okx', 'binanceusdm'],
  'over-leverage': ['coinbase', 'kraken', 'bybit', 'krakenfutures', 'okx', 'binanceusdm'],
};
const FAILED_VENUE = 'okx';
/** Enough stored history for the 1d window: 2 × 90 bars (output window + z-score warm-up) plus a margin. */
const FILL_DAYS = 185;

type Json = Record<string, any>;

const children: ChildProcess[] = [];
const recorders: RunHandle[] = [];
const servers: http.Server[] = [];
const logs: string[] = [];
let dir: string;

/* ------------------------------------------------------------------------------------------------
 * Processes
 * ---------------------------------------------------------------------------------------------- */

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

function start(name: string, cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const keep = (d: Buffer) => {
    logs.push(`[${name}] ${d.toString().trimEnd()}`);
    if (logs.length > 400) {
      logs.splice(0, logs.length - 400);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function startMock(extra: string[]): Promise<string> {
  const child = start('mock', process.execPath, [
    '--import',
    'tsx',
    'mock/server.ts',
    '--port',
    '0',
    '--now',
    new Date(FIXED_NOW).toISOString(),
    ...extra,
  ]);
  return new Promise<string>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error('mock server did not start within 60 s')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`mock server exited with ${code}`));
    });
  });
}

/** Polls `fn` until it returns a value other than undefined (never a fixed sleep); fails with `what` after `ms`. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) {
        return v;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > ms) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\n` +
          logs.slice(-40).join('\n')
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function getJson(url: string): Promise<Json> {
  const r = await fetch(url);
  if (!r.ok) {
    throw new Error(`${url}: HTTP ${r.status}`);
  }
  return (await r.json()) as Json;
}

/* ------------------------------------------------------------------------------------------------
 * Setup: mocks, recorders, Prometheus, Alertmanager, webhook
 * ---------------------------------------------------------------------------------------------- */

let promUrl: string;
let amUrl: string;
const webhook: Json[] = [];
const recorderUrl: Partial<Record<Market, string>> = {};
const mockUrl: Partial<Record<Market, string>> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btc-flow-alerting-'));

  // webhook receiver for Alertmanager
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        webhook.push(JSON.parse(body) as Json);
      } catch {
        webhook.push({ unparsable: body });
      }
      res.writeHead(200);
      res.end('ok');
    });
  });
  servers.push(hook);
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookPort = (hook.address() as net.AddressInfo).port;

  // mock exchanges; okx fails every request on the default market (set through the admin API)
  [mockUrl.default, mockUrl['over-leverage']] = await Promise.all([
    startMock([]),
    startMock(['--scenario', 'over-leverage']),
  ]);
  const fault = await fetch(`${mockUrl.default}/__faults`, {
    method: 'POST',
    body: JSON.stringify({ venue: FAILED_VENUE, endpoint: '*', type: '500' }),
  });
  expect(fault.status).toBe(200);

  // recorders (the function `recorder run` calls), clocks frozen with the mocks'
  for (const market of ['default', 'over-leverage'] as Market[]) {
    const h = await startRecorder({
      db: join(dir, `${market}.db`),
      assets: [ASSET],
      timeframes: TIMEFRAMES,
      venues: VENUES[market],
      port: 0,
      host: '127.0.0.1',
      baseUrl: mockUrl[market],
      fillDays: FILL_DAYS,
      timeoutSecs: 60,
      now: () => FIXED_NOW,
      log: (line) => logs.push(`[recorder ${market}] ${line}`),
    });
    recorders.push(h);
    recorderUrl[market] = h.url;
  }

  // Alertmanager with the test's webhook
  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    stringify({
      route: {
        receiver: 'test',
        group_by: ['alertname', 'market', 'asset', 'timeframe', 'venue', 'kind'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '1h',
      },
      receivers: [{ name: 'test', webhook_configs: [{ url: `http://127.0.0.1:${hookPort}/hook` }] }],
    })
  );
  start('alertmanager', 'prometheus-alertmanager', [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'am')}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    '--cluster.listen-address=',
  ]);

  // Prometheus: the project's rules, venue-down `for:` shortened in this copy only (see the header)
  const rules = parse(readFileSync(join(ROOT, 'prometheus', 'rules.yml'), 'utf8')) as Json;
  for (const g of rules.groups) {
    for (const r of g.rules) {
      if (r.alert === 'BtcFlowVenueDown') {
        r.for = '5s';
      }
    }
  }
  writeFileSync(join(dir, 'rules.yml'), stringify(rules));
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  const hostPort = (u: string) => new URL(u).host;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['rules.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: [
        {
          job_name: 'btc-flow-recorder',
          static_configs: [
            { targets: [hostPort(recorderUrl.default!)], labels: { market: 'default' } },
            { targets: [hostPort(recorderUrl['over-leverage']!)], labels: { market: 'over-leverage' } },
          ],
        },
      ],
    })
  );
  start('prometheus', 'prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
  ]);
  await until('Prometheus /-/ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
  await until('Alertmanager /-/ready', async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined));
});

afterAll(async () => {
  await Promise.allSettled(recorders.map((r) => r.stop()));
  await Promise.allSettled(children.map(stop));
  await Promise.allSettled(servers.map((s) => new Promise((r) => s.close(r))));
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/* ------------------------------------------------------------------------------------------------
 * Expected values: btc-flow metrics for the same last closed bar
 * ---------------------------------------------------------------------------------------------- */

interface CliBar {
  bar: Json;
  counts: Json;
}

const cliCache = new Map<string, Promise<CliBar>>();

function cliBar(market: Market, tf: Timeframe): Promise<CliBar> {
  const key = `${market}|${tf}`;
  if (!cliCache.has(key)) {
    cliCache.set(
      key,
      (async () => {
        const w = exportWindow(tf, FIXED_NOW);
        const venues = VENUES[market].filter((v) => !(market === 'default' && v === FAILED_VENUE));
        let out = '';
        let err = '';
        const io: CliIo = {
          stdout: (t) => void (out += t),
          stderr: (t) => void (err += t),
          stdoutIsTTY: false,
          env: {},
          // the mocks' frozen clock: venue retention (kraken's latest 720 candles) is counted from it, as the recorder does
          now: () => FIXED_NOW,
        };
        const code = await cliMain(
          [
            'metrics',
            '--asset',
            ASSET,
            '--timeframe',
            tf,
            '--from',
            new Date(w.from).toISOString(),
            '--to',
            new Date(w.barTime).toISOString(),
            '--venues',
            venues.join(','),
            '--base-url',
            mockUrl[market]!,
            '--timeout',
            '60',
            '--format',
            'json',
            '--quiet',
          ],
          io
        );
        if (code !== 0) {
          throw new Error(`btc-flow metrics exited ${code}: ${err}`);
        }
        const doc = JSON.parse(out) as Json;
        const bar = (doc.bars as Json[]).find((b) => b.time === w.barTime);
        const counts = (doc.coverage.bars as Json[]).find((b) => b.time === w.barTime);
        if (!bar || !counts) {
          throw new Error(`btc-flow metrics has no bar at ${new Date(w.barTime).toISOString()}`);
        }
        return { bar, counts };
      })()
    );
  }
  return cliCache.get(key)!;
}

/** Prometheus instant query → `labels JSON` → value. */
async function promQuery(query: string): Promise<Array<{ metric: Json; value: number }>> {
  const r = await getJson(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  return (r.data.result as Json[]).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
}

const close = (got: number, want: number) => Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), 1e-300);

/* ------------------------------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------------------------------- */

describe.each(['over-leverage', 'default'] as Market[])(
  'market %s: every exported metric equals btc-flow metrics',
  (market) => {
    it.each(TIMEFRAMES)('%s', async (tf) => {
      const { bar, counts } = await cliBar(market, tf);
      const sel = `market="${market}",asset="${ASSET}",timeframe="${tf}"`;
      // wait until Prometheus has scraped this recorder's bar values
      await until(`Prometheus has ${market} ${tf}`, async () =>
        (await promQuery(`btcflow_bar_timestamp_seconds{${sel}}`)).length === 1 ? true : undefined
      );
      const one = async (name: string, extra = '') => {
        const res = await promQuery(`${name}{${sel}${extra}}`);
        expect([name, extra, res.length <= 1]).toEqual([name, extra, true]);
        return res[0]?.value;
      };
      expect(await one('btcflow_bar_timestamp_seconds')).toBe(exportWindow(tf, FIXED_NOW).barTime / 1000);
      // the extreme score is not in the CLI output: the engine's rule, the mean of the available −premium z, OI z and
      // funding z, computed here from the CLI's z-scores
      const comps = [bar.premiumZ === null ? null : -bar.premiumZ, bar.oiZ, bar.fundingZ].filter(
        (x): x is number => x !== null
      );
      const expected: Record<string, number | null> = {
        premiumPct: bar.premiumPct,
        premiumZ: bar.premiumZ,
        oiUsd: bar.oiUsd,
        oiZ: bar.oiZ,
        fundingRate8h: bar.fundingRate8h,
        fundingAprPct: bar.fundingAprPct,
        fundingZ: bar.fundingZ,
        extremeScore: comps.length ? comps.reduce((a, b) => a + b, 0) / comps.length : null,
      };
      let compared = 0;
      for (const g of Object.values(BAR_GAUGES)) {
        const want = expected[g.field];
        const got = await one(g.name);
        if (want === null) {
          expect([g.name, got]).toEqual([g.name, undefined]); // absent, never NaN or 0
        } else {
          expect(`${g.name} ${close(got, want * g.scale) ? 'equal' : `${got} != ${want * g.scale}`}`).toBe(
            `${g.name} equal`
          );
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(5);
      for (const state of ['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom']) {
        expect([state, await one('btcflow_state', `,state="${state}"`)]).toEqual([
          state,
          (bar.states as string[]).includes(state) ? 1 : 0,
        ]);
      }
      const cliCounts: Record<string, number> = {
        spot: counts.spot,
        perp: counts.perp,
        openInterest: counts.oi,
        funding: counts.funding,
      };
      for (const kind of VENUE_COUNT_KINDS) {
        expect([kind, await one('btcflow_venues', `,kind="${kind}"`)]).toEqual([kind, cliCounts[kind]]);
      }
      // the perp basket is every recorded perp venue that answers (on the default market okx fails at the mock)
      const perps = VENUES[market].filter(
        (v) => venuesByRole().perp.includes(v) && !(market === 'default' && v === FAILED_VENUE)
      );
      expect(cliCounts.perp).toBe(perps.length);
      expect(perps.length).toBeGreaterThanOrEqual(3);
    });
  }
);

describe('rules, alerts and Alertmanager', () => {
  it('loads every rule of prometheus/rules.yml, all healthy', async () => {
    const names = (parse(readFileSync(join(ROOT, 'prometheus', 'rules.yml'), 'utf8')) as Json).groups.flatMap(
      (g: Json) => g.rules.map((r: Json) => r.alert)
    );
    const rules = await until('every rule evaluated and healthy', async () => {
      const r = await getJson(`${promUrl}/api/v1/rules`);
      const list: Json[] = r.data.groups.flatMap((g: Json) => g.rules);
      return list.length === names.length && list.every((x) => x.health === 'ok') ? list : undefined;
    });
    expect(rules.map((r) => r.name).sort()).toEqual([...names].sort());
  });

  it('over-leverage fires for the scenario market and reaches the webhook through Alertmanager with its values', async () => {
    const ol = await cliBar('over-leverage', '1d');
    expect(ol.bar.states).toContain('overLeverage'); // the scenario's premise, by the engine itself
    const expectFiring: Timeframe[] = [];
    for (const tf of TIMEFRAMES) {
      if (((await cliBar('over-leverage', tf)).bar.states as string[]).includes('overLeverage')) {
        expectFiring.push(tf);
      }
    }
    const alerts = await until('BtcFlowOverLeverage firing in Prometheus', async () => {
      const r = await getJson(`${promUrl}/api/v1/alerts`);
      const firing = (r.data.alerts as Json[]).filter(
        (a) => a.labels.alertname === 'BtcFlowOverLeverage' && a.state === 'firing'
      );
      return firing.length >= expectFiring.length ? firing : undefined;
    });
    expect(alerts.map((a) => `${a.labels.market} ${a.labels.timeframe}`).sort()).toEqual(
      expectFiring.map((tf) => `over-leverage ${tf}`).sort()
    );
    // through Alertmanager to the webhook
    const received = await until('the over-leverage alert at the webhook', async () => {
      const all = webhook.flatMap((p) => (p.alerts ?? []) as Json[]);
      const got = all.filter((a) => a.labels.alertname === 'BtcFlowOverLeverage' && a.status === 'firing');
      return got.length >= expectFiring.length ? got : undefined;
    });
    for (const tf of expectFiring) {
      const a = received.find((x) => x.labels.timeframe === tf)!;
      expect(a.labels).toMatchObject({
        alertname: 'BtcFlowOverLeverage',
        severity: 'warning',
        asset: ASSET,
        timeframe: tf,
        market: 'over-leverage',
        state: 'overLeverage',
        job: 'btc-flow-recorder',
      });
      const { bar } = await cliBar('over-leverage', tf);
      expect(a.annotations.summary).toBe(`${ASSET} ${tf}: over-leverage build-up`);
      expect(a.annotations.description).toContain(`OI z-score ${(bar.oiZ as number).toFixed(2)},`);
      expect(a.annotations.description).toContain(
        bar.fundingZ === null ? 'funding z-score n/a,' : `funding z-score ${(bar.fundingZ as number).toFixed(2)},`
      );
      expect(a.annotations.dashboard).toBe(
        `http://localhost:3000/d/btc-flow/btc-flow?var-asset=${ASSET}&var-timeframe=${tf}`
      );
    }
  });

  it('stays inactive for the default market (whose last closed bars are not over-leveraged)', async () => {
    for (const tf of TIMEFRAMES) {
      expect((await cliBar('default', tf)).bar.states).not.toContain('overLeverage');
    }
    // the default series have been evaluated as long as the scenario's (the previous test waited for `for: 1m`)
    const r = await getJson(`${promUrl}/api/v1/alerts`);
    const ol = (r.data.alerts as Json[]).filter((a) => a.labels.alertname === 'BtcFlowOverLeverage');
    expect(ol.length).toBeGreaterThan(0);
    expect(ol.filter((a) => a.labels.market === 'default')).toEqual([]);
    expect(
      webhook
        .flatMap((p) => (p.alerts ?? []) as Json[])
        .filter((a) => a.labels.alertname === 'BtcFlowOverLeverage' && a.labels.market === 'default')
    ).toEqual([]);
    const state = await promQuery(`btcflow_state{market="default",state="overLeverage"}`);
    expect(state.map((s) => s.value)).toEqual([0, 0]);
  });

  it('a venue failed at the mock fires venue-down (and only for it) while the metrics come from the others', async () => {
    const down = await until('BtcFlowVenueDown firing', async () => {
      const r = await getJson(`${promUrl}/api/v1/alerts`);
      const firing = (r.data.alerts as Json[]).filter(
        (a) => a.labels.alertname === 'BtcFlowVenueDown' && a.state === 'firing'
      );
      return firing.length >= 3 ? firing : undefined;
    });
    expect(new Set(down.map((a) => `${a.labels.market} ${a.labels.venue}`))).toEqual(
      new Set([`default ${FAILED_VENUE}`])
    );
    expect(down.map((a) => a.labels.kind).sort()).toEqual(['funding', 'openInterest', 'perp']);
    // the other venues are up on both markets
    const up = await promQuery('btcflow_venue_up');
    for (const s of up) {
      const failed = s.metric.market === 'default' && s.metric.venue === FAILED_VENUE;
      expect([s.metric.market, s.metric.venue, s.metric.kind, s.value]).toEqual([
        s.metric.market,
        s.metric.venue,
        s.metric.kind,
        failed ? 0 : 1,
      ]);
    }
    const errors = await promQuery(
      `btcflow_exchange_requests_total{market="default",venue="${FAILED_VENUE}",outcome="error"}`
    );
    expect(errors[0]?.value).toBeGreaterThan(0);
    // and the venue-down alert reached the webhook too
    await until('the venue-down alert at the webhook', async () =>
      webhook
        .flatMap((p) => (p.alerts ?? []) as Json[])
        .some((a) => a.labels.alertname === 'BtcFlowVenueDown' && a.labels.venue === FAILED_VENUE)
        ? true
        : undefined
    );
  });
});
