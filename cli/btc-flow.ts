/**
 * btc-flow: command-line front end of the BTC Flow metric engine.
 *
 *   npm run --silent btc-flow -- compute <bundle.json> [--timeframe 1d] [--from ISO] [--to ISO]
 *                                        [--set option=value ...] [--format json|table|csv]
 *
 * Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 internal error (one line; the stack only with
 * --debug or BTC_FLOW_DEBUG=1). See docs/cli.md.
 */
import {
  Bundle,
  BtcFlowInputError,
  ComputeOptions,
  EngineOptions,
  OPTION_NAMES,
  TIMEFRAMES,
  Timeframe,
  compute,
  defaultLookback,
  parseOptionValue,
  parseTimeframe,
  validateBundle,
} from '../src/core';
import { accessSync, constants as fsConstants, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { cacheSubdir, defaultCacheDir, FileStore } from './fileStore';
import { MAX_MARKETS_MAX_AGE_MS } from '../src/exchanges/store';
import { CliUsageError, FlagSpec, ParsedArgs, flagHelp, parseArgs, parseIsoDate } from './args';
import { readJsonFile } from './bundle-io';
import type { BundleProgress, BundleResult } from '../src/exchanges';
import { redactText, redactUrl } from '../src/exchanges/redact';
import { OUTPUT_FORMATS, OutputFormat, writeDocument } from './format';

/** Where the CLI writes; injectable so tests can run `main` in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal (the default format is then `table`, otherwise `json`). */
  stdoutIsTTY: boolean;
  env: Record<string, string | undefined>;
  /**
   * The clock for "now" (the default `--to`, the open bar, venue retention): Date.now unless given. Tests that freeze
   * the mock exchange server's clock give the CLI the same one.
   */
  now?: () => number;
}

export const DEFAULT_TIMEFRAME: Timeframe = '1d';

const HELP_FLAG: FlagSpec = { name: 'help', type: 'bool', help: 'show this help' };
const DEBUG_FLAG: FlagSpec = { name: 'debug', type: 'bool', help: 'print the stack trace of an internal error' };

export const COMPUTE_FLAGS: FlagSpec[] = [
  {
    name: 'timeframe',
    type: 'string',
    value: 'TF',
    help: `bar timeframe: ${TIMEFRAMES.join(' | ')} (default ${DEFAULT_TIMEFRAME})`,
  },
  {
    name: 'from',
    type: 'string',
    value: 'ISO',
    help: 'first bar to output, e.g. 2021-01-01 (UTC; default: first bar)',
  },
  { name: 'to', type: 'string', value: 'ISO', help: 'last bar to output, inclusive (UTC; default: last bar)' },
  {
    name: 'set',
    type: 'list',
    value: 'NAME=VALUE',
    help: 'engine option, repeatable (see the list below and docs/metrics.md)',
  },
  {
    name: 'format',
    type: 'string',
    value: 'FMT',
    help: 'json | table | csv (default: table on a terminal, json otherwise)',
  },
  { name: 'quiet', type: 'bool', help: 'do not print the engine notices on stderr' },
  HELP_FLAG,
  DEBUG_FLAG,
];

export const FETCH_FLAGS: FlagSpec[] = [
  { name: 'asset', type: 'string', value: 'COIN', help: 'coin code, e.g. BTC or ETH (default BTC)' },
  {
    name: 'timeframe',
    type: 'string',
    value: 'TF',
    help: `bar timeframe: ${TIMEFRAMES.join(' | ')} (default ${DEFAULT_TIMEFRAME})`,
  },
  { name: 'from', type: 'string', value: 'ISO', help: 'start of the range (UTC), required' },
  { name: 'to', type: 'string', value: 'ISO', help: 'end of the range (UTC; default: now)' },
  {
    name: 'venues',
    type: 'string',
    value: 'A,B',
    help: 'comma-separated venue ids (default: every venue of the registry)',
  },
  {
    name: 'base-url',
    type: 'string',
    value: 'URL',
    help: 'send every request to URL/<host>/<path> (mock server or mirror); default: the real exchanges',
  },
  {
    name: 'timeout',
    type: 'string',
    value: 'SECONDS',
    help: 'per-request timeout (default 10); 429/5xx/timeouts are retried 3 times',
  },
  {
    name: 'cache-dir',
    type: 'string',
    value: 'DIR',
    help: 'keep closed bars in DIR for the next run (default $XDG_CACHE_HOME/btc-flow or ~/.cache/btc-flow)',
  },
  { name: 'no-cache', type: 'bool', help: 'neither read nor write the cache of closed bars' },
  {
    name: 'markets-max-age',
    type: 'string',
    value: 'HOURS',
    help: 'use a market list from the cache up to this age (default 24; 0 = always ask the venues)',
  },
  { name: 'out', type: 'string', value: 'FILE', help: 'bundle file to write (default: stdout)' },
  { name: 'quiet', type: 'bool', help: 'no progress or notices on stderr' },
  HELP_FLAG,
  DEBUG_FLAG,
];

