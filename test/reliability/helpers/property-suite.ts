/**
 * Property-based tests (fast-check): every public compute function on the native backend against
 * the TypeScript backend (lib/backend/js.ts, called with the same validated spec) and the float64
 * reference of lib/reference.ts, over random activations, parameters, shapes, lengths, offsets
 * and values (NaN, +-Inf, denormals, huge). Activations must meet the spec bound; dense results a
 * k-scaled bound (./dense-check.ts). Outputs are guarded on both sides against stray writes
 * and inputs must come back unchanged.
 *
 * Seed: fixed by default, SMELU_FC_SEED overrides it; fast-check prints the seed and path of a
 * failing case. SMELU_FC_SCALE scales every run count (e.g. 0.1 for a quick look).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, fcSeed, sameBits } from './env';
import {
  activation,
  backward,
  backwardFromOutput,
  denseBackward,
  denseBackwardAsync,
  denseForward,
  denseForwardAsync,
  derivative,
  forward,
  info,
  packWeights,
  type Activation,
  type ActivationSpec,
} from '../../../lib/index';
import { jsBackend } from '../../../lib/backend/js';
import { refDerivative, refDerivativeFromOutput, refForward, scaledError, seededRandom, SPEC_TOL } from '../../../lib/reference';
import { activationArb, gradArb, guardsIntact, nudge, placed, placedOut, smeluBeta, valueArb } from './arbitraries';
import { checkBackward, checkForward, EPS32 } from './dense-check';

const seed = fcSeed();
let scale = 1;
const runs = (n: number): number => Math.max(10, Math.round(n * scale));
const done: Record<string, number> = {};
// The activation kinds' own bound (each backend within SPEC_TOL of float64), and the two backends
// against each other: within twice that, by the triangle inequality.
const TOL = SPEC_TOL;

function assertProperty<T>(name: string, p: fc.IProperty<T> | fc.IAsyncProperty<T>, numRuns: number): void | Promise<void> {
  const params = { seed, numRuns, endOnFailure: true };
  const count = (): void => {
    done[name] = numRuns;
  };
  const r = fc.assert(p as fc.IProperty<T>, params) as unknown;
  if (r instanceof Promise) return r.then(count);
  count();
}



// ------------------------------------------------------------------ activations

/** Lengths 0..80 mostly, sometimes up to 300 (past the unrolled SIMD body and its tails). */
const lengthArb = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 80 }), weight: 5 }, { arbitrary: fc.integer({ min: 81, max: 300 }), weight: 1 });
const offsetArb = fc.integer({ min: 0, max: 17 });

function arrayOf(len: number, v: fc.Arbitrary<number>): fc.Arbitrary<number[]> {
  return fc.array(v, { minLength: len, maxLength: len });
}

interface ActCase {
  act: Activation;
  a: number[];
  b: number[];
  aOff: number;
  bOff: number;
  outOff: number;
  /** new: allocated; out: separate output; inA / inB: in place over the first / second input. */
  mode: 'new' | 'out' | 'inA' | 'inB';
}

function actCaseArb(acts: fc.Arbitrary<Activation>, second: 'grad' | 'none', modes: ActCase['mode'][]): fc.Arbitrary<ActCase> {
  return acts.chain((act) =>
    lengthArb.chain((len) =>
      fc.record({
        act: fc.constant(act),
        a: arrayOf(len, valueArb(act)),
        b: second === 'grad' ? arrayOf(len, gradArb) : fc.constant([]),
        aOff: offsetArb,
        bOff: offsetArb,
        outOff: offsetArb,
        mode: fc.constantFrom(...modes),
      }),
    ),
  );
}

function describeAct(spec: ActivationSpec): string {
  return `${spec.kind}(${Array.from(spec.params).join(', ')})`;
}

/**
 * The inputs whose reference a result may match: x itself, and for softplus within 4 float32 ulps
 * of its threshold the neighbours too. f jumps there (by log1p(e^-threshold) / beta: 31% of f for
 * threshold 1), and a float32 beta x lands on either side of the threshold where float64 does not
 * (docs/reliability.md, finding "softplus threshold").
 */
