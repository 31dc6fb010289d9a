/**
 * Native dense results against the TypeScript backend, element by element, with a k-scaled bound.
 *
 * The native kernels run one float32 FMA chain per output; the TypeScript backend sums in float64
 * and rounds once. A float32 chain of k terms is off the exact sum by at most about
 * (k + 1) 2^-24 sum|x_p w_p| (plus the bias), so each output gets the bound (k + 2) 2^-24 S with
 * S = sum|x_p w_p| + |b| computed here in float64; the activation then adds its slope times that
 * and both backends' spec error (1e-6 max(1, |y|) each). NaN must meet NaN and +-Inf the same
 * infinity. Gradients: the same for each reduction, plus the activation derivative's error carried
 * through it.
 */
import { SPEC_TOL } from '../../../lib/reference';

export const EPS32 = 2 ** -24;
/** Absolute floor for sums whose terms are denormal (float32 cannot resolve below ~1e-45). */
const FLOOR = 1e-37;

/** Bound on |f'| for an activation's parameters (gelu and swish overshoot 1 by < 0.13). */
export function maxSlope(kind: string, params: ArrayLike<number>): number {
  if (kind === 'gsmelu') return Math.max(1.2, Math.abs(params[0]), Math.abs(params[1]));
  return 1.2;
}

/** '' when got matches want within tol (NaN meets NaN, infinities must be equal), else why not. */
export function compare(got: number, want: number, tol: number): string {
  if (Number.isNaN(want)) return Number.isNaN(got) ? '' : `want NaN, got ${got}`;
  if (!Number.isFinite(want)) return got === want ? '' : `want ${want}, got ${got}`;
  if (!Number.isFinite(got)) return `want ${want}, got ${got}`;
  const err = Math.abs(got - want);
  return err <= tol ? '' : `|${got} - ${want}| = ${err.toExponential(3)} > tol ${tol.toExponential(3)}`;
}

/** sum_p |L(r, p) R(p, c)| for the outputs of out[rows x cols] = L R (strided views, float64). */
export function absProducts(
  rows: number, red: number, cols: number,
  L: ArrayLike<number>, lr: number, lt: number,
  R: ArrayLike<number>, rr: number, rc: number,
): Float64Array {
  const s = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < red; p++) {
      const a = Math.abs(L[r * lr + p * lt]);
      if (a === 0) continue;
      for (let c = 0; c < cols; c++) s[r * cols + c] += a * Math.abs(R[p * rr + c * rc]);
    }
  }
  return s;
}

export interface ForwardCheck {
  m: number; k: number; n: number;
  x: Float32Array; W: Float32Array; b: Float32Array | null;
  kind: string; params: ArrayLike<number>;
  y: Float32Array; yJs: Float32Array;
  z?: Float32Array; zJs?: Float32Array;
}

/** First mismatch of a dense forward, as a message ('' when everything is within bounds). */
export function checkForward(c: ForwardCheck): string {
  const S = absProducts(c.m, c.k, c.n, c.x, c.k, 1, c.W, c.n, 1);
  const slope = maxSlope(c.kind, c.params);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      const o = i * c.n + j;
      const s = S[o] + (c.b ? Math.abs(c.b[j]) : 0);
      const tolZ = (c.k + 2) * EPS32 * s + FLOOR;
      if (c.z && c.zJs) {
        const why = compare(c.z[o], c.zJs[o], tolZ);
        if (why) return `z[${i},${j}]: ${why}`;
      }
      const tolY = slope * tolZ + 2 * SPEC_TOL * Math.max(1, Math.abs(c.yJs[o])) + FLOOR;
      const why = compare(c.y[o], c.yJs[o], tolY);
      if (why) return `y[${i},${j}]: ${why}`;
    }
  }
  return '';
}

export interface BackwardCheck {
  m: number; k: number; n: number;
  x: Float32Array; W: Float32Array;
  /** dZ from the TypeScript backend, and dy (their magnitudes scale the derivative's error). */
  dZ: Float32Array;
  dy: Float32Array;
  dx: Float32Array | null; dxJs: Float32Array | null;
  dW: Float32Array; dWJs: Float32Array; dW0: Float32Array | null;
  db: Float32Array | null; dbJs: Float32Array | null; db0: Float32Array | null;
}

/** First mismatch of a dense backward, as a message ('' when everything is within bounds). */
export function checkBackward(c: BackwardCheck): string {
  const { m, k, n } = c;
  // Error of each dZ element: each backend's f' within the spec bound (1e-6 max(1, |f'|)) times
  // |dy|, plus the rounding of the product.
  const e = new Float64Array(m * n);
  for (let o = 0; o < m * n; o++) e[o] = 2 * (SPEC_TOL * Math.max(Math.abs(c.dy[o]), Math.abs(c.dZ[o])) + EPS32 * Math.abs(c.dZ[o]));
  if (c.dx && c.dxJs) {
    // dx = dZ W^T: dx[i, p] = sum_j dZ[i, j] W[p, j]
    const S = absProducts(m, n, k, c.dZ, n, 1, c.W, 1, n);
    const E = absProducts(m, n, k, e, n, 1, c.W, 1, n);
    for (let o = 0; o < m * k; o++) {
      const why = compare(c.dx[o], c.dxJs[o], E[o] + (n + 2) * EPS32 * S[o] + FLOOR);
      if (why) return `dx[${Math.floor(o / k)},${o % k}]: ${why}`;
    }
  }
  // dW = x^T dZ: dW[p, j] = sum_i x[i, p] dZ[i, j]
  const S = absProducts(k, m, n, c.x, 1, k, c.dZ, n, 1);
  const E = absProducts(k, m, n, c.x, 1, k, e, n, 1);
  for (let o = 0; o < k * n; o++) {
    const prev = c.dW0 ? Math.abs(c.dW0[o]) : 0;
    const why = compare(c.dW[o], c.dWJs[o], E[o] + (m + 2) * EPS32 * (S[o] + prev) + FLOOR);
    if (why) return `dW[${Math.floor(o / n)},${o % n}]: ${why}`;
  }
  if (c.db && c.dbJs) {
    for (let j = 0; j < n; j++) {
      let s = c.db0 ? Math.abs(c.db0[j]) : 0;
      let err = 0;
      for (let i = 0; i < m; i++) {
        s += Math.abs(c.dZ[i * n + j]);
        err += e[i * n + j];
      }
      const why = compare(c.db[j], c.dbJs[j], err + (m + 2) * EPS32 * s + FLOOR);
      if (why) return `db[${j}]: ${why}`;
    }
  }
  return '';
}
