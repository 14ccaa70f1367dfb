/**
 * Editors: changing an option in the UI changes the query (or the data source's jsonData) accordingly.
 */
import fs from 'fs';
import path from 'path';
import React from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';
import { QUERY_VIEWS, QueryEditor, switchQueryType } from './QueryEditor';
import { ConfigEditor, THRESHOLD_LABELS } from './ConfigEditor';
import { AnnotationQueryEditor } from './AnnotationQueryEditor';
import type { DataSource } from '../datasource/DataSource';
import { QUERY_TYPES, type BtcFlowOptions, type BtcFlowQuery, type QueryType } from '../datasource/types';
import { venuesByRole } from '../exchanges/registry';

const fakeDs = {
  configuredVenues: () => ({
    spot: ['coinbase', 'kraken'],
    perp: ['okx', 'bybit'],
    oi: ['okx'],
    funding: ['okx', 'bybit'],
  }),
} as unknown as DataSource;

function renderQuery(query: BtcFlowQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const view = render(<QueryEditor query={query} onChange={onChange} onRunQuery={onRunQuery} datasource={fakeDs} />);
  const last = (): BtcFlowQuery => onChange.mock.calls[onChange.mock.calls.length - 1][0];
  return { onChange, onRunQuery, last, view };
}

const radio = (group: string, label: string) =>
  within(screen.getByRole('radiogroup', { name: group })).getByLabelText(label);

function typeInto(label: string, text: string) {
  const input = screen.getByLabelText(label);
  fireEvent.change(input, { target: { value: text } });
  fireEvent.blur(input);
}

// jsdom has no IntersectionObserver; Grafana's Select menu (the venue MultiSelect) uses one for its scroll shadows
class NoIntersectionObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
beforeAll(() => {
  (window as unknown as { IntersectionObserver: unknown }).IntersectionObserver ??= NoIntersectionObserver;
});

