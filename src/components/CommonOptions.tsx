/** Options every query type has: asset, timeframe, lookback, smoothing, venue subset. */
import React from 'react';
import { Stack } from '@grafana/ui';
import { QUERY_TIMEFRAMES, CommonQueryOptions, TimeframeChoice } from '../datasource/types';
import { MultiPick, NumberField, RadioField, TextField } from './fields';

export interface CommonOptionsProps {
  value: CommonQueryOptions;
  onChange: (v: CommonQueryOptions) => void;
  /** Venues configured in the data source (all baskets). */
  configuredVenues: string[];
  /** Show the smoothing fields that matter for this query type. */
  smoothing: { premium: boolean; funding: boolean };
}

const TIMEFRAME_OPTIONS = [{ label: 'auto', value: 'auto' }, ...QUERY_TIMEFRAMES.map((t) => ({ label: t, value: t }))];

export function CommonOptions({ value, onChange, configuredVenues, smoothing }: CommonOptionsProps) {
  const tf = value.timeframe ?? 'auto';
  const tfIsVariable = tf.startsWith('$');
  const venues = value.venues ?? [];
  const fixedVenues = venues.filter((v) => !v.startsWith('$'));
  const variableVenues = venues.filter((v) => v.startsWith('$'));
  const set = (patch: Partial<CommonQueryOptions>) => onChange({ ...value, ...patch });

  return (
    <Stack direction="column" gap={0}>
      <Stack gap={0} wrap="wrap">
        <TextField
          label="Asset"
          tooltip="Base asset, e.g. BTC or ETH, or a variable such as $asset. Default BTC."
          value={value.asset}
          placeholder="BTC"
          width={12}
          onCommit={(t) => set({ asset: t || undefined })}
          testId="btcflow-asset"
        />
        <RadioField<string>
          label="Timeframe"
          tooltip="auto follows the panel's interval (rounded up to a supported timeframe)."
          options={tfIsVariable ? [...TIMEFRAME_OPTIONS, { label: tf, value: tf }] : TIMEFRAME_OPTIONS}
          value={tf}
          onChange={(v) => set({ timeframe: v as TimeframeChoice })}
        />
        <TextField
          label="Timeframe variable"
          tooltip="Use a dashboard variable such as $timeframe instead of a fixed timeframe."
          value={tfIsVariable ? tf : ''}
          placeholder="$timeframe"
          width={14}
          invalid={(t) => (t && !t.startsWith('$') ? 'A variable starts with $' : undefined)}
          onCommit={(t) => set({ timeframe: (t || 'auto') as TimeframeChoice })}
        />
      </Stack>
      <Stack gap={0} wrap="wrap">
        <NumberField
          label="Lookback (bars)"
          tooltip="z-score window in bars; empty or auto = the data source default for the timeframe."
          value={value.lookback}
          placeholder="auto"
          width={10}
          rule={{ integer: true, min: 2, allowAuto: true, allowVariable: true }}
          onValue={(v) => set({ lookback: v as CommonQueryOptions['lookback'] })}
          testId="btcflow-lookback"
        />
        {smoothing.premium && (
          <NumberField
            label="Premium smoothing"
            tooltip="SMA of the premium over this many bars before its z-score (1 = none)."
            value={value.premiumSmoothing}
            placeholder="1"
            width={8}
            rule={{ integer: true, min: 1, allowVariable: true }}
            onValue={(v) => set({ premiumSmoothing: v as CommonQueryOptions['premiumSmoothing'] })}
            testId="btcflow-premium-smoothing"
          />
        )}
        {smoothing.funding && (
          <NumberField
            label="Funding smoothing"
            tooltip="SMA of the funding composite over this many bars before its z-score (1 = none)."
            value={value.fundingSmoothing}
            placeholder="1"
            width={8}
            rule={{ integer: true, min: 1, allowVariable: true }}
            onValue={(v) => set({ fundingSmoothing: v as CommonQueryOptions['fundingSmoothing'] })}
            testId="btcflow-funding-smoothing"
          />
        )}
      </Stack>
      <MultiPick
        label="Venues"
        tooltip="Restrict this query to some of the configured venues; none chosen = all."
        options={configuredVenues}
        selected={fixedVenues}
        placeholder="All configured venues"
        onChange={(sel) => set({ venues: [...sel, ...variableVenues] })}
      />
      <TextField
        label="Venues variable"
        tooltip="A multi-value variable such as $venues (combined with the ticked venues)."
        value={variableVenues.join(',')}
        placeholder="$venues"
        width={16}
        invalid={(t) =>
          t && t.split(',').some((x) => !x.trim().startsWith('$')) ? 'A variable starts with $' : undefined
        }
        onCommit={(t) =>
          set({
            venues: [
              ...fixedVenues,
              ...t
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean),
            ],
          })
        }
      />
    </Stack>
  );
}
