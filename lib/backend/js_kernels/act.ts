/**
 * Elementwise activation loops of the TypeScript backend: forward y = f(x), backward dz = dy f'(z)
 * and, for relu and smelu, backward from the output y.
 *
 * Speed notes (V8): `v > 0 ? v : 0` and Math.max compile to branches that
 * mispredict on random signs (~0.2 elements/ns), while Math.abs and a comparison turned into a
 * number, `+(v > 0)`, compile without branches. So the piecewise-polynomial kinds use
 *   relu(x) = 0.5 (x + |x|)                (exact, +0 for x <= 0)
 *   (b - |x|)+ = 0.5 (d + |d|), d = b - |x|  (the transition-region weight, exact 0 outside it)
 *   SmeLU(x) = relu(x) + (b - |x|)+^2 / (4b) (equal to the spec's pieces, exact 0 and x outside)
 * and never clamp with |u| - |u - 1| (that is wrong once |u| >= 2^53, u - 1 rounding to u).
 * Each loop reads float32, computes in float64 and rounds once on store.
 *
 * Non-finite inputs make these forms NaN (Inf - Inf, Inf * 0); one predictable test per element
 * sends such results to the exact scalar forms in scalar.ts, which return the spec's limits (and
 * NaN for NaN). Each kind has its own loop so that every loop stays monomorphic and small.
 */
import { ACTIVATION_CODES } from '../types';
import { ERF_ONE_FROM, erfTable } from './erf';
import * as S from './scalar';

const C = ACTIVATION_CODES;

function len2(a: Float32Array, b: Float32Array): number {
  return Math.min(a.length, b.length);
}

function len3(a: Float32Array, b: Float32Array, c: Float32Array): number {
  return Math.min(a.length, b.length, c.length);
}

/**
 * The fast forms divide by beta (or h, or beta^2) once and square (b - |x|)+: for a width outside
 * [1e-150, 1e150] such constants overflow or the squares underflow, so those (odd but valid)
 * parameters take the exact scalar loops below instead. beta = 0 SmeLU is ReLU, computed as such.
 */
function fastWidth(w: number): boolean {
  return w >= 1e-150 && w <= 1e150;
}

/** y = f(x) through an exact scalar form: slow, used only for extreme parameters. */
function mapExact(x: Float32Array, y: Float32Array, f: (v: number) => number): void {
  const n = len2(x, y);
  for (let i = 0; i < n; i++) y[i] = f(x[i]);
}

/** dz = dy * d(z) through an exact scalar form: slow, used only for extreme parameters. */
function mapExactBackward(z: Float32Array, dy: Float32Array, dz: Float32Array, d: (v: number) => number): void {
  const n = len3(z, dy, dz);
  for (let i = 0; i < n; i++) dz[i] = dy[i] * d(z[i]);
}

// ---------------------------------------------------------------- identity

function identityForward(x: Float32Array, y: Float32Array): void {
  if (x !== y) y.set(x.subarray(0, len2(x, y)));
}

/** f' = 1, so dz = dy; a NaN z still gives NaN (the contract for every kind). */
function identityBackward(z: Float32Array, dy: Float32Array, dz: Float32Array): void {
  const n = len3(z, dy, dz);
  for (let i = 0; i < n; i++) {
    const v = z[i];
    dz[i] = v !== v ? v : dy[i]; // predictable: NaN is rare
  }
}

// ---------------------------------------------------------------- relu
// The piecewise kinds below share one shape: an element function (inlined by V8) and a loop
// unrolled by two, which amortizes V8's per-iteration checks (measured ~15% faster than one
// element per iteration). Both inputs of a pair are read before either output is written.

function reluEl(v: number): number {
  const r = 0.5 * (v + Math.abs(v));
  return r === r ? r : S.reluF(v); // -Inf (and NaN)
}

function reluForward(x: Float32Array, y: Float32Array): void {
  const n = len2(x, y);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = x[i];
    const v1 = x[i + 1];
    y[i] = reluEl(v0);
    y[i + 1] = reluEl(v1);
  }
  if (i < n) y[i] = reluEl(x[i]);
}

/**
 * dy * [v > 0]. `+(v > 0)` is 0 for NaN, so `v - v` (NaN for NaN and +-Inf, +0 otherwise) is added
 * to route those to the scalar form; it also turns -0 products into +0.
 */
function reluDEl(v: number, d: number): number {
  const r = d * +(v > 0) + (v - v);
  return r === r ? r : d * S.reluD(v);
}

