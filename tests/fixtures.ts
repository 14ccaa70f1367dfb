/**
 * Shared facts for the @grafana/plugin-e2e specs. They run against `docker compose up` (Grafana + the mock
 * exchange server), never here: see docs/browser-harness.md.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PLUGIN_ID = 'btcflow-flow-datasource';
/** provisioning/datasources/btc-flow.yaml */
export const DATASOURCES_FILE = 'btc-flow.yaml';
/** The provisioned data source whose mirror URL points at the mock exchange server (service mock-exchanges). */
export const DEMO_DATASOURCE = 'BTC Flow (offline demo)';

export interface DashboardJson {
  uid: string;
  title: string;
  panels: Array<{ id: number; type: string; title: string; panels?: DashboardJson['panels'] }>;
}

/** dashboards/btc-flow.json (mounted into Grafana by docker-compose.yml, not under provisioning/). */
export function readDashboard(): DashboardJson {
  return JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', 'dashboards', 'btc-flow.json'), 'utf8')
  ) as DashboardJson;
}
