// The "Last hour" charts of the operator dashboard: inline SVG drawn from GET /admin/stats/timeseries (one-minute
// buckets, oldest first). No library and no build step, so the page works offline. Every bar and line carries its
// numbers in data-* attributes, and each legend item its total over the hour, so what is drawn can be read back.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const CHART = { height: 150, left: 32, right: 8, top: 8, bottom: 20 };

// Stacking order, bottom up; outcomes the page does not know yet are drawn after these, in a neutral colour.
const DELIVERY_SERIES = ['accepted', 'duplicate', 'quarantined', 'rejected', 'unavailable', 'rate_limited', 'aborted'];
const FAILURE_SERIES = ['retried', 'dead_lettered'];
const BACKLOG_SERIES = ['pending', 'dead'];
// In the legend even at zero: "no failures" is an answer too.
const ALWAYS_SHOWN = ['accepted', 'duplicate', 'rejected', 'retried', 'dead_lettered'];

function svgEl(tag, attributes) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  return node;
}

// A round upper bound for the y axis, so the scale reads at a glance (1, 2, 5, 10, 20, 50...).
function niceMax(value) {
  if (value <= 1) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function minuteLabel(iso) {
  const date = new Date(iso);
  return isNaN(date) ? '' : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

// The chart's size in CSS pixels: the SVG is drawn 1:1 (its viewBox is its size), so text and bars are never stretched.
function sizeOf(figure) {
  return { ...CHART, width: Math.max(240, Math.round(figure.querySelector('.plot').getBoundingClientRect().width)) };
}

function frame(svg, size, max, minutes) {
  const { width, height, left, right, top, bottom } = size;
  const plotBottom = height - bottom;
  svg.append(svgEl('line', { x1: left, y1: plotBottom, x2: width - right, y2: plotBottom, class: 'axis' }));
  svg.append(svgEl('line', { x1: left, y1: top, x2: width - right, y2: top, class: 'grid' }));
  const maxLabel = svgEl('text', { x: left - 6, y: top + 4, class: 'tick', 'text-anchor': 'end' });
  maxLabel.textContent = String(max);
  const zeroLabel = svgEl('text', { x: left - 6, y: plotBottom, class: 'tick', 'text-anchor': 'end' });
  zeroLabel.textContent = '0';
  svg.append(maxLabel, zeroLabel);
  const step = (width - left - right) / minutes.length;
  const ticks = [[0, 'start'], [Math.floor(minutes.length / 2), 'middle'], [minutes.length - 1, 'end']];
  for (const [index, anchor] of ticks) {
    if (!minutes[index]) continue;
    const x = anchor === 'start' ? left + index * step : anchor === 'end' ? left + (index + 1) * step : left + index * step + step / 2;
    const label = svgEl('text', { x, y: height - 5, class: 'tick', 'text-anchor': anchor });
    label.textContent = minuteLabel(minutes[index].start);
    svg.append(label);
  }
  return { step, plotBottom, scale: (plotBottom - top) / max };
}

function legend(list, totals, order) {
  list.replaceChildren(...order.map((series) => {
    const item = document.createElement('li');
    item.dataset.series = series;
    item.dataset.total = String(totals[series] || 0);
    const swatch = document.createElement('span');
    swatch.className = 'swatch s-' + series;
    item.append(swatch, document.createTextNode(series.replace('_', ' ') + ' ' + (totals[series] || 0)));
    return item;
  }));
}

// Stacked bars, one per minute: pick(minute) gives the counts by series.
function drawBars(figure, minutes, pick, knownOrder) {
  const totals = {};
  for (const minute of minutes) for (const [series, count] of Object.entries(pick(minute))) totals[series] = (totals[series] || 0) + count;
  const order = knownOrder.filter((s) => s in totals || ALWAYS_SHOWN.includes(s))
    .concat(Object.keys(totals).filter((s) => !knownOrder.includes(s)).sort());
  const peak = Math.max(0, ...minutes.map((m) => Object.values(pick(m)).reduce((a, b) => a + b, 0)));
  const size = sizeOf(figure);
  const svg = svgEl('svg', { viewBox: `0 0 ${size.width} ${size.height}`, width: size.width, height: size.height, role: 'img' });
  const { step, plotBottom, scale } = frame(svg, size, niceMax(peak), minutes);
  minutes.forEach((minute, index) => {
    let y = plotBottom;
    const counts = pick(minute);
    for (const series of order) {
      const count = counts[series] || 0;
      if (!count) continue;
      const h = count * scale;
      y -= h;
      const bar = svgEl('rect', {
        x: (size.left + index * step + 0.5).toFixed(1), y: y.toFixed(1), width: Math.max(1, step - 1).toFixed(1), height: h.toFixed(1),
        class: 'bar s-' + series, 'data-series': series, 'data-count': count, 'data-minute': minute.start,
      });
      const title = svgEl('title');
      title.textContent = `${minuteLabel(minute.start)}: ${count} ${series.replace('_', ' ')}`;
      bar.append(title);
      svg.append(bar);
    }
  });
  figure.querySelector('.plot').replaceChildren(svg);
  legend(figure.querySelector('.legend'), totals, order);
}

// Lines, one point per minute that has a sample; a minute without one (store unreachable, process not yet up) is a gap.
function drawLines(figure, minutes, order) {
  const peak = Math.max(0, ...minutes.flatMap((m) => (m.backlog ? order.map((s) => m.backlog[s] || 0) : [])));
  const size = sizeOf(figure);
  const svg = svgEl('svg', { viewBox: `0 0 ${size.width} ${size.height}`, width: size.width, height: size.height, role: 'img' });
  const { step, plotBottom, scale } = frame(svg, size, niceMax(peak), minutes);
  const latest = {};
  for (const series of order) {
    let points = [];
    const flush = () => {
      if (points.length) svg.append(svgEl('polyline', { points: points.join(' '), class: 'line s-' + series, 'data-series': series }));
      points = [];
    };
    minutes.forEach((minute, index) => {
      if (!minute.backlog) { flush(); return; }
      const value = minute.backlog[series] || 0;
      latest[series] = value;
      const x = size.left + index * step + step / 2;
      const y = plotBottom - value * scale;
      points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      svg.append(svgEl('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 2, class: 'dot s-' + series,
        'data-series': series, 'data-count': value, 'data-minute': minute.start }));
    });
    flush();
  }
  figure.querySelector('.plot').replaceChildren(svg);
  // For a level, the legend shows the latest sample, not a sum.
  legend(figure.querySelector('.legend'), latest, order);
}

// Called by dashboard.js on every refresh with the answer of /admin/stats/timeseries.
function renderTimeline(timeline) {
  const minutes = timeline.minutes || [];
  drawBars(document.getElementById('chart-deliveries'), minutes, (m) => m.deliveries || {}, DELIVERY_SERIES);
  drawBars(document.getElementById('chart-failures'), minutes, (m) => {
    const runs = m.handler_runs || {};
    return Object.fromEntries(FAILURE_SERIES.filter((s) => runs[s]).map((s) => [s, runs[s]]));
  }, FAILURE_SERIES);
  drawLines(document.getElementById('chart-backlog'), minutes, BACKLOG_SERIES);
  const succeeded = minutes.reduce((sum, m) => sum + ((m.handler_runs || {}).succeeded || 0), 0);
  document.getElementById('timeline-succeeded').textContent = succeeded + ' handler attempts succeeded in the hour.';
  document.getElementById('timeline-scope').textContent = 'This replica (' + timeline.replica + '), one bar per minute.';
  document.getElementById('timeline').dataset.loaded = 'true';
}
