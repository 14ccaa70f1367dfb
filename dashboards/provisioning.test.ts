/** @jest-environment node */
/**
 * Provisioning and docker-compose, checked without Docker (none on these machines): the files parse, and their uids,
 * paths, plugin id, image version and mock-server command agree with each other, with the dashboard, with
 * src/plugin.json, with package.json and with the webpack output directory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { DIST_DIR } from '../.config/bundler/constants';
import { parseCliArgs } from '../mock/server';
import { parseArgs } from '../cli/args';
import { COMMANDS } from '../recorder/cli';
import { DASHBOARD_UID, DEFAULT_DATASOURCE_NAME, DEFAULT_DATASOURCE_UID } from './btc-flow';
import { MACRO_UID } from './btc-flow-macro';
import { PLUGIN_ID } from './target';

type Json = Record<string, any>;

// semver ships no type declarations (and @types/semver is not installed): type the one function used.
const semver: {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
  gte(a: string, b: string): boolean;
} = require('semver');

const ROOT = join(__dirname, '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const yamlFile = (rel: string): Json => parse(read(rel));

const pluginJson: Json = JSON.parse(read('src/plugin.json'));
const packageJson: Json = JSON.parse(read('package.json'));
const dashboardFile: Json = JSON.parse(read('dashboards/btc-flow.json'));
const datasources: Json = yamlFile('provisioning/datasources/btc-flow.yaml');
const dashboardProviders: Json = yamlFile('provisioning/dashboards/btc-flow.yaml');
const compose: Json = yamlFile('docker-compose.yml');

const grafana: Json = compose.services?.grafana;
const mock: Json = compose.services?.['mock-exchanges'];

interface Mount {
  source: string;
  target: string;
}

/** Short-syntax volume `src:dst[:mode]` → {source, target}; named volumes keep their name as source. */
function mounts(service: Json): Mount[] {
  return (service.volumes ?? []).map((v: string | Json) => {
    if (typeof v !== 'string') {
      return { source: v.source, target: v.target };
    }
    const [source, target] = v.split(':');
    return { source, target };
  });
}

/** The host path (relative to the repo) bind-mounted at `target`, or the container path's mount + rest. */
function hostPathFor(service: Json, containerPath: string): string | undefined {
  const m = mounts(service)
    .filter((x) => x.source.startsWith('.') && (containerPath === x.target || containerPath.startsWith(x.target + '/')))
    .sort((a, b) => b.target.length - a.target.length)[0];
  return m ? posix.normalize(posix.join(m.source, containerPath.slice(m.target.length))).replace(/\/$/, '') : undefined;
}

