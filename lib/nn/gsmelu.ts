/**
 * Learnable generalized SmeLU (docs/activations.md):
 *   R(x) = 0 (x <= -alpha); (x + alpha)^2 / (2 s) (-alpha < x < beta); x - (beta - alpha)/2 (x >= beta)
 *   f(x) = t + gNeg x + (gPos - gNeg) R(x),  s = alpha + beta > 0.
 * Partial derivatives, with q = (x + alpha) / s on the middle piece:
 *   df/dx     = gNeg + (gPos - gNeg) clamp(q, 0, 1)
 *   df/dgNeg  = x - R          df/dgPos = R          df/dt = 1
 *   df/dalpha = (gPos - gNeg) dR/dalpha,  dR/dalpha = 0 | q - q^2/2 | 1/2
 *   df/dbeta  = (gPos - gNeg) dR/dbeta,   dR/dbeta  = 0 | -q^2/2    | -1/2
 * (middle piece: R = s q^2 / 2, so dR/dalpha = q - q^2/2 and dR/dbeta = -q^2/2; both are
 * continuous at the knots, where q is 0 or 1). Checked by finite differences in a test.
 */
import { activation, type ActivationLike } from '../activation';
import { Buf, checkPositiveInt, type Layer, type ParamInit } from './layer';
import { Param } from './param';

/** The five gSmeLU parameters (see {@link GsmeluActivation}). */
export interface GsmeluValues {
  /** Slope left of the transition. */
  gNeg: number;
  /** Slope right of the transition. */
  gPos: number;
  /** The transition starts at -alpha. */
  alpha: number;
  /** The transition ends at beta. */
  beta: number;
  /** Vertical shift. */
  t: number;
}

/** Index of f in the array filled by {@link gsmeluPartials}. */
export const GSMELU_F = 0;
/** Index of df/dx in the array filled by {@link gsmeluPartials}. */
export const GSMELU_DX = 1;
/** Index of df/dgNeg in the array filled by {@link gsmeluPartials}. */
export const GSMELU_DGNEG = 2;
/** Index of df/dgPos in the array filled by {@link gsmeluPartials}. */
export const GSMELU_DGPOS = 3;
/** Index of df/dalpha in the array filled by {@link gsmeluPartials}. */
export const GSMELU_DALPHA = 4;
/** Index of df/dbeta in the array filled by {@link gsmeluPartials}. */
export const GSMELU_DBETA = 5;
/** Index of df/dt in the array filled by {@link gsmeluPartials}. */
export const GSMELU_DT = 6;

/**
 * f and its six partials at x, in float64: out = [f, df/dx, df/dgNeg, df/dgPos, df/dalpha,
 * df/dbeta, df/dt]. Needs alpha + beta > 0 (not checked: the result is then meaningless).
 * @param x the input.
 * @param gNeg slope left of the transition.
 * @param gPos slope right of the transition.
 * @param alpha the transition starts at -alpha.
 * @param beta the transition ends at beta.
 * @param t vertical shift.
 * @param out at least 7 entries, filled at the GSMELU_* indices.
 * @returns `out`.
 */
export function gsmeluPartials(
  x: number, gNeg: number, gPos: number, alpha: number, beta: number, t: number, out: Float64Array,
): Float64Array {
  const u = x + alpha;
  let r: number;
  let drdx: number;
  let drda: number;
  let drdb: number;
  if (u <= 0) {
    r = drdx = drda = drdb = 0;
  } else if (x >= beta) {
    r = x - (beta - alpha) / 2;
    drdx = 1;
    drda = 0.5;
    drdb = -0.5;
  } else {
    const q = u / (alpha + beta);
    r = (u * q) / 2;
    drdx = q;
    drda = q - (q * q) / 2;
    drdb = -(q * q) / 2;
  }
  const slope = gPos - gNeg;
  out[GSMELU_F] = t + gNeg * x + slope * r;
  out[GSMELU_DX] = gNeg + slope * drdx;
  out[GSMELU_DGNEG] = x - r;
  out[GSMELU_DGPOS] = r;
  out[GSMELU_DALPHA] = slope * drda;
  out[GSMELU_DBETA] = slope * drdb;
  out[GSMELU_DT] = 1;
  return out;
}

/** A LearnableGsmelu's JSON config. */
export interface GsmeluLayerConfig {
  /** Discriminant of {@link LayerConfig}. */
  type: 'gsmelu';
  /** Features per row. */
  size: number;
  /** One parameter set per unit (true) or one shared by the layer (false). */
  perUnit: boolean;
  /** Starting values. */
  init: GsmeluValues;
  /** Smallest transition width alpha + beta kept after each step. */
  minWidth: number;
}

const NAMES = ['gNeg', 'gPos', 'alpha', 'beta', 't'] as const;

/**
 * gSmeLU whose five parameters are trained (per layer or per unit). Synchronous, float64
 * arithmetic in fixed order: deterministic.
 */
export class LearnableGsmelu implements Layer {
  readonly inSize: number;
  readonly outSize: number;
  /** One parameter set per unit (true) or one shared by the layer (false). */
  readonly perUnit: boolean;
  /** Smallest transition width alpha + beta kept by {@link postStep}. */
  readonly minWidth: number;
  /** Starting values (what {@link paramInits} fills the parameters with). */
  readonly start: GsmeluValues;
  /** gNeg, gPos, alpha, beta, t: each of length 1 or size. */
  readonly p: readonly [Param, Param, Param, Param, Param];
  private readonly yBuf = new Buf();
  private readonly dxBuf = new Buf();
  private readonly tmp = new Float64Array(7);
  private readonly vals = [] as unknown as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  private acc: Float64Array;
  private x: Float32Array | null = null;
  private m = 0;

