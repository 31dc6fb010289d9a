/**
 * allocArray / releaseArray: arrays in the backend's memory. On the wasm backend calls on them run
 * without copies and must give the copy path's bits; every misuse (a released array, a view
 * reaching outside its array, a partial overlap, a size beyond the memory, a double release, an
 * array from a backend switched since) throws a TypeError / RangeError or gives the right result.
 */
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  activation, allocArray, backward, backwardFromOutput, denseBackward, denseBackwardAsync, denseForward, denseForwardAsync, forward,
  PackedWeights, releaseArray, setThreads, type Activation,
} from '../../lib/index';
import { optimStep } from '../../lib/optim';
import { seededRandom } from '../../lib/reference';
import { reselect, selected } from '../../lib/runtime';

const wasmEnv = { SMELU_BACKEND: 'wasm' };
beforeEach(() => {
  if (selected().backend.name !== 'wasm') reselect(wasmEnv);
});
afterAll(() => {
  reselect(process.env);
});

function randomF32(n: number, seed: number, lo = -3, hi = 3): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd());
}

/** An allocArray array holding `values`. */
function resident(values: Float32Array): Float32Array {
  const a = allocArray(values.length);
  a.set(values);
  return a;
}

/** Bit patterns, so that NaN, -0 and every last bit are compared. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

const KINDS: Activation[] = [
  { kind: 'smelu', beta: 1 },
  { kind: 'relu' },
  { kind: 'gelu' },
  { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 0.5, beta: 1.5, t: 0.2 },
  { kind: 'swish', beta: 1 },
];
const LENGTHS = [0, 1, 15, 17, 4096];
/** [start, end) of the view inside a larger array: whole, and unaligned starts (1 and 3 floats in). */
const VIEWS: Array<[string, number, number]> = [
  ['whole', 0, 0],
  ['offset 1', 1, 0],
  ['offset 3, 2 short of the end', 3, 2],
];

