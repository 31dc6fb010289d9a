'use strict';
/**
 * Float64 reference of every activation and its derivative, written from the formulas in the
 * project's activation spec, independently of lib/ (so that a shared mistake cannot hide).
 * Used only to report the max error beside each throughput figure.
 */

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** erf(x) for |x| < 2.5 by its Taylor series (error ~1e-14: a few digits lost to cancellation). */
function erfSeries(x) {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return 2 * INV_SQRT_PI * sum;
}

/** erfc(x) for x >= 2.5 by its continued fraction, evaluated from a fixed depth backwards. */
function erfcFraction(x) {
  let f = x;
  for (let n = 80; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) * INV_SQRT_PI / f;
}

function erfc(x) {
  if (x >= 2.5) return erfcFraction(x);
  if (x <= -2.5) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

/** Standard normal CDF, accurate in relative terms in the far left tail too. */
function Phi(x) {
  return 0.5 * erfc(-x * SQRT1_2);
}

function sigma(u) {
  return u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
}

const clamp01 = (v) => Math.min(1, Math.max(0, v));

/** Returns [f(x), f'(x)] in float64 for a filled-in descriptor (activationSpec.descriptor). */
function reference(d, x) {
  switch (d.kind) {
    case 'identity':
      return [x, 1];
    case 'relu':
      return [Math.max(x, 0), x > 0 ? 1 : 0];
    case 'smelu': {
      const b = d.beta;
      if (b === 0) return [Math.max(x, 0), x > 0 ? 1 : 0];
      if (x <= -b) return [0, 0];
      if (x >= b) return [x, 1];
      return [((x + b) * (x + b)) / (4 * b), (x + b) / (2 * b)];
    }
    case 'gsmelu': {
      const { gNeg, gPos, alpha, beta, t } = d;
      let R;
      if (x <= -alpha) R = 0;
      else if (x >= beta) R = x - (beta - alpha) / 2;
      else R = ((x + alpha) * (x + alpha)) / (2 * (alpha + beta));
      const f = t + gNeg * x + (gPos - gNeg) * R;
      return [f, gNeg + (gPos - gNeg) * clamp01((x + alpha) / (alpha + beta))];
    }
    case 'rescu2': {
      const b = d.beta;
      const b2 = 6 * b * b;
      if (x <= -b) return [0, 0];
      if (x >= b) return [x, 1];
      if (x <= 0) return [(x + b) ** 3 / b2, (3 * (x + b) ** 2) / b2];
      return [x + (b - x) ** 3 / b2, 1 - (3 * (b - x) ** 2) / b2];
    }
    case 'gelu': {
      const P = Phi(x);
      return [x * P, P + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x)];
    }
    case 'gelu_tanh': {
      const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
      const th = Math.tanh(u);
      const df = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
      return [0.5 * x * (1 + th), df];
    }
    case 'swish': {
      const s = sigma(d.beta * x);
      return [x * s, s + d.beta * x * s * (1 - s)];
    }
    case 'softplus': {
      const u = d.beta * x;
      const f = u > d.threshold ? x : Math.log1p(Math.exp(u)) / d.beta;
      return [f, sigma(u)];
    }
    case 'sigmoid': {
      const s = sigma(x);
      return [s, s * (1 - s)];
    }
    default:
      throw new Error(`reference: unknown activation ${d.kind}`);
  }
}

/** Relative error as the spec measures it: |y - ref| / max(1, |ref|). */
function relError(y, ref) {
  if (Number.isNaN(ref)) return Number.isNaN(y) ? 0 : Infinity;
  if (!Number.isFinite(ref)) return y === ref ? 0 : Infinity;
  return Math.abs(y - ref) / Math.max(1, Math.abs(ref));
}

module.exports = { reference, relError, erfc, Phi };
