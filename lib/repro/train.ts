/**
 * Training of one replica (or of the shared warm-start checkpoint) with lib/nn, in a worker
 * thread. Only the seeds and the source's switch differ between replicas; data, model, optimizer
 * and step count are the same for all.
 */
import * as fs from 'node:fs';
import type { ActivationLike } from '../activation';
import {
  createOptimizer, ctrModel, deriveSeed, fit, fitAsync, loadCheckpoint, loadDigits, mlp, predict, syntheticCtr,
  type Dataset, type Model, type OptimizerConfig,
} from '../nn';
import type { ReplicaResult } from './cache';
import type { DataConfig, ModelSpec } from './config';
import type { CheckpointJob, Job, Recipe, ReplicaJob } from './jobs';
import { scoreOf, type Task } from './report';

const DIGIT_CLASSES = 10;

interface Split {
  train: Dataset;
  test: Dataset;
  /** 1 for binary, 10 for the digits. */
  classes: number;
}

const splits = new Map<string, Split>();

/** The train / test split of a data config, built once per thread (it is a function of the config). */
function loadSplit(d: DataConfig): Split {
  const key = JSON.stringify(d);
  let s = splits.get(key);
  if (!s) splits.set(key, (s = buildSplit(d)));
  return s;
}

function buildSplit(d: DataConfig): Split {
  if (d.kind === 'ctr') {
    // One stream for both parts: the test rows are fresh draws of the same distribution.
    const all = syntheticCtr({ rows: d.train + d.test, seed: d.seed, numDense: d.numDense, fields: d.fields, noise: d.noise });
    return { train: all.slice(0, d.train), test: all.slice(d.train), classes: 1 };
  }
  const [test, train] = loadDigits().split(d.testFraction, d.seed);
  return { train, test, classes: DIGIT_CLASSES };
}

/** What the report needs of the test set: its labels and the class count. */
export function loadTask(d: DataConfig): Task {
  const s = loadSplit(d);
  return { classes: s.classes, labels: s.test.labels };
}

function buildModel(d: DataConfig, m: ModelSpec, act: ActivationLike): Model {
  if (d.kind === 'ctr') {
    return ctrModel({ numDense: d.numDense, fields: d.fields, embeddingDim: m.embeddingDim, hidden: m.hidden, activation: act, layerNorm: m.layerNorm });
  }
  return mlp({ inputs: 64, hidden: m.hidden, outputs: DIGIT_CLASSES, activation: act, layerNorm: m.layerNorm });
}

const lossOf = (d: DataConfig): 'bce' | 'softmax_ce' => (d.kind === 'ctr' ? 'bce' : 'softmax_ce');

function optimizerConfig(r: Recipe): OptimizerConfig {
  return { kind: r.optimizer, lr: r.learningRate } as OptimizerConfig;
}

/** Seeds of a replica: one stream per purpose, indexed by the replica's init / order index. */
function seeds(job: Job): { init: bigint; order: bigint } {
  return { init: deriveSeed(deriveSeed(job.seed, 1), job.initIndex), order: deriveSeed(deriveSeed(job.seed, 2), job.orderIndex) };
}

/** Trains the shared warm-start checkpoint and writes it where the runner looks for it. */
function trainCheckpoint(job: CheckpointJob): string {
  const split = loadSplit(job.data);
  const model = buildModel(job.data, job.model, job.activation);
  const s = seeds(job);
  const tmp = `${job.path}.${process.pid}.tmp`;
  fit(model, split.train, {
    epochs: job.recipe.epochs, batchSize: job.recipe.batchSize, optimizer: optimizerConfig(job.recipe),
    loss: lossOf(job.data), seed: s.init, shuffleSeed: s.order, checkpoint: { path: tmp, everySteps: Number.MAX_SAFE_INTEGER },
  });
  fs.renameSync(tmp, job.path);
  return job.path;
}

/**
 * Weights and optimizer state of the checkpoint, but not its example order: a warm replica goes
 * on with its own shuffle seed (a resume would replay the checkpoint's order).
 */
function warmStart(model: Model, file: string, recipe: Recipe) {
  const st = loadCheckpoint(file);
  const params = model.params();
  params.forEach((p, i) => p.value.set(st.params[i].value));
  const opt = createOptimizer(optimizerConfig(recipe));
  opt.loadState(params, st.optimizer.t, st.optimizer.state);
  return opt;
}

async function trainReplica(job: ReplicaJob): Promise<ReplicaResult> {
  const split = loadSplit(job.data);
  const t0 = Date.now(); // after the (per-thread, cached) data: the cost of a replica is its training
  const model = buildModel(job.data, job.model, job.activation);
  const s = seeds(job);
  const optimizer = job.checkpoint ? warmStart(model, job.checkpoint.path, job.recipe) : optimizerConfig(job.recipe);
  const common = {
    epochs: job.recipe.epochs, batchSize: job.recipe.batchSize, optimizer, loss: lossOf(job.data), shuffleSeed: s.order,
    seed: job.checkpoint ? undefined : s.init,
  };
  if (job.asyncThreads > 1) {
    // Hogwild: racing threads on shared weights; same seeds, so only the race differs.
    await fitAsync(model, split.train, { ...common, optimizer: optimizerConfig(job.recipe), workers: job.asyncThreads });
  } else {
    fit(model, split.train, common);
  }
  const predictions = predict(model, split.test, { loss: lossOf(job.data) });
  const { loss, quality } = scoreOf(predictions, { classes: split.classes, labels: split.test.labels });
  return { key: job.key, label: job.label, source: job.source, replica: job.replica, loss, quality, predictions, seconds: (Date.now() - t0) / 1000 };
}

/** Runs a job of the pool. */
export async function runJob(job: Job): Promise<ReplicaResult | string> {
  return job.type === 'checkpoint' ? trainCheckpoint(job) : trainReplica(job);
}
