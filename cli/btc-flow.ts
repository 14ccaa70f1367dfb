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
  parseOptionValue,
  parseTimeframe,
  validateBundle,
} from '../src/core';
import { CliUsageError, FlagSpec, ParsedArgs, flagHelp, parseArgs, parseIsoDate } from './args';
import { readJsonFile } from './bundle-io';
import { OUTPUT_FORMATS, OutputFormat, formatDocument, toOutputDocument } from './format';

/** Where the CLI writes; injectable so tests can run `main` in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal (the default format is then `table`, otherwise `json`). */
  stdoutIsTTY: boolean;
  env: Record<string, string | undefined>;
}

export const DEFAULT_TIMEFRAME: Timeframe = '1d';

const HELP_FLAG: FlagSpec = { name: 'help', type: 'bool', help: 'show this help' };
const DEBUG_FLAG: FlagSpec = { name: 'debug', type: 'bool', help: 'print the stack trace of an internal error' };

const COMPUTE_FLAGS: FlagSpec[] = [
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

const SUBCOMMANDS = ['compute', 'help'] as const;

function usage(): string {
  return [
    'btc-flow: spot premium, aggregated open interest and composite funding, with z-scores and events',
    '',
    'Usage:',
    '  btc-flow compute <bundle.json> [--timeframe TF] [--from ISO] [--to ISO] [--set name=value ...] [--format json|table|csv]',
    '  btc-flow help [subcommand]',
    '  btc-flow <subcommand> --help',
    '',
    'Subcommands:',
    '  compute   run the metric engine on a bundle file and print bars, events and coverage',
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
  const bundle = loadBundle(args.positionals[0]);
  const computeOptions: ComputeOptions = { ...options, timeframe, from, to };
  const result = compute(bundle, computeOptions);
  io.stdout(formatDocument(toOutputDocument(result), format));
  if (!args.bools.quiet) {
    for (const n of result.notices ?? []) {
      io.stderr(`btc-flow: note: ${oneLine(String(n))}\n`);
    }
  }
  return 0;
}

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
export async function main(argv: string[], io: CliIo): Promise<number> {
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
