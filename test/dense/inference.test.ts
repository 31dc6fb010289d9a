/**
 * Inference forwards: `keepZ: false` means no pre-activation for every activation, the default
 * keeps z only where a backward needs it, and a serving loop with `out` and a packed W allocates
 * no typed array at all (counted, not timed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVATION_KINDS, activation, denseBackward, denseForward, packWeights } from '../../lib/index';
import { Dense } from '../../lib/nn/index';

const [m, k, n] = [16, 40, 24];
const fill = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(seed * 7.1 + i * 0.37) * 1.5);
const x = fill(m * k, 1);
const W = fill(k * n, 2);
const b = fill(n, 3);

/** Counts typed-array constructions through the global constructors while installed. */
function countAllocations(): { count: () => number; restore: () => void } {
  const names = ['Float32Array', 'Float64Array', 'ArrayBuffer'] as const;
  const saved = names.map((name) => globalThis[name]);
  let count = 0;
  names.forEach((name, i) => {
    // construct forwards to the real constructor; instanceof and brand checks still see it.
    (globalThis as Record<string, unknown>)[name] = new Proxy(saved[i], {
      construct(target, args, newTarget) {
        count++;
        return Reflect.construct(target, args, newTarget === globalThis[name] ? target : newTarget);
      },
    });
  });
  return {
    count: () => count,
    restore: () => names.forEach((name, i) => ((globalThis as Record<string, unknown>)[name] = saved[i])),
  };
}

describe('denseForward keepZ', () => {
  it.each(ACTIVATION_KINDS)('%s: keepZ false returns no z and the same y bits as the default', (kind) => {
    const spec = activation(kind);
    const plain = denseForward({ x, W, b, m, k, n, activation: spec });
    const lean = denseForward({ x, W, b, m, k, n, activation: spec, keepZ: false });
    expect(lean.z).toBeUndefined();
    expect(Buffer.from(lean.y.buffer).equals(Buffer.from(plain.y.buffer))).toBe(true);
    // The default keeps z exactly when the backward cannot work from y.
    expect(plain.z !== undefined).toBe(!spec.backwardFromOutput && kind !== 'identity');
    const kept = denseForward({ x, W, b, m, k, n, activation: spec, keepZ: true });
    expect(kept.z !== undefined).toBe(kind !== 'identity');
  });

  it('zOut is always written, even with keepZ false', () => {
    const zOut = new Float32Array(m * n);
    const r = denseForward({ x, W, b, m, k, n, activation: 'gelu', zOut, keepZ: false });
    expect(r.z).toBe(zOut);
    const ref = denseForward({ x, W, b, m, k, n, activation: 'identity' }).y;
    expect(Array.from(zOut)).toEqual(Array.from(ref));
  });

  it('refuses a non-boolean keepZ', () => {
    expect(() => denseForward({ x, W, m, k, n, activation: 'gelu', keepZ: 1 as never })).toThrow(new TypeError('keepZ must be a boolean, got number'));
  });
});

describe('serving loop allocations', () => {
  let counter: ReturnType<typeof countAllocations> | null = null;
  afterEach(() => {
    counter?.restore();
    counter = null;
  });

  const loop = (keepZ: boolean | undefined, calls: number) => {
    const packed = packWeights(W, k, n);
    const out = new Float32Array(m * n);
    const spec = activation('gelu');
    const args = { x, W: packed, b, m, k, n, activation: spec, out, keepZ };
    denseForward(args); // first call outside the count: lazy set-up is not per call
    counter = countAllocations();
    for (let i = 0; i < calls; i++) denseForward(args);
    const c = counter.count();
    counter.restore();
    counter = null;
    return c;
  };

  it('10^4 forwards with out, a packed W and keepZ false construct no typed array', () => {
    expect(loop(false, 10_000)).toBe(0);
  });

  it('the counter sees the z a training forward allocates (the check above can fail)', () => {
    expect(loop(undefined, 100)).toBeGreaterThanOrEqual(100);
  });
});

describe('Dense layer: z only in training', () => {
  it('an inference forward gives the same y, and backward after it is refused', () => {
    const layer = new Dense({ inSize: k, units: n, activation: 'gelu' });
    layer.W.value.set(W);
    const yTrain = Float32Array.from(layer.forward(x, m));
    const dx = layer.backward(fill(m * n, 4), true);
    expect(dx).not.toBeNull();
    const counter = countAllocations();
    let yInfer: Float32Array;
    try {
      yInfer = layer.forward(x, m, false);
    } finally {
      counter.restore();
    }
    expect(counter.count()).toBe(0);
    expect(Array.from(yInfer)).toEqual(Array.from(yTrain));
    expect(() => layer.backward(fill(m * n, 4), true)).toThrow(/inference forward/);
    // A training forward makes backward possible again, with the gradients of before.
    layer.forward(x, m);
    expect(Array.from(layer.backward(fill(m * n, 4), true)!)).toEqual(Array.from(dx!));
  });

  it('a backward after a forward without z is refused, naming z', () => {
    const r = denseForward({ x, W, b, m, k, n, activation: 'swish', keepZ: false, out: new Float32Array(m * n) });
    expect(r.z).toBeUndefined();
    expect(() => denseBackward({ x, W, dy: fill(m * n, 4), m, k, n, activation: 'swish' })).toThrow(/pass z/);
  });
});
