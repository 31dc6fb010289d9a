import { describe, expect, it } from 'vitest';
import {
  Adagrad, Adam, checkSchedule, clipGradNorm, createOptimizer, gradNorm, lrAt, Param, Sgd, SparseParam,
} from '../../lib/nn';

function param(values: number[], decay = true): Param {
  const p = new Param('w', [values.length], decay);
  p.value.set(values);
  return p;
}

describe('optimizers', () => {
  it('SGD, SGD with momentum and Nesterov follow their update rules', () => {
    const p = param([1, -2]);
    const sgd = new Sgd({ lr: 0.1 });
    p.grad.set([0.5, -1]);
    sgd.step([p]);
    expect(Array.from(p.value)).toEqual([Math.fround(0.95), Math.fround(-1.9)]);

    const q = param([1]);
    const mom = new Sgd({ lr: 0.1, momentum: 0.9 });
    q.grad.set([1]);
    mom.step([q]); // v = 1, w = 0.9
    mom.step([q]); // v = 1.9, w = 0.71
    expect(q.value[0]).toBeCloseTo(0.71, 6);

    const n = param([1]);
    const nes = new Sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
    n.grad.set([1]);
    nes.step([n]); // v = 1, step = g + mu v = 1.9
    expect(n.value[0]).toBeCloseTo(0.81, 6);
  });

  it('weight decay applies to weights but not to biases', () => {
    const w = param([1], true);
    const b = param([1], false);
    const sgd = new Sgd({ lr: 0.1, weightDecay: 0.5 });
    sgd.step([w, b]); // zero gradients: only the decay moves w
    expect(w.value[0]).toBeCloseTo(0.95, 6);
    expect(b.value[0]).toBe(1);
  });

  it('Adagrad divides by the root of the accumulated squares (initial accumulator 0.1)', () => {
    const p = param([0]);
    const opt = new Adagrad({ lr: 1 });
    p.grad.set([2]);
    opt.step([p]);
    expect(p.value[0]).toBeCloseTo(-2 / Math.sqrt(4.1), 6);
    opt.step([p]);
    expect(p.value[0]).toBeCloseTo(-2 / Math.sqrt(4.1) - 2 / Math.sqrt(8.1), 6);
  });

  it('Adam takes a first step of about lr in the direction of -sign(g); AdamW decays decoupled', () => {
    const p = param([0, 0]);
    const adam = new Adam({ lr: 0.01 });
    p.grad.set([3, -0.001]);
    adam.step([p]);
    expect(p.value[0]).toBeCloseTo(-0.01, 6);
    expect(p.value[1]).toBeCloseTo(0.01, 4);

    const w = param([2]);
    const adamw = new Adam({ kind: 'adamw', lr: 0.1, weightDecay: 0.5 });
    adamw.step([w]); // zero gradient: w *= 1 - lr * wd
    expect(w.value[0]).toBeCloseTo(2 * 0.95, 6);
  });

  it('sparse parameters: only the touched rows and their state change', () => {
    for (const opt of [new Adagrad({ lr: 0.1 }), new Adam({ lr: 0.1 }), new Sgd({ lr: 0.1, momentum: 0.9 })]) {
      const t = new SparseParam('emb', 6, 2);
      t.value.fill(1);
      t.clearGrad();
      t.grad[t.slot(4) * 2] = 1;
      t.grad[t.slot(1) * 2 + 1] = -1;
      opt.step([t]);
      const state = opt.stateTensors([t])[0];
      for (let r = 0; r < 6; r++) {
        const touched = r === 4 || r === 1;
        const moved = t.value[r * 2] !== 1 || t.value[r * 2 + 1] !== 1;
        expect(moved, `row ${r}`).toBe(touched);
        if (!touched) expect(state[r * 2]).toBe(opt instanceof Adagrad ? Math.fround(0.1) : 0);
      }
    }
  });

  it('converges on a quadratic', () => {
    for (const cfg of [{ kind: 'sgd', lr: 0.1, momentum: 0.5 }, { kind: 'adagrad', lr: 0.5 }, { kind: 'adam', lr: 0.05 }] as const) {
      const p = param([5, -3]);
      const opt = createOptimizer(cfg);
      for (let i = 0; i < 500; i++) {
        p.grad.set([2 * (p.value[0] - 1), 2 * (p.value[1] + 2)]);
        opt.step([p]);
      }
      expect(p.value[0], cfg.kind).toBeCloseTo(1, 2);
      expect(p.value[1], cfg.kind).toBeCloseTo(-2, 2);
    }
  });

  it('validates configs and refuses to be shared between models', () => {
    expect(() => createOptimizer({ kind: 'rmsprop' } as never)).toThrow(/sgd, adagrad, adam or adamw/);
    expect(() => new Sgd({ lr: -1 })).toThrow(/>= 0/);
    expect(() => new Adam({ lr: 0.1, beta1: 1 })).toThrow(/beta1/);
    const opt = new Sgd({ lr: 0.1 });
    opt.step([param([1, 2])]);
    expect(() => opt.step([param([1, 2, 3])])).toThrow(/other parameters/);
  });

  it('loads state only when every length matches', () => {
    const p = param([1, 2]);
    const a = new Adam({ lr: 0.1 });
    p.grad.set([1, 1]);
    a.step([p]);
    const b = new Adam({ lr: 0.1 });
    expect(() => b.loadState([p], 1, [new Float32Array(2), new Float32Array(3)])).toThrow(/length 2/);
    expect(b.t).toBe(0);
    b.loadState([p], a.t, a.stateTensors([p]));
    expect(b.t).toBe(1);
    expect(Array.from(b.stateTensors([p])[0])).toEqual(Array.from(a.stateTensors([p])[0]));
  });
});

