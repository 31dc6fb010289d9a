/**
 * The TypeScript backend against the float64 reference (lib/reference.ts) and the spec's numeric
 * contract: every activation forward and backward, NaN and +-Infinity, in-place calls, odd lengths,
 * backward from the output, and the dense forward / backward against a naive float64 matmul.
 */
import { describe, expect, it } from 'vitest';
import { activation, activationLabel, type Activation, type ActivationSpec } from '../../lib/activation';
import { jsBackend } from '../../lib/backend/js';
import type { PackedHandle } from '../../lib/backend/types';
import { loadWasmBackend } from '../../lib/backend/wasm_node';
import {
  SPEC_TOL,
  describeWorst,
  maxError,
  paramsOf,
  refBackwardAll,
  refDerivative,
  refDerivativeFromOutput,
  refForward,
  refForwardAll,
  seededRandom,
  specGrid,
} from '../../lib/reference';

// ------------------------------------------------------------------ helpers

// With SMELU_BACKEND=wasm (the vitest project 'wasm') the same suite runs on the wasm backend.
const B = process.env.SMELU_BACKEND === 'wasm' ? loadWasmBackend() : jsBackend;

const CASES: Activation[] = [
  { kind: 'identity' },
  { kind: 'relu' },
  { kind: 'smelu', beta: 0 },
  { kind: 'smelu', beta: 0.5 },
  { kind: 'smelu', beta: 1 },
  { kind: 'smelu', beta: 4 },
  { kind: 'gsmelu' },
  { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 0.5, beta: 1.5, t: 0.2 },
  { kind: 'gsmelu', gNeg: -0.2, gPos: 2, alpha: -0.5, beta: 1.5, t: -1 },
  { kind: 'gsmelu', gNeg: 0.3, gPos: 0, alpha: 2, beta: 0.25, t: 0.5 },
  { kind: 'rescu2', beta: 0.5 },
  { kind: 'rescu2', beta: 1 },
  { kind: 'rescu2', beta: 3 },
  { kind: 'gelu' },
  { kind: 'gelu_tanh' },
  { kind: 'swish', beta: 0.5 },
  { kind: 'swish', beta: 1 },
  { kind: 'swish', beta: 4 },
  { kind: 'softplus', beta: 1, threshold: 20 },
  { kind: 'softplus', beta: 8, threshold: 20 },
  { kind: 'softplus', beta: 1, threshold: 5 },
  { kind: 'softplus', beta: 8, threshold: 5 },
  { kind: 'sigmoid' },
];

function forward(s: ActivationSpec, x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  B.actForward(s.code, s.params, x, y);
  return y;
}

function backward(s: ActivationSpec, z: Float32Array, dy: Float32Array): Float32Array {
  const dz = new Float32Array(z.length);
  B.actBackward(s.code, s.params, z, dy, dz);
  return dz;
}

function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rnd = seededRandom(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rnd();
  return a;
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ia = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ia.length; i++) if (ia[i] !== ib[i]) return false;
  return true;
}

/** Compares as values with +0 and -0 equal (x + 0 maps -0 to +0) and NaN equal to NaN (toBe). */
function plusZero(v: number): number {
  return v + 0;
}

function expectWithinSpec(label: string, xs: Float32Array, got: Float32Array, ref: Float64Array): void {
  expect(maxError(got, ref).err, describeWorst(label, xs, got, ref)).toBeLessThanOrEqual(SPEC_TOL);
}

// ------------------------------------------------------------------ activations

