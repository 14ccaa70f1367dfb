/** @jest-environment node */
import {
  SIM_START_MS,
  candle,
  fundingRate,
  markPrice,
  openInterestBase,
  resetMarketCache,
  setSimNow,
  simNow,
} from './market';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.UTC(2026, 2, 10, 13, 25, 0);
const t = (iso: string) => Date.parse(iso);

beforeAll(() => setSimNow(NOW));
afterAll(() => setSimNow(null));

/** Hourly closes over [from, to), straight from candle(). */
function hourlyCloses(venue: string, asset: string, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let x = from; x < to; x += H) {
    out.push([x, candle(venue, asset, 'spot', x, H)!.close]);
  }
  return out;
}

describe('the market path', () => {
  test('has a March-2020-style crash: > 40% peak-to-trough within 30 days, bottom in mid-March 2020', () => {
    const closes = hourlyCloses('coinbase', 'BTC', t('2020-02-01T00:00Z'), t('2020-04-01T00:00Z'));
    // naive: for every hour, the worst fall to any later hour within 30 days
    let worst = 0;
    let worstAt = 0;
    for (let i = 0; i < closes.length; i++) {
      for (let j = i + 1; j < closes.length && closes[j][0] - closes[i][0] <= 30 * D; j++) {
        const dd = 1 - closes[j][1] / closes[i][1];
        if (dd > worst) {
          worst = dd;
          worstAt = closes[j][0];
        }
      }
    }
    expect(worst).toBeGreaterThan(0.4);
    expect(worstAt).toBeGreaterThanOrEqual(t('2020-03-10T00:00Z'));
    expect(worstAt).toBeLessThan(t('2020-03-20T00:00Z'));
    // and a single day fell by more than 25%
    const dayMoves: number[] = [];
    for (let x = t('2020-03-01T00:00Z'); x < t('2020-03-31T00:00Z'); x += D) {
      const c = candle('coinbase', 'BTC', 'spot', x, D)!;
      dayMoves.push(c.low / c.open - 1);
    }
    expect(Math.min(...dayMoves)).toBeLessThan(-0.25);
  });

  test('has a 2021-style euphoric top: the 2021 high falls in Nov 2021, > 2x the start of 2021, then a > 65% bear market', () => {
    let best = 0;
    let bestAt = 0;
    for (let x = t('2021-01-01T00:00Z'); x < t('2022-01-01T00:00Z'); x += D) {
      const c = candle('coinbase', 'BTC', 'spot', x, D)!;
      if (c.close > best) {
        best = c.close;
        bestAt = x;
      }
    }
    expect(new Date(bestAt).toISOString().slice(0, 7)).toBe('2021-11');
    expect(best / candle('coinbase', 'BTC', 'spot', t('2021-01-01T00:00Z'), D)!.open).toBeGreaterThan(2);
    let low = Infinity;
    for (let x = t('2022-01-01T00:00Z'); x < t('2023-01-01T00:00Z'); x += D) {
      low = Math.min(low, candle('coinbase', 'BTC', 'spot', x, D)!.low);
    }
    expect(1 - low / best).toBeGreaterThan(0.65);
  });

  test('funding and basis follow leverage: perps rich and funding positive at the top, spot rich and funding negative after the crash', () => {
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rates = (from: string, days: number) => {
      const out: number[] = [];
      for (let x = t(from); x < t(from) + days * D; x += 8 * H) {
        out.push(fundingRate('binanceusdm', 'BTC', x, 8));
      }
      return out;
    };
    expect(median(rates('2021-11-01T00:00Z', 10))).toBeGreaterThan(0.0002);
    expect(median(rates('2020-03-13T08:00Z', 4))).toBeLessThan(0);
    const premium = (x: number) =>
      markPrice('binanceusdm', 'BTC', x, 'perp') / markPrice('binanceusdm', 'BTC', x, 'spot') - 1;
    expect(premium(t('2021-11-09T12:00Z'))).toBeGreaterThan(0.0005);
    expect(premium(t('2020-03-13T12:00Z'))).toBeLessThan(-0.0005);
  });

  test('open interest builds up into the top and is flushed by the crash', () => {
    expect(openInterestBase('binanceusdm', 'BTC', t('2021-11-10T00:00Z'))).toBeGreaterThan(
      1.3 * openInterestBase('binanceusdm', 'BTC', t('2021-07-20T00:00Z'))
    );
    expect(openInterestBase('binanceusdm', 'BTC', t('2020-03-14T00:00Z'))).toBeLessThan(
      0.7 * openInterestBase('binanceusdm', 'BTC', t('2020-03-10T00:00Z'))
    );
    // venue shares of one market-wide path: the ratio between two venues barely moves (only the ±4% wiggle)
    const ratio = (x: number) => openInterestBase('bybit', 'BTC', x) / openInterestBase('binanceusdm', 'BTC', x);
    const rs = [t('2020-03-10T00:00Z'), t('2021-11-10T00:00Z'), t('2024-03-14T00:00Z')].map(ratio);
    expect(Math.max(...rs) / Math.min(...rs)).toBeLessThan(1.1);
  });

  test('ETH co-moves with BTC but is not a copy (daily log-return correlation between 0.4 and 0.95)', () => {
    const rets = (asset: string) => {
      const r: number[] = [];
      for (let x = t('2022-01-01T00:00Z'); x < t('2024-01-01T00:00Z'); x += D) {
        const c = candle('coinbase', asset, 'spot', x, D)!;
        r.push(Math.log(c.close / c.open));
      }
      return r;
    };
    const a = rets('BTC');
    const b = rets('ETH');
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ma = mean(a);
    const mb = mean(b);
    let cov = 0;
    let va = 0;
    let vb = 0;
    for (let i = 0; i < a.length; i++) {
      cov += (a[i] - ma) * (b[i] - mb);
      va += (a[i] - ma) ** 2;
      vb += (b[i] - mb) ** 2;
    }
    const corr = cov / Math.sqrt(va * vb);
    expect(corr).toBeGreaterThan(0.4);
    expect(corr).toBeLessThan(0.95);
  });

  test('venues differ by small spreads only (< 0.25% between any two spot venues, every day of 2024)', () => {
    let widest = 0;
    for (let x = t('2024-01-01T00:00Z'); x < t('2025-01-01T00:00Z'); x += D) {
      const ps = ['coinbase', 'binance', 'kraken', 'bitstamp', 'okx'].map((v) => markPrice(v, 'BTC', x, 'spot'));
      widest = Math.max(widest, Math.max(...ps) / Math.min(...ps) - 1);
    }
    expect(widest).toBeLessThan(0.0025);
    expect(widest).toBeGreaterThan(0); // venues are not identical
  });
});

