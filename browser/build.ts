/**
 * Builds what the harness serves:
 * - the plugin itself (`npm run build` → dist/), only when dist/ is missing or older than its sources;
 * - the host bundle (browser/host/entry.tsx + the shared modules from node_modules) with esbuild, cached in
 *   node_modules/.cache/btcflow-browser-host/ and keyed by a hash of its sources and package-lock.json.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

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

export interface HostBundle {
  js: string;
  css: string;
  /** other emitted files (fonts), by file name */
  assets: Record<string, string>;
}

function hostHash(): string {
  const h = createHash('sha256');
  for (const f of [
    ...walk(HOST_DIR),
    path.join(__dirname, 'protocol.ts'),
    path.join(ROOT, 'package-lock.json'),
  ].sort()) {
    if (fs.existsSync(f)) {
      h.update(path.relative(ROOT, f));
      h.update(fs.readFileSync(f));
    }
  }
  return h.digest('hex').slice(0, 16);
}

export async function ensureHostBundle(): Promise<HostBundle> {
  const out = path.join(CACHE_DIR, hostHash());
  const js = path.join(out, 'host.js');
  const css = path.join(out, 'host.css');
  if (!fs.existsSync(js)) {
    // Older builds of the host bundle are of no use once the sources changed.
    if (fs.existsSync(CACHE_DIR)) {
      for (const d of fs.readdirSync(CACHE_DIR)) {
        fs.rmSync(path.join(CACHE_DIR, d), { recursive: true, force: true });
      }
    }
    fs.mkdirSync(out, { recursive: true });
    // esbuild ships in node_modules (tsx depends on it).
    const esbuild = require('esbuild') as typeof import('esbuild');
    await esbuild.build({
      entryPoints: [path.join(HOST_DIR, 'entry.tsx')],
      bundle: true,
      outfile: js,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      jsx: 'transform',
      define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
      loader: { '.svg': 'text', '.woff2': 'file', '.woff': 'file', '.ttf': 'file', '.png': 'dataurl' },
      logLevel: 'error',
    });
  }
  const assets: Record<string, string> = {};
  for (const f of fs.readdirSync(out)) {
    if (f !== 'host.js' && f !== 'host.css') {
      assets[f] = path.join(out, f);
    }
  }
  return { js, css: fs.existsSync(css) ? css : '', assets };
}