describe.each(CASES.map((c) => [activationLabel(c), c] as const))('%s', (label, desc) => {
  const s = activation(desc);
  const p = paramsOf(desc);
  const xs = specGrid(s.kind, p);

  it('forward is within the spec bound on the grid, random and edge points', () => {
    expectWithinSpec(`${label} forward`, xs, forward(s, xs), refForwardAll(s.kind, p, xs));
  });

  it('backward with dy = 1 gives f\'(x) within the bound', () => {
    const dz = backward(s, xs, ones(xs.length));
    expectWithinSpec(`${label} f'`, xs, dz, refBackwardAll(s.kind, p, xs));
  });

  it('backward with random dy gives dy * f\'(x) within the bound', () => {
    const dy = randomF32(xs.length, 7, -3, 3);
    for (let i = 0; i < dy.length; i += 11) dy[i] = 0;
    const dz = backward(s, xs, dy);
    expectWithinSpec(`${label} dy f'`, xs, dz, refBackwardAll(s.kind, p, xs, dy));
  });

  it('NaN in gives NaN out (forward, backward through z and through dy)', () => {
    const x = new Float32Array([NaN, 0.5, NaN, -2, NaN]);
    const y = forward(s, x);
    const dz = backward(s, x, ones(x.length));
    for (const i of [0, 2, 4]) {
      expect(y[i]).toBeNaN();
      expect(dz[i]).toBeNaN();
    }
    expect(y[1]).not.toBeNaN();
    const dzDy = backward(s, new Float32Array([0.5, 3]), new Float32Array([NaN, NaN]));
    expect(dzDy[0]).toBeNaN();
    expect(dzDy[1]).toBeNaN();
  });

  it('+-Infinity give the limits, and the derivatives there are the limit slopes (not NaN)', () => {
    const x = new Float32Array([-Infinity, Infinity, -Infinity, Infinity]);
    const y = forward(s, x);
    const dy = new Float32Array([1, 1, 0.5, -2]);
    const dz = backward(s, x, dy);
    for (let i = 0; i < x.length; i++) {
      expect(plusZero(y[i])).toBe(plusZero(Math.fround(refForward(s.kind, p, x[i]))));
      const slope = refDerivative(s.kind, p, x[i]);
      expect(Number.isNaN(slope)).toBe(false);
      expect(plusZero(dz[i])).toBe(plusZero(Math.fround(dy[i] * slope)));
    }
  });

  it('works exactly in place (y = x; dz = z; dz = dy) with the same bits', () => {
    const x = specGrid(s.kind, p, { step: 1 / 16, count: 500, seed: 3 });
    const dy = randomF32(x.length, 11, -2, 2);
    const yOut = forward(s, x);
    const dzOut = backward(s, x, dy);
    const inPlace = x.slice();
    B.actForward(s.code, s.params, inPlace, inPlace);
    expect(bitsEqual(inPlace, yOut)).toBe(true);
    const zCopy = x.slice();
    B.actBackward(s.code, s.params, zCopy, dy, zCopy);
    expect(bitsEqual(zCopy, dzOut)).toBe(true);
    const dyCopy = dy.slice();
    B.actBackward(s.code, s.params, x, dyCopy, dyCopy);
    expect(bitsEqual(dyCopy, dzOut)).toBe(true);
  });

  it.each([0, 1, 15, 17])('handles length %i (loop tails)', (n) => {
    const x = randomF32(n, 100 + n, -3, 3);
    const dy = randomF32(n, 200 + n, -1, 1);
    const y = forward(s, x);
    const dz = backward(s, x, dy);
    expect(y.length).toBe(n);
    expectWithinSpec(`${label} n=${n}`, x, y, refForwardAll(s.kind, p, x));
    expectWithinSpec(`${label} n=${n} backward`, x, dz, refBackwardAll(s.kind, p, x, dy));
  });

  it('is deterministic: the same inputs give the same bits', () => {
    const dy = randomF32(xs.length, 5);
    expect(bitsEqual(forward(s, xs), forward(s, xs))).toBe(true);
    expect(bitsEqual(backward(s, xs, dy), backward(s, xs, dy))).toBe(true);
  });
});

