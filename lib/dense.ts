/**
 * Fused dense layer: y = f(x W + b) and its gradients, with the activation applied while the output
 * tile is still in registers. x is [m x k], W is [k x n] row-major (the Keras / TF.js kernel layout),
 * b is [n]. All arrays are Float32Array, row-major.
 *
 * Determinism: the split of work across threads never changes the arithmetic. Each output is one
 * fused multiply-add chain in k order; dW and db reduce over the batch in row order. The same
 * inputs give the same bits for every thread count and on every run.
 */
import { activation, type ActivationLike, type ActivationSpec } from './activations';
import { requireOutputBackward } from './activate';
import { selected } from './backend/select';
import type { PackedHandle } from './backend/types';
import { allocFloat32, checkDim, checkFloat32, checkLength, checkLengthProduct, checkOutput, checkProduct } from './check';

/**
 * W packed once for repeated forwards (evaluation and serving loops). It copies W at packing time:
 * after W changes, call {@link PackedWeights.update} (or pack again); a stale pack is refused.
 */
export class PackedWeights {
  readonly k: number;
  readonly n: number;
  /** The array this pack was made from. */
  readonly source: Float32Array;
  private handle: PackedHandle | null;

  constructor(W: Float32Array, k: number, n: number) {
    this.k = checkDim('k', k);
    this.n = checkDim('n', n);
    checkFloat32('W', W);
    checkLengthProduct('W', W, 'k * n', k, n);
    this.source = W;
    this.handle = selected().backend.packWeights(k, n, W);
  }

  /** Packs `source` again (after an optimizer step changed it). */
  update(): void {
    this.handle = selected().backend.packWeights(this.k, this.n, this.source);
  }

  /** Marks the pack stale: forwards refuse it until {@link update} is called. */
  invalidate(): void {
    this.handle = null;
  }

  get valid(): boolean {
    return this.handle !== null;
  }

  /** @internal */
  get packed(): PackedHandle {
    if (this.handle === null) {
      throw new RangeError('W: this PackedWeights was invalidated; call update() after changing W');
    }
    return this.handle;
  }
}

/** Packs W [k x n] for repeated {@link denseForward} calls. */
export function packWeights(W: Float32Array, k: number, n: number): PackedWeights {
  return new PackedWeights(W, k, n);
}

export interface DenseForwardArgs {
  /** Input [m x k]. */
  x: Float32Array;
  /** Weights [k x n], or a {@link PackedWeights}. */
  W: Float32Array | PackedWeights;
  /** Bias [n]; omitted or null for none. */
  b?: Float32Array | null;
  m: number;
  k: number;
  n: number;
  activation: ActivationLike;
  /** Output [m x n]; allocated when omitted. */
  out?: Float32Array;
  /** Where to write z = x W + b [m x n]. Allocated when the activation's backward needs z. */
  zOut?: Float32Array;
  /** Also return z for relu / smelu (whose backward works from y). */
  keepZ?: boolean;
}

export interface DenseForwardResult {
  y: Float32Array;
  /** The pre-activation, returned when the activation's backward needs it (or keepZ / zOut). */
  z?: Float32Array;
}

export interface DenseBackwardArgs {
  x: Float32Array;
  W: Float32Array | PackedWeights;
  /** Gradient of the loss with respect to y, [m x n]. */
  dy: Float32Array;
  m: number;
  k: number;
  n: number;
  activation: ActivationLike;
  /** Pre-activation from the forward; needed unless the activation is relu / smelu and y is given. */
  z?: Float32Array;
  /** Forward output; enough for relu / smelu. */
  y?: Float32Array;
  /** [m x k] to fill; false to skip (a first layer needs no dx). Allocated when omitted. */
  dx?: Float32Array | false;
  /** [k x n] to fill or accumulate into. Allocated (zeroed) when omitted. */
  dW?: Float32Array;
  /** [n] to fill or accumulate into; false to skip. Allocated when omitted. */
  db?: Float32Array | false;
  /** Add into dW and db instead of overwriting them (gradient accumulation). */
  accumulate?: boolean;
}

export interface DenseBackwardResult {
  dx?: Float32Array;
  dW: Float32Array;
  db?: Float32Array;
}

