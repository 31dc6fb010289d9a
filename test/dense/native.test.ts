/**
 * The native fused dense layer (packed GEMM + epilogue, every ISA tier, the thread pool) through
 * the public API: accuracy against float64 for every activation, the determinism contract (the
 * same bits for every tier, thread count, run, sync or async, packed or not), packWeights, and a
 * finite-difference gradient check of a two-layer network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIVATION_KINDS,
  activation,
  denseBackward,
  denseBackwardAsync,
  denseForward,
  denseForwardAsync,
  getThreads,
  info,
  packWeights,
  setIsa,
  setThreads,
  type Activation,
  type ActivationKind,
  type ActivationSpec,
  type IsaTier,
} from '../../lib/index';
import { refDerivative, refForward, seededRandom } from '../../lib/reference';
import { rawAddon } from '../reliability/helpers/env';

// The kernel backends: the native addon, or its WebAssembly build (run with SMELU_BACKEND=wasm).
const native = info().backend === 'native' || info().backend === 'wasm';
const tiers: IsaTier[] = native ? info().supportedIsas.filter((t) => t !== 'js') : [];
const bestTier = tiers[tiers.length - 1];
const defaultThreads = getThreads();

/** One descriptor per kind, with non-default parameters where a kind has any. */
const DESCRIPTORS: Record<ActivationKind, Activation> = {
  identity: { kind: 'identity' },
  relu: { kind: 'relu' },
  smelu: { kind: 'smelu', beta: 0.75 },
  gsmelu: { kind: 'gsmelu', gNeg: 0.1, gPos: 1.2, alpha: 0.5, beta: 1.5, t: 0.2 },
  rescu2: { kind: 'rescu2', beta: 0.8 },
  gelu: { kind: 'gelu' },
  gelu_tanh: { kind: 'gelu_tanh' },
  swish: { kind: 'swish', beta: 1.5 },
  softplus: { kind: 'softplus', beta: 2, threshold: 10 },
  sigmoid: { kind: 'sigmoid' },
};
const SPECS: ActivationSpec[] = ACTIVATION_KINDS.map((k) => activation(DESCRIPTORS[k]));
/** Largest |f'| over the descriptors above (gsmelu's gPos; gelu and swish overshoot 1 a little). */
const MAX_SLOPE = 1.5;
const EPS32 = 2 ** -24;

/** The sizes of the issue, sampled so that each of them appears in every position (m, k and n). */
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 513, 255],
  [3, 17, 513],
  [17, 255, 3],
  [64, 64, 64],
  [255, 3, 17],
  [513, 1, 64],
  [17, 513, 17],
  [64, 255, 513],
  [513, 64, 255],
  [255, 513, 1],
  [3, 3, 3],
  [513, 17, 3],
];

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * r() - 1) * scale;
  return a;
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Index of the first differing bit pattern, or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = bits(a);
  const y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

function expectSameBits(got: Float32Array, want: Float32Array, what: string): void {
  const i = firstDiff(got, want);
  if (i >= 0) expect.fail(`${what}: [${i}] ${got[i]} != ${want[i]}`);
}

/** z = x W + b in float64, and the scale sum_p |x||w| + |b| of each element's rounding error. */
function refAffine(m: number, k: number, n: number, x: Float32Array, w: Float32Array, b: Float32Array | null) {
  const z = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const xv = x[i * k + p];
      const ax = Math.abs(xv);
      for (let j = 0; j < n; j++) {
        z[i * n + j] += xv * w[p * n + j];
        scale[i * n + j] += ax * Math.abs(w[p * n + j]);
      }
    }
    if (b) {
      for (let j = 0; j < n; j++) {
        z[i * n + j] += b[j];
        scale[i * n + j] += Math.abs(b[j]);
      }
    }
  }
  return { z, scale };
}

/** The worst |got - ref| / tol; <= 1 passes. */
function worstRatio(got: ArrayLike<number>, ref: ArrayLike<number>, tol: (i: number) => number): { ratio: number; at: number } {
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.abs(got[i] - ref[i]) / tol(i);
    if (!(r <= ratio)) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, at };
}

function useTier(t: IsaTier, threads: number): void {
  setIsa(t);
  setThreads(threads);
}

