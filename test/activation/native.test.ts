/**
 * The native elementwise kernels on every ISA tier this CPU supports, through the public API:
 * every activation forward and backward (and backward from the output for relu / smelu) against
 * the float64 reference (lib/reference.ts) on the spec's grid, random inputs and edge points;
 * NaN and +-Infinity; bitwise agreement between the tiers; lengths, unaligned views, in place;
 * and tier switching with setIsa. Skipped when the native addon is not loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activation, activationLabel, type Activation } from '../../lib/activation';
import { selected } from '../../lib/runtime';
import type { IsaTier } from '../../lib/backend/types';
import { backward, backwardFromOutput, forward, info, setIsa } from '../../lib/index';
import {
  SPEC_TOL,
  describeWorst,
  maxError,
  refBackwardAll,
  refDerivative,
  refDerivativeFromOutput,
  refForward,
  refForwardAll,
  scaledError,
  seededRandom,
  specGrid,
} from '../../lib/reference';

const CASES: Activation[] = [
  { kind: 'identity' },
  { kind: 'relu' },
  { kind: 'smelu', beta: 0 },
  { kind: 'smelu', beta: 0.5 },
  { kind: 'smelu', beta: 1 },
  { kind: 'smelu', beta: 4 },
  { kind: 'smelu', beta: 0.1 },
  { kind: 'gsmelu' },
  { kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 0.5, beta: 1.5, t: 0.2 },
  { kind: 'gsmelu', gNeg: -0.2, gPos: 2, alpha: -0.5, beta: 1.5, t: -1 },
  { kind: 'gsmelu', gNeg: 0.3, gPos: 0, alpha: 2, beta: 0.25, t: 0.5 },
  { kind: 'rescu2', beta: 0.5 },
  { kind: 'rescu2', beta: 1 },
  { kind: 'rescu2', beta: 3 },
  { kind: 'gelu' },
  { kind: 'gelu_tanh' },
  { kind: 'swish', beta: 0.5 },
  { kind: 'swish', beta: 1 },
  { kind: 'swish', beta: 4 },
  { kind: 'softplus', beta: 1, threshold: 20 },
  { kind: 'softplus', beta: 8, threshold: 20 },
  { kind: 'softplus', beta: 0.1, threshold: 20 },
  { kind: 'softplus', beta: 1, threshold: 5 },
  { kind: 'sigmoid' },
];

const FROM_OUTPUT: Activation[] = [{ kind: 'relu' }, { kind: 'smelu', beta: 1 }, { kind: 'smelu', beta: 0.25 }];

// The kernel backends: the native addon, or its WebAssembly build (run with SMELU_BACKEND=wasm).
const isNative = selected().backend.name === 'native' || selected().backend.name === 'wasm';
const TIERS: IsaTier[] = isNative ? info().supportedIsas : [];
const BEST: IsaTier | undefined = TIERS[TIERS.length - 1];

/** The inputs compared with the reference: the spec's grid, edges and random points. */
function inputsFor(act: Activation): Float32Array {
  const s = activation(act);
  return specGrid(s.kind, s.params);
}

function randomDy(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const dy = new Float32Array(n);
  for (let i = 0; i < n; i++) dy[i] = 4 * rnd() - 2;
  return dy;
}

/** Any float32 bit patterns: NaNs with payloads, infinities, denormals. */
function randomBits(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) u[i] = Math.floor(rnd() * 4294967296);
  return new Float32Array(u.buffer);
}

