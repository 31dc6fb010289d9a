/**
 * The public elementwise API's argument checks (whatever the backend): each bad argument gives a
 * TypeError or RangeError that names it, before any kernel runs; exact in-place calls work.
 */
import { describe, expect, it } from 'vitest';
import { activation, backward, backwardFromOutput, derivative, forward } from '../../lib/index';

/** fn throws an instance of `type` whose message matches `msg`. */
function expectError(fn: () => unknown, type: typeof TypeError | typeof RangeError, msg: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${type.name} matching ${msg}`).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(msg);
}

const x = new Float32Array([-2, -0.5, 0, 0.5, 2]);

describe('forward / backward argument errors', () => {
  it('x, z, dy and out must be Float32Arrays', () => {
    for (const bad of [[1, 2, 3], new Float64Array(5), new Int32Array(5), null, undefined, 'x', {}]) {
      expectError(() => forward('relu', bad as unknown as Float32Array), TypeError, /\bx\b.*Float32Array/);
      expectError(() => backward('relu', bad as unknown as Float32Array, x), TypeError, /\bz\b.*Float32Array/);
      expectError(() => backward('relu', x, bad as unknown as Float32Array), TypeError, /\bdy\b.*Float32Array/);
      expectError(() => backwardFromOutput('smelu', bad as unknown as Float32Array, x), TypeError, /\by\b.*Float32Array/);
      expectError(() => derivative('relu', bad as unknown as Float32Array), TypeError, /\bz\b.*Float32Array/);
    }
    for (const bad of [[0, 0, 0, 0, 0], new Float64Array(5), null]) {
      expectError(() => forward('relu', x, bad as unknown as Float32Array), TypeError, /\bout\b.*Float32Array/);
    }
  });

  it('wrong lengths name the argument', () => {
    expectError(() => forward('relu', x, new Float32Array(4)), RangeError, /\bout\b.*length 5/);
    expectError(() => backward('relu', x, new Float32Array(6)), RangeError, /\bdy\b.*length 5/);
    expectError(() => backward('relu', x, x.slice(), new Float32Array(3)), RangeError, /\bout\b.*length 5/);
    expectError(() => backwardFromOutput('relu', x, new Float32Array(2)), RangeError, /\bdy\b.*length 5/);
  });

  it('an unknown kind or field is a TypeError listing the kinds', () => {
    expectError(() => forward('elu' as never, x), TypeError, /activation\.kind must be one of .*smelu/);
    expectError(() => forward({ kind: 'nope' } as never, x), TypeError, /activation\.kind/);
    expectError(() => forward(42 as never, x), TypeError, /activation/);
    expectError(() => forward({ kind: 'relu', beta: 1 } as never, x), TypeError, /unknown field 'beta'/);
  });

  it('parameters out of their domain name the parameter', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ kind: 'smelu', beta: -1 }, /'beta' must be >= 0/],
      [{ kind: 'smelu', beta: NaN }, /'beta'/],
      [{ kind: 'smelu', beta: Infinity }, /'beta'/],
      [{ kind: 'smelu', beta: '1' }, /'beta'/],
      [{ kind: 'swish', beta: 0 }, /'beta' must be > 0/],
      [{ kind: 'swish', beta: NaN }, /'beta'/],
      [{ kind: 'rescu2', beta: -0.5 }, /'beta'/],
      [{ kind: 'softplus', threshold: 0 }, /'threshold' must be > 0/],
      [{ kind: 'softplus', threshold: -3 }, /'threshold'/],
      [{ kind: 'softplus', beta: 0 }, /'beta'/],
      [{ kind: 'gsmelu', alpha: -1, beta: 1 }, /alpha \+ beta must be > 0/],
      [{ kind: 'gsmelu', alpha: -2, beta: 1 }, /alpha \+ beta/],
      [{ kind: 'gsmelu', gNeg: NaN }, /'gNeg'/],
      [{ kind: 'gsmelu', gNeg: 9e-98 }, /'gNeg' must be 0 or between 1e-30 and 1e\+30 in magnitude/],
      [{ kind: 'smelu', beta: 1e-40 }, /'beta' must be 0 or between/],
      [{ kind: 'swish', beta: 1e31 }, /'beta' must be 0 or between/],
    ];
    for (const [desc, msg] of bad) {
      let thrown: unknown;
      try {
        forward(desc as never, x);
      } catch (e) {
        thrown = e;
      }
      expect(thrown instanceof TypeError || thrown instanceof RangeError, JSON.stringify(desc)).toBe(true);
      expect((thrown as Error).message).toMatch(msg);
    }
    // beta = 0 is allowed for SmeLU only (it is exactly ReLU)
    expect(Array.from(forward({ kind: 'smelu', beta: 0 }, x))).toEqual([0, 0, 0, 0.5, 2]);
  });

  it('backward from the output needs relu or smelu', () => {
    expectError(() => backwardFromOutput('gelu', x, x), TypeError, /relu or smelu/);
    expectError(() => backwardFromOutput({ kind: 'swish', beta: 1 }, x, x), TypeError, /relu or smelu/);
  });
});

describe('output aliasing', () => {
  it('an out that partly overlaps an input is a RangeError naming both', () => {
    const buf = new ArrayBuffer(4 * 12);
    const a = new Float32Array(buf, 0, 8);
    const shifted = new Float32Array(buf, 4, 8);
    const shorter = new Float32Array(buf, 0, 4);
    expectError(() => forward('relu', a, shifted), RangeError, /\bout\b overlaps x/);
    const dy = new Float32Array(buf, 16, 8);
    expectError(() => backward('relu', new Float32Array(8), dy, a), RangeError, /\bout\b overlaps dy/);
    expectError(() => backward('relu', a, new Float32Array(8), shifted), RangeError, /\bout\b overlaps z/);
    expectError(() => backwardFromOutput('smelu', a, new Float32Array(8), shifted), RangeError, /\bout\b overlaps y/);
    // same start, different length: not exactly in place either
    expect(() => forward('relu', shorter, new Float32Array(buf, 0, 4))).not.toThrow();
    expectError(() => derivative('relu', new Float32Array(buf, 4, 4), shorter), RangeError, /overlaps/);
  });

  it('exactly in place works and returns out', () => {
    const v = new Float32Array([-1, -0.25, 0, 0.25, 1]);
    expect(forward({ kind: 'smelu', beta: 0.5 }, v, v)).toBe(v);
    expect(Array.from(v)).toEqual([0, 0.03125, 0.125, 0.28125, 1]);

    const z = new Float32Array([-1, 0, 1]);
    const dy = new Float32Array([2, 2, 2]);
    expect(backward({ kind: 'smelu', beta: 1 }, z, dy, dy)).toBe(dy);
    expect(Array.from(dy)).toEqual([0, 1, 2]);
    const z2 = new Float32Array([-1, 0, 1]);
    expect(backward('relu', z2, new Float32Array([3, 3, 3]), z2)).toBe(z2);
    expect(Array.from(z2)).toEqual([0, 0, 3]);
  });

  it('a validated spec is accepted as is', () => {
    const s = activation({ kind: 'swish', beta: 2 });
    expect(activation(s)).toBe(s);
    expect(forward(s, new Float32Array([0]))[0]).toBe(0);
  });
});
