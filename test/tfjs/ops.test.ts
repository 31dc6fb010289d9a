/**
 * smelu/tfjs ops: values and gradients against smelu's own kernels (forward / backward) within the
 * spec bound 1e-6 * max(1, |ref|), on a dense grid over [-30, 30], the knots and random points;
 * gSmeLU parameter gradients against the LearnableGsmelu layer's.
 */
import { describe, expect, it } from 'vitest';
import { backward, forward } from '../../lib/activation';
import { activation, type Activation } from '../../lib/activation';
import { LearnableGsmelu, Rng } from '../../lib/nn';
import { SPEC_TOL } from '../../lib/reference';
import { activate, gsmelu, rescu2, smelu, tf } from '../../lib/tfjs';

type Tensor = ReturnType<typeof tf.tensor>;

function inputs(knots: number[]): Float32Array {
  const r = Rng.fromSeed(17);
  const xs: number[] = [];
  for (let x = -30; x <= 30; x += 0.00731) xs.push(x);
  for (const k of knots) xs.push(k, -k, Math.fround(k * (1 + 1e-7)), Math.fround(k * (1 - 1e-7)));
  for (let i = 0; i < 2000; i++) xs.push(r.uniform(-4, 4));
  xs.push(0, -0);
  return Float32Array.from(xs);
}

/** max over i of |a - b| / max(1, |b|). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return e;
}

/** tfjs value and d(sum(y * dy))/dx of `op`, against smelu's forward and backward of `act`. */
function compare(act: Activation, op: (x: Tensor) => Tensor, knots: number[]): { value: number; grad: number } {
  const x = inputs(knots);
  const dy = Float32Array.from(x, (_, i) => 0.5 + ((i * 7919) % 13) / 13);
  const [y, dx] = tf.tidy(() => {
    const xt = tf.tensor1d(x);
    const dyt = tf.tensor1d(dy);
    const g = tf.grad((v: Tensor) => tf.sum(tf.mul(op(v), dyt)))(xt);
    return [op(xt).dataSync(), g.dataSync()] as const;
  });
  return { value: relErr(y, forward(act, x)), grad: relErr(dx, backward(act, x, dy)) };
}

const CASES: Array<{ act: Activation; op: (x: Tensor) => Tensor; knots: number[] }> = [
  { act: { kind: 'smelu', beta: 1 }, op: (x) => smelu(x), knots: [1] },
  { act: { kind: 'smelu', beta: 0.37 }, op: (x) => smelu(x, 0.37), knots: [0.37] },
  { act: { kind: 'smelu', beta: 3 }, op: (x) => smelu(x, 3), knots: [3] },
  { act: { kind: 'smelu', beta: 0 }, op: (x) => smelu(x, 0), knots: [1e-6] },
  { act: { kind: 'rescu2', beta: 1 }, op: (x) => rescu2(x), knots: [1] },
  { act: { kind: 'rescu2', beta: 0.45 }, op: (x) => rescu2(x, 0.45), knots: [0.45] },
  { act: { kind: 'rescu2', beta: 2.5 }, op: (x) => rescu2(x, 2.5), knots: [2.5] },
  {
    act: { kind: 'gsmelu', gNeg: 0.1, gPos: 1.3, alpha: 0.4, beta: 1.7, t: -0.2 },
    op: (x) => gsmelu(x, { gNeg: 0.1, gPos: 1.3, alpha: 0.4, beta: 1.7, t: -0.2 }),
    knots: [0.4, 1.7],
  },
  { act: { kind: 'gsmelu', gNeg: 0, gPos: 0.8, alpha: 2, beta: 0.5, t: 0.3 }, op: (x) => gsmelu(x, { gPos: 0.8, alpha: 2, beta: 0.5, t: 0.3 }), knots: [2, 0.5] },
];

