/**
 * Models: a {@link Sequential} stack (the MLP) and the common model contract the train loop, the
 * checkpoints and the asynchronous trainer work with. A model is fully described by its JSON
 * config; {@link buildModel} rebuilds it (checkpoints and worker threads rely on that).
 */
import type { ActivationLike } from '../activation';
import { ActivationLayer, type ActivationLayerConfig } from './activation-layer';
import { Dense, denseConfig, type DenseConfig } from './dense-layer';
import { LearnableGsmelu, type GsmeluLayerConfig } from './gsmelu';
import { initialize, type Initializer } from './init';
import type { Layer, ParamInit } from './layer';
import { LayerNorm, type LayerNormConfig } from './layernorm';
import type { AnyParam } from './param';
import { deriveSeed, Rng, type Seed } from './rng';
import type { Batch, DataShape } from './batch';
import { Dataset } from './data/dataset';
import type { EmbeddingConfig } from './embedding';
import type { Features, RawRow } from './features';
import { checkHead, defaultHead, predictDataset, type Head } from './head';
import { modelContents, writeModelFile } from './model-file';

export type { Bag, Batch, DataShape } from './batch';

/** The JSON config of any single-input layer, told apart by `type`. */
export type LayerConfig = DenseConfig | LayerNormConfig | ActivationLayerConfig | GsmeluLayerConfig;

/** A {@link SequentialModel}'s JSON config. */
export interface SequentialConfig {
  /** Discriminant of {@link ModelConfig}. */
  kind: 'sequential';
  /** The layers, input first. */
  layers: LayerConfig[];
}

/** One categorical field of a {@link CtrConfig}: its embedding, single- or multi-valued. */
export interface CtrFieldConfig extends EmbeddingConfig {
  /** Multi-valued (read from batch.bags, pooled) rather than one id per row. */
  bag: boolean;
}

/** The JSON config of a CTR model (see ctrModel). */
export interface CtrConfig {
  /** Discriminant of {@link ModelConfig}. */
  kind: 'ctr';
  /** Dense features per row (a non-negative integer). */
  numDense: number;
  /** One entry per categorical field: single-valued ones read batch.cat, bags batch.bags, in order. */
  fields: CtrFieldConfig[];
  /** The MLP over [dense, embeddings...]: its input width must be numDense + the sum of the dims. */
  tower: LayerConfig[];
}

/** The JSON config of any model, told apart by `kind`: what {@link buildModel} and checkpoints read. */
export type ModelConfig = SequentialConfig | CtrConfig;

/**
 * The model contract of the train loop, the checkpoints and the asynchronous trainer. Models are
 * synchronous and not thread-safe: one forward / backward at a time.
 */
export interface Model {
  /** Logits per row (1 for binary / single regression, C for C classes). */
  readonly outputs: number;
  /**
   * The JSON config that rebuilds this model (without its weights).
   * @returns a new config object.
   */
  config(): ModelConfig;
  /**
   * All trainable tensors, in a fixed order (checkpoints and optimizers index by it).
   * @returns the tensors (the same list on every call).
   */
  params(): AnyParam[];
  /**
   * Every parameter tensor with its initializer, in {@link Model.params} order.
   * @returns one entry per tensor.
   */
  paramInits(): ParamInit[];
  /**
   * Draws every parameter from `seed` (tensor i from its own derived stream).
   * Deterministic: the same config and seed give the same bits.
   * @param seed the initialization seed.
   * @throws TypeError for an invalid seed.
   */
  init(seed: Seed): void;
  /** How logits become predictions (see {@link Head}); set by `fit` from its loss. */
  head?: Head;
  /**
   * Logits [m x outputs], in a buffer owned by the model and overwritten by its next forward
   * (the training fast path: no allocation per batch). Copy what you keep, or use `predict`.
   * @param batch the rows; the model keeps references to them for backward.
   * @returns the logits, row-major.
   * @throws RangeError for a batch that does not fit (e.g. an embedding id outside its table).
   */
  forward(batch: Batch): Float32Array;
  /**
   * Fills every parameter gradient from d(loss)/d(logits) (overwriting the previous ones).
   * Must follow the forward of the same batch.
   * @param dLogits gradient with respect to the last forward's logits [m x outputs].
   * @throws RangeError when dLogits is not m x outputs long (caught by Dense and ActivationLayer).
   */
  backward(dLogits: Float32Array): void;
  /** Projects parameters back into their domain after an optimizer step. */
  postStep(): void;
  /**
   * Checks that data of this shape fits the model's inputs.
   * @param shape the columns a dataset provides.
   * @throws RangeError when they do not match.
   */
  checkShape(shape: DataShape): void;
}

