// SVG charts drawn here (no library): horizontal bars, grouped bars, lines and a heatmap.
// Every chart has a title, labelled axes and a <title> per mark for exact values on hover.

const NS = "http://www.w3.org/2000/svg";
const COLORS = ["#2b6cb0", "#dd6b20", "#2f855a", "#b83280", "#6b46c1", "#c53030"];

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function frame(title, width, height) {
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart" });
  svg.append(s("title", {}, title), s("text", { x: 8, y: 18, class: "chart-title" }, title));
  return svg;
}

const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(3));

/** Horizontal bars: items [{label, value}], xLabel names the unit. */
export function barChart(title, items, { xLabel = "", max, width = 560 } = {}) {
  const left = 150;
  const rowH = 22;
  const height = 50 + items.length * rowH + 30;
  const svg = frame(title, width, height);
  const top = Math.max(max ?? 0, ...items.map((i) => i.value), 1e-9);
  const scale = (width - left - 60) / top;
  items.forEach((item, i) => {
    const y = 34 + i * rowH;
    svg.append(s("text", { x: left - 6, y: y + 14, class: "tick", "text-anchor": "end" }, item.label));
    const bar = s("rect", { x: left, y: y + 3, width: Math.max(1, item.value * scale), height: rowH - 6, fill: COLORS[0] });
    bar.append(s("title", {}, `${item.label}: ${fmt(item.value)}`));
    svg.append(bar, s("text", { x: left + item.value * scale + 4, y: y + 15, class: "tick" }, fmt(item.value)));
  });
  const axisY = 38 + items.length * rowH;
  svg.append(s("line", { x1: left, x2: width - 60, y1: axisY, y2: axisY, class: "axis" }));
  svg.append(s("text", { x: left, y: axisY + 14, class: "tick" }, "0"));
  svg.append(s("text", { x: width - 60, y: axisY + 14, class: "tick", "text-anchor": "end" }, fmt(top)));
  svg.append(s("text", { x: (left + width) / 2, y: axisY + 26, class: "axis-label", "text-anchor": "middle" }, xLabel));
  return svg;
}

/** Grouped vertical bars: groups [{label, values: {series: v}}], values 0..1. */
export function groupedBars(title, groups, series, { yLabel = "", width = 560, height = 260 } = {}) {
  const svg = frame(title, width, height);
  const [left, top, bottom] = [50, 40, 50];
  const plotH = height - top - bottom;
  const groupW = (width - left - 20) / Math.max(1, groups.length);
  const barW = Math.min(24, (groupW - 10) / series.length);
  yAxis(svg, left, top, plotH, 1, yLabel);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 5;
    series.forEach((name, si) => {
      const v = g.values[name] ?? 0;
      const bar = s("rect", { x: x0 + si * barW, y: top + plotH * (1 - v), width: barW - 2, height: plotH * v, fill: COLORS[si] });
      bar.append(s("title", {}, `${g.label} ${name}: ${fmt(v)}`));
      svg.append(bar);
    });
    svg.append(s("text", { x: x0 + (series.length * barW) / 2, y: top + plotH + 16, class: "tick", "text-anchor": "middle" }, g.label));
  });
  legend(svg, series, left, height - 14);
  return svg;
}

function yAxis(svg, left, top, plotH, maxY, label) {
  svg.append(s("line", { x1: left, x2: left, y1: top, y2: top + plotH, class: "axis" }));
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f);
    svg.append(s("text", { x: left - 4, y: y + 4, class: "tick", "text-anchor": "end" }, fmt(maxY * f)));
  }
  svg.append(s("text", { x: 12, y: top + plotH / 2, class: "axis-label", transform: `rotate(-90 12 ${top + plotH / 2})`, "text-anchor": "middle" }, label));
}

