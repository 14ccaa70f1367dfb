/**
 * From the store to the engine's bundle format and back: which stored series a (timeframe, range) request reads (the
 * exchange layer's own fetch timeframe and bar grid, so that `export` equals `btc-flow fetch`), the bundle built from
 * them in fetchBundle's series order, and a bundle file turned into store writes (`import`). No HTTP, no CLI here.
 */
import { CliUsageError, parseIsoDate } from '../cli/args';
import {
  SERIES_KINDS,
  type Bundle,
  type FxSeries,
  type Point,
  type Series,
  type SeriesKind,
  type Timeframe,
} from '../src/core/types';
import { fetchTimeframeFor } from '../src/exchanges/fetchSeries';
import { inferIntervalHours } from '../src/exchanges/fetchers';
import { DEFAULT_FX_VENUE, DEFAULT_VENUES, getVenue, isVenueId, VENUES, venueKinds } from '../src/exchanges/registry';
import {
  readManySeriesColumns,
  seriesMetas,
  type RecorderStore,
  type SeriesColumns,
  type SeriesKey,
  type SeriesMeta,
  type SeriesRange,
  type SeriesWrite,
  type StoreTimeframe,
} from './store/types';

export const HOUR_MS = 3_600_000;
export const STORE_TF_MS: Record<Exclude<StoreTimeframe, '*'>, number> = {
  '1h': HOUR_MS,
  '4h': 4 * HOUR_MS,
  '1d': 24 * HOUR_MS,
};

/** fetchBundle's order of kinds within a venue (fx comes last, from one venue). */
export const KIND_ORDER: SeriesKind[] = ['spot', 'perp', 'openInterest', 'funding', 'fx'];

/** Store timeframe of a venue's series for an engine timeframe: what the exchange layer fetches; funding is `*`. */
export function storeTimeframeFor(venue: string, kind: SeriesKind, tf: Timeframe): StoreTimeframe {
  if (kind === 'funding') {
    return '*';
  }
  if (isVenueId(venue)) {
    return fetchTimeframeFor(getVenue(venue), kind, tf);
  }
  return tf === '1h' || tf === '4h' ? tf : '1d';
}

/** Bar length of a store timeframe, ms (0 for funding). */
export function storeStepMs(tf: StoreTimeframe): number {
  return tf === '*' ? 0 : STORE_TF_MS[tf];
}

/**
 * The stored range a request [from, to) reads, exactly as fetchSeries computes it: grid series from the bar that
 * contains `from` to the end of the bar before `to` (capped at the end of the open bar); funding [from, min(to, now + 1)).
 */
export function requestRange(tf: StoreTimeframe, from: number, to: number, now: number): [number, number] {
  if (tf === '*') {
    return [from, Math.min(to, now + 1)];
  }
  const barMs = STORE_TF_MS[tf];
  const openStart = Math.floor(now / barMs) * barMs;
  return [Math.floor(from / barMs) * barMs, Math.min(Math.ceil(to / barMs) * barMs, openStart + barMs)];
}

export interface BundleQuery {
  asset: string;
  timeframe: Timeframe;
  /** UTC epoch ms, inclusive. */
  from: number;
  /** UTC epoch ms, exclusive (the CLI and the API pass their inclusive `to` + 1, as `btc-flow fetch` does). */
  to: number;
  /** Venue ids (default: every registry venue, then any other venue stored for the asset). */
  venues?: string[];
  kinds?: SeriesKind[];
  /** Clock for the open bar (default Date.now()). */
  now?: number;
}

/** One series a bundle request may read: its store key and the stored range [start, end). */
export interface BundleRead {
  venue: string;
  kind: SeriesKind;
  key: SeriesKey;
  range: [number, number];
}

/**
 * The series a bundle request reads, in fetchBundle's order: per venue the kinds it serves, then the fx candidates
 * (the default fx venue first; the bundle takes the first that has points).
 */
