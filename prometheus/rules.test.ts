/** @jest-environment node */
/**
 * The Prometheus side of BTC Flow's alerting, checked with the real tools: `promtool check rules` and
 * `promtool test rules` (prometheus/rules.test.yml), `promtool check config` on prometheus/prometheus.yml and
 * `amtool check-config` on prometheus/alertmanager.yml. Also: every rule has `for:`, a severity and the three
 * annotations, reads only metrics the exporter exports, and has a unit test in which it fires.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALL_METRIC_NAMES } from '../recorder/exporter/metrics';

const DIR = __dirname;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface RulesTestFile {
  rule_files: string[];
  tests: Array<{
    alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts: unknown[] }>;
  }>;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`);
  }
}

const rules = parse(readFileSync(join(DIR, 'rules.yml'), 'utf8')) as RulesFile;
const allRules = rules.groups.flatMap((g) => g.rules);

describe('prometheus/rules.yml', () => {
  it('passes promtool check rules', () => {
    expect(run('promtool', ['check', 'rules', 'rules.yml'])).toMatch(`SUCCESS: ${allRules.length} rules found`);
  });

  it('passes its unit tests (promtool test rules)', () => {
    expect(run('promtool', ['test', 'rules', 'rules.test.yml'])).toMatch(/SUCCESS/);
  });

  it('has the alerts of issue 11, each with for:, a severity, summary, description and dashboard link', () => {
    expect(allRules.map((r) => r.alert).sort()).toEqual(
      [
        'BtcFlowBearishConfluenceStarted',
        'BtcFlowBullishConfluenceStarted',
        'BtcFlowDataStale',
        'BtcFlowExtremeBottom',
        'BtcFlowExtremeTop',
        'BtcFlowOverLeverage',
        'BtcFlowRecorderDown',
        'BtcFlowVenueDown',
      ].sort()
    );
    for (const r of allRules) {
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(['info', 'warning', 'critical']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
      expect(r.annotations?.description).toBeTruthy();
      expect(r.annotations?.dashboard).toMatch(/^http:\/\/localhost:3000\/d\/btc-flow\//);
    }
  });

  it('reads only metrics the exporter exports (and Prometheus up)', () => {
    const known = new Set([...ALL_METRIC_NAMES, 'up']);
    for (const r of allRules) {
      const text = r.expr + Object.values(r.annotations ?? {}).join(' ');
      for (const name of text.match(/\b(btcflow_[a-z0-9_]+|up)\b(?=\{)/g) ?? []) {
        expect(known.has(name)).toBe(true);
      }
    }
  });

  it('has a unit test in which every rule fires', () => {
    const tests = parse(readFileSync(join(DIR, 'rules.test.yml'), 'utf8')) as RulesTestFile;
    expect(tests.rule_files).toEqual(['rules.yml']);
    const firing = new Set(
      tests.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)
      )
    );
    for (const r of allRules) {
      expect([r.alert, firing.has(r.alert)]).toEqual([r.alert, true]);
    }
  });
});

describe('prometheus/prometheus.yml and alertmanager.yml', () => {
  it('pass promtool check config and amtool check-config', () => {
    expect(run('promtool', ['check', 'config', 'prometheus.yml'])).toMatch(/SUCCESS: prometheus.yml is valid/);
    expect(run('amtool', ['check-config', 'alertmanager.yml'])).toMatch(/SUCCESS/);
  });

  it('scrape the recorder under the job name the recorder-down rule watches', () => {
    const cfg = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string }>;
    };
    expect(cfg.rule_files).toEqual(['rules.yml']);
    const down = allRules.find((r) => r.alert === 'BtcFlowRecorderDown');
    for (const job of cfg.scrape_configs.map((s) => s.job_name)) {
      expect(down?.expr).toContain(`up{job="${job}"}`);
    }
  });
});

describe('docker-compose.yml: prometheus and alertmanager services', () => {
  type Json = Record<string, any>;
  const compose = parse(readFileSync(join(DIR, '..', 'docker-compose.yml'), 'utf8')) as Json;
  const flag = (service: Json, name: string) =>
    (service.command as string[]).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  /** The repo path bind-mounted at a container path (exact mount or a folder mount containing it). */
  const hostPath = (service: Json, path: string) => {
    for (const v of service.volumes as string[]) {
      const [src, dst] = v.split(':');
      if (src.startsWith('.') && (path === dst || path.startsWith(dst + '/'))) {
        return join(src, path.slice(dst.length));
      }
    }
    return undefined;
  };

  it('Prometheus loads prometheus/prometheus.yml (and so rules.yml beside it) at pinned versions', () => {
    const prom = compose.services.prometheus;
    expect(prom.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(hostPath(prom, flag(prom, 'config.file')!)).toBe('prometheus/prometheus.yml');
    const am = compose.services.alertmanager;
    expect(am.image).toMatch(/^prom\/alertmanager:v\d+\.\d+\.\d+$/);
    expect(hostPath(am, flag(am, 'config.file')!)).toBe('prometheus/alertmanager.yml');
  });

  it('Prometheus sends alerts to the alertmanager service, and Grafana reads the prometheus service', () => {
    const cfg = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as Json;
    const targets: string[] = cfg.alerting.alertmanagers.flatMap((a: Json) => a.static_configs[0].targets);
    expect(targets).toEqual(['alertmanager:9093']);
    expect(compose.services.alertmanager.ports).toContain('127.0.0.1:9093:9093');
    const ds = parse(readFileSync(join(DIR, '..', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8')) as Json;
    const urls = (ds.datasources as Json[]).map((d) => new URL(d.url).host);
    expect(urls).toEqual(['prometheus:9090', 'alertmanager:9093']);
    expect(compose.services.prometheus.ports).toContain('127.0.0.1:9090:9090');
  });
});

describe('docker-compose.yml: the recorder service Prometheus scrapes', () => {
  type Json = Record<string, any>;
  const compose = parse(readFileSync(join(DIR, '..', 'docker-compose.yml'), 'utf8')) as Json;
  const recorder = compose.services.recorder as Json;
  const cmd = (recorder.command as string[]).join(' ');

  it('runs `recorder run` on all interfaces, on the port Prometheus scrapes', () => {
    const cfg = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as Json;
    const [target] = cfg.scrape_configs[0].static_configs[0].targets as string[];
    const [host, port] = target.split(':');
    expect(compose.services[host]).toBe(recorder);
    expect(cmd).toMatch(/recorder\/cli\.ts run /);
    expect(cmd).toContain(`--port ${port}`);
    expect(cmd).toContain('--host 0.0.0.0');
    expect(recorder.ports).toContain(`127.0.0.1:${port}:${port}`);
  });

  it('installs exactly the versions package-lock.json pins for what the recorder imports', () => {
    const lock = JSON.parse(readFileSync(join(DIR, '..', 'package-lock.json'), 'utf8')) as Json;
    const installs = [...cmd.matchAll(/(?<=\s)((?:@[\w-]+\/)?[\w.-]+)@(\d+\.\d+\.\d+)\b/g)].map((m) => [m[1], m[2]]);
    expect(installs.map(([n]) => n).sort()).toEqual([
      '@grafana/tsconfig',
      'better-sqlite3',
      'ccxt',
      'fflate',
      'pg',
      'prom-client',
      'tsx',
    ]);
    for (const [name, version] of installs) {
      expect([name, version]).toEqual([name, lock.packages[`node_modules/${name}`].version]);
    }
  });
});