describe('activation special properties', () => {
  it('smelu with beta = 0 is bitwise ReLU, forward and backward', () => {
    const relu = activation('relu');
    const s0 = activation({ kind: 'smelu', beta: 0 });
    const xs = specGrid('relu', relu.params);
    const dy = randomF32(xs.length, 9, -2, 2);
    expect(bitsEqual(forward(s0, xs), forward(relu, xs))).toBe(true);
    expect(bitsEqual(backward(s0, xs, dy), backward(relu, xs, dy))).toBe(true);
  });

  it('relu\'(0) = 0, and f\' = 0 times any finite dy gives 0', () => {
    const relu = activation('relu');
    const smelu = activation({ kind: 'smelu', beta: 1 });
    const z = new Float32Array([0, -0, -1, -5, -1e30]);
    const dy = new Float32Array([1, -3, 1e30, -1e30, 3.4e38]);
    for (const s of [relu, smelu]) {
      const dz = backward(s, z.subarray(s === relu ? 0 : 2), dy.subarray(s === relu ? 0 : 2));
      for (const v of dz) expect(v === 0).toBe(true); // +0 or -0 (dy * 0 keeps dy's sign)
    }
  });

  it('smelu is exactly 0 left of -beta and exactly x right of beta (sparsity kept)', () => {
    for (const beta of [0.5, 1, 4]) {
      const s = activation({ kind: 'smelu', beta });
      const xs = specGrid('smelu', s.params);
      const y = forward(s, xs);
      const dz = backward(s, xs, ones(xs.length));
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] <= -beta) {
          expect(y[i]).toBe(0);
          expect(dz[i]).toBe(0);
        } else if (xs[i] >= beta) {
          expect(y[i]).toBe(xs[i]);
          expect(dz[i]).toBe(1);
        }
      }
    }
  });

  it('gsmelu with gNeg 0, gPos 1, alpha = beta, t 0 is SmeLU', () => {
    for (const beta of [0.5, 1, 4]) {
      const g = activation({ kind: 'gsmelu', gNeg: 0, gPos: 1, alpha: beta, beta, t: 0 });
      const sp = paramsOf({ kind: 'smelu', beta });
      const xs = specGrid('smelu', sp);
      expectWithinSpec(`gsmelu=smelu(${beta})`, xs, forward(g, xs), refForwardAll('smelu', sp, xs));
      expectWithinSpec(`gsmelu'=smelu'(${beta})`, xs, backward(g, xs, ones(xs.length)), refBackwardAll('smelu', sp, xs));
    }
  });

  it('softplus above its threshold is exactly x with slope 1', () => {
    const s = activation({ kind: 'softplus', beta: 1, threshold: 5 });
    const x = new Float32Array([5.5, 6, 30, 1e10]);
    expect(Array.from(forward(s, x))).toEqual(Array.from(x));
    expect(Array.from(backward(s, x, ones(4)))).toEqual([1, 1, 1, 1]);
  });

  it('parameters too small or too large for float32 kernels are refused before any backend runs', () => {
    const extreme: Activation[] = [
      { kind: 'smelu', beta: 1e-300 },
      { kind: 'smelu', beta: 1e200 },
      { kind: 'rescu2', beta: 1e-160 },
      { kind: 'gsmelu', gNeg: 0.1, gPos: 2, alpha: 0, beta: 1e-310, t: 0.5 },
      { kind: 'gsmelu', gNeg: 0.1, gPos: 2, alpha: 1e-140, beta: 1e-140, t: 0.5 },
    ];
    for (const desc of extreme) expect(() => activation(desc), JSON.stringify(desc)).toThrow(RangeError);
    // The edges of the accepted range still meet the spec (in float64 parameters: the kernel
    // backends round beta to float32 first, and 1e30 moves by 1.5e22, as on native).
    if (B.name !== 'js') return;
    for (const desc of [{ kind: 'smelu', beta: 1e-30 }, { kind: 'rescu2', beta: 1e30 }] as Activation[]) {
      const s = activation(desc);
      const xs = specGrid(s.kind, s.params, { step: 1 / 8, count: 300 });
      expectWithinSpec(`${activationLabel(desc)} forward`, xs, forward(s, xs), refForwardAll(s.kind, s.params, xs));
    }
  });

  it('rejects an unknown activation code', () => {
    const x = new Float32Array(2);
    expect(() => B.actForward(99, new Float64Array(5), x, x)).toThrow(RangeError);
    expect(() => B.actBackward(-1, new Float64Array(5), x, x, x)).toThrow(RangeError);
  });
});

