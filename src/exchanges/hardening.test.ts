/** @jest-environment node */
/**
 * Issue 16 (and the exchange-layer items of issue 13) against the in-process mock exchange server: hostile market ids
 * stay inside their `/<host>/` prefix, mirror URLs are checked where they are used, credentials never reach a message,
 * known-empty ranges (before a venue's first data, current-only OI for a past range) are skipped without a request
 * and counted as not applicable, and progress is reported as each series starts and ends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { marketSnapshot, setSimNow, SIM_ASSETS } from '../../mock/market';
import { startMockServer, type MockServer } from '../../mock/server';
import { BtcFlowInputError } from '../core/errors';
import { checkMirrorUrl, encodePathValue, mirrorUrlProblem } from './baseUrl';
import { ExchangeContext, type ExchangeOptions } from './context';
import { VenueError } from './errors';
import { fetchBundle, type BundleProgress } from './fetchBundle';
import { marketLabel } from './fetchers';
import { fetchSeries } from './fetchSeries';
import { firstDataMs, getVenue, VENUES } from './registry';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 10, 20, 13, 30, 0);

let srv: MockServer;
beforeAll(async () => {
  setSimNow(NOW);
  for (const a of SIM_ASSETS) {
    marketSnapshot(a, NOW);
  }
  srv = await startMockServer({ port: 0 });
});
afterAll(async () => {
  await srv.close();
  setSimNow(null);
});
beforeEach(() => {
  srv.setFaults([]);
  srv.resetStats();
});

const ctxOf = (o: ExchangeOptions = {}) =>
  new ExchangeContext({ baseUrl: srv.url, now: () => NOW, backoffMs: 20, retries: 1, timeoutMs: 10_000, ...o });
const requestsTo = (venue: string) => srv.stats().byVenue[venue] ?? 0;

/** A mirror in front of the mock that swaps coinbase's BTC-USD product id for `hostileId`, and logs every path. */
async function hostileMirror(hostileId: string): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    const upstream = srv.url + (req.url ?? '/');
    fetch(upstream, { method: req.method })
      .then(async (r) => {
        let body = await r.text();
        if (/^\/api\.coinbase\.com\/api\/v3\/brokerage\/market\/products(\?|$)/.test(req.url ?? '')) {
          body = body.replace(/"product_id":"BTC-USD"/g, `"product_id":${JSON.stringify(hostileId)}`);
        }
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(body);
      })
      .catch(() => {
        res.writeHead(502);
        res.end();
      });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

