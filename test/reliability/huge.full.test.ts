/**
 * Huge inputs. Dimensions whose products no array can have are refused with a RangeError naming
 * the argument, before anything is allocated; lengths beyond 2^31 are computed correctly (the
 * native kernels index with size_t); allocations that fail (outputs, the addon's scratch, a pack)
 * are RangeErrors or rejected promises, never an abort (a child process under a tight RLIMIT_AS).
 */
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { denseBackward, denseForward, packWeights } from '../../lib/index';
import { lastJson, runChild } from './helpers/env';

const child = resolve(__dirname, 'helpers/huge-child.ts');
const f32 = (n: number) => new Float32Array(n);

/** Runs fn and returns how many bytes of array buffers it left allocated (V8's own count). */
function arrayBufferGrowth(fn: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  fn();
  return process.memoryUsage().arrayBuffers - before;
}

describe('dimensions too large for any array: RangeError before allocating', () => {
  it('denseForward with m = k = 2^20 and a small x names the length mismatch', () => {
    let err: Error | undefined;
    const grown = arrayBufferGrowth(() => {
      try {
        denseForward({ x: f32(16), W: f32(16), m: 2 ** 20, k: 2 ** 20, n: 16, activation: 'relu' });
      } catch (e) {
        err = e as Error;
      }
    });
    expect(err).toBeInstanceOf(RangeError);
    expect(err!.message).toBe('m * k = 1099511627776 elements exceeds the largest Float32Array (4294967295); x has length 16');
    expect(grown).toBe(0);
  });

  it('products beyond 2^53 (dims just below 2^31) and dims of 2^31 and more are RangeErrors', () => {
    const big = 2 ** 31 - 1;
    expect(() => denseForward({ x: f32(4), W: f32(4), m: big, k: big, n: 1, activation: 'relu' })).toThrow(
      /^m \* k = 4611686014132420600 elements exceeds the largest Float32Array \(4294967295\); x has length 4$/,
    );
    expect(() => denseForward({ x: f32(0), W: f32(0), m: 0, k: big, n: big, activation: 'relu' })).toThrow(/^k \* n = \d+ elements exceeds .*; W has length 0$/);
    expect(() => denseForward({ x: f32(0), W: f32(0), m: 2 ** 31, k: 0, n: 1, activation: 'relu' })).toThrow(new RangeError('m must be < 2^31, got 2147483648'));
    expect(() => denseForward({ x: f32(0), W: f32(0), m: 2 ** 53, k: 0, n: 1, activation: 'relu' })).toThrow(RangeError);
    // An output that could not exist even if memory were infinite: refused by size, not tried.
    expect(() => denseForward({ x: f32(0), W: f32(0), m: big, k: 0, n: big, activation: 'relu' })).toThrow(/^m \* n = \d+ elements exceeds the largest Float32Array/);
    expect(() =>
      denseBackward({ x: f32(4), W: f32(4), dy: f32(4), z: f32(4), m: big, k: big, n: big, activation: 'relu' }),
    ).toThrow(/^m \* k = \d+ elements exceeds .*; x has length 4$/);
    expect(() => denseBackward({ x: f32(0), W: f32(0), dy: f32(4), z: f32(4), m: 0, k: 0, n: big, activation: 'relu' })).toThrow(
      /^dy must have length 0 \(m \* n = 0 \* 2147483647\), got 4$/,
    );
    expect(() => packWeights(f32(16), 2 ** 20, 2 ** 20)).toThrow(/^k \* n = 1099511627776 elements exceeds .*; W has length 16$/);
  });

  it('a call that would allocate a huge output checks its inputs first', () => {
    const x = f32(3);
    const W = f32(0);
    const grown = arrayBufferGrowth(() => {
      // m * n = 2^32 - 2^17 would be 16 GiB of output; the bad x is found before that is tried.
      expect(() => denseForward({ x, W, m: 2 ** 15 - 1, k: 1, n: 2 ** 17, activation: 'gelu' })).toThrow(/^x must have length 32767/);
      expect(() => denseBackward({ x, W, dy: x, z: x, m: 2 ** 15 - 1, k: 1, n: 2 ** 17, activation: 'gelu' })).toThrow(/^x must have length 32767/);
    });
    expect(grown).toBe(0);
  });
});

