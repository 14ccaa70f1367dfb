/** @jest-environment node */
/**
 * Recorder replicas on one PostgreSQL database (a throw-away PostgreSQL 15 server) against the in-process mock
 * exchange server, as real processes (`node --import tsx recorder/cli.ts run --db postgres://…`): first 2 replicas,
 * then 3. Checked: every series is held by exactly one live replica (its advisory lock, seen in pg_locks); after
 * `kill -9` of the holder of a series, another replica holds it within 2 poll intervals; the store has no duplicate
 * row and no gap, and no series was fetched by two replicas; every live replica's API returns the same bundle, equal to
 * the one read from the store directly, and the same store-computed /metrics, with its own health metrics labelled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { startMockServer, type MockServer } from '../mock/server';
import { bundleFromStore, storeStepMs } from './bundle';
import { recordedSeries } from './rest';
import { formatBundle } from '../cli/btc-flow';
import { startTestPostgres, type TestPostgres } from './store/pgtest';
import { LOCK_CLASS_SERIES, openPostgresStore, seriesLockId, type PostgresStore } from './store/postgres';
import { LOCK_APP_PREFIX, seriesId } from './store/pglocks';

jest.setTimeout(180_000);

const H = 3_600_000;
const POLL_MS = 1000;
const VENUES = ['coinbase', 'binanceusdm', 'deribit'];
const SERIES = recordedSeries(['BTC'], ['1h'], VENUES);
const LOCK_OWNER = new Map(SERIES.map((s) => [seriesLockId(s.key) >>> 0, seriesId(s.key)]));

interface Replica {
  id: string;
  proc: ChildProcess;
  url: string;
  log: string[];
}

let pg: TestPostgres;
let dbUrl: string;
let srv: MockServer;
let store: PostgresStore;
let admin: Client;
const replicas: Replica[] = [];

beforeAll(async () => {
  pg = await startTestPostgres({ fsync: 'off' });
  dbUrl = await pg.createDatabase('replicas');
  srv = await startMockServer({ port: 0 });
  store = await openPostgresStore(dbUrl);
  admin = new Client({ connectionString: dbUrl });
  await admin.connect();
});

afterAll(async () => {
  for (const r of replicas) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) {
      r.proc.kill('SIGKILL');
    }
  }
  await admin?.end().catch(() => undefined);
  await store?.close().catch(() => undefined);
  await srv?.close();
  await pg?.stop();
});

function startReplica(id: string): Promise<Replica> {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'cli.ts'),
      'run',
      '--db',
      dbUrl,
      '--port',
      '0',
      '--base-url',
      srv.url,
      '--assets',
      'BTC',
      '--timeframes',
      '1h',
      '--venues',
      VENUES.join(','),
      '--fill-days',
      '1',
      '--poll-interval',
      String(POLL_MS / 1000),
      '--replica-id',
      id,
    ],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'ignore', 'pipe'] }
  );
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          const r = { id, proc, url: m[1], log };
          replicas.push(r);
          resolve(r);
        }
      }
    });
    proc.once('exit', (code) =>
      reject(new Error(`replica ${id} exited (${code}) before listening:\n${log.join('\n')}`))
    );
  });
}

/** series id -> replica ids holding its lock (from pg_locks, the server's view). */
async function holders(): Promise<Map<string, string[]>> {
  const r = await admin.query(
    `SELECT l.objid::bigint AS objid, a.application_name AS app FROM pg_locks l
     JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objsubid = 2`,
    [LOCK_CLASS_SERIES]
  );
  const out = new Map<string, string[]>();
  for (const row of r.rows as Array<{ objid: string; app: string }>) {
    const sid = LOCK_OWNER.get(Number(row.objid));
    if (sid) {
      out.set(sid, [...(out.get(sid) ?? []), String(row.app).slice(LOCK_APP_PREFIX.length)]);
    }
  }
  return out;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(
        `timed out waiting for ${what} ${lastMismatch}\n${replicas.map((r) => r.log.join('\n')).join('\n')}`
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every series held by exactly one of `live`, each of them holding at least one. */
async function waitBalanced(live: Replica[]): Promise<Map<string, string[]>> {
  const ids = new Set(live.map((r) => r.id));
  return waitFor(`every series held by exactly one of ${[...ids].join(', ')}`, async () => {
    const h = await holders();
    const ok =
      SERIES.every((s) => h.get(seriesId(s.key))?.length === 1 && ids.has(h.get(seriesId(s.key))![0])) &&
      [...ids].every((id) => [...h.values()].some((v) => v[0] === id));
    return ok && h;
  });
}

/** Every grid series stored up to the last closed bar with no gap, and no duplicate row anywhere. */
let lastMismatch = '';
async function checkStore(): Promise<void> {
  await waitFor('all series filled to the last closed bar', async () => {
    const openBar = Math.floor(Date.now() / H) * H;
    for (const s of SERIES) {
      if (s.currentOnly || s.key.timeframe === '*') {
        continue;
      }
      const st = await store.seriesStats(s.key, storeStepMs(s.key.timeframe));
      if (st.last !== openBar - H || st.first === null || st.first > openBar - 24 * H || st.gaps.length) {
        lastMismatch = `${seriesId(s.key)}: first ${st.first}, last ${st.last}, gaps ${JSON.stringify(st.gaps)}; open bar ${openBar}`;
        return false;
      }
    }
    return true;
  });
  const [d] = (
    await admin.query('SELECT count(*) AS n, count(DISTINCT (asset, venue, kind, timeframe, ts)) AS d FROM points')
  ).rows as Array<{ n: string; d: string }>;
  expect(Number(d.n)).toBeGreaterThan(0);
  expect(Number(d.d)).toBe(Number(d.n));
}

async function killHolderAndTime(live: Replica[]): Promise<{ victim: Replica; series: string; ms: number }> {
  const h = await holders();
  const victim = live[0];
  const series = [...h.entries()].find(([, v]) => v[0] === victim.id)![0];
  const exited = new Promise((r) => victim.proc.once('exit', r));
  const t0 = Date.now();
  victim.proc.kill('SIGKILL');
  const taker = await waitFor('takeover', async () => {
    const now = await holders();
    const who = now.get(series);
    return who && who.length === 1 && who[0] !== victim.id && who[0];
  });
  const ms = Date.now() - t0;
  await exited;
  expect(live.map((r) => r.id)).toContain(taker);
  return { victim, series, ms };
}

async function bundles(live: Replica[]): Promise<string[]> {
  const to = Math.floor(Date.now() / H) * H - H;
  const from = to - 12 * H;
  const q = `/api/v1/bundle?asset=BTC&timeframe=1h&from=${from}&to=${to}&venues=coinbase,binanceusdm`;
  return Promise.all(
    live.map(async (r) => {
      const res = await fetch(r.url + q);
      expect(res.status).toBe(200);
      return res.text();
    })
  );
}

test('2 then 3 replicas: one holder per series, takeover within 2 poll intervals after kill -9, same data everywhere', async () => {
  // 2 replicas
  const [r1, r2] = await Promise.all([startReplica('r1'), startReplica('r2')]);
  await waitBalanced([r1, r2]);
  await checkStore();
  const seen = new Map<string, number>();
  for (const e of srv.stats().log) {
    const id = `${e.path}?${new URLSearchParams(e.query).toString()}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  // no history was fetched twice: the only requests seen more than once are the market lists each process loads
  // once, and deribit's current open interest, which its holder snapshots at every poll by design
  const twice = [...seen].filter(([, count]) => count > 1).map(([id]) => id);
  expect(twice.filter((id) => !id.endsWith('?') && !id.startsWith('/api/v2/public/get_book_summary'))).toEqual([]);
  expect(seen.size).toBeGreaterThan(SERIES.length);
  const a = await killHolderAndTime([r1, r2]);
  expect(a.ms).toBeLessThanOrEqual(2 * POLL_MS);
  // the survivor takes everything over
  await waitBalanced([r2]);
  await checkStore();

  // 3 replicas: two more join, the work spreads out again
  const [r3, r4] = await Promise.all([startReplica('r3'), startReplica('r4')]);
  const live = [r2, r3, r4];
  await waitBalanced(live);
  const b = await killHolderAndTime(live);
  expect(b.ms).toBeLessThanOrEqual(2 * POLL_MS);
  const rest = live.filter((r) => r !== b.victim);
  await waitBalanced(rest);
  await checkStore();

  // every live replica serves the same bundle, equal to the store's own
  const texts = await bundles(rest);
  expect(texts[0].length).toBeGreaterThan(100);
  expect(new Set(texts).size).toBe(1);
  const to = Math.floor(Date.now() / H) * H - H;
  const direct = await bundleFromStore(store, {
    asset: 'BTC',
    timeframe: '1h',
    from: to - 12 * H,
    to: to + 1,
    venues: ['coinbase', 'binanceusdm'],
  });
  expect(JSON.parse(texts[0]).series).toEqual(JSON.parse(formatBundle(direct, '')).series);
  // health tells which replica holds what; the lists partition the series
  const held = await Promise.all(
    rest.map(
      async (r) =>
        ((await (await fetch(r.url + '/api/v1/health')).json()) as { recorder: { held: string[] } }).recorder.held
    )
  );
  expect(held.flat().sort()).toEqual(SERIES.map((s) => seriesId(s.key)).sort());
  // /metrics: the values computed from the shared store are the same on every replica (once each has recomputed
  // after the holders wrote); each replica's own health metrics carry its replica label
  const shared = (text: string) =>
    text
      .split('\n')
      .filter((l) => /^btcflow_/.test(l) && !/replica=|^btcflow_exchange_requests|^btcflow_venue_up/.test(l))
      .join('\n');
  const metricTexts = await waitFor('the same store metrics on every replica', async () => {
    const t = await Promise.all(rest.map(async (r) => (await fetch(r.url + '/metrics')).text()));
    return new Set(t.map(shared)).size === 1 && t;
  });
  expect(shared(metricTexts[0])).toMatch(/^btcflow_venue_last_point_timestamp_seconds\{/m);
  rest.forEach((r, i) => {
    const own = new RegExp(`^btcflow_replica_series_held\\{replica="${r.id}"\\} (\\d+)$`, 'm').exec(metricTexts[i]);
    expect(own).not.toBeNull();
    expect(Number(own![1])).toBeGreaterThan(0);
    expect(metricTexts[i]).not.toMatch(new RegExp(`replica="(?!${r.id}")`));
  });
  process.stdout.write(
    `takeover after kill -9: ${a.ms} ms (2 replicas), ${b.ms} ms (3 replicas); poll interval ${POLL_MS} ms\n`
  );
});
