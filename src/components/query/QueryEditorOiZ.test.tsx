import { fireEvent, screen } from '@testing-library/react';
import { OiZView } from './QueryEditorOiZ';
import { renderView } from './testing';

describe('OiZView', () => {
  it('shows only the OI index toggle, off by default; ticking it sets includeIndex: true', () => {
    const { last } = renderView(OiZView, { refId: 'A', queryType: 'oiZ' });
    expect(screen.getAllByRole('switch')).toHaveLength(1);
    expect(screen.getByLabelText('OI index')).not.toBeChecked();
    fireEvent.click(screen.getByLabelText('OI index'));
    expect(last()).toEqual({ refId: 'A', queryType: 'oiZ', includeIndex: true });
  });
});
