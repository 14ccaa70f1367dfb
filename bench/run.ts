/**
 * `npm run bench`: runs every benchmark and prints its figures.
 * Each part is a module exporting one async function that returns a flat record of figures.
 * Speed and size targets live here, not in timed tests.
 */
import path from 'node:path';

interface BenchPart {
  name: string;
  file: string;
  fn: string;
}

const PARTS: BenchPart[] = [
  { name: 'core engine', file: './core', fn: 'benchCore' },
  { name: 'exchange layer (mock, 100 ms latency)', file: './exchanges', fn: 'benchExchanges' },
  { name: 'recorder exporter (GET /metrics)', file: './exporter', fn: 'benchExporter' },
  { name: 'plugin bundle sizes', file: './bundle', fn: 'benchBundle' },
  { name: 'cli memory (compute, 100k and 1M bars)', file: './cli-memory', fn: 'benchCliMemory' },
  { name: 'browser transfer', file: '../browser/bench', fn: 'benchBrowser' },
  { name: 'macro view from the recorder (Chromium)', file: '../browser/bench', fn: 'benchRecorderMacro' },
  { name: 'recorder (store, steady state against the mock)', file: './recorder', fn: 'benchRecorder' },
  { name: 'browser load (mock, 100 ms latency)', file: '../browser/bench', fn: 'benchBrowserLoad' },
  {
    name: 'recorder on PostgreSQL (vs SQLite; API with 1-3 replicas)',
    file: './recorder-postgres',
    fn: 'benchRecorderPostgres',
  },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  let failed = 0;
  for (const part of PARTS) {
    if (only.length && !only.some((o) => part.name.includes(o) || part.file.includes(o))) {
      continue;
    }
    process.stdout.write(`\n## ${part.name}\n`);
    try {
      const mod = await import(path.join(__dirname, part.file));
      const run = mod[part.fn] as () => Promise<Record<string, number | string | boolean>>;
      const figures = await run();
      for (const [k, v] of Object.entries(figures)) {
        process.stdout.write(`${k.padEnd(48)} ${typeof v === 'number' ? formatNumber(v) : String(v)}\n`);
      }
    } catch (e) {
      failed++;
      process.stdout.write(`FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

main();
