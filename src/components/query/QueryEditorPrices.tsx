/**
 * The prices query's options: which markets (spot, perp) and the basket closes.
 */
import React from 'react';
import { Stack } from '@grafana/ui';
import { DEFAULT_QUERIES } from '../../datasource/types';
import { CheckList, Toggle } from '../fields';
import { ViewProps } from './shared';

export function PricesView({ query, onChange }: ViewProps<'prices'>) {
  const d = DEFAULT_QUERIES.prices;
  return (
    <Stack gap={0} wrap="wrap">
      <CheckList
        label="Markets"
        options={['spot', 'perp'] as const}
        names={{ spot: 'Spot', perp: 'Perp' }}
        selected={query.markets?.length ? query.markets : d.markets}
        onChange={(m) => onChange({ ...query, markets: m })}
      />
      <Toggle
        label="Basket closes"
        value={query.includeBaskets ?? d.includeBaskets}
        onChange={(v) => onChange({ ...query, includeBaskets: v })}
      />
    </Stack>
  );
}
