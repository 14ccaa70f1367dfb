import { expect, test } from '@grafana/plugin-e2e';

import { DATASOURCES_FILE, DEMO_DATASOURCE } from './fixtures';

test('the config editor renders its sections for a new BTC Flow data source', async ({
  createDataSourceConfigPage,
  readProvisionedDataSource,
  page,
}) => {
  const ds = await readProvisionedDataSource({ fileName: DATASOURCES_FILE });
  await createDataSourceConfigPage({ type: ds.type });
  await expect(page.getByText('Venues', { exact: true })).toBeVisible();
  await expect(page.getByText('Signal thresholds', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Stablecoins to USD')).toBeVisible();
  await expect(page.getByTestId('btcflow-mirror')).toBeVisible();
});

test('"Save & test" on the offline demo data source reaches every venue through the mirror', async ({
  gotoDataSourceConfigPage,
  readProvisionedDataSource,
}) => {
  const ds = await readProvisionedDataSource({ fileName: DATASOURCES_FILE, name: DEMO_DATASOURCE });
  const configPage = await gotoDataSourceConfigPage(ds.uid);
  await expect(configPage.saveAndTest()).toBeOK();
  await expect(configPage).toHaveAlert('success');
});
