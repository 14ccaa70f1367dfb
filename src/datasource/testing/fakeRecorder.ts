/**
 * Test stand-in for the recorder's HTTP API (docs/recorder.md), served from a bundle the test makes: enough of
 * `GET /api/v1/bundle`, `/api/v1/series` and `/api/v1/health` to test the plugin's side without the recorder's store.
 * Bad parameters get a JSON 400 naming the parameter; with a token, a request without `Authorization: Bearer <token>`
 * gets a 401. `mode` makes it fail (`500`, or `hang` until the client gives up). Binds 127.0.0.1, port 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, Series } from '../../core/types';

export interface FakeRecorder {
  url: string;
  /** Every request: path, query and the Authorization header it carried. */
  requests: Array<{ path: string; query: Record<string, string>; authorization?: string }>;
  mode: 'ok' | '500' | 'hang';
  close(): Promise<void>;
}

const KINDS = ['spot', 'perp', 'openInterest', 'funding', 'fx'];
const TIMEFRAMES = ['1h', '4h', '1d', '3d', '1w', '1M'];

function parseTime(raw: string | null, name: string): number | string {
  if (raw === null || raw === '') {
    return `${name}: missing; allowed: epoch ms or an ISO date`;
  }
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isFinite(t) ? t : `${name}: bad value ${JSON.stringify(raw)}; allowed: epoch ms or an ISO date`;
}

export async function startFakeRecorder(bundles: Bundle[], opts: { token?: string } = {}): Promise<FakeRecorder> {
  const state: FakeRecorder = { url: '', requests: [], mode: 'ok', close: async () => undefined };
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    state.requests.push({
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      authorization: req.headers.authorization,
    });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
      send(401, { error: 'missing or wrong token' });
      return;
    }
    if (state.mode === '500') {
      send(500, { error: 'database is locked' });
      return;
    }
    if (state.mode === 'hang') {
      hanging.add(res);
      return;
    }
    const all = bundles.flatMap((b) => b.series.map((s) => ({ asset: b.asset, s })));
    if (u.pathname === '/api/v1/health') {
      // as the recorder: per venue its freshest point and that point's age (against this server's clock)
      const venues: Record<string, { freshest: number; ageSeconds: number }> = {};
      for (const { s } of all) {
        const last = s.points[s.points.length - 1]?.[0];
        if (last !== undefined && (venues[s.venue] === undefined || last > venues[s.venue].freshest)) {
          venues[s.venue] = { freshest: last, ageSeconds: Math.round((Date.now() - last) / 1000) };
        }
      }
      send(200, { status: 'ok', venues });
      return;
    }
    if (u.pathname === '/api/v1/series') {
      send(200, {
        series: all.map(({ asset, s }) => ({
          asset,
          venue: s.venue,
          kind: s.kind,
          first: s.points[0]?.[0],
          last: s.points[s.points.length - 1]?.[0],
          count: s.points.length,
        })),
      });
      return;
    }
    if (u.pathname !== '/api/v1/bundle') {
      send(404, { error: `no route ${u.pathname}` });
      return;
    }
    const q = u.searchParams;
    const asset = (q.get('asset') ?? '').toUpperCase();
    if (!/^[A-Z0-9]{1,20}$/.test(asset)) {
      send(400, { error: 'asset: missing or bad; allowed: a ticker such as BTC' });
      return;
    }
    const tf = q.get('timeframe') ?? '';
    if (!TIMEFRAMES.includes(tf)) {
      send(400, { error: `timeframe: bad value ${JSON.stringify(tf)}; allowed: ${TIMEFRAMES.join(', ')}` });
      return;
    }
    const from = parseTime(q.get('from'), 'from');
    const to = parseTime(q.get('to'), 'to');
    if (typeof from === 'string' || typeof to === 'string') {
      send(400, { error: typeof from === 'string' ? from : to });
      return;
    }
    const venues = q.get('venues')?.split(',').filter(Boolean);
    const kinds = q.get('kinds')?.split(',').filter(Boolean);
    const badKind = kinds?.find((k) => !KINDS.includes(k));
    if (badKind) {
      send(400, { error: `kinds: unknown kind ${JSON.stringify(badKind)}; allowed: ${KINDS.join(', ')}` });
      return;
    }
    const inRange = (p: [number, number]) => p[0] >= from && p[0] <= to;
    const series: Series[] = [];
    for (const { asset: a, s } of all) {
      if (a !== asset || (venues && !venues.includes(s.venue)) || (kinds && !kinds.includes(s.kind))) {
        continue;
      }
      const points = s.points.filter(inRange);
      if (points.length) {
        const out = { ...s, points } as Series;
        if (s.volumes) {
          out.volumes = s.volumes.filter(inRange);
        }
        series.push(out);
      }
    }
    send(200, { asset, series });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const r of hanging) {
        r.destroy();
      }
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return state;
}