describe('market ids from a venue answer (item 8)', () => {
  const HOSTILE = '../../../../../../evil/path?x=';

  it('a hostile coinbase product id is refused, and no request leaves the /<host>/ prefix', async () => {
    const mirror = await hostileMirror(HOSTILE);
    try {
      const ctx = new ExchangeContext({ baseUrl: mirror.url, now: () => NOW, retries: 0, timeoutMs: 10_000 });
      const err = await fetchSeries(
        { venue: 'coinbase', kind: 'spot', asset: 'BTC', timeframe: '1d', from: NOW - 10 * DAY, to: NOW },
        ctx
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VenueError);
      expect((err as Error).message).toMatch(/coinbase: refused market id .*evil.* for BTC/);
      expect(mirror.paths.length).toBeGreaterThan(0);
      for (const p of mirror.paths) {
        expect(p.startsWith('/api.coinbase.com/')).toBe(true);
      }
    } finally {
      await mirror.close();
    }
  });

  it('a value ccxt fills into a URL path is percent-encoded: the request stays under its prefix', async () => {
    const mirror = await hostileMirror('BTC-USD'); // an honest list; the hostile id is forced into the market below
    try {
      const ctx = new ExchangeContext({ baseUrl: mirror.url, now: () => NOW, retries: 0, timeoutMs: 10_000 });
      const ex = await ctx.markets(getVenue('coinbase'));
      const m = ex.markets!['BTC/USD'];
      m.id = HOSTILE;
      await ex.fetchOHLCV('BTC/USD', '1d', NOW - 5 * DAY, 3).catch(() => undefined); // the mock answers 404
      const candlePaths = mirror.paths.filter((p) => p.includes('candles'));
      expect(candlePaths.length).toBe(1);
      expect(candlePaths[0]).toMatch(
        /^\/api\.coinbase\.com\/api\/v3\/brokerage\/market\/products\/\.\.%2F\.\.%2F.*evil%2Fpath%3Fx%3D\/candles\?/
      );
      for (const p of mirror.paths) {
        expect(p.startsWith('/api.coinbase.com/')).toBe(true);
        expect(p).not.toMatch(/^\/evil/);
      }
    } finally {
      await mirror.close();
    }
  });

  it('the fx market (looked up by symbol) is checked too: a hostile USDT-USD id is refused', async () => {
    const mirror = await hostileMirror('BTC-USD');
    try {
      const ctx = new ExchangeContext({ baseUrl: mirror.url, now: () => NOW, retries: 0, timeoutMs: 10_000 });
      const ex = await ctx.markets(getVenue('coinbase'));
      ex.markets!['USDT/USD'].id = 'USDT-USD/../../x';
      const err = await fetchSeries(
        { venue: 'coinbase', kind: 'fx', asset: 'BTC', timeframe: '1d', from: NOW - 10 * DAY, to: NOW },
        ctx
      ).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/^coinbase: refused market id "USDT-USD\/\.\.\/\.\.\/x" of USDT\/USD/);
      expect(mirror.paths.some((p) => p.includes('candles'))).toBe(false);
    } finally {
      await mirror.close();
    }
  });

  it('encodePathValue encodes separators and all-dot segments', () => {
    expect(encodePathValue('../a?b=#')).toBe('..%2Fa%3Fb%3D%23');
    expect(encodePathValue('..')).toBe('%2E%2E');
    expect(encodePathValue('BTC-USD')).toBe('BTC-USD');
  });

  it("every registry venue's BTC market id matches its own id pattern", () => {
    for (const v of VENUES) {
      if (v.id !== 'hyperliquid') {
        expect([v.id, v.idPattern.test(v.btc.nativeId)]).toEqual([v.id, true]);
      }
    }
    expect(getVenue('hyperliquid').idPattern.test('0')).toBe(true); // ccxt's hyperliquid ids are asset indexes
  });

  it('a numeric market id is named by its symbol in messages (hyperliquid "0")', () => {
    expect(marketLabel({ id: '0', symbol: 'BTC/USDC:USDC' } as never)).toBe('BTC/USDC:USDC');
    expect(marketLabel({ id: 'BTC-USD', symbol: 'BTC/USD' } as never)).toBe('BTC-USD');
  });
});

describe('mirror / base URL checked where it is used (item 9) and credentials never printed (item 7)', () => {
  it.each([
    ['http://u:s3cret@127.0.0.1:8788', /user name or password/],
    ['ftp://127.0.0.1', /expected http\(s\):\/\/host\[:port\]\[\/path\]/],
    ['http://127.0.0.1:8788/?x=1', /no query or fragment/],
    ['http://127.0.0.1:8788/a/../b', /bad path/],
    ['http://127.0.0.1:99999', /bad host or port/],
    ['http://', /bad host or port/],
    ['javascript:alert(1)', /expected http/],
  ])('refuses %s with a field-named error, the password hidden', (url, re) => {
    let err: unknown;
    try {
      new ExchangeContext({ baseUrl: url });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtcFlowInputError);
    expect((err as Error).message).toMatch(/^baseUrl: /);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain('s3cret');
    expect(mirrorUrlProblem(url)).toMatch(/^mirrorUrl: /);
  });

  it('accepts host[:port][/path] and drops trailing slashes', () => {
    expect(checkMirrorUrl(' http://127.0.0.1:8788/ ')).toBe('http://127.0.0.1:8788');
    expect(checkMirrorUrl('https://mirror.example.com/btc-flow/v1/')).toBe('https://mirror.example.com/btc-flow/v1');
    expect(checkMirrorUrl('http://[::1]:8788')).toBe('http://[::1]:8788');
    expect(mirrorUrlProblem('')).toBeUndefined();
    expect(mirrorUrlProblem(undefined)).toBeUndefined();
  });

  it('a venue error never carries URL userinfo', () => {
    const e = new VenueError('bybit', 'network', 'fetch failed for https://user:pw@mirror.example.com/api.bybit.com/x');
    expect(e.message).toBe('bybit: fetch failed for https://***@mirror.example.com/api.bybit.com/x');
  });

  it('timeouts below the documented minimum (1 s) are refused', () => {
    expect(() => new ExchangeContext({ timeoutMs: 1 })).toThrow(/^timeoutMs: at least 1000 ms \(1 s\), got 1$/);
  });
});

