/**
 * The optimizer update loops of the TypeScript backend, in float64 arithmetic per element stored to
 * float32. They read the same `hyper` slots as the native optimStep (see OptimStep in ../types) and
 * take offsets, so the lazy (sparse) updates of embedding rows use them too.
 */
import type { OptimStep } from '../types';

/** Offsets of one update: values and state from `v0`, gradient from `g0`, `n` elements. */
export interface Span {
  v0: number;
  g0: number;
  n: number;
}

function sgd(h: Float64Array, w: Float32Array, g: Float32Array, vel: Float32Array | null, { v0, g0, n }: Span): void {
  const [lr, l2, mu, nesterov] = h;
  for (let i = 0; i < n; i++) {
    const gi = g[g0 + i] + l2 * w[v0 + i];
    if (mu === 0 || vel === null) {
      w[v0 + i] -= lr * gi;
      continue;
    }
    const v = mu * vel[v0 + i] + gi;
    vel[v0 + i] = v;
    w[v0 + i] -= lr * (nesterov ? gi + mu * v : v);
  }
}

function adagrad(h: Float64Array, w: Float32Array, g: Float32Array, acc: Float32Array, { v0, g0, n }: Span): void {
  const [lr, l2, eps] = h;
  for (let i = 0; i < n; i++) {
    const gi = g[g0 + i] + l2 * w[v0 + i];
    const a = acc[v0 + i] + gi * gi;
    acc[v0 + i] = a;
    w[v0 + i] -= (lr * gi) / (Math.sqrt(a) + eps);
  }
}

function adam(h: Float64Array, w: Float32Array, g: Float32Array, m1: Float32Array, m2: Float32Array, { v0, g0, n }: Span): void {
  const [lr, l2, b1, b2, eps, c1, c2, shrink] = h;
  for (let i = 0; i < n; i++) {
    const j = v0 + i;
    const gi = g[g0 + i] + l2 * w[j];
    const a = b1 * m1[j] + (1 - b1) * gi;
    const b = b2 * m2[j] + (1 - b2) * gi * gi;
    m1[j] = a;
    m2[j] = b;
    w[j] = w[j] * shrink - (lr * (a / c1)) / (Math.sqrt(b / c2) + eps);
  }
}

/** One update of `span` (kind 0 sgd, 1 adagrad, 2 adam / adamw), in place. */
export function optimStepSpan(span: Span, ...[kind, hyper, w, g, s1, s2]: Parameters<OptimStep>): void {
  if (kind === 0) sgd(hyper, w, g, s1, span);
  else if (kind === 1) adagrad(hyper, w, g, s1!, span);
  else adam(hyper, w, g, s1!, s2!, span);
}

/** One update of a whole tensor: the Backend's optimStep. */
export const optimStep: OptimStep = (kind, hyper, w, g, s1, s2) => optimStepSpan({ v0: 0, g0: 0, n: w.length }, kind, hyper, w, g, s1, s2);
