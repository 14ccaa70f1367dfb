/**
 * Annotation editor: signal or extreme events as regions, with a filter on the kinds and the common options.
 */
import React from 'react';
import { DataSourceApi, QueryEditorProps } from '@grafana/data';
import { Stack } from '@grafana/ui';
import { allConfiguredVenues, type RoleVenues } from '../datasource/query';
import {
  BtcFlowAnnotationQuery,
  BtcFlowOptions,
  BtcFlowQuery,
  DEFAULT_ANNOTATION_QUERY,
  EXTREME_KINDS,
  ExtremeKind,
  SIGNAL_KINDS,
  SignalKind,
  SignalsAnnotationQuery,
} from '../datasource/types';
import { CommonOptions } from './CommonOptions';
import { RadioField } from './fields';
import { KindsField, RegimeEmaField } from './query/shared';

/**
 * What this editor reads from the data source: an interface, not the DataSource class, because the data source
 * imports this editor (its annotation support) and the editor must not import it back.
 */
type AnnotationDataSource = DataSourceApi<BtcFlowQuery, BtcFlowOptions> & { configuredVenues(): RoleVenues };

type Props = QueryEditorProps<AnnotationDataSource, BtcFlowQuery, BtcFlowOptions>;

export function AnnotationQueryEditor({ query: raw, onChange, datasource }: Props) {
  const query: BtcFlowAnnotationQuery =
    raw && (raw.queryType === 'signals' || raw.queryType === 'extremes')
      ? { ...(raw as BtcFlowAnnotationQuery) }
      : { ...DEFAULT_ANNOTATION_QUERY, refId: raw?.refId ?? 'Anno' };
  const emit = (q: BtcFlowAnnotationQuery) => onChange(q as BtcFlowQuery);
  const venues = allConfiguredVenues(datasource.configuredVenues());
  return (
    <Stack direction="column" gap={1}>
      <RadioField<'signals' | 'extremes'>
        label="Events"
        options={[
          { label: 'Signals', value: 'signals' },
          { label: 'Extremes', value: 'extremes' },
        ]}
        value={query.queryType}
        onChange={(t) => {
          const { kinds: _drop, premiumEmaBars: _ema, ...rest } = query as SignalsAnnotationQuery;
          emit({ ...rest, queryType: t } as BtcFlowAnnotationQuery);
        }}
      />
      {query.queryType === 'signals' ? (
        <>
          <KindsField<SignalKind>
            all={SIGNAL_KINDS}
            value={query.kinds}
            onChange={(k) => emit({ ...query, kinds: k })}
          />
          <RegimeEmaField value={query.premiumEmaBars} onChange={(v) => emit({ ...query, premiumEmaBars: v })} />
        </>
      ) : (
        <KindsField<ExtremeKind>
          all={EXTREME_KINDS}
          value={query.kinds}
          onChange={(k) => emit({ ...query, kinds: k })}
        />
      )}
      <CommonOptions
        value={query}
        onChange={(c) => emit({ ...query, ...c } as BtcFlowAnnotationQuery)}
        configuredVenues={venues}
        smoothing={{ premium: true, funding: true }}
      />
    </Stack>
  );
}