export async function planBundleReads(store: RecorderStore, q: BundleQuery): Promise<BundleRead[]> {
  const now = q.now ?? Date.now();
  const kinds = q.kinds ?? [...SERIES_KINDS];
  let venues = q.venues;
  if (!venues) {
    const stored = await store.listKeys({ asset: q.asset });
    const extra = [...new Set(stored.map((s) => s.venue).filter((v) => !isVenueId(v)))].sort();
    venues = [...DEFAULT_VENUES, ...extra];
  }
  const reads: BundleRead[] = [];
  const add = (venue: string, kind: SeriesKind) => {
    const tf = storeTimeframeFor(venue, kind, q.timeframe);
    const range = requestRange(tf, q.from, q.to, now);
    if (range[0] < range[1]) {
      reads.push({ venue, kind, key: { asset: q.asset, venue, kind, timeframe: tf }, range });
    }
  };
  for (const venue of new Set(venues)) {
    const served = isVenueId(venue) ? venueKinds(getVenue(venue)) : KIND_ORDER.filter((k) => k !== 'fx');
    for (const kind of KIND_ORDER) {
      if (kind !== 'fx' && kinds.includes(kind) && served.includes(kind)) {
        add(venue, kind);
      }
    }
  }
  if (kinds.includes('fx') && q.asset !== 'USDT') {
    for (const v of [DEFAULT_FX_VENUE, ...VENUES.filter((x) => x.fx && x.id !== DEFAULT_FX_VENUE).map((x) => x.id)]) {
      add(v, 'fx');
    }
  }
  return reads;
}

/** The store ranges of planned reads (what `readManySeriesColumns` and `countManyPoints` take). */
export function readRanges(reads: BundleRead[]): SeriesRange[] {
  return reads.map((r) => ({ key: r.key, from: r.range[0], to: r.range[1] }));
}

/**
 * Builds the bundle of `q` from the store: series in fetchBundle's order, empty ones left out (as `btc-flow fetch`).
 * All planned series are read at once (`readManySeriesColumns`: one round trip on PostgreSQL), fx candidates
 * included; the first fx candidate with points is kept. Then the meta of the kept series, also at once.
 */
export async function bundleFromStore(
  store: RecorderStore,
  q: BundleQuery,
  /** The plan of `q` when the caller has it already (the API counts it first). */
  planned?: BundleRead[]
): Promise<Bundle> {
  const reads = planned ?? (await planBundleReads(store, q));
  const cols = await readManySeriesColumns(store, readRanges(reads));
  const kept: number[] = [];
  let fxDone = false;
  reads.forEach((r, i) => {
    if (cols[i].ts.length === 0 || (r.kind === 'fx' && fxDone)) {
      return;
    }
    kept.push(i);
    fxDone ||= r.kind === 'fx';
  });
  const metas = await seriesMetas(
    store,
    kept.map((i) => reads[i].key)
  );
  return { asset: q.asset, series: kept.map((i, j) => seriesOf(reads[i], cols[i], metas[j] ?? {})) };
}

/** The note `export` and the bundle API put in the bundle (the same text, so both outputs are identical). */
export function bundleNote(asset: string, timeframe: Timeframe, from: number, toInclusive: number): string {
  return `served by the btc-flow recorder: ${asset} ${timeframe} ${new Date(from).toISOString()} .. ${new Date(toInclusive).toISOString()}`;
}

function seriesOf(r: BundleRead, cols: SeriesColumns, meta: SeriesMeta): Series {
  const { venue, kind } = r;
  const { ts, value, volume } = cols;
  const points: Point[] = new Array(ts.length);
  for (let i = 0; i < ts.length; i++) {
    points[i] = [ts[i], value[i]];
  }
  switch (kind) {
    case 'spot':
    case 'perp': {
      // volumes only when every point has one, as before
      const vol = volume !== null && volume.every((v) => v !== null) ? (volume as number[]) : null;
      const volumes: Point[] | undefined = vol ? ts.map((t, i) => [t, vol[i]]) : undefined;
      return { kind, venue, quote: meta.quote ?? 'USD', points, ...(volumes ? { volumes } : {}) };
    }
    case 'fx':
      return { kind: 'fx', venue, pair: meta.pair ?? 'USDT/USD', points };
    case 'openInterest':
      return { kind: 'openInterest', venue, unit: meta.unit ?? 'base', points };
    case 'funding': {
      const fallback = isVenueId(venue) ? (getVenue(venue).funding?.intervalHours ?? 8) : (meta.intervalHours ?? 8);
      return {
        kind: 'funding',
        venue,
        intervalHours: inferIntervalHours(points, fallback),
        points,
      };
    }
  }
}

/* ------------------------------------------------------------------------------------------------ import */

