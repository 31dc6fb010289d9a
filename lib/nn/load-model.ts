/**
 * Loading a model file back into a working model, and turning a checkpoint (training state) into
 * a model file's model.
 */
import { buildModel } from './build';
import { loadCheckpoint, type TrainState } from './checkpoint';
import type { Features } from './features';
import { checkHead, defaultHead, headOfLoss, type Head } from './head';
import type { BaseModel, ModelConfig } from './model';
import { checkTensorsFit, ModelFileError, readModelFile, restoreFeatures } from './model-file';
import { loadWeights } from './train';

/**
 * Loads a model saved with `model.save(path)`: config, head, feature spec and weights.
 * Synchronous. Everything is checked before the model is returned.
 * @param file path of the model file.
 * @returns the model (weights as saved), ready for `predict`.
 * @throws ModelFileError for a file that cannot be read, is corrupt, or whose config, tensors
 *   and features do not fit together (naming the field, tensor or shape that differs).
 */
export function loadModel(file: string): BaseModel {
  const c = readModelFile(file);
  let model: BaseModel;
  try {
    model = buildModel(c.config as ModelConfig) as BaseModel;
  } catch (e) {
    throw new ModelFileError(file, `field 'config' does not build a model: ${(e as Error).message}`);
  }
  checkTensorsFit(file, c.params, model);
  model.features = restoreFeatures(file, c.features, model);
  model.params().forEach((p, i) => p.value.set(c.params[i].value));
  model.head = c.head;
  return model;
}

/** Options of {@link modelFromCheckpoint}. */
export interface FromCheckpointOptions {
  /** The feature spec the training data was encoded with (checkpoints do not hold one). */
  features?: Features;
  /** The head (default: from the checkpoint's loss: bce -> sigmoid, softmax_ce -> softmax, mse -> linear). */
  head?: Head;
}

/**
 * The model of a checkpoint, with its trained weights and no optimizer state: save it with
 * `model.save(path)` to get a model file.
 * @param source a checkpoint path, or a state already loaded.
 * @param opts the feature spec and head.
 * @returns the model.
 * @throws CheckpointError for an unreadable or invalid checkpoint; RangeError for tensors that do
 *   not fit its config or features that do not fit the model; TypeError for a bad head.
 */
export function modelFromCheckpoint(source: string | TrainState, opts: FromCheckpointOptions = {}): BaseModel {
  const st = typeof source === 'string' ? loadCheckpoint(source) : source;
  const model = buildModel(st.model) as BaseModel;
  loadWeights(model, st); // checks every tensor's name and size first
  if (opts.features) {
    model.checkShape(opts.features.shape());
    model.features = opts.features;
  }
  model.head = opts.head !== undefined ? checkHead(opts.head) : headOfLoss(st.run.loss) ?? defaultHead(model.outputs);
  return model;
}
