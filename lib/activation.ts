/**
 * Activations: descriptors, validated once into a frozen {@link ActivationSpec} that every backend
 * (native tiers and the TypeScript fallback) reads the same way, and the elementwise calls
 * (forward, backward, backwardFromOutput, derivative) over Float32Array on the selected backend.
 *
 * Formulas and the numeric contract: docs/activations.md (SmeLU, gSmeLU, RESCU-2, GELU, Swish,
 * Softplus, sigmoid, identity).
 *
 * Every call is synchronous and runs on the calling thread. Results are bitwise deterministic: the
 * same inputs give the same bits on every run, for every thread count and on every native ISA tier.
 * The TypeScript backend is deterministic too; it and the native backend each stay within the
 * spec's error bound of the float64 `reference` but need not agree bit for bit.
 */
import {
  allocFloat32, checkFloat32, checkLength, checkOutput, checkOutputOver, describeValue, OUTPUT_BACKWARD_KINDS, ownOptions, requireOutputBackward,
} from './check';
import { checkedPair, rememberPair } from './backend/blocks';
import { selected } from './runtime';

import { ACTIVATION_CODES, ACTIVATION_KINDS, type ActivationKind } from './backend/types';

export { ACTIVATION_CODES, ACTIVATION_KINDS, describeValue, type ActivationKind };

/** Identity f(x) = x (no parameters). */
export interface IdentityActivation {
  /** Discriminant. */
  kind: 'identity';
}
/** ReLU max(x, 0), with relu'(0) = 0 (no parameters). */
export interface ReluActivation {
  /** Discriminant. */
  kind: 'relu';
}
/** SmeLU: quadratic transition of half-width `beta` (>= 0; 0 is exactly ReLU). Default beta = 1. */
export interface SmeluActivation {
  /** Discriminant. */
  kind: 'smelu';
  /** Half-width of the quadratic piece on [-beta, beta]; finite, >= 0 (default 1). */
  beta?: number;
}
/**
 * Generalized SmeLU: slopes `gNeg` (left) and `gPos` (right), transition [-alpha, beta], shift `t`.
 * Defaults: gNeg 0, gPos 1, alpha = beta = 1, t 0 (that is SmeLU with beta 1).
 */
export interface GsmeluActivation {
  /** Discriminant. */
  kind: 'gsmelu';
  /** Slope left of the transition, x <= -alpha (finite, default 0). */
  gNeg?: number;
  /** Slope right of the transition, x >= beta (finite, default 1). */
  gPos?: number;
  /** The transition starts at -alpha (finite, default 1; alpha + beta must be > 0). */
  alpha?: number;
  /** The transition ends at beta (finite, default 1; alpha + beta must be > 0). */
  beta?: number;
  /** Vertical shift added to f (finite, default 0). */
  t?: number;
}
/** RESCU-2: ReLU convolved with a triangle on [-beta, beta] (C2). beta > 0, default 1. */
export interface Rescu2Activation {
  /** Discriminant. */
  kind: 'rescu2';
  /** Half-width of the smoothing triangle; finite, > 0 (default 1). */
  beta?: number;
}
/** GELU x * Phi(x), Phi the standard normal CDF computed through erf (no parameters). */
export interface GeluActivation {
  /** Discriminant. */
  kind: 'gelu';
}
/** GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (no parameters). */
export interface GeluTanhActivation {
  /** Discriminant. */
  kind: 'gelu_tanh';
}
/** Swish x * sigmoid(beta x); beta > 0, default 1 (SiLU). Larger beta is less smooth. */
export interface SwishActivation {
  /** Discriminant. */
  kind: 'swish';
  /** Sharpness; finite, > 0 (default 1). */
  beta?: number;
}
/** Softplus log(1 + exp(beta x)) / beta, linear once beta x > threshold. Defaults beta 1, threshold 20. */
export interface SoftplusActivation {
  /** Discriminant. */
  kind: 'softplus';
  /** Sharpness; finite, > 0 (default 1). */
  beta?: number;
  /** f(x) = x once beta x > threshold; finite, > 0 (default 20). */
  threshold?: number;
}
/** Logistic sigmoid 1 / (1 + exp(-x)) (no parameters). */
export interface SigmoidActivation {
  /** Discriminant. */
  kind: 'sigmoid';
}