describe.each([
  { kind: 'relu' },
  { kind: 'smelu', beta: 0 },
  { kind: 'smelu', beta: 0.5 },
  { kind: 'smelu', beta: 1 },
  { kind: 'smelu', beta: 4 },
] as Activation[])('backward from the output, %o', (desc) => {
  const s = activation(desc);
  const p = paramsOf(desc);
  const xs = specGrid(s.kind, p);

  it('equals dy * f\'(x) within the bound, from y = f(x) alone', () => {
    const y = forward(s, xs);
    const dy = randomF32(xs.length, 21, -3, 3);
    const dz = new Float32Array(xs.length);
    B.actBackwardFromOutput(s.code, s.params, y, dy, dz);
    expectWithinSpec(`${activationLabel(desc)} from y`, xs, dz, refBackwardAll(s.kind, p, xs, dy));
    const dz1 = new Float32Array(xs.length);
    B.actBackwardFromOutput(s.code, s.params, y, ones(xs.length), dz1);
    expectWithinSpec(`${activationLabel(desc)} f' from y`, xs, dz1, refBackwardAll(s.kind, p, xs));
  });

  it('matches the spec formula from y, handles NaN / +Inf and works in place', () => {
    const y = new Float32Array([NaN, Infinity, 0, -0, 1e-40, 0.1, 0.3, 2, 5, 3e38]);
    const dy = randomF32(y.length, 4, 0.5, 2);
    const dz = new Float32Array(y.length);
    B.actBackwardFromOutput(s.code, s.params, y, dy, dz);
    expect(dz[0]).toBeNaN();
    for (let i = 1; i < y.length; i++) {
      const ref = dy[i] * refDerivativeFromOutput(s.kind as 'relu' | 'smelu', p, y[i]);
      expect(Math.abs(dz[i] - ref)).toBeLessThanOrEqual(SPEC_TOL * Math.max(1, Math.abs(ref)));
    }
    const yCopy = y.slice();
    B.actBackwardFromOutput(s.code, s.params, yCopy, dy, yCopy);
    const dyCopy = dy.slice();
    B.actBackwardFromOutput(s.code, s.params, y, dyCopy, dyCopy);
    const same = (a: Float32Array) => a.every((v, i) => Object.is(v, dz[i]) || (v !== v && dz[i] !== dz[i]));
    expect(same(yCopy)).toBe(true);
    expect(same(dyCopy)).toBe(true);
  });
});

describe('backward from the output, other kinds', () => {
  it('throws for kinds that need z', () => {
    const x = new Float32Array(3);
    for (const k of ['identity', 'gsmelu', 'gelu', 'swish'] as const) {
      const s = activation(k);
      expect(() => B.actBackwardFromOutput(s.code, s.params, x, x, x)).toThrow(RangeError);
    }
  });
});

// ------------------------------------------------------------------ dense

interface DenseRef {
  z: Float64Array;
  /** Sum of |x w| + |b| per output: the scale of the rounding error of z. */
  mag: Float64Array;
}

function matmulRef(m: number, k: number, n: number, x: Float32Array, w: Float32Array, b: Float32Array | null): DenseRef {
  const z = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = b ? b[j] : 0;
      let a = b ? Math.abs(b[j]) : 0;
      for (let p = 0; p < k; p++) {
        const t = x[i * k + p] * w[p * n + j];
        s += t;
        a += Math.abs(t);
      }
      z[i * n + j] = s;
      mag[i * n + j] = a;
    }
  }
  return { z, mag };
}

/**
 * Float64 accumulation then one float32 rounding: the error is a rounding of each term at most.
 * The wasm backend sums in float32 (one rounding per product and per add over k <= 64 terms).
 */