describe('out of memory: errors, not aborts', () => {
  it('outputs, the addon scratch and a pack that cannot be allocated under RLIMIT_AS', async () => {
    const r = await runChild(child, { env: { SMELU_HUGE_MODE: 'oom' }, timeoutMs: 120_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const rep = lastJson<Record<string, string | number>>(r);
    console.log(`out of memory under RLIMIT_AS = ${rep.limitMB} MB:\n${Object.entries(rep).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
    expect(rep.denseOut).toMatch(/^RangeError: out: cannot allocate 4294967294 floats \(16\.00 GiB\)/);
    expect(rep.forwardOut).toMatch(/^RangeError: out: cannot allocate 134217728 floats/);
    expect(rep.derivativeOut).toMatch(/^RangeError: derivative: dy \(ones\): cannot allocate/);
    expect(rep.scratchSync).toBe('RangeError: out of memory: the native scratch buffers for this call could not be allocated');
    expect(rep.scratchAsync).toBe('RangeError: out of memory: the native scratch buffers for this call could not be allocated');
    expect(rep.pack).toBe('RangeError: out of memory: the native scratch buffers for this call could not be allocated');
    expect(rep.after).toBe(11);
  });
});

describe('lengths beyond 2^31', () => {
  // 8.5 GiB per child. On a machine with less than 16 GiB the child runs under an address-space
  // limit instead, and the allocation must then be refused with a RangeError (the other outcome the
  // contract allows), rather than the machine swapping or the OOM killer ending the run.
  const roomy = totalmem() >= 16 * 2 ** 30;

  async function big(mode: 'act' | 'dense') {
    const env: Record<string, string> = { SMELU_HUGE_MODE: mode };
    // The kill is a hang guard, not a speed bound: 8 GiB of page faults on a shared machine can take
    // minutes (vitest.full.config.ts allows 10 per test).
    const r = roomy
      ? await runChild(child, { env, timeoutMs: 540_000 })
      : await runChild(child, { env: { ...env, SMELU_HUGE_LIMIT: '1' }, timeoutMs: 540_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    return lastJson<Record<string, unknown>>(r);
  }

  it('an in-place activation over 2^31 + 40 floats is right on both sides of 2^31', async () => {
    const rep = await big('act');
    if (!roomy) {
      expect(String(rep.refused)).toMatch(/RangeError/);
      return;
    }
    expect(rep.length).toBe(2 ** 31 + 40);
    for (const p of rep.probes as Array<{ i: number; got: number; want: number }>) expect(p.got, `x[${p.i}]`).toBe(p.want);
    expect(rep.zeros).toEqual([0.25, 0.25, 0.25, 0.25]);
    console.log(`smelu in place over ${rep.length} floats: ${rep.ms} ms`);
  });

  it('a dense forward with m * n = 2^31 + 2^15 outputs is right on both sides of 2^31', async () => {
    const rep = await big('dense');
    if (!roomy) {
      expect(String(rep.refused)).toMatch(/RangeError/);
      return;
    }
    expect(rep.length).toBe(2 ** 31 + 2 ** 15);
    const got = (rep.values as Array<{ i: number; got: number }>).map((v) => v.got);
    // Rows 0 .. m-2 have z = 1; the last row (from element 2^31 on) z = 2.
    expect(got).toEqual([1, 1, 2, 2, 2, 2]);
    console.log(`dense forward 65537 x 2 x 32768 (y of ${rep.length} floats): ${rep.ms} ms`);
  });
});
