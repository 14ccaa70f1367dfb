/**
 * Data source settings. Baskets, weightings, stablecoin conversion, default lookbacks and thresholds, request
 * timeout and retries, the optional exchange mirror (all jsonData: public market data needs no secrets), and the
 * optional recorder with its token (the one secret, in secureJsonData: RecorderSettings.tsx). See
 * docs/configuration.md.
 */
import React from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Button, FieldSet, Stack, Text } from '@grafana/ui';
import { DEFAULT_OPTIONS, defaultLookback } from '../core/options';
import { TIMEFRAMES, Timeframe } from '../core/types';
import { venuesByRole } from '../exchanges/registry';
import { barStoreName, deleteBarStore } from '../exchanges/idbStore';
import {
  BtcFlowOptions,
  BtcFlowSecureJsonData,
  BtcFlowThresholds,
  DEFAULT_CACHE_MAX_MB,
  DEFAULT_MARKETS_MAX_AGE_HOURS,
  MAX_MARKETS_MAX_AGE_HOURS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRIES,
  THRESHOLD_NAMES,
  ThresholdName,
  VenueRole,
} from '../datasource/types';
import { CheckList, NumberField, RadioField, TextField, Toggle } from './fields';
import { RecorderSettings } from './RecorderSettings';

export type ConfigProps = DataSourcePluginOptionsEditorProps<BtcFlowOptions, BtcFlowSecureJsonData>;

/** Venues that can be in each basket (from the registry) and the jsonData key that holds the choice. */
export function basketCandidates(): Record<
  VenueRole,
  { key: keyof BtcFlowOptions; venues: string[]; label: string; tooltip: string }
> {
  const r = venuesByRole();
  return {
    spot: {
      key: 'spotVenues',
      venues: r.spot,
      label: 'Spot basket',
      tooltip: 'Spot venues averaged into the spot price',
    },
    perp: {
      key: 'perpVenues',
      venues: r.perp,
      label: 'Perp basket',
      tooltip: 'Perpetual venues averaged into the perp price',
    },
    oi: {
      key: 'oiVenues',
      venues: r.openInterest,
      label: 'Open interest',
      tooltip: 'Venues whose open interest is summed',
    },
    funding: { key: 'fundingVenues', venues: r.funding, label: 'Funding', tooltip: 'Venues in the funding composite' },
  };
}

/** What each threshold means, for the tooltips (docs/metrics.md has the rules in full). */
const THRESHOLD_HELP: Partial<Record<ThresholdName, string>> = {
  premiumEmaBars: 'Bullish / bearish read an EMA of the premium over this many bars (1 = none)',
  premiumSlopeBars: 'Rising / falling compares the EMA premium with this many bars earlier (bars)',
  premiumDeadbandPct: 'To start, the EMA premium must be beyond ± this (percent)',
  premiumSlopeDeadbandPct:
    'To start, the EMA premium must have moved more than this over the slope bars (percentage points)',
  premiumExitMarginPct: 'Bullish holds while the EMA premium stays above − this, bearish while below + this (percent)',
  bullishMaxOiZ: 'Bullish: OI z must be below this',
  bullishMaxFundingZ: 'Bullish: funding z must be below this',
  bullishMaxFundingAprPct: 'Bullish: funding APR must be below this (percent per year)',
  bearishMinOiZ: 'Bearish: leverage building when OI z is at or above this',
  bearishMinFundingZ: '… or funding z is at or above this',
  overLeverageOiZ: 'Over-leverage: OI z at or above this',
  overLeverageFundingZ: '… and funding z at or above this',
  overLeverageFundingAprPct: '… or funding APR at or above this (percent per year)',
  overLeverageExitOiZ: 'Over-leverage: once flagged, the state holds while OI z stays at or above this',
  stateMinBars: 'Bullish, bearish, over-leverage: once started, a state lasts at least this many bars',
  extremeZ: 'Extremes: a metric is extreme at or beyond this signed z',
  extremeMinCount: 'Extremes: at least this many metrics must be extreme',
  extremeScoreMin: 'Extremes: the mean signed z must reach this',
  extremeExitScore: 'Extremes: once flagged, the state holds while the score stays at or beyond this',
};