const FLOAT32_CHAIN_REL = 2 * 65 * 2 ** -24;
function expectClose(label: string, got: Float32Array, ref: Float64Array, mag: Float64Array, rel = 2e-7): void {
  for (let i = 0; i < got.length; i++) {
    const tol = (B.name === 'js' ? rel : FLOAT32_CHAIN_REL) * mag[i] + 1e-38;
    if (!(Math.abs(got[i] - ref[i]) <= tol)) {
      expect.fail(`${label}[${i}]: got ${got[i]}, ref ${ref[i]}, tol ${tol}`);
    }
  }
}

const SIZES = [1, 3, 17, 64];
const SHAPES: [number, number, number][] = [];
for (const m of SIZES) for (const k of SIZES) for (const n of SIZES) SHAPES.push([m, k, n]);
const DENSE_ACTS: Activation[] = [{ kind: 'identity' }, { kind: 'relu' }, { kind: 'smelu', beta: 0.5 }, { kind: 'gelu' }];

describe('dense forward', () => {
  it.each(SHAPES)('m=%i k=%i n=%i: z = x W + b, y = f(z); packed, raw, with/without bias and z agree', (m, k, n) => {
    const seed = m * 10007 + k * 101 + n;
    const x = randomF32(m * k, seed, -2, 2);
    const w = randomF32(k * n, seed + 1, -1, 1);
    const bias = randomF32(n, seed + 2, -1, 1);
    const packed = B.packWeights(k, n, w);
    expect(packed.k).toBe(k);
    expect(packed.n).toBe(n);
    const s = activation(DENSE_ACTS[seed % DENSE_ACTS.length]);
    for (const b of [bias, null]) {
      const ref = matmulRef(m, k, n, x, w, b);
      const y = new Float32Array(m * n);
      const z = new Float32Array(m * n);
      B.denseForward({ m, k, n, x, w, b, code: s.code, params: s.params, y, z });
      expectClose(`z (bias ${b !== null})`, z, ref.z, ref.mag);
      // y is exactly the elementwise activation of the stored z.
      expect(bitsEqual(y, forward(s, z))).toBe(true);
      // Without z, with a packed W: the same bits.
      const y2 = new Float32Array(m * n).fill(NaN);
      B.denseForward({ m, k, n, x, w: packed, b, code: s.code, params: s.params, y: y2, z: null });
      expect(bitsEqual(y2, y)).toBe(true);
      const z3 = new Float32Array(m * n);
      const y3 = new Float32Array(m * n);
      B.denseForward({ m, k, n, x, w: packed, b, code: s.code, params: s.params, y: y3, z: z3 });
      expect(bitsEqual(z3, z)).toBe(true);
      expect(bitsEqual(y3, y)).toBe(true);
    }
  });

  it('identity with z given copies z into y', () => {
    const s = activation('identity');
    const x = randomF32(6, 1);
    const w = randomF32(6, 2);
    const y = new Float32Array(4);
    const z = new Float32Array(4);
    B.denseForward({ m: 2, k: 3, n: 2, x, w, b: null, code: s.code, params: s.params, y, z });
    expect(Array.from(y)).toEqual(Array.from(z));
  });

  it('packWeights copies W: later changes to W do not reach the handle', () => {
    const s = activation('identity');
    const w = randomF32(12, 3);
    const x = randomF32(8, 4);
    const packed = B.packWeights(3, 4, w);
    const before = new Float32Array(8);
    B.denseForward({ m: 2, k: 3, n: 4, x, w: packed, b: null, code: s.code, params: s.params, y: before, z: null });
    w.fill(100);
    const after = new Float32Array(8);
    B.denseForward({ m: 2, k: 3, n: 4, x, w: packed, b: null, code: s.code, params: s.params, y: after, z: null });
    expect(bitsEqual(after, before)).toBe(true);
  });

  it('refuses a handle that packWeights did not make', () => {
    const s = activation('relu');
    const fake: PackedHandle = { k: 2, n: 2 };
    const y = new Float32Array(2);
    expect(() => B.denseForward({ m: 1, k: 2, n: 2, x: new Float32Array(2), w: fake, b: null, code: s.code, params: s.params, y, z: null })).toThrow(TypeError);
  });

  it('handles k = 0 (z = b) and m = 0 (nothing to do)', () => {
    const s = activation('relu');
    const b = new Float32Array([1, -2, 3]);
    const y = new Float32Array(6).fill(NaN);
    B.denseForward({ m: 2, k: 0, n: 3, x: new Float32Array(0), w: new Float32Array(0), b, code: s.code, params: s.params, y, z: null });
    expect(Array.from(y)).toEqual([1, 0, 3, 1, 0, 3]);
    B.denseForward({ m: 0, k: 4, n: 3, x: new Float32Array(0), w: new Float32Array(12), b, code: s.code, params: s.params, y: new Float32Array(0), z: null });
  });
});

