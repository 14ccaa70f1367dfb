/**
 * The recorder's run loop: on start it fills what each series lacks within its fill depth (REST reach), then polls
 * each series once per bar, closed bars only (current-only open interest: one snapshot per bar, marked as read while
 * its bar was open). A failing series is retried with backoff and never stops the others. Everything it does is
 * reported as events (`request`, `barClosed`, `notice`) so that an exporter or an alert evaluator can subscribe.
 */
import { bucketStartMs } from '../src/core/timeframe';
import type { SeriesKind, Timeframe } from '../src/core/types';
import type { ExchangeContext } from '../src/exchanges/context';
import { storeStepMs } from './bundle';
import { fillSeries, pollCurrentOi, RecordedSeries, recordedSeries, RecorderEvents } from './rest';
import { seriesId, type SeriesOwnership } from './store/pglocks';
import type { RecorderStore, StoreTimeframe } from './store/types';

const DAY_MS = 86_400_000;

/**
 * Points the exchange layer's in-memory cache keeps in the recorder (its default, 500k, suits a browser). The store is
 * the recorder's cache: every poll asks only for the bars after the covered range, so a small cache costs no request.
 */
export const RECORDER_CACHE_POINTS = 20_000;

/** How far back the first fill reaches per store timeframe, in days (the venues' REST reach caps it further). */
export const DEFAULT_FILL_DAYS: Record<StoreTimeframe, number> = { '1h': 90, '4h': 365, '1d': 5 * 365, '*': 365 };

export interface RecorderOptions {
  store: RecorderStore;
  ctx: ExchangeContext;
  assets: string[];
  timeframes: Timeframe[];
  venues?: string[];
  kinds?: SeriesKind[];
  fillDays?: Partial<Record<StoreTimeframe, number>>;
  /** Wait after a bar closes before polling it, ms (venues publish a closed bar a moment late). Default 5000. */
  pollDelayMs?: number;
  /** First retry wait after a failure, ms; doubles per failure, capped at one bar. Default 30000. */
  retryBaseMs?: number;
  events?: RecorderEvents;
  /**
   * Poll every series at least this often, ms, besides once per bar (a fill finds nothing missing and asks nothing,
   * except current-only open interest: one snapshot per poll). Also the lock check interval of replicas. Default: none.
   */
  pollIntervalMs?: number;
  /** Replicas: record only the series this replica holds (PostgreSQL advisory locks, see store/pglocks.ts). */
  ownership?: SeriesOwnership;
}

/** How often a replica checks the series locks (takes free series, hands back surplus) without a poll interval. */
export const DEFAULT_LOCK_CHECK_MS = 30_000;

export interface SeriesState {
  series: RecordedSeries;
  /** Bar length between polls, ms. */
  stepMs: number;
  /** When the next poll is due, UTC epoch ms. */
  due: number;
  failures: number;
  lastOk: number | null;
  lastError: string | null;
}

export class Recorder {
  readonly events: RecorderEvents;
  readonly states: SeriesState[];
  private readonly delay: number;
  private readonly retryBase: number;
  private readonly fillDays: Record<StoreTimeframe, number>;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private lastBucket = new Map<string, number>();
  private cycling: Promise<void> | undefined;
  /** Replicas: series ids held (null before the first lock check), ids being filled now, the lock check timer. */
  private held: Set<string> | null = null;
  private readonly inFlight = new Set<string>();
  private claimTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;

  constructor(readonly opts: RecorderOptions) {
    this.events = opts.events ?? new RecorderEvents();
    this.delay = opts.pollDelayMs ?? 5000;
    this.retryBase = opts.retryBaseMs ?? 30_000;
    this.fillDays = { ...DEFAULT_FILL_DAYS, ...(opts.fillDays ?? {}) };
    const finest = Math.min(...opts.timeframes.map((tf) => storeStepMs(tf === '1h' || tf === '4h' ? tf : '1d')));
    this.states = recordedSeries(opts.assets, opts.timeframes, opts.venues, opts.kinds).map((series) => ({
      series,
      // funding settles every 1-8 h: polled at the finest timeframe's pace
      stepMs: series.key.timeframe === '*' ? finest : storeStepMs(series.key.timeframe),
      due: 0,
      failures: 0,
      lastOk: null,
      lastError: null,
    }));
  }

  /** Runs one cycle: every due series is filled or polled (venues in parallel), then bar-close events are emitted. */
  cycle(): Promise<void> {
    if (!this.cycling) {
      this.cycling = this.doCycle().finally(() => {
        this.cycling = undefined;
      });
    }
    return this.cycling;
  }

