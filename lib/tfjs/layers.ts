/**
 * tf.layers layers: SmeLU, RESCU2 and SmeluActivation (fixed parameters) and GSmeLU (five
 * learnable parameters, per layer or per unit). Each is registered for serialization under the
 * package name 'smelu', so a saved model that uses them loads again with tf.loadLayersModel once
 * this module has been imported (model.json names them by className: SmeLU, RESCU2, GSmeLU, ...).
 */
import type * as TF from '@tensorflow/tfjs';
import { activation, type Activation, type ActivationLike, type ActivationSpec } from '../activation';
import { tf } from './load';
import { activate, gsmelu, rescu2, smelu, type Tensor } from './ops';

type Shape = TF.Shape;
/** The base options every tf.layers layer takes (name, trainable, inputShape, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Parameters<TF.layers.Layer['call']>[1];

/** Package the layers are registered under (model.json names them by their className: SmeLU, ...). */
export const SERIALIZATION_PACKAGE = 'smelu';

function single(inputs: Tensor | Tensor[]): Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** An elementwise layer whose output has its input's shape. */
abstract class Elementwise extends tf.layers.Layer {
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
    return tf.tidy(() => this.apply1(single(inputs)));
  }

  /**
   * The activation applied to one input.
   * @param x the input tensor.
   * @returns the output tensor.
   */
  protected abstract apply1(x: Tensor): Tensor;
}

/** Options of {@link SmeLU} and {@link RESCU2}. */
export interface BetaLayerArgs extends LayerArgs {
  /** Half-width of the transition (default 1). */
  beta?: number;
}

/** A fixed activation with the single parameter beta. */
abstract class BetaActivation extends Elementwise {
  /** The half-width parameter. */
  readonly beta: number;
  private readonly op: (x: Tensor, beta: number) => Tensor;

  constructor(desc: { kind: 'smelu' } | { kind: 'rescu2' }, op: (x: Tensor, beta: number) => Tensor, args: BetaLayerArgs) {
    super(args);
    this.beta = activation({ ...desc, beta: args.beta ?? 1 }).params[0];
    this.op = op;
  }

  /** @inheritDoc */
  protected apply1(x: Tensor): Tensor {
    return this.op(x, this.beta);
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), beta: this.beta };
  }
}

/** SmeLU as a layer; `args.beta` >= 0 (default 1). Throws TypeError / RangeError for a bad beta. */
export class SmeLU extends BetaActivation {
  /** The serialization class name. */
  static className = 'SmeLU';
  /**
   * Validates beta once.
   * @param args `beta` and the common layer options.
   */
  constructor(args: BetaLayerArgs = {}) {
    super({ kind: 'smelu' }, smelu, args);
  }
}

/** RESCU-2 as a layer; `args.beta` > 0 (default 1). Throws TypeError / RangeError for a bad beta. */
export class RESCU2 extends BetaActivation {
  /** The serialization class name. */
  static className = 'RESCU2';
  /**
   * Validates beta once.
   * @param args `beta` and the common layer options.
   */
  constructor(args: BetaLayerArgs = {}) {
    super({ kind: 'rescu2' }, rescu2, args);
  }
}

/** Options of {@link SmeluActivation}. */
export interface SmeluActivationArgs extends LayerArgs {
  /** Any smelu activation: descriptor or kind name. */
  activation: ActivationLike;
}

/** Any smelu activation with fixed parameters as a layer (GELU, Swish, Softplus, ... too). */
export class SmeluActivation extends Elementwise {
  /** The serialization class name. */
  static className = 'SmeluActivation';
  /** The validated activation. */
  readonly spec: ActivationSpec;

  /**
   * @param args `activation` and the common layer options.
   * @throws TypeError / RangeError for a bad descriptor.
   */
  constructor(args: SmeluActivationArgs) {
    super(args);
    this.spec = activation(args.activation);
  }

  /** @inheritDoc */
  protected apply1(x: Tensor): Tensor {
    return activate(x, this.spec);
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), activation: { ...this.spec.descriptor } as TF.serialization.ConfigDict };
  }
}

const GSMELU_NAMES = ['gNeg', 'gPos', 'alpha', 'beta', 't'] as const;

