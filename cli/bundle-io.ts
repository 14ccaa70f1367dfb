/**
 * Reading and writing bundle files for the CLI: file errors and malformed JSON become one-line CliUsageErrors that
 * name the file and, for JSON, the line, column and byte position of the problem.
 */
import { readFileSync } from 'node:fs';
import { CliUsageError } from './args';

/** Line and column (both 1-based) of character offset `pos` in `text`. */
export function lineCol(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let lastNl = -1;
  const end = Math.min(pos, text.length);
  for (let k = 0; k < end; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      lastNl = k;
    }
  }
  return { line, col: end - lastNl };
}

/**
 * Finds the first syntax error in JSON text with a small strict scanner (RFC 8259). Used only after JSON.parse has
 * failed, because V8 does not report a position for every error ("Unexpected token 'x', ... is not valid JSON").
 */
export function findJsonError(text: string): { pos: number; reason: string } | null {
  let i = 0;
  const n = text.length;
  class Stop extends Error {
    constructor(
      readonly pos: number,
      readonly reason: string
    ) {
      super(reason);
    }
  }
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) {
      i++;
    }
  };
  const show = (k: number) => (k >= n ? 'end of file' : `character ${JSON.stringify(text[k])}`);
  const fail = (what: string): never => {
    throw new Stop(i, `unexpected ${show(i)}, expected ${what}`);
  };
  const str = () => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) {
        throw new Stop(i, 'control character inside a string (a raw newline or tab must be escaped)');
      }
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            throw new Stop(i, 'bad \\u escape in a string');
          }
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          throw new Stop(i, 'bad escape in a string');
        }
        i += 2;
        continue;
      }
      i++;
    }
    throw new Stop(i, 'unterminated string');
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) {
      fail('a value');
    }
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') {
          fail('a double-quoted property name');
        }
        str();
        ws();
        if (text[i] !== ':') {
          fail("':'");
        }
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("',' or ']'");
      }
    }
    if (c === '"') {
      return str();
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      return num();
    }
    fail('a value');
  };
  try {
    value();
    ws();
    if (i < n) {
      throw new Stop(i, `unexpected ${show(i)} after the end of the JSON value`);
    }
    return null;
  } catch (e) {
    if (e instanceof Stop) {
      return { pos: e.pos, reason: e.reason };
    }
    return null; // e.g. RangeError from absurd nesting depth: fall back to V8's message
  }
}

/** Parses JSON text; on failure throws a CliUsageError naming `file` and the line, column and position. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (text.trim() === '') {
      throw new CliUsageError(`${file}: malformed JSON: the file is empty`);
    }
    const found = findJsonError(text);
    if (found) {
      const { line, col } = lineCol(text, found.pos);
      throw new CliUsageError(
        `${file}: malformed JSON at line ${line}, column ${col} (position ${found.pos}): ${found.reason}`
      );
    }
    const msg = (e instanceof Error ? e.message : String(e)).replace(/[\r\n]+/g, ' ').slice(0, 200);
    throw new CliUsageError(`${file}: malformed JSON: ${msg}`);
  }
}

function fileError(file: string, e: unknown): CliUsageError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory, not a file'
        : code === 'EACCES'
          ? 'permission denied'
          : e instanceof Error
            ? e.message
            : String(e);
  return new CliUsageError(`cannot read ${file}: ${why}`);
}

/** Reads and parses a JSON file (not yet validated as a bundle). */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(file, e);
  }
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
  }
  return parseJsonText(text, file);
}
