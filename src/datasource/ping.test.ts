/** @jest-environment node */
import { loadCcxtClass } from '../exchanges/ccxtLoader';
import { VENUES } from '../exchanges/registry';
import { PINGS } from './ping';

describe('testDatasource pings', () => {
  it.each(VENUES.map((v) => [v.id, v.ccxtId] as const))(
    '%s: its ping is an implicit endpoint of ccxt %s',
    async (id, ccxtId) => {
      const spec = PINGS[id];
      expect(spec).toBeDefined();
      const Cls = await loadCcxtClass(ccxtId);
      const ex = new Cls();
      expect(typeof ex[spec.method]).toBe('function');
    }
  );
});
