/** @jest-environment node */
/**
 * plugin.json against the exchange registry, plus the routing helpers. If the registry's hosts change, the failure
 * message prints the `routes` block to paste into src/plugin.json (routesJson()).
 */
import fs from 'fs';
import path from 'path';
import pluginJson from '../plugin.json';
import { EXTRA_COPIES } from '../../webpack.config';
import { allVenueHosts } from '../exchanges/registry';
import {
  MIRROR_ROUTE,
  MIRROR_ROUTE_URL,
  RECORDER_ROUTE,
  RECORDER_ROUTE_URL,
  expectedRoutes,
  proxyBase,
  recorderBase,
  routesJson,
} from './routes';
import { interpolateRouteUrl, joinUrlFragments } from './testing/fakeGrafanaProxy';

describe('plugin.json', () => {
  it('is the BTC Flow data source with metrics and annotations', () => {
    expect(pluginJson.id).toBe('btcflow-flow-datasource');
    expect(pluginJson.type).toBe('datasource');
    expect(pluginJson.name).toBe('BTC Flow');
    expect(pluginJson.metrics).toBe(true);
    expect(pluginJson.annotations).toBe(true);
    expect((pluginJson as { backend?: boolean }).backend).toBeUndefined();
  });

  it('has one route per registry host and no other host (plus the mirror and recorder routes)', () => {
    const hosts = allVenueHosts();
    const routes = pluginJson.routes;
    if (JSON.stringify(routes) !== JSON.stringify(expectedRoutes())) {
      throw new Error(`src/plugin.json routes differ from the registry; expected:\n${routesJson()}`);
    }
    const hostRoutes = routes.filter((r) => r.path !== MIRROR_ROUTE && r.path !== RECORDER_ROUTE);
    expect(hostRoutes.map((r) => r.url).sort()).toEqual(hosts.map((h) => `https://${h.host}`).sort());
    expect(new Set(hostRoutes.map((r) => r.url)).size).toBe(hostRoutes.length);
    expect(routes.find((r) => r.path === MIRROR_ROUTE)?.url).toBe(MIRROR_ROUTE_URL);
    expect(routes.find((r) => r.path === RECORDER_ROUTE)?.url).toBe(RECORDER_ROUTE_URL);
    // only the recorder route carries a header, and it is a template of secureJsonData (no literal secret)
    expect(routes.filter((r) => 'headers' in r).map((r) => r.path)).toEqual([RECORDER_ROUTE]);
    // Grafana picks the first route whose path is a prefix of the request path: no path may be a prefix of another.
    for (const a of routes) {
      for (const b of routes) {
        if (a !== b) {
          expect(b.path.startsWith(a.path)).toBe(false);
        }
      }
    }
  });

  it("includes' paths exist", () => {
    const includes = (pluginJson as { includes?: Array<{ type: string; path?: string }> }).includes ?? [];
    expect(includes.filter((i) => i.type === 'dashboard').map((i) => i.path)).toEqual([
      'dashboards/btc-flow.json',
      'dashboards/btc-flow-macro.json',
    ]);
    const copied = new Map(EXTRA_COPIES.map((c) => [c.to, path.join(__dirname, '..', c.from)]));
    for (const inc of includes) {
      if (inc.path) {
        // dist/ holds src/ files at their relative path, plus the webpack config's extra copies from outside src/.
        const source = copied.get(inc.path) ?? path.join(__dirname, '..', inc.path);
        expect(fs.existsSync(source)).toBe(true);
      }
    }
    for (const logo of Object.values(pluginJson.info.logos)) {
      expect(fs.existsSync(path.join(__dirname, '..', logo))).toBe(true);
    }
  });
});

describe('proxy base (host → URL the browser calls)', () => {
  const ds = '/api/datasources/proxy/uid/abc';

  it('without a mirror: <ds url>/<route path>, which Grafana maps back to https://<host>', () => {
    const base = proxyBase(`${ds}/`, false);
    for (const h of allVenueHosts()) {
      const b = base(h.host);
      expect(b).toBe(`${ds}/${h.routePath}`);
      // Grafana's side: strip the route path and join the rest to the route url
      const route = pluginJson.routes.find((r) => `${ds}/${r.path}` === b)!;
      expect(joinUrlFragments(route.url, '/api/x?y=1'.slice(0))).toBe(`https://${h.host}/api/x?y=1`);
    }
  });

  it('hosts ccxt lists but BTC Flow never calls get a path no route matches', () => {
    const b = proxyBase(ds, false)('dapi.binance.com');
    expect(b).toBe(`${ds}/no-route/dapi.binance.com`);
    expect(pluginJson.routes.some((r) => b.slice(ds.length + 1).startsWith(r.path))).toBe(false);
  });

  it('with a mirror: <ds url>/mirror/<host>, which Grafana maps to <mirrorUrl>/<host>', () => {
    const b = proxyBase(ds, true)('fapi.binance.com');
    expect(b).toBe(`${ds}/mirror/fapi.binance.com`);
    const url = interpolateRouteUrl(MIRROR_ROUTE_URL, { mirrorUrl: 'http://mock:8788' });
    expect(joinUrlFragments(url, '/fapi.binance.com/fapi/v1/klines')).toBe(
      'http://mock:8788/fapi.binance.com/fapi/v1/klines'
    );
  });
});

describe('recorder route', () => {
  const ds = '/api/datasources/proxy/uid/abc';
  const route = pluginJson.routes.find((r) => r.path === RECORDER_ROUTE) as {
    url: string;
    headers: Array<{ name: string; content: string }>;
  };

  it('<ds url>/recorder/<path>, which Grafana maps to <recorderUrl>/<path>', () => {
    expect(recorderBase(`${ds}/`)).toBe(`${ds}/recorder`);
    const url = interpolateRouteUrl(route.url, { recorderUrl: 'http://recorder:8789' });
    expect(joinUrlFragments(url, '/api/v1/bundle?asset=BTC')).toBe('http://recorder:8789/api/v1/bundle?asset=BTC');
    // a recorder behind a path prefix keeps it
    const prefixed = interpolateRouteUrl(route.url, { recorderUrl: 'https://rec.example.com/btc' });
    expect(joinUrlFragments(prefixed, '/api/v1/health')).toBe('https://rec.example.com/btc/api/v1/health');
  });

  it('adds the token from secureJsonData as a bearer header, rendered on the server side', () => {
    expect(route.headers).toEqual([{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.recorderToken }}' }]);
    const rendered = interpolateRouteUrl(
      route.headers[0].content,
      { recorderToken: 'not-this' },
      { recorderToken: 's3cret' }
    );
    expect(rendered).toBe('Bearer s3cret');
  });
});
