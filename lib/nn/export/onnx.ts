/**
 * ONNX export of smelu models: the network (dense layers, layer norm, every activation, learnable
 * gSmeLU, embeddings with bag pooling, the CTR concat) as standard ONNX operators, so any ONNX
 * runtime serves it without custom kernels.
 *
 * Graph inputs (N = rows, a symbolic dimension):
 * - `dense`  float32 [N, numDense]  the dense features (absent for a CTR model without any)
 * - `cat`    int64   [N, numCat]    single-valued categorical ids, one column per single field
 * - `bag<k>` int64   [N, L_k]       the ids of the k-th bag field, padded with -1 (L_k symbolic)
 * Graph output: `output` float32 [N, outputs]: logits, or probabilities with `output: 'sigmoid' |
 * 'softmax'`. Feature preprocessing (hashing, scaling) is not part of the graph.
 */
import type { ActivationSpec } from '../../activation';
import { version } from '../../runtime';
import { ActivationLayer } from '../activation-layer';
import { CtrModel } from '../ctr';
import { Dense } from '../dense-layer';
import type { Embedding } from '../embedding';
import { LearnableGsmelu } from '../gsmelu';
import type { Layer } from '../layer';
import { LayerNorm } from '../layernorm';
import { SequentialModel, type Bag, type Model } from '../model';
import { ONNX_FLOAT, ONNX_INT64, OnnxGraph } from './onnx-graph';

/** What the exported graph returns. */
export type OnnxOutput = 'logits' | 'sigmoid' | 'softmax';

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /**
   * ONNX opset, 17 to 21 (default 17: LayerNormalization needs 17). From 20 on, GELU uses the Gelu
   * operator; below, its erf (or tanh) formula.
   */
  opset?: number;
  /** `logits` (default), or the probabilities: `sigmoid` (binary) or `softmax` over the outputs. */
  output?: OnnxOutput;
  /** The graph's name (default 'smelu'). */
  name?: string;
}

/** The ONNX IR version that goes with each supported opset. */
const IR_VERSION: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/**
 * The model as a standard ONNX model (ModelProto bytes). Input and output names and shapes: see
 * the module documentation and docs/export.md. Deterministic: the same model and options give the
 * same bytes.
 * @param model a model from `nn.mlp`, `nn.ctrModel`, `buildModel` (sequential or ctr).
 * @param opts opset, output and graph name.
 * @returns the serialized model.
 * @throws TypeError for a model that is not a SequentialModel or CtrModel, a layer kind this export
 *   does not know, or a bad option.
 * @throws RangeError for an opset outside 17..21.
 */
export function exportOnnx(model: Model, opts: OnnxExportOptions = {}): Uint8Array {
  const o = checkOptions(opts);
  const g = new OnnxGraph();
  const emit = new Emitter(g, o.opset);
  let h: string;
  if (model instanceof SequentialModel) {
    h = g.input('dense', ONNX_FLOAT, ['N', model.net.inSize]);
    h = emit.layers(model.net.layers, h);
  } else if (model instanceof CtrModel) {
    h = emit.layers(model.tower.layers, ctrFeatures(g, model));
  } else {
    throw new TypeError('exportOnnx: model must be a SequentialModel (nn.mlp) or a CtrModel (nn.ctrModel)');
  }
  if (o.output === 'sigmoid') h = g.op('Sigmoid', [h]);
  else if (o.output === 'softmax') h = g.op('Softmax', [h], { axis: { i: -1 } });
  g.op('Identity', [h], {}, 'output');
  g.output('output', ONNX_FLOAT, ['N', model.outputs]);
  return g.model({
    irVersion: IR_VERSION[o.opset], opset: o.opset, producer: 'smelu', version, name: o.name,
    doc: `smelu ${model.config().kind} model; output: ${o.output}`,
    metadata: { 'smelu.config': JSON.stringify(model.config()), 'smelu.output': o.output },
  });
}

