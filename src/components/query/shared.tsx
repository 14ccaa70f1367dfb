/**
 * What the per-type query views share: their props, the format picker, the kinds checkboxes and the regime EMA field
 * (the last two also serve the annotation editor). One view per query type lives in QueryEditor<Type>.tsx beside it.
 */
import React from 'react';
import { ExtremeKind, QueryOf, QueryType, SignalKind, StateFormat } from '../../datasource/types';
import { DEFAULT_OPTIONS } from '../../core/options';
import { CheckList, NumberField, RadioField } from '../fields';

export interface ViewProps<T extends QueryType> {
  query: QueryOf<T>;
  onChange: (q: QueryOf<T>) => void;
}

const FORMAT_OPTIONS: Array<{ label: string; value: StateFormat; description: string }> = [
  { label: 'States', value: 'states', description: 'One 0/1 field per kind, for the state-timeline panel' },
  { label: 'Events', value: 'events', description: 'One row per merged event (time, timeEnd, title, text, tags)' },
];

export function FormatPicker({ value, onChange }: { value: StateFormat; onChange: (v: StateFormat) => void }) {
  return <RadioField<StateFormat> label="Format" options={FORMAT_OPTIONS} value={value} onChange={onChange} />;
}

export const KIND_NAMES: Record<SignalKind | ExtremeKind, string> = {
  bullish: 'Bullish',
  bearish: 'Bearish',
  overLeverage: 'Over-leverage',
  extremeTop: 'Extreme top',
  extremeBottom: 'Extreme bottom',
};

/** The kinds a signals / extremes query returns, as checkboxes (none ticked = all). */
export function KindsField<K extends SignalKind | ExtremeKind>({
  all,
  value,
  onChange,
}: {
  all: readonly K[];
  value: K[] | undefined;
  onChange: (kinds: K[]) => void;
}) {
  return (
    <CheckList<K>
      label="Kinds"
      options={all}
      names={KIND_NAMES}
      selected={value?.length ? value : all}
      onChange={onChange}
    />
  );
}

type RegimeEma = QueryOf<'signals'>['premiumEmaBars'];

/** The signals' regime EMA of the premium (bars); empty = the data source's setting (docs/metrics.md section 10). */
export function RegimeEmaField({ value, onChange }: { value: RegimeEma; onChange: (v: RegimeEma) => void }) {
  return (
    <NumberField
      label="Regime EMA (bars)"
      tooltip={`Bullish / bearish read an EMA of the premium over this many bars (1 = none). Empty = the data source setting (default ${DEFAULT_OPTIONS.premiumEmaBars}).`}
      value={value}
      placeholder={String(DEFAULT_OPTIONS.premiumEmaBars)}
      width={8}
      rule={{ integer: true, min: 1, allowVariable: true }}
      onValue={(v) => onChange(v as RegimeEma)}
      testId="btcflow-premium-ema"
    />
  );
}