function inputsToMatch(spec: ActivationSpec, x: number): number[] {
  if (spec.kind !== 'softplus' || !Number.isFinite(x)) return [x];
  const knot = spec.params[1] / spec.params[0];
  const ulp = Math.abs(nudge(x, 1) - x);
  // float32 beta x against float32 threshold: three roundings of 2^-24 each, at most 3 ulps of x.
  if (Math.abs(x - knot) > 4 * ulp) return [x];
  return [-4, -3, -2, -1, 0, 1, 2, 3, 4].map((s) => nudge(x, s));
}

/** f(x) in float64 (the reference evaluates each gSmeLU line on its own: no cancellation). */
function refF(spec: ActivationSpec, x: number): number {
  return refForward(spec.kind, spec.params, x);
}

/**
 * The backward's allowance: dz = dy f'(z), and the contract bounds f' (1e-6 max(1, |f'|)), so dz
 * may be off by that times |dy|, plus the float32 rounding of the product. Without it a huge dy
 * (1e30) would turn f' = 5e-15 near a knot, exact to 1e-17 but computed from beta rounded to
 * float32, into an "error" of 14 (docs/reliability.md, "backward bound").
 */
function gradAllowance(dy: number, ref: number): number {
  return TOL * Math.max(Math.abs(dy), Math.abs(ref)) + EPS32 * Math.abs(ref);
}

/**
 * Checks one elementwise result: native `got` and TypeScript `js` each within the spec bound of
 * the float64 reference (or the allowance `extra(i, ref)` for a backward), and within the sum of
 * both bounds of each other. `jsExtra` adds a known extra error of the TypeScript backend at an
 * input. Throws with the first bad element.
 */
function expectElementwise(
  spec: ActivationSpec,
  input: Float32Array,
  got: Float32Array,
  js: Float32Array,
  ref: (i: number, x: number) => number,
  opts: { extra?: (i: number, ref: number) => number; jsExtra?: (x: number) => number } = {},
): void {
  const extraOf = opts.extra ?? (() => 0);
  const jsExtraOf = opts.jsExtra ?? (() => 0);
  for (let i = 0; i < got.length; i++) {
    const candidates = inputsToMatch(spec, input[i]);
    const within = (v: number, jsSide: boolean): boolean =>
      candidates.some((x) => {
        const r = ref(i, x);
        if (scaledError(v, r) <= TOL) return true;
        const extra = extraOf(i, r) + (jsSide ? jsExtraOf(x) : 0);
        return extra > 0 && Number.isFinite(v) && Number.isFinite(r) && Math.abs(v - r) <= TOL * Math.max(1, Math.abs(r)) + extra;
      });
    const r = ref(i, input[i]);
    const eBoth = scaledError(got[i], js[i]);
    const slack = (2 * extraOf(i, r) + jsExtraOf(input[i])) / (Number.isFinite(js[i]) ? Math.max(1, Math.abs(js[i])) : 1);
    const bothBound = 2 * TOL + (Number.isFinite(slack) ? slack : 0);
    if (within(got[i], false) && within(js[i], true) && (eBoth <= bothBound || candidates.length > 1)) continue;
    throw new Error(
      `${describeAct(spec)} at input[${i}] = ${input[i]}: native ${got[i]}, js ${js[i]}, ref ${r} ` +
        `(scaled errors native ${scaledError(got[i], r)}, js ${scaledError(js[i], r)}, between ${eBoth})`,
    );
  }
}

/** Runs a public elementwise function per the case's output mode; returns the result and its inputs' copies. */
function runElementwise(c: ActCase, call: (a: Float32Array, b: Float32Array, out?: Float32Array) => Float32Array) {
  const a = placed(c.a, c.aOff);
  const b = placed(c.b, c.bOff);
  const a0 = Float32Array.from(a);
  const b0 = Float32Array.from(b);
  let out: Float32Array | undefined;
  if (c.mode === 'out') out = placedOut(a.length, c.outOff);
  if (c.mode === 'inA') out = a;
  if (c.mode === 'inB' && c.b.length === c.a.length) out = b;
  const got = call(a, b, out);
  if (out) expect(got).toBe(out);
  expect(got.length).toBe(a.length);
  // Nothing written outside the views; inputs untouched unless they were the output.
  expect(guardsIntact(a) && guardsIntact(b)).toBe(true);
  if (out && c.mode === 'out') expect(guardsIntact(out)).toBe(true);
  if (out !== a) expect(sameBits(a, a0)).toBe(true);
  if (out !== b) expect(sameBits(b, b0)).toBe(true);
  return { got, a0, b0 };
}


