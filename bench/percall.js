#!/usr/bin/env node
'use strict';
/**
 * Per-call cost of the dense layer on the native backend, one thread: ns per call of denseForward
 * (packed W, no z) and denseBackward through the public API, and of the addon call alone (the
 * backend's prepared call, no argument checks), at 1x1x1 (the call itself) and at the given shapes.
 * Best median of 5 rounds. Usage: node bench/percall.js [MxKxN ...] (default 256x64x64)
 */
const { loadSmelu, loadBackend, measure, fmt } = require('./lib/util');

function shapeOf(s) {
  const d = s.split('x').map(Number);
  if (d.length !== 3 || !d.every((v) => Number.isInteger(v) && v >= 1)) {
    process.stderr.write(`percall: shapes are MxKxN with positive integers, got '${s}'\nusage: node bench/percall.js [MxKxN ...]\n`);
    process.exit(2);
  }
  return d;
}

function cases(smelu, backend, [m, k, n]) {
  const relu = smelu.activation({ kind: 'relu' });
  const x = new Float32Array(m * k).fill(0.5);
  const W = new Float32Array(k * n).fill(0.01);
  const b = new Float32Array(n);
  const y = new Float32Array(m * n);
  const dy = new Float32Array(m * n).fill(0.1);
  const grads = { dx: new Float32Array(m * k), dW: new Float32Array(k * n), db: new Float32Array(n) };
  const packed = smelu.packWeights(W, k, n);
  const fwd = { x, W: packed, b, m, k, n, activation: relu, out: y, keepZ: false };
  const bwd = { x, W, dy, y, m, k, n, activation: relu, ...grads };
  // The addon alone: the same call as the public one makes, built once.
  const addonFwd = { m, k, n, x, w: packed.packed, b, code: relu.code, params: relu.params, y, z: null };
  const addonBwd = { m, k, n, x, w: W, dy, saved: y, savedIsOutput: true, code: relu.code, params: relu.params, ...grads, accumulate: false };
  return [
    ['denseForward, public API', () => smelu.denseForward(fwd)],
    ['denseForward, addon call alone', () => backend.denseForward(addonFwd)],
    ['denseBackward, public API', () => smelu.denseBackward(bwd)],
    ['denseBackward, addon call alone', () => backend.denseBackward(addonBwd)],
  ];
}

function main() {
  const shapes = [[1, 1, 1], ...(process.argv.length > 2 ? process.argv.slice(2) : ['256x64x64']).map(shapeOf)];
  const smelu = loadSmelu();
  if (smelu.info().backend !== 'native') throw new Error('percall measures the native backend');
  smelu.setThreads(1);
  const backend = loadBackend();
  for (const shape of shapes) {
    for (const [label, fn] of cases(smelu, backend, shape)) {
      let best = Infinity;
      for (let r = 0; r < 5; r++) best = Math.min(best, measure(fn, { budgetMs: 100, minSamples: 10 }).ns);
      console.log(`${shape.join('x')}  ${label}: ${fmt(best)} ns`);
    }
  }
}

main();