export const METRICS_FLAGS: FlagSpec[] = [
  ...FETCH_FLAGS.filter((f) => f.name !== 'out' && f.name !== 'quiet' && f.name !== 'help' && f.name !== 'debug'),
  { name: 'set', type: 'list', value: 'NAME=VALUE', help: 'engine option, repeatable (as for compute)' },
  {
    name: 'format',
    type: 'string',
    value: 'FMT',
    help: 'json | table | csv (default: table on a terminal, json otherwise)',
  },
  {
    name: 'save-bundle',
    type: 'string',
    value: 'FILE',
    help: 'also write the fetched bundle (warm-up included) to FILE',
  },
  { name: 'quiet', type: 'bool', help: 'no progress or notices on stderr' },
  HELP_FLAG,
  DEBUG_FLAG,
];

const SUBCOMMANDS = ['compute', 'fetch', 'metrics', 'help'] as const;

function usage(): string {
  return [
    'btc-flow: spot premium, aggregated open interest and composite funding, with z-scores and events',
    '',
    'Usage:',
    '  btc-flow compute <bundle.json> [--timeframe TF] [--from ISO] [--to ISO] [--set name=value ...] [--format json|table|csv]',
    '  btc-flow fetch --asset BTC --timeframe TF --from ISO [--to ISO] [--venues a,b] [--base-url URL] [--out bundle.json]',
    '  btc-flow metrics --asset BTC --timeframe TF --from ISO [--to ISO] [--venues a,b] [--base-url URL] [--set ...] [--format ...]',
    '  btc-flow help [subcommand]',
    '  btc-flow <subcommand> --help',
    '',
    'Subcommands:',
    '  compute   run the metric engine on a bundle file and print bars, events and coverage',
    '  fetch     fetch every series of an asset from the exchanges (through ccxt) into a bundle file',
    '  metrics   fetch and compute in one step (fetches a z-score warm-up before --from)',
    '  help      show this help, or the help of a subcommand',
    '',
    'Exit codes: 0 ok, 2 bad input or usage, 1 internal error (add --debug or BTC_FLOW_DEBUG=1 for the stack).',
    'Run through npm as: npm run --silent btc-flow -- <subcommand> ...   Full manual: docs/cli.md',
    '',
  ].join('\n');
}

function computeHelp(): string {
  return [
    'Usage: btc-flow compute <bundle.json> [flags]',
    '',
    'Reads a bundle ({"asset", "series": [...]}, see docs/cli.md) and prints one row per bar of the timeframe with',
    'spot and perp basket closes (USD), premium (%), aggregated OI (USD), composite funding (8h rate and APR %),',
    'their z-scores and the confluence / extreme states, then the merged events and the coverage.',
    '',
    'Flags:',
    flagHelp(COMPUTE_FLAGS),
    '',
    `Options for --set: ${OPTION_NAMES.join(', ')}`,
    '',
    'Example: npm run --silent btc-flow -- compute bundle.json --timeframe 1w --set lookback=52 --format table',
    '',
  ].join('\n');
}

