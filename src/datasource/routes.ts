/**
 * Grafana data-proxy routes and the host → base function the exchange layer rewrites ccxt URLs with.
 *
 * plugin.json `routes` has exactly one route per venue API host of the exchange registry (path = the host's stable
 * route path, url = `https://<host>`), plus one `mirror` route and one `recorder` route whose urls are templated from
 * jsonData. Grafana's data proxy serves `<datasource url>/<route path>/<rest>` from `<route url>/<rest>` (server-side,
 * no CORS); the recorder route also gets the recorder token (secureJsonData) as a header there, so the token never
 * reaches the browser. See docs/configuration.md for why the mirror and the recorder are templated routes.
 */
import { allVenueHosts } from '../exchanges/registry';

/** Route path of the exchange mirror; its url is `{{ .JsonData.mirrorUrl }}`. */
export const MIRROR_ROUTE = 'mirror';
export const MIRROR_ROUTE_URL = '{{ .JsonData.mirrorUrl }}';
/** Route path of the recorder (recorder/); its url is `{{ .JsonData.recorderUrl }}`. */
export const RECORDER_ROUTE = 'recorder';
export const RECORDER_ROUTE_URL = '{{ .JsonData.recorderUrl }}';
/**
 * The header Grafana's proxy adds on the recorder route, from secureJsonData.recorderToken (a Go template rendered
 * server-side; the browser only ever sees this template in plugin.json, never the token).
 */
export const RECORDER_TOKEN_HEADER = { name: 'Authorization', content: 'Bearer {{ .SecureJsonData.recorderToken }}' };
/** Path prefix for hosts without a route (matches no route, so Grafana refuses them). */
export const UNROUTED = 'no-route';

export interface PluginRoute {
  path: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

/** The routes plugin.json must declare, in registry order, then the mirror and the recorder. */
export function expectedRoutes(): PluginRoute[] {
  return [
    ...allVenueHosts().map((h) => ({ path: h.routePath, url: `https://${h.host}` })),
    { path: MIRROR_ROUTE, url: MIRROR_ROUTE_URL },
    { path: RECORDER_ROUTE, url: RECORDER_ROUTE_URL, headers: [RECORDER_TOKEN_HEADER] },
  ];
}

/** `<datasource url>/recorder`: the recorder's API root as the browser calls it (Grafana forwards to recorderUrl). */
export function recorderBase(datasourceUrl: string): string {
  return `${datasourceUrl.replace(/\/+$/, '')}/${RECORDER_ROUTE}`;
}

/** Prints the `routes` JSON block for plugin.json (used by the plugin.json test when the two differ). */
export function routesJson(): string {
  return JSON.stringify(expectedRoutes(), null, 2);
}

/**
 * host → base URL for the exchange layer.
 * - No mirror: `<datasource url>/<route path of host>` (Grafana forwards to `https://<host>`); a host without a
 *   route gets `<datasource url>/no-route/<host>`, which Grafana refuses.
 * - Mirror: `<datasource url>/mirror/<host>` (Grafana forwards to `<mirrorUrl>/<host>`).
 */
export function proxyBase(datasourceUrl: string, mirror: boolean): (host: string) => string {
  const root = datasourceUrl.replace(/\/+$/, '');
  const byHost = new Map(allVenueHosts().map((h) => [h.host, h.routePath]));
  return (host: string) => {
    if (mirror) {
      return `${root}/${MIRROR_ROUTE}/${host}`;
    }
    const route = byHost.get(host);
    // ccxt's url table also names hosts BTC Flow never calls (dapi.binance.com, help desks...). They get a path that
    // no route matches, so a request to one fails at Grafana instead of leaving the browser for the internet.
    return route ? `${root}/${route}` : `${root}/${UNROUTED}/${host}`;
  };
}
