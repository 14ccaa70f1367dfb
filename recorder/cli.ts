/**
 * `npm run --silent recorder -- <command>`: run, backfill, import, export, status. Parses and checks the flags (every
 * problem is one line naming the flag and the allowed values, exit 2), then drives the store, the exchange layer, the
 * archive reader and the HTTP API. Every log line that may hold a URL goes through redactText. See docs/recorder.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CliUsageError, flagHelp, FlagSpec, parseArgs, ParsedArgs } from '../cli/args';
import { formatBundle, loadBundle, type CliIo, processIo } from '../cli/btc-flow';
import { BtcFlowInputError } from '../src/core/errors';
import { parseTimeframe } from '../src/core/timeframe';
import { SERIES_KINDS, type SeriesKind, type Timeframe } from '../src/core/types';
import { DEFAULT_VENUES, DROPPED_VENUES, isVenueId } from '../src/exchanges/registry';
import { redactText } from '../src/exchanges/redact';
import { bundleFromStore, bundleNote, parseTime, planImport, storeStepMs } from './bundle';
import { createRecorderServer, RecorderServer, splitList } from './http';
import { backfillRest, recordedSeries, RecorderEvents } from './rest';
import { attachExporter, type AttachedExporter } from './exporter/attach';
import { DEFAULT_LOCK_CHECK_MS, Recorder, RECORDER_CACHE_POINTS } from './run';
import { BtcFlowExporter } from './exporter/exporter';
import { Gauge } from 'prom-client';
import { isPostgresUrl, openRecorderStore } from './store/open';
import { copyStore } from './copy';
import { PgSeriesLocks } from './store/pglocks';
import { RecorderStoreError, type RecorderStore } from './store/types';
import { archiveBackfill, DEFAULT_ARCHIVE_URL } from './archive/backfill';

const DB: FlagSpec = {
  name: 'db',
  type: 'string',
  value: 'DB',
  help: 'the SQLite database file (created if missing), or a PostgreSQL URL postgres://user@host:5432/dbname',
};
const HELP: FlagSpec = { name: 'help', type: 'bool', help: 'show this help' };
const QUIET: FlagSpec = { name: 'quiet', type: 'bool', help: 'no progress or notices on stderr' };
const ASSETS: FlagSpec = { name: 'assets', type: 'string', value: 'A,B', help: 'assets to record (default BTC)' };
const TFS: FlagSpec = {
  name: 'timeframes',
  type: 'string',
  value: 'TF,TF',
  help: 'engine timeframes to record: 1h, 4h, 1d, 3d, 1w, 1M (default 1h,1d; 3d/1w/1M read the daily series)',
};
const VENUES_F: FlagSpec = { name: 'venues', type: 'string', value: 'a,b', help: 'venue ids (default: all)' };
const BASE: FlagSpec = {
  name: 'base-url',
  type: 'string',
  value: 'URL',
  help: 'send exchange requests to this mirror (e.g. the mock, http://127.0.0.1:8788)',
};
const TIMEOUT: FlagSpec = { name: 'timeout', type: 'string', value: 'SECS', help: 'per-request timeout (default 10)' };

export const COMMANDS: Record<string, { usage: string; what: string; flags: FlagSpec[] }> = {
  run: {
    usage:
      'recorder run --db FILE|postgres://… [--assets BTC,ETH] [--timeframes 1h,1d] [--port 8789] [--host 127.0.0.1] [--base-url URL] [--token-file FILE]',
    what:
      "Fills what is missing within each venue's REST reach, then polls every series once per bar (closed bars only)\n" +
      'and serves the HTTP API (GET /api/v1/bundle, /api/v1/series, /api/v1/health) and the Prometheus metrics of\n' +
      'the last closed bars (GET /metrics, docs/alerting.md). Stops on SIGINT / SIGTERM.',
    flags: [
      DB,
      ASSETS,
      TFS,
      VENUES_F,
      { name: 'port', type: 'string', value: 'N', help: 'HTTP port (default 8789; 0 picks a free one)' },
      { name: 'host', type: 'string', value: 'ADDR', help: 'bind address (default 127.0.0.1)' },
      BASE,
      {
        name: 'token-file',
        type: 'string',
        value: 'FILE',
        help: 'file holding an API token: requests without "Authorization: Bearer <token>" get a 401',
      },
      {
        name: 'fill-days',
        type: 'string',
        value: 'N',
        help: 'first fill depth in days for every timeframe (default 1h: 90, 4h: 365, 1d: 1825)',
      },
      {
        name: 'poll-interval',
        type: 'string',
        value: 'SECS',
        help: 'also poll every series (and, on PostgreSQL, check the series locks) this often (default: once per bar; locks every 30 s)',
      },
      {
        name: 'replica-id',
        type: 'string',
        value: 'ID',
        help: "PostgreSQL replicas: this replica's name in locks, logs and health (default <hostname>-<pid>)",
      },
      TIMEOUT,
      QUIET,
      HELP,
    ],
  },
  backfill: {
    usage:
      'recorder backfill --db FILE --from ISO --to ISO [--assets] [--timeframes] [--venues] [--base-url URL] [--archive-url URL] [--recheck-archive]',
    what:
      "One-shot fill of [--from, --to] from the venues' REST APIs and Binance's public archive, with progress on\n" +
      'stderr. Resumable: after a kill at any moment, a rerun fetches only what is missing.',
    flags: [
      DB,
      { name: 'from', type: 'string', value: 'ISO', help: 'start (ISO date or epoch ms)' },
      { name: 'to', type: 'string', value: 'ISO', help: 'end, inclusive (default now)' },
      ASSETS,
      TFS,
      VENUES_F,
      BASE,
      {
        name: 'archive-url',
        type: 'string',
        value: 'URL',
        help: `Binance public data archive (default ${DEFAULT_ARCHIVE_URL})`,
      },
      {
        name: 'recheck-archive',
        type: 'bool',
        help: 'ask the .CHECKSUM of archive files already stored; read a file again when it was re-published',
      },
      { name: 'sources', type: 'string', value: 'a,b', help: 'rest, archive or both (default rest,archive)' },
      { name: 'chunk-bars', type: 'string', value: 'N', help: 'bars per fetched and committed chunk (default 1000)' },
      TIMEOUT,
      QUIET,
      HELP,
    ],
  },
  import: {
    usage: 'recorder import --db FILE [--timeframe TF] bundle.json',
    what:
      'Loads a bundle in the format `btc-flow fetch --out` writes (source "import"). Each series\' timeframe is read\n' +
      'from its point spacing; --timeframe sets it for one-point series.',
    flags: [
      DB,
      { name: 'timeframe', type: 'string', value: 'TF', help: 'timeframe of series too short to tell' },
      QUIET,
      HELP,
    ],
  },
  export: {
    usage:
      'recorder export --db FILE --asset BTC --timeframe 1d --from ISO --to ISO [--venues a,b] [--kinds k] --out FILE',
    what: 'Writes what `btc-flow fetch` would have written for that range, from the store (--to inclusive).',
    flags: [
      DB,
      { name: 'asset', type: 'string', value: 'A', help: 'asset (default BTC)' },
      { name: 'timeframe', type: 'string', value: 'TF', help: 'engine timeframe (default 1d)' },
      { name: 'from', type: 'string', value: 'ISO', help: 'start (ISO date or epoch ms)' },
      { name: 'to', type: 'string', value: 'ISO', help: 'end, inclusive (default now)' },
      VENUES_F,
      { name: 'kinds', type: 'string', value: 'k,k', help: `kinds (default all: ${SERIES_KINDS.join(', ')})` },
      { name: 'out', type: 'string', value: 'FILE', help: 'output file (default or "-": stdout)' },
      HELP,
    ],
  },
  status: {
    usage: 'recorder status --db FILE [--asset BTC] [--json]',
    what:
      'Per series: first and last point, count, gaps, the source split (rest / archive / import) and the largest\n' +
      'relative REST-vs-archive difference where both exist; then the archive files read.',
    flags: [
      DB,
      { name: 'asset', type: 'string', value: 'A', help: 'only this asset' },
      { name: 'json', type: 'bool', help: 'JSON instead of a table' },
      HELP,
    ],
  },
  copy: {
    usage: 'recorder copy --from DB --to DB [--quiet]',
    what:
      'Streams every series, its meta, covered ranges and the archive file log from one store to another (e.g. an\n' +
      'SQLite file to postgres://…). Idempotent: an interrupted copy is run again; the source is only read.',
    flags: [
      { name: 'from', type: 'string', value: 'DB', help: 'source store: an SQLite file or a postgres:// URL' },
      { name: 'to', type: 'string', value: 'DB', help: 'destination store (created if missing): a file or a URL' },
      QUIET,
      HELP,
    ],
  },
};

function usage(): string {
  return (
    'Usage: npm run --silent recorder -- <command> [options]\n\nCommands:\n' +
    Object.entries(COMMANDS)
      .map(([c, s]) => `  ${c.padEnd(9)} ${s.what.split('\n')[0]}`)
      .join('\n') +
    '\n\nEach command has --help. See docs/recorder.md.\n'
  );
}

function commandHelp(c: string): string {
  const s = COMMANDS[c];
  return `Usage: ${s.usage}\n\n${s.what}\n\nOptions:\n${flagHelp(s.flags)}\n`;
}

/* ------------------------------------------------------------------------------------------------ flag parsing */