function fetchHelp(): string {
  return [
    'Usage: btc-flow fetch --asset BTC --timeframe 1d --from ISO [--to ISO] [--venues a,b] [--base-url URL] [--out FILE]',
    '',
    'Fetches spot and perp closes, open interest, funding and the USDT/USD reference for the asset from every chosen',
    'venue (ccxt, paginated within each venue limit) and writes the bundle that `btc-flow compute` reads. A venue or',
    'series that fails is left out with a warning on stderr; the others go on. Progress goes to stderr.',
    'Without --base-url the requests go to the real exchanges. With --base-url http://127.0.0.1:8788 they go to the',
    'mock exchange server (npm run mock-exchanges), or to any mirror that serves <base>/<host>/<path>.',
    'Closed bars are kept in the cache folder (one subfolder per base URL), so a re-run asks only for the open bar.',
    '',
    'Flags:',
    flagHelp(FETCH_FLAGS),
    '',
    `Venues: ${venueListText()}`,
    '',
  ].join('\n');
}

function metricsHelp(): string {
  return [
    'Usage: btc-flow metrics --asset BTC --timeframe 1d --from ISO [--to ISO] [--venues a,b] [--base-url URL] [--set ...]',
    '',
    'fetch + compute in one step. So that the z-scores exist from --from on, the fetch starts `lookback` bars earlier',
    '(the lookback option, or the default of the timeframe); the output starts at --from. Output as for compute.',
    '',
    'Flags:',
    flagHelp(METRICS_FLAGS),
    '',
    `Options for --set: ${OPTION_NAMES.join(', ')}`,
    '',
  ].join('\n');
}

/** Venue ids for help texts, filled in when the exchange layer (loaded lazily by fetch / metrics) is loaded. */
let venueIds: readonly string[] = [];
function venueListText(): string {
  return venueIds.length ? venueIds.join(', ') : 'see docs/venues.md';
}

/** Parses `--set name=value` words into a validated partial option object (later repeats win). */
export function parseSetFlags(words: string[]): Partial<EngineOptions> {
  const out: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) {
      throw new CliUsageError(
        `--set: expected name=value, got ${JSON.stringify(w)}; options: ${OPTION_NAMES.join(', ')}`
      );
    }
    const name = w.slice(0, eq).trim();
    out[name] = parseOptionValue(name, w.slice(eq + 1));
  }
  return out as Partial<EngineOptions>;
}

function parseFormat(raw: string | undefined, io: CliIo): OutputFormat {
  if (raw === undefined) {
    return io.stdoutIsTTY ? 'table' : 'json';
  }
  if (!(OUTPUT_FORMATS as readonly string[]).includes(raw)) {
    throw new CliUsageError(`--format: unknown format ${JSON.stringify(raw)}; allowed: ${OUTPUT_FORMATS.join(', ')}`);
  }
  return raw as OutputFormat;
}

/** --timeframe, --from, --to and their consistency. */
export function parseRange(args: ParsedArgs, defaultTf: Timeframe = DEFAULT_TIMEFRAME) {
  const timeframe =
    args.strings.timeframe === undefined ? defaultTf : parseTimeframe(args.strings.timeframe, '--timeframe');
  const from = args.strings.from === undefined ? undefined : parseIsoDate(args.strings.from, '--from');
  const to = args.strings.to === undefined ? undefined : parseIsoDate(args.strings.to, '--to');
  if (from !== undefined && to !== undefined && from > to) {
    throw new CliUsageError(`--from (${args.strings.from}) is after --to (${args.strings.to})`);
  }
  return { timeframe, from, to };
}

/** Reads a bundle file and validates it with the engine's validateBundle; errors name the file and the field. */
export function loadBundle(file: string): Bundle {
  const json = readJsonFile(file);
  try {
    return validateBundle(json);
  } catch (e) {
    if (isInputError(e)) {
      throw new CliUsageError(`${file}: ${inputErrorText(e)}`);
    }
    throw e;
  }
}

/** Points above which the parsed bundle is worth a collection before the output is written (about 30 MB of arrays). */
const LARGE_BUNDLE_POINTS = 500_000;

/**
 * Reads, validates and computes a bundle file. The parsed bundle is not reachable once this returns; for a large one a
 * full collection then frees it before the output is written, so the output's garbage does not pile up on top of it
 * (1M bars: 1.1 GB peak RSS without, about 0.7 GB with; bench/cli-memory.ts).
 */
