/**
 * Argument checks of the public dense API (lib/dense.ts), whatever the backend: every bad input is
 * a TypeError or RangeError that names the argument, thrown before any memory is touched.
 */
import { describe, expect, it } from 'vitest';
import { denseBackward, denseForward, denseForwardAsync, packWeights } from '../../lib/index';

const [m, k, n] = [2, 3, 4];
const f32 = (len: number) => new Float32Array(len);
const base = () => ({ x: f32(m * k), W: f32(k * n), m, k, n, activation: 'relu' as const });
const baseBack = () => ({ ...base(), dy: f32(m * n), z: f32(m * n) });

describe('denseForward argument errors', () => {
  it('refuses a non-object', () => {
    expect(() => denseForward(null as never)).toThrow(TypeError);
    expect(() => denseForward(3 as never)).toThrow(/denseForward takes an object/);
  });

  it('names a non-Float32Array input', () => {
    expect(() => denseForward({ ...base(), x: new Float64Array(m * k) as never })).toThrow(new TypeError('x must be a Float32Array, got a Float64Array'));
    expect(() => denseForward({ ...base(), W: [0, 1] as never })).toThrow(/^W must be a Float32Array, got an Array$/);
    expect(() => denseForward({ ...base(), b: 'b' as never })).toThrow(/^b must be a Float32Array/);
    expect(() => denseForward({ ...base(), out: new Uint8Array(8) as never })).toThrow(/^out must be a Float32Array, got a Uint8Array/);
  });

  it.each([
    ['m', 1.5],
    ['m', -1],
    ['k', Number.NaN],
    ['n', '4'],
    ['n', undefined],
  ])('names a non-integer or negative dimension: %s = %s', (name, value) => {
    const e = (() => {
      try {
        denseForward({ ...base(), [name]: value } as never);
      } catch (err) {
        return err as Error;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(TypeError);
    expect(e!.message).toMatch(new RegExp(`^${name} must be a non-negative integer`));
  });

  it('names a dimension beyond 2^31 and a product beyond the largest array', () => {
    expect(() => denseForward({ ...base(), m: 2 ** 31 })).toThrow(new RangeError('m must be < 2^31, got 2147483648'));
    const big = 2 ** 31 - 1;
    expect(() => denseForward({ ...base(), m: big, k: big })).toThrow(RangeError);
    expect(() => denseForward({ ...base(), m: big, k: big })).toThrow(/^m \* k = \d+ elements exceeds/);
    expect(() => denseForward({ ...base(), x: f32(0), m: 0, n: big, W: f32(k * big > 2 ** 32 ? 0 : 1) })).toThrow(/^k \* n = \d+ elements exceeds/);
  });

  it('names an array of the wrong length, with the dims it expected', () => {
    expect(() => denseForward({ ...base(), x: f32(m * k + 1) })).toThrow(new RangeError('x must have length 6 (m * k = 2 * 3), got 7'));
    expect(() => denseForward({ ...base(), W: f32(k * n - 1) })).toThrow(/^W must have length 12 \(k \* n = 3 \* 4\), got 11$/);
    expect(() => denseForward({ ...base(), b: f32(n + 1) })).toThrow(/^b must have length 4 \(n = 4\), got 5$/);
    expect(() => denseForward({ ...base(), out: f32(m * n - 1) })).toThrow(/^out must have length 8/);
    expect(() => denseForward({ ...base(), zOut: f32(1) })).toThrow(/^zOut must have length 8/);
  });

  it('refuses an output sharing memory with an input or with the other output', () => {
    const buf = f32(64);
    const x = buf.subarray(0, m * k);
    expect(() => denseForward({ ...base(), x, out: buf.subarray(4, 4 + m * n) })).toThrow(new RangeError('out must not share memory with x'));
    const W = buf.subarray(20, 20 + k * n);
    expect(() => denseForward({ ...base(), W, out: buf.subarray(30, 30 + m * n) })).toThrow(/^out must not share memory with W$/);
    const b = buf.subarray(50, 50 + n);
    expect(() => denseForward({ ...base(), b, zOut: buf.subarray(52, 52 + m * n) })).toThrow(/^zOut must not share memory with b$/);
    const out = f32(m * n);
    expect(() => denseForward({ ...base(), out, zOut: out })).toThrow(/^zOut must not share memory with out$/);
    // Exactly in place is refused too: the kernel reads x while it writes y.
    const sq = f32(9);
    expect(() => denseForward({ x: sq, W: f32(9), m: 3, k: 3, n: 3, activation: 'relu', out: sq })).toThrow(/^out must not share memory with x$/);
  });

  it('names a bad activation', () => {
    expect(() => denseForward({ ...base(), activation: 'tanh' as never })).toThrow(TypeError);
    expect(() => denseForward({ ...base(), activation: { kind: 'smelu', beta: -1 } })).toThrow(RangeError);
  });

  it('async calls check their arguments before queueing (the promise rejects)', async () => {
    await expect(denseForwardAsync({ ...base(), x: f32(1) })).rejects.toThrow(/^x must have length 6/);
  });

  it('refuses a pack of other dims', () => {
    const packed = packWeights(f32(k * n), k, n);
    expect(() => denseForward({ x: f32(m * n), W: packed, m, k: n, n: k, activation: 'relu' })).toThrow(
      new RangeError('W: packed for k=3, n=4, but the call has k=4, n=3'),
    );
    expect(() => packWeights(f32(5), k, n)).toThrow(/^W must have length 12 \(k \* n = 3 \* 4\), got 5$/);
    expect(() => packWeights(f32(12), -3, n)).toThrow(/^k must be a non-negative integer/);
  });
});

describe('denseBackward argument errors', () => {
  it('names arrays of the wrong length', () => {
    expect(() => denseBackward({ ...baseBack(), dy: f32(3) })).toThrow(/^dy must have length 8 \(m \* n = 2 \* 4\), got 3$/);
    expect(() => denseBackward({ ...baseBack(), z: f32(3) })).toThrow(/^z must have length 8/);
    expect(() => denseBackward({ ...baseBack(), dx: f32(5) })).toThrow(/^dx must have length 6/);
    expect(() => denseBackward({ ...baseBack(), dW: f32(5) })).toThrow(/^dW must have length 12/);
    expect(() => denseBackward({ ...baseBack(), db: f32(5) })).toThrow(/^db must have length 4/);
  });

  it('needs z, or y for relu / smelu', () => {
    const { z: _z, ...noSaved } = baseBack();
    expect(() => denseBackward({ ...noSaved, activation: 'gelu' })).toThrow(/pass z \(pre-activation\); gelu cannot work from y/);
    expect(() => denseBackward({ ...noSaved, activation: 'relu' })).toThrow(/pass z \(pre-activation\) or y/);
    expect(() => denseBackward({ ...noSaved, y: f32(m * n), activation: 'gelu' })).toThrow(/gelu needs z/);
    expect(() => denseBackward({ ...noSaved, y: f32(m * n), activation: 'smelu' })).not.toThrow();
  });

  it('refuses outputs that share memory with an input or another output', () => {
    const buf = f32(128);
    const dy = buf.subarray(0, m * n);
    expect(() => denseBackward({ ...baseBack(), dy, dx: buf.subarray(2, 2 + m * k) })).toThrow(/^dx must not share memory with dy$/);
    const W = buf.subarray(20, 20 + k * n);
    expect(() => denseBackward({ ...baseBack(), W, dW: buf.subarray(30, 30 + k * n) })).toThrow(/^dW must not share memory with W$/);
    const dW = buf.subarray(60, 60 + k * n);
    expect(() => denseBackward({ ...baseBack(), dW, db: buf.subarray(70, 70 + n) })).toThrow(/^db must not share memory with dW$/);
    const dx = f32(m * k);
    expect(() => denseBackward({ ...baseBack(), dx, dW: f32(k * n), db: new Float32Array(dx.buffer, 0, n) })).toThrow(/^db must not share memory with dx$/);
    const x = buf.subarray(100, 100 + m * k);
    expect(() => denseBackward({ ...baseBack(), x, dx: buf.subarray(100, 100 + m * k) })).toThrow(/^dx must not share memory with x$/);
  });

  it('accumulate must be a boolean and needs the arrays to add into', () => {
    expect(() => denseBackward({ ...baseBack(), accumulate: 1 as never })).toThrow(new TypeError('accumulate must be a boolean, got number'));
    expect(() => denseBackward({ ...baseBack(), accumulate: true })).toThrow(/^dW: accumulate needs the dW array/);
    expect(() => denseBackward({ ...baseBack(), accumulate: true, dW: f32(k * n) })).toThrow(/^db: accumulate needs the db array/);
    expect(() => denseBackward({ ...baseBack(), accumulate: true, dW: f32(k * n), db: false })).not.toThrow();
  });

  it('names non-integer dims and non-Float32Array inputs', () => {
    expect(() => denseBackward({ ...baseBack(), k: 2.5 })).toThrow(/^k must be a non-negative integer/);
    expect(() => denseBackward({ ...baseBack(), dy: new Float64Array(m * n) as never })).toThrow(/^dy must be a Float32Array, got a Float64Array$/);
  });
});
