/**
 * Fused dense layer: y = f(x W + b) and its gradients, with the activation applied while the output
 * tile is still in registers. x is [m x k], W is [k x n] row-major (the Keras / TF.js kernel layout),
 * b is [n]. All arrays are Float32Array, row-major.
 *
 * Determinism: the split of work across threads never changes the arithmetic. Each output is one
 * fused multiply-add chain in k order; dW and db reduce over the batch in row order. The same
 * inputs give the same bits for every thread count and on every run.
 */
import { activation, type ActivationLike, type ActivationSpec } from './activation';
import type { DenseBackwardCall, DenseForwardCall, PackedHandle } from './backend/types';
import {
  allocFloat32, bufferOf, checkDim, checkDimsLength, checkFixedBuffer, checkFloat32, checkLengthProduct, checkOutputIn, checkProduct,
  requireOutputBackward,
} from './check';
import { selected } from './runtime';

/**
 * W packed once for repeated forwards (evaluation and serving loops). It copies W at packing time:
 * after W changes, call {@link PackedWeights.update} (or pack again). Nothing detects a change of W
 * by itself: call {@link PackedWeights.invalidate} when W changes and forwards then refuse the
 * stale pack until it is updated.
 *
 * A packed W gives the same bits as the plain array, on every tier and thread count.
 */
export class PackedWeights {
  /** Rows of W (input features). */
  readonly k: number;
  /** Columns of W (output units). */
  readonly n: number;
  /** The array this pack was made from. */
  readonly source: Float32Array;
  private handle: PackedHandle | null;

  /**
   * Packs W now (synchronous, on the calling thread). Same as {@link packWeights}.
   * @param W weights [k x n], row-major; kept as {@link PackedWeights.source}.
   * @param k rows of W, an integer in [0, 2^31).
   * @param n columns of W, an integer in [0, 2^31).
   * @throws TypeError when W is not a Float32Array or k / n is not a non-negative integer.
   * @throws RangeError when k or n is >= 2^31, W.length is not k * n, or the pack cannot be
   *   allocated.
   */
  constructor(W: Float32Array, k: number, n: number) {
    this.k = checkDim('k', k);
    this.n = checkDim('n', n);
    checkFloat32('W', W);
    checkLengthProduct('W', W, 'k * n', k, n);
    this.source = W;
    this.handle = selected().backend.packWeights(k, n, W);
  }

  /**
   * Packs `source` again (after an optimizer step changed it); also makes an invalidated pack
   * usable again. Synchronous. Do not call it while an async forward using this pack is pending.
   * @throws TypeError when `source` is an array from allocArray released since.
   * @throws RangeError when the new pack cannot be allocated.
   */
  update(): void {
    checkFloat32('W', this.source); // an allocArray array released since is refused
    this.handle = selected().backend.packWeights(this.k, this.n, this.source);
  }

  /** Marks the pack stale: forwards refuse it until {@link update} is called. */
  invalidate(): void {
    this.handle = null;
  }

