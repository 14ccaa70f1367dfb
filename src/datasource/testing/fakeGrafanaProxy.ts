/**
 * Test stand-in for Grafana's data proxy (pkg/api/pluginproxy): serves `/api/datasources/proxy/uid/<uid>/<path>`
 * by plugin.json `routes` the way Grafana does: the first route whose `path` is a prefix of <path> wins, its `url`
 * is interpolated with the data source's jsonData (`{{ .JsonData.x }}`), the route path is stripped and the rest
 * joined to the url, and the route's headers are added with `{{ .SecureJsonData.x }}` filled in (server-side, as
 * Grafana does). A path that matches no route is refused (this data source has no URL of its own).
 *
 * Tests never reach the internet: a route url `https://<host>` is sent to `<internet>/<host>`, where `internet`
 * is the mock exchange server (mounted as `/<host>/<path>`).
 */
import http from 'http';
import type { AddressInfo } from 'net';

export interface ProxyRoute {
  path: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

/** One request as the browser side sent it to the proxy (before any route header was added). */
export interface ProxyHit {
  path: string;
  route: string | null;
  /** headers the caller sent, lower-case names */
  headers: Record<string, string>;
}

export interface FakeGrafanaProxy {
  /** `http://127.0.0.1:<port>/api/datasources/proxy/uid/<uid>`: the data source's instanceSettings.url. */
  dsUrl: string;
  /** Requests served per route path; `unmatched` counts refused ones. */
  counts: Record<string, number>;
  /** Upstream URLs requested, in order. */
  upstream: string[];
  /** Every request received from the caller, in order. */
  hits: ProxyHit[];
  close(): Promise<void>;
}

export function interpolateRouteUrl(
  url: string,
  jsonData: Record<string, unknown>,
  secureJsonData: Record<string, unknown> = {}
): string {
  return url.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g, (_, bag: string, k: string) =>
    String((bag === 'JsonData' ? jsonData : secureJsonData)[k] ?? '')
  );
}

/** Grafana's util.JoinURLFragments. */
export function joinUrlFragments(a: string, b: string): string {
  if (b.length === 0) {
    return a;
  }
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) {
    return a + b.slice(1);
  }
  if (!aSlash && !bSlash) {
    return `${a}/${b}`;
  }
  return a + b;
}

export async function startFakeGrafanaProxy(opts: {
  routes: ProxyRoute[];
  jsonData: Record<string, unknown>;
  /** secureJsonData: only the proxy (Grafana's server) sees it, for route headers. */
  secureJsonData?: Record<string, unknown>;
  internet: string;
  uid?: string;
}): Promise<FakeGrafanaProxy> {
  const uid = opts.uid ?? 'btc-flow-test';
  const prefix = `/api/datasources/proxy/uid/${uid}/`;
  const counts: Record<string, number> = {};
  const upstream: string[] = [];
  const hits: ProxyHit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const url = req.url ?? '';
        if (!url.startsWith(prefix)) {
          res.writeHead(404).end('not a data proxy path');
          return;
        }
        const [pathPart, query] = url.slice(prefix.length).split(/\?(.*)/s, 2);
        const route = opts.routes.find((r) => pathPart.startsWith(r.path));
        const sent: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          sent[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
        }
        hits.push({ path: pathPart, route: route?.path ?? null, headers: sent });
        if (!route) {
          counts.unmatched = (counts.unmatched ?? 0) + 1;
          res.writeHead(502).end(`no route matches ${pathPart}`);
          return;
        }
        counts[route.path] = (counts[route.path] ?? 0) + 1;
        const base = interpolateRouteUrl(route.url, opts.jsonData).replace(/^https:\/\/([^/]+)/, `${opts.internet}/$1`);
        const target = joinUrlFragments(base, pathPart.slice(route.path.length)) + (query ? `?${query}` : '');
        upstream.push(target);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (
            typeof v === 'string' &&
            !['host', 'connection', 'content-length', 'origin', 'referer', 'cookie'].includes(k)
          ) {
            headers[k] = v;
          }
        }
        for (const h of route.headers ?? []) {
          headers[h.name.toLowerCase()] = interpolateRouteUrl(h.content, opts.jsonData, opts.secureJsonData);
        }
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const up = await fetch(target, { method: req.method, headers, body: req.method === 'GET' ? undefined : body });
        const text = Buffer.from(await up.arrayBuffer());
        const outHeaders: Record<string, string> = {};
        up.headers.forEach((v, k) => {
          if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) {
            outHeaders[k] = v;
          }
        });
        res.writeHead(up.status, outHeaders).end(text);
      } catch (e) {
        if (!res.headersSent) {
          res.writeHead(502).end(`proxy error: ${(e as Error).message}`);
        } else {
          res.destroy();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    dsUrl: `http://127.0.0.1:${port}${prefix.replace(/\/$/, '')}`,
    counts,
    upstream,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
