/**
 * The training loop. Everything that decides the bits of the result is a function of the seeds:
 * the initial weights (`seed`), the example order (`shuffleSeed`, one RNG stream whose state at
 * each epoch start is checkpointed) and the arithmetic (fixed-order loops here, deterministic
 * kernels below). Time only shows up in progress reports.
 */
import { loadCheckpoint, saveCheckpoint, type EpochRecord, type TrainState } from './checkpoint';
import { BatchGatherer, type Dataset } from './data/dataset';
import { getLoss, type Loss, type LossName } from './loss';
import { accuracy, auc, logLoss } from './metrics';
import { defaultHead, headOfLoss, predictDataset } from './head';
import type { Batch, Model } from './model';
import { accessSync, constants, existsSync, statSync } from 'fs';
import { dirname, resolve } from 'path';
import { ownOptions } from '../check';
import { clipGradNorm, createOptimizer, gradNorm, Optimizer, type OptimizerConfig } from './optim';
import type { AnyParam } from './param';
import { deriveSeed, permutation, Rng, toSeed64, type Seed } from './rng';

/** What {@link FitOptions.onProgress} receives. Only the timing fields depend on the clock. */
export interface ProgressEvent {
  /** 'step': during an epoch; 'epoch': an epoch ended; 'done': training ended. */
  phase: 'step' | 'epoch' | 'done';
  /** The current epoch, 0-based (at an 'epoch' event: the one that ended). */
  epoch: number;
  /** Epochs asked for. */
  epochs: number;
  /** Steps done in total (a resume continues the count). */
  step: number;
  /** Batches done in the current epoch. */
  batch: number;
  /** Batches per epoch, ceil(rows / batchSize). */
  batchesPerEpoch: number;
  /** Examples processed by this call of fit (not counting those before a resume). */
  examples: number;
  /** Mean training loss of the current epoch so far. */
  loss: number;
  /** Learning rate of the last step. */
  lr: number;
  /** Throughput of this call so far. */
  examplesPerSec: number;
  /** Wall time since this call started, in ms (at least 1). */
  elapsedMs: number;
  /** Metrics on the validation data, at epoch ends. */
  validation?: Record<string, number>;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Epochs to train, an integer >= 0 (a resume counts those already done). */
  epochs: number;
  /** Rows per batch, a positive integer; the last batch of an epoch may be shorter. */
  batchSize: number;
  /** An optimizer (its state carries over between calls) or a config for a new one. */
  optimizer: Optimizer | OptimizerConfig;
  /** The loss, by name or as an object. */
  loss: LossName | Loss;
  /**
   * Re-initializes the weights from this seed first; omit to train from the current weights
   * (warm start). Ignored when resuming: the checkpoint's weights win.
   */
  seed?: Seed;
  /** Seed of the example order (default: derived from seed, or 0). */
  shuffleSeed?: Seed;
  /** Shuffle each epoch (default true); false keeps the dataset order. */
  shuffle?: boolean;
  /** Clip gradients to this global norm. */
  clipNorm?: number;
  /** Called every `progressEvery` steps and at every epoch end; training is silent without it. */
  onProgress?: (e: ProgressEvent) => void;
  /** Steps between two 'step' events, a positive integer (default 20). */
  progressEvery?: number;
  /** Evaluated at each epoch end (metrics go into the history and the progress event). */
  validation?: Dataset;
  /** Save the training state every `everySteps` steps (and at the end). */
  checkpoint?: {
    /** The checkpoint file, overwritten atomically each time. */
    path: string;
    /** Steps between two saves, a positive integer. */
    everySteps: number;
  };
  /** Continue from a checkpoint file (or a state): weights, optimizer, order and position. */
  resume?: string | TrainState;
  /** Stop after this many steps in total, an integer >= 0 (the run can be resumed later). */
  maxSteps?: number;
  /**
   * What a non-finite loss or gradient does: 'stop' (default) throws {@link DivergenceError}
   * before the weights change and before any checkpoint of that state; 'skip-batch' leaves the
   * weights as they were and goes on with the next batch (the skipped steps are counted in
   * {@link FitResult.skippedBatches}).
   */
  divergence?: Divergence;
}

