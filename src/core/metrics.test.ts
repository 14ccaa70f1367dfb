/** @jest-environment node */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compute } from './engine';
import {
  CLI_METRICS,
  EXPORTED_METRICS,
  METRICS,
  METRIC_BY_NAME,
  MetricSpec,
  Z_METRICS,
  inSentence,
  registerMetrics,
} from './metrics';
import { generatedBundle } from './testutil';
import { Bar } from './types';

const spec = (name: string, extra: Partial<MetricSpec> = {}): MetricSpec => ({
  name,
  unit: 'USD',
  displayName: name.toUpperCase(),
  help: 'h',
  cli: true,
  ...extra,
});

describe('the metric catalog', () => {
  it('registerMetrics throws when a name is registered twice, as prom-client does', () => {
    expect(() => registerMetrics([spec('a'), spec('b'), spec('a', { displayName: 'other' })])).toThrow(
      'A metric with the name a has already been registered.'
    );
  });

  it('registerMetrics also refuses a display name or an exported name used twice', () => {
    expect(() => registerMetrics([spec('a', { displayName: 'X' }), spec('b', { displayName: 'X' })])).toThrow(
      'A metric with the display name X has already been registered.'
    );
    const ex = (key: string) => ({ key, name: 'btcflow_x', help: 'h', scale: 1 });
    expect(() => registerMetrics([spec('a', { exported: ex('k1') }), spec('b', { exported: ex('k2') })])).toThrow(
      'A metric with the exported name btcflow_x has already been registered.'
    );
    expect(registerMetrics([spec('a'), spec('b')]).get('b')?.displayName).toBe('B');
  });

  it('has one entry per numeric field of an engine bar, under the field name', () => {
    const bar: Bar = compute(generatedBundle(48), { timeframe: '1h', lookback: 2 }).bars[0];
    const numeric = Object.keys(JSON.parse(JSON.stringify(bar))).filter(
      (k) => !['timeEnd', 'states', 'counts', 'venues'].includes(k)
    );
    expect(METRICS.map((m) => m.name)).toEqual(numeric);
    expect(METRIC_BY_NAME.size).toBe(METRICS.length);
  });

  it('every catalog metric is documented in docs/metrics.md under its name', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'metrics.md'), 'utf8');
    const missing = METRICS.filter((m) => !doc.includes('`' + m.name + '`')).map((m) => m.name);
    expect(missing).toEqual([]);
  });

  it('each z-score names a catalog metric it is computed from', () => {
    expect(Z_METRICS.map((m) => [m.name, m.zOf])).toEqual([
      ['premiumZ', 'premiumPct'],
      ['oiZ', 'oiIndexUsd'],
      ['fundingZ', 'fundingRate8h'],
    ]);
    for (const m of Z_METRICS) {
      expect(METRIC_BY_NAME.has(m.zOf)).toBe(true);
    }
  });

  it('the CLI fields are the catalog order without the extreme score; exported names carry a btcflow_ prefix', () => {
    expect(CLI_METRICS).toEqual(METRICS.map((m) => m.name).filter((n) => n !== 'extremeScore'));
    for (const m of EXPORTED_METRICS) {
      expect(m.exported.name).toMatch(/^btcflow_[a-z0-9_]+$/);
      expect(m.exported.name.endsWith('_total')).toBe(false); // gauges, not counters
    }
  });

  it('inSentence lower-cases a display name unless it starts with an abbreviation', () => {
    expect(inSentence('Premium z-score')).toBe('premium z-score');
    expect(inSentence('OI z-score')).toBe('OI z-score');
  });
});
