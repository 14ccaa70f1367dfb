/**
 * The recorder's HTTP API (node:http, no framework): `GET /api/v1/bundle`, `/api/v1/series`, `/api/v1/health`, plus
 * any routes later code adds (`extraRoutes`, `addRoute`, e.g. Prometheus `/metrics`). Bad parameters are a 400 JSON
 * error naming the parameter and the allowed values, too large a range a 413, a missing or wrong bearer token a 401.
 * The store does the reading; this module only parses, checks and formats. A bundle answer is gzipped when the client
 * accepts it (the bytes after decompression are `export`'s). The token is never logged.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { formatBundle } from '../cli/btc-flow';
import { BtcFlowInputError } from '../src/core/errors';
import { SERIES_KINDS, TIMEFRAMES, type SeriesKind, type Timeframe } from '../src/core/types';
import { DEFAULT_VENUES } from '../src/exchanges/registry';
import { redactText } from '../src/exchanges/redact';
import { bundleFromStore, bundleNote, parseTime, planBundleReads, readRanges, storeStepMs } from './bundle';
import { countManyPoints, type RecorderStore } from './store/types';

/** Paths whose successful requests are not logged (scrapes and probes). */
const QUIET_PATHS = new Set(['/metrics', '/api/v1/health']);

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

export interface RecorderServerOptions {
  store: RecorderStore;
  /** Bearer token; when set every request without `Authorization: Bearer <token>` gets a 401. */
  token?: string;
  /** More routes by exact path, e.g. `{ '/metrics': handler }` (checked after the token, before the API). */
  extraRoutes?: Record<string, RouteHandler>;
  /** Most points one bundle request may return (413 above). Default 1,000,000 (a year of 1h bars of every venue and kind is about 0.4 million; the limit bounds the memory of one answer). */
  maxPoints?: number;
  /** One line per request and per problem (already redacted). Default: none. */
  log?: (line: string) => void;
  /** Extra fields for /api/v1/health (the run loop's per-series state). */
  healthExtra?: () => Record<string, unknown>;
  /** Clock (default Date.now). */
  now?: () => number;
}

export interface RecorderServer {
  server: http.Server;
  /** Adds or replaces a route (exact path). */
  addRoute(path: string, handler: RouteHandler): void;
  /** Starts listening (port 0 = any free port); resolves with the URL. Default host 127.0.0.1. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_POINTS = 1_000_000;

/** A 4xx answer with a JSON body `{error, parameter?, allowed?}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly parameter?: string,
    readonly allowed?: string[]
  ) {
    super(message);
  }
}

/** Headers of every JSON answer. */
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, ...extra });
  res.end(text);
}

/** Bodies at least this long are gzipped for a client that accepts gzip (smaller ones gain less than the headers). */
export const COMPRESS_MIN_BYTES = 1024;
/**
 * zlib level of the bundle answers: 1 (fastest). On a weekly 2020→now bundle (6.6 MB) level 1 gives 2.0 MB in about a
 * sixth of level 6's time (1.7 MB); the answer goes out sooner on any link slower than about 1 Gbit/s.
 */
export const GZIP_LEVEL = 1;
const gzip = promisify(zlib.gzip);

/** Whether an Accept-Encoding header accepts gzip (`gzip` or `*` listed without `q=0`). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  let gz: number | undefined;
  let any: number | undefined;
  for (const part of raw.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const qp = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    const q = qp === undefined ? 1 : Number(qp.slice(2));
    if (name.trim() === 'gzip' || name.trim() === 'x-gzip') {
      gz = Number.isFinite(q) ? q : 0;
    } else if (name.trim() === '*') {
      any = Number.isFinite(q) ? q : 0;
    }
  }
  return (gz ?? any ?? 0) > 0;
}

/**
 * Sends a 200 JSON text, gzipped (level GZIP_LEVEL, off the main thread) when the client accepts gzip and the text is
 * at least COMPRESS_MIN_BYTES; the bytes after decompression are the text itself. Grafana's data-source proxy passes
 * the encoding through to the browser, which decompresses it.
 */
