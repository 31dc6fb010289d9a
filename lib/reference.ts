/**
 * Float64 reference of every activation f and derivative f', written straight from
 * docs/activations.md (piece by piece, with branches, no speed tricks), plus the spec's test inputs
 * and its error bound. The one yardstick for every backend: the test suites and the benchmark's
 * max-error column use it, and users can check their own kernels against it (`smelu.reference`).
 *
 * The reference is evaluated at the float32 input actually given to a backend (call it with
 * Math.fround(x) or with values read from a Float32Array); the backend's float32 result must then
 * satisfy |y - ref| <= 1e-6 * max(1, |ref|) (withinBound).
 *
 * erf is computed independently of the backend's table (lib/backend/js_kernels/erf.ts): Maclaurin
 * series below 2, Laplace's continued fraction for erfc above.
 */
import { ACTIVATION_KINDS, activation, type ActivationKind, type ActivationLike } from './activation';

export { ACTIVATION_KINDS };
export type { ActivationKind };

/** The spec's bound: |y - ref| <= SPEC_TOL * max(1, |ref|). */
export const SPEC_TOL = 1e-6;

/** Largest finite float32. */
export const FLT_MAX = 3.4028234663852886e38;

/**
 * Parameters (Float64Array, ActivationSpec layout) of a descriptor, with defaults filled in.
 * @param act descriptor, kind name or spec.
 * @returns a new array of the five parameter slots (a copy: changing it changes no spec).
 * @throws TypeError / RangeError as `activation` for an invalid descriptor.
 */
export function paramsOf(act: ActivationLike): Float64Array {
  return new Float64Array(activation(act).params);
}

