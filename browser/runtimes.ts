/**
 * The Grafana runtimes the Chromium harness runs the plugin in.
 *
 * At run time Grafana supplies its own `@grafana/data`, `@grafana/ui` and `@grafana/runtime` to a plugin, so the
 * plugin must work with every version its `grafanaDependency` admits, not only with the packages it is built against.
 * The harness builds one host bundle per runtime (./build.ts) and runs its dashboard suite in each:
 * - the base runtime: the `@grafana/*` packages of package.json's `dependencies` (what the plugin is built against,
 *   which is also the minimum `grafanaDependency`);
 * - one more runtime per npm alias `"@grafana/runtime-<version>": "npm:@grafana/runtime@<version>"` in
 *   `devDependencies`. `@grafana/runtime` pins `@grafana/data`, `ui`, `schema` and `e2e-selectors` to its own version,
 *   and npm installs those under the alias's own node_modules (the top-level ones are the base version), so the one
 *   alias brings the whole set; the host bundle resolves every `@grafana/*` import from the alias's folder.
 *
 * Node-side only (reads package.json and node_modules); nothing in src/ uses it.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** The `@grafana/*` packages the host resolves per runtime (Grafana supplies data, ui and runtime to plugins). */
export const RUNTIME_PACKAGES = ['data', 'ui', 'runtime', 'schema', 'e2e-selectors', 'i18n'] as const;
/** The packages Grafana hands to the plugin: each must come from the runtime's version, once, in its host bundle. */
export const SUPPLIED_PACKAGES = ['data', 'ui', 'runtime'] as const;

export interface GrafanaRuntime {
  /** version of the `@grafana/data`, `ui` and `runtime` the plugin gets in this runtime, e.g. "13.1.3" */
  version: string;
  /** true for the packages the plugin is built against (package.json `dependencies`) */
  base: boolean;
  /** the package whose folder the host's `@grafana/*` imports resolve from: `@grafana/runtime` or its alias */
  runtimePackage: string;
  /** absolute folder of `runtimePackage` (node_modules/@grafana/runtime or node_modules/@grafana/runtime-<version>) */
  runtimeDir: string;
}

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const EXACT = /^\d+\.\d+\.\d+$/;

/**
 * The runtimes declared by package.json: the base one first, then the aliases in version order. A malformed alias
 * (not `npm:@grafana/runtime@<exact version>`, or a name that does not match its version) is an error naming it.
 */
export function harnessRuntimes(root = ROOT): GrafanaRuntime[] {
  const pj = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
  const baseVersion = pj.dependencies?.['@grafana/runtime'];
  if (!baseVersion || !EXACT.test(baseVersion)) {
    throw new Error(
      `package.json dependencies['@grafana/runtime'] must be an exact version (the base runtime); got ${JSON.stringify(baseVersion)}`
    );
  }
  const out: GrafanaRuntime[] = [
    {
      version: baseVersion,
      base: true,
      runtimePackage: '@grafana/runtime',
      runtimeDir: path.join(root, 'node_modules', '@grafana', 'runtime'),
    },
  ];
  const aliases = Object.entries(pj.devDependencies ?? {}).filter(([name]) => name.startsWith('@grafana/runtime-'));
  for (const [name, spec] of aliases) {
    const m = /^npm:@grafana\/runtime@(.+)$/.exec(spec);
    const version = name.slice('@grafana/runtime-'.length);
    if (!m || m[1] !== version || !EXACT.test(version)) {
      throw new Error(
        `package.json devDependencies['${name}'] must be "npm:@grafana/runtime@${version}" (an exact version equal to the name's); got ${JSON.stringify(spec)}`
      );
    }
    if (version === baseVersion) {
      throw new Error(`package.json devDependencies['${name}'] repeats the base runtime ${baseVersion}`);
    }
    out.push({ version, base: false, runtimePackage: name, runtimeDir: path.join(root, 'node_modules', name) });
  }
  return [out[0], ...out.slice(1).sort((a, b) => compareVersions(a.version, b.version))];
}

/** Numeric comparison of x.y.z versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (pa[i] !== pb[i]) {
      return pa[i] - pb[i];
    }
  }
  return 0;
}

/**
 * The runtimes a harness run covers: all of them, or those named in `HARNESS_RUNTIMES` (comma-separated versions, e.g.
 * `HARNESS_RUNTIMES=13.1.3`). An unknown version is an error listing the known ones.
 */
export function selectedRuntimes(env = process.env.HARNESS_RUNTIMES, all = harnessRuntimes()): GrafanaRuntime[] {
  if (!env || !env.trim()) {
    return all;
  }
  const wanted = env
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((v) => !all.some((r) => r.version === v));
  if (unknown.length) {
    throw new Error(
      `HARNESS_RUNTIMES: unknown runtime ${unknown.join(', ')}; known: ${all.map((r) => r.version).join(', ')}`
    );
  }
  return all.filter((r) => wanted.includes(r.version));
}
