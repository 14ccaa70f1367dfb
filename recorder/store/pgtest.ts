/**
 * A throw-away PostgreSQL 15 server for tests and benchmarks: `initdb` into a temporary folder (as the `postgres`
 * user when running as root, since initdb refuses root), `pg_ctl start` on a free loopback port with its socket in
 * that folder, readiness polled with a real connection, and `stop()` (also registered on process exit) that stops the
 * server and removes the folder. Test-side only: nothing in the recorder imports it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** Where Debian puts the PostgreSQL 15 binaries; `PG_BIN` overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  port: number;
  /** The cluster folder (removed by stop). */
  dir: string;
  /** Connection URL of one database of the cluster (default `postgres`). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** True when the PostgreSQL binaries are there (tests skip with a message otherwise). */
export function havePostgres(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function pgExec(bin: string, args: string[]): Promise<string> {
  const [cmd, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]]
    : [join(PG_BIN, bin), args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${bin} failed: ${err.message}\n${stderr}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

function pgExecSync(bin: string, args: string[]): void {
  const [cmd, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]]
    : [join(PG_BIN, bin), args];
  spawnSync(cmd, argv, { stdio: 'ignore', timeout: 30_000 });
}

async function waitReady(url: string, deadlineMs: number): Promise<void> {
  let last: unknown;
  while (Date.now() < deadlineMs) {
    const c = new Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (e) {
      last = e;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`PostgreSQL did not become ready: ${(last as Error)?.message ?? 'timeout'}`);
}

/**
 * Starts a fresh cluster. `settings` are extra `-c name=value` server settings (e.g. `fsync=off` for speed in tests;
 * benchmarks leave the defaults).
 */
export async function startTestPostgres(settings: Record<string, string> = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'btcflow-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  mkdirSync(data);
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(data, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
  }
  let stopped = false;
  let started = false;
  const onExit = () => {
    if (!stopped) {
      stopped = true;
      if (started) {
        pgExecSync('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', onExit);
  try {
    await pgExec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const opts = [
        `-p ${port}`,
        `-k ${data}`,
        '-c listen_addresses=127.0.0.1',
        ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
      ].join(' ');
      try {
        await pgExec('pg_ctl', ['-D', data, '-o', opts, '-l', join(data, 'server.log'), '-w', '-t', '30', 'start']);
        started = true;
        break;
      } catch (e) {
        if (attempt >= 2) {
          throw e;
        }
      }
    }
    const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
    await waitReady(url(), Date.now() + 30_000);
    return {
      port,
      dir,
      url,
      async createDatabase(name: string) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
          throw new Error(`createDatabase: bad name ${name}`);
        }
        const c = new Client({ connectionString: url() });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE ${name}`);
        } finally {
          await c.end();
        }
        return url(name);
      },
      async stop() {
        if (stopped) {
          return;
        }
        stopped = true;
        process.removeListener('exit', onExit);
        await pgExec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() =>
          pgExec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
        );
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    onExit();
    process.removeListener('exit', onExit);
    throw e;
  }
}
