/**
 * CTR model: one embedding per categorical field, concatenated with the dense features, then an
 * MLP tower to one logit. Single-valued fields read the columns of batch.cat in order; bag fields
 * (multi-valued, pooled) read batch.bags in order.
 */
import type { ActivationLike } from '../activation';
import { Concat } from './concat';
import { Embedding, embeddingConfig, type Pooling } from './embedding';
import type { Features } from './features';
import type { Initializer } from './init';
import type { ParamInit } from './layer';
import { BaseModel, Sequential, towerConfig, type Batch, type CtrConfig, type CtrFieldConfig, type DataShape } from './model';
import type { Seed } from './rng';

export type { CtrConfig, CtrFieldConfig } from './model';

/** One field of {@link CtrOptions.fields}. */
export interface CtrFieldOptions {
  /** Rows of the field's embedding table (ids 0 .. vocab-1). */
  vocab: number;
  /** Embedding width (default: the model's `embeddingDim`). */
  dim?: number;
  /** Multi-valued: read from batch.bags and pooled (default false). */
  bag?: boolean;
  /** Bag pooling (default 'sum'). */
  pooling?: Pooling;
  /** Embedding initializer (default normal with std 0.05). */
  init?: Initializer;
}

/** Options of {@link ctrModel}. */
export interface CtrOptions {
  /** Dense features per row (default: from `features`). */
  numDense?: number;
  /** One entry per categorical field: its vocabulary size, or the full options (default: from `features`). */
  fields?: ReadonlyArray<number | CtrFieldOptions>;
  /**
   * A fitted feature spec: its numeric columns are the dense features, each categorical column
   * a field and each bag column a bag field (vocabulary: its buckets); the model encodes raw rows
   * with it and saves it in its file.
   */
  features?: Features;
  /** Pooling of the bag fields made from `features` (default 'mean'). */
  bagPooling?: Pooling;
  /** Default embedding width (default 8). */
  embeddingDim?: number;
  /** Tower hidden widths (default [64, 32]). */
  hidden?: readonly number[];
  /** Tower activation (default relu). */
  activation?: ActivationLike;
  /** Train the tower's gSmeLU parameters, per layer or per unit (needs a gsmelu activation). */
  learnable?: false | 'layer' | 'unit';
  /** Layer normalization in the tower's hidden layers. */
  layerNorm?: boolean;
  /** Initialization seed (default 0). */
  seed?: Seed;
}

/**
 * CTR model: embeddings per categorical field, concatenated with the dense features, then an MLP
 * tower. Synchronous and deterministic (see {@link Model}).
 */
export class CtrModel extends BaseModel {
  readonly outputs: number;
  /** Dense features per row. */
  readonly numDense: number;
  /** One embedding per field, in config order (tables named `emb<i>.table`). */
  readonly embeddings: readonly Embedding[];
  /** Per field: true when it is a bag field. */
  readonly bagField: readonly boolean[];
  /** The MLP tower (layers named `tower<i>`). */
  readonly tower: Sequential;
  private readonly concat: Concat;
  private readonly parts: Float32Array[];
  private readonly numSingle: number;
  private readonly numBags: number;

  /**
   * Builds the model from its config and initializes it from `seed`.
   * @param config the config (see {@link ctrModel} for a shorter way to make one).
   * @param seed initialization seed (default 0).
   * @throws TypeError for a config not of kind 'ctr', a bad numDense, invalid embedding or layer
   *   options, or an invalid seed.
   * @throws RangeError when the tower's input width is not numDense + the embedding widths.
   */
  constructor(config: CtrConfig, seed: Seed = 0) {
    super();
    if (config?.kind !== 'ctr') throw new TypeError(`CtrModel needs a config of kind 'ctr'`);
    this.numDense = config.numDense;
    if (!Number.isInteger(this.numDense) || this.numDense < 0) {
      throw new TypeError(`numDense must be a non-negative integer, got ${String(config.numDense)}`);
    }
    this.embeddings = config.fields.map((f, i) => new Embedding({ ...f, name: `emb${i}` }));
    this.bagField = config.fields.map((f) => !!f.bag);
    this.numBags = this.bagField.filter((b) => b).length;
    this.numSingle = this.bagField.length - this.numBags;
    this.tower = Sequential.fromConfig(config.tower, 'tower');
    this.concat = new Concat([this.numDense, ...this.embeddings.map((e) => e.dim)]);
    if (this.tower.inSize !== this.concat.outSize) {
      throw new RangeError(`the tower takes ${this.tower.inSize} inputs; dense + embeddings give ${this.concat.outSize}`);
    }
    this.outputs = this.tower.outSize;
    this.parts = new Array(this.embeddings.length + 1);
    this.init(seed);
  }