/** Also the backward from the output: [y > 0] = [x > 0]. */
function reluBackward(z: Float32Array, dy: Float32Array, dz: Float32Array): void {
  const n = len3(z, dy, dz);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = z[i];
    const v1 = z[i + 1];
    const d0 = dy[i];
    const d1 = dy[i + 1];
    dz[i] = reluDEl(v0, d0);
    dz[i + 1] = reluDEl(v1, d1);
  }
  if (i < n) dz[i] = reluDEl(z[i], dy[i]);
}

// ---------------------------------------------------------------- smelu

/** c = 1 / (16 beta): q = 2 (b - |x|)+, so q^2 c = (b - |x|)+^2 / (4 b). */
function smeluEl(v: number, beta: number, c: number): number {
  const a = Math.abs(v);
  const d = beta - a;
  const q = d + Math.abs(d);
  const r = 0.5 * (v + a) + q * q * c;
  return r === r ? r : S.smeluF(v, beta);
}

function smeluForward(x: Float32Array, y: Float32Array, beta: number): void {
  const c = 1 / (16 * beta);
  const n = len2(x, y);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = x[i];
    const v1 = x[i + 1];
    y[i] = smeluEl(v0, beta, c);
    y[i + 1] = smeluEl(v1, beta, c);
  }
  if (i < n) y[i] = smeluEl(x[i], beta, c);
}

/**
 * f' = clamp((x + b) / (2b), 0, 1) = H(x) + (1 - 2 H(x)) (b - |x|)+ / (2b), H(x) = [x > 0]:
 * exactly 0 left of -b and 1 right of b, 1/2 at 0, with no clamp that fails for huge |x|.
 * c = 1 / (4 beta): q = 2 (b - |x|)+, so q c = (b - |x|)+ / (2 b).
 */
function smeluDEl(v: number, d: number, beta: number, c: number): number {
  const h = +(v > 0);
  const e = beta - Math.abs(v);
  const q = e + Math.abs(e); // NaN for NaN and +-Inf v
  const r = d * (h + (1 - 2 * h) * q * c);
  return r === r ? r : d * S.smeluD(v, beta);
}

function smeluBackward(z: Float32Array, dy: Float32Array, dz: Float32Array, beta: number): void {
  const c = 1 / (4 * beta);
  const n = len3(z, dy, dz);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = z[i];
    const v1 = z[i + 1];
    const d0 = dy[i];
    const d1 = dy[i + 1];
    dz[i] = smeluDEl(v0, d0, beta, c);
    dz[i + 1] = smeluDEl(v1, d1, beta, c);
  }
  if (i < n) dz[i] = smeluDEl(z[i], dy[i], beta, c);
}

/** f' = sqrt(clamp(y / b, 0, 1)), clamped with the comparison mask [y < b] (valid for any y). */
function smeluDYEl(v: number, d: number, beta: number, invB: number): number {
  const below = +(v < beta);
  const s = Math.sqrt(0.5 * (v + Math.abs(v)) * invB); // 0 for y <= 0
  const r = d * (s * below + (1 - below)); // Inf * 0 = NaN for +Inf y, and NaN y
  return r === r ? r : d * S.smeluDFromY(v, beta);
}

function smeluBackwardFromY(y: Float32Array, dy: Float32Array, dz: Float32Array, beta: number): void {
  const invB = 1 / beta;
  const n = len3(y, dy, dz);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = y[i];
    const v1 = y[i + 1];
    const d0 = dy[i];
    const d1 = dy[i + 1];
    dz[i] = smeluDYEl(v0, d0, beta, invB);
    dz[i + 1] = smeluDYEl(v1, d1, beta, invB);
  }
  if (i < n) dz[i] = smeluDYEl(y[i], dy[i], beta, invB);
}

// ---------------------------------------------------------------- gsmelu

/**
 * Constants of gSmeLU. R(x) is a SmeLU of half-width h = (alpha + beta)/2 centred on
 * c0 = (beta - alpha)/2; cF = 1/(16 h) and cD = 1/(4 h) play the roles of SmeLU's constants.
 */
class GsmeluConsts {
  readonly gNeg: number;
  readonly gPos: number;
  readonly alpha: number;
  readonly beta: number;
  readonly t: number;
  readonly gDiff: number;
  readonly c0: number;
  readonly cF: number;
  readonly cD: number;
  readonly h: number;
  constructor(p: Float64Array) {
    this.gNeg = p[0];
    this.gPos = p[1];
    this.alpha = p[2];
    this.beta = p[3];
    this.t = p[4];
    this.gDiff = p[1] - p[0];
    this.c0 = 0.5 * (p[3] - p[2]);
    this.h = 0.5 * (p[2] + p[3]);
    this.cF = 1 / (16 * this.h);
    this.cD = 1 / (4 * this.h);
  }
}

