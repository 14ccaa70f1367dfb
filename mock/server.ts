/**
 * The BTC Flow mock exchange server: SIMULATED market data in the venues' real REST formats.
 *
 * Every venue API host is mounted under `/<host>/...`: `http://127.0.0.1:PORT/fapi.binance.com/fapi/v1/klines`
 * answers what `https://fapi.binance.com/fapi/v1/klines` would. Admin paths:
 *   GET /__stats, POST /__stats/reset, GET|POST|DELETE /__faults, GET|POST|DELETE /__scenario, GET /__routes,
 *   GET /__health.
 *
 * Run: `npm run mock-exchanges [-- --port 8788 --latency-ms 100 --fault binanceusdm:klines:500 --now ISO
 * --scenario over-leverage]`.
 * In-process: `const srv = await startMockServer({ port: 0 }); ... await srv.close()`.
 * See docs/mock-exchanges.md.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FaultConfigError,
  FaultTable,
  ROW_FAULTS,
  applyRowFault,
  parseFaultFlag,
  validateFault,
  type ActiveFault,
  type FaultSpec,
} from './faults';
import { SCENARIOS, SIM_START_MS, getScenario, isScenarioName, setScenario, setSimNow, simNow } from './market';
import { StatsCollector, type Stats } from './stats';
import type { MockRequest, MockResponse, MockRoute, VenueMock } from './types';
import { loadVenueMocks } from './venues';

export type { Stats, RequestLogEntry } from './stats';
export type { FaultSpec, ActiveFault, FaultType } from './faults';

export const DEFAULT_PORT = 8788;

export interface MockServerOptions {
  /** TCP port; 0 picks a free one. Default 8788. */
  port?: number;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** Latency added to every venue request, in ms. Default 0. */
  latencyMs?: number;
  /** Initial faults. */
  faults?: FaultSpec[];
  /** Venue modules to serve instead of the registry (tests). */
  venues?: VenueMock[];
}

export interface MockServer {
  url: string;
  port: number;
  /** venue ids served, and the registry ids whose module is missing */
  venues: string[];
  missingVenues: Array<{ id: string; reason: string }>;
  close(): Promise<void>;
  stats(): Stats;
  resetStats(): void;
  /** Replace all faults (an empty list clears them). */
  setFaults(faults: FaultSpec[]): ActiveFault[];
  addFaults(faults: FaultSpec[]): ActiveFault[];
  faults(): ActiveFault[];
  setLatency(ms: number): void;
}

/** The active scenario as the admin API answers it (`end` as ISO, null for `default`). */
function scenarioBody(): { scenario: string; end: string | null; scenarios: readonly string[]; simulated: true } {
  const sc = getScenario();
  return {
    scenario: sc.name,
    end: sc.endMs === null ? null : new Date(sc.endMs).toISOString(),
    scenarios: SCENARIOS,
    simulated: true,
  };
}

interface CompiledRoute {
  venue: string;
  route: MockRoute;
  segments: string[];
}

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Max-Age': '600',
  'Access-Control-Expose-Headers': 'Retry-After, X-Simulated-Data',
  'X-Simulated-Data': 'true',
};

