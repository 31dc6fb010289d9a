/**
 * The native optimizer kernels (Backend.optimStep) on every ISA tier this CPU supports, through the
 * optimizers of lib/nn/optim.ts: for each kind (sgd, sgd + momentum, Nesterov, adagrad, adam,
 * adamw) and lengths 0, 1, 17 and 1000003, the tiers agree bit for bit, and native (float32)
 * agrees with the TypeScript loops (float64 per element) within a relative 1e-5 (of max(|x|, 0.1))
 * after a few steps. Bad direct calls throw TypeError / RangeError. Skipped when the native addon is not loaded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { selected } from '../../lib/runtime';
import { jsBackend } from '../../lib/backend/js';
import type { Backend, IsaTier } from '../../lib/backend/types';
import { getThreads, info, setIsa, setThreads } from '../../lib/index';
import { Adagrad, Adam, Sgd, type Optimizer } from '../../lib/nn/optim';
import { Param } from '../../lib/nn/param';

// The kernel backends: the native addon, or its WebAssembly build (run with SMELU_BACKEND=wasm).
const isNative = selected().backend.name === 'native' || selected().backend.name === 'wasm';

const CONFIGS: { label: string; make: () => Optimizer }[] = [
  { label: 'sgd', make: () => new Sgd({ lr: 0.05, weightDecay: 0.01 }) },
  { label: 'sgd momentum', make: () => new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: 0.01 }) },
  { label: 'sgd nesterov', make: () => new Sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }) },
  { label: 'adagrad', make: () => new Adagrad({ lr: 0.1, weightDecay: 0.01 }) },
  { label: 'adam', make: () => new Adam({ lr: 0.01, weightDecay: 0.01 }) },
  { label: 'adamw', make: () => new Adam({ kind: 'adamw', lr: 0.01, weightDecay: 0.05 }) },
];

const LENGTHS = [0, 1, 17, 1000003];
const STEPS = 3;

/** Deterministic uniform [-1, 1) values (mulberry32). */
function fill(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    a[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 31) - 1;
  }
}

/**
 * STEPS updates of two tensors (a decayed weight of length n, an undecayed bias of 5) with the
 * same gradients every run; `ts` runs the TypeScript backend's loops in place of the native optimStep.
 * @returns the values and the optimizer state, tensor after tensor.
 */
function train(make: () => Optimizer, n: number, ts: boolean): Float32Array[] {
  const backend = selected().backend as Backend;
  const saved = backend.optimStep;
  if (ts) backend.optimStep = jsBackend.optimStep;
  try {
    const params = [new Param('w', [n], true), new Param('b', [5], false)];
    params.forEach((p, i) => fill(p.value, 1000 + i));
    const opt = make();
    for (let t = 0; t < STEPS; t++) {
      params.forEach((p, i) => fill(p.grad, 7 * t + i + 1));
      opt.step(params);
    }
    return [...params.map((p) => p.value), ...opt.stateTensors(params)];
  } finally {
    backend.optimStep = saved;
  }
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Index and size of the largest |a - b| / max(|b|, floor) (NaN counts as a mismatch). */
function worstRelative(a: Float32Array, b: Float32Array, floor: number): { i: number; err: number } {
  let worst = { i: -1, err: 0 };
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(err <= worst.err)) worst = { i, err: Number.isNaN(err) ? Infinity : err };
  }
  return worst;
}