/** An activation descriptor: `kind` plus that kind's optional parameters (unknown fields are refused). */
export type Activation =
  | IdentityActivation
  | ReluActivation
  | SmeluActivation
  | GsmeluActivation
  | Rescu2Activation
  | GeluActivation
  | GeluTanhActivation
  | SwishActivation
  | SoftplusActivation
  | SigmoidActivation;

/** What every public function accepts: a descriptor, a bare kind name, or an already validated spec. */
export type ActivationLike = Activation | ActivationKind | ActivationSpec;

/**
 * A validated activation. `params` holds the five parameter slots in float64, laid out per kind:
 * - smelu, rescu2, swish: [beta]
 * - softplus: [beta, threshold]
 * - gsmelu: [gNeg, gPos, alpha, beta, t]
 * Unused slots are 0. `code` is the kind's index in {@link ACTIVATION_KINDS}.
 */
export interface ActivationSpec {
  /** The activation family. */
  readonly kind: ActivationKind;
  /** Index of `kind` in {@link ACTIVATION_KINDS} (the native `ActKind`). */
  readonly code: number;
  /** The {@link PARAM_SLOTS} parameter slots, laid out per kind as above. */
  readonly params: Readonly<Float64Array>;
  /** The descriptor with every default filled in (what `describe` and checkpoints record). */
  readonly descriptor: Readonly<Required<Activation>>;
  /** True when backward can work from the output y alone (relu, smelu): no need to keep z. */
  readonly backwardFromOutput: boolean;
  /** Marks objects produced by {@link activation}. */
  readonly validated: true;
}

/** Length of {@link ActivationSpec.params}: the most parameters any kind has (gsmelu's five). */
export const PARAM_SLOTS = 5;

function checkNumber(kind: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`activation ${kind}: '${name}' must be a number, got ${describeValue(v)}`);
  }
  if (!Number.isFinite(v)) {
    throw new RangeError(`activation ${kind}: '${name}' must be finite, got ${v}`);
  }
  // The kernels compute in float32: a parameter it rounds to 0 or a denormal, or whose reciprocal
  // or square overflows, would silently change the function.
  const m = Math.abs(v);
  if (m !== 0 && (m < PARAM_MIN || m > PARAM_MAX)) {
    throw new RangeError(`activation ${kind}: '${name}' must be 0 or between ${PARAM_MIN} and ${PARAM_MAX} in magnitude, got ${v}`);
  }
  return v;
}

/** Smallest non-zero parameter magnitude the float32 kernels take. */
export const PARAM_MIN = 1e-30;
/** Largest parameter magnitude the float32 kernels take. */
export const PARAM_MAX = 1e30;

function checkNonNegative(kind: string, name: string, v: unknown, fallback: number): number {
  const x = checkNumber(kind, name, v, fallback);
  if (x < 0) throw new RangeError(`activation ${kind}: '${name}' must be >= 0, got ${x}`);
  return x;
}

function checkPositive(kind: string, name: string, v: unknown, fallback: number): number {
  const x = checkNumber(kind, name, v, fallback);
  if (!(x > 0)) throw new RangeError(`activation ${kind}: '${name}' must be > 0, got ${x}`);
  return x;
}

const ALLOWED_KEYS: Readonly<Record<ActivationKind, readonly string[]>> = {
  identity: [],
  relu: [],
  smelu: ['beta'],
  gsmelu: ['gNeg', 'gPos', 'alpha', 'beta', 't'],
  rescu2: ['beta'],
  gelu: [],
  gelu_tanh: [],
  swish: ['beta'],
  softplus: ['beta', 'threshold'],
  sigmoid: [],
};

