/**
 * Models: a {@link Sequential} stack (the MLP) and the common model contract the train loop, the
 * checkpoints and the asynchronous trainer work with. A model is fully described by its JSON
 * config; {@link buildModel} rebuilds it (checkpoints and worker threads rely on that).
 */
import type { ActivationLike } from '../activations';
import { ActivationLayer, type ActivationLayerConfig } from './activation-layer';
import { Dense, denseConfig, type DenseConfig } from './dense-layer';
import { LearnableGsmelu, type GsmeluLayerConfig } from './gsmelu';
import { initialize, type Initializer } from './init';
import type { Layer, ParamInit } from './layer';
import { LayerNorm, type LayerNormConfig } from './layernorm';
import type { AnyParam } from './param';
import { deriveSeed, Rng, type Seed } from './rng';
// Type-only (erased at runtime): the CTR model imports this module.
import type { CtrConfig } from './ctr';

/** A multi-valued categorical field of a batch: row i has ids[offsets[i] .. offsets[i + 1]). */
export interface Bag {
  ids: Uint32Array;
  offsets: Uint32Array;
}

/** What a model reads: m rows of dense features, single-valued ids, bags and labels. */
export interface Batch {
  m: number;
  /** [m x numDense] */
  dense: Float32Array;
  /** [m x numCat], row-major */
  cat: Uint32Array;
  bags: Bag[];
  /** [m x labelWidth]: 0/1, a class index, or regression targets. */
  labels: Float32Array;
}

/** The columns a dataset provides, checked against what a model expects before training. */
export interface DataShape {
  numDense: number;
  numCat: number;
  numBags: number;
}

export type LayerConfig = DenseConfig | LayerNormConfig | ActivationLayerConfig | GsmeluLayerConfig;

export interface SequentialConfig {
  kind: 'sequential';
  layers: LayerConfig[];
}

export type ModelConfig = SequentialConfig | CtrConfig;

export interface Model {
  /** Logits per row (1 for binary / single regression, C for C classes). */
  readonly outputs: number;
  config(): ModelConfig;
  /** All trainable tensors, in a fixed order (checkpoints and optimizers index by it). */
  params(): AnyParam[];
  paramInits(): ParamInit[];
  /** Draws every parameter from `seed` (tensor i from its own derived stream). */
  init(seed: Seed): void;
  /** Logits [m x outputs], in a buffer owned by the model. */
  forward(batch: Batch): Float32Array;
  /** Fills every parameter gradient from d(loss)/d(logits). */
  backward(dLogits: Float32Array): void;
  postStep(): void;
  checkShape(shape: DataShape): void;
}

/** Shared parts: initialization from a seed and a cached parameter list. */
export abstract class BaseModel implements Model {
  abstract readonly outputs: number;
  private paramList: AnyParam[] | null = null;
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
  readonly layers: readonly Layer[];
  readonly inSize: number;
  readonly outSize: number;

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

  static fromConfig(configs: readonly LayerConfig[], prefix = 'l'): Sequential {
    return new Sequential(configs.map((c, i) => layerFromConfig(c, `${prefix}${i}`)));
  }

  forward(x: Float32Array, m: number): Float32Array {
    let h = x;
    for (const l of this.layers) h = l.forward(h, m);
    return h;
  }

  /** Backward through every layer; dx of the first layer only when asked. */
  backward(dy: Float32Array, needDx: boolean): Float32Array | null {
    let d: Float32Array | null = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      d = this.layers[i].backward(d!, i > 0 || needDx);
    }
    return d;
  }

  paramInits(): ParamInit[] {
    return this.layers.flatMap((l) => l.paramInits());
  }

  postStep(): void {
    for (const l of this.layers) l.postStep();
  }

  config(): LayerConfig[] {
    return this.layers.map((l) => l.config() as LayerConfig);
  }
}

/** A Sequential over the dense features of a batch (the MLP). */
export class SequentialModel extends BaseModel {
  readonly net: Sequential;
  readonly outputs: number;

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
    if (s.numDense !== this.net.inSize) {
      throw new RangeError(`the model takes ${this.net.inSize} dense features, the data has ${s.numDense}`);
    }
  }
}

export interface TowerOptions {
  inputs: number;
  /** Hidden layer widths, e.g. [64, 32]. */
  hidden: readonly number[];
  outputs: number;
  /** Hidden activation; default relu. */
  activation?: ActivationLike;
  learnable?: false | 'layer' | 'unit';
  layerNorm?: boolean;
  init?: Initializer;
}

/** Layer configs of an MLP: hidden Dense layers with the activation, then a linear output. */
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

export interface MlpOptions extends TowerOptions {
  /** Initialization seed (default 0). */
  seed?: Seed;
}

/** An MLP from dense features to logits. */
export function mlp(o: MlpOptions): SequentialModel {
  return new SequentialModel(towerConfig(o), o.seed ?? 0);
}