// ------------------------------------------------------------------ dense

interface DenseCase {
  act: Activation;
  m: number;
  k: number;
  n: number;
  /** Seed of the values (drawn here rather than by fast-check: thousands of floats per case). */
  valueSeed: number;
  /** Share of special values (NaN, +-Inf, +-0, denormals, |v| up to 1e3). */
  special: number;
  bias: boolean;
  offsets: number[];
  flags: boolean[];
}

const denseCaseArb: fc.Arbitrary<DenseCase> = fc.record({
  act: activationArb(true),
  m: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 20 }), weight: 4 }, { arbitrary: fc.integer({ min: 21, max: 70 }), weight: 1 }),
  // k past 512 crosses the AVX-512 tier's k block (the chain continues through C memory).
  k: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 6 }, { arbitrary: fc.integer({ min: 41, max: 300 }), weight: 1 }, { arbitrary: fc.integer({ min: 500, max: 540 }), weight: 1 }),
  n: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 4 }, { arbitrary: fc.integer({ min: 41, max: 100 }), weight: 1 }),
  valueSeed: fc.integer({ min: 1, max: 0x7fffffff }),
  special: fc.constantFrom(0, 0, 0.01, 0.1),
  bias: fc.boolean(),
  offsets: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 }),
  flags: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
});

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -3e-39, 1e3, -1e3, 1.4e-45];

/** Seeded values: uniform in [-scale, scale], with a share of specials (finiteOnly: NaN but no +-Inf). */
function values(len: number, rnd: () => number, special: number, scale = 2, finiteOnly = false): number[] {
  const out = new Array<number>(len);
  for (let i = 0; i < len; i++) {
    if (rnd() < special) {
      let v = SPECIALS[Math.floor(rnd() * SPECIALS.length)];
      if (finiteOnly && !Number.isNaN(v) && !Number.isFinite(v)) v = 0;
      out[i] = v;
    } else out[i] = (2 * rnd() - 1) * scale;
  }
  return out;
}

interface DenseForwardSetup {
  spec: ActivationSpec;
  x: Float32Array;
  W: Float32Array;
  b: Float32Array | null;
  out?: Float32Array;
  zOut?: Float32Array;
  keepZ: boolean;
  copies: Float32Array[];
}

function forwardSetup(c: DenseCase): DenseForwardSetup {
  const spec = activation(c.act);
  const rnd = seededRandom(c.valueSeed);
  const x = placed(values(c.m * c.k, rnd, c.special), c.offsets[0]);
  const W = placed(values(c.k * c.n, rnd, c.special), c.offsets[1]);
  const b = c.bias ? placed(values(c.n, rnd, c.special), c.offsets[2]) : null;
  const out = c.flags[0] ? placedOut(c.m * c.n, c.offsets[3]) : undefined;
  const zOut = c.flags[1] ? placedOut(c.m * c.n, c.offsets[4]) : undefined;
  const copies = [x, W, ...(b ? [b] : [])].map((a) => Float32Array.from(a));
  return { spec, x, W, b, out, zOut, keepZ: c.flags[2], copies };
}

/** The TypeScript backend's y and z for a setup (z always computed: it is what the bound is about). */
function forwardJs(c: DenseCase, s: DenseForwardSetup): { y: Float32Array; z: Float32Array } {
  const y = new Float32Array(c.m * c.n);
  const z = new Float32Array(c.m * c.n);
  jsBackend.denseForward({ m: c.m, k: c.k, n: c.n, x: s.copies[0], w: s.copies[1], b: s.b ? s.copies[2] : null, code: s.spec.code, params: s.spec.params, y, z });
  return { y, z };
}

