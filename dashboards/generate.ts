/**
 * `npm run dashboards`: writes dashboards/btc-flow.json from the typed generator in dashboards/btc-flow.ts.
 * `--check` exits 1 (and writes nothing) when the committed file differs from what the generator makes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardJson } from './btc-flow';

export const DASHBOARD_FILE = join(__dirname, 'btc-flow.json');

async function main(argv: string[]): Promise<number> {
  const json = await dashboardJson();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(DASHBOARD_FILE, 'utf8');
    } catch {
      // missing file: reported as out of date below
    }
    if (current !== json) {
      process.stderr.write(`${DASHBOARD_FILE} is out of date: run \`npm run dashboards\`\n`);
      return 1;
    }
    process.stdout.write(`${DASHBOARD_FILE} is up to date\n`);
    return 0;
  }
  writeFileSync(DASHBOARD_FILE, json);
  process.stdout.write(`wrote ${DASHBOARD_FILE}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`npm run dashboards: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  );
}
