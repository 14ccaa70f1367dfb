/**
 * Test harness for the venue mocks: real ccxt classes pointed at the in-process mock server.
 *
 * The URL rewrite is the one the exchange layer uses: every string in `exchange.urls.api`
 * (recursively, after `implodeHostname`) has `https://<host>` replaced by `<base>/<host>`.
 * `assertAllLocal` fails loudly if any API url would still leave 127.0.0.1, so a test can never
 * reach a real exchange.
 */
import { setSimNow } from '../market';
import { startMockServer, type MockServer } from '../server';
import type { VenueMock } from '../types';

/** The part of a ccxt Exchange instance the harness touches. */
export interface CcxtLike {
  urls: Record<string, unknown>;
  implodeHostname(url: string): string;
}

/** Rewrite every API url of a ccxt instance to `<base>/<host>/<path>`. */
export function rewriteApiUrls(ex: CcxtLike, base: string): void {
  const rewrite = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const imploded = ex.implodeHostname(node);
      return imploded.replace(/^https?:\/\/([^/]+)/, (_m, host: string) => `${base}/${host}`);
    }
    if (Array.isArray(node)) {
      return node.map(rewrite);
    }
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = rewrite(v);
      }
      return out;
    }
    return node;
  };
  ex.urls.api = rewrite(ex.urls.api);
}

/** Every url under `urls.api`, flattened. */
export function apiUrls(ex: CcxtLike): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (typeof node === 'string') {
      out.push(node);
    } else if (node && typeof node === 'object') {
      Object.values(node).forEach(walk);
    }
  };
  walk(ex.urls.api);
  return out;
}

/** Throws unless every API url points at 127.0.0.1. */
export function assertAllLocal(ex: CcxtLike): void {
  const urls = apiUrls(ex);
  if (urls.length === 0) {
    throw new Error('ccxt instance has no API urls');
  }
  const bad = urls.filter((u) => !u.startsWith('http://127.0.0.1:'));
  if (bad.length > 0) {
    throw new Error(`API urls not rewritten to the mock (refusing to contact a real host): ${bad.join(', ')}`);
  }
}

type Ctor<T> = new (config: Record<string, unknown>) => T;

/** A ccxt instance of `Klass` talking to the mock at `base`, with the given options. */
export function makeExchange<T extends CcxtLike>(
  Klass: Ctor<T>,
  base: string,
  options: Record<string, unknown> = {}
): T {
  const ex = new Klass({ enableRateLimit: true, rateLimit: 1, timeout: 20_000, options });
  rewriteApiUrls(ex, base);
  assertAllLocal(ex);
  return ex;
}

/** Starts a mock server serving only `venue`. */
export function startVenueServer(venue: VenueMock): Promise<MockServer> {
  return startMockServer({ port: 0, venues: [venue] });
}

/**
 * The jest set-up of a venue test file: before all its tests the simulated clock is set to `now` and a server
 * serving only `venue` is started; before each test the server's stats and faults are cleared; after all tests
 * the server is closed and the clock released. Returns the server: a stand-in forwarding to the one started in
 * beforeAll (so it can be held in a top-level const).
 */
export function venueServerForTests(venue: VenueMock, now: number): MockServer {
  let current: MockServer | undefined;
  const live = (): MockServer => {
    if (!current) {
      throw new Error('the venue mock server runs only inside the tests (it starts in beforeAll)');
    }
    return current;
  };
  beforeAll(async () => {
    setSimNow(now);
    current = await startVenueServer(venue);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
    setSimNow(null);
  });
  beforeEach(() => {
    live().resetStats();
    live().setFaults([]);
  });
  return new Proxy({} as MockServer, {
    get: (_target, key) => {
      const srv = live();
      const value: unknown = Reflect.get(srv, key);
      return typeof value === 'function' ? value.bind(srv) : value;
    },
  });
}

/** `ex` with its markets loaded, and the server's stats cleared afterwards (a test then counts only its own requests). */
export async function withMarkets<T extends CcxtLike & { loadMarkets(): Promise<unknown> }>(
  ex: T,
  srv: MockServer
): Promise<T> {
  await ex.loadMarkets();
  srv.resetStats();
  return ex;
}

/** Requests seen by the server for one endpoint name. */
export function countEndpoint(srv: MockServer, venueId: string, endpoint: string): number {
  return srv.stats().byEndpoint[`${venueId}:${endpoint}`] ?? 0;
}

/** The query strings the server saw for one endpoint, oldest first. */
export function queriesFor(srv: MockServer, endpoint: string): Array<Record<string, string>> {
  return srv
    .stats()
    .log.filter((e) => e.endpoint === endpoint)
    .map((e) => e.query);
}
