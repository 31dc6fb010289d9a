/**
 * Experiment configs of the reproducibility lab, their presets, and their expansion into replica
 * jobs. A config is plain JSON: it is hashed for the cache and shipped to worker threads as is.
 */
import { activation, activationLabel, type Activation } from '../activation';
import { deriveSeed } from '../nn/rng';
import { checkSchedule } from '../nn/schedule';
import type { FileDataConfig } from './filedata';

/**
 * What differs between replicas (docs/reproducibility-spec.md). `both` = init and order. `ulp` keeps
 * the seeds of replica 0 and moves one initial weight by one unit in the last place (which weight
 * and which direction: seeded by the replica index; replica 0 is unperturbed). `async` keeps the
 * seeds of replica 0 and lets racy parallel (Hogwild) updates make the difference. `warm` starts
 * every replica from one shared checkpoint, then continues on a different example order.
 */
export const SOURCES = ['init', 'order', 'both', 'ulp', 'async', 'warm'] as const;
export type Source = (typeof SOURCES)[number];

export interface CtrDataConfig {
  kind: 'ctr';
  /** Examples drawn for training and for the held-out evaluation set. */
  train: number;
  test: number;
  /** Seed of the synthetic generator (the data are identical for every replica). */
  seed: number;
  /** Dense features and the vocabulary of each categorical field (the model needs them too). */
  numDense: number;
  fields: number[];
  /** Logit noise of the generator's teacher (lib/nn default 0.3). */
  noise?: number;
  /**
   * The teacher: lib/nn's planted teacher (default), or `crosses` (lib/repro/synth.ts), whose
   * logit is dominated by feature crosses a linear tower cannot represent.
   */
  teacher?: 'nn' | 'crosses';
  /** crosses only: how far the teacher drifts over the stream (0 = stationary). */
  drift?: number;
}

export interface DigitsDataConfig {
  kind: 'digits';
  /** Fraction of the 1797 digits held out for evaluation. */
  testFraction: number;
  /** Seed of the fixed train/test split. */
  seed: number;
}

export type DataConfig = CtrDataConfig | DigitsDataConfig | FileDataConfig;

export interface ModelSpec {
  /** Hidden layer widths of the MLP tower. */
  hidden: number[];
  /** CTR only: embedding width of each categorical field. */
  embeddingDim?: number;
  /** Layer normalization of hidden layers (claim 6). */
  layerNorm?: boolean;
  /**
   * CTR only: every replica gets replica 0's embeddings and none trains them, so PD comes from
   * the tower alone (baseline).
   */
  frozenEmbeddings?: boolean;
}

export interface TrainSpec {
  epochs: number;
  batchSize: number;
  optimizer: 'adagrad' | 'sgd' | 'adam';
  learningRate: number;
  /** Warm start: epochs of the shared checkpoint (counted in `epochs`, so steps stay equal). */
  warmEpochs: number;
  /** Async source: number of racing threads. */
  asyncThreads: number;
  /** Async source: rows per batch of each racing worker (default batchSize); with the thread count, the staleness knob. */
  asyncBatch?: number;
  /** Example order regimes, each a point of the results: `full`, `none`, `window:W` (default ['full']). */
  shuffles?: string[];
  /** Test loss and predictions every this many examples seen (rounded up to whole batches); 0 = at the end only. */
  evalEvery?: number;
}

/** Learning-rate tuning: each activation's rate picked on a validation split carved from the training data. */
export interface TuneSpec {
  lr: number[];
  /** Share of the training rows held out for validation (never the test set). */
  validationFraction: number;
}

export interface EnsembleSpec {
  /** The members' activation: ReLU's ensembles first, then those of smooth models beside them. */
  activations: Activation[];
  /** Ensemble sizes K: each ensemble averages the predictions of K replicas. */
  sizes: number[];
  source: Source;
}

export interface ExperimentConfig {
  preset: string;
  data: DataConfig;
  model: ModelSpec;
  train: TrainSpec;
  /** Every activation runs with the first source. */
  activations: Activation[];
  sources: Source[];
  /** Activations run with the other sources (null = all of them). */
  sourceSubset: Activation[] | null;
  replicas: number;
  /** Base seed: replica r's init / order seeds derive from (seed, r). */
  seed: number;
  ensemble: EnsembleSpec | null;
  /** Synthetic data drawn with this many seeds (repeats of the whole sweep); default 1. */
  dataSeeds?: number;
  tune?: TuneSpec | null;
}