/** Options of {@link GSmeLU}: the starting values and the parameter layout. */
export interface GSmeLUArgs extends LayerArgs {
  /** Starting slope left of the transition (default 0). */
  gNeg?: number;
  /** Starting slope right of the transition (default 1). */
  gPos?: number;
  /** The transition starts at -alpha (default 1). */
  alpha?: number;
  /** The transition ends at beta (default 1). */
  beta?: number;
  /** Starting shift (default 0). */
  t?: number;
  /** One parameter set per unit of the last axis (true) or one for the layer (false, default). */
  perUnit?: boolean;
  /** Smallest transition width alpha + beta that {@link GSmeLU.project} keeps (default 1e-3, > 0). */
  minWidth?: number;
}

/**
 * gSmeLU with its five parameters as trainable weights (named gNeg, gPos, alpha, beta, t; shape
 * [1] or [units]). The gradients are the analytic ones of {@link gsmelu}. Train with the
 * {@link GsmeluProjection} callback to keep alpha + beta >= minWidth, as smelu's own layer does.
 */
export class GSmeLU extends Elementwise {
  /** The serialization class name. */
  static className = 'GSmeLU';
  /** The starting values (validated like smelu's gsmelu descriptor). */
  readonly start: Readonly<Required<Omit<GSmeLUArgs, keyof LayerArgs | 'perUnit' | 'minWidth'>>>;
  /** Per unit or per layer. */
  readonly perUnit: boolean;
  /** Smallest transition width alpha + beta kept by {@link GSmeLU.project}. */
  readonly minWidth: number;
  private params: TF.LayerVariable[] = [];

  /**
   * @param args starting values, `perUnit` and the common layer options.
   * @throws TypeError / RangeError for bad starting values.
   */
  constructor(args: GSmeLUArgs = {}) {
    super(args);
    const d = activation({ kind: 'gsmelu', gNeg: args.gNeg, gPos: args.gPos, alpha: args.alpha, beta: args.beta, t: args.t } as Activation);
    const [gNeg, gPos, alpha, beta, t] = d.params;
    this.start = { gNeg, gPos, alpha, beta, t };
    this.perUnit = !!args.perUnit;
    this.minWidth = args.minWidth ?? 1e-3;
    if (!(this.minWidth > 0)) throw new RangeError(`GSmeLU minWidth must be > 0, got ${String(args.minWidth)}`);
    if (alpha + beta < this.minWidth) throw new RangeError(`GSmeLU: alpha + beta must be >= minWidth (${this.minWidth})`);
  }

  /**
   * Keeps alpha + beta >= minWidth by widening both sides equally, as smelu's learnable layer does
   * after each step (the formula needs a positive width). {@link GsmeluProjection} calls it after
   * every training batch.
   */
  project(): void {
    if (!this.built) return;
    const [alpha, beta] = [this.params[2], this.params[3]];
    const a = alpha.read().dataSync().slice();
    const b = beta.read().dataSync().slice();
    let changed = false;
    for (let k = 0; k < a.length; k++) {
      const d = (this.minWidth - (a[k] + b[k])) / 2;
      if (d > 0) {
        a[k] += d;
        b[k] += d;
        changed = true;
      }
    }
    if (!changed) return;
    tf.tidy(() => {
      alpha.write(tf.tensor1d(a));
      beta.write(tf.tensor1d(b));
    });
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const n = this.perUnit ? shape[shape.length - 1] : 1;
    if (n === null) throw new RangeError('GSmeLU perUnit needs a known last dimension');
    this.params = GSMELU_NAMES.map((k) => this.addWeight(k, [n], 'float32', tf.initializers.constant({ value: this.start[k] })));
    this.built = true;
  }

  /** @inheritDoc */
  protected apply1(x: Tensor): Tensor {
    const [gNeg, gPos, alpha, beta, t] = this.params.map((p) => p.read());
    return gsmelu(x, { gNeg, gPos, alpha, beta, t });
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.start, perUnit: this.perUnit, minWidth: this.minWidth };
  }
}

/**
 * A training callback that projects every GSmeLU layer of the model after each batch
 * ({@link GSmeLU.project}): pass `callbacks: [new GsmeluProjection()]` to `model.fit`.
 */
export class GsmeluProjection extends tf.Callback {
  /** Projects the model's GSmeLU layers (tfjs calls it after every batch). */
  override async onBatchEnd(): Promise<void> {
    for (const l of this.model.layers) if (l instanceof GSmeLU) l.project();
  }
}

for (const cls of [SmeLU, RESCU2, SmeluActivation, GSmeLU]) tf.serialization.registerClass(cls, SERIALIZATION_PACKAGE);