export interface ImportPlan {
  writes: SeriesWrite[];
  notices: string[];
  points: number;
}

/** Nearest store timeframe to the median spacing of `points` (within 1 %), or undefined. */
export function inferStoreTimeframe(points: Point[]): Exclude<StoreTimeframe, '*'> | undefined {
  if (points.length < 2) {
    return undefined;
  }
  const d: number[] = [];
  for (let i = 1; i < points.length; i++) {
    d.push(points[i][0] - points[i - 1][0]);
  }
  d.sort((a, b) => a - b);
  const med = d[Math.floor(d.length / 2)];
  for (const [tf, ms] of Object.entries(STORE_TF_MS) as Array<[Exclude<StoreTimeframe, '*'>, number]>) {
    if (Math.abs(med - ms) <= ms * 0.01) {
      return tf;
    }
  }
  return undefined;
}

/**
 * Turns a validated bundle into store writes (source `import`). Each grid series' timeframe comes from its point
 * spacing (a one-point series takes `timeframe`, else the bundle's most common one). Points of bars not closed at
 * `now` are left out with a notice: the store keeps closed bars.
 */
export function planImport(bundle: Bundle, now: number, timeframe?: Timeframe): ImportPlan {
  const notices: string[] = [];
  const asset = bundle.asset.trim().toUpperCase();
  const inferred = bundle.series.map((s) => (s.kind === 'funding' ? undefined : inferStoreTimeframe(s.points)));
  const counts = new Map<string, number>();
  for (const t of inferred) {
    if (t) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }
  const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as StoreTimeframe | undefined;
  const fallbackTf: StoreTimeframe | undefined = timeframe
    ? timeframe === '1h' || timeframe === '4h'
      ? timeframe
      : '1d'
    : common;
  const writes: SeriesWrite[] = [];
  let total = 0;
  bundle.series.forEach((s, i) => {
    const where = `series[${i}] (${s.venue} ${s.kind})`;
    let tf: StoreTimeframe | undefined = s.kind === 'funding' ? '*' : (inferred[i] ?? fallbackTf);
    if (!tf) {
      notices.push(`${where}: left out: cannot tell its timeframe from ${s.points.length} point(s); pass --timeframe`);
      return;
    }
    if (s.kind !== 'funding' && inferred[i] === undefined && s.points.length > 1) {
      notices.push(`${where}: points are not spaced 1h, 4h or 1d apart; stored as ${tf}`);
    }
    const step = storeStepMs(tf);
    const vol = new Map((s.volumes ?? []).map((p) => [p[0], p[1]]));
    const kept = s.points.filter((p) => step === 0 || p[0] + step <= now);
    if (kept.length < s.points.length) {
      notices.push(`${where}: ${s.points.length - kept.length} point(s) of a bar not yet closed left out`);
    }
    if (kept.length === 0) {
      return;
    }
    tf = tf as StoreTimeframe;
    const meta: SeriesMeta =
      s.kind === 'spot' || s.kind === 'perp'
        ? { quote: s.quote }
        : s.kind === 'openInterest'
          ? { unit: s.unit }
          : s.kind === 'funding'
            ? { intervalHours: s.intervalHours }
            : { pair: (s as FxSeries).pair };
    writes.push({
      key: { asset, venue: s.venue, kind: s.kind, timeframe: tf },
      meta,
      source: 'import',
      points: kept.map((p) => ({ ts: p[0], value: p[1], volume: vol.get(p[0]) ?? null })),
    });
    total += kept.length;
    if (!isVenueId(s.venue)) {
      notices.push(`${where}: ${s.venue} is not a registry venue; stored, and served after the registry venues`);
    }
  });
  return { writes, notices, points: total };
}

/**
 * Parses a time given as epoch-ms digits or an ISO date / date-time (UTC when no zone is given, as the CLI reads
 * --from). Throws a CliUsageError naming `field` and the accepted forms.
 */
export function parseTime(raw: string, field: string): number {
  const t = raw.trim();
  if (/^\d{1,15}$/.test(t)) {
    return Number(t);
  }
  try {
    return parseIsoDate(t, field);
  } catch {
    throw new CliUsageError(
      `${field}: bad time ${JSON.stringify(raw)}; expected epoch milliseconds or an ISO date such as 2021-04-14 or 2021-04-14T08:00:00Z`
    );
  }
}
