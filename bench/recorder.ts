/**
 * Recorder benchmark: the SQLite store (insert rate, reading one year of hourly bars for 30 series, bytes per point,
 * listSeries, API reads/s of a read-only API process on the file) and the run loop's steady state against the
 * in-process mock exchange on a simulated clock (BTC and ETH at 1h and 1d, every default venue): requests per series per bar after the fill, and the process RSS (recorder, ccxt and the
 * mock together: an upper bound for the recorder alone).
 *
 * Targets: insert ≥ 300k points/s; 30 series × 1 year of 1h read ≤ 100 ms; steady state ≤ 1 request per series per
 * bar and RSS ≤ 250 MB.
 *
 * Run alone: `npx tsx bench/recorder.ts`; in the suite: `npm run bench`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setSimNow } from '../mock/market';
import { startMockServer } from '../mock/server';
import { bundleFromStore } from '../recorder/bundle';
import { openSqliteStore } from '../recorder/store/sqlite';
import { apiReads, startApi } from './recorder-api';
import { bestOf, H, storeBatches, T0, thirtyKeys, YEAR_H } from './recorder-data';

async function benchStore(dir: string): Promise<Record<string, number>> {
  const file = join(dir, 'bench.db');
  const store = await openSqliteStore(file);
  const keys = thirtyKeys();
  const t0 = T0;
  // 30 series × 1 year of hourly points = 262,800 points; then 3 more years of them: 1,051,200 points in all
  const batches = storeBatches(keys);
  let points = 0;
  const insert = await bestOf(1, async () => {
    for (const b of batches) {
      points += await store.write(b);
    }
  });
  // re-running the same batch changes nothing, and costs
  let changed = 0;
  const rewrite = await bestOf(1, async () => (changed = await store.write(batches[0])));

  const year = async (read: (key: (typeof keys)[number]) => Promise<unknown>) => {
    for (const key of keys) {
      await read(key);
    }
  };
  // read one year (the newest) of all 30 series from the rows (readValues), best of 5, wall and CPU time
  let read = 0;
  const rows = await bestOf(5, async () => {
    read = 0;
    await year(async (key) => (read += (await store.readValues(key, t0, t0 + YEAR_H * H)).length));
  });
  // the same read as columns (readColumns, what the bundle reads: past blocks from point_blocks, one row per ~25
  // days of a series). The first read finds no block and caches them (its time is shown apart); then best of 5.
  const firstCols = await bestOf(1, () => year((key) => store.readColumns(key, t0, t0 + YEAR_H * H)));
  const cols = await bestOf(5, () => year((key) => store.readColumns(key, t0, t0 + YEAR_H * H)));
  // the same year as a bundle (what GET /api/v1/bundle assembles) for BTC: its series of the 30
  const bundle = await bestOf(3, () =>
    bundleFromStore(store, { asset: 'BTC', timeframe: '1h', from: t0, to: t0 + YEAR_H * H, now: t0 + 2 * YEAR_H * H })
  );
  // listSeries (what /api/v1/series, /api/v1/health and `status` read), best of 5
  const list = await bestOf(5, () => store.listSeries());
  await store.close(); // checkpoints the WAL into the file
  const bytes = statSync(file).size;
  // the same file with every past block cached (what `run` does hourly): the blocks' share of the size
  const again2 = await openSqliteStore(file);
  let blocks = 0;
  const caching = await bestOf(1, async () => (blocks = await again2.cachePastBlocks()));
  await again2.close();
  const bytesCached = statSync(file).size;
  // API reads/s from one read-only API process on the file, 3 concurrent clients
  const api = await startApi(file);
  let bundleReads: number;
  let seriesReads: number;
  let healthReads: number;
  try {
    bundleReads = await apiReads([api.url], 3000);
    seriesReads = await apiReads([api.url], 3000, 3, '/api/v1/series');
    healthReads = await apiReads([api.url], 3000, 3, '/api/v1/health');
  } finally {
    api.proc.kill('SIGTERM');
  }
  return {
    'store insert points': points,
    'store insert points/s, wall (target >= 300000)': Math.round(points / (insert.wallMs / 1000)),
    'store insert points/s, per CPU second (shared machine)': Math.round(points / (insert.cpuMs / 1000)),
    'store re-write of 262,800 unchanged points, s': Number((rewrite.wallMs / 1000).toFixed(3)),
    'store rows changed by the re-write (expect 0)': changed,
    'store read 30 series x 1 year 1h, points': read,
    'store read 30 series x 1 year 1h as columns (readColumns), ms wall (target <= 100)': Number(
      cols.wallMs.toFixed(1)
    ),
    '  the same as columns, ms CPU (shared machine)': Number(cols.cpuMs.toFixed(1)),
    '  its first read (no block cached yet: rows, then blocks written), ms wall': Number(firstCols.wallMs.toFixed(1)),
    'store read 30 series x 1 year 1h as rows (readValues, from points), ms wall': Number(rows.wallMs.toFixed(1)),
    '  the same as rows, ms CPU (shared machine)': Number(rows.cpuMs.toFixed(1)),
    'bundle BTC 1h 1 year from store, ms': Number(bundle.wallMs.toFixed(1)),
    'store file MB per million points': Number((((bytes / points) * 1e6) / 1e6).toFixed(1)),
    '  with every past block cached (cachePastBlocks), MB per million points': Number(
      (((bytesCached / points) * 1e6) / 1e6).toFixed(1)
    ),
    '  cachePastBlocks: blocks written': blocks,
    '  cachePastBlocks: s': Number((caching.wallMs / 1000).toFixed(2)),
    'store listSeries (30 series, 1,051,200 points), ms': Number(list.wallMs.toFixed(2)),
    'API bundle reads/s (BTC 1h 7 days), 1 process, 3 clients': Number(bundleReads.toFixed(1)),
    'API /api/v1/series reads/s': Number(seriesReads.toFixed(1)),
    'API /api/v1/health reads/s': Number(healthReads.toFixed(1)),
  };
}

/**
 * The Node flags `npm run recorder` starts with (the V8 heap limits in package.json's script), so that the child is
 * measured as users run it; RECORDER_NODE_FLAGS overrides them (e.g. "" for Node's defaults).
 */
