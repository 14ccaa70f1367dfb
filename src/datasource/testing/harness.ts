/**
 * Shared pieces of the data source tests: a template service stand-in, instance settings, a query request,
 * and field access on frames.
 */
import { DataFrame, DataQueryRequest, DataSourceInstanceSettings, dateTime, Field, ScopedVars } from '@grafana/data';
import type { BtcFlowOptions, BtcFlowQuery } from '../types';

/** Dashboard variables for the template service stand-in. */
export const variables: Record<string, string | string[]> = {};

/**
 * The part of Grafana's TemplateSrv the data source uses: `$name` and `${name}` replaced from `variables` (scoped
 * vars first); a multi-value variable becomes `a,b` with format `csv`, and Grafana's default glob `{a,b}` otherwise.
 */
export const templateSrv = {
  replace(target?: string, scopedVars?: ScopedVars, format?: string): string {
    if (!target) {
      return '';
    }
    return target.replace(/\$(\w+)|\$\{(\w+)(?::\w+)?\}/g, (all, a?: string, b?: string) => {
      const name = (a ?? b)!;
      const scoped = scopedVars?.[name]?.value;
      const v = scoped !== undefined ? (scoped as string | string[]) : variables[name];
      if (v === undefined) {
        return all;
      }
      if (Array.isArray(v)) {
        return format === 'csv' ? v.join(',') : v.length > 1 ? `{${v.join(',')}}` : (v[0] ?? '');
      }
      return String(v);
    });
  },
  getVariables: () => [],
  containsTemplate: (t?: string) => Boolean(t && t.includes('$')),
  updateTimeRange: () => undefined,
};

export function instanceSettings(
  url: string,
  jsonData: BtcFlowOptions = {}
): DataSourceInstanceSettings<BtcFlowOptions> {
  return {
    uid: 'btc-flow-test',
    type: 'btcflow-flow-datasource',
    name: 'BTC Flow',
    url,
    access: 'proxy',
    jsonData,
    readOnly: false,
    meta: {
      id: 'btcflow-flow-datasource',
      name: 'BTC Flow',
      type: 'datasource',
      annotations: true,
      metrics: true,
    } as never,
  } as DataSourceInstanceSettings<BtcFlowOptions>;
}

export function request(
  targets: BtcFlowQuery[],
  from: number,
  to: number,
  intervalMs = 86_400_000,
  scopedVars: ScopedVars = {}
): DataQueryRequest<BtcFlowQuery> {
  const range = { from: dateTime(from), to: dateTime(to), raw: { from: dateTime(from), to: dateTime(to) } };
  return {
    requestId: 'test',
    interval: '1d',
    intervalMs,
    maxDataPoints: 1000,
    range,
    scopedVars,
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  } as DataQueryRequest<BtcFlowQuery>;
}

export function field(frame: DataFrame, name: string): Field {
  const f = frame.fields.find((x) => x.name === name);
  if (!f) {
    throw new Error(`no field ${name} in frame ${frame.name}; fields: ${frame.fields.map((x) => x.name).join(', ')}`);
  }
  return f;
}

export function values(frame: DataFrame, name: string): unknown[] {
  return [...field(frame, name).values];
}