describe.skipIf(!native)('native dense: accuracy against float64', () => {
  afterAll(() => useTier(bestTier, defaultThreads));

  it.each(SHAPES)('forward m=%i k=%i n=%i, every activation, with and without bias', (m, k, n) => {
    const x = randomArray(m * k, m * 7 + k);
    const W = randomArray(k * n, k * 11 + n, 1 / Math.sqrt(k));
    for (const withBias of [false, true]) {
      const b = withBias ? randomArray(n, n + 3, 0.5) : null;
      const { z: z64, scale } = refAffine(m, k, n, x, W, b);
      const zTol = (i: number) => (k + 2) * EPS32 * scale[i] + 1e-30;
      for (const spec of SPECS) {
        const z = new Float32Array(m * n);
        const { y } = denseForward({ x, W, b, m, k, n, activation: spec, zOut: z });
        const zr = worstRatio(z, z64, zTol);
        expect(zr.ratio, `z ${spec.kind} bias=${withBias} at ${zr.at}`).toBeLessThanOrEqual(1);
        const yRef = Array.from(z64, (v) => refForward(spec.kind, spec.params, v));
        const yr = worstRatio(y, yRef, (i) => MAX_SLOPE * zTol(i) + 1e-6 * Math.max(1, Math.abs(yRef[i])));
        expect(yr.ratio, `y ${spec.kind} bias=${withBias} at ${yr.at}: ${y[yr.at]} vs ${yRef[yr.at]}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it.each(SHAPES.filter(([m, k, n]) => m * k * n <= 3e6))('backward m=%i k=%i n=%i, every activation', (m, k, n) => {
    const x = randomArray(m * k, m + 5 * k);
    const W = randomArray(k * n, 3 * k + n, 1 / Math.sqrt(k));
    const b = randomArray(n, n, 0.5);
    const dy = randomArray(m * n, m * n + 1);
    SPECS.forEach((spec, s) => {
      const z = new Float32Array(m * n);
      denseForward({ x, W, b, m, k, n, activation: spec, zOut: z });
      const dz = Float64Array.from(z, (v, i) => dy[i] * refDerivative(spec.kind, spec.params, v));
      // The float32 derivative may be off by the spec's 1e-6 * max(1, |f'|) per element.
      const dzScale = Float64Array.from(z, (v, i) => Math.abs(dy[i]) * Math.max(1, Math.abs(refDerivative(spec.kind, spec.params, v))));
      const accumulate = s % 2 === 1;
      const dW0 = randomArray(k * n, s + 17);
      const db0 = randomArray(n, s + 19);
      const dW = accumulate ? dW0.slice() : undefined;
      const db = accumulate ? db0.slice() : undefined;
      const omitDx = s % 3 === 2;
      const r = denseBackward({ x, W, dy, z, m, k, n, activation: spec, dW, db, accumulate, dx: omitDx ? false : undefined });
      if (omitDx) expect(r.dx).toBeUndefined();
      else {
        const dxRef = new Float64Array(m * k);
        const dxScale = new Float64Array(m * k);
        for (let i = 0; i < m; i++)
          for (let p = 0; p < k; p++)
            for (let j = 0; j < n; j++) {
              dxRef[i * k + p] += dz[i * n + j] * W[p * n + j];
              dxScale[i * k + p] += dzScale[i * n + j] * Math.abs(W[p * n + j]);
            }
        const e = worstRatio(r.dx!, dxRef, (i) => (n + 20) * EPS32 * dxScale[i] + 1e-30);
        expect(e.ratio, `dx ${spec.kind} at ${e.at}`).toBeLessThanOrEqual(1);
      }
      const dWRef = new Float64Array(k * n);
      const dWScale = new Float64Array(k * n);
      for (let p = 0; p < k; p++)
        for (let j = 0; j < n; j++) {
          let acc = accumulate ? dW0[p * n + j] : 0;
          let sc = Math.abs(acc);
          for (let i = 0; i < m; i++) {
            acc += x[i * k + p] * dz[i * n + j];
            sc += Math.abs(x[i * k + p]) * dzScale[i * n + j];
          }
          dWRef[p * n + j] = acc;
          dWScale[p * n + j] = sc;
        }
      const ew = worstRatio(r.dW, dWRef, (i) => (m + 20) * EPS32 * dWScale[i] + 1e-30);
      expect(ew.ratio, `dW ${spec.kind} accumulate=${accumulate} at ${ew.at}`).toBeLessThanOrEqual(1);
      const dbRef = new Float64Array(n);
      const dbScale = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        dbRef[j] = accumulate ? db0[j] : 0;
        dbScale[j] = Math.abs(dbRef[j]);
        for (let i = 0; i < m; i++) {
          dbRef[j] += dz[i * n + j];
          dbScale[j] += dzScale[i * n + j];
        }
      }
      const eb = worstRatio(r.db!, dbRef, (i) => (m + 20) * EPS32 * dbScale[i] + 1e-30);
      expect(eb.ratio, `db ${spec.kind} accumulate=${accumulate} at ${eb.at}`).toBeLessThanOrEqual(1);
    });
  });

  it('backward from the output y (relu, smelu) equals backward from z', () => {
    const [m, k, n] = [37, 45, 70];
    const x = randomArray(m * k, 1);
    const W = randomArray(k * n, 2, 0.2);
    const dy = randomArray(m * n, 3);
    for (const act of [{ kind: 'relu' }, { kind: 'smelu', beta: 0.5 }] as Activation[]) {
      const { y, z } = denseForward({ x, W, m, k, n, activation: act, keepZ: true });
      const fromY = denseBackward({ x, W, dy, y, m, k, n, activation: act });
      const fromZ = denseBackward({ x, W, dy, z: z!, m, k, n, activation: act });
      // Same derivative up to the sqrt in SmeLU's from-output form: compare within tolerance.
      for (const key of ['dx', 'dW', 'db'] as const) {
        const a = fromY[key]!;
        const c = fromZ[key]!;
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - c[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(c[i])));
      }
    }
  });

  it('handles empty dimensions: k = 0 gives f(b), m = 0 leaves dW / db at zero or unchanged', () => {
    const b = new Float32Array([0.5, -1, 2]);
    const { y } = denseForward({ x: new Float32Array(0), W: new Float32Array(0), b, m: 2, k: 0, n: 3, activation: 'relu' });
    expect(Array.from(y)).toEqual([0.5, 0, 2, 0.5, 0, 2]);
    const dW = new Float32Array([1, 2, 3, 4, 5, 6]);
    const db = new Float32Array([7, 8, 9]);
    denseBackward({ x: new Float32Array(0), W: new Float32Array(6), dy: new Float32Array(0), z: new Float32Array(0), m: 0, k: 2, n: 3, activation: 'relu', dW, db, accumulate: true });
    expect(Array.from(dW)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(db)).toEqual([7, 8, 9]);
    const fresh = denseBackward({ x: new Float32Array(0), W: new Float32Array(6), dy: new Float32Array(0), z: new Float32Array(0), m: 0, k: 2, n: 3, activation: 'relu' });
    expect(Array.from(fresh.dW)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(fresh.db!)).toEqual([0, 0, 0]);
  });
});

interface Run {
  y: Float32Array;
  z: Float32Array;
  dx: Float32Array;
  dW: Float32Array;
  db: Float32Array;
}

const layerInputs = new Map<string, Float32Array[]>();

/** The same inputs for every run of a shape and seed (generated once: the large ones cost). */
function inputsFor(m: number, k: number, n: number, seed: number): Float32Array[] {
  const key = `${m},${k},${n},${seed}`;
  let v = layerInputs.get(key);
  if (!v) {
    v = [
      randomArray(m * k, seed),
      randomArray(k * n, seed + 1, 1 / Math.sqrt(Math.max(k, 1))),
      randomArray(n, seed + 2),
      randomArray(m * n, seed + 3),
      randomArray(k * n, seed + 4),
      randomArray(n, seed + 5),
    ];
    layerInputs.set(key, v);
  }
  return v;
}

function runLayer(m: number, k: number, n: number, spec: ActivationSpec, seed: number): Run {
  const [x, W, b, dy, dW0, db0] = inputsFor(m, k, n, seed);
  const z = new Float32Array(m * n);
  const { y } = denseForward({ x, W, b, m, k, n, activation: spec, zOut: z });
  const g = denseBackward({ x, W, dy, z, m, k, n, activation: spec, dW: dW0.slice(), db: db0.slice(), accumulate: true });
  return { y, z, dx: g.dx!, dW: g.dW, db: g.db! };
}

function expectSameRun(got: Run, want: Run, what: string): void {
  for (const key of ['y', 'z', 'dx', 'dW', 'db'] as const) expectSameBits(got[key], want[key], `${what} ${key}`);
}

/**
 * Shapes with edges in every direction and k over one k block (512 on AVX-512, 256 elsewhere).
 * The kernels use a thread per ~2 MFLOP, so most of these really run on 2-3 threads: a thin
 * (m = 1) layer split by columns, a 16-row batch, several k blocks, and a derivative pass large
 * enough (m * n > 2^18) to split dZ by rows and db by columns.
 */
const BIT_SHAPES: Array<[number, number, number]> = [
  [1, 513, 255],
  [1, 1500, 1500],
  [16, 512, 512],
  [17, 255, 65],
  [33, 1100, 190],
  [255, 17, 513],
  [513, 64, 513],
];

describe.skipIf(!native)('native dense: the same bits everywhere', () => {
  afterAll(() => useTier(bestTier, defaultThreads));

  it.each(BIT_SHAPES)('m=%i k=%i n=%i: every tier x threads 1/2/3 x repeated runs', (m, k, n) => {
    SPECS.forEach((spec, s) => {
      if (s % 3 !== m % 3 && spec.kind !== 'smelu') return; // a third of the kinds per shape, smelu always
      useTier(tiers[0], 1); // scalar on native, the single tier on wasm
      const base = runLayer(m, k, n, spec, 100 + s);
      for (const tier of tiers) {
        for (const threads of [1, 2, 3]) {
          useTier(tier, threads);
          expectSameRun(runLayer(m, k, n, spec, 100 + s), base, `${spec.kind} ${tier} threads=${threads}`);
        }
        expectSameRun(runLayer(m, k, n, spec, 100 + s), base, `${spec.kind} ${tier} repeated`);
      }
    });
  });

  it('a large layer gives the same bits on 1, 2 and 3 threads', () => {
    const spec = activation({ kind: 'gelu' });
    useTier(bestTier, 1);
    const base = runLayer(520, 700, 530, spec, 7);
    for (const threads of [2, 3, 2]) {
      useTier(bestTier, threads);
      expectSameRun(runLayer(520, 700, 530, spec, 7), base, `threads=${threads}`);
    }
  });
});

describe.skipIf(!native)('native dense: packWeights', () => {
  afterAll(() => useTier(bestTier, defaultThreads));
  const [m, k, n] = [33, 70, 90];

  it('a packed W gives the bits of the unpacked W, on every tier, also packed under another tier', () => {
    const x = randomArray(m * k, 1);
    const W = randomArray(k * n, 2, 0.1);
    const b = randomArray(n, 3);
    const spec = activation({ kind: 'smelu', beta: 0.5 });
    useTier(bestTier, 1);
    const want = denseForward({ x, W, b, m, k, n, activation: spec }).y;
    for (const packTier of tiers) {
      useTier(packTier, 2);
      const packed = packWeights(W, k, n);
      for (const runTier of tiers) {
        useTier(runTier, 2);
        expectSameBits(denseForward({ x, W: packed, b, m, k, n, activation: spec }).y, want, `packed on ${packTier}, run on ${runTier}`);
      }
    }
  });

  it('update() repacks a changed W; invalidate() makes forwards refuse the pack', () => {
    useTier(bestTier, defaultThreads);
    const x = randomArray(m * k, 4);
    const W = randomArray(k * n, 5, 0.1);
    const packed = packWeights(W, k, n);
    const before = denseForward({ x, W: packed, m, k, n, activation: 'relu' }).y;
    W[3] += 1;
    W[k * n - 1] -= 2;
    const fresh = denseForward({ x, W, m, k, n, activation: 'relu' }).y;
    expectSameBits(denseForward({ x, W: packed, m, k, n, activation: 'relu' }).y, before, 'stale pack keeps the old W');
    packed.update();
    expectSameBits(denseForward({ x, W: packed, m, k, n, activation: 'relu' }).y, fresh, 'after update()');
    packed.invalidate();
    expect(packed.valid).toBe(false);
    expect(() => denseForward({ x, W: packed, m, k, n, activation: 'relu' })).toThrow(/W: .*invalidated/);
    packed.update();
    expect(packed.valid).toBe(true);
    expectSameBits(denseForward({ x, W: packed, m, k, n, activation: 'relu' }).y, fresh, 'after invalidate() + update()');
  });

  it('refuses a pack of another shape', () => {
    const packed = packWeights(new Float32Array(k * n), k, n);
    expect(() => denseForward({ x: new Float32Array(m * n), W: packed, m, k: n, n: k, activation: 'relu' })).toThrow(RangeError);
  });

  it('serving shapes (m = 1 and 16) with a packed W match the unpacked W', () => {
    useTier(bestTier, defaultThreads);
    const W = randomArray(512 * 512, 9, 0.05);
    const packed = packWeights(W, 512, 512);
    for (const rows of [1, 16]) {
      const x = randomArray(rows * 512, rows);
      const want = denseForward({ x, W, m: rows, k: 512, n: 512, activation: 'gelu' }).y;
      expectSameBits(denseForward({ x, W: packed, m: rows, k: 512, n: 512, activation: 'gelu' }).y, want, `m=${rows}`);
    }
  });
});

describe.skipIf(!native)('native dense: async', () => {
  afterAll(() => useTier(bestTier, defaultThreads));

  it('async forward / backward give the bits of the sync calls, also many at once', async () => {
    useTier(bestTier, 2);
    const [m, k, n] = [65, 300, 130];
    const spec = activation({ kind: 'swish', beta: 1 });
    const x = randomArray(m * k, 1);
    const W = randomArray(k * n, 2, 0.06);
    const b = randomArray(n, 3);
    const dy = randomArray(m * n, 4);
    const sync = denseForward({ x, W, b, m, k, n, activation: spec, keepZ: true });
    const gSync = denseBackward({ x, W, dy, z: sync.z!, m, k, n, activation: spec });
    const packed = packWeights(W, k, n);
    const forwards = Array.from({ length: 6 }, (_, i) => denseForwardAsync({ x, W: i % 2 ? packed : W, b, m, k, n, activation: spec, keepZ: true }));
    const backwards = Array.from({ length: 4 }, () => denseBackwardAsync({ x, W, dy, z: sync.z!, m, k, n, activation: spec }));
    // A sync call while the async ones run on the libuv pool waits for its turn.
    expectSameBits(denseForward({ x, W, b, m, k, n, activation: spec }).y, sync.y, 'sync during async');
    for (const f of await Promise.all(forwards)) {
      expectSameBits(f.y, sync.y, 'async y');
      expectSameBits(f.z!, sync.z!, 'async z');
    }
    for (const g of await Promise.all(backwards)) {
      expectSameBits(g.dx!, gSync.dx!, 'async dx');
      expectSameBits(g.dW, gSync.dW, 'async dW');
      expectSameBits(g.db!, gSync.db!, 'async db');
    }
  });

  it('setThreads while async calls run waits for them and changes no bits', async () => {
    const [m, k, n] = [200, 256, 200];
    const x = randomArray(m * k, 5);
    const W = randomArray(k * n, 6, 0.06);
    useTier(bestTier, 1);
    const want = denseForward({ x, W, m, k, n, activation: 'smelu' }).y;
    const pending = [denseForwardAsync({ x, W, m, k, n, activation: 'smelu' }), denseForwardAsync({ x, W, m, k, n, activation: 'smelu' })];
    setThreads(3);
    setThreads(2);
    for (const r of await Promise.all(pending)) expectSameBits(r.y, want, 'async across setThreads');
  });
});

describe.skipIf(!native)('native dense: gradient of a two-layer network by finite differences', () => {
  // loss = sum(c * (f2(f1(x W1 + b1) W2 + b2))), f1 = smelu, f2 = identity.
  const [m, k, h, o] = [6, 5, 7, 4];
  const smelu = activation({ kind: 'smelu', beta: 0.8 });
  const ident = activation('identity');
  const x = randomArray(m * k, 21);
  const c = randomArray(m * o, 22);
  const params = { W1: randomArray(k * h, 23, 0.7), b1: randomArray(h, 24, 0.3), W2: randomArray(h * o, 25, 0.7), b2: randomArray(o, 26, 0.3) };
  const dims = { W1: [k, h], W2: [h, o] } as const;

  /** The loss in float64 (reference activation), for finite differences. */
  function loss64(p: Record<keyof typeof params, Float64Array>): number {
    let total = 0;
    for (let i = 0; i < m; i++) {
      const a = new Float64Array(h);
      for (let j = 0; j < h; j++) {
        let s = p.b1[j];
        for (let q = 0; q < k; q++) s += x[i * k + q] * p.W1[q * h + j];
        a[j] = refForward('smelu', smelu.params, s);
      }
      for (let j = 0; j < o; j++) {
        let s = p.b2[j];
        for (let q = 0; q < h; q++) s += a[q] * p.W2[q * o + j];
        total += c[i * o + j] * s;
      }
    }
    return total;
  }

  it('analytic gradients (float32 kernels) match central differences (float64)', () => {
    const l1 = denseForward({ x, W: params.W1, b: params.b1, m, k, n: h, activation: smelu });
    // The output layer's value does not enter its gradient (identity): only its backward runs.
    const g2 = denseBackward({ x: l1.y, W: params.W2, dy: c, m, k: h, n: o, activation: ident });
    const g1 = denseBackward({ x, W: params.W1, dy: g2.dx!, y: l1.y, m, k, n: h, activation: smelu, dx: false });
    const analytic = { W1: g1.dW, b1: g1.db!, W2: g2.dW, b2: g2.db! };
    const base = Object.fromEntries(Object.entries(params).map(([key, v]) => [key, Float64Array.from(v)])) as Record<keyof typeof params, Float64Array>;
    const step = 1e-5;
    for (const key of Object.keys(params) as Array<keyof typeof params>) {
      for (let i = 0; i < params[key].length; i++) {
        const saved = base[key][i];
        base[key][i] = saved + step;
        const up = loss64(base);
        base[key][i] = saved - step;
        const down = loss64(base);
        base[key][i] = saved;
        const numeric = (up - down) / (2 * step);
        const what = key in dims ? `${key}[${Math.floor(i / dims[key as 'W1' | 'W2'][1])}][${i % dims[key as 'W1' | 'W2'][1]}]` : `${key}[${i}]`;
        expect(Math.abs(analytic[key][i] - numeric), what).toBeLessThanOrEqual(2e-4 * (1 + Math.abs(numeric)));
      }
    }
  });
});

describe.skipIf(!native)('native dense: thread pool', () => {
  beforeAll(() => useTier(bestTier, defaultThreads));
  afterAll(() => setThreads(defaultThreads));

  it('defaults to the available cores and reports setThreads', () => {
    expect(defaultThreads).toBeGreaterThanOrEqual(1);
    setThreads(3);
    expect(getThreads()).toBe(3);
    setThreads(1);
    expect(getThreads()).toBe(1);
  });

  it('a process that used the pool (sync and async) exits cleanly', async () => {
    const { spawnSync } = await import('node:child_process');
    const path = await import('node:path');
    // The addon itself (its exports take the validated arguments), in a child process that exits
    // while async calls are still queued on the libuv pool.
    const addon = path.resolve(__dirname, '..', '..', 'build', 'Release', 'smelu.node');
    const script = `
      const a = require(${JSON.stringify(addon)});
      a.setThreads(2);
      const x = new Float32Array(256 * 256).fill(0.5), W = new Float32Array(256 * 256).fill(0.25);
      const p = new Float64Array(5), y = () => new Float32Array(256 * 256);
      a.denseForward(256, 256, 256, x, W, null, 1, p, y(), null);
      a.denseForwardAsync(256, 256, 256, x, W, null, 1, p, y(), null);
      for (let i = 0; i < 4; i++) a.denseForwardAsync(256, 256, 256, x, W, null, 5, p, y(), null);
      a.denseForwardAsync(256, 256, 256, x, W, null, 2, p, y(), null).then(() => process.exit(0));
      setTimeout(() => process.exit(0), 1);
    `;
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.signal).toBeNull();
    }
  });
});

describe.skipIf(!native)('native dense: the addon refuses what it has no kernel for', () => {
  // The addon itself: the TypeScript layer refuses these first, so only a direct call reaches them.
  // (The wasm backend's own refusals: test/wasm/wasm_vs_scalar.test.ts.)
  const addon = native
    ? (rawAddon() as unknown as {
        maxThreads: number;
        setThreads(n: number): void;
        denseBackward(...args: unknown[]): void;
        denseBackwardAsync(...args: unknown[]): Promise<void>;
      })
    : null;
  afterAll(() => setThreads(defaultThreads));

  it('exports maxThreads and refuses a thread count above it', () => {
    expect(addon!.maxThreads).toBe(1024);
    expect(() => addon!.setThreads(addon!.maxThreads + 1)).toThrow(RangeError);
    expect(() => addon!.setThreads(0)).toThrow(RangeError);
  });

  it('backward from the output: relu and smelu only, never another kind treated as relu', () => {
    const m = 3, k = 4, n = 5;
    const f = (len: number) => new Float32Array(len).fill(0.5);
    const args = (code: number) => [m, k, n, f(m * k), f(k * n), f(m * n), f(m * n), true, code, new Float64Array(5), f(m * k), f(k * n), f(n), false];
    ACTIVATION_KINDS.forEach((kind, code) => {
      if (kind === 'relu' || kind === 'smelu') {
        expect(() => addon!.denseBackward(...args(code)), kind).not.toThrow();
      } else {
        expect(() => addon!.denseBackward(...args(code)), kind).toThrow(/backward from the output needs relu or smelu/);
        expect(() => addon!.denseBackwardAsync(...args(code)), kind).toThrow(TypeError);
      }
    });
  });
});
