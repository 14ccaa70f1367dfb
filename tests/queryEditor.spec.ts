import { expect, test } from '@grafana/plugin-e2e';

import { DEMO_DATASOURCE } from './fixtures';

// A frontend-only data source sends no /api/ds/query request (refreshPanel() waits for one): the editor runs the
// query on every change, the exchange requests go through the data proxy, and the panel is checked directly.
const LONG = { timeout: 90_000 };

test('the query editor switches to a funding query in APR and the panel shows it', async ({ panelEditPage }) => {
  await panelEditPage.datasource.set(DEMO_DATASOURCE);
  await panelEditPage.setVisualization('Table');
  const row = panelEditPage.getQueryEditorRow('A');
  await expect(row.getByText('Query type')).toBeVisible();
  await row.getByRole('radio', { name: 'Funding', exact: true }).click({ force: true });
  await row.getByRole('radio', { name: 'APR', exact: true }).click({ force: true });
  await expect(panelEditPage.panel.fieldNames).toContainText(['Funding APR'], LONG);
  await expect(panelEditPage.panel.getErrorIcon()).toHaveCount(0);
});

test('a premium query returns the premium and its z-score', async ({ panelEditPage }) => {
  await panelEditPage.datasource.set(DEMO_DATASOURCE);
  await panelEditPage.setVisualization('Table');
  const row = panelEditPage.getQueryEditorRow('A');
  await row.getByRole('radio', { name: 'OI', exact: true }).click({ force: true });
  await row.getByRole('radio', { name: 'Premium', exact: true }).click({ force: true });
  await expect(panelEditPage.panel.fieldNames).toContainText(['Spot premium', 'Premium z-score'], LONG);
});
