/**
 * Nondeterminism on purpose (the "nondeterministic updates" source of the reproducibility lab):
 * several worker threads train one model whose weights live in SharedArrayBuffers, each applying
 * its gradients without locks or ordering (Hogwild!, Niu et al. 2011). Which weights a worker
 * reads depends on how the threads interleave, so two runs with the same seeds end with different
 * bits, while the work itself is identical: each worker gets a fixed shard (every W-th example of
 * the seeded epoch order) and its own optimizer state.
 *
 * With workers = 1 there is nobody to race with, and the result equals {@link fit} bit for bit.
 * The worker math lives in this module, used by both sides; the worker entry is
 * the compiled hogwild-worker.js (see ../worker-file).
 */
import { Worker, type MessagePort } from 'worker_threads';
import { workerFile } from '../worker-file';
import type { EpochRecord } from './checkpoint';
import { BatchGatherer, Dataset } from './data/dataset';
import { headOfLoss } from './head';
import { getLoss, type LossName } from './loss';
import { buildModel } from './build';
import type { Bag, Model, ModelConfig } from './model';
import { createOptimizer, type OptimizerConfig } from './optim';
import { permutation, Rng, type Seed } from './rng';
import { ownOptions } from '../check';
import {
  checkLoopOptions, checkTask, DivergenceError, evaluate, guardedStep, resolveShuffleSeed, Trainer, type Divergence, type FitResult,
  type ProgressEvent,
} from './train';

/** Options of {@link fitAsync}: those of {@link FitOptions} that make sense across threads. */
export interface AsyncFitOptions {
  /** Epochs to train, an integer >= 0. */
  epochs: number;
  /** Rows per batch within a worker's shard, a positive integer. */
  batchSize: number;
  /** A config, not an instance: every worker builds its own optimizer (state is per worker). */
  optimizer: OptimizerConfig;
  /** The loss, by name (workers rebuild it). */
  loss: LossName;
  /** Re-initializes the weights from this seed first; omit to start from the current weights. */
  seed?: Seed;
  /** Seed of the example order (default: derived from seed, or 0). */
  shuffleSeed?: Seed;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Clip each worker's gradients to this global norm. */
  clipNorm?: number;
  /** Racing worker threads, an integer from 1 to 256 (default 2). */
  workers?: number;
  /** Called on the main thread as workers report ('step' events only). */
  onProgress?: (e: ProgressEvent) => void;
  /** Steps per worker between progress messages (default 20). */
  progressEvery?: number;
  /** Evaluated once, after the last epoch (its metrics go into the last history record). */
  validation?: Dataset;
  /**
   * What a non-finite loss or gradient does, as in {@link FitOptions.divergence}: 'stop' (default)
   * stops every worker and rejects with {@link DivergenceError} (the step is the diverging
   * worker's own count, which with one worker is fit's step); 'skip-batch' leaves the weights as
   * they were and goes on (counted in skippedBatches).
   */
  divergence?: Divergence;
}

/** What {@link fitAsync} returns: a {@link FitResult} without the optimizer (each worker had its own). */
export type AsyncFitResult = Omit<FitResult, 'optimizer'> & {
  /** Worker threads used. */
  workers: number;
};

/** A dataset as SharedArrayBuffers plus its shape: what a worker rebuilds a Dataset from. */
interface SharedData {
  labels: Float32Array;
  dense: Float32Array;
  numDense: number;
  cat: Uint32Array;
  numCat: number;
  bags: Bag[];
  labelWidth: number;
  numClasses: number | undefined;
}

interface WorkerInput {
  config: ModelConfig;
  params: SharedArrayBuffer;
  lengths: number[];
  data: SharedData;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  loss: LossName;
  shuffle: boolean;
  shuffleSeed: string;
  clipNorm?: number;
  divergence?: Divergence;
  progressEvery: number;
  worker: number;
  workers: number;
  /** Start line: workers begin training together, so that their updates really interleave. */
  barrier: SharedArrayBuffer;
}

/** A worker's counts since its last report: `lossRows` are the rows whose loss counted (not skipped). */
interface Progress {
  examples: number;
  lossSum: number;
  lossRows: number;
  steps: number;
  skipped: number;
}

type WorkerMessage =
  | ({ type: 'progress'; worker: number; epoch: number; lr: number } & Progress)
  | { type: 'done'; worker: number }
  | { type: 'diverged'; worker: number; step: number; what: DivergenceError['what']; rows: readonly number[] }
  | { type: 'error'; worker: number; message: string };

