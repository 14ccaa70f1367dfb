/**
 * The premium query's options: its z-score and the basket closes.
 */
import React from 'react';
import { Stack } from '@grafana/ui';
import { DEFAULT_QUERIES } from '../../datasource/types';
import { Toggle } from '../fields';
import { ViewProps } from './shared';

export function PremiumView({ query, onChange }: ViewProps<'premium'>) {
  const d = DEFAULT_QUERIES.premium;
  return (
    <Stack gap={0} wrap="wrap">
      <Toggle
        label="z-score"
        tooltip="Return premiumZ"
        value={query.includeZ ?? d.includeZ}
        onChange={(v) => onChange({ ...query, includeZ: v })}
      />
      <Toggle
        label="Basket closes"
        tooltip="Also return the spot and perp basket closes (USD)"
        value={query.includeBaskets ?? d.includeBaskets}
        onChange={(v) => onChange({ ...query, includeBaskets: v })}
      />
    </Stack>
  );
}
