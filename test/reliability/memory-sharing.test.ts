/**
 * The memory rule and argument reading under attack: shared memory seen through other objects,
 * faked .buffer, getters, arrays detached after the TypeScript checks, resizable buffers in async
 * calls, edited activation specs and a polluted Object.prototype.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { activation, denseBackward, denseForward, denseForwardAsync, denseBackwardAsync, forward } from '../../lib';
import { optimStep } from '../../lib/optim';
import { rawAddon } from './helpers/env';

const addon = rawAddon();
const smelu = activation({ kind: 'smelu', beta: 1 });
const params = Float64Array.from(smelu.params);
const ramp = (n: number, s = 0.25) => Float32Array.from({ length: n }, (_, i) => (i - n / 2) * s);

/** A second JS object over the same shared memory, as a worker receives it. */
function sameMemory(v: Float32Array): Float32Array {
  const sab = v.buffer as SharedArrayBuffer;
  return new Float32Array(structuredClone(sab), v.byteOffset, v.length);
}

function sharedRamp(n: number): Float32Array {
  const a = new Float32Array(new SharedArrayBuffer(n * 4));
  a.set(ramp(n));
  return a;
}

describe('the addon checks memory by data pointers', () => {
  it('a SharedArrayBuffer clone (another object, same bytes) cannot alias an output', () => {
    const x = sharedRamp(64);
    const clone = sameMemory(x);
    expect(clone.buffer).not.toBe(x.buffer);
    // partial overlap through the clone: refused by the addon although .buffer differs
    expect(() => addon.actForward(smelu.code, params, x.subarray(0, 32), clone.subarray(8, 40))).toThrow(/overlaps x without being exactly the same view/);
    // exactly in place through the clone is allowed
    addon.actForward(smelu.code, params, x, clone);
    const w = sharedRamp(16);
    const y = new Float32Array(16);
    expect(() => addon.denseForward(4, 4, 4, ramp(16), w, null, smelu.code, params, sameMemory(w), null)).toThrow(/out must not share memory with W/);
    expect(() => addon.denseForward(4, 4, 4, ramp(16), ramp(16), null, smelu.code, params, y, y)).toThrow(/zOut must not share memory with out/);
  });

  it('denseBackward outputs are checked against every input and each other', () => {
    const x = sharedRamp(16);
    const dW = sameMemory(x);
    expect(() => addon.denseBackward(4, 4, 4, x, ramp(16), ramp(16), ramp(16), false, smelu.code, params, null, dW, null, false))
      .toThrow(/dW must not share memory with x/);
    const g = sharedRamp(8);
    const hyper = new Float64Array(8);
    expect(() => addon.optimStep(0, hyper, sameMemory(g), g, null, null)).toThrow(/w must not share memory with g/);
    expect(() => optimStep(0, hyper, g, g, null, null)).toThrow(/w must not share memory with g/); // the TypeScript layer says the same
  });

  it('a faked .buffer on a real array does not hide an overlap from the TypeScript checks', () => {
    const base = ramp(64);
    const out = base.subarray(4, 36);
    Object.defineProperty(out, 'buffer', { value: new ArrayBuffer(128) });
    expect(() => forward(smelu, base.subarray(0, 32), out)).toThrow(/overlaps x without being exactly the same view/);
  });

  it('a bias detached after the checks is an error, never a silently skipped bias', () => {
    const b = ramp(4);
    const y = new Float32Array(16);
    let reads = 0;
    const args = {
      m: 4, k: 4, n: 4, x: ramp(16), W: ramp(16), activation: smelu, b,
      get out() {
        reads++;
        structuredClone(b.buffer, { transfer: [b.buffer] }); // detaches b after it was checked
        return y;
      },
    };
    expect(() => denseForward(args)).toThrow(/b has the wrong length|detached/);
    expect(reads).toBe(1); // every argument is read once
  });

  it('the raw addon refuses a detached optional array instead of treating it as absent', () => {
    const b = ramp(4);
    structuredClone(b.buffer, { transfer: [b.buffer] });
    expect(() => addon.denseForward(4, 4, 4, ramp(16), ramp(16), b, smelu.code, params, new Float32Array(16), null)).toThrow(/b has the wrong length/);
    const db = ramp(4);
    structuredClone(db.buffer, { transfer: [db.buffer] });
    expect(() => addon.denseBackward(4, 4, 4, ramp(16), ramp(16), ramp(16), ramp(16), false, smelu.code, params, null, new Float32Array(16), db, false))
      .toThrow(/db has the wrong length/);
  });
});

