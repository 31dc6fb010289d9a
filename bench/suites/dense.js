'use strict';
/**
 * Dense suite: GFLOP/s of smelu's fused dense layer (forward 2mkn flops, backward dx + dW + db
 * 4mkn flops) at 1 and N threads, against peers measured in the same run: OpenBLAS sgemm (alone
 * and followed by our activation pass), oneDNN inner_product with a fused eltwise post-op (and its
 * backward), onnxruntime Gemm + activation, TF.js (wasm and cpu), and
 * our own TypeScript fallback. Each figure is also given as % of the FMA peak measured in this run.
 * Also: the activation's share of a dense layer's time as k grows.
 */
const { loadSmelu, progress, measure, fillUniform } = require('../lib/util');
const { runTask } = require('../lib/child');

const SHAPES_FULL = [
  [512, 512, 512],
  [2048, 256, 256],
  [4096, 1024, 1024],
  [256, 64, 64],
  [1, 512, 512],
  [16, 512, 512],
];
// The main job: the small tower, a serving batch and a square layer, against every peer.
const SHAPES_MAIN = [
  [256, 64, 64],
  [16, 512, 512],
  [512, 512, 512],
];
const SHAPES_QUICK = [
  [256, 64, 64],
  [16, 512, 512],
  [256, 256, 256],
];
const ACTS_FULL = ['identity', 'relu', 'smelu', 'gelu', 'gelu_tanh', 'swish', 'softplus'];
const ACTS_QUICK = ['identity', 'relu', 'smelu', 'gelu'];
const ACTS_MAIN = ['relu', 'smelu', 'gelu'];
const SHARE_KS_FULL = [16, 32, 64, 128, 256, 512, 1024];
const SHARE_KS_QUICK = [16, 64, 256];

/** What --impls can name (the `name` of each entry of implementations()). */
const IMPL_NAMES = ['smelu-native', 'smelu-wasm', 'smelu-js', 'openblas', 'onednn', 'onnxruntime', 'tfjs-wasm', 'tfjs-cpu'];

/** Descriptors behind the short names (SmeLU beta = 1, as in the peers' composed graphs). */
const DESCRIPTORS = {
  identity: { kind: 'identity' },
  relu: { kind: 'relu' },
  smelu: { kind: 'smelu', beta: 1 },
  gelu: { kind: 'gelu' },
  gelu_tanh: { kind: 'gelu_tanh' },
  swish: { kind: 'swish', beta: 1 },
  softplus: { kind: 'softplus', beta: 1 },
};

/** What each depth measures (bench/run.js: --quick, the main job, --full). */
const PLANS = {
  // One warm-up call and 3 timed ones are enough to check that everything runs.
  quick: { shapes: SHAPES_QUICK, acts: ACTS_QUICK, timing: { budgetMs: 25, minSamples: 3, warmup: 1 }, slowFlopLimit: 2 ** 26, shareKs: SHARE_KS_QUICK, packed: false },
  main: { shapes: SHAPES_MAIN, acts: ACTS_MAIN, timing: { budgetMs: 60, minSamples: 5, warmup: 2 }, slowFlopLimit: 2 ** 27, shareKs: SHARE_KS_QUICK, packed: true },
  // The TypeScript fallback and TF.js cpu run near 1 GFLOP/s: larger layers would take minutes.
  full: { shapes: SHAPES_FULL, acts: ACTS_FULL, timing: { budgetMs: 300, minSamples: 5, warmup: 2 }, slowFlopLimit: 2 ** 31, shareKs: SHARE_KS_FULL, packed: true },
};

function plan(ctx) {
  const p = PLANS[ctx.profile];
  return {
    ...p,
    shapes: ctx.shapes || p.shapes,
    acts: ctx.acts || p.acts,
    threads: ctx.threads > 1 ? [1, ctx.threads] : [1],
  };
}

