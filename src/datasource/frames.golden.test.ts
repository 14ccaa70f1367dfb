/**
 * Golden frames: the frames each query type returns (default query, every series in range) for a fixed generated
 * bundle (src/core/testutil.ts generatedBundle), compared with `src/datasource/testdata/<queryType>.golden.json`.
 * A change that means to alter the frames regenerates them with `npm run golden` (UPDATE_GOLDEN=1) and commits the
 * diff, which then shows field by field what a panel receives differently (docs/queries.md).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataFrame } from '@grafana/data';
import { compute } from '../core/engine';
import { generatedBundle } from '../core/testutil';
import { buildFrames, FrameContext } from './frames';
import { DEFAULT_QUERIES, QUERY_TYPES, QueryOf, QueryType } from './types';

const DIR = join(__dirname, 'testdata');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** A plain, stable JSON form of frames: non-finite numbers (threshold steps) as strings, undefined members left out. */
function serialise(frames: DataFrame[]): string {
  const plain = frames.map((f) => ({
    name: f.name,
    refId: f.refId,
    length: f.length,
    meta: f.meta,
    fields: f.fields.map((x) => ({ name: x.name, type: x.type, labels: x.labels, config: x.config, values: x.values })),
  }));
  return JSON.stringify(plain, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1) + '\n';
}

function framesOf(queryType: QueryType): DataFrame[] {
  const bundle = generatedBundle(24 * 60);
  const result = compute(bundle, { timeframe: '1d', lookback: 14 });
  const query = { ...DEFAULT_QUERIES[queryType], refId: 'A' } as QueryOf<QueryType>;
  const ctx: FrameContext = { refId: 'A', notices: [{ severity: 'info', text: 'golden' }], timeframe: '1d' };
  return buildFrames({ bars: result.bars, events: result.events, coverageBars: result.coverage.bars }, query, ctx);
}

describe('golden frames per query type', () => {
  it.each(QUERY_TYPES.map((q) => [q]))('%s frames equal testdata/%s.golden.json', (queryType) => {
    const file = join(DIR, `${queryType}.golden.json`);
    const got = serialise(framesOf(queryType));
    if (UPDATE || !existsSync(file)) {
      writeFileSync(file, got);
      if (!UPDATE) {
        throw new Error(`${file} did not exist and was written; check it and commit it`);
      }
    }
    expect(got).toBe(readFileSync(file, 'utf8'));
  });

  it('the golden frames carry values, not just shapes (premium: one spot premium per bar)', () => {
    const [f] = framesOf('premium');
    const field = f.fields.find((x) => x.name === 'premiumPct')!;
    const bars = compute(generatedBundle(24 * 60), { timeframe: '1d', lookback: 14 }).bars;
    expect(field.values).toEqual(bars.map((b) => b.premiumPct));
  });
});
