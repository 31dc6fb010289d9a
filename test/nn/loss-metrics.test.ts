import { describe, expect, it } from 'vitest';
import {
  accuracy, auc, getLoss, logLoss, meanSquaredError, multiclassLogLoss, Rng, sigmoid, sigmoidBce, softmaxCrossEntropy,
} from '../../lib/nn';

function fdCheck(f: (z: Float32Array) => number, z: Float32Array, grad: Float32Array): void {
  for (let i = 0; i < z.length; i++) {
    const v = z[i];
    const h = 1e-2;
    z[i] = v + h;
    const up = f(z);
    z[i] = v - h;
    const down = f(z);
    z[i] = v;
    expect(grad[i]).toBeCloseTo((up - down) / (2 * h), 4);
  }
}

describe('losses from logits', () => {
  it('binary cross-entropy is finite and exact for huge logits', () => {
    const z = Float32Array.of(1e4, -1e4, 100, -100, 0);
    const y = Float32Array.of(1, 0, 0, 1, 1);
    const g = new Float32Array(5);
    const l = sigmoidBce(z, y, g);
    // per row: 0, 0, 100, 100, log 2
    expect(l).toBeCloseTo((200 + Math.LN2) / 5, 10);
    [0, 0, 1, -1, -0.5].forEach((want, i) => expect(g[i] * 5).toBeCloseTo(want, 6));
    expect(() => sigmoidBce(Float32Array.of(0), Float32Array.of(2))).toThrow(/outside \[0, 1\]/);
  });

  it('binary cross-entropy gradient matches finite differences', () => {
    const r = Rng.fromSeed(1);
    const z = Float32Array.from({ length: 8 }, () => r.normal() * 3);
    const y = Float32Array.from({ length: 8 }, () => (r.next() < 0.5 ? 1 : 0));
    const g = new Float32Array(8);
    sigmoidBce(z, y, g);
    fdCheck((zz) => sigmoidBce(zz, y), z, g);
  });

  it('softmax cross-entropy is stable for huge logits and has the right gradient', () => {
    const z = Float32Array.of(1000, 0, -1000, 5, 5, 5);
    const y = Float32Array.of(0, 2);
    const g = new Float32Array(6);
    const l = softmaxCrossEntropy(z, y, 3, g);
    expect(l).toBeCloseTo(Math.log(3) / 2, 10);
    expect(Number.isFinite(l)).toBe(true);
    const r = Rng.fromSeed(2);
    const z2 = Float32Array.from({ length: 12 }, () => r.normal() * 2);
    const y2 = Float32Array.of(0, 3, 1);
    const g2 = new Float32Array(12);
    softmaxCrossEntropy(z2, y2, 4, g2);
    fdCheck((zz) => softmaxCrossEntropy(zz, y2, 4), z2, g2);
    expect(() => softmaxCrossEntropy(new Float32Array(3), Float32Array.of(3), 3)).toThrow(/class index/);
    expect(() => softmaxCrossEntropy(new Float32Array(3), Float32Array.of(0.5), 3)).toThrow(/class index/);
  });

  it('mean squared error and its gradient', () => {
    const p = Float32Array.of(1, 2, 3, 5);
    const t = Float32Array.of(1, 0, 3, 1);
    const g = new Float32Array(4);
    expect(meanSquaredError(p, t, g)).toBe(5);
    expect(Array.from(g)).toEqual([0, 1, 0, 2]);
  });

  it('predicts probabilities (sigmoid, softmax rows sum to 1) and knows loss names', () => {
    const probs = getLoss('softmax_ce').predict(Float32Array.of(1, 2, 3, 0, 0, 0), 2, 3, new Float32Array(6));
    expect(probs[0] + probs[1] + probs[2]).toBeCloseTo(1, 6);
    expect(probs[3]).toBeCloseTo(1 / 3, 6);
    expect(getLoss('bce').predict(Float32Array.of(0), 1, 1, new Float32Array(1))[0]).toBe(0.5);
    expect(() => getLoss('hinge' as never)).toThrow(/bce, softmax_ce, mse/);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
  });
});

/** O(n^2) definition of the AUC: pairs ordered correctly, ties counting one half. */
function bruteAuc(y: ArrayLike<number>, s: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < y.length; i++) {
    for (let j = 0; j < y.length; j++) {
      if (y[i] > 0.5 && y[j] <= 0.5) {
        pairs++;
        wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
  }
  return wins / pairs;
}

describe('metrics', () => {
  it('AUC equals the pairwise definition, with many ties', () => {
    const r = Rng.fromSeed(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + trial * 10;
      const y = Float32Array.from({ length: n }, () => (r.next() < 0.3 ? 1 : 0));
      const s = Float32Array.from({ length: n }, (_, i) => r.int(trial % 2 ? 5 : 1000) / 10 + 0.3 * y[i]);
      expect(auc(y, s)).toBeCloseTo(bruteAuc(y, s), 12);
    }
  });

  it('AUC edge cases: perfect, reversed, all tied, one class, NaN', () => {
    expect(auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(auc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(auc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(auc([1, 1], [0.1, 0.2])).toBeNaN();
    expect(() => auc([1, 0], [NaN, 0])).toThrow(/NaN/);
  });

  it('AUC of a million examples matches the closed form', () => {
    const r = Rng.fromSeed(4);
    const n = 1_000_000;
    const y = new Float32Array(n);
    const s = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = r.next() < 0.2 ? 1 : 0;
      s[i] = r.normal() + y[i];
    }
    const a = auc(y, s);
    // two unit normals 1 apart: AUC = Phi(1 / sqrt 2) = 0.7602
    expect(a).toBeCloseTo(0.7602, 2);
  });

  it('log loss clips, multiclass log loss and accuracy', () => {
    expect(logLoss([1, 0], [1, 0])).toBeLessThan(1e-6);
    expect(Number.isFinite(logLoss([1], [0]))).toBe(true);
    expect(logLoss([1, 0], [0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
    expect(multiclassLogLoss([1], [0.2, 0.5, 0.3], 3)).toBeCloseTo(-Math.log(0.5), 12);
    expect(accuracy([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.6])).toBe(0.5);
    expect(accuracy([2, 0], [0.1, 0.2, 0.7, 0.5, 0.5, 0], 3)).toBe(1); // ties go to the first class
    expect(() => accuracy([1], [0.1, 0.2], 3)).toThrow(/length 3/);
  });
});
