#!/usr/bin/env node
'use strict';
/**
 * The wasm backend's targets, measured side by side in ONE process with the contenders
 * interleaved round by round (this machine's load moves by 2-3x within minutes, so figures taken
 * in different minutes or processes do not compare): dense 512^3 forward (GFLOP/s) on the wasm
 * and native backends (1 and 2 threads), the TypeScript backend and TF.js wasm (XNNPACK, one
 * thread; matMul, + bias + the activation composed from TF.js ops), and SmeLU and GELU forward at
 * n = 4096 (L1; elements per ns, per call; the wasm backend through the public API, on ordinary
 * arrays (copied into the module's memory and back) and on arrays from smelu.allocArray (no
 * copies), the others by their backend call) on the wasm, native and TypeScript backends (the
 * dense layer on allocArray arrays too, 1 thread), and the wasm
 * kernel alone (the act_forward export on data already in the module's memory: no copies, no
 * validation; the ceiling of the per-call figure). Each figure is the median over the
 * rounds of the best-of-round time. `node bench/wasm-vs-peers.js [--rounds N]`
 */
const path = require('node:path');

process.env.SMELU_BACKEND = 'wasm';
const ROOT = path.resolve(__dirname, '..');
const smelu = require(path.join(ROOT, 'dist', 'index.js'));
const { jsBackend } = require(path.join(ROOT, 'dist', 'backend', 'js.js'));
const { loadNativeBackend } = require(path.join(ROOT, 'dist', 'backend', 'native.js'));
const { loadTf, tfDense } = require('./lib/tfjs');
const { fillUniform, loadDist, median } = require('./lib/util');
const { wasmKernel } = require('./lib/wasm');

const SPEC = {
  name: 'wasm-vs-peers',
  usage: 'usage: node bench/wasm-vs-peers.js [--rounds N]\n  --rounds N   rounds, each contender once per round (default 7)\n  --help       this text',
  options: { rounds: { type: 'string' } },
};
let ROUNDS = 7;
const M = 512;
const L1 = 4096;

/**
 * Best time in ms of one call of `fn` over ~`budgetMs` (at least 2 samples) after one warm-up
 * call. Calls shorter than ~20 us are timed in batches that last about that long: a call of a few
 * hundred ns timed alone would carry the cost of reading the clock (the same for every contender
 * in absolute terms, so it shrank the ratios of the fastest ones).
 */
function best(fn, budgetMs) {
  fn();
  const t = performance.now();
  fn();
  const reps = Math.max(1, Math.ceil(0.02 / Math.max(performance.now() - t, 1e-6)));
  let bestMs = Infinity;
  const start = performance.now();
  for (let i = 0; i < 2 || performance.now() - start < budgetMs; i++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    bestMs = Math.min(bestMs, (performance.now() - t0) / reps);
  }
  return bestMs;
}

/** The shared command-line convention (lib/cli-args.ts): a bad option exits 2, --help exits 0. */
async function main() {
  const { runCommand, UsageError } = loadDist('cli-args.js');
  process.exitCode = await runCommand(SPEC, process.argv.slice(2), async ({ values }) => {
    if (values.rounds !== undefined) {
      ROUNDS = Number(values.rounds);
      if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new UsageError(`--rounds must be an integer >= 1, got '${values.rounds}'`);
    }
    await measureAll();
    return 0;
  });
}