describe('learning-rate schedules', () => {
  it('computes constant, warm-up then decay, exponential, inverse sqrt, cosine and step', () => {
    expect(lrAt(0.1, 99)).toBe(0.1);
    const warm = { kind: 'warmup', warmupSteps: 4, then: { kind: 'exponential', lr: 0.1, decayRate: 0.5, decaySteps: 10 } } as const;
    [0.025, 0.05, 0.075, 0.1].forEach((want, s) => expect(lrAt(warm, s)).toBeCloseTo(want, 12));
    expect(lrAt(warm, 14)).toBeCloseTo(0.05, 12);
    expect(lrAt({ kind: 'exponential', lr: 1, decayRate: 0.5, decaySteps: 10, staircase: true }, 19)).toBe(0.5);
    expect(lrAt({ kind: 'inverse_sqrt', lr: 1, scaleSteps: 1 }, 3)).toBe(0.5);
    const cos = { kind: 'cosine', lr: 1, totalSteps: 100, minLr: 0.1 } as const;
    expect(lrAt(cos, 0)).toBe(1);
    expect(lrAt(cos, 50)).toBeCloseTo(0.55, 12);
    expect(lrAt(cos, 100)).toBe(0.1);
    expect(lrAt({ kind: 'step', lr: 1, every: 10, gamma: 0.1 }, 25)).toBeCloseTo(0.01, 12);
  });

  it('rejects malformed schedules up front', () => {
    expect(() => checkSchedule({ kind: 'warmup', warmupSteps: 0, then: 0.1 })).toThrow(/warmupSteps/);
    expect(() => checkSchedule({ kind: 'cosine', lr: 1 })).toThrow(/totalSteps/);
    expect(() => checkSchedule({ kind: 'linear' })).toThrow(/kind must be/);
    expect(() => new Sgd({ lr: { kind: 'step', lr: 1, every: 0, gamma: 0.5 } })).toThrow(/every/);
  });

  it('drives the optimizer by step count', () => {
    const p = param([0]);
    const opt = new Sgd({ lr: { kind: 'step', lr: 1, every: 1, gamma: 0.5 } });
    p.grad.set([1]);
    opt.step([p]);
    opt.step([p]);
    opt.step([p]);
    expect(p.value[0]).toBeCloseTo(-1.75, 6);
    expect(opt.lastLr).toBe(0.25);
  });
});

describe('gradient clipping', () => {
  it('scales all gradients (dense and sparse rows) by one factor when the global norm is too large', () => {
    const p = param([0, 0]);
    p.grad.set([3, 0]);
    const t = new SparseParam('e', 10, 1);
    t.clearGrad();
    t.grad[t.slot(7)] = 4;
    expect(gradNorm([p, t])).toBe(5);
    expect(clipGradNorm([p, t], 1)).toBe(5);
    expect(p.grad[0]).toBeCloseTo(0.6, 6);
    expect(t.grad[0]).toBeCloseTo(0.8, 6);
    expect(clipGradNorm([p, t], 10)).toBeCloseTo(1, 6);
    expect(p.grad[0]).toBeCloseTo(0.6, 6); // below the limit: unchanged
    expect(() => clipGradNorm([p], 0)).toThrow(/> 0/);
  });
});