function matchRoute(
  routes: CompiledRoute[],
  method: string,
  path: string
): { r: CompiledRoute; params: Record<string, string> } | null {
  const segs = path.split('/');
  for (const r of routes) {
    if (r.route.method !== method || r.segments.length !== segs.length) {
      continue;
    }
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segs.length; i++) {
      const want = r.segments[i];
      if (want.startsWith(':')) {
        params[want.slice(1)] = decodeURIComponent(segs[i]);
      } else if (want !== segs[i]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      return { r, params };
    }
  }
  return null;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startMockServer(opts: MockServerOptions = {}): Promise<MockServer> {
  const port = opts.port ?? DEFAULT_PORT;
  const host = opts.host ?? '127.0.0.1';
  let latencyMs = opts.latencyMs ?? 0;
  const loaded = opts.venues ? { venues: opts.venues, missing: [] } : await loadVenueMocks();
  const byHost = new Map<string, CompiledRoute[]>();
  for (const v of loaded.venues) {
    for (const h of v.hosts) {
      const list = byHost.get(h) ?? [];
      for (const route of v.routes) {
        list.push({ venue: v.id, route, segments: route.path.split('/') });
      }
      byHost.set(h, list);
    }
  }
  const stats = new StatsCollector();
  const faults = new FaultTable();
  faults.set(opts.faults ?? []);
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...CORS_HEADERS, ...headers });
    res.end(text);
  };

  const admin = async (req: http.IncomingMessage, res: http.ServerResponse, path: string, search: URLSearchParams) => {
    const method = req.method ?? 'GET';
    if (path === '/__stats' && method === 'GET') {
      const snap = stats.snapshot();
      const logParam = search.get('log');
      if (logParam !== null) {
        const n = Number(logParam);
        if (!Number.isInteger(n) || n < 0) {
          return send(res, 400, {
            error: `GET /__stats?log=N: N must be a whole number >= 0 (the latest N log entries); got "${logParam}"`,
          });
        }
        snap.log = n === 0 ? [] : snap.log.slice(-n);
      }
      return send(res, 200, snap);
    }
    if (path === '/__stats/reset' && method === 'POST') {
      stats.reset();
      return send(res, 200, { ok: true });
    }
    if (path === '/__health') {
      // one entry per venue (binance answers on two hosts: api. and dapi.)
      const venues = [...new Set(loaded.venues.map((v) => v.id))];
      return send(res, 200, { ok: true, simulated: true, now: simNow(), venues });
    }
    if (path === '/__routes' && method === 'GET') {
      return send(res, 200, {
        simulated: true,
        venues: loaded.venues.map((v) => ({
          id: v.id,
          hosts: v.hosts,
          routes: v.routes.map((r) => ({ method: r.method, path: r.path, endpoint: r.endpoint })),
        })),
        missing: loaded.missing,
      });
    }
    if (path === '/__scenario') {
      if (method === 'GET') {
        return send(res, 200, scenarioBody());
      }
      if (method === 'DELETE') {
        setScenario('default');
        return send(res, 200, scenarioBody());
      }
      if (method === 'POST') {
        const text = await readBody(req);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const body = parsed && typeof parsed === 'object' ? (parsed as { name?: unknown; end?: unknown }) : null;
        if (!body || typeof body.name !== 'string' || !isScenarioName(body.name)) {
          return send(res, 400, {
            error:
              `POST /__scenario body must be JSON {"name": one of ${SCENARIOS.join(', ')}, "end"?: ISO time or epoch ms}` +
              `; got ${text.slice(0, 200) || '(empty)'}`,
          });
        }
        let end = simNow();
        if (body.end !== undefined) {
          end = typeof body.end === 'number' ? body.end : typeof body.end === 'string' ? Date.parse(body.end) : NaN;
          if (!Number.isFinite(end) || end < SIM_START_MS) {
            return send(res, 400, {
              error: `POST /__scenario: "end" must be an ISO time or epoch ms at or after 2019-01-01T00:00:00Z; got ${JSON.stringify(body.end)}`,
            });
          }
        }
        setScenario(body.name, end);
        return send(res, 200, scenarioBody());
      }
    }
    if (path === '/__faults') {
      if (method === 'GET') {
        return send(res, 200, { faults: faults.list() });
      }
      if (method === 'DELETE') {
        faults.clear();
        return send(res, 200, { faults: [] });
      }
      if (method === 'POST') {
        const text = await readBody(req);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return send(res, 400, {
            error:
              'POST /__faults body must be JSON: a fault object, an array of them, or {faults: [...], replace?: boolean}',
          });
        }
        try {
          let list: unknown[];
          let replace = false;
          if (Array.isArray(parsed)) {
            list = parsed;
          } else if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { faults?: unknown }).faults)) {
            list = (parsed as { faults: unknown[] }).faults;
            replace = (parsed as { replace?: unknown }).replace === true;
          } else {
            list = [parsed];
          }
          const specs = list.map(validateFault);
          const added = replace ? faults.set(specs) : faults.add(specs);
          return send(res, 200, { added, faults: faults.list() });
        } catch (e) {
          if (e instanceof FaultConfigError) {
            return send(res, 400, { error: e.message });
          }
          throw e;
        }
      }
    }
    return send(res, 404, {
      error: `no admin route ${method} ${path}`,
      admin: [
        'GET /__stats',
        'POST /__stats/reset',
        'GET|POST|DELETE /__faults',
        'GET|POST|DELETE /__scenario',
        'GET /__routes',
        'GET /__health',
      ],
    });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS);
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const full = url.pathname;
    if (full.startsWith('/__')) {
      await admin(req, res, full, url.searchParams);
      return;
    }
    const slash = full.indexOf('/', 1);
    const vhost = slash < 0 ? full.slice(1) : full.slice(1, slash);
    const path = slash < 0 ? '/' : full.slice(slash);
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => {
      query[k] = v;
    });
    const routes = byHost.get(vhost);
    const m = routes ? matchRoute(routes, method, path) : null;
    const log = (status: number, venue: string | null, endpoint: string | null, applied: string[], answered = true) =>
      stats.record({
        at: started,
        method,
        venue,
        endpoint,
        host: vhost,
        path,
        query,
        status,
        latencyMs: answered ? Date.now() - started : null,
        faults: applied,
      });
    if (!m) {
      if (latencyMs > 0) {
        await sleep(latencyMs);
      }
      const known = [...byHost.keys()];
      const body = routes
        ? {
            error: 'not found',
            simulated: true,
            host: vhost,
            path,
            method,
            message: `the mock of ${vhost} has no route ${method} ${path}`,
          }
        : {
            error: 'not found',
            simulated: true,
            host: vhost,
            path,
            method,
            message: `unknown host "${vhost}"; mounted hosts: ${known.join(', ')}`,
          };
      send(res, 404, body);
      log(404, routes ? routes[0].venue : null, null, []);
      return;
    }
    const venue = m.r.venue;
    const endpoint = m.r.route.endpoint;
    let parsedBody: unknown;
    if (method === 'POST') {
      const raw = await readBody(req);
      try {
        parsedBody = raw ? JSON.parse(raw) : undefined;
      } catch {
        send(res, 400, { error: 'request body is not JSON', simulated: true });
        log(400, venue, endpoint, []);
        return;
      }
    }
    const fired = faults.take(venue, endpoint, m.r.route.endpointAliases?.(parsedBody) ?? []);
    const applied = fired.map((f) => f.type);
    let delay = latencyMs;
    for (const f of fired) {
      if (f.type === 'latency') {
        delay += f.latencyMs ?? 1000;
      }
    }
    if (delay > 0) {
      await sleep(delay);
    }
    const terminal = fired.find(
      (f) => f.type === '429' || f.type === '500' || f.type === 'hang' || f.type === 'malformed'
    );
    if (terminal?.type === 'hang') {
      const t = setTimeout(() => {
        timers.delete(t);
        req.socket.destroy();
        log(0, venue, endpoint, applied, false);
      }, terminal.hangMs ?? 60_000);
      timers.add(t);
      req.on('close', () => {
        if (timers.has(t)) {
          clearTimeout(t);
          timers.delete(t);
          log(0, venue, endpoint, applied, false);
        }
      });
      return;
    }
    if (terminal?.type === '429') {
      const ra = terminal.retryAfterSec ?? 1;
      // plain text, as rate-limiting gateways answer: ccxt then classifies by the HTTP status on every venue
      send(res, 429, 'Too Many Requests (simulated fault)', {
        'Retry-After': String(ra),
        'Content-Type': 'text/plain; charset=utf-8',
      });
      log(429, venue, endpoint, applied);
      return;
    }
    if (terminal?.type === '500') {
      send(res, 500, 'Internal Server Error (simulated fault)', { 'Content-Type': 'text/plain; charset=utf-8' });
      log(500, venue, endpoint, applied);
      return;
    }
    let body: unknown;
    let out: MockResponse;
    let text: string;
    try {
      const mreq: MockRequest = {
        method: method as 'GET' | 'POST',
        host: vhost,
        path,
        query,
        body: parsedBody,
        now: simNow(),
      };
      out = m.r.route.handler(mreq, m.params);
      body = out.body;
      const status = out.status ?? 200;
      if (status === 200) {
        for (const f of fired) {
          if (ROW_FAULTS.has(f.type)) {
            body = applyRowFault(body, f.type, out.rowsPath, out.parallelRows);
          }
        }
      }
      text = typeof body === 'string' ? body : JSON.stringify(body);
      if (terminal?.type === 'malformed') {
        text = text.slice(0, Math.max(1, Math.floor(text.length / 2))) + '<!-- truncated (simulated fault)';
      }
      send(res, status, text, out.headers);
      log(status, venue, endpoint, applied);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      send(res, 500, { error: 'mock handler failed', message: msg, simulated: true });
      log(500, venue, endpoint, applied);
    }
  };

  const server = http.createServer((req, res) => {
    if (closing) {
      res.writeHead(503, CORS_HEADERS);
      res.end();
      return;
    }
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        send(res, 500, { error: 'mock server error', message: e instanceof Error ? e.message : String(e) });
      }
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host}:${actualPort}`;
  return {
    url,
    port: actualPort,
    venues: [...new Set(loaded.venues.map((v) => v.id))],
    missingVenues: loaded.missing,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const t of timers) {
          clearTimeout(t);
        }
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setFaults: (list) => faults.set(list.map(validateFault)),
    addFaults: (list) => faults.add(list.map(validateFault)),
    faults: () => faults.list(),
    setLatency: (ms) => {
      latencyMs = ms;
    },
  };
}

/* ------------------------------------------------------------------------------------------------
 * CLI
 * ---------------------------------------------------------------------------------------------- */

const USAGE = `usage: npm run mock-exchanges [-- options]
  --port N            TCP port (default ${DEFAULT_PORT}; 0 = any free port)
  --host ADDR         bind address (default 127.0.0.1)
  --latency-ms N      delay every venue request by N ms (default 0)
  --fault SPEC        venue:endpoint:type[:times], repeatable; type one of
                      429[=RETRY_AFTER_SEC] 500 hang[=MS] malformed empty gaps duplicates outOfOrder latency[=MS];
                      venue or endpoint may be *; times is a count or "always" (default always)
  --now ISO           freeze the simulation clock at ISO (default: the real clock)
  --scenario NAME     how the simulated market ends: ${SCENARIOS.join(' or ')} (default default); over-leverage
                      builds up over the 4 days before the server starts (or before --now) and holds after it
  --help              this text
