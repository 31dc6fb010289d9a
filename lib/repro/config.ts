/**
 * Experiment configs of the reproducibility lab, their presets, and their expansion into replica
 * jobs. A config is plain JSON: it is hashed for the cache and shipped to worker threads as is.
 */
import { activation, activationLabel, type Activation } from '../activation';

/**
 * What differs between replicas (docs/reproducibility-spec.md). `both` = init and order. `async` keeps
 * the seeds of replica 0 and lets racy parallel (Hogwild) updates make the difference. `warm`
 * starts every replica from one shared checkpoint, then continues on a different example order.
 */
export const SOURCES = ['init', 'order', 'both', 'async', 'warm'] as const;
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
}

export interface DigitsDataConfig {
  kind: 'digits';
  /** Fraction of the 1797 digits held out for evaluation. */
  testFraction: number;
  /** Seed of the fixed train/test split. */
  seed: number;
}

export type DataConfig = CtrDataConfig | DigitsDataConfig;

export interface ModelSpec {
  /** Hidden layer widths of the MLP tower. */
  hidden: number[];
  /** CTR only: embedding width of each categorical field. */
  embeddingDim?: number;
  /** Layer normalization of hidden layers (claim 6). */
  layerNorm?: boolean;
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
}

export interface EnsembleSpec {
  activation: Activation;
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
}

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

export const PRESETS: Record<string, () => ExperimentConfig> = {
  // Seconds: a tiny model on a small synthetic CTR set, for the end-to-end test.
  quick: () => ({
    preset: 'quick',
    data: { kind: 'ctr', train: 1500, test: 400, seed: 11, numDense: 4, fields: [50, 20] },
    model: { hidden: [8], embeddingDim: 4 },
    train: { epochs: 2, batchSize: 64, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 1, asyncThreads: 2 },
    activations: [{ kind: 'relu' }, { kind: 'smelu', beta: 1 }],
    sources: ['both', 'warm'],
    sourceSubset: null,
    replicas: 3,
    seed: 1,
    ensemble: { activation: { kind: 'relu' }, sizes: [2], source: 'both' },
  }),
  // The papers' setting: click-through rate with embeddings, Adagrad, binary log loss. Sized from
  // timings only (a 32k-row pass of the whole preset took 4 minutes on the 2 shared cores).
  ctr: () => ({
    preset: 'ctr',
    data: { kind: 'ctr', train: 128000, test: 16000, seed: 2024, numDense: 8, fields: [1000, 1000, 500, 200, 100, 50, 20, 10] },
    model: { hidden: [64, 32], embeddingDim: 8 },
    train: { epochs: 4, batchSize: 128, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 1, asyncThreads: 2 },
    activations: fullSweep(),
    sources: ['both', 'init', 'order', 'async', 'warm'],
    sourceSubset: sourceSubset(),
    // 10, not 5: at about a second per replica on an idle machine the budget buys 45 pairs per point.
    replicas: 10,
    seed: 7,
    ensemble: { activation: { kind: 'relu' }, sizes: [2, 4], source: 'both' },
  }),
  // Real data, multiclass: the 8x8 digits, a fixed split.
  digits: () => ({
    preset: 'digits',
    data: { kind: 'digits', testFraction: 0.3, seed: 5 },
    model: { hidden: [64, 32] },
    train: { epochs: 30, batchSize: 32, optimizer: 'adagrad', learningRate: 0.05, warmEpochs: 10, asyncThreads: 2 },
    activations: fullSweep(),
    sources: ['both', 'init', 'order', 'async', 'warm'],
    sourceSubset: sourceSubset(),
    // 10, not 5: the whole preset trains in about a minute, so the budget buys 45 pairs per point.
    replicas: 10,
    seed: 7,
    ensemble: { activation: { kind: 'relu' }, sizes: [2, 4], source: 'both' },
  }),
};

/** One point of the sweep: an activation trained with one source of difference. */
export interface Point {
  activation: Activation;
  label: string;
  source: Source;
  /** Replicas to train (more than `replicas` for the ensemble baseline's point). */
  replicas: number;
}

const sameActivation = (a: Activation, b: Activation): boolean => activationLabel(a) === activationLabel(b);

/** The (activation, source) points of a config, each with its replica count. */
export function points(cfg: ExperimentConfig): Point[] {
  const out: Point[] = [];
  cfg.sources.forEach((source, i) => {
    const acts = i === 0 || !cfg.sourceSubset ? cfg.activations : cfg.sourceSubset.filter((a) => cfg.activations.some((b) => sameActivation(a, b)));
    for (const a of acts) {
      const desc = activation(a).descriptor as Activation;
      out.push({ activation: desc, label: activationLabel(desc), source, replicas: replicasFor(cfg, desc, source) });
    }
  });
  return out;
}

/** N, or K_max x N for the ensemble baseline's point (its ensembles use disjoint replicas). */
function replicasFor(cfg: ExperimentConfig, a: Activation, source: Source): number {
  const e = cfg.ensemble;
  if (!e || e.source !== source || !sameActivation(e.activation, a)) return cfg.replicas;
  return Math.max(cfg.replicas, cfg.replicas * Math.max(...e.sizes));
}

/** The two seeds of a replica: the per-replica stream where the source varies it, replica 0's otherwise. */
export function replicaSeeds(source: Source, replica: number): { initIndex: number; orderIndex: number } {
  const varyInit = source === 'init' || source === 'both';
  const varyOrder = source === 'order' || source === 'both' || source === 'warm';
  return { initIndex: varyInit ? replica : 0, orderIndex: varyOrder ? replica : 0 };
}

/** A parsed `smelu repro` command line: the experiment, where to write it, how many threads. */
export interface ReproArgs {
  config: ExperimentConfig;
  out: string;
  threads: number;
}
