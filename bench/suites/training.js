'use strict';
/**
 * Training suite: examples per second of full training steps (forward, loss, backward, optimizer)
 * for two models, with smelu.nn and with the same models written in TF.js (wasm and cpu):
 * - CTR: 26 embedding fields x 16 dims + 13 dense features -> 512-256-128 -> 1, BCE, Adagrad,
 *   batch 512 (vocabulary 10^4 per field, ids drawn uniformly);
 * - MLP on the digits (8x8 pixels): 64 -> 256-128 -> 10, softmax cross-entropy, Adam, batch 128.
 * CTR data is random with the right shapes (throughput does not depend on it). Skipped while
 * smelu.nn is not available.
 */
const { loadSmelu, progress, measure, fillUniform, rng } = require('../lib/util');
const { runTask } = require('../lib/child');

const NOT_YET = 'training suite: lib/nn not available yet';

const MODELS = {
  ctr: { fields: 26, vocab: 10000, dim: 16, numDense: 13, hidden: [512, 256, 128], outputs: 1, batch: 512 },
  mlp_digits: { numDense: 64, hidden: [256, 128], outputs: 10, batch: 128 },
};
const ACTS = ['relu', 'smelu'];
const BATCHES = 4; // distinct random batches cycled through, so rows and ids vary step to step

/** The digits (1797 x 64 pixels / 16) through smelu.nn's loader, or null when not found. */
function loadDigits() {
  try {
    const d = loadSmelu().nn.loadDigits();
    return { dense: d.dense, labels: d.labels, n: d.n };
  } catch {
    return null;
  }
}

/**
 * Batches in smelu.nn's Batch layout (the TF.js side reads the same arrays): the digits when the
 * file is found (random pixels otherwise: throughput does not depend on them), random CTR rows.
 */
function makeBatches(name) {
  const c = MODELS[name];
  const r = rng(99);
  const digits = name === 'mlp_digits' ? loadDigits() : null;
  const out = [];
  for (let b = 0; b < BATCHES; b++) {
    const m = c.batch;
    const cat = new Uint32Array(m * (c.fields || 0));
    for (let i = 0; i < cat.length; i++) cat[i] = Math.floor(r() * c.vocab);
    const labels = new Float32Array(m);
    let dense = new Float32Array(m * c.numDense);
    if (digits) {
      for (let i = 0; i < m; i++) {
        const row = (b * m + i) % digits.n;
        dense.set(digits.dense.subarray(row * c.numDense, (row + 1) * c.numDense), i * c.numDense);
        labels[i] = digits.labels[row];
      }
    } else {
      dense = fillUniform(dense, 0, 1, 100 + b);
      for (let i = 0; i < m; i++) labels[i] = c.outputs === 1 ? (r() < 0.25 ? 1 : 0) : Math.floor(r() * c.outputs);
    }
    out.push({ m, dense, cat, bags: [], labels });
  }
  return out;
}

/** One training step of smelu.nn: returns a closure cycling over the batches. */
function smeluStep(nn, name, act) {
  const c = MODELS[name];
  const model = name === 'ctr'
    ? nn.ctrModel({ numDense: c.numDense, fields: new Array(c.fields).fill(c.vocab), embeddingDim: c.dim, hidden: c.hidden, activation: act, seed: 1 })
    : nn.mlp({ inputs: c.numDense, hidden: c.hidden, outputs: c.outputs, activation: act, seed: 1 });
  const opt = nn.createOptimizer(name === 'ctr' ? { kind: 'adagrad', lr: 0.01 } : { kind: 'adam', lr: 0.001 });
  const loss = nn.getLoss(name === 'ctr' ? 'bce' : 'softmax_ce');
  const batches = makeBatches(name);
  const grad = new Float32Array(c.batch * c.outputs);
  const params = model.params();
  let i = 0;
  return () => {
    const b = batches[i++ % BATCHES];
    const logits = model.forward(b);
    loss.compute(logits, b.labels, b.m, c.outputs, grad);
    model.backward(grad);
    opt.step(params);
    model.postStep();
  };
}

/** Timing of whole steps: --quick takes 1 warm-up and 2 timed steps once a step is slow. */
function budget(task) {
  if (task.quick) return { budgetMs: 300, minSamples: 2, minSampleMs: 0, warmup: 1 };
  if (task.profile === 'main') return { budgetMs: 600, minSamples: 3, minSampleMs: 0, warmup: 1 };
  return { budgetMs: 4000, minSamples: 3, minSampleMs: 0, warmup: 2 };
}

const actsFor = (task) => (task.quick ? ['smelu'] : ACTS);

/** Runs fn(model, act) for every model and activation; a failure becomes a note, not an abort. */
function eachModel(task, impl, fn, notes) {
  for (const name of Object.keys(MODELS)) {
    for (const act of actsFor(task)) {
      try {
        fn(name, act);
      } catch (e) {
        notes.push(`${impl} ${name} ${act}: ${e.message.split('\n')[0]}`);
        break;
      }
    }
  }
}

/** Child: smelu.nn on this process's backend, at each thread count. */
function trainSmelu(task) {
  const smelu = loadSmelu();
  if (!smelu.nn) throw new Error(NOT_YET);
  const info = smelu.info();
  const impl = info.backend === 'js' ? 'smelu-js' : 'smelu';
  const threadsList = info.backend === 'js' || task.quick ? [1] : task.threads;
  const rows = [];
  const notes = [];
  eachModel(task, impl, (name, act) => {
    for (const threads of threadsList) {
      smelu.setThreads(threads);
      progress(`training ${impl} ${name} ${act} t=${threads}`);
      const r = measure(smeluStep(smelu.nn, name, act), budget(task));
      rows.push(trainingRow(name, impl, act, threads, r));
    }
  }, notes);
  return { rows, notes };
}

