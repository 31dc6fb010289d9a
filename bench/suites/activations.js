'use strict';
/**
 * Activations suite: forward and backward throughput (elements per ns) of every activation, one
 * child process per ISA tier (SMELU_ISA) plus the wasm and TypeScript backends (SMELU_BACKEND), single
 * thread, at an L1, an L2 and a DRAM working set, timed with benchmark.js. Native figures are the
 * kernel looped inside C++ (actBench); the public call's figure, per-call cost included, is kept
 * beside it. Also: the max error against the float64 reference, and a memcpy of the same bytes
 * timed the same way in the same process.
 */
const Benchmark = require('benchmark');
const { loadSmelu, loadBackend, progress, fillUniform, median, rng } = require('../lib/util');
const { runTask } = require('../lib/child');

/** The activations measured, by the short name used in tables (gsmelu: a leaky variant). */
const ACTIVATIONS = [
  ['relu', { kind: 'relu' }],
  ['smelu', { kind: 'smelu', beta: 1 }],
  ['gsmelu_leaky', { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 1, beta: 1, t: 0 }],
  ['rescu2', { kind: 'rescu2', beta: 1 }],
  ['gelu', { kind: 'gelu' }],
  ['gelu_tanh', { kind: 'gelu_tanh' }],
  ['swish', { kind: 'swish', beta: 1 }],
  ['softplus', { kind: 'softplus', beta: 1 }],
  ['sigmoid', { kind: 'sigmoid' }],
  ['identity', { kind: 'identity' }],
];

const L1 = 4096;
const L2 = 131072;
const DRAM = 2 ** 26;

/** The main job and --quick: the in-L1 figures only (the kernels' cost); --full adds L2 and DRAM. */
function sizesFor(profile) {
  return profile === 'full' ? [L1, L2, DRAM] : [L1];
}

/** benchmark.js options: DRAM calls take ~15-700 ms each, so they get fewer samples. */
function benchOptions(size, profile) {
  if (profile === 'quick') return { minSamples: 3, maxTime: 0.03, minTime: 0.003 };
  if (profile === 'main') return { minSamples: 5, maxTime: 0.08, minTime: 0.008 };
  if (size >= DRAM) return { minSamples: 3, maxTime: 0.5 };
  return { minSamples: 5, maxTime: 0.25 };
}

/** Runs fn under benchmark.js; returns elements per ns from the median sample. */
function bench(name, size, fn, options) {
  const b = new Benchmark(name, fn, options);
  b.run();
  if (b.error) throw b.error;
  const secPerCall = median(b.stats.sample);
  return { elemsPerNs: size / (secPerCall * 1e9), rme: b.stats.rme, samples: b.stats.sample.length };
}

/** Indices checked against the reference: all of a small array, 4096 random ones otherwise. */
function sampleIndices(size) {
  if (size <= 4096) return Array.from({ length: size }, (_, i) => i);
  const r = rng(777);
  return Array.from({ length: 4096 }, () => Math.floor(r() * size));
}

/** Max of |y - ref| / max(1, |ref|) against the library's float64 reference (smelu.reference). */
function maxError(smelu, desc, x, dy, y, idx, backward) {
  const { refForward, refDerivative, scaledError } = smelu.reference;
  const spec = smelu.activation(desc);
  let worst = 0;
  for (const i of idx) {
    const ref = backward ? dy[i] * refDerivative(spec.kind, spec.params, x[i]) : refForward(spec.kind, spec.params, x[i]);
    worst = Math.max(worst, scaledError(y[i], ref));
  }
  return worst;
}

/**
 * Calls per timed sample: enough to make one sample ~1 ms, so that a native kernel timed inside
 * C++ (actBench) is not swamped by the ~150-300 ns cost of one Node-API call.
 */
function repsFor(size) {
  return Math.max(1, Math.ceil(1e6 / size));
}

/**
 * Kernel throughput: on a native tier through actBench (the kernel alone, looped in C++; the
 * backward uses dy = 1), on the wasm and TypeScript backends through the public call (for wasm
 * that includes copying the arrays into and out of the module's memory, as every call does).
 * `apiElemsPerNs` is the public call's figure, per-call cost included, for comparison.
 */
function timeKernel(smelu, backend, spec, data, name, mode) {
  const { x, dy, out, opts } = data;
  const size = x.length;
  const api = mode === 0 ? () => smelu.forward(spec, x, out) : () => smelu.backward(spec, x, dy, out);
  const apiResult = bench(name, size, api, opts);
  if (typeof backend.actBench !== 'function') return { ...apiResult, apiElemsPerNs: apiResult.elemsPerNs };
  const reps = repsFor(size);
  const kernel = bench(name, size * reps, () => backend.actBench(spec.code, spec.params, x, out, reps, mode), opts);
  return { ...kernel, apiElemsPerNs: apiResult.elemsPerNs };
}

