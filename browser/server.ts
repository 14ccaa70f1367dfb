/**
 * The harness's stand-in for the Grafana server:
 * - `/`                      the host page (boot data, host bundle, mount points);
 * - `/host/*`                the host bundle (shared modules + harness API);
 * - `/public/plugins/<id>/*` the plugin's dist/ (module.js, lazy chunks, plugin.json), as Grafana serves it;
 * - `/api/datasources/proxy/uid/<uid>/<path>`  Grafana's data proxy: the first route of dist/plugin.json whose
 *   `path` prefixes `<path>` (and whose method matches) is applied as Grafana's ApplyRoute does: the route
 *   `url` (Go-template `{{ .JsonData.x }}` / `{{ .SecureJsonData.x }}` interpolated) plus the rest of the
 *   path, query string kept, route headers added, Origin/Referer/Cookie dropped. The target is then rewritten
 *   like the mirror URL: `https://<host>/...` → `<mockUrl>/<host>/...`. A target that is not on 127.0.0.1
 *   is refused (nothing here may reach a real exchange).
 * Every request is recorded (`stats`), so the test can check what the browser fetched and proxied.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

export interface PluginRoute {
  path: string;
  method?: string;
  url?: string;
  headers?: Array<{ name: string; content: string }>;
  reqRole?: string;
}

export interface ProxiedDataSource {
  uid: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, unknown>;
}

export interface StaticHit {
  path: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  status: number;
}

export interface ProxyHit {
  method: string;
  uid: string;
  proxyPath: string;
  route?: string;
  target?: string;
  status: number;
  error?: string;
  /** the page's request carried an Authorization header (route headers are added after, server-side) */
  pageSentAuthorization?: boolean;
  /** when the page's request came (epoch ms) */
  at?: number;
  /** ms from the page's request to the upstream answer's last byte (undefined until it ends) */
  ms?: number;
  /** bytes of the upstream answer's body as sent (compressed when the upstream compressed it) */
  bytes?: number;
}

export interface HarnessServerStats {
  plugin: StaticHit[];
  proxy: ProxyHit[];
  other: Array<{ method: string; path: string; status: number }>;
}

export interface HarnessServerOptions {
  distDir: string;
  pluginId: string;
  /** the host bundle; `runtime` is the Grafana version it supplies (the boot data's buildInfo.version) */
  host: { js: string; css: string; assets: Record<string, string>; runtime?: string };
  /** base URL of the mock exchange server (http://127.0.0.1:<port>) */
  mockUrl: string;
  datasources: ProxiedDataSource[];
  /**
   * host[:port] → base URL, for hosts that only resolve inside docker-compose (e.g. the provisioned mirror
   * `http://mock-exchanges:8788` is the mock server here).
   */
  hostAliases?: Record<string, string>;
  port?: number;
}

export interface HarnessServer {
  url: string;
  port: number;
  stats: HarnessServerStats;
  resetStats(): void;
  close(): Promise<void>;
}

/** Grafana's util.JoinURLFragments. */
export function joinUrlFragments(a: string, b: string): string {
  if (b.length === 0) {
    return a;
  }
  const aslash = a.endsWith('/');
  const bslash = b.startsWith('/');
  if (aslash && bslash) {
    return a + b.slice(1);
  }
  if (!aslash && !bslash) {
    return a + '/' + b;
  }
  return a + b;
}

/** Interpolates `{{ .JsonData.key }}` and `{{ .SecureJsonData.key }}` like Grafana's route templates. */
export function interpolateRoute(text: string, ds: ProxiedDataSource): string {
  return text.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g, (_m, bag: string, key: string) => {
    const source = bag === 'JsonData' ? ds.jsonData : ds.secureJsonData;
    const v = source?.[key];
    return v === undefined || v === null ? '' : String(v);
  });
}

/**
 * The mirror rewrite: `https://<host>/<path>` → `<mockUrl>/<host>/<path>`. Hosts in `aliases` are replaced
 * by their base URL instead (docker-compose service names); local URLs are left as they are.
 */
export function mirrorRewrite(url: string, mockUrl: string, aliases: Record<string, string> = {}): string {
  const m = /^https?:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!m) {
    return url;
  }
  const host = m[1];
  if (aliases[host]) {
    return `${aliases[host].replace(/\/$/, '')}${m[2] ?? ''}`;
  }
  if (/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host)) {
    return url;
  }
  return `${mockUrl.replace(/\/$/, '')}/${host}${m[2] ?? ''}`;
}

/** Grafana's route match: the first route (declaration order) whose method matches and whose path prefixes proxyPath. */
export function matchRoute(routes: PluginRoute[], proxyPath: string, method: string): PluginRoute | undefined {
  return routes.find(
    (r) => (!r.method || r.method === '*' || r.method.toUpperCase() === method) && proxyPath.startsWith(r.path)
  );
}