// --------------------------------------------------------------------------- erf

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf(z) for |z| < 2: the alternating Maclaurin series (terms below 30 at worst: no real loss). */
function erfMaclaurin(z: number): number {
  const z2 = z * z;
  let power = z; // (-1)^n z^(2n+1) / n!
  let sum = z;
  for (let n = 1; n < 200; n++) {
    power *= -z2 / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/**
 * erfc(z) for z >= 2 from the continued fraction
 *   erfc(z) = exp(-z^2)/sqrt(pi) * 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...))))),
 * evaluated bottom-up at a fixed depth (ample for z >= 2).
 */
function erfcContinuedFraction(z: number): number {
  let k = z;
  for (let n = 400; n >= 1; n--) k = z + n / 2 / k;
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * k);
}

/**
 * erfc(z) = 1 - erf(z) in float64, with relative accuracy in the right tail.
 * @param z any number; NaN gives NaN.
 * @returns erfc(z), in [0, 2].
 */
export function refErfc(z: number): number {
  if (z !== z) return z;
  if (z < 2) return z > -2 ? 1 - erfMaclaurin(z) : 2 - refErfc(-z);
  return erfcContinuedFraction(z);
}

/**
 * erf(z) in float64: Maclaurin series for |z| < 2, continued fraction beyond.
 * @param z any number; NaN gives NaN.
 * @returns erf(z), in [-1, 1].
 */
export function refErf(z: number): number {
  if (z !== z) return z;
  if (Math.abs(z) < 2) return erfMaclaurin(z);
  return z > 0 ? 1 - erfcContinuedFraction(z) : erfcContinuedFraction(-z) - 1;
}

/**
 * Standard normal CDF, with relative accuracy on the left tail (through erfc).
 * @param x any number.
 * @returns Phi(x), in [0, 1].
 */
export function refNormalCdf(x: number): number {
  return 0.5 * refErfc(-x / Math.SQRT2);
}

// --------------------------------------------------------------------------- helpers

/**
 * sigma(u) = 1 / (1 + exp(-u)), written so that exp never overflows.
 * @param u any number.
 * @returns sigma(u), in [0, 1].
 */
export function refSigmoid(u: number): number {
  if (u >= 0) return 1 / (1 + Math.exp(-u));
  const e = Math.exp(u);
  return e / (1 + e);
}

/** Limits at +-Infinity for the kinds whose f(-Inf) = 0, f(+Inf) = +Inf, f' 0 and 1. */
function rectifierLimit(x: number, derivative: boolean): number {
  if (derivative) return x > 0 ? 1 : 0;
  return x > 0 ? Infinity : 0;
}

// --------------------------------------------------------------------------- forward

/**
 * f(x) in float64 exactly as the spec defines it, including the limits at +-Infinity.
 * @param kind the activation family.
 * @param p its parameter slots (ActivationSpec layout, e.g. from {@link paramsOf}); not validated.
 * @param x the input; evaluate at the float32 value the backend saw (Math.fround).
 * @returns f(x); NaN for NaN.
 */
export function refForward(kind: ActivationKind, p: ArrayLike<number>, x: number): number {
  if (x !== x) return NaN;
  switch (kind) {
    case 'identity':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'smelu':
      return refSmelu(x, p[0]);
    case 'gsmelu':
      return refGsmelu(x, p[0], p[1], p[2], p[3], p[4]);
    case 'rescu2':
      return refRescu2(x, p[0]);
    case 'gelu':
      if (!Number.isFinite(x)) return rectifierLimit(x, false);
      return x * refNormalCdf(x);
    case 'gelu_tanh':
      if (!Number.isFinite(x)) return rectifierLimit(x, false);
      return 0.5 * x * onePlusTanh(geluTanhArg(x));
    case 'swish':
      if (!Number.isFinite(x)) return rectifierLimit(x, false);
      return x * refSigmoid(p[0] * x);
    case 'softplus':
      return refSoftplus(x, p[0], p[1]);
    case 'sigmoid':
      return refSigmoid(x);
  }
}

function refSmelu(x: number, beta: number): number {
  if (beta === 0) return x > 0 ? x : 0; // exactly ReLU
  if (x <= -beta) return 0;
  if (x >= beta) return x;
  return (x + beta) ** 2 / (4 * beta);
}

/** R(x): 0 | (x + alpha)^2 / (2 (alpha + beta)) | x - (beta - alpha)/2;  f = t + gNeg x + (gPos - gNeg) R. */
function refGsmelu(x: number, gNeg: number, gPos: number, alpha: number, beta: number, t: number): number {
  if (x === -Infinity) return gNeg === 0 ? t : gNeg > 0 ? -Infinity : Infinity;
  if (x === Infinity) return gPos === 0 ? t + (gNeg * (beta - alpha)) / 2 : gPos > 0 ? Infinity : -Infinity;
  // Each line evaluated on its own: t + gNeg x + (gPos - gNeg) R(x) cancels badly for large |x|
  // when the slopes differ (gNeg 4, gPos 0 at x = 1e20 would lose the constant term).
  if (x <= -alpha) return t + gNeg * x;
  if (x >= beta) return t + gPos * x - ((gPos - gNeg) * (beta - alpha)) / 2;
  return t + gNeg * x + ((gPos - gNeg) * (x + alpha) ** 2) / (2 * (alpha + beta));
}

function refRescu2(x: number, beta: number): number {
  if (x <= -beta) return 0;
  if (x <= 0) return (x + beta) ** 3 / (6 * beta * beta);
  if (x < beta) return x + (beta - x) ** 3 / (6 * beta * beta);
  return x;
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

function geluTanhArg(x: number): number {
  return GELU_K * (x + GELU_C * x * x * x);
}

/** 1 + tanh(u) = 2 sigma(2u): no cancellation for u << 0. */
function onePlusTanh(u: number): number {
  return 2 * refSigmoid(2 * u);
}

/** 1 - tanh(u)^2 = 4 sigma(2u) sigma(-2u): no cancellation for large |u|. */
function sech2(u: number): number {
  return 4 * refSigmoid(2 * u) * refSigmoid(-2 * u);
}

/** log(1 + exp(beta x)) / beta, and x once beta x > threshold. */
function refSoftplus(x: number, beta: number, threshold: number): number {
  const u = beta * x;
  if (u > threshold) return x;
  if (u === -Infinity) return 0;
  // log(1 + e^u) = max(u, 0) + log1p(e^-|u|)
  return (Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)))) / beta;
}

// --------------------------------------------------------------------------- derivative

/**
 * f'(x) in float64 per the spec; at +-Infinity the limit slopes (never NaN).
 * @param kind the activation family.
 * @param p its parameter slots (ActivationSpec layout); not validated.
 * @param x the input (the pre-activation z).
 * @returns f'(x); NaN for NaN.
 */
