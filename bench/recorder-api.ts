/**
 * API read benchmark helpers shared by the recorder benchmarks (bench/recorder.ts on SQLite, bench/recorder-postgres.ts
 * on PostgreSQL): start one API process on a store (bench/recorder-postgres-api.ts) and count the answers per second
 * of one GET request under a few concurrent clients. Benchmark-side only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { H, T0, YEAR_H } from './recorder-data';

/** The bundle request both benchmarks time: BTC 1h, the last 7 days of the benchmark's newest year. */
export const BUNDLE_7D = `/api/v1/bundle?asset=BTC&timeframe=1h&from=${T0 + (YEAR_H - 7 * 24) * H}&to=${T0 + YEAR_H * H - 1}`;

/** Starts an API process reading `db` (an SQLite file or a postgres:// URL), its clock at the end of the data. */
export async function startApi(db: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'recorder-postgres-api.ts'), db, String(T0 + YEAR_H * H)],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] }
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /URL (\S+)/.exec(buf);
      if (m) {
        resolve({ url: m[1], proc });
      }
    });
    proc.once('exit', (code) => reject(new Error(`API process exited (${code})`)));
  });
}

/** Answers per second of GET `path` over `ms` with `concurrency` clients spread over the API processes. */
export async function apiReads(urls: string[], ms: number, concurrency = 3, path = BUNDLE_7D): Promise<number> {
  // warm-up
  for (const u of urls) {
    const r = await fetch(u + path);
    if (r.status !== 200) {
      throw new Error(`${path}: HTTP ${r.status}`);
    }
    await r.text();
  }
  let n = 0;
  let failed = 0;
  let lastError = '';
  const end = Date.now() + ms;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      while (Date.now() < end) {
        try {
          const r = await fetch(urls[(c + n) % urls.length] + path);
          await r.text();
          if (r.status === 200) {
            n++;
          } else {
            failed++;
          }
        } catch (e) {
          failed++;
          lastError = String((e as { cause?: unknown }).cause ?? e);
        }
      }
    })
  );
  if (failed > n / 20) {
    throw new Error(`${path}: ${failed} failed of ${n + failed} (${lastError})`);
  }
  return n / ((Date.now() - started) / 1000);
}
