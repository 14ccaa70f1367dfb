/**
 * Host page script: plays the part of Grafana's frontend around the plugin.
 *
 * - provides the shared modules (React, @grafana/*, rxjs, ...) through a small AMD loader;
 * - sets up @grafana/runtime's services (BackendSrv, TemplateSrv, DataSourceSrv) as Grafana does at boot;
 * - loads `public/plugins/<id>/module.js`, instantiates `plugin.DataSourceClass` with instance settings,
 *   runs queries / annotation queries the way Grafana's query runner does, renders the editors with the
 *   real @grafana/ui inside a ThemeContext, and draws frames with uPlot.
 * The test drives all of this through `window.btcHarness` (see HarnessApi).
 */
import React from 'react';
import { createRoot, Root } from 'react-dom/client';
import type { DataQuery, DataSourceRef } from '@grafana/schema';
import {
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourcePlugin,
  DataSourceSettings,
  FieldType,
  ThemeContext,
  dateTime,
  toDataFrame,
  CoreApp,
  LoadingState,
} from '@grafana/data';
import { config, setBackendSrv, setDataSourceSrv, setTemplateSrv, DataSourceSrv } from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';
import { Observable, from, isObservable, lastValueFrom, tap } from 'rxjs';

import { installAmdLoader, type SharedReads } from './amd';
import { HarnessBackendSrv } from './backendSrv';
import { renderDashboard } from './chart';
import { sharedModules } from './shared';
import { DashboardVariable, HarnessTemplateSrv } from './templateSrv';
import type {
  ChartPanel,
  HarnessQueryRequest,
  SerializedAnnotationEvent,
  SerializedAnnotationResult,
  SerializedFrame,
  SerializedResponse,
  StreamEmission,
} from '../protocol';

type AnyDataSource = DataSourceApi<DataQuery>;
type AnyPlugin = DataSourcePlugin<AnyDataSource>;

const backendSrv = new HarnessBackendSrv();
const templateSrv = new HarnessTemplateSrv();
const instances = new Map<string, { ds: AnyDataSource; settings: DataSourceInstanceSettings }>();
const pageErrors: string[] = [];

const dataSourceSrv: DataSourceSrv = {
  async get(ref?: string | DataSourceRef | null) {
    const uid = typeof ref === 'string' ? ref : ref?.uid;
    const found = uid ? instances.get(uid) : instances.values().next().value;
    if (!found) {
      throw new Error(`Data source ${String(uid)} was not found`);
    }
    return found.ds;
  },
  getList() {
    return Array.from(instances.values()).map((i) => i.settings);
  },
  getInstanceSettings(ref?: string | DataSourceRef | null) {
    const uid = typeof ref === 'string' ? ref : ref?.uid;
    const found = uid ? instances.get(uid) : undefined;
    return found?.settings;
  },
  async reload() {},
  registerRuntimeDataSource() {},
} as unknown as DataSourceSrv;

setBackendSrv(backendSrv);
setTemplateSrv(templateSrv);
setDataSourceSrv(dataSourceSrv);

window.addEventListener('error', (e) => pageErrors.push(String(e.error?.stack ?? e.message)));
window.addEventListener('unhandledrejection', (e) => pageErrors.push(String(e.reason?.stack ?? e.reason)));

const loader = installAmdLoader(sharedModules());
let plugin: AnyPlugin | undefined;
let pluginMeta: Record<string, unknown> | undefined;

function requirePlugin(): AnyPlugin {
  if (!plugin) {
    throw new Error('plugin not loaded: call loadPlugin first');
  }
  return plugin;
}

function requireInstance(uid: string): AnyDataSource {
  const found = instances.get(uid);
  if (!found) {
    throw new Error(`no data source instance with uid ${uid}`);
  }
  return found.ds;
}

