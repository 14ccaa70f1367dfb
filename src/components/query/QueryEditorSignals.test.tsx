import { fireEvent, screen } from '@testing-library/react';
import { SignalsView } from './QueryEditorSignals';
import { radio, renderView, typeInto } from './testing';

describe('SignalsView', () => {
  it('shows the format (states by default), the three kinds (none stored = all ticked) and the regime EMA', () => {
    renderView(SignalsView, { refId: 'A', queryType: 'signals' });
    expect(radio('Format', 'States')).toBeChecked();
    for (const k of ['Bullish', 'Bearish', 'Over-leverage']) {
      expect(screen.getByLabelText(k)).toBeChecked();
    }
    expect(screen.queryByLabelText('Extreme top')).toBeNull();
    expect(screen.getByLabelText('Regime EMA (bars)')).toHaveValue('');
  });

  it('format, kinds and regime EMA each edit their own option', () => {
    const { last } = renderView(SignalsView, { refId: 'A', queryType: 'signals' });
    fireEvent.click(radio('Format', 'Events'));
    expect(last()).toEqual({ refId: 'A', queryType: 'signals', format: 'events' });
    fireEvent.click(screen.getByLabelText('Bearish'));
    expect(last()).toEqual({ refId: 'A', queryType: 'signals', kinds: ['bullish', 'overLeverage'] });
    typeInto('Regime EMA (bars)', '14');
    expect(last()).toEqual({ refId: 'A', queryType: 'signals', premiumEmaBars: 14 });
    typeInto('Regime EMA (bars)', '$ema');
    expect(last()).toEqual({ refId: 'A', queryType: 'signals', premiumEmaBars: '$ema' });
  });

  it('a regime EMA below 1 does not reach the query', () => {
    const { onChange } = renderView(SignalsView, { refId: 'A', queryType: 'signals' });
    typeInto('Regime EMA (bars)', '0');
    expect(onChange).not.toHaveBeenCalled();
  });
});