export function refDerivative(kind: ActivationKind, p: ArrayLike<number>, x: number): number {
  if (x !== x) return NaN;
  switch (kind) {
    case 'identity':
      return 1;
    case 'relu':
      return x > 0 ? 1 : 0; // relu'(0) = 0
    case 'smelu': {
      const beta = p[0];
      if (beta === 0) return x > 0 ? 1 : 0;
      return clamp01((x + beta) / (2 * beta));
    }
    case 'gsmelu': {
      const [gNeg, gPos, alpha, beta] = [p[0], p[1], p[2], p[3]];
      if (x <= -alpha) return gNeg;
      if (x >= beta) return gPos;
      return gNeg + (gPos - gNeg) * clamp01((x + alpha) / (alpha + beta));
    }
    case 'rescu2':
      return refRescu2Derivative(x, p[0]);
    case 'gelu': {
      if (!Number.isFinite(x)) return rectifierLimit(x, true);
      const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      return refNormalCdf(x) + x * phi;
    }
    case 'gelu_tanh': {
      if (!Number.isFinite(x)) return rectifierLimit(x, true);
      const u = geluTanhArg(x);
      return 0.5 * onePlusTanh(u) + 0.5 * x * sech2(u) * GELU_K * (1 + 3 * GELU_C * x * x);
    }
    case 'swish': {
      if (!Number.isFinite(x)) return rectifierLimit(x, true);
      const u = p[0] * x;
      const s = refSigmoid(u);
      return s + u * s * refSigmoid(-u); // 1 - s = sigma(-u)
    }
    case 'softplus': {
      const u = p[0] * x;
      // f = x above the threshold, so f' = 1 there (the spec's sigma(beta x) differs by at most
      // sigma(-threshold); see the note in lib/backend/js_kernels/scalar.ts).
      if (u > p[1]) return 1;
      return refSigmoid(u);
    }
    case 'sigmoid':
      return refSigmoid(x) * refSigmoid(-x);
  }
}

function clamp01(u: number): number {
  return u <= 0 ? 0 : u >= 1 ? 1 : u;
}

function refRescu2Derivative(x: number, beta: number): number {
  if (x <= -beta) return 0;
  if (x <= 0) return (x + beta) ** 2 / (2 * beta * beta);
  if (x < beta) return 1 - (beta - x) ** 2 / (2 * beta * beta);
  return 1;
}

/**
 * f' computed from y = f(x) per the spec (relu and smelu only), for checking the formula itself.
 * @param kind 'relu' or 'smelu'.
 * @param p parameter slots (p[0] = beta for smelu; ignored for relu).
 * @param y the forward output.
 * @returns f' at the x with f(x) = y; NaN for NaN.
 */
export function refDerivativeFromOutput(kind: 'relu' | 'smelu', p: ArrayLike<number>, y: number): number {
  if (y !== y) return NaN;
  const beta = kind === 'relu' ? 0 : p[0];
  if (y <= 0) return 0;
  if (y >= beta) return 1;
  return Math.sqrt(y / beta);
}

// --------------------------------------------------------------------------- inputs

/**
 * Deterministic 32-bit generator (xorshift32) returning floats in [0, 1).
 * For test inputs only (not the training {@link nn.Rng}).
 * @param seed taken as uint32; 0 is replaced by a fixed nonzero seed.
 * @returns a function giving the next value on each call; the same seed, the same sequence.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * The next float32 above / below x (x finite float32).
 * @param x a finite float32 value.
 * @param dir 1 for the next one up, -1 for the next one down.
 * @returns the neighbouring float32 (from 0: the smallest denormal of that sign).
 */
export function nextFloat32(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (x === 0) {
    i[0] = dir > 0 ? 1 : 0x80000001 | 0;
  } else if (x > 0 === dir > 0) i[0] += 1;
  else i[0] -= 1;
  return f[0];
}

/**
 * The dense grid on [-30, 30] (step 1/256 by default: 15361 points, every one a float32).
 * @param step grid spacing (default 1/256).
 * @returns round(60 / step) + 1 points from -30 upwards.
 */