interface BackwardRef {
  dx: Float64Array;
  dxMag: Float64Array;
  dW: Float64Array;
  dWMag: Float64Array;
  db: Float64Array;
  dbMag: Float64Array;
}

/** Naive float64 backward: dZ = dy f'(z), dx = dZ W^T, dW = old + x^T dZ, db = old + sum dZ. */
function backwardRef(
  m: number,
  k: number,
  n: number,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  zRef: ArrayLike<number>,
  s: ActivationSpec,
  dWOld: Float32Array | null,
  dbOld: Float32Array | null,
): BackwardRef {
  const dZ = new Float64Array(m * n);
  for (let i = 0; i < m * n; i++) dZ[i] = dy[i] * refDerivative(s.kind, s.params, zRef[i]);
  const r: BackwardRef = {
    dx: new Float64Array(m * k),
    dxMag: new Float64Array(m * k),
    dW: new Float64Array(k * n),
    dWMag: new Float64Array(k * n),
    db: new Float64Array(n),
    dbMag: new Float64Array(n),
  };
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++)
      for (let j = 0; j < n; j++) {
        const t = dZ[i * n + j] * w[p * n + j];
        r.dx[i * k + p] += t;
        r.dxMag[i * k + p] += Math.abs(t);
      }
  for (let p = 0; p < k; p++)
    for (let j = 0; j < n; j++) {
      let sum = dWOld ? dWOld[p * n + j] : 0;
      let mag = Math.abs(sum);
      for (let i = 0; i < m; i++) {
        const t = x[i * k + p] * dZ[i * n + j];
        sum += t;
        mag += Math.abs(t);
      }
      r.dW[p * n + j] = sum;
      r.dWMag[p * n + j] = mag;
    }
  for (let j = 0; j < n; j++) {
    let sum = dbOld ? dbOld[j] : 0;
    let mag = Math.abs(sum);
    for (let i = 0; i < m; i++) {
      sum += dZ[i * n + j];
      mag += Math.abs(dZ[i * n + j]);
    }
    r.db[j] = sum;
    r.dbMag[j] = mag;
  }
  return r;
}

const BACKWARD_ACTS: Activation[] = [{ kind: 'relu' }, { kind: 'smelu', beta: 0.5 }, { kind: 'smelu', beta: 2 }, { kind: 'identity' }, { kind: 'swish' }];