/** What {@link FitOptions.divergence} accepts. */
export type Divergence = 'stop' | 'skip-batch';

/** Thrown by {@link fit} and `fitAsync` when a step's loss or gradient is not finite (divergence 'stop'). */
export class DivergenceError extends Error {
  /**
   * Names the step, what was non-finite and the batch's rows.
   * @param step the 1-based step that diverged.
   * @param what 'loss' or 'gradient'.
   * @param rows the batch's row indices in the dataset (file order for loaded files).
   */
  constructor(
    readonly step: number,
    readonly what: 'loss' | 'gradient',
    readonly rows: readonly number[],
  ) {
    super(`training diverged at step ${step}: the ${what} is not finite (batch rows ${describeRows(rows)} of the data, 0-based in file order); no weights were updated`);
    this.name = 'DivergenceError';
  }
}

function describeRows(rows: readonly number[]): string {
  const shown = rows.slice(0, 8).join(', ');
  return rows.length > 8 ? `${shown}, ... (${rows.length} rows)` : shown;
}

/** What {@link fit} returns. */
export interface FitResult {
  /** Steps done in total (including those before a resume). */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  /** Examples processed by this call. */
  examples: number;
  /** Mean training loss of the last completed epoch (NaN if none completed). */
  loss: number;
  /** Every completed epoch (including those before a resume). */
  history: EpochRecord[];
  /** Wall time of this call. */
  seconds: number;
  /** The optimizer used (pass it to a later fit to continue with its state). */
  optimizer: Optimizer;
  /** Batches left out for a non-finite loss or gradient (divergence 'skip-batch'). */
  skippedBatches: number;
}

/** One gradient step: forward, loss, backward, clipping, update, projection. */
export class Trainer {
  /** The model's parameters, read once. */
  readonly params: AnyParam[];
  private grad = new Float32Array(0);

  /**
   * Binds a model, loss and optimizer; reads the model's parameter list once.
   * @param model the model to train.
   * @param loss the loss.
   * @param optimizer the optimizer (one per model).
   * @param clipNorm optional global gradient norm limit, > 0.
   * @throws RangeError when clipNorm is given and not > 0.
   */
  constructor(
    readonly model: Model,
    readonly loss: Loss,
    readonly optimizer: Optimizer,
    readonly clipNorm?: number,
  ) {
    this.params = model.params();
    if (clipNorm !== undefined && !(clipNorm > 0)) throw new RangeError(`clipNorm must be > 0, got ${clipNorm}`);
  }

  /**
   * Trains on one batch; returns its mean loss. Synchronous and deterministic.
   * @param batch the rows.
   * @returns the batch's mean loss before the update.
   * @throws RangeError for labels the loss refuses or a batch that does not fit the model.
   * @throws NonFiniteStep when the loss or the gradient is not finite: nothing was updated.
   */
  step(batch: Batch): number {
    const logits = this.model.forward(batch);
    if (this.grad.length < logits.length) this.grad = new Float32Array(logits.length);
    const g = this.grad.length === logits.length ? this.grad : this.grad.subarray(0, logits.length);
    const l = this.loss.compute(logits, batch.labels, batch.m, this.model.outputs, g);
    if (!Number.isFinite(l)) throw new NonFiniteStep('loss');
    this.model.backward(g);
    // one pass over the gradients (as much as the update itself): a NaN must never reach the weights
    if (!Number.isFinite(gradNorm(this.params))) throw new NonFiniteStep('gradient');
    if (this.clipNorm !== undefined) clipGradNorm(this.params, this.clipNorm);
    this.optimizer.step(this.params);
    this.model.postStep();
    return l;
  }
}

/** Thrown by {@link Trainer.step} before the update when the loss or the gradient is not finite. */
export class NonFiniteStep extends Error {
  /**
   * Names the value.
   * @param what which value was not finite.
   */
  constructor(readonly what: 'loss' | 'gradient') {
    super(`the ${what} is not finite`);
    this.name = 'NonFiniteStep';
  }
}

