import { fireEvent, screen } from '@testing-library/react';
import { ExtremesView } from './QueryEditorExtremes';
import { radio, renderView } from './testing';

describe('ExtremesView', () => {
  it('shows the format, the score toggle (off by default) and the two extreme kinds', () => {
    renderView(ExtremesView, { refId: 'A', queryType: 'extremes', kinds: ['extremeTop'] });
    expect(radio('Format', 'States')).toBeChecked();
    expect(screen.getByLabelText('Score')).not.toBeChecked();
    expect(screen.getByLabelText('Extreme top')).toBeChecked();
    expect(screen.getByLabelText('Extreme bottom')).not.toBeChecked();
    expect(screen.queryByLabelText('Bullish')).toBeNull();
  });

  it('kinds, score and format each edit their own option', () => {
    const { last } = renderView(ExtremesView, { refId: 'A', queryType: 'extremes', kinds: ['extremeTop'] });
    fireEvent.click(screen.getByLabelText('Extreme bottom'));
    expect(last()).toEqual({ refId: 'A', queryType: 'extremes', kinds: ['extremeTop', 'extremeBottom'] });
    fireEvent.click(screen.getByLabelText('Score'));
    expect(last()).toEqual({ refId: 'A', queryType: 'extremes', kinds: ['extremeTop'], includeScore: true });
    fireEvent.click(radio('Format', 'Events'));
    expect(last()).toEqual({ refId: 'A', queryType: 'extremes', kinds: ['extremeTop'], format: 'events' });
  });
});
