/**
 * How the wasm backend relates to the native scalar tier (the reference every native tier matches
 * bit for bit): WebAssembly SIMD128 has no fused multiply-add, so the kernels that use fma round
 * twice where the native tiers round once. Measured here over the spec's grid (every activation,
 * forward / backward / backward from the output) and over dense layers: the differences stay far
 * inside the spec's bound, and the kernels without fma give the same bits.
 * Also: the memory cap, the fallback order, and that helper threads do not keep a process alive.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activation, activationLabel, type Activation, type ActivationSpec } from '../../lib/activation';
import { loadNativeBackend } from '../../lib/backend/native';
import type { Backend } from '../../lib/backend/types';
import { loadWasmBackend } from '../../lib/backend/wasm_node';
import { reselect } from '../../lib/runtime';
import { SPEC_TOL, maxError, seededRandom, specGrid } from '../../lib/reference';

const wasm = loadWasmBackend();
const scalar = loadNativeBackend();
scalar.setIsa('scalar');
afterAll(() => {
  const all = scalar.info().supportedIsas;
  scalar.setIsa(all[all.length - 1]);
});

const CASES: Activation[] = [
  { kind: 'identity' },
  { kind: 'relu' },
  { kind: 'smelu', beta: 1 },
  { kind: 'smelu', beta: 0.1 },
  { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 0.5, beta: 1.5, t: 0.2 },
  { kind: 'rescu2', beta: 1 },
  { kind: 'gelu' },
  { kind: 'gelu_tanh' },
  { kind: 'swish', beta: 1 },
  { kind: 'softplus', beta: 1, threshold: 20 },
  { kind: 'sigmoid' },
];

/** Kinds whose formulas contain no multiply-add: the wasm tier must give the scalar tier's bits. */
const NO_FMA = new Set(['identity', 'relu']);

function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd());
}

/** The outputs of every elementwise entry point for s on the inputs xs. */
function elementwise(B: Backend, s: ActivationSpec, xs: Float32Array, dy: Float32Array): Float32Array[] {
  const y = new Float32Array(xs.length);
  const dz = new Float32Array(xs.length);
  B.actForward(s.code, s.params, xs, y);
  B.actBackward(s.code, s.params, xs, dy, dz);
  const out = [y, dz];
  if (s.kind === 'relu' || s.kind === 'smelu') {
    const dzy = new Float32Array(xs.length);
    B.actBackwardFromOutput(s.code, s.params, y, dy, dzy);
    out.push(dzy);
  }
  return out;
}

function differing(a: Float32Array, b: Float32Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) count++;
  return count;
}

const measured: string[] = [];
afterAll(() => {
  // The figures quoted in the README and bench/NOTES.md come from this table.
  console.log(`wasm vs native scalar tier (scaled difference |a - b| / max(1, |b|)):\n${measured.join('\n')}`);
});

describe('wasm vs the native scalar tier', () => {
  it.each(CASES.map((c) => [activationLabel(c), c] as const))('%s: within the spec bound of each other on the grid', (label, desc) => {
    const s = activation(desc);
    const xs = specGrid(s.kind, s.params);
    const dy = randomF32(xs.length, 7, -2, 2);
    const got = elementwise(wasm, s, xs, dy);
    const want = elementwise(scalar, s, xs, dy);
    const names = ['forward', 'backward', 'backwardFromOutput'];
    got.forEach((g, j) => {
      const { err } = maxError(g, want[j]);
      measured.push(`  ${label} ${names[j]}: max ${err.toExponential(2)}, ${differing(g, want[j])} of ${g.length} differ`);
      expect(err, `${label} ${names[j]}`).toBeLessThanOrEqual(SPEC_TOL);
      if (NO_FMA.has(s.kind)) expect(differing(g, want[j]), `${label} ${names[j]} bits`).toBe(0);
    });
  });

  it.each([
    [1, 513, 255],
    [64, 255, 513],
    [200, 1024, 100],
  ])('dense m=%i k=%i n=%i: forward and gradients within float32 chain rounding of each other', (m, k, n) => {
    const s = activation({ kind: 'gelu' });
    const x = randomF32(m * k, m + k);
    const w = randomF32(k * n, k + n);
    const b = randomF32(n, n);
    const dy = randomF32(m * n, 3);
    const zScalar = new Float32Array(m * n);
    const common = { m, k, n, x, code: s.code, params: s.params };
    scalar.denseForward({ ...common, w, b, y: new Float32Array(m * n), z: zScalar });
    const run = (B: Backend) => {
      const y = new Float32Array(m * n);
      const z = new Float32Array(m * n);
      B.denseForward({ ...common, w, b, y, z });
      // Both backward passes start from the same z, so only their own roundings differ.
      const g = { dx: new Float32Array(m * k), dW: new Float32Array(k * n), db: new Float32Array(n) };
      B.denseBackward({ ...common, w, dy, saved: zScalar, savedIsOutput: false, ...g, accumulate: false });
      return [y, z, g.dx, g.dW, g.db];
    };
    const got = run(wasm);
    const want = run(scalar);
    ['y', 'z', 'dx', 'dW', 'db'].forEach((name, j) => {
      const { err } = maxError(got[j], want[j]);
      measured.push(`  dense ${m}x${k}x${n} ${name}: max ${err.toExponential(2)}`);
      // Each value is a sum of `terms` products of numbers of magnitude <= 2: mul + add instead of
      // fma adds one rounding of each product (<= 2^-24 * 4 each), plus the derivative's rounding.
      const terms = name === 'dW' || name === 'db' ? m : name === 'dx' ? n : k;
      expect(err, name).toBeLessThanOrEqual((terms + 1) * 2 ** -22);
    });
  });
});

