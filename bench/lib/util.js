'use strict';
/** Small helpers shared by the bench parent and its workers: logging, timing, statistics. */

const path = require('node:path');
const fs = require('node:fs');

const ROOT = path.resolve(__dirname, '..', '..');
const BENCH = path.join(ROOT, 'bench');

/** Progress goes to stderr so that `--json` keeps stdout clean. */
function progress(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

function nowNs() {
  return Number(process.hrtime.bigint());
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Loads smelu from dist/ (what users get); throws a clear message when it was not built.
 * SMELU_BENCH_MODULE=path benchmarks another build instead (e.g. an older version, to compare).
 */
function loadSmelu() {
  return loadDist(process.env.SMELU_BENCH_MODULE ? path.resolve(process.env.SMELU_BENCH_MODULE) : path.join(ROOT, 'dist', 'index.js'));
}

/** A compiled module of the package (an absolute path, or relative to dist/), with a clear error when it was not built. */
function loadDist(file) {
  const entry = path.resolve(ROOT, 'dist', file);
  if (!fs.existsSync(entry)) {
    throw new Error(`${path.relative(process.cwd(), entry) || entry} is missing: run \`npm run build:ts\` first`);
  }
  return require(entry);
}

/**
 * Own timer for calls too slow or too varied for benchmark.js (dense layers, peers):
 * `warmup` calls (the last one also sizes the batches), then batches of calls sized to at least `minSampleMs`, until both
 * `minSamples` and `budgetMs` are reached (or `maxSamples`). Returns the median ns per call
 * (and the best sample, which on a busy machine is closer to what a quiet one gives).
 * A call slower than the whole budget gets min(3, minSamples) samples only.
 */
function measure(fn, opts = {}) {
  const { budgetMs = 300, minSamples = 5, maxSamples = 200, minSampleMs = 0.5, warmup = 2 } = opts;
  for (let i = 1; i < warmup; i++) fn();
  let t0 = nowNs();
  fn();
  const once = Math.max(nowNs() - t0, 1);
  const batch = Math.max(1, Math.ceil((minSampleMs * 1e6) / once));
  const wanted = once * batch > budgetMs * 1e6 ? Math.min(3, minSamples) : minSamples;
  const samples = [];
  const start = nowNs();
  while (samples.length < maxSamples) {
    t0 = nowNs();
    for (let i = 0; i < batch; i++) fn();
    samples.push((nowNs() - t0) / batch);
    if (samples.length >= wanted && nowNs() - start >= budgetMs * 1e6) break;
  }
  return { ns: median(samples), bestNs: Math.min(...samples), samples: samples.length, batch };
}

/** {@link measure} for functions returning a promise (onnxruntime's session.run). */
async function measureAsync(fn, opts = {}) {
  const { budgetMs = 300, minSamples = 5, maxSamples = 200, minSampleMs = 0.5, warmup = 2 } = opts;
  for (let i = 1; i < warmup; i++) await fn();
  let t0 = nowNs();
  await fn();
  const once = Math.max(nowNs() - t0, 1);
  const batch = Math.max(1, Math.ceil((minSampleMs * 1e6) / once));
  const wanted = once * batch > budgetMs * 1e6 ? Math.min(3, minSamples) : minSamples;
  const samples = [];
  const start = nowNs();
  while (samples.length < maxSamples) {
    t0 = nowNs();
    for (let i = 0; i < batch; i++) await fn();
    samples.push((nowNs() - t0) / batch);
    if (samples.length >= wanted && nowNs() - start >= budgetMs * 1e6) break;
  }
  return { ns: median(samples), bestNs: Math.min(...samples), samples: samples.length, batch };
}

/** Deterministic uniform random numbers (xorshift32), so every tier and peer sees the same data. */
function rng(seed = 12345) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function fillUniform(arr, lo, hi, seed) {
  const r = rng(seed);
  const w = hi - lo;
  for (let i = 0; i < arr.length; i++) arr[i] = lo + w * r();
  return arr;
}

/** Rounds for tables: 3 significant digits, no exponent for ordinary magnitudes. */
function fmt(x, digits = 3) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4) return Math.round(x).toString();
  if (a < 1e-3) return x.toExponential(1);
  return Number(x.toPrecision(digits)).toString();
}

/**
 * The backend object behind the public API of the module loadSmelu() loaded: the native one carries
 * `actBench`, which times a kernel inside C++ (benchmarks only).
 */
function loadBackend() {
  const entry = process.env.SMELU_BENCH_MODULE
    ? path.resolve(path.dirname(process.env.SMELU_BENCH_MODULE), 'runtime.js')
    : path.join(ROOT, 'dist', 'runtime.js');
  return require(entry).selected().backend;
}

module.exports = { ROOT, BENCH, progress, loadDist, loadBackend, nowNs, median, loadSmelu, measure, measureAsync, rng, fillUniform, fmt };
