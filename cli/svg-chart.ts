/**
 * Hand-written SVG line chart for the validation report: several z-score lines on a shared UTC time axis, a ±band,
 * shaded event regions, year ticks and a legend. No dependencies; output is deterministic for a given input.
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
