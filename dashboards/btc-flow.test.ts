/** @jest-environment node */
/**
 * The dashboard itself: the committed JSON is what the generator writes, and its structure meets issue 5
 * (rows, descriptions, thresholds, bands, annotations, variables). Checks against the data source's live frames are
 * in btc-flow.datasource.test.ts; provisioning and compose in provisioning.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUERY_TYPES, SIGNAL_KINDS, EXTREME_KINDS } from '../src/datasource/types';
import { ANNOTATIONS, DASHBOARD_UID, DEFAULT_DATASOURCE_UID, buildDashboard, dashboardJson } from './btc-flow';
import { DATASOURCE_REF, DATASOURCE_VARIABLE, PLUGIN_ID, target } from './target';

// The JSON as Grafana reads it (plain objects, not the SDK's types).
type Json = Record<string, any>;

const committed: Json = JSON.parse(readFileSync(join(__dirname, 'btc-flow.json'), 'utf8'));
const panels: Json[] = committed.panels;
const vizPanels = panels.filter((p) => p.type !== 'row');

function panel(title: string): Json {
  const p = vizPanels.find((x) => x.title === title);
  if (!p) {
    throw new Error(`no panel titled ${JSON.stringify(title)}; titles: ${vizPanels.map((x) => x.title).join(' | ')}`);
  }
  return p;
}

function override(p: Json, fieldName: string): Json[] {
  const o = (p.fieldConfig?.overrides ?? []).find(
    (x: Json) => x.matcher.id === 'byName' && x.matcher.options === fieldName
  );
  if (!o) {
    throw new Error(`panel ${p.title}: no byName override for ${fieldName}`);
  }
  return o.properties;
}

function prop(props: Json[], id: string): any {
  return props.find((x) => x.id === id)?.value;
}

/** The colour a threshold config gives value `v` (Grafana: the last step whose value ≤ v; the base step is null). */
function colorAt(thresholds: Json, v: number): string {
  let color = thresholds.steps[0].color;
  for (const s of thresholds.steps.slice(1)) {
    if (v >= s.value) {
      color = s.color;
    }
  }
  return color;
}

describe('generator output', () => {
  test('the committed dashboards/btc-flow.json is exactly what the generator writes', async () => {
    const fresh = await dashboardJson();
    const onDisk = readFileSync(join(__dirname, 'btc-flow.json'), 'utf8');
    if (fresh !== onDisk) {
      // a readable hint before the (long) diff
      throw new Error('dashboards/btc-flow.json is out of date: run `npm run dashboards` and commit the result');
    }
    expect(onDisk).toBe(fresh);
  });

  test('the generator is deterministic (panel ids restart on every build)', () => {
    expect(JSON.stringify(buildDashboard())).toBe(JSON.stringify(buildDashboard()));
  });

  test('panel ids are unique and every panel sits inside the 24-column grid without overlapping another', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect(cells.has(key) ? `${p.title} overlaps at ${key}` : 'free').toBe('free');
          cells.add(key);
        }
      }
    }
  });
});

describe('typed targets', () => {
  test('a target keeps exactly the query it was given, plus the data source reference', () => {
    const built = target({ refId: 'Z', queryType: 'oiZ', includeIndex: true, asset: 'ETH' }).build() as unknown as Json;
    expect(built).toEqual({
      refId: 'Z',
      queryType: 'oiZ',
      includeIndex: true,
      asset: 'ETH',
      datasource: DATASOURCE_REF,
    });
  });

  test('unknown query types and misspelled options do not compile (checked by tsc via @ts-expect-error)', () => {
    // If `target` accepted these, tsc (npm run typecheck) would fail with "Unused '@ts-expect-error' directive".
    // @ts-expect-error: 'volume' is not a BTC Flow query type
    const bad1 = () => target({ refId: 'A', queryType: 'volume' });
    // @ts-expect-error: 'includeZee' is not an option of the premium query
    const bad2 = () => target({ refId: 'A', queryType: 'premium', includeZee: true });
    // @ts-expect-error: `unit` belongs to the funding query, not to oi
    const bad3 = () => target({ refId: 'A', queryType: 'oi', unit: 'apr' });
    // @ts-expect-error: timeframe must be auto, a supported timeframe or a $variable
    const bad4 = () => target({ refId: 'A', queryType: 'oiZ', timeframe: '2d' });
    expect([bad1, bad2, bad3, bad4].every((f) => typeof f === 'function')).toBe(true);
  });
});

