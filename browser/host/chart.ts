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
    grid.appendChild(box);
    const data = alignSeries(panel);
    const hasRight = panel.series.some((s) => s.scale === 'y2');
    const marks = panel.marks ?? [];
    const opts: uPlot.Options = {
      width: panelWidth - 16,
      height: 220,
      scales: { x: { time: true } },
      legend: { show: true },
      cursor: { show: false },
      axes: [
        { stroke: '#ccccdc', grid: { stroke: 'rgba(204,204,220,0.08)' }, ticks: { stroke: 'rgba(204,204,220,0.2)' } },
        { stroke: '#ccccdc', scale: 'y', grid: { stroke: 'rgba(204,204,220,0.08)' }, size: 60 },
        ...(hasRight ? [{ stroke: '#ccccdc', scale: 'y2', side: 1, grid: { show: false }, size: 60 }] : []),
      ],
      series: [
        {},
        ...panel.series.map((s, i) => ({
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            for (const m of marks) {
              const x = u.valToPos(m.time / 1000, 'x', true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) {
                continue;
              }
              ctx.save();
              ctx.strokeStyle = m.color ?? 'rgba(255, 120, 10, 0.8)';
              ctx.setLineDash([4, 3]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            }
          },
        ],
      },
    };
    new uPlot(opts, data, box);
    drawn++;
    points += (data[0] as number[]).length * panel.series.length;
  }
  return { drawn, points };
}
