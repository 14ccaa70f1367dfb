import { BtcFlowInputError } from './errors';
import {
  chainLinkedIndexF64,
  fundingAprPct,
  rollingZF64,
  smaF64,
  twapFunding8hF64,
  usualSpacingMs,
} from './numeric';
import { EngineOptions, defaultLookback, resolveOptions } from './options';
import { computeStates, buildEvents, MetricArrays } from './signals';
import { bucketEndMs, bucketStartMs, parseTimeframe, timeframeMs } from './timeframe';
import {
  Bar,
  BarCoverage,
  Bundle,
  Coverage,
  EngineResult,
  FundingSeries,
  OpenInterestSeries,
  PriceSeries,
  Series,
  SeriesCoverage,
  StaleExclusion,
  Timeframe,
  UnconvertedQuote,
} from './types';

/** Options accepted by compute: engine options plus the timeframe (default 1d) and an optional [from, to] range (UTC ms). */
export type ComputeOptions = Partial<EngineOptions> & { timeframe?: Timeframe; from?: number; to?: number };

/** Stablecoins that may be used as USD when no fx series converts them (the coverage output says so). */
export const STABLECOINS = ['USDT', 'USDC', 'BUSD', 'FDUSD', 'TUSD', 'DAI', 'USDP', 'PYUSD', 'USDE', 'USDD'];

/** Upper bound on dense bars per compute call (about 228 years of 1h bars). */
const MAX_BARS = 2_000_000;

interface Resampled {
  /** Time of the last point in each bucket (NaN = none). */
  lastTime: Float64Array;
  /** Value of the last point in each bucket. */
  lastVal: Float64Array;
  /** Sum of volumes in each bucket (NaN = none), only when the series has volumes. */
  vol: Float64Array | null;
  spacing: number;
}

function fmtDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** Labels: venue id, or venue/QUOTE or venue#index when a venue has several series of one kind. */
function makeLabels(series: Series[]): string[] {
  const count = new Map<string, number>();
  for (const s of series) {
    const k = `${s.kind}\u0000${s.venue}`;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const used = new Set<string>();
  return series.map((s, i) => {
    let label = s.venue;
    if ((count.get(`${s.kind}\u0000${s.venue}`) ?? 0) > 1) {
      label = s.kind === 'spot' || s.kind === 'perp' ? `${s.venue}/${s.quote.toUpperCase()}` : `${s.venue}#${i}`;
      if (used.has(`${s.kind}\u0000${label}`)) {
        label = `${s.venue}#${i}`;
      }
    }
    used.add(`${s.kind}\u0000${label}`);
    return label;
  });
}

/** Dense bucket starts / ends covering [tMin, tMax]. */
function makeBuckets(tMin: number, tMax: number, tf: Timeframe): { starts: Float64Array; ends: Float64Array } {
  const first = bucketStartMs(tMin, tf);
  const last = bucketStartMs(tMax, tf);
  if (tf !== '1M') {
    const ms = timeframeMs(tf);
    const n = Math.round((last - first) / ms) + 1;
    if (n > MAX_BARS) {
      throw new BtcFlowInputError('timeframe', `timeframe ${tf}: the bundle spans ${n} bars (max ${MAX_BARS}); use a longer timeframe or a shorter range`);
    }
    const starts = new Float64Array(n);
    const ends = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      starts[i] = first + i * ms;
      ends[i] = starts[i] + ms;
    }
    return { starts, ends };
  }
  const s: number[] = [];
  for (let t = first; t <= last; t = bucketEndMs(t, tf)) {
    s.push(t);
  }
  const starts = Float64Array.from(s);
  const ends = starts.map((t) => bucketEndMs(t, tf));
  return { starts, ends };
}