describe('allocArray on the wasm backend: the copy path\'s bits without the copies', () => {
  it('is a zero-filled view of shared memory, and a new array has zeros even where a released one was', () => {
    const a = allocArray(33);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    a.fill(7);
    const at = a.byteOffset;
    releaseArray(a);
    const b = allocArray(33);
    expect(b.byteOffset).toBe(at); // the memory was reused...
    expect(Array.from(b).every((v) => v === 0)).toBe(true); // ...and zeroed
    releaseArray(b);
  });

  it('copies nothing for calls whose arrays all come from allocArray (and copies ordinary ones)', () => {
    const x = resident(randomF32(64, 1)), dy = resident(randomF32(64, 2)), out = allocArray(64);
    const [m, k, n] = [4, 8, 8];
    const W = resident(randomF32(k * n, 3)), y = allocArray(m * n);
    const set = vi.spyOn(Float32Array.prototype, 'set');
    try {
      forward('smelu', x, out);
      backward('gelu', x, dy, out);
      backwardFromOutput('smelu', x, dy, out);
      denseForward({ x: x.subarray(0, m * k), W, m, k, n, activation: 'smelu', out: y });
      expect(set).not.toHaveBeenCalled();
      forward('smelu', x.slice(), out);
      expect(set).toHaveBeenCalled();
    } finally {
      set.mockRestore();
    }
    for (const a of [x, dy, out, W, y]) releaseArray(a);
  });

  it('random allocations and releases never hand out memory another live array holds', () => {
    const rnd = seededRandom(99);
    const live: Array<{ a: Float32Array; id: number }> = [];
    for (let step = 1; step <= 300; step++) {
      if (live.length > 0 && rnd() < 0.45) {
        const [gone] = live.splice(Math.floor(rnd() * live.length), 1);
        releaseArray(gone.a);
      } else {
        const a = allocArray(Math.floor(rnd() ** 3 * 5000));
        expect(a.every((v) => v === 0)).toBe(true);
        a.fill(step);
        live.push({ a, id: step });
      }
      for (const { a, id } of live) if (!a.every((v) => v === id)) throw new Error(`array ${id} was overwritten at step ${step}`);
    }
    for (const { a } of live) releaseArray(a);
  });

  for (const desc of KINDS) {
    for (const n of LENGTHS) {
      for (const [label, lead, tail] of VIEWS) {
        it(`${desc.kind} n=${n} (${label}): forward, backward, backward from y equal the ordinary arrays' bits`, () => {
          const s = activation(desc);
          const total = n + lead + tail;
          const xPlain = randomF32(total, n + 1);
          const dyPlain = randomF32(total, n + 2);
          const view = (a: Float32Array) => a.subarray(lead, total - tail);
          const x = resident(xPlain), dy = resident(dyPlain), out = allocArray(total);
          expect(bits(forward(s, view(x), view(out)))).toEqual(bits(forward(s, view(xPlain))));
          expect(bits(backward(s, view(x), view(dy), view(out)))).toEqual(bits(backward(s, view(xPlain), view(dyPlain))));
          if (s.backwardFromOutput) {
            const y = forward(s, view(xPlain));
            const yRes = resident(y);
            expect(bits(backwardFromOutput(s, yRes, view(dy), view(out)))).toEqual(bits(backwardFromOutput(s, y, view(dyPlain))));
            releaseArray(yRes);
          }
          // In place, and mixed (one array resident, the other ordinary).
          const want = forward(s, view(xPlain));
          const mixedOut = new Float32Array(n);
          expect(bits(forward(s, view(x), mixedOut))).toEqual(bits(want));
          expect(bits(forward(s, view(xPlain), view(out)))).toEqual(bits(want));
          expect(bits(forward(s, view(x), view(x)))).toEqual(bits(want));
          // The inputs are not written (outside the in-place call) and nothing beyond the view is.
          expect(bits(dy)).toEqual(bits(dyPlain));
          for (const a of [x, dy, out]) releaseArray(a);
        });
      }
    }
  }

  it.each([1, 2])('dense forward and backward on allocArray arrays equal the ordinary arrays\' bits (%i threads)', (threads) => {
    setThreads(threads);
    const [m, k, n] = [130, 256, 97]; // 6.5 MFLOP: split over 2 threads when there are 2
    const s = activation({ kind: 'smelu', beta: 0.5 });
    const plain = { x: randomF32(m * k, 1), W: randomF32(k * n, 2), b: randomF32(n, 3), dy: randomF32(m * n, 4) };
    const res = { x: resident(plain.x), W: resident(plain.W), b: resident(plain.b), dy: resident(plain.dy) };
    const want = denseForward({ ...plain, m, k, n, activation: s, keepZ: true });
    const out = allocArray(m * n), zOut = allocArray(m * n);
    denseForward({ x: res.x, W: res.W, b: res.b, m, k, n, activation: s, out, zOut });
    expect(bits(out)).toEqual(bits(want.y));
    expect(bits(zOut)).toEqual(bits(want.z!));

    const wantG = denseBackward({ x: plain.x, W: plain.W, dy: plain.dy, y: want.y, m, k, n, activation: s });
    const dx = allocArray(m * k), dW = allocArray(k * n), db = allocArray(n);
    denseBackward({ x: res.x, W: res.W, dy: res.dy, y: out, m, k, n, activation: s, dx, dW, db });
    expect(bits(dx)).toEqual(bits(wantG.dx!));
    expect(bits(dW)).toEqual(bits(wantG.dW));
    expect(bits(db)).toEqual(bits(wantG.db!));
    // accumulate adds into the arrays where they are.
    denseBackward({ x: plain.x, W: plain.W, dy: plain.dy, y: want.y, m, k, n, activation: s, dW: wantG.dW, db: wantG.db, dx: false, accumulate: true });
    denseBackward({ x: res.x, W: res.W, dy: res.dy, y: out, m, k, n, activation: s, dW, db, dx: false, accumulate: true });
    expect(bits(dW)).toEqual(bits(wantG.dW));
    expect(bits(db)).toEqual(bits(wantG.db!));
    for (const a of [...Object.values(res), out, zOut, dx, dW, db]) releaseArray(a);
  });

  it('the optimizer step on allocArray arrays equals the ordinary arrays\' bits', () => {
    const n = 301;
    const hyper = Float64Array.from([0.01, 0.001, 0.9, 0.999, 1e-8, 0.1, 0.001, 1]);
    const plain = [randomF32(n, 5), randomF32(n, 6), randomF32(n, 7, 0, 1), randomF32(n, 8, 0, 1)];
    const res = plain.map(resident);
    optimStep(2, hyper, plain[0], plain[1], plain[2], plain[3]);
    optimStep(2, hyper, res[0], res[1], res[2], res[3]);
    res.forEach((a, i) => expect(bits(a)).toEqual(bits(plain[i])));
    res.forEach(releaseArray);
  });

  it('async dense calls read allocArray arrays when called and write the outputs when done', async () => {
    const [m, k, n] = [8, 16, 12];
    const s = activation('gelu');
    const x = randomF32(m * k, 9), W = randomF32(k * n, 10);
    const want = denseForward({ x, W, m, k, n, activation: s });
    const xRes = resident(x), out = allocArray(m * n);
    const pending = denseForwardAsync({ x: xRes, W, m, k, n, activation: s, out });
    xRes.fill(0); // changed after the call: the call must have taken its input already
    await pending;
    expect(bits(out)).toEqual(bits(want.y));
    const dy = randomF32(m * n, 11);
    const args = { x, W, dy, z: want.z!, m, k, n, activation: s, dx: false as const, db: false as const };
    const wantG = denseBackward(args);
    const dW = allocArray(k * n);
    await denseBackwardAsync({ ...args, dW });
    expect(bits(dW)).toEqual(bits(wantG.dW));
    for (const a of [xRes, out, dW]) releaseArray(a);
  });
});

