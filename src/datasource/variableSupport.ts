/**
 * Query variables through Grafana's CustomVariableSupport: the variable editor (components/VariableQueryEditor.tsx)
 * writes a BtcFlowVariableQuery, and query() runs the same variable query strings as metricFindQuery (variables.ts),
 * so dashboards that saved the string form keep working. A new variable opens as "assets with a premium".
 */
import {
  CustomVariableSupport,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceApi,
  type MetricFindValue,
  type ScopedVars,
} from '@grafana/data';
import { from, type Observable } from 'rxjs';
import { VariableQueryEditor } from '../components/VariableQueryEditor';
import type { BtcFlowOptions, BtcFlowQuery } from './types';
import { variableQueryText, type BtcFlowVariableQuery } from './variables';

/** Runs a variable query string (after interpolation) for the data source: its metricFindQuery. */
export type RunVariableText = (text: string, scopedVars?: ScopedVars) => Promise<MetricFindValue[]>;

export class BtcFlowVariableSupport extends CustomVariableSupport<
  DataSourceApi<BtcFlowQuery, BtcFlowOptions>,
  BtcFlowVariableQuery
> {
  editor = VariableQueryEditor;

  constructor(private readonly run: RunVariableText) {
    super();
  }

  query(request: DataQueryRequest<BtcFlowVariableQuery>): Observable<DataQueryResponse> {
    const target = request.targets[0] as BtcFlowVariableQuery | string | undefined;
    return from(this.run(variableQueryText(target), request.scopedVars).then((data) => ({ data })));
  }
}