describe('QueryEditor', () => {
  it('switching the query type keeps the common options and drops the old type options', () => {
    const { last, onRunQuery } = renderQuery({
      refId: 'A',
      queryType: 'premium',
      asset: 'ETH',
      lookback: 30,
      includeBaskets: true,
    });
    fireEvent.click(radio('Query type', 'Funding'));
    expect(last()).toEqual({ refId: 'A', queryType: 'funding', asset: 'ETH', lookback: 30 });
    expect(onRunQuery).toHaveBeenCalled();
    expect(switchQueryType({ refId: 'B', queryType: 'oi', perVenue: false, venues: ['okx'] }, 'coverage')).toEqual({
      refId: 'B',
      queryType: 'coverage',
      venues: ['okx'],
    });
  });

  it('a target without a type is edited as a premium query', () => {
    const { last } = renderQuery({ refId: 'A' } as BtcFlowQuery);
    expect(radio('Query type', 'Premium')).toBeChecked();
    fireEvent.click(screen.getByLabelText('Basket closes'));
    expect(last()).toEqual({ refId: 'A', queryType: 'premium', includeBaskets: true });
  });

  it('common options: asset, timeframe, lookback, smoothing, venues', () => {
    const { last, onChange } = renderQuery({ refId: 'A', queryType: 'signals' });
    typeInto('Asset', '$asset');
    expect(last()).toMatchObject({ asset: '$asset' });
    fireEvent.click(radio('Timeframe', '1w'));
    expect(last()).toMatchObject({ timeframe: '1w' });
    typeInto('Lookback (bars)', '120');
    expect(last()).toMatchObject({ lookback: 120 });
    typeInto('Premium smoothing', '3');
    expect(last()).toMatchObject({ premiumSmoothing: 3 });
    typeInto('Funding smoothing', '$smooth');
    expect(last()).toMatchObject({ fundingSmoothing: '$smooth' });
    // venues: a MultiSelect (chips in a box that fits the editor); open its menu and pick one
    fireEvent.keyDown(screen.getByLabelText('Venues'), { key: 'ArrowDown' });
    fireEvent.click(screen.getByText('okx'));
    expect(last()).toMatchObject({ venues: ['okx'] });
    typeInto('Venues variable', '$venues');
    expect(last().venues).toEqual(['$venues']);

    // invalid numbers do not reach the query, and say what is expected
    const calls = onChange.mock.calls.length;
    typeInto('Lookback (bars)', '1.5');
    expect(onChange.mock.calls.length).toBe(calls);
    expect(screen.getByText("Expected an integer ≥ 2 or 'auto' or a $variable")).toBeInTheDocument();
  });

  it('dispatches each query type to its own view (QUERY_VIEWS), whose edits reach onChange and onRunQuery', () => {
    // the types whose view shows each label (views are tested field by field in query/QueryEditor<Type>.test.tsx);
    // every type shows a different set of them
    const owners: Record<string, QueryType[]> = {
      'z-score': ['premium', 'funding'],
      'Basket closes': ['premium', 'prices'],
      'Split by': ['oi'],
      'OI index': ['oi', 'oiZ'],
      APR: ['funding'],
      Format: ['signals', 'extremes'],
      'Regime EMA (bars)': ['signals'],
      Score: ['extremes'],
      Perp: ['prices'],
      'Left-out venues': ['coverage'],
    };
    for (const t of QUERY_TYPES) {
      const { view } = renderQuery({ refId: 'A', queryType: t } as BtcFlowQuery);
      expect(QUERY_VIEWS[t]).toBeDefined();
      for (const [label, types] of Object.entries(owners)) {
        const shown =
          screen.queryAllByLabelText(label).length + screen.queryAllByRole('radiogroup', { name: label }).length > 0;
        expect([t, label, shown]).toEqual([t, label, types.includes(t)]);
      }
      view.unmount();
    }
    const { last, onRunQuery } = renderQuery({ refId: 'A', queryType: 'coverage' });
    fireEvent.click(screen.getByLabelText('Left-out venues'));
    expect(last()).toEqual({ refId: 'A', queryType: 'coverage', includeExcluded: true });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('a half-edited query (empty asset, empty venue entry) is stored but not run; a complete one runs', () => {
    const emptyAsset = renderQuery({ refId: 'A', queryType: 'premium', asset: '' });
    fireEvent.click(screen.getByLabelText('z-score'));
    expect(emptyAsset.last()).toEqual({ refId: 'A', queryType: 'premium', asset: '', includeZ: false });
    expect(emptyAsset.onRunQuery).not.toHaveBeenCalled();
    emptyAsset.view.unmount();

    const emptyVenue = renderQuery({ refId: 'A', queryType: 'funding', venues: ['okx', ' '] });
    fireEvent.click(radio('Unit', 'APR'));
    expect(emptyVenue.last()).toEqual({ refId: 'A', queryType: 'funding', venues: ['okx', ' '], unit: 'apr' });
    expect(emptyVenue.onRunQuery).not.toHaveBeenCalled();
    // completing the asset makes it runnable again
    emptyVenue.view.unmount();
    const fixed = renderQuery({ refId: 'A', queryType: 'premium', asset: '' });
    typeInto('Asset', 'ETH');
    expect(fixed.last()).toEqual({ refId: 'A', queryType: 'premium', asset: 'ETH' });
    expect(fixed.onRunQuery).toHaveBeenCalledTimes(1);
  });
});

describe('AnnotationQueryEditor', () => {
  it('switches between signals and extremes and filters kinds', () => {
    const onChange = jest.fn();
    const { rerender } = render(
      <AnnotationQueryEditor
        query={{ refId: 'Anno', queryType: 'signals' }}
        onChange={onChange}
        onRunQuery={jest.fn()}
        datasource={fakeDs}
      />
    );
    fireEvent.click(screen.getByLabelText('Over-leverage'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'Anno', queryType: 'signals', kinds: ['bullish', 'bearish'] });
    rerender(
      <AnnotationQueryEditor
        query={{ refId: 'Anno', queryType: 'signals', kinds: ['bullish'] }}
        onChange={onChange}
        onRunQuery={jest.fn()}
        datasource={fakeDs}
      />
    );
    typeInto('Regime EMA (bars)', '3');
    expect(onChange).toHaveBeenLastCalledWith({
      refId: 'Anno',
      queryType: 'signals',
      kinds: ['bullish'],
      premiumEmaBars: 3,
    });
    rerender(
      <AnnotationQueryEditor
        query={{ refId: 'Anno', queryType: 'signals', kinds: ['bullish'], premiumEmaBars: 3 }}
        onChange={onChange}
        onRunQuery={jest.fn()}
        datasource={fakeDs}
      />
    );
    fireEvent.click(radio('Events', 'Extremes'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'Anno', queryType: 'extremes' });
  });
});

describe('ConfigEditor', () => {
  function renderConfig(jsonData: BtcFlowOptions = {}) {
    const onOptionsChange = jest.fn();
    const options = {
      id: 1,
      uid: 'x',
      name: 'BTC Flow',
      type: 'btcflow-flow-datasource',
      jsonData,
      secureJsonFields: {},
    } as unknown as DataSourceSettings<BtcFlowOptions>;
    render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
    const last = (): BtcFlowOptions => onOptionsChange.mock.calls[onOptionsChange.mock.calls.length - 1][0].jsonData;
    return { last, onOptionsChange };
  }

  it('baskets: unticking a venue stores the basket without it; all ticked = the default set', () => {
    const { last } = renderConfig();
    fireEvent.click(screen.getByLabelText('kraken'));
    expect(last().spotVenues).toEqual(venuesByRole().spot.filter((v) => v !== 'kraken'));
  });

  it('weightings, stablecoin conversion, lookbacks, thresholds, requests and mirror', () => {
    const { last } = renderConfig({ thresholds: { extremeZ: 3 } });
    fireEvent.click(radio('Funding weighting', 'Equal'));
    expect(last()).toMatchObject({ fundingWeighting: 'equal' });
    fireEvent.click(radio('Basket weighting', 'Volume'));
    expect(last()).toMatchObject({ basketWeighting: 'volume' });
    fireEvent.click(screen.getByLabelText('Stablecoins to USD'));
    expect(last()).toMatchObject({ stablecoinToUsd: false });
    typeInto('Lookback 1d', '60');
    expect(last().defaultLookbacks).toEqual({ '1d': 60 });
    // thresholds under human labels, grouped as in docs/metrics.md; the option name stays in the tooltip
    typeInto('Over-lev.: OI z', '1.5');
    expect(last().thresholds).toEqual({ extremeZ: 3, overLeverageOiZ: 1.5 });
    expect(screen.getByTestId('btcflow-thresholds-Over-leverage').textContent).toContain('Over-lev.: exit OI z');
    expect(screen.getByTestId('btcflow-thresholds-Bullish').textContent).toContain('Bullish: max OI z');
    typeInto('Extreme: z', '');
    expect(last().thresholds).toBeUndefined();
    typeInto('Timeout (ms)', '5000');
    expect(last()).toMatchObject({ requestTimeoutMs: 5000 });
    typeInto('Retries', '0');
    expect(last()).toMatchObject({ retries: 0 });
    typeInto('Cache size (MB)', '20');
    expect(last()).toMatchObject({ cacheMaxMb: 20 });
    typeInto('Market list age (hours)', '6');
    expect(last()).toMatchObject({ marketsMaxAgeHours: 6 });
    expect(screen.getByTestId('btcflow-clear-cache')).toBeTruthy();
    typeInto('Exchange mirror URL', 'http://mock-exchanges:8788/');
    expect(last()).toMatchObject({ mirrorUrl: 'http://mock-exchanges:8788' });
  });

  it('rejects a market list age outside 0–720 hours, naming the allowed values', () => {
    const { onOptionsChange } = renderConfig();
    typeInto('Market list age (hours)', '721');
    expect(onOptionsChange).not.toHaveBeenCalled();
    expect(screen.getByText('Expected a number ≥ 0 and ≤ 720')).toBeInTheDocument();
  });

  it('rejects a mirror that is not an http(s) URL', () => {
    const { onOptionsChange } = renderConfig();
    typeInto('Exchange mirror URL', 'mock-exchanges:8788');
    expect(onOptionsChange).not.toHaveBeenCalled();
    expect(screen.getByText('Expected an http(s) URL such as http://host:port')).toBeInTheDocument();
  });
});

describe('docs/metrics.md section 14 (All options)', () => {
  /** option name → editor label, read from the table's first two columns. */
  function documentedLabels(): Map<string, string> {
    const text = fs.readFileSync(path.join(__dirname, '../../docs/metrics.md'), 'utf8');
    const section = text.slice(text.indexOf('## 14. All options'), text.indexOf('## 15.'));
    const rows = new Map<string, string>();
    for (const m of section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)) {
      rows.set(m[1], m[2].trim());
    }
    return rows;
  }

  it('names each threshold by the label the config editor shows', () => {
    const rows = documentedLabels();
    for (const [name, label] of Object.entries(THRESHOLD_LABELS)) {
      expect([name, rows.get(name)]).toEqual([name, label]);
    }
  });

  it('every documented label is shown by the config editor or a query editor', () => {
    const shown: string[] = [];
    const options = {
      id: 1,
      uid: 'x',
      name: 'BTC Flow',
      type: 'btcflow-flow-datasource',
      jsonData: {},
      secureJsonFields: {},
    } as unknown as DataSourceSettings<BtcFlowOptions>;
    shown.push(render(<ConfigEditor options={options} onOptionsChange={jest.fn()} />).container.textContent ?? '');
    for (const queryType of QUERY_TYPES) {
      const { view } = renderQuery({ refId: 'A', queryType } as BtcFlowQuery);
      shown.push(view.container.textContent ?? '');
    }
    const all = shown.join('\n');
    const rows = documentedLabels();
    expect(rows.size).toBeGreaterThanOrEqual(25);
    for (const [name, label] of rows) {
      expect([name, all.includes(label)]).toEqual([name, true]);
    }
  });
});
