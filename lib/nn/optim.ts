/**
 * Optimizers: SGD (momentum, Nesterov), Adagrad, Adam and AdamW, with a learning-rate schedule,
 * and gradient clipping by global norm.
 *
 * Updates run in place over the parameter arrays in a fixed order, with no allocation after the
 * first step. Dense tensors are updated by the backend's `optimStep` (../optim.ts; on the native
 * addon: SIMD kernels, one call per tensor, float32 arithmetic with the same IEEE operations in
 * the same order on every ISA tier, so every tier and thread count gives the same bits); the
 * TypeScript backend, and always the sparse rows, use the loops of backend/js_kernels/optim.ts, in
 * float64 arithmetic per element stored to float32. The two follow the same formulas, but float32
 * and float64 intermediates round differently, so native and TypeScript training differ slightly
 * (about 1e-7 relative per step); each is deterministic on its own. Embedding tables ({@link SparseParam}) are
 * updated lazily: only the rows the batch touched, and only their optimizer state (the usual
 * "sparse Adagrad / lazy Adam" of recommender training). Dense and sparse parameters therefore
 * behave differently for momentum and Adam, by design.
 */
import type { AnyParam, SparseParam } from './param';
import { checkSchedule, lrAt, type LrSchedule } from './schedule';
import { optimStepSpan } from '../backend/js_kernels/optim';
import { optimStep } from '../optim';

/** The optimizer families. */
export type OptimizerKind = 'sgd' | 'adagrad' | 'adam' | 'adamw';

/** SGD with optional (Nesterov) momentum. */
export interface SgdConfig {
  /** Discriminant. */
  kind: 'sgd';
  /** Learning rate: a number or a schedule. */
  lr: LrSchedule;
  /** Momentum in [0, 1) (default 0: plain SGD, no state). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient of weights (not biases, norms, activation parameters), >= 0. */
  weightDecay?: number;
}

/** Adagrad: w -= lr g / (sqrt(sum of g^2) + eps). */
export interface AdagradConfig {
  /** Discriminant. */
  kind: 'adagrad';
  /** Learning rate: a number or a schedule. */
  lr: LrSchedule;
  /** Starting accumulator (default 0.1, as in TensorFlow): keeps the first steps bounded. */
  initialAccumulator?: number;
  /** Added to the root of the accumulator, >= 0 (default 1e-10; it and initialAccumulator may not both be 0). */
  eps?: number;
  /** L2 penalty added to the gradient of weights, >= 0 (default 0). */
  weightDecay?: number;
}

/** Adam, or AdamW with decoupled weight decay. */
export interface AdamConfig {
  /** 'adam', or 'adamw' for decoupled weight decay. */
  kind: 'adam' | 'adamw';
  /** Learning rate: a number or a schedule. */
  lr: LrSchedule;
  /** Decay of the first moment, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay of the second moment, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to the root of the second moment, > 0 (default 1e-8). */
  eps?: number;
  /** adam: L2 added to the gradient; adamw: decoupled decay w -= lr * wd * w (default 0.01). */
  weightDecay?: number;
}

/** Any optimizer's config, told apart by `kind`: the form checkpoints and worker threads carry. */
export type OptimizerConfig = SgdConfig | AdagradConfig | AdamConfig;


/**
 * The optimizer base: a step counter, the schedule, and per-parameter state arrays allocated at the
 * first step. Synchronous; updates run in a fixed order (native float32 or TypeScript float64, see
 * the module comment), so the same gradients give the same bits. One optimizer per model: its
 * state is bound to that model's parameters.
 */
export abstract class Optimizer {
  /** The frozen config (with `kind` filled in). */
  readonly config: Readonly<OptimizerConfig>;
  /** Updates applied so far (the schedule reads it; checkpoints store it). */
  t = 0;
  /** Learning rate used by the last step. */
  lastLr = 0;
  private state: Float32Array[][] | null = null;
  private lengths: number[] = [];
  /** Hyperparameters for the backend's optimStep, refilled per tensor (no allocation per step). */
  private readonly hyper = new Float64Array(8);

  /**
   * Freezes a copy of the config; state arrays are allocated at the first step.
   * @param config the config; its learning rate schedule is checked here.
   * @throws TypeError for an invalid schedule.
   */
  constructor(config: OptimizerConfig) {
    checkSchedule(config.lr, `${config.kind}.lr`);
    this.config = Object.freeze({ ...config });
  }

  /**
   * Number of state arrays per parameter (0, 1 or 2).
   * @returns the count, constant for an instance.
   */
  protected abstract slots(): number;
  /**
   * The value state arrays start from.
   * @returns e.g. Adagrad's initial accumulator.
   */
  protected abstract initialState(): number;
  /**
   * Fills the hyperparameter slots of `optimStep` (see OptimStep in backend/types) for this step.
   * @param h the 8 slots to fill.
   * @param decay whether weight decay applies to this tensor.
   * @param lr the step's learning rate.
   * @returns the kind code: 0 sgd, 1 adagrad, 2 adam / adamw.
   */
  protected abstract fillHyper(h: Float64Array, decay: boolean, lr: number): number;

