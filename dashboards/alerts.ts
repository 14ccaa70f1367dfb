/**
 * BTC Flow's Grafana-managed alert rules as code (foundation-sdk alerting builders), mapped to Grafana's alerting
 * file-provisioning format. `npm run dashboards` writes provisioning/alerting/btc-flow.yaml beside the dashboard;
 * dashboards/alerts.test.ts fails when the committed file differs, and checks the file against the format (refIds,
 * data source uids, every PromQL expression through promtool).
 *
 * The rules read the recorder's exporter through the provisioned Prometheus data source
 * (provisioning/datasources/prometheus.yaml, fixed uid below): the same alerts as prometheus/rules.yml, for users who
 * alert from Grafana instead of Alertmanager. Each rule is query A (PromQL, instant) → B = last(A) → C = threshold(B),
 * C being the condition; value queries for the description are reduced the same way. The PromQL aggregates by
 * (asset, timeframe) so that every query of a rule has the same label set and `$values` finds the values of the
 * same alert instance. Docs: docs/alerting.md.
 */
import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import { stringify } from 'yaml';
import { DASHBOARD_UID } from './btc-flow';
import { PROMETHEUS_DATASOURCE_REF } from './target';

/** The provisioned Prometheus data source (provisioning/datasources/prometheus.yaml). */
export const PROMETHEUS_DATASOURCE_UID = PROMETHEUS_DATASOURCE_REF.uid!;
/** Grafana's server-side expressions pseudo data source. */
export const EXPRESSION_DATASOURCE_UID = '__expr__';
/** Folder (title) the rules live in: the dashboard provider's folder. */
export const ALERT_FOLDER = 'BTC Flow';
export const ORG_ID = 1;
/** Evaluation interval of every group, seconds. The btcflow_* values change only when a bar closes. */
export const GROUP_INTERVAL_S = 60;
/** The placeholder contact point: email to a reserved address, which sends nothing until SMTP is configured. */
export const CONTACT_POINT = 'BTC Flow (configure me)';
/** Grafana URL in the dashboard links (docker-compose.yml publishes Grafana there). */
const GRAFANA_URL = 'http://localhost:3000';
/** Instant queries look back this far (seconds): enough for the last scrape of a 30 s scrape interval. */
const LOOKBACK_S = 600;

type Evaluator = 'gt' | 'lt';

/** A value shown in the description: a PromQL query reduced to its last value, printed with `format`. */
interface ValueQuery {
  refId: string;
  promql: string;
}

interface AlertSpec {
  uid: string;
  /** Same name as the Prometheus rule in prometheus/rules.yml. */
  title: string;
  group: 'btc-flow-signals' | 'btc-flow-recorder';
  promql: string;
  evaluator: Evaluator;
  threshold: number;
  for: string;
  severity: 'info' | 'warning' | 'critical';
  noDataState: 'OK' | 'Alerting' | 'NoData';
  summary: string;
  description: string;
  values?: ValueQuery[];
  /** Link with the alert's asset and timeframe. */
  perAsset: boolean;
}

const byAssetTf = (q: string) => `max by (asset, timeframe) (${q})`;
/** Template: a value's last reading with 2 decimals, `n/a` when the metric is absent. */
const num = (refId: string) => `{{ with $values.${refId} }}{{ printf "%.2f" .Value }}{{ else }}n/a{{ end }}`;
/** Template: a ratio as a percentage (Prometheus' humanizePercentage, also in Grafana's alert templates). */
const pct = (refId: string) => `{{ with $values.${refId} }}{{ humanizePercentage .Value }}{{ else }}n/a{{ end }}`;

