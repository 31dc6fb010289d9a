/**
 * Dense layer y = f(LN?(x W + b)). It owns W [inSize x units], b [units] and their gradients.
 *
 * Without layer norm and with a fixed activation it runs the fused kernels (denseForward /
 * denseBackward) and keeps only what backward needs: y for relu / smelu, z for the others,
 * nothing for identity. With layer norm or a learnable gSmeLU, the linear part runs fused with
 * the identity activation and the rest runs here, each stage keeping its own saved tensor.
 */
import {
  activation, backward as actBackward, forward as actForward, type Activation, type ActivationLike, type ActivationSpec,
} from '../activation';
import { denseBackward, denseForward } from '../dense';
import { LearnableGsmelu, type GsmeluLayerConfig } from './gsmelu';
import { checkInitializer, type Initializer } from './init';
import { Buf, checkPositiveInt, type Layer, type ParamInit } from './layer';
import { LayerNorm } from './layernorm';
import { Param } from './param';

const IDENTITY = activation('identity');

/** Options of {@link Dense} and {@link denseConfig}. */
export interface DenseOptions {
  /** Input features per row: a positive integer. */
  inSize: number;
  /** Output units: a positive integer. */
  units: number;
  /** Default identity. For a learnable one, give a gsmelu descriptor (its starting values). */
  activation?: ActivationLike;
  /** Train the gSmeLU parameters: one set per layer ('layer') or per unit ('unit'). */
  learnable?: false | 'layer' | 'unit';
  /** Layer normalization between x W + b and the activation. */
  layerNorm?: boolean;
  /** Add a bias b [units] (default true); it is initialized to zeros and not weight-decayed. */
  bias?: boolean;
  /** Default he_uniform, or glorot_uniform for identity and sigmoid. */
  init?: Initializer;
  /** Prefix of the parameter names ('dense' by default; models use l0, l1, ...). */
  name?: string;
}

/** A Dense layer's JSON config: the options with every default filled in. */
export interface DenseConfig {
  /** Discriminant of {@link LayerConfig}. */
  type: 'dense';
  /** Input features per row. */
  inSize: number;
  /** Output units. */
  units: number;
  /** The activation's full descriptor (defaults filled in; the starting values when learnable). */
  activation: Required<Activation>;
  /** Whether the gSmeLU parameters are trained, per layer or per unit. */
  learnable: false | 'layer' | 'unit';
  /** Layer normalization before the activation. */
  layerNorm: boolean;
  /** Whether the layer has a bias. */
  bias: boolean;
  /** Initializer of W. */
  init: Initializer;
}

/**
 * Fully connected layer y = f(LN?(x W + b)), x [m x inSize], W [inSize x units], y [m x units].
 *
 * Synchronous; the fused kernels use the native thread pool. Bitwise deterministic whatever the
 * thread count (see `denseForward`).
 */
export class Dense implements Layer {
  readonly inSize: number;
  /** Equals `units`. */
  readonly outSize: number;
  /** The validated activation (the starting values when learnable). */
  readonly spec: ActivationSpec;
  /** Weights [inSize x units], row-major, named `<name>.W`. */
  readonly W: Param;
  /** Bias [units], or null without bias. */
  readonly b: Param | null;
  /** The layer norm, when `layerNorm` is set. */
  readonly ln: LayerNorm | null;
  /** The learnable activation, when `learnable` is set. */
  readonly act: LearnableGsmelu | null;
  private readonly cfg: DenseConfig;
  private readonly fused: boolean;
  private readonly yBuf = new Buf();
  private readonly zBuf = new Buf();
  private readonly dzBuf = new Buf();
  private readonly dxBuf = new Buf();
  private x: Float32Array | null = null;
  /** Input of the fixed activation in the unfused path (z or the layer-norm output). */
  private u: Float32Array | null = null;
  private m = 0;
  /** Whether the last forward kept what backward needs. */
  private trained = true;

  /**
   * Validates the options and allocates the parameters (zeros: a model initializes them).
   * @param opts sizes, activation, options.
   * @throws TypeError / RangeError as {@link denseConfig}, and RangeError when a learnable gSmeLU
   *   starts with alpha + beta below 1e-3.
   */
  constructor(opts: DenseOptions) {
    const name = opts.name ?? 'dense';
    this.cfg = denseConfig(opts);
    this.inSize = this.cfg.inSize;
    this.outSize = this.cfg.units;
    this.spec = activation(this.cfg.activation);
    this.W = new Param(`${name}.W`, [this.inSize, this.outSize], true);
    this.b = this.cfg.bias ? new Param(`${name}.b`, [this.outSize], false) : null;
    this.ln = this.cfg.layerNorm ? new LayerNorm({ size: this.outSize, name: `${name}.ln` }) : null;
    const learnable = this.cfg.learnable;
    this.act = learnable
      ? new LearnableGsmelu({ size: this.outSize, perUnit: learnable === 'unit', init: this.spec, name: `${name}.act` })
      : null;
    this.fused = !this.ln && !this.act;
  }

