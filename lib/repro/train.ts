/**
 * Training of one replica (or of the shared warm-start checkpoint) with lib/nn, in a worker
 * thread. Only the seeds and the source's switch differ between replicas; data, model, optimizer
 * and step count are the same for all.
 *
 * The example order is built here, not by lib/nn's fit: the whole stream (epochs x rows, in the
 * job's order regime) is drawn from the order seed, then fed to fit in chunks in that order with
 * fit's own shuffle off. Chunks end on whole batches, so evaluating between them (eval-every)
 * does not change a step.
 */
import * as fs from 'node:fs';
import type { ActivationLike } from '../activation';
import {
  createOptimizer, ctrModel, deriveSeed, fit, fitAsync, loadCheckpoint, loadDigits, mlp, predict, Rng, syntheticCtr,
  type Dataset, type Model, type Optimizer, type OptimizerConfig,
} from '../nn';
import type { AnyParam } from '../nn/param';
import type { Curve, ReplicaResult } from './cache';
import type { DataConfig, ModelSpec } from './config';
import type { CheckpointJob, Job, Recipe, ReplicaJob } from './jobs';
import { cutPoints, epochOrder, parseShuffle, trainingStream } from './order';
import { scoreOf, type Task } from './report';
import { loadFileSplit, standardize, streamChunkRows, trainingChunks, type FileDataConfig, type Scale } from './filedata';
import { crossesCtr } from './synth';

const DIGIT_CLASSES = 10;

export interface Split {
  train: Dataset;
  /** File data: the dense columns' training statistics (stream mode standardizes each chunk with them). */
  scale?: Scale;
  /** Tuning only: the last rows of the training data, held out from training. */
  valid: Dataset | null;
  test: Dataset;
  /** 1 for binary, 10 for the digits. */
  classes: number;
}

const splits = new Map<string, Split>();
const fileSplits = new Map<string, Split>();

/** Loads a file config's data into this thread's cache (files load asynchronously); a no-op for the others. */
export async function prepareData(d: DataConfig): Promise<void> {
  if (d.kind !== 'file') return;
  const key = JSON.stringify(d);
  if (fileSplits.has(key)) return;
  const { train, test, scale } = await loadFileSplit(d);
  fileSplits.set(key, { train, valid: null, test, classes: 1, scale });
}

/** The train / (validation) / test split of a data config, built once per thread. */
export function loadSplit(d: DataConfig, validationFraction?: number): Split {
  const key = JSON.stringify([d, validationFraction ?? 0]);
  let s = splits.get(key);
  if (!s) splits.set(key, (s = carveValidation(baseSplit(d), validationFraction)));
  return s;
}

const baseSplits = new Map<string, Split>();

function baseSplit(d: DataConfig): Split {
  const key = JSON.stringify(d);
  let s = baseSplits.get(key);
  if (!s) baseSplits.set(key, (s = buildSplit(d)));
  return s;
}

/** The validation split: the last share of the training rows (the next period, for ordered data). */
function carveValidation(s: Split, fraction?: number): Split {
  if (!fraction) return s;
  const k = s.train.n - Math.round(fraction * s.train.n);
  if (k < 1 || k >= s.train.n) throw new RangeError(`validationFraction ${fraction} leaves no training or no validation rows`);
  return { ...s, train: s.train.slice(0, k), valid: s.train.slice(k) };
}

function buildSplit(d: DataConfig): Split {
  if (d.kind === 'file') {
    const s = fileSplits.get(JSON.stringify(d));
    if (!s) throw new Error(`the data of ${d.file} were not loaded (prepareData first)`);
    return s;
  }
  if (d.kind === 'ctr') {
    // One stream for both parts: the test rows are fresh draws that come after the training rows.
    const o = { rows: d.train + d.test, seed: d.seed, numDense: d.numDense, fields: d.fields, noise: d.noise };
    const all = d.teacher === 'crosses' ? crossesCtr({ ...o, drift: d.drift }) : syntheticCtr(o);
    return { train: all.slice(0, d.train), valid: null, test: all.slice(d.train), classes: 1 };
  }
  const [test, train] = loadDigits().split(d.testFraction, d.seed);
  return { train, valid: null, test, classes: DIGIT_CLASSES };
}

/** What the report needs of the test set: its labels and the class count. */
export function loadTask(d: DataConfig): Task {
  const s = baseSplit(d);
  return { classes: s.classes, labels: s.test.labels };
}