/** x in [-1, 1], W scaled by 1/sqrt(k) so that z stays O(1) and activations see every branch. */
function makeData(m, k, n) {
  const a = Math.sqrt(3 / k);
  return {
    x: fillUniform(new Float32Array(m * k), -1, 1, 11),
    W: fillUniform(new Float32Array(k * n), -a, a, 12),
    b: fillUniform(new Float32Array(n), -0.1, 0.1, 13),
    dy: fillUniform(new Float32Array(m * n), -1, 1, 14),
  };
}

const flops = (m, k, n, direction) => (direction === 'forward' ? 2 : 4) * m * k * n;

function row(impl, tier, threads, act, [m, k, n], direction, r) {
  const f = flops(m, k, n, direction);
  return { impl, tier, threads, activation: act, m, k, n, direction, ns: r.ns, gflops: f / r.ns, bestGflops: f / r.bestNs, samples: r.samples };
}

/** Buffers of one shape, reused by every activation and thread count. */
function buffers(m, k, n) {
  return {
    ...makeData(m, k, n),
    y: new Float32Array(m * n),
    z: new Float32Array(m * n),
    dx: new Float32Array(m * k),
    dW: new Float32Array(k * n),
    db: new Float32Array(n),
  };
}

/** Forward (plain W, and packed W when given) and backward rows of one activation. */
function smeluActRows(smelu, ctx, act) {
  const { impl, tier, threads, shape, d, packed, timing } = ctx;
  const [m, k, n] = shape;
  const spec = smelu.activation(DESCRIPTORS[act]);
  // The timed forward is an inference one (no z), as the peers' forwards are; the backward then
  // reads the z of one training forward.
  const fwdArgs = { x: d.x, W: d.W, b: d.b, m, k, n, activation: spec, out: d.y, keepZ: false };
  const rows = [row(impl, tier, threads, act, shape, 'forward', measure(() => smelu.denseForward(fwdArgs), timing))];
  if (packed) {
    const pArgs = { ...fwdArgs, W: packed };
    rows.push(row(`${impl} packed W`, tier, threads, act, shape, 'forward', measure(() => smelu.denseForward(pArgs), timing)));
  }
  smelu.denseForward({ ...fwdArgs, zOut: d.z });
  const saved = act === 'identity' ? {} : spec.backwardFromOutput ? { y: d.y } : { z: d.z };
  const bwdArgs = { x: d.x, W: d.W, dy: d.dy, m, k, n, activation: spec, ...saved, dx: d.dx, dW: d.dW, db: d.db };
  rows.push(row(impl, tier, threads, act, shape, 'backward', measure(() => smelu.denseBackward(bwdArgs), timing)));
  return rows;
}

/** Child: smelu's fused dense layer on this process's backend and tier. */
function denseSmelu(task) {
  const smelu = loadSmelu();
  const info = smelu.info();
  const isJs = info.backend === 'js';
  const impl = info.backend === 'native' ? 'smelu' : `smelu-${info.backend}`;
  const tier = isJs ? 'js' : info.isa;
  const rows = [];
  const skipped = [];
  for (const shape of task.shapes) {
    if (isJs && flops(...shape, 'backward') > task.slowFlopLimit) {
      skipped.push(shape.join('x'));
      continue;
    }
    const d = buffers(...shape);
    const packed = task.packed && !isJs ? smelu.packWeights(d.W, shape[1], shape[2]) : null;
    for (const threads of isJs ? [1] : task.threads) {
      smelu.setThreads(threads);
      for (const act of task.acts) {
        progress(`dense ${impl} ${shape.join('x')} ${act} t=${threads}`);
        rows.push(...smeluActRows(smelu, { impl, tier, threads, shape, d, packed, timing: task.timing }, act));
      }
    }
  }
  const notes = skipped.length ? [`${impl}: skipped ${skipped.join(', ')} (above ${task.slowFlopLimit} flops: too slow)`] : [];
  return { info, rows, notes };
}

/**
 * Child: OpenBLAS sgemm alone ('identity'), sgemm + our activation pass in place (no bias: the
 * cost of the unfused pass is what is being shown), and a backward of 3 sgemm (dx, dW, db) after
 * our activation backward. smelu uses as many threads as OpenBLAS.
 */
