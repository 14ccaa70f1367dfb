/**
 * The recorder settings: the URL goes to jsonData (checked like at query time), the token to secureJsonData only,
 * and a saved token shows as "configured" with a Reset that clears it.
 */
import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';
import { ConfigEditor } from './ConfigEditor';
import type { BtcFlowOptions, BtcFlowSecureJsonData } from '../datasource/types';

type Settings = DataSourceSettings<BtcFlowOptions, BtcFlowSecureJsonData>;

function renderConfig(jsonData: BtcFlowOptions = {}, secureJsonFields: Record<string, boolean> = {}) {
  const onOptionsChange = jest.fn();
  const options = {
    id: 1,
    uid: 'x',
    name: 'BTC Flow',
    type: 'btcflow-flow-datasource',
    jsonData,
    secureJsonFields,
  } as unknown as Settings;
  render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
  const last = (): Settings => onOptionsChange.mock.calls[onOptionsChange.mock.calls.length - 1][0];
  return { last, onOptionsChange };
}

function typeInto(label: string, text: string) {
  const input = screen.getByLabelText(label);
  fireEvent.change(input, { target: { value: text } });
  fireEvent.blur(input);
}

describe('Recorder settings', () => {
  it('the Recorder URL is stored in jsonData without trailing slashes; empty removes it', () => {
    const { last } = renderConfig({ mirrorUrl: 'http://mock-exchanges:8788' });
    typeInto('Recorder URL', 'http://recorder:8789/');
    expect(last().jsonData).toEqual({ mirrorUrl: 'http://mock-exchanges:8788', recorderUrl: 'http://recorder:8789' });
    expect(last().secureJsonData).toBeUndefined();
  });

  it('clearing the URL removes the key', () => {
    const { last } = renderConfig({ recorderUrl: 'http://recorder:8789' });
    typeInto('Recorder URL', '');
    expect(last().jsonData).toEqual({});
  });

  it.each([
    ['http://admin:pw@recorder:8789', /credentials/],
    ['recorder:8789', /scheme recorder|not a URL/],
    ['http://recorder:8789/?token=x', /query or fragment/],
  ])('refuses %s with the reason, and stores nothing', (url, why) => {
    const { onOptionsChange } = renderConfig();
    typeInto('Recorder URL', url);
    expect(onOptionsChange).not.toHaveBeenCalled();
    expect(screen.getByText(why)).toBeInTheDocument();
  });

  it('the token goes to secureJsonData only, never to jsonData', () => {
    const { last } = renderConfig({ recorderUrl: 'http://recorder:8789' });
    fireEvent.change(screen.getByLabelText('Recorder token'), { target: { value: 'tok-1' } });
    expect(last().secureJsonData).toEqual({ recorderToken: 'tok-1' });
    expect(JSON.stringify(last().jsonData)).not.toContain('tok-1');
  });

  it('a saved token shows as configured; Reset clears it', () => {
    const { last } = renderConfig({ recorderUrl: 'http://recorder:8789' }, { recorderToken: true });
    expect(screen.getByDisplayValue('configured')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields).toEqual({ recorderToken: false });
    expect(last().secureJsonData).toEqual({ recorderToken: '' });
  });
});