describe('candles', () => {
  test('a daily candle is the aggregate of its 24 hourly candles, and an hour the aggregate of its twelve 5m candles', () => {
    for (const day of [t('2020-03-12T00:00Z'), t('2021-11-10T00:00Z'), t('2025-06-01T00:00Z')]) {
      const d = candle('okx', 'BTC', 'perp', day, D)!;
      const hs = Array.from({ length: 24 }, (_, i) => candle('okx', 'BTC', 'perp', day + i * H, H)!);
      expect(d.open).toBeCloseTo(hs[0].open, 6);
      expect(d.close).toBeCloseTo(hs[23].close, 6);
      expect(d.high).toBeCloseTo(Math.max(...hs.map((c) => c.high)), 6);
      expect(d.low).toBeCloseTo(Math.min(...hs.map((c) => c.low)), 6);
      expect(d.volumeBase).toBeCloseTo(
        hs.reduce((s, c) => s + c.volumeBase, 0),
        4
      );
      const hour = day + 7 * H;
      const h = candle('okx', 'BTC', 'perp', hour, H)!;
      const fives = Array.from({ length: 12 }, (_, i) => candle('okx', 'BTC', 'perp', hour + i * 300_000, 300_000)!);
      expect(fives[0].open).toBeCloseTo(h.open, 6);
      expect(fives[11].close).toBeCloseTo(h.close, 6);
      expect(Math.max(...fives.map((c) => c.high))).toBeLessThanOrEqual(h.high * (1 + 1e-12));
      expect(fives.reduce((s, c) => s + c.volumeBase, 0)).toBeCloseTo(h.volumeBase, 4);
      // neighbouring candles join: close of one = open of the next
      const joins = hs.slice(1).map((c, i) => Math.abs(c.open - hs[i].close));
      expect(Math.max(...joins)).toBeLessThan(1e-8);
      const bad = [d, ...hs, ...fives].filter(
        (c) => c.high < Math.max(c.open, c.close) || c.low > Math.min(c.open, c.close)
      );
      expect(bad).toEqual([]);
    }
  });

  test('nothing before SIM_START or from now on; the open candle is partial, closing at the current price', () => {
    expect(simNow()).toBe(NOW);
    expect(candle('binance', 'BTC', 'spot', SIM_START_MS - H, H)).toBeUndefined();
    expect(candle('binance', 'BTC', 'spot', SIM_START_MS, H)).toBeDefined();
    expect(candle('binance', 'BTC', 'spot', NOW, H)).toBeUndefined();
    const dayOpen = Math.floor(NOW / D) * D;
    const partial = candle('binance', 'BTC', 'spot', dayOpen, D)!;
    expect(partial.close).toBeCloseTo(markPrice('binance', 'BTC', NOW, 'spot'), 8);
    // volume covers the elapsed 13h25m only: equal to the sum of the closed hours plus the partial one
    let vol = 0;
    for (let x = dayOpen; x < NOW; x += H) {
      vol += candle('binance', 'BTC', 'spot', x, H)!.volumeBase;
    }
    expect(partial.volumeBase).toBeCloseTo(vol, 6);
  });

  test('deterministic: the same question gives the same answer, whenever the path was built and whatever the clock', () => {
    const ask = () => [
      candle('bybit', 'ETH', 'perp', t('2023-05-05T00:00Z'), D),
      fundingRate('okx', 'BTC', t('2022-02-02T08:00Z'), 8),
      openInterestBase('bybit:inverse', 'BTC', t('2021-03-03T03:00Z')),
      markPrice('kraken', 'SOL', t('2024-04-04T04:04Z'), 'spot'),
    ];
    const a = ask();
    resetMarketCache();
    setSimNow(Date.UTC(2032, 6, 1)); // a later clock makes a longer path (horizon past 2033)
    const b = ask();
    resetMarketCache();
    setSimNow(NOW);
    expect(b).toEqual(a);
    expect(ask()).toEqual(a);
  });

  test('setSimNow rejects times before the simulation start with a clear message', () => {
    expect(() => setSimNow(0)).toThrow(/at or after 2019-01-01/);
    expect(simNow()).toBe(NOW);
  });

  test('an unknown asset is a clear error naming the allowed ones', () => {
    expect(() => candle('binance', 'DOGE', 'spot', t('2024-01-01T00:00Z'), H)).toThrow(
      /unknown simulated asset "DOGE"; allowed: BTC, ETH, SOL, USDT/
    );
  });
});

