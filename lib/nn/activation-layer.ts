/**
 * A standalone elementwise activation with fixed parameters, on the selected backend. It keeps y
 * for relu / smelu (their derivative is a function of y) and its input otherwise.
 */
import { activation, backward, backwardFromOutput, forward, type Activation, type ActivationLike, type ActivationSpec } from '../activation';
import { Buf, checkPositiveInt, type Layer, type ParamInit } from './layer';

/** An ActivationLayer's JSON config. */
export interface ActivationLayerConfig {
  /** Discriminant of {@link LayerConfig}. */
  type: 'activation';
  /** Features per row. */
  size: number;
  /** The full descriptor (defaults filled in). */
  activation: Required<Activation>;
}

/**
 * An elementwise activation layer with fixed parameters, on the selected backend (synchronous,
 * bitwise deterministic; see `forward`).
 */
export class ActivationLayer implements Layer {
  readonly inSize: number;
  readonly outSize: number;
  /** The validated activation. */
  readonly spec: ActivationSpec;
  private readonly yBuf = new Buf();
  private readonly dxBuf = new Buf();
  private saved: Float32Array | null = null;
  private m = 0;

  /**
   * Validates the activation once.
   * @param opts `size`: features per row (a positive integer); `activation`: descriptor, kind name
   *   or spec.
   * @throws TypeError when size is not a positive integer, or as `activation` for a bad descriptor.
   * @throws RangeError for an activation parameter out of its domain.
   */
  constructor(opts: { size: number; activation: ActivationLike }) {
    this.inSize = this.outSize = checkPositiveInt('activation.size', opts.size);
    this.spec = activation(opts.activation);
  }

  forward(x: Float32Array, m: number): Float32Array {
    const y = this.yBuf.get(m * this.inSize);
    forward(this.spec, x, y);
    this.saved = this.spec.backwardFromOutput ? y : x;
    this.m = m;
    return y;
  }

  backward(dy: Float32Array, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const dx = this.dxBuf.get(this.m * this.inSize);
    if (this.spec.backwardFromOutput) backwardFromOutput(this.spec, this.saved!, dy, dx);
    else backward(this.spec, this.saved!, dy, dx);
    return dx;
  }

  paramInits(): ParamInit[] {
    return [];
  }

  postStep(): void {}

  config(): ActivationLayerConfig {
    return { type: 'activation', size: this.inSize, activation: { ...this.spec.descriptor } as Required<Activation> };
  }
}
