/**
 * Cancellation for the exchange layer: an error that says "the caller left", shared jobs counted by subscriber (a
 * coalesced request is aborted only when its last caller leaves), and a per-call view of a shared ccxt instance
 * whose HTTP requests follow an AbortSignal. Grafana-free; the data source's Observable teardown and the CLI both
 * reach it through plain AbortSignals.
 */
import type { CcxtExchange } from './ccxtLoader';

/** Thrown when a caller's signal aborted: never retried, never a venue failure, never cached. */
export class AbortedError extends Error {
  constructor(what = 'request') {
    super(`${what}: cancelled`);
    // not 'AbortError': ccxt turns errors of that name into RequestTimeout, which would be retried
    this.name = 'BtcFlowAborted';
  }
}

export function isAborted(e: unknown): e is AbortedError {
  return e instanceof AbortedError;
}

/** Throws an AbortedError when the signal has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) {
    throw new AbortedError(what);
  }
}

const handlers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Runs `fn` once when `signal` aborts; returns the function that unregisters it. One listener per signal however
 * many callers wait on it (Node warns past 10 listeners on one EventTarget, and a query has dozens of series).
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = handlers.get(signal);
  if (!set) {
    const created = new Set<() => void>();
    handlers.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        for (const h of [...created]) {
          h();
        }
        created.clear();
      },
      { once: true }
    );
    set = created;
  }
  const s = set;
  s.add(fn);
  return () => {
    s.delete(fn);
  };
}

/** Waits `ms`, or rejects with AbortedError as soon as the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError('wait'));
      return;
    }
    const timer = setTimeout(() => {
      off?.();
      resolve();
    }, ms);
    const off = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(new AbortedError('wait'));
        })
      : undefined;
  });
}

/** A signal that aborts when any of the given signals aborts (AbortSignal.any where the runtime has it). */
export function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  const withAny = AbortSignal as unknown as { any?: (s: AbortSignal[]) => AbortSignal };
  if (typeof withAny.any === 'function') {
    return withAny.any(list);
  }
  const c = new AbortController();
  for (const s of list) {
    if (s.aborted) {
      c.abort();
      break;
    }
    onAbort(s, () => c.abort());
  }
  return c.signal;
}

interface Job {
  promise: Promise<unknown>;
  controller: AbortController;
  refs: number;
  settled: boolean;
}

/**
 * Coalescing with reference counts: callers asking for the same key while it runs share one job. Each caller holds
 * a reference until the job settles or the caller's signal aborts; a caller that leaves gets an AbortedError at
 * once, and the job's own signal aborts only when no caller is left. A caller without a signal never leaves.
 */
export class SharedJobs {
  private readonly jobs = new Map<string, Job>();

  /** Keys of the jobs running now (for tests and diagnostics). */
  keys(): string[] {
    return [...this.jobs.keys()];
  }

  /** Live references of a running job (0 when none runs). */
  refs(key: string): number {
    return this.jobs.get(key)?.refs ?? 0;
  }

  run<T>(key: string, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) {
      return Promise.reject(new AbortedError(key));
    }
    let job = this.jobs.get(key);
    if (!job) {
      const controller = new AbortController();
      const created: Job = { promise: Promise.resolve(), controller, refs: 0, settled: false };
      created.promise = work(controller.signal).finally(() => {
        created.settled = true;
        if (this.jobs.get(key) === created) {
          this.jobs.delete(key);
        }
      });
      // a job whose callers all left may reject after they are gone: that rejection is expected
      created.promise.catch(() => undefined);
      this.jobs.set(key, created);
      job = created;
    }
    const j = job;
    j.refs++;
    if (!signal) {
      return j.promise as Promise<T>;
    }
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = () => {
        left = true;
        j.refs--;
        if (j.refs === 0 && !j.settled) {
          if (this.jobs.get(key) === j) {
            this.jobs.delete(key); // a later caller starts afresh
          }
          j.controller.abort();
        }
        reject(new AbortedError(key));
      };
      const off = onAbort(signal, leave);
      j.promise.then(
        (v) => {
          off();
          if (!left) {
            j.refs--;
            resolve(v as T);
          }
        },
        (e: unknown) => {
          off();
          if (!left) {
            j.refs--;
            reject(e);
          }
        }
      );
    });
  }
}

/**
 * A view of a shared ccxt instance for one job: every property and method is the instance's (markets, throttle,
 * URL rewriting, response hook), but its HTTP requests follow `signal`: none starts after the signal aborted, and
 * one in flight is aborted (ccxt's own timeout controller stays in force beside it). `gate` wraps each HTTP request
 * (after ccxt's throttle), e.g. the context's concurrency limit. The instance's fetch client must be loaded first
 * (see `loadFetchClient`).
 */
export function abortableView(
  ex: CcxtExchange,
  signal: AbortSignal,
  gate: <T>(run: () => Promise<T>) => Promise<T> = (run) => run()
): CcxtExchange {
  const view = Object.create(ex) as CcxtExchange;
  // ccxt's implicit endpoint methods (publicGetKlines, …) are arrow functions bound to the instance they were
  // defined on: defined again on the view, they call the view's request → fetch2 → fetch
  if (typeof ex.defineRestApi === 'function' && ex.api && typeof ex.api === 'object') {
    ex.defineRestApi.call(view, ex.api, 'request');
  }
  const baseFetch = ex.fetch as (...a: unknown[]) => Promise<unknown>;
  const link = (params: Record<string, unknown>) => ({
    ...params,
    signal: anySignal([params.signal as AbortSignal | undefined, signal]),
  });
  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      if (signal.aborted) {
        throw new AbortedError(`${ex.id} request`);
      }
      throw e;
    }
  };
  view.fetch = function (this: CcxtExchange, ...args: unknown[]) {
    if (signal.aborted) {
      return Promise.reject(new AbortedError(`${ex.id} request`));
    }
    return guard(() => gate(() => baseFetch.apply(this, args)));
  };
  const impl = ex.fetchImplementation as ((url: string, p: Record<string, unknown>) => Promise<unknown>) | undefined;
  if (typeof impl === 'function') {
    view.fetchImplementation = (url: string, params: Record<string, unknown>) => impl(url, link(params));
  }
  const undici = ex.undiciRequest as ((url: string, p: Record<string, unknown>) => Promise<unknown>) | undefined;
  if (typeof undici === 'function') {
    view.undiciRequest = function (this: CcxtExchange, url: string, params: Record<string, unknown>) {
      return undici.call(this, url, link(params));
    };
  }
  return view;
}

/** Loads the instance's fetch client once (ccxt does it lazily on the first request), so views can wrap it. */
export async function loadFetchClient(ex: CcxtExchange): Promise<void> {
  if (ex.fetchImplementation === undefined && typeof ex.loadFetchImplementation === 'function') {
    await ex.loadFetchImplementation();
  }
}
