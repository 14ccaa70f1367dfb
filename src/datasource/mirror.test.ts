/** @jest-environment ./src/datasource/testing/jsdomWithFetch.js */
/**
 * Issue 16 item 9: the data source checks its mirror URL where it is used. With an invalid one (user:password@, not
 * http(s), a query) every query and the settings test stop with a clear error naming `mirrorUrl`, before any request,
 * and the password is never shown.
 */
import { lastValueFrom } from 'rxjs';
import { BtcFlowInputError } from '../core/errors';
import { DataSource } from './DataSource';
import { instanceSettings, request } from './testing/harness';

jest.mock('@grafana/runtime', () => ({
  getTemplateSrv: () => jest.requireActual('./testing/harness').templateSrv,
}));

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 10, 20);

describe('mirror URL checked by the data source', () => {
  let fetchSpy: jest.SpyInstance;
  beforeEach(() => {
    fetchSpy = jest.spyOn(globalThis, 'fetch');
  });
  afterEach(() => fetchSpy.mockRestore());

  it.each([
    ['http://user:s3cret@mirror.example.com', /mirrorUrl: must not contain a user name or password/],
    ['ftp://mirror.example.com', /mirrorUrl: expected http\(s\):\/\/host\[:port\]\[\/path\]/],
    ['http://mirror.example.com/?token=x', /no query or fragment/],
  ])('%s: queries fail with a field-named error and no request is made', async (mirrorUrl, re) => {
    const ds = new DataSource(instanceSettings('/api/datasources/proxy/uid/x', { mirrorUrl }), { now: () => NOW });
    expect(ds.mirrorProblem).toMatch(re);
    await expect(
      ds.runTarget({ refId: 'A', queryType: 'premium', timeframe: '1d' }, request([], NOW - 30 * DAY, NOW))
    ).rejects.toThrow(BtcFlowInputError);
    const res = await lastValueFrom(
      ds.query(request([{ refId: 'A', queryType: 'premium', timeframe: '1d' }], NOW - 30 * DAY, NOW))
    );
    expect(res.errors?.[0].message).toMatch(re);
    expect(res.errors?.[0].message).toMatch(/Exchange mirror URL/);
    expect(res.errors?.[0].message).not.toContain('s3cret');
    const t = await ds.testDatasource();
    expect(t.status).toBe('error');
    expect(t.message).toMatch(re);
    expect(t.message).not.toContain('s3cret');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('a valid mirror URL (or none) is no problem', () => {
    const ok = new DataSource(instanceSettings('/x', { mirrorUrl: 'http://127.0.0.1:8788/' }));
    expect(ok.mirrorProblem).toBeUndefined();
    expect(new DataSource(instanceSettings('/x', {})).mirrorProblem).toBeUndefined();
  });
});