describe('funding rates', () => {
  test('never beyond ±0.375% per 8h, on any venue, from 2019 to now', () => {
    let worst = 0;
    let n = 0;
    for (const venue of ['binanceusdm', 'bybit', 'okx', 'hyperliquid']) {
      for (let x = SIM_START_MS + 8 * H; x < NOW; x += 8 * H) {
        worst = Math.max(worst, Math.abs(fundingRate(venue, 'BTC', x, 8)));
        n++;
      }
    }
    expect(n).toBeGreaterThan(4 * 7 * 3 * 365);
    expect(worst).toBeLessThanOrEqual(0.00375);
    expect(worst).toBeGreaterThan(0.001);
  });

  test('an hourly venue pays the 8h rate spread over 8 hours (sum of eight 1h rates = the 8h rate)', () => {
    let checked = 0;
    for (let x = t('2021-01-01T00:00Z'); x < t('2021-03-01T00:00Z'); x += 8 * H) {
      const r8 = fundingRate('hyperliquid', 'BTC', x, 8);
      if (Math.abs(r8) > 0.003) {
        continue; // near the cap the per-hour clamp may bind differently
      }
      let sum = 0;
      for (let k = 0; k < 8; k++) {
        sum += fundingRate('hyperliquid', 'BTC', x - k * H, 1);
      }
      expect(sum).toBeCloseTo(r8, 7);
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });

  test('has spikes: some 8h rates above 0.1% and some below -0.05% in the history', () => {
    const rs: number[] = [];
    for (let x = SIM_START_MS + 8 * H; x < NOW; x += 8 * H) {
      rs.push(fundingRate('binanceusdm', 'BTC', x, 8));
    }
    expect(rs.filter((r) => r > 0.001).length).toBeGreaterThan(5);
    expect(rs.filter((r) => r < -0.0005).length).toBeGreaterThan(5);
    // and the calm-market floor of 0.01% is the most common value band
    expect(rs.filter((r) => Math.abs(r - 0.0001) < 0.00002).length).toBeGreaterThan(rs.length * 0.1);
  });
});
