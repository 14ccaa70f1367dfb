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
import { ARTIFACTS_DIR, instanceSettings, pluginMeta, startHarness, writeArtifact, type ProvisionedDataSource } from './harness';
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
    const map = venueChunkMap(path.join(ROOT, 'dist'), VENUES.map((v) => v.ccxtId));

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
    fs.existsSync(TRANSFER_JSON) && fs.existsSync(moduleJs) && fs.statSync(TRANSFER_JSON).mtimeMs >= fs.statSync(moduleJs).mtimeMs;
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