describe('dashboard structure (issue 5)', () => {
  test('identity, default time range and timeframe', () => {
    expect(committed.uid).toBe(DASHBOARD_UID);
    expect(committed.title).toBe('BTC Flow');
    expect(committed.time).toEqual({ from: 'now-2y', to: 'now' });
    const tf = committed.templating.list.find((v: Json) => v.name === 'timeframe');
    expect(tf.current.value).toBe('1d');
  });

  test('rows in order, each followed by at least one panel', () => {
    const rowTitles = panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rowTitles).toEqual(['Overview', 'Premium', 'Open interest', 'Funding', 'Signals', 'Coverage', 'Alerts']);
    panels.forEach((p, i) => {
      if (p.type === 'row') {
        expect(p.collapsed).toBe(false);
        expect(panels[i + 1]?.type).not.toBe('row');
      }
    });
  });

  test('panel titles are unique', () => {
    const titles = vizPanels.map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  test('every panel has a description of how to read it, the dashboard data source and typed targets', () => {
    expect(vizPanels.length).toBeGreaterThanOrEqual(12);
    for (const p of vizPanels.filter((x) => x.datasource?.type !== 'prometheus')) {
      expect(typeof p.description).toBe('string');
      expect(p.description.length).toBeGreaterThan(80);
      expect(p.datasource).toEqual({ type: PLUGIN_ID, uid: `\${${DATASOURCE_VARIABLE}}` });
      expect(p.targets.length).toBeGreaterThan(0);
      const refIds = p.targets.map((t: Json) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const t of p.targets) {
        expect(QUERY_TYPES).toContain(t.queryType);
        expect(t.datasource).toEqual(p.datasource);
        expect(t).toMatchObject({
          asset: '$asset',
          timeframe: '$timeframe',
          lookback: '$lookback',
          venues: ['$venues'],
        });
      }
    }
  });

  test('Overview: four stat panels, coloured by thresholds', () => {
    const overview = vizPanels.filter((p) => p.gridPos.y === 1);
    expect(overview.map((p) => p.type)).toEqual(['stat', 'stat', 'stat', 'stat']);
    const premium = override(panel('Spot premium'), 'premiumPct');
    expect(colorAt(prop(premium, 'thresholds'), 0.2)).toBe('green');
    expect(colorAt(prop(premium, 'thresholds'), -0.2)).toBe('red');
    expect(colorAt(prop(premium, 'thresholds'), 0)).toBe('text');
    const oiZ = prop(override(panel('OI z-score'), 'oiZ'), 'thresholds');
    expect([-2.5, 0, 1.5, 2.5].map((v) => colorAt(oiZ, v))).toEqual(['blue', 'green', 'yellow', 'red']);
    const apr = prop(override(panel('Funding APR'), 'fundingAprPct'), 'thresholds');
    expect([-5, 5, 20, 45].map((v) => colorAt(apr, v))).toEqual(['blue', 'green', 'yellow', 'red']);
    const states = panel('Active states');
    expect(states.targets.map((t: Json) => t.queryType).sort()).toEqual(['extremes', 'signals']);
    for (const kind of [...SIGNAL_KINDS, ...EXTREME_KINDS]) {
      const t = prop(override(states, kind), 'thresholds');
      expect(colorAt(t, 0)).toBe('transparent');
      expect(colorAt(t, 1)).toBe(ANNOTATIONS.find((a) => a.kind === kind)!.color);
    }
  });

  test('z-score panels draw ±2 bands; the premium panel a zero line', () => {
    const bands: Array<[string, string, string, string]> = [
      ['Spot premium z-score', 'premiumZ', 'red', 'green'],
      ['Open interest z-score', 'oiZ', 'blue', 'red'],
      ['Funding z-score', 'fundingZ', 'blue', 'red'],
    ];
    for (const [title, field, below, above] of bands) {
      const props = override(panel(title), field);
      const t = prop(props, 'thresholds');
      expect(panel(title).type).toBe('timeseries');
      expect([-2.01, -2, 0, 1.99, 2].map((v) => colorAt(t, v))).toEqual([
        below,
        'transparent',
        'transparent',
        'transparent',
        above,
      ]);
      expect(prop(props, 'custom.thresholdsStyle').mode).toMatch(/area/);
    }
    const zero = override(panel('Spot premium (%)'), 'premiumPct');
    expect(prop(zero, 'thresholds').steps.map((s: Json) => s.value)).toEqual([null, 0]);
    expect(prop(zero, 'custom.thresholdsStyle').mode).toBe('line');
  });

  test('OI is stacked by venue with the total and the index unstacked; per-venue funding starts hidden', () => {
    const oi = panel('Open interest (USD), stacked by venue');
    expect(oi.fieldConfig.defaults.custom.stacking.mode).toBe('normal');
    expect(prop(override(oi, 'oiUsd'), 'custom.stacking').mode).toBe('none');
    expect(prop(override(oi, 'oiIndexUsd'), 'custom.stacking').mode).toBe('none');
    expect(oi.targets[0]).toMatchObject({ queryType: 'oi', perVenue: true });

    const funding = panel('Funding APR: composite and per venue');
    expect(funding.targets[0]).toMatchObject({ queryType: 'funding', unit: 'apr', perVenue: true });
    const hide = funding.fieldConfig.overrides.find((o: Json) => o.matcher.id === 'byNames');
    expect(hide.matcher.options).toMatchObject({ mode: 'exclude', names: ['fundingAprPct'] });
    expect(prop(hide.properties, 'custom.hideFrom')).toEqual({ legend: false, tooltip: false, viz: true });
  });

  test('Signals: a state timeline of the three signal states plus the two extremes', () => {
    const timeline = vizPanels.find((p) => p.type === 'state-timeline')!;
    expect(timeline).toBeDefined();
    expect(timeline.targets.map((t: Json) => [t.queryType, t.format])).toEqual([
      ['signals', 'states'],
      ['extremes', 'states'],
    ]);
    for (const kind of [...SIGNAL_KINDS, ...EXTREME_KINDS]) {
      const mappings = prop(override(timeline, kind), 'mappings');
      expect(mappings[0].options['1'].color).toBe(ANNOTATIONS.find((a) => a.kind === kind)!.color);
    }
  });

  test('Coverage: venue counts per metric over time and at the latest bar', () => {
    const cov = vizPanels.filter((p) => p.targets.every((t: Json) => t.queryType === 'coverage'));
    expect(cov.map((p) => p.type).sort()).toEqual(['bargauge', 'timeseries']);
  });
});

describe('annotations', () => {
  const list: Json[] = committed.annotations.list;

  test('bullish green, bearish red, over-leverage orange, extreme top and bottom purple', () => {
    const byKind = Object.fromEntries(list.map((a) => [a.target.kinds.join(','), a]));
    expect(Object.keys(byKind).sort()).toEqual(['bearish', 'bullish', 'extremeBottom', 'extremeTop', 'overLeverage']);
    expect(byKind.bullish.iconColor).toBe('green');
    expect(byKind.bearish.iconColor).toBe('red');
    expect(byKind.overLeverage.iconColor).toBe('orange');
    expect(byKind.extremeTop.iconColor).toBe('purple');
    expect(byKind.extremeBottom.iconColor).toBe('purple');
    expect(byKind.extremeTop.target.queryType).toBe('extremes');
    expect(byKind.bullish.target.queryType).toBe('signals');
  });

  test('all on by default, each with its own visible switch, on the dashboard data source', () => {
    for (const a of list) {
      expect(a.enable).toBe(true);
      expect(a.hide).toBe(false);
      expect(a.placement).toBeUndefined();
      expect(a.builtIn).toBe(0);
      expect(a.datasource).toEqual(DATASOURCE_REF);
      expect(a.target.datasource).toEqual(DATASOURCE_REF);
      expect(['signals', 'extremes']).toContain(a.target.queryType);
      expect(a.target.kinds).toHaveLength(1);
    }
    expect(new Set(list.map((a) => a.name)).size).toBe(list.length);
  });
});

describe('variables', () => {
  const vars: Json[] = committed.templating.list;
  const byName = Object.fromEntries(vars.map((v) => [v.name, v]));

  test('datasource, asset, timeframe, lookback and venues', () => {
    expect(vars.map((v) => v.name)).toEqual([DATASOURCE_VARIABLE, 'asset', 'timeframe', 'lookback', 'venues']);
    expect(byName.datasource).toMatchObject({ type: 'datasource', query: PLUGIN_ID });
    expect(byName.datasource.current.value).toBe(DEFAULT_DATASOURCE_UID);
    for (const name of ['asset', 'timeframe', 'venues']) {
      expect(byName[name].type).toBe('query');
      expect(byName[name].datasource).toEqual(DATASOURCE_REF);
      expect(typeof byName[name].query).toBe('string');
    }
    expect(byName.venues).toMatchObject({ multi: true, includeAll: true });
    expect(byName.lookback.type).toBe('custom');
    expect(byName.lookback.query.split(',')).toContain('auto');
    expect(byName.lookback.current.value).toBe('auto');
  });

  test('every $variable used by a target is defined', () => {
    const defined = new Set(vars.map((v) => v.name));
    const used = new Set<string>();
    const json = JSON.stringify([
      vizPanels.map((p) => p.targets),
      committed.annotations.list.map((a: Json) => a.target),
    ]);
    for (const m of json.matchAll(/\$\{?(\w+)\}?/g)) {
      used.add(m[1]);
    }
    expect([...used].filter((u) => !defined.has(u))).toEqual([]);
  });
});
