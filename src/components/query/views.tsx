/**
 * One editor view per query type (as grafana/github-datasource has one QueryEditor<Type> per query type).
 * Each view edits only its own type's options.
 */
import React from 'react';
import { Stack } from '@grafana/ui';
import {
  DEFAULT_QUERIES,
  EXTREME_KINDS,
  ExtremeKind,
  QueryOf,
  QueryType,
  SIGNAL_KINDS,
  SignalKind,
  StateFormat,
} from '../../datasource/types';
import { DEFAULT_OPTIONS } from '../../core/options';
import { CheckList, NumberField, RadioField, Toggle } from '../fields';

export interface ViewProps<T extends QueryType> {
  query: QueryOf<T>;
  onChange: (q: QueryOf<T>) => void;
}

const FORMAT_OPTIONS: Array<{ label: string; value: StateFormat; description: string }> = [
  { label: 'States', value: 'states', description: 'One 0/1 field per kind, for the state-timeline panel' },
  { label: 'Events', value: 'events', description: 'One row per merged event (time, timeEnd, title, text, tags)' },
];

function FormatPicker({ value, onChange }: { value: StateFormat; onChange: (v: StateFormat) => void }) {
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