/**
 * Validates a descriptor once and returns a frozen {@link ActivationSpec}.
 *
 * Validate once and pass the spec to hot loops: a spec made here is recognized and returned as is,
 * without validating again. Pure and deterministic.
 * @param desc a descriptor such as `{ kind: 'smelu', beta: 0.5 }`, a bare kind name (all defaults),
 *   or a spec made by this function.
 * @returns the frozen spec; `desc` itself when it already is one.
 * @throws TypeError for a `desc` that is neither object nor kind name, an unknown kind, an unknown
 *   field or a non-number (or NaN) parameter.
 * @throws RangeError for a parameter out of its domain (beta < 0 for smelu, beta <= 0 for
 *   rescu2 / swish / softplus, threshold <= 0, alpha + beta <= 0 for gsmelu, non-finite values).
 */
export function activation(desc: ActivationLike): ActivationSpec {
  // The same spec call after call (a loop over batches) skips even the WeakMap lookup; this
  // function stays small so that V8 inlines it into the calls.
  if (desc === lastSpec && desc !== null) return unchanged(lastSpec, lastPristine!);
  return lookUpOrValidate(desc);
}

function lookUpOrValidate(desc: ActivationLike): ActivationSpec {
  if (typeof desc === 'string') desc = { kind: desc } as Activation;
  if (desc === null || typeof desc !== 'object') {
    throw new TypeError(
      `activation must be an object like { kind: 'smelu', beta: 1 } or a kind name, got ${describeValue(desc)}`,
    );
  }
  const pristine = PRISTINE.get(desc as object);
  if (pristine !== undefined) {
    lastSpec = desc as ActivationSpec;
    lastPristine = pristine;
    return unchanged(lastSpec, pristine);
  }
  const kind = (desc as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(ACTIVATION_KINDS as readonly string[]).includes(kind)) {
    throw new TypeError(
      `activation.kind must be one of ${ACTIVATION_KINDS.join(', ')}; got ${describeValue(kind)}`,
    );
  }
  const k = kind as ActivationKind;
  for (const key of Object.keys(desc)) {
    if (key !== 'kind' && !ALLOWED_KEYS[k].includes(key)) {
      const allowed = ALLOWED_KEYS[k].length ? ALLOWED_KEYS[k].join(', ') : 'no parameters';
      throw new TypeError(`activation ${k}: unknown field '${key}' (${k} takes ${allowed})`);
    }
  }
  // own properties only: Object.prototype.beta = 5 must not become a parameter
  const d = ownOptions('activation', desc as object) as unknown as Record<string, unknown>;
  const params = new Float64Array(PARAM_SLOTS);
  let descriptor: Required<Activation>;
  switch (k) {
    case 'smelu': {
      const beta = checkNonNegative(k, 'beta', d.beta, 1);
      params[0] = beta;
      descriptor = { kind: k, beta };
      break;
    }
    case 'gsmelu': {
      const gNeg = checkNumber(k, 'gNeg', d.gNeg, 0);
      const gPos = checkNumber(k, 'gPos', d.gPos, 1);
      const alpha = checkNumber(k, 'alpha', d.alpha, 1);
      const beta = checkNumber(k, 'beta', d.beta, 1);
      const t = checkNumber(k, 't', d.t, 0);
      if (!(alpha + beta > 0)) {
        throw new RangeError(`activation gsmelu: alpha + beta must be > 0, got ${alpha} + ${beta}`);
      }
      params.set([gNeg, gPos, alpha, beta, t]);
      descriptor = { kind: k, gNeg, gPos, alpha, beta, t };
      break;
    }
    case 'rescu2':
    case 'swish': {
      const beta = checkPositive(k, 'beta', d.beta, 1);
      params[0] = beta;
      descriptor = { kind: k, beta };
      break;
    }
    case 'softplus': {
      const beta = checkPositive(k, 'beta', d.beta, 1);
      const threshold = checkPositive(k, 'threshold', d.threshold, 20);
      params[0] = beta;
      params[1] = threshold;
      descriptor = { kind: k, beta, threshold };
      break;
    }
    default:
      descriptor = { kind: k } as Required<Activation>;
  }
  const spec: ActivationSpec = {
    kind: k,
    code: ACTIVATION_CODES[k],
    params,
    descriptor: Object.freeze(descriptor),
    backwardFromOutput: (OUTPUT_BACKWARD_KINDS as readonly string[]).includes(k),
    validated: true,
  };
  Object.freeze(spec);
  PRISTINE.set(spec, Float64Array.from(params));
  return spec;
}

