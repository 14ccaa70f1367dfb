/** @jest-environment node */
import { addInterval, Interval, SeriesCache, subtractIntervals } from './cache';
import { applyBaseUrl, grafanaBase, rewriteUrl } from './baseUrl';
import { CCXT_LOADER_IDS, loadCcxtClass } from './ccxtLoader';
import { classifyError, MalformedPayloadError, parseRetryAfter, TransientHttpError } from './errors';
import { inferIntervalHours, krakenAnalyticsRows, windowed } from './fetchers';
import { ExchangeContext } from './context';
import { fetchTimeframeFor, validateSeriesRequest } from './fetchSeries';
import { allVenueHosts, CCXT_IDS, getVenue, VENUES, venuesByRole } from './registry';

function flatten(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') {
    out.push(node);
  } else if (node && typeof node === 'object') {
    Object.values(node).forEach((v) => flatten(v, out));
  }
  return out;
}

describe('registry', () => {
  it('has a loader for every ccxt class and a unique route per host', () => {
    expect([...CCXT_LOADER_IDS].sort()).toEqual([...CCXT_IDS].sort());
    const hosts = allVenueHosts();
    expect(new Set(hosts.map((h) => h.host)).size).toBe(hosts.length);
    expect(new Set(hosts.map((h) => h.routePath)).size).toBe(hosts.length);
    for (const h of hosts) {
      expect(h.routePath).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it('lists the default venue set by role', () => {
    const r = venuesByRole();
    expect(r.spot).toEqual(['coinbase', 'bitstamp', 'kraken', 'binance']);
    expect(r.perp).toEqual([
      'binanceusdm',
      'bybit',
      'bybit-inverse',
      'okx',
      'krakenfutures',
      'deribit',
      'bitget',
      'hyperliquid',
    ]);
    expect(r.openInterestHistory).toEqual(['binanceusdm', 'bybit', 'bybit-inverse', 'okx', 'krakenfutures']);
    expect(r.funding).toEqual(r.perp);
    expect(r.fx).toEqual(['coinbase', 'kraken']);
  });

  it.each(VENUES.map((v) => [v.id, v.ccxtId]))(
    '%s: every registry host is one of ccxt %s urls.api hosts',
    async (_id, ccxtId) => {
      const Cls = await loadCcxtClass(ccxtId as (typeof CCXT_IDS)[number]);
      const ex = new Cls();
      const apiHosts = new Set(
        flatten(ex.urls.api).map((u) => new URL(u.replace('{hostname}', ex.hostname ?? '')).host)
      );
      for (const h of getVenue(_id as string).hosts) {
        expect(apiHosts).toContain(h.host);
      }
    }
  );

  it('names the field and the allowed values on bad input', () => {
    const ok = { venue: 'binance', kind: 'spot' as const, asset: 'BTC', timeframe: '1d' as const, from: 0, to: 1 };
    expect(() => validateSeriesRequest({ ...ok, venue: 'bitmex' })).toThrow(
      /venue: unknown venue "bitmex"; known venues: coinbase, /
    );
    expect(() => validateSeriesRequest({ ...ok, kind: 'funding' })).toThrow(
      /kind: binance does not serve funding; it serves spot/
    );
    expect(() => validateSeriesRequest({ ...ok, timeframe: '2h' as never })).toThrow(
      /timeframe: unknown timeframe "2h"; allowed: 1h, 4h/
    );
    expect(() => validateSeriesRequest({ ...ok, asset: 'btc' })).toThrow(/^asset: /);
    expect(() => validateSeriesRequest({ ...ok, from: 5, to: 5 })).toThrow(/^from: must be before to/);
    expect(() => validateSeriesRequest({ ...ok, to: NaN })).toThrow(/^to: expected a UTC epoch-ms number/);
  });

  it('rejects bad context options with the field name', () => {
    expect(() => new ExchangeContext({ timeoutMs: -1 })).toThrow(/^timeoutMs: expected a number >= 0, got -1$/);
    expect(() => new ExchangeContext({ retries: NaN })).toThrow(/^retries: expected a number >= 0/);
    expect(() => new ExchangeContext({ baseUrl: '127.0.0.1:8788' })).toThrow(
      /^baseUrl: expected http\(s\):\/\/host\[:port\]\[\/path\], e\.g\. http:\/\/127\.0\.0\.1:8788 \(no query or fragment\), got "127\.0\.0\.1:8788"$/
    );
    expect(() => new ExchangeContext({ baseUrl: 'http://127.0.0.1:8788' })).not.toThrow();
  });

  it('fetches the venue timeframe or the next finer one', () => {
    expect(fetchTimeframeFor(getVenue('coinbase'), 'spot', '4h')).toBe('1h');
    expect(fetchTimeframeFor(getVenue('deribit'), 'perp', '4h')).toBe('1h');
    expect(fetchTimeframeFor(getVenue('binance'), 'spot', '4h')).toBe('4h');
    for (const tf of ['3d', '1w', '1M'] as const) {
      expect(fetchTimeframeFor(getVenue('bitstamp'), 'spot', tf)).toBe('1d');
    }
    expect(fetchTimeframeFor(getVenue('okx'), 'openInterest', '1h')).toBe('1h');
  });
});

describe('base URL rewrite', () => {
  it('sends every ccxt api url to <prefix>/<host>/<path>, hostname templates included', async () => {
    for (const id of CCXT_IDS) {
      const ex = new (await loadCcxtClass(id))();
      const before = flatten(ex.urls.api).map((u) => u.replace('{hostname}', ex.hostname ?? ''));
      applyBaseUrl(ex, 'http://127.0.0.1:9/');
      const after = flatten(ex.urls.api);
      expect(after).toHaveLength(before.length);
      after.forEach((u, i) => {
        const orig = new URL(before[i]);
        expect(u).toBe(`http://127.0.0.1:9/${orig.host}${before[i].slice(orig.origin.length)}`);
      });
    }
  });

  it('maps hosts to Grafana route paths; every url of every class gets a local base', async () => {
    for (const id of CCXT_IDS) {
      const ex = new (await loadCcxtClass(id))();
      applyBaseUrl(ex, grafanaBase('/api/datasources/proxy/uid/abc'));
      for (const u of flatten(ex.urls.api)) {
        expect(u.startsWith('/api/datasources/proxy/uid/abc/')).toBe(true);
      }
    }
    const base = grafanaBase('/api/datasources/proxy/uid/abc/');
    expect(rewriteUrl('https://fapi.binance.com/fapi/v1/klines?x=1', base)).toBe(
      '/api/datasources/proxy/uid/abc/binanceusdm-fapi/fapi/v1/klines?x=1'
    );
    expect(rewriteUrl('https://dapi.binance.com/dapi/v1/klines', base)).toBe(
      '/api/datasources/proxy/uid/abc/no-route/dapi.binance.com/dapi/v1/klines'
    );
  });
});

describe('cache intervals', () => {
  // naive model: a set of covered unit cells
  const cells = (list: Interval[]) => {
    const s = new Set<number>();
    for (const [a, b] of list) {
      for (let i = a; i < b; i++) {
        s.add(i);
      }
    }
    return s;
  };
  it('addInterval and subtractIntervals agree with a cell model', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let trial = 0; trial < 200; trial++) {
      let list: Interval[] = [];
      const model = new Set<number>();
      for (let k = 0; k < 6; k++) {
        const a = rnd(60);
        const b = a + rnd(12);
        list = addInterval(list, [a, b]);
        for (let i = a; i < b; i++) {
          model.add(i);
        }
      }
      expect(cells(list)).toEqual(model);
      for (let i = 1; i < list.length; i++) {
        expect(list[i][0]).toBeGreaterThan(list[i - 1][1]); // disjoint, not touching
      }
      const q: Interval = [rnd(40), 40 + rnd(40)];
      const missing = cells(subtractIntervals(q, list));
      const want = new Set<number>();
      for (let i = q[0]; i < q[1]; i++) {
        if (!model.has(i)) {
          want.add(i);
        }
      }
      expect(missing).toEqual(want);
    }
  });

  it('evicts the least recently used series beyond the point cap', () => {
    const c = new SeriesCache(10);
    c.commit(
      'a',
      [
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 1],
      ],
      [0, 5]
    );
    c.commit(
      'b',
      [
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 1],
      ],
      [0, 5]
    );
    c.get('a'); // a is now the most recent
    c.commit(
      'c',
      [
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 1],
      ],
      [0, 5]
    );
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.size).toEqual({ series: 2, points: 8 });
    expect(c.rows('c', 2, 4).map((r) => r[0])).toEqual([2, 3]);
  });
});