function legend(svg, names, x, y) {
  names.forEach((name, i) => {
    svg.append(s("rect", { x: x + i * 120, y: y - 9, width: 10, height: 10, fill: COLORS[i % COLORS.length] }));
    svg.append(s("text", { x: x + i * 120 + 14, y, class: "tick" }, name));
  });
}

/** Lines: series [{name, points: [[x, y]]}], e.g. losses per boosting round. */
export function lineChart(title, series, { xLabel = "", yLabel = "", width = 560, height = 260, diagonal = false } = {}) {
  const svg = frame(title, width, height);
  const [left, top, bottom, right] = [56, 40, 56, 20];
  const pts = series.flatMap((se) => se.points);
  const maxX = Math.max(...pts.map((p) => p[0]), 1e-9);
  const maxY = diagonal ? 1 : Math.max(...pts.map((p) => p[1]), 1e-9);
  const minX = diagonal ? 0 : Math.min(...pts.map((p) => p[0]));
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const px = (x) => left + ((x - minX) / (maxX - minX || 1)) * plotW;
  const py = (y) => top + plotH * (1 - y / maxY);
  yAxis(svg, left, top, plotH, maxY, yLabel);
  svg.append(s("line", { x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH, class: "axis" }));
  svg.append(s("text", { x: left, y: top + plotH + 14, class: "tick" }, fmt(minX)));
  svg.append(s("text", { x: left + plotW, y: top + plotH + 14, class: "tick", "text-anchor": "end" }, fmt(maxX)));
  svg.append(s("text", { x: left + plotW / 2, y: top + plotH + 28, class: "axis-label", "text-anchor": "middle" }, xLabel));
  if (diagonal) svg.append(s("line", { x1: px(0), y1: py(0), x2: px(1), y2: py(1), class: "diagonal" }));
  series.forEach((se, i) => {
    const d = se.points.map((p, j) => `${j ? "L" : "M"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join("");
    const path = s("path", { d, fill: "none", stroke: COLORS[i], "stroke-width": 2 });
    path.append(s("title", {}, se.name));
    svg.append(path);
  });
  legend(svg, series.map((se) => se.name), left, height - 8);
  return svg;
}

/** A confusion-matrix heatmap: rows = true label, columns = predicted label. */
export function heatmap(title, labels, matrix, { width = 560 } = {}) {
  const left = 120;
  const top = 60;
  const cellSize = Math.min(60, (width - left - 20) / Math.max(1, labels.length));
  const height = top + cellSize * labels.length + 40;
  const svg = frame(title, width, height);
  const max = Math.max(1, ...matrix.flat());
  svg.append(s("text", { x: left + (cellSize * labels.length) / 2, y: 36, class: "axis-label", "text-anchor": "middle" }, "predicted label (rows counted)"));
  labels.forEach((label, i) => {
    svg.append(s("text", { x: left - 6, y: top + i * cellSize + cellSize / 2 + 4, class: "tick", "text-anchor": "end" }, label));
    svg.append(s("text", { x: left + i * cellSize + cellSize / 2, y: top - 6, class: "tick", "text-anchor": "middle" }, label));
    matrix[i].forEach((count, j) => svg.append(heatCell(left + j * cellSize, top + i * cellSize, cellSize, count, max, `${label} → ${labels[j]}`)));
  });
  svg.append(s("text", { x: 10, y: top + (cellSize * labels.length) / 2, class: "axis-label" }, "true label"));
  return svg;
}

function heatCell(x, y, size, count, max, name) {
  const g = s("g", { class: "heat-cell" });
  const shade = Math.round(245 - (count / max) * 190);
  const rect = s("rect", { x, y, width: size - 2, height: size - 2, fill: `rgb(${shade},${shade + 5},255)` });
  rect.append(s("title", {}, `${name}: ${count} rows`));
  const text = s("text", { x: x + size / 2, y: y + size / 2 + 4, "text-anchor": "middle", class: count / max > 0.6 ? "tick light" : "tick" }, String(count));
  g.append(rect, text);
  return g;
}