function shared<T extends Float32Array | Uint32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as { new (b: SharedArrayBuffer): T };
  const s = new C(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

function shareData(d: Dataset): SharedData {
  return {
    labels: shared(d.labels), dense: shared(d.dense), numDense: d.numDense, cat: shared(d.cat), numCat: d.numCat,
    bags: d.bags.map((b) => ({ ids: shared(b.ids), offsets: shared(b.offsets) })),
    labelWidth: d.labelWidth, numClasses: d.numClasses,
  };
}

/** Binds every parameter of `model` to consecutive views of one shared buffer. */
function bindShared(model: Model, buf: SharedArrayBuffer, lengths: readonly number[]): void {
  const params = model.params();
  if (params.length !== lengths.length || params.some((p, i) => p.value.length !== lengths[i])) {
    throw new Error('the rebuilt model does not match the shared parameter layout');
  }
  let off = 0;
  for (const p of params) {
    p.value = new Float32Array(buf, off * 4, p.value.length);
    off += p.value.length;
  }
}

/**
 * Worker side: trains its shard of every epoch on the shared weights.
 * @param input what the main thread sent.
 * @param port where progress, 'done' and errors are posted (errors are not thrown).
 * @internal
 */
export function runHogwildWorker(input: WorkerInput, port: MessagePort): void {
  try {
    trainShard(input, port);
    port.postMessage({ type: 'done', worker: input.worker } satisfies WorkerMessage);
  } catch (e) {
    if (e instanceof DivergenceError) {
      port.postMessage({ type: 'diverged', worker: input.worker, step: e.step, what: e.what, rows: e.rows } satisfies WorkerMessage);
    } else {
      port.postMessage({ type: 'error', worker: input.worker, message: (e as Error).stack ?? String(e) } satisfies WorkerMessage);
    }
  }
}

/** Waits until every worker has arrived (setup times differ by tens of milliseconds). */
function startTogether(barrier: SharedArrayBuffer, workers: number): void {
  const b = new Int32Array(barrier);
  Atomics.add(b, 0, 1);
  Atomics.notify(b, 0);
  for (let seen = Atomics.load(b, 0); seen < workers; seen = Atomics.load(b, 0)) Atomics.wait(b, 0, seen, 100);
}

function trainShard(input: WorkerInput, port: MessagePort): void {
  const model = buildModel(input.config);
  bindShared(model, input.params, input.lengths);
  const data = new Dataset(input.data);
  const trainer = new Trainer(model, getLoss(input.loss), createOptimizer(input.optimizer), input.clipNorm);
  const rng = Rng.fromSeed(BigInt(input.shuffleSeed));
  const order = new Uint32Array(data.n);
  const mine = new Uint32Array(Math.ceil(data.n / input.workers));
  const gatherer = new BatchGatherer(data, Math.min(input.batchSize, Math.max(1, mine.length)));
  startTogether(input.barrier, input.workers);
  let taken = 0;
  for (let epoch = 0; epoch < input.epochs; epoch++) {
    if (input.shuffle) permutation(data.n, rng, order);
    else for (let i = 0; i < data.n; i++) order[i] = i;
    let k = 0;
    for (let i = input.worker; i < data.n; i += input.workers) mine[k++] = order[i];
    let p: Progress = { examples: 0, lossSum: 0, lossRows: 0, steps: 0, skipped: 0 };
    const flush = (): void => {
      port.postMessage({ type: 'progress', worker: input.worker, epoch, lr: trainer.optimizer.lastLr, ...p } satisfies WorkerMessage);
      p = { examples: 0, lossSum: 0, lossRows: 0, steps: 0, skipped: 0 };
    };
    for (let s = 0; s < k; s += input.batchSize) {
      const end = Math.min(k, s + input.batchSize);
      const b = gatherer.gather(mine, s, end);
      const l = guardedStep(trainer, b, input.divergence, ++taken, () => Array.from(mine.subarray(s, end)));
      if (l === null) {
        p.skipped++;
      } else {
        p.lossSum += l * b.m;
        p.lossRows += b.m;
      }
      p.examples += b.m;
      if (++p.steps === input.progressEvery) flush();
    }
    flush();
  }
}

/** Copies the model's weights into one shared buffer (parameter after parameter). */
function shareParams(model: Model): SharedArrayBuffer {
  const params = model.params();
  const buf = new SharedArrayBuffer(params.reduce((a, p) => a + p.value.length, 0) * 4);
  let off = 0;
  for (const p of params) {
    new Float32Array(buf, off * 4, p.value.length).set(p.value);
    off += p.value.length;
  }
  return buf;
}

/** Copies the shared weights back into the model's own arrays. */
function unshareParams(model: Model, buf: SharedArrayBuffer): void {
  let off = 0;
  for (const p of model.params()) {
    p.value.set(new Float32Array(buf, off * 4, p.value.length));
    off += p.value.length;
  }
}

function checkAsyncOptions(model: Model, data: Dataset, o: AsyncFitOptions): number {
  const workers = o.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new TypeError(`workers must be an integer from 1 to 256, got ${String(o.workers)}`);
  checkLoopOptions(o);
  checkTask(model, data, getLoss(o.loss));
  createOptimizer(o.optimizer); // validate here, not in every worker
  return workers;
}

/**
 * Trains `model` with `workers` racing threads (Hogwild). The model's weights are replaced by the
 * result. Resolves when every worker is done; rejects (and stops the others) if one fails.
 *
 * Nondeterministic on purpose with workers > 1: the same seeds give different bits from run to
 * run. With workers = 1 the result equals {@link fit}'s bit for bit. The training runs in worker
 * threads (the data are copied into SharedArrayBuffers once); do not use or change `model` until
 * the promise settles.
 * @param model the model; workers rebuild it from its config.
 * @param data the training rows.
 * @param options epochs, batch size, optimizer config, loss, seeds, workers, divergence and progress.
 * @returns a promise of steps, epochs, loss history and the worker count.
 * @throws TypeError / RangeError for invalid options or data that do not fit the model, as a
 *   rejection (nothing is thrown synchronously); Error when a worker fails.
 * @throws DivergenceError when a step's loss or gradient is not finite (divergence 'stop'), after
 *   every worker stopped: the model holds the weights as they were then (with one worker, those
 *   of the step before, as {@link fit}).
 */
export async function fitAsync(model: Model, data: Dataset, options: AsyncFitOptions): Promise<AsyncFitResult> {
  const o = ownOptions('fitAsync options', options);
  const workers = checkAsyncOptions(model, data, o);
  const head = headOfLoss(getLoss(o.loss).name);
  if (head) model.head = head; // as fit: predictions follow from the loss trained for
  if (o.seed !== undefined) model.init(o.seed);
  const buf = shareParams(model);
  const base: Omit<WorkerInput, 'worker'> = {
    config: model.config(), params: buf, lengths: model.params().map((p) => p.value.length), data: shareData(data),
    epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer, loss: o.loss, shuffle: o.shuffle !== false,
    shuffleSeed: resolveShuffleSeed(o).toString(), clipNorm: o.clipNorm, divergence: o.divergence, progressEvery: o.progressEvery ?? 20,
    workers, barrier: new SharedArrayBuffer(4),
  };
  const t0 = Date.now();
  let tally: Progress[];
  try {
    tally = await runWorkers(base, o, t0, data.n);
  } catch (e) {
    // no step applied a non-finite update: the weights reached so far are finite, as fit leaves them
    if (e instanceof DivergenceError) unshareParams(model, buf);
    throw e;
  }
  unshareParams(model, buf);
  const history: EpochRecord[] = tally.map((t, epoch) => ({ epoch, loss: t.lossRows ? t.lossSum / t.lossRows : NaN }));
  const last = history[history.length - 1];
  if (o.validation && last) last.validation = evaluate(model, o.validation, { loss: o.loss });
  return {
    steps: tally.reduce((s, t) => s + t.steps, 0), epochs: history.length, examples: tally.reduce((s, t) => s + t.examples, 0),
    loss: last ? last.loss : NaN, history, seconds: (Date.now() - t0) / 1000, workers,
    skippedBatches: tally.reduce((s, t) => s + t.skipped, 0),
  };
}

/** Every worker's counts of one epoch, summed. */
function runWorkers(base: Omit<WorkerInput, 'worker'>, o: AsyncFitOptions, t0: number, n: number): Promise<Progress[]> {
  const entry = workerFile(__dirname, 'hogwild-worker');
  const tally: Progress[] = Array.from({ length: o.epochs }, () => ({ examples: 0, lossSum: 0, lossRows: 0, steps: 0, skipped: 0 }));
  const threads: Worker[] = [];
  let total = 0;
  return new Promise<Progress[]>((resolve, reject) => {
    let running = base.workers;
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      // release workers still waiting at the start line, so that terminate() finds them running
      const b = new Int32Array(base.barrier);
      Atomics.store(b, 0, base.workers);
      Atomics.notify(b, 0);
      // settled once every worker has stopped: nothing writes the shared weights afterwards
      void Promise.allSettled(threads.map((w) => w.terminate())).then(() => reject(e));
    };
    for (let i = 0; i < base.workers; i++) {
      const w = new Worker(entry, { workerData: { ...base, worker: i } });
      threads.push(w);
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'error') return fail(new Error(`hogwild worker ${m.worker}: ${m.message}`));
        if (m.type === 'diverged') return fail(new DivergenceError(m.step, m.what, m.rows));
        if (m.type === 'done') return void (--running === 0 && !failed && resolve(tally));
        const t = tally[m.epoch];
        t.lossSum += m.lossSum;
        t.lossRows += m.lossRows;
        t.examples += m.examples;
        t.steps += m.steps;
        t.skipped += m.skipped;
        total += m.examples;
        reportAsync(o, m, t, total, t0, n);
      });
      w.on('error', (e) => fail(e));
      w.on('exit', (code) => {
        if (code !== 0) fail(new Error(`hogwild worker ${i} exited with code ${code}`));
      });
    }
  });
}

function reportAsync(o: AsyncFitOptions, m: Extract<WorkerMessage, { type: 'progress' }>, t: Progress, total: number, t0: number, n: number): void {
  if (!o.onProgress) return;
  const ms = Math.max(1, Date.now() - t0);
  const perEpoch = Math.ceil(n / o.batchSize);
  o.onProgress({
    phase: 'step', epoch: m.epoch, epochs: o.epochs, step: t.steps, batch: Math.min(perEpoch, t.steps), batchesPerEpoch: perEpoch,
    examples: total, loss: t.lossRows ? t.lossSum / t.lossRows : NaN, lr: m.lr, examplesPerSec: (total * 1000) / ms, elapsedMs: ms,
  });
}
