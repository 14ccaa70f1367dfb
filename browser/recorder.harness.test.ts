/** @jest-environment node */
/**
 * The plugin in Chromium, pointed at a REAL recorder through the emulated data proxy, draws the macro dashboard
 * from it (issue 10, "Proof"). The recorder is the repository's own (recorder/http.ts over its SQLite store in a
 * temporary folder), filled by its import path with what the mock exchanges serve up to 3 days before the last UTC
 * midnight; the 3 days after come live from the mock through the venue routes. The provisioned data source the
 * macro dashboard selects ("BTC Flow", Recorder URL http://recorder:8789) is used as provisioned: the proxy maps the
 * compose service name to the test's recorder, as it maps the mirror's to the mock.
 *
 * Checked: every panel and annotation answers; every frame says its bars came from the recorder, split where the
 * store ends; the values equal the Node-side run (exchange layer straight to the mock + the core's compute); the
 * recorder was reached only through the `recorder` route, once per dashboard load; the charts draw; a recorder with a
 * token gets it from the proxy (secureJsonData) while the page never sends one; a recorder that is down gives live
 * values with a notice. Slow (builds dist/ when stale): run it alone with `npx jest browser/recorder.harness.test.ts`.
 */
import { ExchangeContext } from '../src/exchanges';
import type { BtcFlowOptions, BtcFlowQuery } from '../src/datasource/types';
import type { BarSource } from '../src/datasource/recorderSource';
import { writeArtifact, type ProvisionedDataSource } from './harness';
import { HarnessTemplateSrv, type DashboardVariable } from './host/templateSrv';
import type { ChartPanel, SerializedFrame } from './protocol';
import { compareFrame, referenceRun } from './reference';
import {
  DAY,
  MACRO,
  MACRO_UID,
  loadMacro,
  macroPanels,
  prepareMacro,
  startMacroSetup,
  type MacroSetup,
} from './recorderMacro';

jest.setTimeout(15 * 60_000);

const TO = Math.floor(Date.now() / DAY) * DAY;
const FROM = (() => {
  const d = new Date(TO);
  d.setUTCFullYear(d.getUTCFullYear() - 5);
  return d.getTime();
})();
const RANGE = { from: FROM, to: TO, raw: { from: 'now-5y', to: 'now' } };
/** The store ends here: its last closed daily bar is the day before; later bars are fetched live. */
const CUT = TO - 3 * DAY;
const TOKEN = 'harness-token-7d41';

let s: MacroSetup;
let variables: DashboardVariable[];
let load: Awaited<ReturnType<typeof loadMacro>>;
let provisioned: ProvisionedDataSource;

/** A second data source on a token-protected recorder (same store): the token is in secureJsonData only. */
const TOKEN_DS = (base: ProvisionedDataSource): ProvisionedDataSource => ({
  ...base,
  name: 'BTC Flow (recorder with token)',
  uid: 'harness-recorder-token',
  jsonData: { ...base.jsonData, recorderUrl: 'http://recorder-token:8789' },
  secureJsonData: { recorderToken: TOKEN },
});
const DOWN_DS = (base: ProvisionedDataSource): ProvisionedDataSource => ({
  ...base,
  name: 'BTC Flow (recorder down)',
  uid: 'harness-recorder-down',
  jsonData: { ...base.jsonData, recorderUrl: 'http://recorder-down:8789' },
});

beforeAll(async () => {
  const { readProvisionedDataSources } = await import('./harness');
  provisioned = readProvisionedDataSources('btcflow-flow-datasource').find((d) => d.uid === MACRO_UID)!;
  s = await startMacroSetup({
    from: Date.UTC(2019, 0, 1),
    cut: CUT,
    // a second recorder on the same store that wants a token; and a host nothing listens on
    extraRecorders: [{ host: 'recorder-token:8789', token: TOKEN }],
    downHosts: ['recorder-down:8789'],
    extraDataSources: [TOKEN_DS(provisioned), DOWN_DS(provisioned)],
    log: (m) => console.log(m),
  });
  variables = await prepareMacro(s.h, MACRO_UID, RANGE, 1, [TOKEN_DS(provisioned), DOWN_DS(provisioned)]);
  s.h.server.resetStats();
  load = await loadMacro(s.h, MACRO_UID, RANGE);
  console.log(
    `macro dashboard (weekly, 5 years) from the recorder in Chromium: ${load.ms} ms; store ${s.filled.points} points`
  );
}, 15 * 60_000);