function recorderNodeFlags(): string[] {
  const env = process.env.RECORDER_NODE_FLAGS;
  if (env !== undefined) {
    return env.split(' ').filter(Boolean);
  }
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return pkg.scripts.recorder.split(/\s+/).filter((w) => w.startsWith('--max-'));
}

/** Sends one message to the child and waits for its reply. */
function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`recorder child exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (r) => {
      child.off('exit', onExit);
      resolve(r as T);
    });
    child.send(msg);
  });
}

async function benchSteadyState(dir: string): Promise<Record<string, number | string>> {
  let clock = Date.UTC(2025, 5, 10, 23, 0, 30);
  setSimNow(clock);
  const srv = await startMockServer({ port: 0 });
  const child = fork(join(__dirname, 'recorder-steady.ts'), [], {
    execArgv: ['--import', 'tsx', ...recorderNodeFlags()],
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const filled = await ask<{ series: number; failing: number; fillSecs: number; rss: number; peak: number }>(child, {
      type: 'init',
      url: srv.url,
      db: join(dir, 'steady.db'),
      clock,
    });
    // 48 simulated hours, bar by bar
    let requests = 0;
    let due = 0;
    let worst = 0;
    let peakRss = filled.peak;
    let failing = 0;
    let lastRss = 0;
    for (let h = 0; h < 48; h++) {
      clock += H;
      setSimNow(clock);
      srv.resetStats();
      const r = await ask<{ due: number; rss: number; peak: number; failing: number }>(child, { type: 'tick', clock });
      const n = srv.stats().total;
      requests += n;
      due += r.due;
      worst = Math.max(worst, n / r.due);
      peakRss = Math.max(peakRss, r.peak);
      lastRss = r.rss;
      failing = Math.max(failing, r.failing);
    }
    await ask(child, { type: 'stop' });
    return {
      'steady: series recorded (BTC+ETH, 1h+1d, all venues)': filled.series,
      'steady: first fill (7 d of 1h, 60 d of 1d), s': Number(filled.fillSecs.toFixed(1)),
      'steady: series failing after the fill / during 48 h': filled.failing + failing,
      'steady: requests per series per bar, 48 h (target <= 1)': Number((requests / due).toFixed(3)),
      'steady: worst bar, requests per due series': Number(worst.toFixed(3)),
      'steady: recorder process peak RSS MB, fill included': Math.round(peakRss / 1e6),
      'steady: recorder process RSS MB after 48 h (target <= 250)': Math.round(lastRss / 1e6),
      'steady: recorder node flags': recorderNodeFlags().join(' ') || '(none)',
    };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
    }
    await srv.close();
    setSimNow(null);
  }
}

export async function benchRecorder(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-recorder-'));
  try {
    const only = process.env.BENCH_RECORDER_ONLY;
    return {
      ...(only === 'steady' ? {} : await benchStore(dir)),
      ...(only === 'store' ? {} : await benchSteadyState(dir)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchRecorder()
    .then((r) => {
      for (const [k, v] of Object.entries(r)) {
        process.stdout.write(`${k.padEnd(70)} ${String(v)}\n`);
      }
      process.exit(0);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
