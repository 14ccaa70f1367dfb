/**
 * The in-browser harness: real Debian Chromium (playwright-core, no downloaded browser) loading the real
 * dist/module.js through the host page and the data-proxy stand-in of ./server.ts.
 *
 * One browser, one page, reused by every step (CI has 2 cores).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { chromium, type Browser, type Page } from 'playwright-core';

import { DIST_DIR, ROOT, ensureHostBundle, ensurePluginBuild, type HostBundle } from './build';
import type { HarnessApi } from './host/entry';
import { harnessRuntimes, type GrafanaRuntime } from './runtimes';
import { startHarnessServer, type HarnessServer } from './server';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const ARTIFACTS_DIR = path.join(__dirname, 'artifacts');
export const DOCS_IMG_DIR = path.join(ROOT, 'docs', 'img');

/** A data source as written in provisioning/datasources/*.yaml. */
export interface ProvisionedDataSource {
  name: string;
  uid: string;
  type: string;
  access?: string;
  orgId?: number;
  isDefault?: boolean;
  editable?: boolean;
  url?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, unknown>;
}

export interface PluginJson {
  id: string;
  name: string;
  type: string;
  info: Record<string, unknown>;
  routes?: Array<{ path: string; url?: string; method?: string }>;
  annotations?: boolean;
  metrics?: boolean;
  [key: string]: unknown;
}

export function readPluginJson(distDir = DIST_DIR): PluginJson {
  return JSON.parse(fs.readFileSync(path.join(distDir, 'plugin.json'), 'utf8')) as PluginJson;
}

/** Reads every data source of the plugin's type from provisioning/datasources/*.y(a)ml. */
export function readProvisionedDataSources(
  type: string,
  dir = path.join(ROOT, 'provisioning', 'datasources')
): ProvisionedDataSource[] {
  const out: ProvisionedDataSource[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(f)) {
      continue;
    }
    const doc = parseYaml(fs.readFileSync(path.join(dir, f), 'utf8')) as {
      datasources?: ProvisionedDataSource[];
    } | null;
    for (const ds of doc?.datasources ?? []) {
      if (ds.type === type) {
        out.push(ds);
      }
    }
  }
  return out;
}

/** Grafana's meta for a plugin (what the frontend gets from /api/plugins and the boot data). */
export function pluginMeta(pj: PluginJson): Record<string, unknown> {
  return {
    ...pj,
    module: `public/plugins/${pj.id}/module`,
    baseUrl: `public/plugins/${pj.id}`,
    info: {
      ...pj.info,
      logos: { small: `public/plugins/${pj.id}/img/logo.svg`, large: `public/plugins/${pj.id}/img/logo.svg` },
    },
  };
}

/** DataSourceInstanceSettings as Grafana builds them for a provisioned proxy-mode data source. */
export function instanceSettings(ds: ProvisionedDataSource, id: number, pj: PluginJson): Record<string, unknown> {
  return {
    id,
    uid: ds.uid,
    type: ds.type,
    name: ds.name,
    access: ds.access ?? 'proxy',
    url: `/api/datasources/proxy/uid/${ds.uid}`,
    jsonData: ds.jsonData ?? {},
    isDefault: !!ds.isDefault,
    readOnly: ds.editable === false,
    meta: pluginMeta(pj),
  };
}

/** DataSourceSettings (the config page's model) for a provisioned data source. */
export function dataSourceSettings(ds: ProvisionedDataSource, id: number): Record<string, unknown> {
  return {
    id,
    uid: ds.uid,
    orgId: ds.orgId ?? 1,
    name: ds.name,
    type: ds.type,
    typeName: 'BTC Flow',
    typeLogoUrl: '',
    access: ds.access ?? 'proxy',
    url: ds.url ?? '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: !!ds.isDefault,
    jsonData: ds.jsonData ?? {},
    secureJsonFields: Object.fromEntries(Object.keys(ds.secureJsonData ?? {}).map((k) => [k, true])),
    readOnly: ds.editable === false,
    withCredentials: false,
    version: 1,
  };
}

/** A provisioned data source without its Recorder URL (the harness runs without a recorder unless given one). */
export function withoutRecorder(ds: ProvisionedDataSource): ProvisionedDataSource {
  if (!ds.jsonData || !('recorderUrl' in ds.jsonData)) {
    return ds;
  }
  const { recorderUrl: _dropped, ...jsonData } = ds.jsonData;
  return { ...ds, jsonData };
}

