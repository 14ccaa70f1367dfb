/**
 * The macro dashboard in Chromium against a REAL recorder: shared by browser/recorder.harness.test.ts (the proof)
 * and browser/bench.ts (the figures).
 *
 * A recorder store (the recorder's own SQLite backend, in a temporary folder) is filled by the recorder's `import`
 * path with what the mock exchange server serves (fetched through the exchange layer, throttle off), up to a cut
 * time; the recorder's own HTTP server (createRecorderServer) serves it on 127.0.0.1. The harness proxy maps the
 * provisioned Recorder URLs (compose service names) to it, so the plugin reaches it through plugin.json's `recorder`
 * route exactly as in Grafana; bars after the cut come live from the mock through the venue routes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startMockServer, type MockServer } from '../mock/server';
import { planImport } from '../recorder/bundle';
import { createRecorderServer, type RecorderServer } from '../recorder/http';
import { openRecorderStore } from '../recorder/store/open';
import type { RecorderStore } from '../recorder/store/types';
import type { Bundle } from '../src/core/types';
import { DEFAULT_VENUES, ExchangeContext, fetchBundle } from '../src/exchanges';
import { instanceSettings, pluginMeta, startHarness, type Harness, type ProvisionedDataSource } from './harness';
import type { DashboardVariable } from './host/templateSrv';
import type { HarnessQueryRequest, SerializedAnnotationResult, SerializedResponse, StreamEmission } from './protocol';

export const DAY = 86_400_000;
export const ROOT = path.resolve(__dirname, '..');
export const MACRO = JSON.parse(fs.readFileSync(path.join(ROOT, 'dashboards', 'btc-flow-macro.json'), 'utf8'));
export const MACRO_UID: string = MACRO.templating.list.find((v: { type: string }) => v.type === 'datasource').current
  .value;

export interface MacroSetup {
  mock: MockServer;
  store: RecorderStore;
  recorder: RecorderServer;
  recorderUrl: string;
  h: Harness;
  /** What went into the store: series, points, and how long the fill took (fetch from the mock + import). */
  filled: { series: number; points: number; ms: number };
  close(): Promise<void>;
}

/**
 * Mock → exchange layer (no throttle) → the recorder's import plan → its store. Points at or after `cut` are left
 * out (they come live in the query). Returns what was written.
 */
export async function fillStore(
  store: RecorderStore,
  mockUrl: string,
  range: { from: number; cut: number }
): Promise<{ series: number; points: number; bundle: Bundle }> {
  const ctx = new ExchangeContext({ baseUrl: mockUrl, retries: 1, enableRateLimit: false });
  const { bundle } = await fetchBundle(
    { asset: 'BTC', timeframe: '1d', from: range.from, to: range.cut, venues: [...DEFAULT_VENUES] },
    ctx
  );
  const cut: Bundle = {
    asset: bundle.asset,
    series: bundle.series
      .map((s) => ({
        ...s,
        points: s.points.filter((p) => p[0] < range.cut),
        ...(s.volumes ? { volumes: s.volumes.filter((p) => p[0] < range.cut) } : {}),
      }))
      .filter((s) => s.points.length > 0),
  };
  const plan = planImport(cut, range.cut, '1d');
  await store.write(plan.writes);
  return { series: plan.writes.length, points: plan.points, bundle: cut };
}

