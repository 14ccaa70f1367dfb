/**
 * Draws the dashboard's series with uPlot (the chart library Grafana's time series panel uses) from the
 * frames the plugin returned. One uPlot per dashboard panel, laid out in a grid like a dashboard.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import type { ChartPanel } from '../protocol';

const PALETTE = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A', '#F2495C', '#5794F2', '#B877D9', '#FF9830'];

/** Aligns series with different time axes on the union of their timestamps (null where a series has no point). */
export function alignSeries(panel: ChartPanel): uPlot.AlignedData {
  const all = new Set<number>();
  panel.series.forEach((s) => s.times.forEach((t) => all.add(t)));
  const times = Array.from(all).sort((a, b) => a - b);
  const index = new Map<number, number>();
  times.forEach((t, i) => index.set(t, i));
  const columns: Array<Array<number | null>> = panel.series.map((s) => {
    const col: Array<number | null> = new Array(times.length).fill(null);
    s.times.forEach((t, i) => {
      const v = s.values[i];
      col[index.get(t)!] = v === null || v === undefined || !Number.isFinite(v) ? null : v;
    });
    return col;
  });
  return [times.map((t) => t / 1000), ...columns] as uPlot.AlignedData;
}

/** Compact axis numbers: 12.3B, 450M, 1.2k, 0.25. */
export function compact(v: number): string {
  const a = Math.abs(v);
  const fmt = (x: number, suffix: string) => `${Number(x.toPrecision(3))}${suffix}`;
  if (a >= 1e9) {
    return fmt(v / 1e9, 'B');
  }
  if (a >= 1e6) {
    return fmt(v / 1e6, 'M');
  }
  if (a >= 1e4) {
    return fmt(v / 1e3, 'k');
  }
  return String(Number(v.toPrecision(3)));
}

function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) {
    return color;
  }
  return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${alpha})`;
}

export function renderDashboard(
  container: HTMLElement,
  title: string,
  panels: ChartPanel[],
  width: number
): { drawn: number; points: number } {
  container.innerHTML = '';
  const header = document.createElement('h2');
  header.textContent = title;
  header.className = 'dash-title';
  container.appendChild(header);
  const grid = document.createElement('div');
  grid.className = 'dash-grid';
  container.appendChild(grid);
  const panelWidth = Math.floor((width - 24) / 2);
  let drawn = 0;
  let points = 0;
  for (const panel of panels) {
    const box = document.createElement('div');
    box.className = 'dash-panel';
    box.setAttribute('data-panel', panel.title);
    const h = document.createElement('div');
    h.className = 'dash-panel-title';
    h.textContent = panel.title;
    box.appendChild(h);
    const plot = document.createElement('div');
    box.appendChild(plot);
    const legend = document.createElement('div');
    legend.className = 'dash-legend';
    panel.series.forEach((s, i) => {
      const item = document.createElement('span');
      item.className = 'dash-legend-item';
      const sw = document.createElement('i');
      sw.style.background = s.color ?? PALETTE[i % PALETTE.length];
      item.appendChild(sw);
      item.appendChild(document.createTextNode(s.label));
      legend.appendChild(item);
    });
    box.appendChild(legend);
    grid.appendChild(box);
    const data = alignSeries(panel);
    const marks = panel.marks ?? [];
    const axisStyle = { stroke: '#ccccdc', font: '11px Inter, Helvetica, Arial, sans-serif' };
    const opts: uPlot.Options = {
      width: panelWidth - 18,
      height: 200,
      scales: { x: { time: true } },
      legend: { show: false },
      cursor: { show: false },
      axes: [
        { ...axisStyle, grid: { stroke: 'rgba(204,204,220,0.08)' }, ticks: { stroke: 'rgba(204,204,220,0.2)' } },
        {
          ...axisStyle,
          scale: 'y',
          grid: { stroke: 'rgba(204,204,220,0.08)' },
          ticks: { stroke: 'rgba(204,204,220,0.2)' },
          size: 52,
          values: (_u: uPlot, splits: number[]) => splits.map(compact),
        },
      ],
      series: [
        {},
        ...panel.series.map((s, i) => ({
          label: s.label,
          scale: 'y',
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          width: 1.25,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      hooks: {
        drawClear: [
          (u: uPlot) => {
            // Annotation regions under the series, like Grafana's annotation bands.
            const ctx = u.ctx;
            for (const m of marks) {
              const x0 = Math.max(u.bbox.left, u.valToPos(m.time / 1000, 'x', true));
              const x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos((m.timeEnd ?? m.time) / 1000, 'x', true));
              if (x1 < u.bbox.left || x0 > u.bbox.left + u.bbox.width) {
                continue;
              }
              ctx.save();
              ctx.fillStyle = withAlpha(m.color ?? '#FF9830', 0.13);
              ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
              ctx.restore();
            }
          },
        ],
      },
    };
    new uPlot(opts, data, plot);
    drawn++;
    points += (data[0] as number[]).length * panel.series.length;
  }
  return { drawn, points };
}