const STATE_ALERTS: AlertSpec[] = [
  {
    uid: 'btc-flow-over-leverage',
    title: 'BtcFlowOverLeverage',
    group: 'btc-flow-signals',
    promql: byAssetTf('btcflow_state{state="overLeverage"}'),
    evaluator: 'gt',
    threshold: 0.5,
    for: '1m',
    severity: 'warning',
    noDataState: 'OK',
    summary: '{{ $labels.asset }} {{ $labels.timeframe }}: over-leverage build-up',
    description:
      'The last closed {{ $labels.timeframe }} bar of {{ $labels.asset }} is over-leveraged (open interest z-score ≥ 2 ' +
      `and funding z-score ≥ 2 or funding ≥ 30 %/year): OI z-score ${num('OIZ')}, funding z-score ${num('FZ')}, ` +
      `funding ${pct('APR')}/year.`,
    values: [
      { refId: 'OIZ', promql: byAssetTf('btcflow_open_interest_zscore') },
      { refId: 'FZ', promql: byAssetTf('btcflow_funding_zscore') },
      { refId: 'APR', promql: byAssetTf('btcflow_funding_apr_ratio') },
    ],
    perAsset: true,
  },
  {
    uid: 'btc-flow-extreme-top',
    title: 'BtcFlowExtremeTop',
    group: 'btc-flow-signals',
    promql: byAssetTf('btcflow_state{state="extremeTop"}'),
    evaluator: 'gt',
    threshold: 0.5,
    for: '1m',
    severity: 'critical',
    noDataState: 'OK',
    summary: '{{ $labels.asset }} {{ $labels.timeframe }}: extreme top (experimental)',
    description:
      'The last closed {{ $labels.timeframe }} bar of {{ $labels.asset }} is in an extreme top zone: extreme score ' +
      `${num('SCORE')} (mean of -premium z, OI z and funding z; the zone opens at 2.5 and closes below 1).`,
    values: [{ refId: 'SCORE', promql: byAssetTf('btcflow_extreme_score') }],
    perAsset: true,
  },
  {
    uid: 'btc-flow-extreme-bottom',
    title: 'BtcFlowExtremeBottom',
    group: 'btc-flow-signals',
    promql: byAssetTf('btcflow_state{state="extremeBottom"}'),
    evaluator: 'gt',
    threshold: 0.5,
    for: '1m',
    severity: 'critical',
    noDataState: 'OK',
    summary: '{{ $labels.asset }} {{ $labels.timeframe }}: extreme bottom (experimental)',
    description:
      'The last closed {{ $labels.timeframe }} bar of {{ $labels.asset }} is in an extreme bottom zone: extreme score ' +
      `${num('SCORE')} (mean of -premium z, OI z and funding z; the zone opens at -2.5 and closes above -1).`,
    values: [{ refId: 'SCORE', promql: byAssetTf('btcflow_extreme_score') }],
    perAsset: true,
  },
  ...(['bullish', 'bearish'] as const).map((kind): AlertSpec => ({
    uid: `btc-flow-${kind}-started`,
    title: kind === 'bullish' ? 'BtcFlowBullishConfluenceStarted' : 'BtcFlowBearishConfluenceStarted',
    group: 'btc-flow-signals',
    promql: byAssetTf(`increase(btcflow_events_total{kind="${kind}"}[1h])`),
    evaluator: 'gt',
    threshold: 0,
    for: '1m',
    severity: 'info',
    noDataState: 'OK',
    summary: `{{ $labels.asset }} {{ $labels.timeframe }}: ${kind} confluence started`,
    description:
      (kind === 'bullish'
        ? 'A bullish confluence (spot leads: the premium trend positive and rising, OI and funding not hot)'
        : 'A bearish confluence (perps lead: the premium trend negative and falling, OI or funding hot)') +
      ' started at the last closed {{ $labels.timeframe }} bar of {{ $labels.asset }}: spot premium ' +
      `${pct('PREMIUM')}. The alert stays for an hour after the onset.`,
    values: [{ refId: 'PREMIUM', promql: byAssetTf('btcflow_spot_premium_ratio') }],
    perAsset: true,
  })),
];

const RECORDER_ALERTS: AlertSpec[] = [
  {
    uid: 'btc-flow-venue-down',
    title: 'BtcFlowVenueDown',
    group: 'btc-flow-recorder',
    promql: 'max by (venue, kind) (btcflow_venue_up)',
    evaluator: 'lt',
    threshold: 0.5,
    for: '3h',
    severity: 'warning',
    noDataState: 'OK',
    summary: '{{ $labels.venue }} {{ $labels.kind }} down for more than 3 hours',
    description:
      "The recorder's requests for {{ $labels.venue }} ({{ $labels.kind }}) have failed for more than 3 bars of 1h. " +
      'The metrics keep coming from the other venues (see btcflow_venues).',
    perAsset: false,
  },
  {
    uid: 'btc-flow-data-stale',
    title: 'BtcFlowDataStale',
    group: 'btc-flow-recorder',
    // age of the last closed bar in bars of its timeframe (the bar durations as a vector, joined on timeframe)
    promql:
      'max by (asset, timeframe) (time() - btcflow_bar_timestamp_seconds) / on (timeframe) group_left () (' +
      'label_replace(vector(3600), "timeframe", "1h", "", "") or label_replace(vector(14400), "timeframe", "4h", "", "") ' +
      'or label_replace(vector(86400), "timeframe", "1d", "", "") or label_replace(vector(259200), "timeframe", "3d", "", "") ' +
      'or label_replace(vector(604800), "timeframe", "1w", "", "") or label_replace(vector(2678400), "timeframe", "1M", "", ""))',
    evaluator: 'gt',
    threshold: 3,
    for: '10m',
    severity: 'warning',
    noDataState: 'OK',
    summary: '{{ $labels.asset }} {{ $labels.timeframe }}: recorder data stale',
    description:
      'The last closed bar the recorder exported for {{ $labels.asset }} {{ $labels.timeframe }} started ' +
      `${num('B')} bars ago, more than 3: bars stopped closing (every venue failing, or the recorder's poll loop stuck).`,
    perAsset: true,
  },
  {
    uid: 'btc-flow-recorder-down',
    title: 'BtcFlowRecorderDown',
    group: 'btc-flow-recorder',
    promql: 'max(up{job="btc-flow-recorder"})',
    evaluator: 'lt',
    threshold: 0.5,
    for: '2m',
    severity: 'critical',
    // no series at all (no target) is as bad as a failing scrape
    noDataState: 'Alerting',
    summary: 'BTC Flow recorder down',
    description:
      'Prometheus cannot scrape the recorder (job btc-flow-recorder) for 2 minutes: no BTC Flow metric is current ' +
      'and no other BTC Flow alert can fire.',
    perAsset: false,
  },
];