describe('wasm backend limits and loading', () => {
  it('refuses a call that would need more than 4 GiB of wasm memory with a RangeError', () => {
    expect(() => wasm.packWeights(70000, 70000, new Float32Array(1))).toThrow(/more than its 4 GiB \(wasm32\) limit/);
    // And keeps working afterwards.
    const s = activation({ kind: 'relu' });
    const y = new Float32Array(3);
    wasm.actForward(s.code, s.params, new Float32Array([-1, 0, 2]), y);
    expect(Array.from(y)).toEqual([0, 0, 2]);
  });

  it('gives the right values again after a call that grew the memory (the reused views follow it)', () => {
    const s = activation({ kind: 'smelu', beta: 1 });
    const small = randomF32(4096, 11, -3, 3);
    const want = new Float32Array(small.length);
    scalar.actForward(s.code, s.params, small, want);
    const run = (x: Float32Array) => {
      const y = new Float32Array(x.length).fill(Number.NaN);
      wasm.actForward(s.code, s.params, x, y);
      return y;
    };
    expect(maxError(run(small), want).err).toBeLessThanOrEqual(SPEC_TOL);
    // 64 MiB in and out: more than the memory held so far, so it grows (and detaches old views).
    const big = run(new Float32Array(1 << 24).fill(2));
    expect([big[0], big[big.length - 1]]).toEqual([2, 2]);
    expect(maxError(run(small), want).err).toBeLessThanOrEqual(SPEC_TOL);
  });

  it('refuses backward from the output for kinds other than relu and smelu, elementwise and dense', () => {
    const f = (len: number) => new Float32Array(len).fill(0.5);
    for (const kind of ['identity', 'gelu', 'swish'] as const) {
      const s = activation(kind);
      expect(() => wasm.actBackwardFromOutput(s.code, s.params, f(3), f(3), f(3)), kind).toThrow(/needs relu or smelu/);
      const call = { m: 2, k: 3, n: 4, x: f(6), w: f(12), dy: f(8), saved: f(8), savedIsOutput: true, code: s.code, params: s.params };
      expect(() => wasm.denseBackward({ ...call, dx: f(6), dW: f(12), db: f(4), accumulate: false }), kind).toThrow(/needs relu or smelu/);
    }
    expect(() => wasm.actForward(99, new Float64Array(5), f(3), f(3))).toThrow(/activation code out of range/);
  });

  it('is chosen when the native addon does not load, and info() says why', () => {
    const saved = process.env.SMELU_ADDON_PATH;
    process.env.SMELU_ADDON_PATH = path.join(__dirname, 'no-such-addon.node');
    try {
      const sel = reselect({});
      expect(sel.backend.name).toBe('wasm');
      expect(sel.reason).toMatch(/^native addon unavailable \(.*no-such-addon.*\); WebAssembly module native.wasm.smelu\.wasm$/);
    } finally {
      if (saved === undefined) delete process.env.SMELU_ADDON_PATH;
      else process.env.SMELU_ADDON_PATH = saved;
      reselect(process.env);
    }
  });

  it('a process whose dense calls used helper threads and the async worker exits on its own', () => {
    const lib = path.resolve(__dirname, '..', '..', 'dist', 'index.js');
    const script = `
      process.env.SMELU_BACKEND = 'wasm';
      const s = require(${JSON.stringify(lib)});
      s.setThreads(2);
      const x = new Float32Array(256 * 256).fill(0.5), W = new Float32Array(256 * 256).fill(0.25);
      const { y } = s.denseForward({ x, W, m: 256, k: 256, n: 256, activation: 'relu' });
      if (y[0] !== 32 || s.info().backend !== 'wasm') throw new Error('wrong value ' + y[0]);
      s.denseForwardAsync({ x, W, m: 256, k: 256, n: 256, activation: 'relu' }).then((r) => {
        if (r.y[0] !== 32) throw new Error('wrong async value ' + r.y[0]);
      });
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
  });
});