describe('faults and funding helpers', () => {
  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('classifies transient and permanent failures', () => {
    expect(classifyError(new TransientHttpError(429, 'u', 1000))).toMatchObject({
      kind: 'rateLimit',
      retryable: true,
      retryAfterMs: 1000,
    });
    expect(classifyError(new TransientHttpError(503, 'u'))).toMatchObject({ kind: 'server', retryable: true });
    const timeout = new Error('x');
    timeout.name = 'RequestTimeout';
    expect(classifyError(timeout)).toMatchObject({ kind: 'timeout', retryable: true });
    expect(classifyError(new TypeError('cannot read x of undefined'))).toMatchObject({
      kind: 'malformed',
      retryable: false,
    });
  });

  it('reads Kraken Futures analytics as parallel arrays, and rejects arrays of different lengths', () => {
    const ok = { result: { timestamp: [1_700_000_000, 1_700_003_600], data: [5, [1, 2, 3, 7]], more: false } };
    // contract size 1: values are coins; an OHLC item gives its close
    expect(krakenAnalyticsRows(ok, 'oi', 1, 'krakenfutures')).toEqual([
      [1_700_000_000_000, 5],
      [1_700_003_600_000, 7],
    ]);
    const bad = { result: { timestamp: [1_700_000_000, 1_700_003_600, 1_700_007_200], data: [5, 6] } };
    expect(() => krakenAnalyticsRows(bad, 'oi', 1, 'krakenfutures')).toThrow(MalformedPayloadError);
    expect(() => krakenAnalyticsRows(bad, 'oi', 1, 'krakenfutures')).toThrow('oi: 3 timestamps for 2 values');
  });

  it('infers the funding interval from the spacing of points', () => {
    const pts = (h: number, n: number) =>
      Array.from({ length: n }, (_, i) => [i * h * 3_600_000, 0.0001] as [number, number]);
    expect(inferIntervalHours(pts(8, 10), 1)).toBe(8);
    expect(inferIntervalHours(pts(1, 10), 8)).toBe(1);
    expect(inferIntervalHours(pts(4, 10), 8)).toBe(4);
    expect(inferIntervalHours(pts(8, 2), 1)).toBe(1); // too few points: registry value
  });
});

