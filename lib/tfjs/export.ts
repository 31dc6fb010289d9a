/**
 * A trained smelu model as a TensorFlow.js LayersModel with the same weights. Inputs follow the
 * ONNX export's convention (docs/export.md): `dense` float32 [N, numDense], `cat` int32
 * [N, numCat], `bag<k>` int32 [N, L] padded with -1; the output is [N, outputs].
 */
import type * as TF from '@tensorflow/tfjs';
import { ActivationLayer } from '../nn/activation-layer';
import { CtrModel } from '../nn/ctr';
import { Dense } from '../nn/dense-layer';
import type { Embedding } from '../nn/embedding';
import { onnxFeeds, type ExportRows } from '../nn/export/onnx';
import { LearnableGsmelu } from '../nn/gsmelu';
import type { Layer } from '../nn/layer';
import { LayerNorm } from '../nn/layernorm';
import { SequentialModel, type Model } from '../nn/model';
import type { ActivationSpec } from '../activation';
import { tf } from './load';
import type { Tensor } from './ops';
import { GSmeLU, RESCU2, SERIALIZATION_PACKAGE, SmeLU, SmeluActivation, type LayerArgs } from './layers';

type SymbolicTensor = TF.SymbolicTensor;
type Kwargs = Parameters<TF.layers.Layer['call']>[1];

/** Options of {@link SmeluEmbedding}. */
export interface SmeluEmbeddingArgs extends LayerArgs {
  /** Rows of the table. */
  vocab: number;
  /** Values per row. */
  dim: number;
  /** Bag pooling (a bag input [N, L] padded with -1), or null for one id per row. */
  pooling: 'sum' | 'mean' | null;
  /** For single ids: which column of the [N, numCat] input this field reads. */
  column?: number;
}

/**
 * An embedding table read like smelu's: one id per row from a column of the categorical input,
 * or a bag per row ([N, L], -1 = padding) pooled by sum or mean (an empty bag gives zeros).
 */
export class SmeluEmbedding extends tf.layers.Layer {
  /** The serialization class name. */
  static className = 'SmeluEmbedding';
  private readonly cfg: { vocab: number; dim: number; pooling: 'sum' | 'mean' | null; column: number };
  private table: TF.LayerVariable | null = null;

  /**
   * A table of zeros until weights are set (exportTfjs passes the trained table).
   * @param args sizes, pooling or column, and the common layer options.
   */
  constructor(args: SmeluEmbeddingArgs) {
    super(args);
    this.cfg = { vocab: args.vocab, dim: args.dim, pooling: args.pooling ?? null, column: args.column ?? 0 };
  }

  override build(): void {
    this.table = this.addWeight('table', [this.cfg.vocab, this.cfg.dim], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
    return [s[0], this.cfg.dim];
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => {
      const ids = (Array.isArray(inputs) ? inputs[0] : inputs).toInt();
      const table = this.table!.read();
      if (this.cfg.pooling === null) return tf.gather(table, tf.reshape(tf.slice(ids, [0, this.cfg.column], [-1, 1]), [-1]));
      const valid = tf.cast(tf.greaterEqual(ids, tf.scalar(0, 'int32')), 'float32');
      const rows = tf.mul(tf.gather(table, tf.maximum(ids, tf.scalar(0, 'int32'))), tf.expandDims(valid, 2));
      const sum = tf.sum(rows, 1);
      return this.cfg.pooling === 'sum' ? sum : tf.div(sum, tf.maximum(tf.sum(valid, 1, true), 1));
    });
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg };
  }
}
tf.serialization.registerClass(SmeluEmbedding, SERIALIZATION_PACKAGE);

/** What the exported model returns. */
export type TfjsOutput = 'logits' | 'sigmoid' | 'softmax';

/**
 * The model as a tf.LayersModel with copies of its current weights (save it with
 * `model.save(...)`; it loads again with tf.loadLayersModel once `smelu/tfjs` is imported).
 * @param model a SequentialModel (nn.mlp) or a CtrModel (nn.ctrModel).
 * @param opts `output`: logits (default), or sigmoid / softmax probabilities.
 * @returns a new LayersModel named 'smelu'.
 * @throws TypeError for another model or layer kind, or a bad output option.
 */
export function exportTfjs(model: Model, opts: { output?: TfjsOutput } = {}): TF.LayersModel {
  const output = opts.output ?? 'logits';
  if (output !== 'logits' && output !== 'sigmoid' && output !== 'softmax') {
    throw new TypeError(`exportTfjs: opts.output must be 'logits', 'sigmoid' or 'softmax', got ${String(opts.output)}`);
  }
  // tidy frees the weight tensors handed to the layers once the layers' variables hold copies
  let built: TF.LayersModel | undefined;
  tf.tidy(() => {
    built = buildTfjs(model, output);
  });
  return built!;
}

