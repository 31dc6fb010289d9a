/**
 * Matrix products of the TypeScript backend (dense forward and backward).
 *
 * Accumulation is in float64 (plain JS numbers) with one rounding to float32 when the result is
 * stored. V8 computes in float64 anyway: float32 accumulation would cost a Math.fround per step
 * and be less accurate. Every sum runs over its reduction index in ascending order, and the bias or
 * the previous value (accumulate) is added once after the sum, so results are bitwise repeatable and
 * the packed and unpacked forward paths give the same bits.
 *
 * Two kernels computing the same sums (so the same bits):
 * - gemmRows: i-k-j order, four output rows at a time, accumulating into four float64 row buffers
 *   while streaming contiguous rows of the right operand. Needs no packing: best for few rows.
 * - gemmPanels: 4x4 register tiles over the right operand packed in 4-column panels (by
 *   packWeights, or on the fly when there are enough rows to repay the copy). About 1.5x faster.
 * Strides let both read the left operand transposed (x^T for dW).
 */
import type { PackedHandle } from '../types';

/** Grow-only scratch: the same layer shapes recur every step, so buffers are reused, never freed. */
let rowAcc = new Float64Array(0);
let xPanel = new Float64Array(0);
const tile = new Float64Array(16);

function rowAccFor(size: number): Float64Array {
  if (rowAcc.length < size) rowAcc = new Float64Array(size);
  return rowAcc;
}

function xPanelFor(size: number): Float64Array {
  if (xPanel.length < size) xPanel = new Float64Array(size);
  return xPanel;
}

// ------------------------------------------------------------------ gemmRows

/**
 * out[r, j] = sum_t L(r, t) R[t, j]  (+ addRow[j])  (+ out[r, j] when accumulate), for r < rows,
 * j < cols, t = 0..red-1 in order, where L(r, t) = L[r * lr + t * lt] and R is red x cols
 * row-major. With lr = k, lt = 1, L is x [m x k]; with lr = 1, lt = k it is x transposed.
 */
export function gemmRows(
  rows: number,
  red: number,
  cols: number,
  L: Float32Array,
  lr: number,
  lt: number,
  R: Float32Array,
  out: Float32Array,
  addRow: Float32Array | null,
  accumulate: boolean,
): void {
  if (rows <= 0 || cols <= 0) return;
  const acc = rowAccFor(4 * cols);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    sumRows4(r, red, cols, L, lr, lt, R, acc);
    storeRows(r, 4, cols, acc, out, addRow, accumulate);
  }
  for (; r < rows; r++) {
    sumRow1(r, red, cols, L, lr, lt, R, acc);
    storeRows(r, 1, cols, acc, out, addRow, accumulate);
  }
}

/** acc[s * cols + j] = sum_t L(r0 + s, t) R[t, j], s < 4: one pass over R feeds four rows. */
function sumRows4(
  r0: number,
  red: number,
  cols: number,
  L: Float32Array,
  lr: number,
  lt: number,
  R: Float32Array,
  acc: Float64Array,
): void {
  acc.fill(0, 0, 4 * cols);
  const c1 = cols;
  const c2 = 2 * cols;
  const c3 = 3 * cols;
  let l = r0 * lr;
  for (let t = 0; t < red; t++, l += lt) {
    const x0 = L[l];
    const x1 = L[l + lr];
    const x2 = L[l + 2 * lr];
    const x3 = L[l + 3 * lr];
    const rb = t * cols;
    for (let j = 0; j < cols; j++) {
      const w = R[rb + j];
      acc[j] += x0 * w;
      acc[c1 + j] += x1 * w;
      acc[c2 + j] += x2 * w;
      acc[c3 + j] += x3 * w;
    }
  }
}

/** The leftover rows (rows % 4), one at a time, same summation order. */
function sumRow1(
  r0: number,
  red: number,
  cols: number,
  L: Float32Array,
  lr: number,
  lt: number,
  R: Float32Array,
  acc: Float64Array,
): void {
  acc.fill(0, 0, cols);
  let l = r0 * lr;
  for (let t = 0; t < red; t++, l += lt) {
    const x0 = L[l];
    const rb = t * cols;
    for (let j = 0; j < cols; j++) acc[j] += x0 * R[rb + j];
  }
}

/** Adds the bias row or the previous output once, after the sum, and rounds to float32. */
function storeRows(
  r0: number,
  nr: number,
  cols: number,
  acc: Float64Array,
  out: Float32Array,
  addRow: Float32Array | null,
  accumulate: boolean,
): void {
  for (let s = 0; s < nr; s++) {
    const o = (r0 + s) * cols;
    const a = s * cols;
    if (addRow !== null) for (let j = 0; j < cols; j++) out[o + j] = acc[a + j] + addRow[j];
    else if (accumulate) for (let j = 0; j < cols; j++) out[o + j] = acc[a + j] + out[o + j];
    else for (let j = 0; j < cols; j++) out[o + j] = acc[a + j];
  }
}

// ------------------------------------------------------------------ panels

/**
 * Right operands packed in panels of 4 columns: panels[(jp * red + t) * 4 + c] = R(t, 4 jp + c),
 * zero past the last column, so that the tile kernel reads one sequential stream.
 */
export function panelsLength(red: number, cols: number): number {
  return Math.ceil(cols / 4) * red * 4;
}

/**
 * Packs R(t, j) = R[t * rt + j * rj] (t < red, j < cols) into panels. With rt = n, rj = 1 that is
 * a row-major matrix (W, dZ); with rt = 1, rj = n it is W transposed, read four rows at a time.
 */
