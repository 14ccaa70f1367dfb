/** @jest-environment node */
/**
 * The macro dashboard itself: the committed JSON is what the generator writes, and it is the view issue 10 asks for
 * (weekly bars over the last 5 years by default, a monthly option, the recorder-backed data source, the confluence
 * and extreme annotations, every panel described). Runs against the data source: btc-flow-macro.datasource.test.ts;
 * provisioning: provisioning.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { QUERY_TYPES, SIGNAL_KINDS, EXTREME_KINDS } from '../src/datasource/types';
import { ANNOTATIONS, buildDashboard } from './btc-flow';
import { MACRO_DATASOURCE_UID, MACRO_UID, buildMacroDashboard, macroDashboardJson } from './btc-flow-macro';
import { DATASOURCE_REF, DATASOURCE_VARIABLE, PLUGIN_ID } from './target';

type Json = Record<string, any>;

const FILE = join(__dirname, 'btc-flow-macro.json');
const committed: Json = JSON.parse(readFileSync(FILE, 'utf8'));
const panels: Json[] = committed.panels;
const vizPanels = panels.filter((p) => p.type !== 'row');
const vars: Json[] = committed.templating.list;
const byName = Object.fromEntries(vars.map((v) => [v.name, v]));

describe('generator output', () => {
  test('the committed dashboards/btc-flow-macro.json is exactly what the generator writes', async () => {
    const fresh = await macroDashboardJson();
    if (fresh !== readFileSync(FILE, 'utf8')) {
      throw new Error('dashboards/btc-flow-macro.json is out of date: run `npm run dashboards` and commit the result');
    }
  });

  test('deterministic, and building it does not change the main dashboard (shared panel builders)', () => {
    const main = JSON.stringify(buildDashboard());
    expect(JSON.stringify(buildMacroDashboard())).toBe(JSON.stringify(buildMacroDashboard()));
    expect(JSON.stringify(buildDashboard())).toBe(main);
  });

  test('panel ids are unique and panels sit inside the 24-column grid without overlapping', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`) ? `${p.title} overlaps at ${i},${j}` : 'free').toBe('free');
          cells.add(`${i},${j}`);
        }
      }
    }
  });
});

describe('the macro view', () => {
  test('its own uid and title, the last 5 years by default', () => {
    expect(committed.uid).toBe(MACRO_UID);
    expect(committed.title).toBe('BTC Flow — macro');
    expect(committed.time).toEqual({ from: 'now-5y', to: 'now' });
    expect(committed.uid).not.toBe(buildDashboard().uid);
  });

  test('weekly bars by default, monthly as the only other option', () => {
    const tf = byName.timeframe;
    expect(tf.type).toBe('custom');
    expect(tf.current.value).toBe('1w');
    expect(tf.query.split(',')).toEqual(['1w', '1M']);
    expect(tf.options.map((o: Json) => o.value)).toEqual(['1w', '1M']);
    expect(byName.lookback.current.value).toBe('auto');
    // lookbacks in weeks: half a year to three years
    expect(byName.lookback.query.split(',')).toEqual(['auto', '26', '52', '104', '156']);
  });

  test('reads the recorder-backed data source by default', () => {
    const ds = byName[DATASOURCE_VARIABLE];
    expect(ds).toMatchObject({ type: 'datasource', query: PLUGIN_ID });
    expect(ds.current.value).toBe(MACRO_DATASOURCE_UID);
    const provisioned = parse(readFileSync(join(__dirname, '..', 'provisioning/datasources/btc-flow.yaml'), 'utf8'));
    const target = provisioned.datasources.find((d: Json) => d.uid === ds.current.value);
    expect(target.name).toBe(ds.current.text);
    expect(target.jsonData.recorderUrl).toMatch(/^http:\/\/recorder:\d+$/);
  });

  test('rows in order; the price row on a log scale; every panel described and on the dashboard variables', () => {
    expect(panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Overview',
      'Price',
      'Premium',
      'Open interest',
      'Funding',
      'Signals',
      'Coverage',
    ]);
    const price = vizPanels.find((p) => p.title === 'Spot basket price (log scale)')!;
    expect(price.fieldConfig.defaults.custom.scaleDistribution).toEqual({ type: 'log', log: 10 });
    expect(price.targets[0]).toMatchObject({ queryType: 'premium', includeBaskets: true });
    const titles = vizPanels.map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
    for (const p of vizPanels) {
      expect(p.description.length).toBeGreaterThan(80);
      expect(p.datasource).toEqual(DATASOURCE_REF);
      for (const t of p.targets) {
        expect(QUERY_TYPES).toContain(t.queryType);
        expect(t).toMatchObject({
          asset: '$asset',
          timeframe: '$timeframe',
          lookback: '$lookback',
          venues: ['$venues'],
        });
      }
    }
  });

  test('the confluence and extreme annotations, all on, in their colours', () => {
    const list: Json[] = committed.annotations.list;
    expect(list.map((a) => a.target.kinds[0]).sort()).toEqual([...SIGNAL_KINDS, ...EXTREME_KINDS].sort());
    for (const a of list) {
      expect(a.enable).toBe(true);
      expect(a.datasource).toEqual(DATASOURCE_REF);
      expect(a.iconColor).toBe(ANNOTATIONS.find((x) => x.kind === a.target.kinds[0])!.color);
      expect(a.target.timeframe).toBe('$timeframe');
    }
  });

  test('every $variable used by a target is defined', () => {
    const defined = new Set(vars.map((v) => v.name));
    const json = JSON.stringify([
      vizPanels.map((p) => p.targets),
      committed.annotations.list.map((a: Json) => a.target),
    ]);
    const used = [...json.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]);
    expect(used.filter((u) => !defined.has(u))).toEqual([]);
  });
});
