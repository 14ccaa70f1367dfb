/** @jest-environment node */
/**
 * The built plugin (dist/module.js, built first when missing or stale) loaded and used in headless Debian
 * Chromium, the way Grafana loads it: AMD module + shared modules + runtime services, requests through a
 * data-proxy stand-in that applies dist/plugin.json's routes, with the routes' targets rewritten to the mock
 * exchange server. See docs/browser-harness.md.
 *
 * Values are checked against the Node-side run (./reference.ts: exchange layer straight to the mock + the core's
 * compute), screenshots go to browser/artifacts/ (and docs/img/ when missing or UPDATE_DOCS_IMG=1),
 * transferred JavaScript to browser/artifacts/transfer.json (read by `npm run bench`).
 */
import fs from 'node:fs';
import path from 'node:path';

import { startMockServer, type MockServer } from '../mock/server';
import { DATA_ENDPOINTS } from '../mock/stats';
import type { BtcFlowOptions, BtcFlowQuery } from '../src/datasource/types';
import { DEFAULT_FX_VENUE, ExchangeContext, VENUES } from '../src/exchanges';
import {
  ARTIFACTS_DIR,
  DOCS_IMG_DIR,
  dataSourceSettings,
  instanceSettings,
  pluginMeta,
  startHarness,
  readProvisionedDataSources,
  withoutRecorder,
  writeArtifact,
  type Harness,
  type ProvisionedDataSource,
} from './harness';
import { runtimeBundleProblems } from './build';
import { DashboardVariable, HarnessTemplateSrv } from './host/templateSrv';
import type {
  ChartPanel,
  HarnessQueryRequest,
  SerializedAnnotationResult,
  SerializedFrame,
  SerializedResponse,
} from './protocol';
import { compareFrame, expectedEvents, referenceRun, type ReferenceRun } from './reference';
import { plannedSeries, registryDefaults } from '../src/datasource/plan';
import { configuredVenues } from '../src/datasource/query';
import { fetchedVenueChunks, summarizeTransfer, venueChunkMap, type TransferSummary } from './transfer';
import { SUPPLIED_PACKAGES, selectedRuntimes, type GrafanaRuntime } from './runtimes';

const RUNTIMES = selectedRuntimes();

const ROOT = path.resolve(__dirname, '..');
const DASHBOARD = JSON.parse(fs.readFileSync(path.join(ROOT, 'dashboards', 'btc-flow.json'), 'utf8'));
const PLUGIN_ID = 'btcflow-flow-datasource';
const MODULE_URL = `/public/plugins/${PLUGIN_ID}/module.js`;

// The dashboard's default range (now-2y .. now), with "now" frozen at the last UTC midnight so that the browser
// run and the Node run see the same closed bars.
const DAY = 86_400_000;
const TO = Math.floor(Date.now() / DAY) * DAY;
const FROM = (() => {
  const d = new Date(TO);
  d.setUTCFullYear(d.getUTCFullYear() - 2);
  return d.getTime();
})();
// What Grafana would pass for a ~1000 px wide panel over two years.
const MAX_DATA_POINTS = 1000;
const INTERVAL_MS = Math.ceil((TO - FROM) / MAX_DATA_POINTS);
const RANGE = { from: FROM, to: TO, raw: { from: 'now-2y', to: 'now' } };

// A data source restricted to two venues, to see which chunks a configuration pulls in.
const LAZY_DS: ProvisionedDataSource = {
  name: 'BTC Flow (two venues)',
  uid: 'harness-two-venues',
  type: PLUGIN_ID,
  access: 'proxy',
  jsonData: { spotVenues: ['coinbase'], perpVenues: ['bybit'], oiVenues: ['bybit'], fundingVenues: ['bybit'] },
};
// Small baskets for the streaming and cancellation checks (each check uses its own uid: its own, empty cache).
const SMALL: BtcFlowOptions = {
  spotVenues: ['coinbase', 'bitstamp', 'binance'],
  perpVenues: ['binanceusdm', 'bybit', 'okx'],
  oiVenues: ['binanceusdm', 'bybit', 'okx'],
  fundingVenues: ['binanceusdm', 'bybit', 'okx'],
};
const STREAM_DS: ProvisionedDataSource[] = ['stream', 'cancel-old', 'cancel-new', 'cancel', 'reload'].map((n) => ({
  name: `BTC Flow (${n})`,
  uid: `harness-${n}`,
  type: PLUGIN_ID,
  access: 'proxy',
  jsonData: { ...SMALL },
}));
// Same settings as the provisioned live data source, but a fresh instance (empty cache) for the fault case.
const FAULT_UID = 'harness-fault';
const FAULT_VENUE = 'bybit';

interface PanelTarget {
  panelId: number;
  panelTitle: string;
  panelType: string;
  targets: BtcFlowQuery[];
}

function dashboardPanels(): PanelTarget[] {
  const out: PanelTarget[] = [];
  const walk = (panels: Array<Record<string, any>>) => {
    for (const p of panels) {
      if (Array.isArray(p.targets) && p.targets.length) {
        out.push({ panelId: p.id, panelTitle: p.title, panelType: p.type, targets: p.targets });
      }
      if (Array.isArray(p.panels)) {
        walk(p.panels);
      }
    }
  };
  walk(DASHBOARD.panels);
  return out;
}

function dashboardAnnotations(): Array<Record<string, any>> {
  return (DASHBOARD.annotations?.list ?? []).filter((a: Record<string, any>) => a.datasource?.type === PLUGIN_ID);
}