/** Readable labels (the option names stay in the tooltips; docs/metrics.md section 14 lists both). */
export const THRESHOLD_LABELS: Partial<Record<ThresholdName, string>> = {
  premiumEmaBars: 'Regime EMA (bars)',
  premiumSlopeBars: 'Premium slope (bars)',
  premiumDeadbandPct: 'Premium deadband (%)',
  premiumSlopeDeadbandPct: 'Slope deadband (pp)',
  premiumExitMarginPct: 'Exit margin (%)',
  bullishMaxOiZ: 'Bullish: max OI z',
  bullishMaxFundingZ: 'Bullish: max funding z',
  bullishMaxFundingAprPct: 'Bullish: max APR (%)',
  bearishMinOiZ: 'Bearish: min OI z',
  bearishMinFundingZ: 'Bearish: min funding z',
  overLeverageOiZ: 'Over-lev.: OI z',
  overLeverageFundingZ: 'Over-lev.: funding z',
  overLeverageFundingAprPct: 'Over-lev.: APR (%)',
  overLeverageExitOiZ: 'Over-lev.: exit OI z',
  stateMinBars: 'Min state length (bars)',
  extremeZ: 'Extreme: z',
  extremeMinCount: 'Extreme: min metrics',
  extremeScoreMin: 'Extreme: min score',
  extremeExitScore: 'Extreme: exit score',
};

/** The threshold groups, in the order of docs/metrics.md; an option not listed here goes to "Other". */
const THRESHOLD_GROUP_DEFS: Array<{ title: string; names: ThresholdName[] }> = [
  {
    title: 'Premium trend',
    names: [
      'premiumEmaBars',
      'premiumSlopeBars',
      'premiumDeadbandPct',
      'premiumSlopeDeadbandPct',
      'premiumExitMarginPct',
    ],
  },
  { title: 'Bullish', names: ['bullishMaxOiZ', 'bullishMaxFundingZ', 'bullishMaxFundingAprPct'] },
  { title: 'Bearish', names: ['bearishMinOiZ', 'bearishMinFundingZ'] },
  {
    title: 'Over-leverage',
    names: ['overLeverageOiZ', 'overLeverageFundingZ', 'overLeverageFundingAprPct', 'overLeverageExitOiZ'],
  },
  { title: 'States', names: ['stateMinBars'] },
  { title: 'Extremes', names: ['extremeZ', 'extremeMinCount', 'extremeScoreMin', 'extremeExitScore'] },
];

export const THRESHOLD_GROUPS: Array<{ title: string; names: ThresholdName[] }> = (() => {
  const listed = new Set(THRESHOLD_GROUP_DEFS.flatMap((g) => g.names));
  const groups = THRESHOLD_GROUP_DEFS.map((g) => ({ ...g, names: g.names.filter((n) => THRESHOLD_NAMES.includes(n)) }));
  const other = THRESHOLD_NAMES.filter((n) => !listed.has(n));
  return other.length ? [...groups, { title: 'Other', names: [...other] }] : groups;
})();

/** Wide enough for the longest threshold label on one line (Grafana label units of 8 px). */
const THRESHOLD_LABEL_WIDTH = 26;

const INTEGER_THRESHOLDS: ThresholdName[] = ['premiumEmaBars', 'premiumSlopeBars', 'stateMinBars', 'extremeMinCount'];