describe('allocArray misuse: a clear error, never a silent wrong result', () => {
  it('a released array, or any view of it, is refused by every call, also after its memory was reused', () => {
    const x = allocArray(16);
    const sub = x.subarray(2, 6);
    releaseArray(x);
    const reuse = allocArray(16); // takes the same memory
    reuse.fill(5);
    expect(() => forward('relu', x)).toThrow(TypeError);
    expect(() => forward('relu', sub)).toThrow(/released with releaseArray/);
    expect(() => forward('relu', new Float32Array(16), x)).toThrow(/out is a view of an array released/);
    expect(() => denseForward({ x, W: new Float32Array(16), m: 1, k: 16, n: 1, activation: 'relu' })).toThrow(/x is a view of an array released/);
    expect(() => optimStep(0, new Float64Array(8), x, new Float32Array(16), null, null)).toThrow(/released/);
    expect(() => new PackedWeights(x, 4, 4)).toThrow(/W is a view of an array released/);
    expect(Array.from(reuse).every((v) => v === 5)).toBe(true);
    releaseArray(reuse);
  });

  it('a forward repeated on the same two arrays (checked once) still refuses them once either is released', () => {
    for (const victim of ['x', 'out'] as const) {
      const x = resident(randomF32(64, 21)), out = allocArray(64);
      const want = bits(forward('smelu', x.slice()));
      for (let i = 0; i < 3; i++) expect(bits(forward('smelu', x, out))).toEqual(want);
      releaseArray(victim === 'x' ? x : out);
      const reuse = allocArray(64); // the released memory, now another array's
      expect(() => forward('smelu', x, out)).toThrow(new RegExp(`${victim} is a view of an array released`));
      for (const a of [victim === 'x' ? out : x, reuse]) releaseArray(a);
    }
  });

  it('packed weights whose source array was released are refused by update and backward', () => {
    const W = resident(randomF32(16, 22));
    const packed = new PackedWeights(W, 4, 4);
    const x = randomF32(8, 23);
    const { y } = denseForward({ x, W: packed, m: 2, k: 4, n: 4, activation: 'relu' });
    releaseArray(W);
    expect(() => packed.update()).toThrow(/W is a view of an array released/);
    expect(() => denseBackward({ x, W: packed, dy: new Float32Array(8), y, m: 2, k: 4, n: 4, activation: 'relu' })).toThrow(/W is a view of an array released/);
  });

  it('releasing twice, a subarray, an ordinary array or a non-array is a TypeError', () => {
    const a = allocArray(8);
    expect(() => releaseArray(a.subarray(1))).toThrow(/part of an array from allocArray/);
    releaseArray(a);
    expect(() => releaseArray(a)).toThrow(/released already/);
    expect(() => releaseArray(new Float32Array(8))).toThrow(/not made by allocArray/);
    expect(() => releaseArray([1, 2] as unknown as Float32Array)).toThrow(TypeError);
  });

  it('a view made over the buffer reaching outside its array (module data, the next array) is a RangeError', () => {
    const a = allocArray(16), b = allocArray(16);
    const buf = a.buffer;
    expect(() => forward('relu', new Float32Array(buf, 0, 16))).toThrow(RangeError);
    const straddling = new Float32Array(buf, a.byteOffset + 8 * 4, 32); // the end of a and beyond
    expect(() => forward('relu', straddling)).toThrow(/x reaches outside the array allocArray made/);
    expect(() => forward('relu', a, new Float32Array(buf, a.byteOffset - 4, 16))).toThrow(/out reaches outside/);
    // A view made by hand inside the array is fine.
    a.set(randomF32(16, 3));
    expect(bits(forward('relu', new Float32Array(buf, a.byteOffset + 4, 8)))).toEqual(bits(forward('relu', a.slice(1, 9))));
    releaseArray(a);
    releaseArray(b);
  });

  it('a length property that misstates the array cannot make a kernel read or write beyond it', () => {
    const x = allocArray(16), y = allocArray(16), out = allocArray(16), neighbour = allocArray(64);
    neighbour.fill(9);
    for (const a of [x, y, out]) Object.defineProperty(a, 'length', { value: 1024 });
    expect(() => forward('relu', x, y)).toThrow(/x holds 16 floats, fewer than the 1024 this call reads or writes/);
    expect(() => denseForward({ x, W: y, m: 32, k: 32, n: 32, activation: 'relu', out })).toThrow(/x holds 16 floats/);
    expect(Array.from(neighbour).every((v) => v === 9)).toBe(true);
    for (const a of [x, y, out, neighbour]) releaseArray(a);
  });

  it('a partial overlap of input and output is a RangeError; exactly in place is fine', () => {
    const a = allocArray(32);
    a.set(randomF32(32, 4));
    expect(() => forward('smelu', a.subarray(0, 16), a.subarray(8, 24))).toThrow(/overlaps x without being exactly the same view/);
    expect(() => backward('smelu', a.subarray(0, 8), a.subarray(8, 16), a.subarray(4, 12))).toThrow(RangeError);
    const want = forward('smelu', a.slice(0, 16));
    expect(bits(forward('smelu', a.subarray(0, 16), a.subarray(0, 16)))).toEqual(bits(want));
    releaseArray(a);
  });

  it('a length beyond the memory or not a length is refused before anything is allocated', () => {
    expect(() => allocArray(2 ** 30)).toThrow(/length: 1073741824 floats do not fit in the wasm backend's memory/);
    expect(() => allocArray(2 ** 32)).toThrow(RangeError);
    expect(() => allocArray(-1)).toThrow(/length must be a non-negative integer/);
    expect(() => allocArray(1.5)).toThrow(TypeError);
    expect(() => allocArray('8' as unknown as number)).toThrow(TypeError);
    expect(() => allocArray(Number.NaN)).toThrow(TypeError);
    const a = allocArray(0);
    expect(a.length).toBe(0);
    expect(forward('relu', a, allocArray(0)).length).toBe(0);
    releaseArray(a);
  });

  it('arrays made before the memory grew stay valid and give the right results', () => {
    const s = activation({ kind: 'smelu', beta: 1 });
    const values = randomF32(1000, 12);
    const old = resident(values);
    const oldOut = allocArray(1000);
    const bytesBefore = old.buffer.byteLength;
    const big = allocArray(4 * 2 ** 20); // 16 MiB: more than the memory had
    expect(big.buffer.byteLength).toBeGreaterThan(bytesBefore);
    expect(old.buffer).not.toBe(big.buffer);
    forward(s, old, oldOut);
    expect(bits(oldOut)).toEqual(bits(forward(s, values)));
    // A call that grows the arena (copies of large ordinary arrays) leaves them valid too.
    forward('relu', new Float32Array(8 * 2 ** 20));
    expect(bits(old)).toEqual(bits(values));
    for (const a of [old, oldOut, big]) releaseArray(a);
  });

  it('an array pending in an async call and released meanwhile gets no write: the call rejects', async () => {
    const [m, k, n] = [4, 8, 4];
    const out = allocArray(m * n);
    const pending = denseForwardAsync({ x: randomF32(m * k, 1), W: randomF32(k * n, 2), m, k, n, activation: 'relu', out });
    releaseArray(out);
    const reuse = allocArray(m * n); // the released memory, now another array's
    reuse.fill(3);
    await expect(pending).rejects.toThrow(/out is a view of an array released/);
    expect(Array.from(reuse).every((v) => v === 3)).toBe(true);
    releaseArray(reuse);
  });
});

describe('allocArray across backends', () => {
  it('an array from the wasm backend works on the TypeScript backend after a switch, and its release still counts', () => {
    const values = randomF32(17, 13);
    const x = resident(values);
    const y = allocArray(17);
    reselect({ SMELU_BACKEND: 'js' });
    expect(bits(forward('relu', x, y))).toEqual(bits(forward('relu', values)));
    releaseArray(x); // released on the wasm heap it came from
    expect(() => forward('relu', x)).toThrow(/released/);
    reselect(wasmEnv);
    expect(() => forward('relu', x)).toThrow(/released/);
    releaseArray(y);
  });

  it('on the TypeScript and native backends it is an ordinary array with the same rules', () => {
    for (const env of [{ SMELU_BACKEND: 'js' }, {}]) {
      reselect(env);
      const a = allocArray(15);
      expect(a.buffer).toBeInstanceOf(ArrayBuffer);
      a.set(randomF32(15, 14));
      expect(bits(forward('gelu', a))).toEqual(bits(forward('gelu', a.slice())));
      reselect(wasmEnv); // and it works on the wasm backend, by the copy path
      expect(bits(forward('gelu', a))).toEqual(bits(forward('gelu', a.slice())));
      releaseArray(a);
      expect(() => forward('gelu', a)).toThrow(/released/);
      expect(() => releaseArray(a)).toThrow(/released already/);
    }
  });

  it('an array of another wasm backend instance (a new selection) is computed by copies, correctly', () => {
    const values = randomF32(40, 15);
    const x = resident(values);
    reselect(wasmEnv); // a new module instance and memory
    const y = allocArray(40);
    expect(x.buffer).not.toBe(y.buffer);
    expect(bits(forward('swish', x, y))).toEqual(bits(forward('swish', values)));
    releaseArray(x);
    releaseArray(y);
  });
});