describe.runIf(isNative)('native optimizer kernels', () => {
  const tiers = isNative ? (info().supportedIsas as IsaTier[]) : [];
  const best = tiers[tiers.length - 1];

  afterAll(() => {
    if (best) setIsa(best);
  });

  it('is offered by the native backend', () => {
    expect(typeof selected().backend.optimStep).toBe('function');
  });

  for (const { label, make } of CONFIGS) {
    for (const n of LENGTHS) {
      it(`${label}, n = ${n}: every tier gives the same bits, within 1e-5 of the TypeScript loops`, () => {
        const results = tiers.map((isa) => {
          setIsa(isa);
          return train(make, n, false);
        });
        setIsa(best);
        for (let t = 1; t < tiers.length; t++) {
          results[t].forEach((a, j) => {
            expect(bytes(a).equals(bytes(results[0][j])), `${tiers[t]} vs ${tiers[0]}, tensor ${j}`).toBe(true);
          });
        }
        const ref = train(make, n, true);
        expect(ref.length).toBe(results[0].length);
        ref.forEach((b, j) => {
          const a = results[0][j];
          expect(a.length).toBe(b.length);
          // Relative to max(|value|, 0.1): values and gradients are O(1), and a value that cancels
          // to near 0 (a velocity, a weight) keeps the float32 rounding error of its O(1) terms.
          const w = worstRelative(a, b, 0.1);
          expect(w.err, `tensor ${j} at ${w.i}: native ${a[w.i]}, ts ${b[w.i]}`).toBeLessThanOrEqual(1e-5);
        });
      });
    }
  }

  it('gives the same bits at any thread count', () => {
    const before = getThreads();
    try {
      setThreads(1);
      const one = train(CONFIGS[4].make, 4099, false);
      setThreads(Math.max(2, before));
      const many = train(CONFIGS[4].make, 4099, false);
      one.forEach((a, j) => expect(Array.from(bits(many[j]))).toEqual(Array.from(bits(a))));
    } finally {
      setThreads(before);
    }
  });

  it('runs the dense update through optimStep (one call per tensor)', () => {
    const backend = selected().backend as Backend;
    const saved = backend.optimStep;
    const calls: number[] = [];
    backend.optimStep = (kind, hyper, w, g, s1, s2) => {
      calls.push(kind);
      saved.call(backend, kind, hyper, w, g, s1, s2);
    };
    try {
      const params = [new Param('w', [10], true), new Param('b', [3], false)];
      new Adagrad({ lr: 0.1 }).step(params);
      new Adam({ lr: 0.1 }).step(params);
      new Sgd({ lr: 0.1 }).step(params);
    } finally {
      backend.optimStep = saved;
    }
    expect(calls).toEqual([1, 1, 2, 2, 0, 0]);
  });

  it('throws on bad arguments instead of crashing', () => {
    const step = selected().backend.optimStep.bind(selected().backend) as (...args: unknown[]) => void;
    const h = new Float64Array(8);
    h[0] = 0.1;
    const w = new Float32Array(8);
    const g = new Float32Array(8);
    const s = new Float32Array(8);
    // fine: plain sgd needs no state; adagrad one; adam two
    step(0, h, w, g, null, null);
    step(1, h, w, g, s, null);
    step(2, h, w, g, s, new Float32Array(8));
    // kind
    for (const k of [3, -1, 1.5, NaN, 2 ** 32 + 1]) expect(() => step(k, h, w, g, s, s)).toThrow(RangeError);
    expect(() => step('adam', h, w, g, s, s)).toThrow(TypeError);
    // hyperparameters
    expect(() => step(0, new Float32Array(8), w, g, null, null)).toThrow(TypeError);
    expect(() => step(0, [0.1, 0, 0, 0, 0, 0, 0, 0], w, g, null, null)).toThrow(TypeError);
    expect(() => step(0, new Float64Array(4), w, g, null, null)).toThrow(RangeError);
    // arrays
    expect(() => step(0, h, new Float64Array(8), g, null, null)).toThrow(TypeError);
    expect(() => step(0, h, w, [0, 0], null, null)).toThrow(TypeError);
    expect(() => step(0, h, w, new Float32Array(7), null, null)).toThrow(RangeError);
    expect(() => step(0, h, w, new Float32Array(9), null, null)).toThrow(RangeError);
    expect(() => step(1, h, w, g, null, null)).toThrow(TypeError);
    expect(() => step(1, h, w, g, new Float32Array(7), null)).toThrow(RangeError);
    expect(() => step(1, h, w, g, new Int32Array(8), null)).toThrow(TypeError);
    expect(() => step(2, h, w, g, s, null)).toThrow(TypeError);
    expect(() => step(2, h, w, g, s, new Float32Array(100))).toThrow(RangeError);
    const hm = new Float64Array(8);
    hm[2] = 0.9; // sgd with momentum needs the velocity
    expect(() => step(0, hm, w, g, null, null)).toThrow(TypeError);
    expect(() => step(0, hm, w, g, new Float32Array(0), null)).toThrow(RangeError);
    expect(() => step(0, h, w, g)).not.toThrow();
    expect(() => step()).toThrow();
  });
});