interface ForwardCall {
  m: number; k: number; n: number;
  x: Float32Array;
  w: Float32Array | PackedHandle;
  b: Float32Array | null;
  spec: ActivationSpec;
  y: Float32Array;
  z: Float32Array | null;
}

function prepareForward(args: DenseForwardArgs): ForwardCall {
  if (args === null || typeof args !== 'object') throw new TypeError('denseForward takes an object of arguments');
  const m = checkDim('m', args.m);
  const k = checkDim('k', args.k);
  const n = checkDim('n', args.n);
  const spec = activation(args.activation);
  // Lengths are checked before anything is allocated; a product too large for any array is refused
  // naming the argument that cannot match it.
  const x = checkFloat32('x', args.x);
  checkLengthProduct('x', x, 'm * k', m, k);
  const mn = m * n;
  let w: Float32Array | PackedHandle;
  let wArray: Float32Array;
  if (args.W instanceof PackedWeights) {
    if (args.W.k !== k || args.W.n !== n) {
      throw new RangeError(`W: packed for k=${args.W.k}, n=${args.W.n}, but the call has k=${k}, n=${n}`);
    }
    w = args.W.packed;
    wArray = args.W.source;
  } else {
    wArray = checkFloat32('W', args.W);
    checkLengthProduct('W', wArray, 'k * n', k, n);
    w = wArray;
  }
  let b: Float32Array | null = null;
  if (args.b !== undefined && args.b !== null) {
    b = checkFloat32('b', args.b);
    checkLength('b', b, n, `n = ${n}`);
  }
  const inputs: Array<[string, Float32Array]> = [['x', x], ['W', wArray]];
  if (b) inputs.push(['b', b]);
  const y = args.out === undefined ? allocFloat32('out', checkProduct('m * n', m, n)) : checkFloat32('out', args.out);
  checkLengthProduct('out', y, 'm * n', m, n);
  checkOutput('out', y, inputs, false);
  let z: Float32Array | null = null;
  if (args.zOut !== undefined) {
    z = checkFloat32('zOut', args.zOut);
    checkLengthProduct('zOut', z, 'm * n', m, n);
    checkOutput('zOut', z, [...inputs, ['out', y]], false);
  } else if (!spec.backwardFromOutput || args.keepZ) {
    if (spec.kind !== 'identity') z = allocFloat32('z', mn);
  }
  return { m, k, n, x, w, b, spec, y, z };
}

/**
 * y = f(x W + b). Returns y, and z when the activation's backward needs it (not relu / smelu /
 * identity, whose backward works from y) or when asked (keepZ, zOut).
 * @throws TypeError / RangeError naming the argument: non-Float32Array, non-integer or negative
 *   dims, lengths that do not match m, k, n, an output sharing memory with an input.
 */
export function denseForward(args: DenseForwardArgs): DenseForwardResult {
  const c = prepareForward(args);
  selected().backend.denseForward(c.m, c.k, c.n, c.x, c.w, c.b, c.spec.code, c.spec.params, c.y, c.z);
  return c.z ? { y: c.y, z: c.z } : { y: c.y };
}

/**
 * {@link denseForward} off the main thread. The arrays are kept alive until the promise settles;
 * do not write to any of them (x, W, b, out, zOut) before it does.
 */
export async function denseForwardAsync(args: DenseForwardArgs): Promise<DenseForwardResult> {
  const c = prepareForward(args);
  await selected().backend.denseForwardAsync(c.m, c.k, c.n, c.x, c.w, c.b, c.spec.code, c.spec.params, c.y, c.z);
  return c.z ? { y: c.y, z: c.z } : { y: c.y };
}

interface BackwardCall {
  m: number; k: number; n: number;
  x: Float32Array; w: Float32Array; dy: Float32Array;
  saved: Float32Array; savedIsOutput: boolean;
  spec: ActivationSpec;
  dx: Float32Array | null; dW: Float32Array; db: Float32Array | null;
  accumulate: boolean;
}