function serializeFrame(input: unknown): SerializedFrame {
  const frame: DataFrame = toDataFrame(input);
  return {
    name: frame.name,
    refId: frame.refId,
    length: frame.length,
    meta: frame.meta ? JSON.parse(JSON.stringify(frame.meta)) : undefined,
    notices: (frame.meta?.notices ?? []).map((n) => ({ severity: String(n.severity), text: n.text })),
    fields: frame.fields.map((f) => ({
      name: f.name,
      type: String(f.type),
      config: JSON.parse(JSON.stringify(f.config ?? {})),
      labels: f.labels ? { ...f.labels } : undefined,
      values: Array.from(f.values as ArrayLike<unknown>, (v) =>
        f.type === FieldType.time && v !== null && v !== undefined ? Number(v) : v
      ),
    })),
  };
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    return `${e.name}: ${e.message}`;
  }
  if (e && typeof e === 'object') {
    const o = e as { message?: string; data?: { message?: string }; status?: number; statusText?: string };
    return o.message ?? o.data?.message ?? `${o.status ?? ''} ${o.statusText ?? ''}`.trim() ?? JSON.stringify(e);
  }
  return String(e);
}

function buildRequest(uid: string, req: HarnessQueryRequest, app: CoreApp): DataQueryRequest<DataQuery> {
  const from = dateTime(req.range.from);
  const to = dateTime(req.range.to);
  const range = { from, to, raw: req.range.raw ?? { from, to } };
  templateSrv.updateTimeRange(range);
  const intervalMs = req.intervalMs ?? 3600_000;
  return {
    requestId: `harness-${uid}-${Date.now()}`,
    interval: `${Math.round(intervalMs / 1000)}s`,
    intervalMs,
    maxDataPoints: req.maxDataPoints ?? 1000,
    range,
    rangeRaw: range.raw,
    scopedVars: req.scopedVars ?? {},
    targets: req.targets as unknown as DataQuery[],
    timezone: 'utc',
    app,
    startTime: Date.now(),
    panelId: req.panelId,
    dashboardUID: req.dashboardUID,
  } as DataQueryRequest<DataQuery>;
}

/** Runs ds.query like Grafana's runRequest: filterQuery, hidden targets dropped, Promise or Observable, last value. */
async function runQuery(ds: AnyDataSource, request: DataQueryRequest<DataQuery>): Promise<SerializedResponse> {
  request.targets = request.targets.filter((t) => !t.hide && (ds.filterQuery ? ds.filterQuery(t) : true));
  let emissions = 0;
  try {
    const result = ds.query(request) as Promise<DataQueryResponse> | Observable<DataQueryResponse>;
    const obs = isObservable(result) ? result : from(result);
    const response = await lastValueFrom(obs.pipe(tap(() => emissions++)));
    // the plugin reports errors in `errors` (the single `error` field is deprecated and never set)
    const errors = (response.errors ?? []).map((e) => ({
      message: e.message,
      refId: e.refId,
      status: e.status,
    }));
    if (response.state === LoadingState.Error && errors.length === 0) {
      errors.push({ message: 'response state Error', refId: undefined, status: undefined });
    }
    return { frames: (response.data ?? []).map(serializeFrame), errors, emissions };
  } catch (e) {
    return { frames: [], errors: [], emissions, thrown: errorText(e) };
  }
}

const streams = new Map<
  number,
  {
    sub: { unsubscribe(): void };
    startedAt: number;
    emissions: StreamEmission[];
    last?: DataQueryResponse;
    done: Promise<void>;
    thrown?: string;
  }
>();
let streamSeq = 0;

