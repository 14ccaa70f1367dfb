/**
 * Hand-written SVG charts for the validation report: several z-score lines on a shared UTC time axis, a ±band,
 * shaded event regions, year ticks and a legend (renderChart); and a log-scale price line with one lane of onset
 * markers per signal kind (renderPriceChart). No dependencies; output is deterministic for a given input.
 */

export interface ChartLine {
  label: string;
  color: string;
  /** Values aligned with `ChartInput.times`; null breaks the line. */
  values: Array<number | null>;
}

export interface ChartRegion {
  /** Start and exclusive end, UTC epoch ms. */
  start: number;
  end: number;
  kind: string;
}

export interface ChartRegionStyle {
  label: string;
  color: string;
  /** Marker drawn at the top ('top') or bottom ('bottom') edge of the plot. */
  marker: 'top' | 'bottom';
}

export interface ChartInput {
  title: string;
  subtitle?: string;
  /** Bar start times, UTC epoch ms, ascending. */
  times: number[];
  /** Bar length in ms (the x axis ends at the last bar's end). */
  barMs: number;
  lines: ChartLine[];
  regions: ChartRegion[];
  regionStyles: Record<string, ChartRegionStyle>;
  /** Horizontal band at ±band (z units). */
  band: number;
  width?: number;
  height?: number;
}