/** Starts the mock, fills a recorder store up to `cut`, serves it, and starts the harness pointed at it. */
export async function startMacroSetup(opts: {
  from: number;
  cut: number;
  token?: string;
  extraDataSources?: ProvisionedDataSource[];
  /** More recorders on the same store, each under its own compose-style host (e.g. one with a token). */
  extraRecorders?: Array<{ host: string; token?: string }>;
  /** Hosts that map to a port nothing listens on (a recorder that is down). */
  downHosts?: string[];
  log?: (s: string) => void;
}): Promise<MacroSetup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'btcflow-macro-'));
  const mock = await startMockServer({ port: 0 });
  let store: RecorderStore | undefined;
  let recorder: RecorderServer | undefined;
  const extra: RecorderServer[] = [];
  try {
    store = await openRecorderStore(path.join(dir, 'recorder.db'));
    const t0 = Date.now();
    const filled = await fillStore(store, mock.url, opts);
    const ms = Date.now() - t0;
    recorder = createRecorderServer({ store, token: opts.token });
    const { url } = await recorder.listen(0, '127.0.0.1');
    const hostAliases: Record<string, string> = {};
    for (const x of opts.extraRecorders ?? []) {
      const r = createRecorderServer({ store, token: x.token });
      extra.push(r);
      hostAliases[x.host] = (await r.listen(0, '127.0.0.1')).url;
    }
    for (const host of opts.downHosts ?? []) {
      hostAliases[host] = 'http://127.0.0.1:9';
    }
    const h = await startHarness({
      mockUrl: mock.url,
      recorderUrl: url,
      hostAliases,
      extraDataSources: opts.extraDataSources,
      log: opts.log,
    });
    const s = store;
    const r = recorder;
    return {
      mock,
      store: s,
      recorder: r,
      recorderUrl: url,
      h,
      filled: { series: filled.series, points: filled.points, ms },
      async close() {
        await h.close();
        for (const x of extra) {
          await x.close();
        }
        await r.close();
        await s.close();
        await mock.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    for (const x of extra) {
      await x.close();
    }
    await recorder?.close();
    await store?.close();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The macro dashboard's panels with targets. */
export function macroPanels(): Array<{
  id: number;
  title: string;
  type: string;
  targets: Array<Record<string, unknown>>;
}> {
  return (MACRO.panels as Array<Record<string, any>>)
    .filter((p) => Array.isArray(p.targets) && p.targets.length)
    .map((p) => ({ id: p.id, title: p.title, type: p.type, targets: p.targets }));
}

/**
 * Loads the plugin, creates the data sources (fresh instances: empty caches) with ids from `firstId`, and sets the
 * macro dashboard's variables as Grafana would on load (query variables answered by the data source `uid`).
 */
export async function prepareMacro(
  h: Harness,
  uid: string,
  range: HarnessQueryRequest['range'],
  firstId = 1,
  extra: ProvisionedDataSource[] = []
): Promise<DashboardVariable[]> {
  await h.call('loadPlugin', `/public/plugins/${h.pluginJson.id}/module.js`, pluginMeta(h.pluginJson));
  for (const [i, ds] of [...h.datasources, ...extra].entries()) {
    await h.call('createDataSource', instanceSettings(ds, firstId + i, h.pluginJson) as never);
  }
  const variables: DashboardVariable[] = JSON.parse(JSON.stringify(MACRO.templating.list));
  for (const v of variables) {
    if (v.type === 'datasource') {
      v.current = { text: uid, value: uid, selected: true } as never;
    }
    if (v.type !== 'query') {
      continue;
    }
    const res = await h.call('variableQuery', uid, String(v.query), range);
    if (res.thrown || !res.values?.length) {
      throw new Error(`variable ${v.name}: ${res.thrown ?? 'no values'}`);
    }
    v.options = res.values.map((o) => ({ text: o.text, value: String(o.value ?? o.text), selected: false })) as never;
  }
  await h.call('setVariables', variables);
  return variables;
}

/**
 * Every panel and annotation of the macro dashboard at once, as a dashboard load does; resolves when the last
 * answered, with the wall time of the whole load (`ms`), of the moment every panel had drawn frames for each of its
 * targets (`drawnMs`: partial frames count, e.g. the recorder's bars while the open bar loads live; panels of events
 * excepted), and of the last annotation or events panel (`annotationsMs`: events come whole).
 */
export async function loadMacro(
  h: Harness,
  uid: string,
  range: HarnessQueryRequest['range']
): Promise<{
  ms: number;
  drawnMs: number;
  annotationsMs: number;
  panels: Map<number, SerializedResponse>;
  /** Each panel's emissions (which targets had partial or final frames, when). */
  emissions: Map<number, StreamEmission[]>;
  annotations: Array<{ anno: Record<string, any>; res: SerializedAnnotationResult }>;
}> {
  const panels = new Map<number, SerializedResponse>();
  const emissions = new Map<number, StreamEmission[]>();
  const annotations: Array<{ anno: Record<string, any>; res: SerializedAnnotationResult }> = [];
  let drawnMs = 0;
  let annotationsMs = 0;
  const t0 = Date.now();
  await Promise.all([
    ...macroPanels().map(async (p) => {
      const handle = await h.call('startQuery', uid, {
        targets: p.targets,
        range,
        intervalMs: 7 * DAY,
        maxDataPoints: 1000,
        panelId: p.id,
        dashboardUID: MACRO.uid,
      });
      const run = await h.call('awaitQuery', handle);
      panels.set(p.id, run.last);
      emissions.set(p.id, run.emissions);
      const refIds = p.targets.filter((t) => !t.hide).map((t) => String(t.refId));
      const drawn = run.emissions.find((e) => refIds.every((r) => e.partial.includes(r) || e.final.includes(r)));
      const last = run.emissions[run.emissions.length - 1];
      if (p.targets.some((t) => t.format === 'events')) {
        // events come whole (with the open bar's): timed with the annotations
        annotationsMs = Math.max(annotationsMs, run.startedAt + last.atMs - t0);
      } else {
        drawnMs = Math.max(drawnMs, run.startedAt + (drawn ?? last).atMs - t0);
      }
    }),
    ...(MACRO.annotations.list as Array<Record<string, any>>).map(async (anno) => {
      const res = await h.call('annotation', uid, anno as never, { targets: [], range, intervalMs: 7 * DAY });
      annotations.push({ anno, res });
      annotationsMs = Math.max(annotationsMs, Date.now() - t0);
    }),
  ]);
  return { ms: Date.now() - t0, drawnMs, annotationsMs, panels, emissions, annotations };
}
