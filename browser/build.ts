/**
 * Builds what the harness serves:
 * - the plugin itself (`npm run build` → dist/), only when dist/ is missing or older than its sources;
 * - the host bundle (browser/host/entry.tsx + the shared modules from node_modules) with esbuild, one per Grafana
 *   runtime (./runtimes.ts): every `@grafana/*` import, the host's own and those inside the packages, is resolved from
 *   the runtime's `@grafana/runtime` folder, so the bundle holds ONE copy of `@grafana/data`, `ui` and `runtime`, of
 *   that runtime's version (checked on esbuild's metafile; a bundle that mixes versions is an error). Cached in
 *   node_modules/.cache/btcflow-browser-host/<version>-<hash>/, keyed by a hash of its sources, the runtime and
 *   package-lock.json.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Metafile, Plugin } from 'esbuild';

import { RUNTIME_PACKAGES, SUPPLIED_PACKAGES, harnessRuntimes, type GrafanaRuntime } from './runtimes';

export const ROOT = path.resolve(__dirname, '..');
export const DIST_DIR = path.join(ROOT, 'dist');
const HOST_DIR = path.join(__dirname, 'host');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'btcflow-browser-host');

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) {
    return out;
  }
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) {
        walk(p, out);
      }
    } else if (!/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.md')) {
      out.push(p);
    }
  }
  return out;
}

/** Files whose change makes dist/ stale. */
export function pluginSources(): string[] {
  const files = walk(path.join(ROOT, 'src'));
  for (const f of ['webpack.config.ts', 'package.json', 'package-lock.json']) {
    const p = path.join(ROOT, f);
    if (fs.existsSync(p)) {
      files.push(p);
    }
  }
  return files;
}

export function distIsStale(): { stale: boolean; reason: string } {
  const moduleJs = path.join(DIST_DIR, 'module.js');
  const pluginJson = path.join(DIST_DIR, 'plugin.json');
  if (!fs.existsSync(moduleJs) || !fs.existsSync(pluginJson)) {
    return { stale: true, reason: 'dist/module.js or dist/plugin.json is missing' };
  }
  const built = fs.statSync(moduleJs).mtimeMs;
  const newer = pluginSources().find((f) => fs.statSync(f).mtimeMs > built);
  return newer
    ? { stale: true, reason: `${path.relative(ROOT, newer)} is newer than dist/module.js` }
    : { stale: false, reason: '' };
}

/** Runs `npm run build` when dist/ is missing or stale. Returns what it did. */
export function ensurePluginBuild(log: (s: string) => void = () => {}): string {
  const { stale, reason } = distIsStale();
  if (!stale) {
    return 'dist/ is up to date';
  }
  log(`building plugin: ${reason}`);
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', timeout: 10 * 60_000, encoding: 'utf8' });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const tail = `${err.stdout ?? ''}\n${err.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`npm run build failed (${reason}):\n${tail}`);
  }
  if (!fs.existsSync(path.join(DIST_DIR, 'module.js'))) {
    throw new Error('npm run build finished but dist/module.js does not exist');
  }
  return `built dist/ (${reason})`;
}

export interface BundledPackage {
  /** folder relative to the project root, e.g. node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/data */
  dir: string;
  version: string;
}

export interface HostBundle {
  js: string;
  css: string;
  /** other emitted files (fonts), by file name */
  assets: Record<string, string>;
  /** the Grafana version whose `@grafana/data|ui|runtime` the bundle supplies */
  runtime: string;
  /** every `@grafana/*` package with code in the bundle (by package name), from esbuild's metafile */
  packages: Record<string, BundledPackage[]>;
}

function hostHash(runtime: GrafanaRuntime): string {
  const h = createHash('sha256');
  h.update(`${runtime.version} ${runtime.runtimePackage}\n`);
  for (const f of [
    ...walk(HOST_DIR),
    path.join(__dirname, 'protocol.ts'),
    path.join(__dirname, 'build.ts'),
    path.join(__dirname, 'runtimes.ts'),
    path.join(ROOT, 'package-lock.json'),
  ].sort()) {
    if (fs.existsSync(f)) {
      h.update(path.relative(ROOT, f));
      h.update(fs.readFileSync(f));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * esbuild plugin: `@grafana/<RUNTIME_PACKAGES>` imports resolve as if made from the runtime's `@grafana/runtime`
 * folder (its nested node_modules first: that is where npm puts an aliased runtime's own data/ui/schema), and
 * `@grafana/runtime` itself to the runtime package (the alias). Imports from anywhere, so no second copy creeps in.
 */
export function runtimeResolvePlugin(runtime: GrafanaRuntime): Plugin {
  const filter = new RegExp(`^@grafana/(${RUNTIME_PACKAGES.join('|')})(/.*)?$`);
  return {
    name: 'btcflow-grafana-runtime',
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if ((args.pluginData as { grafanaRuntime?: boolean } | undefined)?.grafanaRuntime) {
          return undefined;
        }
        const [, name, sub = ''] = filter.exec(args.path)!;
        const spec = name === 'runtime' ? `${runtime.runtimePackage}${sub}` : `@grafana/${name}${sub}`;
        const r = await build.resolve(spec, {
          kind: args.kind,
          resolveDir: name === 'runtime' ? ROOT : runtime.runtimeDir,
          pluginData: { grafanaRuntime: true },
        });
        if (r.errors.length) {
          return { errors: r.errors };
        }
        return { path: r.path, external: r.external, namespace: r.namespace, sideEffects: r.sideEffects };
      });
    },
  };
}

/** The `@grafana/*` packages with code in a bundle, by package name (read from each folder's package.json). */
export function bundledGrafanaPackages(metafile: Metafile, root = ROOT): Record<string, BundledPackage[]> {
  const marker = 'node_modules/@grafana/';
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const p = input.split(path.sep).join('/');
    const i = p.lastIndexOf(marker);
    if (i < 0) {
      continue;
    }
    const name = p.slice(i + marker.length).split('/')[0];
    dirs.add(p.slice(0, i + marker.length + name.length));
  }
  const out: Record<string, BundledPackage[]> = {};
  for (const dir of [...dirs].sort()) {
    const pj = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    (out[pj.name] ??= []).push({ dir, version: pj.version });
  }
  return out;
}