/** Last point per bucket (and volume sums) of one series; one pass. */
function resample(s: Series, starts: Float64Array, ends: Float64Array, tf: Timeframe): Resampled {
  const nb = starts.length;
  const lastTime = new Float64Array(nb).fill(NaN);
  const lastVal = new Float64Array(nb).fill(NaN);
  const pts = s.points;
  const first = starts[0];
  if (tf !== '1M') {
    const ms = timeframeMs(tf);
    for (let i = 0; i < pts.length; i++) {
      const t = pts[i][0];
      const b = Math.floor((t - first) / ms);
      if (b >= 0 && b < nb) {
        lastTime[b] = t;
        lastVal[b] = pts[i][1];
      }
    }
  } else {
    let b = 0;
    for (let i = 0; i < pts.length; i++) {
      const t = pts[i][0];
      while (b < nb && t >= ends[b]) {
        b++;
      }
      if (b < nb && t >= starts[b]) {
        lastTime[b] = t;
        lastVal[b] = pts[i][1];
      }
    }
  }
  let vol: Float64Array | null = null;
  if (s.volumes && s.volumes.length > 0) {
    vol = new Float64Array(nb).fill(NaN);
    let b = 0;
    for (const [t, v] of s.volumes) {
      while (b < nb && t >= ends[b]) {
        b++;
      }
      if (b < nb && t >= starts[b]) {
        vol[b] = (vol[b] === vol[b] ? vol[b] : 0) + v;
      }
    }
  }
  const spacing = usualSpacingMs(pts);
  return { lastTime, lastVal, vol, spacing: Number.isFinite(spacing) && spacing > 0 ? spacing : timeframeMs(tf) };
}

/**
 * The no-stale rule: within a group (all price series, or all OI series), a venue counts at a bar only if its last
 * point in the bucket is less than one of its usual spacings before the latest point any venue of the group has there.
 * Returns per series a validity mask and fills per-series stale counters.
 */
function staleMask(group: Resampled[], nb: number): { valid: Uint8Array[]; stale: Uint8Array[] } {
  const latest = new Float64Array(nb).fill(-Infinity);
  for (const r of group) {
    for (let b = 0; b < nb; b++) {
      const t = r.lastTime[b];
      if (t > latest[b]) {
        latest[b] = t;
      }
    }
  }
  const valid: Uint8Array[] = [];
  const stale: Uint8Array[] = [];
  for (const r of group) {
    const v = new Uint8Array(nb);
    const st = new Uint8Array(nb);
    for (let b = 0; b < nb; b++) {
      const t = r.lastTime[b];
      if (t === t) {
        if (latest[b] - t < r.spacing) {
          v[b] = 1;
        } else {
          st[b] = 1;
        }
      }
    }
    valid.push(v);
    stale.push(st);
  }
  return { valid, stale };
}

/** Weighted basket of the valid venues at each bar; equal weights unless `useVolume` and every venue has volume. */
function basket(
  vals: Float64Array[],
  vols: Array<Float64Array | null>,
  useVolume: boolean,
  nb: number
): { value: Float64Array; count: Uint16Array; volumeFallbackBars: number } {
  const value = new Float64Array(nb).fill(NaN);
  const count = new Uint16Array(nb);
  let volumeFallbackBars = 0;
  const nv = vals.length;
  for (let b = 0; b < nb; b++) {
    let sum = 0;
    let n = 0;
    let wsum = 0;
    let wnum = 0;
    let volOk = useVolume;
    for (let v = 0; v < nv; v++) {
      const x = vals[v][b];
      if (x === x) {
        sum += x;
        n++;
        if (volOk) {
          const w = vols[v]?.[b] ?? NaN;
          if (w > 0) {
            wsum += w;
            wnum += w * x;
          } else {
            volOk = false;
          }
        }
      }
    }
    if (n > 0) {
      count[b] = n;
      if (useVolume && volOk && wsum > 0) {
        value[b] = wnum / wsum;
      } else {
        value[b] = sum / n;
        if (useVolume) {
          volumeFallbackBars++;
        }
      }
    }
  }
  return { value, count, volumeFallbackBars };
}

function nul(x: number): number | null {
  return x === x && x !== Infinity && x !== -Infinity ? x : null;
}

