/**
 * `npm run bench` part "browser transfer": how much JavaScript the browser fetches for the plugin.
 *
 * Reads browser/artifacts/transfer.json, written by browser/harness.test.ts. When it is missing or older than
 * dist/module.js, measures again with the harness (same steps as the test, without the assertions): load
 * module.js; a two-venue data source runs one signals query; after a page reload, the provisioned live data
 * source runs every panel target of dashboards/btc-flow.json.
 */
import fs from 'node:fs';
import path from 'node:path';

import { startMockServer } from '../mock/server';
import { VENUES } from '../src/exchanges';
import {
  ARTIFACTS_DIR,
  instanceSettings,
  pluginMeta,
  startHarness,
  writeArtifact,
  type ProvisionedDataSource,
} from './harness';
import { summarizeTransfer, venueChunkMap, type TransferSummary } from './transfer';

const ROOT = path.resolve(__dirname, '..');
const TRANSFER_JSON = path.join(ARTIFACTS_DIR, 'transfer.json');

interface TransferReport {
  measuredAt: string;
  twoVenues?: TransferSummary;
  dashboard?: TransferSummary;
}

const TWO_VENUES: ProvisionedDataSource = {
  name: 'BTC Flow (two venues)',
  uid: 'harness-two-venues',
  type: 'btcflow-flow-datasource',
  jsonData: { spotVenues: ['coinbase'], perpVenues: ['bybit'], oiVenues: ['bybit'], fundingVenues: ['bybit'] },
};

/** Runs the measurement and writes transfer.json. */
export async function measureTransfer(): Promise<TransferReport> {
  const mock = await startMockServer({ port: 0 });
  const h = await startHarness({ mockUrl: mock.url, extraDataSources: [TWO_VENUES] });
  try {
    const moduleUrl = `/public/plugins/${h.pluginJson.id}/module.js`;
    const day = 86_400_000;
    const to = Math.floor(Date.now() / day) * day;
    const range = { from: to - 730 * day, to };
    const map = venueChunkMap(
      path.join(ROOT, 'dist'),
      VENUES.map((v) => v.ccxtId)
    );

    await h.call('loadPlugin', moduleUrl, pluginMeta(h.pluginJson));
    await h.call('createDataSource', instanceSettings(TWO_VENUES, 90, h.pluginJson) as never);
    await h.call('query', TWO_VENUES.uid, {
      targets: [{ refId: 'A', queryType: 'signals', asset: 'BTC', timeframe: '1d' }],
      range,
      intervalMs: day,
    });
    const twoVenues = summarizeTransfer(h.server.stats.plugin, map);

    await h.reload();
    h.server.resetStats();
    await h.call('loadPlugin', moduleUrl, pluginMeta(h.pluginJson));
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'dashboards', 'btc-flow.json'), 'utf8'));
    const dsVar = dashboard.templating.list.find((v: { type: string }) => v.type === 'datasource');
    const live = h.datasources.find((d) => d.uid === dsVar?.current?.value) ?? h.datasources[0];
    await h.call('createDataSource', instanceSettings(live, 1, h.pluginJson) as never);
    await h.call('setVariables', dashboard.templating.list);
    const walk = async (panels: Array<Record<string, any>>) => {
      for (const p of panels) {
        if (Array.isArray(p.targets) && p.targets.length) {
          await h.call('query', live.uid, { targets: p.targets, range, intervalMs: day, panelId: p.id });
        }
        if (Array.isArray(p.panels)) {
          await walk(p.panels);
        }
      }
    };
    await walk(dashboard.panels);
    const report: TransferReport = {
      measuredAt: new Date().toISOString(),
      twoVenues,
      dashboard: summarizeTransfer(h.server.stats.plugin, map),
    };
    writeArtifact('transfer.json', JSON.stringify(report, null, 2));
    return report;
  } finally {
    await h.close();
    await mock.close();
  }
}

function distJsBytes(): number {
  const dist = path.join(ROOT, 'dist');
  return fs
    .readdirSync(dist)
    .filter((f) => f.endsWith('.js'))
    .reduce((a, f) => a + fs.statSync(path.join(dist, f)).size, 0);
}