function denseOpenblas(task) {
  const { addon } = require('../lib/native').loadBenchAddon();
  if (!addon) throw new Error('bench addon missing');
  const blas = addon.blasInfo();
  if (!blas.blas) throw new Error('bench addon built without OpenBLAS');
  const smelu = loadSmelu();
  const tier = smelu.info().backend === 'js' ? 'js' : smelu.info().isa;
  const rows = [];
  for (const shape of task.shapes) {
    const d = { ...buffers(...shape), dZ: new Float32Array(shape[0] * shape[2]), ones: new Float32Array(shape[0]).fill(1) };
    for (const threads of task.threads) {
      smelu.setThreads(threads);
      for (const act of task.acts) {
        progress(`dense openblas ${shape.join('x')} ${act} t=${threads}`);
        rows.push(...blasActRows(addon, smelu, { tier, threads, shape, d, timing: task.timing }, act));
      }
    }
  }
  return { blas, rows, notes: [] };
}

/** Forward: sgemm (+ smelu.forward in place of a fused epilogue). Backward: act, then 3 sgemm. */
function blasActRows(addon, smelu, ctx, act) {
  const { tier, threads, shape, d, timing } = ctx;
  const [m, k, n] = shape;
  const spec = smelu.activation(DESCRIPTORS[act]);
  const fwd = act === 'identity'
    ? () => addon.sgemm(m, k, n, d.x, d.W, d.y, threads)
    : () => {
        addon.sgemm(m, k, n, d.x, d.W, d.z, threads);
        smelu.forward(spec, d.z, d.y);
      };
  const rows = [row('openblas', tier, threads, act, shape, 'forward', measure(fwd, timing))];
  addon.sgemm(m, k, n, d.x, d.W, d.z, threads);
  const bwd = () => {
    let dZ = d.dy; // identity: the gradient passes through unchanged
    if (act !== 'identity') dZ = smelu.backward(spec, d.z, d.dy, d.dZ);
    addon.sgemm(m, n, k, dZ, d.W, d.dx, threads, false, true); // dx = dZ W^T
    addon.sgemm(k, m, n, d.x, dZ, d.dW, threads, true, false); // dW = x^T dZ
    addon.sgemm(1, m, n, d.ones, dZ, d.db, threads); // db = 1^T dZ
  };
  rows.push(row('openblas', tier, threads, act, shape, 'backward', measure(bwd, timing)));
  return rows;
}

/** Child: onnxruntime-node, Gemm + activation with W as a constant, intra-op threads 1..N. */
async function denseOrt(task) {
  const { peerRequire } = require('../lib/peers');
  const { denseModel } = require('../lib/onnx-models');
  const { measureAsync } = require('../lib/util');
  const ort = peerRequire('onnxruntime-node');
  const rows = [];
  const notes = [];
  for (const shape of task.shapes) {
    const [m, k, n] = shape;
    const d = makeData(m, k, n);
    const X = new ort.Tensor('float32', d.x, [m, k]);
    const Y = new ort.Tensor('float32', new Float32Array(m * n), [m, n]);
    for (const threads of task.threads) {
      for (const act of task.acts) {
        progress(`dense onnxruntime ${shape.join('x')} ${act} t=${threads}`);
        let session;
        try {
          session = await ort.InferenceSession.create(denseModel({ m, k, n, act, W: d.W, B: d.b }), {
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
            executionMode: 'sequential',
            graphOptimizationLevel: 'all',
          });
          const r = await measureAsync(() => session.run({ X }, { Y }), task.timing);
          rows.push(row('onnxruntime', 'mlas', threads, act, shape, 'forward', r));
        } catch (e) {
          notes.push(`onnxruntime ${act} ${shape.join('x')}: ${e.message.split('\n')[0]}`);
        } finally {
          if (session) await session.release();
        }
      }
    }
  }
  return { version: ort.env.versions, rows, notes };
}

