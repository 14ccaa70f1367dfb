/**
 * Backfill from Binance's public data archive: lists the files a range needs (OI metrics daily since 2020-09, funding
 * monthly, klines monthly then daily for the current month), downloads each with its `.CHECKSUM`, verifies the SHA-256,
 * unzips (fflate), reads it (binance.ts), resamples onto the exchange layer's bar grid and writes it with source
 * `archive` in one transaction per file. A 404 is a gap with a notice; a checksum mismatch or an unreadable file is
 * rejected whole, with a notice, and nothing of it is stored. Files already stored are skipped (resumable), or with
 * `recheck` compared by their `.CHECKSUM` and read again when re-published.
 */
import { createHash } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import type { Timeframe } from '../../src/core/types';
import { redactText } from '../../src/exchanges/redact';
import { storeStepMs, storeTimeframeFor } from '../bundle';
import type { RecorderStore, SeriesWrite, StoreTimeframe } from '../store/types';
import {
  ArchiveFormatError,
  DAY_MS,
  fundingPath,
  klinesPath,
  metricsPath,
  METRICS_FIRST_DAY,
  parseFunding,
  parseKlines,
  parseMetrics,
  resampleOi,
} from './binance';

export const DEFAULT_ARCHIVE_URL = 'https://data.binance.vision';

export interface ArchiveOptions {
  store: RecorderStore;
  archiveUrl: string;
  assets: string[];
  timeframes: Timeframe[];
  /** Venue ids asked for; the archive serves `binanceusdm` (perp, OI, funding) and `binance` (spot). Default both. */
  venues?: string[];
  from: number;
  /** Exclusive. */
  to: number;
  now?: number;
  onNotice?: (message: string) => void;
  onFile?: (done: number, total: number, path: string, status: string) => void;
  /** Per-request timeout, ms (default 30000). */
  timeoutMs?: number;
  /**
   * Ask the `.CHECKSUM` of every file already stored, and read the file again when its SHA-256 differs from the one
   * recorded (a file re-published with corrected content). Default false: stored files cost no request.
   */
  recheck?: boolean;
}

export interface ArchiveResult {
  files: number;
  written: number;
  missing: number;
  rejected: number;
  failed: number;
  skipped: number;
  /** Stored files whose `.CHECKSUM` was asked again (`recheck`), and those of them read again (re-published). */
  rechecked: number;
  reread: number;
}

type FileKind = 'metrics' | 'funding' | 'spot' | 'perp';

interface FileTask {
  path: string;
  kind: FileKind;
  asset: string;
  /** metrics: the file's day (UTC midnight). */
  day?: number;
  /** klines: the store timeframe. */
  tf?: StoreTimeframe;
}

const monthStart = (t: number) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const nextMonth = (t: number) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/** The files a backfill of [from, to) reads, oldest first per series. Only files already published (before today). */
export function archiveFiles(o: ArchiveOptions): FileTask[] {
  const now = o.now ?? Date.now();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const thisMonth = monthStart(now);
  const venues = o.venues ?? ['binance', 'binanceusdm'];
  const tasks: FileTask[] = [];
  const end = Math.min(o.to, today);
  for (const asset of o.assets) {
    const sym = `${asset}USDT`;
    const klineTfs = (venue: string, kind: 'spot' | 'perp') => [
      ...new Set(o.timeframes.map((tf) => storeTimeframeFor(venue, kind, tf))),
    ];
    const klines = (market: 'spot' | 'futures', kind: FileKind, tfs: StoreTimeframe[]) => {
      for (const tf of tfs) {
        for (let m = monthStart(o.from); m < end; m = nextMonth(m)) {
          if (m < thisMonth) {
            tasks.push({ path: klinesPath(market, 'monthly', sym, tf, m), kind, asset, tf });
          } else {
            for (let d = Math.max(m, Math.floor(o.from / DAY_MS) * DAY_MS); d < end; d += DAY_MS) {
              tasks.push({ path: klinesPath(market, 'daily', sym, tf, d), kind, asset, tf });
            }
          }
        }
      }
    };
    if (venues.includes('binance')) {
      klines('spot', 'spot', klineTfs('binance', 'spot'));
    }
    if (venues.includes('binanceusdm')) {
      klines('futures', 'perp', klineTfs('binanceusdm', 'perp'));
      for (let d = Math.max(METRICS_FIRST_DAY, Math.floor(o.from / DAY_MS) * DAY_MS); d < end; d += DAY_MS) {
        tasks.push({ path: metricsPath(sym, d), kind: 'metrics', asset, day: d });
      }
      for (let m = monthStart(o.from); m < Math.min(end, thisMonth); m = nextMonth(m)) {
        tasks.push({ path: fundingPath(sym, m), kind: 'funding', asset });
      }
    }
  }
  return tasks;
}