export function gridPoints(step = 1 / 256): Float32Array {
  const n = Math.round(60 / step) + 1;
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = -30 + i * step;
  return g;
}

/**
 * The knots of one kind: where its pieces meet (and the threshold for softplus).
 * @param kind the activation family.
 * @param p its parameter slots.
 * @returns the knots, unsorted, possibly repeated; [0] for kinds without parameters.
 */
export function knotsOf(kind: ActivationKind, p: ArrayLike<number>): number[] {
  switch (kind) {
    case 'smelu':
    case 'rescu2':
      return [-p[0], 0, p[0]];
    case 'gsmelu':
      return [-p[2], p[3], (p[3] - p[2]) / 2, p[2], -p[3]];
    case 'softplus':
      return [p[1] / p[0], -p[1] / p[0]];
    default:
      return [0];
  }
}

/** Finite magnitudes the spec names: denormals, float32 range ends, and |x| > 88 (exp overflow). */
const SPECIAL_MAGNITUDES = [
  1.401298464324817e-45, // smallest denormal
  1e-40,
  1.1754942106924411e-38, // largest denormal
  1.1754943508222875e-38, // smallest normal
  1e-30,
  1e-20,
  1e-10,
  1e-7,
  88,
  88.72283935546875, // float32 exp overflow
  89,
  100,
  1000,
  1e4,
  1e6,
  16777216,
  1e10,
  1e20,
  1e30,
  1e38,
  FLT_MAX,
];

/**
 * The spec's edge points for one activation: +-0, the knots (+-beta, +-alpha, ...) and the float32
 * neighbours of each, denormals, |x| > 88 and the float32 extremes. All finite float32 values;
 * +-Infinity and NaN are tested separately.
 * @param kind the activation family.
 * @param p its parameter slots.
 * @returns the points without duplicates (+0 and -0 are kept apart).
 */
export function edgePoints(kind: ActivationKind, p: ArrayLike<number>): Float32Array {
  const pts: number[] = [0, -0];
  for (const k of knotsOf(kind, p)) {
    const f = Math.fround(k);
    if (!Number.isFinite(f)) continue;
    pts.push(f, -f, nextFloat32(f, 1), nextFloat32(f, -1));
  }
  for (const m of SPECIAL_MAGNITUDES) pts.push(m, -m);
  return dedupe(pts);
}

/**
 * Seeded random float32 inputs: uniform on [-30, 30], uniform across the transition region of the
 * kind (knots +- 1), and log-uniform magnitudes from 1e-40 to 1e38 with random signs.
 * @param kind the activation family.
 * @param p its parameter slots.
 * @param count number of points (default 6000), the three kinds in turn.
 * @param seed {@link seededRandom} seed (default 12345): the same seed, the same points.
 * @returns `count` float32 values.
 */
export function randomPoints(kind: ActivationKind, p: ArrayLike<number>, count = 6000, seed = 12345): Float32Array {
  const rnd = seededRandom(seed);
  const knots = knotsOf(kind, p).filter(Number.isFinite);
  const lo = Math.min(...knots) - 1;
  const hi = Math.max(...knots) + 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const which = i % 3;
    if (which === 0) out[i] = -30 + 60 * r;
    else if (which === 1) out[i] = lo + (hi - lo) * r;
    else out[i] = (rnd() < 0.5 ? -1 : 1) * 10 ** (-40 + 78 * r);
  }
  return out;
}

/**
 * Everything the spec asks to test for one activation: grid + random + edges, all finite float32.
 * @param kind the activation family.
 * @param p its parameter slots.
 * @param opts grid `step`, random `count` and `seed` (see {@link gridPoints}, {@link randomPoints}).
 * @returns the grid, then the random points, then the edge points, in one array.
 */
export function specGrid(kind: ActivationKind, p: ArrayLike<number>, opts: { step?: number; count?: number; seed?: number } = {}): Float32Array {
  const g = gridPoints(opts.step);
  const r = randomPoints(kind, p, opts.count, opts.seed);
  const e = edgePoints(kind, p);
  const all = new Float32Array(g.length + r.length + e.length);
  all.set(g, 0);
  all.set(r, g.length);
  all.set(e, g.length + r.length);
  return all;
}

