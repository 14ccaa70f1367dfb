/**
 * The simulated market behind the mock exchange server.
 *
 * ==============================  SIMULATED DATA, NOT REAL PRICES  ==============================
 * Every number served by the mock exchanges comes from this file. The path is generated from a
 * fixed seed and a handful of hand-placed anchor prices that make it *resemble* crypto history
 * (a March-2020-style crash, a 2021-style euphoric top, a 2022-style bear market, ...). It is
 * not market data and must never be presented as such.
 * ===============================================================================================
 *
 * Model (hourly resolution from SIM_START_MS, precomputed once per asset into typed arrays):
 * - price: log-price follows a seeded Brownian bridge between anchor prices (so the big moves
 *   happen where the anchors put them) and, after the last anchor, a seeded random walk with
 *   mild mean reversion to a slowly rising trend. Intra-hour prices are a smooth deterministic
 *   bridge between the hour's open and close, so sub-hour candles aggregate consistently.
 * - leverage index: tanh of 30-day and 3-day momentum. It drives
 *   - the funding rate (8h-equivalent, 0.01% base, spikes, clamped to ±0.375% per 8h),
 *   - the perp/spot basis (perps rich when leveraged longs pile in, spot rich after crashes),
 *   - open-interest build-ups; large hourly moves flush open interest, which then recovers.
 * - venues: each venue gets a small deterministic price offset (a few basis points, slowly
 *   varying), a share of volume and of open interest, and a small funding offset. Venue keys are
 *   free strings: use the ccxt id (`binanceusdm`) or `<id>:<variant>` (`bybit:inverse`).
 *
 * Everything is deterministic: the same (venue, asset, market, time) always gives the same value,
 * independent of when or in which order it is asked (for a given scenario: `setScenario` can make the
 * market end in an over-leverage build-up, see SCENARIOS). Prices are in USD (USDT-quoted venues carry
 * the tiny USDT/USD deviation inside their venue offset); asset `USDT` gives the USDT/USD rate.
 */

// Module-scope aliases: global lookups are slow inside vm contexts (jest), and these sit in hot loops.
const M = Math;
const POS_INF = Number.POSITIVE_INFINITY;
const NEG_INF = Number.NEGATIVE_INFINITY;
const isNaNNum = Number.isNaN;

export const SIM_START_MS = Date.UTC(2019, 0, 1, 0, 0, 0);
export const HOUR_MS = 3_600_000;
/** Simulated assets. `USDT` is the USDT/USD reference rate (spot only). */
export const SIM_ASSETS = ['BTC', 'ETH', 'SOL', 'USDT'] as const;
export type SimAsset = (typeof SIM_ASSETS)[number];

let simNowOverride: number | null = null;

/** The server clock (epoch ms): real `Date.now()` unless overridden with `setSimNow`. */
export function simNow(): number {
  return simNowOverride ?? Date.now();
}

/** Override the server clock (tests, reproducible demos). `null` returns to the real clock. */
export function setSimNow(ms: number | null): void {
  if (ms !== null && (!Number.isFinite(ms) || ms < SIM_START_MS)) {
    throw new Error(
      `setSimNow: ms must be a finite epoch-ms time at or after ${new Date(SIM_START_MS).toISOString()}, got ${ms}`
    );
  }
  simNowOverride = ms;
}

export function isSimAsset(asset: string): asset is SimAsset {
  return (SIM_ASSETS as readonly string[]).includes(asset);
}

/* ------------------------------------------------------------------------------------------------
 * Scenarios: how the simulated market ENDS (alert demos and tests)
 * ---------------------------------------------------------------------------------------------- */

/**
 * `default`: the seeded path as is. `over-leverage`: the same prices, but over the OVER_LEVERAGE_BUILDUP_MS before the
 * scenario's end time the market moves linearly (build-up fraction b from 0 to 1) from the default market to a
 * crowded-long peak, held after the end time:
 * - open interest → (1 − b) · default + b · peak, where the peak is 2 × the highest market-wide OI in USD of the
 *   120 days before the build-up, in coins at the end's price (a new high in USD whatever the default market did,
 *   so the OI z-score is far above 2 at 1h and 1d);
 * - funding per 8h → default + b · (max(default, 0.01 %) − default + 0.08 %) (≥ 0.09 % per 8h ≈ 98.5 %/year at the
 *   peak, far above the 30 %/year over-leverage threshold, and a funding z-score above 2);
 * - perp basis → default + b · 2.4 × 0.08 % (perps rich, as the model's basis follows funding).
 * So the last closed bars are over-leveraged with the engine's default options (OI z ≥ 2 and funding APR ≥ 30 %).
 */
