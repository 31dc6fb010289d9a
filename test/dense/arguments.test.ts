/**
 * How denseForward / denseBackward read their arguments object, pinned down for the per-call fast
 * path (no null-prototype copy, buffers read once per array): own enumerable properties only, each
 * read once in the object's key order, getters and unknown keys included; every output checked
 * against every input and earlier output; a validated spec and a plain descriptor give the same bits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activation, allocArray, denseBackward, denseForward, packWeights, releaseArray } from '../../lib';
import { selected } from '../../lib/runtime';
import { rawAddon } from '../reliability/helpers/env';

const ramp = (n: number, s = 0.25) => Float32Array.from({ length: n }, (_, i) => (i - n / 2) * s);
const bits = (a: Float32Array | undefined) => (a ? Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)) : a);

const m = 3, k = 4, n = 5;
const fwdArgs = () => ({ m, k, n, x: ramp(m * k), W: ramp(k * n, 0.1), b: ramp(n, 0.5), activation: 'smelu' as const });
const bwdArgs = () => ({ m, k, n, x: ramp(m * k), W: ramp(k * n, 0.1), dy: ramp(m * n, 0.3), z: ramp(m * n, 0.2), activation: 'smelu' as const });

/** The same arguments behind counting getters, plus an unknown key with a getter. */
function counted<T extends object>(o: T): { args: T; reads: string[] } {
  const reads: string[] = [];
  const args = {} as T;
  for (const [key, v] of Object.entries({ ...o, unknownOption: 1 })) {
    Object.defineProperty(args, key, { enumerable: true, get: () => (reads.push(key), v) });
  }
  return { args, reads };
}

describe('the arguments object', () => {
  const polluted = ['x', 'W', 'b', 'm', 'k', 'n', 'activation', 'out', 'zOut', 'keepZ', 'dy', 'z', 'y', 'dx', 'dW', 'db', 'accumulate'];
  afterEach(() => {
    for (const key of polluted) delete (Object.prototype as Record<string, unknown>)[key];
  });

  it('every own enumerable property is read exactly once, in key order (getters and unknown keys too)', () => {
    const f = counted(fwdArgs());
    const want = denseForward(fwdArgs());
    const got = denseForward(f.args);
    expect(f.reads).toEqual([...Object.keys(fwdArgs()), 'unknownOption']);
    expect(bits(got.y)).toEqual(bits(want.y));
    const b = counted(bwdArgs());
    const wantB = denseBackward(bwdArgs());
    const gotB = denseBackward(b.args);
    expect(b.reads).toEqual([...Object.keys(bwdArgs()), 'unknownOption']);
    expect(bits(gotB.dW)).toEqual(bits(wantB.dW));
    expect(bits(gotB.dx)).toEqual(bits(wantB.dx));
  });

  it('a getter cannot change an argument between its check and its use', () => {
    const good = ramp(m * k);
    let reads = 0;
    const args = { ...fwdArgs(), get x() { return reads++ === 0 ? good : new Float64Array(m * k); } };
    expect(() => denseForward(args)).not.toThrow();
    expect(reads).toBe(1);
  });

  it('inherited properties are never read as arguments, whatever their name', () => {
    const fwd = denseForward({ ...fwdArgs(), keepZ: false });
    const fromY = denseBackward({ ...bwdArgs(), z: undefined, y: fwd.y });
    const back = denseBackward(bwdArgs());
    const proto = Object.prototype as Record<string, unknown>;
    // z would take precedence over y, dx: false would drop dx, zOut would be written, ...
    Object.assign(proto, {
      z: ramp(m * n, 7), zOut: new Float32Array(m * n), keepZ: true, b: ramp(n, 9), out: new Float32Array(m * n), dx: false, db: false,
      dW: new Float32Array(k * n), accumulate: true, dy: ramp(m * n, 5), y: ramp(m * n, 3), m: 1, k: 1, n: 1, x: ramp(1), W: ramp(1),
      activation: 'relu',
    });
    const { b: _b, ...noBias } = fwdArgs();
    const again = denseForward({ ...noBias, keepZ: false });
    expect(Object.hasOwn(again, 'z')).toBe(false); // not again.z: that reads the polluted prototype
    const plain = denseForward({ ...fwdArgs(), keepZ: false });
    expect(bits(plain.y)).toEqual(bits(fwd.y));
    expect(bits(again.y)).not.toEqual(bits(fwd.y)); // no bias inherited: a different result
    const { z: _z, ...noZ } = bwdArgs();
    const y2 = denseBackward({ ...noZ, y: fwd.y });
    expect(bits(y2.dW)).toEqual(bits(fromY.dW));
    const back2 = denseBackward(bwdArgs());
    expect(bits(back2.dx)).toEqual(bits(back.dx));
    expect(bits(back2.db)).toEqual(bits(back.db));
    expect(() => denseBackward({ ...noZ })).toThrow(/pass z \(pre-activation\) or y \(output\) for smelu/);
  });

  it('own non-enumerable properties are not arguments', () => {
    const args = fwdArgs();
    const out = new Float32Array(m * n);
    Object.defineProperty(args, 'out', { value: out, enumerable: false });
    const r = denseForward(args);
    expect(r.y).not.toBe(out);
  });

  it('a validated spec, a descriptor and a kind name give the same bits', () => {
    const spec = activation({ kind: 'smelu', beta: 1 });
    const packed = packWeights(fwdArgs().W, k, n);
    for (const act of [spec, { kind: 'smelu' as const }, { kind: 'smelu' as const, beta: 1 }, 'smelu' as const]) {
      expect(bits(denseForward({ ...fwdArgs(), activation: act }).y)).toEqual(bits(denseForward(fwdArgs()).y));
      expect(bits(denseForward({ ...fwdArgs(), W: packed, activation: act }).y)).toEqual(bits(denseForward(fwdArgs()).y));
      expect(bits(denseBackward({ ...bwdArgs(), activation: act }).dW)).toEqual(bits(denseBackward(bwdArgs()).dW));
    }
  });

  it('released and detached arrays are refused in every position', () => {
    const released = () => {
      const a = allocArray(m * n);
      releaseArray(a);
      return a;
    };
    expect(() => denseForward({ ...fwdArgs(), out: released() })).toThrow(/out is a view of an array released with releaseArray/);
    expect(() => denseBackward({ ...bwdArgs(), z: released() })).toThrow(/z is a view of an array released with releaseArray/);
    const detached = ramp(m * k);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => denseForward({ ...fwdArgs(), x: detached })).toThrow(/x is a Float32Array over a detached ArrayBuffer/);
    expect(() => denseBackward({ ...bwdArgs(), x: detached })).toThrow(/x is a Float32Array over a detached ArrayBuffer/);
  });
});