/**
 * Problems of a runtime's bundle: a supplied package (`@grafana/data|ui|runtime`) missing, present twice, or of
 * another version than the runtime's. Empty when the bundle is what that Grafana would hand the plugin.
 */
export function runtimeBundleProblems(runtime: string, packages: Record<string, BundledPackage[]>): string[] {
  const problems: string[] = [];
  for (const short of SUPPLIED_PACKAGES) {
    const name = `@grafana/${short}`;
    const found = packages[name] ?? [];
    if (found.length !== 1) {
      problems.push(`${name}: ${found.length} copies (${found.map((f) => `${f.dir}@${f.version}`).join(', ')})`);
    } else if (found[0].version !== runtime) {
      problems.push(`${name}: version ${found[0].version} from ${found[0].dir}, expected ${runtime}`);
    }
  }
  return problems;
}

/** The host bundle of one runtime (default: the base runtime, the packages the plugin is built against). */
export async function ensureHostBundle(runtime: GrafanaRuntime = harnessRuntimes()[0]): Promise<HostBundle> {
  if (!fs.existsSync(path.join(runtime.runtimeDir, 'package.json'))) {
    throw new Error(
      `Grafana ${runtime.version} runtime: ${path.relative(ROOT, runtime.runtimeDir)} is not installed (package.json declares ${runtime.runtimePackage}); run npm ci`
    );
  }
  const id = `${runtime.version}-${hostHash(runtime)}`;
  const out = path.join(CACHE_DIR, id);
  const js = path.join(out, 'host.js');
  const css = path.join(out, 'host.css');
  const packagesFile = path.join(out, 'packages.json');
  if (!fs.existsSync(js) || !fs.existsSync(packagesFile)) {
    // Older builds of this runtime's bundle (and bundles from before there were runtimes) are of no use.
    if (fs.existsSync(CACHE_DIR)) {
      for (const d of fs.readdirSync(CACHE_DIR)) {
        if (d.startsWith(`${runtime.version}-`) || /^[0-9a-f]{16}$/.test(d)) {
          fs.rmSync(path.join(CACHE_DIR, d), { recursive: true, force: true });
        }
      }
    }
    fs.mkdirSync(out, { recursive: true });
    // esbuild ships in node_modules (tsx depends on it).
    const esbuild = require('esbuild') as typeof import('esbuild');
    const result = await esbuild.build({
      entryPoints: [path.join(HOST_DIR, 'entry.tsx')],
      absWorkingDir: ROOT,
      bundle: true,
      outfile: js,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      jsx: 'transform',
      define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
      loader: { '.svg': 'text', '.woff2': 'file', '.woff': 'file', '.ttf': 'file', '.png': 'dataurl' },
      plugins: [runtimeResolvePlugin(runtime)],
      metafile: true,
      logLevel: 'error',
    });
    const packages = bundledGrafanaPackages(result.metafile);
    const problems = runtimeBundleProblems(runtime.version, packages);
    if (problems.length) {
      fs.rmSync(out, { recursive: true, force: true });
      throw new Error(
        `host bundle for Grafana ${runtime.version} (${runtime.runtimePackage}):\n${problems.join('\n')}`
      );
    }
    fs.writeFileSync(packagesFile, JSON.stringify(packages, null, 2));
  }
  const assets: Record<string, string> = {};
  for (const f of fs.readdirSync(out)) {
    if (f !== 'host.js' && f !== 'host.css' && f !== 'packages.json') {
      assets[f] = path.join(out, f);
    }
  }
  return {
    js,
    css: fs.existsSync(css) ? css : '',
    assets,
    runtime: runtime.version,
    packages: JSON.parse(fs.readFileSync(packagesFile, 'utf8')) as Record<string, BundledPackage[]>,
  };
}