/** Subscribes to ds.query like a panel does and records every emission; `cancelStream` unsubscribes. */
function startStream(ds: AnyDataSource, request: DataQueryRequest<DataQuery>): number {
  request.targets = request.targets.filter((t) => !t.hide && (ds.filterQuery ? ds.filterQuery(t) : true));
  const id = ++streamSeq;
  const startedAt = Date.now();
  const emissions: StreamEmission[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const entry = { sub: { unsubscribe() {} }, startedAt, emissions, done } as NonNullable<
    ReturnType<typeof streams.get>
  >;
  streams.set(id, entry);
  const result = ds.query(request) as Promise<DataQueryResponse> | Observable<DataQueryResponse>;
  const obs = isObservable(result) ? result : from(result);
  entry.sub = obs.subscribe({
    next: (r) => {
      const frames = (r.data ?? []) as DataFrame[];
      const isPartial = (f: DataFrame) => (f.meta?.notices ?? []).some((n) => /^Partial result: /.test(n.text));
      emissions.push({
        state: String(r.state),
        atMs: Date.now() - startedAt,
        partial: [...new Set(frames.filter(isPartial).map((f) => String(f.refId)))],
        final: [...new Set(frames.filter((f) => !isPartial(f)).map((f) => String(f.refId)))],
      });
      entry.last = r;
    },
    error: (e) => {
      entry.thrown = errorText(e);
      resolveDone();
    },
    complete: () => resolveDone(),
  });
  return id;
}

/** Grafana's standard annotation event mapping (fields time, timeEnd, title, text, tags). */
function framesToEvents(frames: SerializedFrame[]): SerializedAnnotationEvent[] {
  const events: SerializedAnnotationEvent[] = [];
  for (const frame of frames) {
    const byName = (n: string) => frame.fields.find((f) => f.name === n);
    const time = byName('time') ?? frame.fields.find((f) => f.type === 'time');
    if (!time) {
      continue;
    }
    const timeEnd = byName('timeEnd');
    const title = byName('title');
    const text = byName('text') ?? frame.fields.find((f) => f.type === 'string' && f.name !== 'title');
    const tags = byName('tags');
    for (let i = 0; i < frame.length; i++) {
      const t = time.values[i];
      if (t === null || t === undefined) {
        continue;
      }
      const rawTags = tags?.values[i];
      events.push({
        time: Number(t),
        timeEnd:
          timeEnd?.values[i] === undefined || timeEnd?.values[i] === null ? undefined : Number(timeEnd.values[i]),
        title: title?.values[i] === undefined ? undefined : String(title.values[i]),
        text: text?.values[i] === undefined ? undefined : String(text.values[i]),
        tags: Array.isArray(rawTags)
          ? rawTags.map(String)
          : typeof rawTags === 'string'
            ? rawTags.split(',').map((s) => s.trim())
            : undefined,
      });
    }
  }
  return events;
}

// ---------- editors ----------
const roots = new Map<string, Root>();

function mount(id: string, element: React.ReactElement): void {
  let el = document.getElementById(id);
  if (!el) {
    el = document.createElement('div');
    el.id = id;
    el.className = 'editor-box';
    document.getElementById('editors')!.appendChild(el);
  }
  let root = roots.get(id);
  if (!root) {
    root = createRoot(el);
    roots.set(id, root);
  }
  root.render(
    <ThemeContext.Provider value={config.theme2}>
      <GlobalStyles />
      {element}
    </ThemeContext.Provider>
  );
}

const editorState = {
  configHistory: [] as Array<DataSourceSettings<any, any>>,
  queryHistory: [] as DataQuery[],
  runQueryCalls: 0,
};

class ErrorBoundary extends React.Component<{ name: string; children: React.ReactNode }, { error?: string }> {
  state: { error?: string } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error: errorText(error) };
  }
  componentDidCatch(error: unknown) {
    pageErrors.push(`${this.props.name} crashed: ${errorText(error)}`);
  }
  render() {
    return this.state.error ? <div className="editor-crash">{this.state.error}</div> : this.props.children;
  }
}

function ConfigEditorHost({ initial }: { initial: DataSourceSettings<any, any> }) {
  const [options, setOptions] = React.useState(initial);
  const Editor = requirePlugin().components.ConfigEditor;
  if (!Editor) {
    throw new Error('plugin has no ConfigEditor');
  }
  return (
    <Editor
      options={options}
      onOptionsChange={(next: DataSourceSettings<any, any>) => {
        editorState.configHistory.push(JSON.parse(JSON.stringify(next)));
        setOptions(next);
      }}
    />
  );
}

function QueryEditorHost({
  ds,
  initial,
  range,
}: {
  ds: AnyDataSource;
  initial: DataQuery;
  range: HarnessQueryRequest['range'];
}) {
  const [query, setQuery] = React.useState(initial);
  const Editor = requirePlugin().components.QueryEditor;
  if (!Editor) {
    throw new Error('plugin has no QueryEditor');
  }
  const from = dateTime(range.from);
  const to = dateTime(range.to);
  return (
    <Editor
      datasource={ds}
      query={query}
      queries={[query]}
      app={CoreApp.PanelEditor}
      range={{ from, to, raw: { from, to } }}
      onChange={(next: DataQuery) => {
        editorState.queryHistory.push(JSON.parse(JSON.stringify(next)));
        setQuery(next);
      }}
      onRunQuery={() => {
        editorState.runQueryCalls++;
      }}
    />
  );
}