describe('every output against every input and earlier output', () => {
  // The TypeScript checks must refuse before the backend (whose own checks say the same) is called.
  const backend = selected().backend as unknown as Record<string, unknown>;
  const real = { denseForward: backend.denseForward, denseBackward: backend.denseBackward };
  let reached = 0;
  beforeEach(() => {
    reached = 0;
    backend.denseForward = () => void reached++;
    backend.denseBackward = () => void reached++;
  });
  afterEach(() => {
    Object.assign(backend, real);
    expect(reached).toBe(0);
  });
  /** A view at the start of a fresh buffer, and another view of that buffer a given float offset in. */
  function sharing(lengthA: number, lengthB: number): [Float32Array, Float32Array] {
    const buf = new ArrayBuffer((lengthA + lengthB) * 4);
    return [new Float32Array(buf, 0, lengthA), new Float32Array(buf, 4, lengthB)];
  }
  const len: Record<string, number> = { x: m * k, W: k * n, b: n, out: m * n, zOut: m * n, dy: m * n, z: m * n, y: m * n, dx: m * k, dW: k * n, db: n };

  it('denseForward: out and zOut', () => {
    const pairs: Array<[string, string]> = [['out', 'x'], ['out', 'W'], ['out', 'b'], ['zOut', 'x'], ['zOut', 'W'], ['zOut', 'b'], ['zOut', 'out']];
    for (const [o, i] of pairs) {
      const [a, c] = sharing(len[i], len[o]);
      expect(() => denseForward({ ...fwdArgs(), [i]: a, [o]: c }), `${o} over ${i}`).toThrow(new RangeError(`${o} must not share memory with ${i}`));
      // separate buffers: accepted (and then the backend is called)
      expect(() => denseForward({ ...fwdArgs(), [i]: Float32Array.from(a), [o]: Float32Array.from(c) })).not.toThrow();
      expect(reached).toBe(1);
      reached = 0;
    }
  });

  it('denseBackward: dx, dW and db', () => {
    const outs = ['dx', 'dW', 'db'];
    for (const saved of ['z', 'y']) {
      const ins = ['x', 'W', 'dy', saved];
      for (const [j, o] of outs.entries()) {
        for (const i of [...ins, ...outs.slice(0, j)]) {
          const [a, c] = sharing(len[i], len[o]);
          const args: Record<string, unknown> = { ...bwdArgs(), z: undefined, [saved]: ramp(m * n, 0.2), [i]: a, [o]: c };
          if (saved === 'y') delete args.z;
          expect(() => denseBackward(args as never), `${o} over ${i}`).toThrow(new RangeError(`${o} must not share memory with ${i}`));
        }
      }
    }
  });

  it('a faked .buffer on a dense argument does not hide an overlap', () => {
    const [x, out] = sharing(m * k, m * n);
    Object.defineProperty(out, 'buffer', { value: new ArrayBuffer(64) });
    expect(() => denseForward({ ...fwdArgs(), x, out })).toThrow(/^out must not share memory with x$/);
    const [dy, dW] = sharing(m * n, k * n);
    Object.defineProperty(dy, 'buffer', { value: new ArrayBuffer(64) });
    expect(() => denseBackward({ ...bwdArgs(), dy, dW })).toThrow(/^dW must not share memory with dy$/);
  });
});