/** Options of {@link BaseModel.predict}. */
export interface PredictOptions {
  /** Rows per forward (default 1024). */
  batchSize?: number;
}

/**
 * Shared parts: initialization from a seed, a cached parameter list, the head, the feature spec,
 * saving to a model file and predicting.
 */
export abstract class BaseModel implements Model {
  abstract readonly outputs: number;
  /** The feature spec that encodes raw rows for this model (saved in its file), or null. */
  features: Features | null = null;
  private paramList: AnyParam[] | null = null;
  private headKind: Head | undefined;

  /** How logits become predictions: as set (by `fit` from its loss, or by hand), else sigmoid for one output, softmax for more. */
  get head(): Head {
    return this.headKind ?? defaultHead(this.outputs);
  }

  set head(h: Head) {
    this.headKind = checkHead(h);
  }

  /**
   * Writes the model file: config, head, feature spec and weights (no optimizer state), versioned
   * and checksummed, atomically (temp file, fsync, rename). Synchronous. Load it with `nn.loadModel`.
   * @param file destination path; its directory must exist.
   * @throws Error from the file system.
   */
  save(file: string): void {
    writeModelFile(file, modelContents(this, this.head, this.features));
  }

  /**
   * Predictions through the head: probabilities (sigmoid, softmax) or values (linear), in a new
   * array that no later call touches. Synchronous and deterministic.
   * @param rows raw rows (objects keyed by column name, or CSV lines of the training header;
   *   needs a feature spec), or a dataset already encoded.
   * @param opts rows per forward.
   * @returns [n x outputs], row-major.
   * @throws TypeError for raw rows without a feature spec; RangeError naming the row and column
   *   of a value the spec cannot encode, or for data that do not fit the model.
   */
  predict(rows: readonly RawRow[] | Dataset, opts: PredictOptions = {}): Float32Array {
    if (rows instanceof Dataset) return predictDataset(this, this.head, rows, opts.batchSize);
    if (!Array.isArray(rows)) throw new TypeError('predict: rows must be an array of raw rows (objects or CSV lines) or a Dataset');
    if (!this.features) throw new TypeError('predict: raw rows need a feature spec (build the model with { features }, or pass a Dataset)');
    return predictDataset(this, this.head, this.features.transform(rows), opts.batchSize);
  }
  abstract config(): ModelConfig;
  abstract paramInits(): ParamInit[];
  abstract forward(batch: Batch): Float32Array;
  abstract backward(dLogits: Float32Array): void;
  abstract postStep(): void;
  abstract checkShape(shape: DataShape): void;

  params(): AnyParam[] {
    if (!this.paramList) this.paramList = this.paramInits().map((p) => p.param);
    return this.paramList;
  }

  init(seed: Seed): void {
    this.paramInits().forEach((p, i) => {
      initialize(p.param.value, p.init, p.fanIn, p.fanOut, Rng.fromSeed(deriveSeed(seed, i)));
    });
  }
}

/**
 * Builds a layer from its config (parameters zeroed: initialize them through a model).
 * @param c the config.
 * @param name prefix of the layer's parameter names.
 * @returns a new layer.
 * @throws TypeError for an unknown `type`, and as the layer's constructor for invalid options.
 * @throws RangeError as the layer's constructor.
 */
