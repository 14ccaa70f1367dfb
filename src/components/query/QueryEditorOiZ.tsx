/**
 * The OI z query's option: also return the chain-linked OI index.
 */
import React from 'react';
import { DEFAULT_QUERIES } from '../../datasource/types';
import { Toggle } from '../fields';
import { ViewProps } from './shared';

export function OiZView({ query, onChange }: ViewProps<'oiZ'>) {
  return (
    <Toggle
      label="OI index"
      tooltip="Also return the chain-linked OI index (USD)"
      value={query.includeIndex ?? DEFAULT_QUERIES.oiZ.includeIndex}
      onChange={(v) => onChange({ ...query, includeIndex: v })}
    />
  );
}
