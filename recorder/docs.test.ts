/** @jest-environment node */
/** docs/recorder.md stays in step with the code: every command and flag, the fill depths, the limits, the archive URL. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_ARCHIVE_URL } from './archive/backfill';
import { OI_FALLBACK_MS } from './archive/binance';
import { COMMANDS } from './cli';
import { DEFAULT_MAX_POINTS } from './http';
import { DEFAULT_FILL_DAYS, RECORDER_CACHE_POINTS } from './run';

const doc = readFileSync(resolve(__dirname, '..', 'docs', 'recorder.md'), 'utf8').replace(/\s+/g, ' ');

test('every command and flag is documented', () => {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    expect(doc).toContain(`\`${name} --`);
    for (const f of spec.flags) {
      if (f.name !== 'help') {
        expect(`${name}: ${doc.includes(`--${f.name}`)}`).toBe(`${name}: true`);
      }
    }
  }
});

test('the documented defaults are the code defaults', () => {
  expect(doc).toContain(DEFAULT_ARCHIVE_URL);
  expect(doc).toContain(`${DEFAULT_MAX_POINTS.toLocaleString('en-US')} points`);
  expect(doc).toContain(`${RECORDER_CACHE_POINTS.toLocaleString('en-US')} points`);
  expect(doc).toContain(`${OI_FALLBACK_MS / 60_000} minutes older`);
  expect(doc).toContain(
    `${DEFAULT_FILL_DAYS['1h']} days of 1h, ${DEFAULT_FILL_DAYS['4h']} days of 4h, ${DEFAULT_FILL_DAYS['1d'] / 365} years of 1d, ${DEFAULT_FILL_DAYS['*']} days of funding`
  );
});
