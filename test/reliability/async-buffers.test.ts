/**
 * Async calls and the caller's buffers: the arrays of a pending denseForwardAsync /
 * denseBackwardAsync are detached (structuredClone with transfer), transferred to a worker that
 * overwrites them, or shrunk (a resizable buffer handed to the raw addon). Inputs are copied when
 * the call is made, so the result is the synchronous call's bit for bit; an output that lost its
 * memory rejects the promise with a TypeError naming it, and no result is written anywhere.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import {
  activation, denseBackward, denseBackwardAsync, denseForward, denseForwardAsync, PackedWeights,
  type DenseBackwardArgs, type DenseForwardArgs,
} from '../../lib';
import { rawAddon } from './helpers/env';

const smelu = activation({ kind: 'smelu', beta: 1 });
const M = 48;
const K = 40;
const N = 36;
/** Deterministic values in [-2, 2], different for each seed. */
const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);
/** A view starting `offset` floats into a larger buffer: the native copies must not care. */
const placed = (a: Float32Array, offset: number) => {
  const v = new Float32Array(a.length + offset + 3).subarray(offset, offset + a.length);
  v.set(a);
  return v;
};
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float32Array | undefined, b: Float32Array | undefined) => !!a && !!b && bits(a).equals(bits(b));
/** Detaches v's buffer the way a transfer does, and scribbles over the bytes that moved. */
const detach = (v: Float32Array) => new Float32Array(structuredClone(v.buffer, { transfer: [v.buffer] })).fill(NaN);

/** Fresh forward arguments (new arrays each time), with every optional array. */
function forwardArgs(): DenseForwardArgs & { x: Float32Array; W: Float32Array; b: Float32Array; out: Float32Array; zOut: Float32Array } {
  return {
    m: M, k: K, n: N, activation: smelu, x: placed(values(M * K, 1), 1), W: placed(values(K * N, 2).map((v) => v * 0.2), 3),
    b: values(N, 3), out: new Float32Array(M * N).fill(7), zOut: new Float32Array(M * N).fill(7),
  };
}

function backwardArgs(accumulate = false): DenseBackwardArgs & Record<'x' | 'W' | 'dy' | 'z' | 'dx' | 'dW' | 'db', Float32Array> {
  return {
    m: M, k: K, n: N, activation: smelu, x: values(M * K, 4), W: placed(values(K * N, 5), 2), dy: values(M * N, 6), z: placed(values(M * N, 7), 1),
    dx: new Float32Array(M * K).fill(7), dW: values(K * N, 8), db: values(N, 9), accumulate,
  };
}

const wantForward = denseForward(forwardArgs());
const wantBackward = denseBackward(backwardArgs());
const wantAccumulated = denseBackward(backwardArgs(true));

describe('an input detached while the call is pending', () => {
  for (const name of ['x', 'W', 'b'] as const) {
    it(`denseForwardAsync: ${name} transferred away and overwritten, the result is the sync one bit for bit`, async () => {
      const a = forwardArgs();
      const p = denseForwardAsync(a);
      detach(a[name]);
      expect(a[name].length).toBe(0);
      const r = await p;
      expect(sameBits(r.y, wantForward.y)).toBe(true);
      expect(sameBits(r.z, wantForward.z)).toBe(true);
    });
  }

  for (const name of ['x', 'W', 'dy', 'z'] as const) {
    it(`denseBackwardAsync: ${name} transferred away and overwritten, the gradients are the sync ones bit for bit`, async () => {
      const a = backwardArgs();
      const p = denseBackwardAsync(a);
      detach(a[name]);
      const r = await p;
      expect(sameBits(r.dx, wantBackward.dx) && sameBits(r.dW, wantBackward.dW) && sameBits(r.db, wantBackward.db)).toBe(true);
    });
  }

  it('denseBackwardAsync with accumulate adds into dW and db as they were when the call was made', async () => {
    const a = backwardArgs(true);
    const p = denseBackwardAsync(a);
    a.dW.fill(NaN); // written over by the result: the call added into its own copy
    a.db.fill(NaN);
    const r = await p;
    expect(sameBits(r.dW, wantAccumulated.dW) && sameBits(r.db, wantAccumulated.db) && sameBits(r.dx, wantAccumulated.dx)).toBe(true);
  });

  it('a packed W updated while the call is pending: the call keeps the pack it was given', async () => {
    const a = forwardArgs();
    const packed = new PackedWeights(a.W, K, N);
    const p = denseForwardAsync({ ...a, W: packed });
    a.W.fill(NaN);
    packed.update();
    expect(sameBits((await p).y, wantForward.y)).toBe(true);
  });
});

