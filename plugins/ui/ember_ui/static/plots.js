// Small SVG plots for the Streaming page: a timeline (one line per series, a dot per batch)
// and a histogram of the same values.  No library: the page must work offline.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795"];

function svgElement(name, attributes, parent) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

function formatClock(ms) {
  return new Date(ms).toTimeString().slice(0, 8);
}

// series: [{name, points: [[timeMs, value], ...]}]; unit: label of the y axis
function drawTimeline(container, series, unit) {
  const width = 560, height = 170, left = 56, right = 10, top = 10, bottom = 28;
  container.textContent = "";
  const svg = svgElement("svg", {viewBox: `0 0 ${width} ${height}`, class: "plot timeline-plot"}, container);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    svgElement("text", {x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty"}, svg).textContent = "no batches yet";
    return svg;
  }
  const minX = Math.min(...all.map((p) => p[0])), maxX = Math.max(...all.map((p) => p[0]));
  const maxY = niceMax(Math.max(...all.map((p) => p[1])));
  const x = (t) => left + (maxX === minX ? (width - left - right) / 2 : (t - minX) / (maxX - minX) * (width - left - right));
  const y = (v) => top + (1 - v / maxY) * (height - top - bottom);
  for (const fraction of [0, 0.5, 1]) {
    const value = maxY * fraction;
    svgElement("line", {x1: left, x2: width - right, y1: y(value), y2: y(value), class: "grid-line"}, svg);
    svgElement("text", {x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "axis"}, svg).textContent = formatValue(value, unit);
  }
  svgElement("text", {x: left, y: height - 8, class: "axis"}, svg).textContent = formatClock(minX);
  svgElement("text", {x: width - right, y: height - 8, "text-anchor": "end", class: "axis"}, svg).textContent = formatClock(maxX);
  series.forEach((s, index) => {
    const color = PALETTE[index % PALETTE.length];
    const path = s.points.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    svgElement("path", {d: path, class: "series", stroke: color, "data-series": s.name}, svg);
    for (const p of s.points) {
      const dot = svgElement("circle", {cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 2.5, fill: color, class: "point"}, svg);
      svgElement("title", {}, dot).textContent = `${s.name}: ${formatValue(p[1], unit)} at ${formatClock(p[0])}`;
    }
  });
  if (series.length > 1) {
    series.forEach((s, index) => {
      svgElement("text", {x: left + 8 + 150 * index, y: top + 10, fill: PALETTE[index % PALETTE.length], class: "legend"}, svg).textContent = s.name;
    });
  }
  return svg;
}

// values: numbers; the bars count how many batches fall in each of `bins` equal ranges
function drawHistogram(container, values, unit, bins = 10) {
  const width = 300, height = 170, left = 34, right = 10, top = 10, bottom = 28;
  container.textContent = "";
  const svg = svgElement("svg", {viewBox: `0 0 ${width} ${height}`, class: "plot histogram-plot"}, container);
  if (values.length === 0) {
    svgElement("text", {x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty"}, svg).textContent = "no batches yet";
    return svg;
  }
  const maxValue = niceMax(Math.max(...values));
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / maxValue * bins))] += 1;
  const maxCount = Math.max(...counts);
  const barWidth = (width - left - right) / bins;
  counts.forEach((count, i) => {
    const barHeight = count / maxCount * (height - top - bottom);
    const bar = svgElement("rect", {x: (left + i * barWidth + 1).toFixed(1), y: (height - bottom - barHeight).toFixed(1),
      width: (barWidth - 2).toFixed(1), height: barHeight.toFixed(1), class: "bar"}, svg);
    svgElement("title", {}, bar).textContent = `${count} batches between ${formatValue(maxValue * i / bins, unit)} and ${formatValue(maxValue * (i + 1) / bins, unit)}`;
  });
  svgElement("text", {x: left - 4, y: top + 8, "text-anchor": "end", class: "axis"}, svg).textContent = String(maxCount);
  svgElement("text", {x: left, y: height - 8, class: "axis"}, svg).textContent = formatValue(0, unit);
  svgElement("text", {x: width - right, y: height - 8, "text-anchor": "end", class: "axis"}, svg).textContent = formatValue(maxValue, unit);
  return svg;
}

function formatValue(value, unit) {
  if (unit === "ms") {
    return value >= 1000 ? `${(value / 1000).toFixed(value >= 10000 ? 0 : 1)} s` : `${Math.round(value)} ms`;
  }
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return `${Math.round(value * 10) / 10}`;
}