export async function benchBrowser(): Promise<Record<string, number | string | boolean>> {
  const moduleJs = path.join(ROOT, 'dist', 'module.js');
  const fresh =
    fs.existsSync(TRANSFER_JSON) &&
    fs.existsSync(moduleJs) &&
    fs.statSync(TRANSFER_JSON).mtimeMs >= fs.statSync(moduleJs).mtimeMs;
  const report: TransferReport = fresh ? JSON.parse(fs.readFileSync(TRANSFER_JSON, 'utf8')) : await measureTransfer();
  const out: Record<string, number | string | boolean> = {
    source: fresh ? `browser/artifacts/transfer.json (${report.measuredAt})` : 'measured now',
  };
  // "2 venues": coinbase + bybit configured, one signals query; "dashboard": every panel, all default venues.
  for (const [key, label] of [
    ['twoVenues', '2 venues'],
    ['dashboard', 'dashboard'],
  ] as const) {
    const s = report[key];
    if (!s) {
      continue;
    }
    out[`JS fetched, ${label} (bytes)`] = s.totalJsBytes;
    out[`JS fetched, ${label} (gzip bytes)`] = s.totalJsGzipBytes;
    out[`lazy chunks fetched, ${label}`] = s.chunkCount;
    out[`venue classes loaded, ${label}`] = s.venues.join(' ');
  }
  if (report.dashboard) {
    out['module.js (bytes)'] = report.dashboard.moduleJsBytes;
    out['module.js (gzip bytes)'] = report.dashboard.moduleJsGzipBytes;
  }
  if (fs.existsSync(path.join(ROOT, 'dist'))) {
    out['all of dist/*.js (bytes)'] = distJsBytes();
  }
  return out;
}

/** Mock latency of the load benchmark, ms per request (as bench/exchanges.ts). */
const LOAD_LATENCY_MS = 100;

/**
 * `npm run bench` part "browser load": the default dashboard (every panel target of dashboards/btc-flow.json, its
 * variables at their defaults: BTC, 1d, all venues; the last 2 years to the last UTC midnight) on the provisioned
 * live data source, with the mock at 100 ms per request. All panels start at once, as Grafana starts them. Figures:
 * time to the first frame of the premium panels and to the last panel done, cold (fresh page, empty IndexedDB), then
 * after a page reload (only the persistent cache survives). Targets: first frame ≤ 5 s cold, done ≤ 3 s after a reload.
 */
