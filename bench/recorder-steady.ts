/**
 * Child process of bench/recorder.ts: the recorder alone (store, exchange layer, run loop) on a clock the parent
 * drives over IPC, so that its RSS is measured without the mock exchange server, which runs in the parent.
 * Messages in: {type: 'init', url, db, clock} | {type: 'tick', clock} | {type: 'stop'}; out: one reply each.
 */
import { ExchangeContext } from '../src/exchanges/context';
import { Recorder, RECORDER_CACHE_POINTS } from '../recorder/run';
import { openSqliteStore } from '../recorder/store/sqlite';
import type { RecorderStore } from '../recorder/store/types';

let clock = 0;
let rec: Recorder | undefined;
let store: RecorderStore | undefined;

/** Current RSS, and the peak since start (resourceUsage().maxRSS, KB). */
const rss = () => process.memoryUsage().rss;
const peak = () => Math.max(rss(), process.resourceUsage().maxRSS * 1024);

process.on('message', async (m: { type: string; url?: string; db?: string; clock?: number }) => {
  if (m.type === 'init') {
    clock = m.clock!;
    store = await openSqliteStore(m.db!);
    const ctx = new ExchangeContext({
      baseUrl: m.url,
      now: () => clock,
      timeoutMs: 120_000,
      cacheMaxPoints: RECORDER_CACHE_POINTS,
    });
    rec = new Recorder({
      store,
      ctx,
      assets: ['BTC', 'ETH'],
      timeframes: ['1h', '1d'],
      fillDays: { '1h': 7, '4h': 30, '1d': 60, '*': 7 },
      pollDelayMs: 0,
    });
    const t = Date.now();
    await rec.cycle();
    process.send!({
      type: 'filled',
      series: rec.states.length,
      failing: rec.states.filter((s) => s.failures > 0).length,
      fillSecs: (Date.now() - t) / 1000,
      rss: rss(),
      peak: peak(),
    });
  } else if (m.type === 'tick') {
    clock = m.clock!;
    const due = rec!.states.filter((s) => s.due <= clock).length;
    await rec!.cycle();
    process.send!({
      type: 'ticked',
      due,
      failing: rec!.states.filter((s) => s.failures > 0).length,
      rss: rss(),
      peak: peak(),
    });
  } else {
    await store?.close();
    process.send!({ type: 'stopped' }, () => process.exit(0));
  }
});