describe('window walk', () => {
  const HOUR = 3_600_000;
  // a venue holding a point every `spacing` ms from t0, answering with at most n rows of [since, until]
  const venueRows = (t0: number, spacing: number, count: number) =>
    Array.from({ length: count }, (_, i) => t0 + i * spacing);
  const makeJob = (start: number, end: number) => ({
    ctx: new ExchangeContext({ retries: 0 }),
    venue: getVenue('bybit'),
    ex: {} as never,
    market: { id: 'X', symbol: 'X', base: 'X', quote: 'USDT', type: 'swap', info: {} },
    tf: '1h' as const,
    kind: 'funding' as const,
    start,
    end,
    now: end,
  });

  it.each([
    ['oldest first', 'first'],
    ['newest first (latest n of the window)', 'last'],
  ])('finds every row when the true spacing is half the assumed one: venue answers %s', async (_name, take) => {
    const times = venueRows(0, 4 * HOUR, 1000); // 4h points
    let calls = 0;
    const page = async (since: number, n: number, until: number) => {
      calls++;
      const inRange = times.filter((t) => t >= since && t <= until);
      const picked = take === 'first' ? inRange.slice(0, n) : inRange.slice(-n);
      return picked.map((t) => [t, 1] as [number, number]);
    };
    const r = await windowed(makeJob(0, 1000 * 4 * HOUR), 'test', 8 * HOUR, 100, page, 1);
    const got = [...new Set(r.rows.map((x) => x[0]))].sort((a, b) => a - b);
    expect(got).toEqual(times);
    expect(calls).toBeLessThanOrEqual(12); // 1000 rows / 100 per page, plus a little
  });

  it('an empty window after data fails; before the first row it is asked twice, then skipped', async () => {
    const times = venueRows(50 * HOUR, HOUR, 100);
    const asked: number[] = [];
    const page = async (since: number, n: number, until: number) => {
      asked.push(since);
      return times
        .filter((t) => t >= since && t <= until)
        .slice(0, n)
        .map((t) => [t, 1] as [number, number]);
    };
    const r = await windowed(makeJob(0, 150 * HOUR), 'test', HOUR, 40, page);
    expect(r.firstAvailable).toBe(50 * HOUR);
    expect(r.rows).toHaveLength(100);
    expect(asked.slice(0, 2)).toEqual([0, 0]); // the empty first window, asked twice
    const holey = async (since: number, n: number, until: number) =>
      since >= 80 * HOUR && since < 100 * HOUR ? [] : page(since, n, until);
    await expect(windowed(makeJob(0, 150 * HOUR), 'test', HOUR, 20, holey)).rejects.toThrow(/test: no rows for/);
  });
});