describe('async calls', () => {
  const resizable = (n: number) => new Float32Array(new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(n * 4, { maxByteLength: n * 8 }));

  it('refuse views of resizable buffers up front (any argument)', async () => {
    const x = resizable(16);
    await expect(denseForwardAsync({ m: 4, k: 4, n: 4, x, W: ramp(16), activation: smelu })).rejects.toThrow(/x is a view of a resizable buffer/);
    await expect(denseForwardAsync({ m: 4, k: 4, n: 4, x: ramp(16), W: ramp(16), activation: smelu, out: resizable(16) })).rejects.toThrow(/out is a view of a resizable buffer/);
    await expect(denseBackwardAsync({ m: 4, k: 4, n: 4, x: ramp(16), W: ramp(16), dy: resizable(16), z: ramp(16), activation: smelu }))
      .rejects.toThrow(/dy is a view of a resizable buffer/);
  });

  it('arrays transferred while the call is pending: the call computes on its own copy and finishes right', async () => {
    const x = ramp(64 * 64);
    const W = ramp(64 * 64, 0.01);
    const want = denseForward({ m: 64, k: 64, n: 64, x, W, activation: smelu }).y;
    const x2 = Float32Array.from(x);
    const p = denseForwardAsync({ m: 64, k: 64, n: 64, x: x2, W, activation: smelu });
    const moved = structuredClone(x2.buffer, { transfer: [x2.buffer] }); // the bytes move to the receiver; the call copied them when it was made
    const { y } = await p;
    expect(Buffer.from(y.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    expect(moved.byteLength).toBe(64 * 64 * 4);
  });
});

describe('activation specs and prototype pollution', () => {
  afterEach(() => {
    for (const k of ['beta', 'gNeg', 'gPos', 'alpha', 'threshold', 'kind', 'b', 'out', 'zOut', 'keepZ', 'accumulate', 'dx', 'db', 'dW']) {
      delete (Object.prototype as Record<string, unknown>)[k];
    }
  });

  it('a validated spec is frozen and an edit of its params is refused', () => {
    const s = activation({ kind: 'smelu', beta: 2 });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.descriptor)).toBe(true);
    (s.params as Float64Array)[0] = 50;
    expect(() => forward(s, ramp(8))).toThrow(/params were edited after validation/);
  });

  it('an edit is refused also after calls with that very spec (the last spec used is remembered)', () => {
    const s = activation({ kind: 'smelu', beta: 2 });
    expect(Array.from(forward(s, Float32Array.from([-4, 0, 4])))).toEqual([0, 0.5, 4]);
    forward(s, ramp(8));
    (s.params as Float64Array)[0] = 0.5;
    expect(() => forward(s, ramp(8))).toThrow(/params were edited after validation/);
  });

  it('options inherited from Object.prototype change no result', () => {
    const x = ramp(16);
    const W = ramp(16, 0.1);
    const clean = {
      act: forward({ kind: 'smelu' }, x),
      dense: denseForward({ m: 4, k: 4, n: 4, x, W, activation: 'smelu' }),
      back: denseBackward({ m: 4, k: 4, n: 4, x, W, dy: x, z: x, activation: 'smelu' }),
    };
    Object.assign(Object.prototype, {
      beta: 5, gNeg: 3, gPos: -1, alpha: 7, threshold: 0.01, b: ramp(4), out: new Float32Array(16), zOut: new Float32Array(16),
      keepZ: true, accumulate: true, dx: false, db: false, dW: new Float32Array(16),
    });
    const dirty = {
      act: forward({ kind: 'smelu' }, x),
      dense: denseForward({ m: 4, k: 4, n: 4, x, W, activation: 'smelu' }),
      back: denseBackward({ m: 4, k: 4, n: 4, x, W, dy: x, z: x, activation: 'smelu' }),
    };
    expect(Array.from(dirty.act)).toEqual(Array.from(clean.act));
    expect(Array.from(dirty.dense.y)).toEqual(Array.from(clean.dense.y));
    expect(dirty.dense.z === undefined).toBe(clean.dense.z === undefined);
    expect(Array.from(dirty.back.dW)).toEqual(Array.from(clean.back.dW));
    expect(Array.from(dirty.back.dx!)).toEqual(Array.from(clean.back.dx!));
    expect(Array.from(dirty.back.db!)).toEqual(Array.from(clean.back.db!));
  });
});
