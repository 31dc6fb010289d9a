import { describe, expect, it } from 'vitest';
import { forward } from '../../lib/index';
import { Dense, gsmeluPartials, LearnableGsmelu, Rng } from '../../lib/nn';

const NAMES = ['x', 'gNeg', 'gPos', 'alpha', 'beta', 't'] as const;

/** f at (x, params) with one of the six inputs moved by h. */
function fAt(args: number[], k: number, h: number): number {
  const a = [...args];
  a[k] += h;
  return gsmeluPartials(a[0], a[1], a[2], a[3], a[4], a[5], new Float64Array(7))[0];
}

describe('gSmeLU partial derivatives', () => {
  it('match central finite differences on every piece, for all five parameters and x', () => {
    const r = Rng.fromSeed(11);
    let checked = 0;
    const pieces = new Set<string>();
    for (let trial = 0; trial < 400; trial++) {
      const alpha = r.uniform(0.2, 2);
      const beta = r.uniform(0.2, 2);
      const args = [r.uniform(-4, 4), r.uniform(-0.5, 0.5), r.uniform(0.5, 2), alpha, beta, r.uniform(-1, 1)];
      const x = args[0];
      // stay away from the knots, where one-sided derivatives meet (the formula is C1 in x, not C2)
      if (Math.abs(x + alpha) < 1e-3 || Math.abs(x - beta) < 1e-3) continue;
      pieces.add(x <= -alpha ? 'left' : x >= beta ? 'right' : 'middle');
      const d = gsmeluPartials(args[0], args[1], args[2], args[3], args[4], args[5], new Float64Array(7));
      for (let k = 0; k < 6; k++) {
        const h = 1e-6;
        const fd = (fAt(args, k, h) - fAt(args, k, -h)) / (2 * h);
        const analytic = d[1 + k];
        expect(Math.abs(fd - analytic), `${NAMES[k]} at ${args.join(', ')}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
        checked++;
      }
    }
    expect(pieces).toEqual(new Set(['left', 'middle', 'right']));
    expect(checked).toBeGreaterThan(2000);
  });

  it('are continuous across the knots x = -alpha and x = beta', () => {
    const p = [-0.1, 1.3, 0.7, 0.4, 0.2];
    for (const knot of [-0.7, 0.4]) {
      const lo = gsmeluPartials(knot - 1e-9, p[0], p[1], p[2], p[3], p[4], new Float64Array(7));
      const hi = gsmeluPartials(knot + 1e-9, p[0], p[1], p[2], p[3], p[4], new Float64Array(7));
      for (let k = 0; k < 7; k++) expect(Math.abs(lo[k] - hi[k])).toBeLessThan(1e-6);
    }
  });

  it('equals the backend gsmelu activation (forward) for the same parameters', () => {
    const desc = { kind: 'gsmelu' as const, gNeg: 0.1, gPos: 1.2, alpha: 0.8, beta: 0.5, t: -0.3 };
    const layer = new LearnableGsmelu({ size: 4, init: desc });
    for (const pi of layer.paramInits()) pi.param.value.fill((pi.init as { value: number }).value);
    const x = Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 8);
    const ours = layer.forward(x, 16);
    const ref = forward(desc, x);
    for (let i = 0; i < x.length; i++) expect(Math.abs(ours[i] - ref[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref[i])));
  });
});

/** L = sum_i c_i y_i; dL/dparam by finite differences in float32 parameters. */
function layerGradCheck(perUnit: boolean): void {
  const m = 6;
  const n = 5;
  const layer = new LearnableGsmelu({ size: n, perUnit, init: { gNeg: 0.05, gPos: 0.9, alpha: 0.7, beta: 0.6, t: 0.1 } });
  const r = Rng.fromSeed(perUnit ? 2 : 1);
  for (const pi of layer.paramInits()) {
    const v = (pi.init as { value: number }).value;
    for (let j = 0; j < pi.param.value.length; j++) pi.param.value[j] = v + r.uniform(-0.05, 0.05);
  }
  const x = Float32Array.from({ length: m * n }, () => r.uniform(-2, 2));
  const c = Float32Array.from({ length: m * n }, () => r.uniform(-1, 1));
  const lossOf = (): number => {
    const y = layer.forward(x, m);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i] * y[i];
    return s;
  };
  lossOf();
  const dx = layer.backward(c, true)!.slice();
  for (const p of layer.p) {
    for (let j = 0; j < p.value.length; j++) {
      const v = p.value[j];
      const h = 1e-2;
      p.value[j] = v + h;
      const up = lossOf();
      p.value[j] = v - h;
      const down = lossOf();
      p.value[j] = v;
      const fd = (up - down) / (2 * h);
      expect(Math.abs(fd - p.grad[j]), p.name).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
    }
  }
  // dx: compare with the analytic derivative in float64
  const tmp = new Float64Array(7);
  for (let i = 0; i < m * n; i++) {
    const k = perUnit ? i % n : 0;
    const [gn, gp, al, be, t] = layer.p.map((q) => q.value[k]);
    expect(dx[i]).toBeCloseTo(c[i] * gsmeluPartials(x[i], gn, gp, al, be, t, tmp)[1], 5);
  }
}

describe('LearnableGsmelu layer', () => {
  it('has exact parameter gradients (shared parameters)', () => layerGradCheck(false));
  it('has exact parameter gradients (per-unit parameters)', () => layerGradCheck(true));

  it('keeps alpha + beta >= minWidth after a step', () => {
    const l = new LearnableGsmelu({ size: 3, perUnit: true, init: { alpha: 0.5, beta: 0.5 }, minWidth: 0.01 });
    l.p[2].value.set([-1, 0.5, 0.2]);
    l.p[3].value.set([0.2, 0.5, -0.195]);
    l.postStep();
    for (let k = 0; k < 3; k++) expect(l.p[2].value[k] + l.p[3].value[k]).toBeGreaterThanOrEqual(0.01);
    expect(l.p[2].value[1]).toBe(0.5); // untouched when already valid
  });

  it('refuses a non-gsmelu learnable activation', () => {
    expect(() => new Dense({ inSize: 2, units: 2, activation: 'relu', learnable: 'layer' })).toThrow(/only gsmelu/);
  });
});