function computeFile(file: string, options: ComputeOptions): ReturnType<typeof compute> {
  let bundle: Bundle | undefined = loadBundle(file);
  const points = bundle.series.reduce((a, s) => a + s.points.length, 0);
  const result = compute(bundle, options);
  bundle = undefined;
  if (points > LARGE_BUNDLE_POINTS) {
    collectGarbage();
  }
  return result;
}

/**
 * A full garbage collection where the runtime allows it: V8's `gc`, exposed at run time as bench/core.ts does. V8
 * otherwise waits until the heap has grown a few times past what was live at its last collection, which at 1M bars
 * still includes the parsed bundle. Does nothing when unavailable.
 */
export function collectGarbage(): void {
  try {
    let gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc !== 'function') {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    gc();
  } catch {
    // no gc: V8 collects on its own schedule
  }
}

function runCompute(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, COMPUTE_FLAGS, 'compute');
  if (args.bools.help) {
    io.stdout(computeHelp());
    return 0;
  }
  if (args.positionals.length === 0) {
    throw new CliUsageError('compute: missing the bundle file; usage: btc-flow compute <bundle.json> [flags]');
  }
  if (args.positionals.length > 1) {
    throw new CliUsageError(
      `compute: unexpected argument ${JSON.stringify(args.positionals[1])}; give one bundle file`
    );
  }
  const { timeframe, from, to } = parseRange(args);
  const options = parseSetFlags(args.lists.set);
  const format = parseFormat(args.strings.format, io);
  const result = computeFile(args.positionals[0], { ...options, timeframe, from, to });
  writeDocument(result, format, (t) => io.stdout(t));
  if (!args.bools.quiet) {
    for (const n of result.notices ?? []) {
      io.stderr(`btc-flow: note: ${oneLine(String(n))}\n`);
    }
  }
  return 0;
}

const HOUR_MS = 3_600_000;

type Exchanges = typeof import('../src/exchanges');

/** The exchange layer (ccxt) is loaded only by fetch / metrics, so compute starts fast. */
async function loadExchanges(): Promise<Exchanges> {
  const ex = await import('../src/exchanges');
  venueIds = ex.DEFAULT_VENUES;
  return ex;
}

/** Longest --markets-max-age accepted, hours (the exchange layer's limit). */
const MAX_MARKETS_MAX_AGE_H = MAX_MARKETS_MAX_AGE_MS / 3_600_000;

interface FetchPlan {
  asset: string;
  timeframe: Timeframe;
  from: number;
  to: number;
  venues?: string[];
  baseUrl?: string;
  timeoutMs?: number;
  /** Folder of the cache of closed bars for this base URL; undefined = no cache. */
  cacheDir?: string;
  /** Age up to which a cached market list is used, ms (undefined: the exchange layer's default, 24 h). */
  marketsMaxAgeMs?: number;
}

