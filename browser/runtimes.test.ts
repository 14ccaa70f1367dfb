/** @jest-environment node */
/**
 * The Grafana runtimes of the Chromium harness (./runtimes.ts), the checks its host bundles must pass (./build.ts),
 * and the AMD loader's record of the exports the plugin reads (./host/amd.ts). Fast, no browser: the harness itself
 * (harness.test.ts) runs the plugin in each runtime.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { bundledGrafanaPackages, runtimeBundleProblems } from './build';
import { recordingModule, type SharedReads } from './host/amd';
import { compareVersions, harnessRuntimes, selectedRuntimes, SUPPLIED_PACKAGES } from './runtimes';

// semver ships no type declarations (and @types/semver is not installed): type the functions used.
const semver: {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
} = require('semver');

const ROOT = path.resolve(__dirname, '..');

function tempProject(pj: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'btcflow-runtimes-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pj));
  return dir;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

describe('harnessRuntimes', () => {
  test('the base runtime from dependencies first, then one per @grafana/runtime-<version> alias, in version order', () => {
    const dir = tempProject({
      dependencies: { '@grafana/runtime': '13.1.1', '@grafana/data': '13.1.1' },
      devDependencies: {
        '@grafana/runtime-13.10.0': 'npm:@grafana/runtime@13.10.0',
        '@grafana/runtime-13.2.0': 'npm:@grafana/runtime@13.2.0',
        '@grafana/eslint-config': '^9.0.0',
      },
    });
    dirs.push(dir);
    const rts = harnessRuntimes(dir);
    expect(rts.map((r) => [r.version, r.base, r.runtimePackage, path.relative(dir, r.runtimeDir)])).toEqual([
      ['13.1.1', true, '@grafana/runtime', 'node_modules/@grafana/runtime'],
      // numeric order: 13.2.0 before 13.10.0
      ['13.2.0', false, '@grafana/runtime-13.2.0', 'node_modules/@grafana/runtime-13.2.0'],
      ['13.10.0', false, '@grafana/runtime-13.10.0', 'node_modules/@grafana/runtime-13.10.0'],
    ]);
  });

  test.each([
    [
      'npm:@grafana/runtime@^13.1.3',
      /must be "npm:@grafana\/runtime@13\.1\.3".*got "npm:@grafana\/runtime@\^13\.1\.3"/,
    ],
    ['npm:@grafana/runtime@13.1.4', /must be "npm:@grafana\/runtime@13\.1\.3"/],
    ['npm:@grafana/data@13.1.3', /@grafana\/runtime-13\.1\.3/],
  ])('a malformed alias (%s) is an error naming it', (spec, message) => {
    const dir = tempProject({
      dependencies: { '@grafana/runtime': '13.1.1' },
      devDependencies: { '@grafana/runtime-13.1.3': spec },
    });
    dirs.push(dir);
    expect(() => harnessRuntimes(dir)).toThrow(message);
  });

  test('a base runtime that is not an exact version is an error', () => {
    const dir = tempProject({ dependencies: { '@grafana/runtime': '^13.1.1' } });
    dirs.push(dir);
    expect(() => harnessRuntimes(dir)).toThrow(
      /dependencies\['@grafana\/runtime'\] must be an exact version.*\^13\.1\.1/
    );
  });

  test('compareVersions is numeric per part', () => {
    expect(compareVersions('13.2.0', '13.10.0')).toBeLessThan(0);
    expect(compareVersions('13.1.3', '13.1.1')).toBeGreaterThan(0);
    expect(compareVersions('13.1.1', '13.1.1')).toBe(0);
  });

  test('HARNESS_RUNTIMES picks runtimes by version; an unknown one is an error listing the known', () => {
    const all = [
      { version: '13.1.1', base: true, runtimePackage: '@grafana/runtime', runtimeDir: '/x' },
      { version: '13.1.3', base: false, runtimePackage: '@grafana/runtime-13.1.3', runtimeDir: '/y' },
    ];
    expect(selectedRuntimes(undefined, all)).toEqual(all);
    expect(selectedRuntimes(' ', all)).toEqual(all);
    expect(selectedRuntimes('13.1.3', all).map((r) => r.version)).toEqual(['13.1.3']);
    expect(selectedRuntimes('13.1.3, 13.1.1', all).map((r) => r.version)).toEqual(['13.1.1', '13.1.3']);
    expect(() => selectedRuntimes('13.2.0', all)).toThrow(
      'HARNESS_RUNTIMES: unknown runtime 13.2.0; known: 13.1.1, 13.1.3'
    );
  });
});

describe("the project's runtimes agree with plugin.json and are installed", () => {
  const pluginJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'plugin.json'), 'utf8'));
  const range: string = pluginJson.dependencies.grafanaDependency;
  const runtimes = harnessRuntimes();

  test('the base runtime is the minimum grafanaDependency declares, and at least one newer runtime is tested', () => {
    expect(runtimes[0].version).toBe(semver.minVersion(range)!.version);
    expect(runtimes.length).toBeGreaterThanOrEqual(2);
    expect(compareVersions(runtimes[runtimes.length - 1].version, runtimes[0].version)).toBeGreaterThan(0);
  });

  test('every tested runtime is inside the declared range', () => {
    for (const r of runtimes) {
      expect({ version: r.version, range, ok: semver.satisfies(r.version, range) }).toEqual({
        version: r.version,
        range,
        ok: true,
      });
    }
  });

  test("each runtime's @grafana/data, ui and runtime resolve, from its folder, to that version", () => {
    for (const r of runtimes) {
      expect({ runtime: r.version, installed: fs.existsSync(path.join(r.runtimeDir, 'package.json')) }).toEqual({
        runtime: r.version,
        installed: true,
      });
      for (const name of SUPPLIED_PACKAGES) {
        const pj =
          name === 'runtime'
            ? path.join(r.runtimeDir, 'package.json')
            : require.resolve(`@grafana/${name}/package.json`, { paths: [r.runtimeDir] });
        const version = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { version: string }).version;
        expect({ runtime: r.version, name, version }).toEqual({ runtime: r.version, name, version: r.version });
      }
    }
  });
});

describe('bundledGrafanaPackages and runtimeBundleProblems (the host bundle check)', () => {
  function fakeTree(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'btcflow-bundle-'));
    dirs.push(root);
    const pkg = (dir: string, name: string, version: string) => {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
      fs.writeFileSync(path.join(root, dir, 'package.json'), JSON.stringify({ name, version }));
    };
    pkg('node_modules/@grafana/data', '@grafana/data', '13.1.1');
    pkg('node_modules/@grafana/runtime-13.1.3', '@grafana/runtime', '13.1.3');
    pkg('node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/data', '@grafana/data', '13.1.3');
    pkg('node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/ui', '@grafana/ui', '13.1.3');
    return root;
  }
  const meta = (inputs: string[]) =>
    ({ inputs: Object.fromEntries(inputs.map((i) => [i, { bytes: 1, imports: [] }])), outputs: {} }) as never;

  test('groups the inputs by package folder and reads each version, the alias under its real name', () => {
    const root = fakeTree();
    const packages = bundledGrafanaPackages(
      meta([
        'browser/host/entry.tsx',
        'node_modules/@grafana/runtime-13.1.3/dist/esm/index.mjs',
        'node_modules/@grafana/runtime-13.1.3/dist/esm/services/x.mjs',
        'node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/data/dist/esm/index.mjs',
        'node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/ui/dist/esm/index.mjs',
        'node_modules/lodash/lodash.js',
      ]),
      root
    );
    expect(packages).toEqual({
      '@grafana/runtime': [{ dir: 'node_modules/@grafana/runtime-13.1.3', version: '13.1.3' }],
      '@grafana/data': [{ dir: 'node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/data', version: '13.1.3' }],
      '@grafana/ui': [{ dir: 'node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/ui', version: '13.1.3' }],
    });
    expect(runtimeBundleProblems('13.1.3', packages)).toEqual([]);
  });

  test('a second copy, another version or a missing package is a problem naming it', () => {
    const root = fakeTree();
    const packages = bundledGrafanaPackages(
      meta([
        'node_modules/@grafana/runtime-13.1.3/dist/esm/index.mjs',
        'node_modules/@grafana/data/dist/esm/index.mjs',
        'node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/data/dist/esm/index.mjs',
      ]),
      root
    );
    expect(runtimeBundleProblems('13.1.3', packages)).toEqual([
      '@grafana/data: 2 copies (node_modules/@grafana/data@13.1.1, node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/data@13.1.3)',
      '@grafana/ui: 0 copies ()',
    ]);
    // the right number of copies, of another version (the base runtime's data in the 13.1.3 bundle, or the reverse)
    const nested = packages['@grafana/data'][1];
    expect(runtimeBundleProblems('13.1.1', { ...packages, '@grafana/data': [nested] })[0]).toBe(
      '@grafana/data: version 13.1.3 from node_modules/@grafana/runtime-13.1.3/node_modules/@grafana/data, expected 13.1.1'
    );
  });
});

describe('recordingModule (what the plugin reads from a shared module)', () => {
  test('records the exports read, notes those the module lacks, and hands the values through unchanged', () => {
    const reads: SharedReads = { read: {}, missing: {} };
    const fn = () => 42;
    const ns = Object.freeze({ dateTime: fn, LoadingState: { Done: 'Done' } });
    const mod = recordingModule('@grafana/data', ns, reads);
    expect(mod.dateTime).toBe(fn);
    expect(mod.LoadingState.Done).toBe('Done');
    expect(reads).toEqual({ read: { '@grafana/data': ['LoadingState', 'dateTime'] }, missing: {} });
    // An API this runtime lacks (moved or added later): undefined for the plugin, and recorded as missing.
    expect((mod as Record<string, unknown>).MultiSelect).toBeUndefined();
    // interop and thenable checks are not uses of an export
    expect((mod as Record<string, unknown>).__esModule).toBeUndefined();
    expect((mod as Record<string, unknown>).then).toBeUndefined();
    expect(reads).toEqual({
      read: { '@grafana/data': ['LoadingState', 'MultiSelect', 'dateTime'] },
      missing: { '@grafana/data': ['MultiSelect'] },
    });
  });
});