describe('an input transferred to a worker thread while the call is pending', () => {
  // The worker overwrites what it receives with NaN, answers, and drops it (its memory is then its own to free).
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (a) => { a.fill(NaN); parentPort.postMessage(a.length); });`,
    { eval: true },
  );
  afterAll(() => worker.terminate());
  const roundTrip = (a: Float32Array) =>
    new Promise<number>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(a, [a.buffer]);
    });

  it('denseForwardAsync: x and b moved to the worker and overwritten there', async () => {
    const a = forwardArgs();
    const p = denseForwardAsync(a);
    const xLength = a.x.length;
    expect(await roundTrip(a.x)).toBe(xLength);
    await roundTrip(a.b);
    const r = await p;
    expect(sameBits(r.y, wantForward.y) && sameBits(r.z, wantForward.z)).toBe(true);
  });

  it('denseBackwardAsync: dy moved to the worker and overwritten there', async () => {
    const a = backwardArgs();
    const p = denseBackwardAsync(a);
    await roundTrip(a.dy);
    const r = await p;
    expect(sameBits(r.dx, wantBackward.dx) && sameBits(r.dW, wantBackward.dW) && sameBits(r.db, wantBackward.db)).toBe(true);
  });

  it('an output moved to the worker: the promise rejects naming it', async () => {
    const a = forwardArgs();
    // handled from the start: the call may settle before the worker answers
    const settled = denseForwardAsync(a).then(() => null, (e: unknown) => e);
    await roundTrip(a.out);
    const e = await settled;
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe('out was detached, transferred or shrunk while the async call was pending: no result was written');
  });
});

describe('an output detached while the call is pending', () => {
  const untouched = (a: Float32Array) => a.every((v) => v === 7);

  for (const name of ['out', 'zOut'] as const) {
    it(`denseForwardAsync: ${name} detached rejects with a TypeError naming it; nothing is written`, async () => {
      const a = forwardArgs();
      const p = denseForwardAsync(a);
      detach(a[name]);
      const e = await p.then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toMatch(new RegExp(`^${name} was detached, transferred or shrunk while the async call was pending`));
      expect(untouched(name === 'out' ? a.zOut : a.out)).toBe(true); // all results or none
    });
  }

  for (const name of ['dx', 'dW', 'db'] as const) {
    it(`denseBackwardAsync: ${name} detached rejects with a TypeError naming it; nothing is written`, async () => {
      const a = backwardArgs();
      const before = { dx: a.dx.slice(), dW: a.dW.slice(), db: a.db.slice() };
      const p = denseBackwardAsync(a);
      detach(a[name]);
      await expect(p).rejects.toThrow(TypeError);
      await expect(p).rejects.toThrow(new RegExp(`^${name} was detached`));
      for (const other of ['dx', 'dW', 'db'] as const) if (other !== name) expect(sameBits(a[other], before[other])).toBe(true);
    });
  }

  it('the addon goes on computing right afterwards, with many calls in flight', async () => {
    const calls = Array.from({ length: 24 }, (_, i) => {
      const a = forwardArgs();
      const p = denseForwardAsync(a);
      detach(i % 3 === 0 ? a.out : a.x); // every third loses its output, the others their input
      return p.then((r) => sameBits(r.y, wantForward.y), (e: unknown) => (e instanceof TypeError ? 'refused' : String(e)));
    });
    const outcomes = await Promise.all(calls);
    expect(outcomes).toEqual(Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 'refused' : true)));
  });
});

describe('shrunk buffers, through the raw addon (the public API refuses resizable buffers up front)', () => {
  const addon = rawAddon();
  const params = Float64Array.from(smelu.params);
  type Resizable = ArrayBuffer & { resize(n: number): void };
  const resizable = (a: Float32Array): Float32Array => {
    const buf = new (ArrayBuffer as unknown as new (n: number, o: object) => Resizable)(a.byteLength, { maxByteLength: a.byteLength * 2 });
    const v = new Float32Array(buf); // length-tracking: shrinks with the buffer
    v.set(a);
    return v;
  };
  const call = (x: Float32Array, y: Float32Array) => {
    const { W, b } = forwardArgs();
    return addon.denseForwardAsync(M, K, N, x, W, b, smelu.code, params, y, null) as Promise<void>;
  };

  it('an input shrunk to nothing: the result is still the sync one', async () => {
    const x = resizable(forwardArgs().x);
    const y = new Float32Array(M * N);
    const p = call(x, y);
    (x.buffer as Resizable).resize(0);
    await p;
    expect(sameBits(y, wantForward.y)).toBe(true);
  });

  it('an output shrunk by one float rejects naming it', async () => {
    const y = resizable(new Float32Array(M * N));
    const p = call(forwardArgs().x, y);
    (y.buffer as Resizable).resize(y.byteLength - 4);
    await expect(p).rejects.toThrow(/^out was detached, transferred or shrunk/);
    expect(y.every((v) => v === 0)).toBe(true);
  });
});

describe('what the copies keep', () => {
  it('the overlap rule is checked on the caller\'s arrays before anything is copied', async () => {
    const a = forwardArgs();
    const shared = new Float32Array(M * K + M * N);
    await expect(denseForwardAsync({ ...a, x: shared.subarray(0, M * K), out: shared.subarray(M * K - 1, M * K - 1 + M * N) }))
      .rejects.toThrow(/out must not share memory with x/);
    const b = backwardArgs();
    await expect(denseBackwardAsync({ ...b, dW: b.W })).rejects.toThrow(/dW must not share memory with W/);
  });

  it('same bits as the sync calls: misaligned views, y instead of z, no dx or db, identity', async () => {
    for (const offset of [0, 1, 5]) {
      const f = { ...forwardArgs(), x: placed(values(M * K, 1), offset) };
      const got = await denseForwardAsync({ ...f, out: placed(new Float32Array(M * N), offset) });
      expect(sameBits(got.y, denseForward(forwardArgs()).y)).toBe(true);
    }
    const cases: DenseBackwardArgs[] = [{ ...backwardArgs(), z: undefined, y: wantForward.y }, { ...backwardArgs(), dx: false, db: false }, { ...backwardArgs(), z: undefined, activation: 'identity' }];
    for (const c of cases) {
      const want = denseBackward({ ...c, dW: undefined, dx: c.dx === false ? false : undefined, db: c.db === false ? false : undefined });
      const got = await denseBackwardAsync(c);
      expect(sameBits(got.dW, want.dW)).toBe(true);
      expect(got.dx === undefined ? want.dx === undefined : sameBits(got.dx, want.dx)).toBe(true);
      expect(got.db === undefined ? want.db === undefined : sameBits(got.db, want.db)).toBe(true);
    }
  });
});