/** Index of the first element whose bits differ (NaN matches NaN), or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

function expectSameBits(got: Float32Array, want: Float32Array, what: string, xs?: Float32Array): void {
  const i = firstBitDifference(got, want);
  const where = i < 0 ? '' : ` at [${i}]${xs ? ` x = ${xs[i]}` : ''}: ${got[i]} vs ${want[i]}`;
  expect(i, `${what}${where}`).toBe(-1);
}

function withTier<T>(tier: IsaTier, fn: () => T): T {
  setIsa(tier);
  try {
    return fn();
  } finally {
    if (BEST) setIsa(BEST);
  }
}

describe.runIf(isNative)('native activation kernels', () => {
  afterAll(() => {
    if (BEST) setIsa(BEST);
  });

  it('runs on the native backend with the best tier selected', () => {
    expect(['native', 'wasm']).toContain(info().backend);
    expect(info().isa).toBe(BEST);
    expect(TIERS[0]).toBe(info().backend === 'wasm' ? 'wasm-simd128' : 'scalar');
  });

  describe.each(TIERS)('tier %s', (tier) => {
    beforeAll(() => setIsa(tier));
    afterAll(() => {
      if (BEST) setIsa(BEST);
    });

    for (const act of CASES) {
      const label = activationLabel(act);
      const s = activation(act);

      it(`${label}: forward and backward within the bound`, () => {
        expect(info().isa).toBe(tier);
        const xs = inputsFor(act);
        const y = forward(s, xs);
        const refY = refForwardAll(s.kind, s.params, xs);
        expect(maxError(y, refY).err, describeWorst(`${label} forward`, xs, y, refY)).toBeLessThanOrEqual(SPEC_TOL);

        const dy = randomDy(xs.length, 7);
        const dz = backward(s, xs, dy);
        const refDz = refBackwardAll(s.kind, s.params, xs, dy);
        expect(maxError(dz, refDz).err, describeWorst(`${label} backward`, xs, dz, refDz)).toBeLessThanOrEqual(
          SPEC_TOL,
        );
      });

      it(`${label}: NaN gives NaN, +-Infinity the limits, derivatives never NaN at +-Infinity`, () => {
        const xs = new Float32Array([NaN, Infinity, -Infinity, 0, -0]);
        const y = forward(s, xs);
        const d = backward(s, xs, new Float32Array(xs.length).fill(1));
        for (let i = 0; i < xs.length; i++) {
          const what = `${label} at ${xs[i]}: f = ${y[i]}, f' = ${d[i]}`;
          expect(scaledError(y[i], refForward(s.kind, s.params, xs[i])), what).toBeLessThanOrEqual(SPEC_TOL);
          expect(scaledError(d[i], refDerivative(s.kind, s.params, xs[i])), what).toBeLessThanOrEqual(SPEC_TOL);
        }
        expect(Number.isNaN(y[0]) && Number.isNaN(d[0])).toBe(true);
        expect(Number.isNaN(d[1]) || Number.isNaN(d[2])).toBe(false);
      });
    }

    for (const act of FROM_OUTPUT) {
      const label = activationLabel(act);
      const s = activation(act);
      it(`${label}: backward from the output within the bound`, () => {
        const xs = specGrid(s.kind, s.params);
        const y = forward(s, xs);
        const dy = randomDy(xs.length, 11);
        const dz = backwardFromOutput(s, y, dy);
        const ref = new Float64Array(xs.length);
        for (let i = 0; i < xs.length; i++) ref[i] = dy[i] * refDerivativeFromOutput(s.kind as 'relu' | 'smelu', s.params, y[i]);
        expect(maxError(dz, ref).err, describeWorst(`${label} from y`, y, dz, ref)).toBeLessThanOrEqual(SPEC_TOL);
        // and against f'(x) itself: y carries x's information wherever f' is not flat
        const refX = refBackwardAll(s.kind, s.params, xs, dy);
        const finite = xs.map((x) => (Math.abs(x) <= 30 ? 1 : 0));
        const got = dz.filter((_, i) => finite[i]);
        const want = refX.filter((_, i) => finite[i]);
        expect(maxError(got, want).err).toBeLessThanOrEqual(1e-3);
      });
    }
  });

  it('every tier gives the same bits as the scalar tier, NaN payloads and denormals included', () => {
    for (const act of CASES) {
      const s = activation(act);
      const xs = new Float32Array([...specGrid(s.kind, s.params), ...randomBits(20000, 3)]);
      const dy = new Float32Array([...randomDy(xs.length - 100, 5), ...randomBits(100, 9)]);
      const run = (tier: IsaTier) =>
        withTier(tier, () => [
          forward(s, xs),
          backward(s, xs, dy),
          ...(s.backwardFromOutput ? [backwardFromOutput(s, xs, dy)] : []),
        ]);
      const want = run(TIERS[0]); // the reference tier: scalar (native) or the single wasm tier
      for (const tier of TIERS.slice(1)) {
        const got = run(tier);
        got.forEach((g, j) => expectSameBits(g, want[j], `${activationLabel(act)} ${tier} output ${j}`, xs));
      }
    }
  });

  describe('lengths, views and aliasing', () => {
    const N = 2 ** 20 + 3;
    const big = new Float32Array(N);
    const rnd = seededRandom(21);
    for (let i = 0; i < N; i++) big[i] = i % 97 === 0 ? [NaN, Infinity, -Infinity, -0, 1e-42][i % 5] : 60 * rnd() - 30;
    const dyBig = randomDy(N, 23);

    for (const act of CASES.filter((a, i) => i % 2 === 0 || a.kind === 'gelu' || a.kind === 'swish')) {
      const label = activationLabel(act);
      const s = activation(act);
      it(`${label}: lengths 0, 1, 15, 17, 2^20+3 on every tier agree with the long array`, () => {
        const wantY = forward(s, big);
        const wantDz = backward(s, big, dyBig);
        for (let i = 0; i < N; i += 1009) {
          expect(scaledError(wantY[i], refForward(s.kind, s.params, big[i])), `${label} f(${big[i]})`).toBeLessThanOrEqual(SPEC_TOL);
          const ref = dyBig[i] * refDerivative(s.kind, s.params, big[i]);
          expect(scaledError(wantDz[i], ref), `${label} f'(${big[i]})`).toBeLessThanOrEqual(SPEC_TOL);
        }
        for (const tier of TIERS) {
          withTier(tier, () => {
            for (const n of [0, 1, 15, 17, N]) {
              const y = forward(s, big.subarray(0, n));
              expect(y.length).toBe(n);
              expectSameBits(y, wantY.subarray(0, n), `${label} ${tier} forward length ${n}`);
              const dz = backward(s, big.subarray(0, n), dyBig.subarray(0, n));
              expectSameBits(dz, wantDz.subarray(0, n), `${label} ${tier} backward length ${n}`);
            }
          });
        }
      });
    }

    it('a Float32Array at a 4-byte offset (unaligned) gives the same bits, in and out', () => {
      const n = 4099;
      const x = big.slice(0, n);
      for (const act of CASES) {
        const s = activation(act);
        const want = forward(s, x);
        const wantDz = backward(s, x, dyBig.subarray(0, n));
        for (const tier of TIERS) {
          withTier(tier, () => {
            for (const [inOff, outOff] of [
              [4, 4],
              [4, 8],
              [12, 0],
            ]) {
              const xin = new Float32Array(new ArrayBuffer(4 * n + 64), inOff, n);
              xin.set(x);
              const out = new Float32Array(new ArrayBuffer(4 * n + 64), outOff, n);
              forward(s, xin, out);
              expectSameBits(out, want, `${activationLabel(act)} ${tier} forward offsets ${inOff}/${outOff}`);
              const dyv = new Float32Array(new ArrayBuffer(4 * n + 64), 8, n);
              dyv.set(dyBig.subarray(0, n));
              backward(s, xin, dyv, out);
              expectSameBits(out, wantDz, `${activationLabel(act)} ${tier} backward offsets ${inOff}/${outOff}`);
            }
          });
        }
      }
    });

    it('in place over the input gives the same bits as out of place', () => {
      const n = 1000;
      for (const act of CASES) {
        const s = activation(act);
        const x = big.slice(0, n);
        const dy = dyBig.slice(0, n);
        const want = forward(s, x);
        const wantDz = backward(s, x, dy);
        for (const tier of TIERS) {
          withTier(tier, () => {
            const a = x.slice();
            expect(forward(s, a, a)).toBe(a);
            expectSameBits(a, want, `${activationLabel(act)} ${tier} forward in place`);
            const z = x.slice();
            backward(s, z, dy, z);
            expectSameBits(z, wantDz, `${activationLabel(act)} ${tier} backward in place over z`);
            const d = dy.slice();
            backward(s, x, d, d);
            expectSameBits(d, wantDz, `${activationLabel(act)} ${tier} backward in place over dy`);
          });
        }
      }
    });

    it('arrays past the non-temporal store threshold (16 MiB) give the same bits as the scalar tier', () => {
      const n = 2 ** 22 + 5;
      const x = new Float32Array(new ArrayBuffer(4 * n + 4), 4, n);
      for (let i = 0; i < n; i++) x[i] = big[i % N];
      for (const act of [{ kind: 'smelu', beta: 1 }, { kind: 'gelu' }, { kind: 'swish' }] as Activation[]) {
        const want = withTier(TIERS[0], () => forward(act, x));
        for (const tier of TIERS.slice(1)) withTier(tier, () => expectSameBits(forward(act, x), want, `${act.kind} ${tier}`));
      }
    });
  });

  it('gSmeLU with gPos = 0 stays on its plateau t + gNeg (beta - alpha) / 2 for huge x', () => {
    const act = { kind: 'gsmelu', gNeg: 0.3, gPos: 0, alpha: 2, beta: 0.25, t: 0.5 } as const;
    const plateau = Math.fround(0.5 + (0.3 * (0.25 - 2)) / 2);
    const xs = new Float32Array([1, 1e10, 1e20, 1e30, 3e38, Infinity]);
    for (const tier of TIERS) {
      withTier(tier, () => {
        const y = forward(act, xs);
        for (let i = 0; i < xs.length; i++) expect(Math.abs(y[i] - plateau), `${tier} f(${xs[i]})`).toBeLessThanOrEqual(1e-6);
        expect(Array.from(backward(act, xs, new Float32Array(xs.length).fill(1)))).toEqual(Array(xs.length).fill(0));
      });
    }
  });

  it('setIsa switches tiers, refuses unsupported ones, and the best tier can be restored', () => {
    for (const tier of TIERS) {
      setIsa(tier);
      expect(info().isa).toBe(tier);
    }
    const missing = (['scalar', 'avx2', 'avx512', 'neon'] as IsaTier[]).find((t) => !TIERS.includes(t));
    if (missing) {
      expect(() => setIsa(missing)).toThrow(RangeError);
      expect(info().isa).toBe(TIERS[TIERS.length - 1]);
    }
    expect(() => setIsa('sse' as IsaTier)).toThrow(RangeError);
    setIsa(BEST!);
    expect(info().isa).toBe(BEST);
  });
});