describe('dense backward', () => {
  it.each(SHAPES)('m=%i k=%i n=%i: dx, dW, db against float64, accumulate on/off, saved z or y', (m, k, n) => {
    const seed = m * 7919 + k * 31 + n;
    const x = randomF32(m * k, seed, -2, 2);
    const w = randomF32(k * n, seed + 1, -1, 1);
    const bias = randomF32(n, seed + 2, -1, 1);
    const dy = randomF32(m * n, seed + 3, -1, 1);
    const s = activation(BACKWARD_ACTS[seed % BACKWARD_ACTS.length]);
    const y = new Float32Array(m * n);
    const z = new Float32Array(m * n);
    B.denseForward({ m, k, n, x, w, b: bias, code: s.code, params: s.params, y, z });
    const savedModes = s.backwardFromOutput ? [false, true] : [false];
    for (const savedIsOutput of savedModes) {
      for (const accumulate of [false, true]) {
        const dWOld = randomF32(k * n, seed + 4, -1, 1);
        const dbOld = randomF32(n, seed + 5, -1, 1);
        const ref = backwardRef(m, k, n, x, w, dy, z, s, accumulate ? dWOld : null, accumulate ? dbOld : null);
        // Without accumulate the old contents must not matter: start from NaN.
        const dx = new Float32Array(m * k).fill(NaN);
        const dW = accumulate ? dWOld.slice() : new Float32Array(k * n).fill(NaN);
        const db = accumulate ? dbOld.slice() : new Float32Array(n).fill(NaN);
        const saved = savedIsOutput ? y : z;
        B.denseBackward({ m, k, n, x, w, dy, saved, savedIsOutput, code: s.code, params: s.params, dx, dW, db, accumulate });
        const tag = `${s.kind} saved=${savedIsOutput ? 'y' : 'z'} acc=${accumulate}`;
        // dZ is rounded to float32 once (and from y it goes through sqrt): allow 1e-6 of the scale.
        expectClose(`dx ${tag}`, dx, ref.dx, ref.dxMag, 1e-6);
        expectClose(`dW ${tag}`, dW, ref.dW, ref.dWMag, 1e-6);
        expectClose(`db ${tag}`, db, ref.db, ref.dbMag, 1e-6);
      }
    }
  });

  it('dx and db may be null; dW alone is computed the same way', () => {
    const [m, k, n] = [17, 3, 64];
    const s = activation({ kind: 'smelu', beta: 1 });
    const x = randomF32(m * k, 1, -2, 2);
    const w = randomF32(k * n, 2);
    const dy = randomF32(m * n, 3);
    const z = randomF32(m * n, 4, -2, 2);
    const full = { dx: new Float32Array(m * k), dW: new Float32Array(k * n), db: new Float32Array(n) };
    B.denseBackward({ m, k, n, x, w, dy, saved: z, savedIsOutput: false, code: s.code, params: s.params, dx: full.dx, dW: full.dW, db: full.db, accumulate: false });
    const dW = new Float32Array(k * n);
    B.denseBackward({ m, k, n, x, w, dy, saved: z, savedIsOutput: false, code: s.code, params: s.params, dx: null, dW, db: null, accumulate: false });
    expect(bitsEqual(dW, full.dW)).toBe(true);
  });

  it('is deterministic and accumulate adds onto the previous dW and db', () => {
    const [m, k, n] = [64, 17, 17];
    const s = activation({ kind: 'smelu', beta: 1 });
    const x = randomF32(m * k, 5, -2, 2);
    const w = randomF32(k * n, 6);
    const dy = randomF32(m * n, 7);
    const y = new Float32Array(m * n);
    B.denseForward({ m, k, n, x, w, b: null, code: s.code, params: s.params, y, z: null });
    const run = () => {
      const out = { dx: new Float32Array(m * k), dW: new Float32Array(k * n), db: new Float32Array(n) };
      B.denseBackward({ m, k, n, x, w, dy, saved: y, savedIsOutput: true, code: s.code, params: s.params, dx: out.dx, dW: out.dW, db: out.db, accumulate: false });
      return out;
    };
    const a = run();
    const b = run();
    expect(bitsEqual(a.dx, b.dx) && bitsEqual(a.dW, b.dW) && bitsEqual(a.db, b.db)).toBe(true);
    const dW = a.dW.slice();
    const db = a.db.slice();
    B.denseBackward({ m, k, n, x, w, dy, saved: y, savedIsOutput: true, code: s.code, params: s.params, dx: null, dW, db, accumulate: true });
    // float32 backends continue the chain from dW: one rounding per add (relative 6e-8 each).
    const digits = B.name === 'js' ? 5 : 4;
    for (let i = 0; i < dW.length; i++) expect(dW[i]).toBeCloseTo(2 * a.dW[i], digits);
    for (let j = 0; j < n; j++) expect(db[j]).toBeCloseTo(2 * a.db[j], digits);
  });

  it('m = 0 gives zero gradients for W and b (or leaves them when accumulating)', () => {
    const s = activation('relu');
    const dW = new Float32Array(6).fill(NaN);
    const db = new Float32Array(3).fill(NaN);
    const e = new Float32Array(0);
    B.denseBackward({ m: 0, k: 2, n: 3, x: e, w: new Float32Array(6), dy: e, saved: e, savedIsOutput: false, code: s.code, params: s.params, dx: e, dW, db, accumulate: false });
    expect(Array.from(dW)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(db)).toEqual([0, 0, 0]);
    const dW2 = new Float32Array([1, 2, 3, 4, 5, 6]);
    B.denseBackward({ m: 0, k: 2, n: 3, x: e, w: new Float32Array(6), dy: e, saved: e, savedIsOutput: false, code: s.code, params: s.params, dx: null, dW: dW2, db: null, accumulate: true });
    expect(Array.from(dW2)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

// ------------------------------------------------------------------ backend surface

describe('backend surface', () => {
  it('info, setIsa and setThreads', () => {
    const tier = B.info().isa;
    if (B.name === 'js') expect(B.info()).toEqual({ backend: 'js', isa: 'js', supportedIsas: ['js'], threads: 1, compiler: '' });
    else expect(B.info()).toMatchObject({ backend: 'wasm', isa: 'wasm-simd128', supportedIsas: ['wasm-simd128'] });
    expect(B.setIsa(tier)).toBe(true);
    for (const isa of ['scalar', 'avx2', 'avx512', 'neon'] as const) expect(B.setIsa(isa)).toBe(false);
    B.setThreads(4);
    expect(B.info().threads).toBe(B.name === 'js' ? 1 : 4);
    B.setThreads(1);
  });

  it('async variants compute the same bits and reject on errors', async () => {
    const [m, k, n] = [3, 17, 5];
    const s = activation({ kind: 'smelu', beta: 1 });
    const x = randomF32(m * k, 1);
    const w = randomF32(k * n, 2);
    const b = randomF32(n, 3);
    const ySync = new Float32Array(m * n);
    const zSync = new Float32Array(m * n);
    B.denseForward({ m, k, n, x, w, b, code: s.code, params: s.params, y: ySync, z: zSync });
    const yAsync = new Float32Array(m * n);
    const zAsync = new Float32Array(m * n);
    await B.denseForwardAsync({ m, k, n, x, w, b, code: s.code, params: s.params, y: yAsync, z: zAsync });
    expect(bitsEqual(yAsync, ySync)).toBe(true);

    const dy = randomF32(m * n, 4);
    const mk = () => ({ dx: new Float32Array(m * k), dW: new Float32Array(k * n), db: new Float32Array(n) });
    const g1 = mk();
    const g2 = mk();
    B.denseBackward({ m, k, n, x, w, dy, saved: zSync, savedIsOutput: false, code: s.code, params: s.params, dx: g1.dx, dW: g1.dW, db: g1.db, accumulate: false });
    await B.denseBackwardAsync({ m, k, n, x, w, dy, saved: zSync, savedIsOutput: false, code: s.code, params: s.params, dx: g2.dx, dW: g2.dW, db: g2.db, accumulate: false });
    expect(bitsEqual(g1.dx, g2.dx) && bitsEqual(g1.dW, g2.dW) && bitsEqual(g1.db, g2.db)).toBe(true);

    const fake: PackedHandle = { k, n };
    await expect(B.denseForwardAsync({ m, k, n, x, w: fake, b, code: s.code, params: s.params, y: yAsync, z: null })).rejects.toThrow(TypeError);
  });
});
