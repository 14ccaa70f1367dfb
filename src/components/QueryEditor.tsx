/**
 * Query editor: the query type, the options every type has, then the view of the chosen type.
 */
import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Stack } from '@grafana/ui';
import type { DataSource } from '../datasource/DataSource';
import { allConfiguredVenues } from '../datasource/query';
import { BtcFlowOptions, BtcFlowQuery, CommonQueryOptions, QUERY_TYPES, QueryOf, QueryType } from '../datasource/types';
import { CommonOptions } from './CommonOptions';
import { RadioField } from './fields';
import {
  CoverageView,
  ExtremesView,
  FundingView,
  OiView,
  OiZView,
  PremiumView,
  PricesView,
  SignalsView,
} from './query/views';

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

function TypeView({ query, onChange }: { query: BtcFlowQuery; onChange: (q: BtcFlowQuery) => void }) {
  switch (query.queryType) {
    case 'premium':
      return <PremiumView query={query} onChange={onChange} />;
    case 'oi':
      return <OiView query={query} onChange={onChange} />;
    case 'oiZ':
      return <OiZView query={query} onChange={onChange} />;
    case 'funding':
      return <FundingView query={query} onChange={onChange} />;
    case 'signals':
      return <SignalsView query={query} onChange={onChange} />;
    case 'extremes':
      return <ExtremesView query={query} onChange={onChange} />;
    case 'prices':
      return <PricesView query={query} onChange={onChange} />;
    case 'coverage':
      return <CoverageView query={query} onChange={onChange} />;
    default:
      return null;
  }
}

export function QueryEditor({ query: raw, onChange, onRunQuery, datasource }: Props) {
  // A new target may come without a type: it is a premium query.
  const loose = raw as Omit<BtcFlowQuery, 'queryType'> & { queryType?: QueryType };
  const query = (loose.queryType ? loose : { ...loose, queryType: 'premium' }) as BtcFlowQuery;
  const change = (q: BtcFlowQuery) => {
    onChange(q);
    onRunQuery();
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
      <TypeView query={query} onChange={(q) => change(q as QueryOf<QueryType>)} />
    </Stack>
  );
}