export function packPanelsInto(
  red: number,
  cols: number,
  R: Float32Array,
  rt: number,
  rj: number,
  panels: Float32Array,
): void {
  let o = 0;
  for (let j0 = 0; j0 < cols; j0 += 4) {
    const nc = Math.min(4, cols - j0);
    const s0 = j0 * rj;
    if (nc === 4) {
      for (let t = 0, s = s0; t < red; t++, s += rt, o += 4) {
        panels[o] = R[s];
        panels[o + 1] = R[s + rj];
        panels[o + 2] = R[s + 2 * rj];
        panels[o + 3] = R[s + 3 * rj];
      }
    } else {
      for (let t = 0, s = s0; t < red; t++, s += rt, o += 4) {
        for (let c = 0; c < 4; c++) panels[o + c] = c < nc ? R[s + c * rj] : 0;
      }
    }
  }
}

/** W packed once for repeated forwards (the JS form of a PackedHandle). */
export interface JsPackedWeights extends PackedHandle {
  readonly k: number;
  readonly n: number;
  readonly panels: Float32Array;
}

/** Handles made here, so that a handle from another backend is refused rather than misread. */
const PACKED = new WeakSet<object>();

export function isJsPacked(w: unknown): w is JsPackedWeights {
  return typeof w === 'object' && w !== null && PACKED.has(w);
}

/** Packs (copies) W [k x n]; later changes to W do not reach the handle. */
export function packWeightsJs(k: number, n: number, w: Float32Array): JsPackedWeights {
  const panels = new Float32Array(panelsLength(k, n));
  packPanelsInto(k, n, w, n, 1, panels);
  const h: JsPackedWeights = Object.freeze({ k, n, panels });
  PACKED.add(h);
  return h;
}

/**
 * The same product as gemmRows (same order, same bits) with R given as panels: 4x4 tiles whose 16
 * sums stay in registers across the whole reduction. Four rows of L are first copied to float64
 * side by side (xp), so both inner-loop streams are sequential.
 */
export function gemmPanels(
  rows: number,
  red: number,
  cols: number,
  L: Float32Array,
  lr: number,
  lt: number,
  panels: Float32Array,
  out: Float32Array,
  addRow: Float32Array | null,
  accumulate: boolean,
): void {
  const xp = xPanelFor(4 * red);
  for (let r = 0; r < rows; r += 4) {
    const nr = Math.min(4, rows - r);
    packLeftRows(L, r, nr, red, lr, lt, xp);
    for (let j = 0; j < cols; j += 4) {
      tile4x4(red, xp, panels, (j >> 2) * red * 4, tile);
      storeTile(r, nr, j, Math.min(4, cols - j), cols, out, addRow, accumulate);
    }
  }
}

/** xp[t * 4 + s] = L(r + s, t) for s < nr, 0 for the missing rows of the last block. */
function packLeftRows(L: Float32Array, r: number, nr: number, red: number, lr: number, lt: number, xp: Float64Array): void {
  if (nr < 4) xp.fill(0, 0, 4 * red);
  for (let s = 0; s < nr; s++) {
    let src = (r + s) * lr;
    for (let t = 0; t < red; t++, src += lt) xp[t * 4 + s] = L[src];
  }
}

/** The 16 sums of one tile, kept in locals (registers) across the whole reduction. */
function tile4x4(red: number, xp: Float64Array, wp: Float32Array, wo: number, t: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0, xo = 0; p < red; p++, xo += 4, wo += 4) {
    const a0 = xp[xo], a1 = xp[xo + 1], a2 = xp[xo + 2], a3 = xp[xo + 3];
    const b0 = wp[wo], b1 = wp[wo + 1], b2 = wp[wo + 2], b3 = wp[wo + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
}

/** Writes the valid nr x nc corner of the tile, adding the bias or old value as gemmRows does. */
function storeTile(
  r: number,
  nr: number,
  j: number,
  nc: number,
  cols: number,
  out: Float32Array,
  addRow: Float32Array | null,
  accumulate: boolean,
): void {
  for (let s = 0; s < nr; s++) {
    const o = (r + s) * cols + j;
    const a = s * 4;
    if (addRow !== null) for (let c = 0; c < nc; c++) out[o + c] = tile[a + c] + addRow[j + c];
    else if (accumulate) for (let c = 0; c < nc; c++) out[o + c] = tile[a + c] + out[o + c];
    else for (let c = 0; c < nc; c++) out[o + c] = tile[a + c];
  }
}

// ------------------------------------------------------------------ helpers for backward

/** wt [n x k] = w [k x n] transposed, in 8-row strips so that writes stay within a few lines. */
export function transposeInto(k: number, n: number, w: Float32Array, wt: Float32Array): void {
  for (let p0 = 0; p0 < k; p0 += 8) {
    const p1 = Math.min(k, p0 + 8);
    for (let j = 0; j < n; j++) {
      const dst = j * k;
      for (let p = p0; p < p1; p++) wt[dst + p] = w[p * n + j];
    }
  }
}

/** db[j] (+)= sum over rows i = 0..m-1 in order of dZ[i, j], in float64. */
export function columnSums(m: number, n: number, dZ: Float32Array, db: Float32Array, accumulate: boolean): void {
  const acc = rowAccFor(n);
  acc.fill(0, 0, n);
  for (let i = 0; i < m; i++) {
    const o = i * n;
    for (let j = 0; j < n; j++) acc[j] += dZ[o + j];
  }
  if (accumulate) for (let j = 0; j < n; j++) db[j] = acc[j] + db[j];
  else for (let j = 0; j < n; j++) db[j] = acc[j];
}
