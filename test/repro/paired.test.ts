import { describe, expect, it } from 'vitest';
import { jackknife, logJackknife, lossRatio, meanPdInterval, PairValues, pdRatio } from '../../lib/repro/paired';
import { summarize, tQuantile } from '../../lib/repro/stats';

describe('PairValues', () => {
  it('leaves out every pair of one replica', () => {
    const v = new PairValues(3, [2, 4, 6]); // (0,1) (0,2) (1,2)
    expect(v.mean()).toBe(4);
    expect(v.mean(0)).toBe(6);
    expect(v.mean(1)).toBe(4);
    expect(v.mean(2)).toBe(2);
    expect(() => new PairValues(3, [1, 2])).toThrow(RangeError);
  });
});

describe('jackknife', () => {
  it('of the mean gives the textbook standard error sd / sqrt(n)', () => {
    const xs = [1, 2, 3, 4, 10];
    const j = jackknife(xs.length, (o) => {
      const kept = xs.filter((_, i) => i !== o);
      return kept.reduce((a, b) => a + b, 0) / kept.length;
    });
    const s = summarize(xs);
    expect(j.estimate).toBe(4);
    expect(j.se).toBeCloseTo(s.sd / Math.sqrt(xs.length), 12);
    expect(j.lo).toBeCloseTo(s.lo, 12);
    expect(j.hi).toBeCloseTo(s.hi, 12);
  });

  it('needs 3 units and finite leave-one-out values', () => {
    expect(jackknife(2, () => 1).lo).toBeNaN();
    expect(jackknife(3, (o) => (o === 1 ? Infinity : 1)).hi).toBeNaN();
  });

  it('paired PD ratio: a hand-computed 3-replica example', () => {
    // ReLU pairs (0,1)=2 (0,2)=4 (1,2)=6, mean 4; activation pairs 1, 2, 6, mean 3: ratio 0.75.
    // Leave replica 0 out: 6/6 = 1; replica 1: 2/4 = 0.5; replica 2: 1/2 = 0.5.
    // log values 0, ln 0.5, ln 0.5: mean -0.462098; se = sqrt(2/3 * sum of squared deviations)
    // = 0.4620981; interval exp(ln 0.75 -+ t(0.975, 2) se) = [0.1027014, 5.4770447].
    const r = pdRatio([new PairValues(3, [1, 2, 6])], [new PairValues(3, [2, 4, 6])]);
    expect(r.estimate).toBeCloseTo(0.75, 12);
    expect(r.se).toBeCloseTo(0.4620981204, 9);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.302652730, 8);
    expect(r.lo).toBeCloseTo(0.1027013711, 8);
    expect(r.hi).toBeCloseTo(5.4770446972, 7);
    // the per-pair spread: ratios 0.5, 0.5, 1
    expect(r.pairs.mean).toBeCloseTo(2 / 3, 12);
  });

  it('log-scale intervals never go below 0, even where a linear t-interval would', () => {
    const pd = [new PairValues(4, [0.1, 5, 0.2, 4, 0.1, 6])];
    const lin = summarize(pd[0].values);
    expect(lin.lo).toBeLessThan(0); // what the old report printed
    const m = meanPdInterval(pd);
    expect(m.lo).toBeGreaterThan(0);
    expect(m.hi).toBeGreaterThan(m.estimate);
    const l = logJackknife(3, (o) => [1, 2, 4].filter((_, i) => i !== o).reduce((a, b) => a + b, 0));
    expect(l.lo).toBeGreaterThan(0);
  });

  it('several data seeds: units are (seed, replica); the estimate is the geometric mean over seeds', () => {
    const act = [new PairValues(3, [1, 1, 1]), new PairValues(3, [4, 4, 4])];
    const ref = [new PairValues(3, [2, 2, 2]), new PairValues(3, [2, 2, 2])];
    const r = pdRatio(act, ref);
    expect(r.units).toBe(6);
    expect(r.estimate).toBeCloseTo(Math.sqrt(0.5 * 2), 12);
    const loss = lossRatio([[1, 1, 1], [2, 2, 2]], [[1, 1, 1], [1, 1, 1]]);
    expect(loss.estimate).toBeCloseTo(Math.sqrt(2), 12);
    expect(loss.lo).toBeCloseTo(loss.hi, 12); // no spread within a seed
  });
});