function buildModel(d: DataConfig, m: ModelSpec, act: ActivationLike): Model {
  if (d.kind === 'file') {
    // One embedding table of `buckets` rows per categorical and bag field; dense-only data get an MLP.
    const t = baseSplit(d).test; // the same columns as the training rows (which may be streamed)
    const fields = [...Array.from({ length: t.numCat }, () => d.buckets), ...t.bags.map(() => ({ vocab: d.buckets, bag: true }))];
    if (!fields.length) return mlp({ inputs: t.numDense, hidden: m.hidden, outputs: 1, activation: act, layerNorm: m.layerNorm });
    return ctrModel({ numDense: t.numDense, fields, embeddingDim: m.embeddingDim, hidden: m.hidden, activation: act, layerNorm: m.layerNorm });
  }
  if (d.kind === 'ctr') {
    return ctrModel({ numDense: d.numDense, fields: d.fields, embeddingDim: m.embeddingDim, hidden: m.hidden, activation: act, layerNorm: m.layerNorm });
  }
  return mlp({ inputs: 64, hidden: m.hidden, outputs: DIGIT_CLASSES, activation: act, layerNorm: m.layerNorm });
}

const lossOf = (d: DataConfig): 'bce' | 'softmax_ce' => (d.kind === 'digits' ? 'softmax_ce' : 'bce');

function optimizerConfig(r: Recipe): OptimizerConfig {
  return { kind: r.optimizer, lr: r.learningRate } as OptimizerConfig;
}

/** Seeds of a replica: one stream per purpose, indexed by the replica's init / order / ulp index. */
function seeds(job: Job): { init: bigint; order: bigint; ulp: bigint } {
  const ulp = job.type === 'replica' ? job.ulpIndex : 0;
  return {
    init: deriveSeed(deriveSeed(job.seed, 1), job.initIndex),
    order: deriveSeed(deriveSeed(job.seed, 2), job.orderIndex),
    ulp: deriveSeed(deriveSeed(job.seed, 3), ulp),
  };
}

/**
 * Moves one nonzero initial weight (tensor, element and direction drawn from `seed`) by one unit
 * in the last place of float32. Zeros are skipped: their neighbour is a subnormal that a
 * flush-to-zero kernel would erase.
 * @returns where the move happened, for the report.
 */
export function moveOneUlp(params: readonly AnyParam[], seed: bigint): { tensor: string; index: number; up: boolean } {
  const rng = Rng.fromSeed(seed);
  const weights = params.filter((p) => p.value.length > 0 && (p.sparse || p.decay));
  for (;;) {
    const p = weights[rng.int(weights.length)];
    const i = rng.int(p.value.length);
    const up = rng.next() < 0.5;
    if (p.value[i] === 0) continue;
    const bits = new Uint32Array(p.value.buffer, p.value.byteOffset + 4 * i, 1);
    // For IEEE floats the bit pattern grows with the magnitude: +1 moves away from zero.
    bits[0] += (p.value[i] > 0) === up ? 1 : -1;
    return { tensor: p.name, index: i, up };
  }
}

