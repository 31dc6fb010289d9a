/**
 * The layer contract and the scratch-buffer helper every layer uses. A layer keeps references to
 * what its backward needs (its input and one saved tensor) between forward and backward, and
 * reuses its output buffers from step to step: a training step allocates no typed arrays once the
 * batch size has been seen.
 */
import type { Initializer } from './init';
import type { AnyParam } from './param';

/** How to initialize one parameter tensor (the model draws each from its own seeded stream). */
export interface ParamInit {
  param: AnyParam;
  init: Initializer;
  fanIn: number;
  fanOut: number;
}

/** A layer with one input [m x inSize] and one output [m x outSize]. */
export interface Layer {
  readonly inSize: number;
  readonly outSize: number;
  /** Returns the output in a buffer owned by the layer, valid until its next forward. */
  forward(x: Float32Array, m: number): Float32Array;
  /** Fills the parameter gradients (overwriting them); returns dx when asked, else null. */
  backward(dy: Float32Array, needDx: boolean): Float32Array | null;
  paramInits(): ParamInit[];
  /** Projects parameters back into their domain after an optimizer step (e.g. gSmeLU width > 0). */
  postStep(): void;
  /** JSON-serializable description that rebuilds the layer. */
  config(): object;
}

/**
 * A growable Float32Array scratch buffer handing out exact-length views: the kernels check
 * lengths against m, so the last (short) batch of an epoch needs a shorter view, not a new array.
 */
export class Buf {
  private data = new Float32Array(0);
  private view = this.data;

  get(length: number): Float32Array {
    if (this.view.length === length) return this.view;
    if (length > this.data.length) this.data = new Float32Array(length);
    this.view = this.data.subarray(0, length);
    return this.view;
  }
}

export function checkPositiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new TypeError(`${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

export function checkLengthIs(name: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new RangeError(`${name} must have length ${n}, got ${a.length}`);
}
