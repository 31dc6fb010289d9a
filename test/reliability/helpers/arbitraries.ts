/**
 * fast-check generators for the property tests: activation descriptors with random parameters,
 * float32 values biased towards the interesting places (knots, NaN, +-Inf, denormals, huge), and
 * arrays placed at random offsets inside larger buffers (misaligned views, guard cells around them).
 */
import fc from 'fast-check';
import type { Activation, ActivationKind } from '../../../lib/activation';

export const FLT_MAX = 3.4028234663852886e38;
const MIN_NORMAL = 1.1754943508222875e-38;

/** 10^e for e uniform in [lo, hi], as a float64 (a log-uniform magnitude). */
function logUniform(lo: number, hi: number): fc.Arbitrary<number> {
  return fc.double({ min: lo, max: hi, noNaN: true }).map((e) => 10 ** e);
}

/**
 * A parameter in [lo, hi]. Magnitudes below 1e-30 become 0: a parameter that float32 cannot hold
 * (the native tiers round parameters to float32) is a known limit, not what these tests are about
 * (docs/reliability.md, "parameters below float32 range").
 */
export const small = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.double({ min: lo, max: hi, noNaN: true }).map((v) => (Math.abs(v) < 1e-30 ? Math.max(0, lo) : v));

/** smelu beta: 0 (exactly ReLU), ordinary values, and magnitudes from 1e-6 to 1e6. */
export const smeluBeta = fc.oneof(fc.constant(0), small(0, 5), logUniform(-6, 6));
const positiveBeta = fc.oneof(small(0.01, 5), logUniform(-3, 3));

/**
 * A random activation descriptor of every kind. `moderate` keeps the parameters where a dense
 * layer's k-scaled tolerance is meaningful (slopes and softplus' step at the threshold bounded).
 */
export function activationArb(moderate = false): fc.Arbitrary<Activation> {
  const slope = moderate ? small(-1.5, 1.5) : small(-4, 4);
  const edge = moderate ? small(-2, 2) : small(-6, 6);
  const gsmelu = fc
    .record({ gNeg: slope, gPos: slope, alpha: edge, beta: edge, t: edge, width: fc.oneof(small(0.05, 4), logUniform(-4, 1)) })
    .map(({ gNeg, gPos, alpha, beta, t, width }) => {
      // alpha + beta must be > 0: keep beta when it is, otherwise move it to give the drawn width.
      const b = alpha + beta > 0 ? beta : width - alpha;
      return { kind: 'gsmelu' as const, gNeg, gPos, alpha, beta: b, t };
    })
    .filter((d) => d.alpha + d.beta > 0);
  const softplusBeta = moderate ? small(0.1, 4) : positiveBeta;
  return fc.oneof(
    fc.constantFrom<Activation>({ kind: 'identity' }, { kind: 'relu' }, { kind: 'gelu' }, { kind: 'gelu_tanh' }, { kind: 'sigmoid' }),
    (moderate ? small(0, 3) : smeluBeta).map((beta) => ({ kind: 'smelu' as const, beta })),
    gsmelu,
    (moderate ? small(0.05, 3) : positiveBeta).map((beta) => ({ kind: 'rescu2' as const, beta })),
    (moderate ? small(0.1, 4) : positiveBeta).map((beta) => ({ kind: 'swish' as const, beta })),
    fc.record({ beta: softplusBeta, threshold: fc.oneof(fc.constant(20), small(1, 30)) }).map((p) => ({ kind: 'softplus' as const, ...p })),
  );
}

/** Where an activation's pieces meet (the values worth probing around). */
export function knots(a: Activation): number[] {
  switch (a.kind) {
    case 'smelu':
    case 'rescu2':
      return [-(a.beta ?? 1), 0, a.beta ?? 1];
    case 'gsmelu':
      return [-(a.alpha ?? 1), a.beta ?? 1, 0];
    case 'softplus':
      return [(a.threshold ?? 20) / (a.beta ?? 1), 0];
    default:
      return [0];
  }
}

/**
 * One float32 input value: anything float32 can hold (fast-check's float() covers NaN, +-Inf, +-0,
 * denormals and the extremes), ordinary values, denormals, huge magnitudes, and points at and
 * next to the activation's knots.
 */
export function valueArb(a: Activation): fc.Arbitrary<number> {
  const ks = knots(a).map(Math.fround).filter(Number.isFinite);
  return fc.oneof(
    { arbitrary: fc.float(), weight: 3 },
    { arbitrary: fc.float({ min: -30, max: 30, noNaN: true }), weight: 4 },
    { arbitrary: fc.float({ min: -MIN_NORMAL, max: MIN_NORMAL, noNaN: true }), weight: 1 },
    { arbitrary: fc.float({ min: Math.fround(1e20), max: Math.fround(FLT_MAX), noNaN: true }).chain((v) => fc.constantFrom(v, -v)), weight: 1 },
    { arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0), weight: 1 },
    {
      arbitrary: fc.tuple(fc.constantFrom(...ks), fc.integer({ min: -3, max: 3 }), small(-1e-3, 1e-3)).map(([k, steps, jitter]) =>
        steps === 0 ? Math.fround(k + jitter) : nudge(Math.fround(k), steps),
      ),
      weight: 3,
    },
  );
}

/** Upstream gradients: finite with |dy| <= 1e30, plus NaN and denormals (see reliability.md). */
export const gradArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.float({ min: -4, max: 4, noNaN: true }), weight: 6 },
  { arbitrary: fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true }), weight: 2 },
  { arbitrary: fc.float({ min: -MIN_NORMAL, max: MIN_NORMAL, noNaN: true }), weight: 1 },
  { arbitrary: fc.constant(NaN), weight: 1 },
);

/** x moved by `steps` float32 ulps. */
export function nudge(x: number, steps: number): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  for (let s = 0; s < Math.abs(steps); s++) {
    const up = steps > 0;
    if (f[0] === 0) i[0] = up ? 1 : 0x80000001 | 0;
    else if (f[0] > 0 === up) i[0] += 1;
    else i[0] -= 1;
  }
  return f[0];
}

/** A guard value written around every view: a write outside the view changes it. */
export const GUARD = -1234.5;
export const GUARD_CELLS = 16;

/** A Float32Array view of `values` at element offset `offset` inside a buffer with guard cells. */
export function placed(values: ArrayLike<number>, offset: number): Float32Array {
  const buf = new Float32Array(offset + values.length + GUARD_CELLS).fill(GUARD);
  const view = buf.subarray(offset, offset + values.length);
  view.set(values);
  return view;
}

/** An output view (filled with NaN so stale contents show) at `offset`, guarded on both sides. */
export function placedOut(length: number, offset: number): Float32Array {
  const buf = new Float32Array(offset + length + GUARD_CELLS).fill(GUARD);
  const view = buf.subarray(offset, offset + length);
  view.fill(NaN);
  return view;
}

/** True when every cell of the view's buffer outside the view still holds GUARD. */
export function guardsIntact(view: Float32Array): boolean {
  const all = new Float32Array(view.buffer);
  const first = view.byteOffset / 4;
  for (let i = 0; i < all.length; i++) {
    if (i >= first && i < first + view.length) continue;
    if (all[i] !== GUARD) return false;
  }
  return true;
}

export type { ActivationKind };
