/**
 * Query editor: the query type, the options every type has, then the view of the chosen type.
 */
import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Stack } from '@grafana/ui';
import type { DataSource } from '../datasource/DataSource';
import { allConfiguredVenues } from '../datasource/query';
import { BtcFlowOptions, BtcFlowQuery, CommonQueryOptions, QUERY_TYPES, QueryType } from '../datasource/types';
import { CommonOptions } from './CommonOptions';
import { RadioField } from './fields';
import { isRunnable } from '../datasource/validation';
import type { ViewProps } from './query/shared';
import { PremiumView } from './query/QueryEditorPremium';
import { OiView } from './query/QueryEditorOi';
import { OiZView } from './query/QueryEditorOiZ';
import { FundingView } from './query/QueryEditorFunding';
import { SignalsView } from './query/QueryEditorSignals';
import { ExtremesView } from './query/QueryEditorExtremes';
import { PricesView } from './query/QueryEditorPrices';
import { CoverageView } from './query/QueryEditorCoverage';

export type Props = QueryEditorProps<DataSource, BtcFlowQuery, BtcFlowOptions>;

export const QUERY_TYPE_LABELS: Record<QueryType, { label: string; description: string }> = {
  premium: { label: 'Premium', description: 'Spot premium vs the perp basket (%), its z-score' },
  oi: {
    label: 'OI',
    description: 'Aggregated open interest in USD or coins, per venue or margin type, chain-linked index',
  },
  oiZ: { label: 'OI z', description: 'z-score of the OI index' },
  funding: { label: 'Funding', description: 'Composite funding (8h rate or APR), its z-score, per venue' },
  signals: { label: 'Signals', description: 'Confluence states: bullish, bearish, over-leverage' },
  extremes: { label: 'Extremes', description: 'Cycle tops and bottoms (experimental)' },
  prices: { label: 'Prices', description: 'Per-venue spot and perp closes (USD)' },
  coverage: { label: 'Coverage', description: 'Venues behind each value, per bar' },
};

const COMMON_KEYS: Array<keyof CommonQueryOptions> = [
  'asset',
  'timeframe',
  'lookback',
  'premiumSmoothing',
  'fundingSmoothing',
  'venues',
];

/** Switching type keeps the common options and Grafana's own fields, and drops the old type's options. */
export function switchQueryType(q: BtcFlowQuery, queryType: QueryType): BtcFlowQuery {
  const out: Record<string, unknown> = { refId: q.refId, queryType };
  for (const k of ['datasource', 'hide', 'key', ...COMMON_KEYS] as const) {
    if (q[k] !== undefined) {
      out[k] = q[k];
    }
  }
  return out as unknown as BtcFlowQuery;
}

/** The view of each query type (github-datasource's `queryEditors`): a type without a view fails the typecheck. */
export const QUERY_VIEWS: { [T in QueryType]: React.ComponentType<ViewProps<T>> } = {
  premium: PremiumView,
  oi: OiView,
  oiZ: OiZView,
  funding: FundingView,
  signals: SignalsView,
  extremes: ExtremesView,
  prices: PricesView,
  coverage: CoverageView,
};

/** The view of the query's type; an unknown type (a hand-edited target) shows no view, its error names the field. */
function TypeView<T extends QueryType>({ query, onChange }: ViewProps<T>) {
  const View: React.ComponentType<ViewProps<T>> | undefined = QUERY_VIEWS[query.queryType as T];
  return View ? <View query={query} onChange={onChange} /> : null;
}

export function QueryEditor({ query: raw, onChange, onRunQuery, datasource }: Props) {
  // A new target may come without a type: it is a premium query.
  const loose = raw as Omit<BtcFlowQuery, 'queryType'> & { queryType?: QueryType };
  const query = (loose.queryType ? loose : { ...loose, queryType: 'premium' }) as BtcFlowQuery;
  // A half-edited target (an empty asset, a venue list being edited) is stored but not run (validation.ts).
  const change = (q: BtcFlowQuery) => {
    onChange(q);
    if (isRunnable(q)) {
      onRunQuery();
    }
  };
  const venues = allConfiguredVenues(datasource.configuredVenues());
  const t = query.queryType;
  return (
    <Stack direction="column" gap={1}>
      <RadioField<QueryType>
        label="Query type"
        tooltip={QUERY_TYPE_LABELS[t]?.description}
        options={QUERY_TYPES.map((v) => ({
          value: v,
          label: QUERY_TYPE_LABELS[v].label,
          description: QUERY_TYPE_LABELS[v].description,
        }))}
        value={t}
        onChange={(v) => change(switchQueryType(query, v))}
      />
      <CommonOptions
        value={query}
        onChange={(c) => change({ ...query, ...c } as BtcFlowQuery)}
        configuredVenues={venues}
        smoothing={{
          premium: ['premium', 'signals', 'extremes'].includes(t),
          funding: ['funding', 'signals', 'extremes'].includes(t),
        }}
      />
      <TypeView<QueryType> query={query} onChange={change} />
    </Stack>
  );
}
