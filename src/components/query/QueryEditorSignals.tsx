/**
 * The signals query's options: format (states or events), the kinds, the regime EMA of the premium.
 */
import React from 'react';
import { Stack } from '@grafana/ui';
import { DEFAULT_QUERIES, SIGNAL_KINDS } from '../../datasource/types';
import { FormatPicker, KindsField, RegimeEmaField, ViewProps } from './shared';

export function SignalsView({ query, onChange }: ViewProps<'signals'>) {
  return (
    <Stack direction="column" gap={0}>
      <FormatPicker
        value={query.format ?? DEFAULT_QUERIES.signals.format}
        onChange={(v) => onChange({ ...query, format: v })}
      />
      <KindsField all={SIGNAL_KINDS} value={query.kinds} onChange={(k) => onChange({ ...query, kinds: k })} />
      <RegimeEmaField value={query.premiumEmaBars} onChange={(v) => onChange({ ...query, premiumEmaBars: v })} />
    </Stack>
  );
}