export const SCENARIOS = ['default', 'over-leverage'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Length of the over-leverage build-up (the ramp from the default market to the peak). */
export const OVER_LEVERAGE_BUILDUP_MS = 4 * 24 * HOUR_MS;
/** Peak extra open interest (a multiplier of 1 + this), funding added per 8h, and basis per unit of funding. */
export const OVER_LEVERAGE_PEAK = {
  oiOverHigh: 2,
  oiHighWindowMs: 120 * 24 * HOUR_MS,
  fundingFloor8h: 0.0001,
  funding8h: 0.0008,
  basisPerFunding: 2.4,
} as const;

export interface ScenarioState {
  name: ScenarioName;
  /** Epoch ms at which the build-up peaks (null for `default`). */
  endMs: number | null;
}

let scenarioState: ScenarioState = { name: 'default', endMs: null };

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

/**
 * Select how the simulated market ends. `endMs` (default: the server clock now) is when an over-leverage build-up
 * peaks; it stays at its peak after that, so the bars that close later stay over-leveraged. Values before
 * `endMs − OVER_LEVERAGE_BUILDUP_MS` are the default market's.
 */
export function setScenario(name: string, endMs: number = simNow()): ScenarioState {
  if (!isScenarioName(name)) {
    throw new Error(`scenario must be one of ${SCENARIOS.join(', ')}; got "${name}"`);
  }
  if (name !== 'default' && (!Number.isFinite(endMs) || endMs < SIM_START_MS)) {
    throw new Error(
      `scenario end must be a finite epoch-ms time at or after ${new Date(SIM_START_MS).toISOString()}; got ${endMs}`
    );
  }
  scenarioState = name === 'default' ? { name, endMs: null } : { name, endMs };
  return { ...scenarioState };
}

/** The active scenario. */
export function getScenario(): ScenarioState {
  return { ...scenarioState };
}

/** Build-up fraction (0 … 1) of the over-leverage scenario at time t (0 for `default` and for USDT). */
function buildUp(asset: string, t: number): number {
  if (scenarioState.endMs === null || asset === 'USDT') {
    return 0;
  }
  const f = (t - (scenarioState.endMs - OVER_LEVERAGE_BUILDUP_MS)) / OVER_LEVERAGE_BUILDUP_MS;
  return f <= 0 ? 0 : f >= 1 ? 1 : f;
}

/** Scenario funding per 8h of hour h of a path (the default value when no build-up is running). */
function scenarioFunding8h(p: AssetPath, asset: string, h: number): number {
  const f = p.funding8h[h];
  const b = buildUp(asset, SIM_START_MS + (h + 1) * HOUR_MS);
  return b === 0 ? f : f + b * (M.max(f, OVER_LEVERAGE_PEAK.fundingFloor8h) - f + OVER_LEVERAGE_PEAK.funding8h);
}

/** Memo of the peak market-wide OI of the over-leverage scenario, per path and scenario end. */
const oiPeakMemo = new WeakMap<object, Map<number, number>>();

/** Market-wide OI (base coin) at the end of hour h, with the scenario's build-up. */
function scenarioOi(p: AssetPath, asset: string, h: number, t: number): number {
  const oi = p.oi[h];
  const b = buildUp(asset, t);
  if (b === 0 || scenarioState.endMs === null) {
    return oi;
  }
  let byEnd = oiPeakMemo.get(p);
  if (!byEnd) {
    byEnd = new Map();
    oiPeakMemo.set(p, byEnd);
  }
  let peak = byEnd.get(scenarioState.endMs);
  if (peak === undefined) {
    const startH = M.floor((scenarioState.endMs - OVER_LEVERAGE_BUILDUP_MS - SIM_START_MS) / HOUR_MS);
    const fromH = M.max(0, startH - M.round(OVER_LEVERAGE_PEAK.oiHighWindowMs / HOUR_MS));
    // the high in USD (the engine sums OI in USD), turned back into coins at the price of the build-up's end
    let hiUsd = 0;
    for (let i = fromH; i <= M.min(startH, p.hours - 1); i++) {
      hiUsd = M.max(hiUsd, p.oi[i] * p.close[i]);
    }
    const endH = M.min(p.hours - 1, M.max(0, M.floor((scenarioState.endMs - SIM_START_MS) / HOUR_MS)));
    peak = (OVER_LEVERAGE_PEAK.oiOverHigh * hiUsd) / p.close[endH];
    byEnd.set(scenarioState.endMs, peak);
  }
  return (1 - b) * oi + b * peak;
}

/* ------------------------------------------------------------------------------------------------
 * Seeded randomness
 * ---------------------------------------------------------------------------------------------- */

/** n uniforms in [0, 1) of the mulberry32 stream `seed` (a loop, not a closure per stream: closures are slow in some runtimes). */
function uniforms(seed: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = M.imul(t ^ (t >>> 15), t | 1);
    t ^= t + M.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/** n standard normals (Box-Muller pairs: cos then sin) from the mulberry32 stream `seed`. */
function gaussians(seed: number, n: number): Float64Array {
  const out = new Float64Array(n);
  // zeros are skipped for the log; a stream of 2n + a few uniforms is plenty
  let u = uniforms(seed, 2 * n + 16);
  let j = 0;
  for (let i = 0; i < n; i += 2) {
    let x = 0;
    while (x === 0) {
      if (j >= u.length) {
        u = uniforms((seed ^ (j * 2654435761)) >>> 0, 2 * n + 16);
        j = 0;
      }
      x = u[j++];
    }
    const y = u[j++];
    const r = M.sqrt(-2 * M.log(x));
    out[i] = r * M.cos(2 * M.PI * y);
    if (i + 1 < n) {
      out[i + 1] = r * M.sin(2 * M.PI * y);
    }
  }
  return out;
}

/** FNV-1a string hash → uint32. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = M.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic uniform in [0, 1) from a string key. */
function hashUnit(s: string): number {
  return uniforms(hashString(s), 1)[0];
}

/* ------------------------------------------------------------------------------------------------
 * Anchors (hand-placed, resembling but not equal to history; SIMULATED)
 * ---------------------------------------------------------------------------------------------- */

type Anchor = [iso: string, price: number];

const BTC_ANCHORS: Anchor[] = [
  ['2019-01-01T00', 3800],
  ['2019-02-08T00', 3400],
  ['2019-06-26T00', 13200],
  ['2019-09-24T00', 8600],
  ['2019-12-18T00', 6700],
  ['2020-02-13T00', 10450],
  ['2020-03-08T00', 8100],
  ['2020-03-12T00', 7800],
  // March-2020-style crash: -45% in ~26 hours, -58% from the February high.
  ['2020-03-13T02', 4350],
  ['2020-03-20T00', 6500],
  ['2020-05-01T00', 8800],
  ['2020-07-20T00', 9200],
  ['2020-10-15T00', 11400],
  ['2020-12-31T00', 29000],
  ['2021-01-22T00', 30500],
  ['2021-02-21T00', 55500],
  ['2021-03-01T00', 45000],
  ['2021-04-14T00', 61500],
  ['2021-05-19T12', 33000],
  ['2021-07-20T00', 29800],
  ['2021-09-06T00', 52500],
  ['2021-09-21T00', 40800],
  // 2021-style euphoric top.
  ['2021-11-10T12', 69000],
  ['2022-01-24T00', 34000],
  ['2022-03-29T00', 47800],
  ['2022-06-18T12', 17600],
  ['2022-08-14T00', 24800],
  ['2022-11-09T12', 15800],
  ['2022-12-31T00', 16500],
  ['2023-04-14T00', 30800],
  ['2023-06-15T00', 25000],
  ['2023-09-11T00', 25100],
  ['2023-12-31T00', 42300],
  ['2024-01-23T00', 38700],
  ['2024-03-14T00', 73500],
  ['2024-08-05T06', 49500],
  ['2024-09-06T00', 53500],
  ['2024-12-17T00', 107000],
  ['2025-04-07T00', 76500],
  ['2025-05-22T00', 111500],
  ['2025-08-14T00', 123500],
  ['2025-10-06T00', 125000],
  ['2025-10-10T23', 105000],
  ['2025-11-21T00', 84000],
  ['2026-01-15T00', 96000],
];

const ETH_ANCHORS: Anchor[] = [
  ['2019-01-01T00', 140],
  ['2019-02-08T00', 105],
  ['2019-06-26T00', 335],
  ['2019-12-18T00', 120],
  ['2020-02-13T00', 285],
  ['2020-03-12T00', 175],
  ['2020-03-13T02', 92],
  ['2020-05-01T00', 210],
  ['2020-09-01T00', 480],
  ['2020-12-31T00', 740],
  ['2021-05-12T00', 4300],
  ['2021-06-22T00', 1750],
  ['2021-11-10T12', 4850],
  ['2022-06-18T12', 900],
  ['2022-08-14T00', 1990],
  ['2022-11-09T12', 1100],
  ['2023-04-14T00', 2120],
  ['2023-10-12T00', 1530],
  ['2024-03-12T00', 4070],
  ['2024-08-05T06', 2150],
  ['2024-12-16T00', 4100],
  ['2025-04-09T00', 1400],
  ['2025-08-24T00', 4950],
  ['2025-11-21T00', 2700],
  ['2026-01-15T00', 3300],
];

const SOL_ANCHORS: Anchor[] = [
  ['2019-01-01T00', 0.9],
  ['2020-03-12T00', 0.95],
  ['2020-03-13T02', 0.55],
  ['2020-12-31T00', 1.5],
  ['2021-09-09T00', 215],
  ['2021-11-06T00', 258],
  ['2022-06-18T12', 27],
  ['2022-12-29T00', 9.8],
  ['2023-12-25T00', 120],
  ['2024-03-18T00', 205],
  ['2025-01-19T00', 290],
  ['2025-04-07T00', 105],
  ['2025-09-18T00', 250],
  ['2025-11-21T00', 128],
  ['2026-01-15T00', 150],
];

interface AssetSpec {
  seed: number;
  anchors: Anchor[];
  /** hourly log-return volatility in calm times */
  sigma: number;
  /** loading on the BTC noise (0 for BTC itself) */
  btcLoading: number;
  /** base-coin open interest, market-wide, at SIM_START and at 2025 */
  oiStart: number;
  oi2025: number;
  /** base-coin spot volume per hour, market-wide */
  volPerHour: number;
  /** annual drift of the free walk after the last anchor */
  drift: number;
}

const SPECS: Record<Exclude<SimAsset, 'USDT'>, AssetSpec> = {
  BTC: {
    seed: 0xb7c,
    anchors: BTC_ANCHORS,
    sigma: 0.0062,
    btcLoading: 0,
    oiStart: 180_000,
    oi2025: 620_000,
    volPerHour: 9_000,
    drift: 0.08,
  },
  ETH: {
    seed: 0xe7e,
    anchors: ETH_ANCHORS,
    sigma: 0.0078,
    btcLoading: 0.75,
    oiStart: 1_900_000,
    oi2025: 7_500_000,
    volPerHour: 160_000,
    drift: 0.08,
  },
  SOL: {
    seed: 0x501,
    anchors: SOL_ANCHORS,
    sigma: 0.0105,
    btcLoading: 0.6,
    oiStart: 2_000_000,
    oi2025: 42_000_000,
    volPerHour: 1_500_000,
    drift: 0.08,
  },
};

function anchorHour(iso: string): number {
  const ms = Date.parse(iso + ':00:00Z');
  if (!Number.isFinite(ms)) {
    throw new Error(`bad anchor time ${iso}`);
  }
  return M.round((ms - SIM_START_MS) / HOUR_MS);
}

/* ------------------------------------------------------------------------------------------------
 * Precomputed hourly path
 * ---------------------------------------------------------------------------------------------- */

/** Hour index h covers [SIM_START + h·1h, SIM_START + (h+1)·1h). `close[h]` is the price at its end. */
interface AssetPath {
  hours: number;
  close: Float64Array;
  /** market-wide spot volume in base coin per hour */
  volume: Float64Array;
  /** funding rate per 8h (decimal), market-wide */
  funding8h: Float64Array;
  /** perp premium over spot at the end of the hour (decimal) */
  basis: Float64Array;
  /** market-wide open interest in base coin at the end of the hour */
  oi: Float64Array;
  /** intra-hour bridge coefficients */
  b1: Float32Array;
  b2: Float32Array;
  b3: Float32Array;
  sigma: number;
  startPrice: number;
}

const FUNDING_CAP_8H = 0.00375;
/** Fixed generation horizon; extended in whole years if the clock passes it (prefix unchanged). */
const BASE_HORIZON_MS = Date.UTC(2031, 0, 1);

const paths = new Map<string, AssetPath>();
let btcNoise: Float64Array | null = null;

function horizonHours(): number {
  let end = BASE_HORIZON_MS;
  const need = simNow() + 366 * 24 * HOUR_MS;
  while (end < need) {
    end += 365 * 24 * HOUR_MS;
  }
  return M.ceil((end - SIM_START_MS) / HOUR_MS);
}

function ensureBtcNoise(n: number): Float64Array {
  if (btcNoise && btcNoise.length >= n) {
    return btcNoise;
  }
  btcNoise = gaussians(0x5eed_b7c1, n);
  return btcNoise;
}

/** Volatility multiplier of the segment after anchor k: higher where the anchor-to-anchor slope is steep (crashes, rallies). */
function segmentVol(anchors: Array<[number, number]>, k: number): number {
  if (k + 1 >= anchors.length) {
    return 1;
  }
  const h0 = anchors[k][0];
  const p0 = anchors[k][1];
  const h1 = anchors[k + 1][0];
  const p1 = anchors[k + 1][1];
  const slopePerDay = M.abs(M.log(p1 / p0)) / M.max(1, (h1 - h0) / 24);
  return M.min(3, 0.8 + slopePerDay * 25);
}

function buildPath(asset: Exclude<SimAsset, 'USDT'>, n: number): AssetPath {
  const spec = SPECS[asset];
  const g = gaussians(spec.seed, n);
  const bn = ensureBtcNoise(n);
  const anchors: Array<[number, number]> = spec.anchors.map(([iso, p]) => [anchorHour(iso), p]);

  // 1) noise increments (partly shared with BTC so the assets co-move)
  const inc = new Float64Array(n);
  const own = M.sqrt(1 - spec.btcLoading * spec.btcLoading);
  let aIdx = 0;
  let vol = segmentVol(anchors, 0) * spec.sigma;
  for (let h = 0; h < n; h++) {
    while (aIdx + 1 < anchors.length && anchors[aIdx + 1][0] <= h) {
      aIdx++;
      vol = segmentVol(anchors, aIdx) * spec.sigma;
    }
    const z = spec.btcLoading > 0 ? spec.btcLoading * bn[h] + own * g[h] : bn[h];
    inc[h] = z * vol;
  }

  // 2) log price: Brownian bridge between anchors, free walk after the last anchor
  const logp = new Float64Array(n);
  const lastAnchorH = anchors[anchors.length - 1][0];
  for (let k = 0; k + 1 < anchors.length; k++) {
    const [h0, p0] = anchors[k];
    const [h1, p1] = anchors[k + 1];
    const len = h1 - h0;
    const l0 = M.log(p0);
    const l1 = M.log(p1);
    // W from h0 (W=0) to h1
    let w = 0;
    const ws = new Float64Array(len + 1);
    for (let i = 1; i <= len; i++) {
      w += inc[h0 + i - 1];
      ws[i] = w;
    }
    for (let i = 0; i <= len && h0 + i < n; i++) {
      const f = i / len;
      logp[h0 + i] = l0 + (l1 - l0) * f + ws[i] - f * ws[len];
    }
  }
  const trendPerHour = spec.drift / (365 * 24);
  const lLast = M.log(anchors[anchors.length - 1][1]);
  for (let h = lastAnchorH + 1; h < n; h++) {
    const trend = lLast + trendPerHour * (h - lastAnchorH);
    logp[h] = logp[h - 1] + inc[h - 1] + trendPerHour - (logp[h - 1] - trend) / 3000;
  }

  const close = new Float64Array(n);
  for (let h = 0; h < n; h++) {
    // logp[h] is the price at the *start* of hour h; close[h] is the start of hour h+1
    close[h] = M.exp(h + 1 < n ? logp[h + 1] : logp[h]);
  }
  const startPrice = M.exp(logp[0]);

  // 3) intra-hour bridge coefficients (candle highs and lows sample the bridge every 5 minutes)
  const b1 = new Float32Array(n);
  const b2 = new Float32Array(n);
  const b3 = new Float32Array(n);
  const g2 = gaussians(spec.seed ^ 0x1a7a, 3 * n);
  for (let h = 0; h < n; h++) {
    b1[h] = g2[3 * h];
    b2[h] = g2[3 * h + 1];
    b3[h] = g2[3 * h + 2];
  }
  const path: AssetPath = {
    hours: n,
    close,
    volume: new Float64Array(n),
    funding8h: new Float64Array(n),
    basis: new Float64Array(n),
    oi: new Float64Array(n),
    b1,
    b2,
    b3,
    sigma: spec.sigma,
    startPrice,
  };
  // 4) leverage index → funding, basis, OI; volume
  const g3s = gaussians(spec.seed ^ 0xf00d, 3 * n);
  let g3i = 0;
  const g3 = () => g3s[g3i++];
  const r3s = uniforms(spec.seed ^ 0xbeef, 3 * n);
  let r3i = 0;
  const rand3 = () => r3s[r3i++];
  let spike = 0;
  let flush = 1;
  let levSmooth = 0;
  const year2025H = M.round((Date.UTC(2025, 0, 1) - SIM_START_MS) / HOUR_MS);
  for (let h = 0; h < n; h++) {
    const p = close[h];
    const p30 = close[M.max(0, h - 720)];
    const p3 = close[M.max(0, h - 72)];
    const prev = h > 0 ? close[h - 1] : startPrice;
    const r = M.log(p / prev);
    const lev = M.tanh(2.2 * M.log(p / p30) + 4 * M.log(p / p3));
    levSmooth += (lev - levSmooth) / 240;

    // funding spikes: rare, in the direction of short-term momentum, decaying over ~a day
    if (rand3() < 1 / 400) {
      const dir = lev >= 0 ? 1 : -1;
      spike += dir * (0.0003 + 0.0012 * rand3()) * (0.5 + M.abs(lev));
    }
    spike *= M.exp(-1 / 20);
    let f = 0.0001 + 0.0006 * lev + 0.0016 * M.max(0, lev - 0.45) ** 2 + spike + 0.00003 * g3();
    // the common exchange floor: calm markets sit at the 0.01% interest-rate component
    if (M.abs(lev) < 0.12 && M.abs(spike) < 0.0001) {
      f = 0.0001 + 0.000005 * g3();
    }
    path.funding8h[h] = M.max(-FUNDING_CAP_8H, M.min(FUNDING_CAP_8H, f));
    path.basis[h] = 2.4 * path.funding8h[h] + 0.0004 * lev + 0.00015 * g3();

    // open interest: build-up with leverage, flush on large moves, slow recovery
    flush += (1 - flush) / 500;
    const absR = M.abs(r);
    if (absR > 0.02) {
      flush *= M.exp(-5 * (absR - 0.02));
    }
    flush = M.max(0.35, flush);
    const growth = spec.oiStart + (spec.oi2025 - spec.oiStart) * M.min(1.25, h / year2025H);
    path.oi[h] = growth * (1 + 0.55 * M.max(-0.6, levSmooth)) * flush;

    path.volume[h] =
      spec.volPerHour * (0.45 + 35 * absR + 0.35 * rand3()) * (1 + 0.3 * M.sin((2 * M.PI * (h % 24)) / 24));
  }
  return path;
}

function buildUsdtPath(n: number): AssetPath {
  const g = gaussians(0x05d7, n);
  const close = new Float64Array(n);
  let dev = 0;
  const crashH = anchorHour('2020-03-13T02');
  for (let h = 0; h < n; h++) {
    dev += -dev / 200 + 0.00012 * g[h];
    // USDT traded at a premium in the March-2020-style crash (flight to stablecoins)
    const crash = h > crashH - 24 && h < crashH + 24 * 10 ? 0.012 * M.exp(-M.abs(h - crashH) / 60) : 0;
    close[h] = 1.0003 + dev + crash;
  }
  const path: AssetPath = {
    hours: n,
    close,
    volume: new Float64Array(n).fill(4_000_000),
    funding8h: new Float64Array(n),
    basis: new Float64Array(n),
    oi: new Float64Array(n),
    b1: new Float32Array(n),
    b2: new Float32Array(n),
    b3: new Float32Array(n),
    sigma: 0.0002,
    startPrice: 1.0003,
  };
  const gb = gaussians(0x05d8, 3 * n);
  for (let h = 0; h < n; h++) {
    path.b1[h] = gb[3 * h];
    path.b2[h] = gb[3 * h + 1];
    path.b3[h] = gb[3 * h + 2];
  }
  return path;
}

function getPath(asset: string): AssetPath {
  if (!isSimAsset(asset)) {
    throw new Error(`unknown simulated asset "${asset}"; allowed: ${SIM_ASSETS.join(', ')}`);
  }
  const need = M.ceil((simNow() - SIM_START_MS) / HOUR_MS) + 2;
  let p = paths.get(asset);
  if (!p || p.hours < need) {
    const n = horizonHours();
    p = asset === 'USDT' ? buildUsdtPath(n) : buildPath(asset, n);
    paths.set(asset, p);
  }
  return p;
}

/** Price of hour h at fraction f ∈ [0,1] (0 = open, 1 = close), before venue and perp adjustments. */
function intraHourPrice(p: AssetPath, h: number, f: number): number {
  const o = h > 0 ? p.close[h - 1] : p.startPrice;
  const c = p.close[h];
  if (f <= 0) {
    return o;
  }
  if (f >= 1) {
    return c;
  }
  const s = M.PI * f;
  const bridge = p.sigma * 0.55 * (p.b1[h] * M.sin(s) + (p.b2[h] * M.sin(2 * s)) / 2 + (p.b3[h] * M.sin(3 * s)) / 3);
  return M.exp(M.log(o) + (M.log(c) - M.log(o)) * f + bridge);
}

/* ------------------------------------------------------------------------------------------------
 * Venues
 * ---------------------------------------------------------------------------------------------- */

interface VenueProfile {
  /** share of market-wide spot volume */
  spotVol: number;
  /** share of market-wide perp volume (perp volume ≈ 3× spot) */
  perpVol: number;
  /** share of market-wide open interest */
  oi: number;
  /** static price offset (decimal) */
  offset: number;
  /** multiplicative funding scale and additive offset per 8h */
  fundScale: number;
  fundOffset: number;
}

const VENUES: Record<string, Partial<VenueProfile>> = {
  binance: { spotVol: 0.32, offset: 0.0002 },
  coinbase: { spotVol: 0.12, offset: 0.0001 },
  bitstamp: { spotVol: 0.03, offset: -0.0001 },
  kraken: { spotVol: 0.04, offset: 0.00005 },
  binanceusdm: { perpVol: 0.34, oi: 0.24, offset: 0.0002, fundScale: 1, fundOffset: 0 },
  bybit: { spotVol: 0.06, perpVol: 0.2, oi: 0.15, offset: 0.00025, fundScale: 1.05, fundOffset: 0.000005 },
  'bybit:inverse': { perpVol: 0.03, oi: 0.04, offset: -0.00005, fundScale: 0.9, fundOffset: -0.00001 },
  okx: { spotVol: 0.06, perpVol: 0.12, oi: 0.09, offset: 0.00018, fundScale: 0.95, fundOffset: 0 },
  bitget: { spotVol: 0.03, perpVol: 0.1, oi: 0.1, offset: 0.00022, fundScale: 1.1, fundOffset: 0.00001 },
  deribit: { perpVol: 0.02, oi: 0.04, offset: -0.0001, fundScale: 0.8, fundOffset: -0.00002 },
  hyperliquid: { perpVol: 0.06, oi: 0.08, offset: 0.00008, fundScale: 1.2, fundOffset: 0.00002 },
  krakenfutures: { perpVol: 0.01, oi: 0.01, offset: -0.00003, fundScale: 0.85, fundOffset: 0 },
};

const profileCache = new Map<string, VenueProfile & { phase: number; periodH: number; amp: number }>();

function venueProfile(venue: string) {
  let v = profileCache.get(venue);
  if (!v) {
    const known = VENUES[venue] ?? {};
    const u = hashUnit('venue:' + venue);
    const u2 = hashUnit('venue2:' + venue);
    v = {
      spotVol: known.spotVol ?? 0.01 + 0.02 * u,
      perpVol: known.perpVol ?? 0.01 + 0.02 * u2,
      oi: known.oi ?? 0.01 + 0.02 * u,
      offset: known.offset ?? (u - 0.5) * 0.0004,
      fundScale: known.fundScale ?? 0.9 + 0.2 * u2,
      fundOffset: known.fundOffset ?? (u - 0.5) * 0.00002,
      phase: 2 * M.PI * u2,
      periodH: 60 + M.floor(200 * u),
      amp: 0.00015 + 0.0001 * u2,
    };
    profileCache.set(venue, v);
  }
  return v;
}

/** Multiplicative venue factor at fractional hour index x (smooth in time). */
function venueFactor(venue: string, asset: string, x: number): number {
  if (asset === 'USDT') {
    return 1;
  }
  const v = venueProfile(venue);
  return 1 + v.offset + v.amp * M.sin((2 * M.PI * x) / v.periodH + v.phase);
}

function basisAt(p: AssetPath, x: number, asset: string): number {
  const h = M.floor(x);
  const f = x - h;
  const b0 = h > 0 ? p.basis[M.min(h - 1, p.hours - 1)] : p.basis[0];
  const b1 = p.basis[M.min(h, p.hours - 1)];
  const extra = OVER_LEVERAGE_PEAK.basisPerFunding * OVER_LEVERAGE_PEAK.funding8h;
  return b0 + (b1 - b0) * f + extra * buildUp(asset, SIM_START_MS + x * HOUR_MS);
}

function priceAt(p: AssetPath, venue: string, asset: string, market: 'spot' | 'perp', t: number): number {
  const x = M.max(0, (t - SIM_START_MS) / HOUR_MS);
  const h = M.min(M.floor(x), p.hours - 1);
  const base = intraHourPrice(p, h, x - h);
  const perp = market === 'perp' ? 1 + basisAt(p, x, asset) : 1;
  return base * perp * venueFactor(venue, asset, x);
}

/* ------------------------------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------------------------------- */

/** Per path and venue market: memoised high/low of whole hours in blocks of 4096 hours (NaN = not computed yet). */
const extremes = new WeakMap<AssetPath, Map<string, { hi: Float64Array; lo: Float64Array }>>();
const BLOCK = 4096;

function hourExtremes(
  p: AssetPath,
  venue: string,
  asset: string,
  market: 'spot' | 'perp',
  h: number,
  adj: (x: number) => number
): { hi: number; lo: number } {
  let byKey = extremes.get(p);
  if (!byKey) {
    byKey = new Map();
    extremes.set(p, byKey);
  }
  const block = M.floor(h / BLOCK);
  // perp highs and lows include the scenario's basis: one memo per scenario
  const key = `${venue}|${asset}|${market}|${block}|${market === 'perp' ? (scenarioState.endMs ?? '') : ''}`;
  let mm = byKey.get(key);
  if (!mm) {
    mm = { hi: new Float64Array(BLOCK).fill(NaN), lo: new Float64Array(BLOCK).fill(NaN) };
    byKey.set(key, mm);
  }
  const i = h - block * BLOCK;
  if (isNaNNum(mm.hi[i])) {
    let hi = NEG_INF;
    let lo = POS_INF;
    for (let m = 0; m <= 12; m++) {
      const q = intraHourPrice(p, h, m / 12) * adj(h + m / 12);
      hi = M.max(hi, q);
      lo = M.min(lo, q);
    }
    mm.hi[i] = hi;
    mm.lo[i] = lo;
  }
  return { hi: mm.hi[i], lo: mm.lo[i] };
}

export interface SimCandle {
  open: number;
  high: number;
  low: number;
  close: number;
  volumeBase: number;
}

/**
 * OHLCV of the candle opening at `openTime` and lasting `durationMs`, for a venue's spot market or
 * perp. `undefined` before SIM_START_MS or when `openTime >= simNow()`. The open candle is partial:
 * its close is the latest price and its volume covers the elapsed part only.
 */
export function candle(
  venue: string,
  asset: string,
  market: 'spot' | 'perp',
  openTime: number,
  durationMs: number
): SimCandle | undefined {
  const now = simNow();
  if (!Number.isFinite(openTime) || !Number.isFinite(durationMs) || durationMs <= 0) {
    return undefined;
  }
  if (openTime < SIM_START_MS || openTime >= now) {
    return undefined;
  }
  const p = getPath(asset);
  const end = M.min(openTime + durationMs, now);
  const v = venueProfile(venue);
  const volShare = market === 'perp' ? 3 * v.perpVol : v.spotVol;
  const x0 = (openTime - SIM_START_MS) / HOUR_MS;
  const x1 = (end - SIM_START_MS) / HOUR_MS;
  const perpAdj = (x: number) => (market === 'perp' ? 1 + basisAt(p, x, asset) : 1);
  const adj = (x: number) => perpAdj(x) * venueFactor(venue, asset, x);

  const open = priceAt(p, venue, asset, market, openTime);
  const close = priceAt(p, venue, asset, market, end);
  let high = M.max(open, close);
  let low = M.min(open, close);
  let volume = 0;
  // walk the hours overlapping [x0, x1)
  for (let h = M.floor(x0); h < x1 && h < p.hours; h++) {
    const a = M.max(x0, h);
    const b = M.min(x1, h + 1);
    if (b <= a) {
      continue;
    }
    // sample the venue price on the 5-minute grid inside [a, b] (endpoints included): the same
    // points for every candle length, so candles of different lengths aggregate exactly
    if (a === h && b === h + 1) {
      const mm = hourExtremes(p, venue, asset, market, h, adj);
      high = M.max(high, mm.hi);
      low = M.min(low, mm.lo);
    } else {
      const m0 = M.ceil((a - h) * 12);
      const m1 = M.floor((b - h) * 12);
      for (let m = m0; m <= m1; m++) {
        const q = intraHourPrice(p, h, m / 12) * adj(h + m / 12);
        high = M.max(high, q);
        low = M.min(low, q);
      }
    }
    volume += p.volume[h] * (b - a);
  }
  return { open, high, low, close, volumeBase: volume * volShare };
}

/** Price of a venue's spot market or perp at time t (mark price for perps). */
export function markPrice(venue: string, asset: string, t: number, market: 'spot' | 'perp'): number {
  const p = getPath(asset);
  return priceAt(p, venue, asset, market, t);
}

/** Open interest in base coin at time t on a venue (its share of a market-wide OI path). */
export function openInterestBase(venue: string, asset: string, t: number): number {
  const p = getPath(asset);
  if (asset === 'USDT') {
    return 0;
  }
  const x = M.max(0, (t - SIM_START_MS) / HOUR_MS);
  const h = M.min(M.floor(x), p.hours - 1);
  const f = x - h;
  const a = h > 0 ? scenarioOi(p, asset, h - 1, t) : p.oi[0];
  const b = scenarioOi(p, asset, h, t);
  const v = venueProfile(venue);
  const wiggle = 1 + 0.04 * M.sin((2 * M.PI * x) / (v.periodH * 3) + v.phase);
  return (a + (b - a) * f) * v.oi * wiggle;
}

/**
 * Funding rate (decimal per interval) settled at `settlementTime` for a venue whose funding
 * interval is `intervalHours`: the mean market 8h rate over the interval, venue-adjusted, scaled
 * to the interval (so a 1h venue pays ≈ the 8h rate / 8) and clamped to ±0.375% per 8h.
 */
export function fundingRate(venue: string, asset: string, settlementTime: number, intervalHours: number): number {
  if (!(intervalHours > 0)) {
    throw new Error(`fundingRate: intervalHours must be > 0, got ${intervalHours}`);
  }
  const p = getPath(asset);
  if (asset === 'USDT') {
    return 0;
  }
  const v = venueProfile(venue);
  const hEnd = M.min(p.hours, M.max(1, M.floor((settlementTime - SIM_START_MS) / HOUR_MS)));
  const hStart = M.max(0, hEnd - M.max(1, M.round(intervalHours)));
  let sum = 0;
  for (let h = hStart; h < hEnd; h++) {
    // the hour's scenario build-up at its end, like the path's hourly values
    sum += scenarioFunding8h(p, asset, h);
  }
  const mean8h = sum / M.max(1, hEnd - hStart);
  const adj = M.max(-FUNDING_CAP_8H, M.min(FUNDING_CAP_8H, mean8h * v.fundScale + v.fundOffset));
  // round like venues do (1e-8)
  return M.round(((adj * intervalHours) / 8) * 1e8) / 1e8;
}

/** Market-wide numbers for tests and docs (not venue-specific). */
export function marketSnapshot(
  asset: string,
  t: number
): { price: number; funding8h: number; basis: number; oiBase: number } {
  const p = getPath(asset);
  const h = M.min(p.hours - 1, M.max(0, M.floor((t - SIM_START_MS) / HOUR_MS)));
  const tEnd = SIM_START_MS + (h + 1) * HOUR_MS;
  return {
    price: p.close[h],
    funding8h: M.max(-FUNDING_CAP_8H, M.min(FUNDING_CAP_8H, scenarioFunding8h(p, asset, h))),
    basis: p.basis[h] + OVER_LEVERAGE_PEAK.basisPerFunding * OVER_LEVERAGE_PEAK.funding8h * buildUp(asset, tEnd),
    oiBase: scenarioOi(p, asset, h, tEnd),
  };
}

/** Drop the precomputed paths (tests: proves that values do not depend on when the path was built). */
export function resetMarketCache(): void {
  paths.clear();
  btcNoise = null;
}