/** Field names the docs promise per query type (docs/queries.md), for a target as written in the dashboard. */
function expectedFieldNames(t: BtcFlowQuery, venues: { oi: string[]; funding: string[] }): string[] {
  const q = t as BtcFlowQuery & Record<string, any>;
  switch (q.queryType) {
    case 'premium':
      return [
        'time',
        'premiumPct',
        ...(q.includeZ !== false ? ['premiumZ'] : []),
        ...(q.includeBaskets ? ['spotUsd', 'perpUsd'] : []),
      ];
    case 'oi':
      return [
        'time',
        'oiUsd',
        ...(q.includeIndex !== false ? ['oiIndexUsd'] : []),
        ...(q.perVenue !== false ? venues.oi.map((v) => `oiUsd:${v}`) : []),
      ];
    case 'oiZ':
      return ['time', 'oiZ', ...(q.includeIndex ? ['oiIndexUsd'] : [])];
    case 'funding': {
      const unit = q.unit === 'apr' ? 'fundingAprPct' : 'fundingRate8h';
      return [
        'time',
        unit,
        ...(q.includeZ !== false ? ['fundingZ'] : []),
        ...(q.perVenue ? venues.funding.map((v) => `${unit}:${v}`) : []),
      ];
    }
    case 'signals':
      return q.format === 'events'
        ? ['time', 'timeEnd', 'kind', 'title', 'text', 'tags']
        : ['time', 'bullish', 'bearish', 'overLeverage'];
    case 'extremes':
      return q.format === 'events'
        ? ['time', 'timeEnd', 'kind', 'title', 'text', 'tags']
        : ['time', 'extremeTop', 'extremeBottom', ...(q.includeScore ? ['extremeScore'] : [])];
    case 'coverage':
      return ['time', 'spot', 'perp', 'oi', 'funding'];
    default:
      return ['time'];
  }
}

const STATE_FIELDS = new Set(['bullish', 'bearish', 'overLeverage', 'extremeTop', 'extremeBottom']);

/** Artifact `name` (another runtime's: `<version>-name`); docs/img/ gets the base runtime's only. */
function saveScreenshot(name: string, runtime: GrafanaRuntime, png: Buffer): void {
  writeArtifact(runtime.base ? name : `${runtime.version}-${name}`, png);
  const doc = path.join(DOCS_IMG_DIR, name);
  if (runtime.base && (process.env.UPDATE_DOCS_IMG === '1' || !fs.existsSync(doc))) {
    fs.mkdirSync(DOCS_IMG_DIR, { recursive: true });
    fs.writeFileSync(doc, png);
  }
}

let mock: MockServer;
let h: Harness;
let variables: DashboardVariable[] = [];
const nodeTpl = new HarnessTemplateSrv();
let liveSettings: BtcFlowOptions;
let liveDataSource: ProvisionedDataSource;
let liveUid: string;
const panelResults = new Map<number, SerializedResponse>();
const annotationResults: Array<{ anno: Record<string, any>; res: SerializedAnnotationResult }> = [];
const transfer: Record<string, TransferSummary> = {};

function request(targets: BtcFlowQuery[], panelId?: number): HarnessQueryRequest {
  return {
    targets: targets as unknown as Array<Record<string, unknown>>,
    range: RANGE,
    intervalMs: INTERVAL_MS,
    maxDataPoints: MAX_DATA_POINTS,
    panelId,
    dashboardUID: DASHBOARD.uid,
  };
}

async function loadPluginAndInstances(): Promise<void> {
  await h.call('loadPlugin', MODULE_URL, pluginMeta(h.pluginJson));
  const all = [
    ...h.datasources,
    LAZY_DS,
    { ...h.datasources.find((d) => d.uid === liveUid)!, uid: FAULT_UID, name: 'fault' },
  ];
  for (const [i, ds] of all.entries()) {
    await h.call('createDataSource', instanceSettings(ds, i + 1, h.pluginJson) as never);
  }
  await h.call('setVariables', variables);
}

beforeAll(async () => {
  mock = await startMockServer({ port: 0 });
  const dsVar = DASHBOARD.templating.list.find((v: DashboardVariable) => v.type === 'datasource');
  // HARNESS_DATASOURCE_UID runs the dashboard on another provisioned data source (e.g. btc-flow-demo, the mirror route).
  liveUid = process.env.HARNESS_DATASOURCE_UID || String(dsVar?.current?.value ?? 'btc-flow');
  // without a recorder here, as startHarness runs the provisioned data sources (the recorder step starts its own)
  const live = readProvisionedDataSources(PLUGIN_ID)
    .map(withoutRecorder)
    .find((d) => d.uid === liveUid);
  if (!live) {
    throw new Error(`the dashboard's data source ${liveUid} is not in provisioning/datasources`);
  }
  liveSettings = (live.jsonData ?? {}) as BtcFlowOptions;
  liveDataSource = live;
}, 60_000);

afterAll(async () => {
  await mock?.close();
});