function expectForward(c: DenseCase, s: DenseForwardSetup, r: { y: Float32Array; z?: Float32Array }): void {
  if (s.out) expect(r.y).toBe(s.out);
  if (s.zOut) expect(r.z).toBe(s.zOut);
  // z is returned when written to zOut, or kept (keepZ here is always given, so it decides).
  const wantZ = s.zOut !== undefined || (s.keepZ && s.spec.kind !== 'identity');
  expect(r.z !== undefined).toBe(wantZ);
  for (const a of [s.x, s.W, ...(s.b ? [s.b] : []), ...(s.out ? [s.out] : []), ...(s.zOut ? [s.zOut] : [])]) expect(guardsIntact(a)).toBe(true);
  [s.x, s.W, ...(s.b ? [s.b] : [])].forEach((a, i) => expect(sameBits(a, s.copies[i])).toBe(true));
  const js = forwardJs(c, s);
  const why = checkForward({
    m: c.m, k: c.k, n: c.n, x: s.copies[0], W: s.copies[1], b: s.b ? s.copies[2] : null,
    kind: s.spec.kind, params: s.spec.params, y: r.y, yJs: js.y, z: r.z, zJs: js.z,
  });
  if (why) throw new Error(`${describeAct(s.spec)} m=${c.m} k=${c.k} n=${c.n}: ${why}`);
}

function forwardArgs(c: DenseCase, s: DenseForwardSetup, W: Float32Array | ReturnType<typeof packWeights> = s.W) {
  return { x: s.x, W, b: s.b, m: c.m, k: c.k, n: c.n, activation: s.spec, out: s.out, zOut: s.zOut, keepZ: s.keepZ };
}

interface DenseBackwardSetup {
  spec: ActivationSpec;
  args: Parameters<typeof denseBackward>[0];
  x: Float32Array; W: Float32Array; dy: Float32Array; saved: Float32Array; savedIsOutput: boolean;
  dW0: Float32Array | null; db0: Float32Array | null;
  copies: Float32Array[];
}

function backwardSetup(c: DenseCase): DenseBackwardSetup {
  const spec = activation(c.act);
  const rnd = seededRandom(c.valueSeed);
  const { m, k, n } = c;
  // x, W and dy carry NaN but not +-Inf: an infinite dy times a derivative that one backend
  // rounds to 0 and the other to a denormal is NaN against Inf, a float32 artefact (reliability.md).
  const x = placed(values(m * k, rnd, c.special, 2, true), c.offsets[0]);
  const W = placed(values(k * n, rnd, c.special, 2, true), c.offsets[1]);
  const dy = placed(values(m * n, rnd, c.special, 2, true), c.offsets[2]);
  const savedIsOutput = spec.backwardFromOutput && c.flags[0];
  const saved = placed(values(m * n, rnd, c.special, 4), c.offsets[3]);
  const accumulate = c.flags[1];
  const dW0 = accumulate ? Float32Array.from(values(k * n, rnd, c.special, 2, true)) : null;
  const db0 = accumulate && c.flags[3] ? Float32Array.from(values(n, rnd, c.special, 2, true)) : null;
  const args: Parameters<typeof denseBackward>[0] = { x, W, dy, m, k, n, activation: spec, accumulate };
  if (savedIsOutput) args.y = saved;
  else args.z = saved;
  args.dx = c.flags[2] ? placedOut(m * k, c.offsets[4]) : c.flags[4] ? false : undefined;
  args.dW = dW0 ? placed(dW0, c.offsets[5]) : c.flags[5] ? placedOut(k * n, c.offsets[5]) : undefined;
  args.db = db0 ? placed(db0, c.offsets[6]) : accumulate ? false : c.flags[3] ? placedOut(n, c.offsets[6]) : undefined;
  const copies = [x, W, dy, saved].map((a) => Float32Array.from(a));
  return { spec, args, x, W, dy, saved, savedIsOutput, dW0, db0, copies };
}

