import { fireEvent, screen } from '@testing-library/react';
import { PremiumView } from './QueryEditorPremium';
import { renderView } from './testing';

describe('PremiumView', () => {
  it('shows z-score (on by default) and basket closes (off by default)', () => {
    renderView(PremiumView, { refId: 'A', queryType: 'premium' });
    expect(screen.getByLabelText('z-score')).toBeChecked();
    expect(screen.getByLabelText('Basket closes')).not.toBeChecked();
  });

  it('unticking z-score sets includeZ: false; ticking basket closes sets includeBaskets: true', () => {
    const { last } = renderView(PremiumView, { refId: 'A', queryType: 'premium', asset: 'ETH' });
    fireEvent.click(screen.getByLabelText('z-score'));
    expect(last()).toEqual({ refId: 'A', queryType: 'premium', asset: 'ETH', includeZ: false });
    fireEvent.click(screen.getByLabelText('Basket closes'));
    expect(last()).toEqual({ refId: 'A', queryType: 'premium', asset: 'ETH', includeBaskets: true });
  });
});