// One harness (Chromium + host page) per Grafana runtime, one after the other: the packages the plugin is built
// against, then each newer runtime of ./runtimes.ts (HARNESS_RUNTIMES=13.1.3 runs one).
describe.each(RUNTIMES.map((r) => [r.base ? `${r.version} (built against)` : r.version, r] as const))(
  'Grafana %s runtime',
  (_label, runtime) => {
    // The reload check (the IndexedDB cache, ~75 s) and the transfer record test the plugin's own storage and files,
    // which the runtime does not change: they run in the base runtime only (CI time), skipped in the others.
    const baseOnlyDescribe = runtime.base ? describe : describe.skip;
    const baseOnlyTest = runtime.base ? test : test.skip;

    beforeAll(async () => {
      variables = [];
      panelResults.clear();
      annotationResults.length = 0;
      const started = Date.now();
      h = await startHarness({
        mockUrl: mock.url,
        runtime,
        log: (s) => console.log(s),
        extraDataSources: [LAZY_DS, { ...liveDataSource, uid: FAULT_UID, name: 'fault' }, ...STREAM_DS],
      });
      const copies = Object.entries(h.host.packages).map(([n, c]) => `${n} ${c.map((x) => x.version).join('+')}`);
      console.log(
        `Grafana ${runtime.version} runtime: harness up in ${Date.now() - started} ms; host bundle: ${copies.join(', ')}`
      );
    }, 15 * 60_000);

    afterAll(async () => {
      const pageErrors = h ? [...h.pageErrors] : [];
      await h?.close();
      if (pageErrors.length) {
        console.error(`page errors (Grafana ${runtime.version} runtime):\n${pageErrors.join('\n')}`);
      }
    });

    test(`the host page supplies @grafana/data, ui and runtime of this version, one copy each`, async () => {
      expect(runtimeBundleProblems(runtime.version, h.host.packages)).toEqual([]);
      for (const name of SUPPLIED_PACKAGES) {
        expect(h.host.packages[`@grafana/${name}`].map((c) => c.version)).toEqual([runtime.version]);
      }
      // an aliased runtime's packages come from the alias's folder, the base runtime's from the top level
      const dir = h.host.packages['@grafana/ui'][0].dir;
      expect(dir.startsWith(path.relative(ROOT, runtime.runtimeDir))).toBe(!runtime.base);
      // Grafana's boot data names the same version (config.buildInfo.version in the page)
      const version = await h.page.evaluate(
        () =>
          (window as unknown as { grafanaBootData: { settings: { buildInfo: { version: string } } } }).grafanaBootData
            .settings.buildInfo.version
      );
      expect(version).toBe(runtime.version);
    });

    describe('the built plugin in Chromium', () => {
      test('module.js loads as an AMD module with the shared modules Grafana provides, and fetches no venue chunk yet', async () => {
        const loaded = await h.call('loadPlugin', MODULE_URL, pluginMeta(h.pluginJson));
        expect(loaded.exports).toContain('plugin');
        expect(loaded.hasDataSourceClass).toBe(true);
        expect(loaded.hasConfigEditor).toBe(true);
        expect(loaded.hasQueryEditor).toBe(true);
        expect(loaded.requested).toEqual(expect.arrayContaining(['@grafana/data', 'react']));
        // Loading the plugin fetched module.js only: ccxt comes later, per venue.
        expect(h.server.stats.plugin.map((s) => `${s.file} ${s.status}`)).toEqual(['module.js 200']);
        expect(h.pageErrors).toEqual([]);
      });

      test(
        "lazy loading: a two-venue data source fetches only those venues' chunks",
        async () => {
          const map = venueChunkMap(
            path.join(ROOT, 'dist'),
            VENUES.map((v) => v.ccxtId)
          );
          const configured = ['coinbase', 'bybit'];
          // coinbase and bybit chunks must exist, and chunks of other venues too (or the check below proves nothing).
          for (const v of configured) {
            expect(Object.values(map.chunks).flat()).toContain(v);
          }
          // The USDT/USD reference venues fetchBundle may use (the default first, then every venue with an fx series).
          const fxVenues = [DEFAULT_FX_VENUE, ...VENUES.filter((v) => v.fx).map((v) => v.id)];
          const others = Object.entries(map.chunks).filter(([, ids]) =>
            ids.some((id) => !configured.includes(id) && !fxVenues.includes(id))
          );
          expect(others.length).toBeGreaterThan(0);

          await h.call('createDataSource', instanceSettings(LAZY_DS, 90, h.pluginJson) as never);
          const res = await h.call(
            'query',
            LAZY_DS.uid,
            request([{ refId: 'A', queryType: 'signals', asset: 'BTC', timeframe: '1d' } as BtcFlowQuery])
          );
          expect(res.thrown).toBeUndefined();
          expect(res.errors).toEqual([]);
          expect(res.frames[0]?.length).toBeGreaterThan(0);
          expect(h.server.stats.plugin.every((s) => s.status === 200)).toBe(true);

          const fetched = fetchedVenueChunks(h.server.stats.plugin, map);
          // Every configured venue's chunk came, and nothing of a venue that is neither configured nor a USDT/USD
          // reference venue nor a ccxt parent class of a configured venue.
          const allowed = new Set([...configured, ...fxVenues, ...configured.flatMap((v) => map.parents[v] ?? [])]);
          expect(fetched.venues).toEqual(expect.arrayContaining(configured));
          expect(fetched.venues.filter((v) => !allowed.has(v))).toEqual([]);
          transfer.twoVenues = summarizeTransfer(h.server.stats.plugin, map);
        },
        5 * 60_000
      );

      test(
        'variable queries answer (assets, timeframes, venues)',
        async () => {
          // A fresh page: the main run below starts from a plugin that has loaded nothing.
          await h.reload();
          h.server.resetStats();
          variables = JSON.parse(JSON.stringify(DASHBOARD.templating.list));
          await loadPluginAndInstances();
          for (const v of variables) {
            if (v.type !== 'query') {
              continue;
            }
            const res = await h.call('variableQuery', liveUid, String(v.query), RANGE);
            expect(res.thrown).toBeUndefined();
            expect(res.values!.length).toBeGreaterThan(0);
            v.options = res.values!.map((o) => ({ text: o.text, value: String(o.value ?? o.text), selected: false }));
            if (v.name === 'asset') {
              expect(res.values!.map((o) => o.text)).toContain('BTC');
            }
            if (v.name === 'timeframe') {
              expect(res.values!.map((o) => o.text)).toContain('1d');
            }
          }
          await h.call('setVariables', variables);
          nodeTpl.setVariables(variables);
          expect(await h.call('interpolate', '$asset/$timeframe')).toBe('BTC/1d');
        },
        5 * 60_000
      );

      test(
        'every panel target of dashboards/btc-flow.json answers in the browser with the Node-side values',
        async () => {
          const exchange = new ExchangeContext({ baseUrl: mock.url, retries: 1, timeoutMs: 30_000 });
          const tpl = {
            one: (v: string) => nodeTpl.replace(v),
            many: (v: string) => nodeTpl.replace(v, undefined, 'csv').split(','),
          };
          nodeTpl.updateTimeRange({ from: { valueOf: () => FROM }, to: { valueOf: () => TO } } as never);
          let eventsTotal = 0;
          const problems: string[] = [];
          // The Node runs start now and overlap the browser's (they share one exchange context: cache and coalescing).
          const refs = new Map<string, Promise<ReferenceRun>>();
          for (const panel of dashboardPanels()) {
            for (const target of panel.targets) {
              const run = referenceRun(target, {
                settings: liveSettings,
                tpl,
                range: { from: FROM, to: TO },
                intervalMs: INTERVAL_MS,
                exchange,
              });
              run.catch(() => undefined);
              refs.set(`${panel.panelId}/${target.refId}`, run);
            }
          }
          for (const panel of dashboardPanels()) {
            const res = await h.call('query', liveUid, request(panel.targets, panel.panelId));
            panelResults.set(panel.panelId, res);
            if (res.thrown || res.errors.length) {
              const stack = await h.call(
                'debugTarget',
                liveUid,
                panel.targets[0] as never,
                request(panel.targets, panel.panelId)
              );
              problems.push(`panel "${panel.panelTitle}": ${res.thrown ?? JSON.stringify(res.errors)}\n${stack}`);
              continue;
            }
            for (const target of panel.targets) {
              const frames = res.frames.filter((f) => f.refId === target.refId);
              const where = `panel "${panel.panelTitle}" ${target.refId} (${target.queryType})`;
              if (frames.length === 0) {
                problems.push(`${where}: no frame`);
                continue;
              }
              const ref: ReferenceRun = await refs.get(`${panel.panelId}/${target.refId}`)!;
              const frame = frames[0];
              const names = frame.fields.map((f) => f.name);
              const venues = {
                oi: [...new Set(ref.result.bars.flatMap((b) => Object.keys(b.venues.oiUsd)))].sort(),
                funding: [...new Set(ref.result.bars.flatMap((b) => Object.keys(b.venues.funding8h)))].sort(),
              };
              const missing = expectedFieldNames(target, venues).filter((n) => !names.includes(n));
              if (missing.length) {
                problems.push(`${where}: missing fields ${missing.join(', ')} (has ${names.join(', ')})`);
              }
              const isEvents = (target as { format?: string }).format === 'events';
              if (isEvents) {
                // Default kinds per query type (docs/queries.md): signals = the three confluence states, extremes = top/bottom.
                const given = (target as { kinds?: string[] }).kinds;
                const kinds = given?.length
                  ? given
                  : target.queryType === 'signals'
                    ? ['bullish', 'bearish', 'overLeverage']
                    : ['extremeTop', 'extremeBottom'];
                const want = expectedEvents(ref, kinds);
                const got = toEventRows(frame);
                eventsTotal += got.length;
                if (JSON.stringify(got) !== JSON.stringify(want)) {
                  problems.push(
                    `${where}: events differ from the Node run\nbrowser ${JSON.stringify(got).slice(0, 400)}\nnode    ${JSON.stringify(want).slice(0, 400)}`
                  );
                }
                continue;
              }
              if (frame.length === 0) {
                problems.push(`${where}: empty frame`);
                continue;
              }
              for (const f of frame.fields) {
                if (
                  f.type === 'number' &&
                  !STATE_FIELDS.has(f.name) &&
                  !f.values.some((v) => typeof v === 'number' && Number.isFinite(v))
                ) {
                  problems.push(`${where}: field ${f.name} has no value`);
                }
              }
              const cmp = compareFrame(frame, ref);
              if (cmp.unknownFields.length) {
                problems.push(`${where}: fields the reference does not know: ${cmp.unknownFields.join(', ')}`);
              }
              if (cmp.mismatches.length) {
                // The browser's notices usually say why (a venue left out in the browser but not in Node).
                const notices = [...new Set(frame.notices.map((n) => n.text))].slice(0, 6);
                problems.push(
                  `${where}: values differ from the Node run: ${JSON.stringify(cmp.mismatches.slice(0, 3))}` +
                    (notices.length ? `\n  browser notices: ${notices.join(' | ')}` : '')
                );
              }
            }
          }
          expect(problems).toEqual([]);
          // The events table must show something over two years of simulated market with a crash and a top in it.
          expect(eventsTotal).toBeGreaterThan(0);
        },
        15 * 60_000
      );

      test(
        'the other provisioned data sources (e.g. the offline demo through the mirror route) give the same values',
        async () => {
          const exchange = new ExchangeContext({ baseUrl: mock.url, retries: 1, timeoutMs: 30_000 });
          const tpl = {
            one: (v: string) => nodeTpl.replace(v),
            many: (v: string) => nodeTpl.replace(v, undefined, 'csv').split(','),
          };
          const target = dashboardPanels()
            .flatMap((p) => p.targets)
            .find((t) => t.queryType === 'premium')!;
          const others = h.datasources.filter((d) => d.uid !== liveUid);
          const problems: string[] = [];
          for (const ds of others) {
            const res = await h.call('query', ds.uid, request([target]));
            if (res.thrown || res.errors.length || !res.frames[0]?.length) {
              problems.push(`${ds.uid}: ${res.thrown ?? JSON.stringify(res.errors)}`);
              continue;
            }
            const ref = await referenceRun(target, {
              settings: (ds.jsonData ?? {}) as BtcFlowOptions,
              tpl,
              range: { from: FROM, to: TO },
              intervalMs: INTERVAL_MS,
              exchange,
            });
            const cmp = compareFrame(res.frames[0], ref);
            if (cmp.mismatches.length || cmp.unknownFields.length) {
              problems.push(`${ds.uid}: ${JSON.stringify(cmp).slice(0, 600)}`);
            }
          }
          expect(problems).toEqual([]);
          if (others.some((d) => typeof d.jsonData?.mirrorUrl === 'string')) {
            // The mirror data source really went through the `mirror` route.
            expect(h.server.stats.proxy.some((p) => p.route === 'mirror' && p.status === 200)).toBe(true);
          }
        },
        5 * 60_000
      );

      test(
        'every annotation of the dashboard answers with events',
        async () => {
          let total = 0;
          const problems: string[] = [];
          for (const anno of dashboardAnnotations()) {
            const res = await h.call('annotation', liveUid, anno, request([]));
            annotationResults.push({ anno, res });
            if (res.thrown || res.errors.length || !res.query) {
              problems.push(
                `annotation "${anno.name}": ${res.thrown ?? JSON.stringify(res.errors)} query=${JSON.stringify(res.query)}`
              );
              continue;
            }
            const kinds: string[] = anno.target?.kinds ?? [];
            for (const e of res.events) {
              if (typeof e.time !== 'number' || !(e.text || e.title)) {
                problems.push(`annotation "${anno.name}": event without time or text ${JSON.stringify(e)}`);
              }
              if (kinds.length && !kinds.some((k) => e.tags?.includes(k))) {
                problems.push(
                  `annotation "${anno.name}": event tags ${JSON.stringify(e.tags)} do not name ${kinds.join('/')}`
                );
              }
              if (typeof e.timeEnd === 'number' && e.timeEnd < (e.time ?? 0)) {
                problems.push(`annotation "${anno.name}": timeEnd before time`);
              }
            }
            total += res.events.length;
          }
          expect(problems).toEqual([]);
          expect(annotationResults.length).toBe(dashboardAnnotations().length);
          expect(total).toBeGreaterThan(0);
        },
        10 * 60_000
      );

      // the plugin's JavaScript is the same in every runtime: recorded once
      baseOnlyTest('transferred JavaScript is recorded for npm run bench', () => {
        const map = venueChunkMap(
          path.join(ROOT, 'dist'),
          VENUES.map((v) => v.ccxtId)
        );
        transfer.dashboard = summarizeTransfer(h.server.stats.plugin, map);
        expect(transfer.dashboard.files.every((f) => f.status === 200)).toBe(true);
        expect(transfer.dashboard.totalJsBytes).toBeGreaterThan(transfer.dashboard.moduleJsBytes);
        const report = {
          measuredAt: new Date().toISOString(),
          note: 'bytes served by the harness for the plugin (module.js + lazy chunks), uncompressed; gzip = gzip -6 of the same files',
          ...transfer,
        };
        writeArtifact('transfer.json', JSON.stringify(report, null, 2));
        expect(fs.existsSync(path.join(ARTIFACTS_DIR, 'transfer.json'))).toBe(true);
      });

      test(
        'ConfigEditor renders with the provisioned settings and reports a changed option',
        async () => {
          const live = h.datasources.find((d) => d.uid === liveUid)!;
          await h.call('renderConfigEditor', dataSourceSettings(live, 1) as never);
          const box = h.page.locator('#config-editor');
          await box.getByText('Venues', { exact: true }).first().waitFor({ timeout: 30_000 });
          await expect(box.locator('.editor-crash').count()).resolves.toBe(0);
          const sw = box.getByLabel('Stablecoins to USD');
          const before = await sw.isChecked();
          await sw.click({ force: true });
          const state = await h.call('editorState');
          const last = state.configHistory[state.configHistory.length - 1];
          expect(last).toBeDefined();
          expect(last.jsonData.stablecoinToUsd).toBe(!before);
          // Nothing else of the provisioned settings changed.
          expect({ ...last.jsonData, stablecoinToUsd: undefined }).toEqual({
            ...(live.jsonData ?? {}),
            stablecoinToUsd: undefined,
          });
          expect(last.uid).toBe(live.uid);
          await sw.click({ force: true });
          await h.page.waitForTimeout(200);
          saveScreenshot('config-editor.png', runtime, await box.screenshot());
        },
        2 * 60_000
      );

      test(
        'QueryEditor renders; changing the query type and an option gives the expected query',
        async () => {
          const initial = { refId: 'A', queryType: 'premium', asset: 'BTC', timeframe: '1d' };
          await h.call('renderQueryEditor', liveUid, initial as never, RANGE);
          const box = h.page.locator('#query-editor');
          await box.getByText('Query type').first().waitFor({ timeout: 30_000 });
          await expect(box.locator('.editor-crash').count()).resolves.toBe(0);
          await box.getByRole('radio', { name: 'Funding', exact: true }).click({ force: true });
          await box.getByRole('radio', { name: 'APR', exact: true }).click({ force: true });
          const state = await h.call('editorState');
          expect(state.queryHistory.length).toBeGreaterThanOrEqual(2);
          // Switching keeps refId and the common options, drops the premium-only ones; then the unit is set.
          expect(state.queryHistory[0]).toEqual({ refId: 'A', queryType: 'funding', asset: 'BTC', timeframe: '1d' });
          expect(state.queryHistory[state.queryHistory.length - 1]).toEqual({
            refId: 'A',
            queryType: 'funding',
            asset: 'BTC',
            timeframe: '1d',
            unit: 'apr',
          });
          expect(state.runQueryCalls).toBeGreaterThan(0);
          await h.page.waitForTimeout(200);
          saveScreenshot('query-editor.png', runtime, await box.screenshot());
        },
        2 * 60_000
      );

      test(
        'fault: one venue answering 500 leaves the others and a notice naming it',
        async () => {
          mock.setFaults([{ venue: FAULT_VENUE, endpoint: '*', type: '500' }]);
          try {
            const target = { refId: 'A', queryType: 'premium', asset: 'BTC', timeframe: '1d' } as BtcFlowQuery;
            const res = await h.call('query', FAULT_UID, request([target]));
            expect(res.thrown).toBeUndefined();
            expect(res.errors).toEqual([]);
            const frame = res.frames.find((f) => f.refId === 'A')!;
            expect(frame.length).toBeGreaterThan(0);
            const premium = frame.fields.find((f) => f.name === 'premiumPct')!;
            expect(premium.values.some((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
            const notices = res.frames.flatMap((f) => f.notices.map((n) => n.text));
            expect(notices.some((t) => t.includes(FAULT_VENUE))).toBe(true);
            // The failing venue was really asked (through the proxy) and answered 500.
            expect(h.server.stats.proxy.some((p) => p.uid === FAULT_UID && p.status === 500)).toBe(true);
          } finally {
            mock.setFaults([]);
          }
        },
        5 * 60_000
      );

      test(
        "the dashboard's main series, drawn with uPlot from the returned frames",
        async () => {
          const panels: ChartPanel[] = [];
          for (const p of dashboardPanels()) {
            if (p.panelType !== 'timeseries') {
              continue;
            }
            const res = panelResults.get(p.panelId);
            expect(res).toBeDefined();
            const hidden = hiddenFields(p.panelId);
            const series = res!.frames.flatMap((f) => frameSeries(f)).filter((x) => !hidden(x.name));
            expect(series.length).toBeGreaterThan(0);
            panels.push({ title: p.panelTitle, series, marks: panelMarks() });
          }
          const drawn = await h.call('renderDashboard', DASHBOARD.title, panels, 1200);
          expect(drawn.drawn).toBe(panels.length);
          expect(drawn.points).toBeGreaterThan(0);
          // uPlot drew canvases with pixels on them.
          const painted = await h.page.evaluate(() =>
            Array.from(document.querySelectorAll('#dashboard canvas')).map((c) => {
              const canvas = c as HTMLCanvasElement;
              const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
              let n = 0;
              for (let i = 3; i < data.length; i += 4) {
                n += data[i] > 0 ? 1 : 0;
              }
              return n;
            })
          );
          expect(painted.length).toBe(panels.length);
          expect(painted.every((n) => n > 1000)).toBe(true);
          saveScreenshot('dashboard.png', runtime, await h.page.locator('#dashboard').screenshot());
        },
        2 * 60_000
      );

      test('no uncaught error in the page', async () => {
        expect(await h.call('errors')).toEqual([]);
        expect(h.pageErrors).toEqual([]);
        expect(
          h.server.stats.proxy.filter((p) => p.status === 502 || p.error?.startsWith('no plugin.json route'))
        ).toEqual([]);
      });

      test('every export the plugin read from @grafana/data, ui and runtime exists in this runtime', async () => {
        // Recorded by the host's AMD loader since the page reload of the variables step (variables, every panel,
        // annotations, editors, fault, charts): an export this Grafana lacks would be `undefined` for the plugin
        // there, even where it copes.
        const reads = await h.call('sharedReads');
        console.log(
          `Grafana ${runtime.version} runtime: the plugin read ${SUPPLIED_PACKAGES.map(
            (n) => `@grafana/${n}: ${(reads.read[`@grafana/${n}`] ?? []).join(' ')}`
          ).join('; ')}`
        );
        expect(reads.missing).toEqual({});
        for (const name of ['@grafana/data', '@grafana/ui']) {
          expect(reads.read[name]?.length ?? 0).toBeGreaterThan(0);
        }
      });
    });

    describe('progressive results and cancellation in Chromium', () => {
      let nextId = 300;
      /** A fresh instance (empty in-memory cache) of one of STREAM_DS. */
      async function fresh(uid: string): Promise<string> {
        const ds = STREAM_DS.find((d) => d.uid === uid)!;
        await h.call('createDataSource', instanceSettings(ds, nextId++, h.pluginJson) as never);
        return uid;
      }
      const mockLog = async (): Promise<
        Array<{ at: number; host: string; path: string; query: Record<string, string> }>
      > =>
        (
          (await (await fetch(`${mock.url}/__stats`)).json()) as {
            log: Array<{ at: number; host: string; path: string; query: Record<string, string> }>;
          }
        ).log;
      const requestKey = (e: { host: string; path: string; query: Record<string, string> }) =>
        `${e.host}${e.path}?${Object.entries(e.query)
          .sort()
          .map(([k, v]) => `${k}=${v}`)
          .join('&')}`;

      beforeAll(async () => {
        await h.reload();
        await h.call('loadPlugin', MODULE_URL, pluginMeta(h.pluginJson));
      }, 5 * 60_000);
      afterEach(() => {
        mock.setLatency(0);
      });

      test(
        'partial frames (Streaming, naming the series still loading) come before the final ones, which equal the Node run',
        async () => {
          mock.setLatency(50);
          const uid = await fresh('harness-stream');
          const panels = dashboardPanels();
          const premium = panels
            .find((p) => p.targets.some((t) => t.queryType === 'premium'))!
            .targets.find((t) => t.queryType === 'premium')!;
          const signals = panels
            .flatMap((p) => p.targets)
            .find((t) => t.queryType === 'signals' && (t as { format?: string }).format !== 'events')!;
          // the dashboard's targets with its variables' defaults written in (this check runs without the variables)
          const fixed = { asset: 'BTC', timeframe: '1d', venues: undefined, lookback: 'auto' };
          const targets = [
            { ...premium, ...fixed, refId: 'P' },
            { ...signals, ...fixed, refId: 'S' },
          ] as BtcFlowQuery[];
          const handle = await h.call('startQuery', uid, request(targets));
          const run = await h.call('awaitQuery', handle);
          const { emissions, last } = run;
          expect(last.thrown).toBeUndefined();
          expect(last.errors).toEqual([]);
          expect(emissions[emissions.length - 1].state).toBe('Done');
          const streaming = emissions.slice(0, -1);
          expect(streaming.length).toBeGreaterThan(0);
          expect(streaming.every((e) => e.state === 'Streaming')).toBe(true);
          // partial frames came first, and the premium panel had its final frames while signals still loaded
          expect(streaming.some((e) => e.partial.length > 0)).toBe(true);
          const premiumDone = streaming.find((e) => e.final.includes('P') && !e.final.includes('S'));
          expect(premiumDone).toBeDefined();
          console.log(
            `streaming in Chromium: ${emissions.length} emissions; first frame ${emissions[0].atMs} ms, premium final ${premiumDone!.atMs} ms, done ${emissions[emissions.length - 1].atMs} ms`
          );
          // the final values equal the Node-side run (exchange layer straight to the mock + compute)
          const exchange = new ExchangeContext({ baseUrl: mock.url, retries: 1, timeoutMs: 30_000 });
          const tpl = {
            one: (v: string) => nodeTpl.replace(v),
            many: (v: string) => nodeTpl.replace(v, undefined, 'csv').split(','),
          };
          for (const t of targets) {
            const ref = await referenceRun(t, {
              settings: SMALL,
              tpl,
              range: { from: FROM, to: TO },
              intervalMs: INTERVAL_MS,
              exchange,
            });
            const frame = last.frames.find((f) => f.refId === t.refId)!;
            expect(frame.notices.some((n) => /^Partial result/.test(n.text))).toBe(false);
            const cmp = compareFrame(frame, ref);
            expect(cmp.mismatches).toEqual([]);
            expect(cmp.unknownFields).toEqual([]);
          }
        },
        10 * 60_000
      );

      test(
        'changing the range mid-load: the mock shows no request of the old range started after the unsubscribe',
        async () => {
          const target = { refId: 'A', queryType: 'signals', asset: 'BTC', timeframe: '1d' } as BtcFlowQuery;
          const OLD = { from: TO - 900 * DAY, to: TO - 600 * DAY };
          const NEW = { from: TO - 200 * DAY, to: TO };
          const at = (r: { from: number; to: number }) => ({ ...request([target]), range: { from: r.from, to: r.to } });
          // the request sets of complete runs of each range (fresh instances, empty caches)
          mock.resetStats();
          expect((await h.call('query', await fresh('harness-cancel-old'), at(OLD))).errors).toEqual([]);
          const oldSet = new Set((await mockLog()).map(requestKey));
          mock.resetStats();
          expect((await h.call('query', await fresh('harness-cancel-new'), at(NEW))).errors).toEqual([]);
          const newSet = new Set((await mockLog()).map(requestKey));
          const oldOnly = new Set([...oldSet].filter((k) => !newSet.has(k)));
          expect(oldOnly.size).toBeGreaterThan(20);

          // the panel: the old range loads, the user changes the range
          mock.resetStats();
          mock.setLatency(100);
          const uid = await fresh('harness-cancel');
          const handle = await h.call('startQuery', uid, at(OLD));
          for (let i = 0; i < 600 && (await mockLog()).filter((e) => oldOnly.has(requestKey(e))).length < 5; i++) {
            await new Promise((r) => setTimeout(r, 25));
          }
          const unsubscribedAt = await h.call('cancelQuery', handle);
          const res = await h.call('query', uid, at(NEW));
          expect(res.errors).toEqual([]);
          // quiet: no request at the mock for 500 ms
          for (let n = -1; n !== (await mockLog()).length;) {
            n = (await mockLog()).length;
            await new Promise((r) => setTimeout(r, 500));
          }
          const log = await mockLog();
          const old = log.filter((e) => oldOnly.has(requestKey(e)));
          const before = old.filter((e) => e.at <= unsubscribedAt);
          // a request the page sent just before the unsubscribe reaches the mock through the proxy a little later
          const after = old.filter((e) => e.at > unsubscribedAt + 250);
          console.log(
            `cancellation in Chromium: ${before.length} old-range requests before the unsubscribe, ${after.length} after; a full old-range run makes ${oldOnly.size}`
          );
          expect(before.length).toBeGreaterThanOrEqual(5);
          expect(after.map(requestKey)).toEqual([]);
          expect(old.length).toBeLessThan(oldOnly.size);
        },
        10 * 60_000
      );

      test('the streaming steps read no export of @grafana/data, ui or runtime this runtime lacks', async () => {
        // the page was reloaded for these steps: this is their own record
        const reads = await h.call('sharedReads');
        expect(reads.missing).toEqual({});
        expect(reads.read['@grafana/data']).toContain('LoadingState');
      });
    });

    baseOnlyDescribe('the persistent cache in Chromium', () => {
      const mockLog = async (): Promise<Array<{ endpoint: string | null; venue: string | null }>> =>
        (
          (await (await fetch(`${mock.url}/__stats`)).json()) as {
            log: Array<{ endpoint: string | null; venue: string | null }>;
          }
        ).log;

      test(
        'reload: the second load of the dashboard makes at most one request per series in all (market lists included), with the same values',
        async () => {
          const uid = 'harness-reload';
          const ds = { ...STREAM_DS.find((d) => d.uid === uid)!, jsonData: { ...liveSettings } };
          const fixed = { asset: 'BTC', timeframe: '1d', venues: undefined, lookback: 'auto' };
          const panels = dashboardPanels().map((p) => ({
            ...p,
            targets: p.targets.map((t) => ({ ...t, ...fixed }) as BtcFlowQuery),
          }));
          const load = async () => {
            await h.reload();
            await h.call('loadPlugin', MODULE_URL, pluginMeta(h.pluginJson));
            await h.call('createDataSource', instanceSettings(ds, 400, h.pluginJson) as never);
            const out: SerializedResponse[] = [];
            for (const p of panels) {
              const res = await h.call('query', uid, request(p.targets, p.panelId));
              expect(res.errors).toEqual([]);
              out.push(res);
            }
            return out;
          };
          await h.reload();
          await h.page.evaluate(
            (name) =>
              new Promise((resolve) => {
                const r = indexedDB.deleteDatabase(name);
                r.onsuccess = r.onerror = () => resolve(null);
              }),
            `btc-flow-cache|${uid}|proxy`
          );
          mock.resetStats();
          const first = await load();
          const cold = (await mockLog()).filter((e) => DATA_ENDPOINTS.has(String(e.endpoint))).length;
          mock.resetStats();
          const second = await load(); // a new page: only IndexedDB survives
          const log = await mockLog();
          const warm = log.filter((e) => DATA_ENDPOINTS.has(String(e.endpoint))).length;
          const roles = configuredVenues(liveSettings, registryDefaults());
          const series = plannedSeries(roles, ['spot', 'perp', 'openInterest', 'funding', 'fx']).length;
          const byEndpoint: Record<string, number> = {};
          for (const e of log) {
            byEndpoint[`${e.venue}:${e.endpoint}`] = (byEndpoint[`${e.venue}:${e.endpoint}`] ?? 0) + 1;
          }
          console.log(
            `reload in Chromium: requests after the reload by venue:endpoint ${JSON.stringify(byEndpoint)}\n` +
              `reload in Chromium: ${cold} data requests on the first load, ${warm} after the reload (${log.length} in all, market lists included), ${series} series`
          );
          expect(cold).toBeGreaterThan(series);
          expect(warm).toBeLessThanOrEqual(series);
          // every request counts: the market lists come from IndexedDB too (none of exchangeInfo / instruments asked)
          expect(log.filter((e) => /^markets/.test(String(e.endpoint))).map((e) => e.venue)).toEqual([]);
          expect(log.length).toBeLessThanOrEqual(series);
          // the same frames (values and notices) from the cache
          const strip = (r: SerializedResponse[]) =>
            r.map((x) => x.frames.map((f) => ({ refId: f.refId, fields: f.fields.map((g) => [g.name, g.values]) })));
          expect(strip(second)).toEqual(strip(first));
        },
        15 * 60_000
      );
    });
  }
);

function toEventRows(frame: SerializedFrame) {
  const col = (n: string) => frame.fields.find((f) => f.name === n)?.values ?? [];
  const [time, timeEnd, kind, title, text] = ['time', 'timeEnd', 'kind', 'title', 'text'].map(col);
  return time.map((t, i) => ({
    time: t as number,
    timeEnd: timeEnd[i] as number,
    kind: kind[i] as string,
    title: title[i] as string,
    text: text[i] as string,
  }));
}

/** The panel's overrides that hide a field from the graph (`custom.hideFrom.viz`), as Grafana applies them. */
function hiddenFields(panelId: number): (name: string) => boolean {
  const panels: Array<Record<string, any>> = [];
  const walk = (ps: Array<Record<string, any>>) => ps.forEach((p) => (panels.push(p), walk(p.panels ?? [])));
  walk(DASHBOARD.panels);
  const overrides: Array<Record<string, any>> = panels.find((p) => p.id === panelId)?.fieldConfig?.overrides ?? [];
  const rules = overrides.filter((o) =>
    (o.properties ?? []).some((prop: Record<string, any>) => prop.id === 'custom.hideFrom' && prop.value?.viz === true)
  );
  return (name) =>
    rules.some((o) => {
      const m = o.matcher ?? {};
      if (m.id === 'byName') {
        return m.options === name;
      }
      if (m.id === 'byNames') {
        const names: string[] = m.options?.names ?? [];
        return m.options?.mode === 'exclude' ? !names.includes(name) : names.includes(name);
      }
      return false;
    });
}

function frameSeries(f: SerializedFrame): Array<ChartPanel['series'][number] & { name: string }> {
  const time = f.fields.find((x) => x.type === 'time');
  if (!time) {
    return [];
  }
  return f.fields
    .filter((x) => x.type === 'number' && !STATE_FIELDS.has(x.name))
    .map((x) => ({
      name: x.name,
      label: String(x.config.displayNameFromDS ?? x.name),
      times: time.values as number[],
      values: x.values as Array<number | null>,
    }));
}

const ICON_COLORS: Record<string, string> = {
  green: '#73BF69',
  red: '#F2495C',
  orange: '#FF9830',
  purple: '#B877D9',
  blue: '#5794F2',
};

function panelMarks(): ChartPanel['marks'] {
  return annotationResults.flatMap(({ anno, res }) =>
    res.events.map((e) => ({
      time: e.time!,
      timeEnd: e.timeEnd,
      label: e.title ?? '',
      color: ICON_COLORS[anno.iconColor] ?? anno.iconColor,
    }))
  );
}