/**
 * f = t + gNeg x + (gPos - gNeg) R(x), R(x) = SmeLU_h(x - c0): the spec's ramp (0 left of -alpha,
 * (x + alpha)^2 / (2 (alpha + beta)) in the transition, x - (beta - alpha)/2 right of beta).
 */
function gsmeluEl(v: number, k: GsmeluConsts): number {
  const s = v - k.c0;
  const a = Math.abs(s);
  const d = k.h - a;
  const q = d + Math.abs(d);
  const r = k.t + k.gNeg * v + k.gDiff * (0.5 * (s + a) + q * q * k.cF);
  // Far from the transition the combined form cancels when the slopes differ: take the exact
  // line there (a rarely taken, well predicted branch). NaN goes the same way.
  return r === r && a < 1e6 ? r : S.gsmeluF(v, k.gNeg, k.gPos, k.alpha, k.beta, k.t);
}

function gsmeluForward(x: Float32Array, y: Float32Array, k: GsmeluConsts): void {
  const n = len2(x, y);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = x[i];
    const v1 = x[i + 1];
    y[i] = gsmeluEl(v0, k);
    y[i + 1] = gsmeluEl(v1, k);
  }
  if (i < n) y[i] = gsmeluEl(x[i], k);
}

/** f' = gNeg + (gPos - gNeg) SmeLU_h'(x - c0), the same clamp-free form as smeluDEl. */
function gsmeluDEl(v: number, d: number, k: GsmeluConsts): number {
  const s = v - k.c0;
  const hs = +(s > 0);
  const e = k.h - Math.abs(s);
  const q = e + Math.abs(e);
  const r = d * (k.gNeg + k.gDiff * (hs + (1 - 2 * hs) * q * k.cD));
  return r === r ? r : d * S.gsmeluD(v, k.gNeg, k.gPos, k.alpha, k.beta);
}

function gsmeluBackward(z: Float32Array, dy: Float32Array, dz: Float32Array, k: GsmeluConsts): void {
  const n = len3(z, dy, dz);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = z[i];
    const v1 = z[i + 1];
    const d0 = dy[i];
    const d1 = dy[i + 1];
    dz[i] = gsmeluDEl(v0, d0, k);
    dz[i + 1] = gsmeluDEl(v1, d1, k);
  }
  if (i < n) dz[i] = gsmeluDEl(z[i], dy[i], k);
}

// ---------------------------------------------------------------- rescu2

/** f = relu(x) + q^3 c, q = (b - |x|)+, c = 1 / (6 b^2): both spec pieces of the transition. */
function rescu2El(v: number, beta: number, c: number): number {
  const a = Math.abs(v);
  const d = beta - a;
  const q = 0.5 * (d + Math.abs(d));
  const r = 0.5 * (v + a) + q * q * q * c;
  return r === r ? r : S.rescu2F(v, beta);
}

function rescu2Forward(x: Float32Array, y: Float32Array, beta: number): void {
  const c = 1 / (6 * beta * beta);
  const n = len2(x, y);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = x[i];
    const v1 = x[i + 1];
    y[i] = rescu2El(v0, beta, c);
    y[i + 1] = rescu2El(v1, beta, c);
  }
  if (i < n) y[i] = rescu2El(x[i], beta, c);
}

/** f' = H(x) + (1 - 2 H(x)) q^2 c, q = (b - |x|)+, c = 1 / (2 b^2), H(x) = [x > 0]. */
function rescu2DEl(v: number, d: number, beta: number, c: number): number {
  const h = +(v > 0);
  const e = beta - Math.abs(v);
  const q = 0.5 * (e + Math.abs(e));
  const r = d * (h + (1 - 2 * h) * q * q * c);
  return r === r ? r : d * S.rescu2D(v, beta);
}

function rescu2Backward(z: Float32Array, dy: Float32Array, dz: Float32Array, beta: number): void {
  const c = 1 / (2 * beta * beta);
  const n = len3(z, dy, dz);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = z[i];
    const v1 = z[i + 1];
    const d0 = dy[i];
    const d1 = dy[i + 1];
    dz[i] = rescu2DEl(v0, d0, beta, c);
    dz[i + 1] = rescu2DEl(v1, d1, beta, c);
  }
  if (i < n) dz[i] = rescu2DEl(z[i], dy[i], beta, c);
}