export interface HarnessApi {
  loadPlugin(
    url: string,
    meta: Record<string, unknown>
  ): Promise<{
    exports: string[];
    requested: string[];
    hasDataSourceClass: boolean;
    hasConfigEditor: boolean;
    hasQueryEditor: boolean;
  }>;
  createDataSource(settings: DataSourceInstanceSettings): { annotations: boolean; name: string };
  setVariables(variables: DashboardVariable[]): void;
  interpolate(text: string): string;
  query(uid: string, request: HarnessQueryRequest): Promise<SerializedResponse>;
  annotation(
    uid: string,
    annotation: Record<string, unknown>,
    request: HarnessQueryRequest
  ): Promise<SerializedAnnotationResult>;
  /** Runs a dashboard query variable's query through the data source (metricFindQuery), as Grafana does on load. */
  variableQuery(
    uid: string,
    query: string,
    range: HarnessQueryRequest['range']
  ): Promise<{ values?: Array<{ text: string; value?: string | number }>; thrown?: string }>;
  testDatasource(uid: string): Promise<{ status?: string; message?: string; thrown?: string }>;
  /** Starts a query and records its emissions (like a panel subscribed to it); returns a handle. */
  startQuery(uid: string, request: HarnessQueryRequest): number;
  /** Unsubscribes (as Grafana does when the range changes); returns the page's clock at that moment. */
  cancelQuery(handle: number): number;
  /** Waits for a started query to complete; its emissions and its last response. */
  awaitQuery(handle: number): Promise<{ emissions: StreamEmission[]; last: SerializedResponse; startedAt: number }>;
  /** Runs one target through the plugin's own `runTarget` (when it has one) and returns the error stack, for diagnostics. */
  debugTarget(uid: string, target: Record<string, unknown>, request: HarnessQueryRequest): Promise<string>;
  renderConfigEditor(settings: DataSourceSettings<any, any>): void;
  renderQueryEditor(uid: string, query: DataQuery, range: HarnessQueryRequest['range']): void;
  editorState(): typeof editorState;
  renderDashboard(title: string, panels: ChartPanel[], width: number): { drawn: number; points: number };
  requests(): Array<{ method: string; url: string; status: number }>;
  /** The exports the plugin read from `@grafana/data|ui|runtime`, and those this runtime lacks. */
  sharedReads(): SharedReads;
  errors(): string[];
}

