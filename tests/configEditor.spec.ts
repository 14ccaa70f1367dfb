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
  selectors,
}) => {
  const ds = await readProvisionedDataSource({ fileName: DATASOURCES_FILE, name: DEMO_DATASOURCE });
  const configPage = await gotoDataSourceConfigPage(ds.uid);
  // A frontend-only data source has no /health endpoint: its test pings each venue through the data proxy
  // (for the demo: the `mirror` route), so wait for one of those requests.
  const mirrorPath = `${selectors.apis.DataSource.proxy(configPage.datasource.uid, configPage.datasource.id.toString())}/mirror/`;
  await expect(configPage.saveAndTest({ path: mirrorPath })).toBeOK();
  await expect(configPage).toHaveAlert('success');
});
