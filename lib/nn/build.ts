/** Rebuilding a model from its JSON config (used by checkpoints and the asynchronous trainer). */
import { CtrModel } from './ctr';
import { SequentialModel, type Model, type ModelConfig } from './model';
import type { Seed } from './rng';

/**
 * Rebuilds a model from its config, weights drawn from `seed` (load a checkpoint for trained ones).
 * @param config a sequential or ctr config, e.g. from `model.config()` or a checkpoint.
 * @param seed initialization seed (default 0).
 * @returns a new {@link SequentialModel} or {@link CtrModel}.
 * @throws TypeError for an unknown kind, and TypeError / RangeError as the model's constructor.
 */
export function buildModel(config: ModelConfig, seed: Seed = 0): Model {
  if (config?.kind === 'sequential') return new SequentialModel(config.layers, seed);
  if (config?.kind === 'ctr') return new CtrModel(config, seed);
  throw new TypeError(`unknown model kind ${JSON.stringify((config as { kind?: unknown })?.kind)}`);
}
