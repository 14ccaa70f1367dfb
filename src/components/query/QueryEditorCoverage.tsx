/**
 * The coverage query's option: name the venues left out of each bar.
 */
import React from 'react';
import { DEFAULT_QUERIES } from '../../datasource/types';
import { Toggle } from '../fields';
import { ViewProps } from './shared';

export function CoverageView({ query, onChange }: ViewProps<'coverage'>) {
  return (
    <Toggle
      label="Left-out venues"
      tooltip="Add a text field naming the venues left out of each bar by the no-stale rule"
      value={query.includeExcluded ?? DEFAULT_QUERIES.coverage.includeExcluded}
      onChange={(v) => onChange({ ...query, includeExcluded: v })}
    />
  );
}