/** Child: TF.js dense layer (matMul + bias + activation ops), one thread. */
async function denseTfjs(task) {
  const { loadTf, tfDense } = require('../lib/tfjs');
  const tf = await loadTf(task.backend);
  const impl = `tfjs-${task.backend}`;
  const rows = [];
  const notes = [];
  const skipped = new Set();
  for (const shape of task.shapes) {
    const [m, k, n] = shape;
    if (task.backend === 'cpu' && flops(m, k, n, 'forward') > task.slowFlopLimit) {
      skipped.add(shape.join('x'));
      continue;
    }
    const d = makeData(m, k, n);
    for (const act of task.acts) {
      progress(`dense ${impl} ${shape.join('x')} ${act}`);
      const layer = tfDense(tf, { m, k, n, act, x: d.x, W: d.W, b: d.b });
      try {
        rows.push(row(impl, task.backend, 1, act, shape, 'forward', measure(layer.run, task.timing)));
      } catch (e) {
        notes.push(`${impl} ${act}: ${e.message.split('\n')[0]}`);
      } finally {
        layer.dispose();
      }
    }
  }
  if (skipped.size) notes.push(`${impl}: skipped ${[...skipped].join(', ')} (above ${task.slowFlopLimit} flops: too slow)`);
  return { version: tf.version.tfjs, rows, notes };
}

/** Child: (t_act - t_identity) / t_act of a forward dense layer m = n = 512, for each k. */
function share(task) {
  const smelu = loadSmelu();
  smelu.setThreads(1);
  const [m, n] = [512, 512];
  const shares = [];
  for (const k of task.ks) {
    const d = makeData(m, k, n);
    const y = new Float32Array(m * n);
    const time = (act) => {
      const spec = smelu.activation(DESCRIPTORS[act]);
      const args = { x: d.x, W: d.W, b: d.b, m, k, n, activation: spec, out: y, keepZ: false };
      return measure(() => smelu.denseForward(args), task.timing).ns;
    };
    progress(`dense share k=${k}`);
    const tId = time('identity');
    for (const act of task.acts.filter((a) => a !== 'identity')) {
      const tAct = time(act);
      shares.push({ k, m, n, activation: act, identityMs: tId / 1e6, actMs: tAct / 1e6, share: (tAct - tId) / tAct });
    }
  }
  return { share: shares };
}

/** Child: FMA peak per ISA and thread count, and OpenBLAS' core (run with OPENBLAS_* unset). */
function probe(task) {
  const { addon } = require('../lib/native').loadBenchAddon();
  if (!addon) throw new Error('bench addon missing');
  const fma = {};
  for (const isa of ['avx512', 'avx2', 'scalar']) {
    for (const t of task.threads) {
      const g = addon.fmaPeak(isa, t, 2, task.quick ? 15 : 61);
      if (g === null) continue;
      fma[isa] = fma[isa] || {};
      fma[isa][t] = g;
    }
  }
  return { fma, blas: addon.blasInfo() };
}

const NO_OPENBLAS_ENV = { OPENBLAS_CORETYPE: null, OPENBLAS_L2_SIZE: null };

/**
 * The implementations to measure, each { label, run(shapes) -> { rows, notes }, keep(result) };
 * a missing peer is a note here instead.
 */