export const ALERT_SPECS: readonly AlertSpec[] = [...STATE_ALERTS, ...RECORDER_ALERTS];

function promQuery(refId: string, promql: string): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId)
    .datasourceUid(PROMETHEUS_DATASOURCE_UID)
    .relativeTimeRange({ from: LOOKBACK_S, to: 0 })
    .model(
      new prometheus.DataqueryBuilder()
        .refId(refId)
        .expr(promql)
        .instant()
        .datasource({ type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID })
    );
}

function lastOf(refId: string, input: string): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId)
    .datasourceUid(EXPRESSION_DATASOURCE_UID)
    .model(
      new expr.TypeReduceBuilder()
        .refId(refId)
        .expression(input)
        .reducer('last')
        .settings({ mode: 'dropNN' })
        .datasource({ type: '__expr__', uid: EXPRESSION_DATASOURCE_UID })
    );
}

function ruleBuilder(spec: AlertSpec): alerting.RuleBuilder {
  const link = spec.perAsset
    ? `${GRAFANA_URL}/d/${DASHBOARD_UID}/btc-flow?var-asset={{ $labels.asset }}&var-timeframe={{ $labels.timeframe }}`
    : `${GRAFANA_URL}/d/${DASHBOARD_UID}/btc-flow`;
  const rule = new alerting.RuleBuilder(spec.title)
    .uid(spec.uid)
    .withQuery(promQuery('A', spec.promql))
    .withQuery(lastOf('B', 'A'))
    .withQuery(
      new alerting.QueryBuilder('C').datasourceUid(EXPRESSION_DATASOURCE_UID).model(
        new expr.TypeThresholdBuilder()
          .refId('C')
          .expression('B')
          .conditions([{ evaluator: { type: spec.evaluator, params: [spec.threshold] } }])
          .datasource({ type: '__expr__', uid: EXPRESSION_DATASOURCE_UID })
      )
    )
    .condition('C')
    .forDuration(spec.for)
    .noDataState(spec.noDataState)
    .execErrState('Error')
    .labels({ severity: spec.severity })
    .annotations({ summary: spec.summary, description: spec.description, dashboard: link });
  for (const v of spec.values ?? []) {
    rule.withQuery(promQuery(`${v.refId}_Q`, v.promql)).withQuery(lastOf(v.refId, `${v.refId}_Q`));
  }
  return rule;
}

/** The rule groups as foundation-sdk builds them. */
export function buildRuleGroups(): alerting.RuleGroup[] {
  const groups = ['btc-flow-signals', 'btc-flow-recorder'] as const;
  return groups.map((name) =>
    new alerting.RuleGroupBuilder(name)
      .interval(GROUP_INTERVAL_S)
      .rules(ALERT_SPECS.filter((s) => s.group === name).map(ruleBuilder))
      .build()
  );
}

export function buildContactPoint(): alerting.ContactPoint {
  return (
    new alerting.ContactPointBuilder()
      .uid('btc-flow-email')
      .name(CONTACT_POINT)
      .type('email')
      // example.invalid can never receive mail (RFC 2606), and Grafana sends no email until SMTP is configured.
      .settings({ addresses: 'btc-flow-alerts@example.invalid', singleEmail: true })
      .disableResolveMessage(false)
      .build()
  );
}