describe('known-empty ranges are not paged (item 5, issue 13)', () => {
  it('bybit-inverse open interest from 2019 (before its OI history): no failure, nothing asked before 2020-08-10', async () => {
    // the range of `metrics --timeframe 1w --from 2020-01-01` (52 weeks of warm-up)
    const from = Date.UTC(2019, 0, 2);
    const r = await fetchSeries(
      { venue: 'bybit-inverse', kind: 'openInterest', asset: 'BTC', timeframe: '1w', from, to: Date.UTC(2021, 0, 1) },
      ctxOf()
    );
    const first = firstDataMs(getVenue('bybit-inverse'), 'openInterest');
    expect(first).toBe(Date.UTC(2020, 7, 10));
    expect(r.series.points[0][0]).toBe(first);
    expect(r.series.points.length).toBe((Date.UTC(2021, 0, 1) - first) / DAY);
    expect(r.notices.join('\n')).toMatch(/openInterest not asked before 2020-08-10/);
    const oiRequests = srv.stats().log.filter((e) => e.venue === 'bybit' && e.query.startTime !== undefined);
    expect(oiRequests.length).toBeGreaterThan(0);
    for (const e of oiRequests) {
      expect(Number(e.query.startTime)).toBeGreaterThanOrEqual(first); // nothing asked for 2019 or early 2020
    }
  });

  it('the same through fetchBundle: bybit and bybit-inverse OI are fetched, not failed', async () => {
    const r = await fetchBundle(
      {
        asset: 'BTC',
        timeframe: '1w',
        from: Date.UTC(2019, 0, 2),
        to: Date.UTC(2021, 0, 1),
        venues: ['bybit', 'bybit-inverse'],
        kinds: ['openInterest'],
      },
      ctxOf()
    );
    expect(r.failed).toEqual([]);
    expect(r.bundle.series.map((s) => `${s.venue} ${s.kind}`).sort()).toEqual([
      'bybit openInterest',
      'bybit-inverse openInterest',
    ]);
  });

  it('hyperliquid funding for 2021 (before the venue existed): not applicable, zero requests', async () => {
    const req = {
      venue: 'hyperliquid',
      kind: 'funding' as const,
      asset: 'BTC',
      timeframe: '1d' as const,
      from: Date.UTC(2021, 0, 1),
      to: Date.UTC(2022, 0, 1),
    };
    const err = await fetchSeries(req, ctxOf()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VenueError);
    expect((err as VenueError).kind).toBe('notApplicable');
    expect((err as Error).message).toMatch(/hyperliquid: funding: no data before 2023-05-01/);
    expect(requestsTo('hyperliquid')).toBe(0);

    const r = await fetchBundle(
      { asset: 'BTC', timeframe: '1d', from: req.from, to: req.to, venues: ['hyperliquid'], kinds: ['funding'] },
      ctxOf()
    );
    expect(r.failed).toEqual([]);
    expect(r.notApplicable).toEqual([expect.objectContaining({ venue: 'hyperliquid', kind: 'funding' })]);
    expect(r.notices).toEqual([
      expect.objectContaining({ level: 'info', message: expect.stringMatching(/hyperliquid: funding not applicable/) }),
    ]);
    expect(requestsTo('hyperliquid')).toBe(0);
  });

  it('current-only OI (deribit, bitget, hyperliquid) for a past range: "current value only", not applicable', async () => {
    const r = await fetchBundle(
      {
        asset: 'BTC',
        timeframe: '1d',
        from: NOW - 60 * DAY,
        to: NOW - 30 * DAY,
        venues: ['deribit', 'bitget', 'hyperliquid'],
        kinds: ['openInterest'],
      },
      ctxOf()
    );
    expect(r.failed).toEqual([]);
    expect(r.notApplicable.map((x) => x.venue).sort()).toEqual(['bitget', 'deribit', 'hyperliquid']);
    for (const n of r.notices) {
      expect(n.level).toBe('info');
      expect(n.message).toMatch(/openInterest not applicable: openInterest: current value only/);
    }
    // a range that reaches now still gets the current value
    const live = await fetchBundle(
      { asset: 'BTC', timeframe: '1d', from: NOW - 3 * DAY, to: NOW, venues: ['deribit'], kinds: ['openInterest'] },
      ctxOf()
    );
    expect(live.bundle.series.length).toBe(1);
    expect(live.notApplicable).toEqual([]);
  });
});

