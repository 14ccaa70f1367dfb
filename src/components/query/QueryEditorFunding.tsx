/**
 * The funding query's options: unit (8h rate or APR), per venue, its z-score.
 */
import React from 'react';
import { Stack } from '@grafana/ui';
import { DEFAULT_QUERIES } from '../../datasource/types';
import { RadioField, Toggle } from '../fields';
import { ViewProps } from './shared';

export function FundingView({ query, onChange }: ViewProps<'funding'>) {
  const d = DEFAULT_QUERIES.funding;
  return (
    <Stack gap={0} wrap="wrap">
      <RadioField<'rate' | 'apr'>
        label="Unit"
        tooltip="Rate: 8h-equivalent rate in percent; APR: percent per year (rate × 3 × 365)"
        options={[
          { label: 'Rate (8h)', value: 'rate' },
          { label: 'APR', value: 'apr' },
        ]}
        value={query.unit ?? d.unit}
        onChange={(v) => onChange({ ...query, unit: v })}
      />
      <Toggle
        label="Per venue"
        tooltip="One field per venue, same unit"
        value={query.perVenue ?? d.perVenue}
        onChange={(v) => onChange({ ...query, perVenue: v })}
      />
      <Toggle
        label="z-score"
        tooltip="Return fundingZ"
        value={query.includeZ ?? d.includeZ}
        onChange={(v) => onChange({ ...query, includeZ: v })}
      />
    </Stack>
  );
}