  /**
   * Validates the options and allocates the five parameters (length 1, or size when perUnit).
   * @param opts `size`: features per row (a positive integer); `perUnit` (default false); `init`:
   *   starting values as a gsmelu descriptor or spec, or some of the five values (the rest take
   *   gsmelu's defaults); `minWidth` (default 1e-3, > 0); `name`: prefix of the parameter names
   *   (default 'gsmelu').
   * @throws TypeError when size is not a positive integer, `init` is not gsmelu, or a starting
   *   value is not a number.
   * @throws RangeError when minWidth is not > 0, a starting value is not finite, or alpha + beta
   *   is below minWidth.
   */
  constructor(opts: { size: number; perUnit?: boolean; init?: ActivationLike | Partial<GsmeluValues>; minWidth?: number; name?: string }) {
    this.inSize = this.outSize = checkPositiveInt('gsmelu.size', opts.size);
    this.perUnit = opts.perUnit ?? false;
    this.minWidth = opts.minWidth ?? 1e-3;
    if (!(this.minWidth > 0)) throw new RangeError(`gsmelu.minWidth must be > 0, got ${this.minWidth}`);
    this.start = startValues(opts.init);
    if (this.start.alpha + this.start.beta < this.minWidth) {
      throw new RangeError(`gsmelu: alpha + beta must be >= minWidth (${this.minWidth})`);
    }
    const n = this.perUnit ? this.inSize : 1;
    const name = opts.name ?? 'gsmelu';
    this.p = NAMES.map((k) => new Param(`${name}.${k}`, [n], false)) as unknown as LearnableGsmelu['p'];
    this.acc = new Float64Array(5 * n);
  }

  forward(x: Float32Array, m: number): Float32Array {
    const n = this.inSize;
    const y = this.yBuf.get(m * n);
    const [gn, gp, al, be, tt] = this.values32();
    const tmp = this.tmp;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const k = this.perUnit ? j : 0;
        gsmeluPartials(x[i * n + j], gn[k], gp[k], al[k], be[k], tt[k], tmp);
        y[i * n + j] = tmp[GSMELU_F];
      }
    }
    this.x = x;
    this.m = m;
    return y;
  }

  backward(dy: Float32Array, needDx: boolean): Float32Array | null {
    const n = this.inSize;
    const m = this.m;
    const x = this.x!;
    const [gn, gp, al, be, tt] = this.values32();
    const dx = needDx ? this.dxBuf.get(m * n) : null;
    const acc = this.acc;
    const tmp = this.tmp;
    acc.fill(0);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const k = this.perUnit ? j : 0;
        const g = dy[i * n + j];
        gsmeluPartials(x[i * n + j], gn[k], gp[k], al[k], be[k], tt[k], tmp);
        if (dx) dx[i * n + j] = g * tmp[GSMELU_DX];
        for (let q = 0; q < 5; q++) acc[q * gn.length + k] += g * tmp[GSMELU_DGNEG + q];
      }
    }
    for (let q = 0; q < 5; q++) {
      const grad = this.p[q].grad;
      for (let k = 0; k < grad.length; k++) grad[k] = acc[q * grad.length + k];
    }
    return dx;
  }

  /** The five parameter arrays, read at use time (the async trainer may rebind them). */
  private values32(): [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array] {
    const p = this.p;
    this.vals[0] = p[0].value;
    this.vals[1] = p[1].value;
    this.vals[2] = p[2].value;
    this.vals[3] = p[3].value;
    this.vals[4] = p[4].value;
    return this.vals;
  }

  paramInits(): ParamInit[] {
    return this.p.map((param, q) => ({
      param,
      init: { kind: 'constant' as const, value: this.start[NAMES[q]] },
      fanIn: 1,
      fanOut: 1,
    }));
  }

  /** Keeps alpha + beta >= minWidth by widening both sides equally (the formula needs s > 0). */
  postStep(): void {
    const al = this.p[2].value;
    const be = this.p[3].value;
    for (let k = 0; k < al.length; k++) {
      const s = al[k] + be[k];
      if (s < this.minWidth) {
        const d = (this.minWidth - s) / 2;
        al[k] += d;
        be[k] += d;
        // float32 rounding can leave s a hair below minWidth; nudge beta up until it is not
        for (let step = this.minWidth * 1e-3; al[k] + be[k] < this.minWidth; step *= 2) be[k] += step;
      }
    }
  }

  /**
   * The current values of unit `k` (0 when shared).
   * @param k the unit, in [0, size) (ignored when the parameters are shared).
   * @returns the five values, read from the (float32) parameters.
   */
  values(k = 0): GsmeluValues {
    const i = this.perUnit ? k : 0;
    const [gNeg, gPos, alpha, beta, t] = this.p.map((q) => q.value[i]);
    return { gNeg, gPos, alpha, beta, t };
  }

  config(): GsmeluLayerConfig {
    return { type: 'gsmelu', size: this.inSize, perUnit: this.perUnit, init: { ...this.start }, minWidth: this.minWidth };
  }
}

function startValues(init: ActivationLike | Partial<GsmeluValues> | undefined): GsmeluValues {
  if (init === undefined) init = 'gsmelu';
  const desc = typeof init === 'string' || 'kind' in init ? init : { kind: 'gsmelu' as const, ...init };
  const spec = activation(desc as ActivationLike);
  if (spec.kind !== 'gsmelu') {
    throw new TypeError(`a learnable activation must be gsmelu, got ${spec.kind}`);
  }
  const [gNeg, gPos, alpha, beta, t] = spec.params;
  return { gNeg, gPos, alpha, beta, t };
}
