/**
 * Layer normalization over the features of each row: y = gamma * (x - mean) / sqrt(var + eps) + beta.
 * Row statistics are computed in float64 in index order, so the result does not depend on
 * anything but the inputs.
 */
import { Buf, checkPositiveInt, type Layer, type ParamInit } from './layer';
import { Param } from './param';

/** A LayerNorm's JSON config. */
export interface LayerNormConfig {
  /** Discriminant of {@link LayerConfig}. */
  type: 'layernorm';
  /** Features per row. */
  size: number;
  /** Added to the variance before the square root. */
  eps: number;
}

/**
 * Layer normalization over the features of each row, with a learned scale gamma and shift beta
 * per feature. Synchronous; row statistics in float64, in index order: deterministic.
 */
export class LayerNorm implements Layer {
  readonly inSize: number;
  readonly outSize: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Scale [size], initialized to ones, named `<name>.gamma`; not weight-decayed. */
  readonly gamma: Param;
  /** Shift [size], initialized to zeros, named `<name>.beta`; not weight-decayed. */
  readonly beta: Param;
  private readonly yBuf = new Buf();
  private readonly xhatBuf = new Buf();
  private readonly dxBuf = new Buf();
  private invStd = new Float64Array(0);
  private m = 0;

  /**
   * Allocates gamma and beta (filled with ones and zeros when a model initializes them).
   * @param opts `size`: features per row (a positive integer); `eps` (default 1e-5, > 0); `name`:
   *   prefix of the parameter names (default 'ln').
   * @throws TypeError when size is not a positive integer.
   * @throws RangeError when eps is not > 0.
   */
  constructor(opts: { size: number; eps?: number; name?: string }) {
    this.inSize = this.outSize = checkPositiveInt('layernorm.size', opts.size);
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new RangeError(`layernorm.eps must be > 0, got ${this.eps}`);
    const name = opts.name ?? 'ln';
    this.gamma = new Param(`${name}.gamma`, [this.inSize], false);
    this.beta = new Param(`${name}.beta`, [this.inSize], false);
  }

  forward(x: Float32Array, m: number): Float32Array {
    const n = this.inSize;
    const y = this.yBuf.get(m * n);
    const xhat = this.xhatBuf.get(m * n);
    if (this.invStd.length < m) this.invStd = new Float64Array(m);
    const g = this.gamma.value;
    const b = this.beta.value;
    for (let i = 0; i < m; i++) {
      const o = i * n;
      let mean = 0;
      for (let j = 0; j < n; j++) mean += x[o + j];
      mean /= n;
      let v = 0;
      for (let j = 0; j < n; j++) {
        const d = x[o + j] - mean;
        v += d * d;
      }
      const inv = 1 / Math.sqrt(v / n + this.eps);
      this.invStd[i] = inv;
      for (let j = 0; j < n; j++) {
        const h = (x[o + j] - mean) * inv;
        xhat[o + j] = h;
        y[o + j] = g[j] * h + b[j];
      }
    }
    this.m = m;
    return y;
  }

  /**
   * Fills the gamma and beta gradients and, when asked, dx = invStd / n * (n dxhat - sum(dxhat) -
   * xhat sum(dxhat xhat)), dxhat = dy * gamma.
   * @param dy gradient with respect to the last forward's output [m x size].
   * @param needDx whether to compute dx.
   * @returns dx [m x size] in a buffer owned by the layer, or null.
   */
  backward(dy: Float32Array, needDx: boolean): Float32Array | null {
    const n = this.inSize;
    const m = this.m;
    const xhat = this.xhatBuf.get(m * n);
    const g = this.gamma.value;
    const dg = this.gamma.grad;
    const db = this.beta.grad;
    dg.fill(0);
    db.fill(0);
    for (let i = 0; i < m; i++) {
      const o = i * n;
      for (let j = 0; j < n; j++) {
        dg[j] += dy[o + j] * xhat[o + j];
        db[j] += dy[o + j];
      }
    }
    if (!needDx) return null;
    const dx = this.dxBuf.get(m * n);
    for (let i = 0; i < m; i++) {
      const o = i * n;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < n; j++) {
        const d = dy[o + j] * g[j];
        s1 += d;
        s2 += d * xhat[o + j];
      }
      const k = this.invStd[i] / n;
      for (let j = 0; j < n; j++) {
        dx[o + j] = k * (n * dy[o + j] * g[j] - s1 - xhat[o + j] * s2);
      }
    }
    return dx;
  }

  paramInits(): ParamInit[] {
    return [
      { param: this.gamma, init: 'ones', fanIn: this.inSize, fanOut: this.inSize },
      { param: this.beta, init: 'zeros', fanIn: this.inSize, fanOut: this.inSize },
    ];
  }

  postStep(): void {}

  config(): LayerNormConfig {
    return { type: 'layernorm', size: this.inSize, eps: this.eps };
  }
}
