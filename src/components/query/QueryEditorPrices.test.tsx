import { fireEvent, screen } from '@testing-library/react';
import { PricesView } from './QueryEditorPrices';
import { renderView } from './testing';

describe('PricesView', () => {
  it('shows both markets ticked and basket closes on by default', () => {
    renderView(PricesView, { refId: 'A', queryType: 'prices' });
    expect(screen.getByLabelText('Spot')).toBeChecked();
    expect(screen.getByLabelText('Perp')).toBeChecked();
    expect(screen.getByLabelText('Basket closes')).toBeChecked();
  });

  it('unticking perp keeps spot only; unticking basket closes sets includeBaskets: false', () => {
    const { last } = renderView(PricesView, { refId: 'A', queryType: 'prices' });
    fireEvent.click(screen.getByLabelText('Perp'));
    expect(last()).toEqual({ refId: 'A', queryType: 'prices', markets: ['spot'] });
    fireEvent.click(screen.getByLabelText('Basket closes'));
    expect(last()).toEqual({ refId: 'A', queryType: 'prices', includeBaskets: false });
  });
});