// ---------------------------------------------------------------- gelu (erf)

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Phi(v) = 1/2 + sign(u) erf(|u|) / 2, u = v / sqrt(2), without branches: the mask `inside` sends
 * finite |u| >= 6 (where erf = 1) to table node 0 and substitutes 1, and the sign is a mask
 * difference. NaN and +-Inf give NaN (Inf * 0), which the callers' fix-up resolves.
 */
function phiOf(v: number): number {
  const u = v * Math.SQRT1_2;
  const a = Math.abs(u);
  const inside = +(a < ERF_ONE_FROM);
  const e = inside * erfTable(a * inside) + (1 - inside);
  return 0.5 + 0.5 * (+(u > 0) - +(u < 0)) * e;
}

function geluForward(x: Float32Array, y: Float32Array): void {
  const n = len2(x, y);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    let r = v * phiOf(v);
    if (r !== r) r = S.geluF(v); // -Inf * 0
    y[i] = r;
  }
}

function geluBackward(z: Float32Array, dy: Float32Array, dz: Float32Array): void {
  const n = len3(z, dy, dz);
  for (let i = 0; i < n; i++) {
    const v = z[i];
    let r = dy[i] * (phiOf(v) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    if (r !== r) r = dy[i] * S.geluD(v);
    dz[i] = r;
  }
}

// ---------------------------------------------------------------- gelu_tanh

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

function geluTanhForward(x: Float32Array, y: Float32Array): void {
  const n = len2(x, y);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    let r = 0.5 * v * (1 + Math.tanh(GELU_K * (v + GELU_C * v * v * v)));
    if (r !== r) r = S.geluTanhF(v);
    y[i] = r;
  }
}

function geluTanhBackward(z: Float32Array, dy: Float32Array, dz: Float32Array): void {
  const n = len3(z, dy, dz);
  for (let i = 0; i < n; i++) {
    const v = z[i];
    const v2 = v * v;
    const th = Math.tanh(GELU_K * (v + GELU_C * v2 * v));
    let r = dy[i] * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * GELU_K * (1 + 3 * GELU_C * v2));
    if (r !== r) r = dy[i] * S.geluTanhD(v);
    dz[i] = r;
  }
}

// ---------------------------------------------------------------- swish, sigmoid, softplus

/** s = 1 / (1 + e), e = exp(-beta x): exp overflow gives e = Inf, s = 0, still correct. */
function swishForward(x: Float32Array, y: Float32Array, beta: number): void {
  const n = len2(x, y);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    let r = v / (1 + Math.exp(-beta * v));
    if (r !== r) r = S.swishF(v, beta); // -Inf / Inf
    y[i] = r;
  }
}

/** f' = s + u s (1 - s) with 1 - s = e s (no cancellation); e = Inf gives NaN, fixed up. */
function swishBackward(z: Float32Array, dy: Float32Array, dz: Float32Array, beta: number): void {
  const n = len3(z, dy, dz);
  for (let i = 0; i < n; i++) {
    const v = z[i];
    const u = beta * v;
    const e = Math.exp(-u);
    const s = 1 / (1 + e);
    let r = dy[i] * (s + u * s * (e * s));
    if (r !== r) r = dy[i] * S.swishD(v, beta);
    dz[i] = r;
  }
}

function sigmoidForward(x: Float32Array, y: Float32Array): void {
  const n = len2(x, y);
  for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i])); // exact limits at +-Inf, NaN kept
}

function sigmoidBackward(z: Float32Array, dy: Float32Array, dz: Float32Array): void {
  const n = len3(z, dy, dz);
  for (let i = 0; i < n; i++) {
    const v = z[i];
    const e = Math.exp(-v);
    const s = 1 / (1 + e);
    let r = dy[i] * (s * (e * s));
    if (r !== r) r = dy[i] * S.sigmoidD(v);
    dz[i] = r;
  }
}

/**
 * log(1 + exp(u)) / beta as (relu(u) + log1p(exp(-|u|))) / beta, selected against x by the mask
 * [u > threshold] without a branch.
 */
function softplusForward(x: Float32Array, y: Float32Array, beta: number, threshold: number): void {
  const invB = 1 / beta;
  const n = len2(x, y);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const u = beta * v;
    const a = Math.abs(u);
    const lin = +(u > threshold);
    const soft = (0.5 * (u + a) + Math.log1p(Math.exp(-a))) * invB;
    let r = lin * v + (1 - lin) * soft;
    if (r !== r) r = S.softplusF(v, beta, threshold); // +-Inf
    y[i] = r;
  }
}