  forward(x: Float32Array, m: number, training = true): Float32Array {
    this.x = x;
    this.m = m;
    this.trained = training;
    const mn = m * this.outSize;
    const common = { x, W: this.W.value, b: this.b?.value ?? null, m, k: this.inSize, n: this.outSize };
    if (this.fused) {
      const y = this.yBuf.get(mn);
      // z only for a backward that needs it: an inference forward writes y alone.
      const needZ = training && !this.spec.backwardFromOutput && this.spec.kind !== 'identity';
      denseForward({ ...common, activation: this.spec, out: y, zOut: needZ ? this.zBuf.get(mn) : undefined, keepZ: needZ });
      return y;
    }
    const z = this.zBuf.get(mn);
    denseForward({ ...common, activation: IDENTITY, out: z });
    const u = this.ln ? this.ln.forward(z, m) : z;
    if (this.act) return this.act.forward(u, m);
    if (this.spec.kind === 'identity') return u;
    this.u = u;
    return actForward(this.spec, u, this.yBuf.get(mn));
  }

  backward(dy: Float32Array, needDx: boolean): Float32Array | null {
    if (!this.trained) throw new RangeError('Dense.backward: the last forward was an inference forward (training false)');
    const m = this.m;
    const mn = m * this.outSize;
    const dx: Float32Array | false = needDx ? this.dxBuf.get(m * this.inSize) : false;
    const common = {
      x: this.x!, W: this.W.value, m, k: this.inSize, n: this.outSize,
      dx, dW: this.W.grad, db: this.b ? this.b.grad : (false as const),
    };
    if (this.fused) {
      const saved = this.spec.backwardFromOutput
        ? { y: this.yBuf.get(mn) }
        : this.spec.kind === 'identity' ? {} : { z: this.zBuf.get(mn) };
      denseBackward({ ...common, dy, activation: this.spec, ...saved });
      return dx || null;
    }
    let d = dy;
    if (this.act) d = this.act.backward(d, true)!;
    else if (this.spec.kind !== 'identity') d = actBackward(this.spec, this.u!, dy, this.dzBuf.get(mn));
    if (this.ln) d = this.ln.backward(d, true)!;
    denseBackward({ ...common, dy: d, activation: IDENTITY });
    return dx || null;
  }

  paramInits(): ParamInit[] {
    const list: ParamInit[] = [{ param: this.W, init: this.cfg.init, fanIn: this.inSize, fanOut: this.outSize }];
    if (this.b) list.push({ param: this.b, init: 'zeros', fanIn: this.inSize, fanOut: this.outSize });
    if (this.ln) list.push(...this.ln.paramInits());
    if (this.act) list.push(...this.act.paramInits());
    return list;
  }

  postStep(): void {
    this.act?.postStep();
  }

  config(): DenseConfig {
    return { ...this.cfg, activation: { ...this.cfg.activation } };
  }

  /**
   * The learnable activation's config, for inspection.
   * @returns its config (with the starting values), or null when the activation is fixed.
   */
  activationConfig(): GsmeluLayerConfig | null {
    return this.act ? this.act.config() : null;
  }
}

/**
 * Validates Dense options and fills the defaults, without allocating the weights.
 * @param opts the options.
 * @returns the config a {@link Dense} with these options reports.
 * @throws TypeError for a non-positive-integer inSize or units, a bad `learnable`, `learnable` with
 *   an activation other than gsmelu, an invalid initializer or activation.
 * @throws RangeError for an activation parameter out of its domain.
 */
export function denseConfig(opts: DenseOptions): DenseConfig {
  const name = opts.name ?? 'dense';
  const inSize = checkPositiveInt(`${name}.inSize`, opts.inSize);
  const units = checkPositiveInt(`${name}.units`, opts.units);
  const spec = activation(opts.activation ?? 'identity');
  const learnable = opts.learnable ?? false;
  if (learnable !== false && learnable !== 'layer' && learnable !== 'unit') {
    throw new TypeError(`${name}.learnable must be false, 'layer' or 'unit', got ${String(learnable)}`);
  }
  if (learnable && spec.kind !== 'gsmelu') {
    throw new TypeError(`${name}: only gsmelu has learnable parameters, got ${spec.kind}`);
  }
  const linear = spec.kind === 'identity' || spec.kind === 'sigmoid';
  const init = checkInitializer(opts.init ?? (linear ? 'glorot_uniform' : 'he_uniform'), `${name}.init`);
  return {
    type: 'dense', inSize, units, activation: { ...spec.descriptor } as Required<Activation>,
    learnable, layerNorm: !!opts.layerNorm, bias: opts.bias !== false, init,
  };
}