export function layerFromConfig(c: LayerConfig, name: string): Layer {
  switch (c?.type) {
    case 'dense':
      return new Dense({ ...c, name });
    case 'layernorm':
      return new LayerNorm({ size: c.size, eps: c.eps, name });
    case 'activation':
      return new ActivationLayer({ size: c.size, activation: c.activation });
    case 'gsmelu':
      return new LearnableGsmelu({ size: c.size, perUnit: c.perUnit, init: c.init, minWidth: c.minWidth, name });
    default:
      throw new TypeError(`unknown layer type ${JSON.stringify((c as { type?: unknown })?.type)}`);
  }
}

/** A stack of single-input layers. */
export class Sequential {
  /** The layers, input first. */
  readonly layers: readonly Layer[];
  /** The first layer's input width. */
  readonly inSize: number;
  /** The last layer's output width. */
  readonly outSize: number;

  /**
   * Stacks the layers (they keep their parameters).
   * @param layers at least one; each layer's inSize must equal the previous layer's outSize.
   * @throws TypeError for an empty list.
   * @throws RangeError when adjacent sizes do not match.
   */
  constructor(layers: readonly Layer[]) {
    if (!layers.length) throw new TypeError('Sequential needs at least one layer');
    for (let i = 1; i < layers.length; i++) {
      if (layers[i].inSize !== layers[i - 1].outSize) {
        throw new RangeError(`layer ${i} takes ${layers[i].inSize} inputs but layer ${i - 1} gives ${layers[i - 1].outSize}`);
      }
    }
    this.layers = layers;
    this.inSize = layers[0].inSize;
    this.outSize = layers[layers.length - 1].outSize;
  }

  /**
   * A stack from layer configs; layer i is named `<prefix><i>`.
   * @param configs the layer configs, input first.
   * @param prefix name prefix (default 'l').
   * @returns a new stack (parameters zeroed).
   * @throws TypeError / RangeError as {@link layerFromConfig} and the constructor.
   */
  static fromConfig(configs: readonly LayerConfig[], prefix = 'l'): Sequential {
    return new Sequential(configs.map((c, i) => layerFromConfig(c, `${prefix}${i}`)));
  }

  /**
   * Forward through every layer.
   * @param x input [m x inSize].
   * @param m rows.
   * @returns the last layer's output [m x outSize], in a buffer it owns.
   * @throws RangeError from a layer, as {@link Layer.forward}.
   */
  forward(x: Float32Array, m: number): Float32Array {
    let h = x;
    for (const l of this.layers) h = l.forward(h, m);
    return h;
  }

  /**
   * Backward through every layer; dx of the first layer only when asked.
   * @param dy gradient with respect to the output [m x outSize].
   * @param needDx whether to compute the gradient with respect to the input.
   * @returns dx [m x inSize], or null when not asked.
   * @throws RangeError from a layer, as {@link Layer.backward}.
   */
  backward(dy: Float32Array, needDx: boolean): Float32Array | null {
    let d: Float32Array | null = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      d = this.layers[i].backward(d!, i > 0 || needDx);
    }
    return d;
  }

  /**
   * The parameter tensors of every layer, input layer first.
   * @returns one entry per tensor.
   */
  paramInits(): ParamInit[] {
    return this.layers.flatMap((l) => l.paramInits());
  }

  /** Runs every layer's postStep. */
  postStep(): void {
    for (const l of this.layers) l.postStep();
  }

  /**
   * The layer configs, input first.
   * @returns a new array.
   */
  config(): LayerConfig[] {
    return this.layers.map((l) => l.config() as LayerConfig);
  }
}

/** A Sequential over the dense features of a batch (the MLP). */
export class SequentialModel extends BaseModel {
  /** The layer stack. */
  readonly net: Sequential;
  readonly outputs: number;

  /**
   * Builds the stack and initializes it from `seed`.
   * @param layers layer configs, or a stack whose layers are (re)initialized here.
   * @param seed initialization seed (default 0).
   * @throws TypeError / RangeError as {@link Sequential.fromConfig}, or for an invalid seed.
   */
  constructor(layers: readonly LayerConfig[] | Sequential, seed: Seed = 0) {
    super();
    this.net = layers instanceof Sequential ? layers : Sequential.fromConfig(layers);
    this.outputs = this.net.outSize;
    this.init(seed);
  }