describe('the addon reads its positional arguments as before (one Node-API call per argument where it can)', () => {
  const addon = rawAddon();
  const relu = activation('relu');
  const params = Float64Array.from(relu.params);
  const fwd = (over: Record<number, unknown> = {}, count = 10) => {
    const a: unknown[] = [m, k, n, ramp(m * k), ramp(k * n, 0.1), ramp(n, 0.5), relu.code, params, new Float32Array(m * n), null];
    for (const [i, v] of Object.entries(over)) a[Number(i)] = v;
    return () => addon.denseForward(...a.slice(0, count));
  };
  const bwd = (over: Record<number, unknown> = {}) => {
    const a: unknown[] = [m, k, n, ramp(m * k), ramp(k * n, 0.1), ramp(m * n), ramp(m * n, 0.2), true, relu.code, params,
      new Float32Array(m * k), new Float32Array(k * n), new Float32Array(n), false];
    for (const [i, v] of Object.entries(over)) a[Number(i)] = v;
    return () => addon.denseBackward(...a);
  };

  it('dimensions: a non-number is a TypeError, a non-integer a RangeError', () => {
    expect(fwd({ 0: '3' })).toThrow(new TypeError('m must be a number'));
    expect(fwd({ 1: 2.5 })).toThrow(new RangeError('k must be a non-negative integer'));
    expect(bwd({ 2: null })).toThrow(new TypeError('n must be a number'));
  });

  it('optional arrays: null and undefined (or left out) are absent; anything else must be a Float32Array', () => {
    expect(fwd({ 9: undefined })).not.toThrow();
    expect(fwd({}, 9)).not.toThrow(); // z left out
    expect(fwd({ 5: null })).not.toThrow();
    expect(fwd({ 5: new Float64Array(n) })).toThrow(new TypeError('b must be a Float32Array'));
    expect(fwd({ 9: {} })).toThrow(new TypeError('z must be a Float32Array'));
    expect(fwd({ 9: Object.setPrototypeOf(new Float64Array(m * n), Float32Array.prototype) })).toThrow(new TypeError('z must be a Float32Array'));
    expect(bwd({ 10: null, 12: undefined })).not.toThrow();
    expect(bwd({ 10: new Int32Array(m * k) })).toThrow(new TypeError('dx must be a Float32Array'));
    expect(bwd({ 11: null })).toThrow(new TypeError('dW must be a Float32Array'));
    expect(bwd({ 12: 0 })).toThrow(new TypeError('db must be a Float32Array'));
  });

  it('flags: booleans as given, other values by truthiness', () => {
    const run = (savedIsOutput: unknown, accumulate: unknown) => {
      const dW = new Float32Array(k * n).fill(1);
      addon.denseBackward(m, k, n, ramp(m * k), ramp(k * n, 0.1), ramp(m * n), ramp(m * n, 0.2), savedIsOutput, relu.code, params, null, dW, null, accumulate);
      return bits(dW);
    };
    expect(run(1, 0)).toEqual(run(true, false));
    expect(run(true, 'yes')).toEqual(run(true, true));
    expect(run(true, true)).not.toEqual(run(true, false));
    expect(run(0, false)).toEqual(run(false, false));
  });
});
