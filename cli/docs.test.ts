/** @jest-environment node */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_OPTIONS, OPTION_NAMES, TIMEFRAMES, defaultLookback } from '../src/core';
import { COMPUTE_FLAGS, FETCH_FLAGS, METRICS_FLAGS } from './btc-flow';

const doc = readFileSync(resolve(__dirname, '..', 'docs', 'cli.md'), 'utf8');

/** Rows of the Markdown table whose header starts with `| first |`. */
function tableRows(first: string): string[][] {
  const lines = doc.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  expect(i).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (let k = i + 2; k < lines.length && lines[k].startsWith('|'); k++) {
    rows.push(
      lines[k]
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim())
    );
  }
  return rows;
}

describe('docs/cli.md stays in step with the code', () => {
  it('the option table lists every engine option, in order, with its current default', () => {
    const rows = tableRows('option');
    expect(rows.map((r) => r[0].replace(/`/g, ''))).toEqual(OPTION_NAMES);
    for (const r of rows) {
      const name = r[0].replace(/`/g, '') as keyof typeof DEFAULT_OPTIONS;
      expect(`${name}=${r[1].replace(/`/g, '')}`).toBe(`${name}=${String(DEFAULT_OPTIONS[name])}`);
    }
  });

  it('the default lookbacks quoted for lookback=auto are the engine defaults', () => {
    const row = tableRows('option').find((r) => r[0] === '`lookback`')!;
    for (const tf of TIMEFRAMES) {
      expect(row[2]).toContain(`${tf} ${defaultLookback(tf)}`);
    }
  });

  it('every flag of compute, fetch and metrics is documented', () => {
    for (const f of [...COMPUTE_FLAGS, ...FETCH_FLAGS, ...METRICS_FLAGS]) {
      if (f.name !== 'help' && f.name !== 'debug') {
        expect(doc).toContain(`--${f.name}`);
      }
    }
  });
});