function checkFitOptions(model: Model, data: Dataset, o: FitOptions): void {
  if (!o || typeof o !== 'object') throw new TypeError('fit needs an options object');
  if (o.maxSteps !== undefined && !(Number.isInteger(o.maxSteps) && o.maxSteps >= 0)) {
    throw new TypeError(`maxSteps must be an integer >= 0, got ${String(o.maxSteps)}`);
  }
  checkLoopOptions(o);
  if (o.checkpoint) checkWritable(o.checkpoint.path);
  if (o.checkpoint && !(Number.isInteger(o.checkpoint.everySteps) && o.checkpoint.everySteps > 0)) {
    throw new TypeError(`checkpoint.everySteps must be a positive integer, got ${String(o.checkpoint.everySteps)}`);
  }
  checkTask(model, data, getLoss(o.loss));
  checkLabels(data, getLoss(o.loss), model.outputs, 'data');
  if (o.validation) {
    checkTask(model, o.validation, getLoss(o.loss));
    checkLabels(o.validation, getLoss(o.loss), model.outputs, 'validation');
  }
}

/** The options {@link fit} and `fitAsync` share. */
export type LoopOptions = Pick<FitOptions, 'epochs' | 'batchSize' | 'clipNorm' | 'shuffle' | 'progressEvery' | 'divergence'>;

/**
 * Checks the options {@link fit} and `fitAsync` share, the same way for both.
 * @param o the options (own properties).
 * @throws TypeError for epochs, batchSize, progressEvery, shuffle or divergence of the wrong kind.
 * @throws RangeError for a clipNorm that is not a finite number > 0.
 */
export function checkLoopOptions(o: LoopOptions): void {
  if (o.divergence !== undefined && o.divergence !== 'stop' && o.divergence !== 'skip-batch') {
    throw new TypeError(`divergence must be 'stop' or 'skip-batch', got ${String(o.divergence)}`);
  }
  if (o.clipNorm !== undefined && !(typeof o.clipNorm === 'number' && o.clipNorm > 0 && o.clipNorm < Infinity)) {
    throw new RangeError(`clipNorm must be a finite number > 0, got ${String(o.clipNorm)}`);
  }
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean') throw new TypeError(`shuffle must be a boolean, got ${String(o.shuffle)}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new TypeError(`epochs must be an integer >= 0, got ${String(o.epochs)}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new TypeError(`batchSize must be a positive integer, got ${String(o.batchSize)}`);
  if (o.progressEvery !== undefined && !(Number.isInteger(o.progressEvery) && o.progressEvery > 0)) {
    throw new TypeError(`progressEvery must be a positive integer, got ${String(o.progressEvery)}`);
  }
}

/**
 * One training step under a divergence policy (what {@link FitOptions.divergence} says).
 * @param trainer the trainer.
 * @param batch the rows.
 * @param divergence 'stop' (also when undefined) or 'skip-batch'.
 * @param step the step's 1-based number, for the error.
 * @param rows the batch's row indices in the dataset, asked for only when the step diverges.
 * @returns the batch's loss, or null when the batch was skipped ('skip-batch'): nothing was updated.
 * @throws DivergenceError when the loss or gradient is not finite under 'stop': nothing was updated.
 */
export function guardedStep(trainer: Trainer, batch: Batch, divergence: Divergence | undefined, step: number, rows: () => readonly number[]): number | null {
  try {
    return trainer.step(batch);
  } catch (e) {
    if (!(e instanceof NonFiniteStep)) throw e;
    if (divergence === 'skip-batch') return null;
    throw new DivergenceError(step, e.what, rows());
  }
}

/**
 * Every label fits the loss, checked before any step (a bad label found mid-epoch would leave
 * the weights half-trained). The row is the dataset's, which is the file's row order.
 * @param data the rows.
 * @param loss the loss.
 * @param outputs the model's outputs (classes for softmax).
 * @param name 'data' or 'validation', for the message.
 * @throws RangeError naming the first bad label's row.
 */