All data is SIMULATED. See docs/mock-exchanges.md.`;

export class CliError extends Error {}

export function parseCliArgs(
  argv: string[]
): MockServerOptions & { now?: number; help?: boolean; scenario?: (typeof SCENARIOS)[number] } {
  const out: MockServerOptions & { now?: number; help?: boolean; scenario?: (typeof SCENARIOS)[number] } = {
    faults: [],
  };
  const need = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) {
      throw new CliError(`${flag} needs a value`);
    }
    return v;
  };
  const int = (v: string, flag: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new CliError(`${flag} must be an integer from ${min} to ${max}; got "${v}"`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.includes('=') && a.startsWith('--')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () => {
      if (inline !== undefined) {
        return inline;
      }
      const v = need(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--port':
        out.port = int(value(), '--port', 0, 65535);
        break;
      case '--host':
        out.host = value();
        break;
      case '--latency-ms':
        out.latencyMs = int(value(), '--latency-ms', 0, 600_000);
        break;
      case '--fault':
        try {
          out.faults!.push(parseFaultFlag(value()));
        } catch (e) {
          throw new CliError(e instanceof Error ? e.message : String(e));
        }
        break;
      case '--now': {
        const v = value();
        const ms = Date.parse(v);
        if (!Number.isFinite(ms) || ms < SIM_START_MS) {
          throw new CliError(`--now must be an ISO time at or after 2019-01-01T00:00:00Z; got "${v}"`);
        }
        out.now = ms;
        break;
      }
      case '--scenario': {
        const v = value();
        if (!isScenarioName(v)) {
          throw new CliError(`--scenario must be one of ${SCENARIOS.join(', ')}; got "${v}"`);
        }
        out.scenario = v;
        break;
      }
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        throw new CliError(`unknown option "${a}"\n${USAGE}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseCliArgs>;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`mock-exchanges: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (args.now !== undefined) {
    setSimNow(args.now);
  }
  if (args.scenario !== undefined) {
    setScenario(args.scenario);
  }
  let srv: MockServer;
  try {
    srv = await startMockServer(args);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg =
      err.code === 'EADDRINUSE'
        ? `port ${args.port ?? DEFAULT_PORT} is already in use (try --port 0 or another port)`
        : err.message;
    process.stderr.write(`mock-exchanges: ${msg}\n`);
    process.exit(1);
  }
  process.stdout.write(`mock exchanges listening on ${srv.url}\n`);
  process.stderr.write(
    `SIMULATED data. venues: ${srv.venues.join(', ')}` +
      (srv.missingVenues.length ? `; not available: ${srv.missingVenues.map((m) => m.id).join(', ')}` : '') +
      (args.scenario && args.scenario !== 'default'
        ? `; scenario: ${args.scenario} (ends ${getScenario().endMs === null ? '' : new Date(getScenario().endMs as number).toISOString()})`
        : '') +
      (args.faults?.length
        ? `; faults: ${args.faults.map((f) => `${f.venue}:${f.endpoint}:${f.type}`).join(' ')}`
        : '') +
      `\n`
  );
  const stop = () => {
    srv.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// run as a program (tsx mock/server.ts), not when imported by tests or benchmarks
if (/mock[\\/]server\.[cm]?[tj]s$/.test(process.argv[1] ?? '')) {
  void main();
}
