import { lastValueFrom } from 'rxjs';
import type { DataQueryRequest } from '@grafana/data';
import { BtcFlowVariableSupport } from './variableSupport';
import { parseVariableQuery, variableQueryText, type BtcFlowVariableQuery } from './variables';

describe('variable queries: structured and string forms', () => {
  it('variableQueryText gives the documented string of each structured query', () => {
    const q = (x: Omit<BtcFlowVariableQuery, 'refId'>) => variableQueryText({ refId: 'v', ...x });
    expect(q({ kind: 'assets' })).toBe('assets()');
    expect(q({ kind: 'assets', assetsScope: 'premium' })).toBe('assets()');
    expect(q({ kind: 'assets', assetsScope: 'all' })).toBe('assets(all)');
    expect(q({ kind: 'venues' })).toBe('venues()');
    expect(q({ kind: 'venues', role: 'funding' })).toBe('venues(funding)');
    expect(q({ kind: 'timeframes' })).toBe('timeframes()');
  });

  it('a dashboard saved in the string form keeps its string, as a string or as {query}', () => {
    expect(variableQueryText('venues(perp)')).toBe('venues(perp)');
    expect(variableQueryText({ refId: 'v', query: 'assets(all)' })).toBe('assets(all)');
    expect(variableQueryText(undefined)).toBe('');
  });

  it('parseVariableQuery reads each documented string back into the structured form, and nothing else', () => {
    for (const text of ['assets()', 'assets(all)', 'venues()', 'venues(oi)', 'timeframes()']) {
      const parsed = parseVariableQuery(text);
      expect(parsed).toBeDefined();
      expect(variableQueryText({ refId: 'v', ...parsed })).toBe(text);
    }
    expect(parseVariableQuery(' Venues( perp ) ')).toEqual({ kind: 'venues', role: 'perp' });
    expect(parseVariableQuery('venues(options)')).toBeUndefined();
    expect(parseVariableQuery('timeframes(1h)')).toBeUndefined();
    expect(parseVariableQuery('$x')).toBeUndefined();
  });
});

describe('BtcFlowVariableSupport', () => {
  const request = (target: unknown) =>
    ({
      targets: [target],
      scopedVars: { a: { text: 'x', value: 'x' } },
    }) as unknown as DataQueryRequest<BtcFlowVariableQuery>;

  it('runs the query string of the target through the data source and answers its values as data', async () => {
    const seen: string[] = [];
    const support = new BtcFlowVariableSupport(async (text, scopedVars) => {
      seen.push(`${text} ${Object.keys(scopedVars ?? {}).join()}`);
      return [{ text: 'okx', value: 'okx' }];
    });
    const res = await lastValueFrom(support.query(request({ refId: 'v', kind: 'venues', role: 'perp' })));
    expect(res.data).toEqual([{ text: 'okx', value: 'okx' }]);
    await lastValueFrom(support.query(request('assets(all)')));
    expect(seen).toEqual(['venues(perp) a', 'assets(all) a']);
  });

  it('passes on the error of a bad string query', async () => {
    const support = new BtcFlowVariableSupport(async (text) => {
      throw new Error(`variable query: unknown query ${JSON.stringify(text)}`);
    });
    await expect(lastValueFrom(support.query(request({ refId: 'v', query: 'nope()' })))).rejects.toThrow(
      'variable query: unknown query "nope()"'
    );
  });
});
