/** @jest-environment node */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FAULT_TYPES, applyRowFault, parseFaultFlag } from './faults';
import { CliError, parseCliArgs, startMockServer, type MockServer } from './server';
import type { VenueMock } from './types';

const ROWS = Array.from({ length: 10 }, (_, i) => ({ i }));

const testVenue: VenueMock = {
  id: 'testex',
  hosts: ['api.test.local', 'alt.test.local'],
  routes: [
    {
      method: 'GET',
      path: '/v1/rows',
      endpoint: 'rows',
      handler: () => ({ body: { code: 0, data: { meta: [1, 2], list: ROWS.map((r) => ({ ...r })) } } }),
    },
    {
      method: 'GET',
      path: '/v1/pinned',
      endpoint: 'pinned',
      handler: () => ({ body: { a: [1, 2, 3, 4, 5, 6, 7, 8], b: ['x', 'y', 'z'] }, rowsPath: ['b'] }),
    },
    { method: 'GET', path: '/v1/other', endpoint: 'other', handler: (req) => ({ body: { ok: true, q: req.query } }) },
    {
      method: 'GET',
      path: '/v1/items/:id/detail',
      endpoint: 'item',
      handler: (_req, params) => ({ body: { id: params.id } }),
    },
    { method: 'POST', path: '/info', endpoint: 'info', handler: (req) => ({ body: { echo: req.body } }) },
    {
      method: 'GET',
      path: '/v1/boom',
      endpoint: 'boom',
      handler: () => {
        throw new Error('handler exploded');
      },
    },
  ],
};

let srv: MockServer;
beforeAll(async () => {
  srv = await startMockServer({ port: 0, venues: [testVenue] });
});
afterAll(async () => {
  await srv.close();
});
beforeEach(() => {
  srv.setFaults([]);
  srv.setLatency(0);
  srv.resetStats();
});

const get = (p: string, init?: RequestInit) => fetch(srv.url + p, init);
const rowsOf = async (r: Response) =>
  ((await r.json()) as { data: { list: Array<{ i: number }> } }).data.list.map((x) => x.i);