/**
 * The specs made by {@link activation} (anything else is validated again), each with the
 * parameters it was validated with: a typed array cannot be frozen, so edits are detected. One
 * lookup per call.
 */
const PRISTINE = new WeakMap<object, Float64Array>();
/** The spec the last call found in PRISTINE, and its entry there. */
let lastSpec: ActivationSpec | null = null;
let lastPristine: Float64Array | null = null;

/** A validated spec whose parameters were not edited since (five compares per call). */
function unchanged(spec: ActivationSpec, p: Float64Array): ActivationSpec {
  // Not PARAM_SLOTS: compiled to CommonJS it is a property of `exports`, read on every iteration
  // (a third of this function's time); p has that length.
  const params = spec.params;
  for (let i = 0; i < p.length; i++) {
    if (!Object.is(params[i], p[i])) {
      throw new TypeError(`activation ${spec.kind}: its params were edited after validation; validated specs are immutable (make a new one with activation())`);
    }
  }
  return spec;
}

/**
 * Human-readable label, e.g. `smelu(beta=0.5)`: used in benchmark tables, charts and the CLI.
 * @param act descriptor, kind name or spec.
 * @returns the kind followed by every parameter with its default filled in; the bare kind when it
 *   has none.
 * @throws TypeError / RangeError as {@link activation} for an invalid descriptor.
 */
export function activationLabel(act: ActivationLike): string {
  const s = activation(act);
  const parts = Object.entries(s.descriptor)
    .filter(([key]) => key !== 'kind')
    .map(([key, v]) => `${key}=${v}`);
  return parts.length ? `${s.kind}(${parts.join(', ')})` : s.kind;
}

/**
 * y = f(x), elementwise.
 *
 * Synchronous, on the calling thread. Bitwise deterministic: the same inputs give the same bits on
 * every run, thread count and native ISA tier.
 * @param act activation descriptor, kind name or validated spec.
 * @param x input, any length.
 * @param out optional output of `x.length`; may be `x` itself (in place), but must not partly
 *   overlap it.
 * @returns `out`, or a new Float32Array.
 * @throws TypeError for a bad descriptor (see {@link activation}) or an `x` / `out` that is not a
 *   Float32Array (or is detached).
 * @throws RangeError for a parameter out of its domain, an `out` of another length or partly
 *   overlapping `x`, or a failed allocation of `out`.
 */
export function forward(act: ActivationLike, x: Float32Array, out?: Float32Array): Float32Array {
  const spec = activation(act);
  if (out !== undefined && checkedPair(x, out)) {
    selected().backend.actForward(spec.code, spec.params, x, out);
    return out;
  }
  checkFloat32('x', x);
  const y = out === undefined ? allocFloat32('out', x.length) : checkOutputOf('out', out, 'x', x);
  rememberPair(x, y);
  selected().backend.actForward(spec.code, spec.params, x, y);
  return y;
}