/** Validates the fetch flags (asset, timeframe, range, venues, base URL) before any request is made. */
function parseFetchPlan(args: ParsedArgs, ex: Exchanges, now: number, env: CliIo['env']): FetchPlan {
  const rawAsset = (args.strings.asset ?? 'BTC').trim();
  const asset = rawAsset.toUpperCase();
  if (!/^[A-Z0-9]{1,15}$/.test(asset)) {
    throw new CliUsageError(`--asset: bad asset ${JSON.stringify(rawAsset)}; expected a coin code such as BTC or ETH`);
  }
  const { timeframe, from, to: toFlag } = parseRange(args);
  if (from === undefined) {
    throw new CliUsageError('--from is required (e.g. --from 2025-01-01)');
  }
  const to = toFlag ?? now;
  if (from > to) {
    throw new CliUsageError(`--from (${args.strings.from}) is after --to (${args.strings.to ?? 'now'})`);
  }
  let venues: string[] | undefined;
  if (args.strings.venues !== undefined) {
    venues = args.strings.venues
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (!venues.length) {
      throw new CliUsageError(`--venues: empty list; known venues: ${ex.DEFAULT_VENUES.join(', ')}`);
    }
    for (const v of venues) {
      if (!ex.isVenueId(v)) {
        const dropped = ex.DROPPED_VENUES.find((d) => d.id === v);
        throw new CliUsageError(
          `--venues: unknown venue ${JSON.stringify(v)}${dropped ? ` (${dropped.reason})` : ''}; known venues: ${ex.DEFAULT_VENUES.join(', ')}`
        );
      }
    }
  }
  let baseUrl: string | undefined;
  if (args.strings['base-url'] !== undefined) {
    // the exchange layer's own check: http(s)://host[:port][/path], no user:password@ (the message hides a password)
    try {
      baseUrl = ex.checkMirrorUrl(args.strings['base-url'], '--base-url');
    } catch (e) {
      throw new CliUsageError((e as Error).message);
    }
  }
  let timeoutMs: number | undefined;
  if (args.strings.timeout !== undefined) {
    const secs = Number(args.strings.timeout);
    const min = ex.MIN_TIMEOUT_MS / 1000;
    if (!Number.isFinite(secs) || secs < min || secs > 600) {
      throw new CliUsageError(
        `--timeout: expected seconds from ${min} to 600, got ${JSON.stringify(args.strings.timeout)}`
      );
    }
    timeoutMs = Math.round(secs * 1000);
  }
  if (args.bools['no-cache'] && args.strings['cache-dir'] !== undefined) {
    throw new CliUsageError('--no-cache and --cache-dir exclude each other; give one');
  }
  let cacheRoot: string | undefined;
  if (!args.bools['no-cache']) {
    const given = args.strings['cache-dir'];
    if (given !== undefined && given.trim() === '') {
      throw new CliUsageError('--cache-dir: expected a folder path');
    }
    cacheRoot = given !== undefined ? resolvePath(given.trim()) : defaultCacheDir(env);
  }
  const cacheDir = cacheRoot ? join(cacheRoot, cacheSubdir(baseUrl)) : undefined;
  let marketsMaxAgeMs: number | undefined;
  const maxAge = args.strings['markets-max-age'];
  if (maxAge !== undefined) {
    const hours = Number(maxAge);
    if (maxAge.trim() === '' || !Number.isFinite(hours) || hours < 0 || hours > MAX_MARKETS_MAX_AGE_H) {
      throw new CliUsageError(
        `--markets-max-age: expected hours from 0 to ${MAX_MARKETS_MAX_AGE_H}, got ${JSON.stringify(maxAge)}`
      );
    }
    marketsMaxAgeMs = Math.round(hours * 3_600_000);
  }
  return { asset, timeframe, from, to, venues, baseUrl, timeoutMs, cacheDir, marketsMaxAgeMs };
}

/**
 * Fetches the bundle, reporting progress and venue notices on stderr. Empty series (no data in the range) are dropped
 * with a notice, so that the result always passes validateBundle. Exits 2 when no venue lists the asset, 1 when
 * nothing at all could be fetched for another reason.
 */