  /** False after {@link invalidate}, until {@link update}. */
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

/**
 * Packs W [k x n] for repeated {@link denseForward} calls (saves the per-call packing of W).
 * @param W weights [k x n], row-major.
 * @param k rows of W (input features).
 * @param n columns of W (output units).
 * @returns a {@link PackedWeights} holding a copy of W in the kernel's layout.
 * @throws TypeError / RangeError as the {@link PackedWeights} constructor.
 */
export function packWeights(W: Float32Array, k: number, n: number): PackedWeights {
  return new PackedWeights(W, k, n);
}

/** Arguments of {@link denseForward} and {@link denseForwardAsync}. All arrays are row-major. */
export interface DenseForwardArgs {
  /** Input [m x k]. */
  x: Float32Array;
  /** Weights [k x n], or a {@link PackedWeights} packed for the same k and n. */
  W: Float32Array | PackedWeights;
  /** Bias [n]; omitted or null for none. */
  b?: Float32Array | null;
  /** Rows (batch size): an integer in [0, 2^31). */
  m: number;
  /** Input features: an integer in [0, 2^31). */
  k: number;
  /** Output units: an integer in [0, 2^31). */
  n: number;
  /** The activation f: descriptor, kind name or validated spec. */
  activation: ActivationLike;
  /** Output [m x n]; allocated when omitted. Must not share memory with x, W or b. */
  out?: Float32Array;
  /**
   * Where to write z = x W + b [m x n]; given, z is always written there (whatever `keepZ` says).
   * Must not share memory with x, W, b or out.
   */
  zOut?: Float32Array;
  /**
   * Whether to produce z = x W + b for a later {@link denseBackward} (allocated unless `zOut` is
   * given). Default: true when the activation's backward needs z (gelu, swish, softplus, ...),
   * false for identity / relu / smelu, whose backward works from y.
   *
   * Inference and serving: pass `keepZ: false`; no z is allocated or written for any activation,
   * and with `out` (and a {@link PackedWeights}) the call allocates nothing.
   */
  keepZ?: boolean;
}

/** What {@link denseForward} returns. */
export interface DenseForwardResult {
  /** The output f(x W + b) [m x n]: `out` when given. */
  y: Float32Array;
  /** The pre-activation, returned when kept (see {@link DenseForwardArgs.keepZ}) or written to zOut. */
  z?: Float32Array;
}

/** Arguments of {@link denseBackward} and {@link denseBackwardAsync}. All arrays are row-major. */
export interface DenseBackwardArgs {
  /** The forward's input [m x k]. */
  x: Float32Array;
  /** The forward's weights [k x n]; for a {@link PackedWeights}, its `source` array is read. */
  W: Float32Array | PackedWeights;
  /** Gradient of the loss with respect to y, [m x n]. */
  dy: Float32Array;
  /** Rows (batch size): an integer in [0, 2^31). */
  m: number;
  /** Input features: an integer in [0, 2^31). */
  k: number;
  /** Output units: an integer in [0, 2^31). */
  n: number;
  /** The forward's activation: descriptor, kind name or validated spec. */
  activation: ActivationLike;
  /**
   * Pre-activation from the forward [m x n]; needed unless the activation is identity, or relu /
   * smelu with y given. Takes precedence over y.
   */
  z?: Float32Array;
  /** Forward output [m x n]; enough for relu / smelu (refused for other activations). */
  y?: Float32Array;
  /**
   * [m x k] to fill; false to skip (a first layer needs no dx). Allocated when omitted. Outputs
   * must not share memory with any input or with each other.
   */
  dx?: Float32Array | false;
  /** [k x n] to fill or accumulate into. Allocated (zeroed) when omitted; required with `accumulate`. */
  dW?: Float32Array;
  /** [n] to fill or accumulate into; false to skip (no bias). Allocated when omitted; required (or false) with `accumulate`. */
  db?: Float32Array | false;
  /** Add into dW and db instead of overwriting them (gradient accumulation). */
  accumulate?: boolean;
}

/** What {@link denseBackward} returns: the given or allocated gradient arrays. */
export interface DenseBackwardResult {
  /** dL/dx [m x k]; absent when `dx: false`. */
  dx?: Float32Array;
  /** dL/dW [k x n] (added to the given dW with `accumulate`). */
  dW: Float32Array;
  /** dL/db [n] (added to the given db with `accumulate`); absent when `db: false`. */
  db?: Float32Array;
}

/** keepZ as given, else whether the activation's backward needs z. */
function keepZ(given: unknown, spec: ActivationSpec): boolean {
  if (given === undefined) return !spec.backwardFromOutput;
  if (typeof given !== 'boolean') throw new TypeError(`keepZ must be a boolean, got ${typeof given}`);
  return given;
}

/**
 * The arguments of a {@link denseForward} or {@link denseBackward} call as given: undefined when
 * not an own enumerable property.
 */
interface Given {
  x: unknown; W: unknown; b: unknown; m: unknown; k: unknown; n: unknown; activation: unknown; out: unknown; zOut: unknown; keepZ: unknown;
  dy: unknown; z: unknown; y: unknown; dx: unknown; dW: unknown; db: unknown; accumulate: unknown;
}

/**
 * The arguments, each read once, own enumerable properties only, as {@link ownOptions} reads them
 * (Object.keys, then one read per key in that order, getters and unknown keys included), but into
 * an object of fixed shape instead of a null-prototype copy built key by key: that copy was a
 * third of a small call. One reader for both entry points: a name the call does not take is kept
 * and ignored.
 */
function given(args: object): Given {
  const r: Given = {
    x: undefined, W: undefined, b: undefined, m: undefined, k: undefined, n: undefined, activation: undefined, out: undefined, zOut: undefined, keepZ: undefined,
    dy: undefined, z: undefined, y: undefined, dx: undefined, dW: undefined, db: undefined, accumulate: undefined,
  };
  const a = args as Record<string, unknown>;
  const keys = Object.keys(a);
  // A named read per case (a.x where the key is 'x': the same [[Get]] as a[key]) has an inline
  // cache of its own that sees the caller's few shapes; a[key] is one megamorphic keyed read for
  // every name, twice as slow per property.
  for (let i = 0; i < keys.length; i++) {
    switch (keys[i]) {
      case 'x': r.x = a.x; break;
      case 'W': r.W = a.W; break;
      case 'b': r.b = a.b; break;
      case 'm': r.m = a.m; break;
      case 'k': r.k = a.k; break;
      case 'n': r.n = a.n; break;
      case 'activation': r.activation = a.activation; break;
      case 'out': r.out = a.out; break;
      case 'zOut': r.zOut = a.zOut; break;
      case 'keepZ': r.keepZ = a.keepZ; break;
      case 'dy': r.dy = a.dy; break;
      case 'z': r.z = a.z; break;
      case 'y': r.y = a.y; break;
      case 'dx': r.dx = a.dx; break;
      case 'dW': r.dW = a.dW; break;
      case 'db': r.db = a.db; break;
      case 'accumulate': r.accumulate = a.accumulate; break;
      default:
        void a[keys[i]]; // read all the same, as ownOptions did: a getter runs once whatever its name
    }
  }
  return r;
}

function prepareForward(call: DenseForwardArgs): DenseForwardCall {
  if (call === null || typeof call !== 'object') throw new TypeError('denseForward takes an object of arguments');
  // each argument read once, own properties only: no getter can change a value between check and use
  const args = given(call);
  const m = checkDim('m', args.m);
  const k = checkDim('k', args.k);
  const n = checkDim('n', args.n);
  const spec = activation(args.activation as ActivationLike);
  // Lengths are checked before anything is allocated; a product too large for any array is refused
  // naming the argument that cannot match it.
  const x = checkFloat32('x', args.x);
  checkLengthProduct('x', x, 'm * k', m, k);
  const mn = m * n;
  let w: Float32Array | PackedHandle;
  let wArray: Float32Array;
  const W = args.W;
  if (W instanceof PackedWeights) {
    if (W.k !== k || W.n !== n) {
      throw new RangeError(`W: packed for k=${W.k}, n=${W.n}, but the call has k=${k}, n=${n}`);
    }
    w = W.packed;
    wArray = W.source;
  } else {
    wArray = checkFloat32('W', W);
    checkLengthProduct('W', wArray, 'k * n', k, n);
    w = wArray;
  }
  let b: Float32Array | null = null;
  if (args.b !== undefined && args.b !== null) {
    b = checkFloat32('b', args.b);
    checkDimsLength('b', b, n, 'n', n);
  }
  // The overlap checks compare buffer objects first: each array's buffer is read once here.
  const xBuf = bufferOf(x);
  const wBuf = bufferOf(wArray);
  const bBuf = b ? bufferOf(b) : null;
  const y = args.out === undefined ? allocFloat32('out', checkProduct('m * n', m, n)) : checkFloat32('out', args.out);
  checkLengthProduct('out', y, 'm * n', m, n);
  const yBuf = bufferOf(y);
  checkOutputIn('out', y, yBuf, 'x', x, xBuf);
  checkOutputIn('out', y, yBuf, 'W', wArray, wBuf);
  if (b) checkOutputIn('out', y, yBuf, 'b', b, bBuf);
  let z: Float32Array | null = null;
  if (args.zOut !== undefined) {
    z = checkFloat32('zOut', args.zOut);
    checkLengthProduct('zOut', z, 'm * n', m, n);
    const zBuf = bufferOf(z);
    checkOutputIn('zOut', z, zBuf, 'x', x, xBuf);
    checkOutputIn('zOut', z, zBuf, 'W', wArray, wBuf);
    if (b) checkOutputIn('zOut', z, zBuf, 'b', b, bBuf);
    checkOutputIn('zOut', z, zBuf, 'out', y, yBuf);
  } else if (keepZ(args.keepZ, spec) && spec.kind !== 'identity') {
    z = allocFloat32('z', mn);
  }
  return { m, k, n, x, w, b, code: spec.code, params: spec.params, y, z };
}

/**
 * y = f(x W + b). Returns y, and z when kept: by default when the activation's backward needs it
 * (not relu / smelu / identity, whose backward works from y); `keepZ` overrides that, and `zOut`
 * always receives z. For inference pass `keepZ: false`: no z is computed or allocated.
 *
 * Synchronous: blocks the calling thread until done; the native backend splits the work over its
 * thread pool ({@link setThreads}). Bitwise deterministic: each output is one fused multiply-add
 * chain in k order, so the same inputs give the same bits for every thread count, ISA tier and run,
 * packed W or not.
 * @param args x [m x k], W [k x n] or packed, b [n], dims, activation, optional outputs.
 * @returns `{ y }`, plus `z` [m x n] when kept.
 * @throws TypeError naming the argument: `args` not an object, a non-Float32Array, non-integer or
 *   negative dims, an invalid activation, a non-boolean keepZ.
 * @throws RangeError naming the argument: a dim >= 2^31, lengths that do not match m, k, n, a
 *   PackedWeights made for other k / n or invalidated, an output sharing memory with an input, a
 *   failed allocation.
 */
export function denseForward(args: DenseForwardArgs): DenseForwardResult {
  const c = prepareForward(args);
  selected().backend.denseForward(c);
  return c.z ? { y: c.y, z: c.z } : { y: c.y };
}

/**
 * {@link denseForward} off the main thread. On the native backend the inputs (x, W, b) are copied
 * when the call is made, so changing, transferring or detaching them afterwards does not change the
 * result; the outputs (out, zOut) are written when the promise resolves. An output detached,
 * transferred or shrunk meanwhile rejects the promise with a TypeError naming it, and nothing is
 * written. A PackedWeights may be updated meanwhile: the call keeps the pack it was given.
 *
 * On the native backend the work runs on a libuv worker and the thread pool; several calls may be
 * pending at once (they run one after another). The TypeScript backend has no threads: it computes
 * on the calling thread before returning the promise. Same bits as the synchronous call.
 * @param args as {@link denseForward}.
 * @returns a promise of `{ y }`, plus `z` when kept.
 * @throws TypeError / RangeError as {@link denseForward}, as a rejection of the promise (never
 *   thrown synchronously).
 */
export async function denseForwardAsync(args: DenseForwardArgs): Promise<DenseForwardResult> {
  const c = prepareForward(args);
  for (const [name, v] of [['x', c.x], ['W', c.w instanceof Float32Array ? c.w : null], ['b', c.b], ['out', c.y], ['zOut', c.z]] as const) checkFixedBuffer(name, v);
  await selected().backend.denseForwardAsync(c);
  return c.z ? { y: c.y, z: c.z } : { y: c.y };
}

function prepareBackward(call: DenseBackwardArgs): DenseBackwardCall {
  if (call === null || typeof call !== 'object') throw new TypeError('denseBackward takes an object of arguments');
  const args = given(call);
  const m = checkDim('m', args.m);
  const k = checkDim('k', args.k);
  const n = checkDim('n', args.n);
  const spec = activation(args.activation as ActivationLike);
  const x = checkFloat32('x', args.x);
  checkLengthProduct('x', x, 'm * k', m, k);
  const W = args.W;
  const w = checkFloat32('W', W instanceof PackedWeights ? W.source : W);
  const kn = checkLengthProduct('W', w, 'k * n', k, n);
  const dy = checkFloat32('dy', args.dy);
  const mn = checkLengthProduct('dy', dy, 'm * n', m, n);
  let saved: Float32Array;
  let savedIsOutput = false;
  if (args.z !== undefined) {
    saved = checkFloat32('z', args.z);
    checkDimsLength('z', saved, mn, 'm * n', m, n);
  } else if (args.y !== undefined) {
    requireOutputBackward(spec);
    saved = checkFloat32('y', args.y);
    checkDimsLength('y', saved, mn, 'm * n', m, n);
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
  // The overlap checks compare buffer objects first: each array's buffer is read once here, and no
  // list of pairs is built. Same order of checks (and so of errors) as a loop over the inputs.
  const savedName = savedIsOutput ? 'y' : 'z';
  const xBuf = bufferOf(x);
  const wBuf = bufferOf(w);
  const dyBuf = bufferOf(dy);
  const savedBuf = bufferOf(saved);
  let dx: Float32Array | null = null;
  let dxBuf: ArrayBufferLike | null = null;
  if (args.dx !== false) {
    dx = args.dx === undefined ? allocFloat32('dx', m * k) : checkFloat32('dx', args.dx);
    checkDimsLength('dx', dx, m * k, 'm * k', m, k);
    dxBuf = bufferOf(dx);
    checkOutputIn('dx', dx, dxBuf, 'x', x, xBuf);
    checkOutputIn('dx', dx, dxBuf, 'W', w, wBuf);
    checkOutputIn('dx', dx, dxBuf, 'dy', dy, dyBuf);
    checkOutputIn('dx', dx, dxBuf, savedName, saved, savedBuf);
  }
  let dW: Float32Array;
  if (args.dW === undefined) {
    if (accumulate) throw new TypeError('dW: accumulate needs the dW array to add into');
    dW = allocFloat32('dW', kn);
  } else {
    dW = checkFloat32('dW', args.dW);
  }
  checkDimsLength('dW', dW, kn, 'k * n', k, n);
  const dWBuf = bufferOf(dW);
  checkOutputIn('dW', dW, dWBuf, 'x', x, xBuf);
  checkOutputIn('dW', dW, dWBuf, 'W', w, wBuf);
  checkOutputIn('dW', dW, dWBuf, 'dy', dy, dyBuf);
  checkOutputIn('dW', dW, dWBuf, savedName, saved, savedBuf);
  if (dx) checkOutputIn('dW', dW, dWBuf, 'dx', dx, dxBuf);
  let db: Float32Array | null = null;
  if (args.db !== false) {
    if (args.db === undefined) {
      if (accumulate) throw new TypeError('db: accumulate needs the db array to add into (or db: false)');
      db = allocFloat32('db', n);
    } else {
      db = checkFloat32('db', args.db);
    }
    checkDimsLength('db', db, n, 'n', n);
    const dbBuf = bufferOf(db);
    checkOutputIn('db', db, dbBuf, 'x', x, xBuf);
    checkOutputIn('db', db, dbBuf, 'W', w, wBuf);
    checkOutputIn('db', db, dbBuf, 'dy', dy, dyBuf);
    checkOutputIn('db', db, dbBuf, savedName, saved, savedBuf);
    checkOutputIn('db', db, dbBuf, 'dW', dW, dWBuf);
    if (dx) checkOutputIn('db', db, dbBuf, 'dx', dx, dxBuf);
  }
  return { m, k, n, x, w, dy, saved, savedIsOutput, code: spec.code, params: spec.params, dx, dW, db, accumulate };
}

function backwardResult(c: DenseBackwardCall): DenseBackwardResult {
  const r: DenseBackwardResult = { dW: c.dW };
  if (c.dx) r.dx = c.dx;
  if (c.db) r.db = c.db;
  return r;
}

/**
 * Gradients of y = f(x W + b): dZ = dy * f'(z) (or from y for relu / smelu), dx = dZ W^T,
 * dW = x^T dZ, db = sum of dZ over the batch. dW and db are overwritten, or added into with
 * `accumulate`.
 *
 * Synchronous: blocks the calling thread; the native backend splits the work over its thread pool.
 * Bitwise deterministic: the reductions over the batch run in row order whatever the thread count,
 * so the same inputs give the same bits on every run, thread count and ISA tier.
 * @param args x, W, dy, dims, activation, the saved z or y, optional outputs and `accumulate`.
 * @returns the gradient arrays (given or allocated).
 * @throws TypeError naming the argument: `args` not an object, a non-Float32Array, non-integer or
 *   negative dims, an invalid activation, neither z nor y given (y given for an activation other
 *   than relu / smelu), a non-boolean `accumulate`, `accumulate` without dW or db.
 * @throws RangeError naming the argument: a dim >= 2^31, lengths that do not match m, k, n, an
 *   output sharing memory with an input or another output, a failed allocation.
 */
export function denseBackward(args: DenseBackwardArgs): DenseBackwardResult {
  const c = prepareBackward(args);
  selected().backend.denseBackward(c);
  return backwardResult(c);
}

/**
 * {@link denseBackward} off the main thread. As {@link denseForwardAsync}: the inputs (x, W, dy,
 * z or y, and dW / db with `accumulate`) are copied when the call is made; dx, dW and db are
 * written when the promise resolves, or not at all when one of them was detached, transferred or
 * shrunk meanwhile (a TypeError naming it).
 *
 * Threading as {@link denseForwardAsync}: native calls run on a libuv worker and the thread pool;
 * the TypeScript backend computes on the calling thread. Same bits as the synchronous call.
 * @param args as {@link denseBackward}.
 * @returns a promise of the gradient arrays.
 * @throws TypeError / RangeError as {@link denseBackward}, as a rejection of the promise (never
 *   thrown synchronously).
 */
export async function denseBackwardAsync(args: DenseBackwardArgs): Promise<DenseBackwardResult> {
  const c = prepareBackward(args);
  for (const [name, v] of [['x', c.x], ['W', c.w], ['dy', c.dy], ['saved', c.saved], ['dx', c.dx], ['dW', c.dW], ['db', c.db]] as const) checkFixedBuffer(name, v);
  await selected().backend.denseBackwardAsync(c);
  return backwardResult(c);
}
