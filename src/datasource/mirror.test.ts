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

describe('market list age (data source setting marketsMaxAgeHours)', () => {
  const H = 3_600_000;
  it('reaches the exchange layer in ms: the default 24 h, a set age, 0 (always ask the venues)', () => {
    const age = (jsonData: Record<string, unknown>) =>
      new DataSource(instanceSettings('/x', jsonData)).exchange.options.marketsMaxAgeMs;
    expect(age({})).toBe(24 * H);
    expect(age({ marketsMaxAgeHours: 6 })).toBe(6 * H);
    expect(age({ marketsMaxAgeHours: 0.5 })).toBe(0.5 * H);
    expect(age({ marketsMaxAgeHours: 0 })).toBe(0);
    expect(age({ marketsMaxAgeHours: 720 })).toBe(720 * H);
  });

  it.each([[-1], [721], ['12'], [null]])(
    '%p (e.g. a provisioned file): every query fails naming the field and the allowed values, no request',
    async (bad) => {
      const fetchSpy = jest.spyOn(globalThis, 'fetch');
      try {
        const ds = new DataSource(instanceSettings('/x', { marketsMaxAgeHours: bad as never }), { now: () => NOW });
        const res = await lastValueFrom(
          ds.query(request([{ refId: 'A', queryType: 'premium', timeframe: '1d' }], NOW - 30 * DAY, NOW))
        );
        expect(res.errors?.[0].message).toBe(
          `marketsMaxAgeHours: expected hours from 0 to 720 (0 = always ask the venues), got ${JSON.stringify(bad)} ` +
            '(data source settings, Market list age)'
        );
        const t = await ds.testDatasource();
        expect(t.status).toBe('error');
        expect(t.message).toMatch(/^Market list age refused: marketsMaxAgeHours: expected hours from 0 to 720/);
        expect(fetchSpy).not.toHaveBeenCalled();
      } finally {
        fetchSpy.mockRestore();
      }
    }
  );
});