/** The regimes of a config (default: a full reshuffle). */
export const shufflesOf = (cfg: ExperimentConfig): string[] => cfg.train.shuffles ?? ['full'];

/** The learning rates every activation trains with: the tuning grid, or the one rate of the recipe. */
export const ratesOf = (cfg: ExperimentConfig): number[] => cfg.tune?.lr ?? [cfg.train.learningRate];

/** The sweep of the spec, in family order: ReLU first (the baseline every other point is compared to). */
export function fullSweep(): Activation[] {
  return [
    { kind: 'relu' },
    ...[0.1, 0.25, 0.5, 1, 2, 4].map((beta) => ({ kind: 'smelu', beta }) as Activation),
    { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 1, beta: 1 },
    { kind: 'rescu2', beta: 1 },
    { kind: 'gelu' },
    { kind: 'gelu_tanh' },
    ...[0.5, 1, 2, 4].map((beta) => ({ kind: 'swish', beta }) as Activation),
    ...[1, 2, 4, 8].map((beta) => ({ kind: 'softplus', beta }) as Activation),
  ];
}

/** The subset used for the comparison of sources (relu, smelu 1, gelu, swish 1). */
export function sourceSubset(): Activation[] {
  return [{ kind: 'relu' }, { kind: 'smelu', beta: 1 }, { kind: 'gelu' }, { kind: 'swish', beta: 1 }];
}

/** The linear tower: no activation between the layers (the floor: PD from embeddings and order alone). */
export const LINEAR: Activation = { kind: 'identity' };

/** The synthetic CTR fields of the ctr presets (heavy-tailed ids, as lib/nn draws them). */
const CTR_FIELDS = [1000, 500, 200, 100, 50, 20];

// Presets are fixed before any of their results is read; sizes are set from timings only.
export const PRESETS: Record<string, () => ExperimentConfig> = {
  // Seconds: a tiny model on a small synthetic CTR set, for the end-to-end test.
  quick: () => ({
    preset: 'quick',
    data: { kind: 'ctr', train: 1536, test: 400, seed: 11, numDense: 4, fields: [50, 20], teacher: 'crosses' },
    model: { hidden: [8], embeddingDim: 4 },
    train: {
      epochs: 2, batchSize: 64, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 1, asyncThreads: 2,
      shuffles: ['full', 'window:256'], evalEvery: 768,
    },
    activations: [{ kind: 'relu' }, LINEAR, { kind: 'smelu', beta: 1 }],
    sources: ['both', 'ulp', 'warm'],
    sourceSubset: null,
    replicas: 3,
    seed: 1,
    ensemble: { activations: [{ kind: 'relu' }, { kind: 'smelu', beta: 1 }], sizes: [2], source: 'both' },
    dataSeeds: 2,
    tune: { lr: [0.03, 0.1], validationFraction: 0.2 },
  }),
  // The papers' setting: click-through rate with embeddings, Adagrad, binary log loss, on a teacher
  // made of feature crosses (a linear tower cannot fit it), multi-epoch, full and windowed shuffles.
  // Sized from timings only (8 replicas took 33 s on 2 loaded cores, evaluating every 16,000 rows).
  ctr: () => ({
    preset: 'ctr',
    data: { kind: 'ctr', train: 64000, test: 16000, seed: 2024, numDense: 8, fields: CTR_FIELDS, teacher: 'crosses' },
    model: { hidden: [64, 32], embeddingDim: 8 },
    train: {
      epochs: 3, batchSize: 128, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 1, asyncThreads: 2,
      shuffles: ['full', 'window:4096'], evalEvery: 32000,
    },
    activations: [LINEAR, ...fullSweep()],
    sources: ['both', 'init', 'order', 'ulp', 'async', 'warm'],
    sourceSubset: [LINEAR, ...sourceSubset()],
    replicas: 8,
    seed: 7,
    ensemble: { activations: [{ kind: 'relu' }, { kind: 'smelu', beta: 1 }, { kind: 'swish', beta: 1 }], sizes: [2, 4], source: 'both' },
    dataSeeds: 2,
    tune: { lr: [0.01, 0.03, 0.1, 0.3], validationFraction: 0.1 },
  }),
  // Production-like: one pass over fresh rows whose teacher drifts, in time order, shuffled only
  // inside windows of several sizes.
  'ctr-stream': () => ({
    preset: 'ctr-stream',
    data: { kind: 'ctr', train: 128000, test: 16000, seed: 2025, numDense: 8, fields: CTR_FIELDS, teacher: 'crosses', drift: 1 },
    model: { hidden: [64, 32], embeddingDim: 8 },
    train: {
      epochs: 1, batchSize: 128, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 0, asyncThreads: 2,
      shuffles: ['window:256', 'window:4096', 'window:65536', 'full'], evalEvery: 32000,
    },
    activations: [LINEAR, ...fullSweep()],
    // Sized from timings only (8 replicas of 256,000 rows took 51 s on 2 loaded cores): half the
    // rows, 6 replicas, and no init-only source (one pass: order and ulp are the production sources).
    sources: ['both', 'order', 'ulp', 'async'],
    sourceSubset: [LINEAR, ...sourceSubset()],
    replicas: 6,
    seed: 7,
    ensemble: { activations: [{ kind: 'relu' }, { kind: 'smelu', beta: 1 }], sizes: [2], source: 'both' },
    dataSeeds: 2,
    tune: { lr: [0.01, 0.03, 0.1, 0.3], validationFraction: 0.1 },
  }),
  // Real data, multiclass: the 8x8 digits; data seeds redraw the train/test split.
  digits: () => ({
    preset: 'digits',
    data: { kind: 'digits', testFraction: 0.3, seed: 5 },
    model: { hidden: [64, 32] },
    train: { epochs: 30, batchSize: 32, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 10, asyncThreads: 2, shuffles: ['full', 'none'] },
    activations: [LINEAR, ...fullSweep()],
    sources: ['both', 'init', 'order', 'ulp', 'async', 'warm'],
    sourceSubset: [LINEAR, ...sourceSubset()],
    replicas: 10,
    seed: 7,
    ensemble: { activations: [{ kind: 'relu' }, { kind: 'smelu', beta: 1 }, { kind: 'swish', beta: 1 }], sizes: [2, 4], source: 'both' },
    dataSeeds: 2,
    tune: { lr: [0.01, 0.03, 0.1, 0.3], validationFraction: 0.15 },
  }),
};

