/**
 * The pure TypeScript backend: used when the native addon is missing or SMELU_BACKEND=js.
 * Same semantics as the native tiers (docs/activations.md), one thread, float64 arithmetic inside
 * with float32 storage. Kernels live in ./js_kernels (act.ts, gemm.ts); this file wires them to the
 * Backend contract of ./types.
 */
import { ACTIVATION_CODES } from './types';
import { actBackward, actBackwardFromOutput, actForward } from './js_kernels/act';
import {
  columnSums,
  gemmPanels,
  gemmRows,
  isJsPacked,
  packPanelsInto,
  packWeightsJs,
  panelsLength,
  transposeInto,
} from './js_kernels/gemm';
import { optimStep } from './js_kernels/optim';
import { plainBlock } from './blocks';
import type { Backend, BackendInfo, DenseBackwardCall, DenseForwardCall, IsaTier, PackedHandle } from './types';

/**
 * From this many output rows on, the right operand is packed into panels for the tile kernel:
 * the copy costs about as much as 10-15 rows of products and the tiles are ~1.5x faster.
 */
const PACK_MIN_ROWS = 16;

/** Grow-only float32 scratch (dZ, packed panels, W transposed), reused across training steps. */
let dzScratch = new Float32Array(0);
let panelScratch = new Float32Array(0);
let wtScratch = new Float32Array(0);

function dzFor(size: number): Float32Array {
  if (dzScratch.length < size) dzScratch = new Float32Array(size);
  return dzScratch.subarray(0, size);
}

function panelsFor(size: number): Float32Array {
  if (panelScratch.length < size) panelScratch = new Float32Array(size);
  return panelScratch;
}

function wtFor(size: number): Float32Array {
  if (wtScratch.length < size) wtScratch = new Float32Array(size);
  return wtScratch;
}

/**
 * out [rows x cols] (op)= L R, L(r, t) = L[r lr + t lt], R(t, j) = R[t rt + j rj], red = inner size:
 * the tile kernel over R packed on the fly when rows are many, else the streaming kernel (which
 * needs R row-major: a transposed R is copied first). Both give the same bits.
 */
function product(
  rows: number,
  red: number,
  cols: number,
  L: Float32Array,
  lr: number,
  lt: number,
  R: Float32Array,
  rt: number,
  rj: number,
  out: Float32Array,
  addRow: Float32Array | null,
  accumulate: boolean,
): void {
  if (rows >= PACK_MIN_ROWS) {
    const panels = panelsFor(panelsLength(red, cols));
    packPanelsInto(red, cols, R, rt, rj, panels);
    gemmPanels(rows, red, cols, L, lr, lt, panels, out, addRow, accumulate);
  } else if (rj === 1) {
    gemmRows(rows, red, cols, L, lr, lt, R, out, addRow, accumulate);
  } else {
    // Here rt = 1 and rj = red: R is W [cols x red] transposed (dx = dZ W^T).
    const wt = wtFor(red * cols);
    transposeInto(cols, red, R, wt);
    gemmRows(rows, red, cols, L, lr, lt, wt, out, addRow, accumulate);
  }
}

function denseForward({ m, k, n, x, w, b, code, params, y, z }: DenseForwardCall): void {
  // The pre-activation goes to z when kept, else straight into y and is activated in place, so
  // y is always exactly actForward(z): the same bits as the elementwise path.
  const pre = z ?? y;
  if (w instanceof Float32Array) product(m, k, n, x, k, 1, w, n, 1, pre, b, false);
  else if (isJsPacked(w)) gemmPanels(m, k, n, x, k, 1, w.panels, pre, b, false);
  else throw new TypeError('js backend: W must be a Float32Array or a handle from jsBackend.packWeights');
  if (pre === y && code === ACTIVATION_CODES.identity) return;
  const mn = m * n;
  actForward(code, params, pre.length === mn ? pre : pre.subarray(0, mn), y.length === mn ? y : y.subarray(0, mn));
}

function denseBackward(c: DenseBackwardCall): void {
  const { m, k, n, x, w, dy, saved, savedIsOutput, code, params, dx, dW, db, accumulate } = c;
  const mn = m * n;
  const dZ = dzFor(mn);
  const s = saved.subarray(0, mn);
  const g = dy.subarray(0, mn);
  if (savedIsOutput) actBackwardFromOutput(code, params, s, g, dZ);
  else actBackward(code, params, s, g, dZ);
  if (db !== null) columnSums(m, n, dZ, db, accumulate);
  // dW [k x n] = x^T dZ: x read transposed (row stride 1, reduction stride k); the batch rows are
  // summed 0..m-1 in order for every element.
  product(k, m, n, x, 1, k, dZ, n, 1, dW, null, accumulate);
  // dx [m x k] = dZ W^T: R(t, j) = W[j, t], i.e. row stride 1 and column stride n.
  if (dx !== null) product(m, n, k, dZ, n, 1, w, 1, n, dx, null, false);
}

export const jsBackend: Backend = {
  name: 'js',

  info(): BackendInfo {
    return { backend: 'js', isa: 'js', supportedIsas: ['js'], threads: 1, compiler: '' };
  },

  /** Only the 'js' tier exists here. */
  setIsa(isa: IsaTier): boolean {
    return isa === 'js';
  },

  /** Single-threaded: the thread count does not change anything (results never depend on it). */
  setThreads(_n: number): void {},

  actForward,
  actBackward,
  actBackwardFromOutput,
  denseForward,
  denseBackward,
  optimStep,
  allocArray: plainBlock,

  packWeights(k: number, n: number, w: Float32Array): PackedHandle {
    return packWeightsJs(k, n, w);
  },

  // No worker threads: compute now, and report errors as a rejected promise like the native path.
  async denseForwardAsync(c: DenseForwardCall): Promise<void> {
    denseForward(c);
  },

  async denseBackwardAsync(c: DenseBackwardCall): Promise<void> {
    denseBackward(c);
  },
};
