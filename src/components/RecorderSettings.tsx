/**
 * The recorder part of the data source settings: the Recorder URL (jsonData.recorderUrl) and its optional token
 * (secureJsonData.recorderToken, Grafana's SecretInput pattern: once saved, the browser only learns that it is set).
 * Grafana's data proxy adds the token as `Authorization: Bearer …` on the `recorder` route. See docs/configuration.md.
 */
import React, { useState } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { FieldSet, InlineField, SecretInput } from '@grafana/ui';
import { validateRecorderUrl } from '../datasource/recorderSource';
import type { BtcFlowOptions, BtcFlowSecureJsonData } from '../datasource/types';
import { LABEL_WIDTH, TextField } from './fields';

export type RecorderSettingsProps = DataSourcePluginOptionsEditorProps<BtcFlowOptions, BtcFlowSecureJsonData>;

/** The editor's message for a Recorder URL the data source would refuse (same check as at query time). */
export function recorderUrlProblem(text: string): string | undefined {
  if (!text) {
    return undefined;
  }
  try {
    validateRecorderUrl(text);
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^recorderUrl: /, '');
  }
}

export function RecorderSettings({ options, onOptionsChange }: RecorderSettingsProps) {
  const j = options.jsonData ?? {};
  const configured = Boolean(options.secureJsonFields?.recorderToken);
  const [token, setToken] = useState('');
  return (
    <FieldSet label="Recorder">
      <TextField
        label="Recorder URL"
        tooltip="Optional. The BTC Flow recorder (npm run recorder -- run), as Grafana's server reaches it. When set, every query reads its range from the recorder and fetches live only the bars after its last closed bar; if it does not answer, queries fetch live with a notice."
        value={j.recorderUrl}
        placeholder="http://recorder:8789"
        width={40}
        invalid={recorderUrlProblem}
        onCommit={(t) => {
          const next: Record<string, unknown> = { ...j, recorderUrl: t ? t.replace(/\/+$/, '') : undefined };
          if (next.recorderUrl === undefined) {
            delete next.recorderUrl;
          }
          onOptionsChange({ ...options, jsonData: next as BtcFlowOptions });
        }}
        testId="btcflow-recorder-url"
      />
      <InlineField
        label="Recorder token"
        labelWidth={LABEL_WIDTH}
        tooltip="Optional. The recorder's API token (its --token-file). Stored encrypted by Grafana and added by Grafana's data proxy as an Authorization header; it never reaches the browser."
      >
        <SecretInput
          aria-label="Recorder token"
          isConfigured={configured}
          value={token}
          placeholder="none"
          width={40}
          onChange={(e) => {
            const value = e.currentTarget.value;
            setToken(value);
            onOptionsChange({
              ...options,
              secureJsonData: { ...(options.secureJsonData ?? {}), recorderToken: value },
            });
          }}
          onReset={() => {
            setToken('');
            onOptionsChange({
              ...options,
              secureJsonFields: { ...(options.secureJsonFields ?? {}), recorderToken: false },
              secureJsonData: { ...(options.secureJsonData ?? {}), recorderToken: '' },
            });
          }}
        />
      </InlineField>
    </FieldSet>
  );
}
