import { fireEvent, screen } from '@testing-library/react';
import { OiView } from './QueryEditorOi';
import { radio, renderView } from './testing';

describe('OiView', () => {
  it('by default (USD, split by venue) shows unit, split, per venue and OI index', () => {
    renderView(OiView, { refId: 'A', queryType: 'oi' });
    expect(radio('Unit', 'USD')).toBeChecked();
    expect(radio('Split by', 'Venue')).toBeChecked();
    expect(screen.getByLabelText('Per venue')).toBeChecked();
    expect(screen.getByLabelText('OI index')).toBeChecked();
  });

  it('hides per venue when split by margin type, and the OI index when the unit is coins', () => {
    renderView(OiView, { refId: 'A', queryType: 'oi', unit: 'coin', groupBy: 'margin' });
    expect(screen.queryByLabelText('Per venue')).toBeNull();
    expect(screen.queryByLabelText('OI index')).toBeNull();
    expect(radio('Unit', 'Coins')).toBeChecked();
  });

  it('each field edits its own option', () => {
    const { last } = renderView(OiView, { refId: 'A', queryType: 'oi' });
    fireEvent.click(screen.getByLabelText('Per venue'));
    expect(last()).toEqual({ refId: 'A', queryType: 'oi', perVenue: false });
    fireEvent.click(radio('Unit', 'Coins'));
    expect(last()).toEqual({ refId: 'A', queryType: 'oi', unit: 'coin' });
    fireEvent.click(radio('Split by', 'Margin type'));
    expect(last()).toEqual({ refId: 'A', queryType: 'oi', groupBy: 'margin' });
    fireEvent.click(screen.getByLabelText('OI index'));
    expect(last()).toEqual({ refId: 'A', queryType: 'oi', includeIndex: false });
  });
});