export async function benchBrowserLoad(): Promise<Record<string, number | string | boolean>> {
  const mock = await startMockServer({ port: 0, latencyMs: LOAD_LATENCY_MS });
  const h = await startHarness({ mockUrl: mock.url });
  try {
    const moduleUrl = `/public/plugins/${h.pluginJson.id}/module.js`;
    const day = 86_400_000;
    const to = Math.floor(Date.now() / day) * day;
    const range = { from: to - 730 * day, to };
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'dashboards', 'btc-flow.json'), 'utf8'));
    const dsVar = dashboard.templating.list.find((v: { type: string }) => v.type === 'datasource');
    const live = h.datasources.find((d) => d.uid === dsVar?.current?.value) ?? h.datasources[0];
    const panels: Array<{ id: number; targets: Array<Record<string, unknown>> }> = [];
    const walk = (list: Array<Record<string, any>>) => {
      for (const p of list) {
        if (Array.isArray(p.targets) && p.targets.length) {
          const fixed = { asset: 'BTC', timeframe: '1d', lookback: 'auto', venues: undefined };
          panels.push({ id: p.id, targets: p.targets.map((t: Record<string, unknown>) => ({ ...t, ...fixed })) });
        }
        if (Array.isArray(p.panels)) {
          walk(p.panels);
        }
      }
    };
    walk(dashboard.panels);
    const isPremium = (p: (typeof panels)[number]) => p.targets.some((t) => t.queryType === 'premium');

    const load = async () => {
      await h.reload();
      await h.call('loadPlugin', moduleUrl, pluginMeta(h.pluginJson));
      await h.call('createDataSource', instanceSettings(live, 1, h.pluginJson) as never);
      mock.resetStats();
      const t0 = Date.now();
      const handles = await Promise.all(
        panels.map((p) => h.call('startQuery', live.uid, { targets: p.targets, range, intervalMs: day, panelId: p.id }))
      );
      const runs = await Promise.all(handles.map((id) => h.call('awaitQuery', id)));
      const errors = runs.flatMap((r) => r.last.errors.map((e) => e.message ?? ''));
      if (errors.length) {
        throw new Error(`dashboard load failed: ${errors.slice(0, 3).join('; ')}`);
      }
      const at = (r: (typeof runs)[number], e: { atMs: number }) => r.startedAt + e.atMs - t0;
      const premium = runs.filter((_, i) => isPremium(panels[i]));
      return {
        firstPremiumMs: Math.min(...premium.map((r) => at(r, r.emissions[0]))),
        premiumDoneMs: Math.max(...premium.map((r) => at(r, r.emissions[r.emissions.length - 1]))),
        doneMs: Math.max(...runs.map((r) => at(r, r.emissions[r.emissions.length - 1]))),
        emissions: runs.reduce((s, r) => s + r.emissions.length, 0),
        requests: mock.stats().total,
      };
    };
    // a fresh page starts with an empty IndexedDB only in a fresh browser: clear this data source's store first
    await h.page.evaluate(
      (name) =>
        new Promise((resolve) => {
          const r = indexedDB.deleteDatabase(name);
          r.onsuccess = r.onerror = () => resolve(null);
        }),
      `btc-flow-cache|${live.uid}|${String(live.jsonData?.mirrorUrl ?? '').trim() || 'proxy'}`
    );
    const cold = await load();
    const warm = await load();
    return {
      'mock latency per request (ms)': LOAD_LATENCY_MS,
      panels: panels.length,
      'cold: first premium frame (ms)': cold.firstPremiumMs,
      'cold: premium panels done (ms)': cold.premiumDoneMs,
      'cold: dashboard done (ms)': cold.doneMs,
      'cold: requests': cold.requests,
      'cold: emissions': cold.emissions,
      'reload: first premium frame (ms)': warm.firstPremiumMs,
      'reload: dashboard done (ms)': warm.doneMs,
      'reload: requests': warm.requests,
      'target first frame ≤ 5 s cold met': cold.firstPremiumMs <= 5000,
      'target done ≤ 3 s after a reload met': warm.doneMs <= 3000,
    };
  } finally {
    await h.close();
    await mock.close();
  }
}

/**
 * `npm run bench` part "macro view from the recorder": the macro dashboard (weekly bars, 2020-01-01 → the last UTC
 * midnight, every default venue, all panels and annotations at once) in Chromium on the provisioned recorder-backed
 * data source, against the repository's recorder filled from the mock (browser/recorderMacro.ts). Each figure is a
 * cold page (plugin, data sources and caches new). `BENCH_LIVE=1` also times the same view fetched live from the mock
 * (minutes: the venues' real rate limits apply); otherwise the live figure is the one measured for issue 10.
 */