export interface ChartGeometry {
  left: number;
  right: number;
  top: number;
  bottom: number;
  t0: number;
  t1: number;
  yMax: number;
  x(t: number): number;
  y(v: number): number;
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Plot geometry: x is linear in time from the first bar's start to the last bar's end; y is symmetric around 0 with
 * a half-range of the largest |value| rounded up to a whole z (at least band + 1, at most 8; beyond it values clip).
 */
export function chartGeometry(input: ChartInput): ChartGeometry {
  const width = input.width ?? 1200;
  const height = input.height ?? 480;
  const left = 56;
  const right = width - 20;
  const top = 72;
  const bottom = height - 44;
  const t0 = input.times.length ? input.times[0] : 0;
  const t1 = input.times.length ? input.times[input.times.length - 1] + input.barMs : 1;
  let m = 0;
  for (const l of input.lines) {
    for (const v of l.values) {
      if (v !== null && Number.isFinite(v)) {
        m = Math.max(m, Math.abs(v));
      }
    }
  }
  const yMax = Math.min(8, Math.max(input.band + 1, Math.ceil(m)));
  const span = t1 > t0 ? t1 - t0 : 1;
  return {
    left,
    right,
    top,
    bottom,
    t0,
    t1,
    yMax,
    x: (t) => left + ((t - t0) / span) * (right - left),
    y: (v) => {
      const c = Math.max(-yMax, Math.min(yMax, v));
      return top + ((yMax - c) / (2 * yMax)) * (bottom - top);
    },
  };
}

/** Renders the chart as a standalone SVG document. */
export function renderChart(input: ChartInput): string {
  const width = input.width ?? 1200;
  const height = input.height ?? 480;
  const g = chartGeometry(input);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`
  );
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(`<desc>${esc(input.subtitle ?? input.title)}</desc>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${g.left}" y="18" font-size="15" font-weight="bold" fill="#222">${esc(input.title)}</text>`);
  if (input.subtitle) {
    out.push(`<text x="${g.left}" y="34" fill="#555">${esc(input.subtitle)}</text>`);
  }

  // ±band and zero line
  out.push(
    `<rect class="band" x="${fmt(g.left)}" y="${fmt(g.y(input.band))}" width="${fmt(g.right - g.left)}" ` +
      `height="${fmt(g.y(-input.band) - g.y(input.band))}" fill="#f2f2f2"/>`
  );

  // event regions
  const markers: string[] = [];
  for (const r of input.regions) {
    const st = input.regionStyles[r.kind];
    if (!st) {
      continue;
    }
    const x0 = g.x(Math.max(r.start, g.t0));
    const x1 = g.x(Math.min(r.end, g.t1));
    const w = Math.max(1.5, x1 - x0);
    out.push(
      `<rect class="region" data-kind="${esc(r.kind)}" data-start="${r.start}" data-end="${r.end}" x="${fmt(x0)}" ` +
        `y="${g.top}" width="${fmt(w)}" height="${g.bottom - g.top}" fill="${st.color}" fill-opacity="0.22"/>`
    );
    const cx = x0 + w / 2;
    const my = st.marker === 'top' ? g.top - 4 : g.bottom + 4;
    const dy = st.marker === 'top' ? -7 : 7;
    markers.push(
      `<path d="M${fmt(cx - 4)},${fmt(my + dy)} L${fmt(cx + 4)},${fmt(my + dy)} L${fmt(cx)},${fmt(my)} Z" fill="${st.color}"/>`
    );
  }

  // y grid and labels
  for (let v = -g.yMax; v <= g.yMax; v++) {
    const y = fmt(g.y(v));
    const strong = v === 0;
    const bandLine = Math.abs(v) === input.band;
    out.push(
      `<line x1="${g.left}" y1="${y}" x2="${g.right}" y2="${y}" stroke="${strong ? '#888' : bandLine ? '#999' : '#e4e4e4'}"` +
        `${bandLine ? ' stroke-dasharray="5,4"' : ''} stroke-width="1"/>`
    );
    out.push(
      `<text x="${g.left - 8}" y="${fmt(g.y(v) + 4)}" text-anchor="end" fill="#444">${v > 0 ? '+' : ''}${v}</text>`
    );
  }
  out.push(
    `<text x="14" y="${fmt((g.top + g.bottom) / 2)}" transform="rotate(-90 14 ${fmt((g.top + g.bottom) / 2)})" ` +
      `text-anchor="middle" fill="#444">z-score (population sd)</text>`
  );

  // x axis: a grid line at each 1 January (UTC), the year's label centred on the visible part of its year
  const y0 = new Date(g.t0).getUTCFullYear();
  const y1 = new Date(g.t1).getUTCFullYear();
  const years = y1 - y0 + 1;
  const step = years > 24 ? 5 : years > 12 ? 2 : 1;
  for (let yr = y0; yr <= y1; yr++) {
    const ts = Date.UTC(yr, 0, 1);
    if (ts > g.t0 && ts < g.t1) {
      const x = fmt(g.x(ts));
      out.push(`<line x1="${x}" y1="${g.top}" x2="${x}" y2="${g.bottom}" stroke="#d0d0d0" stroke-width="1"/>`);
      out.push(`<line x1="${x}" y1="${g.bottom}" x2="${x}" y2="${g.bottom + 6}" stroke="#666" stroke-width="1"/>`);
    }
    const xa = g.x(Math.max(ts, g.t0));
    const xb = g.x(Math.min(Date.UTC(yr + 1, 0, 1), g.t1));
    if (xb - xa >= 28 && (yr - y0) % step === 0) {
      out.push(
        `<text class="year" x="${fmt((xa + xb) / 2)}" y="${g.bottom + 24}" text-anchor="middle" fill="#333">${yr}</text>`
      );
    }
  }
  out.push(
    `<rect x="${g.left}" y="${g.top}" width="${g.right - g.left}" height="${g.bottom - g.top}" fill="none" stroke="#666"/>`
  );
  out.push(...markers);

  // lines, broken at nulls
  for (const l of input.lines) {
    let d = '';
    let pen = false;
    l.values.forEach((v, k) => {
      if (v === null || !Number.isFinite(v) || k >= input.times.length) {
        pen = false;
        return;
      }
      const x = g.x(input.times[k] + input.barMs / 2);
      d += `${pen ? 'L' : 'M'}${fmt(x)},${fmt(g.y(v))}`;
      pen = true;
    });
    out.push(
      `<path class="line" data-label="${esc(l.label)}" d="${d}" fill="none" stroke="${l.color}" stroke-width="1.4" stroke-linejoin="round"/>`
    );
  }

  // legend
  let lx = g.left;
  const ly = 50;
  for (const l of input.lines) {
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${l.color}" stroke-width="2.5"/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}" fill="#222">${esc(l.label)}</text>`);
    lx += 40 + l.label.length * 6.5;
  }
  for (const st of Object.values(input.regionStyles)) {
    out.push(`<rect x="${lx}" y="${ly - 6}" width="18" height="12" fill="${st.color}" fill-opacity="0.35"/>`);
    out.push(`<text x="${lx + 24}" y="${ly + 4}" fill="#222">${esc(st.label)}</text>`);
    lx += 36 + st.label.length * 6.5;
  }
  out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="#999" stroke-dasharray="5,4"/>`);
  out.push(`<text x="${lx + 28}" y="${ly + 4}" fill="#222">±${input.band}</text>`);

  out.push('</svg>');
  return out.join('\n') + '\n';
}

/* ------------------------------------------------------------------------------------------------
 * price chart with onset markers (event study)
 * ---------------------------------------------------------------------------------------------- */

export interface OnsetMarker {
  /** Onset time (start of the onset bar), UTC epoch ms. */
  t: number;
  kind: string;
  /** Marker shape: 'tick' (a vertical line) or 'triangle'. */
  shape: 'tick' | 'triangle';
}

export interface PriceChartInput {
  title: string;
  subtitle?: string;
  /** Bar start times, UTC epoch ms, ascending. */
  times: number[];
  barMs: number;
  /** Prices aligned with `times` (> 0; null breaks the line). */
  prices: Array<number | null>;
  priceLabel: string;
  /** One lane per kind below the price, in this order. */
  lanes: Array<{ kind: string; label: string; color: string }>;
  markers: OnsetMarker[];
  /** Vertical dashed line with a label (e.g. the in-sample / out-of-sample split). */
  split?: { t: number; label: string };
  width?: number;
  height?: number;
}

export interface PriceChartGeometry {
  left: number;
  right: number;
  top: number;
  bottom: number;
  laneTop: number;
  laneHeight: number;
  t0: number;
  t1: number;
  /** log10 of the axis ends: the nearest 1, 2 or 5 × 10^k at or below the lowest price and at or above the highest. */
  logMin: number;
  logMax: number;
  x(t: number): number;
  y(price: number): number;
}

/** The nearest 1, 2 or 5 × 10^k at or below (`down`) or at or above x (> 0). */
export function niceLog(x: number, down: boolean): number {
  const e = Math.floor(Math.log10(x));
  const steps = down ? [5, 2, 1] : [1, 2, 5, 10];
  for (const m of steps) {
    const v = m * 10 ** e;
    if (down ? v <= x * (1 + 1e-12) : v >= x * (1 - 1e-12)) {
      return v;
    }
  }
  return 10 ** e;
}

/** Geometry: x linear in time; y logarithmic (base 10) between nice values (1, 2, 5 × 10^k) around the prices. */
export function priceChartGeometry(input: PriceChartInput): PriceChartGeometry {
  const width = input.width ?? 1200;
  const height = input.height ?? 560;
  const left = 100;
  const right = width - 20;
  const top = 60;
  const laneHeight = 18;
  const laneTop = height - 44 - laneHeight * input.lanes.length;
  const bottom = laneTop - 14;
  const t0 = input.times.length ? input.times[0] : 0;
  const t1 = input.times.length ? input.times[input.times.length - 1] + input.barMs : 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of input.prices) {
    if (p !== null && p > 0 && Number.isFinite(p)) {
      lo = Math.min(lo, p);
      hi = Math.max(hi, p);
    }
  }
  const logMin = Number.isFinite(lo) ? Math.log10(niceLog(lo, true)) : 0;
  const logMax = Number.isFinite(hi) ? Math.max(logMin + Math.log10(2), Math.log10(niceLog(hi, false))) : 1;
  const span = t1 > t0 ? t1 - t0 : 1;
  return {
    left,
    right,
    top,
    bottom,
    laneTop,
    laneHeight,
    t0,
    t1,
    logMin,
    logMax,
    x: (t) => left + ((t - t0) / span) * (right - left),
    y: (p) => bottom - ((Math.log10(p) - logMin) / (logMax - logMin)) * (bottom - top),
  };
}