function prepareBackward(args: DenseBackwardArgs): BackwardCall {
  if (args === null || typeof args !== 'object') throw new TypeError('denseBackward takes an object of arguments');
  const m = checkDim('m', args.m);
  const k = checkDim('k', args.k);
  const n = checkDim('n', args.n);
  const spec = activation(args.activation);
  const x = checkFloat32('x', args.x);
  checkLengthProduct('x', x, 'm * k', m, k);
  const w = args.W instanceof PackedWeights ? args.W.source : checkFloat32('W', args.W);
  const kn = checkLengthProduct('W', w, 'k * n', k, n);
  const dy = checkFloat32('dy', args.dy);
  const mn = checkLengthProduct('dy', dy, 'm * n', m, n);
  let saved: Float32Array;
  let savedIsOutput = false;
  if (args.z !== undefined) {
    saved = checkFloat32('z', args.z);
    checkLength('z', saved, mn, `m * n = ${m} * ${n}`);
  } else if (args.y !== undefined) {
    requireOutputBackward(spec);
    saved = checkFloat32('y', args.y);
    checkLength('y', saved, mn, `m * n = ${m} * ${n}`);
    savedIsOutput = true;
  } else if (spec.kind === 'identity') {
    saved = dy; // identity's derivative does not read its input
  } else {
    throw new TypeError(
      spec.backwardFromOutput
        ? `denseBackward: pass z (pre-activation) or y (output) for ${spec.kind}`
        : `denseBackward: pass z (pre-activation); ${spec.kind} cannot work from y`,
    );
  }
  const accumulate = args.accumulate === true;
  if (args.accumulate !== undefined && typeof args.accumulate !== 'boolean') {
    throw new TypeError(`accumulate must be a boolean, got ${typeof args.accumulate}`);
  }
  const inputs: Array<[string, Float32Array]> = [['x', x], ['W', w], ['dy', dy], [savedIsOutput ? 'y' : 'z', saved]];
  let dx: Float32Array | null = null;
  if (args.dx !== false) {
    dx = args.dx === undefined ? allocFloat32('dx', m * k) : checkFloat32('dx', args.dx);
    checkLength('dx', dx, m * k, `m * k = ${m} * ${k}`);
    checkOutput('dx', dx, inputs, false);
  }
  let dW: Float32Array;
  if (args.dW === undefined) {
    if (accumulate) throw new TypeError('dW: accumulate needs the dW array to add into');
    dW = allocFloat32('dW', kn);
  } else {
    dW = checkFloat32('dW', args.dW);
  }
  checkLength('dW', dW, kn, `k * n = ${k} * ${n}`);
  checkOutput('dW', dW, dx ? [...inputs, ['dx', dx]] : inputs, false);
  let db: Float32Array | null = null;
  if (args.db !== false) {
    if (args.db === undefined) {
      if (accumulate) throw new TypeError('db: accumulate needs the db array to add into (or db: false)');
      db = allocFloat32('db', n);
    } else {
      db = checkFloat32('db', args.db);
    }
    checkLength('db', db, n, `n = ${n}`);
    checkOutput('db', db, [...inputs, ['dW', dW], ...(dx ? [['dx', dx] as [string, Float32Array]] : [])], false);
  }
  return { m, k, n, x, w, dy, saved, savedIsOutput, spec, dx, dW, db, accumulate };
}

function backwardResult(c: BackwardCall): DenseBackwardResult {
  const r: DenseBackwardResult = { dW: c.dW };
  if (c.dx) r.dx = c.dx;
  if (c.db) r.db = c.db;
  return r;
}

/**
 * Gradients of y = f(x W + b): dZ = dy * f'(z) (or from y for relu / smelu), dx = dZ W^T,
 * dW = x^T dZ, db = sum of dZ over the batch. dW and db are overwritten, or added into with
 * `accumulate`. The reductions over the batch run in row order whatever the thread count.
 */
export function denseBackward(args: DenseBackwardArgs): DenseBackwardResult {
  const c = prepareBackward(args);
  selected().backend.denseBackward(
    c.m, c.k, c.n, c.x, c.w, c.dy, c.saved, c.savedIsOutput, c.spec.code, c.spec.params,
    c.dx, c.dW, c.db, c.accumulate,
  );
  return backwardResult(c);
}

/** {@link denseBackward} off the main thread; do not touch the arrays until the promise settles. */
export async function denseBackwardAsync(args: DenseBackwardArgs): Promise<DenseBackwardResult> {
  const c = prepareBackward(args);
  await selected().backend.denseBackwardAsync(
    c.m, c.k, c.n, c.x, c.w, c.dy, c.saved, c.savedIsOutput, c.spec.code, c.spec.params,
    c.dx, c.dW, c.db, c.accumulate,
  );
  return backwardResult(c);
}
