/** @jest-environment node */
/**
 * Cancellation in the exchange layer: shared jobs counted per caller, abortable waits, and a fetch cancelled while
 * its HTTP request hangs at the mock exchange server (real ccxt, Node's HTTP client).
 */
import { marketSnapshot, setSimNow } from '../../mock/market';
import { startMockServer, type MockServer } from '../../mock/server';
import { abortableSleep, AbortedError, SharedJobs } from './abort';
import { ExchangeContext } from './context';
import { fetchSeries } from './fetchSeries';

jest.setTimeout(60_000);

/** A job the test settles by hand, recording the signal it was given. */
function manualJob<T>() {
  let resolve!: (v: T) => void;
  let signal!: AbortSignal;
  let starts = 0;
  const work = (s: AbortSignal) => {
    starts++;
    signal = s;
    return new Promise<T>((r) => {
      resolve = r;
    });
  };
  return { work, resolve: (v: T) => resolve(v), signal: () => signal, starts: () => starts };
}

describe('SharedJobs', () => {
  it('callers of one key share one job and its value', async () => {
    const jobs = new SharedJobs();
    const j = manualJob<number>();
    const a = jobs.run('k', j.work);
    const b = jobs.run('k', j.work, new AbortController().signal);
    expect(j.starts()).toBe(1);
    expect(jobs.refs('k')).toBe(2);
    j.resolve(7);
    await expect(a).resolves.toBe(7);
    await expect(b).resolves.toBe(7);
    expect(jobs.keys()).toEqual([]);
  });

  it('a caller that leaves gets an AbortedError at once; the job goes on for the caller still waiting', async () => {
    const jobs = new SharedJobs();
    const j = manualJob<string>();
    const leaving = new AbortController();
    const a = jobs.run('k', j.work, leaving.signal);
    const b = jobs.run('k', j.work, new AbortController().signal);
    leaving.abort();
    await expect(a).rejects.toBeInstanceOf(AbortedError);
    expect(j.signal().aborted).toBe(false);
    expect(jobs.refs('k')).toBe(1);
    j.resolve('done');
    await expect(b).resolves.toBe('done');
  });

  it('the job is aborted when its last caller leaves, and a later caller starts a fresh one', async () => {
    const jobs = new SharedJobs();
    const j = manualJob<number>();
    const c1 = new AbortController();
    const c2 = new AbortController();
    const a = jobs.run('k', j.work, c1.signal);
    const b = jobs.run('k', j.work, c2.signal);
    c1.abort();
    expect(j.signal().aborted).toBe(false);
    c2.abort();
    expect(j.signal().aborted).toBe(true);
    await expect(a).rejects.toBeInstanceOf(AbortedError);
    await expect(b).rejects.toBeInstanceOf(AbortedError);
    expect(jobs.keys()).toEqual([]);
    const c = jobs.run('k', j.work);
    expect(j.starts()).toBe(2);
    expect(j.signal().aborted).toBe(false);
    j.resolve(3);
    await expect(c).resolves.toBe(3);
  });

  it('a caller without a signal keeps the job alive', async () => {
    const jobs = new SharedJobs();
    const j = manualJob<number>();
    const c = new AbortController();
    const keep = jobs.run('k', j.work);
    const leave = jobs.run('k', j.work, c.signal);
    c.abort();
    await expect(leave).rejects.toBeInstanceOf(AbortedError);
    expect(j.signal().aborted).toBe(false);
    j.resolve(1);
    await expect(keep).resolves.toBe(1);
  });

  it('an already aborted signal starts nothing', async () => {
    const jobs = new SharedJobs();
    const j = manualJob<number>();
    const c = new AbortController();
    c.abort();
    await expect(jobs.run('k', j.work, c.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(j.starts()).toBe(0);
  });
});

describe('abortableSleep', () => {
  it('ends at once with an AbortedError when its signal aborts', async () => {
    const c = new AbortController();
    const t0 = Date.now();
    const p = abortableSleep(10_000, c.signal);
    setTimeout(() => c.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('a fetch cancelled while its request hangs at the mock', () => {
  const NOW = Date.UTC(2025, 10, 20, 13, 30, 0);
  let mock: MockServer;
  beforeAll(async () => {
    setSimNow(NOW);
    marketSnapshot('BTC', NOW);
    mock = await startMockServer({ port: 0 });
  });
  afterAll(async () => {
    await mock.close();
    setSimNow(null);
  });

  it('rejects with an AbortedError long before the timeout, sends no retry, and the next call starts afresh', async () => {
    const ctx = new ExchangeContext({ baseUrl: mock.url, now: () => NOW, timeoutMs: 20_000, retries: 3 });
    const req = {
      venue: 'bybit',
      kind: 'perp' as const,
      asset: 'BTC',
      timeframe: '1d' as const,
      from: NOW - 30 * 86_400_000,
      to: NOW,
    };
    mock.setFaults([{ venue: 'bybit', endpoint: 'klines', type: 'hang', hangMs: 15_000, times: 1 }]);
    const c = new AbortController();
    const p = fetchSeries(req, ctx, c.signal);
    // wait until the kline request hangs at the mock
    while (!mock.stats().log.some((e) => e.endpoint === 'klines') && !mock.faults().some((f) => f.fired > 0)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    c.abort();
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 300));
    // one kline request reached the mock (the hanging one): no retry after the abort
    expect(mock.faults()[0].fired).toBe(1);
    const klinesAfterAbort = mock.stats().log.filter((e) => e.endpoint === 'klines' && e.at >= t0);
    expect(klinesAfterAbort).toEqual([]);
    expect(ctx.jobs.keys()).toEqual([]);
    // the fault is spent: a new call fetches normally
    const r = await fetchSeries(req, ctx);
    expect(r.series.points.length).toBe(31);
  });
});

describe('ExchangeContext.limit (requests in flight, by priority)', () => {
  it('runs at most maxConcurrent at once; waiting ones start by priority, then in arrival order; an aborted one leaves', async () => {
    const ctx = new ExchangeContext({ maxConcurrent: 2 });
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const job = (name: string, priority: number, signal?: AbortSignal) =>
      ctx.limit(
        priority,
        () =>
          new Promise<string>((resolve) => {
            started.push(name);
            gates.set(name, () => resolve(name));
          }),
        signal
      );
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const a = job('a', 2);
    const b = job('b', 2);
    const fundingWaits = job('funding', 2);
    const cancel = new AbortController();
    const cancelled = job('oi-cancelled', 1, cancel.signal);
    const oi = job('oi', 1);
    const price = job('price', 0);
    await tick();
    expect(started).toEqual(['a', 'b']);
    cancel.abort();
    await expect(cancelled).rejects.toBeInstanceOf(AbortedError);
    gates.get('a')!();
    await a;
    await tick();
    expect(started).toEqual(['a', 'b', 'price']);
    gates.get('b')!();
    gates.get('price')!();
    await Promise.all([b, price]);
    await tick();
    expect(started).toEqual(['a', 'b', 'price', 'oi', 'funding']);
    gates.get('oi')!();
    gates.get('funding')!();
    await expect(Promise.all([oi, fundingWaits])).resolves.toEqual(['oi', 'funding']);
  });
});