async function fetchPlan(plan: FetchPlan, ex: Exchanges, io: CliIo, quiet: boolean): Promise<BundleResult> {
  const ctx = new ex.ExchangeContext({
    now: io.now,
    baseUrl: plan.baseUrl,
    timeoutMs: plan.timeoutMs,
    store: plan.cacheDir ? new FileStore(plan.cacheDir) : undefined,
    marketsMaxAgeMs: plan.marketsMaxAgeMs,
  });
  const started = Date.now();
  const where = plan.baseUrl ? ` via ${redactUrl(plan.baseUrl)}` : '';
  if (!quiet) {
    io.stderr(
      `btc-flow: fetching ${plan.asset} ${plan.timeframe} ${new Date(plan.from).toISOString()} .. ${new Date(plan.to).toISOString()}` +
        `${where}\n`
    );
  }
  // progress: a line when a venue starts (its first series) and one per series as it ends, so a hanging venue shows
  const startedVenues = new Set<string>();
  const progress = (p: BundleProgress) => {
    if (quiet) {
      return;
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (p.phase === 'start') {
      if (!startedVenues.has(p.venue)) {
        startedVenues.add(p.venue);
        io.stderr(`btc-flow: ${p.venue} started (${secs} s)\n`);
      }
      return;
    }
    if (p.status === 'fallback') {
      io.stderr(`btc-flow: ${p.venue} ${p.kind} failed, trying the next ${p.kind} venue (${secs} s)\n`);
      return;
    }
    const word = p.status === 'ok' ? 'ok' : p.status === 'notApplicable' ? 'not applicable' : 'FAILED';
    io.stderr(`btc-flow: [${p.done}/${p.total}] ${p.venue} ${p.kind} ${word} (${secs} s)\n`);
  };
  // --to is inclusive: the bar that contains it (and a funding settlement exactly at it) is fetched
  const res = await ex.fetchBundle(
    { asset: plan.asset, timeframe: plan.timeframe, from: plan.from, to: plan.to + 1, venues: plan.venues },
    ctx,
    progress
  );
  const kept = res.bundle.series.filter((s) => s.points.length > 0);
  const dropped = res.bundle.series.filter((s) => s.points.length === 0);
  res.bundle = { asset: res.bundle.asset, series: kept };
  if (!quiet) {
    for (const n of res.notices) {
      io.stderr(`btc-flow: ${n.level === 'info' ? 'info' : 'warning'}: ${oneLine(n.message)}\n`);
    }
    for (const s of dropped) {
      io.stderr(`btc-flow: warning: ${s.venue} ${s.kind}: no points in the range, left out of the bundle\n`);
    }
  }
  // the USDT/USD reference alone is no data about the asset
  if (!kept.some((s) => s.kind !== 'fx')) {
    const failed = res.failed.filter((f) => f.kind !== 'fx');
    const reasons = failed.map((f) => `${f.venue} ${f.kind}: ${oneLine(f.reason)}`);
    const some = `${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? '; ...' : ''}`;
    if (failed.length > 0 && failed.every((f) => /lists no .*market for/i.test(f.reason))) {
      throw new CliUsageError(`--asset: no chosen venue lists ${plan.asset} (${some})`);
    }
    throw new FetchFailedError(
      `nothing could be fetched for ${plan.asset}${reasons.length ? `: ${some}` : ' in this range'}`
    );
  }
  if (!quiet) {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const pts = kept.reduce((a, s) => a + s.points.length, 0);
    io.stderr(
      `btc-flow: fetched ${kept.length} series, ${pts} points in ${secs} s${res.failed.length ? `; ${res.failed.length} failed` : ''}` +
        `${res.notApplicable.length ? `; ${res.notApplicable.length} not applicable` : ''}\n`
    );
  }
  return res;
}

/** Nothing could be fetched (network, venue errors): exit 1, one line, not a program bug. */
export class FetchFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchFailedError';
    Object.setPrototypeOf(this, FetchFailedError.prototype);
  }
}

/** Bundle JSON text: one series per line (points stay compact), valid JSON. */
export function formatBundle(bundle: Bundle, note?: string): string {
  const head = note === undefined ? { asset: bundle.asset } : { asset: bundle.asset, note };
  const open = JSON.stringify(head).slice(0, -1);
  const series = bundle.series.map((s) => '    ' + JSON.stringify(s)).join(',\n');
  return `${open},\n  "series": [\n${series}\n  ]\n}\n`;
}

/**
 * Checks before any fetch that `file` can be written: its folder exists and is writable, and the file, when it exists,
 * is a writable file (so a long fetch does not end in a bare ENOENT). `-` and undefined mean stdout.
 */