function env(service: Json): Record<string, string> {
  const e = service.environment ?? {};
  if (Array.isArray(e)) {
    return Object.fromEntries(e.map((kv: string) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
}

/** The `npm run [--silent] <script> -- <args...>` invocation inside a service's command (string or exec form). */
function npmRun(service: Json): { script: string; args: string[] } {
  const cmd = Array.isArray(service.command) ? service.command.join(' ') : String(service.command);
  const m = /npm run (?:--\S+ )*([^-\s]\S*)(?: -- ([^;&|'"]*))?/.exec(cmd);
  if (!m) {
    throw new Error(`service command has no "npm run <script>": ${cmd}`);
  }
  return { script: m[1], args: (m[2] ?? '').trim().split(/\s+/).filter(Boolean) };
}

/** `--name value` flags of an argument list (a flag without a value is 'true'). */
function flags(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) {
      const next = args[i + 1];
      out[args[i].slice(2)] = next !== undefined && !next.startsWith('--') ? args[++i] : 'true';
    }
  }
  return out;
}

describe('provisioning/datasources/btc-flow.yaml', () => {
  const list: Json[] = datasources.datasources;

  test('parses, with two data sources of this plugin and unique fixed uids', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(list.map((d) => d.uid)).toEqual(['btc-flow', 'btc-flow-demo']);
    for (const d of list) {
      expect(d.type).toBe(pluginJson.id);
      expect(d.access).toBe('proxy');
    }
    expect(list.find((d) => d.uid === 'btc-flow-demo')?.name).toBe('BTC Flow (offline demo)');
    expect(list.filter((d) => d.isDefault)).toHaveLength(1);
  });

  test('the dashboard selects a provisioned data source of this plugin by default', () => {
    const dsVar = dashboardFile.templating.list.find((v: Json) => v.type === 'datasource');
    expect(dsVar.query).toBe(pluginJson.id);
    const live = list.find((d) => d.uid === dsVar.current.value);
    expect(live).toBeDefined();
    expect(live!.uid).toBe(DEFAULT_DATASOURCE_UID);
    expect(live!.name).toBe(DEFAULT_DATASOURCE_NAME);
    expect(dsVar.current.text).toBe(live!.name);
    // every panel, target and annotation uses exactly the plugin type and that variable
    const refs: Json[] = [];
    for (const p of dashboardFile.panels) {
      // the Alerts row reads the provisioned Prometheus data source (checked in dashboards/alerts.test.ts)
      if (p.type !== 'row' && p.datasource?.type !== 'prometheus') {
        refs.push(p.datasource, ...p.targets.map((t: Json) => t.datasource));
      }
    }
    for (const a of dashboardFile.annotations.list) {
      refs.push(a.datasource, a.target.datasource);
    }
    for (const r of refs) {
      expect(r).toEqual({ type: pluginJson.id, uid: `\${${dsVar.name}}` });
    }
  });

  test('the offline demo mirrors the exchanges to the compose mock service, on the port the mock listens on', () => {
    const demo = list.find((d) => d.uid === 'btc-flow-demo')!;
    const url = new URL(demo.jsonData.mirrorUrl);
    expect(url.protocol).toBe('http:');
    expect(url.hostname).toBe('mock-exchanges');
    expect(compose.services[url.hostname]).toBeDefined();
    const args = parseCliArgs(npmRun(mock).args);
    expect(String(args.port)).toBe(url.port);
    // Grafana reaches the mock from another container: the mock must listen on all interfaces.
    expect(args.host).toBe('0.0.0.0');
  });

  test('the jsonData keys used are the ones the plugin reads (the mirror route templates .JsonData.mirrorUrl)', () => {
    const templated = (pluginJson.routes ?? []).map((r: Json) => String(r.url)).join(' ');
    for (const d of list) {
      for (const key of Object.keys(d.jsonData ?? {})) {
        expect(templated).toContain(`.JsonData.${key}`);
      }
    }
  });
});

describe('provisioning/dashboards/btc-flow.yaml', () => {
  test('parses; the provider path is where compose mounts dashboards/, which holds the dashboard', () => {
    expect(dashboardProviders.apiVersion).toBe(1);
    const [provider] = dashboardProviders.providers;
    expect(provider.type).toBe('file');
    const host = hostPathFor(grafana, provider.options.path);
    expect(host).toBe('dashboards');
    const file = join(ROOT, host!, 'btc-flow.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).uid).toBe(DASHBOARD_UID);
  });

  test('the same provider loads the macro dashboard, which reads the recorder-backed data source', () => {
    const [provider] = dashboardProviders.providers;
    const host = hostPathFor(grafana, provider.options.path)!;
    const macro: Json = JSON.parse(readFileSync(join(ROOT, host, 'btc-flow-macro.json'), 'utf8'));
    expect(macro.uid).toBe(MACRO_UID);
    expect(macro.uid).not.toBe(DASHBOARD_UID);
    const dsVar = macro.templating.list.find((v: Json) => v.type === 'datasource');
    const ds = datasources.datasources.find((d: Json) => d.uid === dsVar.current.value);
    expect(ds.jsonData.recorderUrl).toBeDefined();
    // and the data source's Dashboards tab offers it
    expect(pluginJson.includes.map((i: Json) => i.path)).toContain('dashboards/btc-flow-macro.json');
  });

  test('the home dashboard path points at the mounted dashboard file', () => {
    const home = env(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    const host = hostPathFor(grafana, home);
    expect(host).toBe('dashboards/btc-flow.json');
    expect(existsSync(join(ROOT, host!))).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  test('parses, with grafana, the mock exchanges, the two recorders and alerting', () => {
    const always = Object.entries(compose.services as Record<string, { profiles?: string[] }>)
      .filter(([, svc]) => !svc.profiles)
      .map(([name]) => name);
    expect(always.sort()).toEqual([
      'alertmanager',
      'grafana',
      'mock-exchanges',
      'prometheus',
      'recorder',
      'recorder-demo',
    ]);
  });

  test('the optional postgres profile runs a recorder on a postgres service', () => {
    const svc = compose.services as Record<string, { profiles?: string[]; command?: string[] }>;
    expect(svc.postgres.profiles).toEqual(['postgres']);
    expect(svc['recorder-pg'].profiles).toEqual(['postgres']);
    expect(svc['recorder-pg'].command!.join(' ')).toMatch(
      /recorder\/cli\.ts run --db postgres:\/\/\S+@postgres:5432\//
    );
  });

  test('Grafana OSS at a pinned version that satisfies plugin.json grafanaDependency', () => {
    const m = /^grafana\/grafana-oss:(\d+\.\d+\.\d+)$/.exec(grafana.image);
    expect(m).not.toBeNull();
    const range = pluginJson.dependencies.grafanaDependency;
    expect(semver.satisfies(m![1], range)).toBe(true);
  });

  test('grafanaDependency starts no lower than the @grafana/* packages the plugin is built and tested against', () => {
    // At run time Grafana supplies its own @grafana/data, ui and runtime: an older Grafana may lack an export used here.
    const min = semver.minVersion(pluginJson.dependencies.grafanaDependency)!.version;
    for (const name of ['@grafana/data', '@grafana/ui', '@grafana/runtime']) {
      const built = String(packageJson.dependencies[name]).replace(/^[\^~]/, '');
      expect({ name, min, ok: semver.gte(min, built) }).toEqual({ name, min, ok: true });
    }
  });

  test('dist/ (the webpack output) is mounted as the plugin, provisioning at /etc/grafana/provisioning', () => {
    expect(DIST_DIR).toBe('dist');
    expect(hostPathFor(grafana, `/var/lib/grafana/plugins/${PLUGIN_ID}`)).toBe(DIST_DIR);
    expect(PLUGIN_ID).toBe(pluginJson.id);
    expect(packageJson.scripts.build).toMatch(/webpack/);
    // `npm run server` builds dist/ first (directly, or through the script it runs)
    const server: string = packageJson.scripts.server;
    const script = /^sh (\S+\.sh)$/.exec(server)?.[1];
    expect(script ? read(script) : server).toMatch(/^npm run build$|npm run build &&/m);
    expect(hostPathFor(grafana, '/etc/grafana/provisioning')).toBe('provisioning');
  });

  test('every bind mount source exists in the repo (dist/ after `npm run build`)', () => {
    for (const service of Object.values(compose.services) as Json[]) {
      for (const m of mounts(service).filter((x) => x.source.startsWith('.'))) {
        if (m.source === `./${DIST_DIR}`) {
          continue; // created by the build: checked against the webpack output dir above
        }
        // a folder, or a single file (alertmanager.yml)
        expect(existsSync(join(ROOT, m.source)) ? m.source : `missing ${m.source}`).toBe(m.source);
      }
    }
  });

  test('unsigned loading is allowed for this plugin id', () => {
    const allowed = env(grafana)
      .GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS.split(',')
      .map((s) => s.trim());
    expect(allowed).toContain(pluginJson.id);
  });

  test("the mock service's command is a package.json script running mock/server.ts, with flags the server accepts", () => {
    const { script, args } = npmRun(mock);
    expect(packageJson.scripts[script]).toBeDefined();
    const file = /(\S+\.ts)\b/.exec(packageJson.scripts[script])![1];
    expect(file).toBe('mock/server.ts');
    expect(existsSync(join(ROOT, file))).toBe(true);
    expect(() => parseCliArgs(args)).not.toThrow();
    expect(hostPathFor(mock, mock.working_dir)).toBe('.');
    // the script runs mock/server.ts with tsx; the container installs the tsx version package.json pins
    expect(packageJson.scripts[script]).toMatch(/^tsx /);
    const cmd = mock.command.join(' ');
    const tsx = /\btsx@([\w.-]+)/.exec(cmd);
    expect(tsx?.[1]).toBe(packageJson.devDependencies.tsx);
    // the mock server imports nothing from npm (so tsx alone runs it): walk its import graph from mock/server.ts
    const seen = new Set<string>();
    const walk = (rel: string) => {
      const file = ['', '.ts', '/index.ts']
        .map((ext) => rel + ext)
        .find((f) => existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).isFile());
      expect(file ? 'found' : `missing module ${rel}`).toBe('found');
      if (seen.has(file!)) {
        return;
      }
      seen.add(file!);
      const src = read(file!);
      const specifiers = [
        ...src.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm),
        ...src.matchAll(/^\s*import\s+'([^']+)'/gm),
        ...src.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
        ...src.matchAll(/\brequire\(\s*'([^']+)'\s*\)/g),
      ];
      for (const m of specifiers) {
        if (m[1].startsWith('.')) {
          walk(posix.join(posix.dirname(file!), m[1]));
        } else {
          expect(`${file} imports ${m[1]}`).toMatch(/ imports node:/);
        }
      }
    };
    walk('mock/server.ts');
    expect(seen.size).toBeGreaterThan(3);
    const published = (mock.ports ?? []).map((p: string) => p.split(':').pop());
    expect(published).toContain(String(parseCliArgs(args).port));
  });
});

/** The arguments of `recorder/cli.ts <command> ...` inside a service's command (up to the end of the command). */
function recorderRun(service: Json): { command: string; args: string[] } {
  const cmd = (service.command as string[]).join(' ');
  const m = /recorder\/cli\.ts (\w+)((?: [^;&|]*)?)/.exec(cmd);
  if (!m) {
    throw new Error(`service command runs no recorder/cli.ts: ${cmd}`);
  }
  return { command: m[1], args: m[2].trim().split(/\s+/).filter(Boolean) };
}

describe('the recorders in docker-compose.yml', () => {
  const list: Json[] = datasources.datasources;
  const live = list.find((d) => d.uid === 'btc-flow')!;
  const demo = list.find((d) => d.uid === 'btc-flow-demo')!;

  test.each([
    ['btc-flow', 'recorder'],
    ['btc-flow-demo', 'recorder-demo'],
  ])('data source %s reads the compose service %s, on the port it listens on, from another container', (uid, name) => {
    const ds = list.find((d) => d.uid === uid)!;
    const url = new URL(ds.jsonData.recorderUrl);
    expect(url.protocol).toBe('http:');
    expect(url.hostname).toBe(name);
    const service: Json = compose.services[name];
    const { command, args } = recorderRun(service);
    expect(command).toBe('run');
    const f = flags(args);
    expect(f.port).toBe(url.port);
    // Grafana reaches the recorder from another container: it must listen on all interfaces
    expect(f.host).toBe('0.0.0.0');
    expect(hostPathFor(service, service.working_dir)).toBe('.');
    // the recorder is reached through the plugin's `recorder` route, templated from this very key
    const route = (pluginJson.routes as Json[]).find((r) => r.path === 'recorder')!;
    expect(route.url).toBe('{{ .JsonData.recorderUrl }}');
  });

  test('the live recorder records the real exchanges; the demo one the mock, at the demo mirror URL', () => {
    expect(flags(recorderRun(compose.services.recorder).args)['base-url']).toBeUndefined();
    expect(flags(recorderRun(compose.services['recorder-demo']).args)['base-url']).toBe(demo.jsonData.mirrorUrl);
    expect(compose.services['recorder-demo'].depends_on).toContain('mock-exchanges');
    expect(live.jsonData.mirrorUrl).toBeUndefined();
  });

  test('each recorder keeps its own SQLite file on a named volume (not in the repository)', () => {
    const dbs = ['recorder', 'recorder-demo'].map((name) => {
      const service: Json = compose.services[name];
      const db = flags(recorderRun(service).args).db;
      const m = mounts(service).find((x) => db.startsWith(x.target + '/'))!;
      expect(m).toBeDefined();
      expect(m.source.startsWith('.')).toBe(false);
      expect(Object.keys(compose.volumes)).toContain(m.source);
      return db;
    });
    expect(new Set(dbs).size).toBe(2);
  });

  test("better-sqlite3 is built inside Linux: a named volume hides the host's node_modules for both recorders", () => {
    for (const name of ['recorder', 'recorder-demo']) {
      const service: Json = compose.services[name];
      const nm = mounts(service).find((x) => x.target === '/app/node_modules')!;
      expect(nm.source).toBe('recorder-modules');
      // the full node image (python3, make, g++), not -slim: better-sqlite3 may have to compile from source
      expect(service.image).toMatch(/^node:20-bookworm$/);
    }
    // the recorder installs the dependencies (with better-sqlite3's build script) and marks them done; the demo
    // recorder waits for that mark instead of installing into the same volume at the same time
    const install = compose.services.recorder.command.join(' ');
    expect(install).toMatch(/npm install [^;]*better-sqlite3@/);
    expect(install).not.toMatch(/--ignore-scripts/);
    const mark = /touch node_modules\/(\.[\w.-]+)/.exec(install)![1];
    const demoCmd = compose.services['recorder-demo'].command.join(' ');
    expect(demoCmd).toContain(`until test -f /app/node_modules/${mark}`);
    expect(demoCmd).not.toMatch(/npm (install|ci)/);
    expect(compose.services['recorder-demo'].depends_on).toContain('recorder');
  });

  test("the recorders' flags are ones `recorder run` accepts", () => {
    for (const name of ['recorder', 'recorder-demo']) {
      const { args } = recorderRun(compose.services[name]);
      const parsed = parseArgs(args, COMMANDS.run.flags, 'run');
      expect(parsed.positionals).toEqual([]);
      expect(parsed.strings.db).toMatch(/^\/data\//);
    }
  });

  test('Grafana starts with both recorders', () => {
    expect(existsSync(join(ROOT, 'recorder/cli.ts'))).toBe(true);
    expect(grafana.depends_on).toEqual(expect.arrayContaining(['recorder', 'recorder-demo', 'mock-exchanges']));
  });
});