describe('known retention: a range older than what the venue keeps is not applicable (item 5)', () => {
  it('kraken fx (latest 720 candles) and binanceusdm OI (30 days) for 2020: no request, fx falls back', async () => {
    const from = Date.UTC(2020, 0, 1);
    const to = Date.UTC(2020, 6, 1);
    const r = await fetchBundle(
      { asset: 'BTC', timeframe: '1d', from, to, venues: ['binanceusdm'], kinds: ['openInterest', 'fx'] },
      ctxOf()
    );
    expect(r.notApplicable.map((x) => `${x.venue} ${x.kind}: ${x.reason}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^binanceusdm openInterest: openInterest: the venue keeps only 30 days of open-interest history/
        ),
        expect.stringMatching(/^kraken fx: fx: the venue keeps only its latest 720 1d candles \(from 20\d\d-/),
      ])
    );
    expect(r.failed.filter((x) => x.venue !== 'coinbase')).toEqual([]);
    expect(requestsTo('kraken')).toBe(0);
    expect(srv.stats().byVenue['binanceusdm'] ?? 0).toBe(0);
  });
});

describe('progress (item 6)', () => {
  it('each series reports its start before its end; the counter never shows 0 done after an end', async () => {
    const events: BundleProgress[] = [];
    await fetchBundle(
      {
        asset: 'BTC',
        timeframe: '1d',
        from: NOW - 10 * DAY,
        to: NOW,
        venues: ['coinbase', 'bybit', 'deribit'],
      },
      ctxOf(),
      (p) => events.push(p)
    );
    const key = (p: BundleProgress) => `${p.venue}/${p.kind}`;
    const starts = events.filter((p) => p.phase === 'start').map(key);
    const ends = events.filter((p) => p.phase === 'end' && p.status !== 'fallback').map(key);
    expect(new Set(starts)).toEqual(new Set(ends));
    for (const k of ends) {
      expect(events.findIndex((p) => key(p) === k && p.phase === 'start')).toBeLessThan(
        events.findIndex((p) => key(p) === k && p.phase === 'end')
      );
    }
    const endEvents = events.filter((p) => p.phase === 'end' && p.status !== 'fallback');
    expect(endEvents.map((p) => p.done)).toEqual(endEvents.map((_, i) => i + 1));
    expect(endEvents[endEvents.length - 1].done).toBe(endEvents[0].total);
  });
});

describe('mock /__health', () => {
  it('lists each venue once', async () => {
    const h = (await (await fetch(srv.url + '/__health')).json()) as { venues: string[] };
    expect(h.venues.length).toBe(new Set(h.venues).size);
    expect(h.venues).toContain('binance');
  });
});
