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
  /** The tensor to fill. */
  param: AnyParam;
  /** How to fill it. */
  init: Initializer;
  /** Fan-in for Glorot / He scaling. */
  fanIn: number;
  /** Fan-out for Glorot scaling. */
  fanOut: number;
}

/** A layer with one input [m x inSize] and one output [m x outSize]. */
export interface Layer {
  /** Features per input row. */
  readonly inSize: number;
  /** Features per output row. */
  readonly outSize: number;
  /**
   * Returns the output in a buffer owned by the layer, valid until its next forward.
   * Keeps a reference to `x` for backward: do not change it before then.
   * @param x input [m x inSize], row-major.
   * @param m rows in the batch.
   * @param training false for inference: nothing is kept for a backward (Dense then writes no
   *   pre-activation); default true.
   * @returns the output [m x outSize].
   * @throws RangeError from Dense and ActivationLayer when x.length is not m * inSize.
   */
  forward(x: Float32Array, m: number, training?: boolean): Float32Array;
  /**
   * Fills the parameter gradients (overwriting them); returns dx when asked, else null.
   * Uses what the last forward saved, so it must follow a forward.
   * @param dy gradient with respect to the output [m x outSize].
   * @param needDx whether to compute dx (the first layer of a model needs none).
   * @returns dx [m x inSize] in a buffer owned by the layer, or null.
   * @throws RangeError from Dense and ActivationLayer when dy.length is not m * outSize.
   */
  backward(dy: Float32Array, needDx: boolean): Float32Array | null;
  /**
   * The layer's parameter tensors with their initializers, in a fixed order.
   * @returns one entry per tensor (empty for a layer without parameters).
   */
  paramInits(): ParamInit[];
  /** Projects parameters back into their domain after an optimizer step (e.g. gSmeLU width > 0). */
  postStep(): void;
  /**
   * JSON-serializable description that rebuilds the layer.
   * @returns a new config object.
   */
  config(): object;
}

/**
 * A growable Float32Array scratch buffer handing out exact-length views: the kernels check
 * lengths against m, so the last (short) batch of an epoch needs a shorter view, not a new array.
 */
export class Buf {
  private data = new Float32Array(0);
  private view = this.data;

  /**
   * A view of exactly `length` floats; the contents are whatever was there before.
   * @param length the wanted length.
   * @returns a view into this Buf's storage (a larger request moves it to new storage).
   */
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