/** The model as the trainer sees it: with frozen embeddings, only the tower's parameters. */
export function trainable(model: Model, frozen: boolean): Model {
  if (!frozen) return model;
  const tower = model.params().filter((p) => !p.sparse);
  return new Proxy(model, {
    get(t, k) {
      if (k === 'params') return () => tower;
      const v = Reflect.get(t, k, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

/** Replica 0's embeddings in every replica (frozen-embeddings baseline). */
function shareEmbeddings(job: Job, model: Model): void {
  const ref = buildModel(job.data, job.model, job.activation);
  ref.init(deriveSeed(deriveSeed(job.seed, 1), 0));
  const mine = model.params();
  ref.params().forEach((p, i) => p.sparse && mine[i].value.set(p.value));
}

/** Trains the shared warm-start checkpoint and writes it where the runner looks for it. */
function trainCheckpoint(job: CheckpointJob): string {
  const split = loadSplit(job.data, job.recipe.validationFraction);
  const model = buildModel(job.data, job.model, job.activation);
  const s = seeds(job);
  const stream = trainingStream(split.train.n, job.recipe.epochs, parseShuffle(job.recipe.shuffle), s.order);
  const tmp = `${job.path}.${process.pid}.tmp`;
  fit(model, split.train.subset(stream), {
    epochs: 1, batchSize: job.recipe.batchSize, optimizer: optimizerConfig(job.recipe), shuffle: false,
    loss: lossOf(job.data), seed: s.init, checkpoint: { path: tmp, everySteps: Number.MAX_SAFE_INTEGER },
  });
  fs.renameSync(tmp, job.path);
  return job.path;
}

/**
 * Weights and optimizer state of the checkpoint, but not its example order: a warm replica goes
 * on with its own order seed (a resume would replay the checkpoint's order).
 */
function warmStart(model: Model, file: string, recipe: Recipe): Optimizer {
  const st = loadCheckpoint(file);
  const params = model.params();
  params.forEach((p, i) => p.value.set(st.params[i].value));
  const opt = createOptimizer(optimizerConfig(recipe));
  opt.loadState(params, st.optimizer.t, st.optimizer.state);
  return opt;
}

/**
 * Stream mode: one pass over the training file chunk by chunk (never all of it in memory), each
 * chunk in the replica's order regime (window shuffles stay inside a chunk, whose size is a whole
 * number of windows); the test set is evaluated after the chunks that cross an eval point.
 */
async function trainFileStream(job: ReplicaJob & { data: FileDataConfig }, model: Model, split: Split, opt: Optimizer): Promise<Curve> {
  const shuffle = parseShuffle(job.recipe.shuffle);
  const rng = Rng.fromSeed(seeds(job).order);
  const curve: Curve = { examples: [], loss: [], predictions: [] };
  const loss = lossOf(job.data);
  const every = job.recipe.evalEvery;
  let seen = 0;
  for await (const chunk of trainingChunks(job.data, streamChunkRows(shuffle.kind === 'window' ? shuffle.size : 1))) {
    fit(model, standardize(chunk.subset(epochOrder(chunk.n, shuffle, rng)), split.scale!), { epochs: 1, batchSize: job.recipe.batchSize, optimizer: opt, loss, shuffle: false });
    const before = seen;
    seen += chunk.n;
    if (!every || Math.floor(seen / every) === Math.floor(before / every)) continue;
    const p = predict(model, split.test, { loss });
    curve.examples.push(seen);
    curve.loss.push(scoreOf(p, { classes: split.classes, labels: split.test.labels }).loss);
    curve.predictions.push(p);
  }
  return curve;
}

/** Trains on the stream chunk by chunk; evaluates on the test set at the eval points. */
function trainStream(job: ReplicaJob, model: Model, split: Split, stream: Uint32Array, opt: Optimizer): Curve {
  const curve: Curve = { examples: [], loss: [], predictions: [] };
  const { cuts, evals } = cutPoints(stream.length, job.recipe.batchSize, job.recipe.evalEvery);
  const loss = lossOf(job.data);
  let from = 0;
  for (const to of cuts) {
    fit(model, split.train.subset(stream.subarray(from, to)), { epochs: 1, batchSize: job.recipe.batchSize, optimizer: opt, loss, shuffle: false });
    from = to;
    if (!job.recipe.evalEvery || !evals.has(to)) continue;
    const p = predict(model, split.test, { loss });
    curve.examples.push(to);
    curve.loss.push(scoreOf(p, { classes: split.classes, labels: split.test.labels }).loss);
    curve.predictions.push(p);
  }
  return curve;
}

async function trainReplica(job: ReplicaJob): Promise<ReplicaResult> {
  const split = loadSplit(job.data, job.recipe.validationFraction);
  const t0 = Date.now(); // after the (per-thread, cached) data: the cost of a replica is its training
  const model = buildModel(job.data, job.model, job.activation);
  const s = seeds(job);
  const frozen = job.model.frozenEmbeddings === true && job.data.kind !== 'digits';
  let opt: Optimizer;
  if (job.checkpoint) opt = warmStart(model, job.checkpoint.path, job.recipe);
  else {
    model.init(s.init);
    if (frozen) shareEmbeddings(job, model);
    if (job.ulpIndex) moveOneUlp(frozen ? model.params().filter((p) => !p.sparse) : model.params(), s.ulp);
    opt = createOptimizer(optimizerConfig(job.recipe));
  }
  const m = trainable(model, frozen);
  let curve: Curve | undefined;
  if (job.data.kind === 'file' && job.data.stream) {
    curve = await trainFileStream(job as ReplicaJob & { data: FileDataConfig }, m, split, opt);
  } else if (job.asyncThreads > 1) {
    const stream = trainingStream(split.train.n, job.recipe.epochs, parseShuffle(job.recipe.shuffle), s.order);
    // Hogwild: racing threads on shared weights over the same stream; only the race differs.
    await fitAsync(m, split.train.subset(stream), {
      epochs: 1, batchSize: job.asyncBatch, optimizer: optimizerConfig(job.recipe), loss: lossOf(job.data), shuffle: false, workers: job.asyncThreads,
    });
  } else {
    curve = trainStream(job, m, split, trainingStream(split.train.n, job.recipe.epochs, parseShuffle(job.recipe.shuffle), s.order), opt);
  }
  const task = { classes: split.classes, labels: split.test.labels };
  const predictions = predict(model, split.test, { loss: lossOf(job.data) });
  const { loss, quality } = scoreOf(predictions, task);
  const validLoss = split.valid ? scoreOf(predict(model, split.valid, { loss: lossOf(job.data) }), { classes: split.classes, labels: split.valid.labels }).loss : undefined;
  return {
    key: job.key, label: job.label, source: job.source, replica: job.replica, loss, quality, validLoss, predictions,
    curve: curve?.examples.length ? curve : undefined, seconds: (Date.now() - t0) / 1000,
  };
}

/** Runs a job of the pool. */
export async function runJob(job: Job): Promise<ReplicaResult | string> {
  await prepareData(job.data);
  return job.type === 'checkpoint' ? trainCheckpoint(job) : trainReplica(job);
}
