/**
 * The jobs a worker runs, built from a config on the main thread. A job carries everything that
 * determines its result, and its cache key is the hash of exactly that (plus the package version),
 * so two points that happen to train the same replica (replica 0 of `init`, `order` and `both`
 * has the same seeds) share one cache entry.
 */
import type { Activation } from '../activation';
import { hashKey } from './cache';
import { replicaSeeds, type DataConfig, type ExperimentConfig, type ModelSpec, type Point, type Source } from './config';

/** The training recipe of one job (the fields of TrainSpec that matter to it). */
export interface Recipe {
  batchSize: number;
  optimizer: string;
  learningRate: number;
  /** Epochs this job trains. */
  epochs: number;
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
  /** Racing threads for the async source; 1 = ordinary deterministic training. */
  asyncThreads: number;
  /** The warm-start checkpoint to continue from, or null to start from the init seed. */
  checkpoint: { key: string; path: string } | null;
}

export type Job = CheckpointJob | ReplicaJob;

function recipe(cfg: ExperimentConfig, epochs: number): Recipe {
  const t = cfg.train;
  return { batchSize: t.batchSize, optimizer: t.optimizer, learningRate: t.learningRate, epochs };
}

/** The warm-start checkpoint of an activation: init and order of replica 0, `warmEpochs` epochs. */
export function checkpointJob(cfg: ExperimentConfig, act: Activation, version: string, pathOf: (key: string) => string): CheckpointJob {
  const base = { data: cfg.data, model: cfg.model, recipe: recipe(cfg, cfg.train.warmEpochs), activation: act, seed: cfg.seed, initIndex: 0, orderIndex: 0 };
  const key = hashKey({ what: 'checkpoint', version, ...base });
  return { type: 'checkpoint', key, path: pathOf(key), ...base };
}

/** Replica `r` of point `p`. */
export function replicaJob(
  cfg: ExperimentConfig,
  p: Point,
  r: number,
  version: string,
  ckpt: CheckpointJob | null,
): ReplicaJob {
  const warm = p.source === 'warm';
  const epochs = warm ? cfg.train.epochs - cfg.train.warmEpochs : cfg.train.epochs;
  const asyncThreads = p.source === 'async' ? cfg.train.asyncThreads : 1;
  const base = { data: cfg.data, model: cfg.model, recipe: recipe(cfg, epochs), activation: p.activation, seed: cfg.seed, ...replicaSeeds(p.source, r) };
  const checkpoint = warm && ckpt ? { key: ckpt.key, path: ckpt.path } : null;
  // Racy replicas differ only by the race: the replica index must enter their key.
  const key = hashKey({
    what: 'replica', version, ...base, asyncThreads,
    race: asyncThreads > 1 ? r : undefined,
    checkpoint: checkpoint?.key,
  });
  return { type: 'replica', key, label: p.label, source: p.source, replica: r, asyncThreads, checkpoint, ...base };
}