type Got = { status: 'ok'; body: Uint8Array } | { status: 'missing' } | { status: 'failed'; reason: string };

async function get(url: string, timeoutMs: number): Promise<Got> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt) {
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 404) {
        return { status: 'missing' };
      }
      if (res.status === 200) {
        return { status: 'ok', body: new Uint8Array(await res.arrayBuffer()) };
      }
      last = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) {
        break;
      }
    } catch (e) {
      last = (e as Error)?.message ?? String(e);
    }
  }
  return { status: 'failed', reason: last };
}

/** Turns one file's rows into store writes (source `archive`). */
function writesFor(
  task: FileTask,
  text: string,
  timeframes: Timeframe[]
): { writes: SeriesWrite[]; notices: string[]; rows: number } {
  const asset = task.asset;
  const sym = `${asset}USDT`;
  switch (task.kind) {
    case 'metrics': {
      const f = parseMetrics(text, task.day!);
      const tfs = [...new Set(timeframes.map((tf) => storeTimeframeFor('binanceusdm', 'openInterest', tf)))];
      return {
        rows: f.rows.length,
        notices: f.notices,
        writes: tfs.map((tf) => ({
          key: { asset, venue: 'binanceusdm', kind: 'openInterest', timeframe: tf },
          meta: { unit: 'base', symbol: sym },
          source: 'archive',
          points: resampleOi(f.rows, storeStepMs(tf)).map(([ts, value]) => ({ ts, value })),
        })),
      };
    }
    case 'funding': {
      const f = parseFunding(text);
      const counts = new Map<number, number>();
      for (const r of f.rows) {
        counts.set(r[2], (counts.get(r[2]) ?? 0) + 1);
      }
      const interval = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      return {
        rows: f.rows.length,
        notices: f.notices,
        writes: [
          {
            key: { asset, venue: 'binanceusdm', kind: 'funding', timeframe: '*' },
            meta: interval ? { intervalHours: interval, symbol: sym } : { symbol: sym },
            source: 'archive',
            points: f.rows.map(([ts, value]) => ({ ts, value })),
          },
        ],
      };
    }
    default: {
      const f = parseKlines(text);
      const venue = task.kind === 'spot' ? 'binance' : 'binanceusdm';
      return {
        rows: f.rows.length,
        notices: f.notices,
        writes: [
          {
            key: { asset, venue, kind: task.kind, timeframe: task.tf! },
            meta: { quote: 'USDT', symbol: sym },
            source: 'archive',
            points: f.rows.map(([ts, value, volume]) => ({ ts, value, volume })),
          },
        ],
      };
    }
  }
}

/** The SHA-256 a `.CHECKSUM` file names (`<sha256>  <file name>`), lower-case, or undefined. */
function checksumOf(body: Uint8Array): string | undefined {
  return /^([0-9a-fA-F]{64})\b/.exec(strFromU8(body).trim())?.[1]?.toLowerCase();
}