export function checkWritable(file: string | undefined, flag: string): void {
  if (file === undefined || file === '-') {
    return;
  }
  const full = resolvePath(file);
  const dir = dirname(full);
  let why: string | undefined;
  try {
    if (!statSync(dir).isDirectory()) {
      why = `${dir} is not a directory`;
    } else {
      accessSync(dir, fsConstants.W_OK);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    why = code === 'ENOENT' ? `the directory ${dir} does not exist` : `the directory ${dir} is not writable (${code})`;
  }
  if (why === undefined) {
    try {
      const st = statSync(full);
      if (st.isDirectory()) {
        why = `${full} is a directory`;
      } else {
        accessSync(full, fsConstants.W_OK);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (code !== 'ENOENT') {
        why = `${full} is not writable (${code})`;
      }
    }
  }
  if (why !== undefined) {
    throw new CliUsageError(`${flag}: cannot write ${file}: ${why}`);
  }
}

function writeOut(file: string | undefined, text: string, io: CliIo): void {
  if (file === undefined || file === '-') {
    io.stdout(text);
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new CliUsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException)?.code ?? (e as Error).message}`);
  }
}

async function runFetch(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, FETCH_FLAGS, 'fetch');
  const ex = await loadExchanges();
  if (args.bools.help) {
    io.stdout(fetchHelp());
    return 0;
  }
  if (args.positionals.length) {
    throw new CliUsageError(
      `fetch: unexpected argument ${JSON.stringify(args.positionals[0])}; use --out FILE for the bundle`
    );
  }
  const plan = parseFetchPlan(args, ex, (io.now ?? Date.now)(), io.env);
  checkWritable(args.strings.out, '--out');
  const res = await fetchPlan(plan, ex, io, args.bools.quiet);
  const note =
    `fetched by btc-flow fetch: ${plan.asset} ${plan.timeframe} ${new Date(plan.from).toISOString()} .. ` +
    `${new Date(plan.to).toISOString()}${plan.baseUrl ? ` from ${redactUrl(plan.baseUrl)}` : ''}`;
  writeOut(args.strings.out, formatBundle(res.bundle, note), io);
  if (!args.bools.quiet && args.strings.out !== undefined && args.strings.out !== '-') {
    io.stderr(`btc-flow: wrote ${args.strings.out}\n`);
  }
  return 0;
}

async function runMetrics(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, METRICS_FLAGS, 'metrics');
  const ex = await loadExchanges();
  if (args.bools.help) {
    io.stdout(metricsHelp());
    return 0;
  }
  if (args.positionals.length) {
    throw new CliUsageError(`metrics: unexpected argument ${JSON.stringify(args.positionals[0])}`);
  }
  const plan = parseFetchPlan(args, ex, (io.now ?? Date.now)(), io.env);
  const options = parseSetFlags(args.lists.set);
  const format = parseFormat(args.strings.format, io);
  checkWritable(args.strings['save-bundle'], '--save-bundle');
  // warm-up: lookback bars before --from, so the z-scores exist from the first output bar
  const lookback = typeof options.lookback === 'number' ? options.lookback : defaultLookback(plan.timeframe);
  const barMs = plan.timeframe === '1M' ? 31 * 24 * HOUR_MS : TIMEFRAME_HOURS[plan.timeframe] * HOUR_MS;
  // ... but never before the first data of every chosen venue (the registry knows it): a lookback of 100,000 bars
  // would otherwise start centuries back
  const specs = (plan.venues ?? ex.DEFAULT_VENUES).map((v) => ex.getVenue(v));
  const earliest = ex.earliestFirstDataMs(specs, ['spot', 'perp', 'openInterest', 'funding']);
  const wanted = plan.from - lookback * barMs;
  const fetchFrom = Math.min(plan.from, Math.max(wanted, earliest));
  if (fetchFrom > wanted && !args.bools.quiet) {
    io.stderr(
      `btc-flow: info: warm-up capped: ${lookback} ${plan.timeframe} bars before --from would start ${isoDay(wanted)}; ` +
        `no chosen venue has data before ${isoDay(earliest)}, so the fetch starts there\n`
    );
  }
  // one bar past --to, so the last output bar also has the funding settlements that fall after its start
  const fetchTo = Math.min(plan.to + barMs, Math.max(plan.to, (io.now ?? Date.now)()));
  const res = await fetchPlan({ ...plan, from: fetchFrom, to: fetchTo }, ex, io, args.bools.quiet);
  const bundle = validateBundle(res.bundle);
  if (args.strings['save-bundle'] !== undefined) {
    writeOut(args.strings['save-bundle'], formatBundle(bundle), io);
  }
  const result = compute(bundle, { ...options, timeframe: plan.timeframe, from: plan.from, to: plan.to });
  writeDocument(result, format, (t) => io.stdout(t));
  if (!args.bools.quiet) {
    for (const n of result.notices ?? []) {
      io.stderr(`btc-flow: note: ${oneLine(String(n))}\n`);
    }
  }
  return 0;
}

/** YYYY-MM-DD of a time (UTC). */
function isoDay(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? 'before any date' : d.toISOString().slice(0, 10);
}

const TIMEFRAME_HOURS: Record<Exclude<Timeframe, '1M'>, number> = { '1h': 1, '4h': 4, '1d': 24, '3d': 72, '1w': 168 };

function isInputError(e: unknown): e is BtcFlowInputError {
  return e instanceof BtcFlowInputError || (e instanceof Error && e.name === 'BtcFlowInputError');
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Message of an engine input error, prefixed with its field unless the message already names it. */
function inputErrorText(e: BtcFlowInputError): string {
  const msg = oneLine(e.message);
  const field = (e as { field?: unknown }).field;
  return typeof field === 'string' && field !== '' && !msg.includes(field) ? `${field}: ${msg}` : msg;
}

/**
 * Runs the CLI on `argv` (the words after the program name) and returns the exit code. Never throws and never calls
 * process.exit, so tests can call it in-process.
 */
export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  // every line on stderr passes through redactText: a base URL's user:password@ is never printed
  const io: CliIo = { ...rawIo, stderr: (t) => rawIo.stderr(redactText(t)) };
  const debug = argv.includes('--debug') || io.env.BTC_FLOW_DEBUG === '1';
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined) {
      io.stderr(usage());
      return 2;
    }
    if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
      const topic = cmd === 'help' ? rest.find((w) => !w.startsWith('-')) : undefined;
      if (topic === 'compute') {
        io.stdout(computeHelp());
      } else if (topic === 'fetch' || topic === 'metrics') {
        await loadExchanges();
        io.stdout(topic === 'fetch' ? fetchHelp() : metricsHelp());
      } else if (topic === undefined || topic === 'help') {
        io.stdout(usage());
      } else {
        throw new CliUsageError(
          `help: unknown subcommand ${JSON.stringify(topic)}; allowed: ${SUBCOMMANDS.join(', ')}`
        );
      }
      return 0;
    }
    switch (cmd) {
      case 'compute':
        return runCompute(rest, io);
      case 'fetch':
        return await runFetch(rest, io);
      case 'metrics':
        return await runMetrics(rest, io);
      default:
        throw new CliUsageError(
          cmd.startsWith('-')
            ? `expected a subcommand before ${cmd}; allowed: ${SUBCOMMANDS.join(', ')}`
            : `unknown subcommand ${JSON.stringify(cmd)}; allowed: ${SUBCOMMANDS.join(', ')}`
        );
    }
  } catch (e) {
    return reportError(e, io, debug);
  }
}

/** Prints one line for an error and returns its exit code (2 for bad input, 1 for anything else). */
export function reportError(e: unknown, io: CliIo, debug: boolean): number {
  if (e instanceof CliUsageError) {
    io.stderr(`btc-flow: ${oneLine(e.message)}\n`);
    return 2;
  }
  if (isInputError(e)) {
    io.stderr(`btc-flow: ${inputErrorText(e)}\n`);
    return 2;
  }
  if (e instanceof FetchFailedError) {
    io.stderr(`btc-flow: ${oneLine(e.message)}\n`);
    return 1;
  }
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (debug && e instanceof Error && e.stack) {
    io.stderr(`btc-flow: internal error: ${e.stack}\n`);
  } else {
    io.stderr(`btc-flow: internal error: ${oneLine(msg)} (run with --debug or BTC_FLOW_DEBUG=1 for the stack)\n`);
  }
  return 1;
}

/** The real process streams. Output goes through process.stdout.write; the exit code is set, not forced. */
export function processIo(): CliIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    env: process.env,
  };
}

if (require.main === module) {
  // A closed pipe (`btc-flow ... | head`) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      process.exit(process.exitCode ?? 0);
    }
    throw err;
  });
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`btc-flow: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  );
}
