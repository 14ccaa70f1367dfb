/**
 * Variable editor: each choice writes the structured query, and a string saved by an older dashboard opens in the
 * matching fields.
 */
import React from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import type { BtcFlowVariableQuery } from '../datasource/variables';
import { toVariableQuery, VariableQueryEditor } from './VariableQueryEditor';

function renderEditor(query: BtcFlowVariableQuery | string) {
  const onChange = jest.fn();
  const props = { query, onChange, onRunQuery: jest.fn(), datasource: {} } as unknown as React.ComponentProps<
    typeof VariableQueryEditor
  >;
  render(<VariableQueryEditor {...props} />);
  return onChange;
}

const radio = (group: string, label: string) =>
  within(screen.getByRole('radiogroup', { name: group })).getByLabelText(label) as HTMLInputElement;

describe('VariableQueryEditor', () => {
  it('a string saved as venues(perp) opens as the perp basket', () => {
    renderEditor('venues(perp)');
    expect(radio('Values', 'Venues').checked).toBe(true);
    expect(radio('Basket', 'Perp').checked).toBe(true);
  });

  it('choosing Timeframes writes {kind: timeframes}', () => {
    const onChange = renderEditor({ refId: 'v', kind: 'assets' });
    fireEvent.click(radio('Values', 'Timeframes'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'timeframes' });
  });

  it('choosing All assets writes assetsScope all, and All venues drops the role', () => {
    const onChange = renderEditor({ refId: 'v', kind: 'assets' });
    fireEvent.click(radio('Assets', 'All'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'assets', assetsScope: 'all' });
  });

  it('choosing All venues drops the role', () => {
    const onChange = renderEditor({ refId: 'v', kind: 'venues', role: 'oi' });
    fireEvent.click(radio('Basket', 'All'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'venues' });
  });

  it('toVariableQuery: an empty query starts as assets with a premium; an unknown string is kept', () => {
    expect(toVariableQuery('')).toEqual({ refId: 'variable', kind: 'assets', assetsScope: 'premium' });
    expect(toVariableQuery({ refId: 'A', query: '$x' })).toEqual({ refId: 'A', query: '$x' });
  });
});