  forward(batch: Batch): Float32Array {
    const m = batch.m;
    this.parts[0] = batch.dense;
    let c = 0;
    let b = 0;
    for (let f = 0; f < this.embeddings.length; f++) {
      const e = this.embeddings[f];
      this.parts[f + 1] = this.bagField[f]
        ? e.pool(batch.bags[b].ids, batch.bags[b++].offsets, m)
        : e.lookup(batch.cat, m, this.numSingle, c++);
    }
    return this.tower.forward(this.concat.forward(this.parts, m), m);
  }

  backward(dLogits: Float32Array): void {
    const dx = this.tower.backward(dLogits, this.embeddings.length > 0);
    if (!dx) return;
    const d = this.concat.backward(dx);
    for (let f = 0; f < this.embeddings.length; f++) this.embeddings[f].backward(d[f + 1]);
  }

  paramInits(): ParamInit[] {
    return [...this.embeddings.flatMap((e) => e.paramInits()), ...this.tower.paramInits()];
  }

  postStep(): void {
    this.tower.postStep();
  }

  config(): CtrConfig {
    return {
      kind: 'ctr',
      numDense: this.numDense,
      fields: this.embeddings.map((e, i) => ({ ...e.config(), bag: this.bagField[i] })),
      tower: this.tower.config(),
    };
  }

  checkShape(s: DataShape): void {
    if (s.numDense !== this.numDense || s.numCat !== this.numSingle || s.numBags !== this.numBags) {
      throw new RangeError(
        `the model takes ${this.numDense} dense, ${this.numSingle} categorical and ${this.numBags} bag columns; ` +
          `the data has ${s.numDense}, ${s.numCat} and ${s.numBags}`,
      );
    }
  }
}

/**
 * A CTR model from short options: embeddings of `embeddingDim`, a tower of `hidden` widths and
 * one output logit, initialized from `o.seed`.
 * @param o fields, sizes, activation and seed.
 * @returns a new model.
 * @throws TypeError / RangeError as the {@link CtrModel} constructor.
 */
export function ctrModel(o: CtrOptions): CtrModel {
  const { numDense, fields: given } = o.features ? fromFeatures(o) : { numDense: o.numDense, fields: o.fields };
  if (numDense === undefined || given === undefined) throw new TypeError('ctrModel needs numDense and fields, or features');
  const dim0 = o.embeddingDim ?? 8;
  const fields: CtrFieldConfig[] = given.map((f, i) => {
    const fo: CtrFieldOptions = typeof f === 'number' ? { vocab: f } : f;
    const e = embeddingConfig({ vocab: fo.vocab, dim: fo.dim ?? dim0, pooling: fo.pooling, init: fo.init, name: `field ${i}` });
    return { ...e, bag: !!fo.bag };
  });
  const inputs = numDense + fields.reduce((a, f) => a + f.dim, 0);
  const tower = towerConfig({
    inputs, hidden: o.hidden ?? [64, 32], outputs: 1,
    activation: o.activation, learnable: o.learnable, layerNorm: o.layerNorm,
  });
  const model = new CtrModel({ kind: 'ctr', numDense, fields, tower }, o.seed ?? 0);
  if (o.features) model.features = o.features;
  return model;
}

/** Dense width and fields from a feature spec: categorical fields, then bag fields, as the data has them. */
function fromFeatures(o: CtrOptions): { numDense: number; fields: CtrFieldOptions[] } {
  if (o.numDense !== undefined || o.fields !== undefined) throw new TypeError('ctrModel takes features, or numDense and fields, not both');
  const n = o.features!.names;
  const vocab = o.features!.buckets;
  return {
    numDense: n.numeric.length,
    fields: [...n.categorical.map(() => ({ vocab })), ...n.bags.map(() => ({ vocab, bag: true, pooling: o.bagPooling ?? 'mean' }))],
  };
}
