/** @jest-environment node */
/**
 * The Grafana-managed alert rules (provisioning/alerting/btc-flow.yaml, generated from dashboards/alerts.ts). No
 * Grafana runs here, so the file is checked against Grafana's alerting file-provisioning format: the committed file
 * is the generator's output; groups, rules, contact points and policies have the fields Grafana requires; every
 * rule's refIds are consistent (condition, expression inputs, `$values` in annotations); every data source uid is a
 * provisioned data source; every PromQL expression parses (`promtool check rules` on a generated rules file); and the
 * alerts are the same as prometheus/rules.yml's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  ALERT_FOLDER,
  EXPRESSION_DATASOURCE_UID,
  PROMETHEUS_DATASOURCE_UID,
  alertingYaml,
  type AlertingProvisioning,
  type ProvisionedRule,
} from './alerts';

type Json = Record<string, any>;
const ROOT = join(__dirname, '..');
const FILE = join(ROOT, 'provisioning', 'alerting', 'btc-flow.yaml');
const committedText = readFileSync(FILE, 'utf8');
const file = parse(committedText) as AlertingProvisioning;
const rules: ProvisionedRule[] = file.groups.flatMap((g) => g.rules);

const DURATION = /^(\d+[smhd])+$/;

const dashboardFile: Json = JSON.parse(readFileSync(join(ROOT, 'dashboards', 'btc-flow.json'), 'utf8'));

describe("the dashboard's Alerts row", () => {
  const rowIndex = dashboardFile.panels.findIndex((p: Json) => p.type === 'row' && p.title === 'Alerts');
  const next = dashboardFile.panels.findIndex((p: Json, i: number) => i > rowIndex && p.type === 'row');
  const alertPanels: Json[] = dashboardFile.panels.slice(rowIndex + 1, next < 0 ? undefined : next);

  test('shows the firing alerts and the recorder health through the provisioned Prometheus data source', () => {
    expect(rowIndex).toBeGreaterThan(0);
    expect(alertPanels.map((p) => p.title)).toEqual([
      'Firing alerts',
      'Recorder: venues up',
      'Recorder',
      'Age of the last closed bar',
    ]);
    const exprs = alertPanels.flatMap((p) => p.targets.map((t: Json) => String(t.expr)));
    expect(exprs[0]).toBe('ALERTS{alertname=~"BtcFlow.+"}');
    for (const p of alertPanels) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID });
      expect(p.description.length).toBeGreaterThan(80);
      for (const t of p.targets) {
        expect(t.datasource).toEqual(p.datasource);
      }
    }
    // the only panels on Prometheus are this row's
    const onPrometheus = dashboardFile.panels.filter((p: Json) => p.datasource?.type === 'prometheus');
    expect(onPrometheus).toHaveLength(alertPanels.length);
  });
});

describe('provisioning/alerting/btc-flow.yaml', () => {
  test('is what the generator makes (run `npm run dashboards` after editing dashboards/alerts.ts)', async () => {
    const generated = await alertingYaml();
    if (generated !== committedText) {
      throw new Error('provisioning/alerting/btc-flow.yaml is out of date: run `npm run dashboards` and commit it');
    }
  });

  test('has the file-provisioning shape: apiVersion 1, groups, contactPoints, policies', () => {
    expect(file.apiVersion).toBe(1);
    expect(Object.keys(file).sort()).toEqual(['apiVersion', 'contactPoints', 'groups', 'policies']);
    for (const g of file.groups) {
      expect(g.orgId).toBe(1);
      expect(g.folder).toBe(ALERT_FOLDER);
      expect(g.name).toMatch(/^[\w-]+$/);
      expect(g.interval).toMatch(DURATION);
      expect(g.rules.length).toBeGreaterThan(0);
    }
    const uids = rules.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const r of rules) {
      expect(r.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(r.title).toMatch(/^BtcFlow\w+$/);
      expect(['OK', 'NoData', 'Alerting', 'KeepLast']).toContain(r.noDataState);
      expect(['OK', 'Error', 'Alerting', 'KeepLast']).toContain(r.execErrState);
      expect(r.for).toMatch(DURATION);
      expect(['info', 'warning', 'critical']).toContain(r.labels.severity);
      expect(Object.keys(r.annotations).sort()).toEqual(['dashboard', 'description', 'summary']);
      expect(r.isPaused).toBe(false);
    }
  });

  test('every rule: unique refIds, the condition is a threshold, expression inputs and $values exist', () => {
    for (const r of rules) {
      const refIds = r.data.map((q) => q.refId);
      expect([r.title, new Set(refIds).size]).toEqual([r.title, refIds.length]);
      for (const q of r.data) {
        expect(q.model.refId).toBe(q.refId);
      }
      const cond = r.data.find((q) => q.refId === r.condition);
      expect(cond?.model.type).toBe('threshold');
      // expressions only read queries listed before them (no cycles, no dangling input)
      r.data.forEach((q, i) => {
        if (q.datasourceUid === EXPRESSION_DATASOURCE_UID) {
          expect(['reduce', 'threshold', 'math']).toContain(q.model.type);
          expect(refIds.slice(0, i)).toContain(q.model.expression);
          expect(q.relativeTimeRange).toBeUndefined();
          if (q.model.type === 'threshold') {
            const conds = q.model.conditions as Json[];
            expect(conds).toHaveLength(1);
            expect(['gt', 'lt']).toContain(conds[0].evaluator.type);
            expect(conds[0].evaluator.params).toHaveLength(1);
          }
        } else {
          expect(q.relativeTimeRange).toEqual({ from: 600, to: 0 });
          expect(q.model.instant).toBe(true);
          expect(typeof q.model.expr).toBe('string');
        }
      });
      // every query is used: by the condition chain or by a $values reference
      const text = Object.values(r.annotations).join(' ');
      const valueRefs = [...text.matchAll(/\$values\.(\w+)/g)].map((m) => m[1]);
      for (const v of valueRefs) {
        expect([r.title, refIds]).toEqual([r.title, expect.arrayContaining([v])]);
        expect(r.data.find((q) => q.refId === v)?.model.type).toBe('reduce');
      }
      const used = new Set<string>([r.condition, ...valueRefs]);
      for (let changed = true; changed;) {
        changed = false;
        for (const q of r.data) {
          const input = q.model.expression as string | undefined;
          if (used.has(q.refId) && input && !used.has(input)) {
            used.add(input);
            changed = true;
          }
        }
      }
      expect([r.title, [...used].sort()]).toEqual([r.title, [...refIds].sort()]);
    }
  });

  test('every data source uid is provisioned (Prometheus, fixed uid) or the expression pseudo source', () => {
    const dir = join(ROOT, 'provisioning', 'datasources');
    const provisioned: Json[] = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as Json).datasources);
    const byUid = new Map(provisioned.map((d) => [d.uid, d]));
    expect(byUid.get(PROMETHEUS_DATASOURCE_UID)?.type).toBe('prometheus');
    expect(byUid.get(PROMETHEUS_DATASOURCE_UID)?.url).toBe('http://prometheus:9090');
    for (const r of rules) {
      for (const q of r.data) {
        if (q.datasourceUid !== EXPRESSION_DATASOURCE_UID) {
          expect(byUid.get(q.datasourceUid)?.type).toBe('prometheus');
          expect(q.model.datasource).toEqual({ type: 'prometheus', uid: q.datasourceUid });
        }
      }
    }
  });

  test('every PromQL expression (rules and Alerts row) parses (promtool check rules on a generated rules file)', () => {
    const exprs = [
      ...rules.flatMap((r) =>
        r.data.filter((q) => q.datasourceUid !== EXPRESSION_DATASOURCE_UID).map((q) => String(q.model.expr))
      ),
      // and the dashboard's Prometheus panels
      ...dashboardFile.panels
        .filter((p: Json) => p.datasource?.type === 'prometheus')
        .flatMap((p: Json) => p.targets.map((t: Json) => String(t.expr))),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'btc-flow-grafana-promql-'));
    try {
      const rulesFile = join(dir, 'grafana-promql.yml');
      writeFileSync(
        rulesFile,
        stringify({ groups: [{ name: 'grafana-promql', rules: exprs.map((e, i) => ({ alert: `Q${i}`, expr: e })) }] })
      );
      const out = execFileSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
      expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
      // and a broken one fails, so the check is real
      writeFileSync(
        rulesFile,
        stringify({ groups: [{ name: 'x', rules: [{ alert: 'Bad', expr: 'max by (asset (up)' }] }] })
      );
      expect(() => execFileSync('promtool', ['check', 'rules', rulesFile], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the data-stale query gives the age of the last closed bar in bars of its timeframe (promtool test rules)', () => {
    const stale = rules.find((r) => r.title === 'BtcFlowDataStale')!;
    const promql = String(stale.data.find((q) => q.refId === 'A')!.model.expr);
    const dir = mkdtempSync(join(tmpdir(), 'btc-flow-grafana-stale-'));
    try {
      writeFileSync(join(dir, 'empty.yml'), 'groups: []\n');
      writeFileSync(
        join(dir, 'test.yml'),
        stringify({
          rule_files: ['empty.yml'],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: [
                { series: 'btcflow_bar_timestamp_seconds{asset="BTC",timeframe="1h"}', values: '-3600x200' },
                { series: 'btcflow_bar_timestamp_seconds{asset="BTC",timeframe="1d"}', values: '-86400x200' },
                { series: 'btcflow_bar_timestamp_seconds{asset="ETH",timeframe="1w"}', values: '0x200' },
              ],
              promql_expr_test: [
                {
                  expr: promql,
                  eval_time: '2h',
                  // (7200 + 3600) / 3600, (7200 + 86400) / 86400, 7200 / 604800
                  exp_samples: [
                    { labels: '{asset="BTC",timeframe="1h"}', value: 3 },
                    { labels: '{asset="BTC",timeframe="1d"}', value: 93600 / 86400 },
                    { labels: '{asset="ETH",timeframe="1w"}', value: 7200 / 604800 },
                  ],
                },
              ],
            },
          ],
        })
      );
      expect(execFileSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8' })).toMatch(
        /SUCCESS/
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the same alerts, severities and for: as prometheus/rules.yml', () => {
    const prom = parse(readFileSync(join(ROOT, 'prometheus', 'rules.yml'), 'utf8')) as Json;
    const promRules: Json[] = prom.groups.flatMap((g: Json) => g.rules);
    const summary = (list: Array<{ title: string; severity: string; for: string }>) =>
      list.map((r) => `${r.title} ${r.severity} ${r.for}`).sort();
    expect(summary(rules.map((r) => ({ title: r.title, severity: r.labels.severity, for: r.for })))).toEqual(
      summary(promRules.map((r) => ({ title: r.alert, severity: r.labels.severity, for: r.for })))
    );
  });

  test('a placeholder contact point that sends nothing, and the policy routes to it', () => {
    expect(file.contactPoints).toHaveLength(1);
    const [cp] = file.contactPoints;
    expect(cp.orgId).toBe(1);
    expect(cp.receivers).toHaveLength(1);
    expect(cp.receivers[0].type).toBe('email');
    // RFC 2606: .invalid never resolves
    expect(String(cp.receivers[0].settings.addresses)).toMatch(/@example\.invalid$/);
    expect(file.policies).toHaveLength(1);
    expect(file.policies[0].receiver).toBe(cp.name);
    expect(file.policies[0].group_by).toEqual(expect.arrayContaining(['alertname', 'asset', 'timeframe']));
  });
});