function need(args: ParsedArgs, name: string): string {
  const v = args.strings[name];
  if (v === undefined || v.trim() === '') {
    throw new CliUsageError(`--${name} is required`);
  }
  return v;
}

function listFlag(raw: string | undefined, flag: string): string[] | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const items = splitList(raw);
  if (!items.length) {
    throw new CliUsageError(`--${flag}: empty list`);
  }
  return items;
}

export function parseAssets(raw: string | undefined): string[] {
  const list = listFlag(raw, 'assets') ?? ['BTC'];
  return list.map((a) => {
    const up = a.toUpperCase();
    if (!/^[A-Z0-9]{1,15}$/.test(up)) {
      throw new CliUsageError(`--assets: bad asset ${JSON.stringify(a)}; expected coin codes such as BTC,ETH`);
    }
    return up;
  });
}

export function parseTimeframes(raw: string | undefined): Timeframe[] {
  return (listFlag(raw, 'timeframes') ?? ['1h', '1d']).map((t) => {
    try {
      return parseTimeframe(t, '--timeframes');
    } catch (e) {
      throw new CliUsageError((e as Error).message);
    }
  });
}

export function parseVenues(raw: string | undefined): string[] | undefined {
  const list = listFlag(raw, 'venues');
  for (const v of list ?? []) {
    if (!isVenueId(v)) {
      const dropped = DROPPED_VENUES.find((d) => d.id === v);
      throw new CliUsageError(
        `--venues: unknown venue ${JSON.stringify(v)}${dropped ? ` (${dropped.reason})` : ''}; known venues: ${DEFAULT_VENUES.join(', ')}`
      );
    }
  }
  return list;
}