/** One point of the sweep: an activation trained with one source of difference, order regime and rate. */
export interface Point {
  activation: Activation;
  label: string;
  source: Source;
  /** Order regime label (`full`, `none`, `window:W`). */
  shuffle: string;
  learningRate: number;
  /** Replicas to train per data seed (more than `replicas` for the ensemble baseline's points). */
  replicas: number;
}

export const sameActivation = (a: Activation, b: Activation): boolean => activationLabel(a) === activationLabel(b);

/** An activation's name in the results: its label, `linear` for the tower without activation. */
export const pointLabel = (a: Activation): string => (a.kind === 'identity' ? 'linear' : activationLabel(a));

/** The sweep's name in headings and chart titles: the preset and the model switches that change it. */
export function sweepName(cfg: Pick<ExperimentConfig, 'preset' | 'model'>): string {
  return `${cfg.preset}${cfg.model.layerNorm ? ' with layer norm' : ''}${cfg.model.frozenEmbeddings ? ' with frozen embeddings' : ''}`;
}

/** The (activation, source, regime, rate) points of a config, each with its replica count. */
export function points(cfg: ExperimentConfig): Point[] {
  const out: Point[] = [];
  cfg.sources.forEach((source, i) => {
    const acts = i === 0 || !cfg.sourceSubset ? cfg.activations : cfg.sourceSubset.filter((a) => cfg.activations.some((b) => sameActivation(a, b)));
    for (const shuffle of shufflesOf(cfg)) {
      for (const learningRate of ratesOf(cfg)) {
        for (const a of acts) {
          const desc = activation(a).descriptor as Activation;
          out.push({ activation: desc, label: pointLabel(desc), source, shuffle, learningRate, replicas: replicasFor(cfg, desc, source) });
        }
      }
    }
  });
  return out;
}

/** N, or K_max x N for an ensemble baseline's point (its ensembles use disjoint replicas). */
function replicasFor(cfg: ExperimentConfig, a: Activation, source: Source): number {
  const e = cfg.ensemble;
  if (!e || e.source !== source || !e.activations.some((b) => sameActivation(b, a))) return cfg.replicas;
  return Math.max(cfg.replicas, cfg.replicas * Math.max(...e.sizes));
}

