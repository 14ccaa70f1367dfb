/**
 * Variable editor: what a query variable lists (assets, venues of a basket, timeframes), written as a
 * BtcFlowVariableQuery; a variable saved in the string form (`venues(perp)`) opens in the same fields.
 */
import React from 'react';
import type { DataSourceApi, QueryEditorProps } from '@grafana/data';
import { Stack } from '@grafana/ui';
import { VENUE_ROLES, type BtcFlowOptions, type BtcFlowQuery, type VenueRole } from '../datasource/types';
import { parseVariableQuery, type BtcFlowVariableQuery, type VariableKind } from '../datasource/variables';
import { RadioField } from './fields';

type Props = QueryEditorProps<
  DataSourceApi<BtcFlowQuery, BtcFlowOptions>,
  BtcFlowQuery,
  BtcFlowOptions,
  BtcFlowVariableQuery
>;

const ROLE_LABELS: Record<VenueRole, string> = { spot: 'Spot', perp: 'Perp', oi: 'Open interest', funding: 'Funding' };

/** The structured form of what Grafana hands the editor (a query object, or a string saved by older dashboards). */
export function toVariableQuery(raw: BtcFlowVariableQuery | string | undefined): BtcFlowVariableQuery {
  if (typeof raw === 'string' || raw?.kind === undefined) {
    const text = typeof raw === 'string' ? raw : (raw?.query ?? '');
    const parsed =
      text.trim() === '' ? { kind: 'assets' as const, assetsScope: 'premium' as const } : parseVariableQuery(text);
    return { refId: (typeof raw === 'object' && raw?.refId) || 'variable', ...(parsed ?? { query: text }) };
  }
  return raw;
}

export function VariableQueryEditor({ query: raw, onChange }: Props) {
  const query = toVariableQuery(raw as BtcFlowVariableQuery | string | undefined);
  const emit = (q: BtcFlowVariableQuery) => {
    const { query: _legacy, ...rest } = q;
    const next = rest.kind === undefined ? q : rest;
    onChange(next);
  };
  return (
    <Stack direction="column" gap={1}>
      <RadioField<VariableKind>
        label="Values"
        tooltip="What the variable lists: assets the configured venues list, venues of a basket, or timeframes"
        options={[
          { label: 'Assets', value: 'assets' },
          { label: 'Venues', value: 'venues' },
          { label: 'Timeframes', value: 'timeframes' },
        ]}
        value={query.kind as VariableKind}
        onChange={(kind) => emit({ refId: query.refId, kind })}
      />
      {query.kind === 'assets' && (
        <RadioField<'premium' | 'all'>
          label="Assets"
          tooltip="With a premium: listed on a configured spot venue and a configured perp venue. All: listed on any configured venue"
          options={[
            { label: 'With a premium', value: 'premium' },
            { label: 'All', value: 'all' },
          ]}
          value={query.assetsScope ?? 'premium'}
          onChange={(assetsScope) => emit({ ...query, assetsScope })}
        />
      )}
      {query.kind === 'venues' && (
        <RadioField<VenueRole | 'any'>
          label="Basket"
          tooltip="Every configured venue, or the configured venues of one basket"
          options={[{ label: 'All', value: 'any' }, ...VENUE_ROLES.map((r) => ({ label: ROLE_LABELS[r], value: r }))]}
          value={query.role ?? 'any'}
          onChange={(role) => emit({ refId: query.refId, kind: 'venues', ...(role === 'any' ? {} : { role }) })}
        />
      )}
      {query.kind === undefined && (
        <span>
          Saved query <code>{query.query}</code> is not one of the forms above; pick what the variable lists to replace
          it.
        </span>
      )}
    </Stack>
  );
}