function expectBackward(c: DenseCase, s: DenseBackwardSetup, r: Awaited<ReturnType<typeof denseBackwardAsync>>): void {
  const { m, k, n } = c;
  const a = s.args;
  if (a.dx instanceof Float32Array) expect(r.dx).toBe(a.dx);
  if (a.dx === false) expect(r.dx).toBeUndefined();
  if (a.dW) expect(r.dW).toBe(a.dW);
  if (a.db instanceof Float32Array) expect(r.db).toBe(a.db);
  if (a.db === false) expect(r.db).toBeUndefined();
  for (const v of [s.x, s.W, s.dy, s.saved, r.dx, r.dW, r.db]) if (v) expect(guardsIntact(v)).toBe(true);
  [s.x, s.W, s.dy, s.saved].forEach((v, i) => expect(sameBits(v, s.copies[i])).toBe(true));
  const [x, W, dy, saved] = s.copies;
  const dZ = new Float32Array(m * n);
  if (s.savedIsOutput) jsBackend.actBackwardFromOutput(s.spec.code, s.spec.params, saved, dy, dZ);
  else jsBackend.actBackward(s.spec.code, s.spec.params, saved, dy, dZ);
  const dxJs = r.dx ? new Float32Array(m * k) : null;
  const dWJs = s.dW0 ? Float32Array.from(s.dW0) : new Float32Array(k * n);
  const dbJs = r.db ? (s.db0 ? Float32Array.from(s.db0) : new Float32Array(n)) : null;
  jsBackend.denseBackward({ m, k, n, x, w: W, dy, saved, savedIsOutput: s.savedIsOutput, code: s.spec.code, params: s.spec.params, dx: dxJs, dW: dWJs, db: dbJs, accumulate: a.accumulate === true });
  const why = checkBackward({
    m, k, n, x, W, dZ, dy, dx: r.dx ?? null, dxJs, dW: r.dW, dWJs, dW0: s.dW0, db: r.db ?? null, dbJs, db0: s.db0,
  });
  if (why) throw new Error(`${describeAct(s.spec)} m=${m} k=${k} n=${n} from ${s.savedIsOutput ? 'y' : 'z'} accumulate=${a.accumulate}: ${why}`);
}

/**
 * Registers the suite; `defaultScale` scales every run count (SMELU_FC_SCALE overrides it).
 */
