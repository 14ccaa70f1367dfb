/** @jest-environment node */
/**
 * The recorder's HTTP API on a store filled by hand: the bundle equals `export` byte for byte, /series and /health
 * count what was written, bad parameters are 400s naming the parameter and the allowed values, a too large range is a
 * 413, a configured token makes every other request a 401 and never shows up in the log, extra routes can be added.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CliIo } from '../cli/btc-flow';
import { main } from './cli';
import { acceptsGzip, COMPRESS_MIN_BYTES, createRecorderServer, type RecorderServer } from './http';
import { openSqliteStore } from './store/sqlite';
import type { RecorderStore } from './store/types';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2025, 0, 1);
const TOKEN = 's3cr3t-t0ken';
const NOW = Date.UTC(2025, 0, 11, 12);

let dir: string;
let store: RecorderStore;
let srv: RecorderServer;
let url: string;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recorder-http-'));
  store = await openSqliteStore(join(dir, 'api.db'));
  // 10 daily coinbase closes, 10 daily binanceusdm perp closes with volume, base-unit OI, 8-hourly funding
  const days = Array.from({ length: 10 }, (_, i) => T0 + i * DAY);
  await store.write([
    {
      key: { asset: 'BTC', venue: 'coinbase', kind: 'spot', timeframe: '1d' },
      meta: { quote: 'USD' },
      source: 'rest',
      points: days.map((ts, i) => ({ ts, value: 100 + i, volume: 1000 + i })),
    },
    {
      key: { asset: 'BTC', venue: 'binanceusdm', kind: 'perp', timeframe: '1d' },
      meta: { quote: 'USDT' },
      source: 'rest',
      points: days.map((ts, i) => ({ ts, value: 99 + i, volume: 10 * i })),
    },
    {
      key: { asset: 'BTC', venue: 'binanceusdm', kind: 'openInterest', timeframe: '1d' },
      meta: { unit: 'base' },
      source: 'archive',
      points: days.map((ts, i) => ({ ts, value: 5000 + i })),
    },
    {
      key: { asset: 'BTC', venue: 'binanceusdm', kind: 'funding', timeframe: '*' },
      meta: { intervalHours: 8 },
      source: 'rest',
      points: Array.from({ length: 30 }, (_, i) => ({ ts: T0 + i * 8 * H, value: 0.0001 * (i % 3) })),
    },
  ]);
  srv = createRecorderServer({
    store,
    token: TOKEN,
    maxPoints: 100,
    now: () => NOW,
    log: (l) => logs.push(l),
    extraRoutes: { '/metrics': (_req, res) => void res.end('btcflow_up 1\n') },
  });
  url = (await srv.listen(0)).url;
});
afterAll(async () => {
  await srv.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { Authorization: `Bearer ${TOKEN}` };
const get = (path: string, headers: Record<string, string> = auth) => fetch(url + path, { headers });

describe('bundle', () => {
  it('returns exactly what export writes for the same range', async () => {
    const res = await get('/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-02&to=2025-01-05');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const text = await res.text();
    // export through the CLI from the same file (read-only, while the server holds it open)
    let out = '';
    const io: CliIo = { stdout: (t) => void (out += t), stderr: () => undefined, stdoutIsTTY: false, env: {} };
    const code = await main(
      ['export', '--db', join(dir, 'api.db'), '--timeframe', '1d', '--from', '2025-01-02', '--to', '2025-01-05'],
      io
    );
    expect(code).toBe(0);
    expect(text).toBe(out);
    const b = JSON.parse(text);
    expect(b.series.map((s: { venue: string; kind: string }) => `${s.venue} ${s.kind}`)).toEqual([
      'coinbase spot',
      'binanceusdm perp',
      'binanceusdm openInterest',
      'binanceusdm funding',
    ]);
    // --to inclusive: Jan 2 .. Jan 5 is 4 daily bars; funding 8-hourly from Jan 2 00:00 to Jan 5 00:00 inclusive
    expect(b.series[0]).toEqual({
      kind: 'spot',
      venue: 'coinbase',
      quote: 'USD',
      points: [1, 2, 3, 4].map((i) => [T0 + i * DAY, 100 + i]),
      volumes: [1, 2, 3, 4].map((i) => [T0 + i * DAY, 1000 + i]),
    });
    expect(b.series[2]).toEqual({
      kind: 'openInterest',
      venue: 'binanceusdm',
      unit: 'base',
      points: [1, 2, 3, 4].map((i) => [T0 + i * DAY, 5000 + i]),
    });
    expect(b.series[3].intervalHours).toBe(8);
    expect(b.series[3].points).toHaveLength(10);
    expect(b.series[3].points[0]).toEqual([T0 + DAY, 0]);
  });

  it('is gzipped for a client that accepts gzip, and decompresses to the plain answer byte for byte', async () => {
    const path = '/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-01&to=2025-01-10';
    // node:http does not decompress: the bytes on the wire are seen as they are
    const raw = (encoding?: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const headers: Record<string, string> = { ...auth };
        if (encoding !== undefined) {
          headers['Accept-Encoding'] = encoding;
        }
        http
          .get(url + path, { headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      });
    const plain = await raw();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(COMPRESS_MIN_BYTES);
    const zipped = await raw('gzip, deflate, br');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    // refused or absent gzip: plain
    for (const enc of ['identity', 'gzip;q=0', 'br', 'deflate']) {
      const r = await raw(enc);
      expect([enc, r.headers['content-encoding']]).toEqual([enc, undefined]);
      expect(r.body.equals(plain.body)).toBe(true);
    }
    // errors stay plain JSON (small)
    const err = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(`${url}/api/v1/bundle?asset=BTC`, { headers: { ...auth, 'Accept-Encoding': 'gzip' } }, resolve)
    );
    err.resume();
    expect([err.statusCode, err.headers['content-encoding']]).toEqual([400, undefined]);
  });

  it.each([
    ['gzip', true],
    ['gzip, deflate, br, zstd', true],
    ['GZIP;q=0.5', true],
    ['x-gzip', true],
    ['*', true],
    ['br;q=1, *;q=0.1', true],
    ['gzip;q=0', false],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['identity', false],
    ['deflate, br', false],
    ['', false],
    [undefined, false],
  ])('Accept-Encoding %p accepts gzip: %p', (header, want) => {
    expect(acceptsGzip(header)).toBe(want);
  });

  it('accepts epoch ms, and filters venues and kinds', async () => {
    const res = await get(
      `/api/v1/bundle?asset=btc&timeframe=1w&from=${T0}&to=${T0 + 9 * DAY}&venues=binanceusdm&kinds=perp,funding`
    );
    expect(res.status).toBe(200);
    const b = await res.json();
    expect(b.asset).toBe('BTC');
    expect(b.series.map((s: { kind: string }) => s.kind)).toEqual(['perp', 'funding']);
    expect(b.series[0].points).toHaveLength(10);
  });

  it.each([
    ['/api/v1/bundle?timeframe=1d&from=2025-01-01', 'asset', undefined],
    ['/api/v1/bundle?asset=BTC&timeframe=2d&from=2025-01-01', 'timeframe', ['1h', '4h', '1d', '3d', '1w', '1M']],
    ['/api/v1/bundle?asset=BTC&timeframe=1d', 'from', undefined],
    ['/api/v1/bundle?asset=BTC&timeframe=1d&from=yesterday', 'from', undefined],
    ['/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-05&to=2025-01-01', 'from', undefined],
    [
      '/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-01&kinds=price',
      'kinds',
      ['spot', 'perp', 'openInterest', 'funding', 'fx'],
    ],
    ['/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-01&venues=nope', 'venues', undefined],
    [
      '/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-01&limit=5',
      'limit',
      ['asset', 'timeframe', 'from', 'to', 'venues', 'kinds'],
    ],
    ["/api/v1/bundle?asset=BTC';DROP TABLE points;--&timeframe=1d&from=2025-01-01", 'asset', undefined],
  ])('400 for %s naming %s', async (path, parameter, allowed) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.parameter).toBe(parameter);
    expect(body.error).toContain(parameter);
    if (allowed) {
      expect(body.allowed).toEqual(allowed);
    }
  });

  it('413 when the range holds more points than the limit', async () => {
    // Jan 1 .. Jan 10 inclusive: 10 spot + 10 perp + 10 OI + 28 funding settlements (every 8 h up to Jan 10 00:00)
    const small = createRecorderServer({ store, maxPoints: 50, now: () => NOW });
    const u = (await small.listen(0)).url;
    try {
      const res = await fetch(`${u}/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-01&to=2025-01-10`);
      expect(res.status).toBe(413);
      expect((await res.json()).error).toMatch(/range too large: 58 points > the limit of 50/);
      const ok = await fetch(`${u}/api/v1/bundle?asset=BTC&timeframe=1d&from=2025-01-01&to=2025-01-10&kinds=spot`);
      expect(ok.status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('series and health', () => {
  it('lists what is stored with first, last and count', async () => {
    const res = await get('/api/v1/series?asset=BTC');
    const body = await res.json();
    const spot = body.series.find((s: { venue: string }) => s.venue === 'coinbase');
    expect(spot).toMatchObject({
      asset: 'BTC',
      kind: 'spot',
      timeframe: '1d',
      quote: 'USD',
      first: T0,
      last: T0 + 9 * DAY,
      count: 10,
      lastClosedEnd: T0 + 10 * DAY,
      sources: { rest: 10, archive: 0, import: 0 },
    });
    expect(body.series).toHaveLength(4);
  });

  it('reports the age of the freshest point per venue', async () => {
    const body = await (await get('/api/v1/health')).json();
    expect(body.status).toBe('ok');
    expect(body.venues.coinbase).toEqual({ freshest: T0 + 9 * DAY, ageSeconds: (NOW - (T0 + 9 * DAY)) / 1000 });
    // binanceusdm's freshest point is its last funding settlement (Jan 10 16:00)
    expect(body.venues.binanceusdm.freshest).toBe(T0 + 29 * 8 * H);
  });
});

describe('token', () => {
  it('401 without the token or with a wrong one, on every route', async () => {
    for (const path of ['/api/v1/health', '/api/v1/series', '/api/v1/bundle?asset=BTC', '/metrics', '/nope']) {
      expect((await get(path, {})).status).toBe(401);
      expect((await get(path, { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
      expect((await get(path, { Authorization: TOKEN })).status).toBe(401);
    }
    const r = await get('/api/v1/health', {});
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await r.json()).toEqual({
      error: 'missing or wrong API token; send the header Authorization: Bearer <token>',
    });
  });

  it('never logs the token', async () => {
    expect(logs.length).toBeGreaterThan(10);
    expect(logs.join('\n')).not.toContain(TOKEN);
    expect(logs.some((l) => /^GET \/api\/v1\/health 401 \d+ ms$/.test(l))).toBe(true);
  });
});

describe('routes', () => {
  it('serves extra routes, and 404 / 405 otherwise', async () => {
    const before = logs.length;
    expect(await (await get('/metrics')).text()).toBe('btcflow_up 1\n');
    expect((await get('/api/v1/health')).status).toBe(200);
    // successful scrapes and probes are not logged; any other request is
    expect(logs.slice(before)).toEqual([]);
    expect((await get('/api/v1/series')).status).toBe(200);
    expect(logs.slice(before)).toEqual([expect.stringMatching(/^GET \/api\/v1\/series 200 \d+ ms$/)]);
    srv.addRoute('/extra', (_q, res) => void res.end('x'));
    expect(await (await get('/extra')).text()).toBe('x');
    const nf = await get('/api/v2/bundle');
    expect(nf.status).toBe(404);
    expect((await nf.json()).error).toContain('/api/v1/bundle');
    expect((await fetch(url + '/api/v1/health', { method: 'POST', headers: auth })).status).toBe(405);
  });

  it('binds 127.0.0.1 by default', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readFileSync(join(dir, 'api.db')).length).toBeGreaterThan(0);
  });
});