function implementations(ctx, p, out) {
  const common = { acts: p.acts, threads: p.threads, timing: p.timing, slowFlopLimit: p.slowFlopLimit };
  const wanted = (name) => !ctx.impls || ctx.impls.includes(name);
  const child = (name, label, task, env, keep = () => {}) => ({ name, label, run: (shapes) => runTask({ ...task, ...common, shapes }, env), keep });
  const list = [];
  if (ctx.nativeLoaded) list.push(child('smelu-native', 'smelu native', { name: 'dense-smelu', packed: p.packed }, {}));
  list.push(child('smelu-wasm', 'smelu wasm backend', { name: 'dense-smelu', packed: p.packed }, { SMELU_BACKEND: 'wasm', SMELU_ISA: null }));
  list.push(child('smelu-js', 'smelu TypeScript backend', { name: 'dense-smelu', packed: false }, { SMELU_BACKEND: 'js', SMELU_ISA: null }));
  if (ctx.addonError) out.notes.push(`openblas peer skipped: ${ctx.addonError}`);
  else if (wanted('openblas')) list.push(child('openblas', 'openblas', { name: 'dense-openblas' }, NO_OPENBLAS_ENV, (r) => (out.peers.openblas = r.blas)));
  const onednn = wanted('onednn') ? onednnImpl(ctx, common, out) : null;
  if (onednn) list.push(onednn);
  if (ctx.peers.has('onnxruntime-node') && ctx.peers.has('onnx-proto')) {
    list.push(child('onnxruntime', 'onnxruntime', { name: 'dense-ort' }, {}, (r) => (out.peers.onnxruntime = r.version)));
  } else if (wanted('onnxruntime')) out.notes.push('onnxruntime peer skipped: onnxruntime-node / onnx-proto not installed');
  for (const backend of ['wasm', 'cpu']) {
    const pkg = backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs';
    if (!ctx.peers.has('@tensorflow/tfjs') || !ctx.peers.has(pkg)) {
      if (wanted(`tfjs-${backend}`)) out.notes.push(`tfjs-${backend} peer skipped: ${pkg} not installed`);
      continue;
    }
    list.push(child(`tfjs-${backend}`, `tfjs-${backend}`, { name: 'dense-tfjs', backend }, {}, (r) => (out.peers[`tfjs-${backend}`] = r.version)));
  }
  return list.filter((impl) => wanted(impl.name));
}

/** oneDNN runs as its own program (bench/lib/onednn.js); absent, it is one note. */
function onednnImpl(ctx, common, out) {
  const { runOnednn, unavailable } = require('../lib/onednn');
  const why = ctx.addonError ? `oneDNN peer skipped: ${ctx.addonError}` : unavailable();
  if (why) {
    progress(why);
    out.notes.push(why);
    return null;
  }
  const toRows = (r) => ({
    ...r,
    rows: r.rows.map((q) => ({ ...row('onednn', q.kernel, q.threads, q.activation, [q.m, q.k, q.n], q.direction, q), kernel: q.kernel })),
  });
  return {
    name: 'onednn',
    label: 'onednn',
    run: async (shapes) => toRows(await runOnednn({ ...common, shapes })),
    keep: (r) => {
      const prev = out.peers.onednn;
      const kernels = {};
      for (const dir of ['forward', 'backward']) kernels[dir] = [...new Set([...(prev ? prev.kernels[dir] : []), ...r.kernels[dir]])];
      out.peers.onednn = { version: r.version, kernels };
    },
  };
}

/** Rows of several rounds: per implementation and case, the round with the best median. */
function mergeRounds(rows) {
  const best = new Map();
  for (const r of rows) {
    const key = [r.impl, r.threads, r.activation, r.m, r.k, r.n, r.direction].join('|');
    const had = best.get(key);
    if (!had) best.set(key, { ...r, rounds: 1 });
    else {
      const keep = r.ns < had.ns ? { ...r } : had;
      keep.bestGflops = Math.max(had.bestGflops, r.bestGflops);
      keep.rounds = had.rounds + 1;
      best.set(key, keep);
    }
  }
  return [...best.values()];
}

/**
 * Parent: every implementation in turn, one child process each. With --rounds N (N > 1) shape by
 * shape, in reverse order every other round, so that the figures compared in a row were measured
 * minutes apart at most, and each case keeps its best round; with one round each implementation
 * takes all shapes in one process (fewer process starts). A failing or missing peer is a note.
 */