/**
 * The seeds of a replica, as indices of per-purpose streams derived from the config's base seed:
 * the per-replica stream where the source varies it, replica 0's otherwise. Never from the run
 * order, so replica r of every activation gets the same seeds.
 */
export function replicaSeeds(source: Source, replica: number): { initIndex: number; orderIndex: number; ulpIndex: number } {
  const varyInit = source === 'init' || source === 'both';
  const varyOrder = source === 'order' || source === 'both' || source === 'warm';
  return { initIndex: varyInit ? replica : 0, orderIndex: varyOrder ? replica : 0, ulpIndex: source === 'ulp' ? replica : 0 };
}

/** The data of data seed `index`: seed 0 is the config's own; others redraw the data (or the random split, for the digits and files). */
export function dataFor(d: DataConfig, index: number): DataConfig {
  if (index === 0 || (d.kind === 'file' && d.test.kind !== 'fraction')) return d;
  return { ...d, seed: Number(deriveSeed(deriveSeed(d.seed, 0x64617461n), index) % 2147483647n) };
}

/** Queue mode's options (./queue.ts): where the queue is, and how its jobs run. */
export interface QueueOptions {
  /** redis://HOST:PORT/DB */
  url: string;
  /** Attempts per job before it is reported as failed. */
  attempts?: number;
  /** Workers fetch file data from this http(s) base instead of the same absolute path. */
  dataUrl?: string;
  /** How often the submitter looks at its jobs (ms). */
  pollMs?: number;
}

/** A parsed `smelu repro` command line: the experiment, where to write it, how many threads. */
export interface ReproArgs {
  config: ExperimentConfig;
  out: string;
  threads: number;
  /** Queue mode (--queue): the replicas go to workers through Redis instead of the local pool. */
  queue?: QueueOptions | null;
}

/**
 * A preset by name, own names only: `__proto__`, `constructor` or `toString` are unknown presets,
 * not Object.prototype's members.
 * @param name the preset's name.
 * @returns a fresh config, or undefined for an unknown name.
 */
export function presetConfig(name: string): ExperimentConfig | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name]() : undefined;
}

/** Threads per available core a sweep may ask for (oversubscribing more only slows it down). */
export const THREADS_PER_CORE = 4;

/** The bounds of a sweep: beyond them a typo, not an experiment (a week of compute, or an OOM). */
export const SWEEP_LIMITS = {
  replicas: 1000,
  ensembleSize: 64,
  dataSeeds: 100,
  epochs: 10_000,
  batchSize: 1 << 20,
  asyncThreads: 64,
  /** Replicas trained by the whole sweep (points x replicas x data seeds). */
  trainedReplicas: 100_000,
} as const;

/**
 * Checks a sweep's sizes and rates before anything runs.
 * @param cfg the experiment.
 * @param threads worker threads asked for.
 * @param cores available cores (os.availableParallelism()).
 * @throws RangeError naming the value and its bound.
 */
export function checkSweep(cfg: ExperimentConfig, threads: number, cores: number): void {
  const within = (name: string, v: number, max: number, min = 1): void => {
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  within('threads', threads, Math.max(1, cores) * THREADS_PER_CORE);
  within('replicas', cfg.replicas, SWEEP_LIMITS.replicas, 2);
  within('data seeds', cfg.dataSeeds ?? 1, SWEEP_LIMITS.dataSeeds);
  within('epochs', cfg.train.epochs, SWEEP_LIMITS.epochs);
  within('batch', cfg.train.batchSize, SWEEP_LIMITS.batchSize);
  within('async threads', cfg.train.asyncThreads ?? 1, SWEEP_LIMITS.asyncThreads);
  for (const k of cfg.ensemble?.sizes ?? []) within('ensemble size', k, SWEEP_LIMITS.ensembleSize, 2);
  for (const lr of ratesOf(cfg)) checkSchedule(lr, 'learning rate');
  const trained = points(cfg).reduce((s, p) => s + p.replicas, 0) * (cfg.dataSeeds ?? 1);
  if (trained > SWEEP_LIMITS.trainedReplicas) {
    throw new RangeError(`the sweep would train ${trained} replicas (points x replicas x data seeds); at most ${SWEEP_LIMITS.trainedReplicas}`);
  }
}
