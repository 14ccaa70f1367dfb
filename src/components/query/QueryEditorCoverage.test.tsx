import { fireEvent, screen } from '@testing-library/react';
import { CoverageView } from './QueryEditorCoverage';
import { renderView } from './testing';

describe('CoverageView', () => {
  it('shows only the left-out venues toggle, off by default; ticking it sets includeExcluded: true', () => {
    const { last } = renderView(CoverageView, { refId: 'A', queryType: 'coverage' });
    expect(screen.getAllByRole('switch')).toHaveLength(1);
    expect(screen.getByLabelText('Left-out venues')).not.toBeChecked();
    fireEvent.click(screen.getByLabelText('Left-out venues'));
    expect(last()).toEqual({ refId: 'A', queryType: 'coverage', includeExcluded: true });
  });
});