async function run(ctx) {
  const p = plan(ctx);
  const out = { shapes: p.shapes, acts: p.acts, threads: p.threads, rounds: ctx.rounds || 1, rows: [], share: [], notes: [], peers: {} };
  const impls = implementations(ctx, p, out);
  const rows = [];
  const notes = new Set();
  const groups = out.rounds > 1 ? p.shapes.map((shape) => [shape]) : [p.shapes];
  for (const shapes of groups) {
    for (let round = 0; round < out.rounds; round++) {
      for (const impl of round % 2 ? [...impls].reverse() : impls) {
        const label = `${impl.label}${groups.length > 1 ? ` ${shapes[0].join('x')} round ${round + 1}` : ''}`;
        progress(`dense: ${label}`);
        try {
          const r = await impl.run(shapes);
          rows.push(...(r.rows || []));
          for (const n of r.notes || []) notes.add(n);
          impl.keep(r);
        } catch (e) {
          notes.add(`dense ${impl.label} skipped: ${e.message.split('\n')[0]}`);
        }
      }
    }
  }
  out.rows = mergeRounds(rows);
  if (out.peers.onednn) {
    const k = out.peers.onednn.kernels;
    notes.add(`onednn ${out.peers.onednn.version} kernels: forward ${k.forward.join(', ')}; backward ${k.backward.join(', ')}; no SmeLU in oneDNN (not measured)`);
  }
  out.notes.push(...notes);
  // A narrowed run (--shapes / --impls) is a focused comparison: no share table.
  const wantShare = !ctx.shapes && (!ctx.impls || ctx.impls.includes('smelu-native'));
  if (wantShare && (ctx.nativeLoaded || ctx.quick)) {
    // The share is a property of the fast path; on the TypeScript backend it says little, but
    // --quick still runs it so the test covers the code.
    const r = await runTask({ name: 'dense-share', ks: p.shareKs, acts: p.acts, timing: p.timing }, {}).catch((e) => {
      out.notes.push(`dense activation share skipped: ${e.message.split('\n')[0]}`);
      return null;
    });
    if (r) out.share = r.share;
  }
  if (ctx.fma) {
    // Probe again after the suite and keep the better figure: another process stealing a core
    // during one probe would otherwise inflate every % of peak.
    const again = await runTask({ name: 'probe', threads: p.threads, quick: ctx.quick }, NO_OPENBLAS_ENV).catch(() => null);
    if (again) mergePeaks(ctx.fma, again.fma);
  }
  addPeak(out.rows, ctx.fma);
  return out;
}

function mergePeaks(into, other) {
  for (const [isa, byThreads] of Object.entries(other || {})) {
    into[isa] = into[isa] || {};
    for (const [t, g] of Object.entries(byThreads)) into[isa][t] = Math.max(into[isa][t] || 0, g);
  }
}

/** A multi-thread peak well under threads x the one-thread peak means the cores were shared. */
function busyNotes(fma) {
  const notes = [];
  for (const [isa, byThreads] of Object.entries(fma)) {
    for (const [t, g] of Object.entries(byThreads)) {
      if (t !== '1' && byThreads[1] && g < 0.85 * Number(t) * byThreads[1]) {
        notes.push(`FMA peak ${isa} at ${t} threads (${g.toFixed(0)}) is under ${t} x one thread (${byThreads[1].toFixed(0)}): the machine was busy; % of peak uses ${t} x one thread`);
      }
    }
  }
  return notes;
}

/**
 * pctPeak: GFLOP/s as % of the best ISA's FMA peak at the same thread count. The ceiling for t
 * threads is at least t x the one-thread peak: on a shared machine the t-thread probe can lose a
 * core to another process, and a smaller ceiling would read as more than 100%.
 */
function addPeak(rows, fma) {
  const best = fma && (fma.avx512 || fma.avx2 || fma.scalar);
  for (const r of rows) {
    const peak = best && Math.max(best[r.threads] || 0, r.threads * (best[1] || 0));
    r.peakGflops = peak || null;
    r.pctPeak = peak ? (100 * r.gflops) / peak : null;
  }
}

module.exports = { run, IMPL_NAMES, DESCRIPTOR_NAMES: Object.keys(DESCRIPTORS), denseSmelu, denseOpenblas, denseOrt, denseTfjs, share, probe, plan, busyNotes, DESCRIPTORS, NO_OPENBLAS_ENV };