async function sendJsonText(req: http.IncomingMessage, res: http.ServerResponse, text: string): Promise<void> {
  const headers: http.OutgoingHttpHeaders = { ...JSON_HEADERS, Vary: 'Accept-Encoding' };
  // (UTF-8 is never shorter than the UTF-16 length)
  if (text.length >= COMPRESS_MIN_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
    const body = await gzip(text, { level: GZIP_LEVEL });
    res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  res.writeHead(200, headers);
  res.end(text);
}

function checkParams(url: URL, allowed: string[]): void {
  for (const k of url.searchParams.keys()) {
    if (!allowed.includes(k)) {
      throw new HttpError(400, `unknown parameter ${JSON.stringify(k)}; allowed: ${allowed.join(', ')}`, k, allowed);
    }
  }
  for (const k of allowed) {
    if (url.searchParams.getAll(k).length > 1) {
      throw new HttpError(400, `parameter ${k} given more than once`, k);
    }
  }
}

function timeParam(url: URL, name: string, fallback?: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw.trim() === '') {
    if (fallback !== undefined) {
      return fallback;
    }
    throw new HttpError(400, `${name}: required; epoch milliseconds or an ISO date such as 2021-04-14`, name);
  }
  try {
    return parseTime(raw, name);
  } catch (e) {
    throw new HttpError(400, (e as Error).message, name);
  }
}

/** A comma-separated list: items trimmed, empty ones and repeats dropped, first-seen order kept (flags and parameters). */
export function splitList(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '')
    ),
  ];
}

function listParam<T extends string>(url: URL, name: string, allowed: readonly T[]): T[] | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) {
    return undefined;
  }
  const items = splitList(raw);
  if (!items.length) {
    throw new HttpError(400, `${name}: empty list; allowed: ${allowed.join(', ')}`, name, [...allowed]);
  }
  for (const x of items) {
    if (!(allowed as readonly string[]).includes(x)) {
      throw new HttpError(400, `${name}: unknown value ${JSON.stringify(x)}; allowed: ${allowed.join(', ')}`, name, [
        ...allowed,
      ]);
    }
  }
  return items as T[];
}

function assetParam(url: URL, required: boolean): string | undefined {
  const raw = url.searchParams.get('asset');
  if (raw === null) {
    if (required) {
      throw new HttpError(400, 'asset: required; an upper-case coin code such as BTC or ETH', 'asset');
    }
    return undefined;
  }
  const a = raw.trim().toUpperCase();
  if (!/^[A-Z0-9]{1,15}$/.test(a)) {
    throw new HttpError(
      400,
      `asset: bad asset ${JSON.stringify(raw)}; expected a coin code such as BTC or ETH`,
      'asset'
    );
  }
  return a;
}