/** sigma(beta x), and 1 above the threshold (see scalar.ts softplusD). No NaN from finite z. */
function softplusBackward(z: Float32Array, dy: Float32Array, dz: Float32Array, beta: number, threshold: number): void {
  const n = len3(z, dy, dz);
  for (let i = 0; i < n; i++) {
    const u = beta * z[i];
    const lin = +(u > threshold);
    const s = 1 / (1 + Math.exp(-u));
    dz[i] = dy[i] * (lin + (1 - lin) * s);
  }
}

// ---------------------------------------------------------------- dispatch

function unknownCode(code: number): never {
  throw new RangeError(`js backend: unknown activation code ${code}`);
}

/** y = f(x) elementwise; y may be x. */
export function actForward(code: number, p: Float64Array, x: Float32Array, y: Float32Array): void {
  switch (code) {
    case C.identity: return identityForward(x, y);
    case C.relu: return reluForward(x, y);
    case C.smelu: {
      const b = p[0];
      if (b === 0) return reluForward(x, y);
      return fastWidth(b) ? smeluForward(x, y, b) : mapExact(x, y, (v) => S.smeluF(v, b));
    }
    case C.gsmelu: {
      const k = new GsmeluConsts(p);
      if (fastWidth(k.h)) return gsmeluForward(x, y, k);
      return mapExact(x, y, (v) => S.gsmeluF(v, k.gNeg, k.gPos, k.alpha, k.beta, k.t));
    }
    case C.rescu2: {
      const b = p[0];
      return fastWidth(b) ? rescu2Forward(x, y, b) : mapExact(x, y, (v) => S.rescu2F(v, b));
    }
    case C.gelu: return geluForward(x, y);
    case C.gelu_tanh: return geluTanhForward(x, y);
    case C.swish: return swishForward(x, y, p[0]);
    case C.softplus: return softplusForward(x, y, p[0], p[1]);
    case C.sigmoid: return sigmoidForward(x, y);
    default: return unknownCode(code);
  }
}

/** dz = dy * f'(z); dz may be z or dy. */
export function actBackward(code: number, p: Float64Array, z: Float32Array, dy: Float32Array, dz: Float32Array): void {
  switch (code) {
    case C.identity: return identityBackward(z, dy, dz);
    case C.relu: return reluBackward(z, dy, dz);
    case C.smelu: {
      const b = p[0];
      if (b === 0) return reluBackward(z, dy, dz);
      return fastWidth(b) ? smeluBackward(z, dy, dz, b) : mapExactBackward(z, dy, dz, (v) => S.smeluD(v, b));
    }
    case C.gsmelu: {
      const k = new GsmeluConsts(p);
      if (fastWidth(k.h)) return gsmeluBackward(z, dy, dz, k);
      return mapExactBackward(z, dy, dz, (v) => S.gsmeluD(v, k.gNeg, k.gPos, k.alpha, k.beta));
    }
    case C.rescu2: {
      const b = p[0];
      return fastWidth(b) ? rescu2Backward(z, dy, dz, b) : mapExactBackward(z, dy, dz, (v) => S.rescu2D(v, b));
    }
    case C.gelu: return geluBackward(z, dy, dz);
    case C.gelu_tanh: return geluTanhBackward(z, dy, dz);
    case C.swish: return swishBackward(z, dy, dz, p[0]);
    case C.softplus: return softplusBackward(z, dy, dz, p[0], p[1]);
    case C.sigmoid: return sigmoidBackward(z, dy, dz);
    default: return unknownCode(code);
  }
}

/** dz = dy * f'(x) from y = f(x): relu (f' = [y > 0]) and smelu only. */
export function actBackwardFromOutput(
  code: number,
  p: Float64Array,
  y: Float32Array,
  dy: Float32Array,
  dz: Float32Array,
): void {
  if (code === C.relu || (code === C.smelu && p[0] === 0)) return reluBackward(y, dy, dz);
  if (code === C.smelu) {
    const b = p[0];
    return fastWidth(b) ? smeluBackwardFromY(y, dy, dz, b) : mapExactBackward(y, dy, dz, (v) => S.smeluDFromY(v, b));
  }
  throw new RangeError(`js backend: backward from the output needs relu or smelu, got code ${code}`);
}