  private async doCycle(): Promise<void> {
    const { ctx, store } = this.opts;
    const now = ctx.now();
    const due = this.mine().filter((s) => s.due <= now);
    const byVenue = new Map<string, SeriesState[]>();
    for (const s of due) {
      byVenue.set(s.series.key.venue, [...(byVenue.get(s.series.key.venue) ?? []), s]);
    }
    await Promise.all(
      [...byVenue.values()].map(async (list) => {
        for (const st of list) {
          const s = st.series;
          if (this.opts.ownership && !this.opts.ownership.holds(seriesId(s.key))) {
            continue; // handed back to another replica since the cycle began
          }
          this.inFlight.add(seriesId(s.key));
          const opts = { store, ctx, events: this.events, now };
          const r = s.currentOnly
            ? await pollCurrentOi(s, opts)
            : await fillSeries(s, now - this.fillDays[s.key.timeframe] * DAY_MS, now, opts);
          this.inFlight.delete(seriesId(s.key));
          const barDue = Math.floor(now / st.stepMs) * st.stepMs + st.stepMs + this.delay;
          const nextBar = this.opts.pollIntervalMs ? Math.min(barDue, now + this.opts.pollIntervalMs) : barDue;
          if (r.failures.length) {
            st.failures++;
            st.lastError = r.failures[0];
            st.due = now + Math.min(this.retryBase * 2 ** (st.failures - 1), st.stepMs);
            this.events.emit('notice', `recorder: ${r.failures[0]} (retry in ${Math.round((st.due - now) / 1000)} s)`);
          } else {
            st.failures = 0;
            st.lastError = null;
            st.lastOk = now;
            st.due = nextBar;
          }
        }
      })
    );
    for (const asset of this.opts.assets) {
      for (const tf of this.opts.timeframes) {
        const id = `${asset}|${tf}`;
        const bucket = bucketStartMs(now, tf);
        const prev = this.lastBucket.get(id);
        if (prev !== undefined && bucket > prev) {
          this.events.emit('barClosed', {
            asset,
            timeframe: tf,
            barTime: bucketStartMs(bucket - 1, tf),
            barEnd: bucket,
          });
        }
        this.lastBucket.set(id, bucket);
      }
    }
  }

  /** Starts the loop (first cycle at once). Resolves after the first cycle (the fill) is done. */
  async start(): Promise<void> {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    const own = this.opts.ownership;
    if (own) {
      // lock checks run on their own timer, so that a long fill never delays a takeover
      await this.claim(own);
      this.claimTimer = setInterval(() => {
        this.claiming ??= this.claim(own).finally(() => {
          this.claiming = undefined;
        });
      }, this.opts.pollIntervalMs ?? DEFAULT_LOCK_CHECK_MS);
    }
    await this.cycle();
    this.loopDone = this.loop();
  }

  /** The series this process records: all of them, or the ones whose lock this replica holds. */
  private mine(): SeriesState[] {
    const held = this.held;
    return this.opts.ownership ? this.states.filter((s) => held?.has(seriesId(s.series.key))) : this.states;
  }

  /** One lock check: takes free series up to the fair share (due at once: fill what is missing), hands back surplus. */
  private async claim(own: SeriesOwnership): Promise<void> {
    const before = this.held ?? new Set<string>();
    this.held = await own.claim(
      this.states.map((s) => s.series.key),
      this.inFlight
    );
    let gained = false;
    for (const st of this.states) {
      const id = seriesId(st.series.key);
      if (this.held.has(id) && !before.has(id)) {
        st.due = 0;
        gained = true;
      }
    }
    if (gained) {
      this.wake?.();
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const next = Math.min(...this.mine().map((s) => s.due));
      // the clock of the exchange context may be simulated; timers use real time, at most a minute at a time
      const floor = Math.min(250, this.opts.pollIntervalMs ?? 250);
      const wait = Math.max(floor, Math.min(60_000, next - this.opts.ctx.now()));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait);
      });
      if (!this.stopped) {
        await this.cycle();
      }
    }
  }

  /** Stops the loop and waits for the cycle in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.claimTimer);
    clearTimeout(this.timer);
    this.wake?.();
    await this.loopDone;
    await this.cycling;
    await this.claiming;
  }

  /** Per-series state for /api/v1/health. */
  health(): Record<string, unknown> {
    const failing = this.states.filter((s) => s.failures > 0);
    const own = this.opts.ownership;
    return {
      recorder: {
        series: this.states.length,
        ...(own ? { replica: own.replicaId, held: [...own.held()].sort() } : {}),
        failing: failing.map((s) => ({
          series: `${s.series.key.asset} ${s.series.key.venue} ${s.series.key.kind} ${s.series.key.timeframe}`,
          failures: s.failures,
          lastError: s.lastError,
          nextAttempt: s.due,
        })),
      },
    };
  }
}