/**
 * dz = dy * f'(z), elementwise: the gradient through the activation from the pre-activation z.
 *
 * Synchronous, on the calling thread. Bitwise deterministic, as {@link forward}.
 * @param act activation descriptor, kind name or validated spec.
 * @param z the pre-activation (the forward's input).
 * @param dy gradient of the loss with respect to y = f(z), of `z.length`.
 * @param out optional output of `z.length`; may be `z` or `dy` (exactly in place), but must not
 *   partly overlap either.
 * @returns `out`, or a new Float32Array: dL/dz.
 * @throws TypeError for a bad descriptor or an array that is not a Float32Array.
 * @throws RangeError for a parameter out of its domain, `dy` / `out` of another length than `z`,
 *   an `out` partly overlapping an input, or a failed allocation.
 */
export function backward(act: ActivationLike, z: Float32Array, dy: Float32Array, out?: Float32Array): Float32Array {
  const spec = activation(act);
  checkFloat32('z', z);
  checkFloat32('dy', dy);
  checkLength('dy', dy, z.length, 'the length of z');
  const dz = prepareOut('out', out, z.length, [['z', z], ['dy', dy]]);
  selected().backend.actBackward(spec.code, spec.params, z, dy, dz);
  return dz;
}

/**
 * dz = dy * f'(x) from the output y = f(x) alone, for relu and smelu (whose derivative is a
 * function of y), so training need not keep z.
 *
 * Synchronous, on the calling thread. Bitwise deterministic, as {@link forward}.
 * @param act a relu or smelu descriptor, kind name or spec.
 * @param y the forward's output.
 * @param dy gradient of the loss with respect to y, of `y.length`.
 * @param out optional output of `y.length`; may be `y` or `dy` (exactly in place), but must not
 *   partly overlap either.
 * @returns `out`, or a new Float32Array: dL/dx.
 * @throws TypeError when the activation is not relu or smelu, for a bad descriptor, or for an
 *   array that is not a Float32Array.
 * @throws RangeError for a parameter out of its domain, `dy` / `out` of another length than `y`,
 *   an `out` partly overlapping an input, or a failed allocation.
 */
export function backwardFromOutput(
  act: ActivationLike,
  y: Float32Array,
  dy: Float32Array,
  out?: Float32Array,
): Float32Array {
  const spec = requireOutputBackward(activation(act));
  checkFloat32('y', y);
  checkFloat32('dy', dy);
  checkLength('dy', dy, y.length, 'the length of y');
  const dz = prepareOut('out', out, y.length, [['y', y], ['dy', dy]]);
  selected().backend.actBackwardFromOutput(spec.code, spec.params, y, dy, dz);
  return dz;
}

/**
 * f'(z) elementwise (backward with dy = 1).
 *
 * Allocates a temporary array of ones of `z.length`. Synchronous, bitwise deterministic.
 * @param act activation descriptor, kind name or validated spec.
 * @param z points at which to evaluate f'.
 * @param out optional output of `z.length`; may be `z` itself.
 * @returns `out`, or a new Float32Array.
 * @throws TypeError / RangeError as {@link backward}.
 */
export function derivative(act: ActivationLike, z: Float32Array, out?: Float32Array): Float32Array {
  checkFloat32('z', z);
  const ones = allocFloat32('derivative: dy (ones)', z.length).fill(1);
  return backward(act, z, ones, out);
}

/** prepareOut for a given out and one input, without building arrays (the forward's per-call path). */
function checkOutputOf(name: string, out: Float32Array, inputName: string, input: Float32Array): Float32Array {
  checkFloat32(name, out);
  checkLength(name, out, input.length, 'the input length');
  checkOutputOver(name, out, inputName, input, true);
  return out;
}

function prepareOut(
  name: string,
  out: Float32Array | undefined,
  length: number,
  inputs: ReadonlyArray<readonly [string, Float32Array]>,
): Float32Array {
  if (out === undefined) return allocFloat32(name, length);
  checkFloat32(name, out);
  checkLength(name, out, length, 'the input length');
  checkOutput(name, out, inputs, true);
  return out;
}