/** Runs the whole pipeline: resample to bars, baskets, premium, OI, funding, z-scores, states, events, coverage. */
export function compute(bundle: Bundle, options: ComputeOptions = {}): EngineResult {
  const { timeframe: tfRaw, from, to, ...rest } = options;
  const tf = parseTimeframe(tfRaw ?? '1d');
  const opts = resolveOptions(rest);
  if (from !== undefined && (typeof from !== 'number' || !Number.isFinite(from))) {
    throw new BtcFlowInputError('from', `from: must be a time in UTC epoch ms, got ${JSON.stringify(from)}`);
  }
  if (to !== undefined && (typeof to !== 'number' || !Number.isFinite(to))) {
    throw new BtcFlowInputError('to', `to: must be a time in UTC epoch ms, got ${JSON.stringify(to)}`);
  }
  if (from !== undefined && to !== undefined && from > to) {
    throw new BtcFlowInputError('from', `from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`);
  }
  const lookback = opts.lookback === 'auto' ? defaultLookback(tf) : opts.lookback;
  const notes: string[] = [];
  const series = bundle.series;
  const labels = makeLabels(series);

  const seriesCoverage: SeriesCoverage[] = series.map((s, i) => ({
    index: i,
    venue: s.venue,
    kind: s.kind,
    label: labels[i],
    first: s.points.length ? s.points[0][0] : null,
    last: s.points.length ? s.points[s.points.length - 1][0] : null,
    points: s.points.length,
  }));

  let tMin = Infinity;
  let tMax = -Infinity;
  for (const s of series) {
    if (s.kind !== 'fx' && s.points.length > 0) {
      // a funding settled at s applies to (s − h, s]: its data ends just before s
      const lead = s.kind === 'funding' ? s.intervalHours * 3_600_000 - 1 : 0;
      const lag = s.kind === 'funding' ? 1 : 0;
      tMin = Math.min(tMin, s.points[0][0] - lead);
      tMax = Math.max(tMax, s.points[s.points.length - 1][0] - lag);
    }
  }
  const emptyCoverage = (): Coverage => ({ series: seriesCoverage, bars: [], staleExclusions: [], unconvertedQuotes: [], notes });
  if (!(tMin <= tMax)) {
    notes.push('no spot, perp, open-interest or funding points in the bundle: no bars');
    return { timeframe: tf, bars: [], events: [], coverage: emptyCoverage(), notices: notes };
  }
  const { starts, ends } = makeBuckets(tMin, tMax, tf);
  const nb = starts.length;

  // ---- group series -------------------------------------------------------------------------------------------
  const priceIdx: number[] = [];
  const oiIdx: number[] = [];
  const fundIdx: number[] = [];
  const fxIdx: number[] = [];
  series.forEach((s, i) => {
    if (s.kind === 'spot' || s.kind === 'perp') {
      priceIdx.push(i);
    } else if (s.kind === 'openInterest') {
      oiIdx.push(i);
    } else if (s.kind === 'funding') {
      fundIdx.push(i);
    } else {
      fxIdx.push(i);
    }
  });

  // ---- fx: per currency, the last rate per bar carried forward (with its time) ------------------------------------
  const fxByCcy = new Map<string, { rate: Float64Array; time: Float64Array; spacing: number; label: string }>();
  for (const i of fxIdx) {
    const s = series[i] as Extract<Series, { kind: 'fx' }>;
    const [base, quote] = s.pair.toUpperCase().split('/');
    const ccy = quote === 'USD' ? base : base === 'USD' ? quote : null;
    if (ccy === null || ccy === 'USD') {
      notes.push(`fx series ${labels[i]} ${s.pair} ignored: only X/USD or USD/X pairs convert prices`);
      continue;
    }
    if (fxByCcy.has(ccy)) {
      notes.push(`fx series ${labels[i]} ${s.pair} ignored: an earlier ${ccy}/USD series is used`);
      continue;
    }
    const r = resample(s, starts, ends, tf);
    const rate = new Float64Array(nb).fill(NaN);
    const time = new Float64Array(nb).fill(NaN);
    let lr = NaN;
    let lt = NaN;
    for (let b = 0; b < nb; b++) {
      if (r.lastTime[b] === r.lastTime[b]) {
        lt = r.lastTime[b];
        lr = quote === 'USD' ? r.lastVal[b] : 1 / r.lastVal[b];
      }
      rate[b] = lr;
      time[b] = lt;
    }
    fxByCcy.set(ccy, { rate, time, spacing: r.spacing, label: labels[i] });
  }

  // ---- prices: resample, no-stale rule, USD conversion ------------------------------------------------------------
  const priceRes = priceIdx.map((i) => resample(series[i], starts, ends, tf));
  const priceMask = staleMask(priceRes, nb);
  const priceUsd: Float64Array[] = [];
  const unconverted: UnconvertedQuote[] = [];
  priceIdx.forEach((i, k) => {
    const s = series[i] as PriceSeries;
    const r = priceRes[k];
    const valid = priceMask.valid[k];
    const q = s.quote.toUpperCase();
    const out = new Float64Array(nb).fill(NaN);
    const fx = q === 'USD' ? undefined : fxByCcy.get(q);
    const stable = STABLECOINS.includes(q);
    const convert = fx !== undefined && (!stable || opts.stablecoinToUsd);
    if (q !== 'USD' && !stable && fx === undefined) {
      notes.push(`${s.kind} ${labels[i]} quoted in ${q} left out: no ${q}/USD fx series to convert it`);
      priceUsd.push(out);
      return;
    }
    let asIs = 0;
    for (let b = 0; b < nb; b++) {
      if (!valid[b]) {
        continue;
      }
      let x = r.lastVal[b];
      if (convert) {
        const rate = fx!.rate[b];
        const age = r.lastTime[b] - fx!.time[b];
        if (rate === rate && age < 2 * fx!.spacing) {
          x *= rate;
        } else if (stable) {
          asIs++;
        } else {
          continue;
        }
      } else if (q !== 'USD') {
        asIs++;
      }
      out[b] = x;
    }
    if (q !== 'USD' && (asIs > 0 || !convert)) {
      unconverted.push({ label: labels[i], kind: s.kind as 'spot' | 'perp', quote: q });
      notes.push(
        !convert
          ? `${s.kind} ${labels[i]} quoted in ${q} used as USD: ${opts.stablecoinToUsd ? `no ${q}/USD fx series in the input` : 'stablecoinToUsd is false'}`
          : `${s.kind} ${labels[i]} quoted in ${q} used as USD on ${asIs} bars where the ${q}/USD fx series had no recent rate`
      );
    }
    priceUsd.push(out);
  });
  const spotK: number[] = [];
  const perpK: number[] = [];
  priceIdx.forEach((i, k) => (series[i].kind === 'spot' ? spotK : perpK).push(k));
  const useVol = opts.basketWeighting === 'volume';
  const spotB = basket(spotK.map((k) => priceUsd[k]), spotK.map((k) => priceRes[k].vol), useVol, nb);
  const perpB = basket(perpK.map((k) => priceUsd[k]), perpK.map((k) => priceRes[k].vol), useVol, nb);
  if (useVol && spotB.volumeFallbackBars + perpB.volumeFallbackBars > 0) {
    notes.push(`basketWeighting=volume: equal weights used on ${spotB.volumeFallbackBars} spot and ${perpB.volumeFallbackBars} perp basket bars where a venue had no volume`);
  }

  // ---- premium ---------------------------------------------------------------------------------------------------
  const premiumRaw = new Float64Array(nb).fill(NaN);
  for (let b = 0; b < nb; b++) {
    const S = spotB.value[b];
    const P = perpB.value[b];
    if (S === S && P > 0) {
      premiumRaw[b] = ((S - P) / P) * 100;
    }
  }
  const premium = smaF64(premiumRaw, opts.premiumSmoothing);
  const premiumZ = rollingZF64(premium, lookback);

  // ---- open interest ---------------------------------------------------------------------------------------------
  const oiRes = oiIdx.map((i) => resample(series[i], starts, ends, tf));
  const oiMask = staleMask(oiRes, nb);
  const perpByVenue = new Map<string, number[]>();
  perpK.forEach((k) => {
    const v = series[priceIdx[k]].venue;
    perpByVenue.set(v, [...(perpByVenue.get(v) ?? []), k]);
  });
  const oiUsdByVenue: Float64Array[] = oiIdx.map((i, k) => {
    const s = series[i] as OpenInterestSeries;
    const r = oiRes[k];
    const valid = oiMask.valid[k];
    const out = new Float64Array(nb).fill(NaN);
    const own = perpByVenue.get(s.venue) ?? [];
    for (let b = 0; b < nb; b++) {
      if (!valid[b]) {
        continue;
      }
      if (s.unit === 'usd') {
        out[b] = r.lastVal[b];
      } else {
        let px = NaN;
        for (const k2 of own) {
          if (priceUsd[k2][b] === priceUsd[k2][b]) {
            px = priceUsd[k2][b];
            break;
          }
        }
        if (px !== px) {
          px = perpB.value[b];
        }
        out[b] = r.lastVal[b] * px;
      }
    }
    return out;
  });
  const { index: oiIndex, sum: oiSum } = chainLinkedIndexF64(oiUsdByVenue, nb);
  const oiZ = rollingZF64(oiIndex, lookback);
  const oiCount = new Uint16Array(nb);
  for (const col of oiUsdByVenue) {
    for (let b = 0; b < nb; b++) {
      if (col[b] === col[b]) {
        oiCount[b]++;
      }
    }
  }

  // ---- funding ---------------------------------------------------------------------------------------------------
  const fund8h = fundIdx.map((i) => {
    const s = series[i] as FundingSeries;
    return twapFunding8hF64(s.points, s.intervalHours, starts, ends);
  });
  const oiOfVenue = new Map<string, Float64Array>();
  oiIdx.forEach((i, k) => {
    const v = series[i].venue;
    const prev = oiOfVenue.get(v);
    if (!prev) {
      oiOfVenue.set(v, oiUsdByVenue[k]);
    } else {
      const sum = new Float64Array(nb);
      for (let b = 0; b < nb; b++) {
        const a = prev[b];
        const c = oiUsdByVenue[k][b];
        sum[b] = a === a ? (c === c ? a + c : a) : c;
      }
      oiOfVenue.set(v, sum);
    }
  });
  const fundOi = fundIdx.map((i) => oiOfVenue.get(series[i].venue) ?? null);
  const fundingRaw = new Float64Array(nb).fill(NaN);
  const fundCount = new Uint16Array(nb);
  let equalFallback = 0;
  let medianFilled = 0;
  const nf = fundIdx.length;
  const w = new Float64Array(nf);
  for (let b = 0; b < nb; b++) {
    let n = 0;
    let sum = 0;
    let known: number[] | null = null;
    for (let v = 0; v < nf; v++) {
      const x = fund8h[v][b];
      if (x === x) {
        n++;
        sum += x;
        if (opts.fundingWeighting === 'oi') {
          const o = fundOi[v]?.[b] ?? NaN;
          w[v] = o > 0 ? o : NaN;
          if (o > 0) {
            (known ??= []).push(o);
          }
        }
      }
    }
    if (n === 0) {
      continue;
    }
    fundCount[b] = n;
    if (opts.fundingWeighting === 'equal') {
      fundingRaw[b] = sum / n;
    } else if (known === null) {
      fundingRaw[b] = sum / n;
      equalFallback++;
    } else {
      known.sort((a, c) => a - c);
      const m = known.length >> 1;
      const med = known.length % 2 ? known[m] : (known[m - 1] + known[m]) / 2;
      let num = 0;
      let den = 0;
      let filled = false;
      for (let v = 0; v < nf; v++) {
        const x = fund8h[v][b];
        if (x === x) {
          let wv = w[v];
          if (wv !== wv) {
            wv = med;
            filled = true;
          }
          num += x * wv;
          den += wv;
        }
      }
      fundingRaw[b] = num / den;
      if (filled) {
        medianFilled++;
      }
    }
  }
  if (opts.fundingWeighting === 'oi' && equalFallback > 0) {
    notes.push(`fundingWeighting=oi: equal weights on ${equalFallback} bars where no funding venue had a known OI`);
  }
  if (medianFilled > 0) {
    notes.push(`fundingWeighting=oi: on ${medianFilled} bars a funding venue without known OI got the median OI weight of the others`);
  }
  const funding = smaF64(fundingRaw, opts.fundingSmoothing);
  const fundingZ = rollingZF64(funding, lookback);
  const fundingApr = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    fundingApr[b] = fundingAprPct(funding[b]);
  }

  // ---- states ----------------------------------------------------------------------------------------------------
  const metrics: MetricArrays = {
    premium,
    premiumZ,
    oiUsd: oiSum,
    oiZ,
    funding,
    fundingApr,
    fundingZ,
  };
  const { states, score, missing } = computeStates(metrics, nb, opts);

  // ---- slice to [from, to] ---------------------------------------------------------------------------------------
  let i0 = 0;
  let i1 = nb;
  if (from !== undefined) {
    const f = bucketStartMs(from, tf);
    while (i0 < nb && starts[i0] < f) {
      i0++;
    }
  }
  if (to !== undefined) {
    while (i1 > i0 && starts[i1 - 1] > to) {
      i1--;
    }
  }

  // ---- output ----------------------------------------------------------------------------------------------------
  const spotLabels = spotK.map((k) => labels[priceIdx[k]]);
  const perpLabels = perpK.map((k) => labels[priceIdx[k]]);
  const oiLabels = oiIdx.map((i) => labels[i]);
  const fundLabels = fundIdx.map((i) => labels[i]);
  const bars: Bar[] = new Array(i1 - i0);
  const covBars: BarCoverage[] = new Array(i1 - i0);
  const staleAgg = new Map<string, StaleExclusion>();
  const noteStale = (label: string, kind: StaleExclusion['kind'], t: number, into: string[]) => {
    const key = `${kind === 'openInterest' ? 'oi' : kind}:${label}`;
    into.push(key);
    const e = staleAgg.get(key);
    if (e) {
      e.bars++;
      e.lastTime = t;
    } else {
      staleAgg.set(key, { label, kind, bars: 1, firstTime: t, lastTime: t });
    }
  };
  for (let b = i0; b < i1; b++) {
    const spot: Record<string, number | null> = {};
    const perp: Record<string, number | null> = {};
    const oiV: Record<string, number | null> = {};
    const fV: Record<string, number | null> = {};
    const excluded: string[] = [];
    for (let j = 0; j < spotK.length; j++) {
      const k = spotK[j];
      spot[spotLabels[j]] = nul(priceUsd[k][b]);
      if (priceMask.stale[k][b]) {
        noteStale(spotLabels[j], 'spot', starts[b], excluded);
      }
    }
    for (let j = 0; j < perpK.length; j++) {
      const k = perpK[j];
      perp[perpLabels[j]] = nul(priceUsd[k][b]);
      if (priceMask.stale[k][b]) {
        noteStale(perpLabels[j], 'perp', starts[b], excluded);
      }
    }
    for (let j = 0; j < oiIdx.length; j++) {
      oiV[oiLabels[j]] = nul(oiUsdByVenue[j][b]);
      if (oiMask.stale[j][b]) {
        noteStale(oiLabels[j], 'openInterest', starts[b], excluded);
      }
    }
    for (let j = 0; j < nf; j++) {
      fV[fundLabels[j]] = nul(fund8h[j][b]);
    }
    const counts = { spot: spotB.count[b], perp: perpB.count[b], oi: oiCount[b], funding: fundCount[b] };
    bars[b - i0] = {
      time: starts[b],
      timeEnd: ends[b],
      spotUsd: nul(spotB.value[b]),
      perpUsd: nul(perpB.value[b]),
      premiumPct: nul(premium[b]),
      premiumZ: nul(premiumZ[b]),
      oiUsd: nul(oiSum[b]),
      oiIndexUsd: nul(oiIndex[b]),
      oiZ: nul(oiZ[b]),
      fundingRate8h: nul(funding[b]),
      fundingAprPct: nul(fundingApr[b]),
      fundingZ: nul(fundingZ[b]),
      extremeScore: nul(score[b]),
      states: states[b],
      venues: { spot, perp, oiUsd: oiV, funding8h: fV },
      counts,
    };
    covBars[b - i0] = { time: starts[b], ...counts, excluded };
  }
  const staleExclusions = [...staleAgg.values()];
  for (const e of staleExclusions) {
    notes.push(
      `no-stale rule: ${e.kind} ${e.label} left out of ${e.bars} bar${e.bars === 1 ? '' : 's'} (${fmtDay(e.firstTime)}${e.bars > 1 ? ` .. ${fmtDay(e.lastTime)}` : ''}) where its last point was older than its usual spacing before the latest point of another venue`
    );
  }
  notes.push(...missing(i0, i1));
  const events = buildEvents(bars, opts);
  const coverage: Coverage = { series: seriesCoverage, bars: covBars, staleExclusions, unconvertedQuotes: unconverted, notes };
  return { timeframe: tf, bars, events, coverage, notices: notes };
}