describe('routing', () => {
  test('a venue route answers under /<host>/<path>, on every host of the venue, with path parameters', async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await rowsOf(await get('/api.test.local/v1/rows'))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await (await get('/alt.test.local/v1/other?x=1&x=2&y=z')).json()).toEqual({
      ok: true,
      q: { x: '2', y: 'z' },
    });
    expect(await (await get('/api.test.local/v1/items/BTC-USD/detail')).json()).toEqual({ id: 'BTC-USD' });
    const post = await get('/api.test.local/info', {
      method: 'POST',
      body: JSON.stringify({ type: 'meta' }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(await post.json()).toEqual({ echo: { type: 'meta' } });
  });

  test('unknown host and unknown path: 404 with a JSON body naming them', async () => {
    const r1 = await get('/nowhere.example/api/x');
    expect(r1.status).toBe(404);
    const b1 = (await r1.json()) as Record<string, string>;
    expect(b1.host).toBe('nowhere.example');
    expect(b1.path).toBe('/api/x');
    expect(b1.message).toContain('api.test.local');
    const r2 = await get('/api.test.local/v1/missing?a=1');
    expect(r2.status).toBe(404);
    expect(await r2.json()).toMatchObject({ host: 'api.test.local', path: '/v1/missing', method: 'GET' });
    // a POST-only route asked with GET is not found either
    expect((await get('/api.test.local/info')).status).toBe(404);
  });

  test('a handler that throws gives a 500 with the message, and the server keeps serving', async () => {
    const r = await get('/api.test.local/v1/boom');
    expect(r.status).toBe(500);
    expect(await r.json()).toMatchObject({ message: 'handler exploded' });
    expect((await get('/api.test.local/v1/rows')).status).toBe(200);
  });

  test('CORS: preflight answered with 204, every answer carries Access-Control-Allow-Origin: * and the simulated-data header', async () => {
    const pre = await get('/api.test.local/v1/rows', { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');
    const r = await get('/api.test.local/v1/rows');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('x-simulated-data')).toBe('true');
    expect((await get('/zzz')).headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('stats', () => {
  test('counts per venue, endpoint and status, logs each request, and resets', async () => {
    await get('/api.test.local/v1/rows?limit=5');
    await get('/api.test.local/v1/rows');
    await get('/alt.test.local/v1/other');
    await get('/api.test.local/v1/nope');
    await get('/__health'); // admin paths are not counted
    const s = (await (await get('/__stats')).json()) as ReturnType<MockServer['stats']>;
    expect(s.total).toBe(4);
    expect(s.byVenue).toEqual({ testex: 4 });
    expect(s.byEndpoint).toEqual({ 'testex:rows': 2, 'testex:other': 1, 'testex:(unknown)': 1 });
    expect(s.byStatus).toEqual({ '200': 3, '404': 1 });
    expect(s.log.map((e) => [e.venue, e.endpoint, e.host, e.path, e.status])).toEqual([
      ['testex', 'rows', 'api.test.local', '/v1/rows', 200],
      ['testex', 'rows', 'api.test.local', '/v1/rows', 200],
      ['testex', 'other', 'alt.test.local', '/v1/other', 200],
      ['testex', null, 'api.test.local', '/v1/nope', 404],
    ]);
    expect(s.log[0].query).toEqual({ limit: '5' });
    expect(s.log.every((e) => typeof e.latencyMs === 'number' && e.latencyMs >= 0)).toBe(true);
    const short = (await (await get('/__stats?log=1')).json()) as ReturnType<MockServer['stats']>;
    expect(short.total).toBe(4);
    expect(short.log.map((e) => e.path)).toEqual(['/v1/nope']);
    expect(((await (await get('/__stats?log=0')).json()) as ReturnType<MockServer['stats']>).log).toEqual([]);
    expect((await get('/__stats?log=-2')).status).toBe(400);
    expect((await get('/__stats/reset', { method: 'POST' })).status).toBe(200);
    expect(srv.stats().total).toBe(0);
    expect(srv.stats().log).toEqual([]);
  });

  test('latency injection: server-wide and per fault, visible in the logged latency', async () => {
    srv.setLatency(120);
    await get('/api.test.local/v1/other');
    srv.setLatency(0);
    srv.setFaults([{ venue: 'testex', endpoint: 'rows', type: 'latency', latencyMs: 150, times: 1 }]);
    await get('/api.test.local/v1/rows');
    await get('/api.test.local/v1/rows');
    const log = srv.stats().log;
    expect(log[0].latencyMs).toBeGreaterThanOrEqual(120);
    expect(log[1].latencyMs).toBeGreaterThanOrEqual(150);
    expect(log[1].faults).toEqual(['latency']);
    expect(log[2].faults).toEqual([]);
  });
});

describe('faults', () => {
  test('429 carries Retry-After and fires exactly `times` times', async () => {
    srv.setFaults([{ venue: 'testex', endpoint: 'rows', type: '429', retryAfterSec: 2, times: 2 }]);
    const a = await get('/api.test.local/v1/rows');
    const b = await get('/api.test.local/v1/rows');
    const c = await get('/api.test.local/v1/rows');
    expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
    expect(a.headers.get('retry-after')).toBe('2');
    expect(srv.faults()[0]).toMatchObject({ remaining: 0, fired: 2 });
    expect(srv.stats().faulted).toBe(2);
  });

  test('500 hits only the targeted venue/endpoint; without times it is permanent', async () => {
    srv.setFaults([{ venue: 'testex', endpoint: 'rows', type: '500' }]);
    for (let k = 0; k < 3; k++) {
      expect((await get('/api.test.local/v1/rows')).status).toBe(500);
    }
    expect((await get('/api.test.local/v1/other')).status).toBe(200);
    srv.setFaults([{ venue: 'othervenue', endpoint: '*', type: '500' }]);
    expect((await get('/api.test.local/v1/rows')).status).toBe(200);
    srv.setFaults([{ venue: '*', endpoint: '*', type: '500', times: 1 }]);
    expect((await get('/api.test.local/v1/other')).status).toBe(500);
    expect((await get('/api.test.local/v1/other')).status).toBe(200);
  });

  test('hang: the request gets no answer and the connection is dropped after hangMs', async () => {
    srv.setFaults([{ venue: 'testex', endpoint: 'rows', type: 'hang', hangMs: 200, times: 1 }]);
    await expect(get('/api.test.local/v1/rows')).rejects.toThrow();
    expect((await get('/api.test.local/v1/rows')).status).toBe(200);
    const log = srv.stats().log;
    expect(log[0]).toMatchObject({ status: 0, latencyMs: null, faults: ['hang'] });
    expect(srv.stats().byStatus.dropped).toBe(1);
  });

  test('a client that gives up on a hanging request is logged as dropped too', async () => {
    srv.setFaults([{ venue: 'testex', endpoint: 'rows', type: 'hang', hangMs: 60_000 }]);
    await expect(get('/api.test.local/v1/rows', { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    for (let k = 0; k < 50 && srv.stats().total === 0; k++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(srv.stats().byStatus.dropped).toBe(1);
  });

  test('malformed JSON: status 200, a body that does not parse', async () => {
    srv.setFaults([{ venue: 'testex', endpoint: 'rows', type: 'malformed', times: 1 }]);
    const r = await get('/api.test.local/v1/rows');
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text.startsWith('{"code":0')).toBe(true);
  });

  test('row faults edit the longest array: empty, gaps, duplicates, out-of-order', async () => {
    const fetchRows = async (type: 'empty' | 'gaps' | 'duplicates' | 'outOfOrder') => {
      srv.setFaults([{ venue: 'testex', endpoint: 'rows', type, times: 1 }]);
      const rows = await rowsOf(await get('/api.test.local/v1/rows'));
      srv.setFaults([]);
      return rows;
    };
    expect(await fetchRows('empty')).toEqual([]);
    expect(await fetchRows('gaps')).toEqual([0, 2, 3, 4, 6, 7, 8]);
    expect(await fetchRows('duplicates')).toEqual([0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9]);
    expect(await fetchRows('outOfOrder')).toEqual([1, 0, 3, 2, 5, 4, 7, 6, 9, 8]);
    // the shorter array next to the rows is left alone, and the fault is gone after its one use
    srv.setFaults([{ venue: 'testex', endpoint: 'rows', type: 'empty', times: 1 }]);
    const body = (await (await get('/api.test.local/v1/rows')).json()) as { data: { meta: number[]; list: unknown[] } };
    expect(body.data).toEqual({ meta: [1, 2], list: [] });
    expect(await rowsOf(await get('/api.test.local/v1/rows'))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a handler can pin the row list with rowsPath', async () => {
    srv.setFaults([{ venue: 'testex', endpoint: 'pinned', type: 'empty' }]);
    expect(await (await get('/api.test.local/v1/pinned')).json()).toEqual({ a: [1, 2, 3, 4, 5, 6, 7, 8], b: [] });
  });

  test('applyRowFault on a top-level array (binance klines shape) keeps rows whole', () => {
    const rows = [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ];
    expect(applyRowFault(rows, 'gaps')).toEqual([
      [1, 'a'],
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ]);
    expect(applyRowFault(rows, 'outOfOrder')).toEqual([
      [2, 'b'],
      [1, 'a'],
      [4, 'd'],
      [3, 'c'],
      [5, 'e'],
    ]);
  });

  test('applyRowFault with parallel column arrays edits every column alike', () => {
    const body = () => ({ r: { t: [10, 20, 30, 40, 50], v: [1, 2, 3, 4, 5], more: false } });
    const cols = [
      ['r', 't'],
      ['r', 'v'],
    ];
    // each row (t, v) keeps v = t / 10, whatever the fault does to the order or count of rows
    const pairs = (b: any) => b.r.t.map((t: number, i: number) => [t, b.r.v[i]]);
    expect(pairs(applyRowFault(body(), 'duplicates', undefined, cols))).toEqual([
      [10, 1],
      [10, 1],
      [20, 2],
      [30, 3],
      [40, 4],
      [40, 4],
      [50, 5],
    ]);
    expect(pairs(applyRowFault(body(), 'outOfOrder', undefined, cols))).toEqual([
      [20, 2],
      [10, 1],
      [40, 4],
      [30, 3],
      [50, 5],
    ]);
    expect(pairs(applyRowFault(body(), 'gaps', undefined, cols))).toEqual([
      [10, 1],
      [30, 3],
      [40, 4],
      [50, 5],
    ]);
    // columns of different lengths: left as they are
    const uneven = { r: { t: [1, 2, 3], v: [1, 2] } };
    expect(applyRowFault(uneven, 'duplicates', undefined, cols)).toEqual({ r: { t: [1, 2, 3], v: [1, 2] } });
  });

  test('HTTP admin API: POST adds (or replaces), GET lists, DELETE clears; bad input is a 400 naming the field', async () => {
    const post = (body: unknown) =>
      get('/__faults', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    const r1 = await post({ venue: 'testex', endpoint: 'rows', type: '500', times: 1 });
    expect(r1.status).toBe(200);
    await post([{ venue: 'testex', endpoint: 'other', type: 'empty' }]);
    const listed = (await (await get('/__faults')).json()) as {
      faults: Array<{ type: string; remaining: number | null }>;
    };
    expect(listed.faults.map((f) => [f.type, f.remaining])).toEqual([
      ['500', 1],
      ['empty', null],
    ]);
    expect((await get('/api.test.local/v1/rows')).status).toBe(500);
    await post({ faults: [{ venue: 'testex', endpoint: 'rows', type: '429' }], replace: true });
    expect(srv.faults().map((f) => f.type)).toEqual(['429']);
    expect((await get('/__faults', { method: 'DELETE' })).status).toBe(200);
    expect(srv.faults()).toEqual([]);

    const bad = await post({ venue: 'testex', endpoint: 'rows', type: 'explode' });
    expect(bad.status).toBe(400);
    const msg = ((await bad.json()) as { error: string }).error;
    expect(msg).toContain('fault.type');
    for (const t of FAULT_TYPES) {
      expect(msg).toContain(t);
    }
    const badTimes = await post({ venue: 'testex', endpoint: 'rows', type: '500', times: 0 });
    expect(((await badTimes.json()) as { error: string }).error).toMatch(/fault\.times must be a number >= 1/);
    const notJson = await post('{oops');
    expect(notJson.status).toBe(400);
    expect(srv.faults()).toEqual([]);
  });

  test('setFaults validates too', () => {
    expect(() => srv.setFaults([{ venue: 'x', endpoint: 'y', type: 'nope' as '500' }])).toThrow(
      /fault\.type must be one of/
    );
  });
});

describe('venue registry', () => {
  test('the default server loads every venue module present, and lists the routes at /__routes', async () => {
    const { loadVenueMocks, VENUE_IDS } = await import('./venues');
    const loaded = await loadVenueMocks();
    const ids = new Set(loaded.venues.map((v) => v.id));
    // every venue of the default set is served
    expect([...VENUE_IDS].filter((id) => !ids.has(id))).toEqual([]);
    expect(loaded.missing).toEqual([]);
    // no host is claimed by two venues
    const hosts = loaded.venues.flatMap((v) => v.hosts.map((h) => `${h}:${v.id}`));
    const byHost = new Map<string, Set<string>>();
    for (const hv of hosts) {
      const [h, v] = hv.split(':');
      byHost.set(h, (byHost.get(h) ?? new Set()).add(v));
    }
    expect([...byHost.values()].every((v) => v.size === 1)).toBe(true);
    const full = await startMockServer({ port: 0 });
    try {
      const routes = (await (await fetch(full.url + '/__routes')).json()) as {
        simulated: boolean;
        venues: Array<{ id: string; hosts: string[] }>;
      };
      expect(routes.simulated).toBe(true);
      expect(routes.venues.find((v) => v.id === 'binanceusdm')?.hosts).toEqual(['fapi.binance.com']);
      expect([...full.venues].sort()).toEqual([...VENUE_IDS].sort());
    } finally {
      await full.close();
    }
  });
});

describe('CLI', () => {
  test('--fault flags parse into fault specs; errors name the flag and the allowed values', () => {
    expect(parseFaultFlag('binanceusdm:klines:500')).toEqual({ venue: 'binanceusdm', endpoint: 'klines', type: '500' });
    expect(parseFaultFlag('bybit:*:429=2:3')).toEqual({
      venue: 'bybit',
      endpoint: '*',
      type: '429',
      retryAfterSec: 2,
      times: 3,
    });
    expect(parseFaultFlag('okx:openInterestHistory:hang=5000:always')).toEqual({
      venue: 'okx',
      endpoint: 'openInterestHistory',
      type: 'hang',
      hangMs: 5000,
    });
    expect(() => parseFaultFlag('binance:klines')).toThrow(/venue:endpoint:type\[:times\]/);
    expect(() => parseFaultFlag('binance:klines:teapot')).toThrow(/fault\.type must be one of 429, 500, hang/);
    expect(() => parseFaultFlag('binance:klines:500:0')).toThrow(/times must be a positive integer or "always"/);
    expect(() => parseFaultFlag('binance:klines:empty=3')).toThrow(/takes no "=value"/);
  });

  test('argument parsing', () => {
    expect(
      parseCliArgs([
        '--port',
        '9000',
        '--latency-ms=100',
        '--fault',
        'okx:klines:gaps:2',
        '--now',
        '2024-01-01T00:00:00Z',
      ])
    ).toEqual({
      port: 9000,
      latencyMs: 100,
      faults: [{ venue: 'okx', endpoint: 'klines', type: 'gaps', times: 2 }],
      now: Date.UTC(2024, 0, 1),
    });
    expect(() => parseCliArgs(['--port', 'abc'])).toThrow(CliError);
    expect(() => parseCliArgs(['--port', 'abc'])).toThrow(/--port must be an integer from 0 to 65535/);
    expect(() => parseCliArgs(['--port'])).toThrow(/--port needs a value/);
    expect(() => parseCliArgs(['--now', '2010-01-01'])).toThrow(/--now must be an ISO time at or after 2019-01-01/);
    expect(() => parseCliArgs(['--bogus'])).toThrow(/unknown option "--bogus"/);
  });

  test('`tsx mock/server.ts --port 0` prints its URL on stdout and serves the registry venues', async () => {
    const root = path.resolve(__dirname, '..');
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'node_modules/tsx/dist/cli.mjs'),
        'mock/server.ts',
        '--port',
        '0',
        '--now',
        '2024-06-01T00:00:00Z',
      ],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /mock exchanges listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
          if (m) {
            resolve(m[1]);
          }
        });
        child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const health = (await (await fetch(url + '/__health')).json()) as {
        simulated: boolean;
        now: number;
        venues: string[];
      };
      expect(health.simulated).toBe(true);
      expect(health.now).toBe(Date.UTC(2024, 5, 1));
      expect(health.venues).toEqual(expect.arrayContaining(['binance', 'binanceusdm', 'bybit', 'okx']));
      const kl = await fetch(url + '/api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=2');
      const rows = (await kl.json()) as unknown[][];
      expect(rows.map((r) => r[0])).toEqual([Date.UTC(2024, 4, 30), Date.UTC(2024, 4, 31)]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
