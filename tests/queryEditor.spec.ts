import { expect, test } from '@grafana/plugin-e2e';

import { DEMO_DATASOURCE } from './fixtures';

test('the query editor switches to a funding query in APR and the panel shows it', async ({ panelEditPage, page }) => {
  await panelEditPage.datasource.set(DEMO_DATASOURCE);
  const row = panelEditPage.getQueryEditorRow('A');
  await expect(row.getByText('Query type')).toBeVisible();
  await row.getByRole('radio', { name: 'Funding', exact: true }).click({ force: true });
  await row.getByRole('radio', { name: 'APR', exact: true }).click({ force: true });
  await panelEditPage.setVisualization('Table');
  await expect(panelEditPage.refreshPanel()).toBeOK();
  await expect(panelEditPage.panel.fieldNames).toContainText(['Funding APR']);
  await expect(page.getByText('No data')).toHaveCount(0);
});

test('a premium query returns the premium and its z-score', async ({ panelEditPage }) => {
  await panelEditPage.datasource.set(DEMO_DATASOURCE);
  const row = panelEditPage.getQueryEditorRow('A');
  await row.getByRole('radio', { name: 'Premium', exact: true }).click({ force: true });
  await panelEditPage.setVisualization('Table');
  await expect(panelEditPage.refreshPanel()).toBeOK();
  await expect(panelEditPage.panel.fieldNames).toContainText(['Spot premium', 'Premium z-score']);
});
