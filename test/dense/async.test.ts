/**
 * Many async calls in flight at once: 1,000 concurrent denseForwardAsync calls, each with its own
 * input and outputs, all settle with the same bits as the synchronous call. (The memory side, the
 * addon releasing every array afterwards, is in test/reliability/async-load.full.test.ts; the
 * event-loop delay under this load is a benchmark figure, not a test.)
 */
import { expect, it } from 'vitest';
import { denseForward, denseForwardAsync, type Activation } from '../../lib/index';

const m = 8, k = 32, n = 32;
const act: Activation = { kind: 'gelu' };
const PATTERNS = Array.from({ length: 17 }, (_, i) => new Float32Array(m * k).map((_, j) => (((j + i) % 17) - 8) / 16));
const W = new Float32Array(k * n).map((_, j) => ((j % 13) - 6) / 32);
const b = new Float32Array(n).map((_, j) => (j % 5) / 10);

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

it('1,000 concurrent denseForwardAsync calls all give the synchronous bits', async () => {
  const expected = PATTERNS.map((x) => denseForward({ x, W, b, m, k, n, activation: act, keepZ: true }));
  const calls = Array.from({ length: 1000 }, (_, i) => {
    const x = new Float32Array(PATTERNS[i % 17]);
    return denseForwardAsync({ x, W, b, m, k, n, activation: act, out: new Float32Array(m * n), zOut: new Float32Array(m * n) });
  });
  const results = await Promise.all(calls);
  const wrong = results.filter((r, i) => {
    const e = expected[i % 17];
    return !bits(r.y).every((v, j) => v === bits(e.y)[j]) || !bits(r.z!).every((v, j) => v === bits(e.z!)[j]);
  });
  expect(results).toHaveLength(1000);
  expect(wrong).toHaveLength(0);
});

it('an input detached while the call is pending does not change the result; a detached output rejects naming it', async () => {
  const x = new Float32Array(PATTERNS[3]);
  const want = denseForward({ x, W, b, m, k, n, activation: act }).y;
  const moved = denseForwardAsync({ x, W, b, m, k, n, activation: act });
  new Float32Array(structuredClone(x.buffer, { transfer: [x.buffer] })).fill(NaN);
  expect(bits((await moved).y)).toEqual(bits(want));
  const zOut = new Float32Array(m * n);
  const out = new Float32Array(m * n);
  const lost = denseForwardAsync({ x: new Float32Array(PATTERNS[3]), W, b, m, k, n, activation: act, out, zOut });
  structuredClone(zOut.buffer, { transfer: [zOut.buffer] });
  await expect(lost).rejects.toThrow(new TypeError('zOut was detached, transferred or shrunk while the async call was pending: no result was written'));
  expect(out.every((v) => v === 0)).toBe(true);
});
