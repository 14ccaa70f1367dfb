/**
 * Base URL rewrite: sends every request of a ccxt instance to `<base>/<path>` instead of `https://<host>/<path>`.
 *
 * The base is either a plain prefix (`http://127.0.0.1:8788` → `http://127.0.0.1:8788/<host>/<path>`, the layout of
 * the mock server and of a user's mirror) or a function host → base (Grafana's data proxy:
 * `<datasource url>/<route path>` per host, see grafanaBase()).
 */
import { routePathForHost } from './registry';

export type BaseUrl = string | ((host: string) => string);

/** Base for a host: `<prefix>/<host>` for a string prefix, the function's answer otherwise. */
export function baseForHost(base: BaseUrl, host: string): string {
  if (typeof base === 'function') {
    return base(host).replace(/\/+$/, '');
  }
  return `${base.replace(/\/+$/, '')}/${host}`;
}

/** Rewrites one URL `https://<host>/<rest>` (or http) to `<base for host>/<rest>`; other strings are returned as they are. */
export function rewriteUrl(url: string, base: BaseUrl): string {
  const m = /^https?:\/\/([^/?#]+)(.*)$/.exec(url);
  if (!m) {
    return url;
  }
  return baseForHost(base, m[1]) + m[2];
}

function rewriteTree(node: unknown, base: BaseUrl, hostname: string | undefined): unknown {
  if (typeof node === 'string') {
    const imploded = hostname !== undefined ? node.replace(/\{hostname\}/g, hostname) : node;
    return rewriteUrl(imploded, base);
  }
  if (Array.isArray(node)) {
    return node.map((n) => rewriteTree(n, base, hostname));
  }
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = rewriteTree(v, base, hostname);
    }
    return out;
  }
  return node;
}

/**
 * Rewrites every string in `exchange.urls.api` (after filling in `{hostname}`) so requests go through `base`.
 * Call once on a fresh instance.
 */
export function applyBaseUrl(exchange: { urls: { api: unknown }; hostname?: string }, base: BaseUrl): void {
  exchange.urls.api = rewriteTree(exchange.urls.api, base, exchange.hostname);
}

/**
 * Base for Grafana's data proxy: host → `<datasourceUrl>/<route path>`, the route paths of allVenueHosts().
 * ccxt's url tables also name hosts BTC Flow never calls (dapi.binance.com, ...): they get `<datasourceUrl>/no-route/<host>`,
 * which no route matches, so a stray request fails at Grafana instead of leaving the browser for the internet.
 */
export function grafanaBase(datasourceUrl: string): (host: string) => string {
  const root = datasourceUrl.replace(/\/+$/, '');
  return (host: string) => {
    const route = routePathForHost(host);
    return route ? `${root}/${route}` : `${root}/no-route/${host}`;
  };
}