export function createRecorderServer(opts: RecorderServerOptions): RecorderServer {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const maxPoints = opts.maxPoints ?? DEFAULT_MAX_POINTS;
  const log = opts.log ?? (() => undefined);
  const expected = opts.token !== undefined ? Buffer.from(`Bearer ${opts.token}`) : undefined;
  const routes = new Map<string, RouteHandler>(Object.entries(opts.extraRoutes ?? {}));

  const authorised = (req: http.IncomingMessage): boolean => {
    if (!expected) {
      return true;
    }
    const got = Buffer.from(String(req.headers.authorization ?? ''));
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  routes.set('/api/v1/bundle', async (req, res, url) => {
    checkParams(url, ['asset', 'timeframe', 'from', 'to', 'venues', 'kinds']);
    const asset = assetParam(url, true)!;
    const tfRaw = url.searchParams.get('timeframe');
    if (tfRaw === null || !(TIMEFRAMES as readonly string[]).includes(tfRaw)) {
      throw new HttpError(
        400,
        `timeframe: ${tfRaw === null ? 'required' : `unknown timeframe ${JSON.stringify(tfRaw)}`}; allowed: ${TIMEFRAMES.join(', ')}`,
        'timeframe',
        [...TIMEFRAMES]
      );
    }
    const timeframe = tfRaw as Timeframe;
    const t = now();
    const from = timeParam(url, 'from');
    const to = timeParam(url, 'to', t);
    if (from > to) {
      throw new HttpError(
        400,
        `from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`,
        'from'
      );
    }
    const stored = await store.listKeys({ asset });
    const venueIds = [...new Set([...DEFAULT_VENUES, ...stored.map((s) => s.venue)])];
    const venues = listParam(url, 'venues', venueIds);
    const kinds = listParam<SeriesKind>(url, 'kinds', SERIES_KINDS);
    // `to` is inclusive, as `btc-flow fetch --to` and `export --to`
    const q = { asset, timeframe, from, to: to + 1, venues, kinds, now: t };
    // counted before reading (one grouped count on PostgreSQL), so that a huge range is refused before it is in memory
    const reads = await planBundleReads(store, q);
    const total = (await countManyPoints(store, readRanges(reads))).reduce((a, b) => a + b, 0);
    if (total > maxPoints) {
      throw new HttpError(
        413,
        `range too large: ${total} points > the limit of ${maxPoints}; ask a shorter range, fewer venues or kinds, ` +
          'or a coarser timeframe',
        'from'
      );
    }
    const bundle = await bundleFromStore(store, q, reads);
    await sendJsonText(req, res, formatBundle(bundle, bundleNote(asset, timeframe, from, to)));
  });

  routes.set('/api/v1/series', async (_req, res, url) => {
    checkParams(url, ['asset']);
    const asset = assetParam(url, false);
    const list = await store.listSeries(asset ? { asset } : {});
    sendJson(res, 200, {
      series: list.map((s) => ({
        asset: s.asset,
        venue: s.venue,
        kind: s.kind,
        timeframe: s.timeframe,
        ...s.meta,
        first: s.first,
        last: s.last,
        count: s.count,
        // the end of the last bar (grid series): everything before it is closed and stored
        lastClosedEnd: s.last === null ? null : s.last + storeStepMs(s.timeframe),
        sources: s.bySource,
        lastWrittenAt: s.lastWrittenAt,
      })),
    });
  });

  routes.set('/api/v1/health', async (_req, res, url) => {
    checkParams(url, []);
    const t = now();
    const venues: Record<string, { freshest: number; ageSeconds: number }> = {};
    for (const s of await store.listSeries()) {
      if (s.last !== null && (venues[s.venue] === undefined || s.last > venues[s.venue].freshest)) {
        venues[s.venue] = { freshest: s.last, ageSeconds: Math.round((t - s.last) / 1000) };
      }
    }
    sendJson(res, 200, {
      status: 'ok',
      now: t,
      backend: store.backend,
      schemaVersion: await store.schemaVersion(),
      venues,
      ...(opts.healthExtra ? opts.healthExtra() : {}),
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<number> => {
    const url = new URL(req.url ?? '/', 'http://recorder.local');
    if (!authorised(req)) {
      sendJson(
        res,
        401,
        { error: 'missing or wrong API token; send the header Authorization: Bearer <token>' },
        { 'WWW-Authenticate': 'Bearer realm="btc-flow recorder"' }
      );
      return 401;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `method ${req.method} not allowed; allowed: GET` }, { Allow: 'GET, HEAD' });
      return 405;
    }
    const route = routes.get(url.pathname);
    if (!route) {
      sendJson(res, 404, { error: `no route ${url.pathname}; routes: ${[...routes.keys()].sort().join(', ')}` });
      return 404;
    }
    try {
      await route(req, res, url);
      return res.statusCode;
    } catch (e) {
      let err = e;
      if (e instanceof BtcFlowInputError) {
        err = new HttpError(400, e.message, e.field);
      }
      if (err instanceof HttpError) {
        const body: Record<string, unknown> = { error: err.message };
        if (err.parameter !== undefined) {
          body.parameter = err.parameter;
        }
        if (err.allowed !== undefined) {
          body.allowed = err.allowed;
        }
        if (!res.headersSent) {
          sendJson(res, err.status, body);
        }
        return err.status;
      }
      log(redactText(`recorder: error on ${url.pathname}: ${(e as Error)?.message ?? String(e)}`));
      if (!res.headersSent) {
        sendJson(res, 500, { error: 'internal error (see the recorder log)' });
      } else {
        res.destroy();
      }
      return 500;
    }
  };

  const server = http.createServer((req, res) => {
    const started = Date.now();
    handle(req, res).then(
      (status) => {
        // Prometheus scrapes and health probes that succeed are not logged: at one every few seconds they would
        // bury the lines that matter. Everything else, and any failing probe, is.
        if (status < 400 && QUIET_PATHS.has((req.url ?? '').split('?')[0])) {
          return;
        }
        // the path and query only: the Authorization header is never logged
        log(redactText(`${req.method} ${req.url} ${status} ${Date.now() - started} ms`));
      },
      () => res.destroy()
    );
  });

  return {
    server,
    addRoute(path, handler) {
      routes.set(path, handler);
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as AddressInfo;
          const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve({ url: `http://${h}:${a.port}`, port: a.port });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}