/** "Clear cache": deletes this data source's IndexedDB store of closed bars (for its uid and mirror URL). */
function ClearCache({ uid, mirrorUrl }: { uid: string; mirrorUrl?: string }) {
  const [status, setStatus] = React.useState<string>('');
  const clear = async () => {
    setStatus('Clearing…');
    try {
      await deleteBarStore(barStoreName(uid, mirrorUrl));
      setStatus('Cache cleared: the next queries fetch every bar again.');
    } catch (e) {
      setStatus(`Could not clear the cache: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return (
    <Stack gap={1} alignItems="center">
      <Button variant="secondary" icon="trash-alt" onClick={clear} data-testid="btcflow-clear-cache">
        Clear cache
      </Button>
      {status && (
        <Text color="secondary" data-testid="btcflow-clear-cache-status">
          {status}
        </Text>
      )}
    </Stack>
  );
}

export function ConfigEditor({ options, onOptionsChange }: ConfigProps) {
  const j = options.jsonData ?? {};
  const set = (patch: Partial<BtcFlowOptions>) => {
    const next: Record<string, unknown> = { ...j, ...patch };
    for (const k of Object.keys(patch)) {
      if (next[k] === undefined) {
        delete next[k];
      }
    }
    onOptionsChange({ ...options, jsonData: next as BtcFlowOptions });
  };
  const candidates = basketCandidates();

  const setLookback = (tf: Timeframe, v: number | undefined) => {
    const next = { ...(j.defaultLookbacks ?? {}) };
    if (v === undefined) {
      delete next[tf];
    } else {
      next[tf] = v;
    }
    set({ defaultLookbacks: Object.keys(next).length ? next : undefined });
  };
  const setThreshold = (name: ThresholdName, v: number | undefined) => {
    const next: BtcFlowThresholds = { ...(j.thresholds ?? {}) };
    if (v === undefined) {
      delete next[name];
    } else {
      next[name] = v;
    }
    set({ thresholds: Object.keys(next).length ? next : undefined });
  };

  return (
    <Stack direction="column" gap={2}>
      <Text element="p" color="secondary">
        BTC Flow reads public market data (no API keys). Every request goes through Grafana&apos;s data proxy to the
        exchanges&apos; public APIs, or to the mirror below.
      </Text>

      <FieldSet label="Venues">
        {(Object.keys(candidates) as VenueRole[]).map((role) => {
          const c = candidates[role];
          const chosen = (j[c.key] as string[] | undefined) ?? c.venues;
          return (
            <CheckList
              key={role}
              label={c.label}
              tooltip={`${c.tooltip}. All ticked = the default set.`}
              options={c.venues}
              selected={chosen}
              onChange={(sel) =>
                set({ [c.key]: sel.length === c.venues.length ? undefined : sel } as Partial<BtcFlowOptions>)
              }
            />
          );
        })}
      </FieldSet>

      <FieldSet label="Weighting and conversion">
        <RadioField<'equal' | 'volume'>
          label="Basket weighting"
          tooltip="Spot and perp baskets: equal weight, or by quote volume in the bar"
          options={[
            { label: 'Equal', value: 'equal' },
            { label: 'Volume', value: 'volume' },
          ]}
          value={j.basketWeighting ?? DEFAULT_OPTIONS.basketWeighting}
          onChange={(v) => set({ basketWeighting: v })}
        />
        <RadioField<'oi' | 'equal'>
          label="Funding weighting"
          tooltip="Funding composite: weighted by each venue's OI in USD, or a plain mean"
          options={[
            { label: 'By OI', value: 'oi' },
            { label: 'Equal', value: 'equal' },
          ]}
          value={j.fundingWeighting ?? DEFAULT_OPTIONS.fundingWeighting}
          onChange={(v) => set({ fundingWeighting: v })}
        />
        <Toggle
          label="Stablecoins to USD"
          tooltip="Convert USDT / USDC quotes to USD with a USDT/USD reference series"
          value={j.stablecoinToUsd ?? DEFAULT_OPTIONS.stablecoinToUsd}
          onChange={(v) => set({ stablecoinToUsd: v })}
        />
      </FieldSet>

      <FieldSet label="Default z-score lookback (bars)">
        <Stack gap={0} wrap="wrap">
          {TIMEFRAMES.map((tf) => (
            <NumberField
              key={tf}
              label={`Lookback ${tf}`}
              tooltip={`Used when a query's lookback is auto on ${tf} bars. Empty = ${defaultLookback(tf)}.`}
              value={j.defaultLookbacks?.[tf]}
              placeholder={String(defaultLookback(tf))}
              width={10}
              rule={{ integer: true, min: 2 }}
              onValue={(v) => setLookback(tf, v as number | undefined)}
            />
          ))}
        </Stack>
      </FieldSet>

      <FieldSet label="Signal thresholds">
        <Text element="p" color="secondary">
          Grouped as in docs/metrics.md (sections 10 and 11). Empty fields use the engine defaults (shown greyed).
        </Text>
        {THRESHOLD_GROUPS.map((g) => (
          <div key={g.title} data-testid={`btcflow-thresholds-${g.title}`}>
            <Text element="h6">{g.title}</Text>
            <Stack gap={0} wrap="wrap">
              {g.names.map((name) => (
                <NumberField
                  key={name}
                  label={THRESHOLD_LABELS[name] ?? name}
                  tooltip={`${THRESHOLD_HELP[name] ?? name} (option ${name}). Empty = ${DEFAULT_OPTIONS[name]}.`}
                  value={j.thresholds?.[name]}
                  placeholder={String(DEFAULT_OPTIONS[name])}
                  width={10}
                  labelWidth={THRESHOLD_LABEL_WIDTH}
                  rule={INTEGER_THRESHOLDS.includes(name) ? { integer: true, min: 1 } : {}}
                  onValue={(v) => setThreshold(name, v as number | undefined)}
                />
              ))}
            </Stack>
          </div>
        ))}
      </FieldSet>

      <FieldSet label="Requests">
        <Stack gap={0} wrap="wrap">
          <NumberField
            label="Timeout (ms)"
            tooltip={`Per request. Empty = ${DEFAULT_REQUEST_TIMEOUT_MS}.`}
            value={j.requestTimeoutMs}
            placeholder={String(DEFAULT_REQUEST_TIMEOUT_MS)}
            width={10}
            rule={{ integer: true, min: 100 }}
            onValue={(v) => set({ requestTimeoutMs: v as number | undefined })}
          />
          <NumberField
            label="Retries"
            tooltip={`After a 429, 5xx or timeout, with backoff. Empty = ${DEFAULT_RETRIES}.`}
            value={j.retries}
            placeholder={String(DEFAULT_RETRIES)}
            width={8}
            rule={{ integer: true, min: 0 }}
            onValue={(v) => set({ retries: v as number | undefined })}
          />
        </Stack>
        <TextField
          label="Exchange mirror URL"
          tooltip="Optional. When set, every request goes to <mirror>/<exchange host>/<path> (still through Grafana's proxy), e.g. the mock exchange server for the offline demo. Save, then Save & test."
          value={j.mirrorUrl}
          placeholder="http://mock-exchanges:8788"
          width={40}
          invalid={(t) =>
            t && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(t)
              ? 'Expected an http(s) URL such as http://host:port'
              : undefined
          }
          onCommit={(t) => set({ mirrorUrl: t ? t.replace(/\/+$/, '') : undefined })}
          testId="btcflow-mirror"
        />
      </FieldSet>

      <RecorderSettings options={options} onOptionsChange={onOptionsChange} />

      <FieldSet label="Cache">
        <Text element="p" color="secondary">
          Closed bars are kept in this browser (IndexedDB, per data source and mirror URL), so a reload or a new tab
          fetches only the open bar. The least recently used series go first past the size cap.
        </Text>
        <NumberField
          label="Cache size (MB)"
          tooltip={`Size cap of the browser's cache of closed bars. 0 = no persistent cache. Empty = ${DEFAULT_CACHE_MAX_MB}.`}
          value={j.cacheMaxMb}
          placeholder={String(DEFAULT_CACHE_MAX_MB)}
          width={10}
          rule={{ integer: true, min: 0 }}
          onValue={(v) => set({ cacheMaxMb: v as number | undefined })}
        />
        <NumberField
          label="Market list age (hours)"
          tooltip={`Each venue's market list is kept in the same cache and used up to this age; a list missing a market a query needs is loaded again at once. 0 = always ask the venues. Empty = ${DEFAULT_MARKETS_MAX_AGE_HOURS}.`}
          value={j.marketsMaxAgeHours}
          placeholder={String(DEFAULT_MARKETS_MAX_AGE_HOURS)}
          width={10}
          rule={{ min: 0, max: MAX_MARKETS_MAX_AGE_HOURS }}
          onValue={(v) => set({ marketsMaxAgeHours: v as number | undefined })}
        />
        <ClearCache uid={options.uid} mirrorUrl={j.mirrorUrl} />
      </FieldSet>
    </Stack>
  );
}
