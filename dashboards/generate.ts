/**
 * `npm run dashboards`: writes dashboards/btc-flow.json and dashboards/btc-flow-macro.json from the typed generators
 * in dashboards/btc-flow.ts and dashboards/btc-flow-macro.ts, and provisioning/alerting/btc-flow.yaml
 * (Grafana-managed alert rules) from dashboards/alerts.ts.
 * `--check` exits 1 (and writes nothing) when a committed file differs from what its generator makes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { alertingYaml } from './alerts';
import { dashboardJson } from './btc-flow';
import { macroDashboardJson } from './btc-flow-macro';

export const DASHBOARD_FILE = join(__dirname, 'btc-flow.json');
export const MACRO_DASHBOARD_FILE = join(__dirname, 'btc-flow-macro.json');
export const ALERTING_FILE = join(__dirname, '..', 'provisioning', 'alerting', 'btc-flow.yaml');

async function main(argv: string[]): Promise<number> {
  const outputs: Array<[string, string]> = [
    [DASHBOARD_FILE, await dashboardJson()],
    [MACRO_DASHBOARD_FILE, await macroDashboardJson()],
    [ALERTING_FILE, await alertingYaml()],
  ];
  if (argv.includes('--check')) {
    let stale = 0;
    for (const [file, text] of outputs) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // missing file: reported as out of date below
      }
      if (current !== text) {
        process.stderr.write(`${file} is out of date: run \`npm run dashboards\`\n`);
        stale++;
      } else {
        process.stdout.write(`${file} is up to date\n`);
      }
    }
    return stale ? 1 : 0;
  }
  for (const [file, text] of outputs) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}\n`);
  }
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
