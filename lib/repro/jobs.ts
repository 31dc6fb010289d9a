/**
 * The jobs a worker runs, built from a config on the main thread. A job carries everything that
 * determines its result, and its cache key is the hash of exactly that (plus the package version),
 * so two points that happen to train the same replica (replica 0 of `init`, `order`, `both` and
 * `ulp` has the same seeds) share one cache entry.
 */
import type { Activation } from '../activation';
import { hashKey } from './cache';
import { dataFor, replicaSeeds, type DataConfig, type ExperimentConfig, type ModelSpec, type Point, type Source } from './config';

/** The training recipe of one job (the fields of TrainSpec that matter to it). */
export interface Recipe {
  batchSize: number;
  optimizer: string;
  learningRate: number;
  /** Epochs this job trains. */
  epochs: number;
  /** Order regime: `full`, `none` or `window:W`. */
  shuffle: string;
  /** Test evaluation every this many examples (0 or absent: at the end only). */
  evalEvery?: number;
  /** Tuning: the last share of the training rows is the validation split (not trained on). */
  validationFraction?: number;
}

interface JobBase {
  key: string;
  data: DataConfig;
  model: ModelSpec;
  recipe: Recipe;
  activation: Activation;
  /** Base seed of the experiment. */
  seed: number;
  initIndex: number;
  orderIndex: number;
}

/** Trains the shared warm-start checkpoint and writes it to `path`. */
export interface CheckpointJob extends JobBase {
  type: 'checkpoint';
  path: string;
}

export interface ReplicaJob extends JobBase {
  type: 'replica';
  label: string;
  source: Source;
  replica: number;
  /** Data seed index (0 = the config's data). */
  dataIndex: number;
  /** ulp source: the stream index of the one-ulp move (0 = none). */
  ulpIndex: number;
  /** Racing threads for the async source; 1 = ordinary deterministic training. */
  asyncThreads: number;
  /** Rows per batch of each racing thread. */
  asyncBatch: number;
  /** The warm-start checkpoint to continue from, or null to start from the init seed. */
  checkpoint: { key: string; path: string } | null;
}

export type Job = CheckpointJob | ReplicaJob;

function recipe(cfg: ExperimentConfig, p: { shuffle: string; learningRate: number }, epochs: number): Recipe {
  const t = cfg.train;
  return {
    batchSize: t.batchSize, optimizer: t.optimizer, learningRate: p.learningRate, epochs, shuffle: p.shuffle,
    evalEvery: t.evalEvery || undefined, validationFraction: cfg.tune?.validationFraction,
  };
}

/** The warm-start checkpoint of a point: init and order of replica 0, `warmEpochs` epochs. */
export function checkpointJob(cfg: ExperimentConfig, p: Point, dataIndex: number, version: string, pathOf: (key: string) => string): CheckpointJob {
  const base = {
    data: dataFor(cfg.data, dataIndex), model: cfg.model, recipe: { ...recipe(cfg, p, cfg.train.warmEpochs), evalEvery: undefined },
    activation: p.activation, seed: cfg.seed, initIndex: 0, orderIndex: 0,
  };
  const key = hashKey({ what: 'checkpoint', version, ...base });
  return { type: 'checkpoint', key, path: pathOf(key), ...base };
}

/** Replica `r` of point `p` on data seed `dataIndex`. */
export function replicaJob(
  cfg: ExperimentConfig,
  p: Point,
  r: number,
  version: string,
  ckpt: CheckpointJob | null,
  dataIndex = 0,
): ReplicaJob {
  const warm = p.source === 'warm';
  const epochs = warm ? cfg.train.epochs - cfg.train.warmEpochs : cfg.train.epochs;
  const isAsync = p.source === 'async';
  const asyncThreads = isAsync ? cfg.train.asyncThreads : 1;
  const asyncBatch = isAsync ? cfg.train.asyncBatch ?? cfg.train.batchSize : cfg.train.batchSize;
  const { ulpIndex, ...seeds } = replicaSeeds(p.source, r);
  const base = { data: dataFor(cfg.data, dataIndex), model: cfg.model, recipe: recipe(cfg, p, epochs), activation: p.activation, seed: cfg.seed, ...seeds };
  const checkpoint = warm && ckpt ? { key: ckpt.key, path: ckpt.path } : null;
  // Racy replicas differ only by the race: the replica index must enter their key.
  const key = hashKey({
    what: 'replica', version, ...base, asyncThreads,
    asyncBatch: isAsync ? asyncBatch : undefined,
    race: asyncThreads > 1 ? r : undefined,
    ulp: ulpIndex || undefined,
    checkpoint: checkpoint?.key,
  });
  return { type: 'replica', key, label: p.label, source: p.source, replica: r, dataIndex, ulpIndex, asyncThreads, asyncBatch, checkpoint, ...base };
}