/** Forward and backward rows of one activation on arrays of one size. */
function activationRows(smelu, backend, tier, data, name, desc) {
  const { x, dy, out, idx } = data;
  const spec = smelu.activation(desc);
  const label = smelu.activationLabel(spec);
  const size = x.length;
  const fwd = timeKernel(smelu, backend, spec, data, name, 0);
  smelu.forward(spec, x, out);
  const fwdErr = maxError(smelu, spec.descriptor, x, dy, out, idx, false);
  const bwd = timeKernel(smelu, backend, spec, data, name, 1);
  smelu.backward(spec, x, dy, out);
  const bwdErr = maxError(smelu, spec.descriptor, x, dy, out, idx, true);
  return [
    { tier, activation: name, label, size, direction: 'forward', ...fwd, maxError: fwdErr },
    { tier, activation: name, label, size, direction: 'backward', ...bwd, maxError: bwdErr },
  ];
}

/** memcpy of the same bytes: native memcpy through actBench on native tiers, TypedArray.set in JS. */
function timeCopy(backend, data) {
  const { x, out, opts } = data;
  const size = x.length;
  if (typeof backend.actBench !== 'function') return bench('memcpy', size, () => out.set(x), opts);
  const reps = repsFor(size);
  const id = new Float64Array(5);
  return bench('memcpy', size * reps, () => backend.actBench(0, id, x, out, reps, 3), opts);
}

/** The fixed cost of one call (argument checks + Node-API), in ns: it bounds what n = 4096 shows. */
function callCost(smelu, profile) {
  const tiny = new Float32Array(16);
  const id = smelu.activation('identity');
  return 16 / bench('call', 16, () => smelu.forward(id, tiny, tiny), benchOptions(16, profile)).elemsPerNs;
}

/** Child side: every activation at every size on this process's tier. */
function runTier(task) {
  const smelu = loadSmelu();
  const backend = loadBackend();
  smelu.setThreads(1);
  const info = smelu.info();
  const tier = info.backend === 'js' ? 'js' : info.isa;
  const rows = [];
  const memcpy = [];
  const callNs = callCost(smelu, task.profile);
  for (const size of task.sizes) {
    // Inputs span [-8, 8]: every branch of every activation is taken, with random signs.
    const data = {
      x: fillUniform(new Float32Array(size), -8, 8, 1),
      dy: fillUniform(new Float32Array(size), -1, 1, 2),
      out: new Float32Array(size),
      idx: sampleIndices(size),
      opts: benchOptions(size, task.profile),
    };
    memcpy.push({ tier, size, ...timeCopy(backend, data) });
    for (const [name, desc] of ACTIVATIONS) {
      progress(`activations ${tier} n=${size} ${name}`);
      rows.push(...activationRows(smelu, backend, tier, data, name, desc));
    }
  }
  return { tier, info, rows, memcpy, callNs };
}

/** Parent side: one child per tier; adds the cost ratio of each activation to SmeLU. */
async function run(ctx) {
  const sizes = sizesFor(ctx.profile);
  const tiers = [];
  for (const isa of ctx.nativeTiers) tiers.push({ label: isa, env: { SMELU_ISA: isa, SMELU_BACKEND: 'native' } });
  tiers.push({ label: 'wasm-simd128', env: { SMELU_BACKEND: 'wasm', SMELU_ISA: null } });
  tiers.push({ label: 'js', env: { SMELU_BACKEND: 'js', SMELU_ISA: null } });
  const rows = [];
  const memcpy = [];
  const callNs = {};
  const notes = [];
  for (const t of tiers) {
    progress(`activations: tier ${t.label}`);
    // The TypeScript backend runs far below memory speed (0.02-1 element/ns): at the DRAM size it
    // would only repeat its L2 figures, at minutes per activation.
    const mine = t.label === 'js' ? sizes.filter((n) => n < DRAM) : sizes;
    if (mine.length < sizes.length) notes.push('activations js tier: DRAM size skipped (compute-bound; see its L2 figures)');
    try {
      const r = await runTask({ name: 'activations', sizes: mine, quick: ctx.quick, profile: ctx.profile }, t.env);
      rows.push(...r.rows);
      memcpy.push(...r.memcpy);
      callNs[t.label] = r.callNs;
    } catch (e) {
      notes.push(`activations tier ${t.label} failed: ${e.message}`);
    }
  }
  addCostRatios(rows);
  return { sizes, tiers: tiers.map((t) => t.label), rows, memcpy, callNs, notes };
}

/** costVsSmelu = time(act) / time(smelu) at the same tier, size and direction. */
function addCostRatios(rows) {
  for (const r of rows) {
    const s = rows.find(
      (q) => q.activation === 'smelu' && q.tier === r.tier && q.size === r.size && q.direction === r.direction,
    );
    r.costVsSmelu = s ? s.elemsPerNs / r.elemsPerNs : null;
  }
}

module.exports = { run, runTier, ACTIVATIONS, sizesFor };
