// Small line charts of an agent's heartbeat metrics over the last hour, drawn as SVG.

import { h, svg } from './dom.js';

const WIDTH = 320;
const HEIGHT = 96;
const PAD = { top: 8, right: 6, bottom: 18, left: 34 };

/**
 * A chart card. points: [{t (ms), v}] oldest first; options: {title, unit ('%' or ''), max (fixed
 * top, else from the data), format(v), windowMs, now}.
 */
export function chart(points, { title, unit = '', max, format = (v) => String(v), windowMs = 3_600_000, now = Date.now() }) {
  const latest = points.length ? points[points.length - 1].v : null;
  const peak = points.reduce((m, p) => Math.max(m, p.v), 0);
  const top = max ?? niceMax(peak);
  const x = (t) => PAD.left + ((t - (now - windowMs)) / windowMs) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - Math.min(v, top) / (top || 1)) * (HEIGHT - PAD.top - PAD.bottom);
  const plotted = points.filter((p) => p.t >= now - windowMs);
  const description = latest === null ? `${title}: no heartbeats in the last hour`
    : `${title} over the last hour: now ${format(latest)}${unit}, peak ${format(peak)}${unit}, ${plotted.length} samples`;

  const grid = [0, 0.5, 1].map((f) => {
    const value = top * f;
    return [
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: 'chart-grid' }),
      svg('text', { x: PAD.left - 4, y: y(value) + 3, class: 'chart-axis', 'text-anchor': 'end' }, text(`${format(value)}${unit}`)),
    ];
  });
  const ticks = [60, 30, 0].map((minutes) => svg('text', {
    x: x(now - minutes * 60_000), y: HEIGHT - 4, class: 'chart-axis',
    'text-anchor': minutes === 60 ? 'start' : minutes === 0 ? 'end' : 'middle',
  }, text(minutes ? `-${minutes}m` : 'now')));

  const shapes = [];
  if (plotted.length) {
    const line = plotted.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    const base = y(0).toFixed(1);
    shapes.push(svg('path', { d: `${line} L${x(plotted[plotted.length - 1].t).toFixed(1)},${base} L${x(plotted[0].t).toFixed(1)},${base} Z`, class: 'chart-area' }));
    shapes.push(svg('path', { d: line, class: 'chart-line' }));
    const last = plotted[plotted.length - 1];
    shapes.push(svg('circle', { cx: x(last.t), cy: y(last.v), r: 3, class: 'chart-dot' }));
    if (plotted.length < 30) {
      for (const p of plotted.slice(0, -1)) shapes.push(svg('circle', { cx: x(p.t), cy: y(p.v), r: 1.8, class: 'chart-point' }));
    }
    if (now - plotted[0].t < windowMs / 12) {
      // A new agent: say why the chart is still nearly empty rather than leave it looking broken.
      shapes.push(svg('text', { x: (PAD.left + WIDTH - PAD.right) / 2, y: PAD.top + (HEIGHT - PAD.top - PAD.bottom) * 0.3,
        'text-anchor': 'middle', class: 'chart-note' }, text('collecting: one sample a minute')));
    }
  }

  return h('figure', { class: 'chart', dataset: { metric: title } },
    h('figcaption', {}, h('span', { class: 'chart-title' }, title),
      h('span', { class: 'chart-value' }, latest === null ? '—' : `${format(latest)}${unit}`)),
    svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': description },
      svg('title', {}, text(description)), ...grid.flat(), ...ticks, ...shapes),
    latest === null ? h('p', { class: 'chart-empty muted' }, 'No heartbeats in the last hour') : null);
}

function text(value) {
  return document.createTextNode(value);
}

function niceMax(value) {
  if (value <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}