describe('smelu/tfjs ops against smelu kernels', () => {
  for (const c of CASES) {
    it(`${JSON.stringify(c.act)}: values and gradients within the spec bound`, () => {
      const e = compare(c.act, c.op, c.knots);
      console.info(`${JSON.stringify(c.act)}: max rel. error value ${e.value.toExponential(2)}, gradient ${e.grad.toExponential(2)}`);
      expect(e.value).toBeLessThanOrEqual(SPEC_TOL);
      expect(e.grad).toBeLessThanOrEqual(SPEC_TOL);
    });
  }

  it('activate() covers the other kinds within the spec bound (GELU, Swish, Softplus with its threshold)', () => {
    const acts: Activation[] = [{ kind: 'gelu' }, { kind: 'gelu_tanh' }, { kind: 'swish', beta: 1.6 }, { kind: 'softplus', beta: 2, threshold: 3 }, { kind: 'sigmoid' }, { kind: 'relu' }];
    for (const act of acts) {
      const e = compare(act, (x) => activate(x, act), [1]);
      console.info(`${JSON.stringify(act)}: max rel. error value ${e.value.toExponential(2)}, gradient ${e.grad.toExponential(2)}`);
      expect(e.value, act.kind).toBeLessThanOrEqual(SPEC_TOL);
      expect(e.grad, act.kind).toBeLessThanOrEqual(SPEC_TOL);
    }
  });

  it('refuses bad parameters like smelu does', () => {
    const x = tf.tensor1d([1]);
    expect(() => smelu(x, -1)).toThrow(RangeError);
    expect(() => rescu2(x, 0)).toThrow(/beta/);
    expect(() => gsmelu(x, { alpha: -1, beta: 1 })).toThrow(/alpha \+ beta/);
    x.dispose();
  });
});

describe('gsmelu parameter gradients', () => {
  it('per-unit tensors get the gradients of the LearnableGsmelu layer (summed over rows)', () => {
    const m = 64;
    const n = 5;
    const start = { gNeg: 0.05, gPos: 1.2, alpha: 0.6, beta: 0.9, t: 0.1 };
    const layer = new LearnableGsmelu({ size: n, perUnit: true, init: { kind: 'gsmelu', ...start } });
    layer.paramInits().forEach((p) => p.param.value.fill((p.init as { value: number }).value));
    layer.p.forEach((p, q) => p.value.forEach((_, k) => (p.value[k] += 0.03 * k * (q + 1))));
    const r = Rng.fromSeed(5);
    const x = Float32Array.from({ length: m * n }, () => r.uniform(-3, 3));
    const dy = Float32Array.from({ length: m * n }, () => r.uniform(-1, 1));
    const y = layer.forward(x, m).slice();
    const dx = layer.backward(dy, true)!.slice();
    const got = tf.tidy(() => {
      const params = layer.p.map((p) => tf.tensor1d(p.value));
      const f = (xt: Tensor, ...ps: Tensor[]) => gsmelu(xt, { gNeg: ps[0], gPos: ps[1], alpha: ps[2], beta: ps[3], t: ps[4] });
      const grads = tf.grads((...a: Tensor[]) => tf.sum(tf.mul(f(a[0], ...a.slice(1)), tf.tensor2d(dy, [m, n]))))([tf.tensor2d(x, [m, n]), ...params]);
      return { y: f(tf.tensor2d(x, [m, n]), ...params).dataSync(), grads: grads.map((g) => g.dataSync()) };
    });
    expect(relErr(got.y, y)).toBeLessThanOrEqual(SPEC_TOL);
    expect(relErr(got.grads[0], dx)).toBeLessThanOrEqual(SPEC_TOL);
    // parameter gradients are sums over 64 rows: float32 summation order differs, so 1e-5
    layer.p.forEach((p, q) => expect(relErr(got.grads[q + 1], p.grad), p.name).toBeLessThanOrEqual(1e-5));
  });

  it('a scalar parameter gets the gradient summed over every element', () => {
    const g = tf.tidy(() => tf.grad((b: Tensor) => tf.sum(gsmelu(tf.tensor1d([-2, 0, 0.5, 3]), { beta: b })))(tf.scalar(1)).dataSync()[0]);
    // df/dbeta = -(gPos - gNeg) q^2 / 2: q = 0, 0.5, 0.75, 1 -> -(0 + 0.125 + 0.28125 + 0.5)
    expect(g).toBeCloseTo(-0.90625, 6);
    expect(activation('gsmelu').kind).toBe('gsmelu');
  });
});