function checkOptions(opts: OnnxExportOptions): Required<OnnxExportOptions> {
  if (opts === null || typeof opts !== 'object') throw new TypeError('exportOnnx: opts must be an object');
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || !(opset in IR_VERSION)) {
    throw new RangeError(`exportOnnx: opts.opset must be an integer from 17 to 21, got ${String(opts.opset)}`);
  }
  const output = opts.output ?? 'logits';
  if (output !== 'logits' && output !== 'sigmoid' && output !== 'softmax') {
    throw new TypeError(`exportOnnx: opts.output must be 'logits', 'sigmoid' or 'softmax', got ${String(opts.output)}`);
  }
  const name = opts.name ?? 'smelu';
  if (typeof name !== 'string') throw new TypeError('exportOnnx: opts.name must be a string');
  return { opset, output, name };
}

/** The CTR model's tower input: [dense, embedding of each field...] concatenated along features. */
function ctrFeatures(g: OnnxGraph, model: CtrModel): string {
  const parts: string[] = [];
  if (model.numDense > 0) parts.push(g.input('dense', ONNX_FLOAT, ['N', model.numDense]));
  const numCat = model.bagField.filter((b) => !b).length;
  const cat = numCat > 0 ? g.input('cat', ONNX_INT64, ['N', numCat]) : '';
  let c = 0;
  let b = 0;
  model.embeddings.forEach((e, f) => {
    const table = g.floats(`emb${f}_table`, e.table.value, [e.vocab, e.dim]);
    if (model.bagField[f]) {
      parts.push(bagPool(g, e, table, g.input(`bag${b}`, ONNX_INT64, ['N', `L${b}`])));
      b++;
    } else {
      const ids = g.op('Gather', [cat, g.ints('col', [c++], [])], { axis: { i: 1 } });
      parts.push(g.op('Gather', [table, ids], { axis: { i: 0 } }));
    }
  });
  return parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: { i: 1 } });
}

/** Sum or mean of the table rows of each row's ids, ignoring the -1 padding (empty bag: zeros). */
function bagPool(g: OnnxGraph, e: Embedding, table: string, ids: string): string {
  const zero = g.ints('zero', [0], []);
  const valid = g.op('Cast', [g.op('GreaterOrEqual', [ids, zero])], { to: { i: ONNX_FLOAT } });
  const rows = g.op('Gather', [table, g.op('Max', [ids, zero])], { axis: { i: 0 } });
  const masked = g.op('Mul', [rows, g.op('Unsqueeze', [valid, g.ints('axes', [2], [1])])]);
  const axis1 = g.ints('axes', [1], [1]);
  const sum = g.op('ReduceSum', [masked, axis1], { keepdims: { i: 0 } });
  if (e.pooling === 'sum') return sum;
  const count = g.op('ReduceSum', [valid, axis1], { keepdims: { i: 1 } });
  return g.op('Div', [sum, g.op('Max', [count, g.scalar(1)])]);
}

/** Emits layers and activations into a graph. */
class Emitter {
  constructor(
    private readonly g: OnnxGraph,
    private readonly opset: number,
  ) {}

  layers(layers: readonly Layer[], x: string): string {
    let h = x;
    layers.forEach((l, i) => (h = this.layer(l, h, `l${i}`)));
    return h;
  }

  private layer(l: Layer, x: string, name: string): string {
    if (l instanceof Dense) return this.dense(l, x, name);
    if (l instanceof LayerNorm) return this.layerNorm(l, x, name);
    if (l instanceof ActivationLayer) return this.activation(l.spec, x);
    if (l instanceof LearnableGsmelu) return this.learnableGsmelu(l, x, name);
    throw new TypeError(`exportOnnx: layer ${name} (${l.constructor.name}) has no ONNX form`);
  }

  private dense(l: Dense, x: string, name: string): string {
    const g = this.g;
    const W = g.floats(`${name}_W`, l.W.value, [l.inSize, l.outSize]);
    let h = l.b ? g.op('Gemm', [x, W, g.floats(`${name}_b`, l.b.value, [l.outSize])]) : g.op('MatMul', [x, W]);
    if (l.ln) h = this.layerNorm(l.ln, h, `${name}_ln`);
    return l.act ? this.learnableGsmelu(l.act, h, `${name}_act`) : this.activation(l.spec, h);
  }