export function hostPage(pluginId: string, grafanaVersion = '13.1.1'): string {
  const bootData = {
    settings: {
      appUrl: '/',
      appSubUrl: '',
      buildInfo: { version: grafanaVersion, commit: 'harness', env: 'production', edition: 'Open Source' },
      datasources: {},
      featureToggles: {},
      defaultDatasource: '',
      bootData: {},
    },
    user: {
      id: 1,
      login: 'admin',
      orgId: 1,
      orgRole: 'Admin',
      isGrafanaAdmin: true,
      theme: 'dark',
      timezone: 'utc',
      locale: 'en-US',
      language: 'en-US',
    },
    navTree: [],
    assets: { dark: '', light: '' },
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>BTC Flow browser harness</title>
<script>window.grafanaBootData = ${JSON.stringify(bootData)}; window.__pluginId = ${JSON.stringify(pluginId)};</script>
<link rel="stylesheet" href="/host/host.css">
<style>
  body { margin: 0; background: #111217; color: #ccccdc; font-family: Inter, Helvetica, Arial, sans-serif; }
  #editors { display: flex; flex-direction: column; gap: 16px; padding: 16px; }
  .editor-box { background: #181b1f; border: 1px solid rgba(204,204,220,0.12); border-radius: 2px; padding: 16px; width: 960px; box-sizing: border-box; }
  .editor-crash { color: #ff5286; }
  #dashboard { padding: 16px; width: 1200px; box-sizing: border-box; }
  .dash-title { font-size: 18px; font-weight: 500; margin: 0 0 12px 0; }
  .dash-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
  .dash-panel { background: #181b1f; border: 1px solid rgba(204,204,220,0.12); border-radius: 2px; padding: 8px; }
  .dash-panel-title { font-size: 14px; font-weight: 500; margin-bottom: 4px; }
  .dash-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 11px; margin-top: 2px; }
  .dash-legend-item { display: inline-flex; align-items: center; gap: 4px; }
  .dash-legend-item i { display: inline-block; width: 12px; height: 3px; border-radius: 1px; }
</style>
</head>
<body>
<div id="editors"></div>
<div id="dashboard"></div>
<div id="grafana-portal-container"></div>
<script src="/host/host.js"></script>
</body>
</html>`;
}

export async function startHarnessServer(opts: HarnessServerOptions): Promise<HarnessServer> {
  const pluginPrefix = `/public/plugins/${opts.pluginId}/`;
  const stats: HarnessServerStats = { plugin: [], proxy: [], other: [] };
  const dsByUid = new Map(opts.datasources.map((d) => [d.uid, d]));
  const mockBase = opts.mockUrl.replace(/\/$/, '');
  if (!/^http:\/\/(127\.0\.0\.1|localhost):\d+$/.test(mockBase)) {
    throw new Error(`mockUrl must be http://127.0.0.1:<port>, got ${opts.mockUrl}`);
  }

  function routes(): PluginRoute[] {
    const pj = JSON.parse(fs.readFileSync(path.join(opts.distDir, 'plugin.json'), 'utf8')) as {
      routes?: PluginRoute[];
    };
    return pj.routes ?? [];
  }

  function sendFile(res: http.ServerResponse, file: string, type: string): number {
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(body);
    return body.length;
  }

  function contentType(file: string): string {
    const ext = path.extname(file);
    return (
      {
        '.js': 'application/javascript; charset=utf-8',
        '.css': 'text/css; charset=utf-8',
        '.json': 'application/json; charset=utf-8',
        '.svg': 'image/svg+xml',
        '.png': 'image/png',
        '.map': 'application/json',
        '.md': 'text/markdown; charset=utf-8',
        '.ttf': 'font/ttf',
        '.woff': 'font/woff',
        '.woff2': 'font/woff2',
      }[ext] ?? 'application/octet-stream'
    );
  }

  function proxy(req: http.IncomingMessage, res: http.ServerResponse, uid: string, proxyPath: string, query: string) {
    const method = (req.method ?? 'GET').toUpperCase();
    const hit: ProxyHit = {
      method,
      uid,
      proxyPath,
      status: 0,
      pageSentAuthorization: req.headers.authorization !== undefined,
    };
    const started = Date.now();
    hit.at = started;
    stats.proxy.push(hit);
    const fail = (status: number, message: string) => {
      hit.status = status;
      hit.error = message;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message }));
    };
    const ds = dsByUid.get(uid);
    if (!ds) {
      return fail(404, `Data source with uid ${uid} not found`);
    }
    const route = matchRoute(routes(), proxyPath, method);
    if (!route || !route.url) {
      // Grafana would forward to the data source URL; this plugin has none, so that is a plugin bug.
      return fail(502, `no plugin.json route matches '${proxyPath}' (${method})`);
    }
    hit.route = route.path;
    const routeUrl = new URL(mirrorRewrite(interpolateRoute(route.url, ds), mockBase, opts.hostAliases));
    const rest = proxyPath.slice(route.path.length);
    const targetPath = joinUrlFragments(routeUrl.pathname, rest);
    const target = `${routeUrl.protocol}//${routeUrl.host}${targetPath}${query}`;
    hit.target = target;
    if (!/^(127\.0\.0\.1|localhost)$/.test(routeUrl.hostname)) {
      return fail(502, `refusing to proxy to non-local host ${routeUrl.hostname}`);
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!['host', 'origin', 'referer', 'cookie', 'connection'].includes(k)) {
        headers[k] = v;
      }
    }
    headers['user-agent'] = 'Grafana/13.1.1';
    for (const h of route.headers ?? []) {
      headers[h.name.toLowerCase()] = interpolateRoute(h.content, ds);
    }
    const upstream = http.request(
      // A fresh connection per request (no keep-alive reuse race with the upstream's idle timeout).
      {
        hostname: routeUrl.hostname,
        port: routeUrl.port,
        path: `${targetPath}${query}`,
        method,
        headers,
        agent: false,
      },
      (up) => {
        hit.status = up.statusCode ?? 0;
        const outHeaders = { ...up.headers };
        delete outHeaders['set-cookie'];
        res.writeHead(up.statusCode ?? 502, outHeaders);
        let bytes = 0;
        up.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        up.on('end', () => {
          hit.ms = Date.now() - started;
          hit.bytes = bytes;
        });
        up.pipe(res);
      }
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) {
        fail(502, `data proxy error: ${e.message}`);
      } else {
        res.destroy();
      }
    });
    req.pipe(upstream);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const p = decodeURIComponent(url.pathname);
    try {
      if (p === '/' || p === '/index.html') {
        const body = hostPage(opts.pluginId, opts.host.runtime);
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(body);
        return;
      }
      if (p === '/host/host.js') {
        sendFile(res, opts.host.js, contentType(opts.host.js));
        return;
      }
      if (p === '/host/host.css') {
        if (opts.host.css) {
          sendFile(res, opts.host.css, contentType(opts.host.css));
        } else {
          res.writeHead(200, { 'Content-Type': 'text/css' });
          res.end('');
        }
        return;
      }
      if (p.startsWith('/host/') && opts.host.assets[p.slice('/host/'.length)]) {
        const f = opts.host.assets[p.slice('/host/'.length)];
        sendFile(res, f, contentType(f));
        return;
      }
      if (p.startsWith('/public/build/img/')) {
        // @grafana/ui icons, served by Grafana from public/build/img/ (shipped in the npm package).
        const base = path.join(require.resolve('@grafana/ui/package.json'), '..', 'dist', 'public', 'img');
        const file = path.resolve(base, p.slice('/public/build/img/'.length));
        if (file.startsWith(base + path.sep) && fs.existsSync(file)) {
          sendFile(res, file, contentType(file));
          return;
        }
      }
      if (p.startsWith(pluginPrefix)) {
        const rel = p.slice(pluginPrefix.length);
        const file = path.resolve(opts.distDir, rel);
        if (
          !file.startsWith(path.resolve(opts.distDir) + path.sep) ||
          !fs.existsSync(file) ||
          !fs.statSync(file).isFile()
        ) {
          stats.plugin.push({ path: p, file: rel, bytes: 0, gzipBytes: 0, status: 404 });
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end(`not found: ${rel}`);
          return;
        }
        const bytes = sendFile(res, file, contentType(file));
        const gzipBytes = zlib.gzipSync(fs.readFileSync(file), { level: 6 }).length;
        stats.plugin.push({ path: p + url.search, file: rel, bytes, gzipBytes, status: 200 });
        return;
      }
      const proxyMatch = /^\/api\/datasources\/proxy\/uid\/([^/]+)\/?(.*)$/.exec(url.pathname);
      if (proxyMatch) {
        proxy(req, res, proxyMatch[1], decodeURIComponent(proxyMatch[2]), url.search);
        return;
      }
      if (p === '/api/health') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ database: 'ok', version: '13.1.1' }));
        return;
      }
      stats.other.push({ method: req.method ?? 'GET', path: p, status: 404 });
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    } catch (e) {
      stats.other.push({ method: req.method ?? 'GET', path: p, status: 500 });
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
      }
      res.end(String(e));
    }
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    resetStats() {
      stats.plugin.length = 0;
      stats.proxy.length = 0;
      stats.other.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