export function definePropertySuite(defaultScale: number): void {
  scale = Number(process.env.SMELU_FC_SCALE ?? String(defaultScale));
  afterAll(() => {
    const total = Object.values(done).reduce((a, b) => a + b, 0);
    const lines = Object.entries(done).map(([k, v]) => `  ${k}: ${v}`);
    console.log(`fast-check seed ${seed} (SMELU_FC_SEED to change): ${total} cases\n${lines.join('\n')}`);
  });

  it('runs on the native backend (the addon built by npm install)', () => {
    // run_sanitizers.sh checks this line to know which build the tests ran against.
    console.log(`backend: ${info().reason}`);
    expect(info().backend, `addon not loaded: ${info().reason} (root ${ROOT})`).toBe('native');
  });

  describe('activations: native against the TypeScript backend and float64', () => {
    it('forward: random kinds, parameters, lengths, offsets, values; new / out / in place', () => {
      const prop = fc.property(actCaseArb(activationArb(), 'none', ['new', 'out', 'inA']), (c) => {
        const spec = activation(c.act);
        const { got, a0 } = runElementwise(c, (a, _b, out) => forward(spec, a, out));
        const js = new Float32Array(a0.length);
        jsBackend.actForward(spec.code, spec.params, a0, js);
        expectElementwise(spec, a0, got, js, (_i, x) => refF(spec, x));
      });
      assertProperty('activation forward', prop, runs(30_000));
    });

    it('backward: dz = dy f\'(z), in place over z or dy too', () => {
      const prop = fc.property(actCaseArb(activationArb(), 'grad', ['new', 'out', 'inA', 'inB']), (c) => {
        const spec = activation(c.act);
        const { got, a0, b0 } = runElementwise(c, (z, dy, out) => backward(spec, z, dy, out));
        const js = new Float32Array(a0.length);
        jsBackend.actBackward(spec.code, spec.params, a0, b0, js);
        expectElementwise(spec, a0, got, js, (i, z) => b0[i] * refDerivative(spec.kind, spec.params, z), { extra: (i, r) => gradAllowance(b0[i], r) });
      });
      assertProperty('activation backward', prop, runs(25_000));
    });

    it('backwardFromOutput: relu and smelu from y alone', () => {
      const acts = fc.oneof(
        fc.constant<Activation>({ kind: 'relu' }),
        smeluBeta.map((beta): Activation => ({ kind: 'smelu', beta })),
      );
      const prop = fc.property(actCaseArb(acts, 'grad', ['new', 'out', 'inA', 'inB']), (c) => {
        const spec = activation(c.act);
        const { got, a0, b0 } = runElementwise(c, (y, dy, out) => backwardFromOutput(spec, y, dy, out));
        const js = new Float32Array(a0.length);
        jsBackend.actBackwardFromOutput(spec.code, spec.params, a0, b0, js);
        const kind = spec.kind as 'relu' | 'smelu';
        expectElementwise(spec, a0, got, js, (i, y) => b0[i] * refDerivativeFromOutput(kind, spec.params, y), { extra: (i, r) => gradAllowance(b0[i], r) });
      });
      assertProperty('activation backwardFromOutput', prop, runs(15_000));
    });

    it('derivative: f\'(z)', () => {
      const prop = fc.property(actCaseArb(activationArb(), 'none', ['new', 'out', 'inA']), (c) => {
        const spec = activation(c.act);
        const { got, a0 } = runElementwise(c, (z, _b, out) => derivative(spec, z, out));
        const js = new Float32Array(a0.length);
        jsBackend.actBackward(spec.code, spec.params, a0, new Float32Array(a0.length).fill(1), js);
        expectElementwise(spec, a0, got, js, (_i, z) => refDerivative(spec.kind, spec.params, z));
      });
      assertProperty('activation derivative', prop, runs(15_000));
    });
  });

  describe('dense: native against the TypeScript backend (k-scaled bound)', () => {
    it('denseForward: random shapes (0 included), activations, bias, out / zOut / keepZ, offsets, specials', () => {
      const prop = fc.property(denseCaseArb, (c) => {
        const s = forwardSetup(c);
        expectForward(c, s, denseForward(forwardArgs(c, s)));
      });
      assertProperty('denseForward', prop, runs(6_000));
    });

    it('packWeights + denseForward: the same bits as unpacked, and within bounds of the TypeScript backend', () => {
      const prop = fc.property(denseCaseArb, (c) => {
        const s = forwardSetup(c);
        const packed = packWeights(s.W, c.k, c.n);
        const r = denseForward(forwardArgs(c, s, packed));
        expectForward(c, s, r);
        const plain = forwardSetup(c);
        const r2 = denseForward(forwardArgs(c, plain));
        expect(sameBits(r.y, r2.y)).toBe(true);
      });
      assertProperty('packWeights + denseForward', prop, runs(2_000));
    });

    it('denseBackward: from z or y, dx / dW / db given, allocated or skipped, accumulate', () => {
      const prop = fc.property(denseCaseArb, (c) => {
        const s = backwardSetup(c);
        expectBackward(c, s, denseBackward(s.args));
      });
      assertProperty('denseBackward', prop, runs(4_000));
    });

    it('denseForwardAsync: the same bits as the synchronous call', async () => {
      const prop = fc.asyncProperty(denseCaseArb, async (c) => {
        const s = forwardSetup(c);
        const r = await denseForwardAsync(forwardArgs(c, s, c.flags[3] ? packWeights(s.W, c.k, c.n) : s.W));
        expectForward(c, s, r);
        const sync = denseForward(forwardArgs(c, forwardSetup(c)));
        expect(sameBits(r.y, sync.y)).toBe(true);
      });
      await assertProperty('denseForwardAsync', prop, runs(1_500));
    });

    it('denseBackwardAsync: the same bits as the synchronous call', async () => {
      const prop = fc.asyncProperty(denseCaseArb, async (c) => {
        const s = backwardSetup(c);
        const r = await denseBackwardAsync(s.args);
        expectBackward(c, s, r);
        const sync = denseBackward(backwardSetup(c).args);
        expect(sameBits(r.dW, sync.dW)).toBe(true);
        if (r.dx && sync.dx) expect(sameBits(r.dx, sync.dx)).toBe(true);
        if (r.db && sync.db) expect(sameBits(r.db, sync.db)).toBe(true);
      });
      await assertProperty('denseBackwardAsync', prop, runs(1_500));
    });
  });
}
