/**
 * Test helpers for the query views (not a test itself): render one view with a recording onChange, find a radio
 * option in a labelled group, type into a field and commit it.
 */
import React from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import type { QueryOf, QueryType } from '../../datasource/types';
import type { ViewProps } from './shared';

export function renderView<T extends QueryType>(View: React.ComponentType<ViewProps<T>>, query: QueryOf<T>) {
  const onChange = jest.fn<void, [QueryOf<T>]>();
  const view = render(<View query={query} onChange={onChange} />);
  const last = (): QueryOf<T> => onChange.mock.calls[onChange.mock.calls.length - 1][0];
  return { onChange, last, view };
}

export const radio = (group: string, label: string) =>
  within(screen.getByRole('radiogroup', { name: group })).getByLabelText(label);

export function typeInto(label: string, text: string) {
  const input = screen.getByLabelText(label);
  fireEvent.change(input, { target: { value: text } });
  fireEvent.blur(input);
}
