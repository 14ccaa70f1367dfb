/**
 * Typed panel and annotation targets for the dashboard generator.
 *
 * foundation-sdk's panel builders take any `cog.Builder<cog.Dataquery>`, and its generic `dataquery` builders accept
 * any object. These wrappers take the plugin's own query model (`src/datasource/types.ts`), so a target with an
 * unknown `queryType` or a misspelled option is a compile error in `dashboards/btc-flow.ts`.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import type { BtcFlowAnnotationQuery, BtcFlowQuery } from '../src/datasource/types';

/** The plugin id (src/plugin.json `id`). */
export const PLUGIN_ID = 'btcflow-flow-datasource';

/**
 * The provisioned Prometheus data source (provisioning/datasources/prometheus.yaml) that scrapes the recorder's
 * exporter: the dashboard's Alerts row and the Grafana-managed alert rules (dashboards/alerts.ts) read it.
 */
export const PROMETHEUS_DATASOURCE_REF: common.DataSourceRef = { type: 'prometheus', uid: 'btc-flow-prometheus' };

/** Name of the dashboard's data source variable; panels and annotations refer to `${datasource}`. */
export const DATASOURCE_VARIABLE = 'datasource';

/** The data source reference every panel, target, variable and annotation of the dashboard uses. */
export const DATASOURCE_REF: common.DataSourceRef = { type: PLUGIN_ID, uid: `\${${DATASOURCE_VARIABLE}}` };

/** A target as stored in the dashboard JSON: the plugin's query plus the data source reference. */
export type StoredTarget<Q> = Q & { datasource: common.DataSourceRef };

/** What `build()` returns: the plugin's query, typed for foundation-sdk as a `cog.Dataquery`. */
type BuiltQuery = cog.Dataquery;

function toDataquery<Q extends object>(query: Q): BuiltQuery {
  const stored: StoredTarget<Q> = { ...query, datasource: DATASOURCE_REF };
  // cog.Dataquery is a marker interface (a method that exists only in the SDK's own query classes); the JSON that
  // Grafana stores is the plain object, so the marker is satisfied by a cast here and nowhere else.
  return stored as unknown as BuiltQuery;
}

/** A panel target typed by the plugin's `BtcFlowQuery` union. */
export class BtcFlowTarget implements cog.Builder<cog.Dataquery> {
  constructor(private readonly query: BtcFlowQuery) {}

  build(): cog.Dataquery {
    return toDataquery(this.query);
  }
}

/** An annotation target typed by the plugin's `BtcFlowAnnotationQuery` union. */
export class BtcFlowAnnotationTarget implements cog.Builder<cog.Dataquery> {
  constructor(private readonly query: BtcFlowAnnotationQuery) {}

  build(): cog.Dataquery {
    return toDataquery(this.query);
  }
}

/** Shorthand: `target({ refId: 'A', queryType: 'premium', ... })`. The literal is checked against the union. */
export function target(query: BtcFlowQuery): BtcFlowTarget {
  return new BtcFlowTarget(query);
}

/** Shorthand for an annotation target. */
export function annotationTarget(query: BtcFlowAnnotationQuery): BtcFlowAnnotationTarget {
  return new BtcFlowAnnotationTarget(query);
}
