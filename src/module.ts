import { DataSourcePlugin } from '@grafana/data';
import { DataSource } from './datasource/DataSource';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import type { BtcFlowOptions, BtcFlowQuery } from './datasource/types';

export const plugin = new DataSourcePlugin<DataSource, BtcFlowQuery, BtcFlowOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