export function checkLabels(data: Dataset, loss: Loss, outputs: number, name: string): void {
  const y = data.labels;
  const w = data.labelWidth;
  const ok = loss.name === 'bce' ? (v: number) => v >= 0 && v <= 1
    : loss.name === 'softmax_ce' ? (v: number) => Number.isInteger(v) && v >= 0 && v < outputs
      : (v: number) => Number.isFinite(v);
  for (let i = 0; i < y.length; i++) {
    if (!ok(y[i])) {
      throw new RangeError(`${name}: the label ${y[i]} of row ${Math.floor(i / w)} (0-based, in file order) does not fit ${loss.name}${loss.name === 'softmax_ce' ? ` with ${outputs} classes` : ''}`);
    }
  }
}

/**
 * The checkpoint file can be written: its folder exists and is writable, and it is not a folder
 * itself. Checked before training so a bad path fails at once, not at the first save.
 * @param path the checkpoint path.
 * @throws TypeError for a path that is not a non-empty string.
 * @throws Error naming the path when it cannot be written.
 */
export function checkWritable(path: unknown): void {
  if (typeof path !== 'string' || path === '') throw new TypeError(`checkpoint.path must be a non-empty string, got ${String(path)}`);
  const dir = dirname(resolve(path));
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new Error(`checkpoint.path ${path}: the folder ${dir} cannot be written (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`checkpoint.path ${path} is a folder`);
}

/**
 * The data fit the model's inputs, and the labels fit the loss and the model's outputs.
 * @param model the model.
 * @param data the dataset.
 * @param loss the loss.
 * @throws RangeError naming what does not match.
 */
export function checkTask(model: Model, data: Dataset, loss: Loss): void {
  model.checkShape(data.shape());
  const width = loss.labelWidth(model.outputs);
  if (data.labelWidth !== width) {
    throw new RangeError(`${loss.name} with ${model.outputs} outputs needs ${width} label value(s) per row, the data has ${data.labelWidth}`);
  }
  if (loss.name === 'bce' && model.outputs !== 1) throw new RangeError(`bce needs a model with 1 output, this one has ${model.outputs}`);
  if (loss.name === 'softmax_ce' && data.numClasses !== undefined && data.numClasses !== model.outputs) {
    throw new RangeError(`the data has ${data.numClasses} classes, the model ${model.outputs} outputs`);
  }
}

/**
 * Evaluation metrics for a model's loss kind: loss always; logLoss, auc, accuracy for bce; accuracy for softmax.
 * One pass in dataset order; synchronous and deterministic.
 * @param model the model (its weights are not changed).
 * @param data the rows to evaluate.
 * @param opts the loss, and rows per forward (default 1024).
 * @returns metric name to value.
 * @throws TypeError for an unknown loss name.
 * @throws RangeError for labels the loss refuses or data that do not fit the model.
 */
export function evaluate(model: Model, data: Dataset, opts: { loss: LossName | Loss; batchSize?: number }): Record<string, number> {
  const loss = getLoss(opts.loss);
  const { predictions, loss: mean } = forwardAll(model, data, loss, opts.batchSize);
  const r: Record<string, number> = { loss: mean };
  if (loss.name === 'bce') {
    r.logLoss = logLoss(data.labels, predictions);
    r.auc = auc(data.labels, predictions);
    r.accuracy = accuracy(data.labels, predictions);
  } else if (loss.name === 'softmax_ce') {
    r.accuracy = accuracy(data.labels, predictions, model.outputs);
  }
  return r;
}

/**
 * Predictions for every row: probabilities (bce / sigmoid; softmax as [n x classes]) or values
 * (mse / linear), in a new array. Synchronous and deterministic.
 * @param model the model.
 * @param data the rows, in order.
 * @param opts the loss whose transform to apply (default: the model's head, see `Model.head`;
 *   without one, sigmoid for one output, softmax for more), and rows per forward (default 1024).
 * @returns [n x outputs].
 * @throws TypeError / RangeError as {@link evaluate}.
 */
export function predict(model: Model, data: Dataset, opts: { loss?: LossName | Loss; batchSize?: number } = {}): Float32Array {
  if (opts.loss !== undefined) return forwardAll(model, data, getLoss(opts.loss), opts.batchSize).predictions;
  return predictDataset(model, model.head ?? defaultHead(model.outputs), data, opts.batchSize);
}

/** One pass in dataset order: predictions and the row-weighted mean loss. */
function forwardAll(model: Model, data: Dataset, loss: Loss, batchSize = 1024): { predictions: Float32Array; loss: number } {
  const k = model.outputs;
  const out = new Float32Array(data.n * k);
  const g = new BatchGatherer(data, Math.min(batchSize, Math.max(1, data.n)));
  const order = identity(data.n);
  let sum = 0;
  for (let s = 0; s < data.n; s += g.capacity) {
    const b = g.gather(order, s, Math.min(data.n, s + g.capacity));
    const logits = model.forward(b, false);
    sum += loss.compute(logits, b.labels, b.m, k) * b.m;
    loss.predict(logits, b.m, k, out.subarray(s * k, (s + b.m) * k));
  }
  return { predictions: out, loss: data.n ? sum / data.n : NaN };
}

function identity(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * The shuffle seed a run uses: given, or derived from the init seed, or 0.
 * @param o the run's `seed` and `shuffleSeed`.
 * @returns the seed as a uint64.
 * @throws TypeError for an invalid seed.
 */
export function resolveShuffleSeed(o: { seed?: Seed; shuffleSeed?: Seed }): bigint {
  if (o.shuffleSeed !== undefined) return toSeed64(o.shuffleSeed, 'shuffleSeed');
  return o.seed !== undefined ? deriveSeed(o.seed, 0x5348554646n) : 0n;
}

/** Mutable loop position, what a checkpoint stores besides weights and optimizer state. */
interface Cursor {
  step: number;
  epoch: number;
  batch: number;
  epochLossSum: number;
  epochExamples: number;
  history: EpochRecord[];
  epochRng: Uint32Array;
}

/**
 * Trains `model` on `data`. Synchronous and silent unless `onProgress` is given.
 * The same model config, data, options and seeds give bitwise-identical weights, also across a
 * checkpoint and resume, and whatever the kernels' thread count.
 *
 * Blocks the calling thread until done (use a worker thread to keep an event loop responsive).
 * The model's weights are updated in place.
 * @param model the model to train.
 * @param data the training rows.
 * @param options epochs, batch size, optimizer, loss, seeds, checkpointing and progress.
 * @returns steps, epochs, the loss history and the optimizer.
 * @throws TypeError for invalid options (epochs, batchSize, progressEvery, checkpoint.everySteps,
 *   loss, optimizer, seeds).
 * @throws RangeError when the data do not fit the model or the loss, for a hyperparameter out of
 *   range, or a resume state made for another model, optimizer, run settings or data.
 * @throws CheckpointError for an unreadable or invalid `resume` file; file system errors of
 *   checkpoint writes propagate.
 * @throws Error for a checkpoint path whose folder cannot be written, before the first step.
 * @throws DivergenceError when a step's loss or gradient is not finite (divergence 'stop'):
 *   the weights and the checkpoint file are those of the step before.
 */
export function fit(model: Model, data: Dataset, options: FitOptions): FitResult {
  const o = ownOptions('fit options', options);
  if (o.checkpoint) o.checkpoint = ownOptions('checkpoint', o.checkpoint);
  checkFitOptions(model, data, o);
  const loss = getLoss(o.loss);
  const optimizer = o.optimizer instanceof Optimizer ? o.optimizer : createOptimizer(o.optimizer);
  const head = headOfLoss(loss.name);
  if (head) model.head = head; // what the model predicts follows from what it was trained for
  const trainer = new Trainer(model, loss, optimizer, o.clipNorm);
  const shuffleSeed = resolveShuffleSeed(o);
  const shuffle = o.shuffle !== false;
  const rng = Rng.fromSeed(shuffleSeed);
  const cur: Cursor = { step: 0, epoch: 0, batch: 0, epochLossSum: 0, epochExamples: 0, history: [], epochRng: rng.getState() };
  const run: TrainState['run'] = {
    batchSize: o.batchSize, loss: loss.name, shuffle, shuffleSeed: shuffleSeed.toString(), clipNorm: o.clipNorm ?? null, rows: data.n,
    // hashing the data costs a pass over it: only when the run may be resumed
    data: o.checkpoint || o.resume !== undefined ? data.fingerprint() : '',
  };
  if (o.resume !== undefined) {
    const st = typeof o.resume === 'string' ? loadCheckpoint(o.resume) : o.resume;
    applyState(st, model, optimizer, run, cur);
  } else if (o.seed !== undefined) {
    model.init(o.seed);
  }
  const snapshot = (): TrainState => captureState(model, optimizer, run, cur);
  const loop = new Loop(trainer, data, o, cur, rng, shuffle, snapshot);
  return loop.run();
}

class Loop {
  private readonly gatherer: BatchGatherer;
  private readonly order: Uint32Array;
  private readonly batches: number;
  private readonly t0 = Date.now();
  private examples = 0;
  private skipped = 0;

  constructor(
    private readonly trainer: Trainer,
    private readonly data: Dataset,
    private readonly o: FitOptions,
    private readonly cur: Cursor,
    private readonly rng: Rng,
    private readonly shuffle: boolean,
    private readonly snapshot: () => TrainState,
  ) {
    this.gatherer = new BatchGatherer(data, Math.min(o.batchSize, Math.max(1, data.n)));
    this.order = identity(data.n);
    this.batches = Math.ceil(data.n / o.batchSize);
  }

  run(): FitResult {
    const { cur, o } = this;
    while (cur.epoch < o.epochs && !this.stopped()) {
      this.startEpoch();
      while (cur.batch < this.batches && !this.stopped()) this.step();
      if (cur.batch >= this.batches) this.endEpoch();
      if (o.checkpoint && cur.step % o.checkpoint.everySteps === 0 && cur.batch === 0) this.save();
    }
    if (o.checkpoint) this.save();
    const last = cur.history[cur.history.length - 1];
    this.report('done');
    return {
      steps: cur.step, epochs: cur.history.length, examples: this.examples, loss: last ? last.loss : NaN,
      history: cur.history, seconds: (Date.now() - this.t0) / 1000, optimizer: this.trainer.optimizer,
      skippedBatches: this.skipped,
    };
  }

  private stopped(): boolean {
    return this.o.maxSteps !== undefined && this.cur.step >= this.o.maxSteps;
  }

  /** Regenerates the epoch's order from the RNG state saved at its start (also after a resume). */
  private startEpoch(): void {
    this.rng.setState(this.cur.epochRng);
    if (this.shuffle) permutation(this.data.n, this.rng, this.order);
  }

  private step(): void {
    const { cur, o } = this;
    const s = cur.batch * o.batchSize;
    const end = Math.min(this.data.n, s + o.batchSize);
    const b = this.gatherer.gather(this.order, s, end);
    const l = guardedStep(this.trainer, b, o.divergence, cur.step + 1, () => Array.from(this.order.subarray(s, end)));
    if (l === null) {
      this.skipped++;
    } else {
      cur.epochLossSum += l * b.m;
      cur.epochExamples += b.m;
    }
    cur.batch++;
    cur.step++;
    this.examples += b.m;
    if (o.onProgress && cur.step % (o.progressEvery ?? 20) === 0) this.report('step');
    const mid = cur.batch < this.batches;
    if (o.checkpoint && mid && cur.step % o.checkpoint.everySteps === 0) this.save();
  }

  private endEpoch(): void {
    const { cur, o } = this;
    const rec: EpochRecord = { epoch: cur.epoch, loss: cur.epochExamples ? cur.epochLossSum / cur.epochExamples : NaN };
    let validation: Record<string, number> | undefined;
    if (o.validation) rec.validation = validation = evaluate(this.trainer.model, o.validation, { loss: this.trainer.loss });
    cur.history.push(rec);
    this.report('epoch', validation);
    cur.epoch++;
    cur.batch = 0;
    cur.epochLossSum = 0;
    cur.epochExamples = 0;
    cur.epochRng = this.rng.getState(); // the next epoch starts where this one's shuffle left the RNG
  }

  private save(): void {
    saveCheckpoint(this.o.checkpoint!.path, this.snapshot());
  }

  private report(phase: ProgressEvent['phase'], validation?: Record<string, number>): void {
    if (!this.o.onProgress) return;
    const { cur } = this;
    const ms = Math.max(1, Date.now() - this.t0);
    const loss = phase === 'epoch' ? cur.history[cur.history.length - 1].loss : cur.epochExamples ? cur.epochLossSum / cur.epochExamples : NaN;
    this.o.onProgress({
      phase, epoch: cur.epoch, epochs: this.o.epochs, step: cur.step, batch: cur.batch, batchesPerEpoch: this.batches,
      examples: this.examples, loss, lr: this.trainer.optimizer.lastLr, examplesPerSec: (this.examples * 1000) / ms,
      elapsedMs: ms, validation,
    });
  }
}

function captureState(model: Model, opt: Optimizer, run: TrainState['run'], cur: Cursor): TrainState {
  const params = model.params();
  return {
    model: model.config(),
    params: params.map((p) => ({ name: p.name, value: p.value })),
    optimizer: { config: opt.config as OptimizerConfig, t: opt.t, state: opt.stateTensors(params) },
    shuffleRng: Array.from(cur.epochRng),
    position: {
      step: cur.step, epoch: cur.epoch, batch: cur.batch, epochLossSum: cur.epochLossSum,
      epochExamples: cur.epochExamples, history: cur.history,
    },
    run,
  };
}

/**
 * Loads only the weights of a checkpoint into `model` (for a warm start that then trains on its
 * own terms, e.g. with another example order). All tensors are checked before any is copied.
 * @param model the model; its config must equal the checkpoint's.
 * @param source a checkpoint path, or a state already loaded.
 * @returns the state the weights came from.
 * @throws CheckpointError for an unreadable or invalid file.
 * @throws RangeError for another model config or mismatched tensors.
 */
export function loadWeights(model: Model, source: string | TrainState): TrainState {
  const st = typeof source === 'string' ? loadCheckpoint(source) : source;
  if (!same(st.model, model.config())) {
    throw new RangeError('loadWeights: the checkpoint was made for a different model config');
  }
  const params = model.params();
  checkTensors(st, params);
  params.forEach((p, i) => p.value.set(st.params[i].value));
  return st;
}

function checkTensors(st: TrainState, params: readonly AnyParam[]): void {
  if (st.params.length !== params.length) throw new RangeError(`resume: ${st.params.length} tensors saved, the model has ${params.length}`);
  params.forEach((p, i) => {
    const s = st.params[i];
    if (s.name !== p.name || s.value.length !== p.value.length) {
      throw new RangeError(`resume: tensor ${i} is '${s.name}' [${s.value.length}], the model has '${p.name}' [${p.value.length}]`);
    }
  });
}

/** JSON with object keys sorted: configs compare equal whatever order their keys were written in. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** Checks that a saved state fits this model and run, then applies it (all checks come first). */
function applyState(st: TrainState, model: Model, opt: Optimizer, run: TrainState['run'], cur: Cursor): void {
  if (!same(st.model, model.config())) throw new RangeError('resume: the checkpoint was made for a different model config');
  if (!same(st.optimizer.config, opt.config)) throw new RangeError('resume: the checkpoint used a different optimizer config');
  for (const k of Object.keys(run) as Array<keyof typeof run>) {
    if (!same(st.run[k], run[k])) throw new RangeError(`resume: '${k}' differs (checkpoint ${JSON.stringify(st.run[k])}, now ${JSON.stringify(run[k])})`);
  }
  const params = model.params();
  checkTensors(st, params);
  new Rng(st.shuffleRng); // validates the words
  opt.loadState(params, st.optimizer.t, st.optimizer.state); // checks all lengths before copying
  params.forEach((p, i) => p.value.set(st.params[i].value));
  Object.assign(cur, { ...st.position, history: [...st.position.history], epochRng: Uint32Array.from(st.shuffleRng) });
}
