/**
 * Small, strict command-line parser for the btc-flow CLI: known flags only, `--flag value` and `--flag=value`,
 * repeatable flags, boolean switches, positionals. Every problem is a CliUsageError (exit code 2, one line).
 */

/** A user error on the command line or in the input: exit code 2, one line on stderr, no stack. */
export class CliUsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
    Object.setPrototypeOf(this, CliUsageError.prototype);
  }
}

export interface FlagSpec {
  /** Flag name without the leading dashes. */
  name: string;
  /** `string` takes one value, `list` takes one value and may repeat, `bool` takes none. */
  type: 'string' | 'list' | 'bool';
  /** Value placeholder and description for --help. */
  value?: string;
  help: string;
}

export interface ParsedArgs {
  positionals: string[];
  strings: Record<string, string | undefined>;
  lists: Record<string, string[]>;
  bools: Record<string, boolean>;
}

/**
 * Parses `argv` (the words after the subcommand) against `specs`. `--` ends flag parsing. `-h` is `--help` when a
 * `help` flag exists. A string flag given twice is an error (the user probably meant something else).
 */
export function parseArgs(argv: string[], specs: FlagSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedArgs = { positionals: [], strings: {}, lists: {}, bools: {} };
  for (const s of specs) {
    if (s.type === 'list') {
      out.lists[s.name] = [];
    } else if (s.type === 'bool') {
      out.bools[s.name] = false;
    }
  }
  const allowed = () => specs.map((s) => `--${s.name}`).join(', ');
  let i = 0;
  let flagsDone = false;
  while (i < argv.length) {
    const word = argv[i++];
    if (flagsDone || !word.startsWith('-') || word === '-') {
      out.positionals.push(word);
      continue;
    }
    if (word === '--') {
      flagsDone = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      inline = eq >= 0 ? word.slice(eq + 1) : undefined;
    } else if (word === '-h' && byName.has('help')) {
      name = 'help';
    } else {
      throw new CliUsageError(`${command}: unknown flag ${word}; allowed: ${allowed()}`);
    }
    const spec = byName.get(name);
    if (!spec) {
      throw new CliUsageError(`${command}: unknown flag --${name}; allowed: ${allowed()}`);
    }
    if (spec.type === 'bool') {
      if (inline !== undefined) {
        throw new CliUsageError(`${command}: flag --${name} takes no value`);
      }
      out.bools[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i >= argv.length || (argv[i].startsWith('--') && argv[i].length > 2)) {
        throw new CliUsageError(`${command}: flag --${name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
      }
      value = argv[i++];
    }
    if (spec.type === 'list') {
      out.lists[name].push(value);
    } else {
      if (out.strings[name] !== undefined) {
        throw new CliUsageError(`${command}: flag --${name} given twice`);
      }
      out.strings[name] = value;
    }
  }
  return out;
}

/** Renders the flag list of a --help text, aligned. */
export function flagHelp(specs: FlagSpec[]): string {
  const heads = specs.map((s) => `  --${s.name}${s.value ? ` ${s.value}` : ''}`);
  const w = Math.max(...heads.map((h) => h.length)) + 2;
  return specs.map((s, k) => heads[k].padEnd(w) + s.help).join('\n');
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses an ISO-8601 date or date-time into UTC epoch ms. `2021-04-14` is midnight UTC; a time without a zone is read
 * as UTC; `Z` and `±HH:MM` offsets are honoured. Calendar-impossible dates (2021-02-30) are rejected.
 */
export function parseIsoDate(raw: string, flag: string): number {
  const m = ISO_RE.exec(raw.trim());
  const bad = () =>
    new CliUsageError(`${flag}: bad ISO date ${JSON.stringify(raw)}; expected e.g. 2021-04-14 or 2021-04-14T08:00:00Z`);
  if (!m) {
    throw bad();
  }
  const [y, mo, d, h = '0', mi = '0', s = '0', ms = '0'] = m.slice(1, 8).map((x) => x ?? undefined);
  const nums = [y, mo, d, h, mi, s].map(Number);
  const msNum = Number(ms.padEnd(3, '0'));
  const t = Date.UTC(nums[0], nums[1] - 1, nums[2], nums[3], nums[4], nums[5], msNum);
  const back = new Date(t);
  if (
    back.getUTCFullYear() !== nums[0] ||
    back.getUTCMonth() !== nums[1] - 1 ||
    back.getUTCDate() !== nums[2] ||
    nums[3] > 23 ||
    nums[4] > 59 ||
    nums[5] > 59
  ) {
    throw bad();
  }
  const zone = m[8];
  if (!zone || zone === 'Z') {
    return t;
  }
  const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const off = (Number(zm[2]) * 60 + Number(zm[3])) * 60_000;
  if (Number(zm[2]) > 23 || Number(zm[3]) > 59) {
    throw bad();
  }
  return zm[1] === '+' ? t - off : t + off;
}
