/**
 * @jest-environment node
 *
 * Enforces what ESLint's no-restricted-imports cannot: no import cycle among the modules of src/ (type-only imports
 * included, since a cycle of types is still two modules that cannot be understood apart). Tests and test support
 * are left out. The layering rules themselves are in eslint.config.mjs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = __dirname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      return name === 'testing' || name === 'testdata' ? [] : sources(p);
    }
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && name !== 'testutil.ts' ? [p] : [];
  });
}

/** Relative imports of a module, resolved to files of src/ (`from '…'` and `import('…')`). */
function importsOf(file: string, known: Set<string>): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
    const base = resolve(dirname(file), m[1]);
    const hit = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')].find((c) =>
      known.has(c)
    );
    if (hit) {
      out.push(hit);
    }
  }
  return out;
}

/** The import graph of the modules of src/. */
function graphOf(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(files.map((f) => [relative(SRC, f), importsOf(f, known).map((g) => relative(SRC, g))]));
}

/** Every cycle found by a depth-first search, each as the list of modules around it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') {
        found.push([...stack.slice(stack.indexOf(g)), g]);
      } else if (!state.has(g)) {
        visit(g);
      }
    }
    stack.pop();
    state.set(f, 'done');
  };
  [...graph.keys()].forEach((f) => state.has(f) || visit(f));
  return found;
}

describe('module graph of src/', () => {
  it('the cycle search finds a cycle through three modules and none in a chain', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ])
      )
    ).toEqual([]);
  });

  it('the graph holds the engine and resolves its relative imports', () => {
    const g = graphOf(sources(SRC));
    expect(g.get(join('core', 'engine.ts'))).toContain(join('core', 'stages', 'funding.ts'));
    expect(g.get('module.ts')).toContain(join('datasource', 'DataSource.ts'));
  });

  it('has no import cycle (type-only imports included)', () => {
    expect(cycles(graphOf(sources(SRC)))).toEqual([]);
  });
});