function parseKinds(raw: string | undefined): SeriesKind[] | undefined {
  const list = listFlag(raw, 'kinds');
  for (const k of list ?? []) {
    if (!(SERIES_KINDS as readonly string[]).includes(k)) {
      throw new CliUsageError(`--kinds: unknown kind ${JSON.stringify(k)}; allowed: ${SERIES_KINDS.join(', ')}`);
    }
  }
  return list as SeriesKind[] | undefined;
}

function parseUrl(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const v = raw.trim();
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new CliUsageError(
      `--${flag}: expected an http(s) URL such as http://127.0.0.1:8788, got ${JSON.stringify(redactText(v))}`
    );
  }
  return v.replace(/\/+$/, '');
}

function parsePositive(raw: string | undefined, flag: string, max: number): number | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    throw new CliUsageError(`--${flag}: expected a number > 0 and <= ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function timeFlag(args: ParsedArgs, name: string, fallback?: number): number {
  const raw = args.strings[name];
  if (raw === undefined) {
    if (fallback === undefined) {
      throw new CliUsageError(`--${name} is required (e.g. --${name} 2025-01-01)`);
    }
    return fallback;
  }
  return parseTime(raw, `--${name}`);
}

async function openStore(args: ParsedArgs, readonly = false): Promise<RecorderStore> {
  const file = need(args, 'db');
  try {
    return await openRecorderStore(file, { readonly });
  } catch (e) {
    if (e instanceof RecorderStoreError) {
      throw new CliUsageError(e.message);
    }
    throw e;
  }
}

async function exchangeContext(baseUrl: string | undefined, timeoutSecs: number | undefined, now?: () => number) {
  const { ExchangeContext } = await import('../src/exchanges/context');
  return new ExchangeContext({
    baseUrl,
    cacheMaxPoints: RECORDER_CACHE_POINTS,
    timeoutMs: timeoutSecs === undefined ? undefined : Math.round(timeoutSecs * 1000),
    ...(now ? { now } : {}),
  });
}

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));

/* ------------------------------------------------------------------------------------------------ commands */

async function runImport(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length !== 1) {
    throw new CliUsageError('import: expected exactly one bundle file, e.g. recorder import --db rec.db bundle.json');
  }
  const tf = args.strings.timeframe === undefined ? undefined : parseTimeframes(args.strings.timeframe)[0];
  const bundle = loadBundle(args.positionals[0]);
  const plan = planImport(bundle, Date.now(), tf);
  const store = await openStore(args);
  try {
    const changed = await store.write(plan.writes);
    await store.cachePastBlocks?.();
    if (!args.bools.quiet) {
      for (const n of plan.notices) {
        io.stderr(`recorder: note: ${n}\n`);
      }
      io.stderr(
        `recorder: imported ${plan.writes.length} series, ${plan.points} points (${changed} new or changed) from ${args.positionals[0]}\n`
      );
    }
  } finally {
    await store.close();
  }
  return 0;
}

async function runExport(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length) {
    throw new CliUsageError(`export: unexpected argument ${JSON.stringify(args.positionals[0])}; use --out FILE`);
  }
  const rawAsset = (args.strings.asset ?? 'BTC').trim();
  const asset = rawAsset.toUpperCase();
  if (!/^[A-Z0-9]{1,15}$/.test(asset)) {
    throw new CliUsageError(`--asset: bad asset ${JSON.stringify(rawAsset)}; expected a coin code such as BTC or ETH`);
  }
  let timeframe: Timeframe;
  try {
    timeframe = parseTimeframe(args.strings.timeframe ?? '1d', '--timeframe');
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
  const now = Date.now();
  const from = timeFlag(args, 'from');
  const to = timeFlag(args, 'to', now);
  if (from > to) {
    throw new CliUsageError(`--from (${args.strings.from}) is after --to (${args.strings.to ?? 'now'})`);
  }
  const venues = parseVenues(args.strings.venues);
  const kinds = parseKinds(args.strings.kinds);
  const store = await openStore(args, true);
  let text: string;
  try {
    const bundle = await bundleFromStore(store, { asset, timeframe, from, to: to + 1, venues, kinds, now });
    if (!bundle.series.some((s) => s.kind !== 'fx')) {
      throw new CliUsageError(`the store holds nothing for ${asset} ${timeframe} in ${iso(from)} .. ${iso(to)}`);
    }
    text = formatBundle(bundle, bundleNote(asset, timeframe, from, to));
  } finally {
    await store.close();
  }
  const out = args.strings.out;
  if (out === undefined || out === '-') {
    io.stdout(text);
  } else {
    try {
      writeFileSync(out, text);
    } catch (e) {
      throw new CliUsageError(`cannot write ${out}: ${(e as NodeJS.ErrnoException)?.code ?? (e as Error).message}`);
    }
  }
  return 0;
}

async function runCopy(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length) {
    throw new CliUsageError(`copy: unexpected argument ${JSON.stringify(args.positionals[0])}; use --from DB --to DB`);
  }
  const fromDb = need(args, 'from');
  const toDb = need(args, 'to');
  if (fromDb.trim() === toDb.trim()) {
    throw new CliUsageError('--to: must differ from --from');
  }
  const open = async (db: string, readonly: boolean, flag: string) => {
    try {
      return await openRecorderStore(db, { readonly });
    } catch (e) {
      if (e instanceof RecorderStoreError) {
        throw new CliUsageError(`--${flag}: ${e.message}`);
      }
      throw e;
    }
  };
  const src = await open(fromDb, true, 'from');
  let dst: RecorderStore | undefined;
  try {
    dst = await open(toDb, false, 'to');
    const started = Date.now();
    const r = await copyStore(src, dst, {
      onProgress: (p) => {
        if (!args.bools.quiet) {
          const k = p.series;
          io.stderr(
            `recorder: copy [${p.done}/${p.total}] ${k.asset} ${k.venue} ${k.kind} ${k.timeframe}: ${p.points} points\n`
          );
        }
      },
    });
    if (!args.bools.quiet) {
      io.stderr(
        `recorder: copied ${r.series} series, ${r.points} points (${r.changed} new or changed), ${r.archiveFiles} archive file records ` +
          `from ${src.backend} to ${dst.backend} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`
      );
    }
  } finally {
    await src.close();
    await dst?.close();
  }
  return 0;
}

async function runStatus(args: ParsedArgs, io: CliIo): Promise<number> {
  const store = await openStore(args, true);
  try {
    const asset = args.strings.asset?.trim().toUpperCase();
    const list = await store.listSeries(asset ? { asset } : {});
    const stats = [];
    for (const s of list) {
      stats.push(await store.seriesStats(s, storeStepMs(s.timeframe)));
    }
    const files = await store.listArchiveFiles();
    if (args.bools.json) {
      io.stdout(JSON.stringify({ series: stats, archiveFiles: files }, null, 2) + '\n');
      return 0;
    }
    const head = [
      'asset',
      'venue',
      'kind',
      'tf',
      'first',
      'last',
      'count',
      'gaps',
      'missing',
      'rest',
      'archive',
      'import',
      'overlap',
      'max diff',
    ];
    const rows = stats.map((s) => [
      s.asset,
      s.venue,
      s.kind,
      s.timeframe,
      iso(s.first),
      iso(s.last),
      String(s.count),
      String(s.gaps.length),
      String(s.missingPoints),
      String(s.bySource.rest),
      String(s.bySource.archive),
      String(s.bySource.import),
      String(s.overlapPoints),
      s.maxOverlapRelDiff === null ? '-' : `${(s.maxOverlapRelDiff * 100).toFixed(3)}%`,
    ]);
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) =>
      r
        .map((c, i) => c.padEnd(w[i]))
        .join('  ')
        .trimEnd();
    io.stdout(`${line(head)}\n${rows.map(line).join('\n')}${rows.length ? '\n' : ''}`);
    if (!rows.length) {
      io.stdout('(the store is empty)\n');
    }
    if (files.length) {
      const by = (st: string) => files.filter((f) => f.status === st);
      io.stdout(
        `\narchive files: ${by('ok').length} stored, ${by('missing').length} missing (404), ${by('rejected').length} rejected\n`
      );
      for (const f of [...by('rejected'), ...by('missing')]) {
        io.stdout(`  ${f.status.padEnd(8)} ${f.path}${f.notice ? `: ${f.notice}` : ''}\n`);
      }
      for (const f of by('ok').filter((x) => x.notice)) {
        io.stdout(`  note     ${f.path}: ${f.notice}\n`);
      }
    }
  } finally {
    await store.close();
  }
  return 0;
}

async function runBackfill(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length) {
    throw new CliUsageError(`backfill: unexpected argument ${JSON.stringify(args.positionals[0])}`);
  }
  const assets = parseAssets(args.strings.assets);
  const timeframes = parseTimeframes(args.strings.timeframes);
  const venues = parseVenues(args.strings.venues);
  const baseUrl = parseUrl(args.strings['base-url'], 'base-url');
  const archiveUrl = parseUrl(args.strings['archive-url'], 'archive-url') ?? DEFAULT_ARCHIVE_URL;
  const sources = listFlag(args.strings.sources, 'sources') ?? ['rest', 'archive'];
  for (const s of sources) {
    if (s !== 'rest' && s !== 'archive') {
      throw new CliUsageError(`--sources: unknown source ${JSON.stringify(s)}; allowed: rest, archive`);
    }
  }
  const chunkBars = parsePositive(args.strings['chunk-bars'], 'chunk-bars', 100_000);
  const timeout = parsePositive(args.strings.timeout, 'timeout', 600);
  const now = Date.now();
  const from = timeFlag(args, 'from');
  const to = timeFlag(args, 'to', now);
  if (from > to) {
    throw new CliUsageError(`--from (${args.strings.from}) is after --to (${args.strings.to ?? 'now'})`);
  }
  const quiet = args.bools.quiet;
  const say = (t: string) => {
    if (!quiet) {
      io.stderr(redactText(t) + '\n');
    }
  };
  const store = await openStore(args);
  let failures = 0;
  try {
    const started = Date.now();
    if (sources.includes('archive')) {
      say(`recorder: backfill from the archive ${archiveUrl}`);
      const r = await archiveBackfill({
        store,
        archiveUrl,
        assets,
        timeframes,
        venues,
        from,
        to: to + 1,
        now,
        recheck: args.bools['recheck-archive'],
        onNotice: (m) => say(`recorder: note: ${m}`),
        onFile: (done, total, path, status) => say(`recorder: archive [${done}/${total}] ${path} ${status}`),
      });
      say(
        `recorder: archive: ${r.files} files read, ${r.written} points written, ${r.rejected} rejected, ${r.missing} missing` +
          (args.bools['recheck-archive']
            ? `; ${r.rechecked} stored files rechecked, ${r.reread} re-published and read again`
            : '')
      );
    }
    if (sources.includes('rest')) {
      const ctx = await exchangeContext(baseUrl, timeout);
      const series = recordedSeries(assets, timeframes, venues);
      say(
        `recorder: backfill ${assets.join(',')} ${timeframes.join(',')} ${iso(from)} .. ${iso(to)} from REST` +
          `${baseUrl ? ` via ${baseUrl}` : ''}: ${series.filter((s) => !s.currentOnly).length} series`
      );
      const r = await backfillRest(series, from, to + 1, {
        store,
        ctx,
        chunkBars,
        events: new RecorderEvents(),
        onProgress: (p) => {
          const k = p.series.key;
          const secs = ((Date.now() - started) / 1000).toFixed(1);
          say(
            `recorder: [${p.done}/${p.total}] ${k.asset} ${k.venue} ${k.kind} ${k.timeframe}: ` +
              `${p.result.failures.length ? `FAILED: ${p.result.failures[0]}` : `${p.result.written} points written`} (${secs} s)`
          );
          for (const u of p.result.unavailable) {
            say(`recorder: note: nothing available: ${u}`);
          }
        },
      });
      failures += r.failures.length;
      say(`recorder: REST: ${r.requests} chunks fetched, ${r.written} points written, ${r.failures.length} failed`);
    }
    const cached = (await store.cachePastBlocks?.()) ?? 0;
    if (cached) {
      say(`recorder: ${cached} past blocks cached for reads`);
    }
  } finally {
    await store.close();
  }
  return failures ? 1 : 0;
}

export interface RunHandle {
  url: string;
  recorder: Recorder;
  server: RecorderServer;
  store: RecorderStore;
  /** The Prometheus exporter served at /metrics. */
  metrics: AttachedExporter;
  stop(): Promise<void>;
}

export interface RunOptions {
  db: string;
  assets: string[];
  timeframes: Timeframe[];
  venues?: string[];
  port?: number;
  host?: string;
  baseUrl?: string;
  token?: string;
  fillDays?: number;
  timeoutSecs?: number;
  log?: (line: string) => void;
  /** Clock for the exchange layer (tests and benchmarks with a simulated clock). */
  now?: () => number;
  pollDelayMs?: number;
  /** Poll (and check series locks) at least this often, ms. */
  pollIntervalMs?: number;
  /** PostgreSQL replicas: the replica id (default <hostname>-<pid>). */
  replicaId?: string;
}

/** Starts the recorder: store, HTTP API (listening at once), first fill, then the poll loop. */
export async function startRecorder(o: RunOptions): Promise<RunHandle> {
  const log = o.log ?? (() => undefined);
  const replicaId =
    o.replicaId ??
    `${hostname()
      .replace(/[^A-Za-z0-9_.:-]/g, '-')
      .slice(0, 30)}-${process.pid}`;
  const pg = isPostgresUrl(o.db);
  const store = await openRecorderStore(o.db, pg ? { applicationName: `btcflow-recorder:${replicaId}` } : {});
  // PostgreSQL: any number of replicas share the database; each series is recorded by the one holding its lock
  const ownership = pg ? new PgSeriesLocks({ url: o.db.trim(), replicaId, onNotice: (m) => log(m) }) : undefined;
  const ctx = await exchangeContext(o.baseUrl, o.timeoutSecs, o.now);
  const fd = o.fillDays;
  const recorder = new Recorder({
    store,
    ctx,
    assets: o.assets,
    timeframes: o.timeframes,
    venues: o.venues,
    pollDelayMs: o.pollDelayMs,
    pollIntervalMs: o.pollIntervalMs,
    ownership,
    fillDays: fd === undefined ? undefined : { '1h': fd, '4h': fd, '1d': fd, '*': fd },
  });
  recorder.events.on('notice', (m) => log(redactText(m)));
  // Prometheus exporter: GET /metrics, the values of each last closed bar (recorder/exporter, docs/alerting.md)
  const metrics = attachExporter({
    events: recorder.events,
    store,
    assets: o.assets,
    timeframes: o.timeframes,
    venues: o.venues,
    now: o.now,
    log: (line) => log(redactText(line)),
    // replicas: their own health metrics carry a `replica` label; the per-bar gauges come from the shared store
    ...(ownership ? { exporter: new BtcFlowExporter({ replica: replicaId }) } : {}),
  });
  let refreshTimer: NodeJS.Timeout | undefined;
  if (ownership) {
    new Gauge({
      name: 'btcflow_replica_series_held',
      help: 'Series this recorder replica records now (holds the PostgreSQL advisory lock of).',
      labelNames: ['replica'],
      registers: [metrics.exporter.registry],
      collect() {
        this.set({ replica: replicaId }, ownership.held().size);
      },
    });
    // a bar may close here before the replica recording its series has written it: recompute from the shared
    // store at every lock check, so that every replica exports the same values soon after the holder writes
    refreshTimer = setInterval(() => void metrics.refreshAll(), o.pollIntervalMs ?? DEFAULT_LOCK_CHECK_MS);
  }
  const server = createRecorderServer({
    store,
    token: o.token,
    log,
    healthExtra: () => recorder.health(),
    now: o.now,
    extraRoutes: { '/metrics': (req, res) => metrics.exporter.handleMetrics(req, res) },
  });
  const { url } = await server.listen(o.port ?? 8789, o.host ?? '127.0.0.1');
  log(
    `recorder: listening on ${url}${o.token !== undefined ? ' (bearer token required)' : ''}` +
      (ownership ? ` (replica ${replicaId})` : '')
  );
  // past history read ahead as blocks (SQLite): after the first fill, then hourly (a block becomes past every ~25
  // days; one that a write changed is cached again)
  const cacheBlocks = async () => {
    try {
      await store.cachePastBlocks?.();
    } catch (e) {
      log(`recorder: caching past blocks failed (reads use the rows): ${redactText((e as Error).message)}`);
    }
  };
  const blocksTimer = setInterval(() => void cacheBlocks(), 3_600_000);
  blocksTimer.unref();
  const started = recorder
    .start()
    .then(() => metrics.refreshAll())
    .then(() => log('recorder: first fill done; metrics at /metrics; polling once per bar'))
    .then(cacheBlocks);
  return {
    url,
    recorder,
    server,
    store,
    metrics,
    async stop() {
      await started.catch(() => undefined);
      clearInterval(refreshTimer);
      clearInterval(blocksTimer);
      await recorder.stop();
      await metrics.detach();
      await ownership?.close();
      await server.close();
      await store.close();
    },
  };
}

async function runRun(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length) {
    throw new CliUsageError(`run: unexpected argument ${JSON.stringify(args.positionals[0])}`);
  }
  const port = args.strings.port === undefined ? 8789 : Number(args.strings.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(`--port: expected a port number 0-65535, got ${JSON.stringify(args.strings.port)}`);
  }
  let token: string | undefined;
  const tf = args.strings['token-file'];
  if (tf !== undefined) {
    try {
      token = readFileSync(tf, 'utf8').trim();
    } catch (e) {
      throw new CliUsageError(`--token-file: cannot read ${tf}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!token || /\s/.test(token)) {
      throw new CliUsageError(`--token-file: ${tf} must hold one token without spaces`);
    }
  }
  const pollSecs = parsePositive(args.strings['poll-interval'], 'poll-interval', 86_400);
  if (pollSecs !== undefined && pollSecs < 0.1) {
    throw new CliUsageError(
      `--poll-interval: expected at least 0.1 seconds, got ${JSON.stringify(args.strings['poll-interval'])}`
    );
  }
  const replicaId = args.strings['replica-id']?.trim();
  if (replicaId !== undefined && !/^[A-Za-z0-9_.:-]{1,40}$/.test(replicaId)) {
    throw new CliUsageError(
      `--replica-id: expected 1-40 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(replicaId)}`
    );
  }
  const quiet = args.bools.quiet;
  const handle = await startRecorder({
    db: need(args, 'db'),
    assets: parseAssets(args.strings.assets),
    timeframes: parseTimeframes(args.strings.timeframes),
    venues: parseVenues(args.strings.venues),
    port,
    host: args.strings.host ?? '127.0.0.1',
    baseUrl: parseUrl(args.strings['base-url'], 'base-url'),
    token,
    fillDays: parsePositive(args.strings['fill-days'], 'fill-days', 36500),
    pollIntervalMs: pollSecs === undefined ? undefined : Math.round(pollSecs * 1000),
    replicaId,
    timeoutSecs: parsePositive(args.strings.timeout, 'timeout', 600),
    log: (line) => {
      if (!quiet) {
        io.stderr(`${new Date().toISOString()} ${redactText(line)}\n`);
      }
    },
  }).catch((e) => {
    if (e instanceof RecorderStoreError) {
      throw new CliUsageError(e.message);
    }
    if ((e as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
      throw new CliUsageError(`--port: ${port} is already in use`);
    }
    throw e;
  });
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.stderr('recorder: stopping\n');
  await handle.stop();
  return 0;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      if (rest[0] && COMMANDS[rest[0]]) {
        io.stdout(commandHelp(rest[0]));
      } else {
        io.stdout(usage());
      }
      return 0;
    }
    const spec = COMMANDS[cmd];
    if (!spec) {
      throw new CliUsageError(`unknown command ${JSON.stringify(cmd)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    }
    const args = parseArgs(rest, spec.flags, cmd);
    if (args.bools.help) {
      io.stdout(commandHelp(cmd));
      return 0;
    }
    switch (cmd) {
      case 'run':
        return await runRun(args, io);
      case 'backfill':
        return await runBackfill(args, io);
      case 'import':
        return await runImport(args, io);
      case 'export':
        return await runExport(args, io);
      case 'copy':
        return await runCopy(args, io);
      default:
        return await runStatus(args, io);
    }
  } catch (e) {
    if (e instanceof CliUsageError || e instanceof BtcFlowInputError || e instanceof RecorderStoreError) {
      io.stderr(`recorder: ${redactText(e.message)}\n`);
      return 2;
    }
    io.stderr(`recorder: internal error: ${redactText(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`recorder: internal error: ${redactText(e instanceof Error ? e.message : String(e))}\n`);
      process.exitCode = 1;
    }
  );
}