function priceLabel(v: number): string {
  return v >= 1000 ? `${v / 1000}k` : String(v);
}

/** Renders the price chart (log scale) with one lane of onset markers per kind, as a standalone SVG document. */
export function renderPriceChart(input: PriceChartInput): string {
  const width = input.width ?? 1200;
  const height = input.height ?? 560;
  const g = priceChartGeometry(input);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`
  );
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(`<desc>${esc(input.subtitle ?? input.title)}</desc>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${g.left}" y="18" font-size="15" font-weight="bold" fill="#222">${esc(input.title)}</text>`);
  if (input.subtitle) {
    out.push(`<text x="${g.left}" y="34" fill="#555">${esc(input.subtitle)}</text>`);
  }

  // log y grid: 1, 2 and 5 × each power of ten
  for (let e = Math.floor(g.logMin); e <= Math.ceil(g.logMax); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) > g.logMax + 1e-9 || Math.log10(v) < g.logMin - 1e-9) {
        continue;
      }
      const y = fmt(g.y(v));
      out.push(
        `<line class="ygrid" x1="${g.left}" y1="${y}" x2="${g.right}" y2="${y}" stroke="${m === 1 ? '#bbb' : '#e6e6e6'}" stroke-width="1"/>`
      );
      out.push(`<text x="${g.left - 8}" y="${fmt(g.y(v) + 4)}" text-anchor="end" fill="#444">${priceLabel(v)}</text>`);
    }
  }
  out.push(
    `<text x="14" y="${fmt((g.top + g.bottom) / 2)}" transform="rotate(-90 14 ${fmt((g.top + g.bottom) / 2)})" ` +
      `text-anchor="middle" fill="#444">${esc(input.priceLabel)} (log scale)</text>`
  );

  // years
  const y0 = new Date(g.t0).getUTCFullYear();
  const y1 = new Date(g.t1).getUTCFullYear();
  const laneBottom = g.laneTop + g.laneHeight * input.lanes.length;
  for (let yr = y0; yr <= y1; yr++) {
    const ts = Date.UTC(yr, 0, 1);
    if (ts > g.t0 && ts < g.t1) {
      const x = fmt(g.x(ts));
      out.push(`<line x1="${x}" y1="${g.top}" x2="${x}" y2="${laneBottom}" stroke="#e0e0e0" stroke-width="1"/>`);
    }
    const xa = g.x(Math.max(ts, g.t0));
    const xb = g.x(Math.min(Date.UTC(yr + 1, 0, 1), g.t1));
    if (xb - xa >= 28) {
      out.push(
        `<text class="year" x="${fmt((xa + xb) / 2)}" y="${laneBottom + 22}" text-anchor="middle" fill="#333">${yr}</text>`
      );
    }
  }
  out.push(
    `<rect x="${g.left}" y="${g.top}" width="${g.right - g.left}" height="${g.bottom - g.top}" fill="none" stroke="#666"/>`
  );

  // the price line, broken at nulls
  let d = '';
  let pen = false;
  input.prices.forEach((p, k) => {
    if (p === null || !(p > 0) || !Number.isFinite(p) || k >= input.times.length) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${fmt(g.x(input.times[k] + input.barMs / 2))},${fmt(g.y(p))}`;
    pen = true;
  });
  out.push(`<path class="price" d="${d}" fill="none" stroke="#333" stroke-width="1.2" stroke-linejoin="round"/>`);

  // lanes and markers
  input.lanes.forEach((lane, i) => {
    const ly = g.laneTop + i * g.laneHeight;
    out.push(
      `<rect x="${g.left}" y="${ly}" width="${g.right - g.left}" height="${g.laneHeight}" fill="${i % 2 ? '#fafafa' : '#f2f2f2'}"/>`
    );
    out.push(
      `<text x="${g.left - 8}" y="${ly + g.laneHeight / 2 + 4}" text-anchor="end" fill="${lane.color}" font-size="11">${esc(lane.label)}</text>`
    );
  });
  const laneOf = new Map(input.lanes.map((l, i) => [l.kind, i]));
  for (const m of input.markers) {
    const i = laneOf.get(m.kind);
    if (i === undefined || m.t < g.t0 || m.t >= g.t1) {
      continue;
    }
    const color = input.lanes[i].color;
    const x = g.x(m.t);
    const ly = g.laneTop + i * g.laneHeight;
    if (m.shape === 'tick') {
      out.push(
        `<line class="onset" data-kind="${esc(m.kind)}" data-t="${m.t}" x1="${fmt(x)}" y1="${ly + 2}" x2="${fmt(x)}" ` +
          `y2="${ly + g.laneHeight - 2}" stroke="${color}" stroke-width="1.4"/>`
      );
    } else {
      const cy = ly + g.laneHeight / 2;
      out.push(
        `<path class="onset-w" data-kind="${esc(m.kind)}" data-t="${m.t}" d="M${fmt(x - 4)},${fmt(cy + 5)} ` +
          `L${fmt(x + 4)},${fmt(cy + 5)} L${fmt(x)},${fmt(cy - 4)} Z" fill="none" stroke="${color}" stroke-width="1.2"/>`
      );
    }
  }

  if (input.split && input.split.t > g.t0 && input.split.t < g.t1) {
    const x = fmt(g.x(input.split.t));
    out.push(
      `<line class="split" x1="${x}" y1="${g.top}" x2="${x}" y2="${laneBottom}" stroke="#555" stroke-dasharray="6,4" stroke-width="1.2"/>`
    );
    out.push(`<text x="${fmt(g.x(input.split.t) + 6)}" y="${g.top + 14}" fill="#555">${esc(input.split.label)}</text>`);
  }

  // legend: marker shapes
  const ly = 48;
  let lx = g.left;
  out.push(`<line x1="${lx}" y1="${ly - 6}" x2="${lx}" y2="${ly + 6}" stroke="#333" stroke-width="1.4"/>`);
  out.push(`<text x="${lx + 8}" y="${ly + 4}" fill="#222">daily onset</text>`);
  lx += 100;
  out.push(
    `<path d="M${lx - 4},${ly + 5} L${lx + 4},${ly + 5} L${lx},${ly - 4} Z" fill="none" stroke="#333" stroke-width="1.2"/>`
  );
  out.push(`<text x="${lx + 10}" y="${ly + 4}" fill="#222">weekly onset</text>`);

  out.push('</svg>');
  return out.join('\n') + '\n';
}