export async function benchRecorderMacro(): Promise<Record<string, number | string | boolean>> {
  const { DAY, MACRO_UID, loadMacro, prepareMacro, startMacroSetup } = await import('./recorderMacro');
  const { readProvisionedDataSources, withoutRecorder } = await import('./harness');
  const to = Math.floor(Date.now() / DAY) * DAY;
  const from = Date.UTC(2020, 0, 1);
  const range = { from, to, raw: { from: '2020-01-01', to: 'now' } };
  // the same data source without its Recorder URL (its own uid: nothing shared with the recorder runs)
  const provisioned = readProvisionedDataSources('btcflow-flow-datasource').find((d) => d.uid === MACRO_UID)!;
  const live = { ...withoutRecorder(provisioned), uid: 'bench-live', name: 'BTC Flow (live, bench)' };
  const s = await startMacroSetup({ from: Date.UTC(2019, 0, 1), cut: to, extraDataSources: [live] });
  const out: Record<string, number | string | boolean> = { 'store points (mock, 2019 → today)': s.filled.points };
  try {
    const cold = async (uid: string, r = range) => {
      await s.h.reload();
      await prepareMacro(s.h, uid, r);
      s.h.server.resetStats();
      const l = await loadMacro(s.h, uid, r);
      const errors = [...l.panels.values()].filter((x) => x.thrown || x.errors.length).length;
      const byRoute: Record<string, number> = {};
      for (const p of s.h.server.stats.proxy) {
        byRoute[p.route ?? '?'] = (byRoute[p.route ?? '?'] ?? 0) + 1;
      }
      const routes = Object.entries(byRoute)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      // the recorder's answer inside the load: its request until its last byte through the emulated proxy
      const rec = s.h.server.stats.proxy.find((p) => p.route === 'recorder');
      return {
        ms: l.ms,
        drawnMs: l.drawnMs,
        annotationsMs: l.annotationsMs,
        errors,
        requests: s.h.server.stats.proxy.length,
        routes,
        recorderMs: rec?.ms,
        recorderBytes: rec?.bytes,
      };
    };
    // the recorder's own share: the bundle the data source asks for (warm-up from 2019, every venue), timed in Node,
    // plain and gzipped (what a browser gets: it always sends Accept-Encoding)
    const bundleUrl = `${s.recorderUrl}/api/v1/bundle?asset=BTC&timeframe=1w&from=${Date.UTC(2019, 0, 1)}&to=${to + DAY}`;
    for (const enc of ['identity', 'gzip']) {
      const t0 = Date.now();
      const res = await fetch(bundleUrl, { headers: { 'Accept-Encoding': enc } });
      const body = await res.text();
      out[`recorder bundle request alone, Node, ${enc} (ms)`] = Date.now() - t0;
      out[`  its size (bytes${enc === 'gzip' ? ', after decompression' : ''})`] = body.length;
    }
    const a = await cold(MACRO_UID);
    out['weekly 2020 → last midnight, from the recorder (ms)'] = a.ms;
    out['  proxy requests (recorder + exchanges)'] = a.requests;
    out['  by route'] = a.routes;
    out['  panels with an error'] = a.errors;
    out['  of it: recorder answer through the proxy (ms)'] = a.recorderMs ?? 'none';
    out['  its bytes on the wire'] = a.recorderBytes ?? 'none';
    out['  of it: in the page after the answer (ms)'] = a.recorderMs === undefined ? 'n/a' : a.ms - a.recorderMs;
    const b = await cold(MACRO_UID);
    out['  again, another cold page (ms)'] = b.ms;
    out['  of it: recorder answer through the proxy (ms) '] = b.recorderMs ?? 'none';
    const now = { ...range, to: Date.now() };
    const c = await cold(MACRO_UID, now);
    out['weekly 2020 → now: every chart panel drawn from the recorder, open bar still loading live (ms)'] = c.drawnMs;
    out['  annotations and the events table (drawn whole: they wait for the open bar) (ms)'] = c.annotationsMs;
    out['  all done, open bar included (ms)'] = c.ms;
    out['  proxy requests (recorder + exchanges) '] = c.requests;
    out['  by route '] = c.routes;
    out['target: ≤ 2000 ms from the recorder (to midnight: all; to now: every panel drawn)'] =
      a.ms <= 2000 && b.ms <= 2000 && c.drawnMs <= 2000;
    if (process.env.BENCH_LIVE === '1') {
      await s.h.reload();
      await prepareMacro(s.h, 'bench-live', range, 1, [live]);
      const l = await loadMacro(s.h, 'bench-live', range);
      out['weekly 2020 → last midnight, live from the mock (ms)'] = l.ms;
      out['ratio live / recorder'] = Math.round(l.ms / a.ms);
    } else {
      out['live, for comparison'] =
        'about 221 s (issue 10: btc-flow metrics --timeframe 1w --from 2020-01-01 against the mock); BENCH_LIVE=1 measures it here';
    }
  } finally {
    await s.close();
  }
  return out;
}
