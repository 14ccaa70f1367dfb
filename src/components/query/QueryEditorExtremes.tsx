/**
 * The extremes query's options: format (states or events), the signed score, the kinds.
 */
import React from 'react';
import { Stack } from '@grafana/ui';
import { DEFAULT_QUERIES, EXTREME_KINDS } from '../../datasource/types';
import { Toggle } from '../fields';
import { FormatPicker, KindsField, ViewProps } from './shared';

export function ExtremesView({ query, onChange }: ViewProps<'extremes'>) {
  return (
    <Stack direction="column" gap={0}>
      <Stack gap={0} wrap="wrap">
        <FormatPicker
          value={query.format ?? DEFAULT_QUERIES.extremes.format}
          onChange={(v) => onChange({ ...query, format: v })}
        />
        <Toggle
          label="Score"
          tooltip="In the states format, also return the signed extreme score"
          value={query.includeScore ?? DEFAULT_QUERIES.extremes.includeScore}
          onChange={(v) => onChange({ ...query, includeScore: v })}
        />
      </Stack>
      <KindsField all={EXTREME_KINDS} value={query.kinds} onChange={(k) => onChange({ ...query, kinds: k })} />
    </Stack>
  );
}