  forward(batch: Batch): Float32Array {
    return this.net.forward(batch.dense, batch.m);
  }

  backward(dLogits: Float32Array): void {
    this.net.backward(dLogits, false);
  }

  paramInits(): ParamInit[] {
    return this.net.paramInits();
  }

  postStep(): void {
    this.net.postStep();
  }

  config(): SequentialConfig {
    return { kind: 'sequential', layers: this.net.config() };
  }

  checkShape(s: DataShape): void {
    if (s.numCat || s.numBags) {
      const names = [...(s.columns?.cat ?? []), ...(s.columns?.bags ?? [])];
      const which = names.length ? ` (${names.map((n) => `'${n}'`).join(', ')})` : '';
      throw new RangeError(
        `the MLP reads numeric columns only; the data has ${s.numCat} categorical and ${s.numBags} bag column(s)${which}: ` +
          'use nn.ctrModel (embeddings), or ignore them',
      );
    }
    if (s.numDense !== this.net.inSize) {
      throw new RangeError(`the model takes ${this.net.inSize} dense features, the data has ${s.numDense}`);
    }
  }
}

/** Options of {@link towerConfig}. */
export interface TowerOptions {
  /** Input features. */
  inputs: number;
  /** Hidden layer widths, e.g. [64, 32]. */
  hidden: readonly number[];
  /** Output logits (units of the linear output layer). */
  outputs: number;
  /** Hidden activation; default relu. */
  activation?: ActivationLike;
  /** Train the hidden gSmeLU parameters, per layer or per unit (needs a gsmelu activation). */
  learnable?: false | 'layer' | 'unit';
  /** Layer normalization in every hidden layer. */
  layerNorm?: boolean;
  /** Initializer of the hidden weights (default: see {@link DenseOptions.init}). */
  init?: Initializer;
}

/**
 * Layer configs of an MLP: hidden Dense layers with the activation, then a linear output.
 * @param o sizes and options.
 * @returns one Dense config per hidden layer, then the output layer's.
 * @throws TypeError / RangeError as {@link denseConfig}.
 */
export function towerConfig(o: TowerOptions): LayerConfig[] {
  const sizes = [o.inputs, ...o.hidden];
  const layers: LayerConfig[] = [];
  for (let i = 1; i < sizes.length; i++) {
    layers.push(denseConfig({
      inSize: sizes[i - 1], units: sizes[i], activation: o.activation ?? 'relu',
      learnable: o.learnable ?? false, layerNorm: o.layerNorm ?? false, init: o.init,
    }));
  }
  layers.push(denseConfig({ inSize: sizes[sizes.length - 1], units: o.outputs, activation: 'identity' }));
  return layers;
}

/** Options of {@link mlp}. */
export interface MlpOptions extends Omit<TowerOptions, 'inputs'> {
  /** Input features (default: the numeric columns of `features`). */
  inputs?: number;
  /** A fitted feature spec: the model encodes raw rows with it (and saves it in its file). */
  features?: Features;
  /** How logits become predictions (default: sigmoid for one output, softmax for more; `fit` sets it from its loss). */
  head?: Head;
  /** Initialization seed (default 0). */
  seed?: Seed;
}

/**
 * An MLP from dense features to logits, initialized from `o.seed`.
 * @param o sizes, options and seed.
 * @returns a new model.
 * @throws TypeError / RangeError as {@link towerConfig}, or for an invalid seed; TypeError
 *   without inputs or features; RangeError naming the categorical and bag columns of features
 *   that have some (an MLP cannot read them: use nn.ctrModel), or when inputs and features disagree.
 */
export function mlp(o: MlpOptions): SequentialModel {
  const inputs = o.inputs ?? (o.features ? o.features.layout.dense.length : undefined);
  if (inputs === undefined) throw new TypeError('mlp needs inputs (the number of dense features) or features');
  const m = new SequentialModel(towerConfig({ ...o, inputs }), o.seed ?? 0);
  if (o.features) {
    m.checkShape(o.features.shape());
    m.features = o.features;
  }
  if (o.head !== undefined) m.head = o.head;
  return m;
}