  private layerNorm(l: LayerNorm, x: string, name: string): string {
    const g = this.g;
    const gamma = g.floats(`${name}_gamma`, l.gamma.value, [l.inSize]);
    const beta = g.floats(`${name}_beta`, l.beta.value, [l.inSize]);
    return g.op('LayerNormalization', [x, gamma, beta], { axis: { i: -1 }, epsilon: { f: l.eps } });
  }

  /** gSmeLU with the layer's current (trained) values, one set or one per unit. */
  private learnableGsmelu(l: LearnableGsmelu, x: string, name: string): string {
    const g = this.g;
    const [gNeg, gPos, alpha, beta, t] = l.p.map((p) => Array.from(p.value));
    const n = gNeg.length;
    const vec = (hint: string, f: (k: number) => number) => g.floats(`${name}_${hint}`, Array.from({ length: n }, (_, k) => f(k)), [n]);
    const ramp = this.ramp(x, vec('alpha', (k) => alpha[k]), vec('halfWidth', (k) => (alpha[k] + beta[k]) / 2),
      vec('invWidth', (k) => 1 / (alpha[k] + beta[k])));
    const left = g.op('Add', [g.op('Mul', [x, vec('gNeg', (k) => gNeg[k])]), vec('t', (k) => t[k])]);
    return g.op('Add', [left, g.op('Mul', [ramp, vec('slope', (k) => gPos[k] - gNeg[k])])]);
  }

  /**
   * The unit-slope ramp R of gSmeLU in branch-free form: with u = relu(x + alpha) and
   * q = clip(u / (alpha + beta), 0, 1), R = q (u - (alpha + beta) q / 2), which is 0 on the left,
   * u^2 / (2 (alpha + beta)) in the transition and x - (beta - alpha) / 2 on the right. (The relu
   * only matters at x = -Infinity, where it avoids 0 * -Infinity.)
   */
  private ramp(x: string, alpha: string, halfWidth: string, invWidth: string): string {
    const g = this.g;
    const u = g.op('Relu', [g.op('Add', [x, alpha])]);
    const q = g.op('Clip', [g.op('Mul', [u, invWidth]), g.scalar(0), g.scalar(1)]);
    return g.op('Mul', [q, g.op('Sub', [u, g.op('Mul', [q, halfWidth])])]);
  }

  /** A fixed activation from standard operators. */
  activation(spec: ActivationSpec, x: string): string {
    const g = this.g;
    const p = spec.params;
    switch (spec.kind) {
      case 'identity':
        return x;
      case 'relu':
        return g.op('Relu', [x]);
      case 'sigmoid':
        return g.op('Sigmoid', [x]);
      case 'smelu':
        // beta = 0 is exactly ReLU (and 1 / (2 beta) would be infinite)
        return p[0] === 0 ? g.op('Relu', [x]) : this.ramp(x, g.scalar(p[0]), g.scalar(p[0]), g.scalar(1 / (2 * p[0])));
      case 'gsmelu': {
        const [gNeg, gPos, alpha, beta, t] = p;
        const r = this.ramp(x, g.scalar(alpha), g.scalar((alpha + beta) / 2), g.scalar(1 / (alpha + beta)));
        const left = g.op('Add', [g.op('Mul', [x, g.scalar(gNeg)]), g.scalar(t)]);
        return g.op('Add', [left, g.op('Mul', [r, g.scalar(gPos - gNeg)])]);
      }
      case 'rescu2':
        return this.rescu2(x, p[0]);
      case 'gelu':
      case 'gelu_tanh':
        return this.gelu(x, spec.kind === 'gelu_tanh');
      case 'swish':
        return g.op('Mul', [x, g.op('Sigmoid', [this.scaled(x, p[0])])]);
      case 'softplus': {
        const bx = this.scaled(x, p[0]);
        const soft = g.op('Mul', [g.op('Softplus', [bx]), g.scalar(1 / p[0])]);
        return g.op('Where', [g.op('Greater', [bx, g.scalar(p[1])]), x, soft]);
      }
    }
  }