const api: HarnessApi = {
  async loadPlugin(url, meta) {
    const exportsObj = await loader.load(url);
    const p = exportsObj.plugin as AnyPlugin | undefined;
    if (!p) {
      throw new Error(`module.js loaded but exports no 'plugin' (exports: ${Object.keys(exportsObj).join(', ')})`);
    }
    pluginMeta = meta;
    // Grafana sets the meta on the plugin object after import (importDataSourcePlugin).
    (p as unknown as { meta: unknown }).meta = meta;
    plugin = p;
    return {
      exports: Object.keys(exportsObj),
      requested: [...loader.requested],
      hasDataSourceClass: typeof p.DataSourceClass === 'function',
      hasConfigEditor: !!p.components.ConfigEditor,
      hasQueryEditor: !!p.components.QueryEditor,
    };
  },
  createDataSource(settings) {
    const p = requirePlugin();
    const full = {
      ...settings,
      meta: { ...(pluginMeta ?? {}), ...(settings.meta ?? {}) },
    } as DataSourceInstanceSettings;
    const ds = new p.DataSourceClass(full as DataSourceInstanceSettings<any>);
    // Grafana's DatasourceSrv attaches the plugin components and meta to each instance.
    ds.components = p.components;
    ds.meta = full.meta;
    instances.set(settings.uid, { ds, settings: full });
    config.datasources[settings.name] = full;
    return { annotations: !!ds.annotations, name: ds.name };
  },
  setVariables(variables) {
    templateSrv.setVariables(variables);
  },
  interpolate(text) {
    return templateSrv.replace(text);
  },
  async query(uid, req) {
    const ds = requireInstance(uid);
    return runQuery(ds, buildRequest(uid, req, CoreApp.Dashboard));
  },
  async annotation(uid, annotation, req) {
    const ds = requireInstance(uid);
    const support = (ds.annotations ?? {}) as NonNullable<AnyDataSource['annotations']>;
    let anno = annotation as any;
    if (support.prepareAnnotation) {
      anno = support.prepareAnnotation(anno);
    }
    const query: DataQuery | undefined = support.prepareQuery ? support.prepareQuery(anno) : anno.target;
    if (!query) {
      return { frames: [], errors: [], emissions: 0, events: [], query: undefined };
    }
    const request = buildRequest(uid, { ...req, targets: [{ ...query, refId: 'Anno' }] }, CoreApp.Dashboard);
    const res = await runQuery(ds, request);
    return { ...res, query: JSON.parse(JSON.stringify(query)), events: framesToEvents(res.frames) };
  },
  async variableQuery(uid, query, range) {
    const ds = requireInstance(uid);
    if (!ds.metricFindQuery) {
      return { thrown: 'the data source has no metricFindQuery' };
    }
    const from = dateTime(range.from);
    const to = dateTime(range.to);
    try {
      const values = await ds.metricFindQuery(query, { range: { from, to, raw: { from, to } }, scopedVars: {} });
      return {
        values: values.map((v) => ({
          text: String(v.text),
          value: v.value === undefined ? undefined : (v.value as string | number),
        })),
      };
    } catch (e) {
      return { thrown: errorText(e) };
    }
  },
  async testDatasource(uid) {
    const ds = requireInstance(uid);
    try {
      const r = await ds.testDatasource();
      return { status: r.status, message: r.message };
    } catch (e) {
      return { thrown: errorText(e) };
    }
  },
  startQuery(uid, req) {
    return startStream(requireInstance(uid), buildRequest(uid, req, CoreApp.Dashboard));
  },
  cancelQuery(handle) {
    const s = streams.get(handle);
    if (!s) {
      throw new Error(`no query ${handle}`);
    }
    s.sub.unsubscribe();
    streams.delete(handle);
    return Date.now();
  },
  async awaitQuery(handle) {
    const s = streams.get(handle);
    if (!s) {
      throw new Error(`no query ${handle}`);
    }
    await s.done;
    streams.delete(handle);
    const r = s.last;
    const errors = (r?.errors ?? []).map((e) => ({ message: e.message, refId: e.refId, status: e.status }));
    return {
      emissions: s.emissions,
      startedAt: s.startedAt,
      last: { frames: (r?.data ?? []).map(serializeFrame), errors, emissions: s.emissions.length, thrown: s.thrown },
    };
  },
  async debugTarget(uid, target, req) {
    const ds = requireInstance(uid) as unknown as { runTarget?: (t: unknown, r: unknown) => Promise<unknown> };
    if (typeof ds.runTarget !== 'function') {
      return 'the data source has no runTarget method';
    }
    try {
      await ds.runTarget(target, buildRequest(uid, { ...req, targets: [target] }, CoreApp.Dashboard));
      return 'ok';
    } catch (e) {
      return e instanceof Error ? String(e.stack ?? e.message) : errorText(e);
    }
  },
  renderConfigEditor(settings) {
    editorState.configHistory = [];
    mount(
      'config-editor',
      <ErrorBoundary name="ConfigEditor">
        <ConfigEditorHost initial={settings} />
      </ErrorBoundary>
    );
  },
  renderQueryEditor(uid, query, range) {
    editorState.queryHistory = [];
    const ds = requireInstance(uid);
    mount(
      'query-editor',
      <ErrorBoundary name="QueryEditor">
        <QueryEditorHost ds={ds} initial={query} range={range} />
      </ErrorBoundary>
    );
  },
  editorState() {
    return JSON.parse(JSON.stringify(editorState));
  },
  renderDashboard(title, panels, width) {
    return renderDashboard(document.getElementById('dashboard')!, title, panels, width);
  },
  requests() {
    return backendSrv.log.map((e) => ({ ...e }));
  },
  sharedReads() {
    return JSON.parse(JSON.stringify(loader.reads));
  },
  errors() {
    return [...pageErrors];
  },
};

(window as unknown as { btcHarness: HarnessApi }).btcHarness = api;
document.documentElement.setAttribute('data-harness', 'ready');