function buildTfjs(model: Model, output: TfjsOutput): TF.LayersModel {
  let inputs: SymbolicTensor[];
  let h: SymbolicTensor;
  if (model instanceof SequentialModel) {
    inputs = [tf.input({ shape: [model.net.inSize], name: 'dense' })];
    h = tower(model.net.layers, inputs[0], 'l');
  } else if (model instanceof CtrModel) {
    ({ inputs, h } = ctrFeatures(model));
    h = tower(model.tower.layers, h, 'tower');
  } else {
    throw new TypeError('exportTfjs: model must be a SequentialModel (nn.mlp) or a CtrModel (nn.ctrModel)');
  }
  if (output !== 'logits') h = tf.layers.activation({ activation: output, name: output }).apply(h) as SymbolicTensor;
  return tf.model({ inputs, outputs: h, name: 'smelu' });
}

/**
 * The exported model's inputs for a smelu batch, in the model's input order.
 * @param model the smelu model that was exported.
 * @param batch the rows (labels are not read).
 * @returns float32 / int32 tensors (the caller disposes them).
 * @throws TypeError for a model that is not a SequentialModel or CtrModel.
 */
export function tfjsInputs(model: Model, batch: ExportRows): Tensor[] {
  return Object.values(onnxFeeds(model, batch)).map((f) =>
    f.type === 'float32' ? tf.tensor(f.data as Float32Array, f.dims, 'float32') : tf.tensor(Int32Array.from(f.data as BigInt64Array, Number), f.dims, 'int32'),
  );
}

function ctrFeatures(model: CtrModel): { inputs: SymbolicTensor[]; h: SymbolicTensor } {
  const inputs: SymbolicTensor[] = [];
  const parts: SymbolicTensor[] = [];
  if (model.numDense > 0) parts.push(push(inputs, tf.input({ shape: [model.numDense], name: 'dense' })));
  const numCat = model.bagField.filter((b) => !b).length;
  const cat = numCat > 0 ? push(inputs, tf.input({ shape: [numCat], name: 'cat', dtype: 'int32' })) : null;
  let c = 0;
  let b = 0;
  model.embeddings.forEach((e, f) => {
    const bag = model.bagField[f];
    const input = bag ? push(inputs, tf.input({ shape: [null], name: `bag${b++}`, dtype: 'int32' })) : cat!;
    parts.push(embedding(e, f, bag ? e.pooling : null, bag ? 0 : c++).apply(input) as SymbolicTensor);
  });
  const h = parts.length === 1 ? parts[0] : (tf.layers.concatenate({ axis: -1, name: 'concat' }).apply(parts) as SymbolicTensor);
  return { inputs, h };
}

function push(list: SymbolicTensor[], s: SymbolicTensor): SymbolicTensor {
  list.push(s);
  return s;
}

function embedding(e: Embedding, f: number, pooling: 'sum' | 'mean' | null, column: number): SmeluEmbedding {
  const weights = [tf.tensor2d(e.table.value, [e.vocab, e.dim])];
  return new SmeluEmbedding({ vocab: e.vocab, dim: e.dim, pooling, column, name: `emb${f}`, weights });
}

function tower(layers: readonly Layer[], x: SymbolicTensor, prefix: string): SymbolicTensor {
  let h = x;
  layers.forEach((l, i) => {
    for (const t of tfLayers(l, `${prefix}${i}`)) h = t.apply(h) as SymbolicTensor;
  });
  return h;
}

/** The tf layers that compute one smelu layer. */
function tfLayers(l: Layer, name: string): TF.layers.Layer[] {
  if (l instanceof Dense) {
    const weights = [tf.tensor2d(l.W.value, [l.inSize, l.outSize]), ...(l.b ? [tf.tensor1d(l.b.value)] : [])];
    const dense = tf.layers.dense({ units: l.outSize, useBias: !!l.b, name, weights });
    const ln = l.ln ? [layerNorm(l.ln, `${name}_ln`)] : [];
    const act = l.act ? [learnableGsmelu(l.act, `${name}_act`)] : fixedActivation(l.spec, `${name}_act`);
    return [dense, ...ln, ...act];
  }
  if (l instanceof LayerNorm) return [layerNorm(l, name)];
  if (l instanceof ActivationLayer) return fixedActivation(l.spec, name);
  if (l instanceof LearnableGsmelu) return [learnableGsmelu(l, name)];
  throw new TypeError(`exportTfjs: layer ${name} (${l.constructor.name}) has no TF.js form`);
}

function layerNorm(l: LayerNorm, name: string): TF.layers.Layer {
  const weights = [tf.tensor1d(l.gamma.value), tf.tensor1d(l.beta.value)];
  return tf.layers.layerNormalization({ axis: -1, epsilon: l.eps, name, weights });
}

function learnableGsmelu(l: LearnableGsmelu, name: string): TF.layers.Layer {
  return new GSmeLU({ ...l.start, perUnit: l.perUnit, minWidth: l.minWidth, name, weights: l.p.map((p) => tf.tensor1d(p.value)) });
}

function fixedActivation(spec: ActivationSpec, name: string): TF.layers.Layer[] {
  if (spec.kind === 'identity') return [];
  if (spec.kind === 'smelu') return [new SmeLU({ beta: spec.params[0], name })];
  if (spec.kind === 'rescu2') return [new RESCU2({ beta: spec.params[0], name })];
  return [new SmeluActivation({ activation: spec.descriptor, name })];
}