  private scaled(x: string, beta: number): string {
    return beta === 1 ? x : this.g.op('Mul', [x, this.g.scalar(beta)]);
  }

  /**
   * RESCU-2 as relu(x) + c^3 / (6 beta^2), c = relu(beta - |x|): the two middle pieces of the spec
   * are (beta - |x|)^3 / (6 beta^2) on the left and x + the same on the right.
   */
  private rescu2(x: string, beta: number): string {
    const g = this.g;
    const c = g.op('Relu', [g.op('Sub', [g.scalar(beta), g.op('Abs', [x])])]);
    const cube = g.op('Mul', [g.op('Mul', [c, c]), g.op('Mul', [c, g.scalar(1 / (6 * beta * beta))])]);
    return g.op('Add', [g.op('Relu', [x]), cube]);
  }

  /** GELU: the Gelu operator from opset 20, else 0.5 x (1 + erf(x / sqrt 2)) or its tanh form. */
  private gelu(x: string, tanh: boolean): string {
    const g = this.g;
    if (this.opset >= 20) return g.op('Gelu', [x], { approximate: { s: tanh ? 'tanh' : 'none' } });
    let inner: string;
    if (tanh) {
      const cube = g.op('Mul', [g.op('Mul', [x, x]), g.op('Mul', [x, g.scalar(0.044715)])]);
      inner = g.op('Tanh', [g.op('Mul', [g.op('Add', [x, cube]), g.scalar(Math.sqrt(2 / Math.PI))])]);
    } else {
      inner = g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])]);
    }
    return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [inner, g.scalar(1)])]);
  }
}

/** The rows an exported model reads: a smelu Batch or a Dataset with `m` rows (labels unused). */
export interface ExportRows {
  /** Rows. */
  m: number;
  /** Dense features [m x numDense]. */
  dense: Float32Array;
  /** Single-valued ids [m x numCat]. */
  cat: Uint32Array;
  /** One bag per multi-valued field. */
  bags: readonly Bag[];
}

/** One graph input ready for an ONNX runtime: `new ort.Tensor(type, data, dims)`. */
export interface OnnxFeed {
  /** The element type. */
  type: 'float32' | 'int64';
  /** The values, row-major. */
  data: Float32Array | BigInt64Array;
  /** The shape. */
  dims: number[];
}

/**
 * The graph inputs of an exported model for a smelu batch: `dense`, `cat` as int64, and each bag
 * as a [m, longest bag] int64 tensor padded with -1 (at least one column).
 * @param model the exported model (it decides which inputs exist).
 * @param batch the rows (labels are not read).
 * @returns one feed per graph input, by name.
 * @throws TypeError for a model that is not a SequentialModel or CtrModel.
 */
export function onnxFeeds(model: Model, batch: ExportRows): Record<string, OnnxFeed> {
  const m = batch.m;
  if (model instanceof SequentialModel) return { dense: { type: 'float32', data: batch.dense, dims: [m, model.net.inSize] } };
  if (!(model instanceof CtrModel)) throw new TypeError('onnxFeeds: model must be a SequentialModel or a CtrModel');
  const feeds: Record<string, OnnxFeed> = {};
  if (model.numDense > 0) feeds.dense = { type: 'float32', data: batch.dense, dims: [m, model.numDense] };
  const numCat = model.bagField.filter((b) => !b).length;
  if (numCat > 0) feeds.cat = { type: 'int64', data: BigInt64Array.from(batch.cat, (v) => BigInt(v)), dims: [m, numCat] };
  batch.bags.forEach((bag, k) => {
    let width = 1;
    for (let i = 0; i < m; i++) width = Math.max(width, bag.offsets[i + 1] - bag.offsets[i]);
    const data = new BigInt64Array(m * width).fill(-1n);
    for (let i = 0; i < m; i++) {
      for (let p = bag.offsets[i]; p < bag.offsets[i + 1]; p++) data[i * width + p - bag.offsets[i]] = BigInt(bag.ids[p]);
    }
    feeds[`bag${k}`] = { type: 'int64', data, dims: [m, width] };
  });
  return feeds;
}
