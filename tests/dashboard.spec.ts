import { expect, test } from '@grafana/plugin-e2e';

import { readDashboard } from './fixtures';

const dashboard = readDashboard();

test('the provisioned dashboard loads on the offline demo data source with no panel error', async ({ gotoDashboardPage }) => {
  const page = await gotoDashboardPage({
    uid: dashboard.uid,
    queryParams: new URLSearchParams({ 'var-datasource': 'btc-flow-demo' }),
  });
  await page.waitForPanelsQueriesToComplete({ timeout: 120_000, scrollAll: true });
  for (const title of ['Spot premium (%)', 'Open interest (USD), stacked by venue', 'Funding APR: composite and per venue']) {
    const panel = page.getPanelByTitle(title);
    await panel.scrollIntoView();
    await expect(panel.getErrorIcon()).toHaveCount(0);
  }
});

test('the events table lists signal and extreme events', async ({ gotoPanelEditPage }) => {
  const events = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).find((p) => p.type === 'table');
  expect(events).toBeDefined();
  const panelEdit = await gotoPanelEditPage({
    dashboard: { uid: dashboard.uid, queryParams: new URLSearchParams({ 'var-datasource': 'btc-flow-demo' }) },
    id: String(events!.id),
  });
  await expect(panelEdit.refreshPanel()).toBeOK();
  await expect(panelEdit.panel.fieldNames).toContainText(['kind', 'title']);
});