export function buildNotificationPolicy(): alerting.NotificationPolicy {
  return new alerting.NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['grafana_folder', 'alertname', 'asset', 'timeframe'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .build();
}

/* ------------------------------------------------------------------------------------------------
 * Grafana's file-provisioning format (apiVersion 1)
 * ---------------------------------------------------------------------------------------------- */

export interface ProvisionedQuery {
  refId: string;
  relativeTimeRange?: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

export interface ProvisionedRule {
  uid: string;
  title: string;
  condition: string;
  data: ProvisionedQuery[];
  noDataState: string;
  execErrState: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  isPaused: boolean;
}

export interface AlertingProvisioning {
  apiVersion: 1;
  groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: ProvisionedRule[] }>;
  contactPoints: Array<{
    orgId: number;
    name: string;
    receivers: Array<{ uid: string; type: string; settings: Record<string, unknown>; disableResolveMessage: boolean }>;
  }>;
  policies: Array<{
    orgId: number;
    receiver: string;
    group_by: string[];
    group_wait: string;
    group_interval: string;
    repeat_interval: string;
  }>;
}

function duration(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) {
    throw new Error(`alert generator: ${what} is missing`);
  }
  return v;
}

/** Map the builders' output to the provisioning file's shape. */
export function alertingProvisioning(): AlertingProvisioning {
  const groups = buildRuleGroups().map((g) => ({
    orgId: ORG_ID,
    name: need(g.title, 'group title'),
    folder: ALERT_FOLDER,
    interval: duration(need(g.interval, 'group interval')),
    rules: need(g.rules, 'group rules').map((r): ProvisionedRule => ({
      uid: need(r.uid, 'rule uid'),
      title: r.title,
      condition: r.condition,
      data: r.data.map((q) => ({
        refId: need(q.refId, 'query refId'),
        ...(q.relativeTimeRange
          ? { relativeTimeRange: { from: q.relativeTimeRange.from ?? 0, to: q.relativeTimeRange.to ?? 0 } }
          : {}),
        datasourceUid: need(q.datasourceUid, 'query datasourceUid'),
        // the builders' models carry a marker method (cog.Dataquery): keep the plain JSON only
        model: JSON.parse(JSON.stringify(need(q.model, 'query model'))) as Record<string, unknown>,
      })),
      noDataState: r.noDataState,
      execErrState: r.execErrState,
      for: r.for,
      labels: r.labels ?? {},
      annotations: r.annotations ?? {},
      isPaused: false,
    })),
  }));
  const cp = buildContactPoint();
  const policy = buildNotificationPolicy();
  return {
    apiVersion: 1,
    groups,
    contactPoints: [
      {
        orgId: ORG_ID,
        name: need(cp.name, 'contact point name'),
        receivers: [
          {
            uid: need(cp.uid, 'contact point uid'),
            type: cp.type,
            settings: cp.settings as Record<string, unknown>,
            disableResolveMessage: cp.disableResolveMessage ?? false,
          },
        ],
      },
    ],
    policies: [
      {
        orgId: ORG_ID,
        receiver: need(policy.receiver, 'policy receiver'),
        group_by: need(policy.group_by, 'policy group_by'),
        group_wait: need(policy.group_wait, 'policy group_wait'),
        group_interval: need(policy.group_interval, 'policy group_interval'),
        repeat_interval: need(policy.repeat_interval, 'policy repeat_interval'),
      },
    ],
  };
}

const HEADER = `# GENERATED by \`npm run dashboards\` from dashboards/alerts.ts: edit that file, not this one.
# BTC Flow's Grafana-managed alert rules (Grafana alerting file provisioning, apiVersion 1), on the provisioned
# Prometheus data source (uid ${PROMETHEUS_DATASOURCE_UID}) that reads the recorder's exporter. The contact point is a
# placeholder that sends nothing: set SMTP (GF_SMTP_*) and your address, or replace it with your webhook / Slack / ...
# Provisioned policies replace the organisation's notification policy tree. docs/alerting.md.
`;

/**
 * The provisioning file as committed (YAML, deterministic), formatted by prettier with the repository's settings so
 * that `npm run lint:fix` leaves it as the generator wrote it.
 */
export async function alertingYaml(): Promise<string> {
  const [prettier, yamlPlugin] = await Promise.all([import('prettier/standalone'), import('prettier/plugins/yaml')]);
  const repoOptions: Record<string, unknown> = require('../.prettierrc.js');
  return prettier.format(HEADER + stringify(alertingProvisioning(), { lineWidth: 0 }), {
    ...repoOptions,
    parser: 'yaml',
    plugins: [yamlPlugin],
  });
}