async function measureAll() {
  if (smelu.info().backend !== 'wasm') throw new Error(`the wasm backend did not load: ${smelu.info().reason}`);
  const tf = await loadTf('wasm');
  const x = fillUniform(new Float32Array(M * M), -1, 1, 1);
  const W = fillUniform(new Float32Array(M * M), -1, 1, 2);
  const b = fillUniform(new Float32Array(M), -1, 1, 3);
  const out = new Float32Array(M * M);
  const xs = fillUniform(new Float32Array(L1), -8, 8, 4);
  const ys = new Float32Array(L1);
  const xsAlloc = smelu.allocArray(L1);
  const ysAlloc = smelu.allocArray(L1);
  xsAlloc.set(xs);
  // The dense layer's x, W and out from allocArray (b is copied anyway: the kernel reads it padded).
  const alloced = (a) => {
    const r = smelu.allocArray(a.length);
    r.set(a);
    return r;
  };
  const denseAlloc = { x: alloced(x), W: alloced(W), b, out: smelu.allocArray(M * M) };
  const flop = 2 * M ** 3;
  const native = loadNativeBackend();
  const cases = [];
  for (const act of ['identity', 'smelu']) {
    const spec = smelu.activation(act === 'smelu' ? { kind: 'smelu', beta: 1 } : act);
    const layer = { x, W, b, m: M, k: M, n: M, activation: spec, out };
    for (const t of [1, 2]) {
      cases.push({ name: `dense 512^3 ${act}, smelu wasm, ${t} thread${t > 1 ? 's' : ''}`, unit: 'GFLOP/s', work: flop, budget: 300,
        run: () => smelu.denseForward(layer), before: () => smelu.setThreads(t) });
    }
    cases.push({ name: `dense 512^3 ${act}, smelu wasm, allocArray, 1 thread`, unit: 'GFLOP/s', work: flop, budget: 300,
      run: () => smelu.denseForward({ ...layer, ...denseAlloc }), before: () => smelu.setThreads(1) });
    const call = { m: M, k: M, n: M, x, w: W, b, code: spec.code, params: spec.params, y: out, z: null };
    for (const t of [1, 2]) {
      cases.push({ name: `dense 512^3 ${act}, smelu native (${native.info().isa}), ${t} thread${t > 1 ? 's' : ''}`, unit: 'GFLOP/s', work: flop,
        budget: 300, run: () => native.denseForward(call), before: () => native.setThreads(t) });
    }
    cases.push({ name: `dense 512^3 ${act}, smelu TypeScript`, unit: 'GFLOP/s', work: flop, budget: 300,
      run: () => jsBackend.denseForward({ m: M, k: M, n: M, x, w: W, b, code: spec.code, params: spec.params, y: out, z: null }) });
    const tfLayer = tfDense(tf, { m: M, k: M, n: M, act, x, W, b });
    cases.push({ name: `dense 512^3 ${act}, TF.js wasm`, unit: 'GFLOP/s', work: flop, budget: 300, run: tfLayer.run });
  }
  for (const kind of ['smelu', 'gelu']) {
    const sm = smelu.activation(kind === 'smelu' ? { kind, beta: 1 } : kind);
    cases.push({ name: `${kind} forward n=4096, smelu wasm`, unit: 'elements/ns', work: L1, budget: 150, run: () => smelu.forward(sm, xs, ys) });
    cases.push({ name: `${kind} forward n=4096, smelu wasm, allocArray`, unit: 'elements/ns', work: L1, budget: 150,
      run: () => smelu.forward(sm, xsAlloc, ysAlloc) });
    cases.push({ name: `${kind} forward n=4096, wasm kernel alone`, unit: 'elements/ns', work: L1, budget: 150, run: wasmKernel(sm.code, sm.params, xs).forward });
    cases.push({ name: `${kind} forward n=4096, smelu native (${native.info().isa})`, unit: 'elements/ns', work: L1, budget: 150,
      run: () => native.actForward(sm.code, sm.params, xs, ys) });
    cases.push({ name: `${kind} forward n=4096, smelu TypeScript`, unit: 'elements/ns', work: L1, budget: 150,
      run: () => jsBackend.actForward(sm.code, sm.params, xs, ys) });
  }

  const samples = cases.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
    cases.forEach((c, i) => {
      if (c.before) c.before();
      samples[i].push(c.work / (best(c.run, c.budget) * 1e6));
    });
  }
  const rows = cases.map((c, i) => ({ case: c.name, unit: c.unit, median: median(samples[i]), min: Math.min(...samples[i]), max: Math.max(...samples[i]) }));
  for (const r of rows) {
    const perCall = r.unit === 'elements/ns' ? `  ${(L1 / r.median).toFixed(0).padStart(5)} ns/call` : '';
    console.log(`${r.case.padEnd(56)} ${r.median.toPrecision(3).padStart(7)} ${r.unit}${perCall}  (rounds ${r.min.toPrecision(3)}-${r.max.toPrecision(3)})`);
  }
  const get = (name) => rows.find((r) => r.case === name).median;
  console.log('\nratios (medians):');
  for (const act of ['identity', 'smelu']) {
    const w1 = get(`dense 512^3 ${act}, smelu wasm, 1 thread`);
    console.log(`  dense 512^3 ${act}: wasm 1t / TypeScript ${(w1 / get(`dense 512^3 ${act}, smelu TypeScript`)).toFixed(1)}x (allocArray ${(get(`dense 512^3 ${act}, smelu wasm, allocArray, 1 thread`) / get(`dense 512^3 ${act}, smelu TypeScript`)).toFixed(1)}x); wasm 1t / TF.js wasm ${(w1 / get(`dense 512^3 ${act}, TF.js wasm`)).toFixed(2)}x; wasm 2t / 1t ${(get(`dense 512^3 ${act}, smelu wasm, 2 threads`) / w1).toFixed(2)}x`);
  }
  for (const kind of ['smelu', 'gelu']) {
    const ts = get(`${kind} forward n=4096, smelu TypeScript`);
    const ratio = (name) => (get(`${kind} forward n=4096, ${name}`) / ts).toFixed(1);
    console.log(`  ${kind} forward L1 / TypeScript: wasm (copies) ${ratio('smelu wasm')}x; wasm on allocArray arrays (no copies) ${ratio('smelu wasm, allocArray')}x; wasm kernel alone ${ratio('wasm kernel alone')}x`);
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
