/**
 * The OI query's options: unit (USD or coins), split by venue or margin type, per venue, the chain-linked index.
 */
import React from 'react';
import { Stack } from '@grafana/ui';
import { DEFAULT_QUERIES } from '../../datasource/types';
import { RadioField, Toggle } from '../fields';
import { ViewProps } from './shared';

export function OiView({ query, onChange }: ViewProps<'oi'>) {
  const d = DEFAULT_QUERIES.oi;
  const unit = query.unit ?? d.unit;
  const groupBy = query.groupBy ?? d.groupBy;
  return (
    <Stack gap={0} wrap="wrap">
      <RadioField<'usd' | 'coin'>
        label="Unit"
        tooltip="USD, or coins of the asset: coin OI does not rise just because the price did"
        options={[
          { label: 'USD', value: 'usd' },
          { label: 'Coins', value: 'coin' },
        ]}
        value={unit}
        onChange={(v) => onChange({ ...query, unit: v })}
      />
      <RadioField<'venue' | 'margin'>
        label="Split by"
        tooltip="One field per venue, or per margin type: stablecoin-margined (linear) vs coin-margined (inverse) contracts"
        options={[
          { label: 'Venue', value: 'venue' },
          { label: 'Margin type', value: 'margin' },
        ]}
        value={groupBy}
        onChange={(v) => onChange({ ...query, groupBy: v })}
      />
      {groupBy === 'venue' && (
        <Toggle
          label="Per venue"
          tooltip="One field per venue"
          value={query.perVenue ?? d.perVenue}
          onChange={(v) => onChange({ ...query, perVenue: v })}
        />
      )}
      {unit === 'usd' && (
        <Toggle
          label="OI index"
          tooltip="The chain-linked index (USD) the z-score uses"
          value={query.includeIndex ?? d.includeIndex}
          onChange={(v) => onChange({ ...query, includeIndex: v })}
        />
      )}
    </Stack>
  );
}
