/**
 * Exact scalar forms of every activation f and derivative f', in float64 with branches, following
 * docs/activations.md piece by piece. They carry the spec's limits at +-Infinity and overflow-safe
 * forms of the sigmoid family.
 *
 * The fast loops in act.ts are branch-free and turn non-finite inputs (and a few overflow corners)
 * into NaN (Inf - Inf, Inf * 0); when a result is NaN they call these to get the right value. NaN in
 * still gives NaN out here, so the fix-up never hides a NaN input.
 */
import { erf } from './erf';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export function reluF(x: number): number {
  return x > 0 ? x : x === x ? 0 : x;
}

/** relu'(0) = 0, as the spec says (f' = 1 only for x > 0). */
export function reluD(x: number): number {
  return x > 0 ? 1 : x === x ? 0 : x;
}

/** beta = 0 never reaches the division: x >= 0 or x <= -0 catches every input. */
export function smeluF(x: number, beta: number): number {
  if (x !== x) return x;
  if (x >= beta) return x;
  if (x <= -beta) return 0;
  const p = x + beta;
  return (p * p) / (4 * beta);
}

/** Left test first so that beta = 0 gives relu'(0) = 0. */
export function smeluD(x: number, beta: number): number {
  if (x !== x) return x;
  if (x <= -beta) return 0;
  if (x >= beta) return 1;
  return (x + beta) / (2 * beta);
}

/** f' from y = f(x): 0 if y <= 0, 1 if y >= beta, sqrt(y / beta) otherwise (beta = 0: relu). */
export function smeluDFromY(y: number, beta: number): number {
  if (y !== y) return y;
  if (y <= 0) return 0;
  if (y >= beta) return 1;
  return Math.sqrt(y / beta);
}

/**
 * gSmeLU f = t + gNeg x + (gPos - gNeg) R(x). At -Inf the limit is gNeg * -Inf, or t when gNeg = 0;
 * at +Inf it is gPos * Inf, or the constant t + gNeg (beta - alpha) / 2 when gPos = 0.
 */
export function gsmeluF(x: number, gNeg: number, gPos: number, alpha: number, beta: number, t: number): number {
  if (x !== x) return x;
  if (x === -Infinity) return gNeg === 0 ? t : -gNeg * Infinity;
  if (x === Infinity) return gPos === 0 ? t + gNeg * ((beta - alpha) / 2) : gPos * Infinity;
  // Each line on its own: the combined form cancels for large |x| when the slopes differ.
  if (x <= -alpha) return t + gNeg * x;
  if (x >= beta) return t + gPos * x - ((gPos - gNeg) * (beta - alpha)) / 2;
  const p = x + alpha;
  return t + gNeg * x + ((gPos - gNeg) * (p * p)) / (2 * (alpha + beta));
}

export function gsmeluD(x: number, gNeg: number, gPos: number, alpha: number, beta: number): number {
  if (x !== x) return x;
  if (x <= -alpha) return gNeg;
  if (x >= beta) return gPos;
  return gNeg + ((gPos - gNeg) * (x + alpha)) / (alpha + beta);
}

export function rescu2F(x: number, beta: number): number {
  if (x !== x) return x;
  if (x <= -beta) return 0;
  if (x >= beta) return x;
  const b2x6 = 6 * beta * beta;
  if (x <= 0) {
    const p = x + beta;
    return (p * p * p) / b2x6;
  }
  const q = beta - x;
  return x + (q * q * q) / b2x6;
}

export function rescu2D(x: number, beta: number): number {
  if (x !== x) return x;
  if (x <= -beta) return 0;
  if (x >= beta) return 1;
  const b2x2 = 2 * beta * beta;
  if (x <= 0) {
    const p = x + beta;
    return (p * p) / b2x2;
  }
  const q = beta - x;
  return 1 - (q * q) / b2x2;
}

/** Standard normal CDF. For x < 0 it loses relative (not absolute) accuracy: fine for x Phi(x). */
function normalCdf(x: number): number {
  return 0.5 + 0.5 * erf(x * SQRT1_2);
}

export function geluF(x: number): number {
  if (x === -Infinity) return 0;
  return x * normalCdf(x); // NaN and +Inf pass through
}

/** Phi(x) + x phi(x); at +-Inf the second term is Inf * 0, so the limits are returned directly. */
export function geluD(x: number): number {
  if (x !== x) return x;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

export function geluTanhF(x: number): number {
  if (x === -Infinity) return 0;
  if (x === Infinity) return x;
  const u = GELU_K * (x + GELU_C * x * x * x);
  return 0.5 * x * (1 + Math.tanh(u));
}

export function geluTanhD(x: number): number {
  if (x !== x) return x;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const x2 = x * x;
  const th = Math.tanh(GELU_K * (x + GELU_C * x2 * x));
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_K * (1 + 3 * GELU_C * x2);
}

/** sigma(u) without overflow: exp of a non-positive number only. */
export function sigmoidStable(u: number): number {
  if (u >= 0) return 1 / (1 + Math.exp(-u));
  const e = Math.exp(u);
  return e / (1 + e);
}

/** sigma(u) (1 - sigma(u)) with 1 - sigma(u) = sigma(-u) (no cancellation). */
function sigmoidSlope(u: number): number {
  return sigmoidStable(u) * sigmoidStable(-u);
}

export function swishF(x: number, beta: number): number {
  if (x === -Infinity) return 0; // -Inf * sigma(-Inf) = -Inf * 0
  return x * sigmoidStable(beta * x);
}

/** s + beta x s (1 - s); beta x s (1 - s) is Inf * 0 at +-Inf, so the limits are returned. */
export function swishD(x: number, beta: number): number {
  if (x !== x) return x;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const u = beta * x;
  return sigmoidStable(u) + u * sigmoidSlope(u);
}

/** log(1 + exp(u)) / beta as relu(u) + log1p(exp(-|u|)) (no overflow), and x once u > threshold. */
export function softplusF(x: number, beta: number, threshold: number): number {
  const u = beta * x;
  if (u > threshold) return x;
  if (u !== u) return u;
  const r = u > 0 ? u : 0;
  return (r + Math.log1p(Math.exp(-Math.abs(u)))) / beta;
}

/**
 * sigma(beta x), and 1 once beta x > threshold: there f is exactly x, so its slope is 1 (PyTorch
 * does the same). The spec's "f' = sigma(beta x)" differs from this by at most sigma(-threshold).
 */
export function softplusD(x: number, beta: number, threshold: number): number {
  const u = beta * x;
  if (u > threshold) return 1;
  return sigmoidStable(u); // NaN propagates through exp
}

export function sigmoidD(x: number): number {
  return sigmoidSlope(x);
}