afterAll(async () => {
  await s?.close();
});

const sourceOf = (f: SerializedFrame) => (f.meta?.custom as { source?: BarSource } | undefined)?.source;

describe('the macro dashboard in Chromium, from a real recorder', () => {
  test('every panel answers without error, each frame from the recorder, split where the store ends', () => {
    const panels = macroPanels();
    expect(load.panels.size).toBe(panels.length);
    for (const p of panels) {
      const res = load.panels.get(p.id)!;
      expect({ panel: p.title, thrown: res.thrown, errors: res.errors }).toEqual({
        panel: p.title,
        thrown: undefined,
        errors: [],
      });
      for (const f of res.frames) {
        expect(f.length).toBeGreaterThan(0);
        const src = sourceOf(f)!;
        expect({ panel: p.title, mode: src?.mode }).toEqual({ panel: p.title, mode: 'recorder' });
        expect(src.recorder).toBe('http://recorder:8789');
        expect(src.splitTime).toBe(CUT);
        expect(f.notices.map((n) => n.text)).toContain(
          `Bars before ${new Date(CUT).toISOString().slice(0, 10)} from the recorder (${src.series.filter((x) => x.from !== 'live').length} series); later bars fetched live` +
            (src.series.some((x) => x.from === 'live')
              ? `; not in the recorder, fetched live in full: ${src.series
                  .filter((x) => x.from === 'live')
                  .map((x) => `${x.venue} ${x.kind}`)
                  .join(', ')}`
              : '')
        );
      }
    }
  });

  test("each panel first draws the recorder's bars while the later bars load live, then the completed ones", () => {
    for (const p of macroPanels()) {
      const refIds = p.targets.map((t) => String(t.refId));
      const em = load.emissions.get(p.id)!;
      const last = em[em.length - 1];
      expect({ panel: p.title, state: last.state, final: [...last.final].sort() }).toEqual({
        panel: p.title,
        state: 'Done',
        final: [...refIds].sort(),
      });
      // events (the table; annotations too) are drawn whole: the open bar's events are part of them
      if (p.targets.some((t) => t.format === 'events')) {
        expect({ panel: p.title, partial: em.flatMap((e) => e.partial) }).toEqual({ panel: p.title, partial: [] });
        continue;
      }
      // a panel's targets answer one by one: each target's first frames are the recorder's partial ones
      for (const r of refIds) {
        const first = em.find((e) => e.partial.includes(r) || e.final.includes(r))!;
        expect({ panel: p.title, refId: r, partial: first.partial.includes(r) }).toEqual({
          panel: p.title,
          refId: r,
          partial: true,
        });
      }
    }
  });

  test('the values equal the Node-side run on the mock data (weekly bars over 5 years)', async () => {
    const tpl = new HarnessTemplateSrv();
    tpl.setVariables(variables);
    tpl.updateTimeRange({ from: { valueOf: () => FROM }, to: { valueOf: () => TO } } as never);
    const exchange = new ExchangeContext({ baseUrl: s.mock.url, retries: 1, enableRateLimit: false });
    const problems: string[] = [];
    let compared = 0;
    for (const p of macroPanels()) {
      const res = load.panels.get(p.id)!;
      for (const t of p.targets as unknown as BtcFlowQuery[]) {
        const ref = await referenceRun(t, {
          settings: provisioned.jsonData as BtcFlowOptions,
          tpl: { one: (v) => tpl.replace(v), many: (v) => tpl.replace(v, undefined, 'csv').split(',') },
          range: { from: FROM, to: TO },
          intervalMs: 7 * DAY,
          exchange,
        });
        expect(ref.resolved.timeframe).toBe('1w');
        const frames = res.frames.filter((f) => f.refId === t.refId && !f.fields.some((x) => x.name === 'timeEnd'));
        for (const f of frames) {
          const { mismatches, unknownFields } = compareFrame(f, ref);
          compared += f.fields.length;
          for (const m of mismatches.slice(0, 3)) {
            problems.push(`${p.title} ${t.refId} ${JSON.stringify(m)}`);
          }
          problems.push(...unknownFields.map((u) => `${p.title} ${t.refId}: unknown field ${u}`));
        }
      }
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(30);
  });

  test('the annotations answer from the recorder too, with events over the five years', () => {
    expect(load.annotations.length).toBe(MACRO.annotations.list.length);
    for (const { anno, res } of load.annotations) {
      expect({ anno: anno.name, thrown: res.thrown, errors: res.errors }).toEqual({
        anno: anno.name,
        thrown: undefined,
        errors: [],
      });
    }
    expect(load.annotations.reduce((n, a) => n + a.res.events.length, 0)).toBeGreaterThan(0);
  });

  test('the recorder was reached through the recorder route only, once for the whole dashboard', () => {
    const recorderHits = s.h.server.stats.proxy.filter((p) => p.route === 'recorder');
    expect(recorderHits.length).toBe(1);
    expect(recorderHits[0].status).toBe(200);
    expect(s.h.server.stats.proxy.filter((p) => p.status === 502 || p.error)).toEqual([]);
  });

  test('the charts draw from the recorder-backed frames', async () => {
    const panels: ChartPanel[] = [];
    for (const p of macroPanels().filter((x) => x.type === 'timeseries')) {
      const series = load.panels
        .get(p.id)!
        .frames.flatMap((f) => {
          const time = f.fields.find((x) => x.type === 'time');
          return f.fields
            .filter((x) => x.type === 'number')
            .map((x) => ({ label: x.name, times: time!.values as number[], values: x.values as Array<number | null> }));
        })
        .slice(0, 4);
      panels.push({ title: p.title, series, marks: [] });
    }
    const drawn = await s.h.call('renderDashboard', MACRO.title, panels, 1200);
    expect(drawn.drawn).toBe(panels.length);
    expect(drawn.points).toBeGreaterThan(200);
    writeArtifact('macro-dashboard.png', await s.h.page.locator('#dashboard').screenshot());
  });

  test("a recorder with a token gets it from Grafana's proxy (secureJsonData); the page never sends one", async () => {
    s.h.server.resetStats();
    const res = await s.h.call('query', 'harness-recorder-token', {
      targets: [{ refId: 'A', queryType: 'premium', asset: 'BTC', timeframe: '1w' }],
      range: RANGE,
      intervalMs: 7 * DAY,
    });
    expect(res.errors).toEqual([]);
    expect(sourceOf(res.frames[0])?.mode).toBe('recorder');
    // the guarded recorder answered 200: the proxy added the token from secureJsonData
    const hits = s.h.server.stats.proxy.filter((p) => p.route === 'recorder');
    expect(hits.map((p) => p.status)).toEqual([200]);
    // the page sent no Authorization header on any request, and its data source settings hold no token
    expect(s.h.server.stats.proxy.filter((p) => p.pageSentAuthorization)).toEqual([]);
    expect(s.h.datasources.some((d) => JSON.stringify(d.jsonData ?? {}).includes(TOKEN))).toBe(false);
    const settings = await s.h.page.evaluate(() =>
      JSON.stringify((window as unknown as { grafanaBootData?: unknown }).grafanaBootData ?? {})
    );
    expect(settings).not.toContain(TOKEN);
  });

  test('a recorder that is down: live values, with a notice naming it', async () => {
    const res = await s.h.call('query', 'harness-recorder-down', {
      targets: [{ refId: 'A', queryType: 'premium', asset: 'BTC', timeframe: '1w' }],
      range: RANGE,
      intervalMs: 7 * DAY,
    });
    expect(res.errors).toEqual([]);
    expect(sourceOf(res.frames[0])?.mode).toBe('live');
    expect(res.frames[0].notices.map((n) => n.text).join('\n')).toMatch(
      /Recorder http:\/\/recorder-down:8789 not used/
    );
  });

  test('no uncaught error in the page', async () => {
    expect(await s.h.call('errors')).toEqual([]);
    expect(s.h.pageErrors).toEqual([]);
  });
});
