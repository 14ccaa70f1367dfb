import { fireEvent, screen } from '@testing-library/react';
import { FundingView } from './QueryEditorFunding';
import { radio, renderView } from './testing';

describe('FundingView', () => {
  it('shows unit (8h rate by default), per venue (off) and z-score (on)', () => {
    renderView(FundingView, { refId: 'A', queryType: 'funding' });
    expect(radio('Unit', 'Rate (8h)')).toBeChecked();
    expect(screen.getByLabelText('Per venue')).not.toBeChecked();
    expect(screen.getByLabelText('z-score')).toBeChecked();
  });

  it('unit, per venue and z-score each edit their own option', () => {
    const { last } = renderView(FundingView, { refId: 'A', queryType: 'funding' });
    fireEvent.click(radio('Unit', 'APR'));
    expect(last()).toEqual({ refId: 'A', queryType: 'funding', unit: 'apr' });
    fireEvent.click(screen.getByLabelText('Per venue'));
    expect(last()).toEqual({ refId: 'A', queryType: 'funding', perVenue: true });
    fireEvent.click(screen.getByLabelText('z-score'));
    expect(last()).toEqual({ refId: 'A', queryType: 'funding', includeZ: false });
  });
});