/** Reads every file of the range that is not stored yet. Never throws for a file: each outcome is a notice. */
export async function archiveBackfill(o: ArchiveOptions): Promise<ArchiveResult> {
  const base = o.archiveUrl.replace(/\/+$/, '');
  const timeout = o.timeoutMs ?? 30_000;
  const tasks = archiveFiles(o);
  const res: ArchiveResult = {
    files: 0,
    written: 0,
    missing: 0,
    rejected: 0,
    failed: 0,
    skipped: 0,
    rechecked: 0,
    reread: 0,
  };
  const notice = (m: string) => o.onNotice?.(redactText(m));
  let done = 0;
  for (const t of tasks) {
    done++;
    const had = await o.store.archiveFile(t.path);
    // a stored file: skipped, or with `recheck` its .CHECKSUM asked first and the file read again only if it changed
    let sum: Got | null = null;
    if (had?.status === 'ok') {
      if (!o.recheck || !had.sha256) {
        res.skipped++;
        continue;
      }
      res.rechecked++;
      sum = await get(base + t.path + '.CHECKSUM', timeout);
      const now = sum.status === 'ok' ? checksumOf(sum.body) : undefined;
      if (now === had.sha256) {
        res.skipped++;
        o.onFile?.(done, tasks.length, t.path, 'unchanged');
        continue;
      }
      if (sum.status !== 'ok' || !now) {
        res.skipped++;
        notice(
          `${t.path}.CHECKSUM: ${sum.status === 'failed' ? `download failed (${sum.reason})` : sum.status === 'missing' ? 'gone (404)' : 'holds no SHA-256'}; ` +
            'the stored file is kept'
        );
        o.onFile?.(done, tasks.length, t.path, 'kept (no checksum to compare)');
        continue;
      }
      res.reread++;
      notice(`${t.path}: re-published (SHA-256 ${had.sha256.slice(0, 12)}... now ${now.slice(0, 12)}...); read again`);
    }
    const record = (status: 'ok' | 'missing' | 'rejected', sha: string | null, rows: number, note: string | null) =>
      o.store.recordArchiveFile({ path: t.path, sha256: sha, status, rows, notice: note, fetchedAt: Date.now() });
    const zip = await get(base + t.path, timeout);
    if (zip.status === 'missing') {
      res.missing++;
      await record('missing', null, 0, 'not in the archive (404): a gap');
      notice(`${t.path}: not in the archive (404); a gap in the archive data`);
      o.onFile?.(done, tasks.length, t.path, 'missing (404)');
      continue;
    }
    if (zip.status === 'failed') {
      res.failed++;
      notice(`${t.path}: download failed (${zip.reason}); a rerun tries again`);
      o.onFile?.(done, tasks.length, t.path, 'FAILED');
      continue;
    }
    const reject = async (why: string) => {
      res.rejected++;
      await record('rejected', sha, 0, why);
      notice(`${t.path}: rejected, nothing of it stored: ${why}`);
      o.onFile?.(done, tasks.length, t.path, 'rejected');
    };
    const sha = createHash('sha256').update(zip.body).digest('hex');
    sum ??= await get(base + t.path + '.CHECKSUM', timeout);
    if (sum.status !== 'ok') {
      if (sum.status === 'failed') {
        res.failed++;
        notice(`${t.path}.CHECKSUM: download failed (${sum.reason}); a rerun tries again`);
        continue;
      }
      await reject('no .CHECKSUM file beside it, so it cannot be verified');
      continue;
    }
    const want = checksumOf(sum.body);
    if (!want) {
      await reject('its .CHECKSUM file holds no SHA-256');
      continue;
    }
    if (want !== sha) {
      await reject(`checksum mismatch (file ${sha.slice(0, 12)}..., .CHECKSUM ${want.slice(0, 12)}...)`);
      continue;
    }
    let text: string;
    try {
      const entries = Object.entries(unzipSync(zip.body)).filter(([name]) => name.toLowerCase().endsWith('.csv'));
      if (entries.length !== 1) {
        throw new ArchiveFormatError(`${entries.length} CSV files inside, 1 expected`);
      }
      text = strFromU8(entries[0][1]);
    } catch (e) {
      await reject(`not a readable zip: ${(e as Error).message}`);
      continue;
    }
    let out: ReturnType<typeof writesFor>;
    try {
      out = writesFor(t, text, o.timeframes);
    } catch (e) {
      await reject(e instanceof ArchiveFormatError ? e.message : String((e as Error)?.message ?? e));
      continue;
    }
    res.written += await o.store.write(out.writes);
    res.files++;
    const note = out.notices.length ? out.notices.join('; ') : null;
    await record('ok', sha, out.rows, note);
    if (note) {
      notice(`${t.path}: ${note}`);
    }
    o.onFile?.(done, tasks.length, t.path, `${out.rows} rows`);
  }
  return res;
}