function dedupe(values: number[]): Float32Array {
  const seen = new Set<string>();
  const out: number[] = [];
  for (const v of values) {
    const f = Math.fround(v);
    const key = Object.is(f, -0) ? '-0' : String(f);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(f);
    }
  }
  return new Float32Array(out);
}

// --------------------------------------------------------------------------- the bound

/**
 * The error of a float32 result against the float64 reference, in units of the spec bound's scale
 * max(1, |ref|). NaN must match NaN, and a reference beyond the float32 range (or infinite) must be
 * matched by the value it rounds to (+-Infinity, or FLT_MAX); a mismatch there counts as Infinity.
 * @param got the backend's result.
 * @param ref the reference value.
 * @returns |got - ref| / max(1, |ref|), 0 for a matching NaN or infinity, Infinity for a mismatch.
 */
export function scaledError(got: number, ref: number): number {
  if (ref !== ref) return got !== got ? 0 : Infinity;
  if (got !== got) return Infinity;
  const rounded = Math.fround(ref);
  if (!Number.isFinite(rounded)) return got === rounded ? 0 : Infinity;
  if (!Number.isFinite(got)) return Infinity;
  return Math.abs(got - ref) / Math.max(1, Math.abs(ref));
}

/**
 * |got - ref| <= 1e-6 * max(1, |ref|), with the NaN / infinity rules of scaledError.
 * @param got the backend's result.
 * @param ref the reference value.
 * @param tol the bound (default {@link SPEC_TOL}).
 * @returns whether `got` meets the bound.
 */
export function withinBound(got: number, ref: number, tol = SPEC_TOL): boolean {
  return scaledError(got, ref) <= tol;
}

/** The worst element found by {@link maxError}. */
export interface ErrorReport {
  /** Largest scaledError over all elements (0 for empty input). */
  err: number;
  /** Where it occurs (-1 for empty input). */
  index: number;
}

/**
 * The worst scaledError of got[i] against ref[i].
 * @param got results.
 * @param ref reference values, of the same length.
 * @returns the largest error and its first index.
 * @throws RangeError when the lengths differ.
 */
export function maxError(got: ArrayLike<number>, ref: ArrayLike<number>): ErrorReport {
  if (got.length !== ref.length) throw new RangeError(`maxError: lengths ${got.length} and ${ref.length} differ`);
  let err = 0;
  let index = -1;
  for (let i = 0; i < got.length; i++) {
    const e = scaledError(got[i], ref[i]);
    if (index < 0 || e > err) {
      err = e;
      index = i;
    }
  }
  return { err, index };
}

/**
 * Reference values at each input, as float64.
 * @param kind the activation family.
 * @param p its parameter slots.
 * @param xs inputs.
 * @returns f(xs[i]) for each i.
 */
export function refForwardAll(kind: ActivationKind, p: ArrayLike<number>, xs: ArrayLike<number>): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = refForward(kind, p, xs[i]);
  return out;
}

/**
 * dy[i] * f'(x[i]) in float64 (dy defaults to 1).
 * @param kind the activation family.
 * @param p its parameter slots.
 * @param xs inputs (pre-activations).
 * @param dy upstream gradients of `xs.length`; all ones when omitted.
 * @returns dy[i] * f'(xs[i]) for each i.
 */
export function refBackwardAll(
  kind: ActivationKind,
  p: ArrayLike<number>,
  xs: ArrayLike<number>,
  dy?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = (dy ? dy[i] : 1) * refDerivative(kind, p, xs[i]);
  return out;
}

/**
 * A readable description of the worst element, for test failure messages:
 * "kind(params) at x = ...: got ..., ref ..., scaled error ...".
 * @param label prefix, e.g. an {@link activationLabel}.
 * @param xs the inputs.
 * @param got results.
 * @param ref reference values.
 * @returns the message; "label: no elements" for empty input.
 * @throws RangeError when got and ref differ in length.
 */
export function describeWorst(label: string, xs: ArrayLike<number>, got: ArrayLike<number>, ref: ArrayLike<number>): string {
  const { err, index } = maxError(got, ref);
  if (index < 0) return `${label}: no elements`;
  return `${label} at x = ${xs[index]}: got ${got[index]}, ref ${ref[index]}, scaled error ${err.toExponential(3)}`;
}
