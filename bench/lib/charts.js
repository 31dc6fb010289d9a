'use strict';
/**
 * SVG charts of a bench result, rendered headless with vega-lite + vega (bench/peers). Without
 * them (peers not installed) a plain bar chart is drawn by hand so the report still has a figure.
 */
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { peerRequire } = require('./peers');

const SIZE_NAMES = { 4096: 'L1 4096', 131072: 'L2 131072', 67108864: 'DRAM 2^26' };

function activationsSpec(a) {
  // memcpy of the same bytes as a reference bar in both directions.
  const copies = a.memcpy.flatMap((c) => ['forward', 'backward'].map((direction) => ({ ...c, activation: 'memcpy', label: 'memcpy (set)', direction })));
  const values = [...a.rows, ...copies].map((r) => ({ ...r, size: SIZE_NAMES[r.size] || String(r.size) }));
  return {
    title: 'Activation throughput per tier (1 thread)',
    data: { values },
    facet: {
      row: { field: 'direction', type: 'nominal', sort: ['forward', 'backward'] },
      column: { field: 'size', type: 'nominal', sort: Object.values(SIZE_NAMES) },
    },
    spec: {
      width: 360,
      height: 160,
      mark: 'bar',
      encoding: {
        x: { field: 'activation', type: 'nominal', title: null, sort: [...new Set(values.map((r) => r.activation))] },
        xOffset: { field: 'tier', type: 'nominal', sort: a.tiers },
        y: { field: 'elemsPerNs', type: 'quantitative', title: 'elements / ns' },
        color: { field: 'tier', type: 'nominal', sort: a.tiers },
        tooltip: [{ field: 'label' }, { field: 'elemsPerNs', format: '.3g' }, { field: 'maxError', format: '.1e' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** Forward GFLOP/s at one thread count: a panel per shape, bars per activation and implementation. */
function denseSpec(d, threads) {
  const values = d.rows
    .filter((r) => r.direction === 'forward' && r.threads === threads)
    .map((r) => ({ ...r, shape: `${r.m}x${r.k}x${r.n}` }));
  const impls = [...new Set(d.rows.map((r) => r.impl))]; // same colours in every chart
  return {
    title: `Dense layer forward, ${threads} thread${threads > 1 ? 's' : ''}: smelu fused vs peers (GFLOP/s)`,
    data: { values },
    facet: { field: 'shape', type: 'nominal', title: null, sort: d.shapes.map((s) => s.join('x')) },
    columns: 3,
    spec: {
      width: 300,
      height: 160,
      mark: 'bar',
      encoding: {
        x: { field: 'activation', type: 'nominal', title: null, sort: d.acts },
        xOffset: { field: 'impl', type: 'nominal', sort: impls },
        y: { field: 'gflops', type: 'quantitative', title: 'GFLOP/s' },
        color: { field: 'impl', type: 'nominal', scale: { domain: impls } },
        tooltip: [{ field: 'impl' }, { field: 'gflops', format: '.3g' }, { field: 'pctPeak', format: '.0f', title: '% peak' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

function shareSpec(d) {
  return {
    title: 'Activation share of a dense layer forward (m = n = 512, 1 thread)',
    width: 420,
    height: 260,
    data: { values: d.share },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'k', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'k' },
      y: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: '(t_act - t_identity) / t_act' },
      color: { field: 'activation', type: 'nominal' },
    },
  };
}

/** Chart specs with the data each needs, keyed by file suffix. */
function specs(res) {
  const out = {};
  const s = res.suites;
  if (s.activations && s.activations.rows.length) out.activations = activationsSpec(s.activations);
  if (s.dense) {
    for (const t of s.dense.threads) {
      if (s.dense.rows.some((r) => r.threads === t && r.direction === 'forward')) out[`dense-${t}t`] = denseSpec(s.dense, t);
    }
  }
  if (s.dense && s.dense.share && s.dense.share.length) out.share = shareSpec(s.dense);
  return out;
}

async function loadVega() {
  try {
    const vega = await import(pathToFileURL(peerRequire.resolve('vega')).href);
    const vl = await import(pathToFileURL(peerRequire.resolve('vega-lite')).href);
    return { vega, vl };
  } catch {
    return null;
  }
}

const escapeXml = (s) => String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

/** A plain horizontal bar chart: one bar per data row, labelled from the spec's encoding. */
function fallbackSvg(spec) {
  const enc = spec.spec ? spec.spec.encoding : spec.encoding;
  const facet = !spec.facet ? [] : spec.facet.field ? [spec.facet.field] : Object.values(spec.facet).map((f) => f.field);
  const labelFields = [...facet, enc.x.field, enc.xOffset ? enc.xOffset.field : enc.color.field];
  const yField = enc.y.field;
  const bars = spec.data.values.map((v) => ({ label: labelFields.map((f) => v[f]).join(' '), value: v[yField] }));
  const max = Math.max(...bars.map((b) => b.value), 1e-12);
  const row = 14;
  const lines = bars.map((b, i) => {
    const y = 30 + i * row;
    const w = Math.max(0, (400 * b.value) / max);
    return `<text x="5" y="${y + 10}" font-size="10">${escapeXml(b.label)}</text>` +
      `<rect x="260" y="${y}" width="${w.toFixed(1)}" height="${row - 3}" fill="#4c78a8"/>` +
      `<text x="${(265 + w).toFixed(1)}" y="${y + 10}" font-size="10">${Number(b.value).toPrecision(3)}</text>`;
  });
  const h = 40 + bars.length * row;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="${h}">` +
    `<text x="5" y="16" font-size="12">${escapeXml(spec.title)} (${escapeXml(yField)}; vega not installed: plain chart)</text>` +
    `${lines.join('')}</svg>\n`;
}

/** Writes one SVG per chart as <base>-<name>.svg in dir; returns { files, notes }. */
async function writeCharts(res, dir, base) {
  const lib = await loadVega();
  const notes = lib ? [] : ['charts: vega / vega-lite not installed, plain SVG charts written instead'];
  const files = [];
  for (const [name, spec] of Object.entries(specs(res))) {
    let svg;
    if (lib) {
      const view = new lib.vega.View(lib.vega.parse(lib.vl.compile(spec).spec), { renderer: 'none' });
      svg = await view.toSVG();
      view.finalize();
    } else {
      svg = fallbackSvg(spec);
    }
    const file = path.join(dir, `${base}-${name}.svg`);
    fs.writeFileSync(file, svg);
    files.push(file);
  }
  return { files, notes };
}

module.exports = { writeCharts, specs, fallbackSvg };