  /**
   * Applies one update to every parameter from its gradient, at the schedule's rate for step `t`.
   * Sparse tables update only the rows the last backward touched.
   * @param params the model's parameters, in the same order at every call.
   * @throws RangeError when `params` differ (in count or lengths) from those of the first step.
   */
  step(params: readonly AnyParam[]): void {
    const state = this.ensureState(params);
    const lr = lrAt(this.config.lr, this.t);
    this.t++;
    this.lastLr = lr;
    this.beforeStep();
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const st = state[i];
      const kind = this.fillHyper(this.hyper, p.decay, lr);
      if (p.sparse) this.sparseStep(kind, p, st);
      else optimStep(kind, this.hyper, p.value, p.grad, st[0] ?? null, st[1] ?? null);
    }
  }

  /** Per-step scalars (Adam's bias corrections). */
  protected beforeStep(): void {}

  /** The rows the batch touched, with `hyper` filled for a decayed tensor (embedding tables are). */
  private sparseStep(kind: number, p: SparseParam, state: Float32Array[]): void {
    const d = p.dim;
    const s1 = state[0] ?? null;
    const s2 = state[1] ?? null;
    for (let s = 0; s < p.count; s++) optimStepSpan({ v0: p.rows[s] * d, g0: s * d, n: d }, kind, this.hyper, p.value, p.grad, s1, s2);
  }

  /**
   * The optimizer state arrays, parameter by parameter (allocated for `params` if needed).
   * @param params the model's parameters.
   * @returns the live arrays (not copies), slot after slot for each parameter.
   * @throws RangeError when `params` differ from those the state was made for.
   */
  stateTensors(params: readonly AnyParam[]): Float32Array[] {
    return this.ensureState(params).flat();
  }

  /**
   * Replaces the state (from a checkpoint). Lengths are checked before anything is copied.
   * @param params the model's parameters.
   * @param t the step count to continue from.
   * @param tensors state arrays in {@link stateTensors} order.
   * @throws RangeError for a wrong number or length of tensors, a `t` that is not a non-negative
   *   safe integer, or `params` other than those the state was made for.
   */
  loadState(params: readonly AnyParam[], t: number, tensors: readonly Float32Array[]): void {
    const mine = this.stateTensors(params);
    if (tensors.length !== mine.length) {
      throw new RangeError(`optimizer state: expected ${mine.length} tensors, got ${tensors.length}`);
    }
    mine.forEach((a, i) => {
      if (tensors[i].length !== a.length) throw new RangeError(`optimizer state tensor ${i}: expected length ${a.length}, got ${tensors[i].length}`);
    });
    if (!Number.isSafeInteger(t) || t < 0) throw new RangeError(`optimizer step count must be an integer >= 0, got ${t}`);
    mine.forEach((a, i) => a.set(tensors[i]));
    this.t = t;
  }

  private ensureState(params: readonly AnyParam[]): Float32Array[][] {
    if (this.state) {
      const same = params.length === this.lengths.length && params.every((p, i) => p.value.length === this.lengths[i]);
      if (!same) throw new RangeError('this optimizer was set up for other parameters; use one optimizer per model');
      return this.state;
    }
    const init = this.initialState();
    this.state = params.map((p) => Array.from({ length: this.slots() }, () => new Float32Array(p.value.length).fill(init)));
    this.lengths = params.map((p) => p.value.length);
    return this.state;
  }
}

function num(v: number | undefined, fallback: number, name: string, ok: (x: number) => boolean): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new RangeError(`${name} is out of range: ${String(v)}`);
  return x;
}

/** SGD with optional momentum: one state array (the velocity) per parameter when momentum > 0. */
export class Sgd extends Optimizer {
  private readonly mu: number;
  private readonly wd: number;
  private readonly nesterov: boolean;

  /**
   * Checks the hyperparameters and fills the defaults.
   * @param config the config (`kind` may be omitted).
   * @throws TypeError for an invalid schedule.
   * @throws RangeError for momentum outside [0, 1) or a negative or non-finite weightDecay.
   */
  constructor(config: Omit<SgdConfig, 'kind'> & { kind?: 'sgd' }) {
    super({ ...config, kind: 'sgd' });
    this.mu = num(config.momentum, 0, 'sgd.momentum', (x) => x >= 0 && x < 1);
    this.wd = num(config.weightDecay, 0, 'sgd.weightDecay', (x) => x >= 0);
    this.nesterov = !!config.nesterov;
  }

  protected slots(): number {
    return this.mu > 0 ? 1 : 0;
  }

  protected initialState(): number {
    return 0;
  }

  protected fillHyper(h: Float64Array, decay: boolean, lr: number): number {
    h[0] = lr;
    h[1] = decay ? this.wd : 0;
    h[2] = this.mu;
    h[3] = this.nesterov ? 1 : 0;
    return 0;
  }

}

/** Adagrad: one accumulator per value. */
export class Adagrad extends Optimizer {
  private readonly eps: number;
  private readonly wd: number;
  private readonly acc0: number;