function trainingRow(model, impl, act, threads, r) {
  const batch = MODELS[model].batch;
  return { model, impl, activation: act, threads, batch, msPerStep: r.ns / 1e6, examplesPerSec: batch / (r.ns * 1e-9), steps: r.samples };
}

/** The same models in TF.js: dense layers as matMul + bias + activation, embeddings as gather. */
function tfjsStep(tf, name, act) {
  const { tfActivation } = require('../lib/tfjs');
  const c = MODELS[name];
  const f = tfActivation(tf, act);
  const batches = makeBatches(name);
  const glorot = (i, o) => tf.variable(tf.randomUniform([i, o], -Math.sqrt(6 / (i + o)), Math.sqrt(6 / (i + o)), 'float32', 1));
  const embeddings = name === 'ctr' ? Array.from({ length: c.fields }, () => tf.variable(tf.randomNormal([c.vocab, c.dim], 0, 0.05, 'float32', 2))) : [];
  const sizes = [c.numDense + (c.fields || 0) * (c.dim || 0), ...c.hidden, c.outputs];
  const layers = sizes.slice(1).map((o, i) => ({ W: glorot(sizes[i], o), b: tf.variable(tf.zeros([o])) }));
  const opt = name === 'ctr' ? tf.train.adagrad(0.01, 0.1) : tf.train.adam(0.001);
  // Inputs as tensors once per batch: the step measures training, not uploads.
  const inputs = batches.map((b) => ({
    dense: tf.tensor2d(b.dense, [b.m, c.numDense]),
    ids: name === 'ctr' ? Array.from({ length: c.fields }, (_, j) => tf.tensor1d(Int32Array.from({ length: b.m }, (_, i) => b.cat[i * c.fields + j]), 'int32')) : [],
    labels: c.outputs === 1 ? tf.tensor2d(b.labels, [b.m, 1]) : tf.oneHot(tf.tensor1d(Int32Array.from(b.labels), 'int32'), c.outputs),
  }));
  const forward = (x) => {
    let h = x.ids.length ? tf.concat([x.dense, ...x.ids.map((ids, j) => tf.gather(embeddings[j], ids))], 1) : x.dense;
    layers.forEach((l, i) => {
      const z = tf.add(tf.matMul(h, l.W), l.b);
      h = i < layers.length - 1 ? f(z) : z;
    });
    return h;
  };
  const lossFn = (x) => (c.outputs === 1 ? tf.losses.sigmoidCrossEntropy(x.labels, forward(x)) : tf.losses.softmaxCrossEntropy(x.labels, forward(x)));
  let i = 0;
  return () => {
    const x = inputs[i++ % BATCHES];
    const l = opt.minimize(() => lossFn(x), true);
    l.dataSync(); // wait for the step (the wasm backend is synchronous; cpu too, but be explicit)
    l.dispose();
  };
}

/** Child: TF.js with one backend; models whose step takes too long on cpu are skipped. */
async function trainTfjs(task) {
  const { loadTf } = require('../lib/tfjs');
  const tf = await loadTf(task.backend);
  const impl = `tfjs-${task.backend}`;
  const rows = [];
  const notes = [];
  eachModel(task, impl, (name, act) => {
    if (name === 'ctr' && task.backend === 'wasm') {
      // tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks.
      throw new Error('not supported (no UnsortedSegmentSum kernel in the wasm backend: embeddings cannot train)');
    }
    if (name === 'ctr' && task.backend === 'cpu') {
      // Measured once: 5 steps of one activation had not finished after 8 minutes (the gradient
      // of each gather is a dense [vocab x dim] table, and Adagrad updates all of it).
      throw new Error('skipped (over a minute per step on the pure-JS backend)');
    }
    progress(`training ${impl} ${name} ${act}`);
    try {
      rows.push(trainingRow(name, impl, act, 1, measure(tfjsStep(tf, name, act), budget(task))));
    } finally {
      tf.disposeVariables();
    }
  }, notes);
  return { rows, notes };
}

async function run(ctx) {
  if (!ctx.smelu.nn) {
    progress(NOT_YET);
    return { skipped: NOT_YET, rows: [], notes: [NOT_YET] };
  }
  const out = { models: MODELS, rows: [], notes: [] };
  const threads = ctx.threads > 1 ? [1, ctx.threads] : [1];
  const step = async (label, task, env) => {
    progress(`training: ${label}`);
    try {
      const r = await runTask({ quick: ctx.quick, profile: ctx.profile, threads, ...task }, env);
      out.rows.push(...r.rows);
      out.notes.push(...(r.notes || []));
    } catch (e) {
      out.notes.push(`training ${label} skipped: ${e.message.split('\n')[0]}`);
    }
  };
  if (ctx.nativeLoaded) await step('smelu native', { name: 'training-smelu' }, {});
  if (!ctx.quick || !ctx.nativeLoaded) await step('smelu TypeScript backend', { name: 'training-smelu' }, { SMELU_BACKEND: 'js', SMELU_ISA: null });
  for (const backend of ['wasm', 'cpu']) {
    const pkg = backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs';
    if (ctx.peers.has('@tensorflow/tfjs') && ctx.peers.has(pkg)) await step(`tfjs-${backend}`, { name: 'training-tfjs', backend }, {});
    else out.notes.push(`training tfjs-${backend} skipped: ${pkg} not installed`);
  }
  return out;
}

module.exports = { run, trainSmelu, trainTfjs, NOT_YET, MODELS };