export interface Harness {
  browser: Browser;
  page: Page;
  server: HarnessServer;
  pluginJson: PluginJson;
  datasources: ProvisionedDataSource[];
  /** console errors and page errors seen so far */
  consoleErrors: string[];
  pageErrors: string[];
  buildNote: string;
  /** the Grafana runtime the host page supplies to the plugin, and its bundle (which @grafana/* packages it holds) */
  runtime: GrafanaRuntime;
  host: HostBundle;
  /** Reloads the host page (a fresh JS realm: no plugin, no chunks loaded) and waits for the host script. */
  reload(): Promise<void>;
  /** Calls a method of window.btcHarness in the page. */
  call<K extends keyof HarnessApi>(
    method: K,
    ...args: Parameters<HarnessApi[K]>
  ): Promise<Awaited<ReturnType<HarnessApi[K]>>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** base URL of a running mock exchange server */
  mockUrl: string;
  /** data sources the proxy also serves besides the provisioned ones (test-only configurations) */
  extraDataSources?: ProvisionedDataSource[];
  /**
   * base URL of a running recorder (http://127.0.0.1:<port>): the provisioned Recorder URLs (docker-compose service
   * names such as http://recorder:8789) are served by it. Without one, the provisioned data sources run without
   * their Recorder URL (live only, as before the recorder existed).
   */
  recorderUrl?: string;
  /** more host → base URL aliases for the proxy (test-only Recorder URLs, e.g. a second recorder with a token) */
  hostAliases?: Record<string, string>;
  /** the Grafana runtime the host supplies (./runtimes.ts); default: the base one, the packages the plugin is built against */
  runtime?: GrafanaRuntime;
  /** build dist/ when missing or stale (default true) */
  build?: boolean;
  log?: (s: string) => void;
}

/**
 * Builds what is needed, starts the server, launches Chromium, opens the host page and waits for the host
 * script. The plugin itself is loaded by the caller (`call('loadPlugin', ...)`), so a load failure is a test
 * failure with the loader's message.
 */
export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const log = opts.log ?? (() => {});
  // HARNESS_SKIP_BUILD=1 serves dist/ as it is (debugging a hand-made build).
  const skip = opts.build === false || process.env.HARNESS_SKIP_BUILD === '1';
  const buildNote = skip ? 'build skipped' : ensurePluginBuild(log);
  const runtime = opts.runtime ?? harnessRuntimes()[0];
  const host = await ensureHostBundle(runtime);
  const pluginJson = readPluginJson();
  const datasources = readProvisionedDataSources(pluginJson.id).map((d) => (opts.recorderUrl ? d : withoutRecorder(d)));
  // docker-compose service names in provisioned mirror URLs (e.g. http://mock-exchanges:8788) resolve to the mock,
  // and in Recorder URLs (http://recorder:8789) to the recorder the test started.
  const hostAliases: Record<string, string> = { ...(opts.hostAliases ?? {}) };
  for (const ds of datasources) {
    const mirror = ds.jsonData?.mirrorUrl;
    if (typeof mirror === 'string' && /^https?:\/\//.test(mirror)) {
      hostAliases[new URL(mirror).host] = opts.mockUrl;
    }
    const recorder = ds.jsonData?.recorderUrl;
    if (opts.recorderUrl && typeof recorder === 'string' && /^https?:\/\//.test(recorder)) {
      hostAliases[new URL(recorder).host] = opts.recorderUrl;
    }
  }
  const server = await startHarnessServer({
    distDir: DIST_DIR,
    pluginId: pluginJson.id,
    host,
    mockUrl: opts.mockUrl,
    hostAliases,
    datasources: [...datasources, ...(opts.extraDataSources ?? [])].map((d) => ({
      uid: d.uid,
      jsonData: d.jsonData,
      secureJsonData: d.secureJsonData,
    })),
  });
  let browser: Browser | undefined;
  try {
    if (!fs.existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium' (never download a browser)`
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') {
        consoleErrors.push(m.text());
      }
    });
    page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    // Nothing in the page may leave 127.0.0.1.
    await context.route(/^(?!http:\/\/127\.0\.0\.1[:/]).*/, (route) => {
      pageErrors.push(`blocked non-local request: ${route.request().url()}`);
      return route.abort();
    });
    const open = async () => {
      await page.goto(server.url);
      await page.waitForFunction(() => document.documentElement.getAttribute('data-harness') === 'ready', undefined, {
        timeout: 60_000,
      });
    };
    await open();
    const b = browser;
    return {
      browser: b,
      page,
      server,
      pluginJson,
      datasources,
      consoleErrors,
      pageErrors,
      buildNote,
      runtime,
      host,
      reload: open,
      call: (method, ...args) =>
        page.evaluate(
          ({ method, args }) => {
            const api = (window as unknown as { btcHarness: Record<string, (...a: unknown[]) => unknown> }).btcHarness;
            return api[method](...args);
          },
          { method: method as string, args: args as unknown[] }
        ) as never,
      async close() {
        await b.close();
        await server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}

export function writeArtifact(name: string, content: string | Buffer): string {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const p = path.join(ARTIFACTS_DIR, name);
  fs.writeFileSync(p, content);
  return p;
}