  /**
   * Checks the hyperparameters and fills the defaults.
   * @param config the config (`kind` may be omitted).
   * @throws TypeError for an invalid schedule.
   * @throws RangeError for a negative or non-finite initialAccumulator, eps or weightDecay, or
   *   initialAccumulator and eps both 0.
   */
  constructor(config: Omit<AdagradConfig, 'kind'> & { kind?: 'adagrad' }) {
    super({ ...config, kind: 'adagrad' });
    this.acc0 = num(config.initialAccumulator, 0.1, 'adagrad.initialAccumulator', (x) => x >= 0);
    this.eps = num(config.eps, 1e-10, 'adagrad.eps', (x) => x >= 0);
    this.wd = num(config.weightDecay, 0, 'adagrad.weightDecay', (x) => x >= 0);
    if (this.acc0 === 0 && this.eps === 0) throw new RangeError('adagrad needs initialAccumulator > 0 or eps > 0');
  }

  protected slots(): number {
    return 1;
  }

  protected initialState(): number {
    return this.acc0;
  }

  protected fillHyper(h: Float64Array, decay: boolean, lr: number): number {
    h[0] = lr;
    h[1] = decay ? this.wd : 0;
    h[2] = this.eps;
    return 1;
  }

}

/** Adam / AdamW with bias correction: two moment arrays per parameter. */
export class Adam extends Optimizer {
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly decoupled: boolean;
  private c1 = 1;
  private c2 = 1;

  /**
   * Checks the hyperparameters and fills the defaults.
   * @param config the config; `kind` defaults to 'adam'.
   * @throws TypeError for an invalid schedule.
   * @throws RangeError for beta1 / beta2 outside [0, 1), eps not > 0, or a negative or non-finite
   *   weightDecay.
   */
  constructor(config: Omit<AdamConfig, 'kind'> & { kind?: 'adam' | 'adamw' }) {
    const kind = config.kind ?? 'adam';
    super({ ...config, kind });
    this.decoupled = kind === 'adamw';
    this.b1 = num(config.beta1, 0.9, 'adam.beta1', (x) => x >= 0 && x < 1);
    this.b2 = num(config.beta2, 0.999, 'adam.beta2', (x) => x >= 0 && x < 1);
    this.eps = num(config.eps, 1e-8, 'adam.eps', (x) => x > 0);
    this.wd = num(config.weightDecay, this.decoupled ? 0.01 : 0, 'adam.weightDecay', (x) => x >= 0);
  }

  protected slots(): number {
    return 2;
  }

  protected initialState(): number {
    return 0;
  }

  protected override beforeStep(): void {
    this.c1 = 1 - Math.pow(this.b1, this.t);
    this.c2 = 1 - Math.pow(this.b2, this.t);
  }

  protected fillHyper(h: Float64Array, decay: boolean, lr: number): number {
    h[0] = lr;
    h[1] = decay && !this.decoupled ? this.wd : 0;
    h[2] = this.b1;
    h[3] = this.b2;
    h[4] = this.eps;
    h[5] = this.c1;
    h[6] = this.c2;
    h[7] = decay && this.decoupled ? 1 - lr * this.wd : 1;
    return 2;
  }

}

/**
 * An optimizer from its config (the form checkpoints and worker threads carry).
 * @param config the config.
 * @returns a new {@link Sgd}, {@link Adagrad} or {@link Adam}.
 * @throws TypeError for an unknown kind or an invalid schedule.
 * @throws RangeError for a hyperparameter out of range.
 */
export function createOptimizer(config: OptimizerConfig): Optimizer {
  switch (config?.kind) {
    case 'sgd':
      return new Sgd(config);
    case 'adagrad':
      return new Adagrad(config);
    case 'adam':
    case 'adamw':
      return new Adam(config);
    default:
      throw new TypeError(`optimizer kind must be sgd, adagrad, adam or adamw, got ${JSON.stringify((config as { kind?: unknown })?.kind)}`);
  }
}

/**
 * sqrt of the sum of squared gradients over all parameters (sparse: the touched rows), in float64.
 * @param params the parameters, summed in order (deterministic).
 * @returns the global L2 norm.
 */
export function gradNorm(params: readonly AnyParam[]): number {
  let s = 0;
  for (const p of params) {
    const g = p.grad;
    const n = p.sparse ? p.count * p.dim : g.length;
    for (let i = 0; i < n; i++) s += g[i] * g[i];
  }
  return Math.sqrt(s);
}

/**
 * Scales all gradients by maxNorm / norm when their global norm exceeds maxNorm (one factor for
 * all tensors keeps the update direction). Returns the norm before clipping.
 * @param params the parameters whose gradients are scaled in place.
 * @param maxNorm the largest allowed global norm, > 0.
 * @returns the global norm before clipping.
 * @throws RangeError when maxNorm is not > 0.
 */
export function clipGradNorm(params: readonly AnyParam[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipNorm must be > 0, got ${maxNorm}`);
  const norm = gradNorm(params);
  if (norm > maxNorm) {
    const f = maxNorm / norm;
    for (const p of params) {
      const g = p.grad;
      const n = p.sparse ? p.count * p.dim : g.length;
      for (let i = 0; i < n; i++) g[i] *= f;
    }
  }
  return norm;
}
