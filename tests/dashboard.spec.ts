import { expect, test } from '@grafana/plugin-e2e';

import { readDashboard } from './fixtures';

const dashboard = readDashboard();
const DEMO = new URLSearchParams({ 'var-datasource': 'btc-flow-demo' });
const LONG = { timeout: 120_000 };

test('the provisioned dashboard loads on the offline demo data source with no panel error', async ({
  gotoDashboardPage,
}) => {
  const page = await gotoDashboardPage({ uid: dashboard.uid, queryParams: DEMO });
  for (const title of [
    'Spot premium (%)',
    'Open interest (USD), stacked by venue',
    'Funding APR: composite and per venue',
  ]) {
    const panel = page.getPanelByTitle(title);
    await panel.scrollIntoView();
    // A time series panel draws on a canvas (uPlot) once its data is there; an error shows the panel's error icon.
    await expect(panel.locator.locator('canvas').first()).toBeVisible(LONG);
    await expect(panel.getErrorIcon()).toHaveCount(0);
  }
});

test('the events table lists signal and extreme events', async ({ gotoPanelEditPage }) => {
  const events = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).find((p) => p.type === 'table');
  expect(events).toBeDefined();
  const panelEdit = await gotoPanelEditPage({
    dashboard: { uid: dashboard.uid, queryParams: DEMO },
    id: String(events!.id),
  });
  await expect(panelEdit.panel.fieldNames).toContainText(['kind', 'title'], LONG);
  await expect(panelEdit.panel.getErrorIcon()).toHaveCount(0);
});
